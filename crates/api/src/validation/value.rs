//! Small typed accessors over `serde_json::Value` objects, so strategies and
//! printers read `spec.replicas` without decoding whole typed structs.

use serde_json::{Map, Value};

/// The value at a path of object keys.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.as_object()?.get(*k)?;
    }
    Some(cur)
}

/// The string at a path ("" if absent or not a string).
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

/// The integer at a path.
pub fn i64_at(v: &Value, path: &[&str]) -> Option<i64> {
    get(v, path).and_then(Value::as_i64)
}

/// The bool at a path.
pub fn bool_at(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path).and_then(Value::as_bool)
}

/// The array at a path (empty if absent).
pub fn arr_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The object at a path, if any.
pub fn obj_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    get(v, path).and_then(Value::as_object)
}

/// True if the value is absent, null, `""`, `0`, `false`, `[]` or `{}` (Go's zero values,
/// which an `omitempty` field would not serialize).
pub fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::Bool(b)) => !b,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
    }
}

/// The mutable object at `key` of `v`, created (or replaced if not an object) as needed.
/// `v` itself is turned into an object if it is not one.
pub fn obj_mut<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    let m = v.as_object_mut().expect("object");
    let e = m
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !e.is_object() {
        *e = Value::Object(Map::new());
    }
    e.as_object_mut().expect("object")
}

/// The mutable value at a path of object keys, if it exists.
pub fn get_mut<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = v;
    for k in path {
        cur = cur.as_object_mut()?.get_mut(*k)?;
    }
    Some(cur)
}

/// Set `key` to `val` if it is absent, null or Go's zero value for its type
/// (defaulting of non-pointer fields treats `0`/`""` as unset, as upstream does).
pub fn default_zero(m: &mut Map<String, Value>, key: &str, val: Value) {
    if is_empty(m.get(key)) {
        m.insert(key.to_string(), val);
    }
}

/// Set `key` to `val` only if it is absent or null (pointer fields: an explicit `0`
/// or `false` from the client stays).
pub fn default_nil(m: &mut Map<String, Value>, key: &str, val: Value) {
    if matches!(m.get(key), None | Some(Value::Null)) {
        m.insert(key.to_string(), val);
    }
}

/// Call `f` on every object element of the array at `key`.
pub fn for_each_obj(m: &mut Map<String, Value>, key: &str, mut f: impl FnMut(&mut Value)) {
    if let Some(Value::Array(a)) = m.get_mut(key) {
        for item in a.iter_mut().filter(|i| i.is_object()) {
            f(item);
        }
    }
}

/// Render a string map the way Go's `%#v` prints a `map[string]string`
/// (upstream error messages show label maps like this): keys sorted.
pub fn go_string_map(m: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<(&String, String)> = m
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    if m.is_none() {
        return "map[string]string(nil)".to_string();
    }
    pairs.sort();
    let body = pairs
        .iter()
        .map(|(k, v)| format!("{k:?}:{v:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("map[string]string{{{body}}}")
}

/// `k1=v1,k2=v2` with keys sorted (`labels.Set.String()` / `FormatLabels`), `<none>` if empty.
pub fn format_labels(m: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<String> = m
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    if pairs.is_empty() {
        return "<none>".to_string();
    }
    pairs.sort();
    pairs.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors_and_defaults() {
        let mut v = json!({"spec": {"replicas": 0, "paused": false}});
        assert_eq!(i64_at(&v, &["spec", "replicas"]), Some(0));
        assert_eq!(str_at(&v, &["spec", "nope"]), "");
        let spec = obj_mut(&mut v, "spec");
        default_nil(spec, "replicas", json!(1));
        default_zero(spec, "paused", json!(true));
        default_nil(spec, "x", json!("y"));
        assert_eq!(
            v,
            json!({"spec": {"replicas": 0, "paused": true, "x": "y"}})
        );
    }

    #[test]
    fn go_map_rendering() {
        let m = json!({"b": "2", "a": "1"});
        assert_eq!(
            go_string_map(m.as_object()),
            r#"map[string]string{"a":"1", "b":"2"}"#
        );
        assert_eq!(format_labels(m.as_object()), "a=1,b=2");
        assert_eq!(format_labels(None), "<none>");
    }
}
