//! How the watch cache holds one object: its JSON bytes (with
//! `metadata.resourceVersion` spliced in, never re-serialized) plus the small
//! index list and watch filters read: name, namespace, labels and the values
//! of the fields the kind can be selected by. The full `Value` is parsed only
//! when a reply needs it (Tables, YAML, conversion), which keeps memory close
//! to the size of the JSON and start-up free of re-encoding.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use storage::Revision;

/// One object as the cache serves it.
#[derive(Debug)]
pub struct Obj {
    /// Storage key.
    pub key: String,
    /// Revision of its last change.
    pub rv: Revision,
    /// The object's JSON, `metadata.resourceVersion` included.
    pub json: Bytes,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// Values of the kind's selectable fields, in the order of the pointers it was decoded with.
    pub fields: Box<[String]>,
}

impl Obj {
    /// Build from stored bytes (which carry no resourceVersion) at revision `rv`.
    /// `field_ptrs` are JSON pointers of the kind's selectable fields.
    pub fn decode(
        key: String,
        raw: &[u8],
        rv: Revision,
        field_ptrs: &[&'static str],
    ) -> Option<Arc<Obj>> {
        let json = stamp(raw, rv)?;
        Self::from_json(key, json, rv, field_ptrs)
    }

    /// Build from JSON that already carries its resourceVersion.
    pub fn from_json(
        key: String,
        json: Bytes,
        rv: Revision,
        field_ptrs: &[&'static str],
    ) -> Option<Arc<Obj>> {
        // The path tree of each field-pointer set is built once per thread (there is one set
        // per resource) and reused: this runs for every event the watch cache takes in.
        thread_local! {
            static PATHS: std::cell::RefCell<Vec<(Vec<&'static str>, std::rc::Rc<crate::pluck::Paths>)>> =
                const { std::cell::RefCell::new(Vec::new()) };
        }
        let paths = PATHS.with_borrow_mut(|known| {
            if let Some((_, p)) = known.iter().find(|(f, _)| f.as_slice() == field_ptrs) {
                return p.clone();
            }
            let mut ptrs: Vec<&str> =
                vec!["/metadata/name", "/metadata/namespace", "/metadata/labels"];
            ptrs.extend_from_slice(field_ptrs);
            let p = std::rc::Rc::new(crate::pluck::Paths::new(&ptrs));
            known.push((field_ptrs.to_vec(), p.clone()));
            p
        });
        let mut vals = crate::pluck::pluck(&json, &paths, 3 + field_ptrs.len())
            .ok()?
            .into_iter();
        let s = |v: Option<Value>| {
            v.as_ref()
                .and_then(crate::meta::scalar_string)
                .unwrap_or_default()
        };
        let name = s(vals.next()?);
        let namespace = s(vals.next()?);
        let labels = match vals.next()? {
            Some(Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or("").to_string()))
                .collect(),
            _ => BTreeMap::new(),
        };
        let fields = vals.map(s).collect();
        Some(Arc::new(Obj {
            key,
            rv,
            json,
            name,
            namespace,
            labels,
            fields,
        }))
    }

    /// The same object stamped with another revision (a delete's).
    pub fn restamped(&self, rv: Revision) -> Arc<Obj> {
        let json = stamp(&self.json, rv).unwrap_or_else(|| self.json.clone());
        Arc::new(Obj {
            key: self.key.clone(),
            rv,
            json,
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            labels: self.labels.clone(),
            fields: self.fields.clone(),
        })
    }

    /// The full object (parsed on demand).
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }
}

/// Where the top-level `metadata` object's body starts (just after its `{`),
/// if the object is laid out as we store it: `metadata` among the first keys,
/// reached without entering any nested value.
fn metadata_body(json: &[u8]) -> Option<usize> {
    const KEY: &[u8] = b"\"metadata\":{";
    let p = json.windows(KEY.len()).position(|w| w == KEY)?;
    // the key must sit at depth 1, outside strings
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for &b in &json[..p] {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            _ => {}
        }
    }
    (depth == 1 && !in_str).then_some(p + KEY.len())
}

/// Set `metadata.resourceVersion` in JSON bytes by splicing: replace a
/// leading `"resourceVersion":"..."` or insert one. Falls back to a parse and
/// re-encode for JSON laid out differently.
pub fn stamp(json: &[u8], rv: Revision) -> Option<Bytes> {
    stamp_into(json, rv, false)
}

/// [`stamp`] for a reply body: with the trailing newline upstream's encoder writes, in the
/// same buffer (no second copy on the create path).
pub fn stamp_reply(json: &[u8], rv: Revision) -> Option<Bytes> {
    stamp_into(json, rv, true)
}

fn stamp_into(json: &[u8], rv: Revision, newline: bool) -> Option<Bytes> {
    const RVKEY: &[u8] = b"\"resourceVersion\":\"";
    if let Some(body) = metadata_body(json) {
        let rest = &json[body..];
        let mut out = Vec::with_capacity(json.len() + 32);
        out.extend_from_slice(&json[..body]);
        out.extend_from_slice(RVKEY);
        out.extend_from_slice(rv.to_string().as_bytes());
        out.push(b'"');
        let tail = if rest.starts_with(RVKEY) {
            let after = &rest[RVKEY.len()..];
            let end = after.iter().position(|b| *b == b'"')?;
            &after[end + 1..]
        } else {
            rest
        };
        if !tail.starts_with(b"}") && !tail.starts_with(b",") {
            out.push(b',');
        }
        out.extend_from_slice(tail);
        if newline {
            out.push(b'\n');
        }
        return Some(Bytes::from(out));
    }
    let mut v: Value = serde_json::from_slice(json).ok()?;
    crate::meta::set_meta(&mut v, "resourceVersion", None);
    let md = crate::meta::metadata_mut(&mut v);
    let mut m = serde_json::Map::new();
    m.insert("resourceVersion".into(), Value::String(rv.to_string()));
    m.extend(std::mem::take(md));
    *md = m;
    let mut out = serde_json::to_vec(&v).ok()?;
    if newline {
        out.push(b'\n');
    }
    Some(Bytes::from(out))
}

/// [`storage_layout`] without copying: reorders the object in place.
pub fn into_storage_layout(obj: Value) -> Value {
    let Value::Object(mut m) = obj else {
        return obj;
    };
    const FIRST: [&str; 3] = ["apiVersion", "kind", "metadata"];
    let in_order = FIRST
        .iter()
        .filter(|k| m.contains_key(**k))
        .zip(m.keys())
        .all(|(want, have)| *want == have);
    if in_order {
        // already in order (what clients send): no rebuild
        if let Some(md) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            md.shift_remove("resourceVersion");
        }
        return Value::Object(m);
    }
    let mut out = serde_json::Map::with_capacity(m.len());
    for k in ["apiVersion", "kind", "metadata"] {
        if let Some(v) = m.shift_remove(k) {
            out.insert(k.to_string(), v);
        }
    }
    out.extend(m);
    if let Some(md) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        md.shift_remove("resourceVersion");
    }
    Value::Object(out)
}

/// The layout the store keeps: `apiVersion`, `kind`, `metadata` first, and no
/// `resourceVersion` (the revision is the version).
pub fn storage_layout(obj: &Value) -> Value {
    let Some(m) = obj.as_object() else {
        return obj.clone();
    };
    let mut out = serde_json::Map::with_capacity(m.len());
    for k in ["apiVersion", "kind", "metadata"] {
        if let Some(v) = m.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    for (k, v) in m {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(md) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("resourceVersion");
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stamps_by_splicing() {
        let v = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"metadata":"x"}});
        let raw = serde_json::to_vec(&storage_layout(&v)).unwrap();
        let s = stamp(&raw, 42).unwrap();
        let back: Value = serde_json::from_slice(&s).unwrap();
        assert_eq!(back["metadata"]["resourceVersion"], "42");
        assert_eq!(back["metadata"]["name"], "a");
        let again: Value = serde_json::from_slice(&stamp(&s, 43).unwrap()).unwrap();
        assert_eq!(again["metadata"]["resourceVersion"], "43");
        assert_eq!(again["data"]["metadata"], "x");
    }

    #[test]
    fn in_place_layout_matches() {
        for v in [
            json!({"data":{"a":"b"},"kind":"ConfigMap","metadata":{"resourceVersion":"3","name":"a"},"apiVersion":"v1"}),
            // already in order (the no-rebuild path), with and without some leading keys
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"resourceVersion":"3","name":"a"},"data":{}}),
            json!({"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"3"},"data":{}}),
            json!({"apiVersion":"v1","metadata":{"name":"a"},"kind":"ConfigMap"}),
            json!({"data":{},"metadata":{"resourceVersion":"1"}}),
        ] {
            let inplace = into_storage_layout(v.clone());
            assert_eq!(
                serde_json::to_vec(&inplace).unwrap(),
                serde_json::to_vec(&storage_layout(&v)).unwrap(),
                "{v}"
            );
            assert!(inplace["metadata"].get("resourceVersion").is_none());
        }
    }

    #[test]
    fn empty_metadata_and_odd_layouts() {
        let s = stamp(br#"{"metadata":{}}"#, 7).unwrap();
        assert_eq!(&s[..], br#"{"metadata":{"resourceVersion":"7"}}"#);
        // a nested "metadata" before the top-level one: falls back to parsing
        let odd = br#"{"spec":{"template":{"metadata":{"labels":{}}}},"metadata":{"name":"d"}}"#;
        let v: Value = serde_json::from_slice(&stamp(odd, 9).unwrap()).unwrap();
        assert_eq!(v["metadata"]["resourceVersion"], "9");
        assert!(
            v["spec"]["template"]["metadata"]
                .get("resourceVersion")
                .is_none()
        );
        // a string containing the key does not fool the scanner
        let tricky = br#"{"kind":"\"metadata\":{","metadata":{"name":"q"}}"#;
        let v: Value = serde_json::from_slice(&stamp(tricky, 3).unwrap()).unwrap();
        assert_eq!(v["metadata"]["resourceVersion"], "3");
        assert_eq!(v["kind"], "\"metadata\":{");
    }

    #[test]
    fn index_fields() {
        let raw = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","labels":{"a":"b"}},"spec":{"nodeName":"x"}}"#;
        let o = Obj::decode(
            "/registry/pods/n/p".into(),
            raw,
            5,
            &["/spec/nodeName", "/status/phase"],
        )
        .unwrap();
        assert_eq!((o.name.as_str(), o.namespace.as_str()), ("p", "n"));
        assert_eq!(o.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(&*o.fields, &["x".to_string(), String::new()]);
        assert_eq!(o.value()["metadata"]["resourceVersion"], "5");
    }
}
