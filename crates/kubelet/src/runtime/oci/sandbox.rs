//! A pod sandbox's namespaces without a pause process (as CRI-O's `pinns` does): new
//! network, IPC and UTS namespaces are made once by util-linux `unshare`, which
//! bind-mounts each onto a file in the sandbox's directory so they outlive it; the pod's
//! host name is set and its loopback brought up inside them; every container of the pod
//! joins them by path ([`super::spec::ContainerSpec::join`]). Removing the sandbox
//! unmounts the files, and the namespaces end with their last container.
//!
//! With `hostNetwork` the network namespace is the node's and only IPC and UTS are new.
//! Loopback is all a sandbox network has until the networking issue wires CNI.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Sandbox errors.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Files or directories.
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// `unshare` failed, with what it said.
    #[error("cannot make the pod's namespaces: {0}")]
    Unshare(String),
    /// Unmounting a namespace file.
    #[error("cannot unmount {0}: {1}")]
    Unmount(PathBuf, #[source] rustix::io::Errno),
}

/// The namespaces a sandbox pins, by their OCI names.
const KINDS: [(&str, &str); 3] = [("network", "net"), ("ipc", "ipc"), ("uts", "uts")];

/// A sandbox's pinned namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxNamespaces {
    dir: PathBuf,
    host_network: bool,
}

impl SandboxNamespaces {
    /// The sandbox whose directory is `dir`.
    pub fn at(dir: &Path, host_network: bool) -> Self {
        SandboxNamespaces {
            dir: dir.join("ns"),
            host_network,
        }
    }

    /// The namespaces containers join: (OCI type, file).
    pub fn join(&self) -> Vec<(String, PathBuf)> {
        KINDS
            .iter()
            .filter(|(oci, _)| !(self.host_network && *oci == "network"))
            .map(|(oci, file)| (oci.to_string(), self.dir.join(file)))
            .collect()
    }

    /// Make the namespaces, name the host `hostname`, bring loopback up.
    pub fn create(&self, hostname: &str) -> Result<(), SandboxError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| SandboxError::Io(self.dir.clone(), e))?;
        let mut cmd = Command::new("unshare");
        for (_, file) in self.join() {
            std::fs::File::create(&file).map_err(|e| SandboxError::Io(file.clone(), e))?;
            let flag = match file.file_name().and_then(|f| f.to_str()) {
                Some("net") => "--net",
                Some("ipc") => "--ipc",
                _ => "--uts",
            };
            cmd.arg(format!("{flag}={}", file.display()));
        }
        // inside the new namespaces: the host name, and loopback up (a new network
        // namespace starts with it down)
        let setup = if self.host_network {
            "hostname \"$1\""
        } else {
            "hostname \"$1\" && ip link set lo up"
        };
        let out = cmd
            .args(["sh", "-c", setup, "sh", hostname])
            .output()
            .map_err(|e| SandboxError::Unshare(e.to_string()))?;
        if !out.status.success() {
            let _ = self.remove();
            return Err(SandboxError::Unshare(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(())
    }

    /// True if the namespace files are mounted.
    pub fn exists(&self) -> bool {
        let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else {
            return false;
        };
        self.join().iter().all(|(_, f)| {
            let f = f.display().to_string();
            mounts
                .lines()
                .any(|l| l.split(' ').nth(4) == Some(f.as_str()))
        })
    }

    /// Unpin the namespaces and remove their files.
    pub fn remove(&self) -> Result<(), SandboxError> {
        for (_, file) in self.join() {
            match rustix::mount::unmount(&file, rustix::mount::UnmountFlags::DETACH) {
                Ok(()) | Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOENT) => {}
                Err(e) => return Err(SandboxError::Unmount(file, e)),
            }
            let _ = std::fs::remove_file(&file);
        }
        let _ = std::fs::remove_dir(&self.dir);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::oci::runner::{OciBinary, become_subreaper, wait_exit};
    use crate::runtime::oci::spec::{ContainerSpec, build};

    struct Cleanup<'a>(&'a SandboxNamespaces, &'a OciBinary, String);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let _ = self.1.delete(&self.2);
            let _ = self.0.remove();
        }
    }

    fn nsenter(args: &[&str]) -> String {
        let out = Command::new("nsenter").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn containers_of_a_sandbox_share_its_host_name_and_network() {
        assert!(
            rustix::process::geteuid().is_root(),
            "this test makes namespaces and runs a container: run it as root (CI does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let sb = SandboxNamespaces::at(dir.path(), false);
        assert_eq!(sb.join().len(), 3);
        assert_eq!(SandboxNamespaces::at(dir.path(), true).join().len(), 2);
        sb.create("web-1").unwrap();
        let rt = OciBinary::find(&dir.path().join("state")).unwrap();
        let id = format!("capstan-sbx-{:08x}", rand::random::<u32>());
        let _cleanup = Cleanup(&sb, &rt, id.clone());
        assert!(sb.exists());
        let uts = format!("--uts={}", dir.path().join("ns/uts").display());
        let net = format!("--net={}", dir.path().join("ns/net").display());
        assert_eq!(nsenter(&[&uts, "hostname"]).trim(), "web-1");
        let links = nsenter(&[&net, "ip", "-o", "link"]);
        assert_eq!(links.lines().count(), 1, "{links}");
        assert!(links.contains("lo:") && links.contains("UP"), "{links}");

        // a container joined to them sees the pod's host name
        let rootfs = crate::runtime::oci::busybox_rootfs(dir.path());
        let bundle = dir.path().join("c1");
        std::fs::create_dir_all(&bundle).unwrap();
        let spec = build(&ContainerSpec {
            args: vec![
                "sh".into(),
                "-c".into(),
                "busybox hostname; busybox ip -o link | busybox wc -l".into(),
            ],
            env: vec!["PATH=/bin".into()],
            rootfs,
            hostname: "web-1".into(),
            join: sb.join(),
            cgroups_path: format!("/{id}"),
            cpu: (2, None),
            ..Default::default()
        })
        .unwrap();
        std::fs::write(
            bundle.join("config.json"),
            serde_json::to_vec(&spec).unwrap(),
        )
        .unwrap();
        become_subreaper().unwrap();
        let log = dir.path().join("c1.log");
        let pid = rt.create(&id, &bundle, &log).unwrap();
        rt.start(&id).unwrap();
        assert_eq!(wait_exit(pid).unwrap(), 0);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "web-1\n1\n");
        rt.delete(&id).unwrap();
        sb.remove().unwrap();
        assert!(!sb.exists());
        assert!(!dir.path().join("ns").exists());
    }
}
