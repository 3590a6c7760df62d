//! The node agent (upstream's kubelet): registers its Node with real capacity and keeps
//! it alive with a Lease and status reports, and runs the pods bound to it through a
//! container runtime, writing their status back. An API client like any other: it talks
//! to the API server only, through `kube`.
//!
//! - [`agent`]: the process: nodes, heartbeats, the pod watch;
//! - [`host`] and [`node_status`]: what the machine is, as a Node;
//! - [`images`]: the image store and archive import;
//! - [`lease`] and [`node`]: registration and heartbeats;
//! - [`pod_workers`], [`backoff`] and [`pod_status`]: running pods, restarting them,
//!   reporting them;
//! - [`runtime`]: the CRI-shaped runtime trait and its backends (hollow; OCI in progress);
//! - [`static_pods`]: pods from manifest files, and their mirror pods.

pub mod agent;
pub mod backoff;
pub mod host;
pub mod images;
pub mod lease;
pub mod node;
pub mod node_status;
pub mod pod_status;
pub mod pod_workers;
pub mod runtime;
pub mod static_pods;
