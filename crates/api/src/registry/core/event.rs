//! `core/v1` Events (upstream `ValidateEventCreate` / `ValidateEventUpdate` for the `v1`
//! request version, which stop after `legacyValidateEvent`): an event without an event
//! time lives in its involved object's namespace (or `default` for cluster-scoped
//! objects); one with an event time names its reporting component and instance, an
//! action and a reason within their length limits, and may only be cluster-scoped
//! from `default` or `kube-system`; the namespace is a DNS-1123 subdomain. Only when
//! those hold are the generic metadata rules applied (upstream's `BeforeCreate` order).
//!
//! [`validate_legacy`] is the part upstream applies to every request version, the
//! `events.k8s.io` ones included; it takes the fields by their internal meaning so a
//! strategy serving another version can feed it its own field names. The strict
//! `events.k8s.io/v1` rules (`registry::other::event`) do not apply to `v1` requests,
//! so nothing there is shared.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::Strategy;
use crate::validation::names::{is_dns1123_subdomain, is_qualified_name};
use crate::validation::value::str_at;
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// The core/v1 events strategy.
pub struct CoreEventStrategy;

/// upstream's length limits of an event's fields.
pub const REPORTING_INSTANCE_LENGTH_LIMIT: usize = 128;
/// `ActionLengthLimit`.
pub const ACTION_LENGTH_LIMIT: usize = 128;
/// `ReasonLengthLimit`.
pub const REASON_LENGTH_LIMIT: usize = 128;
/// `NoteLengthLimit` (the message).
pub const NOTE_LENGTH_LIMIT: usize = 1024;

/// The fields `legacyValidateEvent` reads, by their internal (`core.Event`) meaning.
#[derive(Debug, Clone, Copy, Default)]
pub struct LegacyEvent<'a> {
    /// `metadata.namespace`.
    pub namespace: &'a str,
    /// `involvedObject.namespace` (events.k8s.io: `regarding.namespace`).
    pub involved_namespace: &'a str,
    /// `eventTime` is set (not the zero time).
    pub has_event_time: bool,
    /// `reportingComponent` (events.k8s.io: `reportingController`).
    pub reporting_controller: &'a str,
    /// `reportingInstance`.
    pub reporting_instance: &'a str,
    /// `action`.
    pub action: &'a str,
    /// `reason`.
    pub reason: &'a str,
    /// `message` (events.k8s.io: `note`).
    pub message: &'a str,
}

impl<'a> LegacyEvent<'a> {
    /// The fields of a `core/v1` Event.
    pub fn from_core_v1(obj: &'a Value) -> Self {
        Self {
            namespace: str_at(obj, &["metadata", "namespace"]),
            involved_namespace: str_at(obj, &["involvedObject", "namespace"]),
            has_event_time: time_is_set(obj.get("eventTime")),
            reporting_controller: str_at(obj, &["reportingComponent"]),
            reporting_instance: str_at(obj, &["reportingInstance"]),
            action: str_at(obj, &["action"]),
            reason: str_at(obj, &["reason"]),
            message: str_at(obj, &["message"]),
        }
    }

    /// The fields of an `events.k8s.io/v1` Event (`regarding`, `reportingController`,
    /// `note`), for the legacy rules upstream also applies to that version.
    pub fn from_events_v1(obj: &'a Value) -> Self {
        Self {
            namespace: str_at(obj, &["metadata", "namespace"]),
            involved_namespace: str_at(obj, &["regarding", "namespace"]),
            has_event_time: time_is_set(obj.get("eventTime")),
            reporting_controller: str_at(obj, &["reportingController"]),
            reporting_instance: str_at(obj, &["reportingInstance"]),
            action: str_at(obj, &["action"]),
            reason: str_at(obj, &["reason"]),
            message: str_at(obj, &["note"]),
        }
    }
}

/// A (micro)time field holds a non-zero time.
pub fn time_is_set(v: Option<&Value>) -> bool {
    match v.and_then(Value::as_str) {
        None | Some("") => false,
        Some(t) => {
            !t.starts_with("0001-01-01T00:00:00Z") && !t.starts_with("0001-01-01T00:00:00.000000Z")
        }
    }
}

fn too_long(p: &str, limit: usize) -> FieldError {
    FieldError::invalid(
        &FieldPath::root(p),
        "",
        format!("can have at most {limit} characters"),
    )
}

/// upstream's `legacyValidateEvent`. `reporting_field` is the path reported for the
/// reporting controller: `reportingComponent` for `v1` requests, `reportingController`
/// for `events.k8s.io` ones.
pub fn validate_legacy(e: &LegacyEvent<'_>, reporting_field: &str) -> ErrorList {
    let mut errs = ErrorList::new();
    let ns_path = FieldPath::root("involvedObject").child("namespace");
    let ns_mismatch = || {
        FieldError::invalid(
            &ns_path,
            e.involved_namespace,
            "does not match event.namespace",
        )
    };
    if !e.has_event_time {
        let matches = if e.involved_namespace.is_empty() {
            e.namespace.is_empty() || e.namespace == "default"
        } else {
            e.namespace == e.involved_namespace
        };
        if !matches {
            errs.push(ns_mismatch());
        }
    } else {
        if e.involved_namespace.is_empty()
            && e.namespace != "default"
            && e.namespace != "kube-system"
        {
            errs.push(ns_mismatch());
        }
        let rp = FieldPath::root(reporting_field);
        if e.reporting_controller.is_empty() {
            errs.push(FieldError::required(&rp, ""));
        }
        for m in is_qualified_name(e.reporting_controller) {
            errs.push(FieldError::invalid(&rp, e.reporting_controller, m));
        }
        if e.reporting_instance.is_empty() {
            errs.push(FieldError::required(
                &FieldPath::root("reportingInstance"),
                "",
            ));
        }
        if e.reporting_instance.len() > REPORTING_INSTANCE_LENGTH_LIMIT {
            errs.push(too_long(
                "reportingInstance",
                REPORTING_INSTANCE_LENGTH_LIMIT,
            ));
        }
        if e.action.is_empty() {
            errs.push(FieldError::required(&FieldPath::root("action"), ""));
        }
        if e.action.len() > ACTION_LENGTH_LIMIT {
            errs.push(too_long("action", ACTION_LENGTH_LIMIT));
        }
        if e.reason.is_empty() {
            errs.push(FieldError::required(&FieldPath::root("reason"), ""));
        }
        if e.reason.len() > REASON_LENGTH_LIMIT {
            errs.push(too_long("reason", REASON_LENGTH_LIMIT));
        }
        if e.message.len() > NOTE_LENGTH_LIMIT {
            errs.push(too_long("message", NOTE_LENGTH_LIMIT));
        }
    }
    for m in is_dns1123_subdomain(e.namespace) {
        errs.push(FieldError::invalid(
            &FieldPath::root("namespace"),
            e.namespace,
            m,
        ));
    }
    errs
}

fn validate_core_v1(obj: &Value) -> ErrorList {
    validate_legacy(&LegacyEvent::from_core_v1(obj), "reportingComponent")
}

impl Strategy for CoreEventStrategy {
    /// The event's own rules; only if they pass, the generic metadata rules (names are
    /// path segments), as upstream's `BeforeCreate` runs them.
    fn validate(&self, obj: &Value) -> ErrorList {
        let errs = validate_core_v1(obj);
        if !errs.is_empty() {
            return errs;
        }
        validate_object_meta(obj, true, NameRule::PathSegment)
    }
    /// The metadata update rules, then the event's own rules on the new object.
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_core_v1(new));
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(extra: Value) -> Value {
        let mut e = json!({"metadata": {"name": "p.1", "namespace": "d"},
            "involvedObject": {"kind": "Pod", "namespace": "d", "name": "p"},
            "reason": "Started", "message": "started", "type": "Normal", "count": 1,
            "source": {"component": "kubelet"}});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    }

    fn errors(obj: &Value) -> Vec<String> {
        CoreEventStrategy
            .validate(obj)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn legacy_events() {
        assert!(errors(&ev(json!({}))).is_empty());
        // any type, and no reporting fields, for an event without an event time
        assert!(errors(&ev(json!({"type": "Odd"}))).is_empty());
        assert_eq!(
            errors(&ev(
                json!({"involvedObject": {"kind": "Pod", "namespace": "other", "name": "p"}})
            )),
            ["involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"]
        );
        assert_eq!(
            errors(&ev(
                json!({"involvedObject": {"kind": "Node", "name": "n"}})
            )),
            ["involvedObject.namespace: Invalid value: \"\": does not match event.namespace"]
        );
        let mut node = ev(json!({"involvedObject": {"kind": "Node", "name": "n"}}));
        node["metadata"]["namespace"] = json!("default");
        assert!(errors(&node).is_empty());
    }

    #[test]
    fn events_with_an_event_time() {
        let full = json!({"eventTime": "2024-01-01T00:00:00.000000Z", "reportingComponent": "kubelet",
                          "reportingInstance": "node-1", "action": "Start"});
        assert!(errors(&ev(full.clone())).is_empty());
        assert_eq!(
            errors(&ev(json!({"eventTime": "2024-01-01T00:00:00.000000Z"}))),
            [
                "reportingComponent: Required value",
                "reportingComponent: Invalid value: \"\": name part must be non-empty",
                "reportingComponent: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                "reportingInstance: Required value",
                "action: Required value",
            ]
        );
        let mut long = ev(full.clone());
        long["reason"] = json!("r".repeat(129));
        long["message"] = json!("m".repeat(1025));
        long["action"] = json!("");
        long["involvedObject"] = json!({"kind": "Node", "name": "n"});
        assert_eq!(
            errors(&long),
            [
                "involvedObject.namespace: Invalid value: \"\": does not match event.namespace",
                "action: Required value",
                "reason: Invalid value: \"\": can have at most 128 characters",
                "message: Invalid value: \"\": can have at most 1024 characters",
            ]
        );
        let mut sys = long.clone();
        sys["metadata"]["namespace"] = json!("kube-system");
        sys["reason"] = json!("R");
        sys["message"] = json!("m");
        sys["action"] = json!("A");
        assert!(errors(&sys).is_empty());
        // the events.k8s.io field names, with its path for the reporting controller
        let v1 = json!({"metadata": {"name": "e", "namespace": "d"}, "eventTime": "2024-01-01T00:00:00.000000Z",
            "regarding": {"kind": "Pod", "namespace": "d", "name": "p"}, "reportingInstance": "i",
            "action": "a", "reason": "r", "note": "n"});
        assert_eq!(
            validate_legacy(&LegacyEvent::from_events_v1(&v1), "reportingController")[0]
                .to_string(),
            "reportingController: Required value"
        );
    }

    #[test]
    fn metadata_rules_follow_the_event_rules() {
        let mut bad =
            ev(json!({"involvedObject": {"kind": "Pod", "namespace": "other", "name": "p"}}));
        bad["metadata"]["name"] = json!("a/b");
        // the event's own errors hide the metadata ones, as upstream's BeforeCreate
        assert_eq!(errors(&bad).len(), 1);
        let mut slash = ev(json!({}));
        slash["metadata"]["name"] = json!("a/b");
        assert_eq!(
            errors(&slash),
            ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]
        );
        let mut upd = ev(json!({}));
        upd["involvedObject"]["namespace"] = json!("x");
        let errs = CoreEventStrategy.validate_update(&upd, &ev(json!({})));
        assert_eq!(
            errs[0].to_string(),
            "involvedObject.namespace: Invalid value: \"x\": does not match event.namespace"
        );
    }
}
