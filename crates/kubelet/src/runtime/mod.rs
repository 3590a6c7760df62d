//! The container runtime as the pod workers see it: CRI-shaped (a pod sandbox holds
//! containers; each is created, started, stopped and removed; listing tells what exists,
//! so an agent that restarts adopts what is running instead of starting it again).
//!
//! Backends: [`hollow::HollowRuntime`] (no processes, for scale simulation). The OCI
//! backend (crun/runc) and containerd over CRI implement the same trait.

pub mod hollow;
pub mod oci;

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

/// A runtime call that failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// No sandbox or container with that id.
    #[error("{0} not found")]
    NotFound(String),
    /// Anything else, in the runtime's words.
    #[error("{0}")]
    Failed(String),
}

/// Runtime results.
pub type Result<T> = std::result::Result<T, RuntimeError>;

/// What a sandbox is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// The pod's uid (sandboxes are found again by it).
    pub pod_uid: String,
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// How many sandboxes this pod had before.
    pub attempt: u32,
    /// Share the node's network namespace.
    pub host_network: bool,
    /// The pod's host name.
    pub hostname: String,
}

/// Sandbox states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxState {
    /// Its namespaces exist: containers can start.
    Ready,
    /// Stopped.
    NotReady,
}

/// A sandbox as the runtime lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxStatus {
    /// Runtime id.
    pub id: String,
    /// What it was made for.
    pub config: SandboxConfig,
    /// State.
    pub state: SandboxState,
    /// Created at.
    pub created_at: Timestamp,
    /// The pod's IP, once it has a network.
    pub ip: Option<String>,
}

/// Which of a pod's lists a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `initContainers` that run to completion, in order.
    Init,
    /// `initContainers` with `restartPolicy: Always` (native sidecars).
    Sidecar,
    /// `containers`.
    Regular,
}

/// What a container is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerConfig {
    /// Its name in the pod.
    pub name: String,
    /// Which list it comes from.
    pub kind: ContainerKind,
    /// The image reference.
    pub image: String,
    /// How many times it ran before (the restart count).
    pub attempt: u32,
    /// Entrypoint, resolved.
    pub command: Vec<String>,
    /// Arguments, resolved.
    pub args: Vec<String>,
}

/// Container states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Created, not started.
    Created,
    /// Running.
    Running,
    /// Exited.
    Exited,
}

/// A container as the runtime lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    /// Runtime id.
    pub id: String,
    /// Its sandbox.
    pub sandbox_id: String,
    /// What it was made from.
    pub config: ContainerConfig,
    /// State.
    pub state: ContainerState,
    /// Created at.
    pub created_at: Timestamp,
    /// Started at.
    pub started_at: Option<Timestamp>,
    /// Finished at.
    pub finished_at: Option<Timestamp>,
    /// Exit code, once exited.
    pub exit_code: Option<i32>,
    /// Why it exited (`Completed`, `Error`, `OOMKilled`).
    pub reason: Option<String>,
    /// The resolved image id.
    pub image_id: String,
}

/// A container runtime.
#[async_trait]
pub trait Runtime: Send + Sync {
    /// `name://version`, as a Node's `containerRuntimeVersion` shows it.
    fn version(&self) -> String;
    /// The scheme of container ids in pod status (`containerd`, `cri-o`, `hollow`).
    fn id_scheme(&self) -> &'static str;
    /// Make a sandbox; its id.
    async fn run_pod_sandbox(&self, config: &SandboxConfig) -> Result<String>;
    /// Stop a sandbox and every container in it.
    async fn stop_pod_sandbox(&self, id: &str) -> Result<()>;
    /// Remove a stopped sandbox and its containers.
    async fn remove_pod_sandbox(&self, id: &str) -> Result<()>;
    /// Every sandbox.
    async fn list_pod_sandboxes(&self) -> Result<Vec<SandboxStatus>>;
    /// Make a container in a sandbox; its id.
    async fn create_container(&self, sandbox_id: &str, config: &ContainerConfig) -> Result<String>;
    /// Start a created container.
    async fn start_container(&self, id: &str) -> Result<()>;
    /// Stop a container: SIGTERM, then SIGKILL after `grace`.
    async fn stop_container(&self, id: &str, grace: Duration) -> Result<()>;
    /// Remove a stopped container.
    async fn remove_container(&self, id: &str) -> Result<()>;
    /// The containers of a sandbox (every attempt), or of all sandboxes.
    async fn list_containers(&self, sandbox_id: Option<&str>) -> Result<Vec<ContainerStatus>>;
}
