//! Building HTTP replies: objects as JSON or YAML, `Status` errors, and the
//! streaming body type shared by plain and watch replies.

use std::convert::Infallible;

use apimachinery::ApiError;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use serde_json::Value;

use crate::negotiation::Output;

/// The reply body: a full buffer or a stream (watch).
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A full body.
pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed_unsync()
}

/// A reply with the given code, content type and body.
pub fn raw(code: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/json")),
    );
    r
}

/// A JSON reply of already-serialized bytes.
pub fn json_bytes(code: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    raw(code, "application/json", body)
}

/// A reply rendering `v` in the negotiated form (JSON or YAML; callers render Tables themselves).
pub fn object(code: StatusCode, v: &Value, out: Output) -> Response<Body> {
    match out {
        Output::Yaml => match apimachinery::codec::yaml::to_yaml(v) {
            Ok(y) => raw(code, "application/yaml", y),
            Err(e) => error(&ApiError::internal(e)),
        },
        _ => json_bytes(code, serde_json::to_vec(v).unwrap_or_default()),
    }
}

/// The `Status` reply of an error.
pub fn error(e: &ApiError) -> Response<Body> {
    let code = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_bytes(code, serde_json::to_vec(&e.to_status()).unwrap_or_default())
}

/// Add a `Warning: 299 - "..."` header.
pub fn add_warning(r: &mut Response<Body>, text: &str) {
    let v = format!(
        "299 - \"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"")
    );
    if let Ok(h) = HeaderValue::from_str(&v) {
        r.headers_mut().append(header::WARNING, h);
    }
}
