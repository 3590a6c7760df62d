//! `capstan agent`: a node agent joining a cluster (the kubelet crate);
//! `capstan node-kubeconfig`, which issues the credentials it joins with; and
//! `capstan image`, the node's image store.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use kubelet::agent::AgentConfig;
use kubelet::runtime::Runtime;
use kubelet::runtime::hollow::HollowRuntime;

use crate::cli::{AgentArgs, ImageArgs, ImageCommand, NodeKubeconfigArgs, RuntimeKind};

/// The nodes' names: `--node-name` (else the host name) for one node; `PREFIX-i` for
/// `--nodes N`.
fn node_names(args: &AgentArgs) -> Result<Vec<String>> {
    let host = || kubelet::host::hostname().to_lowercase();
    if args.nodes == 0 {
        bail!("--nodes must be at least 1");
    }
    if args.nodes == 1 && args.node_name_prefix.is_none() {
        return Ok(vec![args.node_name.clone().unwrap_or_else(host)]);
    }
    if args.runtime != RuntimeKind::Hollow {
        bail!("--nodes and --node-name-prefix simulate nodes: they need --runtime hollow");
    }
    let prefix = args
        .node_name_prefix
        .clone()
        .or_else(|| args.node_name.clone())
        .unwrap_or_else(|| format!("{}-hollow", host()));
    Ok((0..args.nodes).map(|i| format!("{prefix}-{i}")).collect())
}

async fn client(args: &AgentArgs) -> Result<kube::Client> {
    if args.token.is_some() {
        bail!(
            "--token: joining with a bootstrap token is not supported yet; give --kubeconfig \
             with a node certificate (capstan node-kubeconfig)"
        );
    }
    let Some(path) = &args.kubeconfig else {
        bail!(
            "no credentials: give --kubeconfig with a node certificate (capstan node-kubeconfig)"
        );
    };
    let mut kc = kube::config::Kubeconfig::read_from(path)
        .with_context(|| format!("cannot read the kubeconfig {}", path.display()))?;
    if let Some(server) = &args.server {
        for c in &mut kc.clusters {
            if let Some(cluster) = c.cluster.as_mut() {
                cluster.server = Some(server.clone());
            }
        }
    }
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .with_context(|| format!("bad kubeconfig {}", path.display()))?;
    kube::Client::try_from(cfg).context("cannot make an API client")
}

/// Run `capstan agent` until SIGTERM or SIGINT.
pub async fn run(args: AgentArgs) -> Result<()> {
    if args.runtime == RuntimeKind::Oci {
        bail!(
            "--runtime oci: the OCI runtime (crun/runc) is not part of this build yet; \
             use --runtime hollow"
        );
    }
    let names = node_names(&args)?;
    let client = client(&args).await?;
    let config = AgentConfig {
        node_names: names.clone(),
        data_dir: args.data_dir.clone(),
        internal_ip: args.node_ip,
    };
    tracing::info!(nodes = names.len(), first = %names[0], runtime = ?args.runtime, "capstan agent starting");
    let agent = kubelet::agent::run(client, config, |_| {
        Arc::new(HollowRuntime::new()) as Arc<dyn Runtime>
    });
    tokio::select! {
        r = agent => r.context("agent stopped")?,
        () = crate::server::wait_for_signal() => tracing::info!("shutting down"),
    }
    Ok(())
}

/// Run `capstan node-kubeconfig`.
pub fn node_kubeconfig(args: &NodeKubeconfigArgs) -> Result<()> {
    let kc =
        apiserver::pki::node_kubeconfig(&args.data_dir.join("tls"), &args.node_name, &args.server)?;
    apiserver::pki::write_kubeconfig(&args.out, &kc)
}

/// Run `capstan image`.
pub fn image(args: &ImageArgs) -> Result<()> {
    use kubelet::images::{archive, store::ImageStore};
    let store = ImageStore::open(&args.data_dir.join("images"))?;
    match &args.command {
        ImageCommand::Import { file } => {
            for r in archive::import(&store, file)? {
                println!("imported {} ({})", r.name, short_id(&r.config_digest));
            }
        }
        ImageCommand::Ls => {
            println!("{:<60} {:<14} {:>10}", "IMAGE", "IMAGE ID", "SIZE");
            for r in store.list()? {
                println!(
                    "{:<60} {:<14} {:>10}",
                    r.name,
                    short_id(&r.config_digest),
                    human_size(r.size)
                );
            }
        }
    }
    Ok(())
}

/// The first 13 hex digits of a digest, as `crictl images` shows image ids.
fn short_id(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &hex[..hex.len().min(13)]
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes}B")
    } else {
        format!("{v:.3}{}", UNITS[u])
    }
}
