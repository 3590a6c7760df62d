//! `capstan image import`: images from an archive file into the store. Two formats, each
//! optionally gzip-compressed:
//!
//! - an OCI image layout in a tar (`oci-layout`, `index.json`, `blobs/sha256/…`; what
//!   `skopeo copy … oci-archive:` writes), named by each manifest's
//!   `org.opencontainers.image.ref.name` annotation; a multi-platform index contributes
//!   the manifest for this machine's platform;
//! - a `docker save` tarball (`manifest.json` with `Config`, `RepoTags`, `Layers`), whose
//!   uncompressed layer tars become OCI layers under a manifest written here.
//!
//! Every file of the archive is streamed into the blob store (hashed on the way, so an
//! OCI blob whose bytes do not match its name is refused); only the small JSON documents
//! are read whole.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};

use super::reference::Reference;
use super::store::{ImageRecord, ImageStore, StoreError};
use crate::host::go_arch;

/// Import errors.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the archive.
    #[error("cannot read {0}: {1}")]
    Read(String, #[source] std::io::Error),
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Neither an OCI layout nor a `docker save` tarball, or a document is broken.
    #[error("{0}")]
    Format(String),
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Import every image in the archive at `path`; the records now named in the store.
pub fn import(store: &ImageStore, path: &Path) -> Result<Vec<ImageRecord>, ImportError> {
    let shown = path.display().to_string();
    let rd = |e| ImportError::Read(shown.clone(), e);
    let mut file = std::fs::File::open(path).map_err(rd)?;
    let mut magic = [0u8; 2];
    let gz = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let file = std::fs::File::open(path).map_err(rd)?;
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut archive = tar::Archive::new(reader);
    // archive path -> (digest, size) of every regular file
    let mut files: HashMap<String, (String, u64)> = HashMap::new();
    for entry in archive.entries().map_err(rd)? {
        let mut entry = entry.map_err(rd)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(rd)?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        // an OCI blob is named by its digest: check it
        let expected = name
            .strip_prefix("blobs/sha256/")
            .map(|hex| format!("sha256:{hex}"));
        let (digest, size) = store.put_blob(&mut entry, expected.as_deref())?;
        files.insert(name, (digest, size));
    }
    let doc = |name: &str| -> Result<Option<Value>, ImportError> {
        let Some((digest, _)) = files.get(name) else {
            return Ok(None);
        };
        serde_json::from_slice(&store.read_blob(digest)?)
            .map(Some)
            .map_err(|e| ImportError::Format(format!("{shown}: {name}: {e}")))
    };
    let records = if let Some(index) = doc("index.json")? {
        oci(store, &index)?
    } else if let Some(manifest) = doc("manifest.json")? {
        docker(store, &manifest, &files)?
    } else {
        return Err(ImportError::Format(format!(
            "{shown}: neither an OCI image layout (index.json) nor a docker save tarball (manifest.json)"
        )));
    };
    if records.is_empty() {
        return Err(ImportError::Format(format!(
            "{shown}: no named image in the archive"
        )));
    }
    for r in &records {
        store.tag(r.clone())?;
    }
    Ok(records)
}

fn record(
    store: &ImageStore,
    name: &str,
    manifest_digest: &str,
    manifest: &Value,
) -> Result<ImageRecord, ImportError> {
    let reference = Reference::parse(name).map_err(|e| ImportError::Format(e.to_string()))?;
    let config = manifest["config"]["digest"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["digest"].as_str().map(str::to_string))
        .collect();
    for d in std::iter::once(&config).chain(&layers) {
        if !store.has_blob(d) {
            return Err(ImportError::Format(format!(
                "image {name}: blob {d} is missing from the archive"
            )));
        }
    }
    let size = std::iter::once(&config)
        .chain(&layers)
        .filter_map(|d| std::fs::metadata(store.blob_path(d)).ok())
        .map(|m| m.len())
        .sum();
    Ok(ImageRecord {
        name: reference.to_string(),
        manifest_digest: manifest_digest.to_string(),
        config_digest: config,
        layers,
        size,
    })
}

/// The manifest of an index entry for this machine (`linux` and its architecture); an
/// entry that is itself a manifest is taken as it is.
fn platform_manifest(store: &ImageStore, digest: &str) -> Result<(String, Value), ImportError> {
    let v = store.read_json(digest)?;
    let media = v["mediaType"].as_str().unwrap_or_default();
    if media != OCI_INDEX && media != DOCKER_MANIFEST_LIST && v.get("manifests").is_none() {
        return Ok((digest.to_string(), v));
    }
    let arch = go_arch(std::env::consts::ARCH);
    let chosen = v["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["platform"]["os"] == "linux" && m["platform"]["architecture"] == arch)
        .and_then(|m| m["digest"].as_str())
        .ok_or_else(|| {
            ImportError::Format(format!("no manifest for linux/{arch} in index {digest}"))
        })?;
    platform_manifest(store, chosen)
}

fn oci(store: &ImageStore, index: &Value) -> Result<Vec<ImageRecord>, ImportError> {
    let mut out = Vec::new();
    for m in index["manifests"].as_array().into_iter().flatten() {
        let Some(name) = m["annotations"][REF_NAME].as_str() else {
            continue;
        };
        let digest = m["digest"].as_str().unwrap_or_default();
        let (manifest_digest, manifest) = platform_manifest(store, digest)?;
        out.push(record(store, name, &manifest_digest, &manifest)?);
    }
    Ok(out)
}

fn docker(
    store: &ImageStore,
    manifest: &Value,
    files: &HashMap<String, (String, u64)>,
) -> Result<Vec<ImageRecord>, ImportError> {
    let mut out = Vec::new();
    for image in manifest.as_array().into_iter().flatten() {
        let file = |path: &str| {
            files
                .get(path.trim_start_matches("./"))
                .cloned()
                .ok_or_else(|| {
                    ImportError::Format(format!(
                        "manifest.json names {path}, which the archive lacks"
                    ))
                })
        };
        let (config, config_size) = file(image["Config"].as_str().unwrap_or_default())?;
        let mut layers = Vec::new();
        for l in image["Layers"].as_array().into_iter().flatten() {
            let (digest, size) = file(l.as_str().unwrap_or_default())?;
            layers.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size}));
        }
        let oci_manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
            "layers": layers,
        });
        let manifest_digest =
            store.put_bytes(&serde_json::to_vec(&oci_manifest).unwrap_or_default())?;
        for tag in image["RepoTags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            out.push(record(store, tag, &manifest_digest, &oci_manifest)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest as _, Sha256};

    use super::*;

    fn sha(b: &[u8]) -> String {
        format!("sha256:{:x}", Sha256::digest(b))
    }

    fn add(t: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, path, data).unwrap();
    }

    fn layer() -> Vec<u8> {
        let mut t = tar::Builder::new(Vec::new());
        add(&mut t, "bin/hello", b"#!/bin/sh\necho hi\n");
        t.into_inner().unwrap()
    }

    fn config(layer: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&json!({"architecture": go_arch(std::env::consts::ARCH), "os": "linux",
            "config": {"Cmd": ["/bin/hello"]}, "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}))
        .unwrap()
    }

    /// An OCI layout tarball with one image named `name`; `corrupt` breaks the layer blob.
    fn oci_archive(name: &str, corrupt: bool) -> Vec<u8> {
        let layer = layer();
        let config = config(&layer);
        let manifest = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(&layer), "size": layer.len()}]}))
        .unwrap();
        let index = serde_json::to_vec(
            &json!({"schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST,
            "digest": sha(&manifest), "size": manifest.len(), "annotations": {REF_NAME: name}}]}),
        )
        .unwrap();
        let mut t = tar::Builder::new(Vec::new());
        add(&mut t, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        add(&mut t, "index.json", &index);
        for blob in [&config, &manifest] {
            add(&mut t, &format!("blobs/sha256/{}", &sha(blob)[7..]), blob);
        }
        let body: &[u8] = if corrupt { b"not the layer" } else { &layer };
        add(&mut t, &format!("blobs/sha256/{}", &sha(&layer)[7..]), body);
        t.into_inner().unwrap()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn an_oci_layout_imports_under_its_ref_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(&dir.path().join("store")).unwrap();
        let p = write(dir.path(), "img.tar", &oci_archive("busybox:test", false));
        let got = import(&store, &p).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "docker.io/library/busybox:test");
        assert_eq!(got[0].layers, vec![sha(&layer())]);
        assert_eq!(store.list().unwrap(), got);
        // gzip-compressed, the same
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &oci_archive("localhost:5000/b:1", false)).unwrap();
        let p = write(dir.path(), "img.tar.gz", &gz.finish().unwrap());
        assert_eq!(import(&store, &p).unwrap()[0].name, "localhost:5000/b:1");
        assert_eq!(store.list().unwrap().len(), 2);
    }

    #[test]
    fn a_docker_save_tarball_imports_under_its_repo_tags() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(&dir.path().join("store")).unwrap();
        let layer = layer();
        let config = config(&layer);
        let manifest = json!([{"Config": "cfg.json", "RepoTags": ["web:1", "web:latest"], "Layers": ["abc/layer.tar"]}]);
        let mut t = tar::Builder::new(Vec::new());
        add(&mut t, "cfg.json", &config);
        add(&mut t, "abc/layer.tar", &layer);
        add(
            &mut t,
            "manifest.json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        let p = write(dir.path(), "save.tar", &t.into_inner().unwrap());
        let got = import(&store, &p).unwrap();
        let names: Vec<&str> = got.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["docker.io/library/web:1", "docker.io/library/web:latest"]
        );
        assert_eq!(got[0].config_digest, sha(&config));
        let m = store.read_json(&got[0].manifest_digest).unwrap();
        assert_eq!(m["layers"][0]["digest"], sha(&layer));
    }

    #[test]
    fn broken_archives_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(&dir.path().join("store")).unwrap();
        let p = write(dir.path(), "bad.tar", &oci_archive("x:1", true));
        let e = import(&store, &p).unwrap_err().to_string();
        assert!(e.contains("has digest"), "{e}");
        let mut t = tar::Builder::new(Vec::new());
        add(&mut t, "hello.txt", b"hi");
        let p = write(dir.path(), "plain.tar", &t.into_inner().unwrap());
        let e = import(&store, &p).unwrap_err().to_string();
        assert!(e.contains("neither an OCI image layout"), "{e}");
        let p = write(dir.path(), "bad-name.tar", &oci_archive("Bad:Name", false));
        assert!(
            import(&store, &p)
                .unwrap_err()
                .to_string()
                .contains("invalid image reference")
        );
        assert!(store.list().unwrap().is_empty());
        let e = import(&store, &dir.path().join("missing.tar"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cannot read"), "{e}");
    }
}
