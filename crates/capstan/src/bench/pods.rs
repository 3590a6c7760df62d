//! `capstan bench pods`: the node agent's figures against a real `capstan server` child.
//!
//! Today (hollow runtime): N simulated nodes in one `capstan agent` child process, with
//! the time until all are Ready, the agent's RSS and CPU, the write rate their heartbeats
//! put on the API server (store revisions per second) and the oldest lease renewal; then
//! pod startup latency through the hollow runtime (create with `nodeName` to Running as
//! a watch sees it), which measures the API and agent path without containers. Pod
//! startup with real containers comes with the OCI runtime. It measures; it asserts
//! nothing.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::Args;
use futures::StreamExt;
use http::Method;
use http_body_util::BodyExt;
use serde_json::Value;

use super::client::Conn;
use super::report::{Report, percentile};
use super::{
    Child2, cpu_seconds, create_namespace, data_dir, free_port, rss_kib, spawn_server, wait_ready,
};

/// Flags of `capstan bench pods`.
#[derive(Debug, Args)]
pub struct PodsBenchArgs {
    /// Hollow nodes simulated in one agent process.
    #[arg(long, default_value_t = 5000)]
    pub hollow_nodes: usize,
    /// How long the steady heartbeat load is measured.
    #[arg(long, default_value = "30s", value_parser = crate::cli::parse_duration)]
    pub measure: Duration,
    /// Pods created for the startup-latency run.
    #[arg(long, default_value_t = 100)]
    pub pods: usize,
    /// Their creation rate, per second.
    #[arg(long, default_value_t = 10)]
    pub pods_per_second: u64,
    /// Keep the data dir here instead of a temp dir.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

async fn get_json(c: &Conn, path: &str) -> Result<Value> {
    let r = c.call(Method::GET, path, None, "application/json").await?;
    if !r.status.is_success() {
        bail!("GET {path}: {}", r.status);
    }
    Ok(serde_json::from_slice(&r.body)?)
}

fn ready_nodes(list: &Value) -> usize {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| {
            n["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
        .count()
}

/// The store's revision now (every write moves it).
async fn revision(c: &Conn) -> Result<i64> {
    let v = get_json(c, "/api/v1/namespaces?limit=1").await?;
    v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .context("no list resourceVersion")
}

/// The age of the oldest lease renewal, seconds.
async fn oldest_lease(c: &Conn) -> Result<f64> {
    let v = get_json(
        c,
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
    )
    .await?;
    let now = jiff::Timestamp::now();
    let mut oldest: f64 = 0.0;
    for l in v["items"].as_array().into_iter().flatten() {
        if let Some(t) = l["spec"]["renewTime"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        {
            oldest = oldest.max((now - t).total(jiff::Unit::Second).unwrap_or(0.0));
        }
    }
    Ok(oldest)
}

/// Run `capstan bench pods`.
pub async fn run(args: PodsBenchArgs) -> Result<()> {
    let data = data_dir(args.data_dir.as_deref())?;
    let port = free_port()?;
    let mut report = Report::default();
    let mut server = spawn_server(&data, port)?;
    let (target, _) = wait_ready(&data, &mut server, Duration::from_secs(60)).await?;
    let c = target.connect().await?;

    // 1. hollow nodes
    let log = std::fs::File::create(data.join("agent.log"))?;
    let agent = Command::new(std::env::current_exe()?)
        .args([
            "agent",
            "--runtime",
            "hollow",
            "--node-name-prefix",
            "hollow",
        ])
        .args(["--nodes", &args.hollow_nodes.to_string()])
        .arg("--kubeconfig")
        .arg(data.join("kubeconfig.yaml"))
        .arg("--data-dir")
        .arg(data.join("agent"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("cannot start capstan agent")?;
    let mut agent = Child2 { child: agent };
    let started = Instant::now();
    loop {
        if let Some(st) = agent.child.try_wait()? {
            bail!(
                "capstan agent exited with {st}; see {}",
                data.join("agent.log").display()
            );
        }
        if ready_nodes(&get_json(&c, "/api/v1/nodes").await?) == args.hollow_nodes {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("the hollow nodes did not all become Ready in 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    report.line(
        &format!("{} hollow nodes: all Ready after", args.hollow_nodes),
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    // one full renew interval so every node is in its steady state
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (pid, spid) = (agent.child.id(), server.child.id());
    let (a0, s0, r0, t0) = (
        cpu_seconds(pid),
        cpu_seconds(spid),
        revision(&c).await?,
        Instant::now(),
    );
    tokio::time::sleep(args.measure).await;
    let secs = t0.elapsed().as_secs_f64();
    let (a1, s1, r1) = (cpu_seconds(pid), cpu_seconds(spid), revision(&c).await?);
    report.line(
        "  agent RSS",
        format!(
            "{:.1} MB ({:.1} KB per node)",
            rss_kib(pid) as f64 / 1024.0,
            rss_kib(pid) as f64 / args.hollow_nodes as f64
        ),
    );
    report.line(
        "  heartbeat writes on the API server",
        format!("{:.0} /s", (r1 - r0) as f64 / secs),
    );
    report.line(
        "  CPU: agent / server",
        format!(
            "{:.1}% / {:.1}% of one core",
            (a1 - a0) / secs * 100.0,
            (s1 - s0) / secs * 100.0
        ),
    );
    report.line(
        "  oldest lease renewal",
        format!("{:.1} s ago", oldest_lease(&c).await?),
    );

    // 2. pod startup through the hollow runtime
    create_namespace(&c, "bench-pods").await?;
    let watch = c
        .start(
            Method::GET,
            &format!(
                "/api/v1/namespaces/bench-pods/pods?watch=1&timeoutSeconds={}",
                args.pods as u64 / args.pods_per_second.max(1) + 10
            ),
            None,
            "application/json",
        )
        .await?;
    let running = tokio::spawn(async move {
        let mut seen = std::collections::HashMap::new();
        let mut body = watch.into_body().into_data_stream();
        let mut buf = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            buf.extend_from_slice(&chunk);
            while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=i).collect();
                let Ok(ev) = serde_json::from_slice::<Value>(&line) else {
                    continue;
                };
                let o = &ev["object"];
                if o["status"]["phase"] == "Running" {
                    let name = o["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    seen.entry(name).or_insert_with(Instant::now);
                }
            }
        }
        seen
    });
    let mut created = std::collections::HashMap::new();
    let gap = Duration::from_secs_f64(1.0 / args.pods_per_second.max(1) as f64);
    for i in 0..args.pods {
        let name = format!("p-{i}");
        let node = format!("hollow-{}", i % args.hollow_nodes.max(1));
        let body = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}});
        created.insert(name, Instant::now());
        let r = c
            .call(
                Method::POST,
                "/api/v1/namespaces/bench-pods/pods",
                Some(Bytes::from(body.to_string())),
                "application/json",
            )
            .await?;
        if !r.status.is_success() {
            bail!(
                "create pod: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
        tokio::time::sleep(gap).await;
    }
    // the watch ends by its timeout, 10 s after the last create
    let seen = match tokio::time::timeout(Duration::from_secs(30), running).await {
        Ok(Ok(s)) => s,
        _ => bail!("the pod watch did not end"),
    };
    let mut lat: Vec<f64> = created
        .iter()
        .filter_map(|(n, t0)| {
            seen.get(n)
                .map(|t| t.duration_since(*t0).as_secs_f64() * 1e3)
        })
        .collect();
    lat.sort_by(f64::total_cmp);
    report.line(
        &format!(
            "pod startup, hollow runtime ({} pods at {}/s)",
            args.pods, args.pods_per_second
        ),
        format!(
            "p50 {:.0} ms, p99 {:.0} ms ({} of {} seen Running)",
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.len(),
            args.pods
        ),
    );
    drop(agent);
    drop(server);
    report.print_as("pods");
    Ok(())
}
