//! PodDisruptionBudgets (upstream `pkg/registry/policy/poddisruptionbudget/strategy.go`).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::value::{get, str_at};
use crate::validation::{
    NameRule, int_or_percent, one_of, validate_label_selector, validate_object_meta,
    validate_object_meta_update,
};

/// The poddisruptionbudgets strategy.
pub struct PdbStrategy;

impl Strategy for PdbStrategy {
    fn default(&self, _obj: &mut Value) {}
    fn prepare_for_create(&self, obj: &mut Value) {
        common::reset_status(
            obj,
            json!({"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}),
        );
        common::set_generation(obj, 1);
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
        common::keep_generation(new, old);
        common::bump_generation_if_changed(new, old, &["spec"]);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::keep_spec(new, old);
        common::keep_generation(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_spec(obj.get("spec").unwrap_or(&Value::Null)));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_spec(new.get("spec").unwrap_or(&Value::Null)));
        errs
    }
}

fn validate_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    let min = get(spec, &["minAvailable"]).filter(|v| !v.is_null());
    let max = get(spec, &["maxUnavailable"]).filter(|v| !v.is_null());
    if min.is_some() && max.is_some() {
        errs.push(FieldError::invalid(
            &sp,
            "",
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    if let Some(v) = min {
        errs.extend(int_or_percent(v, &sp.child("minAvailable")));
    }
    if let Some(v) = max {
        errs.extend(int_or_percent(v, &sp.child("maxUnavailable")));
    }
    if let Some(sel) = spec.get("selector").filter(|s| !s.is_null()) {
        errs.extend(validate_label_selector(sel, &sp.child("selector")));
    }
    errs.extend(one_of(
        str_at(spec, &["unhealthyPodEvictionPolicy"]),
        &["AlwaysAllow", "IfHealthyBudget"],
        false,
        &sp.child("unhealthyPodEvictionPolicy"),
    ));
    errs
}
