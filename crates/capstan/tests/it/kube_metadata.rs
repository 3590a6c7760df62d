//! `kube`'s metadata-only API (`get_metadata`, `list_metadata`, `patch_metadata` and the
//! `metadata_watcher` that garbage collectors use) against the real server: each reply is
//! a `meta.k8s.io/v1` `PartialObjectMetadata` carrying the object's metadata and nothing
//! else.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::PartialObjectMeta;
// `metadata_watcher` is what the issue names and what existing controllers call; kube now
// also offers `watcher` over `Api<PartialObjectMeta<K>>`, which sends the same requests
#[allow(deprecated)]
use kube::runtime::metadata_watcher;
use kube::runtime::{WatchStreamExt, reflector, watcher};

use crate::support::{ServerProc, eventually, free_port};

fn cm(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            labels: Some(BTreeMap::from([("app".to_string(), "meta".to_string())])),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("big".to_string(), "x".repeat(4096))])),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_list_patch_and_watch_metadata_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProc::start(dir.path(), free_port()).await;
    let client = server.client().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for i in 0..3 {
        api.create(&PostParams::default(), &cm(&format!("m{i}")))
            .await
            .unwrap();
    }

    let one: PartialObjectMeta<ConfigMap> = api.get_metadata("m0").await.unwrap();
    assert_eq!(one.metadata.name.as_deref(), Some("m0"));
    assert!(one.metadata.uid.is_some() && one.metadata.resource_version.is_some());
    let types = one.types.as_ref().unwrap();
    assert_eq!(
        (types.api_version.as_str(), types.kind.as_str()),
        ("meta.k8s.io/v1", "PartialObjectMetadata")
    );

    let list = api
        .list_metadata(&ListParams::default().labels("app=meta"))
        .await
        .unwrap();
    let mut names: Vec<_> = list
        .items
        .iter()
        .filter_map(|o| o.metadata.name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["m0", "m1", "m2"]);
    assert!(list.metadata.resource_version.is_some());

    let patched = api
        .patch_metadata(
            "m1",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"labels": {"seen": "yes"}}})),
        )
        .await
        .unwrap();
    assert_eq!(
        patched
            .metadata
            .labels
            .unwrap()
            .get("seen")
            .map(String::as_str),
        Some("yes")
    );

    // a reflector over metadata-only watch events follows adds and deletes
    let (reader, writer) = reflector::store::<PartialObjectMeta<ConfigMap>>();
    #[allow(deprecated)]
    let stream = reflector(
        writer,
        metadata_watcher(api.clone(), watcher::Config::default().labels("app=meta")),
    )
    .default_backoff()
    .applied_objects();
    let handle = tokio::spawn(async move {
        let mut s = std::pin::pin!(stream);
        while s.next().await.is_some() {}
    });
    eventually("3 objects reflected", Duration::from_secs(20), || async {
        reader.state().len() == 3
    })
    .await;
    api.create(&PostParams::default(), &cm("m3")).await.unwrap();
    api.delete("m0", &DeleteParams::default()).await.unwrap();
    eventually(
        "add and delete reflected",
        Duration::from_secs(20),
        || async {
            let mut n: Vec<_> = reader
                .state()
                .iter()
                .filter_map(|o| o.metadata.name.clone())
                .collect();
            n.sort();
            n == ["m1", "m2", "m3"]
        },
    )
    .await;
    handle.abort();
}
