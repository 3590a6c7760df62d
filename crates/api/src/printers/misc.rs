//! Printers of the smaller groups: HPA, ingress(-class), network policy, PDB,
//! RBAC, leases, endpoint slices, priority/storage classes, CSI drivers, and
//! the `Created At` printer of roles and limit ranges.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::core::load_balancer_ips;
use super::{ColumnDefinition, age, age_col, col, doc, name, name_col};
use crate::validation::objectmeta::format_label_selector;
use crate::validation::value::{arr_at, bool_at, get, i64_at, str_at};

/// `Name`, `Created At` (roles, cluster roles, limit ranges).
pub fn created_at_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Created At",
            "date",
            doc("meta.v1.ObjectMeta", "creationTimestamp"),
            0,
        ),
    ]
}

/// Row of [`created_at_columns`]: the RFC 3339 creation time.
pub fn created_at_row(obj: &Value, _now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(name(obj)),
        json!(str_at(obj, &["metadata", "creationTimestamp"])),
    ]
}

/// HPA columns.
pub fn hpa_columns() -> Vec<ColumnDefinition> {
    let s = |p| doc("autoscaling.v2.HorizontalPodAutoscalerSpec", p);
    vec![
        name_col(),
        col("Reference", "string", s("scaleTargetRef"), 0),
        col("Targets", "string", s("metrics"), 0),
        col("MinPods", "string", s("minReplicas"), 0),
        col("MaxPods", "string", s("maxReplicas"), 0),
        col(
            "Replicas",
            "string",
            doc(
                "autoscaling.v2.HorizontalPodAutoscalerStatus",
                "currentReplicas",
            ),
            0,
        ),
        age_col(),
    ]
}

fn target_string(t: &Value, current: Option<&Value>) -> (String, String) {
    let cur = |f: &str| current.and_then(|c| c.get(f)).filter(|v| !v.is_null());
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(u) = t.get("averageUtilization").filter(|v| !v.is_null()) {
        let c = cur("averageUtilization")
            .map(|v| format!("{}%", show(v)))
            .unwrap_or_else(|| "<unknown>".into());
        return (c, format!("{}%", show(u)));
    }
    if let Some(a) = t.get("averageValue").filter(|v| !v.is_null()) {
        let c = cur("averageValue")
            .map(show)
            .unwrap_or_else(|| "<unknown>".into());
        return (c, show(a));
    }
    let v = t.get("value").map(show).unwrap_or_default();
    let c = cur("value").map(show).unwrap_or_else(|| "<unknown>".into());
    (c, v)
}

/// upstream's `formatHPAMetrics` (server side, so never truncated).
pub fn hpa_targets(h: &Value) -> String {
    let mut specs: Vec<Value> = arr_at(h, &["spec", "metrics"]).to_vec();
    let mut currents: Vec<Value> = arr_at(h, &["status", "currentMetrics"]).to_vec();
    if let Some(pct) = get(h, &["spec", "targetCPUUtilizationPercentage"]) {
        // autoscaling/v1
        specs = vec![
            json!({"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": pct}}}),
        ];
        currents = match get(h, &["status", "currentCPUUtilizationPercentage"]) {
            Some(c) => vec![
                json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": c}}}),
            ],
            None => vec![],
        };
    }
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let mut list = Vec::new();
    for (i, m) in specs.iter().enumerate() {
        let ty = str_at(m, &["type"]);
        let cur_m = currents.get(i).filter(|c| str_at(c, &["type"]) == ty);
        let key = match ty {
            "Resource" => "resource",
            "ContainerResource" => "containerResource",
            "Pods" => "pods",
            "Object" => "object",
            "External" => "external",
            _ => {
                list.push("<unknown type>".to_string());
                continue;
            }
        };
        let src = m.get(key).cloned().unwrap_or(Value::Null);
        let target = src.get("target").cloned().unwrap_or(Value::Null);
        let current = cur_m
            .and_then(|c| c.get(key))
            .and_then(|c| c.get("current"));
        let (c, t) = target_string(&target, current);
        let avg = matches!(ty, "Object" | "External")
            && target.get("averageValue").is_some_and(|v| !v.is_null());
        match ty {
            "Resource" | "ContainerResource" => {
                list.push(format!("{}: {c}/{t}", str_at(&src, &["name"])))
            }
            _ if avg => list.push(format!("{c}/{t} (avg)")),
            _ => list.push(format!("{c}/{t}")),
        }
    }
    list.join(", ")
}

/// HPA row (both versions).
pub fn hpa_row(h: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        str_at(h, &["spec", "scaleTargetRef", "kind"]),
        str_at(h, &["spec", "scaleTargetRef", "name"])
    );
    let min = i64_at(h, &["spec", "minReplicas"])
        .map(|m| m.to_string())
        .unwrap_or_else(|| "<unset>".into());
    vec![
        json!(name(h)),
        json!(reference),
        json!(hpa_targets(h)),
        json!(min),
        json!(i64_at(h, &["spec", "maxReplicas"]).unwrap_or(0)),
        json!(i64_at(h, &["status", "currentReplicas"]).unwrap_or(0)),
        json!(age(h, now)),
    ]
}

/// Ingress columns.
pub fn ingress_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Class",
            "string",
            "The name of the IngressClass resource that should be used for ingress",
            0,
        ),
        col(
            "Hosts",
            "string",
            "Hosts that incoming requests are matched against before the ingress rule",
            0,
        ),
        col(
            "Address",
            "string",
            "Address is a list containing ingress points for the load-balancer",
            0,
        ),
        col(
            "Ports",
            "string",
            "Ports of TLS configurations that open",
            0,
        ),
        age_col(),
    ]
}

/// Ingress row.
pub fn ingress_row(ing: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let class = Some(str_at(ing, &["spec", "ingressClassName"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("<none>");
    let rules = arr_at(ing, &["spec", "rules"]);
    let hosts: Vec<&str> = rules
        .iter()
        .map(|r| {
            Some(str_at(r, &["host"]))
                .filter(|h| !h.is_empty())
                .unwrap_or("*")
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if hosts.len() > 3 {
        format!("{} + {} more...", hosts[..3].join(","), hosts.len() - 3)
    } else {
        hosts.join(",")
    };
    let ports = if arr_at(ing, &["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        json!(name(ing)),
        json!(class),
        json!(hosts),
        json!(load_balancer_ips(get(ing, &["status", "loadBalancer"]))),
        json!(ports),
        json!(age(ing, now)),
    ]
}

/// IngressClass columns.
pub fn ingressclass_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Controller",
            "string",
            "Controller that is responsible for handling this class",
            0,
        ),
        col(
            "Parameters",
            "string",
            "A reference to a resource with additional parameters",
            0,
        ),
        age_col(),
    ]
}

/// IngressClass row.
pub fn ingressclass_row(ic: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let params = match get(ic, &["spec", "parameters"]).filter(|p| p.is_object()) {
        Some(p) => {
            let g = str_at(p, &["apiGroup"]);
            let kind = if g.is_empty() {
                str_at(p, &["kind"]).to_string()
            } else {
                format!("{}.{g}", str_at(p, &["kind"]))
            };
            format!("{kind}/{}", str_at(p, &["name"]))
        }
        None => "<none>".to_string(),
    };
    vec![
        json!(name(ic)),
        json!(str_at(ic, &["spec", "controller"])),
        json!(params),
        json!(age(ic, now)),
    ]
}

/// NetworkPolicy columns.
pub fn netpol_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Pod-Selector",
            "string",
            doc("networking.v1.NetworkPolicySpec", "podSelector"),
            0,
        ),
        age_col(),
    ]
}

/// NetworkPolicy row.
pub fn netpol_row(np: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(name(np)),
        json!(format_label_selector(get(np, &["spec", "podSelector"]))),
        json!(age(np, now)),
    ]
}

/// PDB columns.
pub fn pdb_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Min Available",
            "string",
            "The minimum number of pods that must be available.",
            0,
        ),
        col(
            "Max Unavailable",
            "string",
            "The maximum number of pods that may be unavailable.",
            0,
        ),
        col(
            "Allowed Disruptions",
            "integer",
            "Calculated number of pods that may be disrupted at this time.",
            0,
        ),
        age_col(),
    ]
}

/// PDB row.
pub fn pdb_row(p: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let show = |f: &str| match get(p, &["spec", f]) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "N/A".to_string(),
    };
    vec![
        json!(name(p)),
        json!(show("minAvailable")),
        json!(show("maxUnavailable")),
        json!(i64_at(p, &["status", "disruptionsAllowed"]).unwrap_or(0)),
        json!(age(p, now)),
    ]
}

/// RoleBinding / ClusterRoleBinding columns.
pub fn binding_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col("Role", "string", doc("rbac.v1.RoleBinding", "roleRef"), 0),
        age_col(),
        col("Users", "string", "Users in the roleBinding", 1),
        col("Groups", "string", "Groups in the roleBinding", 1),
        col(
            "ServiceAccounts",
            "string",
            "ServiceAccounts in the roleBinding",
            1,
        ),
    ]
}

/// RoleBinding / ClusterRoleBinding row.
pub fn binding_row(b: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let (mut users, mut groups, mut sas) = (vec![], vec![], vec![]);
    for s in arr_at(b, &["subjects"]) {
        let n = str_at(s, &["name"]).to_string();
        match str_at(s, &["kind"]) {
            "User" => users.push(n),
            "Group" => groups.push(n),
            "ServiceAccount" => sas.push(format!("{}/{}", str_at(s, &["namespace"]), n)),
            _ => {}
        }
    }
    vec![
        json!(name(b)),
        json!(format!(
            "{}/{}",
            str_at(b, &["roleRef", "kind"]),
            str_at(b, &["roleRef", "name"])
        )),
        json!(age(b, now)),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(sas.join(", ")),
    ]
}

/// Lease columns.
pub fn lease_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Holder",
            "string",
            doc("coordination.v1.LeaseSpec", "holderIdentity"),
            0,
        ),
        age_col(),
    ]
}

/// Lease row.
pub fn lease_row(l: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(name(l)),
        json!(str_at(l, &["spec", "holderIdentity"])),
        json!(age(l, now)),
    ]
}

/// EndpointSlice columns.
pub fn slice_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "AddressType",
            "string",
            doc("discovery.v1.EndpointSlice", "addressType"),
            0,
        ),
        col(
            "Ports",
            "string",
            doc("discovery.v1.EndpointSlice", "ports"),
            0,
        ),
        col(
            "Endpoints",
            "string",
            doc("discovery.v1.EndpointSlice", "endpoints"),
            0,
        ),
        age_col(),
    ]
}

/// EndpointSlice row.
pub fn slice_row(s: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let ports: Vec<String> = arr_at(s, &["ports"])
        .iter()
        .map(|p| {
            i64_at(p, &["port"])
                .map(|n| n.to_string())
                .unwrap_or_else(|| "<unset>".into())
        })
        .collect();
    let ports = if ports.is_empty() {
        "<unset>".to_string()
    } else {
        ports.join(",")
    };
    let addrs: Vec<&str> = arr_at(s, &["endpoints"])
        .iter()
        .flat_map(|e| arr_at(e, &["addresses"]).iter().filter_map(Value::as_str))
        .collect();
    let eps = if addrs.is_empty() {
        "<unset>".to_string()
    } else if addrs.len() > 3 {
        format!("{} + {} more...", addrs[..3].join(","), addrs.len() - 3)
    } else {
        addrs.join(",")
    };
    vec![
        json!(name(s)),
        json!(str_at(s, &["addressType"])),
        json!(ports),
        json!(eps),
        json!(age(s, now)),
    ]
}

/// PriorityClass columns.
pub fn priorityclass_columns() -> Vec<ColumnDefinition> {
    let p = |f| doc("scheduling.v1.PriorityClass", f);
    vec![
        name_col(),
        col("Value", "integer", p("value"), 0),
        col("Global-Default", "boolean", p("globalDefault"), 0),
        col("Preemption-Policy", "string", p("preemptionPolicy"), 0),
        age_col(),
    ]
}

/// PriorityClass row.
pub fn priorityclass_row(pc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(name(pc)),
        json!(i64_at(pc, &["value"]).unwrap_or(0)),
        json!(bool_at(pc, &["globalDefault"]).unwrap_or(false)),
        json!(str_at(pc, &["preemptionPolicy"])),
        json!(age(pc, now)),
    ]
}

/// StorageClass columns.
pub fn storageclass_columns() -> Vec<ColumnDefinition> {
    let s = |f| doc("storage.v1.StorageClass", f);
    vec![
        name_col(),
        col("Provisioner", "string", s("provisioner"), 0),
        col("ReclaimPolicy", "string", s("reclaimPolicy"), 0),
        col("VolumeBindingMode", "string", s("volumeBindingMode"), 0),
        col(
            "AllowVolumeExpansion",
            "string",
            s("allowVolumeExpansion"),
            0,
        ),
        age_col(),
    ]
}

/// StorageClass row (the default class is named `x (default)`).
pub fn storageclass_row(sc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let ann = |k: &str| str_at(sc, &["metadata", "annotations", k]) == "true";
    let mut n = name(sc).to_string();
    if ann("storageclass.kubernetes.io/is-default-class")
        || ann("storageclass.beta.kubernetes.io/is-default-class")
    {
        n.push_str(" (default)");
    }
    let or = |v: &str, d: &str| {
        if v.is_empty() {
            d.to_string()
        } else {
            v.to_string()
        }
    };
    vec![
        json!(n),
        json!(str_at(sc, &["provisioner"])),
        json!(or(str_at(sc, &["reclaimPolicy"]), "Delete")),
        json!(or(str_at(sc, &["volumeBindingMode"]), "Immediate")),
        json!(bool_at(sc, &["allowVolumeExpansion"]).unwrap_or(false)),
        json!(age(sc, now)),
    ]
}

/// CSIDriver columns.
pub fn csidriver_columns() -> Vec<ColumnDefinition> {
    let s = |f| doc("storage.v1.CSIDriverSpec", f);
    vec![
        name_col(),
        col("AttachRequired", "boolean", s("attachRequired"), 0),
        col("PodInfoOnMount", "boolean", s("podInfoOnMount"), 0),
        col("StorageCapacity", "boolean", s("storageCapacity"), 0),
        col("TokenRequests", "string", s("tokenRequests"), 0),
        col("RequiresRepublish", "boolean", s("requiresRepublish"), 0),
        col("Modes", "string", s("volumeLifecycleModes"), 0),
        age_col(),
    ]
}

/// CSIDriver row.
pub fn csidriver_row(d: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let b = |f: &str, def: bool| bool_at(d, &["spec", f]).unwrap_or(def);
    let tokens: Vec<&str> = arr_at(d, &["spec", "tokenRequests"])
        .iter()
        .map(|t| str_at(t, &["audience"]))
        .collect();
    let modes: Vec<&str> = arr_at(d, &["spec", "volumeLifecycleModes"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    vec![
        json!(name(d)),
        json!(b("attachRequired", true)),
        json!(b("podInfoOnMount", false)),
        json!(b("storageCapacity", false)),
        json!(if tokens.is_empty() {
            "<unset>".to_string()
        } else {
            tokens.join(",")
        }),
        json!(b("requiresRepublish", false)),
        json!(if modes.is_empty() {
            "<none>".to_string()
        } else {
            modes.join(",")
        }),
        json!(age(d, now)),
    ]
}

/// APIService columns (kube-aggregator's printer).
pub fn apiservice_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col(
            "Service",
            "string",
            "The reference to the service that hosts this API endpoint.",
            0,
        ),
        col(
            "Available",
            "string",
            "Whether this service is available.",
            0,
        ),
        age_col(),
    ]
}

/// APIService row: `Local` or `namespace/name`; the Available condition's status, with
/// its reason when not `True`.
pub fn apiservice_row(s: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let service = match get(s, &["spec", "service"]).filter(|v| !v.is_null()) {
        Some(svc) => format!("{}/{}", str_at(svc, &["namespace"]), str_at(svc, &["name"])),
        None => "Local".to_string(),
    };
    let available = arr_at(s, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Available")
        .map(|c| match str_at(c, &["status"]) {
            "True" => "True".to_string(),
            st => format!("{st} ({})", str_at(c, &["reason"])),
        })
        .unwrap_or_else(|| "Unknown".to_string());
    vec![
        json!(name(s)),
        json!(service),
        json!(available),
        json!(age(s, now)),
    ]
}

/// ComponentStatus columns.
pub fn componentstatus_columns() -> Vec<ColumnDefinition> {
    let d = |f| doc("core.v1.ComponentCondition", f);
    vec![
        name_col(),
        col("Status", "string", d("status"), 0),
        col("Message", "string", d("message"), 0),
        col("Error", "string", d("error"), 0),
    ]
}

/// ComponentStatus row: `Healthy`, `Unhealthy` or `Unknown` from its Healthy condition.
pub fn componentstatus_row(cs: &Value, _now: DateTime<Utc>) -> Vec<Value> {
    let healthy = arr_at(cs, &["conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Healthy")
        .cloned()
        .unwrap_or(Value::Null);
    let status = match str_at(&healthy, &["status"]) {
        "True" => "Healthy",
        "False" => "Unhealthy",
        _ => "Unknown",
    };
    vec![
        json!(name(cs)),
        json!(status),
        json!(str_at(&healthy, &["message"])),
        json!(str_at(&healthy, &["error"])),
    ]
}

/// PodTemplate columns (upstream's `podTemplateColumnDefinitions`).
pub fn podtemplate_columns() -> Vec<ColumnDefinition> {
    let mut cols = vec![name_col()];
    cols.extend(super::containers_images_cols().into_iter().map(|mut c| {
        c.priority = 0;
        c
    }));
    cols.push(col(
        "Pod Labels",
        "string",
        "More info: http://kubernetes.io/docs/user-guide/labels",
        0,
    ));
    cols
}

/// PodTemplate row: containers, images, the template's labels.
pub fn podtemplate_row(t: &Value, _now: DateTime<Utc>) -> Vec<Value> {
    let (containers, images) = super::containers_images(get(t, &["template", "spec"]));
    let labels = crate::validation::value::format_labels(
        get(t, &["template", "metadata", "labels"]).and_then(Value::as_object),
    );
    vec![
        json!(name(t)),
        json!(containers),
        json!(images),
        json!(labels),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_targets_like_kubectl() {
        let h = json!({"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "nginx"}, "minReplicas": 3, "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]},
            "status": {"currentReplicas": 3}});
        assert_eq!(hpa_targets(&h), "cpu: <unknown>/50%");
        let now = Utc::now();
        let row = hpa_row(&h, now);
        assert_eq!(row[1], "Deployment/nginx");
        assert_eq!(row[3], "3");
        assert_eq!(row[4], 10);
        let v1 = json!({"spec": {"targetCPUUtilizationPercentage": 80}, "status": {"currentCPUUtilizationPercentage": 12}});
        assert_eq!(hpa_targets(&v1), "cpu: 12%/80%");
    }

    #[test]
    fn bindings_and_ingress() {
        let b = json!({"metadata": {"name": "rb"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "ns"}, {"kind": "User", "name": "alice"}]});
        let row = binding_row(&b, Utc::now());
        assert_eq!(row[1], "ClusterRole/view");
        assert_eq!(row[3], "alice");
        assert_eq!(row[5], "ns/default");
        let ing = json!({"metadata": {"name": "i"}, "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.com"}, {}]}});
        let row = ingress_row(&ing, Utc::now());
        assert_eq!(row[1], "nginx");
        assert_eq!(row[2], "a.com,*");
        assert_eq!(row[4], "80");
    }
}
