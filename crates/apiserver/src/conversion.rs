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

/// A legacy event (created through core/v1 without `eventTime`) served as
/// events.k8s.io/v1 gets its first timestamp (else its creation time) as
/// `eventTime`, with microseconds. Deviation: upstream writes `"eventTime":
/// null`, which its own published schema marks required and which typed
/// clients (the official Python client) refuse, so such a list cannot be read.
fn legacy_event_time(e: &mut Value) {
    if e.get("eventTime").is_some_and(|t| !t.is_null()) {
        return;
    }
    let when = e
        .get("deprecatedFirstTimestamp")
        .or_else(|| e.pointer("/metadata/creationTimestamp"))
        .and_then(Value::as_str)
        .and_then(|t| t.strip_suffix('Z'))
        .map(|t| format!("{}.000000Z", t.split('.').next().unwrap_or(t)));
    if let (Some(m), Some(t)) = (e.as_object_mut(), when) {
        m.insert("eventTime".into(), json!(t));
    }
}

/// A legacy event's `series` served as events.k8s.io/v1, whose series needs a
/// count and a last observed time: Go writes `0` for the count; for the time
/// (which Go writes `null`) the event time stands in, as in [`legacy_event_time`].
fn legacy_event_series(e: &mut Value) {
    let time = e.get("eventTime").cloned();
    if let Some(s) = e.get_mut("series").and_then(Value::as_object_mut) {
        s.entry("count").or_insert(json!(0));
        if s.get("lastObservedTime").is_none_or(Value::is_null)
            && let Some(t) = time
        {
            s.insert("lastObservedTime".into(), t);
        }
    }
}

/// Stored -> served (HPA v2 -> v1; core Event -> events.k8s.io Event).
pub fn to_served(res: &ResourceInfo, mut v: Value) -> Value {
    if !needs(res) {
        return v;
    }
    if res.group == "events.k8s.io" {
        let mut e = rename(v, "events.k8s.io/v1", true);
        legacy_event_time(&mut e);
        legacy_event_series(&mut e);
        return e;
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
        // v1's replica counts have no omitempty: Go writes them even when 0
        for f in ["currentReplicas", "desiredReplicas"] {
            status.entry(f).or_insert(json!(0));
        }
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
