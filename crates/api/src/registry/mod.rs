//! Per-resource strategies, as upstream's `pkg/registry/<group>/<resource>/strategy.go`:
//! defaulting (upstream's `defaults.go`, applied on create and update), the
//! create/update preparation (status reset, generation), and validation.
//! Strategies do no IO: the API server calls them around storage.
//!
//! Call order expected from the server (as upstream's `rest.BeforeCreate` /
//! `BeforeUpdate`):
//! - create: `default` → `prepare_for_create` (after `metadata.uid` and
//!   `namespace` are filled: Job selector generation needs the uid) → `validate`.
//! - update of the main resource: `default(new)` → `prepare_for_update(new, old)` → `validate_update(new, old)`.
//! - update through `/status`: `default(new)` → `prepare_for_status_update(new, old)` → `validate_update(new, old)`.

pub mod apps;
pub mod batch;
pub mod common;
pub mod core;
pub mod other;

use std::sync::OnceLock;

use apimachinery::field::ErrorList;
use serde_json::Value;

use crate::resources::{RESOURCES, ResourceInfo, Subresource};
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// What the API server asks of a resource's strategy. The provided methods are those of
/// a kind with no defaults, no status subresource and no generation tracking (an update
/// keeps the stored generation).
pub trait Strategy: Send + Sync {
    /// Fill upstream defaults. Applied on create and on update (upstream defaults on decode).
    fn default(&self, _obj: &mut Value) {}
    /// Reset fields the client may not set on create (status, for kinds with a
    /// status subresource) and set `metadata.generation` to 1 if the kind tracks it.
    fn prepare_for_create(&self, _obj: &mut Value) {}
    /// Update of the main resource: keep the old status (kinds with a status
    /// subresource), keep the old generation and bump it iff the spec changed.
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
    }
    /// Update through `/status`: keep the old spec (and what upstream protects), take the new status.
    fn prepare_for_status_update(&self, _new: &mut Value, _old: &Value) {}
    /// Validate a new object.
    fn validate(&self, obj: &Value) -> ErrorList;
    /// Validate an update (including immutable fields).
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList;
}

/// The strategy for a resource (the generic one for kinds without special rules).
pub fn strategy_for(r: &ResourceInfo) -> &'static dyn Strategy {
    if let Some(s) = specific(r.group, r.resource) {
        return s;
    }
    let table = generics();
    match RESOURCES
        .iter()
        .position(|x| x.group == r.group && x.resource == r.resource && x.version == r.version)
    {
        Some(i) => &table[i],
        None => fallback(r.namespaced, r.has(Subresource::Status)),
    }
}

/// The strategy for a built-in resource by (group, resource), if it is one.
pub fn strategy_for_resource(group: &str, resource: &str) -> Option<&'static dyn Strategy> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.resource == resource)
        .map(strategy_for)
}

fn specific(group: &str, resource: &str) -> Option<&'static dyn Strategy> {
    Some(match (group, resource) {
        ("", "pods") => &core::pod::PodStrategy,
        ("", "services") => &core::service::ServiceStrategy,
        ("", "namespaces") => &core::namespace::NamespaceStrategy,
        ("", "configmaps") => &core::configmap::ConfigMapStrategy,
        ("", "nodes") => &core::node::NodeStrategy,
        ("", "endpoints") => &core::endpoints::EndpointsStrategy,
        ("", "podtemplates") => &core::podtemplate::PodTemplateStrategy,
        ("", "secrets") => &core::secret::SecretStrategy,
        ("", "persistentvolumeclaims") => &core::storage::PvcStrategy,
        ("", "persistentvolumes") => &core::storage::PvStrategy,
        ("", "limitranges") => &core::limitrange::LimitRangeStrategy,
        ("", "resourcequotas") => &core::quota::ResourceQuotaStrategy,
        ("", "serviceaccounts") => &core::serviceaccount::ServiceAccountStrategy,
        ("", "events") => &core::event::CoreEventStrategy,
        ("", "replicationcontrollers") => &apps::replicaset::ReplicationControllerStrategy,
        ("apps", "deployments") => &apps::deployment::DeploymentStrategy,
        ("apps", "replicasets") => &apps::replicaset::ReplicaSetStrategy,
        ("apps", "statefulsets") => &apps::statefulset::StatefulSetStrategy,
        ("apps", "daemonsets") => &apps::daemonset::DaemonSetStrategy,
        ("apps", "controllerrevisions") => &apps::controllerrevision::ControllerRevisionStrategy,
        ("batch", "jobs") => &batch::job::JobStrategy,
        ("batch", "cronjobs") => &batch::cronjob::CronJobStrategy,
        ("autoscaling", "horizontalpodautoscalers") => &other::hpa::HpaStrategy,
        ("policy", "poddisruptionbudgets") => &other::pdb::PdbStrategy,
        ("networking.k8s.io", "ingresses") => &other::ingress::IngressStrategy,
        ("networking.k8s.io", "ingressclasses") => &other::ingressclass::IngressClassStrategy,
        ("networking.k8s.io", "networkpolicies") => &other::networkpolicy::NetworkPolicyStrategy,
        ("discovery.k8s.io", "endpointslices") => &other::endpointslice::EndpointSliceStrategy,
        ("events.k8s.io", "events") => &other::event::EventStrategy,
        ("apiregistration.k8s.io", "apiservices") => &other::apiservice::ApiServiceStrategy,
        ("storage.k8s.io", "storageclasses") => &other::storage::StorageClassStrategy,
        ("storage.k8s.io", "csidrivers") => &other::storage::CsiDriverStrategy,
        ("scheduling.k8s.io", "priorityclasses") => &other::priorityclass::PriorityClassStrategy,
        ("coordination.k8s.io", "leases") => &other::lease::LeaseStrategy,
        ("rbac.authorization.k8s.io", "roles") => &other::rbac::RbacStrategy {
            namespaced: true,
            binding: false,
        },
        ("rbac.authorization.k8s.io", "clusterroles") => &other::rbac::RbacStrategy {
            namespaced: false,
            binding: false,
        },
        ("rbac.authorization.k8s.io", "rolebindings") => &other::rbac::RbacStrategy {
            namespaced: true,
            binding: true,
        },
        ("rbac.authorization.k8s.io", "clusterrolebindings") => &other::rbac::RbacStrategy {
            namespaced: false,
            binding: true,
        },
        _ => return None,
    })
}

/// The generic strategy: object-meta validation with the kind's name rule,
/// status reset/keep for kinds with a status subresource, generation tracking.
#[derive(Debug, Clone)]
pub struct Generic {
    /// Namespaced kind.
    pub namespaced: bool,
    /// Has a `/status` subresource (status is reset on create, kept on update).
    pub status: bool,
    /// Tracks `metadata.generation`.
    pub generation: bool,
    /// The rule for `metadata.name`.
    pub name_rule: NameRule,
}

impl Generic {
    /// The generic strategy for a resource from the table.
    pub fn for_resource(r: &ResourceInfo) -> Self {
        Self {
            namespaced: r.namespaced,
            status: r.has(Subresource::Status),
            generation: tracks_generation(r.group, r.resource),
            name_rule: name_rule(r.group, r.resource),
        }
    }
}

/// The `metadata.name` rule upstream applies to a resource.
pub fn name_rule(group: &str, resource: &str) -> NameRule {
    match (group, resource) {
        ("", "namespaces") => NameRule::Dns1123Label,
        ("", "services") => NameRule::Dns1035Label,
        ("rbac.authorization.k8s.io", _) => NameRule::PathSegment,
        _ => NameRule::Dns1123Subdomain,
    }
}

/// Kinds whose `metadata.generation` upstream sets to 1 on create and bumps on spec changes.
pub fn tracks_generation(group: &str, resource: &str) -> bool {
    matches!(
        (group, resource),
        ("", "pods")
            | ("", "replicationcontrollers")
            | ("apps", _)
            | ("batch", _)
            | ("autoscaling", _)
            | ("policy", _)
            | (
                "networking.k8s.io",
                "ingresses" | "ingressclasses" | "networkpolicies"
            )
            | ("discovery.k8s.io", "endpointslices")
            | ("scheduling.k8s.io", _)
    ) && resource != "controllerrevisions"
}

impl Strategy for Generic {
    fn default(&self, _obj: &mut Value) {}
    fn prepare_for_create(&self, obj: &mut Value) {
        if self.status {
            common::reset_status(obj, Value::Object(Default::default()));
        }
        if self.generation {
            common::set_generation(obj, 1);
        }
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        if self.status {
            common::keep_status(new, old);
        }
        common::keep_generation(new, old);
        if self.generation {
            common::bump_generation_if_changed(new, old, &["spec"]);
        }
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        validate_object_meta(obj, self.namespaced, self.name_rule)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        validate_object_meta_update(new, old)
    }
}

fn generics() -> &'static [Generic] {
    static G: OnceLock<Vec<Generic>> = OnceLock::new();
    G.get_or_init(|| RESOURCES.iter().map(Generic::for_resource).collect())
}

fn fallback(namespaced: bool, status: bool) -> &'static dyn Strategy {
    const fn g(namespaced: bool, status: bool) -> Generic {
        Generic {
            namespaced,
            status,
            generation: true,
            name_rule: NameRule::Dns1123Subdomain,
        }
    }
    static F: [Generic; 4] = [
        g(false, false),
        g(false, true),
        g(true, false),
        g(true, true),
    ];
    &F[(namespaced as usize) * 2 + status as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(group: &str, resource: &str) -> &'static ResourceInfo {
        RESOURCES
            .iter()
            .find(|r| r.group == group && r.resource == resource)
            .unwrap()
    }

    #[test]
    fn every_resource_has_a_strategy_that_accepts_a_minimal_object() {
        for r in RESOURCES {
            let s = strategy_for(r);
            let mut obj =
                json!({"apiVersion": r.api_version(), "kind": r.kind, "metadata": {"name": "x"}});
            if r.namespaced {
                obj["metadata"]["namespace"] = json!("default");
            }
            s.default(&mut obj);
            s.prepare_for_create(&mut obj);
            // only checks it does not panic; kinds with required fields report errors
            let _ = s.validate(&obj);
        }
    }

    #[test]
    fn generic_configmap_like_kinds() {
        let s = strategy_for(res("rbac.authorization.k8s.io", "clusterroles"));
        let obj = json!({"metadata": {"name": "system:controller:x"}});
        assert!(s.validate(&obj).is_empty());
        let s = strategy_for(res("coordination.k8s.io", "leases"));
        let mut obj = json!({"metadata": {"name": "x", "namespace": "kube-system"}, "spec": {"holderIdentity": "a"}});
        s.prepare_for_create(&mut obj);
        assert!(obj["metadata"].get("generation").is_none());
        assert!(s.validate(&obj).is_empty());
    }

    #[test]
    fn generic_status_kind_resets_and_keeps_status() {
        let s = strategy_for(res("", "resourcequotas"));
        let mut obj = json!({"metadata": {"name": "q", "namespace": "d"}, "spec": {"hard": {"pods": "1"}}, "status": {"used": {}}});
        s.prepare_for_create(&mut obj);
        assert_eq!(obj["status"], json!({}));
        let old = json!({"metadata": {"name": "q", "namespace": "d"}, "spec": {"hard": {"pods": "1"}}, "status": {"used": {"pods": "1"}}});
        let mut new = json!({"metadata": {"name": "q", "namespace": "d"}, "spec": {"hard": {"pods": "2"}}, "status": {}});
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["status"], old["status"]);
        let mut st = json!({"metadata": {"name": "q", "namespace": "d"}, "spec": {"hard": {"pods": "9"}}, "status": {"used": {"pods": "0"}}});
        s.prepare_for_status_update(&mut st, &old);
        assert_eq!(st["spec"], old["spec"]);
        assert_eq!(st["status"]["used"]["pods"], "0");
    }
}
