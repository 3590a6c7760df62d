//! The OCI backend of [`super::Runtime`] (in progress): containers in bundles run by
//! `crun` or `runc`, root filesystems from the image store's overlay snapshots. Built so
//! far: the bundle's `config.json` ([`spec`]), driving the runtime binary with the agent
//! as child subreaper ([`runner`]), and the pod sandbox's pinned namespaces
//! ([`sandbox`]). The `Runtime` implementation over them, pod cgroups and CRI-format logs
//! come next; until then `capstan agent --runtime oci` refuses to start.

pub mod cgroups;
pub mod runner;
pub mod sandbox;
pub mod spec;

/// A root filesystem of busybox-static alone (`/bin/busybox`, `/bin/sh`) under `dir`,
/// for tests that run real containers.
#[cfg(test)]
pub(crate) fn busybox_rootfs(dir: &std::path::Path) -> std::path::PathBuf {
    let busybox = std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("busybox"))
                .find(|p| p.is_file())
        })
        .expect("busybox-static (scripts/install-test-deps.sh installs it)");
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::fs::copy(&busybox, rootfs.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).unwrap();
    rootfs
}

/// Write `spec` as `bundle/config.json`, make this test process the subreaper and find
/// the runtime binary (state under `bundle/state`): what a real-container test needs
/// before `create`.
#[cfg(test)]
pub(crate) fn test_bundle(
    bundle: &std::path::Path,
    spec: &spec::ContainerSpec,
) -> runner::OciBinary {
    let spec = spec::build(spec).unwrap();
    std::fs::create_dir_all(bundle).unwrap();
    std::fs::write(
        bundle.join("config.json"),
        serde_json::to_vec(&spec).unwrap(),
    )
    .unwrap();
    runner::become_subreaper().unwrap();
    runner::OciBinary::find(&bundle.join("state")).unwrap()
}
