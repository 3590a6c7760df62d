//! Pods (upstream `pkg/registry/core/pod/strategy.go`): pod spec defaults plus
//! requests-from-limits and `enableServiceLinks`; on create the status becomes
//! `{phase: Pending, qosClass}` and the admission-time fields (service account,
//! priority, default tolerations) are filled; updates may only change a few spec fields.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Map, Value, json};

use super::podspec::default_pod_spec;
use crate::registry::{Strategy, common};
use crate::validation::value::{arr_at, default_nil, default_zero, for_each_obj, obj_at, obj_mut};
use crate::validation::{
    NameRule, Quantity, pod::validate_pod_spec, quantity_of, validate_object_meta,
    validate_object_meta_update,
};

/// The pods strategy.
pub struct PodStrategy;

/// The pod spec fields an update may change, as upstream's message lists them.
pub const UPDATABLE_POD_SPEC_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

impl Strategy for PodStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        for key in ["initContainers", "containers"] {
            for_each_obj(spec, key, requests_from_limits);
        }
        default_nil(spec, "enableServiceLinks", json!(true));
        if let Some(spec) = obj.get_mut("spec") {
            default_pod_spec(spec);
        }
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        // what upstream's ServiceAccount, Priority and DefaultTolerationSeconds admission plugins add
        default_zero(spec, "serviceAccountName", json!("default"));
        let sa = spec["serviceAccountName"].clone();
        default_zero(spec, "serviceAccount", sa);
        if spec
            .get("priorityClassName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            default_nil(spec, "priority", json!(0));
        }
        default_nil(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
        add_default_tolerations(spec);
        let qos = qos_class(obj.get("spec").unwrap_or(&Value::Null));
        let mut status = Map::new();
        status.insert("phase".into(), json!("Pending"));
        if !arr_at(obj, &["spec", "schedulingGates"]).is_empty() {
            status.insert(
                "conditions".into(),
                json!([{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
                    "message": "Scheduling is blocked due to non-empty scheduling gates",
                    "lastProbeTime": null,
                    "lastTransitionTime": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()}]),
            );
        }
        status.insert("qosClass".into(), json!(qos));
        common::prepare_create(obj, Value::Object(status));
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
        // upstream's Priority admission: an update that omits them keeps the old values
        for f in ["priority", "preemptionPolicy"] {
            let missing = new
                .pointer(&format!("/spec/{f}"))
                .is_none_or(Value::is_null);
            if missing && let Some(v) = old.pointer(&format!("/spec/{f}")).cloned() {
                obj_mut(new, "spec").insert(f.to_string(), v);
            }
        }
    }

    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
        common::keep_meta_field(new, old, "ownerReferences");
        common::keep_meta_field(new, old, "deletionTimestamp");
    }

    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        let spec = obj.get("spec").unwrap_or(&Value::Null);
        errs.extend(validate_pod_spec(spec, &FieldPath::root("spec")));
        errs
    }

    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        let spec = new.get("spec").unwrap_or(&Value::Null);
        errs.extend(validate_pod_spec(spec, &FieldPath::root("spec")));
        errs.extend(validate_pod_spec_update(
            spec,
            old.get("spec").unwrap_or(&Value::Null),
        ));
        errs
    }
}

fn requests_from_limits(c: &mut Value) {
    let Some(limits) = obj_at(c, &["resources", "limits"]).cloned() else {
        return;
    };
    let res = obj_mut(c, "resources");
    let requests = obj_mut_in(res, "requests");
    for (k, v) in limits {
        requests.entry(k).or_insert(v);
    }
}

fn obj_mut_in<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let e = m.entry(key.to_string()).or_insert_with(|| json!({}));
    if !e.is_object() {
        *e = json!({});
    }
    e.as_object_mut().expect("object")
}

fn add_default_tolerations(spec: &mut Map<String, Value>) {
    let tols = spec.entry("tolerations").or_insert_with(|| json!([]));
    let Some(list) = tols.as_array_mut() else {
        return;
    };
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let covered = list.iter().any(|t| {
            let k = t.get("key").and_then(Value::as_str).unwrap_or("");
            let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
            (k == key || k.is_empty()) && (effect == "NoExecute" || effect.is_empty())
        });
        if !covered {
            list.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
}

/// Upstream's `GetPodQOS`: `Guaranteed`, `Burstable` or `BestEffort`.
pub fn qos_class(spec: &Value) -> &'static str {
    let mut requests: Vec<(String, i128)> = Vec::new();
    let mut limits: Vec<(String, i128)> = Vec::new();
    let mut guaranteed = true;
    let add = |list: &mut Vec<(String, i128)>, k: &str, n: i128| match list
        .iter_mut()
        .find(|(x, _)| x == k)
    {
        Some((_, v)) => *v += n,
        None => list.push((k.to_string(), n)),
    };
    let positive = |v: &Value| {
        quantity_of(v)
            .ok()
            .map(|q: Quantity| q.nanos())
            .filter(|n| *n > 0)
    };
    for c in arr_at(spec, &["containers"])
        .iter()
        .chain(arr_at(spec, &["initContainers"]))
    {
        for (k, v) in obj_at(c, &["resources", "requests"]).into_iter().flatten() {
            if (k == "cpu" || k == "memory")
                && let Some(n) = positive(v)
            {
                add(&mut requests, k, n);
            }
        }
        let mut found = (false, false);
        for (k, v) in obj_at(c, &["resources", "limits"]).into_iter().flatten() {
            if (k == "cpu" || k == "memory")
                && let Some(n) = positive(v)
            {
                if k == "cpu" {
                    found.0 = true;
                } else {
                    found.1 = true;
                }
                add(&mut limits, k, n);
            }
        }
        if !(found.0 && found.1) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        for (k, r) in &requests {
            if limits.iter().find(|(l, _)| l == k).map(|(_, v)| v) != Some(r) {
                guaranteed = false;
            }
        }
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// upstream's `ValidatePodUpdate` (spec part): only images, activeDeadlineSeconds,
/// added tolerations, scheduling-gate removal and terminationGracePeriodSeconds may change.
pub fn validate_pod_spec_update(new: &Value, old: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let sp = FieldPath::root("spec");
    // activeDeadlineSeconds may be set or lowered, never removed or raised
    let (na, oa) = (
        new.get("activeDeadlineSeconds").and_then(Value::as_i64),
        old.get("activeDeadlineSeconds").and_then(Value::as_i64),
    );
    match (oa, na) {
        (Some(_), None) => errs.push(FieldError::invalid(
            &sp.child("activeDeadlineSeconds"),
            "nil",
            "must not update from a positive integer to nil value",
        )),
        (Some(o), Some(n)) if n > o => errs.push(FieldError::invalid_number(
            &sp.child("activeDeadlineSeconds"),
            n,
            "must be less than or equal to previous value",
        )),
        _ => {}
    }
    // tolerations: only additions
    let new_tols = arr_at(new, &["tolerations"]);
    for t in arr_at(old, &["tolerations"]) {
        if !new_tols.contains(t) {
            errs.push(FieldError::forbidden(
                &sp.child("tolerations"),
                "existing toleration can not be modified except its tolerationSeconds",
            ));
            break;
        }
    }
    // build the old spec with the mutable fields taken from the new one; anything left is forbidden
    let mut munged = old.clone();
    if let (Some(m), Some(n)) = (munged.as_object_mut(), new.as_object()) {
        for key in ["containers", "initContainers"] {
            if let (Some(Value::Array(mc)), Some(Value::Array(nc))) = (m.get_mut(key), n.get(key))
                && mc.len() == nc.len()
            {
                for (a, b) in mc.iter_mut().zip(nc) {
                    if let (Some(a), Some(img)) = (a.as_object_mut(), b.get("image")) {
                        a.insert("image".into(), img.clone());
                    }
                }
            }
        }
        for key in ["activeDeadlineSeconds", "tolerations"] {
            match n.get(key) {
                Some(v) => m.insert(key.into(), v.clone()),
                None => m.remove(key),
            };
        }
        // scheduling gates may only be removed
        let old_gates = arr_at(old, &["schedulingGates"]);
        let new_gates = arr_at(new, &["schedulingGates"]);
        if new_gates.iter().all(|g| old_gates.contains(g)) {
            match n.get("schedulingGates") {
                Some(v) => m.insert("schedulingGates".into(), v.clone()),
                None => m.remove("schedulingGates"),
            };
        }
        if old
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            < 0
            && new
                .get("terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
                == Some(1)
        {
            m.insert("terminationGracePeriodSeconds".into(), json!(1));
        }
    }
    if munged != *new {
        errs.push(FieldError::forbidden(
            &sp,
            format!(
                "pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}\n{}",
                spec_diff(&munged, new)
            ),
        ));
    }
    errs
}

fn spec_diff(old: &Value, new: &Value) -> String {
    let empty = Map::new();
    let (o, n) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut lines = vec!["  core.PodSpec{".to_string()];
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.dedup();
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if !seen.insert(k) {
            continue;
        }
        let (a, b) = (o.get(k), n.get(k));
        if a != b {
            if let Some(a) = a {
                lines.push(format!("- \t{k}: {a},"));
            }
            if let Some(b) = b {
                lines.push(format!("+ \t{k}: {b},"));
            }
        }
    }
    lines.push("  }".to_string());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_pod() -> Value {
        // as `kubectl run nginx --image=nginx` sends it
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx", "namespace": "default", "labels": {"run": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
            "status": {"phase": "Running"}})
    }

    #[test]
    fn create_defaults_status_and_validates() {
        let s = PodStrategy;
        let mut p = run_pod();
        s.default(&mut p);
        s.prepare_for_create(&mut p);
        assert_eq!(
            p["status"],
            json!({"phase": "Pending", "qosClass": "BestEffort"})
        );
        assert_eq!(p["spec"]["containers"][0]["imagePullPolicy"], "Always");
        assert_eq!(p["spec"]["enableServiceLinks"], true);
        assert_eq!(p["spec"]["schedulerName"], "default-scheduler");
        assert_eq!(p["spec"]["serviceAccountName"], "default");
        assert_eq!(p["spec"]["tolerations"].as_array().unwrap().len(), 2);
        assert_eq!(p["metadata"]["generation"], 1);
        assert_eq!(s.validate(&p), vec![]);
    }

    #[test]
    fn qos() {
        let spec = json!({"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}}]});
        assert_eq!(qos_class(&spec), "Guaranteed");
        let spec = json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]});
        assert_eq!(qos_class(&spec), "Burstable");
        let mut pod = json!({"spec": {"containers": [{"name": "a", "image": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}});
        PodStrategy.default(&mut pod);
        assert_eq!(
            pod["spec"]["containers"][0]["resources"]["requests"],
            json!({"cpu": "1", "memory": "1Gi"})
        );
        assert_eq!(qos_class(&pod["spec"]), "Guaranteed");
    }

    #[test]
    fn update_rules() {
        let s = PodStrategy;
        let mut old = run_pod();
        s.default(&mut old);
        s.prepare_for_create(&mut old);
        old["metadata"]["resourceVersion"] = json!("1");
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("nginx:1.27");
        s.prepare_for_update(&mut new, &old);
        assert_eq!(s.validate_update(&new, &old), vec![]);
        assert_eq!(new["metadata"]["generation"], 2);
        let mut bad = old.clone();
        bad["spec"]["restartPolicy"] = json!("Never");
        let errs = s.validate_update(&bad, &old);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"));
    }
}
