//! PATCH: JSON patch, JSON merge patch, strategic merge patch and server-side
//! apply, applied to the current object inside a guaranteed update and then
//! treated as an update (or, for apply to a missing object, a create).

use apimachinery::ApiError;
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

use super::Rest;
use super::decode::{self, Decoded, Source};
use super::store::Change;
use super::write::{self, check_name, reply};
use crate::meta;
use crate::negotiation::{self, BodyType};
use crate::patching;
use crate::response::{self, Body};

/// Serve a PATCH of the main resource or of `status`.
pub async fn patch(rest: &Rest<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let bt = negotiation::patch_type(rest.header("content-type"))?;
    let manager = match bt {
        BodyType::ApplyPatch => match rest.query.get("fieldManager") {
            Some(m) if !m.is_empty() => {
                write::validate_field_manager(rest, m)?;
                m.to_string()
            }
            _ => {
                return Err(ApiError::invalid(
                    "PatchOptions",
                    "meta.k8s.io",
                    "",
                    &[apimachinery::field::FieldError::required(
                        &apimachinery::field::FieldPath::root("fieldManager"),
                        "is required for apply patch",
                    )],
                ));
            }
        },
        _ => write::field_manager(rest)?,
    };
    let force = rest.query.flag("force");
    if force && bt != BodyType::ApplyPatch {
        return Err(ApiError::bad_request(
            "force: Forbidden: may not be specified for non-apply patch",
        ));
    }
    let strict = rest.query.get("fieldValidation") != Some("Ignore");
    let patch_doc = patching::parse_patch(bt, &body, strict)?;
    if bt == BodyType::ApplyPatch {
        patching::check_applied(rest.res, &patch_doc)?;
    }
    let dry = rest.dry_run()?;
    let name = rest.info.name.clone();
    let gr = rest.res.group_resource();
    let mut warnings: Vec<String> = Vec::new();
    let mut dry_result = None;
    let result = rest
        .objects()
        .guaranteed_update(&rest.info.namespace, &name, |cur| {
            let cur_out = rest.server.convert_value_out(rest.res, cur.clone());
            let patched =
                patching::apply_patch(rest.res, bt, &cur_out, &patch_doc, &manager, force)?;
            let patched_rv = meta::resource_version(&patched).to_string();
            if !patched_rv.is_empty() && patched_rv != meta::resource_version(cur) {
                return Err(ApiError::stale_resource_version(&gr, &name));
            }
            let source = match bt {
                BodyType::StrategicMergePatch => Source::StrategicPatch(&patch_doc),
                BodyType::ApplyPatch => Source::Applied,
                _ => Source::Patched,
            };
            let Decoded { obj, warnings: w } = decode::admit_shape(rest, patched, vec![], source)?;
            warnings = w;
            let mut new = obj;
            check_name(&new, &name)?;
            // apply records its own managedFields; the other patch types are updates
            let mgr = if bt == BodyType::ApplyPatch {
                None
            } else {
                Some(manager.as_str())
            };
            // strategies see the served version; the store keeps the stored one
            write::prepare_update(rest, &mut new, &cur_out, mgr.unwrap_or(""))?;
            if dry {
                dry_result = Some(new);
                return Ok(Change::Keep);
            }
            Ok(write::change_for(
                rest.server.convert_value_in(rest.res, new),
            ))
        })
        .await;
    let out = match result {
        Ok((new, _)) => dry_result.or(new),
        Err(e) if e.code == 404 && bt == BodyType::ApplyPatch => {
            // apply to a missing object creates it
            let applied =
                patching::apply_patch(rest.res, bt, &Value::Null, &patch_doc, &manager, force)?;
            let Decoded { obj, warnings: w } =
                decode::admit_shape(rest, applied, vec![], Source::Applied)?;
            warnings = w;
            check_name(&obj, &name)?;
            let created = write::create_object(rest, obj, "").await?;
            return Ok(created.reply(rest, &warnings));
        }
        Err(e) => return Err(e),
    };
    let Some(out) = out else {
        return Ok(response::object(
            StatusCode::OK,
            &apimachinery::errors::success_status(200, None),
            rest.output,
        ));
    };
    let r = reply(rest, StatusCode::OK, out, &warnings);
    Ok(r)
}
