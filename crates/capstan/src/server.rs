//! `capstan server`: open the store, start the API server, write the kubeconfig.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use apiserver::{ApiServer, Config};

use crate::cli::ServerArgs;

/// Run the control plane until SIGINT/SIGTERM.
pub async fn run(args: ServerArgs) -> Result<()> {
    let started = Instant::now();
    if !args.datastore_endpoint.is_empty() {
        bail!(
            "--datastore-endpoint {:?}: only the embedded datastore is available in this build",
            args.datastore_endpoint
        );
    }
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("data dir {} cannot be created", args.data_dir.display()))?;
    let probe = args.data_dir.join(".write-test");
    std::fs::write(&probe, b"")
        .with_context(|| format!("data dir {} is not writable", args.data_dir.display()))?;
    let _ = std::fs::remove_file(&probe);

    let db_dir = args.data_dir.join("db");
    std::fs::create_dir_all(&db_dir)
        .with_context(|| format!("cannot create {}", db_dir.display()))?;
    let opts = storage::embedded::EmbeddedOptions {
        compaction_interval: Some(args.compact_interval),
        max_history_revisions: Some(args.compact_retain_revisions),
        // redb's default page cache (1 GiB) would grow with the file; the
        // watch cache already holds every live object
        cache_size: Some(args.store_cache_mb << 20),
        checkpoint_interval: args.store_checkpoint_interval,
        ..Default::default()
    };
    let store = storage::embedded::EmbeddedStore::open(&db_dir.join("state.redb"), opts)
        .with_context(|| format!("cannot open the store in {}", db_dir.display()))?;
    let store: Arc<dyn storage::Store> = Arc::new(store);

    let host = kubelet::host::hostname();
    let mut sans = vec![host.clone(), args.bind_address.to_string()];
    sans.extend(args.tls_san.iter().cloned());
    let pki = apiserver::pki::ensure(&args.data_dir.join("tls"), &sans)?;

    let (net, prefix) = apiserver::rest::ServiceRanges::parse_cidr(&args.service_cidr)
        .map_err(anyhow::Error::msg)?;
    let node_ports = parse_port_range(&args.service_node_port_range)?;
    let server = ApiServer::new(
        store,
        apiserver::rest::ServiceRanges {
            net,
            prefix,
            node_ports,
        },
    )
    .await?;
    let config = Config {
        bind_address: args.bind_address,
        port: args.https_listen_port,
        tls_dir: args.data_dir.join("tls"),
        extra_sans: sans,
        timeouts: apiserver::conn_timeouts::Timeouts {
            header: args.request_header_timeout,
            idle: args.idle_connection_timeout,
        },
    };
    let running = apiserver::serve(&config, &pki, server.clone()).await?;
    let advertise = advertise_address(&args);
    apiserver::bootstrap::add_own_endpoint(&server, advertise, running.addr.port())
        .await
        .context("cannot write the default/kubernetes endpoints")?;
    // renew this server's lease on its place in default/kubernetes, and drop servers
    // whose lease ran out (upstream's lease endpoint reconciler)
    let reconciler = {
        let (server, port) = (server.clone(), running.addr.port());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(apiserver::bootstrap::ENDPOINT_RECONCILE_INTERVAL);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) =
                    apiserver::bootstrap::add_own_endpoint(&server, advertise, port).await
                {
                    tracing::warn!(error = %e, "cannot reconcile the default/kubernetes endpoints");
                }
            }
        })
    };

    let kubeconfig = args
        .write_kubeconfig
        .clone()
        .unwrap_or_else(|| args.data_dir.join("kubeconfig.yaml"));
    let host_for_clients = if args.bind_address.is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        fmt_host(&args.bind_address)
    };
    let url = format!("https://{}:{}", host_for_clients, running.addr.port());
    apiserver::pki::write_kubeconfig(&kubeconfig, &apiserver::pki::admin_kubeconfig(&pki, &url))?;
    tracing::info!(%url, kubeconfig = %kubeconfig.display(), took = ?started.elapsed(), "capstan server is ready");
    if args.disable_scheduler || args.disable_controller_manager || args.disable_agent {
        tracing::debug!(
            "component switches accepted; those components do not exist in this build yet"
        );
    }

    wait_for_signal().await;
    tracing::info!("shutting down");
    reconciler.abort();
    if let Err(e) =
        apiserver::bootstrap::remove_own_endpoint(&server, advertise, running.addr.port()).await
    {
        tracing::warn!(error = %e, "cannot take this server out of the default/kubernetes endpoints");
    }
    let _ = running.shutdown.send(true);
    Ok(())
}

/// `--advertise-address`, else a specific bind address, else the local address the
/// kernel would use for the default route (found with an unconnected-then-connected UDP
/// socket, which sends nothing), else 127.0.0.1.
fn advertise_address(args: &ServerArgs) -> std::net::IpAddr {
    if let Some(a) = args.advertise_address {
        return a;
    }
    if !args.bind_address.is_unspecified() {
        return args.bind_address;
    }
    let routed = kubelet::host::default_route_ip();
    routed.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}

fn parse_port_range(s: &str) -> Result<(u16, u16)> {
    let bad =
        || anyhow::anyhow!("--service-node-port-range {s:?}: expected LOW-HIGH, e.g. 30000-32767");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let (a, b): (u16, u16) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a == 0 || a > b {
        return Err(bad());
    }
    Ok((a, b))
}

fn fmt_host(ip: &std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    }
}

/// Wait for SIGTERM or SIGINT.
pub async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
