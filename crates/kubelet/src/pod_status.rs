//! A pod's status from what the runtime shows, as upstream's kubelet generates it
//! (`generateAPIPodStatus`, `getPhase`, `pkg/kubelet/status/generate.go`): each
//! container's state, last state, restart count, readiness; the pod's phase; the
//! conditions PodReadyToStartContainers, Initialized, ContainersReady, Ready and
//! PodScheduled; IPs and start time. Pure: the runtime's view and the clock come in.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerState as ApiState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus as ApiStatus, HostIP, Pod, PodCondition, PodIP,
    PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::runtime::{ContainerState, ContainerStatus, SandboxState, SandboxStatus};

/// What the runtime shows of one pod.
pub struct Observed<'a> {
    /// Its newest sandbox.
    pub sandbox: Option<&'a SandboxStatus>,
    /// Every container of its sandboxes (every attempt).
    pub containers: &'a [ContainerStatus],
    /// The runtime's id scheme (`hollow`), for `containerID`.
    pub id_scheme: &'a str,
    /// Exited containers waiting to restart (crash-loop back-off): name, reason, message.
    pub waiting: &'a [(String, String, String)],
}

/// The newest attempt of container `name`, and the one before it.
pub(crate) fn attempts<'a>(
    containers: &'a [ContainerStatus],
    name: &str,
) -> (Option<&'a ContainerStatus>, Option<&'a ContainerStatus>) {
    let mut mine: Vec<&ContainerStatus> = containers
        .iter()
        .filter(|c| c.config.name == name)
        .collect();
    mine.sort_by_key(|c| (c.config.attempt, c.created_at));
    let last = mine.pop();
    (last, mine.pop())
}

fn t(ts: Option<Timestamp>) -> Option<Time> {
    ts.map(Time)
}

fn terminated(c: &ContainerStatus, scheme: &str) -> ApiState {
    ApiState {
        terminated: Some(ContainerStateTerminated {
            container_id: Some(format!("{scheme}://{}", c.id)),
            exit_code: c.exit_code.unwrap_or(0),
            finished_at: t(c.finished_at),
            reason: c.reason.clone(),
            started_at: t(c.started_at),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn waiting(reason: &str) -> ApiState {
    ApiState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.into()),
            message: None,
        }),
        ..Default::default()
    }
}

/// The status of one container of the spec.
fn container_status(spec: &Container, obs: &Observed<'_>, pending_reason: &str) -> ApiStatus {
    let (last, previous) = attempts(obs.containers, &spec.name);
    let running = last.is_some_and(|c| c.state == ContainerState::Running);
    // an exited container waiting to restart: waiting now, its last run is the last state
    let backing_off = last
        .filter(|c| c.state == ContainerState::Exited)
        .and_then(|c| {
            obs.waiting
                .iter()
                .find(|(n, _, _)| *n == spec.name)
                .map(|(_, reason, message)| (c, reason, message))
        });
    if let Some((c, reason, message)) = backing_off {
        return ApiStatus {
            name: spec.name.clone(),
            image: spec.image.clone().unwrap_or_default(),
            image_id: c.image_id.clone(),
            container_id: Some(format!("{}://{}", obs.id_scheme, c.id)),
            ready: false,
            started: Some(false),
            restart_count: i32::try_from(c.config.attempt).unwrap_or(i32::MAX),
            state: Some(ApiState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason.clone()),
                    message: Some(message.clone()),
                }),
                ..Default::default()
            }),
            last_state: Some(terminated(c, obs.id_scheme)),
            ..Default::default()
        };
    }
    let state = match last {
        None => waiting(pending_reason),
        Some(c) => match c.state {
            ContainerState::Running => ApiState {
                running: Some(ContainerStateRunning {
                    started_at: t(c.started_at),
                }),
                ..Default::default()
            },
            ContainerState::Exited => terminated(c, obs.id_scheme),
            ContainerState::Created => waiting("ContainerCreating"),
        },
    };
    ApiStatus {
        name: spec.name.clone(),
        image: spec.image.clone().unwrap_or_default(),
        image_id: last.map(|c| c.image_id.clone()).unwrap_or_default(),
        container_id: last.map(|c| format!("{}://{}", obs.id_scheme, c.id)),
        ready: running,
        started: Some(running),
        restart_count: last.map_or(0, |c| i32::try_from(c.config.attempt).unwrap_or(i32::MAX)),
        state: Some(state),
        last_state: Some(
            previous
                .filter(|p| p.state == ContainerState::Exited)
                .map(|p| terminated(p, obs.id_scheme))
                .unwrap_or_default(),
        ),
        ..Default::default()
    }
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

fn succeeded(s: &ApiStatus) -> bool {
    s.state
        .as_ref()
        .and_then(|st| st.terminated.as_ref())
        .is_some_and(|t| t.exit_code == 0)
}

fn failed(s: &ApiStatus) -> bool {
    s.state
        .as_ref()
        .and_then(|st| st.terminated.as_ref())
        .is_some_and(|t| t.exit_code != 0)
}

/// Upstream's `getPhase`.
fn phase(restart_policy: &str, init: &[(bool, ApiStatus)], regular: &[ApiStatus]) -> &'static str {
    // init containers (not sidecars) must each have succeeded
    let pending_init = init.iter().any(|(sidecar, s)| !sidecar && !succeeded(s));
    if pending_init {
        let init_failed = init.iter().any(|(sidecar, s)| !sidecar && failed(s));
        return if init_failed && restart_policy == "Never" {
            "Failed"
        } else {
            "Pending"
        };
    }
    let (mut running, mut waiting, mut stopped, mut ok) = (0, 0, 0, 0);
    for s in regular {
        let st = s.state.clone().unwrap_or_default();
        if st.running.is_some() {
            running += 1;
        } else if st.terminated.is_some() {
            stopped += 1;
            if succeeded(s) {
                ok += 1;
            }
        } else if s
            .last_state
            .as_ref()
            .is_some_and(|l| l.terminated.is_some())
        {
            // waiting to restart
            stopped += 1;
        } else {
            waiting += 1;
        }
    }
    match () {
        _ if waiting > 0 => "Pending",
        _ if running > 0 => "Running",
        _ if stopped > 0 => match restart_policy {
            "Always" => "Running",
            _ if stopped == ok => "Succeeded",
            "Never" => "Failed",
            _ => "Running",
        },
        _ => "Pending",
    }
}

fn condition(ty: &str, ok: bool, reason: Option<&str>, message: Option<String>) -> PodCondition {
    PodCondition {
        type_: ty.into(),
        status: if ok { "True" } else { "False" }.into(),
        reason: (!ok).then(|| reason.map(str::to_string)).flatten(),
        message: (!ok).then_some(message).flatten(),
        ..Default::default()
    }
}

/// The pod's new status; `host_ip` is the node's address.
pub fn generate(pod: &Pod, obs: &Observed<'_>, host_ip: Option<&str>, now: Timestamp) -> PodStatus {
    let spec = pod.spec.clone().unwrap_or_default();
    let old = pod.status.clone().unwrap_or_default();
    let restart_policy = spec.restart_policy.as_deref().unwrap_or("Always");
    let init_specs = spec.init_containers.clone().unwrap_or_default();
    let init: Vec<(bool, ApiStatus)> = init_specs
        .iter()
        .map(|c| (is_sidecar(c), container_status(c, obs, "PodInitializing")))
        .collect();
    let initialized = init.iter().all(|(sidecar, s)| {
        if *sidecar {
            s.started == Some(true)
        } else {
            succeeded(s)
        }
    });
    let pending = if initialized {
        "ContainerCreating"
    } else {
        "PodInitializing"
    };
    let regular: Vec<ApiStatus> = spec
        .containers
        .iter()
        .map(|c| container_status(c, obs, pending))
        .collect();
    let phase = phase(restart_policy, &init, &regular);
    let terminal = matches!(phase, "Succeeded" | "Failed");

    let names = |it: &mut dyn Iterator<Item = &ApiStatus>| -> String {
        let v: Vec<&str> = it.map(|s| s.name.as_str()).collect();
        format!("[{}]", v.join(" "))
    };
    let incomplete = names(
        &mut init
            .iter()
            .filter(|(sidecar, s)| {
                if *sidecar {
                    s.started != Some(true)
                } else {
                    !succeeded(s)
                }
            })
            .map(|(_, s)| s),
    );
    let unready = names(
        &mut init
            .iter()
            .filter(|(sidecar, s)| *sidecar && !s.ready)
            .map(|(_, s)| s)
            .chain(regular.iter().filter(|s| !s.ready)),
    );
    let all_ready = unready == "[]";
    let (ready_reason, ready_message) = if terminal {
        (Some("PodCompleted"), None)
    } else {
        (
            Some("ContainersNotReady"),
            Some(format!("containers with unready status: {unready}")),
        )
    };
    let sandbox_ready = obs.sandbox.is_some_and(|s| s.state == SandboxState::Ready);
    let mut conditions = vec![
        condition("PodReadyToStartContainers", sandbox_ready, None, None),
        condition(
            "Initialized",
            initialized,
            Some("ContainersNotInitialized"),
            Some(format!("containers with incomplete status: {incomplete}")),
        ),
        condition(
            "Ready",
            all_ready && !terminal,
            ready_reason,
            ready_message.clone(),
        ),
        condition(
            "ContainersReady",
            all_ready && !terminal,
            ready_reason,
            ready_message,
        ),
        condition("PodScheduled", true, None, None),
    ];
    // a condition that did not change keeps its transition time
    for c in &mut conditions {
        let kept = old
            .conditions
            .iter()
            .flatten()
            .find(|o| o.type_ == c.type_ && o.status == c.status)
            .and_then(|o| o.last_transition_time.clone());
        c.last_transition_time = Some(kept.unwrap_or(Time(now)));
    }

    let host_network = spec.host_network.unwrap_or(false);
    let pod_ip = if host_network {
        host_ip.map(str::to_string)
    } else {
        obs.sandbox.and_then(|s| s.ip.clone())
    };
    PodStatus {
        phase: Some(phase.into()),
        conditions: Some(conditions),
        host_ip: host_ip.map(str::to_string),
        host_ips: host_ip.map(|ip| vec![HostIP { ip: ip.to_string() }]),
        pod_ip: pod_ip.clone(),
        pod_ips: pod_ip.map(|ip| vec![PodIP { ip }]),
        start_time: old.start_time.clone().or(Some(Time(now))),
        init_container_statuses: (!init.is_empty())
            .then(|| init.into_iter().map(|(_, s)| s).collect()),
        container_statuses: Some(regular),
        qos_class: old.qos_class.clone(),
        ..old
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::PodSpec;

    use super::*;
    use crate::runtime::{ContainerConfig, ContainerKind, SandboxConfig};

    fn pod(init: &[(&str, Option<&str>)], containers: &[&str], restart: &str) -> Pod {
        let c = |n: &str, rp: Option<&str>| Container {
            name: n.into(),
            image: Some("busybox".into()),
            restart_policy: rp.map(str::to_string),
            ..Default::default()
        };
        Pod {
            spec: Some(PodSpec {
                init_containers: Some(init.iter().map(|(n, rp)| c(n, *rp)).collect()),
                containers: containers.iter().map(|n| c(n, None)).collect(),
                restart_policy: Some(restart.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn sandbox() -> SandboxStatus {
        SandboxStatus {
            id: "s".into(),
            config: SandboxConfig {
                pod_uid: "u".into(),
                namespace: "d".into(),
                name: "p".into(),
                attempt: 0,
                host_network: false,
                hostname: "p".into(),
            },
            state: SandboxState::Ready,
            created_at: Timestamp::from_second(10).unwrap(),
            ip: Some("10.42.0.5".into()),
        }
    }

    fn ctr(name: &str, attempt: u32, state: ContainerState, code: Option<i32>) -> ContainerStatus {
        ContainerStatus {
            id: format!("{name}-{attempt}"),
            sandbox_id: "s".into(),
            config: ContainerConfig {
                name: name.into(),
                kind: ContainerKind::Regular,
                image: "busybox".into(),
                attempt,
                command: vec![],
                args: vec![],
            },
            state,
            created_at: Timestamp::from_second(20 + i64::from(attempt)).unwrap(),
            started_at: Some(Timestamp::from_second(21).unwrap()),
            finished_at: (state == ContainerState::Exited)
                .then(|| Timestamp::from_second(30).unwrap()),
            exit_code: code,
            reason: code.map(|c| if c == 0 { "Completed" } else { "Error" }.into()),
            image_id: "sha256:x".into(),
        }
    }

    fn cond<'a>(s: &'a PodStatus, ty: &str) -> &'a PodCondition {
        s.conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == ty)
            .unwrap()
    }

    #[test]
    fn a_running_pod_is_ready() {
        let p = pod(&[("init", None)], &["c"], "Always");
        let cs = [
            ctr("init", 0, ContainerState::Exited, Some(0)),
            ctr("c", 0, ContainerState::Running, None),
        ];
        let sb = sandbox();
        let obs = Observed {
            sandbox: Some(&sb),
            containers: &cs,
            id_scheme: "hollow",
            waiting: &[],
        };
        let s = generate(
            &p,
            &obs,
            Some("10.0.0.5"),
            Timestamp::from_second(40).unwrap(),
        );
        assert_eq!(s.phase.as_deref(), Some("Running"));
        assert_eq!(cond(&s, "Ready").status, "True");
        assert_eq!(cond(&s, "Initialized").status, "True");
        assert_eq!(s.pod_ip.as_deref(), Some("10.42.0.5"));
        assert_eq!(s.host_ip.as_deref(), Some("10.0.0.5"));
        let c = &s.container_statuses.as_ref().unwrap()[0];
        assert_eq!(c.container_id.as_deref(), Some("hollow://c-0"));
        assert!(c.ready && c.state.as_ref().unwrap().running.is_some());
    }

    #[test]
    fn waiting_on_init_containers() {
        let p = pod(&[("a", None), ("b", None)], &["c"], "Always");
        let cs = [ctr("a", 0, ContainerState::Exited, Some(0))];
        let sb = sandbox();
        let obs = Observed {
            sandbox: Some(&sb),
            containers: &cs,
            id_scheme: "hollow",
            waiting: &[],
        };
        let s = generate(&p, &obs, None, Timestamp::from_second(40).unwrap());
        assert_eq!(s.phase.as_deref(), Some("Pending"));
        let init = cond(&s, "Initialized");
        assert_eq!(
            init.message.as_deref(),
            Some("containers with incomplete status: [b]")
        );
        let c = &s.container_statuses.as_ref().unwrap()[0];
        assert_eq!(
            c.state
                .as_ref()
                .unwrap()
                .waiting
                .as_ref()
                .unwrap()
                .reason
                .as_deref(),
            Some("PodInitializing")
        );
        assert_eq!(
            cond(&s, "Ready").message.as_deref(),
            Some("containers with unready status: [c]")
        );
    }

    #[test]
    fn phases_of_finished_pods_follow_the_restart_policy() {
        let sb = sandbox();
        let now = Timestamp::from_second(40).unwrap();
        for (policy, code, want) in [
            ("Never", 0, "Succeeded"),
            ("Never", 3, "Failed"),
            ("OnFailure", 0, "Succeeded"),
            ("OnFailure", 3, "Running"),
            ("Always", 0, "Running"),
        ] {
            let p = pod(&[], &["c"], policy);
            let cs = [ctr("c", 0, ContainerState::Exited, Some(code))];
            let obs = Observed {
                sandbox: Some(&sb),
                containers: &cs,
                id_scheme: "hollow",
                waiting: &[],
            };
            let s = generate(&p, &obs, None, now);
            assert_eq!(s.phase.as_deref(), Some(want), "{policy} {code}");
        }
        // a restart: the previous attempt is the last state, the count is the attempt
        let p = pod(&[], &["c"], "Always");
        let cs = [
            ctr("c", 0, ContainerState::Exited, Some(3)),
            ctr("c", 1, ContainerState::Running, None),
        ];
        let obs = Observed {
            sandbox: Some(&sb),
            containers: &cs,
            id_scheme: "hollow",
            waiting: &[],
        };
        let s = generate(&p, &obs, None, now);
        let c = &s.container_statuses.as_ref().unwrap()[0];
        assert_eq!(c.restart_count, 1);
        assert_eq!(
            c.last_state
                .as_ref()
                .unwrap()
                .terminated
                .as_ref()
                .unwrap()
                .exit_code,
            3
        );
    }

    #[test]
    fn a_container_in_back_off_waits_in_crash_loop_back_off() {
        let p = pod(&[], &["c"], "Always");
        let cs = [
            ctr("c", 0, ContainerState::Exited, Some(3)),
            ctr("c", 1, ContainerState::Exited, Some(3)),
        ];
        let sb = sandbox();
        let waiting = [(
            "c".to_string(),
            "CrashLoopBackOff".to_string(),
            "back-off 10s restarting failed".to_string(),
        )];
        let obs = Observed {
            sandbox: Some(&sb),
            containers: &cs,
            id_scheme: "hollow",
            waiting: &waiting,
        };
        let s = generate(&p, &obs, None, Timestamp::from_second(40).unwrap());
        let c = &s.container_statuses.as_ref().unwrap()[0];
        let w = c.state.as_ref().unwrap().waiting.as_ref().unwrap();
        assert_eq!(w.reason.as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(c.restart_count, 1);
        assert_eq!(
            c.last_state
                .as_ref()
                .unwrap()
                .terminated
                .as_ref()
                .unwrap()
                .exit_code,
            3
        );
        assert!(!c.ready);
        // a restarting container counts as stopped, not waiting: the pod is Running
        assert_eq!(s.phase.as_deref(), Some("Running"));
    }

    #[test]
    fn unchanged_conditions_keep_their_transition_time() {
        let p = pod(&[], &["c"], "Always");
        let cs = [ctr("c", 0, ContainerState::Running, None)];
        let sb = sandbox();
        let obs = Observed {
            sandbox: Some(&sb),
            containers: &cs,
            id_scheme: "hollow",
            waiting: &[],
        };
        let first = generate(&p, &obs, None, Timestamp::from_second(40).unwrap());
        let mut p2 = p.clone();
        p2.status = Some(first.clone());
        let second = generate(&p2, &obs, None, Timestamp::from_second(90).unwrap());
        assert_eq!(first, second);
    }
}
