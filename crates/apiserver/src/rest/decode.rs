//! Decoding what a write sends into its kind's type, as upstream's handlers do before
//! anything else: the body's media type and syntax, apiVersion/kind, the typed decode
//! (`apimachinery::codec::typed`) with its errors in the shape upstream gives them for
//! where the object came from (a body, a patch result, an applied configuration), strict
//! decoding errors under `fieldValidation`, and the namespace from the URL.

use apimachinery::ApiError;
use apimachinery::codec::typed::{self, Dialect};
use apimachinery::field::{ErrorKind, FieldError};
use serde_json::Value;

use super::Rest;
use crate::fieldvalidation::{self, FieldValidation};
use crate::meta;
use crate::negotiation::{self, BodyType};

/// An object decoded from a request body, with the warnings to send back.
pub struct Decoded {
    /// The object.
    pub obj: Value,
    /// `Warning` header texts.
    pub warnings: Vec<String>,
}

/// A request body decoded into a JSON value, with what a strict decoder says of it
/// (`duplicate field "a"`, `line 3: key "a" already set in map`).
pub struct RawBody {
    /// The value.
    pub value: Value,
    /// Strict decoding errors, reported by `fieldValidation`.
    pub strict: Vec<String>,
}

/// Where an object being admitted came from, which decides how a value that does not
/// decode into the kind's type is reported (as upstream's handlers report it).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A create or update body: 400 `<Kind> in version "<v>" cannot be handled as a
    /// <Kind>: <error>`.
    Body,
    /// The result of a JSON or merge patch: 422 with the cause `patch`, whose value is the
    /// patched object's JSON.
    Patched,
    /// The result of a strategic merge patch: 422 with the cause `patch`, whose value is
    /// the patch as Go prints it.
    StrategicPatch(&'a Value),
    /// The result of server-side apply, whose applied configuration was checked first.
    Applied,
}

/// Decode a request body (JSON, YAML or protobuf) into a JSON value. Syntax errors and
/// bodies that are not objects answer upstream's "unrecognized object" 400.
pub fn decode_raw(rest: &Rest<'_>, body: &[u8]) -> Result<RawBody, ApiError> {
    let ct = rest.header("content-type");
    let bt = negotiation::body_type(ct)?;
    let fv =
        FieldValidation::parse(rest.query.get("fieldValidation")).map_err(ApiError::bad_request)?;
    let unrecognized = |e: &dyn std::fmt::Display| unrecognized(rest, &e.to_string(), body);
    let (value, strict) = match bt {
        BodyType::Json => {
            let (v, dups) = apimachinery::codec::json::from_json_strict(body)
                .map_err(|e| unrecognized(&go_syntax_error(body).unwrap_or(e.to_string())))?;
            (
                v,
                dups.iter()
                    .map(|d| format!("duplicate field \"{d}\""))
                    .collect(),
            )
        }
        BodyType::Yaml => {
            let v = apimachinery::codec::yaml::from_yaml(body).map_err(|e| unrecognized(&e))?;
            // upstream's strict YAML pass runs unless the client asked to ignore it
            let dups = if fv == FieldValidation::Ignore {
                vec![]
            } else {
                apimachinery::codec::yaml::duplicate_keys(body).unwrap_or_default()
            };
            let strict = match dups.is_empty() {
                true => vec![],
                false => vec![format!("yaml: unmarshal errors:\n  {}", dups.join("\n  "))],
            };
            (v, strict)
        }
        BodyType::Protobuf => (
            apimachinery::codec::protobuf::decode(body, apimachinery::Schema::builtin()).map_err(
                |e| {
                    ApiError::bad_request(format!(
                        "{kind} in version {:?} cannot be handled as a {kind}: {e}",
                        rest.res.version,
                        kind = rest.res.kind
                    ))
                },
            )?,
            vec![],
        ),
        _ => return Err(ApiError::unsupported_media_type(negotiation::BODY_TYPES)),
    };
    if !value.is_object() {
        let e = format!(
            "json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
            apimachinery::gofmt::json_kind(&value)
        );
        return Err(unrecognized(&e));
    }
    for f in ["apiVersion", "kind"] {
        if let Some(v) = value.get(f).filter(|v| !v.is_string() && !v.is_null()) {
            let e = format!(
                "json: cannot unmarshal {} into Go struct field .{f} of type string",
                apimachinery::gofmt::json_kind(v)
            );
            return Err(unrecognized(&e));
        }
    }
    Ok(RawBody { value, strict })
}

/// Go's `encoding/json` words for the syntax errors clients meet most, where serde_json's
/// differ: no body at all, and a body that is not JSON from its first character (YAML sent
/// as JSON: `invalid character 'a' looking for beginning of value`).
fn go_syntax_error(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let c = text
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .chars()
        .next();
    match c {
        None => Some("unexpected end of JSON input".into()),
        Some('{' | '[' | '"' | '-' | '0'..='9' | 't' | 'f' | 'n') => None,
        Some('\'') => Some(r"invalid character '\'' looking for beginning of value".into()),
        Some(c) => {
            let q = apimachinery::gofmt::go_quote(&c.to_string());
            let inner = &q[1..q.len() - 1];
            Some(format!(
                "invalid character '{inner}' looking for beginning of value"
            ))
        }
    }
}

/// Upstream's answer to a body whose kind cannot even be read: 400 `the object provided is
/// unrecognized (must be of type <Kind>): couldn't get version/kind; json parse error:
/// <error> (<the body's first 30 bytes>)`.
fn unrecognized(rest: &Rest<'_>, err: &str, body: &[u8]) -> ApiError {
    let summary = match body {
        [] => "<empty>".to_string(),
        [b'{', ..] if body.len() > 30 => format!("{} ...", String::from_utf8_lossy(&body[..30])),
        [b'{', ..] => String::from_utf8_lossy(body).into_owned(),
        _ => {
            let hex: String = body.iter().take(30).map(|b| format!("{b:02x}")).collect();
            if body.len() > 30 {
                format!("{hex} ...")
            } else {
                hex
            }
        }
    };
    ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: {err} ({summary})",
        rest.res.kind
    ))
}

/// Check apiVersion/kind against the resource, decode the object into its kind's type
/// (type errors, unknown fields, `fieldValidation`), and set the namespace from the URL.
pub fn admit_shape(
    rest: &Rest<'_>,
    mut obj: Value,
    strict: Vec<String>,
    source: Source<'_>,
) -> Result<Decoded, ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be an object",
        ));
    }
    let want_av = rest.res.api_version();
    let av = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !av.is_empty() && av != want_av {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({want_av})"
        )));
    }
    if !kind.is_empty() && kind != rest.res.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            rest.res.kind
        )));
    }
    obj["apiVersion"] = Value::String(want_av);
    obj["kind"] = Value::String(rest.res.kind.to_string());
    let fv =
        FieldValidation::parse(rest.query.get("fieldValidation")).map_err(ApiError::bad_request)?;
    let gvk = apimachinery::Gvk::new(rest.res.group, rest.res.version, rest.res.kind);
    let (strict, before) = decode_typed(&mut obj, &gvk, strict, source)?;
    let mut warnings = Vec::new();
    match fv {
        FieldValidation::Strict if !strict.is_empty() => {
            let shown = before.as_ref().unwrap_or(&obj);
            let e = fieldvalidation::strict_error(&strict);
            return Err(decode_error(&gvk, &e, shown, source));
        }
        FieldValidation::Warn => warnings.extend(fieldvalidation::warnings(&strict)),
        _ => {}
    }
    let url_ns = rest.info.namespace.as_str();
    if rest.res.namespaced {
        let ns = meta::namespace(&obj).to_string();
        if !ns.is_empty() && ns != url_ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        meta::set_meta(
            &mut obj,
            "namespace",
            Some(Value::String(url_ns.to_string())),
        );
    } else {
        meta::set_meta(&mut obj, "namespace", None);
    }
    Ok(Decoded { obj, warnings })
}

/// Decode `obj` into the type of `gvk` as upstream's decoder for `source` does (type
/// errors answer in upstream's shape for the source); return the strict decoding errors
/// (`strict` and the unknown fields dropped), and for a JSON or merge patch result the
/// object as it was, which its errors show.
pub fn decode_typed(
    obj: &mut Value,
    gvk: &apimachinery::Gvk,
    mut strict: Vec<String>,
    source: Source<'_>,
) -> Result<(Vec<String>, Option<Value>), ApiError> {
    let before = matches!(source, Source::Patched).then(|| obj.clone());
    let schema = apimachinery::Schema::builtin();
    if let Some(def) = schema.for_gvk(gvk) {
        let dialect = match source {
            Source::StrategicPatch(_) => Dialect::Converter,
            _ => Dialect::Json,
        };
        match typed::decode(schema, def, obj, dialect) {
            Ok(unknown) => strict.extend(unknown.iter().map(|u| format!("unknown field \"{u}\""))),
            Err(e) => {
                let shown = before.as_ref().unwrap_or(obj);
                return Err(decode_error(gvk, &e.to_string(), shown, source));
            }
        }
    }
    Ok((strict, before))
}

/// A request body of a subresource's own kind (`Scale`, `Binding`, `Eviction`), decoded
/// into that kind's type; unknown fields are dropped (and fail under `Strict`).
pub fn decode_body_as(
    rest: &Rest<'_>,
    body: &[u8],
    gvk: &apimachinery::Gvk,
) -> Result<Value, ApiError> {
    let RawBody { mut value, strict } = decode_raw(rest, body)?;
    let (strict, _) = decode_typed(&mut value, gvk, strict, Source::Body)?;
    let fv =
        FieldValidation::parse(rest.query.get("fieldValidation")).map_err(ApiError::bad_request)?;
    if fv == FieldValidation::Strict && !strict.is_empty() {
        let e = fieldvalidation::strict_error(&strict);
        return Err(decode_error(gvk, &e, &value, Source::Body));
    }
    Ok(value)
}

/// A decoding error of an object from `source`, in upstream's shape for that source.
fn decode_error(gvk: &apimachinery::Gvk, err: &str, obj: &Value, source: Source<'_>) -> ApiError {
    let patch_invalid = |value: String| {
        ApiError::invalid(
            "",
            "",
            "",
            &[FieldError {
                kind: ErrorKind::Invalid,
                field: "patch".into(),
                value: Some(apimachinery::gofmt::go_quote(&value)),
                detail: err.to_string(),
            }],
        )
    };
    match source {
        Source::Body | Source::Applied => ApiError::bad_request(format!(
            "{kind} in version {:?} cannot be handled as a {kind}: {err}",
            gvk.version,
            kind = gvk.kind
        )),
        Source::Patched => patch_invalid(go_json(obj)),
        Source::StrategicPatch(patch) => patch_invalid(apimachinery::gofmt::go_value(patch)),
    }
}

/// An object's JSON as Go's `json.Marshal` of a decoded map writes it: top-level keys
/// sorted (what json-patch hands back to upstream's patch handler).
fn go_json(obj: &Value) -> String {
    match obj {
        Value::Object(m) => {
            let sorted: std::collections::BTreeMap<&String, &Value> = m.iter().collect();
            serde_json::to_string(&sorted).unwrap_or_default()
        }
        other => other.to_string(),
    }
}
