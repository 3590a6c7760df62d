//! ResourceQuotas (upstream `ValidateResourceQuota`, `ValidateResourceQuotaUpdate`,
//! `ValidateResourceQuotaStatusUpdate` and the resourcequota strategy): `spec.hard`,
//! `status.hard` and `status.used` name quota resources with non-negative quantities
//! (whole numbers for countable resources); scopes are known, apply to every hard
//! resource and do not conflict, and may not change; scope selector requirements use an
//! operator that fits the scope and values that fit the operator. The status is reset on
//! create and kept on update; `/status` keeps the spec. Quantities are rounded up to
//! milli precision (`SetDefaults_ResourceList`).
//!
//! Quota enforcement and usage tracking (the admission plugin and controller) are not
//! here.

use std::collections::BTreeSet;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use apimachinery::gofmt::go_quote;
use serde_json::{Value, json};

use super::limitrange::{
    go_quantity, is_integer_resource, is_standard_quota_resource, round_up_to_milli,
    validate_resource_name,
};
use crate::registry::{Strategy, common};
use crate::validation::value::{arr_at, get, get_mut, obj_at, str_at};
use crate::validation::{
    IMMUTABLE, NameRule, nonnegative_quantity, validate_object_meta, validate_object_meta_update,
};

/// The resourcequotas strategy (main resource and `/status`).
pub struct ResourceQuotaStrategy;

const SCOPES: &[&str] = &[
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "VolumeAttributesClass",
    "CrossNamespacePodAffinity",
];

/// Scopes whose selector requirement must use `Exists`.
const EXISTS_ONLY_SCOPES: &[&str] = &[
    "BestEffort",
    "NotBestEffort",
    "Terminating",
    "NotTerminating",
    "CrossNamespacePodAffinity",
];

const CONFLICTING_SCOPES: &[[&str; 2]] = &[
    ["BestEffort", "NotBestEffort"],
    ["Terminating", "NotTerminating"],
];

/// `IsResourceQuotaScopeValidForResource`.
fn scope_valid_for(scope: &str, resource: &str) -> bool {
    let pod_count = resource == "pods";
    let pod_compute = matches!(
        resource,
        "cpu" | "memory" | "limits.cpu" | "limits.memory" | "requests.cpu" | "requests.memory"
    );
    match scope {
        "Terminating"
        | "NotTerminating"
        | "NotBestEffort"
        | "PriorityClass"
        | "CrossNamespacePodAffinity" => pod_count || pod_compute,
        "BestEffort" => pod_count,
        "VolumeAttributesClass" => {
            matches!(resource, "persistentvolumeclaims" | "requests.storage")
        }
        _ => true,
    }
}

/// `ValidateResourceQuotaResourceName`.
fn validate_quota_resource_name(name: &str, p: &FieldPath) -> ErrorList {
    let mut errs = validate_resource_name(name, p);
    if !name.contains('/') && !is_standard_quota_resource(name) {
        errs.push(FieldError::invalid_rendered(
            p,
            name.to_string(),
            "must be a standard resource for quota",
        ));
    }
    errs
}

/// A resource list of quota names and `ValidateResourceQuantityValue` quantities.
fn validate_list(list: Option<&Value>, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    for (k, v) in list.and_then(Value::as_object).into_iter().flatten() {
        let rp = p.key(k);
        errs.extend(validate_quota_resource_name(k, &rp));
        let (e, q) = nonnegative_quantity(v, &rp);
        errs.extend(e);
        if let Some(q) = q
            && is_integer_resource(k)
            && q.milli_value() % 1000 != 0
        {
            errs.push(FieldError::invalid_rendered(
                &rp,
                go_quantity(&q, false),
                "must be an integer",
            ));
        }
    }
    errs
}

/// Go's `%#v` of a `[]core.ResourceQuotaScope`.
fn go_scopes(scopes: Option<&Value>) -> String {
    go_string_slice("[]core.ResourceQuotaScope", scopes)
}

fn go_string_slice(ty: &str, v: Option<&Value>) -> String {
    match v.and_then(Value::as_array) {
        None => format!("{ty}(nil)"),
        Some(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|s| go_quote(s.as_str().unwrap_or_default()))
                .collect();
            format!("{ty}{{{}}}", items.join(", "))
        }
    }
}

/// Go's `%#v` of a `core.ScopeSelector`.
fn go_scope_selector(sel: &Value) -> String {
    let exprs = match get(sel, &["matchExpressions"]).and_then(Value::as_array) {
        None => "[]core.ScopedResourceSelectorRequirement(nil)".to_string(),
        Some(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|r| {
                    format!(
                        "core.ScopedResourceSelectorRequirement{{ScopeName:{}, Operator:{}, Values:{}}}",
                        go_quote(str_at(r, &["scopeName"])),
                        go_quote(str_at(r, &["operator"])),
                        go_string_slice("[]string", get(r, &["values"]))
                    )
                })
                .collect();
            format!(
                "[]core.ScopedResourceSelectorRequirement{{{}}}",
                items.join(", ")
            )
        }
    };
    format!("core.ScopeSelector{{MatchExpressions:{exprs}}}")
}

/// The hard resources, sorted (as upstream walks them).
fn hard_names(spec: &Value) -> Vec<&str> {
    let set: BTreeSet<&str> = obj_at(spec, &["hard"])
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    set.into_iter().collect()
}

fn conflicting(set: &[&str]) -> usize {
    CONFLICTING_SCOPES
        .iter()
        .filter(|pair| pair.iter().all(|s| set.contains(s)))
        .count()
}

/// `validateResourceQuotaScopes`.
fn validate_scopes(spec: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let scopes = arr_at(spec, &["scopes"]);
    if scopes.is_empty() {
        return errs;
    }
    let sp = p.child("scopes");
    let rendered = go_scopes(get(spec, &["scopes"]));
    let hard = hard_names(spec);
    let mut seen: Vec<&str> = Vec::new();
    for scope in scopes {
        let scope = scope.as_str().unwrap_or_default();
        if !SCOPES.contains(&scope) {
            errs.push(FieldError::invalid_rendered(
                &sp,
                rendered.clone(),
                "unsupported scope",
            ));
        }
        for k in &hard {
            if is_standard_quota_resource(k) && !scope_valid_for(scope, k) {
                errs.push(FieldError::invalid_rendered(
                    &sp,
                    rendered.clone(),
                    "unsupported scope applied to resource",
                ));
            }
        }
        seen.push(scope);
    }
    for _ in 0..conflicting(&seen) {
        errs.push(FieldError::invalid_rendered(
            &sp,
            rendered.clone(),
            "conflicting scopes",
        ));
    }
    errs
}

/// `validateScopeSelector`.
fn validate_scope_selector(spec: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(sel) = get(spec, &["scopeSelector"]).filter(|s| !s.is_null()) else {
        return errs;
    };
    let mp = p.child("scopeSelector").child("matchExpressions");
    let hard = hard_names(spec);
    let mut seen: Vec<&str> = Vec::new();
    for req in arr_at(sel, &["matchExpressions"]) {
        let scope = str_at(req, &["scopeName"]);
        let op = str_at(req, &["operator"]);
        if !SCOPES.contains(&scope) {
            errs.push(FieldError::invalid(
                &mp.child("scopeName"),
                scope,
                "unsupported scope",
            ));
        }
        for k in &hard {
            if is_standard_quota_resource(k) && !scope_valid_for(scope, k) {
                errs.push(FieldError::invalid_rendered(
                    &mp,
                    go_scope_selector(sel),
                    "unsupported scope applied to resource",
                ));
            }
        }
        if EXISTS_ONLY_SCOPES.contains(&scope) && op != "Exists" {
            errs.push(FieldError::invalid(
                &mp.child("operator"),
                op,
                "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
            ));
        }
        let values = arr_at(req, &["values"]);
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        &mp.child("values"),
                        "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::invalid_rendered(
                        &mp.child("values"),
                        go_string_slice("[]string", get(req, &["values"])),
                        "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                &mp.child("operator"),
                op,
                "not a valid selector operator",
            )),
        }
        seen.push(scope);
    }
    for _ in 0..conflicting(&seen) {
        errs.push(FieldError::invalid_rendered(
            &mp,
            go_scopes(get(spec, &["scopes"])),
            "conflicting scopes",
        ));
    }
    errs
}

/// `ValidateResourceQuotaSpec`.
fn validate_spec(obj: &Value) -> ErrorList {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let p = FieldPath::root("spec");
    let mut errs = validate_list(get(spec, &["hard"]), &p.child("hard"));
    errs.extend(validate_scopes(spec, &p));
    errs.extend(validate_scope_selector(spec, &p));
    errs
}

/// `ValidateResourceQuotaStatus`.
fn validate_status(obj: &Value) -> ErrorList {
    let p = FieldPath::root("status");
    let mut errs = validate_list(get(obj, &["status", "hard"]), &p.child("hard"));
    errs.extend(validate_list(
        get(obj, &["status", "used"]),
        &p.child("used"),
    ));
    errs
}

/// The scopes as a set (upstream compares them so on update).
fn scope_set(obj: &Value) -> BTreeSet<&str> {
    arr_at(obj, &["spec", "scopes"])
        .iter()
        .map(|s| s.as_str().unwrap_or_default())
        .collect()
}

impl Strategy for ResourceQuotaStrategy {
    fn default(&self, obj: &mut Value) {
        for path in [["spec", "hard"], ["status", "hard"], ["status", "used"]] {
            round_up_to_milli(get_mut(obj, &path));
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::reset_status(obj, json!({}));
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
        common::keep_generation(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_spec(obj));
        errs.extend(validate_status(obj));
        errs
    }
    /// Both the main resource (`ValidateResourceQuotaUpdate`) and `/status`
    /// (`ValidateResourceQuotaStatusUpdate`): the half each path does not check was
    /// copied from the stored object by the preparation, so checking it again finds
    /// nothing new.
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_spec(new));
        if scope_set(new) != scope_set(old) {
            errs.push(FieldError::invalid_rendered(
                &FieldPath::root("spec").child("scopes"),
                go_scopes(get(new, &["spec", "scopes"])),
                IMMUTABLE,
            ));
        }
        errs.extend(validate_status(new));
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rq(spec: Value) -> Value {
        json!({"metadata": {"name": "q", "namespace": "d"}, "spec": spec})
    }

    fn errors(obj: &Value) -> Vec<String> {
        let mut obj = obj.clone();
        ResourceQuotaStrategy.default(&mut obj);
        ResourceQuotaStrategy
            .validate(&obj)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn valid_quota_and_status_handling() {
        let mut obj = rq(
            json!({"hard": {"pods": "10", "cpu": "1", "count/deployments.apps": "2",
                                         "requests.example.com/gpu": "1", "hugepages-2Mi": "1Gi"}}),
        );
        obj["status"] = json!({"used": {"pods": "3"}});
        ResourceQuotaStrategy.prepare_for_create(&mut obj);
        assert_eq!(obj["status"], json!({}));
        assert!(errors(&obj).is_empty());
        assert!(errors(&rq(json!({}))).is_empty());
        let mut new = obj.clone();
        new["spec"]["hard"]["pods"] = json!("20");
        new["status"] = json!({"used": {"pods": "1"}});
        let old = obj.clone();
        ResourceQuotaStrategy.prepare_for_update(&mut new, &old);
        assert_eq!(new["status"], json!({}));
        assert!(ResourceQuotaStrategy.validate_update(&new, &old).is_empty());
        let mut st = obj.clone();
        st["spec"]["hard"]["pods"] = json!("99");
        st["status"] = json!({"hard": {"pods": "10"}, "used": {"pods": "-1"}});
        ResourceQuotaStrategy.prepare_for_status_update(&mut st, &old);
        assert_eq!(st["spec"], old["spec"]);
        let errs: Vec<String> = ResourceQuotaStrategy
            .validate_update(&st, &old)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs,
            ["status.used[pods]: Invalid value: \"-1\": must be greater than or equal to 0"]
        );
    }

    #[test]
    fn hard_resources() {
        assert_eq!(
            errors(&rq(
                json!({"hard": {"foo": "1", "cpu": "-1", "pods": "1500m", "limits.pods": "1"}})
            )),
            [
                "spec.hard[foo]: Invalid value: foo: must be a standard resource type or fully qualified",
                "spec.hard[foo]: Invalid value: foo: must be a standard resource for quota",
                "spec.hard[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                "spec.hard[pods]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"1500m\", Format:\"DecimalSI\"}: must be an integer",
                "spec.hard[limits.pods]: Invalid value: limits.pods: must be a standard resource type or fully qualified",
                "spec.hard[limits.pods]: Invalid value: limits.pods: must be a standard resource for quota",
            ]
        );
        let mut obj = rq(json!({"hard": {"cpu": "100n"}}));
        ResourceQuotaStrategy.default(&mut obj);
        assert_eq!(obj["spec"]["hard"]["cpu"], "1m");
    }

    #[test]
    fn scopes() {
        assert_eq!(
            errors(&rq(
                json!({"hard": {"cpu": "1", "pods": "1"}, "scopes": ["BestEffort", "Bogus"]})
            )),
            [
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"Bogus\"}: unsupported scope applied to resource",
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"Bogus\"}: unsupported scope",
            ]
        );
        assert_eq!(
            errors(&rq(json!({"scopes": ["Terminating", "NotTerminating"]}))),
            [
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\"}: conflicting scopes"
            ]
        );
        assert!(errors(&rq(json!({"hard": {"persistentvolumeclaims": "1"}, "scopes": ["VolumeAttributesClass"]}))).is_empty());
        let old = rq(json!({"scopes": ["BestEffort"]}));
        let new = rq(json!({"scopes": ["NotBestEffort"]}));
        assert_eq!(
            ResourceQuotaStrategy.validate_update(&new, &old)[0].to_string(),
            "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"NotBestEffort\"}: field is immutable"
        );
        assert!(
            ResourceQuotaStrategy
                .validate_update(&rq(json!({"scopes": ["BestEffort", "BestEffort"]})), &old)
                .is_empty()
        );
    }

    #[test]
    fn scope_selector() {
        let sel = |exprs: Value| {
            rq(json!({"hard": {"cpu": "1"}, "scopeSelector": {"matchExpressions": exprs}}))
        };
        assert!(
            errors(&sel(
                json!([{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}])
            ))
            .is_empty()
        );
        assert_eq!(
            errors(&sel(
                json!([{"scopeName": "PriorityClass", "operator": "In"}])
            )),
            [
                "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"
            ]
        );
        assert_eq!(
            errors(&sel(
                json!([{"scopeName": "PriorityClass", "operator": "Bogus"}])
            )),
            [
                "spec.scopeSelector.matchExpressions.operator: Invalid value: \"Bogus\": not a valid selector operator"
            ]
        );
        assert_eq!(
            errors(&sel(
                json!([{"scopeName": "Terminating", "operator": "Exists", "values": ["x"]}])
            )),
            [
                "spec.scopeSelector.matchExpressions.values: Invalid value: []string{\"x\"}: must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"
            ]
        );
        assert_eq!(
            errors(&sel(
                json!([{"scopeName": "BestEffort", "operator": "DoesNotExist"}])
            )),
            [
                "spec.scopeSelector.matchExpressions: Invalid value: core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{core.ScopedResourceSelectorRequirement{ScopeName:\"BestEffort\", Operator:\"DoesNotExist\", Values:[]string(nil)}}}: unsupported scope applied to resource",
                "spec.scopeSelector.matchExpressions.operator: Invalid value: \"DoesNotExist\": must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
            ]
        );
        assert_eq!(
            errors(&rq(json!({"scopeSelector": {"matchExpressions": [
                {"scopeName": "Bogus", "operator": "Exists"},
                {"scopeName": "BestEffort", "operator": "Exists"},
                {"scopeName": "NotBestEffort", "operator": "Exists"}]}}))),
            [
                "spec.scopeSelector.matchExpressions.scopeName: Invalid value: \"Bogus\": unsupported scope",
                "spec.scopeSelector.matchExpressions: Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes",
            ]
        );
    }
}
