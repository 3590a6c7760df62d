//! Watch semantics served from the watch cache.

use http::Method;
use serde_json::json;

use crate::harness::{Api, cm, rv};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn an_object_leaving_the_selection_is_deleted_for_the_watcher() {
    let api = Api::new().await;
    let c = api
        .call(Method::POST, CMS, Some(cm("s", json!({"tier": "a"}))))
        .await;
    let mut w = api
        .watch(&format!(
            "{CMS}?watch=true&labelSelector=tier%3Da&resourceVersion={}",
            rv(&c.body)
        ))
        .await;
    let ct = Some("application/merge-patch+json");
    api.call_ct(
        Method::PATCH,
        &format!("{CMS}/s"),
        Some(json!({"metadata":{"labels":{"tier":"b"}}})),
        ct,
    )
    .await;
    let (t, o) = w.next().await.expect("event");
    assert_eq!(
        (t.as_str(), o["metadata"]["labels"]["tier"].as_str()),
        ("DELETED", Some("b"))
    );
    api.call_ct(
        Method::PATCH,
        &format!("{CMS}/s"),
        Some(json!({"metadata":{"labels":{"tier":"a"}}})),
        ct,
    )
    .await;
    assert_eq!(w.next().await.expect("event").0, "ADDED");
    api.call_ct(
        Method::PATCH,
        &format!("{CMS}/s"),
        Some(json!({"data":{"k":"z"}})),
        ct,
    )
    .await;
    assert_eq!(w.next().await.expect("event").0, "MODIFIED");
    api.call(Method::DELETE, &format!("{CMS}/s"), None).await;
    assert_eq!(w.next().await.expect("event").0, "DELETED");
}

#[tokio::test]
async fn send_initial_events_ends_with_the_bookmark() {
    let api = Api::new().await;
    for n in ["i1", "i2"] {
        api.call(Method::POST, CMS, Some(cm(n, json!({})))).await;
    }
    let mut w = api
        .watch(&format!(
            "{CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
        ))
        .await;
    assert_eq!(w.next().await.unwrap().0, "ADDED");
    assert_eq!(w.next().await.unwrap().0, "ADDED");
    let (t, o) = w.next().await.unwrap();
    assert_eq!(t, "BOOKMARK");
    assert_eq!(
        o["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // without allowWatchBookmarks the request is invalid, not silently ignored
    let bad = api
        .call(
            Method::GET,
            &format!("{CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"),
            None,
        )
        .await;
    assert_eq!(bad.code, 422, "{}", bad.body);
}

#[tokio::test]
async fn a_compacted_resource_version_is_gone() {
    let api = Api::new().await;
    let first = api.call(Method::POST, CMS, Some(cm("g", json!({})))).await;
    let mut last = first.body.clone();
    for i in 0..5 {
        last["data"]["k"] = json!(i.to_string());
        last = api
            .call(Method::PUT, &format!("{CMS}/g"), Some(last.clone()))
            .await
            .body;
    }
    let to: i64 = rv(&last).parse().unwrap();
    api.server.store.compact(to).await.unwrap();
    // the cache trims its event ring to the store's compaction within a second
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut w = api
            .watch(&format!(
                "{CMS}?watch=true&resourceVersion={}",
                rv(&first.body)
            ))
            .await;
        match w.next().await {
            Some((t, o)) if t == "ERROR" => {
                assert_eq!(
                    (o["code"].as_i64(), o["reason"].as_str()),
                    (Some(410), Some("Expired")),
                    "{o}"
                );
                break;
            }
            _ => assert!(
                std::time::Instant::now() < deadline,
                "no 410 after compaction"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
