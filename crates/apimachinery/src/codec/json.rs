//! JSON bodies decoded with duplicate-field detection, as upstream's strict
//! decoder (`sigs.k8s.io/json` `UnmarshalStrict`) reports them:
//! `duplicate field "spec.replicas"`. The value keeps the last occurrence.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Decode JSON, returning the value and the paths of fields set more than once
/// (`metadata.name`, `spec.containers[0].name`; top-level fields bare).
pub fn from_json_strict(bytes: &[u8]) -> Result<(Value, Vec<String>), serde_json::Error> {
    let mut dups = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Node {
        path: String::new(),
        dups: &mut dups,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((v, dups))
}

struct Node<'a> {
    path: String,
    dups: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Node<'_> {
    fn child(&mut self, seg: &str, index: bool) -> Node<'_> {
        let path = if index {
            format!("{}[{seg}]", self.path)
        } else if self.path.is_empty() {
            seg.to_string()
        } else {
            format!("{}.{seg}", self.path)
        };
        Node {
            path,
            dups: self.dups,
        }
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
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let i = out.len().to_string();
            match seq.next_element_seed(self.child(&i, true))? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(self.child(&k, false))?;
            if out.contains_key(&k) {
                let p = self.child(&k, false).path;
                if !self.dups.contains(&p) {
                    self.dups.push(p);
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
