//! One message to JSON, walking the descriptor table; the messages with a
//! custom JSON form are converted here, by name.

use base64::Engine;
use serde_json::{Map, Number, Value};

use super::descriptors::{Field, Label, Ty, messages};
use super::wire::{Fields, Payload, read_varint};
use super::{DecodeError, MAGIC, MAX_DEPTH};
use crate::schema::Schema;

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const EXT_V1: &str = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.";
const EXT_V1BETA1: &str = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1beta1.";

pub(crate) struct Ctx<'s> {
    pub schema: &'s Schema,
    pub depth: usize,
}

/// What one field collected while reading the wire.
#[derive(Default)]
enum Slot {
    #[default]
    Unset,
    One(Value),
    /// A set message whose JSON is "omitted" (a zero Time).
    Omitted,
    Many(Vec<Value>),
    Map(Map<String, Value>),
    Inline(Map<String, Value>),
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Null => true,
        _ => false,
    }
}

/// Go's `time.Duration.String()`.
pub(crate) fn go_duration(d: i64) -> String {
    fn frac(v: u64, digits: u32) -> String {
        let p = 10u64.pow(digits);
        let (int, f) = (v / p, v % p);
        if f == 0 {
            return int.to_string();
        }
        let s = format!("{f:0width$}", width = digits as usize);
        format!("{int}.{}", s.trim_end_matches('0'))
    }
    if d == 0 {
        return "0s".into();
    }
    let sign = if d < 0 { "-" } else { "" };
    let u = d.unsigned_abs();
    let body = if u < 1_000 {
        format!("{u}ns")
    } else if u < 1_000_000 {
        format!("{}µs", frac(u, 3))
    } else if u < 1_000_000_000 {
        format!("{}ms", frac(u, 6))
    } else {
        let secs = u / 1_000_000_000;
        let s = format!(
            "{}s",
            frac((secs % 60) * 1_000_000_000 + u % 1_000_000_000, 9)
        );
        let mins = secs / 60;
        if mins >= 60 {
            format!("{}h{}m{s}", mins / 60, mins % 60)
        } else if mins > 0 {
            format!("{mins}m{s}")
        } else {
            s
        }
    };
    format!("{sign}{body}")
}

impl Ctx<'_> {
    fn deeper(&self) -> Result<Ctx<'_>, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::TooDeep(MAX_DEPTH));
        }
        Ok(Ctx {
            schema: self.schema,
            depth: self.depth + 1,
        })
    }

    /// A message's fields as a JSON object.
    pub(crate) fn message(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Map<String, Value>, DecodeError> {
        let Some(desc) = messages().get(name) else {
            // A message the table does not describe: check the framing, keep nothing.
            for f in Fields::new(buf) {
                f?;
            }
            return Ok(Map::new());
        };
        let mut slots: Vec<Slot> = (0..desc.fields.len()).map(|_| Slot::Unset).collect();
        for f in Fields::new(buf) {
            let (tag, payload) = f?;
            let Some((i, field)) = desc.field(tag) else {
                continue; // unknown field: skipped by wire type
            };
            self.collect(name, field, payload, &mut slots[i])?;
        }
        let mut out = Map::new();
        for (field, slot) in desc.fields.iter().zip(slots) {
            match slot {
                Slot::Unset | Slot::Omitted => {}
                Slot::One(v) => {
                    let scalar = !matches!(field.ty, Ty::Message(_));
                    if !(scalar && !field.keep_zero && is_zero(&v)) {
                        out.insert(field.json.clone(), v);
                    }
                }
                Slot::Many(v) => {
                    if !v.is_empty() {
                        out.insert(field.json.clone(), Value::Array(v));
                    }
                }
                Slot::Map(m) => {
                    if !m.is_empty() {
                        out.insert(field.json.clone(), Value::Object(m));
                    }
                }
                Slot::Inline(m) => out.extend(m),
            }
        }
        Ok(out)
    }

    fn wrong(&self, message: &str, field: &Field, p: &Payload<'_>) -> DecodeError {
        DecodeError::WrongWireType {
            message: message.to_string(),
            field: field.json.clone(),
            wire_type: p.wire_type(),
        }
    }

    fn collect(
        &self,
        message: &str,
        field: &Field,
        payload: Payload<'_>,
        slot: &mut Slot,
    ) -> Result<(), DecodeError> {
        match field.label {
            Label::Optional => match self.element(message, field, &field.ty, payload)? {
                Some(v) => *slot = Slot::One(v),
                None => *slot = Slot::Omitted,
            },
            Label::Inline => {
                let Ty::Message(sub) = &field.ty else {
                    return Err(self.wrong(message, field, &payload));
                };
                let Payload::Bytes(b) = payload else {
                    return Err(self.wrong(message, field, &payload));
                };
                let m = self.deeper()?.message(sub, b)?;
                match slot {
                    Slot::Inline(prev) => prev.extend(m),
                    _ => *slot = Slot::Inline(m),
                }
            }
            Label::Repeated => {
                if !matches!(slot, Slot::Many(_)) {
                    *slot = Slot::Many(Vec::new());
                }
                let Slot::Many(items) = slot else {
                    unreachable!()
                };
                let packable = !matches!(field.ty, Ty::String | Ty::Bytes | Ty::Message(_));
                match payload {
                    Payload::Bytes(b) if packable => {
                        // Packed: a run of scalars of the element's wire type.
                        let mut pos = 0;
                        while pos < b.len() {
                            let p = match field.ty {
                                Ty::Double => {
                                    let s = b.get(pos..pos + 8).ok_or(DecodeError::Truncated)?;
                                    pos += 8;
                                    Payload::Fixed64(u64::from_le_bytes(s.try_into().expect("8")))
                                }
                                Ty::Float => {
                                    let s = b.get(pos..pos + 4).ok_or(DecodeError::Truncated)?;
                                    pos += 4;
                                    Payload::Fixed32(u32::from_le_bytes(s.try_into().expect("4")))
                                }
                                _ => Payload::Varint(read_varint(b, &mut pos)?),
                            };
                            if let Some(v) = self.element(message, field, &field.ty, p)? {
                                items.push(v);
                            }
                        }
                    }
                    p => {
                        // A list element is kept even when zero or "omitted".
                        let v = self.element(message, field, &field.ty, p)?;
                        items.push(v.unwrap_or(Value::Null));
                    }
                }
            }
            Label::Map => {
                let Payload::Bytes(entry) = payload else {
                    return Err(self.wrong(message, field, &payload));
                };
                let mut key = String::new();
                let mut val: Option<Value> = None;
                for f in Fields::new(entry) {
                    match f? {
                        (1, Payload::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
                        (1, Payload::Varint(k)) => key = k.to_string(),
                        (2, p) => val = self.element(message, field, &field.ty, p)?,
                        _ => {}
                    }
                }
                let val = match val {
                    Some(v) => v,
                    // An entry without a value holds the type's zero value.
                    None => match &field.ty {
                        Ty::String => Value::String(String::new()),
                        Ty::Bytes => Value::String(String::new()),
                        Ty::Bool => Value::Bool(false),
                        Ty::Message(m) => {
                            self.deeper()?.message_value(m, &[])?.unwrap_or(Value::Null)
                        }
                        _ => Value::from(0),
                    },
                };
                if !matches!(slot, Slot::Map(_)) {
                    *slot = Slot::Map(Map::new());
                }
                if let Slot::Map(m) = slot {
                    m.insert(key, val);
                }
            }
        }
        Ok(())
    }

    /// One value of a field's type; `None` when the JSON omits it (zero Time).
    fn element(
        &self,
        message: &str,
        field: &Field,
        ty: &Ty,
        p: Payload<'_>,
    ) -> Result<Option<Value>, DecodeError> {
        let v = match (ty, p) {
            (Ty::String, Payload::Bytes(b)) => {
                Value::String(String::from_utf8_lossy(b).into_owned())
            }
            (Ty::Bytes, Payload::Bytes(b)) => Value::String(b64(b)),
            (Ty::Int32, Payload::Varint(v)) => Value::from(v as i64 as i32),
            (Ty::Int64, Payload::Varint(v)) => Value::from(v as i64),
            (Ty::Uint32, Payload::Varint(v)) => Value::from(v as u32),
            (Ty::Uint64, Payload::Varint(v)) => Value::from(v),
            (Ty::Int32, Payload::Fixed32(v)) => Value::from(v as i32),
            (Ty::Uint32, Payload::Fixed32(v)) => Value::from(v),
            (Ty::Int64, Payload::Fixed64(v)) => Value::from(v as i64),
            (Ty::Uint64, Payload::Fixed64(v)) => Value::from(v),
            (Ty::Bool, Payload::Varint(v)) => Value::Bool(v != 0),
            (Ty::Double, Payload::Fixed64(v)) => {
                Number::from_f64(f64::from_bits(v)).map_or(Value::Null, Value::Number)
            }
            (Ty::Float, Payload::Fixed32(v)) => {
                Number::from_f64(f64::from(f32::from_bits(v))).map_or(Value::Null, Value::Number)
            }
            (Ty::Message(m), Payload::Bytes(b)) => return self.deeper()?.message_value(m, b),
            (_, p) => return Err(self.wrong(message, field, &p)),
        };
        Ok(Some(v))
    }

    /// A message as a JSON value, with the custom forms of upstream's special types.
    fn message_value(&self, name: &str, b: &[u8]) -> Result<Option<Value>, DecodeError> {
        let Some(short) = name.strip_prefix(META) else {
            return self.other_value(name, b);
        };
        match short {
            "Time" | "MicroTime" => {
                let (mut secs, mut nanos) = (0i64, 0i64);
                for f in Fields::new(b) {
                    match f? {
                        (1, Payload::Varint(v)) => secs = v as i64,
                        (2, Payload::Varint(v)) => nanos = i64::from(v as i64 as i32),
                        _ => {}
                    }
                }
                if secs == 0 && nanos == 0 {
                    return Ok(None); // Go's zero time: `null` upstream, omitted here
                }
                let micro = short == "MicroTime";
                // metav1.Time keeps whole seconds only (its Unmarshal drops nanos).
                let ns = if micro {
                    nanos.clamp(0, 999_999_999) as u32
                } else {
                    0
                };
                let t = chrono::DateTime::from_timestamp(secs, ns)
                    .ok_or_else(|| DecodeError::BadTimestamp(name.into()))?;
                let s = if micro {
                    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
                } else {
                    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                };
                Ok(Some(Value::String(s)))
            }
            "Duration" => {
                let mut d = 0i64;
                for f in Fields::new(b) {
                    if let (1, Payload::Varint(v)) = f? {
                        d = v as i64;
                    }
                }
                Ok(Some(Value::String(go_duration(d))))
            }
            "FieldsV1" => self.raw_json(name, b),
            "Verbs" => self.items(b),
            _ => self.plain(name, b),
        }
    }

    fn other_value(&self, name: &str, b: &[u8]) -> Result<Option<Value>, DecodeError> {
        match name {
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
                let (mut ty, mut int, mut s) = (0u64, 0i32, String::new());
                for f in Fields::new(b) {
                    match f? {
                        (1, Payload::Varint(v)) => ty = v,
                        (2, Payload::Varint(v)) => int = v as i64 as i32,
                        (3, Payload::Bytes(v)) => s = String::from_utf8_lossy(v).into_owned(),
                        _ => {}
                    }
                }
                Ok(Some(if ty == 1 {
                    Value::String(s)
                } else {
                    Value::from(int)
                }))
            }
            "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
                let mut s = String::new();
                for f in Fields::new(b) {
                    if let (1, Payload::Bytes(v)) = f? {
                        s = String::from_utf8_lossy(v).into_owned();
                    }
                }
                Ok(Some(Value::String(if s.is_empty() {
                    "0".into()
                } else {
                    s
                })))
            }
            "io.k8s.apimachinery.pkg.runtime.RawExtension" => self.raw_json(name, b),
            _ if name.ends_with(".ExtraValue") => self.items(b),
            _ => {
                for prefix in [EXT_V1, EXT_V1BETA1] {
                    if let Some(short) = name.strip_prefix(prefix) {
                        return self.apiextensions(prefix, short, name, b);
                    }
                }
                self.plain(name, b)
            }
        }
    }

    fn plain(&self, name: &str, b: &[u8]) -> Result<Option<Value>, DecodeError> {
        Ok(Some(Value::Object(self.message(name, b)?)))
    }

    /// A wrapper of one repeated string (`ExtraValue`, `Verbs`): a JSON list.
    fn items(&self, b: &[u8]) -> Result<Option<Value>, DecodeError> {
        let mut out = Vec::new();
        for f in Fields::new(b) {
            if let (1, Payload::Bytes(v)) = f? {
                out.push(Value::String(String::from_utf8_lossy(v).into_owned()));
            }
        }
        Ok(Some(Value::Array(out)))
    }

    /// `{1: raw bytes}` holding JSON (or, for RawExtension, a nested protobuf object).
    fn raw_json(&self, name: &str, b: &[u8]) -> Result<Option<Value>, DecodeError> {
        let mut raw: &[u8] = &[];
        for f in Fields::new(b) {
            if let (1, Payload::Bytes(v)) = f? {
                raw = v;
            }
        }
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.starts_with(MAGIC) {
            let d = self.deeper()?;
            return super::decode_at(raw, d.schema, d.depth).map(Some);
        }
        serde_json::from_slice(raw)
            .map(Some)
            .map_err(|_| DecodeError::BadRawObject(name.into()))
    }

    fn apiextensions(
        &self,
        prefix: &str,
        short: &str,
        name: &str,
        b: &[u8],
    ) -> Result<Option<Value>, DecodeError> {
        let props = format!("{prefix}JSONSchemaProps");
        match short {
            "JSON" => self.raw_json(name, b),
            // {1: allows bool, 2: schema}: the schema if set, else the bool.
            "JSONSchemaPropsOrBool" => {
                let (mut allows, mut schema) = (false, None);
                for f in Fields::new(b) {
                    match f? {
                        (1, Payload::Varint(v)) => allows = v != 0,
                        (2, Payload::Bytes(v)) => schema = self.deeper()?.plain(&props, v)?,
                        _ => {}
                    }
                }
                Ok(Some(schema.unwrap_or(Value::Bool(allows))))
            }
            // {1: schema, 2: repeated schemas}: the list if non-empty, else the schema.
            "JSONSchemaPropsOrArray" => {
                let (mut schema, mut list) = (None, Vec::new());
                for f in Fields::new(b) {
                    match f? {
                        (1, Payload::Bytes(v)) => schema = self.deeper()?.plain(&props, v)?,
                        (2, Payload::Bytes(v)) => {
                            list.extend(self.deeper()?.plain(&props, v)?);
                        }
                        _ => {}
                    }
                }
                Ok(if list.is_empty() {
                    schema
                } else {
                    Some(Value::Array(list))
                })
            }
            // {1: schema, 2: repeated string}: the schema if set, else the strings.
            "JSONSchemaPropsOrStringArray" => {
                let (mut schema, mut list) = (None, Vec::new());
                for f in Fields::new(b) {
                    match f? {
                        (1, Payload::Bytes(v)) => schema = self.deeper()?.plain(&props, v)?,
                        (2, Payload::Bytes(v)) => {
                            list.push(Value::String(String::from_utf8_lossy(v).into_owned()))
                        }
                        _ => {}
                    }
                }
                Ok(Some(schema.unwrap_or(Value::Array(list))))
            }
            _ => self.plain(name, b),
        }
    }
}
