//! DELETE and DELETECOLLECTION: delete options (preconditions, grace period,
//! propagation policy recorded as the `orphan` / `foregroundDeletion`
//! finalizers, dry run) and graceful deletion: an object with finalizers keeps
//! living with `deletionTimestamp` set until they are gone.

use apimachinery::ApiError;
use apimachinery::errors::{StatusDetails, success_status};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::Rest;
use super::store::Change;
use crate::filter::Filter;
use crate::meta;
use crate::negotiation::{self, BodyType};
use crate::response::{self, Body};

/// Parsed `DeleteOptions`.
#[derive(Debug, Default, Clone)]
pub struct DeleteOptions {
    /// `gracePeriodSeconds`.
    pub grace_period: Option<i64>,
    /// `propagationPolicy`.
    pub propagation: Option<String>,
    /// `preconditions.uid`.
    pub uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub resource_version: Option<String>,
    /// `orphanDependents` (deprecated form of Orphan).
    pub orphan_dependents: Option<bool>,
    /// `dryRun: [All]`.
    pub dry_run: bool,
}

/// Read delete options from the body (JSON or protobuf) and the query.
pub fn delete_options(rest: &Rest<'_>, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let mut o = DeleteOptions::default();
    let trimmed: &[u8] = {
        let s = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(body.len());
        &body[s..]
    };
    if !trimmed.is_empty() {
        let mut v: Value = match negotiation::body_type(rest.header("content-type"))? {
            BodyType::Protobuf => {
                apimachinery::codec::protobuf::decode(body, apimachinery::Schema::builtin())
                    .map_err(|e| {
                        ApiError::bad_request(format!("error decoding DeleteOptions: {e}"))
                    })?
            }
            BodyType::Yaml => apimachinery::codec::yaml::from_yaml(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?,
            _ => serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?,
        };
        // decoded into DeleteOptions' type first, as upstream does (which answers a failure
        // with a 500; a client's mistake is a 400 here)
        let schema = apimachinery::Schema::builtin();
        if let Some(def) = schema.for_gvk(&apimachinery::Gvk::new("", "v1", "DeleteOptions"))
            && v.is_object()
        {
            apimachinery::codec::typed::decode(
                schema,
                def,
                &mut v,
                apimachinery::codec::typed::Dialect::Json,
            )
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?;
        }
        o.grace_period = v.get("gracePeriodSeconds").and_then(Value::as_i64);
        o.propagation = v
            .get("propagationPolicy")
            .and_then(Value::as_str)
            .map(str::to_string);
        o.uid = v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string);
        o.resource_version = v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        o.orphan_dependents = v.get("orphanDependents").and_then(Value::as_bool);
        o.dry_run = v
            .get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("All")));
    }
    if let Some(g) = rest.query.int("gracePeriodSeconds")? {
        o.grace_period = Some(g);
    }
    if let Some(p) = rest.query.get("propagationPolicy") {
        o.propagation = Some(p.to_string());
    }
    if let Some(b) = rest.query.bool("orphanDependents") {
        o.orphan_dependents = Some(b);
    }
    o.dry_run |= rest.dry_run()?;
    if let Some(p) = &o.propagation {
        if !matches!(p.as_str(), "Orphan" | "Background" | "Foreground") {
            return Err(ApiError::invalid(
                "DeleteOptions",
                "meta.k8s.io",
                "",
                &[apimachinery::field::FieldError::not_supported(
                    &apimachinery::field::FieldPath::root("propagationPolicy"),
                    p,
                    &["Foreground", "Background", "Orphan", "nil"],
                )],
            ));
        }
        if o.orphan_dependents.is_some() {
            return Err(ApiError::bad_request(
                "orphanDependents and propagationPolicy cannot be both set",
            ));
        }
    }
    if let Some(g) = o.grace_period
        && g < 0
    {
        o.grace_period = Some(0);
    }
    Ok(o)
}

/// Decide what a delete does to `cur`: delete it now, or mark it terminating
/// (with finalizers recording the propagation policy).
fn decide(rest: &Rest<'_>, opts: &DeleteOptions, cur: &Value) -> Result<Change, ApiError> {
    let gr = rest.res.group_resource();
    let name = meta::name(cur);
    // upstream's "Precondition failed" Conflict for a uid or resourceVersion that differs
    for (what, want, have) in [
        ("UID", &opts.uid, meta::uid(cur)),
        (
            "ResourceVersion",
            &opts.resource_version,
            meta::resource_version(cur),
        ),
    ] {
        if let Some(want) = want
            && want != have
        {
            return Err(ApiError::conflict(
                &gr,
                name,
                format!(
                    "Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}"
                ),
            ));
        }
    }
    let mut finalizers = meta::finalizers(cur);
    let orphan =
        opts.propagation.as_deref() == Some("Orphan") || opts.orphan_dependents == Some(true);
    let foreground = opts.propagation.as_deref() == Some("Foreground");
    if orphan && !finalizers.iter().any(|f| f == "orphan") {
        finalizers.push("orphan".into());
    }
    if foreground && !finalizers.iter().any(|f| f == "foregroundDeletion") {
        finalizers.push("foregroundDeletion".into());
    }
    if !orphan && !foreground && opts.propagation.is_some() {
        // Background: drop the markers of an earlier policy
        finalizers.retain(|f| f != "orphan" && f != "foregroundDeletion");
    }
    let namespace_pending = rest.res.kind == "Namespace"
        && cur
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
    // a pod on a node is deleted gracefully: the node agent finishes it
    let pod_grace = if rest.res.kind == "Pod"
        && cur
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty())
    {
        let phase = cur
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        let default = cur
            .pointer("/spec/terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(30);
        let g = opts.grace_period.unwrap_or(default);
        if phase == "Succeeded" || phase == "Failed" {
            0
        } else {
            g
        }
    } else {
        0
    };
    if finalizers.is_empty() && !namespace_pending && pod_grace == 0 {
        return Ok(Change::Delete);
    }
    let mut new = cur.clone();
    let md = meta::metadata_mut(&mut new);
    if md.get("deletionTimestamp").is_none_or(Value::is_null) {
        let at = chrono::Utc::now() + chrono::Duration::seconds(pod_grace);
        md.insert(
            "deletionTimestamp".into(),
            Value::String(at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        md.insert("deletionGracePeriodSeconds".into(), json!(pod_grace));
    } else if pod_grace
        < md.get("deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    {
        // a shorter grace period may be set on an object already terminating
        md.insert("deletionGracePeriodSeconds".into(), json!(pod_grace));
    }
    if finalizers.is_empty() {
        md.remove("finalizers");
    } else {
        md.insert("finalizers".into(), json!(finalizers));
    }
    if rest.res.kind == "Namespace" {
        new["status"]["phase"] = json!("Terminating");
    }
    Ok(Change::Put(new))
}

/// Whether the reply to a completed delete is the object (else a Status).
fn returns_object(kind: &str) -> bool {
    matches!(
        kind,
        "Pod" | "Namespace" | "Service" | "PersistentVolume" | "PersistentVolumeClaim"
    )
}

/// DELETE one object.
pub async fn delete(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let opts = delete_options(rest, &body)?;
    let (code, v) = delete_one(rest, &opts, &rest.info.namespace, &rest.info.name).await?;
    let v = rest.server.convert_value_out(rest.res, v);
    Ok(response::object(code, &v, rest.output))
}

async fn delete_one(
    rest: &Rest<'_>,
    opts: &DeleteOptions,
    namespace: &str,
    name: &str,
) -> Result<(StatusCode, Value), ApiError> {
    // upstream's NamespaceLifecycle admission: the namespaces the system lives in stay
    if rest.res.group.is_empty()
        && rest.res.resource == "namespaces"
        && matches!(name, "default" | "kube-system" | "kube-public")
    {
        return Err(ApiError::forbidden(
            &rest.res.group_resource(),
            name,
            "this namespace may not be deleted",
        ));
    }
    let mut dry_result = None;
    let (new, old) = rest
        .objects()
        .guaranteed_update(namespace, name, |cur| {
            let c = decide(rest, opts, cur)?;
            if opts.dry_run {
                dry_result = Some(match c {
                    Change::Put(v) => (StatusCode::OK, Some(v)),
                    _ => (StatusCode::OK, None),
                });
                return Ok(Change::Keep);
            }
            Ok(c)
        })
        .await?;
    if let Some((code, v)) = dry_result {
        return Ok((code, v.unwrap_or(old)));
    }
    match new {
        // still terminating: 202 if the object will go away by itself later, upstream answers 200 with it
        Some(v) => Ok((StatusCode::OK, v)),
        None if returns_object(rest.res.kind) => Ok((StatusCode::OK, old)),
        None => Ok((
            StatusCode::OK,
            success_status(
                200,
                Some(StatusDetails {
                    name: name.to_string(),
                    group: rest.res.group.to_string(),
                    kind: rest.res.resource.to_string(),
                    uid: meta::uid(&old).to_string(),
                    ..Default::default()
                }),
            ),
        )),
    }
}

/// DELETECOLLECTION: delete every object the selectors match.
pub async fn delete_collection(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let opts = delete_options(rest, &body)?;
    let filter = Filter::new(
        rest.res,
        rest.query.get("labelSelector"),
        rest.query.get("fieldSelector"),
    )?;
    let rv = rest.server.consistent_read().await?;
    let cache = rest
        .server
        .cache_for(rest.res)
        .ok_or_else(|| ApiError::internal("no watch cache"))?;
    let objects = rest.objects();
    let prefix = if rest.res.namespaced && !rest.info.namespace.is_empty() {
        format!("{}{}/", objects.prefix(), rest.info.namespace)
    } else {
        objects.prefix().to_string()
    };
    let (items, _) = cache.list(&prefix, None, 0, &|o| filter.matches_obj(o));
    let mut out = Vec::new();
    for o in items {
        match delete_one(rest, &opts, &o.namespace, &o.name).await {
            Ok((_, v)) => out.push(rest.server.convert_value_out(rest.res, v)),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "kind": format!("{}List", rest.res.kind),
        "apiVersion": rest.res.api_version(),
        "metadata": {"resourceVersion": rv.to_string()},
        "items": out,
    });
    Ok(response::object(StatusCode::OK, &list, rest.output))
}
