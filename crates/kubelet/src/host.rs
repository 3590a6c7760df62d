//! What the machine is: CPUs, memory, disk under the data dir, huge pages, kernel, OS
//! image and identities, read from `/proc`, `/sys` and `/etc` as upstream's kubelet
//! (through cAdvisor) reads them. The only IO of node registration; everything built
//! from it ([`crate::node_status`]) is pure.

use std::net::IpAddr;
use std::path::Path;

/// The facts a Node's capacity and `nodeInfo` are built from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostFacts {
    /// Online CPUs.
    pub cpus: u64,
    /// `MemTotal`, bytes.
    pub memory_bytes: u64,
    /// Size of the file system holding the data dir, bytes.
    pub ephemeral_storage_bytes: u64,
    /// Huge page sizes (`2Mi`, `1Gi`) with the bytes reserved in each.
    pub hugepages: Vec<(String, u64)>,
    /// `uname -r`.
    pub kernel_version: String,
    /// `PRETTY_NAME` of os-release.
    pub os_image: String,
    /// `/etc/machine-id`.
    pub machine_id: String,
    /// The DMI product UUID, else the machine id.
    pub system_uuid: String,
    /// This boot's id.
    pub boot_id: String,
    /// Go's name of the architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// The host name.
    pub hostname: String,
    /// The address other nodes and the API server reach this one at.
    pub internal_ip: Option<IpAddr>,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A `/proc/meminfo` field in bytes (the file gives kB).
fn meminfo(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// `PRETTY_NAME` from an os-release file.
fn pretty_name(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|l| {
        let v = l.strip_prefix("PRETTY_NAME=")?;
        Some(v.trim_matches('"').to_string())
    })
}

/// Go's `GOARCH` for Rust's `target_arch`.
pub fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The huge page sizes the kernel supports and what is reserved in each
/// (`/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages`), as `2Mi` / `1Gi`.
fn hugepages() -> Vec<(String, u64)> {
    let Ok(dir) = std::fs::read_dir("/sys/kernel/mm/hugepages") else {
        return Vec::new();
    };
    let mut out: Vec<(u64, String, u64)> = dir
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let kb: u64 = name
                .strip_prefix("hugepages-")?
                .strip_suffix("kB")?
                .parse()
                .ok()?;
            let count: u64 = read(&format!("{}/nr_hugepages", e.path().display()))
                .parse()
                .unwrap_or(0);
            let size = if kb.is_multiple_of(1024 * 1024) {
                format!("{}Gi", kb / (1024 * 1024))
            } else if kb.is_multiple_of(1024) {
                format!("{}Mi", kb / 1024)
            } else {
                format!("{kb}Ki")
            };
            Some((kb, size, count * kb * 1024))
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, s, b)| (s, b)).collect()
}

/// The local address the kernel would use toward the default route (a connected UDP
/// socket sends nothing), if there is one.
pub fn default_route_ip() -> Option<IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    s.local_addr()
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified())
}

/// This machine's host name (`uname -n`).
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Read the facts of this machine; `data_dir` is where pod data will live (its file
/// system is the node's ephemeral storage).
pub fn read_facts(data_dir: &Path, internal_ip: Option<IpAddr>) -> HostFacts {
    let mem = read("/proc/meminfo");
    let machine_id = [read("/etc/machine-id"), read("/var/lib/dbus/machine-id")]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let uuid = read("/sys/class/dmi/id/product_uuid");
    let ephemeral = rustix::fs::statvfs(data_dir)
        .map(|s| s.f_blocks * s.f_frsize)
        .unwrap_or(0);
    HostFacts {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
        memory_bytes: meminfo(&mem, "MemTotal").unwrap_or(0),
        ephemeral_storage_bytes: ephemeral,
        hugepages: hugepages(),
        kernel_version: read("/proc/sys/kernel/osrelease"),
        os_image: pretty_name(&read("/etc/os-release")).unwrap_or_else(|| "Linux".into()),
        system_uuid: if uuid.is_empty() {
            machine_id.clone()
        } else {
            uuid
        },
        machine_id,
        boot_id: read("/proc/sys/kernel/random/boot_id"),
        architecture: go_arch(std::env::consts::ARCH).to_string(),
        hostname: hostname(),
        internal_ip: internal_ip.or_else(default_route_ip),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_and_os_release_fields() {
        let m = "MemTotal:       24609756 kB\nMemFree:  100 kB\nHugePages_Total:       0\n";
        assert_eq!(meminfo(m, "MemTotal"), Some(24_609_756 * 1024));
        assert_eq!(meminfo(m, "MemAvailable"), None);
        let os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            pretty_name(os).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(go_arch("x86_64"), "amd64");
    }

    #[test]
    fn this_machine_has_facts() {
        let dir = tempfile::tempdir().unwrap();
        let f = read_facts(dir.path(), None);
        assert!(
            f.cpus >= 1 && f.memory_bytes > 0 && f.ephemeral_storage_bytes > 0,
            "{f:?}"
        );
        assert!(!f.kernel_version.is_empty() && !f.hostname.is_empty());
    }
}
