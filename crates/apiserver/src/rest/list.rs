//! LIST from the watch cache: selectors, pagination (limit/continue) and the
//! resourceVersion / resourceVersionMatch semantics.

use std::sync::Arc;

use apimachinery::ApiError;
use base64::Engine;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::Rest;
use crate::filter::Filter;
use crate::response::{self, Body};
use crate::watchcache::Obj;

/// A decoded continue token: the list's revision and the last key returned.
struct Continue {
    rv: i64,
    start: String,
}

fn encode_continue(rv: i64, last_key: &str, prefix: &str) -> String {
    let start = last_key.strip_prefix(prefix).unwrap_or(last_key);
    let t = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{start}\u{0}")});
    base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_vec(&t).unwrap_or_default())
}

fn decode_continue(token: &str, prefix: &str) -> Result<Continue, ApiError> {
    let bad = || ApiError::bad_request("continue key is not valid: invalid continue token");
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token))
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v["rv"].as_i64().ok_or_else(bad)?;
    let start = v["start"].as_str().ok_or_else(bad)?;
    let start = start.strip_suffix('\u{0}').unwrap_or(start);
    if start.contains("..") || start.starts_with('/') {
        return Err(bad());
    }
    Ok(Continue {
        rv,
        start: format!("{prefix}{start}"),
    })
}

/// Serve a LIST.
pub async fn list(rest: &Rest<'_>) -> Result<Response<Body>, ApiError> {
    let filter = Filter::new(
        rest.res,
        rest.query.get("labelSelector"),
        rest.query.get("fieldSelector"),
    )?;
    let limit = rest.query.int("limit")?.unwrap_or(0).max(0) as usize;
    let objects = rest.objects();
    let prefix = if rest.res.namespaced && !rest.info.namespace.is_empty() {
        format!("{}{}/", objects.prefix(), rest.info.namespace)
    } else {
        objects.prefix().to_string()
    };
    let cache = rest
        .server
        .cache_for(rest.res)
        .ok_or_else(|| ApiError::internal("no watch cache"))?;
    let cont = match rest.query.get("continue") {
        Some(t) if !t.is_empty() => Some(decode_continue(t, objects.prefix())?),
        _ => None,
    };
    let rv_param = rest.query.get("resourceVersion").unwrap_or("");
    let rv_match = rest.query.get("resourceVersionMatch").unwrap_or("");
    if cont.is_some() && !rv_param.is_empty() && rv_param != "0" {
        return Err(ApiError::bad_request(
            "specifying resource version is not allowed when using continue",
        ));
    }
    let list_rv = match (rv_param, rv_match) {
        _ if cont.is_some() => cont.as_ref().map(|c| c.rv).unwrap_or(0),
        ("", "") => rest.server.consistent_read().await?,
        ("", m) => {
            return Err(ApiError::bad_request(format!(
                "resourceVersionMatch is forbidden unless resourceVersion is provided (got {m:?})"
            )));
        }
        ("0", "" | "NotOlderThan") => rest.server.cacher.revision(),
        (rv, "" | "NotOlderThan" | "Exact") => {
            let want = super::parse_resource_version(rv)?;
            if rv_match == "Exact" && want < rest.server.cacher.revision() {
                return exact_list(rest, &filter, &prefix, want).await;
            }
            super::wait_for_revision(rest, want).await?;
            rest.server.cacher.revision()
        }
        (_, m) => {
            return Err(ApiError::bad_request(format!(
                "resourceVersionMatch: Unsupported value: {m:?}: supported values: \"Exact\", \"NotOlderThan\""
            )));
        }
    };
    let after = cont.as_ref().map(|c| c.start.as_str());
    if let Some(c) = &cont
        && c.rv < rest.server.cacher.revision()
    {
        // later pages show the list as of its first page: read them from the store at that revision
        return store_page(rest, &filter, &prefix, &c.start, c.rv, limit).await;
    }
    let (items, more) = match filter.exact_name() {
        Some(name) if !rest.res.namespaced || !rest.info.namespace.is_empty() => {
            let key = objects.key(&rest.info.namespace, name);
            let hit = cache
                .get(&key)
                .filter(|o| after.is_none_or(|a| o.key.as_str() > a) && filter.matches_obj(o));
            (hit.into_iter().collect(), false)
        }
        _ => cache.list(&prefix, after, limit, &|o| filter.matches_obj(o)),
    };
    finish_page(rest, items, more, list_rv)
}

/// Convert a page's objects to the served version and render it, with a
/// continue token after its last object if `more` remain.
fn finish_page(
    rest: &Rest<'_>,
    items: Vec<Arc<Obj>>,
    more: bool,
    rv: i64,
) -> Result<Response<Body>, ApiError> {
    let objects = rest.objects();
    let token = if more {
        items
            .last()
            .map(|o| encode_continue(rv, &o.key, objects.prefix()))
    } else {
        None
    };
    let items: Vec<Arc<Obj>> = items
        .into_iter()
        .map(|o| rest.server.convert_out(rest.res, o))
        .collect();
    render_list(rest, &items, rv, token)
}

/// A page of a list continued at revision `rv`, read from the store.
async fn store_page(
    rest: &Rest<'_>,
    filter: &Filter,
    prefix: &str,
    after: &str,
    rv: i64,
    limit: usize,
) -> Result<Response<Body>, ApiError> {
    let ptrs = crate::filter::field_pointers(api::resources::storage_resource(rest.res));
    let end = storage::prefix_end(prefix.as_bytes());
    let mut start = format!("{after}\u{0}").into_bytes();
    let mut items = Vec::new();
    let mut more = false;
    let batch = limit.max(500);
    loop {
        let req = storage::RangeRequest {
            key: start.clone(),
            range_end: Some(end.clone()),
            limit: batch,
            revision: rv,
            ..Default::default()
        };
        let resp = rest.server.store.range(req).await.map_err(|e| match e {
            storage::StoreError::Compacted { .. } => ApiError::expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
            ),
            other => super::store::store_error(other),
        })?;
        let n = resp.kvs.len();
        for kv in resp.kvs {
            let key = String::from_utf8_lossy(&kv.key).into_owned();
            start = kv.key.clone();
            start.push(0);
            let Some(o) = Obj::decode(key, &kv.value, kv.mod_revision, &ptrs) else {
                continue;
            };
            if !filter.matches_obj(&o) {
                continue;
            }
            if limit > 0 && items.len() == limit {
                more = true;
                break;
            }
            items.push(o);
        }
        if more || !resp.more || n == 0 {
            break;
        }
    }
    finish_page(rest, items, more, rv)
}

/// A list at an exact past revision, read from the store.
async fn exact_list(
    rest: &Rest<'_>,
    filter: &Filter,
    prefix: &str,
    rv: i64,
) -> Result<Response<Body>, ApiError> {
    let resp = rest
        .server
        .store
        .range(storage::RangeRequest::prefix(prefix.as_bytes().to_vec()).at_revision(rv))
        .await
        .map_err(super::store::store_error)?;
    let mut items = Vec::new();
    for kv in resp.kvs {
        let key = String::from_utf8_lossy(&kv.key).into_owned();
        if let Some(o) = Obj::decode(
            key,
            &kv.value,
            kv.mod_revision,
            &crate::filter::field_pointers(api::resources::storage_resource(rest.res)),
        ) && filter.matches_obj(&o)
        {
            items.push(rest.server.convert_out(rest.res, o));
        }
    }
    render_list(rest, &items, rv, None)
}

fn render_list(
    rest: &Rest<'_>,
    items: &[Arc<Obj>],
    rv: i64,
    continue_token: Option<String>,
) -> Result<Response<Body>, ApiError> {
    match rest.output {
        crate::negotiation::Output::Table => {
            let t = super::table::table(rest, items, continue_token, rv, false)?;
            Ok(response::raw(
                StatusCode::OK,
                super::table::TABLE_CONTENT_TYPE,
                t,
            ))
        }
        crate::negotiation::Output::Json => {
            let mut md = json!({"resourceVersion": rv.to_string()});
            if let Some(c) = continue_token {
                md["continue"] = Value::String(c);
            }
            let head = format!(
                "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                rest.res.kind,
                rest.res.api_version(),
                md
            );
            Ok(response::json_list(
                StatusCode::OK,
                head.into_bytes(),
                items.to_vec(),
                b"]}",
            ))
        }
        out => {
            let mut md = json!({"resourceVersion": rv.to_string()});
            if let Some(c) = continue_token {
                md["continue"] = Value::String(c);
            }
            let v = json!({
                "kind": format!("{}List", rest.res.kind),
                "apiVersion": rest.res.api_version(),
                "metadata": md,
                "items": items.iter().map(|o| o.value()).collect::<Vec<_>>(),
            });
            Ok(response::object(StatusCode::OK, &v, out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_token_round_trip() {
        let t = encode_continue(42, "/registry/configmaps/ns/b", "/registry/configmaps/");
        let c = decode_continue(&t, "/registry/configmaps/").unwrap();
        assert_eq!((c.rv, c.start.as_str()), (42, "/registry/configmaps/ns/b"));
        assert!(decode_continue("not-base64!", "/registry/configmaps/").is_err());
    }
}
