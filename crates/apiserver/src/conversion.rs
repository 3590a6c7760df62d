//! Conversion between served versions that share storage: HPA
//! `autoscaling/v1` is served from objects stored as `autoscaling/v2`
//! (v1's `targetCPUUtilizationPercentage` is v2's CPU utilization metric).

use api::ResourceInfo;
use serde_json::{Value, json};

/// True if `res` is served in a version other than the stored one.
pub fn needs(res: &ResourceInfo) -> bool {
    res.group == "autoscaling" && res.version == "v1"
}

/// Stored (v2) -> served (v1).
pub fn to_served(res: &ResourceInfo, mut v: Value) -> Value {
    if !needs(res) {
        return v;
    }
    v["apiVersion"] = json!("autoscaling/v1");
    let metrics = v.pointer("/spec/metrics").cloned();
    if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("metrics");
        spec.remove("behavior");
        if let Some(Value::Array(ms)) = &metrics {
            for m in ms {
                if m.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
                    && let Some(u) = m.pointer("/resource/target/averageUtilization")
                {
                    spec.insert("targetCPUUtilizationPercentage".into(), u.clone());
                }
            }
        }
    }
    let current = v.pointer("/status/currentMetrics").cloned();
    if let Some(status) = v.get_mut("status").and_then(Value::as_object_mut) {
        status.remove("currentMetrics");
        status.remove("conditions");
        if let Some(Value::Array(ms)) = &current {
            for m in ms {
                if m.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
                    && let Some(u) = m.pointer("/resource/current/averageUtilization")
                {
                    status.insert("currentCPUUtilizationPercentage".into(), u.clone());
                }
            }
        }
    }
    v
}

/// Served (v1) -> stored (v2).
pub fn to_stored(res: &ResourceInfo, mut v: Value) -> Value {
    if !needs(res) {
        return v;
    }
    v["apiVersion"] = json!("autoscaling/v2");
    if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut)
        && let Some(u) = spec.remove("targetCPUUtilizationPercentage")
    {
        spec.insert(
                "metrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": u}}}]),
            );
    }
    if let Some(status) = v.get_mut("status").and_then(Value::as_object_mut)
        && let Some(u) = status.remove("currentCPUUtilizationPercentage")
    {
        status.insert(
                "currentMetrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": u}}}]),
            );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_cpu_target() {
        let v1 = api::resources::lookup("autoscaling", "v1", "horizontalpodautoscalers").unwrap();
        let obj = json!({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","spec":{"maxReplicas":10,"targetCPUUtilizationPercentage":50}});
        let stored = to_stored(v1, obj.clone());
        assert_eq!(
            stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            50
        );
        assert_eq!(to_served(v1, stored), obj);
    }
}
