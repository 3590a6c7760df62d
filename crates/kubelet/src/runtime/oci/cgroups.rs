//! Pod cgroups: every container of a pod gets the cgroup `/capstan/pod<uid>/<container>`
//! (its `cgroupsPath`; the runtime binary makes it, parents included, in every
//! hierarchy). Deleting a container removes only its leaf (HOST-NOTES), so removing a pod
//! removes `/capstan/pod<uid>` itself from every mounted hierarchy: each cgroup v1
//! controller and the cgroup2 tree, whichever the host has (hybrid, v1 or unified).

use std::path::{Path, PathBuf};

/// The parent of every pod's cgroup.
pub const ROOT: &str = "capstan";

/// The cgroup of the pod with `uid` (relative to each hierarchy's root, with a leading `/`).
pub fn pod_path(uid: &str) -> String {
    format!("/{ROOT}/pod{uid}")
}

/// The cgroup of one of its containers.
pub fn container_path(uid: &str, container_id: &str) -> String {
    format!("{}/{container_id}", pod_path(uid))
}

/// The mount points of every cgroup hierarchy (v1 and v2), from `mountinfo`.
pub fn hierarchies(mountinfo: &str) -> Vec<PathBuf> {
    mountinfo
        .lines()
        .filter_map(|l| {
            // fields: … mount point (5th) … " - " fstype source options
            let (left, right) = l.split_once(" - ")?;
            let fstype = right.split(' ').next()?;
            if fstype == "cgroup" || fstype == "cgroup2" {
                left.split(' ').nth(4).map(PathBuf::from)
            } else {
                None
            }
        })
        .collect()
}

/// Remove cgroup `path` (a pod's) and what is below it from every hierarchy in
/// `mountinfo`. A cgroup directory is removed with `rmdir` (its files are the kernel's),
/// deepest first; a cgroup that still holds a process cannot be removed and is reported.
pub fn remove(mountinfo: &str, path: &str) -> Result<(), (PathBuf, std::io::Error)> {
    for h in hierarchies(mountinfo) {
        let dir = h.join(path.trim_start_matches('/'));
        if dir.is_dir() {
            remove_tree(&dir)?;
        }
    }
    Ok(())
}

fn remove_tree(dir: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    let entries = std::fs::read_dir(dir).map_err(|e| (dir.to_path_buf(), e))?;
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            remove_tree(&e.path())?;
        }
    }
    match std::fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err((dir.to_path_buf(), e)),
    }
}

/// [`remove`] with this process' own `mountinfo`.
pub fn remove_pod(uid: &str) -> Result<(), (PathBuf, std::io::Error)> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| (PathBuf::from("/proc/self/mountinfo"), e))?;
    remove(&mountinfo, &pod_path(uid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::oci::runner::{OciBinary, wait_exit};
    use crate::runtime::oci::spec::ContainerSpec;

    const MOUNTINFO: &str = "\
30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
40 24 0:5 / /proc rw - proc proc rw
";

    #[test]
    fn every_cgroup_hierarchy_is_found() {
        assert_eq!(
            hierarchies(MOUNTINFO),
            [
                PathBuf::from("/sys/fs/cgroup/unified"),
                PathBuf::from("/sys/fs/cgroup/memory"),
                PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")
            ]
        );
        assert_eq!(container_path("u1", "c1"), "/capstan/podu1/c1");
    }

    /// Deletes the container and the pod's cgroups when the test ends, passed or not.
    struct Cleanup<'a>(&'a OciBinary, &'a str, &'a str);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let _ = self.0.delete(self.1);
            let _ = remove_pod(self.2);
            // the shared parent too, when no other pod is under it
            let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
            for h in hierarchies(&mountinfo) {
                let _ = std::fs::remove_dir(h.join(ROOT));
            }
        }
    }

    #[test]
    fn a_pods_cgroup_is_gone_from_every_hierarchy_after_its_containers() {
        assert!(
            rustix::process::geteuid().is_root(),
            "this test runs a real container: run it as root (CI does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let rootfs = crate::runtime::oci::busybox_rootfs(dir.path());
        let uid = format!("test-{:08x}", rand::random::<u32>());
        let id = format!("c-{uid}");
        let rt = crate::runtime::oci::test_bundle(
            dir.path(),
            &ContainerSpec {
                args: vec!["sh".into(), "-c".into(), "exit 0".into()],
                env: vec!["PATH=/bin".into()],
                rootfs,
                hostname: "p".into(),
                cgroups_path: container_path(&uid, &id),
                cpu: (2, None),
                memory_limit: Some(32 << 20),
                ..Default::default()
            },
        );
        let pid = rt.create(&id, dir.path(), &dir.path().join("log")).unwrap();
        let _cleanup = Cleanup(&rt, &id, &uid);
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let made: Vec<PathBuf> = hierarchies(&mountinfo)
            .into_iter()
            .map(|h| h.join(pod_path(&uid).trim_start_matches('/')))
            .filter(|d| d.is_dir())
            .collect();
        assert!(!made.is_empty(), "the runtime made no pod cgroup");
        // a cgroup that holds a process is not removed
        assert!(remove_pod(&uid).is_err());
        rt.start(&id).unwrap();
        assert_eq!(wait_exit(pid).unwrap(), 0);
        rt.delete(&id).unwrap();
        // the leaf is gone, the pod's cgroup is left: removing the pod takes it
        assert!(made.iter().any(|d| d.is_dir()));
        remove_pod(&uid).unwrap();
        assert!(made.iter().all(|d| !d.exists()), "{made:?}");
    }
}
