//! Upstream's byte order for built-in objects. kube-apiserver writes an object by encoding
//! its Go struct, so fields come in the struct's declaration order (`kind`, `apiVersion`
//! from the embedded `TypeMeta` first, then `metadata`, then the type's own fields; inline
//! structs' fields where they are embedded) and Go maps (`labels`, `data`, ...) in sorted
//! key order. Clients that compare bodies byte for byte (and people reading `--raw`
//! output) see the same bytes from Capstan.
//!
//! The declaration order comes from the protobuf message table (generated from upstream's
//! `generated.proto`, whose fields are declared in Go struct order): [`declaration_order`].
//! [`order`] rewrites a decoded object in place into that order; it runs once per write,
//! before the object is stored, so reads serve stored bytes as they are. A map already in
//! order (most nested structs clients send, or a rewrite of a stored object) is not rebuilt.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::protobuf::descriptors::{Label, Ty, messages};
use crate::schema::{Definition, Schema, Type};

/// The JSON field names of definition `name` in Go declaration order, `TypeMeta` first
/// (`kind`, `apiVersion`) and inline structs expanded. `None` for a definition with no
/// message in the table.
pub fn declaration_order(name: &str) -> Option<Vec<String>> {
    let msgs = messages();
    let msg = msgs.get(name)?;
    // TypeMeta comes first where it is embedded (the table leaves it out); a struct with
    // its own `apiVersion`/`kind` fields (an owner reference, a managedFields entry) keeps
    // them where it declares them
    let own_type_fields = msg
        .fields
        .iter()
        .any(|f| f.json == "apiVersion" || f.json == "kind");
    let mut out = if own_type_fields {
        Vec::new()
    } else {
        vec!["kind".to_string(), "apiVersion".to_string()]
    };
    fn expand(
        msgs: &HashMap<String, super::protobuf::descriptors::Message>,
        m: &super::protobuf::descriptors::Message,
        out: &mut Vec<String>,
        depth: usize,
    ) {
        for f in &m.fields {
            match (&f.label, &f.ty) {
                (Label::Inline, Ty::Message(inner)) if depth < 8 => {
                    if let Some(im) = msgs.get(inner) {
                        expand(msgs, im, out, depth + 1);
                    }
                }
                _ => out.push(f.json.clone()),
            }
        }
    }
    expand(msgs, msg, &mut out, 0);
    // fields newer than the table, each after the field it follows (repeatedly, so a
    // chain of new fields lands in sequence); those with no known place go last
    let mut pending: Vec<&(String, Option<String>)> =
        additions().get(name).into_iter().flatten().collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|(field, after)| {
            match after
                .as_deref()
                .and_then(|a| out.iter().position(|f| f == a))
            {
                Some(i) => {
                    out.insert(i + 1, field.clone());
                    false
                }
                None => true,
            }
        });
        if pending.len() == before {
            out.extend(pending.drain(..).map(|(f, _)| f.clone()));
        }
    }
    Some(out)
}

/// `data/declaration-order-additions.json`: definition -> [(field, the field it follows)].
type Additions = HashMap<String, Vec<(String, Option<String>)>>;

fn additions() -> &'static Additions {
    static A: std::sync::OnceLock<Additions> = std::sync::OnceLock::new();
    A.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(include_str!("../../data/declaration-order-additions.json"))
                .expect("embedded declaration-order additions are JSON");
        let mut out = Additions::new();
        for (def, rows) in doc["after"].as_object().into_iter().flatten() {
            let rows = rows.as_array().into_iter().flatten().map(|r| {
                let field = r[0].as_str().unwrap_or_default().to_string();
                (field, r[1].as_str().map(str::to_string))
            });
            out.insert(def.clone(), rows.collect());
        }
        out
    })
}

/// `v` serialized as upstream writes it: a built-in object (found by its own `apiVersion`
/// and `kind`) in Go declaration order, recursively; an object of another kind (a custom
/// resource) with `kind`, `apiVersion` and `metadata` first and the rest as it came.
/// `strip_resource_version` leaves out `metadata.resourceVersion` (the stored form).
/// Nothing is rebuilt: each object's entries are visited in order, and only an object
/// whose entries are out of order gets a small list of them sorted.
pub fn to_vec(v: &Value, strip_resource_version: bool) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    to_writer(&mut out, v, strip_resource_version)?;
    Ok(out)
}

/// [`to_vec`] into a writer.
pub fn to_writer(
    w: impl std::io::Write,
    v: &Value,
    strip_resource_version: bool,
) -> serde_json::Result<()> {
    let schema = Schema::builtin();
    let shape = match object_definition(schema, v) {
        Some(def) => Shape::Def(def),
        None => Shape::TypeMetaFirst,
    };
    let node = Node {
        schema,
        v,
        shape,
        depth: 0,
        strip_rv: strip_resource_version,
    };
    serde::Serialize::serialize(&node, &mut serde_json::Serializer::new(w))
}

/// The built-in definition of an object, by its own `apiVersion` and `kind`.
pub fn object_definition<'s>(schema: &'s Schema, v: &Value) -> Option<&'s Definition> {
    let m = v.as_object()?;
    let api_version = m.get("apiVersion").and_then(Value::as_str)?;
    let kind = m.get("kind").and_then(Value::as_str)?;
    schema.for_api_version_kind(api_version, kind)
}

/// Nesting beyond this is written as it is (the decoder bounds depth long before).
const MAX_DEPTH: usize = 128;

#[derive(Clone, Copy)]
enum Shape<'s> {
    /// A struct of this definition (or a named non-struct type).
    Def(&'s Definition),
    /// A value of this type (a map or a list).
    Ty(&'s Type),
    /// An object of a kind with no definition: TypeMeta and metadata first.
    TypeMetaFirst,
    /// The items of a list of a kind with no definition.
    Items,
    /// Written as it is.
    Free,
}

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

struct Node<'a, 's> {
    schema: &'s Schema,
    v: &'a Value,
    shape: Shape<'s>,
    depth: usize,
    /// Leave out `resourceVersion`: set on the top object and passed to its `metadata`.
    strip_rv: bool,
}

impl<'s> Node<'_, 's> {
    fn child<'b>(&self, v: &'b Value, shape: Shape<'s>, strip_rv: bool) -> Node<'b, 's> {
        Node {
            schema: self.schema,
            v,
            shape: if self.depth >= MAX_DEPTH {
                Shape::Free
            } else {
                shape
            },
            depth: self.depth + 1,
            strip_rv,
        }
    }

    fn shape_of(&self, ty: &'s Type) -> Shape<'s> {
        match ty {
            Type::Ref(n) => self.schema.definition(n).map_or(Shape::Free, Shape::Def),
            Type::Map(_) | Type::Array(_) => Shape::Ty(ty),
            _ => Shape::Free,
        }
    }

    /// Write `m`'s entries in the order of `rank` (stable), the child of each as `child`
    /// says.
    fn entries<'m, S: serde::Serializer, K: Ord>(
        &self,
        ser: S,
        m: &'m Map<String, Value>,
        rank: impl Fn(&'m str) -> K,
        child: impl Fn(&str, &K, &'m Value) -> Option<Node<'m, 's>>,
    ) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut ranked: Vec<(K, &String, &Value)> =
            m.iter().map(|(k, v)| (rank(k), k, v)).collect();
        if !ranked.is_sorted_by(|a, b| a.0 <= b.0) {
            ranked.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let mut out = ser.serialize_map(None)?;
        for (r, k, v) in &ranked {
            if let Some(node) = child(k, r, v) {
                out.serialize_entry(k, &node)?;
            }
        }
        out.end()
    }
}

impl serde::Serialize for Node<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match (self.shape, self.v) {
            (Shape::Def(def), Value::Object(m))
                if def.ty == Type::Object && !def.properties.is_empty() =>
            {
                // a property's rank is its index in the definition (declaration order);
                // unknown keys (none after typed decoding) go last, in the order they came
                let rank = |k: &str| {
                    def.properties
                        .iter()
                        .position(|(n, _)| n == k)
                        .unwrap_or(usize::MAX)
                };
                self.entries(ser, m, rank, |k, r, v| {
                    if self.strip_rv && self.depth == 1 && k == "resourceVersion" {
                        return None;
                    }
                    let shape = def
                        .properties
                        .get(*r)
                        .map_or(Shape::Free, |(_, p)| self.shape_of(&p.ty));
                    let strip = self.depth == 0 && self.strip_rv && k == "metadata";
                    Some(self.child(v, shape, strip))
                })
            }
            (Shape::Def(def), v) if def.ty != Type::Object => {
                let shape = self.shape_of(&def.ty);
                self.child(v, shape, false).serialize(ser)
            }
            (Shape::TypeMetaFirst, Value::Object(m)) => {
                const FIRST: [&str; 3] = ["kind", "apiVersion", "metadata"];
                let rank = |k: &str| FIRST.iter().position(|f| *f == k).unwrap_or(FIRST.len());
                let top = self.depth == 0;
                self.entries(ser, m, rank, |k, _, v| {
                    if !top && self.strip_rv && k == "resourceVersion" {
                        return None;
                    }
                    // metadata in ObjectMeta's order (less its resourceVersion when stored);
                    // list items (PartialObjectMetadataList) as objects of their own
                    let shape = match (k, v) {
                        ("metadata", _) => self
                            .schema
                            .definition(OBJECT_META)
                            .map_or(Shape::Free, Shape::Def),
                        ("items", Value::Array(_)) if top => Shape::Items,
                        _ => Shape::Free,
                    };
                    Some(self.child(v, shape, top && self.strip_rv && k == "metadata"))
                })
            }
            (Shape::Ty(Type::Map(inner)), Value::Object(m)) => {
                // Go's encoder writes map keys sorted
                let shape = self.shape_of(inner);
                self.entries(ser, m, |k| k, |_, _, v| Some(self.child(v, shape, false)))
            }
            (Shape::Items, Value::Array(a)) => {
                let mut out = ser.serialize_seq(Some(a.len()))?;
                for e in a {
                    let shape = match object_definition(self.schema, e) {
                        Some(def) => Shape::Def(def),
                        None => Shape::TypeMetaFirst,
                    };
                    out.serialize_element(&self.child(e, shape, false))?;
                }
                out.end()
            }
            (Shape::Ty(Type::Array(inner)), Value::Array(a)) => {
                let shape = self.shape_of(inner);
                let mut out = ser.serialize_seq(Some(a.len()))?;
                for e in a {
                    out.serialize_element(&self.child(e, shape, false))?;
                }
                out.end()
            }
            // free-form values (RawExtension, JSON, FieldsV1) and scalars, as they came
            (_, v) => v.serialize(ser),
        }
    }
}

/// Sort the properties of every built-in definition into declaration order (called once
/// when the embedded schema is loaded). Definitions without a message keep the schema's
/// (alphabetical) order, with `kind` and `apiVersion` moved first.
pub(crate) fn sort_properties(defs: &mut [&mut Definition]) {
    for def in defs.iter_mut() {
        let order = declaration_order(&def.name)
            .unwrap_or_else(|| vec!["kind".to_string(), "apiVersion".to_string()]);
        let pos = |k: &str| order.iter().position(|n| n == k).unwrap_or(usize::MAX);
        def.properties.sort_by_key(|(k, _)| pos(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ordered(kind: &str, v: Value) -> String {
        let def = object_definition(Schema::builtin(), &v).unwrap();
        assert_eq!(def.name, kind);
        String::from_utf8(to_vec(&v, false).unwrap()).unwrap()
    }

    #[test]
    fn object_meta_and_type_meta_in_go_order() {
        let v = json!({
            "apiVersion": "v1", "data": {"z": "1", "a": "2"}, "kind": "ConfigMap",
            "metadata": {"uid": "u", "name": "n", "namespace": "ns", "labels": {"b": "", "a": ""},
                         "creationTimestamp": "2026-01-01T00:00:00Z", "annotations": {}},
            "immutable": true
        });
        assert_eq!(
            ordered("io.k8s.api.core.v1.ConfigMap", v),
            r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"n","namespace":"ns","uid":"u","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"a":"","b":""},"annotations":{}},"immutable":true,"data":{"a":"2","z":"1"}}"#
        );
    }

    #[test]
    fn nested_structs_lists_and_inline_structs() {
        let v = json!({
            "spec": {
                "restartPolicy": "Always",
                "containers": [{"image": "i", "name": "c", "ports": [{"protocol": "TCP", "containerPort": 80}]}],
                "volumes": [{"configMap": {"name": "x"}, "name": "v"}]
            },
            "metadata": {"name": "p"}, "kind": "Pod", "apiVersion": "v1"
        });
        assert_eq!(
            ordered("io.k8s.api.core.v1.Pod", v),
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"volumes":[{"name":"v","configMap":{"name":"x"}}],"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"protocol":"TCP"}]}],"restartPolicy":"Always"}}"#
        );
    }

    #[test]
    fn free_form_values_are_left_alone() {
        let v = json!({
            "metadata": {"name": "a", "managedFields": [{"apiVersion": "v1", "fieldsV1": {"f:z": {}, "f:a": {}}, "manager": "m"}]},
            "kind": "ConfigMap", "apiVersion": "v1"
        });
        assert_eq!(
            ordered("io.k8s.api.core.v1.ConfigMap", v),
            r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","managedFields":[{"manager":"m","apiVersion":"v1","fieldsV1":{"f:z":{},"f:a":{}}}]}}"#
        );
    }

    #[test]
    fn newer_fields_take_their_declared_place() {
        let o = declaration_order("io.k8s.api.core.v1.PodSpec").unwrap();
        let at = |f: &str| o.iter().position(|x| x == f).unwrap();
        assert_eq!(at("schedulingGroup"), at("hostnameOverride") + 1);
        assert_eq!(at("evictionResponders"), at("schedulingGroup") + 1);
        let o = declaration_order("io.k8s.api.resource.v1.DeviceAttribute").unwrap();
        assert_eq!(
            o[2..],
            [
                "int", "bool", "string", "version", "ints", "bools", "strings", "versions"
            ]
        );
    }

    #[test]
    fn every_builtin_field_has_a_declared_place() {
        // each property of each definition with a message is placed by the table, so no
        // field falls back to the end of its object
        let s = Schema::builtin();
        let mut missing = Vec::new();
        for name in s.raw_definitions().keys() {
            let Some(order) = declaration_order(name) else {
                continue;
            };
            let def = s.definition(name).unwrap();
            for (p, _) in &def.properties {
                if !order.contains(p) {
                    missing.push(format!("{name}.{p}"));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:?}");
    }
}
