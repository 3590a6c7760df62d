//! `application/vnd.kubernetes.protobuf` request bodies to the JSON upstream
//! would produce for the same object.
//!
//! A body is `k8s\0` + `runtime.Unknown{1: typeMeta{1: apiVersion, 2: kind},
//! 2: raw, 3: contentEncoding, 4: contentType}`, and `raw` is the gogo-proto
//! encoding of the typed object (k8s.io/api `generated.proto`). The decoder is
//! generic: it walks the field table generated from `k8s-pb`
//! (`data/protobuf-descriptors.json`) and knows only the few messages with a
//! custom JSON form (Time, Duration, IntOrString, Quantity, RawExtension, ...).
//! Bodies come from the network: every malformed input is a [`DecodeError`]
//! (the server answers 400), never a panic; nesting depth is bounded.
//!
//! The inverse, JSON objects to the bodies and watch frames upstream sends, is
//! in `encode.rs` ([`encode_object`], [`encode_watch_event`]).

pub(crate) mod descriptors;
mod encode;
mod to_json;
mod wire;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::schema::{Gvk, Schema};
use wire::{Fields, Payload};

pub use encode::{
    EncodeError, MAX_ENCODE_DEPTH, encode_message, encode_object, encode_watch_event,
};

/// The 4-byte prefix of every Kubernetes protobuf body.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// A protobuf body that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body does not start with `k8s\0`.
    #[error("provided object is not a protobuf message: missing the k8s\\x00 prefix")]
    MissingMagic,
    /// A length or value runs past the end of its message.
    #[error("unexpected end of protobuf data")]
    Truncated,
    /// A varint longer than 64 bits.
    #[error("protobuf varint overflows 64 bits")]
    VarintOverflow,
    /// Tag 0 or out of range.
    #[error("illegal protobuf tag {0}")]
    InvalidTag(u64),
    /// Wire types 3, 4, 6, 7.
    #[error("illegal protobuf wire type {0}")]
    InvalidWireType(u8),
    /// A known field with the wrong wire type.
    #[error("proto: wrong wireType = {wire_type} for field {field} of {message}")]
    WrongWireType {
        /// The message's full name.
        message: String,
        /// The field's JSON name.
        field: String,
        /// The wire type found.
        wire_type: u8,
    },
    /// The envelope names a kind no descriptor describes.
    #[error("no kind \"{kind}\" is registered for version \"{api_version}\"")]
    UnknownKind {
        /// `typeMeta.apiVersion`.
        api_version: String,
        /// `typeMeta.kind`.
        kind: String,
    },
    /// `contentEncoding` other than none.
    #[error("unsupported protobuf content encoding \"{0}\"")]
    UnsupportedEncoding(String),
    /// Embedded raw JSON (RawExtension, FieldsV1, JSON) that does not parse.
    #[error("embedded raw object of {0} is neither JSON nor protobuf")]
    BadRawObject(String),
    /// A timestamp out of range.
    #[error("timestamp out of range in {0}")]
    BadTimestamp(String),
    /// Messages nested too deeply.
    #[error("protobuf message nesting exceeds {0} levels")]
    TooDeep(usize),
}

/// Deepest message nesting accepted (CRD schemas nest; nothing real needs more).
pub const MAX_DEPTH: usize = 100;

/// The parsed `runtime.Unknown` envelope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope<'a> {
    /// `typeMeta.apiVersion`.
    pub api_version: String,
    /// `typeMeta.kind`.
    pub kind: String,
    /// The encoded object.
    pub raw: &'a [u8],
    /// `contentEncoding`.
    pub content_encoding: String,
    /// `contentType`.
    pub content_type: String,
}

fn string_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parse the `k8s\0` + `runtime.Unknown` envelope.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope<'_>, DecodeError> {
    let rest = body.strip_prefix(MAGIC).ok_or(DecodeError::MissingMagic)?;
    let mut env = Envelope::default();
    for f in Fields::new(rest) {
        match f? {
            (1, Payload::Bytes(tm)) => {
                for g in Fields::new(tm) {
                    match g? {
                        (1, Payload::Bytes(v)) => env.api_version = string_of(v),
                        (2, Payload::Bytes(v)) => env.kind = string_of(v),
                        _ => {}
                    }
                }
            }
            (2, Payload::Bytes(v)) => env.raw = v,
            (3, Payload::Bytes(v)) => env.content_encoding = string_of(v),
            (4, Payload::Bytes(v)) => env.content_type = string_of(v),
            (tag @ 1..=4, p) => {
                return Err(DecodeError::WrongWireType {
                    message: "runtime.Unknown".into(),
                    field: tag.to_string(),
                    wire_type: p.wire_type(),
                });
            }
            _ => {}
        }
    }
    Ok(env)
}

/// The message name of a kind: the schema's definition for the GVK, else a
/// described message `<anything>.<kind>` in `meta/v1` (DeleteOptions sent with
/// any group's version).
fn message_for(schema: &Schema, api_version: &str, kind: &str) -> Option<String> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let msgs = descriptors::messages();
    if let Some(n) = schema.name_for_gvk(&Gvk::new(group, version, kind))
        && msgs.contains_key(n)
    {
        return Some(n.to_string());
    }
    let meta = format!("io.k8s.apimachinery.pkg.apis.meta.v1.{kind}");
    msgs.contains_key(&meta).then_some(meta)
}

/// Decode a protobuf request body into the object's JSON, with `apiVersion`
/// and `kind` from the envelope and only the fields upstream's JSON would carry.
pub fn decode(body: &[u8], schema: &Schema) -> Result<Value, DecodeError> {
    decode_at(body, schema, 0)
}

fn decode_at(body: &[u8], schema: &Schema, depth: usize) -> Result<Value, DecodeError> {
    let env = parse_envelope(body)?;
    if !env.content_encoding.is_empty() {
        return Err(DecodeError::UnsupportedEncoding(env.content_encoding));
    }
    let name = message_for(schema, &env.api_version, &env.kind).ok_or_else(|| {
        DecodeError::UnknownKind {
            api_version: env.api_version.clone(),
            kind: env.kind.clone(),
        }
    })?;
    let mut out = Map::new();
    if !env.api_version.is_empty() {
        out.insert("apiVersion".into(), Value::String(env.api_version));
    }
    if !env.kind.is_empty() {
        out.insert("kind".into(), Value::String(env.kind));
    }
    let ctx = to_json::Ctx { schema, depth };
    for (k, v) in ctx.message(&name, env.raw)? {
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}

/// Decode one message (no envelope) of a named type, e.g.
/// `io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions`.
pub fn decode_message(name: &str, raw: &[u8], schema: &Schema) -> Result<Value, DecodeError> {
    let ctx = to_json::Ctx { schema, depth: 0 };
    ctx.message(name, raw).map(Value::Object)
}

/// True when a message of this full name is described.
pub fn knows_message(name: &str) -> bool {
    descriptors::messages().contains_key(name)
}
