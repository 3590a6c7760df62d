//! The hollow runtime: sandboxes and containers that are only records (no process, no
//! namespace, no cgroup), as kubemark's hollow kubelet and kwok simulate them. A regular
//! container or a sidecar runs until stopped; an init container exits 0 as soon as it
//! starts. Used to simulate many nodes in one process for scheduler and controller
//! benchmarks; never instead of the OCI runtime.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::Mutex;

use super::{
    ContainerConfig, ContainerKind, ContainerState, ContainerStatus, Result, Runtime, RuntimeError,
    SandboxConfig, SandboxState, SandboxStatus,
};

/// Sandboxes and containers in memory.
#[derive(Default)]
pub struct HollowRuntime {
    next: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    sandboxes: BTreeMap<String, SandboxStatus>,
    containers: BTreeMap<String, ContainerStatus>,
}

impl HollowRuntime {
    /// An empty runtime.
    pub fn new() -> Self {
        Self::default()
    }

    fn id(&self) -> String {
        format!("{:016x}", self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

fn exit(c: &mut ContainerStatus, code: i32) {
    c.state = ContainerState::Exited;
    c.finished_at = Some(Timestamp::now());
    c.exit_code = Some(code);
    c.reason = Some(if code == 0 { "Completed" } else { "Error" }.into());
}

#[async_trait]
impl Runtime for HollowRuntime {
    fn version(&self) -> String {
        concat!("hollow://", env!("CARGO_PKG_VERSION")).to_string()
    }

    fn id_scheme(&self) -> &'static str {
        "hollow"
    }

    async fn run_pod_sandbox(&self, config: &SandboxConfig) -> Result<String> {
        let id = self.id();
        let status = SandboxStatus {
            id: id.clone(),
            config: config.clone(),
            state: SandboxState::Ready,
            created_at: Timestamp::now(),
            ip: None,
        };
        self.state.lock().await.sandboxes.insert(id.clone(), status);
        Ok(id)
    }

    async fn stop_pod_sandbox(&self, id: &str) -> Result<()> {
        let mut st = self.state.lock().await;
        let sb = st
            .sandboxes
            .get_mut(id)
            .ok_or_else(|| RuntimeError::NotFound(format!("sandbox {id}")))?;
        sb.state = SandboxState::NotReady;
        for c in st.containers.values_mut().filter(|c| c.sandbox_id == id) {
            if c.state != ContainerState::Exited {
                exit(c, 137);
            }
        }
        Ok(())
    }

    async fn remove_pod_sandbox(&self, id: &str) -> Result<()> {
        let mut st = self.state.lock().await;
        st.sandboxes.remove(id);
        st.containers.retain(|_, c| c.sandbox_id != id);
        Ok(())
    }

    async fn list_pod_sandboxes(&self) -> Result<Vec<SandboxStatus>> {
        Ok(self
            .state
            .lock()
            .await
            .sandboxes
            .values()
            .cloned()
            .collect())
    }

    async fn create_container(&self, sandbox_id: &str, config: &ContainerConfig) -> Result<String> {
        let id = self.id();
        let mut st = self.state.lock().await;
        if !st.sandboxes.contains_key(sandbox_id) {
            return Err(RuntimeError::NotFound(format!("sandbox {sandbox_id}")));
        }
        st.containers.insert(
            id.clone(),
            ContainerStatus {
                id: id.clone(),
                sandbox_id: sandbox_id.to_string(),
                config: config.clone(),
                state: ContainerState::Created,
                created_at: Timestamp::now(),
                started_at: None,
                finished_at: None,
                exit_code: None,
                reason: None,
                image_id: format!("hollow://{}", config.image),
            },
        );
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        let mut st = self.state.lock().await;
        let c = st
            .containers
            .get_mut(id)
            .ok_or_else(|| RuntimeError::NotFound(format!("container {id}")))?;
        c.state = ContainerState::Running;
        c.started_at = Some(Timestamp::now());
        if c.config.kind == ContainerKind::Init {
            exit(c, 0);
        }
        Ok(())
    }

    async fn stop_container(&self, id: &str, _grace: Duration) -> Result<()> {
        let mut st = self.state.lock().await;
        let c = st
            .containers
            .get_mut(id)
            .ok_or_else(|| RuntimeError::NotFound(format!("container {id}")))?;
        if c.state != ContainerState::Exited {
            // what a process killed by SIGTERM reports
            exit(c, 143);
        }
        Ok(())
    }

    async fn remove_container(&self, id: &str) -> Result<()> {
        self.state.lock().await.containers.remove(id);
        Ok(())
    }

    async fn list_containers(&self, sandbox_id: Option<&str>) -> Result<Vec<ContainerStatus>> {
        let st = self.state.lock().await;
        Ok(st
            .containers
            .values()
            .filter(|c| sandbox_id.is_none_or(|s| c.sandbox_id == s))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, kind: ContainerKind) -> ContainerConfig {
        ContainerConfig {
            name: name.into(),
            kind,
            image: "busybox".into(),
            attempt: 0,
            command: vec![],
            args: vec![],
        }
    }

    #[tokio::test]
    async fn init_containers_complete_and_the_rest_run_until_stopped() {
        let rt = HollowRuntime::new();
        let sb = rt
            .run_pod_sandbox(&SandboxConfig {
                pod_uid: "u".into(),
                namespace: "d".into(),
                name: "p".into(),
                attempt: 0,
                host_network: false,
                hostname: "p".into(),
            })
            .await
            .unwrap();
        let init = rt
            .create_container(&sb, &container("i", ContainerKind::Init))
            .await
            .unwrap();
        let main = rt
            .create_container(&sb, &container("c", ContainerKind::Regular))
            .await
            .unwrap();
        rt.start_container(&init).await.unwrap();
        rt.start_container(&main).await.unwrap();
        let cs = rt.list_containers(Some(&sb)).await.unwrap();
        let by = |id: &str| cs.iter().find(|c| c.id == id).unwrap().clone();
        assert_eq!(
            (by(&init).state, by(&init).exit_code),
            (ContainerState::Exited, Some(0))
        );
        assert_eq!(by(&main).state, ContainerState::Running);
        rt.stop_pod_sandbox(&sb).await.unwrap();
        let cs = rt.list_containers(Some(&sb)).await.unwrap();
        assert!(cs.iter().all(|c| c.state == ContainerState::Exited));
        rt.remove_pod_sandbox(&sb).await.unwrap();
        assert!(rt.list_containers(None).await.unwrap().is_empty());
        assert!(rt.list_pod_sandboxes().await.unwrap().is_empty());
    }
}
