//! The table of built-in resources the API server serves: one row per
//! resource with its kind, scope, verbs, short names, categories and
//! subresources. Routing, discovery and the OpenAPI documents all read it.

/// Verbs of a normal resource.
pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Verbs of a `status` or `scale` subresource.
pub const SUB_VERBS: &[&str] = &["get", "patch", "update"];

/// A subresource of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    /// `/status`: spec/status split.
    Status,
    /// `/scale`: the `autoscaling/v1 Scale` view.
    Scale,
    /// `pods/binding` (create only).
    Binding,
    /// `pods/eviction` (create only).
    Eviction,
    /// `namespaces/finalize` (update only): the namespace controller's way to
    /// change `spec.finalizers`.
    Finalize,
    /// `pods/ephemeralcontainers` (get, patch, update): adding ephemeral containers to a
    /// running pod, the only change it allows.
    EphemeralContainers,
}

impl Subresource {
    /// The URL segment.
    pub fn name(self) -> &'static str {
        match self {
            Subresource::Status => "status",
            Subresource::Scale => "scale",
            Subresource::Binding => "binding",
            Subresource::Finalize => "finalize",
            Subresource::EphemeralContainers => "ephemeralcontainers",
            Subresource::Eviction => "eviction",
        }
    }
    /// The verbs it allows.
    pub fn verbs(self) -> &'static [&'static str] {
        match self {
            Subresource::Status | Subresource::Scale | Subresource::EphemeralContainers => {
                SUB_VERBS
            }
            Subresource::Binding | Subresource::Eviction => &["create"],
            Subresource::Finalize => &["update"],
        }
    }
    /// (group, version, kind) of the object the subresource speaks.
    pub fn response_kind(self, parent: &ResourceInfo) -> (&str, &str, &str) {
        match self {
            Subresource::Status => (parent.group, parent.version, parent.kind),
            Subresource::Scale => ("autoscaling", "v1", "Scale"),
            Subresource::Binding => ("", "v1", "Binding"),
            Subresource::Finalize | Subresource::EphemeralContainers => {
                (parent.group, parent.version, parent.kind)
            }
            Subresource::Eviction => ("policy", "v1", "Eviction"),
        }
    }
}

/// One built-in resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group ("" for core).
    pub group: &'static str,
    /// Version served.
    pub version: &'static str,
    /// Plural resource name (URL segment).
    pub resource: &'static str,
    /// Singular name.
    pub singular: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Short names (`kubectl get deploy`).
    pub short_names: &'static [&'static str],
    /// Categories (`kubectl get all`).
    pub categories: &'static [&'static str],
    /// Subresources.
    pub subresources: &'static [Subresource],
    /// Verbs.
    pub verbs: &'static [&'static str],
}

impl ResourceInfo {
    /// `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// The storage key prefix of this resource, `/registry/<group>/<resource>/`
    /// (core resources use `/registry/<resource>/`, as kube-apiserver does).
    pub fn key_prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/registry/{}/", self.resource)
        } else {
            format!("/registry/{}/{}/", self.group, self.resource)
        }
    }
    /// True if the resource has this subresource.
    pub fn has(&self, s: Subresource) -> bool {
        self.subresources.contains(&s)
    }
    /// The `<resource>.<group>` form used in messages.
    pub fn group_resource(&self) -> apimachinery::GroupResource {
        apimachinery::GroupResource::new(self.group, self.resource)
    }
}

use Subresource::*;

macro_rules! res {
    ($g:expr, $v:expr, $r:expr, $s:expr, $k:expr, $ns:expr, [$($sn:expr),*], [$($cat:expr),*], [$($sub:expr),*]) => {
        ResourceInfo {
            group: $g, version: $v, resource: $r, singular: $s, kind: $k, namespaced: $ns,
            short_names: &[$($sn),*], categories: &[$($cat),*], subresources: &[$($sub),*], verbs: ALL_VERBS,
        }
    };
}

/// Every built-in resource, grouped by group-version in discovery order.
pub static RESOURCES: &[ResourceInfo] = &[
    // core/v1
    // no deletecollection, as upstream
    ResourceInfo {
        verbs: &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        ..res!(
            "",
            "v1",
            "namespaces",
            "namespace",
            "Namespace",
            false,
            ["ns"],
            [],
            [Status, Finalize]
        )
    },
    res!(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        ["po"],
        ["all"],
        [Status, Binding, Eviction, EphemeralContainers]
    ),
    res!(
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        ["svc"],
        ["all"],
        [Status]
    ),
    res!(
        "",
        "v1",
        "endpoints",
        "endpoints",
        "Endpoints",
        true,
        ["ep"],
        [],
        []
    ),
    res!(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        ["cm"],
        [],
        []
    ),
    res!("", "v1", "secrets", "secret", "Secret", true, [], [], []),
    res!(
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        ["sa"],
        [],
        []
    ),
    res!(
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        false,
        ["no"],
        [],
        [Status]
    ),
    res!(
        "",
        "v1",
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        false,
        ["pv"],
        [],
        [Status]
    ),
    res!(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        ["pvc"],
        [],
        [Status]
    ),
    res!("", "v1", "events", "event", "Event", true, ["ev"], [], []),
    res!(
        "",
        "v1",
        "limitranges",
        "limitrange",
        "LimitRange",
        true,
        ["limits"],
        [],
        []
    ),
    res!(
        "",
        "v1",
        "podtemplates",
        "podtemplate",
        "PodTemplate",
        true,
        [],
        [],
        []
    ),
    res!(
        "",
        "v1",
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        true,
        ["quota"],
        [],
        [Status]
    ),
    res!(
        "",
        "v1",
        "replicationcontrollers",
        "replicationcontroller",
        "ReplicationController",
        true,
        ["rc"],
        ["all"],
        [Status, Scale]
    ),
    // deprecated, served: computed on every read, never stored
    ResourceInfo {
        group: "",
        version: "v1",
        resource: "componentstatuses",
        singular: "componentstatus",
        kind: "ComponentStatus",
        namespaced: false,
        short_names: &["cs"],
        categories: &[],
        subresources: &[],
        verbs: &["get", "list"],
    },
    // apiregistration.k8s.io/v1 (first of the named groups, as upstream's priorities order them)
    res!(
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "apiservice",
        "APIService",
        false,
        [],
        ["api-extensions"],
        [Status]
    ),
    // apps/v1
    res!(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        ["deploy"],
        ["all"],
        [Status, Scale]
    ),
    res!(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        ["rs"],
        ["all"],
        [Status, Scale]
    ),
    res!(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        ["sts"],
        ["all"],
        [Status, Scale]
    ),
    res!(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        ["ds"],
        ["all"],
        [Status]
    ),
    res!(
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        "ControllerRevision",
        true,
        [],
        [],
        []
    ),
    // batch/v1
    res!(
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        true,
        [],
        ["all"],
        [Status]
    ),
    res!(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        ["cj"],
        ["all"],
        [Status]
    ),
    // autoscaling
    res!(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        ["hpa"],
        ["all"],
        [Status]
    ),
    res!(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        ["hpa"],
        ["all"],
        [Status]
    ),
    // networking.k8s.io/v1
    res!(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
        ["ing"],
        [],
        [Status]
    ),
    res!(
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "ingressclass",
        "IngressClass",
        false,
        [],
        [],
        []
    ),
    res!(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        true,
        ["netpol"],
        [],
        []
    ),
    // policy/v1
    res!(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        true,
        ["pdb"],
        [],
        [Status]
    ),
    // rbac.authorization.k8s.io/v1
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
        [],
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        [],
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        [],
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        [],
        [],
        []
    ),
    // coordination.k8s.io/v1
    res!(
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        "Lease",
        true,
        [],
        [],
        []
    ),
    // discovery.k8s.io/v1
    res!(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        true,
        [],
        [],
        []
    ),
    // scheduling.k8s.io/v1
    res!(
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "priorityclass",
        "PriorityClass",
        false,
        ["pc"],
        [],
        []
    ),
    // storage.k8s.io/v1
    res!(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "storageclass",
        "StorageClass",
        false,
        ["sc"],
        [],
        []
    ),
    res!(
        "storage.k8s.io",
        "v1",
        "csidrivers",
        "csidriver",
        "CSIDriver",
        false,
        [],
        [],
        []
    ),
    // events.k8s.io/v1
    res!(
        "events.k8s.io",
        "v1",
        "events",
        "event",
        "Event",
        true,
        ["ev"],
        [],
        []
    ),
];

/// Find a resource by group, version and plural name.
pub fn lookup(group: &str, version: &str, resource: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.resource == resource)
}

/// Find a resource by group, version and kind.
pub fn lookup_kind(group: &str, version: &str, kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.kind == kind)
}

/// The served group-versions, in discovery order, each with its preferred version first.
/// Returns `(group, [versions])`.
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in RESOURCES {
        match out.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, vs)) => {
                if !vs.contains(&r.version) {
                    vs.push(r.version)
                }
            }
            None => out.push((r.group, vec![r.version])),
        }
    }
    // as upstream's aggregator orders discovery: groups by their APIServices' group
    // priority, versions by version priority (highest first; stable for ties)
    for (g, vs) in out.iter_mut() {
        vs.sort_by_key(|v| std::cmp::Reverse(api_service_priority(g, v).1));
    }
    out.sort_by_key(|(g, vs)| std::cmp::Reverse(api_service_priority(g, vs[0]).0));
    out
}

/// Upstream's APIService priorities of the built-in group-versions:
/// `(groupPriorityMinimum, versionPriority)` (kube-apiserver's `apiVersionPriorities`
/// and the generic ones it merges in; `apiregistration.k8s.io` is the aggregator's own).
pub fn api_service_priority(group: &str, version: &str) -> (i32, i32) {
    match (group, version) {
        ("", "v1") => (18000, 1),
        ("apiregistration.k8s.io", "v1") => (18000, 15),
        ("apps", "v1") => (17800, 15),
        ("events.k8s.io", "v1") => (17750, 15),
        ("authentication.k8s.io", "v1") => (17700, 15),
        ("authorization.k8s.io", "v1") => (17600, 15),
        ("autoscaling", "v2") => (17500, 30),
        ("autoscaling", "v1") => (17500, 15),
        ("batch", "v1") => (17400, 15),
        ("certificates.k8s.io", "v1") => (17300, 15),
        ("networking.k8s.io", "v1") => (17200, 15),
        ("policy", "v1") => (17100, 15),
        ("rbac.authorization.k8s.io", "v1") => (17000, 15),
        ("storage.k8s.io", "v1") => (16800, 15),
        ("apiextensions.k8s.io", "v1") => (16700, 15),
        ("admissionregistration.k8s.io", "v1") => (16700, 15),
        ("scheduling.k8s.io", "v1") => (16600, 15),
        ("coordination.k8s.io", "v1") => (16500, 15),
        ("node.k8s.io", "v1") => (16300, 15),
        ("discovery.k8s.io", "v1") => (16200, 15),
        ("flowcontrol.apiserver.k8s.io", "v1") => (16100, 21),
        ("resource.k8s.io", "v1") => (15900, 15),
        // "if unsure, below the rest, version 9"
        _ => (15000, 9),
    }
}

/// The resources of one group-version.
pub fn resources_of(group: &str, version: &str) -> impl Iterator<Item = &'static ResourceInfo> {
    let (g, v) = (group.to_string(), version.to_string());
    RESOURCES
        .iter()
        .filter(move |r| r.group == g && r.version == v)
}

/// Resources that store the same objects under another version (HPA v1 and v2
/// share one key space; events.k8s.io and core events too). Returns the resource
/// whose key prefix holds the data.
pub fn storage_resource(r: &'static ResourceInfo) -> &'static ResourceInfo {
    match (r.group, r.resource) {
        ("autoscaling", "horizontalpodautoscalers") => {
            lookup("autoscaling", "v2", "horizontalpodautoscalers").unwrap_or(r)
        }
        // events.k8s.io/v1 is a view of the core events (stored as core/v1 Event)
        ("events.k8s.io", "events") => lookup("", "v1", "events").unwrap_or(r),
        _ => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apimachinery::{Gvk, Schema};

    #[test]
    fn every_kind_has_a_schema() {
        for r in RESOURCES {
            assert!(
                Schema::builtin()
                    .for_gvk(&Gvk::new(r.group, r.version, r.kind))
                    .is_some(),
                "{}",
                r.kind
            );
        }
    }

    #[test]
    fn groups_list_autoscaling_v2_first() {
        let g = groups();
        assert_eq!(g[0], ("", vec!["v1"]));
        assert_eq!(
            g.iter().find(|(g, _)| *g == "autoscaling").unwrap().1,
            vec!["v2", "v1"]
        );
    }
}
