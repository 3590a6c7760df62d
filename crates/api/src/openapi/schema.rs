//! Conversion of the embedded JSON-Schema-2020-12 definitions (`$defs`) to the
//! dialects the OpenAPI documents speak, and the closure of `$ref`s reachable
//! from a set of definitions.
//!
//! The embedded data comes from kubernetes-validate, which differs from what
//! kube-apiserver publishes in a few mechanical ways that are undone here:
//! optional fields are typed `["T","null"]` (upstream: `T`), `apiVersion` and
//! `kind` carry an `enum` (upstream: none), and IntOrString/Quantity are bare
//! `oneOf`s without description or format.

use std::collections::{BTreeSet, VecDeque};

use apimachinery::Schema;
use serde_json::{Map, Value, json};

/// The IntOrString definition name.
pub const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
/// The Quantity definition name.
pub const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

const INT_OR_STRING_DESC: &str = "IntOrString holds either an int32 or a string. \
    In JSON and YAML it is written as the inner value, so a field of this type \
    accepts a number or a name (for example a port number or a port name).";
const QUANTITY_DESC: &str = "Quantity is a fixed-point number written as a string \
    with an optional suffix: a binary SI suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal \
    SI suffix (n, u, m, \"\", k, M, G, T, P, E) or a decimal exponent (e3, E6). \
    Examples: \"100m\" (0.1), \"128Mi\", \"1.5\", \"2e3\". A plain JSON number is \
    also accepted.";

/// The OpenAPI dialect to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Swagger 2.0 (`/openapi/v2`): `#/definitions/`, `$ref` keeps its siblings.
    V2,
    /// OpenAPI 3.0 (`/openapi/v3/...`): `#/components/schemas/`, a `$ref` with
    /// siblings is wrapped in `allOf` (what kube-openapi emits).
    V3,
}

impl Dialect {
    /// The `$ref` prefix of a definition.
    pub fn ref_prefix(self) -> &'static str {
        match self {
            Dialect::V2 => "#/definitions/",
            Dialect::V3 => "#/components/schemas/",
        }
    }
    /// A reference to a definition.
    pub fn reference(self, name: &str) -> Value {
        json!({"$ref": format!("{}{name}", self.ref_prefix())})
    }
}

/// Convert the definition `name` (`raw` is its 2020-12 form).
pub fn convert_definition(name: &str, raw: &Value, d: Dialect) -> Value {
    match name {
        INT_OR_STRING => match d {
            Dialect::V2 => json!({
                "description": INT_OR_STRING_DESC,
                "type": "string",
                "format": "int-or-string",
            }),
            Dialect::V3 => json!({
                "description": INT_OR_STRING_DESC,
                "format": "int-or-string",
                "oneOf": [{"type": "integer"}, {"type": "string"}],
            }),
        },
        QUANTITY => match d {
            Dialect::V2 => json!({"description": QUANTITY_DESC, "type": "string"}),
            Dialect::V3 => json!({
                "description": QUANTITY_DESC,
                "oneOf": [{"type": "string"}, {"type": "number"}],
            }),
        },
        _ => convert(raw, d),
    }
}

/// Convert one schema node (recursively).
pub fn convert(v: &Value, d: Dialect) -> Value {
    let Some(obj) = v.as_object() else {
        return v.clone();
    };
    let mut out = Map::new();
    let mut reference = None;
    for (k, x) in obj {
        match k.as_str() {
            "$ref" => {
                let target = x.as_str().unwrap_or_default();
                let name = target.rsplit('/').next().unwrap_or(target);
                reference = Some(format!("{}{name}", d.ref_prefix()));
            }
            "type" => {
                if let Some(t) = single_type(x) {
                    out.insert("type".into(), t.into());
                }
            }
            "properties" => {
                let props: Map<String, Value> = x
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(pk, pv)| {
                                let mut c = convert(pv, d);
                                // kubernetes-validate's addition; upstream has no enum here.
                                if (pk == "apiVersion" || pk == "kind")
                                    && let Some(o) = c.as_object_mut()
                                {
                                    o.remove("enum");
                                }
                                (pk.clone(), c)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert("properties".into(), Value::Object(props));
            }
            "items" | "additionalProperties" if x.is_object() => {
                out.insert(k.clone(), convert(x, d));
            }
            "oneOf" | "anyOf" | "allOf" => match d {
                Dialect::V3 => {
                    let arr = x
                        .as_array()
                        .map(|a| a.iter().map(|s| convert(s, d)).collect())
                        .unwrap_or_default();
                    out.insert(k.clone(), Value::Array(arr));
                }
                // Swagger 2.0 has no oneOf/anyOf: leave the value untyped.
                Dialect::V2 => {}
            },
            "enum" => {
                let vals: Vec<Value> = x
                    .as_array()
                    .map(|a| a.iter().filter(|e| !e.is_null()).cloned().collect())
                    .unwrap_or_default();
                out.insert("enum".into(), Value::Array(vals));
            }
            "$schema" | "$id" | "nullable" => {}
            _ => {
                out.insert(k.clone(), x.clone());
            }
        }
    }
    match reference {
        None => Value::Object(out),
        Some(r) if out.is_empty() => json!({"$ref": r}),
        Some(r) => match d {
            Dialect::V2 => {
                let mut m = Map::new();
                m.insert("$ref".into(), r.into());
                m.append(&mut out);
                Value::Object(m)
            }
            Dialect::V3 => {
                let mut m = Map::new();
                m.insert("allOf".into(), json!([{"$ref": r}]));
                m.append(&mut out);
                Value::Object(m)
            }
        },
    }
}

/// `"string"` or `["string","null"]` → `"string"`.
fn single_type(t: &Value) -> Option<&str> {
    match t {
        Value::String(s) => Some(s),
        Value::Array(a) => a.iter().filter_map(Value::as_str).find(|s| *s != "null"),
        _ => None,
    }
}

/// Every definition name referenced (directly or not) from a raw 2020-12 node.
fn refs_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.push(s.rsplit('/').next().unwrap_or(s).to_string());
                    }
                } else {
                    refs_in(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs_in(x, out)),
        _ => {}
    }
}

/// The names of `roots` and of every definition reachable from them, sorted.
/// Unknown names are skipped.
pub fn closure<'a>(schema: &Schema, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let raw = schema.raw_definitions();
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = roots.into_iter().map(str::to_string).collect();
    while let Some(n) = queue.pop_front() {
        if seen.contains(&n) {
            continue;
        }
        let Some(def) = raw.get(&n) else { continue };
        let mut refs = Vec::new();
        refs_in(def, &mut refs);
        seen.insert(n);
        queue.extend(refs.into_iter().filter(|r| !seen.contains(r)));
    }
    seen
}

/// The converted definitions named in `names`, as a JSON object.
pub fn definitions(schema: &Schema, names: &BTreeSet<String>, d: Dialect) -> Map<String, Value> {
    let raw = schema.raw_definitions();
    names
        .iter()
        .filter_map(|n| raw.get(n).map(|v| (n.clone(), convert_definition(n, v, d))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_wraps_described_refs_in_all_of_and_drops_null() {
        let raw = json!({
            "description": "x",
            "properties": {
                "apiVersion": {"type": ["string", "null"], "enum": ["apps/v1"]},
                "spec": {"$ref": "#/$defs/io.k8s.api.apps.v1.DeploymentSpec", "description": "s"},
                "items": {"type": ["array", "null"], "items": {"$ref": "#/$defs/A"}},
                "labels": {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}},
            },
            "type": ["object", "null"],
            "x-kubernetes-group-version-kind": [{"group": "apps", "kind": "Deployment", "version": "v1"}],
        });
        let c = convert(&raw, Dialect::V3);
        assert_eq!(c["type"], "object");
        assert_eq!(c["properties"]["apiVersion"], json!({"type": "string"}));
        assert_eq!(
            c["properties"]["spec"],
            json!({"allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}], "description": "s"})
        );
        assert_eq!(
            c["properties"]["items"]["items"],
            json!({"$ref": "#/components/schemas/A"})
        );
        assert_eq!(
            c["properties"]["labels"]["additionalProperties"],
            json!({"type": "string"})
        );
        assert_eq!(
            c["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment"
        );

        let c2 = convert(&raw, Dialect::V2);
        assert_eq!(
            c2["properties"]["spec"],
            json!({"$ref": "#/definitions/io.k8s.api.apps.v1.DeploymentSpec", "description": "s"})
        );
    }

    #[test]
    fn int_or_string_and_quantity() {
        let s = Schema::builtin();
        let raw = &s.raw_definitions()[INT_OR_STRING];
        let v3 = convert_definition(INT_OR_STRING, raw, Dialect::V3);
        assert_eq!(v3["format"], "int-or-string");
        assert_eq!(
            v3["oneOf"],
            json!([{"type": "integer"}, {"type": "string"}])
        );
        let v2 = convert_definition(INT_OR_STRING, raw, Dialect::V2);
        assert_eq!(v2["type"], "string");
        assert_eq!(v2["format"], "int-or-string");
        let q = convert_definition(QUANTITY, &s.raw_definitions()[QUANTITY], Dialect::V2);
        assert_eq!(q["type"], "string");
    }

    #[test]
    fn closure_reaches_meta_types() {
        let s = Schema::builtin();
        let c = closure(s, ["io.k8s.api.apps.v1.Deployment"]);
        for n in [
            "io.k8s.api.apps.v1.DeploymentStrategy",
            "io.k8s.api.core.v1.Container",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
            INT_OR_STRING,
            QUANTITY,
        ] {
            assert!(c.contains(n), "{n}");
        }
        assert!(!c.contains("io.k8s.api.batch.v1.Job"));
    }
}
