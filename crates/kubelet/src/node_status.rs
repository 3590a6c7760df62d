//! The Node this agent registers and the status it reports, as upstream's kubelet
//! builds them (`pkg/kubelet/kubelet_node_status.go`, `nodestatus/setters.go`): labels,
//! capacity and allocatable (upstream's default eviction threshold of 100Mi memory and
//! 10% of the disk taken off), addresses, `nodeInfo`, the daemon endpoint and the four
//! conditions. Pure: the clock and the machine come in as arguments.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use crate::host::HostFacts;

/// Pods a node runs at most (upstream's `--max-pods` default).
pub const MAX_PODS: u64 = 110;
/// The port the agent's API listens on (upstream's kubelet port).
pub const KUBELET_PORT: i32 = 10250;
/// Memory kept back from allocatable (upstream's `memory.available<100Mi` hard eviction).
const EVICTION_MEMORY_BYTES: u64 = 100 * 1024 * 1024;
/// The `kubeletVersion` reported in `nodeInfo`.
pub const KUBELET_VERSION: &str = concat!("v1.37.0+capstan-", env!("CARGO_PKG_VERSION"));

/// The labels upstream's kubelet puts on its Node.
pub fn labels(name: &str, facts: &HostFacts) -> BTreeMap<String, String> {
    [
        ("beta.kubernetes.io/arch", facts.architecture.as_str()),
        ("beta.kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", facts.architecture.as_str()),
        ("kubernetes.io/hostname", name),
        ("kubernetes.io/os", "linux"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Capacity and allocatable.
pub fn resources(facts: &HostFacts) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
    let q = |s: String| Quantity(s);
    let mut capacity = BTreeMap::from([
        ("cpu".to_string(), q(facts.cpus.to_string())),
        (
            "memory".into(),
            q(format!("{}Ki", facts.memory_bytes / 1024)),
        ),
        (
            "ephemeral-storage".into(),
            q(format!("{}Ki", facts.ephemeral_storage_bytes / 1024)),
        ),
        ("pods".into(), q(MAX_PODS.to_string())),
    ]);
    for (size, bytes) in &facts.hugepages {
        capacity.insert(format!("hugepages-{size}"), q(bytes.to_string()));
    }
    let mut allocatable = capacity.clone();
    // huge pages are not part of the memory left for pods
    let huge: u64 = facts.hugepages.iter().map(|(_, b)| b).sum();
    let memory = facts
        .memory_bytes
        .saturating_sub(EVICTION_MEMORY_BYTES)
        .saturating_sub(huge);
    allocatable.insert("memory".into(), q(format!("{}Ki", memory / 1024)));
    // `nodefs.available<10%`: the eviction threshold, in bytes as upstream writes it
    let disk = facts.ephemeral_storage_bytes - facts.ephemeral_storage_bytes / 10;
    allocatable.insert("ephemeral-storage".into(), q(disk.to_string()));
    (capacity, allocatable)
}

/// The addresses: the internal IP, then the host name.
pub fn addresses(name: &str, facts: &HostFacts) -> Vec<NodeAddress> {
    let mut a = Vec::new();
    if let Some(ip) = facts.internal_ip {
        a.push(NodeAddress {
            type_: "InternalIP".into(),
            address: ip.to_string(),
        });
    }
    a.push(NodeAddress {
        type_: "Hostname".into(),
        address: name.to_string(),
    });
    a
}

/// `nodeInfo`, with the runtime's `name://version`.
pub fn node_info(facts: &HostFacts, runtime_version: &str) -> NodeSystemInfo {
    NodeSystemInfo {
        architecture: facts.architecture.clone(),
        boot_id: facts.boot_id.clone(),
        container_runtime_version: runtime_version.to_string(),
        kernel_version: facts.kernel_version.clone(),
        kube_proxy_version: String::new(),
        kubelet_version: KUBELET_VERSION.to_string(),
        machine_id: facts.machine_id.clone(),
        operating_system: "linux".into(),
        os_image: facts.os_image.clone(),
        system_uuid: facts.system_uuid.clone(),
        ..Default::default()
    }
}

/// What the agent knows about its own health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    /// The runtime answers and the agent syncs pods.
    pub ready: bool,
    /// Memory below the eviction threshold.
    pub memory_pressure: bool,
    /// Disk below the eviction threshold.
    pub disk_pressure: bool,
    /// Too few PIDs left.
    pub pid_pressure: bool,
}

impl Health {
    /// A healthy node.
    pub const OK: Health = Health {
        ready: true,
        memory_pressure: false,
        disk_pressure: false,
        pid_pressure: false,
    };
}

/// The four conditions upstream reports, heartbeat `now`; a condition whose status did
/// not change keeps its `lastTransitionTime` from `old`.
pub fn conditions(health: Health, now: Timestamp, old: &[NodeCondition]) -> Vec<NodeCondition> {
    let cond =
        |ty: &str, on: bool, (t_reason, t_msg): (&str, &str), (f_reason, f_msg): (&str, &str)| {
            let status = if on { "True" } else { "False" };
            let (reason, message) = if on {
                (t_reason, t_msg)
            } else {
                (f_reason, f_msg)
            };
            let transition = old
                .iter()
                .find(|c| c.type_ == ty && c.status == status)
                .and_then(|c| c.last_transition_time.clone())
                .unwrap_or(Time(now));
            NodeCondition {
                type_: ty.into(),
                status: status.into(),
                reason: Some(reason.into()),
                message: Some(message.into()),
                last_heartbeat_time: Some(Time(now)),
                last_transition_time: Some(transition),
            }
        };
    vec![
        cond(
            "MemoryPressure",
            health.memory_pressure,
            (
                "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available",
            ),
            (
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
        ),
        cond(
            "DiskPressure",
            health.disk_pressure,
            ("KubeletHasDiskPressure", "kubelet has disk pressure"),
            ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ),
        cond(
            "PIDPressure",
            health.pid_pressure,
            (
                "KubeletHasInsufficientPID",
                "kubelet has insufficient PID available",
            ),
            (
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
        ),
        cond(
            "Ready",
            health.ready,
            ("KubeletReady", "kubelet is posting ready status"),
            ("KubeletNotReady", "container runtime is not ready"),
        ),
    ]
}

/// The whole status.
pub fn status(
    name: &str,
    facts: &HostFacts,
    runtime_version: &str,
    health: Health,
    now: Timestamp,
    old: Option<&NodeStatus>,
) -> NodeStatus {
    let (capacity, allocatable) = resources(facts);
    let old_conditions = old.and_then(|s| s.conditions.clone()).unwrap_or_default();
    NodeStatus {
        addresses: Some(addresses(name, facts)),
        allocatable: Some(allocatable),
        capacity: Some(capacity),
        conditions: Some(conditions(health, now, &old_conditions)),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint { port: KUBELET_PORT }),
        }),
        node_info: Some(node_info(facts, runtime_version)),
        // kept from what is stored: images and volumes are reported by their managers
        images: old.and_then(|s| s.images.clone()),
        volumes_attached: old.and_then(|s| s.volumes_attached.clone()),
        volumes_in_use: old.and_then(|s| s.volumes_in_use.clone()),
        ..Default::default()
    }
}

/// The Node to register.
pub fn node(name: &str, facts: &HostFacts, runtime_version: &str, now: Timestamp) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels(name, facts)),
            annotations: Some(BTreeMap::from([(
                "volumes.kubernetes.io/controller-managed-attach-detach".to_string(),
                "true".to_string(),
            )])),
            ..Default::default()
        },
        spec: None,
        status: Some(status(name, facts, runtime_version, Health::OK, now, None)),
    }
}

/// True if `new` differs from `old` in anything but heartbeat times: worth posting now
/// rather than at the next periodic report.
pub fn changed(old: &NodeStatus, new: &NodeStatus) -> bool {
    let strip = |s: &NodeStatus| {
        let mut s = s.clone();
        for c in s.conditions.iter_mut().flatten() {
            c.last_heartbeat_time = None;
        }
        s
    };
    strip(old) != strip(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> HostFacts {
        HostFacts {
            cpus: 2,
            memory_bytes: 4 * 1024 * 1024 * 1024,
            ephemeral_storage_bytes: 100 * 1024 * 1024 * 1024,
            hugepages: vec![("1Gi".into(), 0), ("2Mi".into(), 0)],
            kernel_version: "6.1.0".into(),
            os_image: "Debian GNU/Linux 12 (bookworm)".into(),
            machine_id: "m".into(),
            system_uuid: "u".into(),
            boot_id: "b".into(),
            architecture: "amd64".into(),
            hostname: "h".into(),
            internal_ip: Some("10.0.0.5".parse().unwrap()),
        }
    }

    #[test]
    fn capacity_and_allocatable_as_upstream_computes_them() {
        let (cap, alloc) = resources(&facts());
        assert_eq!(cap["cpu"].0, "2");
        assert_eq!(cap["memory"].0, "4194304Ki");
        assert_eq!(cap["pods"].0, "110");
        assert_eq!(cap["hugepages-2Mi"].0, "0");
        assert_eq!(alloc["memory"].0, "4091904Ki");
        assert_eq!(alloc["ephemeral-storage"].0, "96636764160");
        assert_eq!(alloc["cpu"], cap["cpu"]);
    }

    #[test]
    fn conditions_keep_their_transition_time_until_they_change() {
        let t0 = Timestamp::from_second(1_000).unwrap();
        let t1 = Timestamp::from_second(2_000).unwrap();
        let first = conditions(Health::OK, t0, &[]);
        let ready = first.iter().find(|c| c.type_ == "Ready").unwrap();
        assert_eq!(ready.reason.as_deref(), Some("KubeletReady"));
        let second = conditions(Health::OK, t1, &first);
        assert_eq!(second[3].last_transition_time, Some(Time(t0)));
        assert_eq!(second[3].last_heartbeat_time, Some(Time(t1)));
        let down = conditions(
            Health {
                ready: false,
                ..Health::OK
            },
            t1,
            &first,
        );
        assert_eq!(down[3].status, "False");
        assert_eq!(down[3].last_transition_time, Some(Time(t1)));
    }

    #[test]
    fn only_a_real_change_is_a_change() {
        let t0 = Timestamp::from_second(1_000).unwrap();
        let t1 = Timestamp::from_second(2_000).unwrap();
        let a = status("n", &facts(), "hollow://0.1.0", Health::OK, t0, None);
        let b = status("n", &facts(), "hollow://0.1.0", Health::OK, t1, Some(&a));
        assert!(!changed(&a, &b));
        let mut f = facts();
        f.cpus = 4;
        let c = status("n", &f, "hollow://0.1.0", Health::OK, t1, Some(&a));
        assert!(changed(&a, &c));
    }
}
