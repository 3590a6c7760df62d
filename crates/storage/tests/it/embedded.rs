//! Embedded-backend behaviour beyond the conformance suite: reopen, startup time, bounded
//! file size under churn with automatic compaction, and lagging watchers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use storage::{
    EmbeddedOptions, EmbeddedStore, RangeRequest, Store, StoreError, TxnOp, TxnRequest,
    WatchRequest,
};

fn fast() -> EmbeddedOptions {
    // No fsync: these tests are about layout and logic, not durability.
    EmbeddedOptions {
        sync_writes: false,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_restores_revision_data_and_history_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let (revision, mid) = {
        let store = EmbeddedStore::open(&path, fast()).unwrap();
        let value = vec![b'x'; 512];
        let mut mid = 0;
        for chunk in 0..100 {
            let mut req = TxnRequest::default();
            for i in 0..100 {
                req.success.push(TxnOp::Put {
                    key: format!("/r/{chunk:03}/{i:03}").into_bytes(),
                    value: value.clone().into(),
                });
            }
            let rev = store.txn(req).await.unwrap().revision;
            if chunk == 49 {
                mid = rev;
            }
        }
        store.txn(TxnRequest::delete("/r/000/000")).await.unwrap();
        (store.current_revision().await.unwrap(), mid)
    };
    let t0 = Instant::now();
    let store = EmbeddedStore::open(&path, fast()).unwrap();
    let startup = t0.elapsed();
    eprintln!("startup with 10k keys: {startup:?}");
    // redb's open is ~30x slower unoptimized (4 ms in release for this file).
    let limit = if cfg!(debug_assertions) {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(100)
    };
    assert!(startup < limit, "startup took {startup:?}");

    assert_eq!(store.current_revision().await.unwrap(), revision);
    let all = store.range(RangeRequest::prefix("/r/")).await.unwrap();
    assert_eq!(all.count, 9_999);
    assert_eq!(
        store
            .range(RangeRequest::prefix("/r/").at_revision(mid))
            .await
            .unwrap()
            .count,
        5_000
    );
    // Watch replays history written before the restart.
    let mut w = store.watch(WatchRequest::prefix("/r/", mid)).await.unwrap();
    let first = w.next().await.unwrap().unwrap();
    assert_eq!((first.revision, first.events.len()), (mid, 100));
    // And the next write continues the revision sequence.
    let next = store.txn(TxnRequest::put("/r/new", "1")).await.unwrap();
    assert_eq!(next.revision, revision + 1);
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

async fn churn(store: &Arc<EmbeddedStore>, writes: usize) {
    const WRITERS: usize = 50;
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..writes / WRITERS {
                    let key = format!("/churn/{:03}", (w * 2 + i) % 100);
                    store
                        .txn(TxnRequest::put(key, vec![i as u8; 1024]))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_size_stays_bounded_under_churn() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let opts = EmbeddedOptions {
        max_history_revisions: Some(1_000),
        compaction_interval: Some(Duration::from_millis(200)),
        purge_chunk: 500,
        // many checkpoints a round, however slow the machine: freed pages are reusable
        // only after one
        checkpoint_interval: Duration::from_millis(100),
        ..Default::default()
    };
    let store = Arc::new(EmbeddedStore::open(&path, opts).unwrap());
    // The first rounds grow the file to its working size (pages freed by non-durable commits
    // are reused only after the next checkpoint); equal rounds after that must not grow it.
    // measure once the compactor has caught up with a round (a loaded machine delays it)
    let settled = |store: Arc<EmbeddedStore>| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let c = store.compacted_revision().await.unwrap();
            let r = store.current_revision().await.unwrap();
            if r - c <= 1_200 || std::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    churn(&store, 40_000).await;
    settled(store.clone()).await;
    let after_first = file_size(&path);
    churn(&store, 40_000).await;
    settled(store.clone()).await;
    let after_second = file_size(&path);
    let compacted = store.compacted_revision().await.unwrap();
    let current = store.current_revision().await.unwrap();
    eprintln!(
        "file size after rounds: {after_first} {after_second}; history {} revisions",
        current - compacted
    );
    assert!(current - compacted <= 1_200);
    // No growth between equal rounds, beyond a little allocator slack.
    assert!(
        after_second <= after_first + after_first / 4,
        "file grew: {after_first} -> {after_second}"
    );
    assert_eq!(
        store
            .range(RangeRequest::prefix("/churn/"))
            .await
            .unwrap()
            .count,
        100
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_watcher_catches_up_from_history() {
    let store = Arc::new(
        EmbeddedStore::open_temporary(EmbeddedOptions {
            watch_buffer: 1,
            ..fast()
        })
        .unwrap(),
    );
    let start = store.current_revision().await.unwrap() + 1;
    let mut w = store
        .watch(WatchRequest::prefix("/lag/", 0).with_prev_kv())
        .await
        .unwrap();
    for i in 0..500 {
        store
            .txn(TxnRequest::put(format!("/lag/{}", i % 10), format!("{i}")))
            .await
            .unwrap();
    }
    for rev in start..start + 500 {
        let resp = w.next().await.unwrap().unwrap();
        assert_eq!(resp.revision, rev);
        assert_eq!(resp.events[0].prev_kv.is_some(), rev >= start + 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_watcher_past_compaction_gets_compacted_error() {
    let store = Arc::new(
        EmbeddedStore::open_temporary(EmbeddedOptions {
            watch_buffer: 1,
            ..fast()
        })
        .unwrap(),
    );
    let mut w = store
        .watch(WatchRequest::prefix("/lagc/", 0))
        .await
        .unwrap();
    for i in 0..50 {
        store
            .txn(TxnRequest::put("/lagc/a", format!("{i}")))
            .await
            .unwrap();
    }
    let current = store.current_revision().await.unwrap();
    store.compact(current).await.unwrap();
    let mut delivered = 0;
    loop {
        match w.next().await {
            Some(Ok(_)) => delivered += 1,
            Some(Err(StoreError::Compacted {
                compact_revision, ..
            })) => {
                assert_eq!(compact_revision, current);
                break;
            }
            other => panic!("expected a Compacted error, got {other:?}"),
        }
    }
    assert!(delivered < 50);
    assert!(w.next().await.is_none(), "the stream ends after its error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_store_ends_watches() {
    let store = EmbeddedStore::open_temporary(fast()).unwrap();
    let mut w = store.watch(WatchRequest::prefix("/x/", 0)).await.unwrap();
    drop(store);
    assert!(matches!(w.next().await, Some(Err(StoreError::Closed))));
    assert!(w.next().await.is_none());
}

/// Concurrent writers share group commits, so one history record holds many revisions:
/// reads at, and watches from, a revision in the middle of such a record see exactly the
/// revisions up to, and from, it — also after a reopen (which redoes nothing then, and with
/// the WAL, redoes whole records).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_inside_a_group_commit_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    for reopen in [false, true] {
        let store = Arc::new(EmbeddedStore::open(&path, EmbeddedOptions::default()).unwrap());
        let base = store.current_revision().await.unwrap();
        if !reopen {
            let writes: Vec<_> = (0..200)
                .map(|i| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        store
                            .txn(TxnRequest::put(format!("/g/{i:03}"), "v"))
                            .await
                            .unwrap()
                            .revision
                    })
                })
                .collect();
            for w in writes {
                w.await.unwrap();
            }
        }
        let current = store.current_revision().await.unwrap();
        let first = if reopen { current - 199 } else { base + 1 };
        assert_eq!(current, first + 199);
        for rev in [
            first,
            first + 1,
            first + 57,
            first + 100,
            current - 1,
            current,
        ] {
            let mut at = RangeRequest::prefix("/g/");
            at.revision = rev;
            let got = store.range(at).await.unwrap();
            assert_eq!(got.count as i64, rev - first + 1, "keys at revision {rev}");
            assert!(got.kvs.iter().all(|kv| kv.mod_revision <= rev));
            let mut watch = store.watch(WatchRequest::prefix("/g/", rev)).await.unwrap();
            for expected in rev..=current {
                let resp = watch.next().await.unwrap().unwrap();
                assert_eq!(resp.revision, expected);
            }
        }
    }
}

/// Every watch event (with its previous value) from `from` up to revision `until`, which must
/// have an event under `prefix`.
async fn replay(
    store: &dyn Store,
    prefix: &str,
    from: i64,
    until: i64,
) -> Vec<(i64, Vec<storage::WatchEvent>)> {
    let mut w = store
        .watch(WatchRequest::prefix(prefix, from).with_prev_kv())
        .await
        .unwrap();
    let mut out: Vec<(i64, Vec<storage::WatchEvent>)> = Vec::new();
    while out.last().is_none_or(|(rev, _)| *rev < until) {
        let resp = tokio::time::timeout(Duration::from_secs(20), w.next())
            .await
            .expect("watch delivers")
            .unwrap()
            .unwrap();
        if !resp.events.is_empty() {
            out.push((resp.revision, resp.events));
        }
    }
    out
}

/// History records leave put values out (format 4): a watch replaying the file's history
/// must still deliver every value and previous value, exactly as the memory backend does;
/// across replay chunks, with several events per revision, puts over deleted keys and a
/// watched sub-range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_replay_has_every_value_the_memory_backend_has() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let memory = storage::MemoryStore::new();
    let embedded = EmbeddedStore::open(&path, fast()).unwrap();
    let mem_base = memory.current_revision().await.unwrap();
    let emb_base = embedded.current_revision().await.unwrap();
    let mut seed = 7u64;
    let mut rnd = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    for i in 0..3000 {
        let key = |k: u64| format!("/h/{k}").into_bytes();
        let req = match rnd(10) {
            0 | 1 => TxnRequest::delete(key(rnd(40))),
            2 => {
                let (a, b) = (rnd(20), 20 + rnd(20));
                TxnRequest {
                    success: vec![
                        TxnOp::Put {
                            key: key(a),
                            value: format!("a{i}").into(),
                        },
                        TxnOp::Put {
                            key: key(b),
                            value: format!("b{i}").into(),
                        },
                    ],
                    ..Default::default()
                }
            }
            _ => TxnRequest::put(key(rnd(40)), format!("v{i}")),
        };
        let m = memory.txn(req.clone()).await.unwrap();
        let e = embedded.txn(req).await.unwrap();
        assert_eq!(m.revision - mem_base, e.revision - emb_base);
    }
    // a last event under every watched prefix, where the replays end
    memory
        .txn(TxnRequest::put("/h/1-end", "end"))
        .await
        .unwrap();
    embedded
        .txn(TxnRequest::put("/h/1-end", "end"))
        .await
        .unwrap();
    let last = embedded.current_revision().await.unwrap() - emb_base;
    drop(embedded);
    // reopened: nothing is in the live buffer, every replay reads the file's history
    let embedded = EmbeddedStore::open(&path, fast()).unwrap();
    for prefix in ["/h/", "/h/1"] {
        for from in [1, 2, 700, 1023, 1024, 1025, 2100, last - 1, last] {
            let want = replay(&memory, prefix, mem_base + from, mem_base + last).await;
            let got = replay(&embedded, prefix, emb_base + from, emb_base + last).await;
            let rel = |v: Vec<(i64, Vec<storage::WatchEvent>)>, base: i64| {
                v.into_iter()
                    .map(|(rev, evs)| (rev - base, evs))
                    .collect::<Vec<_>>()
            };
            let (want, got) = (rel(want, mem_base), rel(got, emb_base));
            assert_eq!(got.len(), want.len(), "{prefix} from {from}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "{prefix} from {from}");
                assert_eq!(g.1.len(), w.1.len());
                for (ge, we) in g.1.iter().zip(&w.1) {
                    assert_eq!(ge.kind, we.kind);
                    assert_eq!(ge.kv.key, we.kv.key);
                    assert_eq!(
                        ge.kv.value, we.kv.value,
                        "value of {:?} at {}",
                        we.kv.key, w.0
                    );
                    assert_eq!(ge.kv.version, we.kv.version);
                    assert_eq!(
                        ge.prev_kv.as_ref().map(|p| (&p.value, p.version)),
                        we.prev_kv.as_ref().map(|p| (&p.value, p.version))
                    );
                }
            }
        }
    }
}
