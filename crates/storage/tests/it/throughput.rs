//! Put throughput of the embedded store (group commit + fsync), printed, not asserted.
//! `NOWAL=1`: durable redb commits instead of the WAL; `NOSYNC=1`: no fsync at all.
//! Run: `cargo test --release -p storage --test it throughput -- --ignored --nocapture`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use storage::{EmbeddedOptions, EmbeddedStore, Store, TxnRequest};

async fn measure(concurrency: usize, run_for: Duration) -> f64 {
    let store = Arc::new(
        EmbeddedStore::open_temporary(EmbeddedOptions {
            sync_writes: std::env::var("NOSYNC").is_err(),
            wal: std::env::var("NOWAL").is_err(),
            ..Default::default()
        })
        .unwrap(),
    );
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let (store, done) = (store.clone(), done.clone());
            tokio::spawn(async move {
                let value = bytes::Bytes::from(vec![b'v'; 1024]);
                let mut i = 0u64;
                while start.elapsed() < run_for {
                    let key = format!("/registry/bench/{w}/{}", i % 1000);
                    store
                        .txn(TxnRequest::put(key, value.clone()))
                        .await
                        .unwrap();
                    i += 1;
                }
                done.fetch_add(i, Ordering::Relaxed);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly in release mode"]
async fn put_throughput() {
    let only: Option<usize> = std::env::var("CONCURRENCY")
        .ok()
        .map(|c| c.parse().unwrap());
    for concurrency in [1, 16, 64, 256]
        .into_iter()
        .filter(|c| only.is_none_or(|o| o == *c))
    {
        let rate = measure(concurrency, Duration::from_secs(5)).await;
        eprintln!(
            "embedded put throughput, 1 KiB values, fsync, concurrency {concurrency:>3}: {rate:>8.0} puts/s"
        );
    }
}
