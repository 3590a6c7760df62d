//! Decode a JSON object, or a list of them, into the `k8s-openapi` type of its kind: the
//! check that a typed client (kube-rs, and by the same schema client-go and the Python
//! client) can read what the API server accepted and stored.

use serde_json::Value;

macro_rules! kinds {
    ($($group:literal, $kind:literal => $ty:ty;)*) => {
        /// The built-in kinds this module can check, as (group, kind).
        pub const KINDS: &[(&str, &str)] = &[$(($group, $kind)),*];

        /// Decode `obj` into the type of `(group, kind)`; `Ok(false)` for a kind this module
        /// does not know.
        pub fn decode(group: &str, kind: &str, obj: &Value) -> Result<bool, String> {
            match (group, kind) {
                $(($group, $kind) => serde_json::from_value::<$ty>(obj.clone())
                    .map(|_| true)
                    .map_err(|e| format!("{kind} does not decode into k8s-openapi: {e}: {obj}")),)*
                _ => Ok(false),
            }
        }
    };
}

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, events::v1 as events, networking::v1 as networking,
    policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling, storage::v1 as storage,
};

kinds! {
    "", "ConfigMap" => core::ConfigMap;
    "", "Secret" => core::Secret;
    "", "Pod" => core::Pod;
    "", "Service" => core::Service;
    "", "Namespace" => core::Namespace;
    "", "Node" => core::Node;
    "", "Event" => core::Event;
    "", "ServiceAccount" => core::ServiceAccount;
    "", "PersistentVolume" => core::PersistentVolume;
    "", "PersistentVolumeClaim" => core::PersistentVolumeClaim;
    "", "ReplicationController" => core::ReplicationController;
    "", "Endpoints" => core::Endpoints;
    "", "LimitRange" => core::LimitRange;
    "", "ResourceQuota" => core::ResourceQuota;
    "", "PodTemplate" => core::PodTemplate;
    "apps", "Deployment" => apps::Deployment;
    "apps", "ReplicaSet" => apps::ReplicaSet;
    "apps", "StatefulSet" => apps::StatefulSet;
    "apps", "DaemonSet" => apps::DaemonSet;
    "apps", "ControllerRevision" => apps::ControllerRevision;
    "batch", "Job" => batch::Job;
    "batch", "CronJob" => batch::CronJob;
    "networking.k8s.io", "Ingress" => networking::Ingress;
    "networking.k8s.io", "NetworkPolicy" => networking::NetworkPolicy;
    "networking.k8s.io", "IngressClass" => networking::IngressClass;
    "policy", "PodDisruptionBudget" => policy::PodDisruptionBudget;
    "rbac.authorization.k8s.io", "Role" => rbac::Role;
    "rbac.authorization.k8s.io", "ClusterRole" => rbac::ClusterRole;
    "rbac.authorization.k8s.io", "RoleBinding" => rbac::RoleBinding;
    "rbac.authorization.k8s.io", "ClusterRoleBinding" => rbac::ClusterRoleBinding;
    "coordination.k8s.io", "Lease" => coordination::Lease;
    "discovery.k8s.io", "EndpointSlice" => discovery::EndpointSlice;
    "scheduling.k8s.io", "PriorityClass" => scheduling::PriorityClass;
    "events.k8s.io", "Event" => events::Event;
    "storage.k8s.io", "StorageClass" => storage::StorageClass;
}

/// Decode every item of a list reply into the type of its kind (the list's kind without
/// `List`).
pub fn decode_list(group: &str, list: &Value) -> Result<(), String> {
    let kind = list["kind"].as_str().unwrap_or("").trim_end_matches("List");
    for item in list["items"].as_array().into_iter().flatten() {
        decode(group, kind, item)?;
    }
    Ok(())
}
