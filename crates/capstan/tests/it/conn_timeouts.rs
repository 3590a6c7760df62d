//! Connection deadlines: a connection that never speaks is closed after the request
//! header timeout; an open watch outlives both the header and the idle timeouts.

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use tokio::io::AsyncReadExt;

use crate::support::{ServerProc, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_close_and_watches_stay() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProc::start_with(
        dir.path(),
        port,
        &[
            "--request-header-timeout",
            "1s",
            "--idle-connection-timeout",
            "2s",
        ],
    )
    .await;
    let client = server.client().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let watch_rv = api
        .list(&Default::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut watch = api
        .watch(&WatchParams::default().timeout(290), &watch_rv)
        .await
        .unwrap()
        .boxed();
    let watch_started = Instant::now();

    // a TCP connection that sends nothing: closed once the header timeout passes
    let mut silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let opened = Instant::now();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(30), silent.read(&mut buf))
        .await
        .expect("the silent connection was not closed within 30 s");
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "the server wrote to a silent connection: {n:?}"
    );
    assert!(
        opened.elapsed() >= Duration::from_millis(900),
        "closed before the timeout"
    );

    // the watch has by now outlived the header timeout; let it outlive the idle one too
    let past_idle = watch_started + Duration::from_secs(3);
    tokio::time::sleep_until(past_idle.into()).await;
    let cm = ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some("after-timeouts".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    // a fresh client: the watch's own connection carries only the watch
    let other = server.client().await.unwrap();
    Api::<ConfigMap>::namespaced(other, "default")
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(20), watch.try_next())
        .await
        .expect("no event on the watch")
        .expect("the watch failed")
        .expect("the watch ended");
    match ev {
        WatchEvent::Added(c) => assert_eq!(c.metadata.name.as_deref(), Some("after-timeouts")),
        other => panic!("unexpected event {other:?}"),
    }
}
