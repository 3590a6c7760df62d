//! The `scale`, `binding` and `eviction` subresources.

use apimachinery::field::{FieldError, FieldPath};
use apimachinery::selectors::labels;
use apimachinery::{ApiError, Gvk};
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};

use super::Rest;
use super::decode::{self, Source};
use super::store::Change;
use crate::meta;
use crate::negotiation;
use crate::patching;
use crate::response::{self, Body};

/// The `autoscaling/v1 Scale` view of a scalable object.
pub fn scale_of(obj: &Value) -> Value {
    let md = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let selector = match obj.pointer("/spec/selector") {
        // ReplicationController selectors are plain maps
        Some(Value::Object(m))
            if !m.contains_key("matchLabels") && !m.contains_key("matchExpressions") =>
        {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        }
        Some(sel) => labels::Selector::from_label_selector(sel)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        None => String::new(),
    };
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": md.get("name"),
            "namespace": md.get("namespace"),
            "uid": md.get("uid"),
            "resourceVersion": md.get("resourceVersion"),
            "creationTimestamp": md.get("creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0)},
        "status": {
            "replicas": obj.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector,
        },
    })
}

fn scale_gvk() -> Gvk {
    Gvk::new("autoscaling", "v1", "Scale")
}

/// GET/PUT/PATCH of `/scale`.
pub async fn scale(
    rest: &Rest<'_>,
    method: &Method,
    body: Bytes,
) -> Result<Response<Body>, ApiError> {
    let name = rest.info.name.clone();
    let gr = rest.res.group_resource();
    if *method == Method::GET {
        rest.server.consistent_read().await?;
        let obj = rest
            .objects()
            .get(&rest.info.namespace, &name)
            .await?
            .ok_or_else(|| ApiError::not_found(&gr, &name))?;
        return Ok(response::object(
            StatusCode::OK,
            &scale_of(&obj),
            rest.output,
        ));
    }
    let ct = rest.header("content-type");
    let bt = match *method == Method::PUT {
        true => negotiation::body_type(ct)?,
        false => negotiation::patch_type(ct)?,
    };
    let input = if *method == Method::PUT {
        Some(decode::decode_body_as(rest, &body, &scale_gvk())?)
    } else {
        None
    };
    let patch_doc = if input.is_none() {
        Some(patching::parse_patch(
            bt,
            &body,
            rest.query.get("fieldValidation") != Some("Ignore"),
        )?)
    } else {
        None
    };
    let dry = rest.dry_run()?;
    let mut dry_out = None;
    let (new, _) = rest
        .objects()
        .guaranteed_update(&rest.info.namespace, &name, |cur| {
            let current_scale = scale_of(cur);
            let new_scale = match (&input, &patch_doc) {
                (Some(v), _) => v.clone(),
                (None, Some(p)) => {
                    let mut patched = patching::apply_scale_patch(bt, &current_scale, p)?;
                    let source = match bt {
                        negotiation::BodyType::StrategicMergePatch => Source::StrategicPatch(p),
                        _ => Source::Patched,
                    };
                    decode::decode_typed(&mut patched, &scale_gvk(), vec![], source)?;
                    patched
                }
                _ => unreachable!("PUT has a body, PATCH a patch"),
            };
            let rv = meta::resource_version(&new_scale);
            if !rv.is_empty() && rv != meta::resource_version(cur) {
                return Err(ApiError::stale_resource_version(&gr, &name));
            }
            let replicas = new_scale
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if replicas < 0 {
                return Err(ApiError::invalid(
                    "Scale",
                    "autoscaling",
                    &name,
                    &[FieldError::invalid_number(
                        &FieldPath::root("spec").child("replicas"),
                        replicas,
                        "must be greater than or equal to 0",
                    )],
                ));
            }
            let mut new = cur.clone();
            new["spec"]["replicas"] = json!(replicas);
            super::write::prepare_update_as(
                rest,
                &mut new,
                cur,
                &super::write::field_manager(rest)?,
                false,
            )?;
            if dry {
                dry_out = Some(new);
                return Ok(Change::Keep);
            }
            Ok(Change::Put(new))
        })
        .await?;
    let obj = dry_out.or(new).unwrap_or(Value::Null);
    Ok(response::object(
        StatusCode::OK,
        &scale_of(&obj),
        rest.output,
    ))
}

/// POST `pods/{name}/binding`: assign the pod to a node.
pub async fn binding(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let b = decode::decode_body_as(rest, &body, &Gvk::new("", "v1", "Binding"))?;
    let name = rest.info.name.clone();
    let target = b
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if target.is_empty() {
        return Err(ApiError::invalid(
            "Binding",
            "",
            &name,
            &[FieldError::required(
                &FieldPath::root("target").child("name"),
                "",
            )],
        ));
    }
    if !meta::name(&b).is_empty() && meta::name(&b) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta::name(&b)
        )));
    }
    let gr = api::resources::lookup("", "v1", "pods")
        .expect("pods")
        .group_resource();
    let binding_gr = apimachinery::GroupResource::new("", "pods/binding");
    let dry = rest.dry_run()?;
    rest.objects()
        .guaranteed_update(&rest.info.namespace, &name, |cur| {
            if meta::is_terminating(cur) {
                return Err(ApiError::conflict(
                    &binding_gr,
                    &name,
                    format!("pod {name} is being deleted, cannot be assigned to a host"),
                ));
            }
            if let Some(uid) = b.pointer("/metadata/uid").and_then(Value::as_str)
                && uid != meta::uid(cur)
            {
                return Err(ApiError::conflict(
                    &gr,
                    &name,
                    "Precondition failed: UID mismatch",
                ));
            }
            let node = cur
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !node.is_empty() {
                return Err(ApiError::conflict(
                    &binding_gr,
                    &name,
                    format!("pod {name} is already assigned to node \"{node}\""),
                ));
            }
            let mut new = cur.clone();
            new["spec"]["nodeName"] = json!(target);
            if let Some(ann) = b
                .pointer("/metadata/annotations")
                .and_then(Value::as_object)
            {
                let md = meta::metadata_mut(&mut new);
                let a = md.entry("annotations").or_insert_with(|| json!({}));
                for (k, v) in ann {
                    a[k] = v.clone();
                }
            }
            if dry {
                return Ok(Change::Keep);
            }
            Ok(Change::Put(new))
        })
        .await?;
    Ok(response::object(
        StatusCode::CREATED,
        &apimachinery::errors::success_status(201, None),
        rest.output,
    ))
}

/// POST `pods/{name}/eviction`: delete the pod (disruption budgets are checked
/// by the disruption controller's status, added with the controllers).
pub async fn eviction(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let ev = decode::decode_body_as(rest, &body, &Gvk::new("policy", "v1", "Eviction"))?;
    if ev
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k != "Eviction")
    {
        return Err(ApiError::bad_request(
            "the body of the request must be an Eviction",
        ));
    }
    let opts_body = ev
        .get("deleteOptions")
        .map(|o| serde_json::to_vec(o).unwrap_or_default())
        .unwrap_or_default();
    let rest2 = Rest {
        server: rest.server,
        info: rest.info,
        res: rest.res,
        query: rest.query.clone(),
        headers: &http::HeaderMap::new(),
        user: rest.user,
        output: rest.output,
    };
    super::delete::delete(&rest2, Bytes::from(opts_body)).await?;
    Ok(response::object(
        StatusCode::CREATED,
        &apimachinery::errors::success_status(201, None),
        rest.output,
    ))
}
