//! StatefulSets (upstream `pkg/registry/apps/statefulset/strategy.go`, `apps/v1` defaults).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use super::{status_update, validate_counts, validate_selector_and_template};
use crate::registry::core::podspec::default_pod_template;
use crate::registry::core::storage::default_pvc;
use crate::registry::{Strategy, common};
use crate::validation::value::{default_nil, default_zero, obj_mut, str_at};
use crate::validation::{one_of, validate_object_meta_update};

/// The statefulsets strategy.
pub struct StatefulSetStrategy;

/// The spec fields a StatefulSet update may change (upstream's message lists them).
pub const UPDATABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
    "revisionHistoryLimit",
];

impl Strategy for StatefulSetStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        default_zero(spec, "podManagementPolicy", json!("OrderedReady"));
        let us = spec.entry("updateStrategy").or_insert_with(|| json!({}));
        if let Some(us) = us.as_object_mut() {
            default_zero(us, "type", json!("RollingUpdate"));
            if us.get("type") == Some(&json!("RollingUpdate")) {
                let ru = us.entry("rollingUpdate").or_insert_with(|| json!({}));
                if let Some(ru) = ru.as_object_mut() {
                    default_nil(ru, "partition", json!(0));
                }
            }
        }
        let pr = spec
            .entry("persistentVolumeClaimRetentionPolicy")
            .or_insert_with(|| json!({}));
        if let Some(pr) = pr.as_object_mut() {
            default_zero(pr, "whenDeleted", json!("Retain"));
            default_zero(pr, "whenScaled", json!("Retain"));
        }
        default_nil(spec, "replicas", json!(1));
        default_nil(spec, "revisionHistoryLimit", json!(10));
        if let Some(Value::Array(vcts)) = spec.get_mut("volumeClaimTemplates") {
            for v in vcts.iter_mut() {
                default_pvc(v);
            }
        }
        if let Some(t) = obj.get_mut("spec").and_then(|s| s.get_mut("template")) {
            default_pod_template(t);
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(obj, json!({"replicas": 0, "availableReplicas": 0}));
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
        let mut errs = validate_object_meta_update(new, old);
        let ns = new.get("spec").cloned().unwrap_or(Value::Null);
        errs.extend(validate_spec(&ns));
        let mut munged = old.get("spec").cloned().unwrap_or(Value::Null);
        if let (Some(m), Some(n)) = (munged.as_object_mut(), ns.as_object()) {
            for f in UPDATABLE {
                match n.get(*f) {
                    Some(v) => m.insert((*f).into(), v.clone()),
                    None => m.remove(*f),
                };
            }
        }
        if common::differs(Some(&munged), Some(&ns)) {
            errs.push(FieldError::forbidden(
                &FieldPath::root("spec"),
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ));
        }
        errs
    }
}

fn validate_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = validate_counts(spec);
    errs.extend(one_of(
        str_at(spec, &["podManagementPolicy"]),
        &["OrderedReady", "Parallel"],
        true,
        &sp.child("podManagementPolicy"),
    ));
    errs.extend(one_of(
        str_at(spec, &["updateStrategy", "type"]),
        &["OnDelete", "RollingUpdate"],
        true,
        &sp.child("updateStrategy").child("type"),
    ));
    errs.extend(validate_selector_and_template(spec, "statefulset", true));
    errs
}
