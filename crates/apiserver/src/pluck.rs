//! Read a few fields out of a JSON document without building the rest of it:
//! a serde visitor that walks the document along a set of paths and skips
//! everything else. The watch cache uses it to index objects at start-up and
//! on every change, where a full parse would cost most of the time.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// A tree of wanted paths; leaves carry the slot their value goes to.
#[derive(Debug, Default)]
pub struct Paths {
    children: Vec<(String, Paths)>,
    slot: Option<usize>,
}

impl Paths {
    /// Build from JSON pointers (`/spec/nodeName`); slot i receives pointer i.
    pub fn new(pointers: &[&str]) -> Self {
        let mut root = Paths::default();
        for (i, p) in pointers.iter().enumerate() {
            let mut node = &mut root;
            for seg in p.trim_start_matches('/').split('/') {
                let pos = match node.children.iter().position(|(k, _)| k == seg) {
                    Some(pos) => pos,
                    None => {
                        node.children.push((seg.to_string(), Paths::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[pos].1;
            }
            node.slot = Some(i);
        }
        root
    }
}

struct Walk<'p, 'o> {
    paths: &'p Paths,
    out: &'o mut Vec<Option<Value>>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Some(slot) = self.paths.slot {
            // a wanted value: materialize it (labels maps, scalars)
            let v = <Value as serde::Deserialize>::deserialize(d)?;
            self.out[slot] = Some(v);
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match self.paths.children.iter().find(|(k, _)| *k == *key) {
                Some((_, sub)) => map.next_value_seed(Walk {
                    paths: sub,
                    out: self.out,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// The values at `paths` (None where absent), reading `json` once.
pub fn pluck(
    json: &[u8],
    paths: &Paths,
    n: usize,
) -> Result<Vec<Option<Value>>, serde_json::Error> {
    let mut out = vec![None; n];
    let mut de = serde_json::Deserializer::from_slice(json);
    Walk {
        paths,
        out: &mut out,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plucks_wanted_values_only() {
        let doc = json!({"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"nodeName":"n1","containers":[{"name":"c"}]},
            "status":{"phase":"Running"}});
        let ptrs = [
            "/metadata/name",
            "/metadata/labels",
            "/spec/nodeName",
            "/status/podIP",
            "/status/phase",
        ];
        let p = Paths::new(&ptrs);
        let v = pluck(&serde_json::to_vec(&doc).unwrap(), &p, ptrs.len()).unwrap();
        assert_eq!(v[0], Some(json!("p")));
        assert_eq!(v[1], Some(json!({"a":"b"})));
        assert_eq!(v[2], Some(json!("n1")));
        assert_eq!(v[3], None);
        assert_eq!(v[4], Some(json!("Running")));
        assert!(pluck(b"{\"a\":", &p, ptrs.len()).is_err());
        // escaped keys are compared decoded
        let v = pluck(br#"{"spec":{"node\u004eame":"x"}}"#, &p, ptrs.len()).unwrap();
        assert_eq!(v[2], Some(json!("x")));
    }
}
