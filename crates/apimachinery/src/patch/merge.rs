//! RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge
//! recursively, `null` deletes a key, everything else (lists included)
//! replaces. Key order of the original is kept; new keys are appended.

use serde_json::{Map, Value};

use super::PatchError;

/// Apply a JSON merge patch to `original`.
///
/// As upstream (evanphx/json-patch), a `null` patch document is rejected and
/// a non-object patch replaces the whole document; `null` members of objects
/// inside inserted values are pruned.
pub fn merge_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    match patch {
        Value::Null => Err(PatchError::BadRequest("Invalid JSON Patch".into())),
        Value::Object(_) => {
            let mut doc = original.clone();
            merge_into(&mut doc, patch);
            Ok(doc)
        }
        other => Ok(pruned(other)),
    }
}

fn merge_into(doc: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *doc = pruned(patch);
        return;
    };
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    let Value::Object(map) = doc else {
        return;
    };
    for (k, v) in p {
        if v.is_null() {
            map.shift_remove(k);
        } else {
            merge_into(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The value without `null` object members, recursively.
fn pruned(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), pruned(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(pruned).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn rfc7386_examples() {
        // The examples of RFC 7386 appendix A.
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (o, p, want) in cases {
            assert_eq!(merge_patch(&o, &p).unwrap(), want, "{o} + {p}");
        }
    }

    #[test]
    fn keeps_key_order_and_replaces_lists() {
        let o = json!({"metadata": {"labels": {"a": "1", "b": "2", "c": "3"}},
                       "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let p = json!({"metadata": {"labels": {"a": null, "d": "4"}},
                       "spec": {"containers": [{"name": "c", "x": null}]}});
        let out = merge_patch(&o, &p).unwrap();
        let keys: Vec<_> = out["metadata"]["labels"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["b", "c", "d"]);
        assert_eq!(out["spec"]["containers"], json!([{"name": "c"}]));
    }

    #[test]
    fn null_patch_is_bad_request() {
        let e = merge_patch(&json!({}), &Value::Null).unwrap_err();
        assert_eq!(e, PatchError::BadRequest("Invalid JSON Patch".into()));
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
        ]
    }
    fn doc() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("[a-c]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn empty_patch_is_identity_on_objects(d in doc()) {
            let d = json!({"root": d});
            prop_assert_eq!(merge_patch(&d, &json!({})).unwrap(), d);
        }

        #[test]
        fn patching_is_idempotent(o in doc(), p in doc()) {
            let o = json!({"o": o});
            let p = json!({"o": p});
            let once = merge_patch(&o, &p).unwrap();
            prop_assert_eq!(merge_patch(&once, &p).unwrap(), once);
        }
    }
}
