//! `capstan bench apiserver`: end-to-end load against a real `capstan server`
//! child process, printing the figures the foundation issue sets targets for:
//! create throughput at concurrency 64 over HTTP/2, GET/PUT p99 under
//! 1,000 requests/s of background load, LIST of 10,000 pods, 10,000 watchers'
//! event delivery, idle RSS and RSS per 10,000 pods, and start-to-ready time
//! on an existing data dir. It measures; it asserts nothing.

mod client;
#[cfg(feature = "etcd-bench")]
pub mod etcd;
pub mod pods;
mod report;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::Args;
use futures::StreamExt;
use http::Method;
use http_body_util::BodyExt;

use client::{Conn, Target};
use report::{Report, percentile};

/// Flags of `capstan bench apiserver`.
#[derive(Debug, Args)]
pub struct ApiserverBenchArgs {
    /// Concurrent clients for the create benchmark.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// HTTP/2 connections the clients share.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// ConfigMaps created in the throughput run.
    #[arg(long, default_value_t = 20_000)]
    pub creates: usize,
    /// Pods created for the LIST and memory runs.
    #[arg(long, default_value_t = 10_000)]
    pub pods: usize,
    /// Concurrent watchers for the fan-out run.
    #[arg(long, default_value_t = 10_000)]
    pub watchers: usize,
    /// Background load (requests/s) during the latency run.
    #[arg(long, default_value_t = 1000)]
    pub background_rps: u64,
    /// Samples per verb in the latency run.
    #[arg(long, default_value_t = 2000)]
    pub samples: usize,
    /// Keep the data dir here instead of a temp dir.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Run only the create-throughput benchmark (for quick experiments).
    #[arg(long)]
    pub only_create: bool,
    /// Watches opened and never read in the unread-watch memory run (each set).
    #[arg(long, default_value_t = 200)]
    pub unread_watchers: usize,
    /// ConfigMaps of 2 KiB in the namespace the second set of unread watches is sent.
    #[arg(long, default_value_t = 2500)]
    pub unread_objects: usize,
    /// Run only the unread-watch memory benchmark.
    #[arg(long)]
    pub only_unread_watches: bool,
}

struct Child2 {
    child: Child,
}

impl Drop for Child2 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn spawn_server(data: &Path, port: u16) -> Result<Child2> {
    let exe = std::env::current_exe()?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("server.log"))?;
    let child = Command::new(exe)
        .args([
            "server",
            "--bind-address",
            "127.0.0.1",
            "--https-listen-port",
            &port.to_string(),
        ])
        .arg("--data-dir")
        .arg(data)
        // extra server flags for experiments, e.g. CAPSTAN_BENCH_SERVER_ARGS="--store-cache-mb 256"
        .args(
            std::env::var("CAPSTAN_BENCH_SERVER_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .env(
            "RUST_LOG",
            std::env::var("CAPSTAN_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("cannot start capstan server")?;
    Ok(Child2 { child })
}

/// CPU time (user + system) a process has used so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    // /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks, after the
    // parenthesised command name (which may contain spaces)
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    static HZ: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let hz = HZ.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    });
    ticks as f64 / hz
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_string)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

async fn wait_ready(
    data: &Path,
    child: &mut Child2,
    deadline: Duration,
) -> Result<(Target, Duration)> {
    let start = Instant::now();
    let kubeconfig = data.join("kubeconfig.yaml");
    loop {
        if let Some(st) = child.child.try_wait()? {
            bail!(
                "capstan server exited with {st}; see {}",
                data.join("server.log").display()
            );
        }
        if kubeconfig.exists()
            && let Ok(t) = Target::from_kubeconfig(&kubeconfig)
            && let Ok(c) = t.connect().await
            && let Ok(r) = c
                .call(Method::GET, "/readyz", None, "application/json")
                .await
            && r.status.is_success()
        {
            return Ok((t, start.elapsed()));
        }
        if start.elapsed() > deadline {
            bail!("capstan server not ready after {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn connect_all(t: &Target, n: usize) -> Result<Vec<Conn>> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        v.push(t.connect().await?);
    }
    Ok(v)
}

fn configmap(ns: &str, name: &str, payload: &str) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, "labels": {"bench": "true"}},
            "data": {"payload": payload},
        }))
        .unwrap_or_default(),
    )
}

fn pod(ns: &str, name: &str) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": "bench", "tier": "list"}},
            "spec": {"containers": [{"name": "c", "image": "registry.local/bench:1", "ports": [{"containerPort": 8080}],
                      "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]},
        }))
        .unwrap_or_default(),
    )
}

async fn create_namespace(c: &Conn, ns: &str) -> Result<()> {
    let body = Bytes::from(format!(
        r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{ns}"}}}}"#
    ));
    let r = c
        .call(
            Method::POST,
            "/api/v1/namespaces",
            Some(body),
            "application/json",
        )
        .await?;
    if !r.status.is_success() && r.status.as_u16() != 409 {
        bail!(
            "create namespace {ns}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    Ok(())
}

/// Create `n` objects with `concurrency` workers; returns objects/s.
async fn create_many(
    conns: &[Conn],
    concurrency: usize,
    n: usize,
    path: &str,
    make: impl Fn(usize) -> Bytes + Send + Sync + 'static,
) -> Result<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let c = conns[w % conns.len()].clone();
        let next = next.clone();
        let make = make.clone();
        let path = path.to_string();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(());
                }
                let r = c
                    .call(Method::POST, &path, Some(make(i)), "application/json")
                    .await?;
                if r.status.as_u16() != 201 {
                    bail!(
                        "create {i}: {} {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    );
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// Run the API server benchmarks.
pub async fn apiserver(args: ApiserverBenchArgs) -> Result<()> {
    if args.only_unread_watches {
        let mut report = Report::default();
        unread_watches(&args, &mut report).await?;
        report.print();
        return Ok(());
    }
    let data = data_dir(args.data_dir.as_deref())?;
    let port = free_port()?;
    let mut report = Report::default();
    let mut server = spawn_server(&data, port)?;
    let (target, first_start) = wait_ready(&data, &mut server, Duration::from_secs(60)).await?;
    report.line(
        "first start to /readyz (new data dir)",
        format!("{:.0} ms", first_start.as_secs_f64() * 1e3),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_kib(server.child.id());
    report.line("idle server RSS", format!("{:.1} MB", idle as f64 / 1024.0));

    let conns = connect_all(&target, args.connections).await?;
    let c0 = conns[0].clone();

    // 1. create throughput
    create_namespace(&c0, "bench-create").await?;
    // random text: nothing in the path may profit from a trivially compressible value
    let payload: String = (0..1024)
        .map(|_| (b'a' + rand::random_range(0..26u8)) as char)
        .collect();
    let (server_cpu, client_cpu) = (
        cpu_seconds(server.child.id()),
        cpu_seconds(std::process::id()),
    );
    let rate = create_many(
        &conns,
        args.concurrency,
        args.creates,
        "/api/v1/namespaces/bench-create/configmaps",
        move |i| configmap("bench-create", &format!("cm-{i}"), &payload),
    )
    .await?;
    let (server_cpu, client_cpu) = (
        cpu_seconds(server.child.id()) - server_cpu,
        cpu_seconds(std::process::id()) - client_cpu,
    );
    report.line(
        &format!(
            "create 1 KiB ConfigMaps, {} clients, HTTP/2",
            args.concurrency
        ),
        format!("{rate:.0} creates/s ({} objects)", args.creates),
    );
    report.line(
        "  CPU per create: server / bench client",
        format!(
            "{:.0} us / {:.0} us",
            server_cpu * 1e6 / args.creates as f64,
            client_cpu * 1e6 / args.creates as f64
        ),
    );
    let m = c0.call(Method::GET, "/metrics", None, "text/plain").await?;
    let text = String::from_utf8_lossy(&m.body);
    report.line(
        "  server-side mean: create request / store txn",
        format!(
            "{:.2} ms / {:.2} ms",
            metric_mean(
                &text,
                "apiserver_request_duration_seconds",
                "verb=\"CREATE\",resource=\"configmaps\""
            ) * 1e3,
            metric_mean(&text, "etcd_request_duration_seconds", "operation=\"txn\"") * 1e3
        ),
    );

    if args.only_create {
        drop(server);
        if args.data_dir.is_none() {
            let _ = std::fs::remove_dir_all(&data);
        }
        report.print();
        return Ok(());
    }

    // 2. GET/PUT latency under background load
    let (get_lat, put_lat, achieved) = latency_under_load(&conns, &args).await?;
    report.line(
        &format!("GET latency at {} req/s background", args.background_rps),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms (background achieved {achieved:.0}/s)",
            percentile(&get_lat, 50.0),
            percentile(&get_lat, 99.0)
        ),
    );
    report.line(
        &format!("PUT latency at {} req/s background", args.background_rps),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms",
            percentile(&put_lat, 50.0),
            percentile(&put_lat, 99.0)
        ),
    );

    // 3. LIST of N pods from the watch cache, and memory per pods
    create_namespace(&c0, "bench-list").await?;
    let before = rss_kib(server.child.id());
    let prate = create_many(
        &conns,
        args.concurrency,
        args.pods,
        "/api/v1/namespaces/bench-list/pods",
        |i| pod("bench-list", &format!("pod-{i:05}")),
    )
    .await?;
    report.line(
        "create pods",
        format!("{prate:.0} pods/s ({} pods)", args.pods),
    );
    let mut list_ms = Vec::new();
    let mut bytes = 0;
    for _ in 0..15 {
        let t = Instant::now();
        let r = c0
            .call(
                Method::GET,
                "/api/v1/namespaces/bench-list/pods",
                None,
                "application/json",
            )
            .await?;
        list_ms.push(t.elapsed().as_secs_f64() * 1e3);
        bytes = r.body.len();
        if !r.status.is_success() {
            bail!("list pods: {}", r.status);
        }
    }
    report.line(
        &format!("LIST {} pods (one namespace, JSON)", args.pods),
        format!(
            "median {:.1} ms, p99 {:.1} ms, {:.1} MB",
            percentile(&list_ms, 50.0),
            percentile(&list_ms, 99.0),
            bytes as f64 / 1e6
        ),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(server.child.id());
    report.line(
        &format!("RSS growth for {} stored pods", args.pods),
        format!(
            "{:.1} MB (RSS now {:.1} MB)",
            after.saturating_sub(before) as f64 / 1024.0,
            after as f64 / 1024.0
        ),
    );

    // 4. watch fan-out
    let (lat, watch_rss) = watch_fanout(&target, &c0, args.watchers, server.child.id()).await?;
    report.line(
        &format!("{} watchers: event delivery", args.watchers),
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} deliveries), server RSS with watchers {:.1} MB",
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            percentile(&lat, 100.0),
            lat.len(),
            watch_rss as f64 / 1024.0
        ),
    );
    drop(conns);
    drop(c0);

    // 5. restart on the existing data dir
    let _ = nix_terminate(&mut server);
    drop(server);
    let mut server = spawn_server(&data, port)?;
    let (_, restart) = wait_ready(&data, &mut server, Duration::from_secs(60)).await?;
    report.line(
        "start to /readyz on the existing data dir",
        format!("{:.0} ms", restart.as_secs_f64() * 1e3),
    );
    let du = dir_size(&data.join("db"));
    report.line(
        "database size on disk",
        format!("{:.1} MB", du as f64 / 1e6),
    );
    drop(server);
    if args.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }

    // 6. the memory of watches that are never read
    unread_watches(&args, &mut report).await?;
    report.print();
    Ok(())
}

/// What a watch that is never read costs the server: a set of watches without a
/// resourceVersion (each is sent the namespace's state as ADDED events) on an empty
/// namespace, then a second set on a namespace of `unread_objects` 2 KiB ConfigMaps, each
/// watch on its own connection as separate clients would be, on a server of its own. The
/// difference per watcher is what the state it is to be sent costs while it is unread.
async fn unread_watches(args: &ApiserverBenchArgs, report: &mut Report) -> Result<()> {
    let data = tempdir()?;
    let port = free_port()?;
    let mut server = spawn_server(&data, port)?;
    let (target, _) = wait_ready(&data, &mut server, Duration::from_secs(60)).await?;
    let conns = connect_all(&target, 4).await?;
    create_namespace(&conns[0], "bench-unread-empty").await?;
    create_namespace(&conns[0], "bench-unread-full").await?;
    let payload: String = (0..2048)
        .map(|_| (b'a' + rand::random_range(0..26u8)) as char)
        .collect();
    create_many(
        &conns,
        16,
        args.unread_objects,
        "/api/v1/namespaces/bench-unread-full/configmaps",
        move |i| configmap("bench-unread-full", &format!("cm-{i}"), &payload),
    )
    .await?;
    let pid = server.child.id();
    let mut open = Vec::new();
    let mut per_watcher = Vec::new();
    for ns in ["bench-unread-empty", "bench-unread-full"] {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = rss_kib(pid);
        for _ in 0..args.unread_watchers {
            let c = target.connect().await?;
            let path = format!("/api/v1/namespaces/{ns}/configmaps?watch=true&timeoutSeconds=600");
            let resp = c
                .start(Method::GET, &path, None, "application/json")
                .await?;
            if !resp.status().is_success() {
                bail!("unread watch on {ns}: {}", resp.status());
            }
            // kept, never read
            open.push((c, resp));
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = rss_kib(pid);
        per_watcher.push(after.saturating_sub(before) as f64 / args.unread_watchers as f64);
    }
    report.line(
        &format!(
            "{} unread watches: server memory per watcher",
            args.unread_watchers
        ),
        format!(
            "{:.1} KiB on an empty namespace, {:.1} KiB on {} ConfigMaps of 2 KiB: {:.1} KiB more",
            per_watcher[0],
            per_watcher[1],
            args.unread_objects,
            per_watcher[1] - per_watcher[0]
        ),
    );
    drop(open);
    drop(conns);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// Mean of a Prometheus histogram (`_sum` / `_count`) whose labels contain `labels`.
fn metric_mean(text: &str, name: &str, labels: &str) -> f64 {
    let find = |suffix: &str| {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{suffix}{{")) && l.contains(labels))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    let count = find("_count");
    if count == 0.0 {
        f64::NAN
    } else {
        find("_sum") / count
    }
}

fn nix_terminate(server: &mut Child2) -> Result<()> {
    // SIGTERM (graceful) via kill(1): std only offers SIGKILL
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if server.child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// `--data-dir` (made if missing), else a new temporary directory.
fn data_dir(given: Option<&Path>) -> Result<PathBuf> {
    match given {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            Ok(d.to_path_buf())
        }
        None => tempdir(),
    }
}

fn tempdir() -> Result<PathBuf> {
    let p = std::env::temp_dir().join(format!(
        "capstan-bench-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&p)?;
    Ok(p)
}

async fn latency_under_load(
    conns: &[Conn],
    args: &ApiserverBenchArgs,
) -> Result<(Vec<f64>, Vec<f64>, f64)> {
    let c = conns[0].clone();
    create_namespace(&c, "bench-latency").await?;
    let path = "/api/v1/namespaces/bench-latency/configmaps";
    for i in 0..100 {
        let r = c
            .call(
                Method::POST,
                path,
                Some(configmap("bench-latency", &format!("bg-{i}"), "v")),
                "application/json",
            )
            .await?;
        if r.status.as_u16() != 201 {
            bail!("setup: {}", r.status);
        }
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    // open-loop background load: GETs and LISTs of 100 objects, paced
    let mut bg = Vec::new();
    let workers = 16u64;
    let per_worker = Duration::from_secs_f64(workers as f64 / args.background_rps.max(1) as f64);
    for w in 0..workers {
        let c = conns[w as usize % conns.len()].clone();
        let stop = stop.clone();
        let done = done.clone();
        bg.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(per_worker);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let p = format!("/api/v1/namespaces/bench-latency/configmaps/bg-{}", i % 100);
                if c.call(Method::GET, &p, None, "application/json")
                    .await
                    .is_ok()
                {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                i += workers;
            }
        }));
    }
    let bg_start = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mc = conns[conns.len() - 1].clone();
    let r = mc
        .call(
            Method::POST,
            path,
            Some(configmap("bench-latency", "probe", "0")),
            "application/json",
        )
        .await?;
    let mut obj: serde_json::Value = serde_json::from_slice(&r.body)?;
    let mut get_lat = Vec::new();
    let mut put_lat = Vec::new();
    for i in 0..args.samples {
        let t = Instant::now();
        let r = mc
            .call(
                Method::GET,
                &format!("{path}/probe"),
                None,
                "application/json",
            )
            .await?;
        get_lat.push(t.elapsed().as_secs_f64() * 1e3);
        if !r.status.is_success() {
            bail!("GET probe: {}", r.status);
        }
        obj["data"]["payload"] = serde_json::Value::String(i.to_string());
        let t = Instant::now();
        let r = mc
            .call(
                Method::PUT,
                &format!("{path}/probe"),
                Some(Bytes::from(serde_json::to_vec(&obj)?)),
                "application/json",
            )
            .await?;
        put_lat.push(t.elapsed().as_secs_f64() * 1e3);
        if !r.status.is_success() {
            bail!(
                "PUT probe: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
        obj = serde_json::from_slice(&r.body)?;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let achieved = done.load(Ordering::Relaxed) as f64 / bg_start.elapsed().as_secs_f64();
    for t in bg {
        let _ = t.await;
    }
    Ok((get_lat, put_lat, achieved))
}

async fn watch_fanout(
    target: &Target,
    c0: &Conn,
    watchers: usize,
    pid: u32,
) -> Result<(Vec<f64>, u64)> {
    create_namespace(c0, "bench-watch").await?;
    let r = c0
        .call(
            Method::GET,
            "/api/v1/namespaces/bench-watch/configmaps",
            None,
            "application/json",
        )
        .await?;
    let list: serde_json::Value = serde_json::from_slice(&r.body)?;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("0")
        .to_string();
    // at most 1,000 streams per connection, as many connections as that takes
    let per_conn = 1000;
    let conns = connect_all(target, watchers.div_ceil(per_conn)).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let ready = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..watchers {
        let c = conns[w / per_conn].clone();
        let tx = tx.clone();
        let ready = ready.clone();
        let path = format!(
            "/api/v1/namespaces/bench-watch/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=600"
        );
        tasks.push(tokio::spawn(async move {
            let resp = c
                .start(Method::GET, &path, None, "application/json")
                .await?;
            ready.fetch_add(1, Ordering::Relaxed);
            let mut body = resp.into_body().into_data_stream();
            let mut buf = Vec::new();
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                buf.extend_from_slice(&chunk);
                while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=pos).collect();
                    let v: serde_json::Value = serde_json::from_slice(&line)?;
                    if let Some(seq) = v
                        .pointer("/object/data/seq")
                        .and_then(|s| s.as_str())
                        .and_then(|s| s.parse().ok())
                    {
                        let _ = tx.send((seq, Instant::now()));
                    }
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    drop(tx);
    let deadline = Instant::now() + Duration::from_secs(120);
    while ready.load(Ordering::Relaxed) < watchers {
        if Instant::now() > deadline {
            bail!(
                "only {} of {watchers} watches started",
                ready.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rss = rss_kib(pid);
    let events = 5;
    let mut lat = Vec::with_capacity(events * watchers);
    for seq in 0..events {
        let body = Bytes::from(format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"w-{seq}"}},"data":{{"seq":"{seq}"}}}}"#
        ));
        let sent = Instant::now();
        let r = c0
            .call(
                Method::POST,
                "/api/v1/namespaces/bench-watch/configmaps",
                Some(body),
                "application/json",
            )
            .await?;
        if r.status.as_u16() != 201 {
            bail!("watch event create: {}", r.status);
        }
        let mut got = 0;
        let until = Instant::now() + Duration::from_secs(30);
        while got < watchers {
            let left = until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some((s, at))) if s == seq => {
                    lat.push(at.duration_since(sent).as_secs_f64() * 1e3);
                    got += 1;
                }
                Ok(Some(_)) => {}
                _ => bail!("event {seq}: only {got} of {watchers} watchers got it within 30 s"),
            }
        }
    }
    for t in tasks {
        t.abort();
    }
    Ok((lat, rss))
}
