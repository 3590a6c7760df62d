//! The request pipeline: read the body, authenticate, authorize, then route
//! to health, version, metrics, discovery, OpenAPI or the REST handlers, and
//! count the request.

use std::sync::Arc;
use std::time::Instant;

use apimachinery::ApiError;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};

use crate::auth::{ConnectionAuth, Decision};
use crate::negotiation::{self, Output};
use crate::request_info::{self, RequestInfo};
use crate::response::{self, Body};
use crate::server::{ApiServer, MAX_REQUEST_BYTES};

/// Serve one HTTP request (any body: hyper's from a connection, a buffer in tests).
pub async fn handle<B>(
    server: Arc<ApiServer>,
    conn: &ConnectionAuth,
    req: Request<B>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let query = crate::rest::parse_query_map(parts.uri.query());
    let watch = query
        .get("watch")
        .is_some_and(|v| crate::rest::query_bool(v));
    let info = request_info::parse(&parts.method, parts.uri.path(), watch);
    let result = serve(&server, conn, &parts, body, &info, query).await;
    let resp = match result {
        Ok(r) => r,
        Err(e) => response::error(&e),
    };
    let resource = if info.is_resource_request {
        if info.subresource.is_empty() {
            info.resource.clone()
        } else {
            format!("{}/{}", info.resource, info.subresource)
        }
    } else {
        String::new()
    };
    server.metrics.request(
        &info.verb.to_uppercase(),
        &resource,
        resp.status().as_u16(),
        start.elapsed(),
    );
    tracing::debug!(method = %parts.method, path = %parts.uri, code = resp.status().as_u16(), took = ?start.elapsed(), "request");
    resp
}

async fn read_body<B>(body: B) -> Result<Bytes, ApiError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::request_entity_too_large(format!(
                "the request body is larger than {MAX_REQUEST_BYTES} bytes"
            )))
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "cannot read the request body: {e}"
        ))),
    }
}

async fn serve<B>(
    server: &Arc<ApiServer>,
    conn: &ConnectionAuth,
    parts: &http::request::Parts,
    body: B,
    info: &RequestInfo,
    query: std::collections::HashMap<String, String>,
) -> Result<Response<Body>, ApiError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let user = server.authn.authenticate(conn, &parts.headers).await?;
    if let Decision::Deny(why) = server.authz.authorize(&user, info) {
        return Err(crate::auth::forbidden(&user, info, &why));
    }
    let body = read_body(body).await?;
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let path = parts.uri.path();
    if info.is_resource_request && !info.resource.is_empty() {
        return crate::rest::handle(
            server,
            info,
            &parts.method,
            &parts.headers,
            query,
            &user,
            body,
        )
        .await;
    }
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    let trimmed = path.trim_end_matches('/');
    match trimmed {
        "/version" => Ok(json(&api::discovery::version_info(env!("CARGO_PKG_VERSION"), "")).await),
        "/healthz" | "/livez" | "/readyz" => Ok(response::raw(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "ok",
        )),
        p if p.starts_with("/healthz/")
            || p.starts_with("/livez/")
            || p.starts_with("/readyz/") =>
        {
            Ok(response::raw(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                "ok",
            ))
        }
        "/metrics" => Ok(response::raw(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            server.metrics.render(),
        )),
        "/api" => discovery(accept, true, &parts.headers).await,
        "/apis" => discovery(accept, false, &parts.headers).await,
        "/openapi/v2" => openapi_v2(accept, &parts.headers).await,
        "/openapi/v3" => {
            let idx = tokio::task::spawn_blocking(api::openapi::v3_index)
                .await
                .map_err(ApiError::internal)?;
            Ok(response::raw(
                StatusCode::OK,
                "application/json",
                Bytes::from_static(idx),
            ))
        }
        p if p.starts_with("/openapi/v3/") => {
            let gv = p.trim_start_matches("/openapi/v3/").to_string();
            let doc = tokio::task::spawn_blocking(move || api::openapi::v3_document(&gv))
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(ApiError::path_not_found)?;
            let mut r = response::raw(
                StatusCode::OK,
                "application/json",
                Bytes::from_static(&doc.0),
            );
            if query.contains_key("hash") {
                r.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, immutable"),
                );
            } else {
                r.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache, private"),
                );
            }
            Ok(etag(r, &doc.1, &parts.headers))
        }
        _ => group_discovery(info),
    }
}

/// `r` with `ETag: "hash"`; or, if the request's `If-None-Match` names
/// that tag, a `304 Not Modified` with `r`'s headers but no body (as Go's
/// `http.ServeContent`).
fn etag(mut r: Response<Body>, hash: &str, headers: &http::HeaderMap) -> Response<Body> {
    let tag = format!("\"{hash}\"");
    let Ok(v) = HeaderValue::from_str(&tag) else {
        return r;
    };
    r.headers_mut().insert(header::ETAG, v);
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == tag);
    if !matches {
        return r;
    }
    let mut nm = Response::new(Body::default());
    *nm.status_mut() = StatusCode::NOT_MODIFIED;
    *nm.headers_mut() = std::mem::take(r.headers_mut());
    nm.headers_mut().remove(header::CONTENT_TYPE);
    nm.headers_mut().remove(header::CONTENT_LENGTH);
    nm
}

/// `/openapi/v2`, as kube-openapi serves it: the first `Accept` clause (by
/// quality) that names JSON or the protobuf form picks the body, `406` when
/// none does; one `ETag` (the JSON's hash) for both forms.
async fn openapi_v2(
    accept: Option<&str>,
    headers: &http::HeaderMap,
) -> Result<Response<Body>, ApiError> {
    use api::openapi::{V2_PROTOBUF_CONTENT_TYPE, V2_PROTOBUF_DEPRECATED};
    let offered: [(&str, &str); 3] = [
        ("application/json", "application/json"),
        (V2_PROTOBUF_DEPRECATED, V2_PROTOBUF_CONTENT_TYPE),
        (V2_PROTOBUF_CONTENT_TYPE, V2_PROTOBUF_CONTENT_TYPE),
    ];
    let chosen = negotiation::accept_clauses(accept.unwrap_or("*/*"))
        .into_iter()
        .find_map(|(ty, sub)| {
            offered.iter().find(|(offer, _)| {
                let (oty, osub) = offer.split_once('/').unwrap_or((offer, ""));
                (ty == "*" || ty == oty) && (sub == "*" || sub == osub)
            })
        });
    let Some((offer, content_type)) = chosen else {
        let mut r = response::raw(StatusCode::NOT_ACCEPTABLE, "text/plain; charset=utf-8", "");
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(r);
    };
    let json = *offer == "application/json";
    let body = tokio::task::spawn_blocking(move || {
        if json {
            api::openapi::v2_document()
        } else {
            api::openapi::v2_protobuf()
        }
    })
    .await
    .map_err(ApiError::internal)?;
    let mut r = response::raw(StatusCode::OK, content_type, Bytes::from_static(body));
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(etag(r, api::openapi::v2_hash(), headers))
}

async fn json(v: &serde_json::Value) -> Response<Body> {
    response::json_bytes(StatusCode::OK, serde_json::to_vec(v).unwrap_or_default())
}

async fn discovery(
    accept: Option<&str>,
    core: bool,
    headers: &http::HeaderMap,
) -> Result<Response<Body>, ApiError> {
    let out = negotiation::negotiate(accept, true)?;
    if out == Output::AggregatedDiscovery {
        let doc = if core {
            api::discovery::aggregated_core()
        } else {
            api::discovery::aggregated_apis()
        };
        let mut r =
            response::json_bytes(StatusCode::OK, serde_json::to_vec(&doc).unwrap_or_default());
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(negotiation::AGGREGATED_DISCOVERY),
        );
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(r);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:6443");
    let doc = if core {
        api::discovery::api_versions(host)
    } else {
        api::discovery::api_group_list()
    };
    let mut r = response::object(StatusCode::OK, &doc, out);
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(r)
}

/// `/api/v1`, `/apis/<group>`, `/apis/<group>/<version>`.
fn group_discovery(info: &RequestInfo) -> Result<Response<Body>, ApiError> {
    let segs: Vec<&str> = info.path.trim_matches('/').split('/').collect();
    let doc = match segs.as_slice() {
        ["api", v] => api::discovery::api_resource_list("", v),
        ["apis", g] => api::discovery::api_group(g),
        ["apis", g, v] => api::discovery::api_resource_list(g, v),
        _ => None,
    };
    match doc {
        Some(d) => Ok(response::json_bytes(
            StatusCode::OK,
            serde_json::to_vec(&d).unwrap_or_default(),
        )),
        None => Err(ApiError::path_not_found()),
    }
}
