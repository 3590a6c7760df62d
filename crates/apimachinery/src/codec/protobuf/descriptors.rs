//! The message table generated from `k8s-pb` (see
//! `scripts/gen-protobuf-descriptors.py` and `data/protobuf-descriptors.json`):
//! for every message, its fields' tags, JSON names, labels and types.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The generated table.
pub const DESCRIPTORS_JSON: &str = include_str!("../../../data/protobuf-descriptors.json");

/// How a field repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    Optional,
    Repeated,
    Map,
    /// A Go embedded struct: its fields are the parent's in JSON.
    Inline,
}

/// A field's scalar or message type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    Bytes,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Bool,
    Double,
    Float,
    Message(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub tag: u32,
    pub json: String,
    pub label: Label,
    /// The element type (the value type for maps).
    pub ty: Ty,
    /// A zero scalar is kept in the JSON (required, or a Go pointer).
    pub keep_zero: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Message {
    /// In declaration order, which is also the JSON order.
    pub fields: Vec<Field>,
    by_tag: HashMap<u32, usize>,
}

impl Message {
    pub(crate) fn field(&self, tag: u32) -> Option<(usize, &Field)> {
        self.by_tag.get(&tag).map(|&i| (i, &self.fields[i]))
    }
}

fn ty(name: &str, message: &str) -> Ty {
    match name {
        "string" => Ty::String,
        "bytes" => Ty::Bytes,
        "int32" | "sint32" | "sfixed32" => Ty::Int32,
        "int64" | "sint64" | "sfixed64" => Ty::Int64,
        "uint32" | "fixed32" => Ty::Uint32,
        "uint64" | "fixed64" => Ty::Uint64,
        "bool" => Ty::Bool,
        "double" => Ty::Double,
        "float" => Ty::Float,
        _ => Ty::Message(message.to_string()),
    }
}

fn parse(doc: &Value) -> HashMap<String, Message> {
    let mut out = HashMap::new();
    let Some(msgs) = doc.get("messages").and_then(Value::as_object) else {
        return out;
    };
    for (name, rows) in msgs {
        let mut m = Message::default();
        for row in rows.as_array().into_iter().flatten() {
            let r = row.as_array().map(Vec::as_slice).unwrap_or_default();
            let s = |i: usize| r.get(i).and_then(Value::as_str).unwrap_or_default();
            let label = match s(2) {
                "repeated" => Label::Repeated,
                "map" => Label::Map,
                "inline" => Label::Inline,
                _ => Label::Optional,
            };
            let f = Field {
                tag: r.first().and_then(Value::as_u64).unwrap_or_default() as u32,
                json: s(1).to_string(),
                label,
                ty: ty(s(3), s(4)),
                keep_zero: r.get(5).and_then(Value::as_u64) == Some(1),
            };
            m.by_tag.insert(f.tag, m.fields.len());
            m.fields.push(f);
        }
        out.insert(name.clone(), m);
    }
    out
}

/// All messages by full name (`io.k8s.api.core.v1.Secret`), parsed once.
pub(crate) fn messages() -> &'static HashMap<String, Message> {
    static M: OnceLock<HashMap<String, Message>> = OnceLock::new();
    M.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(DESCRIPTORS_JSON).expect("embedded descriptor table is JSON");
        parse(&doc)
    })
}
