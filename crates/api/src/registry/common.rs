//! Helpers every strategy uses: status reset/keep, generation tracking, spec keep,
//! and the create/update/status-update preparation and metadata-plus-spec
//! validation that kinds with a `spec` and a `status` share.

use apimachinery::field::ErrorList;
use serde_json::{Value, json};

use crate::validation::value::obj_mut;
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// Replace `status` with `empty` (upstream's `obj.Status = XStatus{}` as Go serializes it).
pub fn reset_status(obj: &mut Value, empty: Value) {
    if let Some(m) = obj.as_object_mut() {
        m.insert("status".to_string(), empty);
    }
}

/// Copy `status` from `old` into `new` (or remove it if `old` has none).
pub fn keep_status(new: &mut Value, old: &Value) {
    keep_field(new, old, "status");
}

/// Copy `spec` from `old` into `new`.
pub fn keep_spec(new: &mut Value, old: &Value) {
    keep_field(new, old, "spec");
}

/// Copy a top-level field from `old` into `new` (remove it if `old` has none).
pub fn keep_field(new: &mut Value, old: &Value, field: &str) {
    let Some(m) = new.as_object_mut() else { return };
    match old.get(field) {
        Some(v) => {
            m.insert(field.to_string(), v.clone());
        }
        None => {
            m.remove(field);
        }
    }
}

/// Copy a `metadata` field from `old` into `new` (remove it if `old` has none).
pub fn keep_meta_field(new: &mut Value, old: &Value, field: &str) {
    let meta = obj_mut(new, "metadata");
    match old.get("metadata").and_then(|m| m.get(field)) {
        Some(v) => {
            meta.insert(field.to_string(), v.clone());
        }
        None => {
            meta.remove(field);
        }
    }
}

/// `metadata.generation = g`.
pub fn set_generation(obj: &mut Value, g: i64) {
    obj_mut(obj, "metadata").insert("generation".to_string(), json!(g));
}

/// The generation (0 if unset).
pub fn generation(obj: &Value) -> i64 {
    obj.get("metadata")
        .and_then(|m| m.get("generation"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Clients cannot set the generation: take the old one (upstream's `BeforeUpdate`).
pub fn keep_generation(new: &mut Value, old: &Value) {
    keep_meta_field(new, old, "generation");
}

/// `generation = old + 1` if any of the top-level `fields` differ between `new` and `old`.
pub fn bump_generation_if_changed(new: &mut Value, old: &Value, fields: &[&str]) {
    let changed = fields.iter().any(|f| differs(new.get(*f), old.get(*f)));
    if changed {
        set_generation(new, generation(old) + 1);
    }
}

/// Semantic inequality of two optional values (absent == null == empty object).
pub fn differs(a: Option<&Value>, b: Option<&Value>) -> bool {
    let norm = |v: Option<&Value>| match v {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v) => v.clone(),
    };
    norm(a) != norm(b)
}

/// `metadata.annotations` as a value (absent → null), for change detection.
pub fn annotations(obj: &Value) -> Option<&Value> {
    obj.get("metadata").and_then(|m| m.get("annotations"))
}

/// `PrepareForCreate` of a kind with spec and status: `status` reset to
/// `empty_status`, generation 1.
pub fn prepare_create(obj: &mut Value, empty_status: Value) {
    reset_status(obj, empty_status);
    set_generation(obj, 1);
}

/// `PrepareForUpdate` of a kind with spec and status: status and generation
/// kept from `old`, generation bumped when `spec` changed.
pub fn prepare_update(new: &mut Value, old: &Value) {
    keep_status(new, old);
    keep_generation(new, old);
    bump_generation_if_changed(new, old, &["spec"]);
}

/// `PrepareForUpdate` of a status subresource: spec and generation kept from `old`.
pub fn prepare_status_update(new: &mut Value, old: &Value) {
    keep_spec(new, old);
    keep_generation(new, old);
}

/// Create validation of a namespaced kind named by a DNS-1123 subdomain:
/// `metadata`, then `validate_spec` on `spec` (null when absent).
pub fn validate_meta_and_spec(
    obj: &Value,
    validate_spec: impl Fn(&Value) -> ErrorList,
) -> ErrorList {
    let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
    errs.extend(validate_spec(obj.get("spec").unwrap_or(&Value::Null)));
    errs
}

/// Update validation: `metadata` against `old`, then `validate_spec` on the new
/// `spec` (null when absent).
pub fn validate_meta_and_spec_update(
    new: &Value,
    old: &Value,
    validate_spec: impl Fn(&Value) -> ErrorList,
) -> ErrorList {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_spec(new.get("spec").unwrap_or(&Value::Null)));
    errs
}

/// Create validation: `metadata` (by scope and name rule), then `more` on the whole object.
pub fn validate_meta_and(
    obj: &Value,
    namespaced: bool,
    rule: NameRule,
    more: impl Fn(&Value) -> ErrorList,
) -> ErrorList {
    let mut errs = validate_object_meta(obj, namespaced, rule);
    errs.extend(more(obj));
    errs
}

/// Update validation: `metadata` against `old`, then `more` on the new object.
pub fn validate_meta_update_and(
    new: &Value,
    old: &Value,
    more: impl Fn(&Value) -> ErrorList,
) -> ErrorList {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(more(new));
    errs
}
