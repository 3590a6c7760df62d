//! One worker per pod bound to the node (upstream's `pod_workers.go`): each reconciles
//! the pod's desired state (its spec, or its deletion) against what the runtime shows,
//! then writes the pod's status back. Updates for a pod replace each other (a worker
//! always syncs the newest spec); a worker also resyncs every 10 s.
//!
//! Sandboxes and containers are found by the pod's uid, so an agent that restarts
//! adopts what its runtime still runs instead of starting it again.
//!
//! Not yet here (next steps of the node agent): probes, hooks, volumes, images,
//! environment resolution. A worker waiting out a container's back-off notices the end of
//! the wait at its next resync (every 10 s), as upstream's does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use tokio::sync::watch;

use crate::backoff::{self, Backoff, Decision};
use crate::pod_status::{self, Observed};
use crate::runtime::{
    ContainerConfig, ContainerKind, ContainerState, ContainerStatus, Runtime, RuntimeError,
    SandboxConfig, SandboxState,
};

/// How often a worker syncs its pod with no update.
pub const RESYNC_INTERVAL: Duration = Duration::from_secs(10);

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The runtime refused.
    #[error("runtime: {0}")]
    Runtime(#[from] RuntimeError),
    /// The API server refused.
    #[error("api: {0}")]
    Api(#[from] kube::Error),
}

/// The workers of one node.
pub struct PodWorkers {
    client: kube::Client,
    runtime: Arc<dyn Runtime>,
    host_ip: Option<String>,
    workers: parking_lot::Mutex<HashMap<String, watch::Sender<Option<Pod>>>>,
    backoff: parking_lot::Mutex<Backoff>,
}

fn uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

impl PodWorkers {
    /// Workers for a node whose address is `host_ip`.
    pub fn new(
        client: kube::Client,
        runtime: Arc<dyn Runtime>,
        host_ip: Option<String>,
    ) -> Arc<Self> {
        Arc::new(Self {
            client,
            runtime,
            host_ip,
            workers: parking_lot::Mutex::new(HashMap::new()),
            backoff: parking_lot::Mutex::new(Backoff::default()),
        })
    }

    /// The pod was added or changed: hand it to its worker (started if new).
    pub fn update(self: &Arc<Self>, pod: Pod) {
        let key = uid(&pod);
        let mut workers = self.workers.lock();
        if let Some(tx) = workers.get(&key)
            && tx.send(Some(pod.clone())).is_ok()
        {
            return;
        }
        let (tx, rx) = watch::channel(Some(pod));
        workers.insert(key.clone(), tx);
        let me = self.clone();
        tokio::spawn(async move {
            me.work(&key, rx).await;
            me.workers.lock().remove(&key);
        });
    }

    /// The pod object is gone: its worker kills whatever still runs and ends.
    pub fn remove(self: &Arc<Self>, pod: &Pod) {
        if let Some(tx) = self.workers.lock().get(&uid(pod)) {
            let _ = tx.send(None);
        }
    }

    /// Workers whose pod is not among `known` (uids) any more end, killing their pod.
    pub fn retain(&self, known: &[String]) {
        for (uid, tx) in self.workers.lock().iter() {
            if !known.contains(uid) {
                let _ = tx.send(None);
            }
        }
    }

    /// Pods the runtime runs that are not among `known` (uids): left over from pods
    /// deleted while the agent was down. Kill and remove them.
    pub async fn remove_orphans(&self, known: &[String]) -> Result<(), SyncError> {
        for sb in self.runtime.list_pod_sandboxes().await? {
            if !known.contains(&sb.config.pod_uid) {
                tracing::info!(pod = %format!("{}/{}", sb.config.namespace, sb.config.name), "removing an orphaned pod sandbox");
                self.runtime.stop_pod_sandbox(&sb.id).await?;
                self.runtime.remove_pod_sandbox(&sb.id).await?;
            }
        }
        Ok(())
    }

    async fn work(&self, pod_uid: &str, mut rx: watch::Receiver<Option<Pod>>) {
        loop {
            let pod = rx.borrow_and_update().clone();
            let done = match pod {
                None => self.kill(pod_uid).await.map(|()| true),
                Some(p) => self.sync(&p).await,
            };
            match done {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "pod sync failed; retrying"),
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(RESYNC_INTERVAL) => {}
            }
        }
    }

    /// Stop and remove every sandbox of pod `uid`.
    async fn kill(&self, uid: &str) -> Result<(), SyncError> {
        self.backoff.lock().forget(uid);
        for sb in self.runtime.list_pod_sandboxes().await? {
            if sb.config.pod_uid == uid {
                self.runtime.stop_pod_sandbox(&sb.id).await?;
                self.runtime.remove_pod_sandbox(&sb.id).await?;
            }
        }
        Ok(())
    }

    /// One sync of `pod`; true when the worker is done (the pod is gone).
    async fn sync(&self, pod: &Pod) -> Result<bool, SyncError> {
        let pod_uid = uid(pod);
        if pod.metadata.deletion_timestamp.is_some() {
            return self.terminate(pod).await.map(|()| true);
        }
        let terminal = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Succeeded" || p == "Failed");
        let sandboxes: Vec<_> = self
            .runtime
            .list_pod_sandboxes()
            .await?
            .into_iter()
            .filter(|s| s.config.pod_uid == pod_uid)
            .collect();
        let ready = sandboxes
            .iter()
            .find(|s| s.state == SandboxState::Ready)
            .cloned();
        let sandbox = match (ready, terminal) {
            (Some(s), _) => Some(s),
            (None, true) => None,
            (None, false) => {
                let spec = pod.spec.clone().unwrap_or_default();
                let config = SandboxConfig {
                    pod_uid: pod_uid.clone(),
                    namespace: pod.metadata.namespace.clone().unwrap_or_default(),
                    name: pod.metadata.name.clone().unwrap_or_default(),
                    attempt: u32::try_from(sandboxes.len()).unwrap_or(u32::MAX),
                    host_network: spec.host_network.unwrap_or(false),
                    hostname: spec
                        .hostname
                        .clone()
                        .or_else(|| pod.metadata.name.clone())
                        .unwrap_or_default(),
                };
                let id = self.runtime.run_pod_sandbox(&config).await?;
                self.runtime
                    .list_pod_sandboxes()
                    .await?
                    .into_iter()
                    .find(|s| s.id == id)
            }
        };
        let waiting = match (&sandbox, terminal) {
            (Some(sb), false) => self.start_containers(pod, &sb.id).await?,
            _ => Vec::new(),
        };
        let containers = match &sandbox {
            Some(sb) => self.runtime.list_containers(Some(&sb.id)).await?,
            None => Vec::new(),
        };
        let obs = Observed {
            sandbox: sandbox.as_ref(),
            containers: &containers,
            id_scheme: self.runtime.id_scheme(),
            waiting: &waiting,
        };
        let status = pod_status::generate(pod, &obs, self.host_ip.as_deref(), Timestamp::now());
        if pod.status.as_ref() != Some(&status) {
            let api: Api<Pod> = Api::namespaced(
                self.client.clone(),
                pod.metadata.namespace.as_deref().unwrap_or_default(),
            );
            let patch = serde_json::json!({"status": status});
            match api
                .patch_status(
                    pod.metadata.name.as_deref().unwrap_or_default(),
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
            {
                Ok(_) => {}
                // deleted meanwhile: the watch will say so
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }

    /// Start what should run: init containers one at a time, in order (sidecars kept
    /// running), then every regular container; exited ones restart as the restart policy
    /// says, after their crash-loop back-off. Returns the containers waiting in back-off
    /// (name, reason, message) for the status.
    async fn start_containers(
        &self,
        pod: &Pod,
        sandbox: &str,
    ) -> Result<Vec<(String, String, String)>, SyncError> {
        let spec = pod.spec.clone().unwrap_or_default();
        let policy = spec
            .restart_policy
            .clone()
            .unwrap_or_else(|| "Always".into());
        let mut waiting = Vec::new();
        for init in spec.init_containers.iter().flatten() {
            let sidecar = init.restart_policy.as_deref() == Some("Always");
            let kind = if sidecar {
                ContainerKind::Sidecar
            } else {
                ContainerKind::Init
            };
            loop {
                match self.latest(sandbox, &init.name).await? {
                    None => self.run(sandbox, init, kind, 0).await?,
                    Some(c) if c.state == ContainerState::Exited => {
                        if c.exit_code == Some(0) && !sidecar {
                            break;
                        }
                        if !sidecar && policy == "Never" {
                            // the pod failed; nothing else starts
                            return Ok(waiting);
                        }
                        let restarted = self
                            .restart(pod, sandbox, init, kind, &c, &mut waiting)
                            .await?;
                        if !restarted && !sidecar {
                            // an init container waiting out its back-off holds the rest back
                            return Ok(waiting);
                        }
                    }
                    // running or created: a sidecar goes on; an init container is awaited
                    Some(_) if sidecar => break,
                    Some(_) => return Ok(waiting),
                }
                if sidecar {
                    break;
                }
            }
        }
        for c in &spec.containers {
            match self.latest(sandbox, &c.name).await? {
                None => self.run(sandbox, c, ContainerKind::Regular, 0).await?,
                Some(st) if st.state == ContainerState::Exited => {
                    let restart = match policy.as_str() {
                        "Always" => true,
                        "OnFailure" => st.exit_code != Some(0),
                        _ => false,
                    };
                    if restart {
                        self.restart(pod, sandbox, c, ContainerKind::Regular, &st, &mut waiting)
                            .await?;
                    }
                }
                Some(_) => {}
            }
        }
        Ok(waiting)
    }

    /// Restart exited container `last` unless it must wait out its back-off (then it is
    /// added to `waiting`). True if it was restarted.
    async fn restart(
        &self,
        pod: &Pod,
        sandbox: &str,
        c: &Container,
        kind: ContainerKind,
        last: &ContainerStatus,
        waiting: &mut Vec<(String, String, String)>,
    ) -> Result<bool, SyncError> {
        let pod_uid = uid(pod);
        let finished = last.finished_at.unwrap_or_else(Timestamp::now);
        let decision = self.backoff.lock().decide(
            &pod_uid,
            &c.name,
            last.started_at,
            finished,
            Timestamp::now(),
        );
        match decision {
            Decision::Restart => {
                self.run(sandbox, c, kind, last.config.attempt + 1).await?;
                Ok(true)
            }
            Decision::Wait { period, .. } => {
                let message = backoff::message(
                    period,
                    &c.name,
                    pod.metadata.name.as_deref().unwrap_or_default(),
                    pod.metadata.namespace.as_deref().unwrap_or_default(),
                    &pod_uid,
                );
                waiting.push((c.name.clone(), "CrashLoopBackOff".into(), message));
                Ok(false)
            }
        }
    }

    async fn latest(
        &self,
        sandbox: &str,
        name: &str,
    ) -> Result<Option<ContainerStatus>, SyncError> {
        let containers = self.runtime.list_containers(Some(sandbox)).await?;
        Ok(pod_status::attempts(&containers, name).0.cloned())
    }

    async fn run(
        &self,
        sandbox: &str,
        c: &Container,
        kind: ContainerKind,
        attempt: u32,
    ) -> Result<(), SyncError> {
        let config = ContainerConfig {
            name: c.name.clone(),
            kind,
            image: c.image.clone().unwrap_or_default(),
            attempt,
            command: c.command.clone().unwrap_or_default(),
            args: c.args.clone().unwrap_or_default(),
        };
        let id = self.runtime.create_container(sandbox, &config).await?;
        self.runtime.start_container(&id).await?;
        Ok(())
    }

    /// A pod being deleted: stop its containers within its grace period, remove its
    /// sandboxes, then remove the pod object (upstream's status manager does this once
    /// nothing runs), only if it is still the same pod.
    async fn terminate(&self, pod: &Pod) -> Result<(), SyncError> {
        let pod_uid = uid(pod);
        let grace = Duration::from_secs(
            pod.metadata
                .deletion_grace_period_seconds
                .and_then(|g| u64::try_from(g).ok())
                .unwrap_or(30),
        );
        for sb in self.runtime.list_pod_sandboxes().await? {
            if sb.config.pod_uid != pod_uid {
                continue;
            }
            for c in self.runtime.list_containers(Some(&sb.id)).await? {
                if c.state != ContainerState::Exited {
                    self.runtime.stop_container(&c.id, grace).await?;
                }
            }
            self.runtime.stop_pod_sandbox(&sb.id).await?;
            self.runtime.remove_pod_sandbox(&sb.id).await?;
        }
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(pod_uid),
                resource_version: None,
            }),
            ..Default::default()
        };
        match api
            .delete(pod.metadata.name.as_deref().unwrap_or_default(), &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
