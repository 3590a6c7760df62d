//! A `kube_runtime` watcher and reflector stay in sync with the server
//! through creates, updates, deletes and a server restart.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};

use crate::support::{ServerProc, eventually, free_port};

fn cm(name: &str, v: &str) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            labels: Some(BTreeMap::from([("app".to_string(), "reflect".to_string())])),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("v".to_string(), v.to_string())])),
        ..Default::default()
    }
}

fn data_of(reader: &reflector::Store<ConfigMap>, name: &str) -> Option<String> {
    reader
        .state()
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some(name))
        .and_then(|c| c.data.as_ref()?.get("v").cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflector_follows_creates_updates_deletes_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = ServerProc::start(dir.path(), port).await;
    let client = server.client().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");

    let (reader, writer) = reflector::store::<ConfigMap>();
    let cfg = watcher::Config::default().labels("app=reflect");
    let stream = reflector(writer, watcher(api.clone(), cfg))
        .default_backoff()
        .applied_objects();
    let handle = tokio::spawn(async move {
        let mut s = std::pin::pin!(stream);
        while let Some(item) = s.next().await {
            let _ = item;
        }
    });

    for i in 0..5 {
        api.create(&PostParams::default(), &cm(&format!("c{i}"), "1"))
            .await
            .unwrap();
    }
    eventually("5 objects reflected", Duration::from_secs(20), || async {
        reader.state().len() == 5
    })
    .await;

    let patch = serde_json::json!({"data": {"v": "2"}});
    api.patch("c1", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    api.delete("c2", &DeleteParams::default()).await.unwrap();
    eventually(
        "update and delete reflected",
        Duration::from_secs(20),
        || async { reader.state().len() == 4 && data_of(&reader, "c1").as_deref() == Some("2") },
    )
    .await;

    // restart the server on the same data dir and port; the watcher reconnects
    server.kill();
    let server = ServerProc::start(dir.path(), port).await;
    let client2 = server.client().await.unwrap();
    let api2: Api<ConfigMap> = Api::namespaced(client2, "default");
    api2.create(&PostParams::default(), &cm("c9", "9"))
        .await
        .unwrap();
    api2.patch(
        "c3",
        &PatchParams::default(),
        &Patch::Merge(&serde_json::json!({"data": {"v": "3"}})),
    )
    .await
    .unwrap();
    api2.delete("c4", &DeleteParams::default()).await.unwrap();
    eventually(
        "changes after restart reflected",
        Duration::from_secs(60),
        || async {
            let names: Vec<String> = reader
                .state()
                .iter()
                .filter_map(|c| c.metadata.name.clone())
                .collect();
            names.len() == 4
                && names.contains(&"c9".to_string())
                && !names.contains(&"c4".to_string())
                && data_of(&reader, "c3").as_deref() == Some("3")
                && data_of(&reader, "c1").as_deref() == Some("2")
        },
    )
    .await;
    handle.abort();
}
