//! 500 concurrent creates while the server is killed with SIGKILL at a random
//! moment: after a restart every create that got a 201 is there, byte-identical.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use rand::Rng;

use crate::support::{ServerProc, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = ServerProc::start(dir.path(), port).await;
    let client = server.client().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let acked: Arc<Mutex<BTreeMap<String, ConfigMap>>> = Arc::default();

    let mut tasks = Vec::new();
    for i in 0..500 {
        let api = api.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = ConfigMap::default();
            c.metadata.name = Some(format!("d{i:04}"));
            c.data = Some(BTreeMap::from([(
                "payload".to_string(),
                "x".repeat(512 + i),
            )]));
            if let Ok(created) = api.create(&PostParams::default(), &c).await {
                acked
                    .lock()
                    .unwrap()
                    .insert(created.metadata.name.clone().unwrap(), created);
            }
        }));
    }
    // kill at a random point of the stream of acknowledgements
    let target = rand::rng().random_range(25..450);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < target && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    server.kill();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();

    let server = ServerProc::start(dir.path(), port).await;
    let client = server.client().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    for (name, want) in &acked {
        let got = api
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("acknowledged create {name} lost: {e}"));
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::to_value(want).unwrap(),
            "{name} changed across the crash"
        );
    }
    eprintln!(
        "{} of 500 creates were acknowledged before SIGKILL; all survived",
        acked.len()
    );
}
