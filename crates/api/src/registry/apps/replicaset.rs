//! ReplicaSets and ReplicationControllers (upstream `pkg/registry/apps/replicaset`,
//! `pkg/registry/core/replicationcontroller`).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use super::{selector_immutable, status_update, validate_counts, validate_selector_and_template};
use crate::registry::core::podspec::default_pod_template;
use crate::registry::{Strategy, common};
use crate::validation::pod::validate_pod_template;
use crate::validation::validate_labels;
use crate::validation::value::{default_nil, go_string_map, obj_at, obj_mut};

/// The replicasets strategy.
pub struct ReplicaSetStrategy;
/// The replicationcontrollers strategy.
pub struct ReplicationControllerStrategy;

fn default_replicas_and_template(obj: &mut Value) {
    default_nil(obj_mut(obj, "spec"), "replicas", json!(1));
    if let Some(t) = obj.get_mut("spec").and_then(|s| s.get_mut("template")) {
        default_pod_template(t);
    }
}

fn status_on_create() -> Value {
    json!({"replicas": 0})
}

impl Strategy for ReplicaSetStrategy {
    fn default(&self, obj: &mut Value) {
        default_replicas_and_template(obj);
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(obj, status_on_create());
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and_spec(obj, validate_rs_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = common::validate_meta_and_spec_update(new, old, validate_rs_spec);
        errs.extend(selector_immutable(new, old));
        errs
    }
}

impl Strategy for ReplicationControllerStrategy {
    fn default(&self, obj: &mut Value) {
        // selector and labels default to the template's labels (core/v1 SetDefaults_ReplicationController)
        if let Some(tl) = obj_at(obj, &["spec", "template", "metadata", "labels"]).cloned() {
            let spec = obj_mut(obj, "spec");
            if spec
                .get("selector")
                .and_then(Value::as_object)
                .is_none_or(|s| s.is_empty())
            {
                spec.insert("selector".into(), Value::Object(tl.clone()));
            }
            let meta = obj_mut(obj, "metadata");
            if meta
                .get("labels")
                .and_then(Value::as_object)
                .is_none_or(|l| l.is_empty())
            {
                meta.insert("labels".into(), Value::Object(tl));
            }
        }
        default_replicas_and_template(obj);
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(obj, status_on_create());
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and_spec(obj, validate_rc_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_and_spec_update(new, old, validate_rc_spec)
    }
}

fn validate_rs_spec(spec: &Value) -> ErrorList {
    let mut errs = validate_counts(spec);
    errs.extend(validate_selector_and_template(spec, "replicaset", true));
    errs
}

fn validate_rc_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = validate_counts(spec);
    let sel = obj_at(spec, &["selector"]);
    if sel.is_none_or(|s| s.is_empty()) {
        errs.push(FieldError::required(&sp.child("selector"), ""));
    } else {
        errs.extend(validate_labels(sel, &sp.child("selector")));
    }
    match spec.get("template").filter(|t| t.is_object()) {
        None => errs.push(FieldError::required(&sp.child("template"), "")),
        Some(t) => {
            let labels = obj_at(t, &["metadata", "labels"]);
            let matches = sel
                .into_iter()
                .flatten()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
            if sel.is_some() && !matches {
                errs.push(crate::validation::invalid_raw(
                    &sp.child("template").child("metadata").child("labels"),
                    go_string_map(labels),
                    "`selector` does not match template `labels`",
                ));
            }
            errs.extend(validate_pod_template(t, &sp.child("template")));
            errs.extend(super::validate_restart_always(
                t,
                &sp.child("template"),
                "ReplicationController",
            ));
        }
    }
    errs
}
