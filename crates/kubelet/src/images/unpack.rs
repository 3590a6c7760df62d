//! Layers unpacked for overlayfs: each layer of the store (by the digest of its
//! uncompressed tar, its `diff_id`) becomes one directory under `layers/`, shared by every
//! image that has it. A container's root filesystem is an overlay of these directories
//! (lowest layer last in `lowerdir`) with its own upper directory.
//!
//! OCI whiteouts become what overlayfs reads: `.wh.NAME` a 0/0 character device `NAME`,
//! `.wh..wh..opq` the `trusted.overlay.opaque=y` attribute on its directory. Entries are
//! unpacked with the `tar` crate's `unpack_in`, which never writes outside the layer's
//! directory (`..`, absolute paths and links out are refused). A layer is unpacked into a
//! temporary directory and renamed into place when complete, so a crash never leaves a
//! half layer under its final name.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::store::ImageStore;

/// Unpack errors.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// Reading the blob or writing the layer.
    #[error("layer {0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// The uncompressed tar is not the `diff_id` the image config names.
    #[error("layer {blob}: uncompressed digest {actual}, the image config says {expected}")]
    DiffId {
        /// The layer blob.
        blob: String,
        /// From the config.
        expected: String,
        /// What it hashed to.
        actual: String,
    },
    /// A whiteout could not be made (overlayfs needs a character device and an xattr).
    #[error("layer {0}: cannot make the whiteout for {1}: {2}")]
    Whiteout(String, String, #[source] rustix::io::Errno),
}

/// Where the unpacked layer with `diff_id` lives.
pub fn layer_dir(images: &Path, diff_id: &str) -> PathBuf {
    images
        .join("layers")
        .join(diff_id.strip_prefix("sha256:").unwrap_or(diff_id))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Unpack blob `blob` (a layer tar, gzip or not) whose uncompressed digest must be
/// `diff_id`, unless it is unpacked already. Returns the layer's directory.
pub fn unpack_layer(
    store: &ImageStore,
    images: &Path,
    blob: &str,
    diff_id: &str,
) -> Result<PathBuf, UnpackError> {
    let dest = layer_dir(images, diff_id);
    if dest.is_dir() {
        return Ok(dest);
    }
    let io = |e| UnpackError::Io(blob.to_string(), e);
    let parent = images.join("layers");
    std::fs::create_dir_all(&parent).map_err(io)?;
    let tmp = parent.join(format!(".tmp-{:016x}", rand::random::<u64>()));
    std::fs::create_dir(&tmp).map_err(io)?;
    let result = unpack_into(store, blob, diff_id, &tmp);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, &dest) {
        Ok(()) => Ok(dest),
        // unpacked meanwhile by another worker: keep theirs
        Err(_) if dest.is_dir() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dest)
        }
        Err(e) => Err(io(e)),
    }
}

fn unpack_into(
    store: &ImageStore,
    blob: &str,
    diff_id: &str,
    dir: &Path,
) -> Result<(), UnpackError> {
    let io = |e| UnpackError::Io(blob.to_string(), e);
    let path = store.blob_path(blob);
    let mut f = std::fs::File::open(&path).map_err(io)?;
    let mut magic = [0u8; 2];
    let gz = f.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let f = std::fs::File::open(&path).map_err(io)?;
    let raw: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut hashing = Hashing {
        inner: raw,
        hasher: Sha256::new(),
    };
    {
        let mut archive = tar::Archive::new(&mut hashing);
        archive.set_preserve_permissions(true);
        archive.set_preserve_ownerships(true);
        archive.set_unpack_xattrs(true);
        archive.set_overwrite(true);
        for entry in archive.entries().map_err(io)? {
            let mut entry = entry.map_err(io)?;
            let p = entry.path().map_err(io)?.into_owned();
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let parent = dir.join(p.parent().unwrap_or(Path::new("")));
                if !parent.starts_with(dir)
                    || p.components()
                        .any(|c| matches!(c, std::path::Component::ParentDir))
                {
                    continue;
                }
                std::fs::create_dir_all(&parent).map_err(io)?;
                whiteout(&parent, hidden).map_err(|e| {
                    UnpackError::Whiteout(blob.to_string(), p.display().to_string(), e)
                })?;
                continue;
            }
            entry.unpack_in(dir).map_err(io)?;
        }
    }
    // the rest of the stream (tar padding) counts toward the digest too
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(io)?;
    let actual = format!("sha256:{:x}", hashing.hasher.finalize());
    if actual != diff_id {
        return Err(UnpackError::DiffId {
            blob: blob.to_string(),
            expected: diff_id.to_string(),
            actual,
        });
    }
    Ok(())
}

/// The overlayfs form of an OCI whiteout in `parent`: `.wh..wh..opq` marks `parent`
/// opaque; `.wh.NAME` hides `NAME` from the layers below.
fn whiteout(parent: &Path, hidden: &str) -> Result<(), rustix::io::Errno> {
    if hidden == ".wh..opq" {
        return rustix::fs::setxattr(
            parent,
            "trusted.overlay.opaque",
            b"y",
            rustix::fs::XattrFlags::empty(),
        );
    }
    let target = parent.join(hidden);
    let _ = std::fs::remove_file(&target);
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &target,
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::empty(),
        rustix::fs::makedev(0, 0),
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    use super::*;

    fn add(t: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) {
        let mut h = crate::images::test_tar_header(data.len() as u64, mode);
        h.set_cksum();
        t.append_data(&mut h, path, data).unwrap();
    }

    fn sha(b: &[u8]) -> String {
        format!("sha256:{:x}", Sha256::digest(b))
    }

    #[test]
    fn a_layer_unpacks_once_with_its_modes_and_whiteouts() {
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path();
        let store = ImageStore::open(images).unwrap();
        let mut t = tar::Builder::new(Vec::new());
        add(&mut t, "bin/tool", b"#!/bin/sh\n", 0o755);
        add(&mut t, "etc/.wh.old.conf", b"", 0o644);
        add(&mut t, "var/cache/.wh..wh..opq", b"", 0o644);
        let mut h = crate::images::test_tar_header(0, 0o777);
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_cksum();
        t.append_link(&mut h, "bin/sh", "tool").unwrap();
        let raw = t.into_inner().unwrap();
        // stored gzipped, as registries serve layers
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let blob = store.put_bytes(&gz.finish().unwrap()).unwrap();
        let l = unpack_layer(&store, images, &blob, &sha(&raw)).unwrap();
        assert_eq!(
            std::fs::metadata(l.join("bin/tool")).unwrap().mode() & 0o777,
            0o755
        );
        assert_eq!(
            std::fs::read_link(l.join("bin/sh")).unwrap(),
            Path::new("tool")
        );
        let wh = std::fs::symlink_metadata(l.join("etc/old.conf")).unwrap();
        assert!(wh.file_type().is_char_device() && wh.rdev() == 0);
        assert!(!l.join("etc/.wh.old.conf").exists());
        // a second unpack finds it done
        assert_eq!(unpack_layer(&store, images, &blob, &sha(&raw)).unwrap(), l);
    }

    #[test]
    fn a_wrong_diff_id_or_a_path_out_of_the_layer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path();
        let store = ImageStore::open(images).unwrap();
        let mut t = tar::Builder::new(Vec::new());
        add(&mut t, "a", b"x", 0o644);
        let raw = t.into_inner().unwrap();
        let blob = store.put_bytes(&raw).unwrap();
        let wrong = format!("sha256:{}", "1".repeat(64));
        let e = unpack_layer(&store, images, &blob, &wrong).unwrap_err();
        assert!(matches!(e, UnpackError::DiffId { .. }), "{e}");
        assert!(!layer_dir(images, &wrong).exists());
        let leftovers: Vec<_> = std::fs::read_dir(images.join("layers")).unwrap().collect();
        assert!(leftovers.is_empty());
        // a tar that climbs out of its directory: nothing outside is written
        let mut h = crate::images::test_tar_header(1, 0o644);
        h.as_old_mut().name[..12].copy_from_slice(b"../escaped\0\0");
        h.set_cksum();
        let mut t = tar::Builder::new(Vec::new());
        t.append(&h, &b"x"[..]).unwrap();
        let raw = t.into_inner().unwrap();
        let blob = store.put_bytes(&raw).unwrap();
        let _ = unpack_layer(&store, images, &blob, &sha(&raw));
        assert!(!images.join("layers/escaped").exists() && !images.join("escaped").exists());
    }
}
