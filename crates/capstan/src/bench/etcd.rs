//! `capstan bench etcd`: the raw put rate of a real etcd with the load shape
//! of the API server's create benchmark (1 KiB values, N concurrent clients,
//! distinct keys), so both figures come from the same machine at the same time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

/// Flags of `capstan bench etcd`.
#[derive(Debug, Args)]
pub struct EtcdBenchArgs {
    /// etcd client URL.
    #[arg(long, default_value = "http://127.0.0.1:2379")]
    pub endpoint: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Connections the clients share.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Puts in all.
    #[arg(long, default_value_t = 20_000)]
    pub puts: usize,
}

/// Run the etcd put benchmark and print puts/s.
pub async fn run(args: EtcdBenchArgs) -> Result<()> {
    let mut clients = Vec::new();
    for _ in 0..args.connections.max(1) {
        clients.push(
            etcd_client::Client::connect([args.endpoint.as_str()], None)
                .await
                .with_context(|| format!("cannot connect to etcd at {}", args.endpoint))?,
        );
    }
    let value: String = (0..1024)
        .map(|_| (b'a' + rand::random_range(0..26u8)) as char)
        .collect();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..args.concurrency {
        let mut kv = clients[w % clients.len()].kv_client();
        let next = next.clone();
        let value = value.clone();
        let n = args.puts;
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, etcd_client::Error>(());
                }
                kv.put(format!("/bench/{i:08}"), value.as_str(), None)
                    .await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let rate = args.puts as f64 / start.elapsed().as_secs_f64();
    println!("capstan bench etcd");
    println!(
        "  etcd put 1 KiB, {} clients over {} connections: {rate:.0} puts/s ({} puts)",
        args.concurrency, args.connections, args.puts
    );
    Ok(())
}
