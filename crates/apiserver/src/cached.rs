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

/// Walk `json` from depth `depth`, outside strings, calling `at(offset, depth after the
/// byte)` for each structural byte until it returns true; the offset where it did.
fn scan(json: &[u8], mut depth: i32, mut at: impl FnMut(usize, i32) -> bool) -> Option<usize> {
    let (mut in_str, mut esc) = (false, false);
    for (i, &b) in json.iter().enumerate() {
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
            _ => continue,
        }
        if at(i, depth) {
            return Some(i);
        }
    }
    None
}

/// Where the top-level `metadata` object's body starts (just after its `{`),
/// if the object is laid out as we store it: `metadata` among the first keys,
/// reached without entering any nested value.
fn metadata_body(json: &[u8]) -> Option<usize> {
    const KEY: &[u8] = b"\"metadata\":{";
    let p = json.windows(KEY.len()).position(|w| w == KEY)?;
    // the key must sit at depth 1, outside strings: a key's quote opens a string, so
    // the walk up to it must end outside one at depth 1
    let mut depth = 0;
    let stopped = scan(&json[..p], 0, |_, d| {
        depth = d;
        false
    });
    let outside = stopped.is_none() && json[..p].last().is_none_or(|b| matches!(b, b'{' | b','));
    (depth == 1 && outside).then_some(p + KEY.len())
}

/// The top-level `metadata` object of `json` as it is laid out (from its `{` to its `}`).
fn metadata_span(json: &[u8]) -> Option<&[u8]> {
    let body = metadata_body(json)?;
    let end = scan(&json[body..], 1, |_, d| d == 0)?;
    Some(&json[body - 1..body + end + 1])
}

/// The object as a `PartialObjectMetadata` of `api_version` (`meta.k8s.io/v1`): its
/// metadata bytes as they are, in a new envelope (a metadata-only read copies no more).
pub fn partial_metadata(json: &[u8], api_version: &str) -> Vec<u8> {
    const HEAD: &[u8] = b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"";
    let md: std::borrow::Cow<'_, [u8]> = match metadata_span(json) {
        Some(md) => md.into(),
        None => {
            let v: Value = serde_json::from_slice(json).unwrap_or_default();
            let md = v
                .get("metadata")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({}));
            apimachinery::codec::order::to_vec(&md, false)
                .unwrap_or_default()
                .into()
        }
    };
    let mut out = Vec::with_capacity(HEAD.len() + api_version.len() + md.len() + 16);
    out.extend_from_slice(HEAD);
    out.extend_from_slice(api_version.as_bytes());
    out.extend_from_slice(b"\",\"metadata\":");
    out.extend_from_slice(&md);
    out.push(b'}');
    out
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
        // resourceVersion goes where ObjectMeta declares it: after the identity fields
        let (at, after_field) = rv_position(json, body)?;
        let rest = &json[at..];
        let mut out = Vec::with_capacity(json.len() + 32);
        out.extend_from_slice(&json[..at]);
        if after_field {
            out.push(b',');
        }
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
    // laid out some other way (or without metadata): lay it out as stored, then splice
    let mut v: Value = serde_json::from_slice(json).ok()?;
    crate::meta::metadata_mut(&mut v);
    let laid_out = storage_bytes(&v).ok()?;
    metadata_body(&laid_out)?;
    stamp_into(&laid_out, rv, newline)
}

/// The ObjectMeta fields declared before `resourceVersion`.
const BEFORE_RV: [&[u8]; 5] = [b"name", b"generateName", b"namespace", b"selfLink", b"uid"];

/// Where `resourceVersion` belongs in the metadata object whose body starts at `body`:
/// past the leading fields declared before it (string values). Returns the offset and
/// whether it follows a field with no comma after it (the metadata ends there).
fn rv_position(json: &[u8], body: usize) -> Option<(usize, bool)> {
    let mut p = body;
    let mut after_field = false;
    loop {
        if json.get(p) != Some(&b'"') {
            return Some((p, after_field));
        }
        let key_end = string_end(json, p)?;
        let key = &json[p + 1..key_end - 1];
        if !BEFORE_RV.contains(&key) || json.get(key_end) != Some(&b':') {
            return Some((p, after_field));
        }
        let v = key_end + 1;
        if json.get(v) != Some(&b'"') {
            return Some((p, after_field));
        }
        let v_end = string_end(json, v)?;
        match json.get(v_end) {
            Some(b',') => {
                p = v_end + 1;
                after_field = false;
            }
            _ => return Some((v_end, true)),
        }
    }
}

/// The offset just past the JSON string starting at `start` (its opening quote).
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let mut esc = false;
    for (i, &b) in json.get(start + 1..)?.iter().enumerate() {
        match (esc, b) {
            (true, _) => esc = false,
            (false, b'\\') => esc = true,
            (false, b'"') => return Some(start + 2 + i),
            _ => {}
        }
    }
    None
}

/// The bytes the store keeps: the object in upstream's field order (`kind`, `apiVersion`,
/// `metadata`, then the kind's fields in Go declaration order; see
/// `apimachinery::codec::order`), without `resourceVersion` (the revision is the version;
/// [`stamp`] puts it back in its place).
pub fn storage_bytes(obj: &Value) -> serde_json::Result<Vec<u8>> {
    apimachinery::codec::order::to_vec(obj, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stamps_by_splicing() {
        let v = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"metadata":"x"}});
        let raw = storage_bytes(&v).unwrap();
        let s = stamp(&raw, 42).unwrap();
        let back: Value = serde_json::from_slice(&s).unwrap();
        assert_eq!(back["metadata"]["resourceVersion"], "42");
        assert_eq!(back["metadata"]["name"], "a");
        let again: Value = serde_json::from_slice(&stamp(&s, 43).unwrap()).unwrap();
        assert_eq!(again["metadata"]["resourceVersion"], "43");
        assert_eq!(again["data"]["metadata"], "x");
    }

    #[test]
    fn layout_is_upstreams_order() {
        let v = json!({"data":{"z":"1","a":"b"},"kind":"ConfigMap","metadata":{"resourceVersion":"3","uid":"u","name":"a"},"apiVersion":"v1"});
        let raw = storage_bytes(&v).unwrap();
        assert_eq!(
            std::str::from_utf8(&raw).unwrap(),
            r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","uid":"u"},"data":{"a":"b","z":"1"}}"#
        );
        // resourceVersion is stamped where ObjectMeta declares it
        let s = stamp_reply(&raw, 9).unwrap();
        assert_eq!(
            std::str::from_utf8(&s).unwrap(),
            "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"uid\":\"u\",\"resourceVersion\":\"9\"},\"data\":{\"a\":\"b\",\"z\":\"1\"}}\n"
        );
        // and replaced there on a restamp
        let again = stamp(&s[..s.len() - 1], 10).unwrap();
        let want = std::str::from_utf8(&s[..s.len() - 1])
            .unwrap()
            .replace("\"9\"", "\"10\"");
        assert_eq!(std::str::from_utf8(&again).unwrap(), want);
    }

    #[test]
    fn partial_metadata_keeps_the_metadata_bytes() {
        let raw = br#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","labels":{"x":"}{\""},"annotations":{"a":"[{"}},"data":{"metadata":"x"}}"#;
        assert_eq!(
            std::str::from_utf8(&partial_metadata(raw, "meta.k8s.io/v1")).unwrap(),
            r#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"a","labels":{"x":"}{\""},"annotations":{"a":"[{"}}}"#
        );
        // laid out some other way: parsed
        let odd = br#"{"spec":{"metadata":{}},"metadata":{"name":"b"}}"#;
        assert_eq!(
            std::str::from_utf8(&partial_metadata(odd, "meta.k8s.io/v1beta1")).unwrap(),
            r#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1beta1","metadata":{"name":"b"}}"#
        );
    }

    #[test]
    fn rv_position_cases() {
        for (raw, want) in [
            (
                r#"{"metadata":{}}"#,
                r#"{"metadata":{"resourceVersion":"7"}}"#,
            ),
            (
                r#"{"metadata":{"name":"a"}}"#,
                r#"{"metadata":{"name":"a","resourceVersion":"7"}}"#,
            ),
            (
                r#"{"metadata":{"name":"a\"b","namespace":"n","generation":2}}"#,
                r#"{"metadata":{"name":"a\"b","namespace":"n","resourceVersion":"7","generation":2}}"#,
            ),
            (
                r#"{"metadata":{"labels":{"name":"x"}}}"#,
                r#"{"metadata":{"resourceVersion":"7","labels":{"name":"x"}}}"#,
            ),
            (
                r#"{"metadata":{"uid":"u","resourceVersion":"1","labels":{}}}"#,
                r#"{"metadata":{"uid":"u","resourceVersion":"7","labels":{}}}"#,
            ),
        ] {
            assert_eq!(
                std::str::from_utf8(&stamp(raw.as_bytes(), 7).unwrap()).unwrap(),
                want
            );
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
