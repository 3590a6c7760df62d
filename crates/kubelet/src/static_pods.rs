//! Static pods (`--pod-manifest-path`), as upstream's kubelet reads them
//! (`pkg/kubelet/config/file.go`, `common.go`): each manifest file (YAML or JSON, one
//! Pod) in the directory is a pod this node runs on its own, without the API server. Its
//! name gets the node's name appended, its namespace defaults to `default`, its uid is a
//! hash of the node, the file and its content (a changed file is a new pod), and it is
//! annotated with that hash and its source. In the API it appears as a *mirror pod*: the
//! same pod with `kubernetes.io/config.mirror` set and the Node as its owner, whose
//! status the agent reports.
//!
//! This module reads manifests and builds the pods; running them and keeping their mirror
//! pods is the pod workers' and the agent's part.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Pod, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use sha2::{Digest as _, Sha256};

/// The annotation with a static pod's hash (its uid).
pub const CONFIG_HASH: &str = "kubernetes.io/config.hash";
/// The annotation naming where a pod came from (`file`, `api`).
pub const CONFIG_SOURCE: &str = "kubernetes.io/config.source";
/// The annotation that marks a mirror pod (its value: the static pod's hash).
pub const CONFIG_MIRROR: &str = "kubernetes.io/config.mirror";

/// Why a manifest was not read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file.
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// Not a Pod, or not decodable.
    #[error("{0}: {1}")]
    Invalid(PathBuf, String),
}

/// The static pod of manifest `path` (content `bytes`) for node `node`.
pub fn pod_from_manifest(path: &Path, bytes: &[u8], node: &str) -> Result<Pod, ManifestError> {
    let bad = |why: String| ManifestError::Invalid(path.to_path_buf(), why);
    let value = apimachinery::codec::yaml::from_yaml(bytes).map_err(|e| bad(e.to_string()))?;
    if value["kind"] != "Pod" || value["apiVersion"] != "v1" {
        return Err(bad(format!(
            "a static pod manifest must be one v1 Pod, not {} {}",
            value["apiVersion"].as_str().unwrap_or("?"),
            value["kind"].as_str().unwrap_or("?")
        )));
    }
    let mut pod: Pod = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    let name = pod
        .metadata
        .name
        .clone()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("the pod has no metadata.name".into()))?;
    let mut hasher = Sha256::new();
    hasher.update(node.as_bytes());
    hasher.update(b"\0");
    hasher.update(path.as_os_str().as_encoded_bytes());
    hasher.update(b"\0");
    hasher.update(bytes);
    let hash = format!("{:x}", hasher.finalize())[..32].to_string();
    pod.metadata.name = Some(format!("{name}-{node}"));
    pod.metadata.namespace = Some(
        pod.metadata
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into()),
    );
    pod.metadata.uid = Some(hash.clone());
    let annotations = pod.metadata.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert(CONFIG_HASH.into(), hash);
    annotations.insert(CONFIG_SOURCE.into(), "file".into());
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.node_name = Some(node.to_string());
    // a static pod tolerates every NoExecute taint (it cannot be evicted elsewhere)
    spec.tolerations
        .get_or_insert_with(Vec::new)
        .push(Toleration {
            operator: Some("Exists".into()),
            effect: Some("NoExecute".into()),
            ..Default::default()
        });
    Ok(pod)
}

/// Every manifest in `dir` (hidden files skipped), each read or refused.
pub fn scan(dir: &Path, node: &str) -> Vec<Result<Pod, ManifestError>> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect(),
        Err(e) => return vec![Err(ManifestError::Io(dir.to_path_buf(), e))],
    };
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| ManifestError::Io(p.clone(), e))?;
            pod_from_manifest(&p, &bytes, node)
        })
        .collect()
}

/// The mirror pod of static pod `pod`: what the API shows of it, owned by the Node.
pub fn mirror(pod: &Pod, node_uid: &str) -> Pod {
    let mut m = pod.clone();
    let hash = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(CONFIG_HASH))
        .cloned()
        .unwrap_or_default();
    m.metadata.uid = None;
    m.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(CONFIG_MIRROR.into(), hash);
    let node = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default();
    m.metadata.owner_references = Some(vec![OwnerReference {
        api_version: "v1".into(),
        kind: "Node".into(),
        name: node,
        uid: node_uid.to_string(),
        controller: Some(true),
        ..Default::default()
    }]);
    m.status = None;
    m
}

/// True if `pod` (from the API) is a mirror pod: the agent reports its status but never
/// runs it (the static pod it mirrors runs).
pub fn is_mirror(pod: &Pod) -> bool {
    pod.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(CONFIG_MIRROR))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: etcd\n";

    #[test]
    fn a_manifest_becomes_the_nodes_static_pod() {
        let p =
            pod_from_manifest(Path::new("/etc/pods/etcd.yaml"), MANIFEST.as_bytes(), "n1").unwrap();
        assert_eq!(p.metadata.name.as_deref(), Some("etcd-n1"));
        assert_eq!(p.metadata.namespace.as_deref(), Some("kube-system"));
        let uid = p.metadata.uid.clone().unwrap();
        assert_eq!(uid.len(), 32);
        let ann = p.metadata.annotations.clone().unwrap();
        assert_eq!(ann[CONFIG_HASH], uid);
        assert_eq!(ann[CONFIG_SOURCE], "file");
        assert_eq!(p.spec.as_ref().unwrap().node_name.as_deref(), Some("n1"));
        // the same file again is the same pod; another node's or a changed file is another
        let again =
            pod_from_manifest(Path::new("/etc/pods/etcd.yaml"), MANIFEST.as_bytes(), "n1").unwrap();
        assert_eq!(again.metadata.uid, p.metadata.uid);
        let other =
            pod_from_manifest(Path::new("/etc/pods/etcd.yaml"), MANIFEST.as_bytes(), "n2").unwrap();
        assert_ne!(other.metadata.uid, p.metadata.uid);
        let changed = MANIFEST.replace("image: etcd", "image: etcd:2");
        let changed =
            pod_from_manifest(Path::new("/etc/pods/etcd.yaml"), changed.as_bytes(), "n1").unwrap();
        assert_ne!(changed.metadata.uid, p.metadata.uid);
        // its mirror
        let m = mirror(&p, "node-uid");
        assert!(is_mirror(&m) && !is_mirror(&p));
        assert_eq!(m.metadata.annotations.unwrap()[CONFIG_MIRROR], uid);
        assert_eq!(m.metadata.owner_references.unwrap()[0].uid, "node-uid");
        assert!(m.metadata.uid.is_none());
    }

    #[test]
    fn bad_manifests_are_named() {
        let e = pod_from_manifest(
            Path::new("/p/d.yaml"),
            b"apiVersion: apps/v1\nkind: Deployment\n",
            "n1",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("must be one v1 Pod, not apps/v1 Deployment"),
            "{e}"
        );
        let e = pod_from_manifest(
            Path::new("/p/x.yaml"),
            b"apiVersion: v1\nkind: Pod\nspec: {}\n",
            "n1",
        )
        .unwrap_err();
        assert!(e.to_string().contains("no metadata.name"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), MANIFEST).unwrap();
        std::fs::write(dir.path().join("b.yaml"), "kind: [").unwrap();
        std::fs::write(dir.path().join(".hidden.yaml"), MANIFEST).unwrap();
        let got = scan(dir.path(), "n1");
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok() && got[1].is_err());
    }
}
