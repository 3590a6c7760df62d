//! Printers of core kinds: pods, services, namespaces, nodes, configmaps,
//! secrets, service accounts, events, endpoints, PVCs, PVs, resource quotas.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::duration::{parse_time, since};
use super::{ColumnDefinition, age, age_col, col, doc, name, name_col};
use crate::validation::value::{arr_at, bool_at, format_labels, get, i64_at, obj_at, str_at};

// ---- pods

/// Pod columns.
pub fn pod_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Ready",
            "string",
            "The aggregate readiness state of this pod for accepting traffic.",
            0,
        ),
        col(
            "Status",
            "string",
            "The aggregate status of the containers in this pod.",
            0,
        ),
        col(
            "Restarts",
            "string",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            0,
        ),
        age_col(),
        col("IP", "string", doc("core.v1.PodStatus", "podIP"), 1),
        col("Node", "string", doc("core.v1.PodSpec", "nodeName"), 1),
        col(
            "Nominated Node",
            "string",
            doc("core.v1.PodStatus", "nominatedNodeName"),
            1,
        ),
        col(
            "Readiness Gates",
            "string",
            doc("core.v1.PodSpec", "readinessGates"),
            1,
        ),
    ]
}

fn terminated_finished(c: &Value) -> Option<DateTime<Utc>> {
    get(c, &["lastState", "terminated", "finishedAt"])
        .and_then(Value::as_str)
        .and_then(parse_time)
}

fn condition_true(status: &Value, ty: &str) -> bool {
    arr_at(status, &["conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == ty && str_at(c, &["status"]) == "True")
}

/// Pod row, with upstream's `printPod` status logic.
pub fn pod_row(pod: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let status = pod.get("status").cloned().unwrap_or(Value::Null);
    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
    let mut restarts: i64 = 0;
    let mut sidecar_restarts: i64 = 0;
    let mut total = arr_at(&spec, &["containers"]).len();
    let mut ready = 0;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let mut last_sidecar_restart: Option<DateTime<Utc>> = None;
    let phase = str_at(&status, &["phase"]);
    let mut reason = phase.to_string();
    if !str_at(&status, &["reason"]).is_empty() {
        reason = str_at(&status, &["reason"]).to_string();
    }
    for c in arr_at(&status, &["conditions"]) {
        if str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }
    let init_specs = arr_at(&spec, &["initContainers"]);
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .any(|c| str_at(c, &["name"]) == name && str_at(c, &["restartPolicy"]) == "Always")
    };
    total += init_specs
        .iter()
        .filter(|c| str_at(c, &["restartPolicy"]) == "Always")
        .count();
    let later = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let mut initializing = false;
    let init_statuses = arr_at(&status, &["initContainerStatuses"]);
    for (i, c) in init_statuses.iter().enumerate() {
        let rc = i64_at(c, &["restartCount"]).unwrap_or(0);
        restarts += rc;
        last_restart = later(last_restart, terminated_finished(c));
        let cname = str_at(c, &["name"]);
        let sidecar = is_sidecar(cname);
        if sidecar {
            sidecar_restarts += rc;
            last_sidecar_restart = later(last_sidecar_restart, terminated_finished(c));
        }
        let terminated = get(c, &["state", "terminated"]).filter(|t| t.is_object());
        let waiting_reason = str_at(c, &["state", "waiting", "reason"]);
        if terminated.is_some_and(|t| {
            i64_at(t, &["exitCode"]) == Some(0) || i64_at(t, &["exitCode"]).is_none()
        }) {
            continue;
        }
        if sidecar && bool_at(c, &["started"]) == Some(true) {
            if bool_at(c, &["ready"]) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            let r = str_at(t, &["reason"]);
            reason = if r.is_empty() {
                let sig = i64_at(t, &["signal"]).unwrap_or(0);
                if sig != 0 {
                    format!("Init:Signal:{sig}")
                } else {
                    format!("Init:ExitCode:{}", i64_at(t, &["exitCode"]).unwrap_or(0))
                }
            } else {
                format!("Init:{r}")
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{}/{}", i, init_specs.len());
        }
        initializing = true;
        break;
    }
    if !initializing || condition_true(&status, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for c in arr_at(&status, &["containerStatuses"]).iter().rev() {
            restarts += i64_at(c, &["restartCount"]).unwrap_or(0);
            last_restart = later(last_restart, terminated_finished(c));
            let waiting = str_at(c, &["state", "waiting", "reason"]);
            let terminated = get(c, &["state", "terminated"]).filter(|t| t.is_object());
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(t) = terminated {
                let r = str_at(t, &["reason"]);
                reason = if !r.is_empty() {
                    r.to_string()
                } else {
                    let sig = i64_at(t, &["signal"]).unwrap_or(0);
                    if sig != 0 {
                        format!("Signal:{sig}")
                    } else {
                        format!("ExitCode:{}", i64_at(t, &["exitCode"]).unwrap_or(0))
                    }
                };
            } else if bool_at(c, &["ready"]) == Some(true)
                && get(c, &["state", "running"]).is_some_and(Value::is_object)
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(&status, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }
    let deleting = get(pod, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    if deleting && str_at(&status, &["reason"]) == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }
    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", super::human_duration(now - t)),
        _ => restarts.to_string(),
    };
    let ip = arr_at(&status, &["podIPs"])
        .first()
        .map(|p| str_at(p, &["ip"]))
        .filter(|s| !s.is_empty())
        .or(Some(str_at(&status, &["podIP"])).filter(|s| !s.is_empty()))
        .unwrap_or("<none>");
    let node = Some(str_at(&spec, &["nodeName"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("<none>");
    let nominated = Some(str_at(&status, &["nominatedNodeName"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("<none>");
    let gates = arr_at(&spec, &["readinessGates"]);
    let gates_cell = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let t = gates
            .iter()
            .filter(|g| {
                let ty = str_at(g, &["conditionType"]);
                arr_at(&status, &["conditions"])
                    .iter()
                    .find(|c| str_at(c, &["type"]) == ty)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{t}/{}", gates.len())
    };
    vec![
        json!(name(pod)),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_cell),
        json!(age(pod, now)),
        json!(ip),
        json!(node),
        json!(nominated),
        json!(gates_cell),
    ]
}

// ---- services

/// Service columns.
pub fn service_columns() -> Vec<ColumnDefinition> {
    let d = |p| doc("core.v1.ServiceSpec", p);
    vec![
        name_col(),
        col("Type", "string", d("type"), 0),
        col("Cluster-IP", "string", d("clusterIP"), 0),
        col("External-IP", "string", d("externalIPs"), 0),
        col("Port(s)", "string", d("ports"), 0),
        age_col(),
        col("Selector", "string", d("selector"), 1),
    ]
}

/// `ip` or `hostname` of each load-balancer ingress, comma-joined.
pub fn load_balancer_ips(status: Option<&Value>) -> String {
    let Some(s) = status else {
        return String::new();
    };
    arr_at(s, &["ingress"])
        .iter()
        .filter_map(|i| {
            let ip = str_at(i, &["ip"]);
            let host = str_at(i, &["hostname"]);
            if !ip.is_empty() {
                Some(ip)
            } else if !host.is_empty() {
                Some(host)
            } else {
                None
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Service row.
pub fn service_row(svc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let spec = svc.get("spec").cloned().unwrap_or(Value::Null);
    let ty = str_at(&spec, &["type"]);
    let cluster_ip = arr_at(&spec, &["clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .or(Some(str_at(&spec, &["clusterIP"])).filter(|s| !s.is_empty()))
        .unwrap_or("<none>");
    let ext: Vec<&str> = arr_at(&spec, &["externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let external = match ty {
        "ClusterIP" | "NodePort" => {
            if ext.is_empty() {
                "<none>".to_string()
            } else {
                ext.join(",")
            }
        }
        "LoadBalancer" => {
            let lb = load_balancer_ips(get(svc, &["status", "loadBalancer"]));
            if !ext.is_empty() {
                let mut all: Vec<&str> = if lb.is_empty() {
                    vec![]
                } else {
                    lb.split(',').collect()
                };
                all.extend(ext);
                all.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => str_at(&spec, &["externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = arr_at(&spec, &["ports"])
        .iter()
        .map(|p| {
            let port = i64_at(p, &["port"]).unwrap_or(0);
            let proto = str_at(p, &["protocol"]);
            match i64_at(p, &["nodePort"]).filter(|n| *n > 0) {
                Some(np) => format!("{port}:{np}/{proto}"),
                None => format!("{port}/{proto}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    vec![
        json!(name(svc)),
        json!(ty),
        json!(cluster_ip),
        json!(external),
        json!(ports),
        json!(age(svc, now)),
        json!(format_labels(obj_at(&spec, &["selector"]))),
    ]
}

// ---- namespaces, configmaps, secrets, service accounts

/// Namespace columns.
pub fn namespace_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col("Status", "string", "The status of the namespace", 0),
        age_col(),
    ]
}

/// Namespace row.
pub fn namespace_row(ns: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(name(ns)),
        json!(str_at(ns, &["status", "phase"])),
        json!(age(ns, now)),
    ]
}

/// ConfigMap columns.
pub fn configmap_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col("Data", "string", doc("core.v1.ConfigMap", "data"), 0),
        age_col(),
    ]
}

fn count_keys(obj: &Value, field: &str) -> usize {
    obj_at(obj, &[field]).map(|m| m.len()).unwrap_or(0)
}

/// ConfigMap row.
pub fn configmap_row(cm: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let n = count_keys(cm, "data") + count_keys(cm, "binaryData");
    vec![json!(name(cm)), json!(n), json!(age(cm, now))]
}

/// Secret columns.
pub fn secret_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col("Type", "string", doc("core.v1.Secret", "type"), 0),
        col("Data", "string", doc("core.v1.Secret", "data"), 0),
        age_col(),
    ]
}

/// Secret row.
pub fn secret_row(s: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(name(s)),
        json!(str_at(s, &["type"])),
        json!(count_keys(s, "data")),
        json!(age(s, now)),
    ]
}

/// ServiceAccount columns.
pub fn serviceaccount_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Secrets",
            "string",
            doc("core.v1.ServiceAccount", "secrets"),
            0,
        ),
        age_col(),
    ]
}

/// ServiceAccount row.
pub fn serviceaccount_row(sa: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(name(sa)),
        json!(arr_at(sa, &["secrets"]).len()),
        json!(age(sa, now)),
    ]
}

// ---- nodes

/// Node columns.
pub fn node_columns() -> Vec<ColumnDefinition> {
    let si = |p| doc("core.v1.NodeSystemInfo", p);
    vec![
        name_col(),
        col("Status", "string", "The status of the node", 0),
        col("Roles", "string", "The roles of the node", 0),
        age_col(),
        col("Version", "string", si("kubeletVersion"), 0),
        col(
            "Internal-IP",
            "string",
            doc("core.v1.NodeStatus", "addresses"),
            1,
        ),
        col(
            "External-IP",
            "string",
            doc("core.v1.NodeStatus", "addresses"),
            1,
        ),
        col("OS-Image", "string", si("osImage"), 1),
        col("Kernel-Version", "string", si("kernelVersion"), 1),
        col(
            "Container-Runtime",
            "string",
            si("containerRuntimeVersion"),
            1,
        ),
    ]
}

/// Node row.
pub fn node_row(node: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    if let Some(c) = arr_at(node, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready")
    {
        status.push(
            if str_at(c, &["status"]) == "True" {
                "Ready"
            } else {
                "NotReady"
            }
            .to_string(),
        );
    }
    if status.is_empty() {
        status.push("Unknown".to_string());
    }
    if bool_at(node, &["spec", "unschedulable"]) == Some(true) {
        status.push("SchedulingDisabled".to_string());
    }
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in obj_at(node, &["metadata", "labels"]).into_iter().flatten() {
        if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
            if !r.is_empty() {
                roles.push(r.to_string());
            }
        } else if k == "kubernetes.io/role" {
            let v = v.as_str().unwrap_or_default();
            if !v.is_empty() {
                roles.push(v.to_string());
            }
        }
    }
    roles.sort();
    roles.dedup();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };
    let addr = |ty: &str| {
        arr_at(node, &["status", "addresses"])
            .iter()
            .find(|a| str_at(a, &["type"]) == ty)
            .map(|a| str_at(a, &["address"]).to_string())
            .unwrap_or_else(|| "<none>".to_string())
    };
    let info = |f: &str| {
        let s = str_at(node, &["status", "nodeInfo", f]);
        if s.is_empty() {
            "<unknown>".to_string()
        } else {
            s.to_string()
        }
    };
    vec![
        json!(name(node)),
        json!(status.join(",")),
        json!(roles),
        json!(age(node, now)),
        json!(str_at(node, &["status", "nodeInfo", "kubeletVersion"])),
        json!(addr("InternalIP")),
        json!(addr("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

// ---- events (core/v1 and events.k8s.io/v1)

/// Event columns.
pub fn event_columns() -> Vec<ColumnDefinition> {
    let e = |p| doc("core.v1.Event", p);
    let mut name = name_col();
    name.priority = 1;
    vec![
        col("Last Seen", "string", e("lastTimestamp"), 0),
        col("Type", "string", e("type"), 0),
        col("Reason", "string", e("reason"), 0),
        col("Object", "string", e("involvedObject"), 0),
        col(
            "Subobject",
            "string",
            doc("core.v1.ObjectReference", "fieldPath"),
            1,
        ),
        col("Source", "string", e("source"), 1),
        col("Message", "string", e("message"), 0),
        col("First Seen", "string", e("firstTimestamp"), 1),
        col("Count", "string", e("count"), 1),
        name,
    ]
}

/// Event row (either API version's field names).
pub fn event_row(ev: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let pick = |a: &[&str], b: &[&str]| {
        let x = str_at(ev, a);
        if x.is_empty() { str_at(ev, b) } else { x }
    };
    let involved = ev
        .get("involvedObject")
        .or_else(|| ev.get("regarding"))
        .cloned()
        .unwrap_or(Value::Null);
    let first_ts = pick(&["firstTimestamp"], &["deprecatedFirstTimestamp"]);
    let event_time = str_at(ev, &["eventTime"]);
    let first = if first_ts.is_empty() {
        since(Some(event_time), now)
    } else {
        since(Some(first_ts), now)
    };
    let last_ts = pick(&["lastTimestamp"], &["deprecatedLastTimestamp"]);
    let mut last = if last_ts.is_empty() {
        first.clone()
    } else {
        since(Some(last_ts), now)
    };
    let mut count = i64_at(ev, &["count"])
        .or(i64_at(ev, &["deprecatedCount"]))
        .unwrap_or(0);
    if let Some(series) = ev.get("series").filter(|s| s.is_object()) {
        last = since(Some(str_at(series, &["lastObservedTime"])), now);
        count = i64_at(series, &["count"]).unwrap_or(0);
    } else if count == 0 {
        count = 1;
    }
    let kind = str_at(&involved, &["kind"]).to_lowercase();
    let iname = str_at(&involved, &["name"]);
    let target = if iname.is_empty() {
        kind
    } else {
        format!("{kind}/{iname}")
    };
    let component = pick(&["source", "component"], &["deprecatedSource", "component"]);
    let component = if component.is_empty() {
        str_at(ev, &["reportingController"])
    } else {
        component
    };
    let host = pick(&["source", "host"], &["deprecatedSource", "host"]);
    let host = if host.is_empty() {
        str_at(ev, &["reportingInstance"])
    } else {
        host
    };
    let source = if component.is_empty() {
        String::new()
    } else if host.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {host}")
    };
    vec![
        json!(last),
        json!(str_at(ev, &["type"])),
        json!(str_at(ev, &["reason"])),
        json!(target),
        json!(str_at(&involved, &["fieldPath"])),
        json!(source),
        json!(pick(&["message"], &["note"]).trim()),
        json!(first),
        json!(count),
        json!(name(ev)),
    ]
}

// ---- endpoints

/// Endpoints columns.
pub fn endpoints_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Endpoints",
            "string",
            doc("core.v1.Endpoints", "subsets"),
            0,
        ),
        age_col(),
    ]
}

/// Endpoints row (upstream's `formatEndpoints`: at most 3, then `+ N more...`).
pub fn endpoints_row(ep: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let subsets = arr_at(ep, &["subsets"]);
    let cell = if subsets.is_empty() {
        "<none>".to_string()
    } else {
        let (mut list, mut count, mut more) = (Vec::new(), 0usize, false);
        for ss in subsets {
            let addrs = arr_at(ss, &["addresses"]);
            let ports = arr_at(ss, &["ports"]);
            if ports.is_empty() {
                count += addrs.len();
                for a in addrs {
                    if list.len() == 3 {
                        more = true;
                        break;
                    }
                    list.push(str_at(a, &["ip"]).to_string());
                }
            } else {
                for p in ports {
                    count += addrs.len();
                    for a in addrs {
                        if list.len() == 3 {
                            more = true;
                            break;
                        }
                        let ip = str_at(a, &["ip"]);
                        let port = i64_at(p, &["port"]).unwrap_or(0);
                        list.push(if ip.contains(':') {
                            format!("[{ip}]:{port}")
                        } else {
                            format!("{ip}:{port}")
                        });
                    }
                }
            }
        }
        let s = list.join(",");
        if more {
            format!("{s} + {} more...", count - 3)
        } else {
            s
        }
    };
    vec![json!(name(ep)), json!(cell), json!(age(ep, now))]
}

// ---- storage

fn access_modes(spec_or_status: &Value) -> String {
    let modes: Vec<&str> = arr_at(spec_or_status, &["accessModes"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut out = Vec::new();
    for (m, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if modes.contains(&m) {
            out.push(short);
        }
    }
    out.join(",")
}

fn unset(s: &str) -> String {
    if s.is_empty() {
        "<unset>".to_string()
    } else {
        s.to_string()
    }
}

fn storage_class(obj: &Value) -> String {
    let a = str_at(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    );
    if !a.is_empty() {
        a.to_string()
    } else {
        str_at(obj, &["spec", "storageClassName"]).to_string()
    }
}

/// PVC columns.
pub fn pvc_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Status",
            "string",
            doc("core.v1.PersistentVolumeClaimStatus", "phase"),
            0,
        ),
        col(
            "Volume",
            "string",
            doc("core.v1.PersistentVolumeClaimSpec", "volumeName"),
            0,
        ),
        col(
            "Capacity",
            "string",
            doc("core.v1.PersistentVolumeClaimStatus", "capacity"),
            0,
        ),
        col(
            "Access Modes",
            "string",
            doc("core.v1.PersistentVolumeClaimStatus", "accessModes"),
            0,
        ),
        col("StorageClass", "string", "StorageClass of the pvc", 0),
        col(
            "VolumeAttributesClass",
            "string",
            doc(
                "core.v1.PersistentVolumeClaimSpec",
                "volumeAttributesClassName",
            ),
            0,
        ),
        age_col(),
        col(
            "VolumeMode",
            "string",
            doc("core.v1.PersistentVolumeClaimSpec", "volumeMode"),
            1,
        ),
    ]
}

fn deleting(obj: &Value) -> bool {
    get(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null())
}

/// PVC row.
pub fn pvc_row(pvc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let phase = if deleting(pvc) {
        "Terminating"
    } else {
        str_at(pvc, &["status", "phase"])
    };
    let bound = !str_at(pvc, &["spec", "volumeName"]).is_empty();
    let (cap, modes) = if bound {
        (
            str_at(pvc, &["status", "capacity", "storage"]).to_string(),
            access_modes(pvc.get("status").unwrap_or(&Value::Null)),
        )
    } else {
        (String::new(), String::new())
    };
    vec![
        json!(name(pvc)),
        json!(phase),
        json!(str_at(pvc, &["spec", "volumeName"])),
        json!(cap),
        json!(modes),
        json!(storage_class(pvc)),
        json!(unset(str_at(pvc, &["spec", "volumeAttributesClassName"]))),
        json!(age(pvc, now)),
        json!(unset(str_at(pvc, &["spec", "volumeMode"]))),
    ]
}

/// PV columns.
pub fn pv_columns() -> Vec<ColumnDefinition> {
    let s = |p| doc("core.v1.PersistentVolumeSpec", p);
    vec![
        name_col(),
        col("Capacity", "string", s("capacity"), 0),
        col("Access Modes", "string", s("accessModes"), 0),
        col(
            "Reclaim Policy",
            "string",
            s("persistentVolumeReclaimPolicy"),
            0,
        ),
        col(
            "Status",
            "string",
            doc("core.v1.PersistentVolumeStatus", "phase"),
            0,
        ),
        col("Claim", "string", s("claimRef"), 0),
        col("StorageClass", "string", "StorageClass of the pv", 0),
        col(
            "VolumeAttributesClass",
            "string",
            s("volumeAttributesClassName"),
            0,
        ),
        col(
            "Reason",
            "string",
            doc("core.v1.PersistentVolumeStatus", "reason"),
            0,
        ),
        age_col(),
        col("VolumeMode", "string", s("volumeMode"), 1),
    ]
}

/// PV row.
pub fn pv_row(pv: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let claim = match pv
        .get("spec")
        .and_then(|s| s.get("claimRef"))
        .filter(|c| c.is_object())
    {
        Some(c) => format!("{}/{}", str_at(c, &["namespace"]), str_at(c, &["name"])),
        None => String::new(),
    };
    let phase = if deleting(pv) {
        "Terminating"
    } else {
        str_at(pv, &["status", "phase"])
    };
    vec![
        json!(name(pv)),
        json!(str_at(pv, &["spec", "capacity", "storage"])),
        json!(access_modes(pv.get("spec").unwrap_or(&Value::Null))),
        json!(str_at(pv, &["spec", "persistentVolumeReclaimPolicy"])),
        json!(phase),
        json!(claim),
        json!(storage_class(pv)),
        json!(unset(str_at(pv, &["spec", "volumeAttributesClassName"]))),
        json!(str_at(pv, &["status", "reason"])),
        json!(age(pv, now)),
        json!(unset(str_at(pv, &["spec", "volumeMode"]))),
    ]
}

// ---- resource quotas

/// ResourceQuota columns.
pub fn quota_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        age_col(),
        col(
            "Request",
            "string",
            "Request represents a minimum amount of cpu/memory that a container may consume.",
            0,
        ),
        col(
            "Limit",
            "string",
            "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
            0,
        ),
    ]
}

/// ResourceQuota row: `res: used/hard` pairs, `limits.*` in the Limit column.
pub fn quota_row(q: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let mut hard: Vec<(&String, &Value)> = obj_at(q, &["status", "hard"])
        .into_iter()
        .flatten()
        .collect();
    hard.sort_by(|a, b| a.0.cmp(b.0));
    let (mut req, mut lim) = (Vec::new(), Vec::new());
    for (k, h) in hard {
        let used = get(q, &["status", "used"])
            .and_then(|u| u.get(k))
            .and_then(Value::as_str)
            .unwrap_or("0");
        let s = format!("{k}: {used}/{}", h.as_str().unwrap_or_default());
        if k.starts_with("limits.") {
            lim.push(s)
        } else {
            req.push(s)
        }
    }
    vec![
        json!(name(q)),
        json!(age(q, now)),
        json!(req.join(", ")),
        json!(lim.join(", ")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        parse_time("2024-01-01T01:00:00Z").unwrap()
    }

    fn running_pod() -> Value {
        json!({"metadata": {"name": "nginx-7c5ddbdf54-x2x9k", "creationTimestamp": "2024-01-01T00:55:00Z"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "nginx", "image": "nginx"}]},
            "status": {"phase": "Running", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}],
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0, "started": true,
                    "state": {"running": {"startedAt": "2024-01-01T00:55:10Z"}}}]}})
    }

    #[test]
    fn running_pod_row() {
        assert_eq!(
            pod_row(&running_pod(), now()),
            vec![
                json!("nginx-7c5ddbdf54-x2x9k"),
                json!("1/1"),
                json!("Running"),
                json!("0"),
                json!("5m"),
                json!("10.244.0.5"),
                json!("node-1"),
                json!("<none>"),
                json!("<none>")
            ]
        );
        let cols = pod_columns();
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Ready",
                "Status",
                "Restarts",
                "Age",
                "IP",
                "Node",
                "Nominated Node",
                "Readiness Gates"
            ]
        );
        assert_eq!(
            cols.iter().map(|c| c.priority).collect::<Vec<_>>(),
            [0, 0, 0, 0, 0, 1, 1, 1, 1]
        );
        assert!(
            cols[5]
                .description
                .starts_with("podIP address allocated to the pod."),
            "{}",
            cols[5].description
        );
    }

    #[test]
    fn pod_statuses() {
        let mut p = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Pending"}});
        assert_eq!(pod_row(&p, now())[2], "Pending");
        assert_eq!(pod_row(&p, now())[1], "0/1");
        p["status"]["containerStatuses"] = json!([{"name": "c", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]);
        assert_eq!(pod_row(&p, now())[2], "ContainerCreating");
        p["status"] = json!({"phase": "Succeeded", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 2,
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-01-01T00:58:00Z"}},
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]});
        let row = pod_row(&p, now());
        assert_eq!(row[2], "Completed");
        assert_eq!(row[3], "2 (2m ago)");
        let mut r = running_pod();
        r["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:59:00Z");
        assert_eq!(pod_row(&r, now())[2], "Terminating");
        let init = json!({"metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"running": {}}}],
                "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "PodInitializing"}}}]}});
        assert_eq!(pod_row(&init, now())[2], "Init:0/1");
    }

    #[test]
    fn service_rows() {
        let svc = json!({"metadata": {"name": "web", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"type": "NodePort", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 53, "protocol": "UDP"}], "selector": {"app": "web"}}});
        assert_eq!(
            service_row(&svc, now()),
            vec![
                json!("web"),
                json!("NodePort"),
                json!("10.96.0.10"),
                json!("<none>"),
                json!("80:30080/TCP,53/UDP"),
                json!("60m"),
                json!("app=web")
            ]
        );
        let lb = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": []}});
        assert_eq!(service_row(&lb, now())[3], "<pending>");
    }

    #[test]
    fn node_and_event_rows() {
        let n = json!({"metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.37.0"},
                "addresses": [{"type": "InternalIP", "address": "192.168.1.2"}]}});
        let row = node_row(&n, now());
        assert_eq!(row[1], "Ready,SchedulingDisabled");
        assert_eq!(row[2], "control-plane");
        assert_eq!(row[5], "192.168.1.2");
        assert_eq!(row[6], "<none>");
        let ev = json!({"metadata": {"name": "nginx.17a"}, "involvedObject": {"kind": "Pod", "name": "nginx"},
            "reason": "Scheduled", "message": "Successfully assigned", "type": "Normal",
            "firstTimestamp": "2024-01-01T00:59:30Z", "lastTimestamp": "2024-01-01T00:59:30Z", "count": 1,
            "source": {"component": "default-scheduler"}});
        let row = event_row(&ev, now());
        assert_eq!(
            row,
            vec![
                json!("30s"),
                json!("Normal"),
                json!("Scheduled"),
                json!("pod/nginx"),
                json!(""),
                json!("default-scheduler"),
                json!("Successfully assigned"),
                json!("30s"),
                json!(1),
                json!("nginx.17a")
            ]
        );
    }
}
