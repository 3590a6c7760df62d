//! The write-ahead log of the embedded backend, through crash snapshots: the store file and
//! its WAL copied while the store runs with no write in flight (a crash with every write
//! already on disk), then opened elsewhere.

use std::path::{Path, PathBuf};
use std::time::Duration;

use storage::{EmbeddedOptions, EmbeddedStore, RangeRequest, Store, TxnRequest};

fn no_checkpoint() -> EmbeddedOptions {
    EmbeddedOptions {
        checkpoint_interval: Duration::from_secs(3600),
        ..Default::default()
    }
}

fn wal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".wal");
    name.into()
}

fn snapshot(path: &Path, to: &Path) -> PathBuf {
    let dest = to.join("store.redb");
    std::fs::copy(path, &dest).unwrap();
    std::fs::copy(wal_of(path), wal_of(&dest)).unwrap();
    dest
}

async fn value(store: &EmbeddedStore, key: &str) -> Option<String> {
    let kv = store.get(key.as_bytes()).await.unwrap()?;
    Some(String::from_utf8(kv.value.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_redoes_the_wal_written_since_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let crash = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&path, no_checkpoint()).unwrap();
    let start = store.current_revision().await.unwrap();
    for i in 0..100 {
        store
            .txn(TxnRequest::put(format!("/w/{}", i % 30), format!("v{i}")))
            .await
            .unwrap();
    }
    let mid = store.current_revision().await.unwrap();
    store.txn(TxnRequest::delete("/w/3")).await.unwrap();
    store.compact(mid - 50).await.unwrap();
    let revision = store.current_revision().await.unwrap();
    let crashed = snapshot(&path, crash.path());
    drop(store);

    // redb alone is back at its last durable commit (the open): the batches since were
    // committed without fsync and live only in the WAL.
    {
        let alone = tempfile::tempdir().unwrap();
        let p = alone.path().join("store.redb");
        std::fs::copy(&crashed, &p).unwrap();
        let store = EmbeddedStore::open(
            &p,
            EmbeddedOptions {
                wal: false,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(store.current_revision().await.unwrap(), start);
        assert_eq!(value(&store, "/w/1").await, None);
    }

    let store = EmbeddedStore::open(&crashed, no_checkpoint()).unwrap();
    assert_eq!(store.current_revision().await.unwrap(), revision);
    assert_eq!(store.compacted_revision().await.unwrap(), mid - 50);
    assert_eq!(value(&store, "/w/3").await, None);
    assert_eq!(value(&store, "/w/9").await.as_deref(), Some("v99"));
    let all = store.range(RangeRequest::prefix("/w/")).await.unwrap();
    assert_eq!(all.count, 29);
    // History was redone too: a past revision reads as it was.
    let past = store
        .range(RangeRequest::prefix("/w/").at_revision(mid - 40))
        .await
        .unwrap();
    assert_eq!(past.count, 30);
    // The revision sequence continues, and the next crash keeps those writes as well.
    let next = store.txn(TxnRequest::put("/w/new", "x")).await.unwrap();
    assert_eq!(next.revision, revision + 1);
    let again = tempfile::tempdir().unwrap();
    let crashed_again = snapshot(&crashed, again.path());
    drop(store);
    let store = EmbeddedStore::open(&crashed_again, no_checkpoint()).unwrap();
    assert_eq!(value(&store, "/w/new").await.as_deref(), Some("x"));
    assert_eq!(store.current_revision().await.unwrap(), revision + 1);
}

/// Ten small puts and a large last one in a store whose WAL is zero-filled `prefill` bytes
/// ahead; returns the revision before the last put.
async fn ten_puts_and_a_large_one(path: &Path, prefill: u64) -> (EmbeddedStore, i64) {
    let store = EmbeddedStore::open(
        path,
        EmbeddedOptions {
            wal_prefill: prefill,
            ..no_checkpoint()
        },
    )
    .unwrap();
    for i in 0..10 {
        store
            .txn(TxnRequest::put(format!("/t/{i}"), "v"))
            .await
            .unwrap();
    }
    let before_last = store.current_revision().await.unwrap();
    store
        .txn(TxnRequest::put("/t/last", vec![7u8; 3000]))
        .await
        .unwrap();
    (store, before_last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_record_is_ignored() {
    torn_last_record(0).await;
}

/// With a zero-filled WAL a crash leaves the torn frame followed by zeros, not a short file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_record_before_zero_fill_is_ignored() {
    torn_last_record(1 << 20).await;
}

async fn torn_last_record(prefill: u64) {
    // Where the frames end, from the same writes to a WAL that is not zero-filled.
    let plain = tempfile::tempdir().unwrap();
    let plain_path = plain.path().join("store.redb");
    let (plain_store, _) = ten_puts_and_a_large_one(&plain_path, 0).await;
    let plain_bytes = std::fs::read(wal_of(&plain_path)).unwrap();
    drop(plain_store);
    let full = plain_bytes.len() as u64;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let (store, before_last) = ten_puts_and_a_large_one(&path, prefill).await;
    let bytes = std::fs::read(wal_of(&path)).unwrap();
    assert_eq!(bytes[..full as usize], plain_bytes[..], "same frames");
    if prefill > 0 {
        assert!(
            bytes.len() as u64 >= full + prefill / 2,
            "zero-filled ahead"
        );
        assert!(bytes[full as usize..].iter().all(|b| *b == 0));
    }
    let last_frame = 3000;

    // Torn anywhere in the last frame (header or payload), or a corrupted byte in it.
    let tear = |p: &Path, at: u64| {
        let wal = std::fs::OpenOptions::new()
            .write(true)
            .open(wal_of(p))
            .unwrap();
        if prefill > 0 {
            use std::os::unix::fs::FileExt;
            wal.write_all_at(&vec![0; (full - at) as usize], at)
                .unwrap();
        } else {
            wal.set_len(at).unwrap();
        }
    };
    for cut in [1, 100, last_frame] {
        let crash = tempfile::tempdir().unwrap();
        let p = snapshot(&path, crash.path());
        tear(&p, full - cut);
        let s = EmbeddedStore::open(&p, no_checkpoint()).unwrap();
        assert_eq!(
            s.current_revision().await.unwrap(),
            before_last,
            "cut {cut}"
        );
        assert!(value(&s, "/t/9").await.is_some());
        assert!(value(&s, "/t/last").await.is_none());
    }
    let crash = tempfile::tempdir().unwrap();
    let p = snapshot(&path, crash.path());
    let mut bytes = std::fs::read(wal_of(&p)).unwrap();
    bytes[(full - last_frame) as usize + 2000] ^= 1;
    std::fs::write(wal_of(&p), &bytes).unwrap();
    drop(store);
    let s = EmbeddedStore::open(&p, no_checkpoint()).unwrap();
    assert_eq!(s.current_revision().await.unwrap(), before_last);
    // A torn tail left behind is overwritten by the next epoch and never resurfaces.
    s.txn(TxnRequest::put("/t/after", "a")).await.unwrap();
    let again = tempfile::tempdir().unwrap();
    let p2 = snapshot(&p, again.path());
    drop(s);
    let s = EmbeddedStore::open(&p2, no_checkpoint()).unwrap();
    assert_eq!(s.current_revision().await.unwrap(), before_last + 1);
    assert_eq!(value(&s, "/t/after").await.as_deref(), Some("a"));
    assert!(value(&s, "/t/last").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpointed_wal_is_not_redone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let opts = || EmbeddedOptions {
        checkpoint_interval: Duration::from_millis(50),
        ..Default::default()
    };
    let store = EmbeddedStore::open(&path, opts()).unwrap();
    for i in 0..20 {
        store
            .txn(TxnRequest::put("/c/k", format!("old{i}")))
            .await
            .unwrap();
    }
    let old_wal = std::fs::read(wal_of(&path)).unwrap();
    assert!(!old_wal.is_empty());
    // The timer checkpoints the store while it is idle: the next frame is of a new epoch.
    let epoch = |wal: &[u8]| u64::from_le_bytes(wal[8..16].try_into().unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        store.txn(TxnRequest::put("/c/k", "new")).await.unwrap();
        let new_wal = std::fs::read(wal_of(&path)).unwrap();
        if epoch(&new_wal) > epoch(&old_wal) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no checkpoint");
    }
    let revision = store.current_revision().await.unwrap();
    drop(store);
    // Put back the frames of the checkpointed epoch, as if the checkpoint crashed before
    // the WAL moved on: they are older than the store and must not be redone over it.
    std::fs::write(wal_of(&path), &old_wal).unwrap();
    let store = EmbeddedStore::open(&path, opts()).unwrap();
    assert_eq!(store.current_revision().await.unwrap(), revision);
    assert_eq!(value(&store, "/c/k").await.as_deref(), Some("new"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_triggered_checkpoints_keep_the_wal_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let store = EmbeddedStore::open(
        &path,
        EmbeddedOptions {
            checkpoint_interval: Duration::from_secs(3600),
            checkpoint_wal_bytes: 64 << 10,
            ..Default::default()
        },
    )
    .unwrap();
    for i in 0..300 {
        store
            .txn(TxnRequest::put(format!("/s/{}", i % 20), vec![1u8; 1024]))
            .await
            .unwrap();
    }
    let wal_len = std::fs::metadata(wal_of(&path)).unwrap().len();
    assert!(wal_len <= 128 << 10, "WAL file {wal_len} bytes");
    let crash = tempfile::tempdir().unwrap();
    let p = snapshot(&path, crash.path());
    let revision = store.current_revision().await.unwrap();
    drop(store);
    let store = EmbeddedStore::open(&p, EmbeddedOptions::default()).unwrap();
    assert_eq!(store.current_revision().await.unwrap(), revision);
    assert_eq!(
        store
            .range(RangeRequest::prefix("/s/"))
            .await
            .unwrap()
            .count,
        20
    );
}
