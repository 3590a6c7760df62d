//! APIServices (`apiregistration.k8s.io/v1`; upstream kube-aggregator's
//! `pkg/registry/apiservice` and `pkg/apis/apiregistration/validation`): one per served
//! group-version, named `<version>.<group>` (`v1.` for the core group). A local one
//! (no `spec.service`) is served by this server; one with a service names an aggregated
//! server (proxying to it comes with the aggregation layer).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use apimachinery::validation::{is_dns1035_label, is_dns1123_subdomain};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::value::{get, str_at};
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// The apiservices strategy.
pub struct ApiServiceStrategy;

impl Strategy for ApiServiceStrategy {
    fn default(&self, obj: &mut Value) {
        // a service's port defaults to 443
        if let Some(svc) = obj
            .pointer_mut("/spec/service")
            .and_then(Value::as_object_mut)
            && !svc.contains_key("port")
        {
            svc.insert("port".into(), json!(443));
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::reset_status(obj, json!({}));
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::keep_spec(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, false, NameRule::PathSegment);
        errs.extend(validate_name_and_spec(obj));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_name_and_spec(new));
        if new.pointer("/status/conditions") != old.pointer("/status/conditions") {
            errs.extend(crate::validation::conditions::validate_conditions(
                new.pointer("/status/conditions"),
                &FieldPath::root("status").child("conditions"),
            ));
        }
        errs
    }
}

fn validate_name_and_spec(obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let sp = FieldPath::root("spec");
    let group = str_at(spec, &["group"]);
    let version = str_at(spec, &["version"]);
    let name = str_at(obj, &["metadata", "name"]);
    if name != format!("{version}.{group}") {
        errs.push(FieldError::invalid(
            &FieldPath::root("metadata").child("name"),
            name,
            "must be `spec.version+\".\"+spec.group`",
        ));
    }
    if !group.is_empty() {
        for m in is_dns1123_subdomain(group) {
            errs.push(FieldError::invalid(&sp.child("group"), group, m));
        }
    }
    if version.is_empty() {
        errs.push(FieldError::required(&sp.child("version"), ""));
    } else {
        for m in is_dns1035_label(version) {
            errs.push(FieldError::invalid(&sp.child("version"), version, m));
        }
    }
    let group_min = get(spec, &["groupPriorityMinimum"])
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !(1..=20000).contains(&group_min) {
        errs.push(FieldError::invalid_number(
            &sp.child("groupPriorityMinimum"),
            group_min,
            "must be positive and less than 20000",
        ));
    }
    let version_prio = get(spec, &["versionPriority"])
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !(1..=1000).contains(&version_prio) {
        errs.push(FieldError::invalid_number(
            &sp.child("versionPriority"),
            version_prio,
            "must be positive and less than 1000",
        ));
    }
    let ca_bundle = str_at(spec, &["caBundle"]);
    let insecure = get(spec, &["insecureSkipTLSVerify"]).and_then(Value::as_bool) == Some(true);
    match spec.get("service").filter(|s| !s.is_null()) {
        None => {
            if !ca_bundle.is_empty() {
                errs.push(FieldError::invalid(
                    &sp.child("caBundle"),
                    format!("{} bytes", ca_bundle.len()),
                    "local APIServices may not have a caBundle",
                ));
            }
            if insecure {
                errs.push(FieldError::invalid(
                    &sp.child("insecureSkipTLSVerify"),
                    true,
                    "local APIServices may not have insecureSkipTLSVerify",
                ));
            }
        }
        Some(svc) => {
            let p = sp.child("service");
            for (f, label) in [("namespace", true), ("name", false)] {
                match str_at(svc, &[f]) {
                    "" => errs.push(FieldError::required(&p.child(f), "")),
                    v => {
                        let msgs = if label {
                            apimachinery::validation::is_dns1123_label(v)
                        } else {
                            is_dns1035_label(v)
                        };
                        for m in msgs {
                            errs.push(FieldError::invalid(&p.child(f), v, m));
                        }
                    }
                }
            }
            if let Some(port) = get(svc, &["port"]).and_then(Value::as_i64)
                && !(1..=65535).contains(&port)
            {
                errs.push(FieldError::invalid_number(
                    &p.child("port"),
                    port,
                    "must be between 1 and 65535, inclusive",
                ));
            }
            if insecure && !ca_bundle.is_empty() {
                errs.push(FieldError::invalid(
                    &sp.child("insecureSkipTLSVerify"),
                    true,
                    "may not be true if caBundle is present",
                ));
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apiservice(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": name}, "spec": spec})
    }

    #[test]
    fn names_priorities_and_services() {
        let ok = apiservice(
            "v1beta1.metrics.k8s.io",
            json!({"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 100,
                   "service": {"namespace": "kube-system", "name": "metrics-server"}, "insecureSkipTLSVerify": true}),
        );
        assert!(ApiServiceStrategy.validate(&ok).is_empty());
        let local = apiservice(
            "v1.",
            json!({"version": "v1", "groupPriorityMinimum": 18000, "versionPriority": 1}),
        );
        assert!(ApiServiceStrategy.validate(&local).is_empty());

        let bad = apiservice(
            "v1.wrong",
            json!({"group": "metrics.k8s.io", "version": "v1", "groupPriorityMinimum": 30000, "versionPriority": 0,
                   "service": {"name": "m"}}),
        );
        let errs: Vec<String> = ApiServiceStrategy
            .validate(&bad)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs,
            [
                "metadata.name: Invalid value: \"v1.wrong\": must be `spec.version+\".\"+spec.group`",
                "spec.groupPriorityMinimum: Invalid value: 30000: must be positive and less than 20000",
                "spec.versionPriority: Invalid value: 0: must be positive and less than 1000",
                "spec.service.namespace: Required value",
            ]
        );
    }

    #[test]
    fn service_port_defaults_to_443() {
        let mut o = apiservice(
            "v1.x.io",
            json!({"service": {"namespace": "a", "name": "b"}}),
        );
        ApiServiceStrategy.default(&mut o);
        assert_eq!(o["spec"]["service"]["port"], 443);
    }
}
