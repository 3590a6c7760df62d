//! The Store conformance suite: one `pub async fn` per behaviour, each taking a fresh,
//! empty store. Assertions only use revisions relative to what the store returned, so an
//! etcd server (which starts at revision 1 like our backends) passes it too.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use crate::{
    Compare, EventType, OpResponse, RangeRequest, Revision, Store, StoreError, TxnOp, TxnRequest,
    WatchRequest, WatchResponse, WatchStream,
};

const WAIT: Duration = Duration::from_secs(20);

async fn put(store: &Arc<dyn Store>, key: &str, value: &str) -> Revision {
    let resp = store
        .txn(TxnRequest::put(key, value.to_string()))
        .await
        .expect("put");
    assert!(resp.succeeded);
    resp.revision
}

async fn delete(store: &Arc<dyn Store>, key: &str) -> Revision {
    store
        .txn(TxnRequest::delete(key))
        .await
        .expect("delete")
        .revision
}

/// Next response of a watch, failing the test after a deadline instead of hanging.
async fn next(w: &mut WatchStream) -> WatchResponse {
    tokio::time::timeout(WAIT, w.next())
        .await
        .expect("watch response within deadline")
        .expect("watch stream ended")
        .expect("watch error")
}

/// Next response carrying events (skips progress notifications).
async fn next_events(w: &mut WatchStream) -> WatchResponse {
    loop {
        let resp = next(w).await;
        if !resp.is_progress_notify() {
            return resp;
        }
    }
}

/// Create-if-absent: compare `mod_revision == 0`.
pub async fn create_if_absent(store: Arc<dyn Store>) {
    let first = store
        .txn(TxnRequest::compare_and_put("/a", 0, "1"))
        .await
        .unwrap();
    assert!(first.succeeded);
    let OpResponse::Put { prev_kv, kv } = &first.responses[0] else {
        panic!("put response")
    };
    assert!(prev_kv.is_none());
    assert_eq!(
        (kv.create_revision, kv.mod_revision, kv.version),
        (first.revision, first.revision, 1)
    );

    let second = store
        .txn(TxnRequest::compare_and_put("/a", 0, "2"))
        .await
        .unwrap();
    assert!(!second.succeeded);
    assert_eq!(
        second.revision, first.revision,
        "a failed txn does not bump the revision"
    );
    let OpResponse::Get { kv: Some(existing) } = &second.responses[0] else {
        panic!("get response")
    };
    assert_eq!(existing.value, "1");
    assert_eq!(store.current_revision().await.unwrap(), first.revision);
}

/// Compare-and-swap on `mod_revision`: the right revision wins, a stale one fails.
pub async fn cas_update(store: Arc<dyn Store>) {
    let r1 = put(&store, "/cas", "v1").await;
    let ok = store
        .txn(TxnRequest::compare_and_put("/cas", r1, "v2"))
        .await
        .unwrap();
    assert!(ok.succeeded);
    assert_eq!(ok.revision, r1 + 1);
    let stale = store
        .txn(TxnRequest::compare_and_put("/cas", r1, "v3"))
        .await
        .unwrap();
    assert!(!stale.succeeded);
    let kv = store.get(b"/cas").await.unwrap().unwrap();
    assert_eq!(
        (kv.value.as_ref(), kv.mod_revision, kv.version),
        (b"v2".as_ref(), ok.revision, 2)
    );
}

/// Delete returns the previous value, removes the key, and deleting again is a no-op.
pub async fn delete_key(store: Arc<dyn Store>) {
    let r1 = put(&store, "/d", "x").await;
    let del = store.txn(TxnRequest::delete("/d")).await.unwrap();
    assert_eq!(del.revision, r1 + 1);
    let OpResponse::Delete {
        prev_kv: Some(prev),
    } = &del.responses[0]
    else {
        panic!("prev kv")
    };
    assert_eq!(prev.value, "x");
    assert!(store.get(b"/d").await.unwrap().is_none());
    let again = store.txn(TxnRequest::delete("/d")).await.unwrap();
    assert!(matches!(
        &again.responses[0],
        OpResponse::Delete { prev_kv: None }
    ));
    assert_eq!(
        again.revision, del.revision,
        "deleting an absent key does not bump the revision"
    );
    // Re-creating starts a new life: new create revision, version 1.
    let r3 = put(&store, "/d", "y").await;
    let kv = store.get(b"/d").await.unwrap().unwrap();
    assert_eq!((kv.create_revision, kv.version), (r3, 1));
}

/// create/mod revisions and versions across updates and other keys' writes.
pub async fn revisions_and_versions(store: Arc<dyn Store>) {
    let start = store.current_revision().await.unwrap();
    let r1 = put(&store, "/v", "1").await;
    assert_eq!(r1, start + 1);
    let r2 = put(&store, "/other", "x").await;
    let r3 = put(&store, "/v", "2").await;
    assert_eq!((r2, r3), (r1 + 1, r1 + 2));
    let kv = store.get(b"/v").await.unwrap().unwrap();
    assert_eq!(
        (kv.create_revision, kv.mod_revision, kv.version),
        (r1, r3, 2)
    );
    // A multi-op transaction is one revision.
    let mut req = TxnRequest::put("/m1", "a");
    req.success.push(TxnOp::Put {
        key: b"/m2".to_vec(),
        value: Bytes::from_static(b"b"),
    });
    let multi = store.txn(req).await.unwrap();
    assert_eq!(multi.revision, r3 + 1);
    assert_eq!(
        store.get(b"/m2").await.unwrap().unwrap().mod_revision,
        multi.revision
    );
    assert_eq!(store.current_revision().await.unwrap(), multi.revision);
}

/// Prefix ranges with limit, `more` and `count`, in key order, not leaking neighbours.
pub async fn range_prefix_limit_count(store: Arc<dyn Store>) {
    for i in 0..10 {
        put(&store, &format!("/registry/pods/ns/p{i}"), &format!("v{i}")).await;
    }
    put(&store, "/registry/pods/nt/q", "other ns").await;
    put(&store, "/registry/podsx", "neighbour").await;
    let all = store
        .range(RangeRequest::prefix("/registry/pods/ns/"))
        .await
        .unwrap();
    assert_eq!(all.count, 10);
    assert!(!all.more);
    let keys: Vec<_> = all
        .kvs
        .iter()
        .map(|kv| String::from_utf8(kv.key.clone()).unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(all.revision, store.current_revision().await.unwrap());

    let page = store
        .range(RangeRequest::prefix("/registry/pods/ns/").with_limit(3))
        .await
        .unwrap();
    assert_eq!((page.kvs.len(), page.more, page.count), (3, true, 10));
    // Continue after the last key, like the apiserver's continue tokens.
    let mut next_key = page.kvs.last().unwrap().key.clone();
    next_key.push(0);
    let rest = store
        .range(RangeRequest {
            key: next_key,
            range_end: Some(crate::prefix_end(b"/registry/pods/ns/")),
            revision: page.revision,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.kvs.len(), 7);
    let pods = store
        .range(RangeRequest::prefix("/registry/pods/"))
        .await
        .unwrap();
    assert_eq!(pods.count, 11);
    let everything = store
        .range(RangeRequest {
            key: vec![0],
            range_end: Some(vec![0]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(everything.count, 12);
    let missing = store.range(RangeRequest::key("/nope")).await.unwrap();
    assert_eq!((missing.kvs.len(), missing.count), (0, 0));
}

/// Reads at a past revision see the state as of then; compacted and future revisions fail.
pub async fn range_at_revision(store: Arc<dyn Store>) {
    let r1 = put(&store, "/h/a", "a1").await;
    let r2 = put(&store, "/h/b", "b1").await;
    let r3 = put(&store, "/h/a", "a2").await;
    let r4 = delete(&store, "/h/b").await;
    put(&store, "/h/c", "c1").await;

    let at = |rev| store.range(RangeRequest::prefix("/h/").at_revision(rev));
    let s1 = at(r1).await.unwrap();
    assert_eq!(s1.revision, r1);
    assert_eq!(s1.kvs.len(), 1);
    assert_eq!(
        (s1.kvs[0].value.as_ref(), s1.kvs[0].version),
        (b"a1".as_ref(), 1)
    );
    let s2 = at(r2).await.unwrap();
    assert_eq!(
        s2.kvs.iter().map(|kv| kv.value.clone()).collect::<Vec<_>>(),
        vec!["a1", "b1"]
    );
    let s3 = at(r3).await.unwrap();
    assert_eq!(s3.kvs[0].value, "a2");
    assert_eq!(s3.kvs[0].mod_revision, r3);
    assert_eq!(s3.count, 2);
    let s4 = at(r4).await.unwrap();
    assert_eq!(s4.count, 1);
    let limited = store
        .range(RangeRequest::prefix("/h/").at_revision(r2).with_limit(1))
        .await
        .unwrap();
    assert_eq!(
        (limited.kvs.len(), limited.more, limited.count),
        (1, true, 2)
    );

    let current = store.current_revision().await.unwrap();
    assert!(matches!(
        at(current + 10).await,
        Err(StoreError::FutureRevision { .. })
    ));
    store.compact(r3).await.unwrap();
    assert!(
        matches!(at(r2).await, Err(StoreError::Compacted { compact_revision, .. }) if compact_revision == r3)
    );
    assert_eq!(
        at(r3).await.unwrap().count,
        2,
        "the compacted revision itself stays readable"
    );
}

/// `keys_only` drops values, `count_only` returns only the count.
pub async fn keys_only_and_count_only(store: Arc<dyn Store>) {
    for i in 0..5 {
        put(&store, &format!("/k/{i}"), "value").await;
    }
    let keys = store
        .range(RangeRequest {
            keys_only: true,
            ..RangeRequest::prefix("/k/")
        })
        .await
        .unwrap();
    assert_eq!(keys.kvs.len(), 5);
    assert!(
        keys.kvs
            .iter()
            .all(|kv| kv.value.is_empty() && kv.version == 1)
    );
    let count = store
        .range(RangeRequest {
            count_only: true,
            ..RangeRequest::prefix("/k/")
        })
        .await
        .unwrap();
    assert_eq!((count.kvs.len(), count.count, count.more), (0, 5, false));
}

/// Multi-compare transactions choose the right branch; gets see earlier ops of the txn.
pub async fn txn_branches_and_gets(store: Arc<dyn Store>) {
    let r1 = put(&store, "/t/a", "1").await;
    let req = TxnRequest {
        compare: vec![
            Compare::ModRevision {
                key: b"/t/a".to_vec(),
                equals: r1,
            },
            Compare::Version {
                key: b"/t/a".to_vec(),
                equals: 1,
            },
            Compare::Value {
                key: b"/t/a".to_vec(),
                equals: Bytes::from_static(b"1"),
            },
            Compare::CreateRevision {
                key: b"/t/missing".to_vec(),
                equals: 0,
            },
        ],
        success: vec![
            TxnOp::Put {
                key: b"/t/a".to_vec(),
                value: Bytes::from_static(b"2"),
            },
            TxnOp::Get {
                key: b"/t/a".to_vec(),
            },
            TxnOp::Delete {
                key: b"/t/missing".to_vec(),
            },
        ],
        failure: vec![TxnOp::Get {
            key: b"/t/a".to_vec(),
        }],
    };
    let resp = store.txn(req.clone()).await.unwrap();
    assert!(resp.succeeded);
    assert_eq!(resp.responses.len(), 3);
    let OpResponse::Get { kv: Some(kv) } = &resp.responses[1] else {
        panic!("get")
    };
    assert_eq!(
        (kv.value.as_ref(), kv.mod_revision),
        (b"2".as_ref(), resp.revision)
    );
    // Same request again: version is now 2, so the failure branch runs.
    let again = store.txn(req).await.unwrap();
    assert!(!again.succeeded);
    assert_eq!(again.responses.len(), 1);
    assert_eq!(again.revision, resp.revision);
}

/// Malformed requests are rejected without side effects.
pub async fn invalid_requests(store: Arc<dyn Store>) {
    let before = store.current_revision().await.unwrap();
    let mut dup = TxnRequest::put("/x", "1");
    dup.success.push(TxnOp::Put {
        key: b"/x".to_vec(),
        value: Bytes::new(),
    });
    assert!(matches!(
        store.txn(dup).await,
        Err(StoreError::InvalidRequest(_))
    ));
    assert!(matches!(
        store.txn(TxnRequest::put("", "1")).await,
        Err(StoreError::InvalidRequest(_))
    ));
    assert_eq!(store.current_revision().await.unwrap(), before);
    assert!(store.get(b"/x").await.unwrap().is_none());
}

/// A watch from a past revision replays history (with prev_kv and deletes), then goes live.
pub async fn watch_from_revision(store: Arc<dyn Store>) {
    let r1 = put(&store, "/w/a", "1").await;
    put(&store, "/elsewhere", "x").await;
    let r2 = put(&store, "/w/a", "2").await;
    let r3 = delete(&store, "/w/a").await;
    let mut w = store
        .watch(WatchRequest::prefix("/w/", r1).with_prev_kv())
        .await
        .unwrap();
    let e1 = next_events(&mut w).await;
    assert_eq!(e1.revision, r1);
    assert_eq!(e1.events[0].kind, EventType::Put);
    assert!(e1.events[0].prev_kv.is_none());
    let e2 = next_events(&mut w).await;
    assert_eq!(e2.revision, r2);
    assert_eq!(e2.events[0].kv.value, "2");
    assert_eq!(e2.events[0].prev_kv.as_ref().unwrap().value, "1");
    let e3 = next_events(&mut w).await;
    assert_eq!(e3.revision, r3);
    let del = &e3.events[0];
    assert_eq!(
        (del.kind, del.kv.key.as_slice(), del.kv.mod_revision),
        (EventType::Delete, b"/w/a".as_ref(), r3)
    );
    assert!(del.kv.value.is_empty());
    assert_eq!(del.prev_kv.as_ref().unwrap().value, "2");
    let r4 = put(&store, "/w/b", "live").await;
    let e4 = next_events(&mut w).await;
    assert_eq!((e4.revision, e4.events.len()), (r4, 1));
    assert_eq!(e4.events[0].kv.version, 1);

    // Without prev_kv, events carry none.
    let mut plain = store.watch(WatchRequest::prefix("/w/", r2)).await.unwrap();
    assert!(next_events(&mut plain).await.events[0].prev_kv.is_none());
}

/// `start_revision` 0 delivers only changes after the watch was created.
pub async fn watch_from_now(store: Arc<dyn Store>) {
    put(&store, "/n/old", "x").await;
    let mut w = store.watch(WatchRequest::prefix("/n/", 0)).await.unwrap();
    let r = put(&store, "/n/new", "y").await;
    let e = next_events(&mut w).await;
    assert_eq!(e.revision, r);
    assert_eq!(e.events[0].kv.key, b"/n/new");
    // A multi-key revision arrives as one response, in op order.
    let mut req = TxnRequest::put("/n/1", "a");
    req.success.push(TxnOp::Put {
        key: b"/n/2".to_vec(),
        value: Bytes::from_static(b"b"),
    });
    req.success.push(TxnOp::Put {
        key: b"/zzz".to_vec(),
        value: Bytes::from_static(b"c"),
    });
    let multi = store.txn(req).await.unwrap();
    let e = next_events(&mut w).await;
    assert_eq!(e.revision, multi.revision);
    assert_eq!(
        e.events
            .iter()
            .map(|ev| ev.kv.key.clone())
            .collect::<Vec<_>>(),
        vec![b"/n/1".to_vec(), b"/n/2".to_vec()]
    );
}

/// A single-key watch ignores other keys, including ones sharing its prefix.
pub async fn watch_single_key(store: Arc<dyn Store>) {
    let mut w = store.watch(WatchRequest::key("/s/a", 0)).await.unwrap();
    put(&store, "/s/ab", "no").await;
    put(&store, "/s/", "no").await;
    let r = put(&store, "/s/a", "yes").await;
    let e = next_events(&mut w).await;
    assert_eq!((e.revision, e.events.len()), (r, 1));
}

/// Watching from before the compacted revision fails with `Compacted`; from it, works.
pub async fn watch_compacted_revision(store: Arc<dyn Store>) {
    let r1 = put(&store, "/c/a", "1").await;
    let r2 = put(&store, "/c/a", "2").await;
    put(&store, "/c/a", "3").await;
    store.compact(r2).await.unwrap();
    match store.watch(WatchRequest::prefix("/c/", r1)).await {
        Err(StoreError::Compacted {
            compact_revision, ..
        }) => assert_eq!(compact_revision, r2),
        other => panic!("expected Compacted, got {other:?}"),
    }
    let mut w = store
        .watch(WatchRequest::prefix("/c/", r2).with_prev_kv())
        .await
        .unwrap();
    let e = next_events(&mut w).await;
    assert_eq!(e.revision, r2);
    assert_eq!(e.events[0].prev_kv.as_ref().unwrap().value, "1");
}

/// 16 writers x 200 writes: watchers (one live from the start, one replaying from history
/// while writes go on) see every revision exactly once, strictly increasing, no gaps.
pub async fn watch_concurrent_writers(store: Arc<dyn Store>) {
    const WRITERS: usize = 16;
    const WRITES: usize = 200;
    let start = store.current_revision().await.unwrap() + 1;
    let mut live = store.watch(WatchRequest::prefix("/cw/", 0)).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut revs = Vec::with_capacity(WRITES);
            for i in 0..WRITES {
                let key = format!("/cw/{w}/{}", i % 7);
                revs.push(
                    store
                        .txn(TxnRequest::put(key, format!("{i}")))
                        .await
                        .unwrap()
                        .revision,
                );
            }
            revs
        }));
    }
    // Start a replaying watcher while the writers run, once some history exists.
    let deadline = tokio::time::Instant::now() + WAIT;
    while store.current_revision().await.unwrap() < start + 300 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "writers made no progress"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut replay = store
        .watch(WatchRequest::prefix("/cw/", start))
        .await
        .unwrap();
    let mut written = BTreeSet::new();
    for t in tasks {
        written.extend(t.await.unwrap());
    }
    assert_eq!(written.len(), WRITERS * WRITES);
    let expected: BTreeSet<Revision> = (start..start + (WRITERS * WRITES) as i64).collect();
    assert_eq!(written, expected, "revisions are dense: one per txn");
    for w in [&mut live, &mut replay] {
        let mut last = start - 1;
        while last < *expected.last().unwrap() {
            let e = next_events(w).await;
            assert_eq!(e.revision, last + 1, "no gap, no duplicate");
            assert_eq!(e.events.len(), 1);
            assert_eq!(e.events[0].kv.mod_revision, e.revision);
            last = e.revision;
        }
    }
}

/// A watcher that does not read while many revisions are written neither blocks writers
/// nor loses events: it catches up (from history) once it reads again.
pub async fn watch_slow_consumer_catches_up(store: Arc<dyn Store>) {
    const WRITERS: usize = 16;
    const WRITES: usize = 150;
    let start = store.current_revision().await.unwrap() + 1;
    let mut w = store
        .watch(WatchRequest::prefix("/slow/", 0).with_prev_kv())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for t in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..WRITES {
                store
                    .txn(TxnRequest::put(format!("/slow/{t}"), format!("{i}")))
                    .await
                    .unwrap();
            }
        }));
    }
    tokio::time::timeout(WAIT * 3, futures::future::join_all(tasks))
        .await
        .expect("writers not blocked");
    let end = store.current_revision().await.unwrap();
    let mut last = start - 1;
    while last < end {
        let e = next_events(&mut w).await;
        assert_eq!(e.revision, last + 1);
        let ev = &e.events[0];
        assert_eq!(ev.prev_kv.is_some(), ev.kv.version > 1);
        last = e.revision;
    }
}

/// Progress notifications: on request and periodically, never behind delivered events.
pub async fn watch_progress(store: Arc<dyn Store>) {
    let mut w = store.watch(WatchRequest::prefix("/p/", 0)).await.unwrap();
    put(&store, "/unrelated", "x").await;
    let r = put(&store, "/unrelated", "y").await;
    w.request_progress();
    let p = next(&mut w).await;
    assert!(p.is_progress_notify());
    assert!(
        p.revision >= r,
        "progress {} covers the current revision {r}",
        p.revision
    );

    let periodic = WatchRequest {
        progress_interval: Some(Duration::from_millis(50)),
        ..WatchRequest::prefix("/p/", 0)
    };
    let mut w = store.watch(periodic).await.unwrap();
    let p = next(&mut w).await;
    assert!(p.is_progress_notify());
    assert!(p.revision >= r);
}

/// Compaction: rejects stale and future revisions, keeps current data intact.
pub async fn compaction(store: Arc<dyn Store>) {
    let r1 = put(&store, "/cp/a", "1").await;
    let r2 = put(&store, "/cp/a", "2").await;
    let r3 = put(&store, "/cp/b", "1").await;
    assert_eq!(store.compacted_revision().await.unwrap(), 0);
    store.compact(r2).await.unwrap();
    assert_eq!(store.compacted_revision().await.unwrap(), r2);
    assert!(matches!(
        store.compact(r1).await,
        Err(StoreError::Compacted { .. })
    ));
    assert!(matches!(
        store.compact(r2).await,
        Err(StoreError::Compacted { .. })
    ));
    assert!(matches!(
        store.compact(r3 + 100).await,
        Err(StoreError::FutureRevision { .. })
    ));
    let all = store.range(RangeRequest::prefix("/cp/")).await.unwrap();
    assert_eq!(all.count, 2);
    assert_eq!(all.kvs[0].version, 2);
    assert_eq!(
        store
            .range(RangeRequest::prefix("/cp/").at_revision(r2))
            .await
            .unwrap()
            .count,
        1
    );
    store.compact(r3).await.unwrap();
    assert_eq!(put(&store, "/cp/a", "3").await, r3 + 1);
}

/// N concurrent CAS updates against the same mod revision: exactly one wins.
pub async fn concurrent_cas_contention(store: Arc<dyn Store>) {
    const N: usize = 32;
    let r0 = put(&store, "/race", "0").await;
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .txn(TxnRequest::compare_and_put("/race", r0, format!("{i}")))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        let resp = t.await.unwrap();
        if resp.succeeded {
            winners += 1;
        } else {
            let OpResponse::Get { kv: Some(kv) } = &resp.responses[0] else {
                panic!("get")
            };
            assert!(kv.mod_revision > r0, "losers see the winner's write");
        }
    }
    assert_eq!(winners, 1);
    let kv = store.get(b"/race").await.unwrap().unwrap();
    assert_eq!((kv.version, kv.mod_revision), (2, r0 + 1));
}
