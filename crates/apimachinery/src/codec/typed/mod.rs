//! Typed decoding of built-in objects, as kube-apiserver decodes a request body (or a
//! patch result) into the kind's Go struct before anything else happens.
//!
//! Objects stay `serde_json::Value`s here (DESIGN.md: values at the edges), so this module
//! walks a decoded value against the upstream schema and does what the Go decoder does to
//! it: a value of the wrong JSON type, an integer that does not fit its `int32`/`int64`, a
//! `[]byte` that is not base64, a time or quantity that does not parse, are errors in
//! upstream's words; unknown fields are dropped and reported (for `fieldValidation`);
//! `null`s become what Go keeps of them (an object field disappears, a list element or map
//! value becomes its type's zero value); `[]byte` and times are rewritten in the form Go
//! writes them back. What passes decodes into the `k8s-openapi` type of its kind.
//!
//! Upstream words the same mistake three ways, by the decoder that meets it
//! ([`Dialect`]): `encoding/json` for bodies and JSON/merge patch results, the unstructured
//! converter for strategic merge patch results, structured-merge-diff for applied
//! configurations. As Go's decoder, the walk goes on past a type error (the first one is
//! reported) but stops at an error of a type's own decoder (times, quantities,
//! int-or-strings). It runs on every write, so it allocates only for what it reports or
//! rewrites.

mod gobase64;
mod gotime;
mod names;

use std::fmt;

use serde_json::{Map, Value};

use crate::gofmt::{go_value, json_kind as kind};
use crate::quantity::Quantity;
use crate::schema::{Definition, Schema, Type};

pub use gobase64::{encode_base64, go_base64_decode};
pub use gotime::{UtcTime, parse_time};

const TIME: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
const MICRO_TIME: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

/// Which upstream decoder's words a type error is reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `encoding/json` (request bodies, JSON and merge patch results):
    /// `json: cannot unmarshal number into Go struct field ConfigMap.data of type string`.
    Json,
    /// The unstructured converter (strategic merge patch results):
    /// `cannot convert int64 to string`, `cannot restore map from slice`.
    Converter,
    /// structured-merge-diff (applied configurations): `.data.k: expected string, got 1`.
    Smd,
}

/// Why a value does not decode into its Go type; `Display` is upstream's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Go's `UnmarshalTypeError`: `json: cannot unmarshal <value> into Go struct field
    /// <Struct>.<field path> of type <type>` (or `into Go value of type <type>` at the top).
    Type {
        /// The JSON kind (`number`, `string`, `bool`, `array`, `object`), or `number 1e30`
        /// for a number that does not fit.
        value: String,
        /// The innermost Go struct around the field (`ObjectMeta`).
        strukt: String,
        /// The JSON field names from the root, dotted (`metadata.labels`).
        field: String,
        /// The Go type (`map[string]string`, `int32`, `types.UID`).
        go_type: String,
    },
    /// Any other decoder's text (`illegal base64 data at input byte 4`,
    /// `parsing time "x" as "2006-01-02T15:04:05Z07:00": ...`, `cannot convert int64 to
    /// string`, `.data.k: expected string, got 1`).
    Other(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Type {
                value,
                strukt,
                field,
                go_type,
            } if strukt.is_empty() && field.is_empty() => {
                write!(
                    f,
                    "json: cannot unmarshal {value} into Go value of type {go_type}"
                )
            }
            DecodeError::Type {
                value,
                strukt,
                field,
                go_type,
            } => write!(
                f,
                "json: cannot unmarshal {value} into Go struct field {strukt}.{field} of type {go_type}"
            ),
            DecodeError::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decode `obj` as an object of the definition `def`, reporting errors in `dialect`: check
/// every value's type, drop unknown fields (returning their paths,
/// `spec.template.spec.containers[0].imagez`), normalise `null`s, bytes and times. On error
/// the object may be partly normalised.
pub fn decode(
    schema: &Schema,
    def: &Definition,
    obj: &mut Value,
    dialect: Dialect,
) -> Result<Vec<String>, DecodeError> {
    let mut w = Walker {
        schema,
        dialect,
        unknown: Vec::new(),
        first: None,
        fatal: None,
    };
    let root = At {
        parent: None,
        seg: Seg::Root,
        strukt: "",
    };
    w.definition(def, obj, &root);
    match w.fatal.or(w.first) {
        Some(e) => Err(e),
        None => Ok(w.unknown),
    }
}

/// Where a value sits: a chain of segments up to the root, rendered only when reported.
struct At<'a> {
    parent: Option<&'a At<'a>>,
    seg: Seg<'a>,
    /// The full definition name of the innermost struct whose field this is (or holds it).
    strukt: &'a str,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

impl At<'_> {
    fn segs(&self) -> Vec<(Seg<'_>, &str)> {
        let mut out = Vec::new();
        let mut at = Some(self);
        while let Some(a) = at {
            out.push((a.seg, a.strukt));
            at = a.parent;
        }
        out.reverse();
        out
    }

    /// The path as strict decoding renders it: `a.b[0].c`, map keys as `a.key`.
    fn path(&self) -> String {
        let mut out = String::new();
        for (seg, _) in self.segs() {
            match seg {
                Seg::Root => {}
                Seg::Field(k) | Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// The path as structured-merge-diff renders it: `.spec.containers[0].name`, `.data.k`.
    fn smd_path(&self) -> String {
        let p = self.path();
        if p.starts_with('[') || p.is_empty() {
            p
        } else {
            format!(".{p}")
        }
    }

    /// The path as Go's decoder names it: field names only, with the Go name of an inline
    /// struct a field is promoted from (`spec.volumes.VolumeSource.configMap`).
    fn go_field(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for (seg, strukt) in self.segs() {
            if let Seg::Field(k) = seg {
                if let Some(inline) = names::promoted_from(strukt, k) {
                    names.push(inline);
                }
                names.push(k);
            }
        }
        names.join(".")
    }

    /// The name of the last field on the path, and the struct that declares it.
    fn last_field(&self) -> Option<(&str, &str)> {
        let mut at = Some(self);
        while let Some(a) = at {
            if let Seg::Field(k) = a.seg {
                return Some((a.strukt, k));
            }
            at = a.parent;
        }
        None
    }
}

/// How a value failed its type.
#[derive(Clone, Copy)]
enum Miss {
    /// The wrong JSON kind.
    Kind,
    /// A number that does not fit the integer type.
    Range,
}

struct Walker<'s> {
    schema: &'s Schema,
    dialect: Dialect,
    unknown: Vec<String>,
    /// The first type error: Go's decoder records it and goes on.
    first: Option<DecodeError>,
    /// An error of a type's own decoder: Go's decoder stops there.
    fatal: Option<DecodeError>,
}

/// A number as it was most likely written: serde_json keeps no literal, and its shortest
/// form differs from the usual one only in an exponent's `+` (`1e+30`).
fn literal(n: &serde_json::Number) -> String {
    n.to_string().replace("e+", "e")
}

impl Walker<'_> {
    fn stopped(&self) -> bool {
        self.fatal.is_some()
    }

    fn save(&mut self, e: DecodeError) {
        if self.first.is_none() {
            self.first = Some(e);
        }
    }

    /// Report `v` at `at` not fitting `ty` (`elem`: the list/map levels below the field
    /// at `at`, to find an element's Go type; `usize::MAX` when `ty` is the type itself).
    fn mismatch(&mut self, at: &At<'_>, v: &Value, ty: &Type, elem: usize, miss: Miss) {
        let e = match self.dialect {
            Dialect::Json => self.json_error(at, v, ty, elem, miss),
            Dialect::Converter => DecodeError::Other(self.converter_error(v, ty, miss)),
            Dialect::Smd => DecodeError::Other(smd_error(at, v, ty)),
        };
        self.save(e);
    }

    /// A type's own decoder failed: the walk stops there.
    fn fail(&mut self, e: DecodeError) {
        self.fatal.get_or_insert(e);
    }

    fn json_error(
        &self,
        at: &At<'_>,
        v: &Value,
        ty: &Type,
        elem: usize,
        miss: Miss,
    ) -> DecodeError {
        let named = (elem != usize::MAX)
            .then(|| at.last_field().and_then(|(s, f)| names::field_type(s, f)))
            .flatten()
            .map(|t| names::strip_levels(t, elem));
        unmarshal_error(
            Some(at),
            v,
            miss,
            named.unwrap_or_else(|| names::type_name(ty)),
        )
    }

    /// The unstructured converter's words (`runtime.DefaultUnstructuredConverter`), which
    /// name Go kinds and no path.
    fn converter_error(&self, v: &Value, ty: &Type, miss: Miss) -> String {
        let src = match v {
            Value::Number(n) if n.is_f64() => "float64",
            Value::Number(_) => "int64",
            Value::String(_) => "string",
            Value::Bool(_) => "bool",
            Value::Array(_) => "slice",
            Value::Object(_) => "map",
            Value::Null => "interface",
        };
        let target = names::type_name(ty);
        let resolved = match ty {
            Type::Ref(n) => self.schema.definition(n).map(|d| &d.ty),
            other => Some(other),
        };
        match (resolved, miss) {
            (Some(Type::Object), _) => format!("cannot restore struct from: {src}"),
            (Some(Type::Map(_)), _) => format!("cannot restore map from {src}"),
            (Some(Type::Array(_)), _) => format!("cannot restore slice from {src}"),
            (Some(Type::String(Some(f))), _) if f == "byte" => {
                format!("cannot restore slice from {src}")
            }
            (_, Miss::Range) => format!("cannot convert {src} to {target}"),
            (Some(Type::String(_)), _) if src == "int64" => {
                format!("cannot convert int64 to {target}")
            }
            _ => format!("unrecognized type: {target}"),
        }
    }

    fn definition(&mut self, def: &Definition, v: &mut Value, at: &At<'_>) {
        match def.name.as_str() {
            TIME => return self.time(v, at, false),
            MICRO_TIME => return self.time(v, at, true),
            QUANTITY => return self.quantity(v, at),
            INT_OR_STRING => return self.int_or_string(v, at),
            _ => {}
        }
        if def.ty != Type::Object {
            return self.value(&def.ty, v, at, 0);
        }
        let Value::Object(map) = v else {
            return self.mismatch(at, v, &Type::Ref(def.name.clone()), 0, Miss::Kind);
        };
        self.fields(def, map, at);
    }

    fn fields(&mut self, def: &Definition, map: &mut Map<String, Value>, at: &At<'_>) {
        let mut drop: Vec<String> = Vec::new();
        for (k, child) in map.iter_mut() {
            if self.stopped() {
                return;
            }
            let here = At {
                parent: Some(at),
                seg: Seg::Field(k),
                strukt: &def.name,
            };
            match def.property(k) {
                None => {
                    self.unknown.push(here.path());
                    drop.push(k.clone());
                }
                // Go leaves a field it reads `null` for at its zero value, which the
                // encoder omits for the optional fields that can be `null`
                Some(_) if child.is_null() => drop.push(k.clone()),
                Some(p) => self.value(&p.ty, child, &here, 0),
            }
        }
        for k in drop {
            map.shift_remove(&k);
        }
        // a required field Go reads nothing (or `null`) for is its zero value, which the
        // encoder writes (no `omitempty`): `"involvedObject":{}`, `"revision":0`, `"name":""`.
        // Typed clients require these fields. A nil slice or map, which Go writes as
        // `null`, is written empty here (`[]`, `{}`): the same value to Go, and a typed
        // client refuses a `null` required field. Applied configurations are partial by
        // design and are left as they are.
        if self.dialect != Dialect::Smd {
            for r in &def.required {
                if map.contains_key(r) || is_required_pointer(&def.name, r) {
                    continue;
                }
                if let Some(zero) = def.property(r).and_then(|p| self.zero_value(&p.ty, 0)) {
                    map.insert(r.clone(), zero);
                }
            }
        }
    }

    /// The JSON Go's encoder writes for the zero value of a required field of type
    /// `ty`; `None` where that is `null` or nothing a typed client reads as a value
    /// (times, quantities, int-or-strings, bytes, free-form JSON).
    fn zero_value(&self, ty: &Type, depth: usize) -> Option<Value> {
        match ty {
            Type::Ref(n) => {
                let d = self.schema.definition(n)?;
                match d.name.as_str() {
                    TIME | MICRO_TIME | QUANTITY | INT_OR_STRING => None,
                    _ if d.ty == Type::Object && !d.properties.is_empty() => {
                        // a zero struct has its own required fields, zero too
                        let mut m = Map::new();
                        for r in &d.required {
                            if depth >= 8 || is_required_pointer(&d.name, r) {
                                continue;
                            }
                            let zero = d
                                .property(r)
                                .and_then(|p| self.zero_value(&p.ty, depth + 1));
                            if let Some(z) = zero {
                                m.insert(r.clone(), z);
                            }
                        }
                        Some(Value::Object(m))
                    }
                    _ => None,
                }
            }
            Type::String(Some(f)) if f == "byte" => None,
            Type::String(_) => Some(Value::String(String::new())),
            Type::Integer(_) | Type::Number => Some(Value::from(0)),
            Type::Boolean => Some(Value::Bool(false)),
            Type::Array(_) => Some(Value::Array(Vec::new())),
            Type::Map(_) => Some(Value::Object(Map::new())),
            Type::Object | Type::Scalar | Type::Any => None,
        }
    }

    /// Check `v` against `ty`. `elem` counts the list/map levels below the field at `at`.
    fn value(&mut self, ty: &Type, v: &mut Value, at: &At<'_>, elem: usize) {
        if self.stopped() {
            return;
        }
        match ty {
            Type::Ref(n) => {
                if let Some(def) = self.schema.definition(n) {
                    self.definition(def, v, at)
                }
            }
            Type::Map(inner) => {
                let Value::Object(m) = v else {
                    return self.mismatch(at, v, ty, elem, Miss::Kind);
                };
                for (k, e) in m.iter_mut() {
                    let here = At {
                        parent: Some(at),
                        seg: Seg::Key(k),
                        strukt: at.strukt,
                    };
                    self.element(inner, e, &here, elem);
                }
            }
            Type::Array(inner) => {
                let Value::Array(a) = v else {
                    return self.mismatch(at, v, ty, elem, Miss::Kind);
                };
                for (i, e) in a.iter_mut().enumerate() {
                    let here = At {
                        parent: Some(at),
                        seg: Seg::Index(i),
                        strukt: at.strukt,
                    };
                    self.element(inner, e, &here, elem);
                }
            }
            Type::String(Some(f)) if f == "byte" => self.bytes(v, at, elem),
            Type::String(_) if !v.is_string() => self.mismatch(at, v, ty, elem, Miss::Kind),
            Type::Integer(f) => self.integer(f.as_deref() == Some("int32"), ty, v, at, elem),
            Type::Number if !v.is_number() => self.mismatch(at, v, ty, elem, Miss::Kind),
            Type::Boolean if !v.is_boolean() => self.mismatch(at, v, ty, elem, Miss::Kind),
            Type::Object if !v.is_object() => self.mismatch(at, v, ty, elem, Miss::Kind),
            _ => {}
        }
    }

    /// A list element or map value: `null` becomes the zero value Go leaves there.
    fn element(&mut self, ty: &Type, e: &mut Value, at: &At<'_>, elem: usize) {
        if self.stopped() {
        } else if e.is_null() {
            *e = self.zero(ty);
        } else {
            self.value(ty, e, at, elem + 1);
        }
    }

    /// What Go leaves in a list element or map value it reads `null` for, as written back.
    /// Where Go writes `null` back (a zero time, a nil `[]byte`), which typed clients in
    /// other languages cannot read in a list or map, the zero value is written out instead
    /// (`0001-01-01T00:00:00Z`, which Go reads back as the zero time; `""`).
    fn zero(&self, ty: &Type) -> Value {
        match ty {
            Type::Ref(n) => match n.as_str() {
                TIME => Value::String("0001-01-01T00:00:00Z".into()),
                MICRO_TIME => Value::String("0001-01-01T00:00:00.000000Z".into()),
                QUANTITY => Value::String("0".into()),
                INT_OR_STRING => Value::from(0),
                _ => match self.schema.definition(n) {
                    // a zero struct has its required fields, zero too (not in an
                    // applied configuration, which is partial by design)
                    Some(d) if d.ty == Type::Object && self.dialect != Dialect::Smd => self
                        .zero_value(ty, 0)
                        .unwrap_or_else(|| Value::Object(Map::new())),
                    Some(d) if d.ty == Type::Object => Value::Object(Map::new()),
                    Some(d) => self.zero(&d.ty),
                    None => Value::Null,
                },
            },
            Type::String(_) => Value::String(String::new()),
            Type::Integer(_) | Type::Number => Value::from(0),
            Type::Boolean => Value::Bool(false),
            Type::Object => Value::Object(Map::new()),
            Type::Map(_) | Type::Array(_) | Type::Scalar | Type::Any => Value::Null,
        }
    }

    /// Whether `v` is an integer that fits; the miss if not.
    fn int_miss(int32: bool, v: &Value) -> Option<Miss> {
        let Value::Number(n) = v else {
            return Some(Miss::Kind);
        };
        match n.as_i64() {
            Some(i) if !int32 || i32::try_from(i).is_ok() => None,
            // a whole float (`2.0`) converts in the converter; Go's JSON decoder refuses it
            _ => Some(Miss::Range),
        }
    }

    fn integer(&mut self, int32: bool, ty: &Type, v: &Value, at: &At<'_>, elem: usize) {
        if let Some(miss) = Self::int_miss(int32, v) {
            self.mismatch(at, v, ty, elem, miss);
        }
    }

    /// `[]byte`: a base64 string (standard alphabet, padded; line breaks ignored) or a list
    /// of byte values; written back as base64 without line breaks.
    fn bytes(&mut self, v: &mut Value, at: &At<'_>, elem: usize) {
        match v {
            Value::String(s) => match go_base64_decode(s) {
                Ok(bytes) => {
                    // line breaks and nonzero trailing bits are not written back
                    if s.contains(['\r', '\n']) || s.ends_with('=') {
                        let canonical = encode_base64(&bytes);
                        if *s != canonical {
                            *s = canonical;
                        }
                    }
                }
                // Go's decoder records this one and goes on
                Err(off) => self.save(DecodeError::Other(format!(
                    "illegal base64 data at input byte {off}"
                ))),
            },
            Value::Array(a) => {
                let mut bytes = Vec::with_capacity(a.len());
                let uint8 = Type::Integer(Some("uint8".into()));
                for e in a.iter() {
                    match e.as_u64() {
                        Some(b) if b <= 255 => bytes.push(b as u8),
                        _ if e.is_null() => bytes.push(0),
                        _ => {
                            let miss = if e.is_number() {
                                Miss::Range
                            } else {
                                Miss::Kind
                            };
                            return self.mismatch(at, e, &uint8, usize::MAX, miss);
                        }
                    }
                }
                *v = Value::String(encode_base64(&bytes));
            }
            _ => self.mismatch(at, v, &Type::String(Some("byte".into())), elem, Miss::Kind),
        }
    }

    /// An error of a type's own decoder that reads the JSON into a Go `target` first (a
    /// time into a string, an int-or-string into an `int32`): `encoding/json` adds the
    /// field's context, the converter calls the decoder bare.
    fn inner_json(&mut self, at: &At<'_>, v: &Value, target: &str, miss: Miss) {
        let e = match self.dialect {
            Dialect::Json => unmarshal_error(Some(at), v, miss, target.into()),
            Dialect::Converter => unmarshal_error(None, v, miss, target.into()),
            Dialect::Smd => DecodeError::Other(smd_error(at, v, &Type::String(None))),
        };
        self.fail(e);
    }

    /// `metav1.Time` / `metav1.MicroTime`: a string in RFC 3339 (`MicroTime`: with six
    /// fractional digits), written back in UTC as Go marshals it.
    fn time(&mut self, v: &mut Value, at: &At<'_>, micro: bool) {
        let Value::String(s) = v else {
            return self.inner_json(at, v, "string", Miss::Kind);
        };
        match parse_time(s, micro) {
            Ok(t) => {
                let canonical = t.format(micro);
                if *s != canonical {
                    *s = canonical;
                }
            }
            Err(e) => self.fail(DecodeError::Other(e)),
        }
    }

    /// `resource.Quantity`: a string or a bare number that parses as a quantity, written
    /// back in its canonical form as Go marshals it (`0.5` -> `"500m"`).
    fn quantity(&mut self, v: &mut Value, at: &At<'_>) {
        let text = match &*v {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => return,
            // the type's decoder sees the raw JSON text, which cannot match
            _ => String::from("{"),
        };
        match Quantity::parse(&text) {
            Ok(q) => {
                let canonical = q.to_string();
                if v.as_str() != Some(canonical.as_str()) {
                    *v = Value::String(canonical);
                }
            }
            Err(e) => {
                let e = match self.dialect {
                    Dialect::Smd if !matches!(v, Value::String(_) | Value::Number(_)) => {
                        smd_error(at, v, &Type::Scalar)
                    }
                    _ => e,
                };
                self.fail(DecodeError::Other(e));
            }
        }
    }

    /// `intstr.IntOrString`: a string, or an integer that fits an `int32`.
    fn int_or_string(&mut self, v: &Value, at: &At<'_>) {
        if matches!(v, Value::String(_) | Value::Null) {
            return;
        }
        if let Some(miss) = Self::int_miss(true, v) {
            self.inner_json(at, v, "int32", miss);
        }
    }
}

/// Go's `UnmarshalTypeError` for `v` missing `go_type`, with the field's context when
/// `at` is given (the converter calls a type's decoder without one).
fn unmarshal_error(at: Option<&At<'_>>, v: &Value, miss: Miss, go_type: String) -> DecodeError {
    let value = match (miss, v) {
        (Miss::Range, Value::Number(n)) => format!("number {}", literal(n)),
        _ => kind(v).to_string(),
    };
    let (strukt, field) = match at.and_then(|a| a.last_field().map(|(s, _)| (a, s))) {
        Some((a, s)) => (names::short_name(s).to_string(), a.go_field()),
        None => (String::new(), String::new()),
    };
    DecodeError::Type {
        value,
        strukt,
        field,
        go_type,
    }
}

/// structured-merge-diff's words: the path, what the schema wants, what it got.
fn smd_error(at: &At<'_>, v: &Value, ty: &Type) -> String {
    let want = match ty {
        Type::Map(_) | Type::Object | Type::Ref(_) => "map",
        Type::Array(_) => "list",
        Type::Integer(_) | Type::Number => "numeric (int or float)",
        Type::Boolean => "boolean",
        Type::String(_) | Type::Scalar | Type::Any => "string",
    };
    let got = match v {
        Value::String(s) => crate::gofmt::go_quote(s),
        other => go_value(other),
    };
    format!("{}: expected {want}, got {got}", at.smd_path())
}

/// The required fields (definition, property) whose Go type is a pointer: Go
/// leaves them nil when the JSON has nothing, and validation tells a nil one
/// apart (`spec.selector: Required value`), so no zero value is filled in.
/// The schema does not say which fields are pointers; these were read from
/// `k8s.io/api` v1.37's types.go (every other required struct, scalar, list or
/// map field there is a value).
pub const REQUIRED_POINTERS: &[(&str, &str)] = &[
    ("io.k8s.api.apps.v1.DaemonSetSpec", "selector"),
    ("io.k8s.api.apps.v1.DeploymentSpec", "selector"),
    ("io.k8s.api.apps.v1.ReplicaSetSpec", "selector"),
    ("io.k8s.api.apps.v1.StatefulSetSpec", "selector"),
    (
        "io.k8s.api.core.v1.ScaleIOPersistentVolumeSource",
        "secretRef",
    ),
    ("io.k8s.api.core.v1.ScaleIOVolumeSource", "secretRef"),
    ("io.k8s.api.networking.v1.IPAddressSpec", "parentRef"),
    ("io.k8s.api.networking.v1.HTTPIngressPath", "pathType"),
];

fn is_required_pointer(def: &str, field: &str) -> bool {
    REQUIRED_POINTERS
        .iter()
        .any(|(d, f)| *d == def && *f == field)
}

#[cfg(test)]
mod tests;
