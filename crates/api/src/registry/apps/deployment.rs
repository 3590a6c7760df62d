//! Deployments (upstream `pkg/registry/apps/deployment/strategy.go`, `apps/v1` defaults).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use super::{selector_immutable, status_update, validate_counts, validate_selector_and_template};
use crate::registry::core::podspec::default_pod_template;
use crate::registry::{Strategy, common};
use crate::validation::value::{default_nil, default_zero, get, obj_mut, str_at};
use crate::validation::{
    NameRule, int_or_percent, int_or_percent_value, invalid, nonnegative, validate_object_meta,
    validate_object_meta_update,
};

/// The deployments strategy.
pub struct DeploymentStrategy;

impl Strategy for DeploymentStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        default_nil(spec, "replicas", json!(1));
        let strategy = spec.entry("strategy").or_insert_with(|| json!({}));
        if let Some(st) = strategy.as_object_mut() {
            default_zero(st, "type", json!("RollingUpdate"));
            if st.get("type") == Some(&json!("RollingUpdate")) {
                let ru = st.entry("rollingUpdate").or_insert_with(|| json!({}));
                if let Some(ru) = ru.as_object_mut() {
                    default_nil(ru, "maxUnavailable", json!("25%"));
                    default_nil(ru, "maxSurge", json!("25%"));
                }
            }
        }
        default_nil(spec, "revisionHistoryLimit", json!(10));
        default_nil(spec, "progressDeadlineSeconds", json!(600));
        if let Some(t) = obj.get_mut("spec").and_then(|s| s.get_mut("template")) {
            default_pod_template(t);
        }
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(obj, json!({}));
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
        common::keep_generation(new, old);
        // annotations bump too: they are copied to the ReplicaSets
        if common::differs(new.get("spec"), old.get("spec"))
            || common::differs(common::annotations(new), common::annotations(old))
        {
            common::set_generation(new, common::generation(old) + 1);
        }
    }

    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        status_update(new, old);
    }

    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_deployment_spec(
            obj.get("spec").unwrap_or(&Value::Null),
        ));
        errs
    }

    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_deployment_spec(
            new.get("spec").unwrap_or(&Value::Null),
        ));
        errs.extend(selector_immutable(new, old));
        errs
    }
}

fn validate_deployment_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = validate_counts(spec);
    errs.extend(validate_selector_and_template(spec, "deployment", true));
    errs.extend(nonnegative(
        spec.get("progressDeadlineSeconds"),
        &sp.child("progressDeadlineSeconds"),
    ));
    if let (Some(pds), Some(mrs)) = (
        spec.get("progressDeadlineSeconds").and_then(Value::as_i64),
        Some(
            spec.get("minReadySeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0),
        ),
    ) && pds <= mrs
    {
        errs.push(FieldError::invalid_number(
            &sp.child("progressDeadlineSeconds"),
            pds,
            "must be greater than minReadySeconds",
        ));
    }
    let stp = sp.child("strategy");
    let ty = str_at(spec, &["strategy", "type"]);
    match ty {
        "Recreate" => {
            if get(spec, &["strategy", "rollingUpdate"]).is_some_and(|v| !v.is_null()) {
                errs.push(FieldError::forbidden(
                    &stp.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => {
            let rp = stp.child("rollingUpdate");
            let mu = get(spec, &["strategy", "rollingUpdate", "maxUnavailable"]);
            let ms = get(spec, &["strategy", "rollingUpdate", "maxSurge"]);
            for (v, name) in [(mu, "maxUnavailable"), (ms, "maxSurge")] {
                if let Some(v) = v {
                    let e = int_or_percent(v, &rp.child(name));
                    if e.is_empty()
                        && v.as_str()
                            .and_then(|s| s.strip_suffix('%'))
                            .and_then(|s| s.parse::<i64>().ok())
                            .is_some_and(|p| p > 100)
                        && name == "maxUnavailable"
                    {
                        errs.push(invalid(&rp.child(name), v, "must not be greater than 100%"));
                    }
                    errs.extend(e);
                }
            }
            let zero = |v: Option<&Value>| int_or_percent_value(v, 100, false) == 0;
            if zero(mu) && zero(ms) {
                errs.push(invalid(
                    &rp.child("maxUnavailable"),
                    mu.unwrap_or(&json!(0)),
                    "may not be 0 when `maxSurge` is 0",
                ));
            }
        }
        "" => errs.push(FieldError::required(&stp.child("type"), "")),
        other => errs.push(FieldError::not_supported(
            &stp.child("type"),
            other,
            &["Recreate", "RollingUpdate"],
        )),
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `kubectl create deployment nginx --image=nginx` sends.
    fn created() -> Value {
        json!({"kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}},
                "strategy": {}},
            "status": {}})
    }

    #[test]
    fn kubectl_create_deployment_gets_upstream_defaults() {
        let s = DeploymentStrategy;
        let mut d = created();
        s.default(&mut d);
        s.prepare_for_create(&mut d);
        assert_eq!(
            d["spec"],
            json!({"replicas": 1, "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {},
                        "imagePullPolicy": "Always", "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"}],
                        "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                        "securityContext": {}, "schedulerName": "default-scheduler"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600})
        );
        assert_eq!(d["metadata"]["generation"], 1);
        assert_eq!(d["status"], json!({}));
        assert_eq!(s.validate(&d), vec![]);
    }

    #[test]
    fn selector_rules() {
        let s = DeploymentStrategy;
        let mut d = created();
        d["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
        s.default(&mut d);
        let errs: Vec<String> = s.validate(&d).iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            vec![
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"
            ]
        );
        let mut d = created();
        d["spec"].as_object_mut().unwrap().remove("selector");
        d["spec"]["replicas"] = json!(-1);
        s.default(&mut d);
        let errs: Vec<String> = s.validate(&d).iter().map(|e| e.to_string()).collect();
        assert!(errs.contains(&"spec.selector: Required value".to_string()));
        assert!(errs.contains(
            &"spec.replicas: Invalid value: -1: must be greater than or equal to 0".to_string()
        ));
    }

    #[test]
    fn update_bumps_generation_and_keeps_status() {
        let s = DeploymentStrategy;
        let mut old = created();
        s.default(&mut old);
        s.prepare_for_create(&mut old);
        old["status"] = json!({"replicas": 1});
        let mut new = old.clone();
        new["status"] = json!({});
        s.default(&mut new);
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 1);
        assert_eq!(new["status"], json!({"replicas": 1}));
        new["spec"]["replicas"] = json!(3);
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 2);
        new["spec"]["selector"] = json!({"matchLabels": {"app": "x"}});
        new["spec"]["template"]["metadata"]["labels"] = json!({"app": "x"});
        let errs = s.validate_update(&new, &old);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "spec.selector");
    }
}
