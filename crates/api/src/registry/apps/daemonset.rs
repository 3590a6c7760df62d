//! DaemonSets (upstream `pkg/registry/apps/daemonset/strategy.go`, `apps/v1` defaults).

use apimachinery::field::{ErrorList, FieldPath};
use serde_json::{Value, json};

use super::{selector_immutable, status_update, validate_counts, validate_selector_and_template};
use crate::registry::core::podspec::default_pod_template;
use crate::registry::{Strategy, common};
use crate::validation::one_of;
use crate::validation::value::{default_nil, default_zero, obj_mut, str_at};

/// The daemonsets strategy.
pub struct DaemonSetStrategy;

impl Strategy for DaemonSetStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        let us = spec.entry("updateStrategy").or_insert_with(|| json!({}));
        if let Some(us) = us.as_object_mut() {
            default_zero(us, "type", json!("RollingUpdate"));
            if us.get("type") == Some(&json!("RollingUpdate")) {
                let ru = us.entry("rollingUpdate").or_insert_with(|| json!({}));
                if let Some(ru) = ru.as_object_mut() {
                    default_nil(ru, "maxUnavailable", json!(1));
                    default_nil(ru, "maxSurge", json!(0));
                }
            }
        }
        default_nil(spec, "revisionHistoryLimit", json!(10));
        if let Some(t) = obj.get_mut("spec").and_then(|s| s.get_mut("template")) {
            default_pod_template(t);
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(
            obj,
            json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}),
        );
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and_spec(obj, validate_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = common::validate_meta_and_spec_update(new, old, validate_spec);
        errs.extend(selector_immutable(new, old));
        errs
    }
}

fn validate_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = validate_counts(spec);
    errs.extend(one_of(
        str_at(spec, &["updateStrategy", "type"]),
        &["OnDelete", "RollingUpdate"],
        true,
        &sp.child("updateStrategy").child("type"),
    ));
    errs.extend(validate_selector_and_template(spec, "daemonset", true));
    errs
}
