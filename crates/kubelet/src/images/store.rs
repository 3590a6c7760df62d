//! The node's image store: blobs (layers, configs, manifests) content-addressed under
//! `blobs/sha256/<hex>`, shared by every image that uses them, and `images.json`, the
//! names that point at a manifest. A blob is written to a temporary file while it is
//! hashed and renamed into place only when its digest is known (and, when one was
//! expected, checked), so a crash never leaves a blob whose content differs from its name.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// File system.
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// A blob's content does not match the digest it was announced with.
    #[error("blob {expected} has digest {actual}")]
    DigestMismatch {
        /// The digest it should have.
        expected: String,
        /// What its bytes hash to.
        actual: String,
    },
    /// `images.json` is not what this store writes.
    #[error("{0}: {1}")]
    Index(PathBuf, String),
}

/// One named image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRecord {
    /// The normalised reference (`docker.io/library/busybox:latest`).
    pub name: String,
    /// The manifest's digest.
    pub manifest_digest: String,
    /// The config's digest: the image id.
    pub config_digest: String,
    /// The layers' digests, bottom first.
    pub layers: Vec<String>,
    /// Bytes of config and layers as stored.
    pub size: u64,
}

/// The store at a directory.
pub struct ImageStore {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io(path.to_path_buf(), e)
}

impl ImageStore {
    /// A store at `root` (created when missing).
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let blobs = root.join("blobs").join("sha256");
        std::fs::create_dir_all(&blobs).map_err(io(&blobs))?;
        Ok(ImageStore {
            root: root.to_path_buf(),
        })
    }

    /// Where blob `digest` lives (whether or not it is there).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.root.join("blobs").join("sha256").join(hex)
    }

    /// True if blob `digest` is stored.
    pub fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Store what `r` yields; its digest. With `expected`, a mismatch is an error and
    /// nothing is stored.
    pub fn put_blob(
        &self,
        r: &mut dyn Read,
        expected: Option<&str>,
    ) -> Result<(String, u64), StoreError> {
        let dir = self.root.join("blobs").join("sha256");
        let mut tmp = tempfile_in(&dir)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = r.read(&mut buf).map_err(io(&tmp.0))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.1.write_all(&buf[..n]).map_err(io(&tmp.0))?;
            size += n as u64;
        }
        let digest = format!("sha256:{:x}", hasher.finalize());
        if let Some(e) = expected
            && e != digest
        {
            let _ = std::fs::remove_file(&tmp.0);
            return Err(StoreError::DigestMismatch {
                expected: e.to_string(),
                actual: digest,
            });
        }
        tmp.1.sync_all().map_err(io(&tmp.0))?;
        let dest = self.blob_path(&digest);
        std::fs::rename(&tmp.0, &dest).map_err(io(&dest))?;
        Ok((digest, size))
    }

    /// Store `bytes`; its digest.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<String, StoreError> {
        self.put_blob(&mut &bytes[..], None).map(|(d, _)| d)
    }

    /// Read blob `digest` whole (configs and manifests).
    pub fn read_blob(&self, digest: &str) -> Result<Vec<u8>, StoreError> {
        let p = self.blob_path(digest);
        std::fs::read(&p).map_err(io(&p))
    }

    /// Read blob `digest` as JSON.
    pub fn read_json(&self, digest: &str) -> Result<Value, StoreError> {
        let p = self.blob_path(digest);
        serde_json::from_slice(&self.read_blob(digest)?)
            .map_err(|e| StoreError::Index(p, e.to_string()))
    }

    fn index_path(&self) -> PathBuf {
        self.root.join("images.json")
    }

    fn read_index(&self) -> Result<BTreeMap<String, ImageRecord>, StoreError> {
        let p = self.index_path();
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| StoreError::Index(p, e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(StoreError::Io(p, e)),
        }
    }

    fn write_index(&self, index: &BTreeMap<String, ImageRecord>) -> Result<(), StoreError> {
        let p = self.index_path();
        let mut tmp = tempfile_in(&self.root)?;
        let bytes = serde_json::to_vec_pretty(index).unwrap_or_default();
        tmp.1.write_all(&bytes).map_err(io(&tmp.0))?;
        tmp.1.sync_all().map_err(io(&tmp.0))?;
        std::fs::rename(&tmp.0, &p).map_err(io(&p))
    }

    /// Name an image (replacing what the name pointed at).
    pub fn tag(&self, record: ImageRecord) -> Result<(), StoreError> {
        let mut index = self.read_index()?;
        index.insert(record.name.clone(), record);
        self.write_index(&index)
    }

    /// Every named image, by name.
    pub fn list(&self) -> Result<Vec<ImageRecord>, StoreError> {
        Ok(self.read_index()?.into_values().collect())
    }

    /// The image named `name` (normalised), if any.
    pub fn get(&self, name: &str) -> Result<Option<ImageRecord>, StoreError> {
        Ok(self.read_index()?.remove(name))
    }
}

/// A new temporary file in `dir`: its path and handle.
fn tempfile_in(dir: &Path) -> Result<(PathBuf, std::fs::File), StoreError> {
    for _ in 0..16 {
        let p = dir.join(format!(".tmp-{:016x}", rand::random::<u64>()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::Io(p, e)),
        }
    }
    Err(StoreError::Io(
        dir.to_path_buf(),
        std::io::Error::other("cannot create a temporary file"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_by_their_digest_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let s = ImageStore::open(dir.path()).unwrap();
        let d = s.put_bytes(b"hello").unwrap();
        assert_eq!(
            d,
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(s.has_blob(&d));
        assert_eq!(s.read_blob(&d).unwrap(), b"hello");
        let wrong = format!("sha256:{}", "0".repeat(64));
        let e = s.put_blob(&mut &b"other"[..], Some(&wrong)).unwrap_err();
        assert!(matches!(e, StoreError::DigestMismatch { .. }), "{e}");
        assert!(!s.has_blob(&wrong));
        // no temporary file is left behind
        let left: Vec<_> = std::fs::read_dir(dir.path().join("blobs/sha256"))
            .unwrap()
            .collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn names_point_at_images() {
        let dir = tempfile::tempdir().unwrap();
        let s = ImageStore::open(dir.path()).unwrap();
        let r = ImageRecord {
            name: "docker.io/library/busybox:latest".into(),
            manifest_digest: "sha256:m".into(),
            config_digest: "sha256:c".into(),
            layers: vec!["sha256:l".into()],
            size: 10,
        };
        s.tag(r.clone()).unwrap();
        assert_eq!(
            s.get("docker.io/library/busybox:latest").unwrap(),
            Some(r.clone())
        );
        assert_eq!(
            ImageStore::open(dir.path()).unwrap().list().unwrap(),
            vec![r]
        );
    }
}
