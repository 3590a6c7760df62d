//! RFC 6902 JSON patch (`application/json-patch+json`), applied with the
//! `json-patch` crate. Errors follow upstream's handler: a body that is not a
//! list of operations is a 400, more than 10000 operations a 413, and an
//! operation that cannot be applied (failing `test`, missing path, unknown
//! `op`) a 422 with the generic message.

use serde_json::Value;

use super::{MAX_JSON_PATCH_OPERATIONS, PatchError, go_kind};

/// Apply a JSON patch document to `original`, returning the patched value.
/// The operations apply atomically: on error nothing is returned.
pub fn json_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops = match patch {
        // `null` decodes to an empty patch upstream.
        Value::Null => return Ok(original.clone()),
        Value::Array(ops) => ops,
        other => {
            return Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                go_kind(other)
            )));
        }
    };
    if let Some(bad) = ops.iter().find(|op| !op.is_object()) {
        return Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
            go_kind(bad)
        )));
    }
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooLarge(format!(
            "The allowed maximum operations in a JSON patch is {}, got {}",
            MAX_JSON_PATCH_OPERATIONS,
            ops.len()
        )));
    }
    // Upstream decodes operations lazily, so an unknown `op` or a missing
    // `path` only fails when applied: 422, not 400.
    let parsed: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| PatchError::Invalid(format!("invalid operation: {e}")))?;
    let mut doc = original.clone();
    json_patch::patch(&mut doc, &parsed).map_err(|e| PatchError::Invalid(e.to_string()))?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}})
    }

    #[test]
    fn ops_apply_in_order() {
        let p = json!([
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/metadata/labels/tier", "value": "fe"},
            {"op": "remove", "path": "/metadata/labels/app"},
            {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "side", "image": "busybox"}},
            {"op": "copy", "from": "/metadata/name", "path": "/metadata/annotations"},
            {"op": "move", "from": "/metadata/annotations", "path": "/metadata/generateName"}
        ]);
        let out = json_patch(&deploy(), &p).unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        assert_eq!(out["metadata"]["labels"], json!({"tier": "fe"}));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][1]["name"],
            "side"
        );
        assert_eq!(out["metadata"]["generateName"], "web");
        assert!(out["metadata"].get("annotations").is_none());
    }

    #[test]
    fn failing_test_is_422_and_atomic() {
        let p = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "test", "path": "/spec/replicas", "value": 1}
        ]);
        let e = json_patch(&deploy(), &p).unwrap_err();
        assert!(matches!(e, PatchError::Invalid(_)), "{e:?}");
        assert_eq!(e.to_api_error().code, 422);
    }

    #[test]
    fn missing_paths_are_422() {
        for p in [
            json!([{"op": "remove", "path": "/spec/affinity"}]),
            json!([{"op": "replace", "path": "/spec/nope", "value": 1}]),
            json!([{"op": "add", "path": "/a/b/c", "value": 1}]),
            json!([{"op": "frobnicate", "path": "/spec"}]),
        ] {
            let e = json_patch(&deploy(), &p).unwrap_err();
            assert!(matches!(e, PatchError::Invalid(_)), "{p}: {e:?}");
        }
    }

    #[test]
    fn malformed_documents_are_400() {
        for p in [json!({"op": "add"}), json!("x"), json!([1])] {
            let e = json_patch(&deploy(), &p).unwrap_err();
            assert!(matches!(e, PatchError::BadRequest(_)), "{p}: {e:?}");
            assert_eq!(e.to_api_error().code, 400);
        }
        assert_eq!(json_patch(&deploy(), &Value::Null).unwrap(), deploy());
    }

    #[test]
    fn too_many_operations_is_413() {
        let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "/spec/replicas", "value": 1}))
            .collect();
        let e = json_patch(&deploy(), &Value::Array(ops)).unwrap_err();
        assert_eq!(e.to_api_error().code, 413);
    }

    proptest! {
        #[test]
        fn empty_patch_is_identity(k in "[a-z]{1,8}", v in any::<i64>()) {
            let doc = json!({k.clone(): v, "nested": {k: [v]}});
            prop_assert_eq!(json_patch(&doc, &json!([])).unwrap(), doc);
        }
    }
}
