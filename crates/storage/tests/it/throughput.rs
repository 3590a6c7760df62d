//! Put throughput of the embedded store (group commit + fsync), printed, not asserted.
//! `NOWAL=1`: durable redb commits instead of the WAL; `NOSYNC=1`: no fsync at all;
//! `CREATE=1`: every put creates a new key (the API server's create benchmark) instead of
//! overwriting one of 1,000 keys per client. Also prints the process CPU time per put.
//! Run: `cargo test --release -p storage --test it throughput -- --ignored --nocapture`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use storage::{EmbeddedOptions, EmbeddedStore, Store, TxnRequest};

/// User + system CPU time of this process, from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// Puts per second and CPU time per put.
async fn measure(concurrency: usize, run_for: Duration) -> (f64, Duration) {
    let create = std::env::var("CREATE").is_ok();
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
    let cpu = cpu_time();
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let (store, done) = (store.clone(), done.clone());
            tokio::spawn(async move {
                let value = bytes::Bytes::from(vec![b'v'; 1024]);
                let mut i = 0u64;
                while start.elapsed() < run_for {
                    let key = if create {
                        format!("/registry/bench/{w}/{i:08}")
                    } else {
                        format!("/registry/bench/{w}/{}", i % 1000)
                    };
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
    let puts = done.load(Ordering::Relaxed);
    (
        puts as f64 / start.elapsed().as_secs_f64(),
        (cpu_time() - cpu) / puts.max(1) as u32,
    )
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
        let (rate, cpu) = measure(concurrency, Duration::from_secs(5)).await;
        eprintln!(
            "embedded put throughput, 1 KiB values, concurrency {concurrency:>3}: {rate:>8.0} puts/s, {:>5.1} us CPU per put",
            cpu.as_secs_f64() * 1e6
        );
    }
}
