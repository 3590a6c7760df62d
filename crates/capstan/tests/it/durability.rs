//! 500 concurrent creates while the server is killed with SIGKILL at a random
//! moment: after a restart every create that got a 201 is there, byte-identical
//! (the GET body equals the create's 201 body).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;

use crate::support::{ServerProc, free_port};

fn configmap(i: usize) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("d{i:04}"), "labels": {"i": i.to_string()}},
        "data": {"payload": "x".repeat(512 + i)},
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = ServerProc::start(dir.path(), port).await;
    let client = server.client().await.unwrap();
    // name -> the exact 201 body
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();

    // kill at a random point of the stream of acknowledgements: the task that
    // records the target-th acknowledgement fires the kill
    let target = rand::rng().random_range(25..450);
    let fire = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for i in 0..500 {
        let client = client.clone();
        let acked = acked.clone();
        let fire = fire.clone();
        tasks.push(tokio::spawn(async move {
            let req = http::Request::post("/api/v1/namespaces/default/configmaps")
                .header("content-type", "application/json")
                .body(configmap(i))
                .unwrap();
            if let Ok(body) = client.request_text(req).await {
                let mut a = acked.lock().unwrap();
                a.insert(format!("d{i:04}"), body);
                if a.len() == target {
                    fire.notify_one();
                }
            }
        }));
    }
    let _ = tokio::time::timeout(Duration::from_secs(60), fire.notified()).await;
    server.kill();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        !acked.is_empty(),
        "nothing was acknowledged before the kill"
    );

    let server = ServerProc::start(dir.path(), port).await;
    let client = server.client().await.unwrap();
    for (name, created) in &acked {
        let req = http::Request::get(format!("/api/v1/namespaces/default/configmaps/{name}"))
            .body(Vec::new())
            .unwrap();
        let got = client
            .request_text(req)
            .await
            .unwrap_or_else(|e| panic!("acknowledged create {name} lost: {e}"));
        assert_eq!(
            &got, created,
            "{name} is not byte-identical across the crash"
        );
    }
    eprintln!(
        "{} of 500 creates were acknowledged before SIGKILL; all survived byte-identical",
        acked.len()
    );
}
