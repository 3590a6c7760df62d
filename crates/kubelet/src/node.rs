//! Registering the Node and keeping it alive: create it (or find it, after a restart),
//! then every 10 s renew its Lease and post its status when it changed or when a minute
//! has passed since the last post (the report frequency; upstream's is 5 min with
//! leases). The status itself is built by [`crate::node_status`].

use std::time::{Duration, Instant};

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeStatus};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};

use crate::host::HostFacts;
use crate::node_status::{self, Health};

/// How often node status is posted when nothing changed.
pub const STATUS_REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// One node this agent runs: its name, what it is, its runtime.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    /// The Node's name.
    pub name: String,
    /// The machine.
    pub facts: HostFacts,
    /// `containerRuntimeVersion`.
    pub runtime_version: String,
}

/// Create the Node, or take the one registered before (an agent restart): its status is
/// brought up to date by the next heartbeat.
pub async fn register(api: &Api<Node>, id: &NodeIdentity) -> Result<Node, kube::Error> {
    let node = node_status::node(&id.name, &id.facts, &id.runtime_version, Timestamp::now());
    match api.create(&PostParams::default(), &node).await {
        Ok(n) => Ok(n),
        Err(kube::Error::Api(e)) if e.code == 409 => api.get(&id.name).await,
        Err(e) => Err(e),
    }
}

async fn post_status(
    api: &Api<Node>,
    name: &str,
    status: &NodeStatus,
) -> Result<Node, kube::Error> {
    let patch = serde_json::json!({ "status": status });
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
}

/// Register `id` and keep it alive until the task is dropped: lease every 10 s, status
/// on change or every minute. The first beat waits `offset`, so that many nodes in one
/// process spread their writes over the interval instead of sending them at once.
/// Errors are logged and retried at the next tick.
pub async fn heartbeat(client: kube::Client, id: NodeIdentity, offset: Duration) {
    let nodes: Api<Node> = Api::all(client.clone());
    let leases: Api<Lease> = Api::namespaced(client, crate::lease::NAMESPACE);
    let start = tokio::time::Instant::now() + offset;
    let mut tick = tokio::time::interval_at(start, crate::lease::RENEW_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut node: Option<Node> = None;
    let mut lease: Option<Lease> = None;
    let mut posted = Instant::now();
    loop {
        tick.tick().await;
        let Some(current) = node.clone() else {
            match register(&nodes, &id).await {
                Ok(n) => {
                    tracing::info!(node = %id.name, "node registered");
                    node = Some(n);
                    posted = Instant::now() - STATUS_REPORT_INTERVAL;
                    tick.reset_immediately();
                }
                Err(e) => tracing::warn!(node = %id.name, error = %e, "cannot register the node"),
            }
            continue;
        };
        let uid = current.metadata.uid.clone();
        match crate::lease::renew(&leases, &id.name, uid.as_deref(), lease.take()).await {
            Ok(l) => lease = Some(l),
            Err(e) => tracing::warn!(node = %id.name, error = %e, "cannot renew the node lease"),
        }
        let old = current.status.clone().unwrap_or_default();
        let new = node_status::status(
            &id.name,
            &id.facts,
            &id.runtime_version,
            Health::OK,
            Timestamp::now(),
            Some(&old),
        );
        if node_status::changed(&old, &new) || posted.elapsed() >= STATUS_REPORT_INTERVAL {
            match post_status(&nodes, &id.name, &new).await {
                Ok(n) => {
                    node = Some(n);
                    posted = Instant::now();
                }
                Err(kube::Error::Api(e)) if e.code == 404 => {
                    tracing::warn!(node = %id.name, "the node was deleted; registering again");
                    node = None;
                    lease = None;
                }
                Err(e) => tracing::warn!(node = %id.name, error = %e, "cannot post node status"),
            }
        }
    }
}
