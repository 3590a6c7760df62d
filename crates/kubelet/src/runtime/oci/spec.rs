//! A container's OCI runtime configuration (`config.json`) from what the pod asks for,
//! as containerd's CRI plugin writes it: the process (arguments resolved against the
//! image as Kubernetes does, environment with `$(VAR)` expansion, user, working
//! directory), the root filesystem, the namespaces (joined from the pod sandbox where it
//! has them), containerd's default capabilities, CPU and memory limits converted as the
//! kubelet converts them, and the standard mounts. Pure: no file is written here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde_json::{Value, json};

/// containerd's default capabilities for a container that is not privileged.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// The CFS period the kubelet uses (100 ms).
pub const CPU_PERIOD_US: u64 = 100_000;

/// Kubernetes' rule for what runs: `command` replaces the image's entrypoint and `args`
/// its cmd; `args` alone keeps the entrypoint; neither runs the image's entrypoint + cmd.
pub fn resolve_args(
    image_entrypoint: &[String],
    image_cmd: &[String],
    command: &[String],
    args: &[String],
) -> Vec<String> {
    match (command.is_empty(), args.is_empty()) {
        (false, _) => command.iter().chain(args).cloned().collect(),
        (true, false) => image_entrypoint.iter().chain(args).cloned().collect(),
        (true, true) => image_entrypoint.iter().chain(image_cmd).cloned().collect(),
    }
}

/// Kubernetes' `$(VAR)` expansion: a defined `$(VAR)` is replaced, `$$` is a literal
/// `$`, anything else (an undefined or unterminated reference) stays as written.
pub fn expand(s: &str, vars: &BTreeMap<String, String>) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            if b[i + 1] == b'$' {
                out.push('$');
                i += 2;
                continue;
            }
            if b[i + 1] == b'('
                && let Some(end) = s[i + 2..].find(')')
            {
                let name = &s[i + 2..i + 2 + end];
                match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&s[i..i + 3 + end]),
                }
                i += 3 + end;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// CPU limits in cgroup terms from a request and a limit in millicores, as the kubelet
/// converts them: shares from the request (at least 2), quota from the limit (at least
/// 1 ms per period).
pub fn cpu(request_millis: Option<u64>, limit_millis: Option<u64>) -> (u64, Option<i64>) {
    let shares = request_millis.map_or(2, |m| (m * 1024 / 1000).max(2));
    let quota = limit_millis
        .map(|m| i64::try_from((m * CPU_PERIOD_US / 1000).max(1000)).unwrap_or(i64::MAX));
    (shares, quota)
}

/// What a container's configuration is made from.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    /// The process' arguments (already resolved and expanded).
    pub args: Vec<String>,
    /// `NAME=value` entries.
    pub env: Vec<String>,
    /// Working directory (`/` when empty).
    pub cwd: String,
    /// User and group.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// The root filesystem (the snapshot's merged directory).
    pub rootfs: PathBuf,
    /// Mount it read-only.
    pub readonly_rootfs: bool,
    /// The pod's host name.
    pub hostname: String,
    /// Namespaces to join (type, e.g. `network`, and path); the others are new, except
    /// `network` when `host_network` is set, which is the host's.
    pub join: Vec<(String, PathBuf)>,
    /// Share the host's network namespace.
    pub host_network: bool,
    /// The cgroup (relative to the hierarchy roots).
    pub cgroups_path: String,
    /// CPU shares and quota ([`cpu`]).
    pub cpu: (u64, Option<i64>),
    /// Memory limit in bytes.
    pub memory_limit: Option<i64>,
    /// All capabilities, host devices, no masked paths.
    pub privileged: bool,
    /// Capabilities added to and dropped from the defaults (`CAP_` names or bare).
    pub add_capabilities: Vec<String>,
    /// Dropped (`ALL` drops every default).
    pub drop_capabilities: Vec<String>,
    /// `allowPrivilegeEscalation: false` (no_new_privileges).
    pub no_new_privileges: bool,
}

fn cap_name(c: &str) -> String {
    if c.starts_with("CAP_") {
        c.to_string()
    } else {
        format!("CAP_{}", c.to_ascii_uppercase())
    }
}

/// The effective capability set.
fn capabilities(s: &ContainerSpec) -> Vec<String> {
    let drop: Vec<String> = s.drop_capabilities.iter().map(|c| cap_name(c)).collect();
    let mut caps: Vec<String> = if drop.iter().any(|c| c == "CAP_ALL") {
        Vec::new()
    } else {
        DEFAULT_CAPABILITIES
            .iter()
            .map(|c| c.to_string())
            .filter(|c| !drop.contains(c))
            .collect()
    };
    for a in &s.add_capabilities {
        let a = cap_name(a);
        if !caps.contains(&a) {
            caps.push(a);
        }
    }
    caps
}

/// The whole `config.json`.
pub fn build(s: &ContainerSpec) -> Result<Spec, serde_json::Error> {
    let mut v: Value = serde_json::to_value(Spec::default())?;
    let caps = capabilities(s);
    v["hostname"] = json!(s.hostname);
    v["root"] = json!({"path": s.rootfs, "readonly": s.readonly_rootfs});
    v["process"] = json!({
        "terminal": false,
        "user": {"uid": s.uid, "gid": s.gid},
        "args": s.args,
        "env": s.env,
        "cwd": if s.cwd.is_empty() { "/" } else { s.cwd.as_str() },
        "noNewPrivileges": s.no_new_privileges,
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    });
    let mut namespaces = vec![];
    for ty in ["pid", "ipc", "uts", "mount", "network"] {
        if ty == "network" && s.host_network {
            continue;
        }
        match s.join.iter().find(|(t, _)| t == ty) {
            Some((_, p)) => namespaces.push(json!({"type": ty, "path": p})),
            None => namespaces.push(json!({"type": ty})),
        }
    }
    v["linux"]["namespaces"] = json!(namespaces);
    v["linux"]["cgroupsPath"] = json!(s.cgroups_path);
    let mut resources = json!({"devices": [{"allow": false, "access": "rwm"}],
        "cpu": {"shares": s.cpu.0, "period": CPU_PERIOD_US}});
    if let Some(q) = s.cpu.1 {
        resources["cpu"]["quota"] = json!(q);
    }
    if let Some(m) = s.memory_limit {
        resources["memory"] = json!({"limit": m});
    }
    v["linux"]["resources"] = resources;
    if s.privileged {
        v["linux"]["maskedPaths"] = json!([]);
        v["linux"]["readonlyPaths"] = json!([]);
    }
    serde_json::from_value(v)
}

/// Where a container's bundle lives under the runtime's state directory.
pub fn bundle_dir(state: &Path, container_id: &str) -> PathBuf {
    state.join("containers").join(container_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn command_and_args_follow_kubernetes_rules() {
        let (ep, cmd) = (v(&["/entry"]), v(&["default"]));
        assert_eq!(resolve_args(&ep, &cmd, &[], &[]), v(&["/entry", "default"]));
        assert_eq!(
            resolve_args(&ep, &cmd, &[], &v(&["a"])),
            v(&["/entry", "a"])
        );
        assert_eq!(resolve_args(&ep, &cmd, &v(&["sh"]), &[]), v(&["sh"]));
        assert_eq!(
            resolve_args(&ep, &cmd, &v(&["sh", "-c"]), &v(&["x"])),
            v(&["sh", "-c", "x"])
        );
    }

    #[test]
    fn variables_expand_as_kubernetes_expands_them() {
        let vars = BTreeMap::from([
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "two".to_string()),
        ]);
        assert_eq!(expand("$(A)-$(B)", &vars), "1-two");
        assert_eq!(expand("$(C)", &vars), "$(C)");
        assert_eq!(expand("$$(A)", &vars), "$(A)");
        assert_eq!(expand("$(A", &vars), "$(A");
        assert_eq!(expand("cost $5 é $(A)", &vars), "cost $5 é 1");
    }

    #[test]
    fn cpu_is_converted_as_the_kubelet_converts_it() {
        assert_eq!(cpu(Some(250), Some(500)), (256, Some(50_000)));
        assert_eq!(cpu(None, None), (2, None));
        assert_eq!(cpu(Some(1), Some(1)), (2, Some(1000)));
    }

    #[test]
    fn a_config_with_joined_namespaces_limits_and_capabilities() {
        let s = ContainerSpec {
            args: v(&["sh", "-c", "exit 3"]),
            env: v(&["PATH=/bin"]),
            rootfs: PathBuf::from("/c/rootfs"),
            hostname: "web".into(),
            join: vec![("network".into(), PathBuf::from("/run/netns/p1"))],
            cgroups_path: "/capstan/pod-u/c1".into(),
            cpu: cpu(Some(250), Some(500)),
            memory_limit: Some(64 << 20),
            add_capabilities: v(&["NET_ADMIN"]),
            drop_capabilities: v(&["MKNOD"]),
            ..Default::default()
        };
        let spec = build(&s).unwrap();
        let j = serde_json::to_value(&spec).unwrap();
        assert_eq!(j["process"]["args"], json!(["sh", "-c", "exit 3"]));
        assert_eq!(j["process"]["cwd"], "/");
        assert_eq!(j["hostname"], "web");
        assert_eq!(j["root"]["path"], "/c/rootfs");
        let ns = j["linux"]["namespaces"].as_array().unwrap();
        assert!(ns.contains(&json!({"type": "network", "path": "/run/netns/p1"})));
        assert!(ns.contains(&json!({"type": "pid"})));
        assert_eq!(j["linux"]["resources"]["cpu"]["quota"], 50_000);
        assert_eq!(j["linux"]["resources"]["memory"]["limit"], 64 << 20);
        let caps = j["process"]["capabilities"]["bounding"].as_array().unwrap();
        assert!(caps.contains(&json!("CAP_NET_ADMIN")) && !caps.contains(&json!("CAP_MKNOD")));
        assert!(
            j["mounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["destination"] == "/proc")
        );
        let host = build(&ContainerSpec {
            host_network: true,
            drop_capabilities: v(&["ALL"]),
            ..s
        })
        .unwrap();
        let j = serde_json::to_value(&host).unwrap();
        assert!(
            !j["linux"]["namespaces"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["type"] == "network")
        );
        assert_eq!(
            j["process"]["capabilities"]["bounding"],
            json!(["CAP_NET_ADMIN"])
        );
    }
}
