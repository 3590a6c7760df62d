//! PodDisruptionBudgets (upstream `pkg/registry/policy/poddisruptionbudget/strategy.go`).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::value::{get, str_at};
use crate::validation::{int_or_percent, one_of, validate_label_selector};

/// The poddisruptionbudgets strategy.
pub struct PdbStrategy;

impl Strategy for PdbStrategy {
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(
            obj,
            json!({"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}),
        );
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and_spec(obj, validate_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = common::validate_meta_and_spec_update(new, old, validate_spec);
        if new.pointer("/status/conditions") != old.pointer("/status/conditions") {
            errs.extend(crate::validation::conditions::validate_conditions(
                new.pointer("/status/conditions"),
                &FieldPath::root("status").child("conditions"),
            ));
        }
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
