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

/// A decoded continue token: the list's revision (negative: the latest) and the key to
/// go on from (inclusive), inside the list's own key prefix.
struct Continue {
    rv: i64,
    start: String,
}

const CONTINUE_VERSION: &str = "meta.k8s.io/v1";

/// A continue token after `last_key` of a list of the keys under `list_prefix`: upstream's
/// unpadded URL-safe base64 of `{"v","rv","start"}`, the start key relative to the list's
/// own prefix so that no token can name a key outside the list it came from.
fn encode_continue(rv: i64, last_key: &str, list_prefix: &str) -> String {
    let start = last_key.strip_prefix(list_prefix).unwrap_or(last_key);
    // the next page starts just after the last key (an expired page's start key has it)
    let start = match start.ends_with('\u{0}') {
        true => start.to_string(),
        false => format!("{start}\u{0}"),
    };
    let t = json!({"v": CONTINUE_VERSION, "rv": rv, "start": start});
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&t).unwrap_or_default())
}

/// Decode a continue token for a list of the keys under `list_prefix`, with upstream's
/// checks and words (400 `invalid continue token: continue key is not valid: ...`). The
/// start key must be a clean path, and is joined to the list's prefix.
fn decode_continue(token: &str, list_prefix: &str) -> Result<Continue, ApiError> {
    let bad = |why: &str| {
        ApiError::bad_request(format!(
            "invalid continue token: continue key is not valid{why}"
        ))
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|e| {
            let at = match e {
                base64::DecodeError::InvalidByte(i, _)
                | base64::DecodeError::InvalidLastSymbol(i, _) => i,
                _ => token.len(),
            };
            bad(&format!(": illegal base64 data at input byte {at}"))
        })?;
    let v: Value = serde_json::from_slice(&raw).map_err(|e| bad(&format!(": {e}")))?;
    let version = v.get("v").and_then(Value::as_str).unwrap_or("");
    if version != CONTINUE_VERSION {
        return Err(bad(&format!(
            ": server does not recognize this encoded version {version}"
        )));
    }
    let rv = match v.get("rv") {
        None | Some(Value::Null) => 0,
        Some(n) => n.as_i64().ok_or_else(|| {
            bad(&format!(
                ": json: cannot unmarshal {} into Go struct field continueToken.rv of type int64",
                apimachinery::gofmt::json_kind(n)
            ))
        })?,
    };
    if rv == 0 {
        return Err(bad(&format!(
            ": incorrect encoded start resourceVersion (version {CONTINUE_VERSION})"
        )));
    }
    let start = v.get("start").and_then(Value::as_str).unwrap_or("");
    if start.is_empty() {
        return Err(bad(&format!(
            ": encoded start key empty (version {CONTINUE_VERSION})"
        )));
    }
    let rooted = if start.starts_with('/') {
        start.to_string()
    } else {
        format!("/{start}")
    };
    if clean_path(&rooted) != rooted {
        return Err(bad(&format!(": {start}")));
    }
    Ok(Continue {
        rv,
        start: format!("{list_prefix}{}", &rooted[1..]),
    })
}

/// Go's `path.Clean`: one slash between elements, no `.` elements, `..` eliminated with
/// the element before it (and at the root), no trailing slash.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for el in p.split('/') {
        match el {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            e => out.push(e),
        }
    }
    format!("/{}", out.join("/"))
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
    let rv_param = rest.query.get("resourceVersion").unwrap_or("");
    let rv_match = rest.query.get("resourceVersionMatch").unwrap_or("");
    // a list of one name reads no range: upstream ignores a continue token there
    let one_name =
        filter.exact_name().is_some() && (!rest.res.namespaced || !rest.info.namespace.is_empty());
    let token = rest
        .query
        .get("continue")
        .filter(|t| !t.is_empty() && !one_name);
    if token.is_some() && !rv_match.is_empty() {
        return Err(ApiError::invalid(
            "ListOptions",
            "meta.k8s.io",
            "",
            &[apimachinery::field::FieldError::forbidden(
                &apimachinery::field::FieldPath::root("resourceVersionMatch"),
                "resourceVersionMatch is forbidden when continue is provided",
            )],
        ));
    }
    let cont = match token {
        Some(t) => Some(decode_continue(t, &prefix)?),
        None => None,
    };
    if cont.is_some() && !rv_param.is_empty() && rv_param != "0" {
        return Err(ApiError::bad_request(
            "specifying resource version is not allowed when using continue",
        ));
    }
    let list_rv = match (rv_param, rv_match) {
        // a negative revision continues at the latest one
        _ if cont.as_ref().is_some_and(|c| c.rv < 0) => rest.server.consistent_read().await?,
        _ if cont.is_some() => {
            let rv = cont.as_ref().map(|c| c.rv).unwrap_or(0);
            super::wait_for_revision(rest, rv).await?;
            rv
        }
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
        && c.rv > 0
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
    finish_page(rest, &prefix, items, more, list_rv)
}

/// Convert a page's objects to the served version and render it, with a
/// continue token after its last object if `more` remain.
fn finish_page(
    rest: &Rest<'_>,
    list_prefix: &str,
    items: Vec<Arc<Obj>>,
    more: bool,
    rv: i64,
) -> Result<Response<Body>, ApiError> {
    let token = if more {
        items
            .last()
            .map(|o| encode_continue(rv, &o.key, list_prefix))
    } else {
        None
    };
    let items: Vec<Arc<Obj>> = items
        .into_iter()
        .map(|o| rest.server.convert_out(rest.res, o))
        .collect();
    render_list(rest, &items, rv, token)
}

const INCONSISTENT_CONTINUE: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

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
    let mut start = after.as_bytes().to_vec();
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
            // as upstream: a token at the latest revision lets the client go on, inconsistently
            storage::StoreError::Compacted { .. } => ApiError::expired(INCONSISTENT_CONTINUE)
                .with_continue(encode_continue(-1, after, prefix)),
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
    finish_page(rest, prefix, items, more, rv)
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
                response::with_newline(t.into()),
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
                b"]}\n",
            ))
        }
        crate::negotiation::Output::PartialMetadata(p) => {
            if !p.list {
                return Err(crate::partial::is_a_list(
                    &rest.res.api_version(),
                    &format!("{}List", rest.res.kind),
                ));
            }
            let mut md = json!({"resourceVersion": rv.to_string()});
            if let Some(c) = continue_token {
                md["continue"] = Value::String(c);
            }
            let mut body = format!(
                "{{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                p.api_version(),
                md
            )
            .into_bytes();
            for (i, o) in items.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend(crate::cached::partial_metadata(&o.json, p.api_version()));
            }
            body.extend_from_slice(b"]}");
            let body = crate::partial::body_of_json(body, p)?;
            Ok(response::raw(StatusCode::OK, &p.content_type(), body))
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
        let p = "/registry/configmaps/ns/";
        let t = encode_continue(42, "/registry/configmaps/ns/b", p);
        assert!(!t.contains('='), "unpadded: {t}");
        let c = decode_continue(&t, p).unwrap();
        assert_eq!(
            (c.rv, c.start.as_str()),
            (42, "/registry/configmaps/ns/b\u{0}")
        );
        // the start key is relative to the list: a token of namespace `ns` read by a list of
        // namespace `other` stays in `other`
        let c = decode_continue(&t, "/registry/configmaps/other/").unwrap();
        assert_eq!(c.start, "/registry/configmaps/other/b\u{0}");
    }

    fn token(v: serde_json::Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn crafted_continue_tokens_stay_in_their_list_or_answer_400() {
        let p = "/registry/configmaps/b/";
        let msg = |t: &str| decode_continue(t, p).err().map(|e| (e.code, e.message));
        let bad = |why: &str| {
            Some((
                400,
                format!("invalid continue token: continue key is not valid{why}"),
            ))
        };
        for start in ["../a/x", "/../a/x", "a/../../x", "a//b", "a/", ".", "x/./y"] {
            let t = token(json!({"v": "meta.k8s.io/v1", "rv": 5, "start": start}));
            assert_eq!(msg(&t), bad(&format!(": {start}")), "{start}");
        }
        // a rooted start key is clean and stays under the list's prefix
        let t = token(json!({"v": "meta.k8s.io/v1", "rv": 5, "start": "/a/x"}));
        assert_eq!(
            decode_continue(&t, p).unwrap().start,
            "/registry/configmaps/b/a/x"
        );
        let t = token(json!({"v": "meta.k8s.io/v2", "rv": 5, "start": "x"}));
        assert_eq!(
            msg(&t),
            bad(": server does not recognize this encoded version meta.k8s.io/v2")
        );
        let t = token(json!({"v": "meta.k8s.io/v1", "start": "x"}));
        assert_eq!(
            msg(&t),
            bad(": incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        );
        let t = token(json!({"v": "meta.k8s.io/v1", "rv": 5}));
        assert_eq!(
            msg(&t),
            bad(": encoded start key empty (version meta.k8s.io/v1)")
        );
        assert_eq!(
            msg("not-base64!"),
            bad(": illegal base64 data at input byte 10")
        );
        // a negative revision is accepted: the latest
        let t = token(json!({"v": "meta.k8s.io/v1", "rv": -1, "start": "x"}));
        assert_eq!(decode_continue(&t, p).unwrap().rv, -1);
        assert_eq!(clean_path("/a/../../b/./c//"), "/b/c");
    }
}
