//! YAML bodies (`application/yaml`, `application/apply-patch+yaml`) to JSON
//! values and back, with serde-saphyr. Like upstream (`sigs.k8s.io/yaml` over
//! goyaml v2), YAML 1.1 booleans (`yes`, `on`) are booleans.
//!
//! Memory bound: serde-saphyr's default parsing budget caps alias expansion, nodes and
//! depth, so a small document of nested aliases ("billion laughs") is an error, not
//! gigabytes (tested below).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

/// A YAML body that does not parse, or a value that does not serialize.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    /// Not valid YAML (or a key set twice, in strict mode).
    #[error("error converting YAML to JSON: {0}")]
    Decode(#[source] Box<serde_saphyr::Error>),
    /// The value cannot be written as YAML.
    #[error("error converting JSON to YAML: {0}")]
    Encode(#[source] serde_saphyr::SerializeError),
}

fn options(duplicates_are_errors: bool) -> serde_saphyr::Options {
    serde_saphyr::options! {
        duplicate_keys: if duplicates_are_errors {
            serde_saphyr::DuplicateKeyPolicy::Error
        } else {
            serde_saphyr::DuplicateKeyPolicy::LastWins
        },
        with_snippet: false,
    }
}

fn decode(bytes: &[u8], strict: bool) -> Result<Value, YamlError> {
    // An empty document is `null`, as upstream's YAMLToJSON gives for "".
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_saphyr::from_slice_with_options(bytes, options(strict))
        .map_err(|e| YamlError::Decode(Box::new(e)))
}

/// Parse one YAML document into a JSON value; a key set twice keeps the last value.
pub fn from_yaml(bytes: &[u8]) -> Result<Value, YamlError> {
    decode(bytes, false)
}

/// Parse one YAML document, failing on a key set twice in a mapping
/// (for `fieldValidation=Strict`).
pub fn from_yaml_strict(bytes: &[u8]) -> Result<Value, YamlError> {
    decode(bytes, true)
}

/// The keys a YAML document sets twice in a mapping, in the words of upstream's strict
/// YAML decoder (goyaml v2): `line 3: key "a" already set in map`, the line being the one
/// of the repeated key's value. Empty for a document without repeats.
pub fn duplicate_keys(bytes: &[u8]) -> Result<Vec<String>, YamlError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    serde_saphyr::from_slice_with_options::<DupScan>(bytes, options(false))
        .map(|d| d.0)
        .map_err(|e| YamlError::Decode(Box::new(e)))
}

/// A YAML node reduced to the repeated keys found in it.
struct DupScan(Vec<String>);

/// A mapping key as goyaml prints it with `%#v`: strings quoted, other scalars bare.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(KeyText(match &v {
            Value::String(s) => crate::gofmt::go_quote(s),
            other => other.to_string(),
        }))
    }
}

impl<'de> Deserialize<'de> for DupScan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DupVisitor)
    }
}

struct DupVisitor;

impl<'de> Visitor<'de> for DupVisitor {
    type Value = DupScan;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DupScan, A::Error> {
        let mut seen: Vec<String> = Vec::new();
        let mut found = Vec::new();
        while let Some(KeyText(k)) = map.next_key()? {
            let v: Spanned<DupScan> = map.next_value()?;
            if seen.contains(&k) {
                found.push(format!(
                    "line {}: key {k} already set in map",
                    v.referenced.line()
                ));
            } else {
                seen.push(k);
            }
            found.extend(v.value.0);
        }
        Ok(DupScan(found))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DupScan, A::Error> {
        let mut found = Vec::new();
        while let Some(DupScan(d)) = seq.next_element()? {
            found.extend(d);
        }
        Ok(DupScan(found))
    }

    fn visit_bool<E>(self, _: bool) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_i64<E>(self, _: i64) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_u64<E>(self, _: u64) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_i128<E>(self, _: i128) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_u128<E>(self, _: u128) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_f64<E>(self, _: f64) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_str<E>(self, _: &str) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_unit<E>(self) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_none<E>(self) -> Result<DupScan, E> {
        Ok(DupScan(Vec::new()))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<DupScan, D::Error> {
        DupScan::deserialize(d)
    }
}

/// Render a JSON value as a YAML document (for `Accept: application/yaml`).
pub fn to_yaml(value: &Value) -> Result<String, YamlError> {
    serde_saphyr::to_string(value).map_err(YamlError::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_manifests() {
        let v = from_yaml(
            b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\n  labels: {app: nginx}\nspec:\n  replicas: 3\n  paused: false\n  template:\n    spec:\n      containers:\n      - name: c\n        image: \"nginx:1.27\"\n        args: ['1', '2.5']\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
                "spec": {"replicas": 3, "paused": false, "template": {"spec": {"containers": [
                    {"name": "c", "image": "nginx:1.27", "args": ["1", "2.5"]}]}}}})
        );
        // JSON is YAML (apply-patch+yaml bodies from kubectl are JSON text).
        let j = br#"{"a": [1, 2.5, null, true], "b": {"c": "d"}}"#;
        assert_eq!(
            from_yaml(j).unwrap(),
            serde_json::from_slice::<Value>(j).unwrap()
        );
        assert_eq!(from_yaml(b"").unwrap(), Value::Null);
    }

    #[test]
    fn alias_bombs_are_refused() {
        // "billion laughs": nine levels of ten aliases each
        let mut doc = String::from("a0: &a0 [\"lol\"]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            doc.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let t = std::time::Instant::now();
        assert!(from_yaml(doc.as_bytes()).is_err());
        let _ = duplicate_keys(doc.as_bytes());
        assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
    }

    #[test]
    fn duplicates() {
        assert_eq!(from_yaml(b"a: 1\na: 2\n").unwrap(), json!({"a": 2}));
        assert!(from_yaml_strict(b"a: 1\na: 2\n").is_err());
        assert!(from_yaml(b"a: [1\n").is_err());
        assert_eq!(
            duplicate_keys(b"a: 1\nb: 2\n").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            duplicate_keys(b"a: 1\nb:\n  c: 1\n  c: 2\na: 3\nl:\n- x: 1\n  x: 2\n").unwrap(),
            vec![
                "line 4: key \"c\" already set in map".to_string(),
                "line 5: key \"a\" already set in map".to_string(),
                "line 8: key \"x\" already set in map".to_string(),
            ]
        );
    }

    #[test]
    fn roundtrips_through_yaml() {
        let v = json!({"kind": "ConfigMap", "data": {"n": "1", "t": "true", "e": "", "m": "a: b\nc", "y": "yes", "null": "null"},
            "list": [{"x": 1}, [], {}], "f": 1.5, "neg": -3, "big": 9007199254740993u64, "b": false, "z": null});
        let y = to_yaml(&v).unwrap();
        assert_eq!(from_yaml(y.as_bytes()).unwrap(), v, "{y}");
    }
}
