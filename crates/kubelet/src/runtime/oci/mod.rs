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

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sha2::{Digest as _, Sha256};

    use super::runner::wait_exit;
    use super::spec::{ContainerSpec, resolve_args};
    use crate::images::snapshot::Snapshot;
    use crate::images::store::ImageStore;
    use crate::images::{archive, unpack};

    fn sha(b: &[u8]) -> String {
        format!("sha256:{:x}", Sha256::digest(b))
    }

    fn file(t: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) {
        let mut h = crate::images::test_tar_header(data.len() as u64, mode);
        h.set_cksum();
        t.append_data(&mut h, path, data).unwrap();
    }

    /// Unmounts and deletes whatever the test made, passed or not.
    struct Cleanup<'a>(&'a Snapshot, Option<(super::runner::OciBinary, String)>);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            if let Some((rt, id)) = &self.1 {
                let _ = rt.delete(id);
            }
            let _ = self.0.unmount();
        }
    }

    /// The whole path from an image archive to a running container: import, unpack each
    /// layer, mount the overlay, write the bundle, run it with crun/runc.
    #[test]
    fn an_imported_image_runs_as_a_container() {
        assert!(
            rustix::process::geteuid().is_root(),
            "this test runs a real container: run it as root (CI does)"
        );
        let busybox = std::fs::read(
            std::env::var_os("PATH")
                .and_then(|p| {
                    std::env::split_paths(&p)
                        .map(|d| d.join("busybox"))
                        .find(|p| p.is_file())
                })
                .expect("busybox-static"),
        )
        .unwrap();
        // two layers: busybox with a file, then a layer that deletes it and adds another
        let mut base = tar::Builder::new(Vec::new());
        file(&mut base, "bin/busybox", &busybox, 0o755);
        let mut h = crate::images::test_tar_header(0, 0o777);
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_cksum();
        base.append_link(&mut h, "bin/sh", "busybox").unwrap();
        file(&mut base, "etc/old", b"old\n", 0o644);
        let base = base.into_inner().unwrap();
        let mut top = tar::Builder::new(Vec::new());
        file(&mut top, "etc/.wh.old", b"", 0o644);
        file(&mut top, "etc/motd", b"hello from the image\n", 0o644);
        let top = top.into_inner().unwrap();
        let config = serde_json::to_vec(
            &json!({"architecture": crate::host::go_arch(std::env::consts::ARCH),
            "os": "linux", "config": {"Env": ["PATH=/bin"], "Entrypoint": ["sh", "-c"],
            "Cmd": ["cat /etc/motd; test -e /etc/old && exit 1; exit 7"]},
            "rootfs": {"type": "layers", "diff_ids": [sha(&base), sha(&top)]}}),
        )
        .unwrap();
        let layer = |b: &[u8]| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(b), "size": b.len()});
        let manifest = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
            "layers": [layer(&base), layer(&top)]}))
        .unwrap();
        let index = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(&manifest), "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "capstan.test/busybox:1"}}]}))
        .unwrap();
        let mut t = tar::Builder::new(Vec::new());
        file(
            &mut t,
            "oci-layout",
            br#"{"imageLayoutVersion":"1.0.0"}"#,
            0o644,
        );
        file(&mut t, "index.json", &index, 0o644);
        for blob in [&config, &manifest, &base, &top] {
            file(
                &mut t,
                &format!("blobs/sha256/{}", &sha(blob)[7..]),
                blob,
                0o644,
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let archive_path = dir.path().join("image.tar");
        std::fs::write(&archive_path, t.into_inner().unwrap()).unwrap();

        // import, unpack, mount
        let images = dir.path().join("images");
        let store = ImageStore::open(&images).unwrap();
        let record = archive::import(&store, &archive_path).unwrap().remove(0);
        assert_eq!(record.name, "capstan.test/busybox:1");
        let cfg = store.read_json(&record.config_digest).unwrap();
        let diff_ids: Vec<String> = cfg["rootfs"]["diff_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        let layers: Vec<_> = record
            .layers
            .iter()
            .zip(&diff_ids)
            .map(|(blob, diff)| unpack::unpack_layer(&store, &images, blob, diff).unwrap())
            .collect();
        let snap = Snapshot::at(&dir.path().join("c1"));
        snap.mount(&layers).unwrap();
        let mut cleanup = Cleanup(&snap, None);

        // the bundle: what runs is the image's entrypoint + cmd
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let args = resolve_args(
            &strings(&cfg["config"]["Entrypoint"]),
            &strings(&cfg["config"]["Cmd"]),
            &[],
            &[],
        );
        let id = format!("capstan-img-{:08x}", rand::random::<u32>());
        let bundle = dir.path().join("c1").join("bundle");
        let rt = super::test_bundle(
            &bundle,
            &ContainerSpec {
                args,
                env: strings(&cfg["config"]["Env"]),
                rootfs: snap.rootfs.clone(),
                hostname: "c1".into(),
                cgroups_path: format!("/{id}"),
                cpu: (2, None),
                ..Default::default()
            },
        );
        let log = dir.path().join("c1.log");
        let pid = rt.create(&id, &bundle, &log).unwrap();
        cleanup.1 = Some((rt.clone(), id.clone()));
        rt.start(&id).unwrap();
        assert_eq!(
            wait_exit(pid).unwrap(),
            7,
            "{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "hello from the image\n"
        );
        rt.delete(&id).unwrap();
        snap.unmount().unwrap();
        assert!(!snap.is_mounted());
    }
}
