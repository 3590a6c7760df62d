//! The upstream v1.37 type schema of every built-in kind, loaded from the
//! definitions shipped in `data/definitions-v1.37.0.json` (extracted from the
//! PyPI package kubernetes-validate 1.37.0; see `scripts/update-schema.sh`).
//!
//! It drives everything that needs to know the shape of a built-in type:
//! strict field validation and pruning of unknown fields, strategic merge
//! patch (merge keys and strategies), server-side apply (list types), the
//! protobuf decoder (JSON field names), and the OpenAPI documents.
//! This module only reads the data; it does no IO.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

/// The raw definitions document (JSON Schema 2020-12 with `$defs`).
pub const DEFINITIONS_JSON: &str = include_str!("../data/definitions-v1.37.0.json");

/// A group/version/kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gvk {
    /// API group, empty for core.
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
}

impl Gvk {
    /// Build a GVK.
    pub fn new(group: &str, version: &str, kind: &str) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        }
    }
    /// `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// The shape of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// A named definition, e.g. `io.k8s.api.core.v1.PodSpec`.
    Ref(String),
    /// An object with known properties (an inline object has no name).
    Object,
    /// A map from string to values of the inner type (`additionalProperties`).
    Map(Box<Type>),
    /// A list of the inner type.
    Array(Box<Type>),
    /// A string (the `format`, if any, e.g. `date-time`, `byte`, `int-or-string`).
    String(Option<String>),
    /// An integer (the `format`: `int32` or `int64`).
    Integer(Option<String>),
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// A string or an integer (IntOrString) or a string or number (Quantity): any scalar.
    Scalar,
    /// Anything (RawExtension, JSON, FieldsV1).
    Any,
}

/// A property of an object definition, with upstream's list/patch extensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The property's type.
    pub ty: Type,
    /// Its description.
    pub description: String,
    /// `x-kubernetes-patch-strategy` (e.g. `merge`, `retainKeys`, `merge,retainKeys`).
    pub patch_strategy: Option<String>,
    /// `x-kubernetes-patch-merge-key`.
    pub patch_merge_key: Option<String>,
    /// `x-kubernetes-list-type` (`atomic`, `set`, `map`).
    pub list_type: Option<String>,
    /// `x-kubernetes-list-map-keys`.
    pub list_map_keys: Vec<String>,
    /// `x-kubernetes-map-type` (`atomic`, `granular`).
    pub map_type: Option<String>,
    /// The enum values, if the schema lists them.
    pub enum_values: Vec<String>,
}

impl Property {
    /// True when the strategic merge patch strategy includes `merge`.
    pub fn merges(&self) -> bool {
        self.patch_strategy
            .as_deref()
            .is_some_and(|s| s.split(',').any(|x| x == "merge"))
    }
    /// True when the strategic merge patch strategy includes `retainKeys`.
    pub fn retains_keys(&self) -> bool {
        self.patch_strategy
            .as_deref()
            .is_some_and(|s| s.split(',').any(|x| x == "retainKeys"))
    }
}

/// A named definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// Its full name, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The shape, `Type::Object` for structs.
    pub ty: Type,
    /// Properties of an object type, in the schema's order (for the built-in schema: Go
    /// declaration order, the order upstream writes them; see `codec::order`).
    pub properties: Vec<(String, Property)>,
    /// Required property names.
    pub required: Vec<String>,
    /// The kinds this definition is the top-level type of.
    pub gvks: Vec<Gvk>,
    /// `x-kubernetes-map-type` (`atomic` or `granular`), if set.
    pub map_type: Option<String>,
}

impl Definition {
    /// The property with this JSON name.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }
}

/// All definitions, indexed by name and by GVK.
#[derive(Debug, Default)]
pub struct Schema {
    defs: HashMap<String, Arc<Definition>>,
    by_gvk: HashMap<Gvk, String>,
    /// apiVersion -> kind -> definition (looked up with borrowed strings, on every write).
    by_api_version: HashMap<String, HashMap<String, Arc<Definition>>>,
    raw: Map<String, Value>,
}

impl Schema {
    /// Parse a `$defs` document.
    pub fn parse(doc: &Value) -> Result<Self, String> {
        let raw = doc
            .get("$defs")
            .or_else(|| doc.get("definitions"))
            .and_then(Value::as_object)
            .ok_or("no $defs in the schema document")?
            .clone();
        let mut defs = HashMap::with_capacity(raw.len());
        let mut by_gvk = HashMap::new();
        for (name, v) in &raw {
            let d = parse_definition(name, v);
            for g in &d.gvks {
                // Several definitions can claim a GVK (e.g. DeleteOptions, WatchEvent
                // in every group): the GVK index keeps the one from the kind's own package.
                let own = name.ends_with(&format!(".{}", g.kind));
                if own || !by_gvk.contains_key(g) {
                    by_gvk.insert(g.clone(), name.clone());
                }
            }
            defs.insert(name.clone(), Arc::new(d));
        }
        let mut s = Self {
            defs,
            by_gvk,
            raw,
            by_api_version: HashMap::new(),
        };
        s.index_api_versions();
        Ok(s)
    }

    /// The embedded upstream v1.37 schema (parsed once).
    pub fn builtin() -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            let doc: Value =
                serde_json::from_str(DEFINITIONS_JSON).expect("embedded schema is valid JSON");
            let mut s = Schema::parse(&doc).expect("embedded schema parses");
            // built-in objects are written in Go declaration order (the index holds the
            // definitions' other references: dropped while they are sorted)
            s.by_api_version.clear();
            let mut defs: Vec<&mut Definition> =
                s.defs.values_mut().filter_map(Arc::get_mut).collect();
            crate::codec::order::sort_properties(&mut defs);
            s.index_api_versions();
            s
        })
    }

    /// The definition with this name.
    pub fn definition(&self, name: &str) -> Option<&Definition> {
        self.defs.get(name).map(|d| d.as_ref())
    }

    /// The top-level definition of a kind.
    pub fn for_gvk(&self, gvk: &Gvk) -> Option<&Definition> {
        self.by_gvk.get(gvk).and_then(|n| self.definition(n))
    }

    /// The top-level definition of a kind by its `apiVersion` (`apps/v1`, `v1`) and kind,
    /// without allocating.
    pub fn for_api_version_kind(&self, api_version: &str, kind: &str) -> Option<&Definition> {
        self.by_api_version
            .get(api_version)
            .and_then(|k| k.get(kind))
            .map(|d| d.as_ref())
    }

    fn index_api_versions(&mut self) {
        self.by_api_version.clear();
        for (gvk, name) in &self.by_gvk {
            if let Some(d) = self.defs.get(name) {
                self.by_api_version
                    .entry(gvk.api_version())
                    .or_default()
                    .insert(gvk.kind.clone(), d.clone());
            }
        }
    }

    /// The definition name of a kind.
    pub fn name_for_gvk(&self, gvk: &Gvk) -> Option<&str> {
        self.by_gvk.get(gvk).map(String::as_str)
    }

    /// Every GVK with a definition.
    pub fn gvks(&self) -> impl Iterator<Item = (&Gvk, &str)> {
        self.by_gvk.iter().map(|(g, n)| (g, n.as_str()))
    }

    /// The raw JSON schema of every definition (for the OpenAPI documents).
    pub fn raw_definitions(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// Follow `Ref`s to the definition of a type, if it names one.
    pub fn resolve<'a>(&'a self, ty: &Type) -> Option<&'a Definition> {
        match ty {
            Type::Ref(n) => self.definition(n),
            _ => None,
        }
    }
}

fn string_of(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// The non-null type names of a schema's `type` (`"string"` or `["string","null"]`).
fn type_names(v: &Value) -> Vec<&str> {
    match v.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| *s != "null")
            .collect(),
        _ => vec![],
    }
}

fn parse_type(v: &Value) -> Type {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return Type::Ref(r.rsplit('/').next().unwrap_or(r).to_string());
    }
    if let Some(all) = v.get("allOf").and_then(Value::as_array)
        && let Some(first) = all.first()
    {
        return parse_type(first);
    }
    if v.get("oneOf").is_some() || v.get("anyOf").is_some() {
        return Type::Scalar;
    }
    let names = type_names(v);
    match names.first().copied() {
        Some("object") => match v.get("additionalProperties") {
            Some(ap) if ap.is_object() => Type::Map(Box::new(parse_type(ap))),
            _ if v.get("properties").is_some() => Type::Object,
            _ => Type::Any,
        },
        Some("array") => Type::Array(Box::new(
            v.get("items").map(parse_type).unwrap_or(Type::Any),
        )),
        Some("string") => Type::String(string_of(v, "format")),
        Some("integer") => Type::Integer(string_of(v, "format")),
        Some("number") => Type::Number,
        Some("boolean") => Type::Boolean,
        _ => Type::Any,
    }
}

fn parse_property(v: &Value) -> Property {
    Property {
        ty: parse_type(v),
        description: string_of(v, "description").unwrap_or_default(),
        patch_strategy: string_of(v, "x-kubernetes-patch-strategy"),
        patch_merge_key: string_of(v, "x-kubernetes-patch-merge-key"),
        list_type: string_of(v, "x-kubernetes-list-type"),
        list_map_keys: v
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        map_type: string_of(v, "x-kubernetes-map-type"),
        enum_values: v
            .get("enum")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn parse_definition(name: &str, v: &Value) -> Definition {
    let properties = v
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, p)| (k.clone(), parse_property(p)))
                .collect()
        })
        .unwrap_or_default();
    let gvks = v
        .get("x-kubernetes-group-version-kind")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|g| Gvk {
                    group: string_of(g, "group").unwrap_or_default(),
                    version: string_of(g, "version").unwrap_or_default(),
                    kind: string_of(g, "kind").unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    Definition {
        name: name.to_string(),
        map_type: string_of(v, "x-kubernetes-map-type"),
        description: string_of(v, "description").unwrap_or_default(),
        ty: parse_type(v),
        properties,
        required: v
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        gvks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_deployment_with_merge_keys() {
        let s = Schema::builtin();
        let d = s.for_gvk(&Gvk::new("apps", "v1", "Deployment")).unwrap();
        assert_eq!(d.name, "io.k8s.api.apps.v1.Deployment");
        let spec = s.resolve(&d.property("spec").unwrap().ty).unwrap();
        let tmpl = s.resolve(&spec.property("template").unwrap().ty).unwrap();
        let pod = s.resolve(&tmpl.property("spec").unwrap().ty).unwrap();
        let c = pod.property("containers").unwrap();
        assert_eq!(c.patch_merge_key.as_deref(), Some("name"));
        assert!(c.merges());
        assert_eq!(
            c.ty,
            Type::Array(Box::new(Type::Ref("io.k8s.api.core.v1.Container".into())))
        );
        let strategy = spec.property("strategy").unwrap();
        assert!(s.resolve(&strategy.ty).is_some());
    }

    #[test]
    fn core_kinds_and_scalars() {
        let s = Schema::builtin();
        assert!(s.for_gvk(&Gvk::new("", "v1", "Pod")).is_some());
        assert_eq!(
            s.name_for_gvk(&Gvk::new("", "v1", "Namespace")),
            Some("io.k8s.api.core.v1.Namespace")
        );
        let ios = s
            .definition("io.k8s.apimachinery.pkg.util.intstr.IntOrString")
            .unwrap();
        assert_eq!(ios.ty, Type::Scalar);
        let meta = s
            .definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
            .unwrap();
        assert_eq!(
            meta.property("labels").unwrap().ty,
            Type::Map(Box::new(Type::String(None)))
        );
    }
}
