//! Strategies of the `apps` group (and the core ReplicationController, which
//! shares the ReplicaSet rules), plus the workload helpers batch reuses.

pub mod controllerrevision;
pub mod daemonset;
pub mod deployment;
pub mod replicaset;
pub mod statefulset;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::common;
use crate::validation::objectmeta::{selector_is_empty, selector_matches};
use crate::validation::pod::validate_pod_template;
use crate::validation::value::{get, go_string_map, obj_at, str_at};
use crate::validation::{invalid, nonnegative, one_of, validate_label_selector};

/// Validate `spec.selector` (required, non-empty, valid) and `spec.template`
/// (valid, labels matched by the selector), as upstream's workload validators do.
/// `kind` is the lowercase word used in the empty-selector message.
pub fn validate_selector_and_template(spec: &Value, kind: &str, restart_always: bool) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    let tp = sp.child("template");
    match spec.get("selector").filter(|s| !s.is_null()) {
        None => errs.push(FieldError::required(&sp.child("selector"), "")),
        Some(sel) => {
            errs.extend(validate_label_selector(sel, &sp.child("selector")));
            if selector_is_empty(sel) {
                errs.push(invalid(
                    &sp.child("selector"),
                    sel,
                    format!("empty selector is invalid for {kind}"),
                ));
            } else if !selector_matches(sel, obj_at(spec, &["template", "metadata", "labels"])) {
                errs.push(crate::validation::invalid_raw(
                    &tp.child("metadata").child("labels"),
                    go_string_map(obj_at(spec, &["template", "metadata", "labels"])),
                    "`selector` does not match template `labels`",
                ));
            }
        }
    }
    match spec.get("template").filter(|t| t.is_object()) {
        None => errs.push(FieldError::required(&tp, "")),
        Some(t) => {
            errs.extend(validate_pod_template(t, &tp));
            if restart_always {
                errs.extend(validate_restart_always(t, &tp, workload_kind(kind)));
            }
        }
    }
    errs
}

/// A workload's pods restart always and have no deadline (`kind` names the
/// workload in the message, as upstream: `ReplicaSet`, `ReplicationController`).
pub fn validate_restart_always(template: &Value, tp: &FieldPath, kind: &str) -> ErrorList {
    let mut errs = one_of(
        str_at(template, &["spec", "restartPolicy"]),
        &["Always"],
        true,
        &tp.child("spec").child("restartPolicy"),
    );
    if get(template, &["spec", "activeDeadlineSeconds"]).is_some_and(|v| !v.is_null()) {
        errs.push(FieldError::forbidden(
            &tp.child("spec").child("activeDeadlineSeconds"),
            format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
    errs
}

fn workload_kind(kind: &str) -> &str {
    match kind {
        "statefulset" => "StatefulSet",
        "daemonset" => "DaemonSet",
        _ => "ReplicaSet",
    }
}

/// `spec.replicas`, `spec.minReadySeconds`, `spec.revisionHistoryLimit` non-negative.
pub fn validate_counts(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    for f in ["replicas", "minReadySeconds", "revisionHistoryLimit"] {
        errs.extend(nonnegative(spec.get(f), &sp.child(f)));
    }
    errs
}

/// `spec.selector` is immutable (apps/v1).
pub fn selector_immutable(new: &Value, old: &Value) -> ErrorList {
    crate::validation::immutable(
        get(new, &["spec", "selector"]),
        get(old, &["spec", "selector"]),
        &FieldPath::root("spec").child("selector"),
    )
}

/// Status update of an apps kind: keep spec and labels (upstream's reset fields).
pub fn status_update(new: &mut Value, old: &Value) {
    common::prepare_status_update(new, old);
    common::keep_meta_field(new, old, "labels");
}
