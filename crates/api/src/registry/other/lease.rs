//! `coordination.k8s.io/v1` Leases (upstream `pkg/apis/coordination/validation/validation.go`
//! and `pkg/registry/coordination/lease/strategy.go`): a positive duration, a non-negative
//! transition count, a known (or domain-qualified) coordination strategy, and a preferred
//! holder only with a strategy. Nothing is defaulted or reset.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::{Strategy, common};
use crate::validation::names::is_qualified_name;
use crate::validation::value::{get, i64_at};

/// upstream `validLeaseStrategies`.
const STRATEGIES: &[&str] = &["OldestEmulationVersion"];

/// The leases strategy.
pub struct LeaseStrategy;

/// `ValidateCoordinatedLeaseStrategy`; upstream reports at `<p>.strategy`, so a Lease's
/// errors land on `spec.strategy.strategy`.
fn validate_coordinated_strategy(strategy: &str, p: &FieldPath) -> ErrorList {
    let sp = p.child("strategy");
    if !strategy.contains('/') {
        if STRATEGIES.contains(&strategy) {
            return vec![];
        }
        return vec![FieldError::not_supported(&sp, strategy, STRATEGIES)];
    }
    is_qualified_name(strategy)
        .into_iter()
        .map(|m| FieldError::invalid(&sp, strategy, m))
        .collect()
}

/// `ValidateLeaseSpec` (the spec is `null` when absent).
fn validate_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    if let Some(d) = i64_at(spec, &["leaseDurationSeconds"])
        && d <= 0
    {
        errs.push(FieldError::invalid_number(
            &sp.child("leaseDurationSeconds"),
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = i64_at(spec, &["leaseTransitions"])
        && t < 0
    {
        errs.push(FieldError::invalid_number(
            &sp.child("leaseTransitions"),
            t,
            "must be greater than or equal to 0",
        ));
    }
    let strategy = get(spec, &["strategy"]).and_then(Value::as_str);
    if let Some(s) = strategy {
        errs.extend(validate_coordinated_strategy(s, &sp.child("strategy")));
    }
    let preferred = get(spec, &["preferredHolder"])
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !preferred.is_empty() && strategy.unwrap_or_default().is_empty() {
        errs.push(FieldError::forbidden(
            &sp.child("preferredHolder"),
            "may only be specified if `strategy` is defined",
        ));
    }
    errs
}

impl Strategy for LeaseStrategy {
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and_spec(obj, validate_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_and_spec_update(new, old, validate_spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lease(spec: Value) -> Value {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
               "metadata": {"name": "node-1", "namespace": "kube-node-lease"}, "spec": spec})
    }

    fn errs(spec: Value) -> Vec<String> {
        LeaseStrategy
            .validate(&lease(spec))
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn accepts_leases() {
        let mut o = json!({"metadata": {"name": "x", "namespace": "d"}});
        LeaseStrategy.prepare_for_create(&mut o);
        assert!(o["metadata"].get("generation").is_none());
        assert!(LeaseStrategy.validate(&o).is_empty());
        assert!(
            errs(
                json!({"holderIdentity": "node-1", "leaseDurationSeconds": 40,
                            "leaseTransitions": 0, "renewTime": "2024-01-01T00:00:00.000000Z"})
            )
            .is_empty()
        );
        assert!(
            errs(json!({"strategy": "OldestEmulationVersion", "preferredHolder": "b"})).is_empty()
        );
        assert!(errs(json!({"strategy": "example.com/mine"})).is_empty());
    }

    #[test]
    fn counts() {
        assert_eq!(
            errs(json!({"leaseDurationSeconds": 0, "leaseTransitions": -1})),
            [
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
    }

    #[test]
    fn strategy_and_preferred_holder() {
        assert_eq!(
            errs(json!({"strategy": "Newest"})),
            [
                "spec.strategy.strategy: Unsupported value: \"Newest\": supported values: \"OldestEmulationVersion\""
            ]
        );
        assert_eq!(
            errs(json!({"strategy": "", "preferredHolder": "b"})),
            [
                "spec.strategy.strategy: Unsupported value: \"\": supported values: \"OldestEmulationVersion\"",
                "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined",
            ]
        );
        assert_eq!(
            errs(json!({"preferredHolder": "b"})),
            ["spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined"]
        );
        assert_eq!(errs(json!({"strategy": "example.com/-x"})).len(), 1);
        let e = &errs(json!({"strategy": "example.com/-x"}))[0];
        assert!(
            e.starts_with("spec.strategy.strategy: Invalid value: \"example.com/-x\": name part must consist of"),
            "{e}"
        );
    }

    #[test]
    fn update_validates_the_new_spec() {
        let old = lease(json!({"holderIdentity": "a"}));
        let mut new = lease(json!({"holderIdentity": "b", "leaseDurationSeconds": -3}));
        new["metadata"]["resourceVersion"] = json!("5");
        let errs: Vec<String> = LeaseStrategy
            .validate_update(&new, &old)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs,
            ["spec.leaseDurationSeconds: Invalid value: -3: must be greater than 0"]
        );
    }
}
