//! `events.k8s.io/v1` Events (upstream `pkg/apis/core/validation/events.go`: the rules
//! every event passes, in `registry::core::event`, then the strict ones for the new
//! Events API): an event time,
//! a Normal/Warning type, the deprecated fields unset, a series with its count and last
//! observed time; the event time may not change.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::core::event::{LegacyEvent, validate_legacy};
use crate::registry::{Generic, Strategy};
use crate::validation::NameRule;

/// The events.k8s.io/v1 events strategy.
pub struct EventStrategy;

const GENERIC: Generic = Generic {
    namespaced: true,
    status: false,
    generation: false,
    name_rule: NameRule::Dns1123Subdomain,
};

fn set(v: &Value, f: &str) -> bool {
    v.get(f).is_some_and(|x| !x.is_null())
}

fn series(obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(s) = obj.get("series").filter(|s| !s.is_null()) {
        if s.get("count").and_then(Value::as_i64).unwrap_or(0) < 2 {
            errs.push(FieldError::invalid(
                &FieldPath::root("series.count"),
                "",
                "should be at least 2",
            ));
        }
        if !set(s, "lastObservedTime") {
            errs.push(FieldError::required(
                &FieldPath::root("series.lastObservedTime"),
                "",
            ));
        }
    }
    errs
}

impl Strategy for EventStrategy {
    fn default(&self, obj: &mut Value) {
        GENERIC.default(obj)
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        GENERIC.prepare_for_create(obj)
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        GENERIC.prepare_for_update(new, old)
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        GENERIC.prepare_for_status_update(new, old)
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        // upstream runs the rules every event passes (legacyValidateEvent) first
        let mut errs = validate_legacy(&LegacyEvent::from_events_v1(obj), "reportingController");
        errs.extend(GENERIC.validate(obj));
        errs.extend(series(obj));
        if !set(obj, "eventTime") {
            errs.push(FieldError::required(&FieldPath::root("eventTime"), ""));
        }
        let ty = obj.get("type").and_then(Value::as_str).unwrap_or("");
        if ty != "Normal" && ty != "Warning" {
            errs.push(FieldError::invalid(
                &FieldPath::root("type"),
                "",
                format!("has invalid value: {ty}"),
            ));
        }
        for (served, path) in [
            ("deprecatedFirstTimestamp", "firstTimestamp"),
            ("deprecatedLastTimestamp", "lastTimestamp"),
        ] {
            if set(obj, served) {
                errs.push(FieldError::invalid(
                    &FieldPath::root(path),
                    "",
                    "needs to be unset",
                ));
            }
        }
        if obj
            .get("deprecatedCount")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            != 0
        {
            errs.push(FieldError::invalid(
                &FieldPath::root("count"),
                "",
                "needs to be unset",
            ));
        }
        if obj
            .get("deprecatedSource")
            .and_then(Value::as_object)
            .is_some_and(|s| {
                s.values()
                    .any(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            })
        {
            errs.push(FieldError::invalid(
                &FieldPath::root("source"),
                "",
                "needs to be unset",
            ));
        }
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = GENERIC.validate_update(new, old);
        if new.get("series") != old.get("series") {
            errs.extend(series(new));
        }
        // the event time may not change (beyond sub-microsecond digits upstream tolerates)
        let micros = |v: &Value| {
            v.get("eventTime")
                .and_then(Value::as_str)
                .map(|s| s.get(..26).unwrap_or(s).to_string())
        };
        if micros(new) != micros(old) {
            errs.push(FieldError::invalid(
                &FieldPath::root("eventTime"),
                new.get("eventTime")
                    .and_then(Value::as_str)
                    .unwrap_or("null"),
                crate::validation::IMMUTABLE,
            ));
        }
        errs
    }
}
