//! A container's root filesystem: an overlayfs mount of an image's unpacked layers
//! ([`super::unpack`]) under the container's own writable upper directory (containerd's
//! overlay snapshotter, in small). Mounting needs CAP_SYS_ADMIN; the directories live
//! under the container's directory, so removing the container removes its writes.

use std::path::{Path, PathBuf};

/// Snapshot errors.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Making the directories.
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// The mount or unmount call.
    #[error("cannot {0} {1}: {2}")]
    Mount(&'static str, PathBuf, #[source] rustix::io::Errno),
    /// Nothing to mount.
    #[error("an image without layers has no root filesystem")]
    NoLayers,
}

/// The directories of one container's root filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Writes land here.
    pub upper: PathBuf,
    /// overlayfs' scratch directory.
    pub work: PathBuf,
    /// The merged view: the container's `/`.
    pub rootfs: PathBuf,
}

impl Snapshot {
    /// The snapshot of the container whose directory is `dir`.
    pub fn at(dir: &Path) -> Self {
        Snapshot {
            upper: dir.join("upper"),
            work: dir.join("work"),
            rootfs: dir.join("rootfs"),
        }
    }

    /// The overlayfs options for `layers` (bottom layer first).
    pub fn options(&self, layers: &[PathBuf]) -> String {
        let lower: Vec<String> = layers
            .iter()
            .rev()
            .map(|p| p.display().to_string())
            .collect();
        format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.join(":"),
            self.upper.display(),
            self.work.display()
        )
    }

    /// Make the directories and mount the overlay of `layers` (bottom first) at `rootfs`.
    pub fn mount(&self, layers: &[PathBuf]) -> Result<(), SnapshotError> {
        if layers.is_empty() {
            return Err(SnapshotError::NoLayers);
        }
        for d in [&self.upper, &self.work, &self.rootfs] {
            std::fs::create_dir_all(d).map_err(|e| SnapshotError::Io(d.clone(), e))?;
        }
        let options = std::ffi::CString::new(self.options(layers)).map_err(|e| {
            SnapshotError::Io(self.rootfs.clone(), std::io::Error::other(e.to_string()))
        })?;
        rustix::mount::mount(
            "overlay",
            &self.rootfs,
            "overlay",
            rustix::mount::MountFlags::empty(),
            Some(options.as_c_str()),
        )
        .map_err(|e| SnapshotError::Mount("mount the overlay at", self.rootfs.clone(), e))
    }

    /// True if something is mounted at `rootfs`.
    pub fn is_mounted(&self) -> bool {
        let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else {
            return false;
        };
        let target = self.rootfs.display().to_string();
        mounts
            .lines()
            .any(|l| l.split(' ').nth(4) == Some(target.as_str()))
    }

    /// Unmount `rootfs` (detached, so a process still inside cannot keep it busy).
    pub fn unmount(&self) -> Result<(), SnapshotError> {
        if !self.is_mounted() {
            return Ok(());
        }
        rustix::mount::unmount(&self.rootfs, rustix::mount::UnmountFlags::DETACH)
            .map_err(|e| SnapshotError::Mount("unmount", self.rootfs.clone(), e))
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileTypeExt;

    use super::*;

    #[test]
    fn options_list_the_top_layer_first() {
        let s = Snapshot::at(Path::new("/c"));
        let o = s.options(&[PathBuf::from("/l/base"), PathBuf::from("/l/top")]);
        assert_eq!(
            o,
            "lowerdir=/l/top:/l/base,upperdir=/c/upper,workdir=/c/work"
        );
        assert!(matches!(s.mount(&[]), Err(SnapshotError::NoLayers)));
    }

    /// Unmounts when the test ends, passed or not.
    struct Mounted<'a>(&'a Snapshot);

    impl Drop for Mounted<'_> {
        fn drop(&mut self) {
            let _ = self.0.unmount();
        }
    }

    #[test]
    fn the_overlay_shows_the_top_layer_hides_whiteouts_and_keeps_writes_above() {
        if !rustix::process::geteuid().is_root() {
            panic!("this test mounts an overlay: run it as root (CI does)");
        }
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        let top = dir.path().join("top");
        std::fs::create_dir_all(base.join("etc")).unwrap();
        std::fs::write(base.join("etc/keep"), "base").unwrap();
        std::fs::write(base.join("etc/gone"), "base").unwrap();
        std::fs::create_dir_all(top.join("etc")).unwrap();
        std::fs::write(top.join("etc/keep"), "top").unwrap();
        // what unpack writes for `.wh.gone`
        rustix::fs::mknodat(
            rustix::fs::CWD,
            top.join("etc/gone"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::empty(),
            rustix::fs::makedev(0, 0),
        )
        .unwrap();
        assert!(
            std::fs::symlink_metadata(top.join("etc/gone"))
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let snap = Snapshot::at(&dir.path().join("c1"));
        snap.mount(&[base.clone(), top]).unwrap();
        let _guard = Mounted(&snap);
        assert!(snap.is_mounted());
        assert_eq!(
            std::fs::read_to_string(snap.rootfs.join("etc/keep")).unwrap(),
            "top"
        );
        assert!(!snap.rootfs.join("etc/gone").exists());
        std::fs::write(snap.rootfs.join("new"), "w").unwrap();
        assert_eq!(
            std::fs::read_to_string(snap.upper.join("new")).unwrap(),
            "w"
        );
        assert!(!base.join("new").exists());
        snap.unmount().unwrap();
        assert!(!snap.is_mounted());
    }
}
