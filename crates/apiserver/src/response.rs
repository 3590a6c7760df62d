//! Building HTTP replies: objects as JSON or YAML, `Status` errors, and the
//! streaming body type shared by plain and watch replies.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use apimachinery::ApiError;
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Response, StatusCode, header};
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use serde_json::Value;

use crate::cached::Obj;
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

/// A JSON list reply (`{head}item,item,...{tail}`) of cached objects, written in pieces of
/// about [`LIST_CHUNK`] bytes as the connection takes them: a list of 10,000 pods (~20 MB)
/// is never one buffer, and its first bytes leave before its last are copied. The length is
/// known up front (`Content-Length`, no chunked encoding for HTTP/1.1 clients).
pub fn json_list(
    code: StatusCode,
    head: Vec<u8>,
    items: Vec<Arc<Obj>>,
    tail: &'static [u8],
) -> Response<Body> {
    let commas = items.len().saturating_sub(1);
    let len = head.len() + items.iter().map(|o| o.json.len()).sum::<usize>() + commas + tail.len();
    let body = JsonList {
        head: Some(Bytes::from(head)),
        items: items.into_iter(),
        first: true,
        tail: Some(tail),
        remaining: len as u64,
    };
    let mut r = Response::new(body.boxed_unsync());
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Target size of one piece of a [`json_list`] body.
pub const LIST_CHUNK: usize = 64 << 10;

struct JsonList {
    head: Option<Bytes>,
    items: std::vec::IntoIter<Arc<Obj>>,
    first: bool,
    tail: Option<&'static [u8]>,
    remaining: u64,
}

impl http_body::Body for JsonList {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let mut buf = BytesMut::new();
        if let Some(head) = this.head.take() {
            buf.reserve(LIST_CHUNK.max(head.len()));
            buf.extend_from_slice(&head);
        }
        while buf.len() < LIST_CHUNK {
            match this.items.next() {
                Some(o) => {
                    if buf.capacity() == 0 {
                        buf.reserve(LIST_CHUNK.max(o.json.len() + 1));
                    }
                    if !std::mem::take(&mut this.first) {
                        buf.extend_from_slice(b",");
                    }
                    buf.extend_from_slice(&o.json);
                }
                None => {
                    if let Some(tail) = this.tail.take() {
                        buf.extend_from_slice(tail);
                    }
                    break;
                }
            }
        }
        if buf.is_empty() {
            return Poll::Ready(None);
        }
        this.remaining = this.remaining.saturating_sub(buf.len() as u64);
        Poll::Ready(Some(Ok(Frame::data(buf.freeze()))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 && self.tail.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A JSON reply of already-serialized bytes, ending with a newline as every JSON body
/// upstream writes does (its encoder adds one; clients compare error bodies byte for byte).
pub fn json_bytes(code: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    raw(code, "application/json", with_newline(body.into()))
}

/// `b` ending with a newline (copied once when it does not).
pub fn with_newline(b: Bytes) -> Bytes {
    if b.last() == Some(&b'\n') {
        return b;
    }
    let mut out = BytesMut::with_capacity(b.len() + 1);
    out.extend_from_slice(&b);
    out.extend_from_slice(b"\n");
    out.freeze()
}

/// Serialized JSON with its trailing newline, without a second copy.
fn json_vec(v: &impl serde::Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec(v).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A reply rendering `v` in the negotiated form (JSON or YAML; callers render Tables themselves).
pub fn object(code: StatusCode, v: &Value, out: Output) -> Response<Body> {
    match out {
        Output::PartialMetadata(p) => {
            match crate::partial::transform(v, p).and_then(|pv| crate::partial::body(&pv, p)) {
                Ok(out) => raw(code, &p.content_type(), out),
                Err(e) => error(&e),
            }
        }
        Output::Yaml => match apimachinery::codec::yaml::to_yaml(v) {
            Ok(y) => raw(code, "application/yaml", y),
            Err(e) => error(&ApiError::internal(e)),
        },
        // in upstream's field order: a stored object's reply after a write, or one built
        // here (a Scale, a review, a dry run)
        _ => {
            let mut out = apimachinery::codec::order::to_vec(v, false).unwrap_or_default();
            out.push(b'\n');
            json_bytes(code, out)
        }
    }
}

/// The `Status` reply of an error.
pub fn error(e: &ApiError) -> Response<Body> {
    let code = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = json_bytes(code, json_vec(&e.to_status()));
    if let Some(s) = e.details.as_ref().and_then(|d| d.retry_after_seconds)
        && s > 0
        && let Ok(v) = http::HeaderValue::from_str(&s.to_string())
    {
        r.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    r
}

/// Warnings as upstream's recorder (`endpoints/filters/warning.go`) lets them out: each
/// text once; once their texts add up to more than 4,096 characters, every warning is cut to
/// 256 characters and no more are added after 4,096 in all (so a request that earns a
/// hundred long warnings gets a few dozen headers, not a hundred, which common HTTP clients
/// refuse).
pub fn bounded_warnings(warnings: &[String]) -> Vec<String> {
    const TOTAL: usize = 4096;
    const TRUNCATE_AT: usize = 256;
    let cut = |w: &str| -> (String, usize) {
        let n = w.chars().count();
        if n > TRUNCATE_AT {
            (w.chars().take(TRUNCATE_AT).collect(), TRUNCATE_AT)
        } else {
            (w.to_string(), n)
        }
    };
    let mut recorded: Vec<&String> = Vec::new();
    let mut out = Vec::new();
    let (mut written, mut truncating) = (0, false);
    for w in warnings {
        if truncating && written >= TOTAL {
            break;
        }
        if recorded.contains(&w) {
            continue;
        }
        recorded.push(w);
        let (text, n) = if truncating {
            cut(w)
        } else {
            (w.clone(), w.chars().count())
        };
        if truncating || written + n <= TOTAL {
            written += n;
            out.push(text);
            continue;
        }
        // past the limit: replay everything so far, cut
        truncating = true;
        out.clear();
        written = 0;
        for r in &recorded {
            let (text, n) = cut(r);
            written += n;
            out.push(text);
        }
    }
    out
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

#[cfg(test)]
mod warning_tests {
    use super::bounded_warnings;

    #[test]
    fn warnings_are_deduplicated_and_bounded() {
        let few = vec!["a".to_string(), "b".to_string(), "a".to_string()];
        assert_eq!(bounded_warnings(&few), ["a", "b"]);
        // under 4,096 characters in all: every one, whole
        let short: Vec<String> = (0..101).map(|i| format!("w{i:03}")).collect();
        assert_eq!(bounded_warnings(&short).len(), 101);
        let many: Vec<String> = (0..101)
            .map(|i| format!("unknown field \"spec.f{i}\" {}", "x".repeat(300)))
            .collect();
        let out = bounded_warnings(&many);
        assert!(out.iter().all(|w| w.chars().count() <= 256));
        // added until 4,096 characters are written (the one that crosses it included)
        assert_eq!(out.len(), 4096 / 256);
        assert!(out[0].starts_with("unknown field \"spec.f0\""));
    }
}

#[cfg(test)]
mod list_tests {
    use super::*;

    fn obj(i: usize) -> Arc<Obj> {
        let json = serde_json::to_vec(&serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("c{i}"), "namespace": "d", "resourceVersion": "5"},
            "data": {"x": "y".repeat(900)},
        }))
        .unwrap();
        Obj::from_json(format!("/registry/configmaps/d/c{i}"), json.into(), 5, &[]).unwrap()
    }

    async fn body_of(items: Vec<Arc<Obj>>) -> (Option<u64>, usize, Vec<u8>) {
        let r = json_list(StatusCode::OK, b"{\"items\":[".to_vec(), items, b"]}");
        let mut body = r.into_body();
        let hint = http_body::Body::size_hint(&body).exact();
        let mut frames = 0;
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            out.extend_from_slice(frame.unwrap().data_ref().unwrap());
            frames += 1;
        }
        (hint, frames, out)
    }

    /// A list larger than a piece comes in several pieces, of exactly the announced length,
    /// forming the same JSON as one buffer would.
    #[tokio::test]
    async fn a_large_list_streams_in_pieces_of_its_exact_length() {
        let items: Vec<_> = (0..300).map(obj).collect();
        let mut whole = b"{\"items\":[".to_vec();
        for (i, o) in items.iter().enumerate() {
            if i > 0 {
                whole.push(b',');
            }
            whole.extend_from_slice(&o.json);
        }
        whole.extend_from_slice(b"]}");
        let (hint, frames, out) = body_of(items).await;
        assert_eq!(out, whole);
        assert_eq!(hint, Some(whole.len() as u64));
        assert!(
            frames > 1 && frames <= whole.len() / LIST_CHUNK + 2,
            "{frames} pieces"
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 300);

        let (hint, frames, out) = body_of(Vec::new()).await;
        assert_eq!(out, b"{\"items\":[]}");
        assert_eq!((hint, frames), (Some(out.len() as u64), 1));
    }
}
