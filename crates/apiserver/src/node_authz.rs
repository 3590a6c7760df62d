//! Authorization of node agents (upstream's Node authorizer, `plugin/pkg/auth/authorizer/node`):
//! a user `system:node:<name>` in group `system:nodes` may do what the `system:node`
//! ClusterRole of the bootstrap policy allows (upstream's `NodeRules()`), with the
//! restrictions upstream adds on top:
//!
//! - its Lease only in `kube-node-lease`, and only its own by name;
//! - its own Node object by name for writes (create names the node in the body, which
//!   admission checks upstream; here any node may create a Node);
//! - the objects upstream restricts to what the node's pods reference (secrets,
//!   configmaps, persistent volumes and claims, service accounts, resource claims) are
//!   refused for now: that check needs the graph of pods to objects, which arrives with the
//!   node agent's volumes. Until then a node can read none of them (never too much).
//!
//! It does not decide for other users: those go to the next authorizer.

use std::sync::OnceLock;

use serde_json::Value;

use crate::auth::{Authorizer, Decision, MastersAuthorizer, UserInfo};
use crate::request_info::RequestInfo;

/// The group every node agent's user is in.
pub const NODES_GROUP: &str = "system:nodes";
/// The prefix of a node agent's user name (`system:node:<node name>`).
pub const NODE_USER_PREFIX: &str = "system:node:";

/// One RBAC policy rule, as the bootstrap data writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
}

impl Rule {
    fn allows(&self, group: &str, resource: &str, verb: &str) -> bool {
        let has = |v: &[String], x: &str| v.iter().any(|i| i == "*" || i == x);
        has(&self.groups, group) && has(&self.resources, resource) && has(&self.verbs, verb)
    }
}

/// The `system:node` ClusterRole's rules from the bootstrap policy.
fn node_rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(include_str!("../data/bootstrap-rbac.json")).unwrap_or_default();
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        doc["clusterRoles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["name"] == "system:node")
            .flat_map(|r| r["rules"].as_array().cloned().unwrap_or_default())
            .map(|r| Rule {
                groups: strings(&r["apiGroups"]),
                resources: strings(&r["resources"]),
                verbs: strings(&r["verbs"]),
            })
            .collect()
    })
}

/// Resources upstream grants a node only when one of its pods references the object.
const GRAPH_RESOURCES: &[(&str, &str)] = &[
    ("", "secrets"),
    ("", "configmaps"),
    ("", "persistentvolumeclaims"),
    ("", "persistentvolumes"),
    ("", "serviceaccounts"),
    ("resource.k8s.io", "resourceclaims"),
];

/// The node name of a node agent's user, if `user` is one.
pub fn node_name(user: &UserInfo) -> Option<&str> {
    let name = user.name.strip_prefix(NODE_USER_PREFIX)?;
    (!name.is_empty() && user.groups.iter().any(|g| g == NODES_GROUP)).then_some(name)
}

/// Nodes by [`node_name`]'s rules; everyone else by `system:masters` and the public paths.
pub struct NodeAuthorizer;

impl NodeAuthorizer {
    fn node_decision(node: &str, info: &RequestInfo) -> Decision {
        if !info.is_resource_request || info.resource.is_empty() {
            return Decision::Deny("nodes may only make resource requests".into());
        }
        let group = info.api_group.as_str();
        let resource = if info.subresource.is_empty() {
            info.resource.clone()
        } else {
            format!("{}/{}", info.resource, info.subresource)
        };
        if GRAPH_RESOURCES.contains(&(group, info.resource.as_str())) {
            return Decision::Deny(format!(
                "no relationship found between node '{node}' and this object"
            ));
        }
        let own = |name: &str| name.is_empty() || name == node;
        match (group, info.resource.as_str()) {
            ("coordination.k8s.io", "leases")
                if info.namespace != "kube-node-lease" || !own(&info.name) =>
            {
                return Decision::Deny(format!(
                    "node '{node}' may only use its own lease in kube-node-lease"
                ));
            }
            ("", "nodes")
                if matches!(info.verb.as_str(), "update" | "patch" | "delete")
                    && info.name != node =>
            {
                return Decision::Deny(format!("node '{node}' may only modify its own Node"));
            }
            _ => {}
        }
        if node_rules()
            .iter()
            .any(|r| r.allows(group, &resource, &info.verb))
        {
            Decision::Allow
        } else {
            Decision::Deny(format!("node '{node}' is not allowed this request"))
        }
    }
}

impl Authorizer for NodeAuthorizer {
    fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Decision {
        match node_name(user) {
            Some(node) => Self::node_decision(node, info),
            None => MastersAuthorizer.authorize(user, info),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    fn node(name: &str) -> UserInfo {
        UserInfo {
            name: format!("system:node:{name}"),
            groups: vec![NODES_GROUP.into()],
        }
    }

    fn decide(user: &UserInfo, method: Method, path: &str) -> bool {
        let info = crate::request_info::parse(&method, path, false);
        NodeAuthorizer.authorize(user, &info) == Decision::Allow
    }

    #[test]
    fn a_node_may_do_what_the_node_role_allows_on_its_own_objects() {
        let n = node("n1");
        assert!(node_rules().len() > 10);
        assert!(decide(&n, Method::GET, "/api/v1/pods"));
        assert!(decide(
            &n,
            Method::PATCH,
            "/api/v1/namespaces/d/pods/p/status"
        ));
        assert!(decide(&n, Method::DELETE, "/api/v1/namespaces/d/pods/p"));
        assert!(decide(&n, Method::POST, "/api/v1/nodes"));
        assert!(decide(&n, Method::PATCH, "/api/v1/nodes/n1/status"));
        assert!(!decide(&n, Method::PATCH, "/api/v1/nodes/n2/status"));
        assert!(decide(
            &n,
            Method::PUT,
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"
        ));
        assert!(!decide(
            &n,
            Method::PUT,
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n2"
        ));
        assert!(!decide(
            &n,
            Method::GET,
            "/apis/coordination.k8s.io/v1/namespaces/default/leases/n1"
        ));
        // not in the node role
        assert!(!decide(&n, Method::POST, "/api/v1/namespaces/d/configmaps"));
        assert!(!decide(&n, Method::DELETE, "/api/v1/nodes/n1/proxy"));
        // graph-restricted: refused until the graph exists
        assert!(!decide(&n, Method::GET, "/api/v1/namespaces/d/secrets/s"));
    }

    #[test]
    fn other_users_are_not_nodes() {
        let fake = UserInfo {
            name: "system:node:n1".into(),
            groups: vec![],
        };
        assert!(node_name(&fake).is_none());
        assert!(!decide(&fake, Method::GET, "/api/v1/pods"));
        let admin = UserInfo {
            name: "admin".into(),
            groups: vec!["system:masters".into()],
        };
        assert!(decide(
            &admin,
            Method::GET,
            "/api/v1/namespaces/d/secrets/s"
        ));
    }
}
