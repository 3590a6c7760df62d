//! Small accessors for `metadata` of objects held as `serde_json::Value`.

use serde_json::{Map, Value};

/// `metadata.<field>`: two map lookups, where `Value::pointer` would split and unescape
/// its path on every call (these run several times per request).
pub fn meta_field<'a>(obj: &'a Value, field: &str) -> Option<&'a Value> {
    obj.get("metadata")?.get(field)
}

/// `metadata.name` (empty if unset).
pub fn name(obj: &Value) -> &str {
    meta_field(obj, "name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace` (empty if unset).
pub fn namespace(obj: &Value) -> &str {
    meta_field(obj, "namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.resourceVersion` (empty if unset).
pub fn resource_version(obj: &Value) -> &str {
    meta_field(obj, "resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.uid` (empty if unset).
pub fn uid(obj: &Value) -> &str {
    meta_field(obj, "uid").and_then(Value::as_str).unwrap_or("")
}

/// The `metadata` map, created if missing (and replacing a non-object).
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let m = obj.as_object_mut().expect("object");
    let md = m
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    md.as_object_mut().expect("object")
}

/// Set (or with `None`, remove) a metadata field.
pub fn set_meta(obj: &mut Value, field: &str, v: Option<Value>) {
    let md = metadata_mut(obj);
    match v {
        Some(v) => {
            md.insert(field.to_string(), v);
        }
        None => {
            md.remove(field);
        }
    }
}

/// Set `metadata.resourceVersion` as the first metadata field (where the
/// watch cache splices it), so a reply is byte-identical to later reads.
pub fn set_resource_version(obj: &mut Value, rv: i64) {
    let md = metadata_mut(obj);
    md.remove("resourceVersion");
    let mut m = Map::with_capacity(md.len() + 1);
    m.insert("resourceVersion".into(), Value::String(rv.to_string()));
    m.extend(std::mem::take(md));
    *md = m;
}

/// The labels as a map (empty if none).
pub fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    meta_field(obj, "labels").and_then(Value::as_object)
}

/// `metadata.finalizers`.
pub fn finalizers(obj: &Value) -> Vec<String> {
    meta_field(obj, "finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// True if `metadata.deletionTimestamp` is set.
pub fn is_terminating(obj: &Value) -> bool {
    meta_field(obj, "deletionTimestamp").is_some_and(|v| !v.is_null())
}

/// Now, as upstream's RFC 3339 second-precision UTC timestamp.
pub fn now_rfc3339() -> String {
    // Formatting is costly next to the rest of a create; the text changes once a second.
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let now = chrono::Utc::now();
    let secs = now.timestamp();
    LAST.with_borrow_mut(|(at, text)| {
        if *at != secs {
            *at = secs;
            *text = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        }
        text.clone()
    })
}

/// The storage key of an object: `<prefix><namespace>/<name>` or `<prefix><name>`.
pub fn key(prefix: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{prefix}{name}")
    } else {
        format!("{prefix}{namespace}/{name}")
    }
}

/// A value's string form for field selectors (`true`, `42`, `Running`).
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}
