//! The bridge between PATCH requests and the patch engines of
//! `apimachinery::patch`: parse the patch document by content type and apply
//! it to an object of a built-in kind.

use api::ResourceInfo;
use apimachinery::codec::typed::{self, Dialect};
use apimachinery::patch;
use apimachinery::{ApiError, Gvk, Schema};
use serde_json::Value;

use crate::negotiation::{BodyType, PATCH_TYPES};

/// Parse a patch body as upstream (v1.37) does: a JSON patch type whose body is not JSON
/// answers 400 `invalid JSON patch`; unless `fieldValidation=Ignore`, its document is then
/// decoded strictly into the shape the patch type needs (a list of operations, an object).
pub fn parse_patch(bt: BodyType, body: &[u8], strict: bool) -> Result<Value, ApiError> {
    let shape =
        |kind: &str, ty: &str| format!("json: cannot unmarshal {kind} into Go value of type {ty}");
    match bt {
        BodyType::JsonPatch | BodyType::MergePatch | BodyType::StrategicMergePatch => {
            let doc: Value = serde_json::from_slice(body)
                .map_err(|_| ApiError::bad_request("invalid JSON patch"))?;
            if !strict || doc.is_null() {
                return Ok(doc);
            }
            let kind = apimachinery::gofmt::json_kind(&doc);
            match (bt, &doc) {
                (BodyType::JsonPatch, Value::Array(ops)) => {
                    for op in ops {
                        check_operation(op).map_err(|e| {
                            ApiError::bad_request(format!("error decoding patch: {e}"))
                        })?;
                    }
                }
                (BodyType::JsonPatch, _) => {
                    return Err(ApiError::bad_request(format!(
                        "error decoding patch: {}",
                        shape(kind, "[]handlers.jsonPatchOp")
                    )));
                }
                (_, Value::Object(_)) => {}
                (BodyType::MergePatch, _) => {
                    return Err(ApiError::bad_request(format!(
                        "error decoding patch: {}",
                        shape(kind, "map[string]interface {}")
                    )));
                }
                _ => {
                    return Err(ApiError::bad_request(shape(
                        kind,
                        "map[string]interface {}",
                    )));
                }
            }
            Ok(doc)
        }
        // apply bodies are YAML (kubectl sends JSON, which is YAML too)
        BodyType::ApplyPatch => apimachinery::codec::yaml::from_yaml(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}"))),
        _ => Err(ApiError::unsupported_media_type(PATCH_TYPES)),
    }
}

/// One JSON patch operation, decoded strictly as upstream's `jsonPatchOp` (`op`, `path`,
/// `from` strings; `value` anything).
fn check_operation(op: &Value) -> Result<(), String> {
    let Value::Object(m) = op else {
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type handlers.jsonPatchOp",
            apimachinery::gofmt::json_kind(op)
        ));
    };
    for f in ["op", "path", "from"] {
        if let Some(v) = m.get(f).filter(|v| !v.is_string() && !v.is_null()) {
            return Err(format!(
                "json: cannot unmarshal {} into Go struct field jsonPatchOp.{f} of type string",
                apimachinery::gofmt::json_kind(v)
            ));
        }
    }
    Ok(())
}

/// Check an applied configuration against its kind's type as server-side apply does
/// before merging: 400 `failed to create typed patch object (<ns>/<name>; <group>/<version>,
/// Kind=<kind>): .data.k: expected string, got 1` (upstream answers 500; a client's mistake
/// is never a server fault here).
pub fn check_applied(res: &ResourceInfo, applied: &Value) -> Result<(), ApiError> {
    let schema = Schema::builtin();
    let Some(def) = schema.for_gvk(&Gvk::new(res.group, res.version, res.kind)) else {
        return Ok(());
    };
    if !applied.is_object() {
        return Ok(());
    }
    // the check normalises what it walks; the configuration is applied as sent
    let mut copy = applied.clone();
    match typed::decode(schema, def, &mut copy, Dialect::Smd) {
        Ok(_) => Ok(()),
        Err(e) => {
            let md = |f: &str| {
                applied
                    .pointer(&format!("/metadata/{f}"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            Err(ApiError::bad_request(format!(
                "failed to create typed patch object ({}/{}; {}/{}, Kind={}): {e}",
                md("namespace"),
                md("name"),
                res.group,
                res.version,
                res.kind
            )))
        }
    }
}

/// Apply a patch of type `bt` to `current` (`Value::Null` if the object does
/// not exist, which only apply allows).
pub fn apply_patch(
    res: &ResourceInfo,
    bt: BodyType,
    current: &Value,
    patch_doc: &Value,
    manager: &str,
    force: bool,
) -> Result<Value, ApiError> {
    let schema = Schema::builtin();
    let gvk = Gvk::new(res.group, res.version, res.kind);
    let def = schema
        .for_gvk(&gvk)
        .ok_or_else(|| ApiError::internal(format!("no schema for {}", res.kind)))?;
    let out = match bt {
        BodyType::JsonPatch => patch::json_patch(current, patch_doc)?,
        BodyType::MergePatch => patch::merge_patch(current, patch_doc)?,
        BodyType::StrategicMergePatch => patch::strategic_merge(current, patch_doc, schema, def)?,
        BodyType::ApplyPatch => {
            let live = if current.is_null() {
                None
            } else {
                Some(current)
            };
            crate::managed::apply(
                live,
                patch_doc,
                manager,
                force,
                &res.api_version(),
                schema,
                def,
            )?
        }
        _ => return Err(ApiError::unsupported_media_type(PATCH_TYPES)),
    };
    Ok(out)
}

/// Apply a patch to a `Scale` object.
pub fn apply_scale_patch(
    bt: BodyType,
    current: &Value,
    patch_doc: &Value,
) -> Result<Value, ApiError> {
    let schema = Schema::builtin();
    let def = schema
        .for_gvk(&Gvk::new("autoscaling", "v1", "Scale"))
        .ok_or_else(|| ApiError::internal("no schema for Scale"))?;
    Ok(match bt {
        BodyType::JsonPatch => patch::json_patch(current, patch_doc)?,
        BodyType::MergePatch => patch::merge_patch(current, patch_doc)?,
        BodyType::StrategicMergePatch => patch::strategic_merge(current, patch_doc, schema, def)?,
        _ => {
            return Err(ApiError::unsupported_media_type(&PATCH_TYPES[..3]));
        }
    })
}
