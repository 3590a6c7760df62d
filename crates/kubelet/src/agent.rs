//! The agent: for each node it runs (one, or many hollow ones), register the Node and keep
//! it alive ([`crate::node::heartbeat`]), and run the pods bound to it through its own
//! runtime ([`crate::pod_workers`]). Pods come from one watch: of `spec.nodeName=<name>`
//! for a single node, of every bound pod for several (dispatched by node name).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::watcher;

use crate::host;
use crate::node::NodeIdentity;
use crate::pod_workers::PodWorkers;
use crate::runtime::Runtime;

/// What the agent runs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The nodes' names: one for a real node; several for hollow nodes.
    pub node_names: Vec<String>,
    /// Where pod data lives (its file system is the nodes' ephemeral storage).
    pub data_dir: PathBuf,
    /// The nodes' address (else the default route's).
    pub internal_ip: Option<IpAddr>,
}

/// Why the agent stopped.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Nothing to run.
    #[error("no node name given")]
    NoNodes,
    /// The data dir cannot be made.
    #[error("cannot create the data dir {0}: {1}")]
    DataDir(PathBuf, #[source] std::io::Error),
}

/// Run the agent until the task is dropped. `runtime` makes each node's runtime.
pub async fn run(
    client: kube::Client,
    config: AgentConfig,
    runtime: impl Fn(&str) -> Arc<dyn Runtime>,
) -> Result<(), AgentError> {
    if config.node_names.is_empty() {
        return Err(AgentError::NoNodes);
    }
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| AgentError::DataDir(config.data_dir.clone(), e))?;
    let facts = host::read_facts(&config.data_dir, config.internal_ip);
    let host_ip = facts.internal_ip.map(|ip| ip.to_string());
    let mut workers: HashMap<String, Arc<PodWorkers>> = HashMap::new();
    let mut heartbeats = Vec::new();
    let n = u32::try_from(config.node_names.len()).unwrap_or(u32::MAX);
    for (i, name) in config.node_names.iter().enumerate() {
        let rt = runtime(name);
        // the nodes' heartbeats spread over one renew interval
        let offset = crate::lease::RENEW_INTERVAL * u32::try_from(i).unwrap_or(0) / n;
        let id = NodeIdentity {
            name: name.clone(),
            facts: facts.clone(),
            runtime_version: rt.version(),
        };
        heartbeats.push(AbortOnDrop(tokio::spawn(crate::node::heartbeat(
            client.clone(),
            id,
            offset,
        ))));
        workers.insert(
            name.clone(),
            PodWorkers::new(client.clone(), rt, host_ip.clone()),
        );
    }
    let selector = match config.node_names.as_slice() {
        [one] => format!("spec.nodeName={one}"),
        _ => "spec.nodeName!=".to_string(),
    };
    let pods: Api<Pod> = Api::all(client);
    let mut events = watcher(pods, watcher::Config::default().fields(&selector)).boxed();
    let node_of = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default()
    };
    let mut listed: HashMap<String, Vec<String>> = HashMap::new();
    while let Some(ev) = events.next().await {
        // a mirror pod stands for a static pod in the API: reported, never run from there
        let ev = match ev {
            Ok(watcher::Event::InitApply(p) | watcher::Event::Apply(p))
                if crate::static_pods::is_mirror(&p) =>
            {
                continue;
            }
            other => other,
        };
        match ev {
            Ok(watcher::Event::Init) => listed.clear(),
            Ok(watcher::Event::InitApply(p)) => {
                if let Some(w) = workers.get(&node_of(&p)) {
                    listed
                        .entry(node_of(&p))
                        .or_default()
                        .push(p.metadata.uid.clone().unwrap_or_default());
                    w.update(p);
                }
            }
            Ok(watcher::Event::InitDone) => {
                // pods deleted while the agent was away or the watch was down
                for (name, w) in &workers {
                    let known = listed.get(name).cloned().unwrap_or_default();
                    w.retain(&known);
                    if let Err(e) = w.remove_orphans(&known).await {
                        tracing::warn!(node = %name, error = %e, "cannot remove orphaned pods");
                    }
                }
            }
            Ok(watcher::Event::Apply(p)) => {
                if let Some(w) = workers.get(&node_of(&p)) {
                    w.update(p);
                }
            }
            Ok(watcher::Event::Delete(p)) => {
                if let Some(w) = workers.get(&node_of(&p)) {
                    w.remove(&p);
                }
            }
            Err(e) => tracing::warn!(error = %e, "pod watch failed; retrying"),
        }
    }
    Ok(())
}

/// A spawned task that ends with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
