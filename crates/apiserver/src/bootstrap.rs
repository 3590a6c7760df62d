//! The objects upstream's control plane creates for itself and puts back at every start
//! (its "bootstrap" post-start hooks), so clients and authorizers find them before any
//! request is served:
//!
//! - an `apiregistration.k8s.io/v1` APIService for every built-in group-version
//!   (`v1.`, `v1.apps`, ...), `Available` with reason `Local`, kept in line with the
//!   served versions and their priorities (the aggregator's `autoregister` controller);
//! - the `system-node-critical` and `system-cluster-critical` PriorityClasses (created
//!   when missing, never changed);
//! - the default RBAC policy (`data/bootstrap-rbac.json`, upstream's bootstrap policy):
//!   missing roles and bindings are created; existing ones are reconciled unless
//!   annotated `rbac.authorization.kubernetes.io/autoupdate: "false"`, which adds what is
//!   missing (rules, subjects, labels, annotations) and never removes what users added;
//!   then the aggregated ClusterRoles (`admin`, `edit`, `view`, ...) get the rules of the
//!   roles their `aggregationRule` selects, as upstream's aggregation controller keeps
//!   them (here once per start; following later changes belongs to the controllers).
//!
//! Deviation: upstream decides whether a role lacks a rule by coverage (a broader rule
//! covers a narrower one); this reconciler compares rules as written, so a user role
//! that covers a default rule by a broader one still gets the default rule added.

use std::sync::Arc;

use anyhow::Result;
use api::ResourceInfo;
use serde_json::{Map, Value, json};
use storage::{Compare, TxnOp, TxnRequest};

use crate::server::ApiServer;

/// The annotation that turns reconciliation of a default RBAC object off.
const AUTOUPDATE: &str = "rbac.authorization.kubernetes.io/autoupdate";

/// Create or reconcile every bootstrap object.
pub async fn reconcile(server: &Arc<ApiServer>) -> Result<()> {
    api_services(server).await?;
    priority_classes(server).await?;
    rbac(server).await?;
    Ok(())
}

fn resource(group: &str, resource: &str) -> &'static ResourceInfo {
    // every bootstrap kind is served at v1
    api::resources::lookup(group, "v1", resource).expect("a built-in resource")
}

fn key(res: &ResourceInfo, obj: &Value) -> String {
    let md = &obj["metadata"];
    let ns = md["namespace"].as_str().unwrap_or("");
    let name = md["name"].as_str().unwrap_or("");
    if res.namespaced {
        format!("{}{ns}/{name}", res.key_prefix())
    } else {
        format!("{}{name}", res.key_prefix())
    }
}

/// A write of one bootstrap object: its key, the revision it must still be at (0: absent)
/// and the object.
type Write = (String, i64, Value);

/// What makes sure `desired` exists: `None` when nothing is to be written. When it exists,
/// `reconcile(existing, desired)` may return a changed object to write (`None`: leave it).
async fn plan(
    server: &ApiServer,
    res: &'static ResourceInfo,
    mut desired: Value,
    reconcile: impl Fn(&Value, &Value) -> Option<Value>,
) -> Result<Option<Write>> {
    let key = key(res, &desired);
    let existing = server.store.get(key.as_bytes()).await?;
    Ok(match existing {
        None => {
            let strategy = api::registry::strategy_for(res);
            strategy.default(&mut desired);
            // the status of a bootstrap object is set here, not reset as a client's is
            let status = desired.get("status").cloned();
            strategy.prepare_for_create(&mut desired);
            if let Some(s) = status {
                desired["status"] = s;
            }
            let md = crate::meta::metadata_mut(&mut desired);
            md.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
            md.insert(
                "creationTimestamp".into(),
                json!(crate::meta::now_rfc3339()),
            );
            Some((key, 0, desired))
        }
        Some(kv) => {
            let current: Value = serde_json::from_slice(&kv.value)?;
            reconcile(&current, &desired).map(|v| (key, kv.mod_revision, v))
        }
    })
}

/// Write the planned objects in one transaction (one commit on a first start); if another
/// writer changed one of them meanwhile (another server starting), each is written on
/// its own and a lost race is left to the next start.
async fn commit(server: &ApiServer, writes: Vec<Write>) -> Result<()> {
    if writes.is_empty() {
        return Ok(());
    }
    let txn = |writes: &[Write]| -> Result<TxnRequest> {
        let mut t = TxnRequest {
            compare: Vec::new(),
            success: Vec::new(),
            failure: vec![],
        };
        for (key, equals, value) in writes {
            t.compare.push(Compare::ModRevision {
                key: key.clone().into_bytes(),
                equals: *equals,
            });
            t.success.push(TxnOp::Put {
                key: key.clone().into_bytes(),
                value: crate::rest::store_encode(value)?,
            });
        }
        Ok(t)
    };
    if server.store.txn(txn(&writes)?).await?.succeeded {
        return Ok(());
    }
    for w in writes {
        server.store.txn(txn(std::slice::from_ref(&w))?).await?;
    }
    Ok(())
}

/// The APIService of every served group-version.
async fn api_services(server: &ApiServer) -> Result<()> {
    let res = resource("apiregistration.k8s.io", "apiservices");
    let mut writes = Vec::new();
    for (group, versions) in api::resources::groups() {
        for version in versions {
            let (group_min, version_prio) = api::resources::api_service_priority(group, version);
            let desired = json!({
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                "metadata": {"name": format!("{version}.{group}"),
                             "labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"}},
                "spec": {"group": group, "version": version,
                         "groupPriorityMinimum": group_min, "versionPriority": version_prio},
                "status": {"conditions": [{
                    "type": "Available", "status": "True",
                    "lastTransitionTime": crate::meta::now_rfc3339(),
                    "reason": "Local", "message": "Local APIServices are always available",
                }]},
            });
            let w = plan(server, res, desired, |current, desired| {
                let available = current
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .is_some_and(|c| {
                        c.iter()
                            .any(|c| c["type"] == "Available" && c["status"] == "True")
                    });
                if current["spec"] == desired["spec"]
                    && current.pointer("/metadata/labels") == desired.pointer("/metadata/labels")
                    && available
                {
                    return None;
                }
                let mut v = current.clone();
                v["spec"] = desired["spec"].clone();
                if !available {
                    v["status"] = desired["status"].clone();
                }
                merge_map(&mut v, desired, "labels");
                Some(v)
            })
            .await?;
            writes.extend(w);
        }
    }
    commit(server, writes).await
}

/// The two system PriorityClasses (upstream `scheduling.SystemPriorityClasses`).
async fn priority_classes(server: &ApiServer) -> Result<()> {
    let res = resource("scheduling.k8s.io", "priorityclasses");
    let mut writes = Vec::new();
    for (name, value, description) in [
        (
            "system-node-critical",
            2_000_001_000,
            "Used for system critical pods that must not be moved from their current node.",
        ),
        (
            "system-cluster-critical",
            2_000_000_000,
            "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
        ),
    ] {
        let desired = json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value, "description": description,
            "preemptionPolicy": "PreemptLowerPriority",
        });
        writes.extend(plan(server, res, desired, |_, _| None).await?);
    }
    commit(server, writes).await
}

/// Add the entries of `desired`'s `metadata.<field>` map that `v` lacks.
fn merge_map(v: &mut Value, desired: &Value, field: &str) {
    let Some(want) = desired
        .pointer(&format!("/metadata/{field}"))
        .and_then(Value::as_object)
    else {
        return;
    };
    let md = crate::meta::metadata_mut(v);
    let have = md
        .entry(field.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(have) = have {
        for (k, val) in want {
            have.entry(k.clone()).or_insert_with(|| val.clone());
        }
    }
}

/// Add the elements of `desired[field]` that `v[field]` lacks (compared as written).
fn merge_list(v: &mut Value, desired: &Value, field: &str) {
    let Some(want) = desired.get(field).and_then(Value::as_array) else {
        return;
    };
    if !v.get(field).is_some_and(Value::is_array) {
        v[field] = json!([]);
    }
    let have = v[field].as_array_mut().expect("set above");
    for w in want {
        if !have.contains(w) {
            have.push(w.clone());
        }
    }
}

/// upstream's RBAC reconciliation of one role or binding: nothing when autoupdate is
/// off; otherwise what is missing is added.
fn reconcile_rbac(current: &Value, desired: &Value) -> Option<Value> {
    if current.pointer(&format!(
        "/metadata/annotations/{}",
        AUTOUPDATE.replace('/', "~1")
    )) == Some(&json!("false"))
    {
        return None;
    }
    let mut v = current.clone();
    merge_map(&mut v, desired, "labels");
    merge_map(&mut v, desired, "annotations");
    merge_list(&mut v, desired, "rules");
    merge_list(&mut v, desired, "subjects");
    if let Some(agg) = desired.get("aggregationRule") {
        match v.get_mut("aggregationRule").filter(|a| a.is_object()) {
            Some(a) => merge_list(a, agg, "clusterRoleSelectors"),
            None => v["aggregationRule"] = agg.clone(),
        }
    }
    // a binding to another role is replaced, as upstream recreates it
    if let Some(rr) = desired.get("roleRef")
        && v.get("roleRef") != Some(rr)
    {
        v["roleRef"] = rr.clone();
        v["subjects"] = desired["subjects"].clone();
    }
    (v != *current).then_some(v)
}

/// The default policy's objects, by resource, as stored JSON.
fn rbac_policy() -> Vec<(&'static str, Value)> {
    let doc: Value = serde_json::from_str(include_str!("../data/bootstrap-rbac.json"))
        .expect("the embedded bootstrap policy is JSON");
    let mut out = Vec::new();
    for (list, resource, kind) in [
        ("clusterRoles", "clusterroles", "ClusterRole"),
        (
            "clusterRoleBindings",
            "clusterrolebindings",
            "ClusterRoleBinding",
        ),
        ("roles", "roles", "Role"),
        ("roleBindings", "rolebindings", "RoleBinding"),
    ] {
        for o in doc[list].as_array().into_iter().flatten() {
            let mut md = Map::new();
            md.insert("name".into(), o["name"].clone());
            if let Some(ns) = o.get("namespace") {
                md.insert("namespace".into(), ns.clone());
            }
            for f in ["labels", "annotations"] {
                if let Some(m) = o
                    .get(f)
                    .filter(|m| m.as_object().is_some_and(|m| !m.is_empty()))
                {
                    md.insert(f.into(), m.clone());
                }
            }
            let mut v =
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": md});
            for f in ["aggregationRule", "rules", "roleRef", "subjects"] {
                if let Some(x) = o.get(f) {
                    v[f] = x.clone();
                }
            }
            if kind.ends_with("Role") && v.get("rules").is_none() {
                v["rules"] = json!([]);
            }
            out.push((resource, v));
        }
    }
    out
}

async fn rbac(server: &ApiServer) -> Result<()> {
    let mut writes = Vec::new();
    for (resource_name, desired) in rbac_policy() {
        let res = resource("rbac.authorization.k8s.io", resource_name);
        writes.extend(plan(server, res, desired, reconcile_rbac).await?);
    }
    commit(server, writes).await?;
    aggregate(server).await
}

/// Fill each ClusterRole that has an `aggregationRule` with the rules of the ClusterRoles
/// its selectors match (in name order, each rule once), as upstream's aggregation
/// controller does.
async fn aggregate(server: &ApiServer) -> Result<()> {
    let res = resource("rbac.authorization.k8s.io", "clusterroles");
    let prefix = res.key_prefix();
    let all = server
        .store
        .range(storage::RangeRequest::prefix(prefix.as_bytes().to_vec()))
        .await?;
    let stored: Vec<(String, i64, Value)> = all
        .kvs
        .iter()
        .filter_map(|kv| {
            let v = serde_json::from_slice(&kv.value).ok()?;
            Some((
                String::from_utf8_lossy(&kv.key).into_owned(),
                kv.mod_revision,
                v,
            ))
        })
        .collect();
    let mut roles: Vec<Value> = stored.iter().map(|(_, _, v)| v.clone()).collect();
    // aggregated roles aggregate others (`edit` into `admin`): to the fixed point
    for _ in 0..8 {
        let mut changed = false;
        for i in 0..roles.len() {
            let Some(rules) = aggregated_rules(&roles, i) else {
                continue;
            };
            if roles[i].get("rules").and_then(Value::as_array) != Some(&rules) {
                roles[i]["rules"] = Value::Array(rules);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let writes = stored
        .into_iter()
        .zip(roles)
        .filter(|((_, _, before), after)| before != after)
        .map(|((key, rev, _), after)| (key, rev, after))
        .collect();
    commit(server, writes).await
}

/// The rules of `roles[i]` by its `aggregationRule` (`None` when it has none): those of
/// every other role its selectors match, in name order, each rule once.
fn aggregated_rules(roles: &[Value], i: usize) -> Option<Vec<Value>> {
    let role = &roles[i];
    let selectors: Vec<_> = role
        .pointer("/aggregationRule/clusterRoleSelectors")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|s| apimachinery::selectors::LabelSelector::from_label_selector(s).ok())
        .collect();
    let mut rules: Vec<Value> = Vec::new();
    for (j, other) in roles.iter().enumerate() {
        if j == i || !selectors.iter().any(|s| s.matches_object(other)) {
            continue;
        }
        for r in other["rules"].as_array().into_iter().flatten() {
            if !rules.contains(r) {
                rules.push(r.clone());
            }
        }
    }
    Some(rules)
}

/// Where each API server keeps its lease on a place in `default/kubernetes` (upstream's
/// `/masterleases/<ip>`, which its lease endpoint reconciler reads).
const MASTER_LEASES: &str = "/registry/masterleases/";

/// How long a server's lease lasts unless renewed (upstream's master lease TTL).
pub const MASTER_LEASE_TTL: std::time::Duration = std::time::Duration::from_secs(15);

/// How often a running server renews its lease and reconciles `default/kubernetes`
/// (upstream's endpoint reconcile interval).
pub const ENDPOINT_RECONCILE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Take (or renew) the lease of the server at `ip`, valid until `expires_at_ms`.
pub async fn put_master_lease(
    server: &ApiServer,
    ip: std::net::IpAddr,
    expires_at_ms: i64,
) -> Result<()> {
    let lease = json!({"ip": ip.to_string(), "expiresAtMs": expires_at_ms});
    server
        .store
        .txn(TxnRequest::put(
            format!("{MASTER_LEASES}{ip}"),
            serde_json::to_vec(&lease)?,
        ))
        .await?;
    Ok(())
}

/// The `default/kubernetes` Endpoints and EndpointSlice, and the Service's target port,
/// as upstream's API server keeps them itself (no controller manager needed), with its
/// lease endpoint reconciler: this server takes (or renews) a lease for its advertised
/// address, and the addresses are those of every server whose lease has not expired
/// (servers sharing the store each appear once; a server that died without removing
/// itself drops out once its lease runs out). The port named `https` is the one this
/// server serves on. Called at start and every [`ENDPOINT_RECONCILE_INTERVAL`].
pub async fn add_own_endpoint(server: &ApiServer, ip: std::net::IpAddr, port: u16) -> Result<()> {
    let ttl = i64::try_from(MASTER_LEASE_TTL.as_millis()).unwrap_or(i64::MAX);
    put_master_lease(server, ip, now_ms() + ttl).await?;
    own_endpoint(server, port, true).await
}

/// Give up this server's lease and take its address out of `default/kubernetes` (a clean
/// shutdown), so clients that read the Endpoints do not try a server that is gone.
pub async fn remove_own_endpoint(
    server: &ApiServer,
    ip: std::net::IpAddr,
    port: u16,
) -> Result<()> {
    server
        .store
        .txn(TxnRequest::delete(format!("{MASTER_LEASES}{ip}")))
        .await?;
    own_endpoint(server, port, false).await
}

/// The addresses whose lease is live, sorted; expired leases are deleted on the way.
async fn leased_ips(server: &ApiServer) -> Result<Vec<String>> {
    let now = now_ms();
    let range = server
        .store
        .range(storage::RangeRequest::prefix(MASTER_LEASES.as_bytes()))
        .await?;
    let mut live = Vec::new();
    for kv in range.kvs {
        let lease: Value = serde_json::from_slice(&kv.value).unwrap_or(Value::Null);
        match (lease["ip"].as_str(), lease["expiresAtMs"].as_i64()) {
            (Some(ip), Some(t)) if t > now => live.push(ip.to_string()),
            _ => {
                // only if nobody renewed it meanwhile
                let gone = TxnRequest {
                    compare: vec![Compare::ModRevision {
                        key: kv.key.to_vec(),
                        equals: kv.mod_revision,
                    }],
                    success: vec![TxnOp::Delete {
                        key: kv.key.to_vec(),
                    }],
                    failure: vec![],
                };
                server.store.txn(gone).await?;
            }
        }
    }
    live.sort();
    live.dedup();
    Ok(live)
}

async fn own_endpoint(server: &ApiServer, port: u16, add: bool) -> Result<()> {
    let ports = json!([{"name": "https", "port": port, "protocol": "TCP"}]);
    let ips = leased_ips(server).await?;
    let ep_res = resource("", "endpoints");
    let subsets = if ips.is_empty() {
        json!([])
    } else {
        json!([{"addresses": ips.iter().map(|a| json!({"ip": a})).collect::<Vec<_>>(), "ports": ports}])
    };
    let desired = json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": subsets,
    });
    let mut writes: Vec<Write> = Vec::new();
    writes.extend(plan(server, ep_res, desired, replace_fields).await?);
    let slice_res = api::resources::lookup("discovery.k8s.io", "v1", "endpointslices")
        .expect("endpointslices are served");
    let family = if ips.iter().any(|a| a.contains(':')) {
        "IPv6"
    } else {
        "IPv4"
    };
    let slice = json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": family,
        "endpoints": ips.iter().map(|a| json!({"addresses": [a], "conditions": {"ready": true}})).collect::<Vec<_>>(),
        "ports": ports,
    });
    writes.extend(plan(server, slice_res, slice, replace_fields).await?);
    // the Service forwards to the port this server serves on
    let svc_res = resource("", "services");
    let svc_key = format!("{}default/kubernetes", svc_res.key_prefix());
    if add && let Some(kv) = server.store.get(svc_key.as_bytes()).await? {
        let mut svc: Value = serde_json::from_slice(&kv.value)?;
        if svc.pointer("/spec/ports/0/targetPort") != Some(&json!(port)) {
            svc["spec"]["ports"][0]["targetPort"] = json!(port);
            writes.push((svc_key, kv.mod_revision, svc));
        }
    }
    commit(server, writes).await
}

/// A reconcile that sets the desired object's top-level fields (the addresses, the
/// ports) and adds its labels, when they differ.
fn replace_fields(current: &Value, desired: &Value) -> Option<Value> {
    let mut v = current.clone();
    for (k, x) in desired.as_object().into_iter().flatten() {
        if k != "metadata" {
            v[k] = x.clone();
        }
    }
    merge_map(&mut v, desired, "labels");
    (v != *current).then_some(v)
}
