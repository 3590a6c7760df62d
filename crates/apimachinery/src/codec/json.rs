//! JSON bodies decoded with duplicate-field detection, as upstream's strict
//! decoder (`sigs.k8s.io/json` `UnmarshalStrict`) reports them:
//! `duplicate field "spec.replicas"`. The value keeps the last occurrence.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Decode JSON, returning the value and the paths of fields set more than once
/// (`metadata.name`, `spec.containers[0].name`; top-level fields bare).
pub fn from_json_strict(bytes: &[u8]) -> Result<(Value, Vec<String>), serde_json::Error> {
    let dups = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let root = Link {
        parent: None,
        seg: Seg::Root,
    };
    let v = Node {
        at: &root,
        dups: &dups,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((v, dups.into_inner()))
}

/// Where a value sits: a chain of segments up to the root, rendered only for a duplicate.
struct Link<'a> {
    parent: Option<&'a Link<'a>>,
    seg: Seg<'a>,
}

enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl Link<'_> {
    fn path(&self) -> String {
        let mut segs = Vec::new();
        let mut at = Some(self);
        while let Some(l) = at {
            segs.push(&l.seg);
            at = l.parent;
        }
        let mut out = String::new();
        for seg in segs.into_iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

struct Node<'a> {
    at: &'a Link<'a>,
    dups: &'a RefCell<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let link = Link {
                parent: Some(self.at),
                seg: Seg::Index(out.len()),
            };
            let node = Node {
                at: &link,
                dups: self.dups,
            };
            match seq.next_element_seed(node)? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let link = Link {
                parent: Some(self.at),
                seg: Seg::Key(&k),
            };
            let node = Node {
                at: &link,
                dups: self.dups,
            };
            let v = map.next_value_seed(node)?;
            if out.contains_key(&k) {
                let p = link.path();
                let mut dups = self.dups.borrow_mut();
                if !dups.contains(&p) {
                    dups.push(p);
                }
            }
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reports_duplicate_paths() {
        let (v, d) = from_json_strict(
            br#"{"kind":"Deployment","spec":{"replicas":1,"replicas":3,"template":{"spec":{"containers":[{"name":"a","name":"b"}]}}},"kind":"Deployment"}"#,
        )
        .unwrap();
        assert_eq!(
            d,
            vec![
                "spec.replicas",
                "spec.template.spec.containers[0].name",
                "kind"
            ]
        );
        assert_eq!(v["spec"]["replicas"], json!(3));
        assert_eq!(
            v["spec"]["template"]["spec"]["containers"][0]["name"],
            json!("b")
        );
        // Key order is the first occurrence's.
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["kind", "spec"]
        );
    }

    #[test]
    fn plain_json_is_unchanged() {
        let src = br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"u":18446744073709551615}"#;
        let (v, d) = from_json_strict(src).unwrap();
        assert!(d.is_empty());
        assert_eq!(v, serde_json::from_slice::<Value>(src).unwrap());
        assert!(from_json_strict(b"{} x").is_err());
        assert!(from_json_strict(b"{\"a\":").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = from_json_strict(&b);
        }
    }
}
