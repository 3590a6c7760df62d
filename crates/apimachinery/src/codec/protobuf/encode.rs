//! The JSON form of a built-in object to the `application/vnd.kubernetes.protobuf`
//! bytes upstream's kube-apiserver sends for it: the inverse of [`super::decode`].
//!
//! The server stores objects as JSON; a client that asks for protobuf (client-go
//! informers, kubelet, controllers) must get the gogo-proto encoding of the typed
//! Go struct. Like the decoder, this walks the generated field table
//! (`data/protobuf-descriptors.json`) and knows by name only the messages whose
//! JSON form is not a plain object: Time and MicroTime (RFC 3339 string to
//! `{1: seconds, 2: nanos}`), Duration (Go duration string to `{1: nanoseconds}`),
//! Quantity (`{1: string}`), IntOrString (`{1: type, 2: intVal, 3: strVal}`),
//! RawExtension, FieldsV1 and apiextensions JSON (`{1: compact JSON bytes}`), the
//! string-list wrappers Verbs and ExtraValue, and the apiextensions
//! `JSONSchemaPropsOr{Bool,Array,StringArray}` unions.
//!
//! # Byte layout
//!
//! As gogo writes it: fields in ascending tag order, map entries
//! (`{1: key, 2: value}`) sorted by key, repeated scalars one field per element
//! (Kubernetes' protos are proto2, so nothing is packed), Go embedded structs
//! (`inline` in the table) as a nested message at their own tag whose fields are
//! read from the parent's JSON object, negative `int32` as a ten-byte varint, and
//! the special messages exactly as their hand-written Go marshallers write them
//! (both Timestamp fields, all three IntOrString fields, a zero Time as an empty
//! message).
//!
//! One deliberate difference: gogo writes every non-pointer field of a struct,
//! empty strings and zero numbers included, while Capstan writes only the fields
//! present in the JSON. The table cannot tell Go pointers from values (its
//! `keepZero` column is a JSON-omission heuristic, see
//! `scripts/gen-protobuf-descriptors.py`), so upstream's zero fields cannot be
//! reproduced; they decode to the same Go struct either way, because an absent
//! proto2 field leaves the Go field at its zero value. When the JSON does carry
//! every field gogo would write (as in a kubectl capture, with a zero Time
//! spelled `0001-01-01T00:00:00Z`: `null` counts as absent), the bytes are
//! identical to upstream's.
//!
//! What `decode(encode_object(x))` gives back differs from `x` only by the
//! decoder's normalisations: zero scalars the table omits, empty lists and
//! maps, nulls, unknown fields and the TypeMeta of list items (not on the
//! wire) disappear; metav1.Time keeps whole seconds and MicroTime
//! microseconds, both in UTC; a Quantity given as a JSON number comes back as
//! a string and a Duration in Go's canonical spelling.
//!
//! # Envelopes
//!
//! [`encode_object`] produces a whole response body: `k8s\0` and a
//! `runtime.Unknown{1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: "", 4: ""}`,
//! the layout upstream's protobuf serializer writes (all four fields, the two
//! empty strings included).
//!
//! [`encode_watch_event`] produces one frame of a protobuf watch stream. Upstream
//! (`apiserver/pkg/endpoints/handlers/watch.go` and `response.go`'s
//! `watchEncoder`) encodes the event's object with the ordinary protobuf
//! serializer (magic and envelope included) into `WatchEvent.object.raw`, then
//! encodes the `meta.k8s.io/v1 WatchEvent` itself with the protobuf *raw*
//! serializer, which the codec factory registers as the protobuf stream
//! serializer (`runtime/serializer/codec_factory.go`, `protobuf.NewRawSerializer`:
//! the bare message, no magic, no envelope), and writes it through the
//! length-delimited framer (`util/framer/framer.go`: a 4-byte big-endian length,
//! then the bytes). So a frame is
//!
//! ```text
//! u32be(len) WatchEvent{1: type, 2: RawExtension{1: k8s\0 Unknown{typeMeta, raw, "", ""}}}
//! ```
//!
//! and client-go reads it back with the same framer, the raw serializer for the
//! event, and the full protobuf serializer for the embedded object.
//!
//! # Errors
//!
//! A JSON value of the wrong type for its field (a string where the table says
//! int32, a number out of range, bad base64 or timestamps) is an
//! [`EncodeError`] naming the field path; nothing here panics, and nesting is
//! bounded by [`MAX_ENCODE_DEPTH`]. JSON fields the table does not describe
//! (`kind` and `apiVersion` of TypeMeta, unknown fields) are skipped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use base64::Engine;
use serde_json::{Map, Value};

use super::descriptors::{Field, Label, Ty, messages};
use super::{MAGIC, message_for};
use crate::gofmt::json_kind;
use crate::schema::Schema;

/// Deepest message nesting encoded; deeper objects are an [`EncodeError::TooDeep`].
pub const MAX_ENCODE_DEPTH: usize = 128;

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const APIEXTENSIONS: [&str; 2] = [
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1beta1.",
];

/// A JSON object that cannot be encoded as protobuf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A value of the wrong JSON type for its field.
    #[error("{path}: expected {expected}, got {got}")]
    WrongType {
        /// Where, e.g. `spec.containers[0].ports[1].containerPort`.
        path: String,
        /// What the field's type needs.
        expected: &'static str,
        /// The JSON type found.
        got: &'static str,
    },
    /// A number that does not fit its field's integer type.
    #[error("{path}: {value} does not fit in {ty}")]
    OutOfRange {
        /// Where.
        path: String,
        /// The number as written.
        value: String,
        /// The protobuf type.
        ty: &'static str,
    },
    /// A string that does not parse as its field's format (base64, RFC 3339, duration).
    #[error("{path}: {value:?} is not a valid {format}")]
    BadFormat {
        /// Where.
        path: String,
        /// The string found.
        value: String,
        /// What it should have been.
        format: &'static str,
    },
    /// A message type the descriptor table does not describe.
    #[error("{path}: no protobuf descriptor for message {message}")]
    UnknownMessage {
        /// Where.
        path: String,
        /// The message's full name.
        message: String,
    },
    /// The object's `apiVersion`/`kind` name no described message.
    #[error("no kind \"{kind}\" is registered for version \"{api_version}\"")]
    UnknownKind {
        /// The object's `apiVersion`.
        api_version: String,
        /// The object's `kind`.
        kind: String,
    },
    /// Messages nested too deeply.
    #[error("{path}: protobuf message nesting exceeds {max} levels")]
    TooDeep {
        /// Where.
        path: String,
        /// [`MAX_ENCODE_DEPTH`].
        max: usize,
    },
}

/// The gogo-proto encoding of one message (no magic, no envelope) from its JSON
/// form. `message` is a full definition name from the descriptor table, such as
/// `io.k8s.api.core.v1.ConfigMap` or
/// `io.k8s.apimachinery.pkg.apis.meta.v1.PartialObjectMetadata`. JSON fields the
/// message does not have (`kind`, `apiVersion`) are skipped. The schema is the
/// same kind registry [`super::decode_message`] takes; the table alone decides
/// the encoding of a named message.
pub fn encode_message(schema: &Schema, message: &str, v: &Value) -> Result<Vec<u8>, EncodeError> {
    let _ = schema;
    let mut out = Vec::new();
    let root = Path::ROOT;
    if !messages().contains_key(message) {
        return Err(EncodeError::UnknownMessage {
            path: root.render(),
            message: message.to_string(),
        });
    }
    write_message(&mut out, message, v, &root, 0)?;
    Ok(out)
}

/// A whole protobuf body for an object: `k8s\0` and the `runtime.Unknown`
/// envelope whose type meta is the object's own `apiVersion` and `kind` and
/// whose raw is [`encode_message`] of the kind's definition.
pub fn encode_object(schema: &Schema, v: &Value) -> Result<Vec<u8>, EncodeError> {
    let root = Path::ROOT;
    let type_meta = |key: &'static str| -> Result<&str, EncodeError> {
        match v.get(key) {
            Some(Value::String(s)) => Ok(s),
            other => Err(EncodeError::WrongType {
                path: key.to_string(),
                expected: "string",
                got: other.map_or("nothing", json_kind),
            }),
        }
    };
    let (api_version, kind) = (type_meta("apiVersion")?, type_meta("kind")?);
    let name = message_for(schema, api_version, kind).ok_or_else(|| EncodeError::UnknownKind {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
    })?;
    let mut out = MAGIC.to_vec();
    nested(&mut out, 1, |o| {
        put_bytes(o, 1, api_version.as_bytes());
        put_bytes(o, 2, kind.as_bytes());
        Ok(())
    })?;
    nested(&mut out, 2, |o| write_message(o, &name, v, &root, 0))?;
    put_bytes(&mut out, 3, b"");
    put_bytes(&mut out, 4, b"");
    Ok(out)
}

/// One frame of a protobuf watch stream (see the module docs): a 4-byte
/// big-endian length, then the bare `meta.k8s.io/v1 WatchEvent` message
/// `{1: event_type, 2: RawExtension{1: object_body_raw}}`. `object_body_raw` is the
/// object's full body as [`encode_object`] returns it, `k8s\0` magic included,
/// which is what upstream embeds. `event_type` is `ADDED`, `MODIFIED`,
/// `DELETED`, `BOOKMARK` or `ERROR` (whose object is a Status).
pub fn encode_watch_event(event_type: &str, object_body_raw: &[u8]) -> Vec<u8> {
    // Sizes first, so the frame is one allocation and the body is copied once
    // (this runs once per event per watcher).
    let field_len = |payload: usize| 1 + varint_bytes(payload as u64).1 + payload;
    let raw_extension = field_len(object_body_raw.len());
    let event = field_len(event_type.len()) + field_len(raw_extension);
    let mut frame = Vec::with_capacity(4 + event);
    // Upstream's framer writes the length as a uint32 too; no object comes near
    // 4 GiB (etcd refuses values over 1.5 MiB by default).
    frame.extend_from_slice(&(event as u32).to_be_bytes());
    put_bytes(&mut frame, 1, event_type.as_bytes());
    put_key(&mut frame, 2, 2);
    put_varint(&mut frame, raw_extension as u64);
    put_bytes(&mut frame, 1, object_body_raw);
    debug_assert_eq!(frame.len(), 4 + event);
    frame
}

// ---------------------------------------------------------------- field paths

/// Where in the JSON the encoder is, rendered only when an error needs it.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    fn child(&'a self, seg: Seg<'a>) -> Path<'a> {
        Path {
            parent: Some(self),
            seg,
        }
    }

    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut p = Some(self);
        while let Some(cur) = p {
            segs.push(cur.seg);
            p = cur.parent;
        }
        let mut s = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Field(f) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(f);
                }
                Seg::Index(i) => {
                    let _ = write!(s, "[{i}]");
                }
                Seg::Key(k) => {
                    let _ = write!(s, "[{k}]");
                }
            }
        }
        if s.is_empty() { "<object>".into() } else { s }
    }

    fn wrong(&self, expected: &'static str, got: &Value) -> EncodeError {
        EncodeError::WrongType {
            path: self.render(),
            expected,
            got: json_kind(got),
        }
    }

    fn bad(&self, value: &str, format: &'static str) -> EncodeError {
        EncodeError::BadFormat {
            path: self.render(),
            value: value.to_string(),
            format,
        }
    }
}

// ---------------------------------------------------------------- wire writing

fn put_varint(out: &mut Vec<u8>, v: u64) {
    let (buf, n) = varint_bytes(v);
    out.extend_from_slice(&buf[..n]);
}

/// A varint in a stack buffer: the bytes and how many are used.
fn varint_bytes(mut v: u64) -> ([u8; 10], usize) {
    let mut buf = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 {
        buf[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    buf[n] = v as u8;
    (buf, n + 1)
}

fn put_key(out: &mut Vec<u8>, tag: u32, wire_type: u8) {
    put_varint(out, (u64::from(tag) << 3) | u64::from(wire_type));
}

fn put_bytes(out: &mut Vec<u8>, tag: u32, b: &[u8]) {
    put_key(out, tag, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// A length-delimited field whose payload `f` appends to `out`. The payload is
/// written in place and its length varint inserted before it afterwards, so a
/// nested message costs one move of its bytes per level and no allocation.
fn nested(
    out: &mut Vec<u8>,
    tag: u32,
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    put_key(out, tag, 2);
    let start = out.len();
    f(out)?;
    let (len, n) = varint_bytes((out.len() - start) as u64);
    out.splice(start..start, len[..n].iter().copied());
    Ok(())
}

// ---------------------------------------------------------------- messages

/// Each message's field indexes in ascending tag order (the table keeps Go
/// declaration order, which is the JSON order), computed once.
fn tag_order(name: &str) -> &'static [usize] {
    static ORDER: OnceLock<HashMap<&'static str, Vec<usize>>> = OnceLock::new();
    let order = ORDER.get_or_init(|| {
        messages()
            .iter()
            .map(|(name, m)| {
                let mut idx: Vec<usize> = (0..m.fields.len()).collect();
                idx.sort_by_key(|&i| m.fields[i].tag);
                (name.as_str(), idx)
            })
            .collect()
    });
    order.get(name).map_or(&[], Vec::as_slice)
}

/// The payload of a message of type `name` whose JSON form is `v`. `null` is
/// the Go zero value: an empty message.
fn write_message(
    out: &mut Vec<u8>,
    name: &str,
    v: &Value,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), EncodeError> {
    if depth > MAX_ENCODE_DEPTH {
        return Err(EncodeError::TooDeep {
            path: path.render(),
            max: MAX_ENCODE_DEPTH,
        });
    }
    if v.is_null() {
        return Ok(());
    }
    if let Some(short) = name.strip_prefix(META) {
        match short {
            "Time" | "MicroTime" => return write_time(out, v, path),
            "Duration" => return write_duration(out, v, path),
            "FieldsV1" => return write_raw_json(out, v),
            "Verbs" => return write_strings(out, 1, v, path),
            _ => {}
        }
    }
    match name {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
            return write_int_or_string(out, v, path);
        }
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
            return write_quantity(out, v, path);
        }
        "io.k8s.apimachinery.pkg.runtime.RawExtension" => return write_raw_json(out, v),
        _ if name.ends_with(".ExtraValue") => return write_strings(out, 1, v, path),
        _ => {}
    }
    if let Some(short) = APIEXTENSIONS.iter().find_map(|p| name.strip_prefix(p))
        && write_apiextensions(out, name, short, v, path, depth)?
    {
        return Ok(());
    }
    let Value::Object(obj) = v else {
        return Err(path.wrong("object", v));
    };
    write_fields(out, name, obj, path, depth)
}

/// The fields of a plain message, read from a JSON object.
fn write_fields(
    out: &mut Vec<u8>,
    name: &str,
    obj: &Map<String, Value>,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), EncodeError> {
    let Some(desc) = messages().get(name) else {
        return Err(EncodeError::UnknownMessage {
            path: path.render(),
            message: name.to_string(),
        });
    };
    for &i in tag_order(name) {
        write_field(out, &desc.fields[i], obj, path, depth)?;
    }
    Ok(())
}

fn write_field(
    out: &mut Vec<u8>,
    field: &Field,
    obj: &Map<String, Value>,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), EncodeError> {
    if field.label == Label::Inline {
        // A Go embedded struct: a message at its own tag, its fields the parent's
        // JSON fields. It is a value, never a pointer, so gogo always writes it.
        let Ty::Message(sub) = &field.ty else {
            return Ok(());
        };
        if depth + 1 > MAX_ENCODE_DEPTH {
            return Err(EncodeError::TooDeep {
                path: path.render(),
                max: MAX_ENCODE_DEPTH,
            });
        }
        return nested(out, field.tag, |o| {
            write_fields(o, sub, obj, path, depth + 1)
        });
    }
    let v = match obj.get(&field.json) {
        None | Some(Value::Null) => return Ok(()),
        Some(v) => v,
    };
    let here = path.child(Seg::Field(&field.json));
    match field.label {
        Label::Optional | Label::Inline => write_value(out, field.tag, &field.ty, v, &here, depth),
        Label::Repeated => {
            let Value::Array(items) = v else {
                return Err(here.wrong("array", v));
            };
            for (i, item) in items.iter().enumerate() {
                write_value(
                    out,
                    field.tag,
                    &field.ty,
                    item,
                    &here.child(Seg::Index(i)),
                    depth,
                )?;
            }
            Ok(())
        }
        Label::Map => {
            let Value::Object(m) = v else {
                return Err(here.wrong("object", v));
            };
            // gogo sorts map keys so that equal maps encode to equal bytes.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_unstable();
            for k in keys {
                let entry_path = here.child(Seg::Key(k));
                nested(out, field.tag, |o| {
                    put_bytes(o, 1, k.as_bytes());
                    write_value(o, 2, &field.ty, &m[k], &entry_path, depth)
                })?;
            }
            Ok(())
        }
    }
}

fn int_of(v: &Value, path: &Path<'_>, ty: &'static str) -> Result<i64, EncodeError> {
    let Value::Number(n) = v else {
        return Err(path.wrong("integer", v));
    };
    n.as_i64().ok_or_else(|| EncodeError::OutOfRange {
        path: path.render(),
        value: n.to_string(),
        ty,
    })
}

/// One field of a scalar or message type. `null` (an element of a list or map)
/// is the type's zero value.
fn write_value(
    out: &mut Vec<u8>,
    tag: u32,
    ty: &Ty,
    v: &Value,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), EncodeError> {
    let null = v.is_null();
    match ty {
        Ty::String => match v {
            Value::String(s) => put_bytes(out, tag, s.as_bytes()),
            Value::Null => put_bytes(out, tag, b""),
            _ => return Err(path.wrong("string", v)),
        },
        Ty::Bytes => match v {
            Value::String(s) => {
                let b = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| path.bad(s, "base64 string"))?;
                put_bytes(out, tag, &b);
            }
            Value::Null => put_bytes(out, tag, b""),
            _ => return Err(path.wrong("base64 string", v)),
        },
        Ty::Int32 => {
            let n = if null { 0 } else { int_of(v, path, "int32")? };
            let n = i32::try_from(n).map_err(|_| EncodeError::OutOfRange {
                path: path.render(),
                value: n.to_string(),
                ty: "int32",
            })?;
            put_key(out, tag, 0);
            // Sign-extended to 64 bits: a negative int32 takes ten bytes.
            put_varint(out, i64::from(n) as u64);
        }
        Ty::Int64 => {
            let n = if null { 0 } else { int_of(v, path, "int64")? };
            put_key(out, tag, 0);
            put_varint(out, n as u64);
        }
        Ty::Uint32 | Ty::Uint64 => {
            let name = if *ty == Ty::Uint32 {
                "uint32"
            } else {
                "uint64"
            };
            let n = match v {
                Value::Null => 0,
                Value::Number(n) => n.as_u64().ok_or_else(|| EncodeError::OutOfRange {
                    path: path.render(),
                    value: n.to_string(),
                    ty: name,
                })?,
                _ => return Err(path.wrong("integer", v)),
            };
            if *ty == Ty::Uint32 && n > u64::from(u32::MAX) {
                return Err(EncodeError::OutOfRange {
                    path: path.render(),
                    value: n.to_string(),
                    ty: name,
                });
            }
            put_key(out, tag, 0);
            put_varint(out, n);
        }
        Ty::Bool => {
            let b = match v {
                Value::Bool(b) => *b,
                Value::Null => false,
                _ => return Err(path.wrong("boolean", v)),
            };
            put_key(out, tag, 0);
            put_varint(out, u64::from(b));
        }
        Ty::Double | Ty::Float => {
            let f = match v {
                Value::Number(n) => n.as_f64().unwrap_or_default(),
                Value::Null => 0.0,
                _ => return Err(path.wrong("number", v)),
            };
            if *ty == Ty::Double {
                put_key(out, tag, 1);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            } else {
                put_key(out, tag, 5);
                out.extend_from_slice(&(f as f32).to_bits().to_le_bytes());
            }
        }
        Ty::Message(m) => {
            nested(out, tag, |o| write_message(o, m, v, path, depth + 1))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- special forms

/// metav1.Time / MicroTime: `{1: seconds, 2: nanos}`, both always written, as
/// their Timestamp message does; Go's zero time is an empty message.
fn write_time(out: &mut Vec<u8>, v: &Value, path: &Path<'_>) -> Result<(), EncodeError> {
    let Value::String(s) = v else {
        return Err(path.wrong("RFC 3339 timestamp string", v));
    };
    let t =
        chrono::DateTime::parse_from_rfc3339(s).map_err(|_| path.bad(s, "RFC 3339 timestamp"))?;
    // 0001-01-01T00:00:00Z, Go's time.Time{}.
    const GO_ZERO_SECONDS: i64 = -62_135_596_800;
    let (secs, nanos) = (t.timestamp(), t.timestamp_subsec_nanos());
    if secs == GO_ZERO_SECONDS && nanos == 0 {
        return Ok(());
    }
    put_key(out, 1, 0);
    put_varint(out, secs as u64);
    put_key(out, 2, 0);
    put_varint(out, u64::from(nanos));
    Ok(())
}

/// metav1.Duration: `{1: nanoseconds}` from Go's duration syntax.
fn write_duration(out: &mut Vec<u8>, v: &Value, path: &Path<'_>) -> Result<(), EncodeError> {
    let Value::String(s) = v else {
        return Err(path.wrong("duration string", v));
    };
    let d = parse_go_duration(s).ok_or_else(|| path.bad(s, "duration"))?;
    put_key(out, 1, 0);
    put_varint(out, d as u64);
    Ok(())
}

/// Go's `time.ParseDuration`: `[-+]?(<decimal><unit>)+` or `0`, in nanoseconds.
pub(crate) fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (int_part, after) = rest.split_at(int_end);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => {
                let e = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                a.split_at(e)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_end = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let int: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        // Fraction digits past nanosecond precision are dropped, as Go does.
        let frac_digits = &frac_part[..frac_part.len().min(18)];
        let mut frac_ns: u128 = 0;
        if !frac_digits.is_empty() {
            let f: u128 = frac_digits.parse().ok()?;
            frac_ns = f * scale / 10u128.pow(frac_digits.len() as u32);
        }
        total = total.checked_add(int.checked_mul(scale)?.checked_add(frac_ns)?)?;
        if total > 1u128 << 63 {
            return None;
        }
        rest = after;
    }
    if neg {
        Some((-(total as i128)) as i64)
    } else {
        i64::try_from(total).ok()
    }
}

/// IntOrString: `{1: type, 2: intVal, 3: strVal}`, all three written.
fn write_int_or_string(out: &mut Vec<u8>, v: &Value, path: &Path<'_>) -> Result<(), EncodeError> {
    let (ty, int, s) = match v {
        Value::Number(_) => {
            let n = int_of(v, path, "int32")?;
            let n = i32::try_from(n).map_err(|_| EncodeError::OutOfRange {
                path: path.render(),
                value: n.to_string(),
                ty: "int32",
            })?;
            (0u64, n, "")
        }
        Value::String(s) => (1, 0, s.as_str()),
        _ => return Err(path.wrong("integer or string", v)),
    };
    put_key(out, 1, 0);
    put_varint(out, ty);
    put_key(out, 2, 0);
    put_varint(out, i64::from(int) as u64);
    put_bytes(out, 3, s.as_bytes());
    Ok(())
}

/// Quantity: `{1: string}`. A JSON number (which upstream also accepts) is
/// written as its decimal text.
fn write_quantity(out: &mut Vec<u8>, v: &Value, path: &Path<'_>) -> Result<(), EncodeError> {
    match v {
        Value::String(s) => put_bytes(out, 1, s.as_bytes()),
        Value::Number(n) => put_bytes(out, 1, n.to_string().as_bytes()),
        _ => return Err(path.wrong("quantity string", v)),
    }
    Ok(())
}

/// RawExtension, FieldsV1, apiextensions JSON: `{1: compact JSON}`.
fn write_raw_json(out: &mut Vec<u8>, v: &Value) -> Result<(), EncodeError> {
    put_bytes(out, 1, v.to_string().as_bytes());
    Ok(())
}

/// A message of one repeated string at `tag`, whose JSON is the list itself.
fn write_strings(
    out: &mut Vec<u8>,
    tag: u32,
    v: &Value,
    path: &Path<'_>,
) -> Result<(), EncodeError> {
    let Value::Array(items) = v else {
        return Err(path.wrong("array of strings", v));
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => put_bytes(out, tag, s.as_bytes()),
            Value::Null => put_bytes(out, tag, b""),
            _ => return Err(path.child(Seg::Index(i)).wrong("string", item)),
        }
    }
    Ok(())
}

/// The apiextensions unions (v1 spells them `JSONSchemaProps…`, v1beta1
/// `JsonSchemaProps…`). Returns false for a message that is not one of them.
fn write_apiextensions(
    out: &mut Vec<u8>,
    name: &str,
    short: &str,
    v: &Value,
    path: &Path<'_>,
    depth: usize,
) -> Result<bool, EncodeError> {
    // The schema message is the union's field 1 or 2 type in the table.
    let props = || -> String {
        messages()
            .get(name)
            .and_then(|m| {
                m.fields.iter().find_map(|f| match &f.ty {
                    Ty::Message(t) => Some(t.clone()),
                    _ => None,
                })
            })
            .unwrap_or_default()
    };
    match short.to_ascii_lowercase().as_str() {
        "json" => write_raw_json(out, v)?,
        // {1: allows, 2: schema}: an object is `allows: true` plus the schema.
        "jsonschemapropsorbool" => match v {
            Value::Bool(b) => {
                put_key(out, 1, 0);
                put_varint(out, u64::from(*b));
            }
            Value::Object(_) => {
                put_key(out, 1, 0);
                put_varint(out, 1);
                let p = props();
                nested(out, 2, |o| write_message(o, &p, v, path, depth + 1))?;
            }
            _ => return Err(path.wrong("boolean or object", v)),
        },
        // {1: schema, 2: repeated schemas}.
        "jsonschemapropsorarray" => match v {
            Value::Object(_) => {
                let p = props();
                nested(out, 1, |o| write_message(o, &p, v, path, depth + 1))?;
            }
            Value::Array(items) => {
                let p = props();
                for (i, item) in items.iter().enumerate() {
                    let here = path.child(Seg::Index(i));
                    nested(out, 2, |o| write_message(o, &p, item, &here, depth + 1))?;
                }
            }
            _ => return Err(path.wrong("object or array", v)),
        },
        // {1: schema, 2: repeated string}.
        "jsonschemapropsorstringarray" => match v {
            Value::Object(_) => {
                let p = props();
                nested(out, 1, |o| write_message(o, &p, v, path, depth + 1))?;
            }
            Value::Array(_) => write_strings(out, 2, v, path)?,
            _ => return Err(path.wrong("object or array of strings", v)),
        },
        _ => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod generate;
#[cfg(test)]
mod tests;
