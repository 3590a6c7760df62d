//! `scheduling.k8s.io/v1` PriorityClasses (upstream
//! `pkg/apis/scheduling/validation/validation.go`, `pkg/apis/scheduling/v1/defaults.go`
//! and `pkg/registry/scheduling/priorityclass/strategy.go`).
//!
//! Names starting with `system-` are reserved for the system classes the API server
//! creates at start (with exactly their value and `globalDefault`); other classes may not
//! go above one billion. The preemption policy defaults to `PreemptLowerPriority`; value
//! and preemption policy never change.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::value::{bool_at, default_nil, get, i64_at};
use crate::validation::{IMMUTABLE, NameRule, render};

/// upstream `SystemPriorityClassPrefix`.
const SYSTEM_PREFIX: &str = "system-";
/// upstream `HighestUserDefinablePriority`.
const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;
/// upstream `SystemCriticalPriority`.
const SYSTEM_CRITICAL: i64 = 2 * HIGHEST_USER_PRIORITY;
/// The system classes: name, value (their `globalDefault` is false).
const SYSTEM_CLASSES: &[(&str, i64)] = &[
    ("system-node-critical", SYSTEM_CRITICAL + 1000),
    ("system-cluster-critical", SYSTEM_CRITICAL),
];
/// The preemption policies, in upstream's order.
const PREEMPTION_POLICIES: &[&str] = &["PreemptLowerPriority", "Never"];

/// The priorityclasses strategy.
pub struct PriorityClassStrategy;

/// upstream `IsKnownSystemPriorityClass`: `Err` says why the class is not one.
fn known_system_class(name: &str, value: i64, global_default: bool) -> Result<(), String> {
    let Some((n, v)) = SYSTEM_CLASSES.iter().find(|(n, _)| *n == name) else {
        return Err(format!("{name} is not a known system priority class"));
    };
    if *v != value {
        return Err(format!("value of {n} PriorityClass must be {v}"));
    }
    if global_default {
        return Err(format!("globalDefault of {n} PriorityClass must be false"));
    }
    Ok(())
}

fn validate_priority_class(obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let name = get(obj, &["metadata", "name"])
        .and_then(Value::as_str)
        .unwrap_or_default();
    let value = i64_at(obj, &["value"]).unwrap_or(0);
    if name.starts_with(SYSTEM_PREFIX) {
        let global_default = bool_at(obj, &["globalDefault"]).unwrap_or(false);
        if let Err(why) = known_system_class(name, value, global_default) {
            errs.push(FieldError::forbidden(
                &FieldPath::root("metadata").child("name"),
                format!(
                    "priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system use only. error: {why}"
                ),
            ));
        }
    } else if value > HIGHEST_USER_PRIORITY {
        errs.push(FieldError::forbidden(
            &FieldPath::root("value"),
            format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"),
        ));
    }
    if let Some(policy) = get(obj, &["preemptionPolicy"]).and_then(Value::as_str) {
        let p = FieldPath::root("preemptionPolicy");
        if policy.is_empty() {
            errs.push(FieldError::required(&p, ""));
        } else if !PREEMPTION_POLICIES.contains(&policy) {
            errs.push(FieldError::not_supported(&p, policy, PREEMPTION_POLICIES));
        }
    }
    errs
}

impl Strategy for PriorityClassStrategy {
    fn default(&self, obj: &mut Value) {
        if let Some(m) = obj.as_object_mut() {
            default_nil(m, "preemptionPolicy", json!("PreemptLowerPriority"));
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::set_generation(obj, 1);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(
            obj,
            false,
            NameRule::Dns1123Subdomain,
            validate_priority_class,
        )
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        // upstream reads the old class with its defaults filled
        let mut old = old.clone();
        self.default(&mut old);
        let old = &old;
        let mut errs = crate::validation::validate_object_meta_update(new, old);
        if i64_at(new, &["value"]).unwrap_or(0) != i64_at(old, &["value"]).unwrap_or(0) {
            errs.push(FieldError::forbidden(
                &FieldPath::root("value"),
                "may not be changed in an update.",
            ));
        }
        let policy = |o: &Value| {
            get(o, &["preemptionPolicy"])
                .filter(|v| !v.is_null())
                .cloned()
        };
        if policy(new) != policy(old) {
            // a nil pointer renders as the string "null"
            let rendered = policy(new).map_or("\"null\"".to_string(), |v| render(&v));
            errs.push(FieldError::invalid_rendered(
                &FieldPath::root("preemptionPolicy"),
                rendered,
                IMMUTABLE,
            ));
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(errs: ErrorList) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    fn pc(name: &str, value: i64, extra: Value) -> Value {
        let mut o = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                           "metadata": {"name": name}, "value": value});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        PriorityClassStrategy.default(&mut o);
        o
    }

    fn errs(name: &str, value: i64, extra: Value) -> Vec<String> {
        msgs(PriorityClassStrategy.validate(&pc(name, value, extra)))
    }

    #[test]
    fn defaults_and_accepts_user_and_system_classes() {
        let mut o = pc(
            "high",
            1000,
            json!({"description": "d", "globalDefault": true}),
        );
        assert_eq!(o["preemptionPolicy"], "PreemptLowerPriority");
        PriorityClassStrategy.prepare_for_create(&mut o);
        assert_eq!(o["metadata"]["generation"], 1);
        assert!(PriorityClassStrategy.validate(&o).is_empty());
        assert!(errs("max", 1_000_000_000, json!({"preemptionPolicy": "Never"})).is_empty());
        assert!(errs("negative", -5, json!({})).is_empty());
        // the classes the API server bootstraps
        assert!(errs("system-node-critical", 2_000_001_000, json!({})).is_empty());
        assert!(errs("system-cluster-critical", 2_000_000_000, json!({})).is_empty());
    }

    #[test]
    fn system_prefix_and_value_range() {
        let reserved = "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: ";
        assert_eq!(
            errs("system-mine", 10, json!({})),
            [format!(
                "{reserved}system-mine is not a known system priority class"
            )]
        );
        assert_eq!(
            errs("system-node-critical", 2_000_000_000, json!({})),
            [format!(
                "{reserved}value of system-node-critical PriorityClass must be 2000001000"
            )]
        );
        assert_eq!(
            errs(
                "system-cluster-critical",
                2_000_000_000,
                json!({"globalDefault": true})
            ),
            [format!(
                "{reserved}globalDefault of system-cluster-critical PriorityClass must be false"
            )]
        );
        assert_eq!(
            errs("huge", 1_000_000_001, json!({})),
            ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"]
        );
    }

    #[test]
    fn preemption_policy() {
        assert_eq!(
            errs("p", 1, json!({"preemptionPolicy": "Sometimes"})),
            [
                "preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"PreemptLowerPriority\", \"Never\""
            ]
        );
        assert_eq!(
            errs("p", 1, json!({"preemptionPolicy": ""})),
            ["preemptionPolicy: Required value"]
        );
    }

    #[test]
    fn update_keeps_value_and_policy() {
        let old = pc("p", 1, json!({}));
        let mut new = pc(
            "p",
            1,
            json!({"description": "changed", "globalDefault": true}),
        );
        assert!(PriorityClassStrategy.validate_update(&new, &old).is_empty());
        // an old class stored without defaults compares as defaulted
        let mut bare = old.clone();
        bare.as_object_mut().unwrap().remove("preemptionPolicy");
        assert!(
            PriorityClassStrategy
                .validate_update(&new, &bare)
                .is_empty()
        );
        new["value"] = json!(2);
        new["preemptionPolicy"] = json!("Never");
        assert_eq!(
            msgs(PriorityClassStrategy.validate_update(&new, &old)),
            [
                "value: Forbidden: may not be changed in an update.",
                "preemptionPolicy: Invalid value: \"Never\": field is immutable",
            ]
        );
    }
}
