//! `capstan agent` with the hollow runtime against a real `capstan server`: the node
//! registers with its capacity and a Lease, pods bound to it run and report status,
//! deleted pods go away, a restarted agent takes its node back, and one process
//! simulates many nodes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod, PodStatus};
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};

use crate::support::{ServerProc, eventually, free_port};

/// A running `capstan agent`, killed when dropped.
struct AgentProc(Child);

impl AgentProc {
    fn start(server: &ServerProc, dir: &Path, kubeconfig: &Path, extra: &[&str]) -> Self {
        let log = std::fs::File::create(dir.join("agent.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .arg("agent")
            .arg("--data-dir")
            .arg(dir.join("agent"))
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--runtime", "hollow", "--node-ip", "10.0.0.5"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn capstan agent");
        let _ = server;
        AgentProc(child)
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn node_kubeconfig(server: &ServerProc, port: u16, node: &str) -> std::path::PathBuf {
    let out = server.data_dir.join(format!("{node}.kubeconfig"));
    let st = Command::new(env!("CARGO_BIN_EXE_capstan"))
        .arg("node-kubeconfig")
        .arg("--data-dir")
        .arg(&server.data_dir)
        .args([
            "--node-name",
            node,
            "--server",
            &format!("https://127.0.0.1:{port}"),
        ])
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

fn ready(n: &Node) -> bool {
    n.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Wait until pod `name`'s status satisfies `pred`.
async fn wait_pod(pods: &Api<Pod>, name: &str, what: &str, pred: impl Fn(&PodStatus) -> bool) {
    eventually(what, Duration::from_secs(30), || async {
        pods.get(name)
            .await
            .ok()
            .and_then(|p| p.status)
            .is_some_and(|s| pred(&s))
    })
    .await;
}

fn pod(name: &str, node: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": node,
                 "initContainers": [{"name": "init", "image": "busybox"}],
                 "containers": [{"name": "c", "image": "busybox"}]}
    }))
    .unwrap()
}

#[tokio::test]
async fn a_hollow_node_registers_runs_pods_and_deletes_them() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProc::start(dir.path(), port).await;
    let admin = server.client().await.unwrap();
    let kc = node_kubeconfig(&server, port, "hollow-1");
    let mut agent = AgentProc::start(&server, dir.path(), &kc, &["--node-name", "hollow-1"]);

    let nodes: Api<Node> = Api::all(admin.clone());
    eventually("the node is Ready", Duration::from_secs(30), || async {
        nodes
            .get_opt("hollow-1")
            .await
            .ok()
            .flatten()
            .is_some_and(|n| ready(&n))
    })
    .await;
    let n = nodes.get("hollow-1").await.unwrap();
    let st = n.status.unwrap();
    let cap = st.capacity.unwrap();
    assert_eq!(cap["pods"].0, "110");
    assert!(cap["cpu"].0.parse::<u64>().unwrap() >= 1);
    assert!(cap.contains_key("memory") && cap.contains_key("ephemeral-storage"));
    assert!(st.allocatable.unwrap().contains_key("memory"));
    let info = st.node_info.unwrap();
    assert_eq!(
        info.container_runtime_version,
        concat!("hollow://", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(info.operating_system, "linux");
    assert!(!info.kernel_version.is_empty());
    assert_eq!(st.addresses.unwrap()[0].address, "10.0.0.5");
    let labels = n.metadata.labels.unwrap();
    assert_eq!(labels["kubernetes.io/hostname"], "hollow-1");

    // the lease: held by the node, owned by it
    let leases: Api<Lease> = Api::namespaced(admin.clone(), "kube-node-lease");
    eventually("the lease", Duration::from_secs(30), || async {
        leases.get_opt("hollow-1").await.ok().flatten().is_some()
    })
    .await;
    let lease = leases.get("hollow-1").await.unwrap();
    let spec = lease.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("hollow-1"));
    assert_eq!(spec.lease_duration_seconds, Some(40));
    assert_eq!(
        lease.metadata.owner_references.unwrap()[0].uid,
        n.metadata.uid.clone().unwrap()
    );

    // a pod bound to it runs: init container first, then Running and Ready
    let pods: Api<Pod> = Api::namespaced(admin.clone(), "default");
    pods.create(&PostParams::default(), &pod("web", "hollow-1"))
        .await
        .unwrap();
    wait_pod(&pods, "web", "the pod is Running and Ready", |s| {
        s.phase.as_deref() == Some("Running")
            && s.conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True")
    })
    .await;
    let st = pods.get("web").await.unwrap().status.unwrap();
    let init = &st.init_container_statuses.unwrap()[0];
    assert_eq!(
        init.state
            .as_ref()
            .unwrap()
            .terminated
            .as_ref()
            .unwrap()
            .exit_code,
        0
    );
    assert_eq!(st.host_ip.as_deref(), Some("10.0.0.5"));
    assert!(st.start_time.is_some());
    let types: Vec<String> = st
        .conditions
        .unwrap()
        .into_iter()
        .map(|c| c.type_)
        .collect();
    for t in [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }

    // a mirror pod (a static pod's stand-in in the API) is never run from the API
    let mut mirrored = pod("mirrored", "hollow-1");
    mirrored.metadata.annotations = Some(std::collections::BTreeMap::from([(
        "kubernetes.io/config.mirror".to_string(),
        "0123".to_string(),
    )]));
    pods.create(&PostParams::default(), &mirrored)
        .await
        .unwrap();

    // a pod bound to another node is not this agent's
    pods.create(&PostParams::default(), &pod("elsewhere", "other-node"))
        .await
        .unwrap();

    // an agent restart takes the same node back and keeps the pod running
    let uid = n.metadata.uid.clone();
    let _ = agent.0.kill();
    let _ = agent.0.wait();
    agent = AgentProc::start(&server, dir.path(), &kc, &["--node-name", "hollow-1"]);
    // (a hollow runtime's pods live in the agent's memory: the new agent starts them again)
    wait_pod(&pods, "web", "the restarted agent runs the pod", |s| {
        s.container_statuses
            .iter()
            .flatten()
            .all(|c| c.state.as_ref().is_some_and(|st| st.running.is_some()))
    })
    .await;
    assert_eq!(nodes.get("hollow-1").await.unwrap().metadata.uid, uid);

    // deleting the pod: the agent stops it and removes the object
    pods.delete("web", &DeleteParams::default()).await.unwrap();
    eventually("the pod is gone", Duration::from_secs(30), || async {
        matches!(pods.get_opt("web").await, Ok(None))
    })
    .await;
    let mirrored = pods.get("mirrored").await.unwrap();
    assert!(
        mirrored
            .status
            .and_then(|s| s.phase)
            .is_none_or(|p| p == "Pending")
    );
    let other = pods.get("elsewhere").await.unwrap();
    assert!(
        other
            .status
            .and_then(|s| s.phase)
            .is_none_or(|p| p == "Pending")
    );
    drop(agent);
}

#[tokio::test]
async fn one_process_simulates_many_hollow_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProc::start(dir.path(), port).await;
    let admin = server.client().await.unwrap();
    // many nodes act through one identity that may act for all of them
    let _agent = AgentProc::start(
        &server,
        dir.path(),
        &server.kubeconfig,
        &["--nodes", "50", "--node-name-prefix", "sim"],
    );
    let nodes: Api<Node> = Api::all(admin.clone());
    eventually("50 Ready nodes", Duration::from_secs(60), || async {
        nodes
            .list(&ListParams::default())
            .await
            .is_ok_and(|l| l.items.iter().filter(|n| ready(n)).count() == 50)
    })
    .await;
    let leases: Api<Lease> = Api::namespaced(admin.clone(), "kube-node-lease");
    eventually("50 leases", Duration::from_secs(60), || async {
        leases
            .list(&ListParams::default())
            .await
            .is_ok_and(|l| l.items.len() == 50)
    })
    .await;
    // a pod on one of them runs there
    let pods: Api<Pod> = Api::namespaced(admin, "default");
    pods.create(&PostParams::default(), &pod("p", "sim-17"))
        .await
        .unwrap();
    wait_pod(&pods, "p", "the pod on sim-17 runs", |s| {
        s.phase.as_deref() == Some("Running")
    })
    .await;
}

#[tokio::test]
async fn agent_flags_that_cannot_work_are_refused_with_a_reason() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .arg("agent")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = run(&["--runtime", "hollow", "--token", "abc"]);
    assert!(!ok && err.contains("--token"), "{err}");
    let (ok, err) = run(&["--runtime", "hollow"]);
    assert!(!ok && err.contains("--kubeconfig"), "{err}");
    let (ok, err) = run(&["--nodes", "5"]);
    assert!(!ok && err.contains("oci"), "{err}");
}
