//! HorizontalPodAutoscalers, `autoscaling/v2` and `v1` (upstream
//! `pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go`, v2 and v1 defaults).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::value::{arr_at, default_nil, i64_at, obj_mut, str_at};
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// The horizontalpodautoscalers strategy (both versions: the shape tells them apart).
pub struct HpaStrategy;

fn is_v1(obj: &Value) -> bool {
    str_at(obj, &["apiVersion"]) == "autoscaling/v1"
}

fn default_rules(rules: &mut Value, scale_up: bool) {
    let Some(m) = rules.as_object_mut() else {
        return;
    };
    default_nil(
        m,
        "stabilizationWindowSeconds",
        json!(if scale_up { 0 } else { 300 }),
    );
    default_nil(m, "selectPolicy", json!("Max"));
    default_nil(
        m,
        "policies",
        if scale_up {
            json!([{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}])
        } else {
            json!([{"type": "Percent", "value": 100, "periodSeconds": 15}])
        },
    );
}

impl Strategy for HpaStrategy {
    fn default(&self, obj: &mut Value) {
        let v1 = is_v1(obj);
        let spec = obj_mut(obj, "spec");
        default_nil(spec, "minReplicas", json!(1));
        if v1 {
            return;
        }
        if spec
            .get("metrics")
            .and_then(Value::as_array)
            .is_none_or(|m| m.is_empty())
        {
            spec.insert(
                "metrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
            );
        }
        if let Some(b) = spec.get_mut("behavior").and_then(Value::as_object_mut) {
            default_rules(b.entry("scaleUp").or_insert_with(|| json!({})), true);
            default_rules(b.entry("scaleDown").or_insert_with(|| json!({})), false);
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        let status = if is_v1(obj) {
            json!({"currentReplicas": 0, "desiredReplicas": 0})
        } else {
            json!({"desiredReplicas": 0})
        };
        common::prepare_create(obj, status);
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_spec(obj));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_spec(new));
        errs
    }
}

fn validate_spec(obj: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    let min = i64_at(obj, &["spec", "minReplicas"]).unwrap_or(1);
    let max = i64_at(obj, &["spec", "maxReplicas"]).unwrap_or(0);
    if min < 1 {
        errs.push(FieldError::invalid_number(
            &sp.child("minReplicas"),
            min,
            "must be greater than or equal to 1",
        ));
    }
    if max < 1 {
        errs.push(FieldError::invalid_number(
            &sp.child("maxReplicas"),
            max,
            "must be greater than 0",
        ));
    } else if max < min {
        errs.push(FieldError::invalid_number(
            &sp.child("maxReplicas"),
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    let r = sp.child("scaleTargetRef");
    for f in ["kind", "name"] {
        if str_at(obj, &["spec", "scaleTargetRef", f]).is_empty() {
            errs.push(FieldError::required(&r.child(f), ""));
        }
    }
    for (i, m) in arr_at(obj, &["spec", "metrics"]).iter().enumerate() {
        let ty = str_at(m, &["type"]);
        let mp = sp.child("metrics").index(i);
        match ty {
            "Resource" | "Pods" | "Object" | "External" | "ContainerResource" => {}
            "" => errs.push(FieldError::required(
                &mp.child("type"),
                "must specify a metric source type",
            )),
            other => errs.push(FieldError::not_supported(
                &mp.child("type"),
                other,
                &[
                    "ContainerResource",
                    "External",
                    "Object",
                    "Pods",
                    "Resource",
                ],
            )),
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_autoscale() {
        let s = HpaStrategy;
        let mut h = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "nginx", "namespace": "default"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "nginx", "apiVersion": "apps/v1"}, "minReplicas": 3, "maxReplicas": 10,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}});
        s.default(&mut h);
        s.prepare_for_create(&mut h);
        assert_eq!(h["status"], json!({"desiredReplicas": 0}));
        assert_eq!(s.validate(&h), vec![]);
        let mut h2 = json!({"apiVersion": "autoscaling/v2", "metadata": {"name": "x", "namespace": "d"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": 2, "behavior": {}}});
        s.default(&mut h2);
        assert_eq!(h2["spec"]["minReplicas"], 1);
        assert_eq!(
            h2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            80
        );
        assert_eq!(
            h2["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
            300
        );
    }
}
