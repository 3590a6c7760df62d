//! The node's heartbeat: a Lease named after the node in `kube-node-lease`, owned by the
//! Node, held by it for 40 s and renewed every 10 s (upstream's
//! `pkg/kubelet/nodelease`, a quarter of the duration). The node lifecycle controller
//! reads `renewTime` to tell a live node from a dead one.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
use kube::Api;
use kube::api::PostParams;

/// The namespace of node leases.
pub const NAMESPACE: &str = "kube-node-lease";
/// How long a lease is held (upstream's `nodeLeaseDurationSeconds`).
pub const DURATION_SECONDS: i32 = 40;
/// How often it is renewed.
pub const RENEW_INTERVAL: Duration = Duration::from_secs(10);

/// The lease `node` (with uid `node_uid`, for the owner reference) holds, renewed `now`.
pub fn desired(node: &str, node_uid: Option<&str>, now: Timestamp, old: Option<Lease>) -> Lease {
    let mut lease = old.unwrap_or_else(|| Lease {
        metadata: ObjectMeta {
            name: Some(node.to_string()),
            namespace: Some(NAMESPACE.to_string()),
            owner_references: node_uid.map(|uid| {
                vec![OwnerReference {
                    api_version: "v1".into(),
                    kind: "Node".into(),
                    name: node.to_string(),
                    uid: uid.to_string(),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        },
        spec: None,
    });
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    spec.holder_identity = Some(node.to_string());
    spec.lease_duration_seconds = Some(DURATION_SECONDS);
    spec.renew_time = Some(MicroTime(now));
    lease
}

/// Renew the lease once: replace the last one this agent saw (`last`), or read and create
/// it when there is none or the write conflicted. Returns the stored lease.
pub async fn renew(
    api: &Api<Lease>,
    node: &str,
    node_uid: Option<&str>,
    last: Option<Lease>,
) -> Result<Lease, kube::Error> {
    if let Some(l) = last {
        match api
            .replace(
                node,
                &PostParams::default(),
                &desired(node, node_uid, Timestamp::now(), Some(l)),
            )
            .await
        {
            Ok(l) => return Ok(l),
            Err(kube::Error::Api(e)) if e.code == 409 || e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    match api.get_opt(node).await? {
        Some(l) => {
            api.replace(
                node,
                &PostParams::default(),
                &desired(node, node_uid, Timestamp::now(), Some(l)),
            )
            .await
        }
        None => {
            api.create(
                &PostParams::default(),
                &desired(node, node_uid, Timestamp::now(), None),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_lease_is_owned_by_its_node() {
        let now = Timestamp::from_second(100).unwrap();
        let l = desired("n1", Some("uid-1"), now, None);
        assert_eq!(l.metadata.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(
            l.metadata.owner_references.as_ref().unwrap()[0].uid,
            "uid-1"
        );
        let spec = l.spec.as_ref().unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some("n1"));
        assert_eq!(spec.lease_duration_seconds, Some(40));
        let later = Timestamp::from_second(110).unwrap();
        let renewed = desired("n1", Some("uid-1"), later, Some(l));
        assert_eq!(renewed.spec.unwrap().renew_time, Some(MicroTime(later)));
    }
}
