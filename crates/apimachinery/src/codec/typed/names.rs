//! Go's names for the types and fields of built-in kinds, where upstream's decoding errors
//! print them: `reflect.Type.String()` of a field's type (`map[string]string`,
//! `[]v1.Container`, `types.UID`), and the Go name of an inline struct a field is promoted
//! from. The schema gives most of it; named scalar types and inline structs are not in the
//! OpenAPI data, so the ones of the commonly written kinds are listed here.

use crate::schema::Type;

/// Go's `reflect.Type.String()` of the type a schema type decodes into (pointers never
/// show: the decoder allocates them before it fails).
pub(super) fn type_name(ty: &Type) -> String {
    match ty {
        Type::Ref(n) => go_name(n),
        Type::String(Some(f)) if f == "byte" => "[]uint8".into(),
        Type::String(_) => "string".into(),
        Type::Integer(Some(f)) if f == "int32" || f == "uint8" => f.clone(),
        Type::Integer(_) => "int64".into(),
        Type::Number => "float64".into(),
        Type::Boolean => "bool".into(),
        Type::Array(inner) => format!("[]{}", type_name(inner)),
        Type::Map(inner) => format!("map[string]{}", type_name(inner)),
        Type::Object | Type::Scalar | Type::Any => "interface {}".into(),
    }
}

/// A Go package-qualified type name from a definition name
/// (`io.k8s.api.core.v1.PodSpec` -> `v1.PodSpec`).
fn go_name(def: &str) -> String {
    let mut it = def.rsplit('.');
    let ty = it.next().unwrap_or(def);
    match it.next() {
        Some(pkg) => format!("{pkg}.{ty}"),
        None => ty.to_string(),
    }
}

/// The bare struct name of a definition (`ObjectMeta`).
pub(super) fn short_name(def: &str) -> &str {
    def.rsplit('.').next().unwrap_or(def)
}

/// The Go type of a struct field that is a named type the schema does not show.
pub(super) fn field_type(strukt: &str, field: &str) -> Option<&'static str> {
    NAMED_FIELD_TYPES
        .iter()
        .find(|(s, f, _)| *f == field && *s == strukt)
        .map(|(_, _, t)| *t)
}

/// Strip `n` list or map levels off a Go type name (`[]v1.Capability` -> `v1.Capability`,
/// `v1.ResourceList` -> `resource.Quantity`).
pub(super) fn strip_levels(mut t: &str, n: usize) -> String {
    for _ in 0..n {
        t = match t {
            "v1.ResourceList" => "resource.Quantity",
            _ => t
                .strip_prefix("[]")
                .or_else(|| t.strip_prefix("map[string]"))
                .unwrap_or(t),
        };
    }
    t.to_string()
}

/// The Go name of the inline (embedded) struct that field `field` of `strukt` is promoted
/// from, which Go's decoder puts in its field path (`spec.volumes.VolumeSource.configMap`).
pub(super) fn promoted_from(strukt: &str, field: &str) -> Option<&'static str> {
    match strukt {
        "io.k8s.api.core.v1.Volume" if field != "name" => Some("VolumeSource"),
        "io.k8s.api.core.v1.Probe"
            if matches!(field, "exec" | "httpGet" | "tcpSocket" | "grpc") =>
        {
            Some("ProbeHandler")
        }
        "io.k8s.api.core.v1.EphemeralContainer" if field != "targetContainerName" => {
            Some("EphemeralContainerCommon")
        }
        "io.k8s.api.core.v1.PersistentVolumeSpec" if PV_SOURCES.contains(&field) => {
            Some("PersistentVolumeSource")
        }
        _ => None,
    }
}

const PV_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "glusterfs",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
];

/// Fields whose Go type is a named type (definition, JSON field, Go type).
const NAMED_FIELD_TYPES: &[(&str, &str, &str)] = &[
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "uid",
        "types.UID",
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
        "uid",
        "types.UID",
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
        "operation",
        "v1.ManagedFieldsOperationType",
    ),
    ("io.k8s.api.core.v1.Secret", "type", "v1.SecretType"),
    (
        "io.k8s.api.core.v1.ContainerPort",
        "protocol",
        "v1.Protocol",
    ),
    ("io.k8s.api.core.v1.ServicePort", "protocol", "v1.Protocol"),
    (
        "io.k8s.api.core.v1.Container",
        "imagePullPolicy",
        "v1.PullPolicy",
    ),
    (
        "io.k8s.api.core.v1.Container",
        "terminationMessagePolicy",
        "v1.TerminationMessagePolicy",
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "restartPolicy",
        "v1.RestartPolicy",
    ),
    ("io.k8s.api.core.v1.PodSpec", "dnsPolicy", "v1.DNSPolicy"),
    (
        "io.k8s.api.core.v1.PodSpec",
        "preemptionPolicy",
        "v1.PreemptionPolicy",
    ),
    ("io.k8s.api.core.v1.PodStatus", "phase", "v1.PodPhase"),
    ("io.k8s.api.core.v1.PodStatus", "qosClass", "v1.PodQOSClass"),
    (
        "io.k8s.api.core.v1.PodCondition",
        "type",
        "v1.PodConditionType",
    ),
    (
        "io.k8s.api.core.v1.PodCondition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "io.k8s.api.core.v1.NodeCondition",
        "type",
        "v1.NodeConditionType",
    ),
    (
        "io.k8s.api.core.v1.NodeCondition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "io.k8s.api.core.v1.NamespaceStatus",
        "phase",
        "v1.NamespacePhase",
    ),
    (
        "io.k8s.api.core.v1.NamespaceSpec",
        "finalizers",
        "[]v1.FinalizerName",
    ),
    ("io.k8s.api.core.v1.ServiceSpec", "type", "v1.ServiceType"),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "sessionAffinity",
        "v1.ServiceAffinity",
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "externalTrafficPolicy",
        "v1.ServiceExternalTrafficPolicy",
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "internalTrafficPolicy",
        "v1.ServiceInternalTrafficPolicy",
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ipFamilies",
        "[]v1.IPFamily",
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ipFamilyPolicy",
        "v1.IPFamilyPolicy",
    ),
    ("io.k8s.api.core.v1.Capabilities", "add", "[]v1.Capability"),
    ("io.k8s.api.core.v1.Capabilities", "drop", "[]v1.Capability"),
    (
        "io.k8s.api.core.v1.Toleration",
        "operator",
        "v1.TolerationOperator",
    ),
    ("io.k8s.api.core.v1.Toleration", "effect", "v1.TaintEffect"),
    ("io.k8s.api.core.v1.Taint", "effect", "v1.TaintEffect"),
    (
        "io.k8s.api.core.v1.ResourceRequirements",
        "limits",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.ResourceRequirements",
        "requests",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.NodeStatus",
        "capacity",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.NodeStatus",
        "allocatable",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.ResourceQuotaSpec",
        "hard",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.ResourceQuotaStatus",
        "hard",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.ResourceQuotaStatus",
        "used",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        "accessModes",
        "[]v1.PersistentVolumeAccessMode",
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeSpec",
        "capacity",
        "v1.ResourceList",
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeSpec",
        "accessModes",
        "[]v1.PersistentVolumeAccessMode",
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStrategy",
        "type",
        "v1.DeploymentStrategyType",
    ),
    (
        "io.k8s.api.apps.v1.DeploymentCondition",
        "type",
        "v1.DeploymentConditionType",
    ),
    (
        "io.k8s.api.apps.v1.DeploymentCondition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetSpec",
        "podManagementPolicy",
        "v1.PodManagementPolicyType",
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetUpdateStrategy",
        "type",
        "v1.DaemonSetUpdateStrategyType",
    ),
    (
        "io.k8s.api.batch.v1.JobCondition",
        "type",
        "v1.JobConditionType",
    ),
    (
        "io.k8s.api.batch.v1.JobCondition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "io.k8s.api.batch.v1.JobSpec",
        "completionMode",
        "v1.CompletionMode",
    ),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        "concurrencyPolicy",
        "v1.ConcurrencyPolicy",
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
        "status",
        "v1.ConditionStatus",
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
        "operator",
        "v1.LabelSelectorOperator",
    ),
];
