//! Conversion between served versions that share storage: HPA
//! `autoscaling/v1` is served from objects stored as `autoscaling/v2`
//! (v1's `targetCPUUtilizationPercentage` is v2's CPU utilization metric).

use api::ResourceInfo;
use serde_json::{Value, json};

/// True if `res` is served in a version other than the stored one.
pub fn needs(res: &ResourceInfo) -> bool {
    (res.group == "autoscaling" && res.version == "v1")
        || (res.group == "events.k8s.io" && res.resource == "events")
}

/// events.k8s.io/v1 field <-> core/v1 field (upstream's conversion is these renames).
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

fn rename(mut v: Value, api_version: &str, forward: bool) -> Value {
    if let Some(m) = v.as_object_mut() {
        for (new, old) in EVENT_FIELDS {
            let (from, to) = if forward { (*old, *new) } else { (*new, *old) };
            if let Some(x) = m.shift_remove(from) {
                m.insert(to.to_string(), x);
            }
        }
        m.insert("apiVersion".into(), json!(api_version));
    }
    v
}

/// Stored -> served (HPA v2 -> v1; core Event -> events.k8s.io Event).
pub fn to_served(res: &ResourceInfo, mut v: Value) -> Value {
    if !needs(res) {
        return v;
    }
    if res.group == "events.k8s.io" {
        return rename(v, "events.k8s.io/v1", true);
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

/// Served -> stored (HPA v1 -> v2; events.k8s.io Event -> core Event).
pub fn to_stored(res: &ResourceInfo, mut v: Value) -> Value {
    if !needs(res) {
        return v;
    }
    if res.group == "events.k8s.io" {
        return rename(v, "v1", false);
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
    fn events_share_storage() {
        let ev = api::resources::lookup("events.k8s.io", "v1", "events").unwrap();
        let e = json!({"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e"},
            "regarding":{"kind":"Pod","name":"p"},"note":"hi","reason":"Started","reportingController":"kubelet",
            "deprecatedCount":2,"eventTime":"2026-01-01T00:00:00.000000Z"});
        let core = to_stored(ev, e.clone());
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(core["involvedObject"]["name"], "p");
        assert_eq!(core["message"], "hi");
        assert_eq!(core["reportingComponent"], "kubelet");
        assert_eq!(core["count"], 2);
        let back = to_served(ev, core);
        for k in [
            "regarding",
            "note",
            "reason",
            "reportingController",
            "deprecatedCount",
            "eventTime",
        ] {
            assert_eq!(back[k], e[k], "{k}");
        }
        assert_eq!(back["apiVersion"], "events.k8s.io/v1");
    }

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
