//! `capstan agent`: a node agent joining a cluster (the kubelet crate), and
//! `capstan node-kubeconfig`, which issues the credentials it joins with.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use kubelet::agent::AgentConfig;
use kubelet::runtime::Runtime;
use kubelet::runtime::hollow::HollowRuntime;

use crate::cli::{AgentArgs, NodeKubeconfigArgs, RuntimeKind};

/// The nodes' names: `--node-name` (else the host name) for one node; `PREFIX-i` for
/// `--nodes N`.
fn node_names(args: &AgentArgs) -> Result<Vec<String>> {
    let host = || {
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .to_lowercase()
    };
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
