//! Server-side field validation (`fieldValidation=Strict|Warn|Ignore`):
//! find fields the built-in schema does not know, and drop them (upstream
//! decodes into typed structs, which drops them too).

use apimachinery::schema::{Definition, Schema, Type};
use serde_json::Value;

/// The `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Unknown or duplicate fields fail the request with 400.
    Strict,
    /// They are reported as `Warning` headers.
    Warn,
    /// They are dropped silently.
    Ignore,
}

impl FieldValidation {
    /// Parse the parameter; upstream's default is Warn.
    pub fn parse(v: Option<&str>) -> Result<Self, String> {
        match v.unwrap_or("") {
            "" | "Warn" => Ok(Self::Warn),
            "Strict" => Ok(Self::Strict),
            "Ignore" => Ok(Self::Ignore),
            other => Err(format!(
                "fieldValidation must be one of Ignore, Warn, Strict; got {other:?}"
            )),
        }
    }
}

/// Remove the fields of `obj` that `def` does not declare; return their paths
/// (`spec.replicaz`, `spec.template.spec.containers[0].imagez`).
pub fn prune_unknown(schema: &Schema, def: &Definition, obj: &mut Value) -> Vec<String> {
    let mut out = Vec::new();
    prune_def(schema, def, obj, "", &mut out);
    out
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

fn prune_def(schema: &Schema, def: &Definition, v: &mut Value, path: &str, out: &mut Vec<String>) {
    if def.ty != Type::Object {
        prune_type(schema, &def.ty, v, path, out);
        return;
    }
    let Some(map) = v.as_object_mut() else { return };
    let unknown: Vec<String> = map
        .keys()
        .filter(|k| def.property(k).is_none())
        .cloned()
        .collect();
    for k in unknown {
        map.remove(&k);
        out.push(join(path, &k));
    }
    for (k, child) in map.iter_mut() {
        if let Some(p) = def.property(k) {
            prune_type(schema, &p.ty, child, &join(path, k), out);
        }
    }
}

fn prune_type(schema: &Schema, ty: &Type, v: &mut Value, path: &str, out: &mut Vec<String>) {
    match ty {
        Type::Ref(n) => {
            if let Some(d) = schema.definition(n) {
                prune_def(schema, d, v, path, out);
            }
        }
        Type::Array(inner) => {
            if let Some(a) = v.as_array_mut() {
                for (i, e) in a.iter_mut().enumerate() {
                    prune_type(schema, inner, e, &format!("{path}[{i}]"), out);
                }
            }
        }
        Type::Map(inner) => {
            if let Some(m) = v.as_object_mut() {
                for (k, e) in m.iter_mut() {
                    prune_type(schema, inner, e, &format!("{path}[{k}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// Upstream's Strict error message for unknown and duplicate fields.
pub fn strict_error(unknown: &[String], duplicates: &[String]) -> String {
    let mut parts: Vec<String> = duplicates
        .iter()
        .map(|d| format!("duplicate field \"{d}\""))
        .collect();
    parts.extend(unknown.iter().map(|u| format!("unknown field \"{u}\"")));
    format!("strict decoding error: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use apimachinery::Gvk;
    use serde_json::json;

    #[test]
    fn finds_nested_unknown_fields() {
        let s = Schema::builtin();
        let d = s.for_gvk(&Gvk::new("apps", "v1", "Deployment")).unwrap();
        let mut obj = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","labels":{"a":"b"}},
            "spec":{"replicaz":3,"template":{"spec":{"containers":[{"name":"c","image":"i","imagez":1}]}}}});
        let u = prune_unknown(s, d, &mut obj);
        assert_eq!(
            u,
            vec![
                "spec.replicaz".to_string(),
                "spec.template.spec.containers[0].imagez".to_string()
            ]
        );
        assert!(obj["spec"].get("replicaz").is_none());
        assert_eq!(obj["metadata"]["labels"]["a"], "b");
        assert_eq!(
            strict_error(&u[..1], &[]),
            "strict decoding error: unknown field \"spec.replicaz\""
        );
    }

    #[test]
    fn keeps_free_form_fields() {
        let s = Schema::builtin();
        let d = s.for_gvk(&Gvk::new("", "v1", "ConfigMap")).unwrap();
        let mut obj = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"anything":"v"}});
        assert!(prune_unknown(s, d, &mut obj).is_empty());
    }
}
