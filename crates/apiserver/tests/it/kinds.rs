//! Every served kind, table-driven (issue 18, item 6): a valid example is
//! accepted; a missing required field and a value outside an enum are refused
//! with upstream's message; a `null` for a struct field never comes back as
//! `null`. A new kind must get a row (`every_creatable_kind_has_a_row`).

use apimachinery::Schema;
use apimachinery::schema::Type;
use http::Method;
use serde_json::{Value, json};

use crate::harness::Api;

const NS: &str = "kinds";

/// One kind: where it is created, a valid example (without `apiVersion`,
/// `kind`, `metadata.name`: the test fills them), the field (a JSON pointer)
/// whose removal upstream refuses with the message, and a value outside an
/// enum with its message (`None` where the kind has no enum upstream checks).
struct Row {
    api_version: &'static str,
    kind: &'static str,
    resource: &'static str,
    valid: Value,
    required: (&'static str, &'static str),
    wrong_enum: Option<(&'static str, Value, &'static str)>,
}

fn container() -> Value {
    json!({"name": "c", "image": "nginx"})
}

fn template(restart: &str) -> Value {
    json!({"metadata": {"labels": {"app": "a"}}, "spec": {"restartPolicy": restart, "containers": [container()]}})
}

fn workload(extra: Value) -> Value {
    let mut spec =
        json!({"selector": {"matchLabels": {"app": "a"}}, "template": template("Always")});
    merge(&mut spec, extra);
    json!({"spec": spec})
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        for (k, v) in b {
            a.insert(k, v);
        }
    }
}

const NAME_REQUIRED: (&str, &str) = (
    "/metadata/name",
    "metadata.name: Required value: name or generateName is required",
);

fn rows() -> Vec<Row> {
    let rbac = "rbac.authorization.k8s.io/v1";
    let role = json!({"rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]});
    let binding = |kind: &str| {
        json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "r"},
               "subjects": [{"kind": "User", "name": "u", "apiGroup": "rbac.authorization.k8s.io"}]})
    };
    vec![
        Row {
            api_version: "v1",
            kind: "Namespace",
            resource: "namespaces",
            valid: json!({}),
            required: NAME_REQUIRED,
            wrong_enum: None,
        },
        Row {
            api_version: "v1",
            kind: "Pod",
            resource: "pods",
            valid: json!({"spec": {"containers": [container()]}}),
            required: (
                "/spec/containers/0/image",
                "spec.containers[0].image: Required value",
            ),
            wrong_enum: Some((
                "/spec/restartPolicy",
                json!("Sometimes"),
                r#"spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "Service",
            resource: "services",
            valid: json!({"spec": {"ports": [{"port": 80}]}}),
            required: ("/spec/ports", "spec.ports: Required value"),
            wrong_enum: Some((
                "/spec/type",
                json!("Bogus"),
                r#"spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "Endpoints",
            resource: "endpoints",
            valid: json!({"subsets": [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 80}]}]}),
            required: (
                "/subsets/0/ports/0/port",
                "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            ),
            wrong_enum: Some((
                "/subsets/0/ports/0/protocol",
                json!("XTP"),
                r#"subsets[0].ports[0].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "ConfigMap",
            resource: "configmaps",
            valid: json!({"data": {"a": "b"}}),
            required: NAME_REQUIRED,
            wrong_enum: None,
        },
        Row {
            api_version: "v1",
            kind: "Secret",
            resource: "secrets",
            valid: json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "Y3J0", "tls.key": "a2V5"}}),
            required: ("/data/tls.key", "data[tls.key]: Required value"),
            wrong_enum: None,
        },
        Row {
            api_version: "v1",
            kind: "ServiceAccount",
            resource: "serviceaccounts",
            valid: json!({}),
            required: NAME_REQUIRED,
            wrong_enum: None,
        },
        Row {
            api_version: "v1",
            kind: "Node",
            resource: "nodes",
            valid: json!({"spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}),
            required: (
                "/spec/taints/0/effect",
                "spec.taints[0].effect: Required value",
            ),
            wrong_enum: Some((
                "/spec/taints/0/effect",
                json!("Bogus"),
                r#"spec.taints[0].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "PersistentVolume",
            resource: "persistentvolumes",
            valid: json!({"spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/x"}}}),
            required: ("/spec/accessModes", "spec.accessModes: Required value"),
            wrong_enum: Some((
                "/spec/persistentVolumeReclaimPolicy",
                json!("Bogus"),
                r#"spec.persistentVolumeReclaimPolicy: Unsupported value: "Bogus": supported values: "Delete", "Recycle", "Retain""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "PersistentVolumeClaim",
            resource: "persistentvolumeclaims",
            valid: json!({"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
            required: (
                "/spec/accessModes",
                "spec.accessModes: Required value: at least 1 access mode is required",
            ),
            wrong_enum: Some((
                "/spec/accessModes/0",
                json!("Bogus"),
                r#"spec.accessModes: Unsupported value: "Bogus": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "PodTemplate",
            resource: "podtemplates",
            valid: json!({"template": template("Always")}),
            required: (
                "/template/spec/containers/0/image",
                "template.spec.containers[0].image: Required value",
            ),
            wrong_enum: Some((
                "/template/spec/restartPolicy",
                json!("Sometimes"),
                r#"template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "ReplicationController",
            resource: "replicationcontrollers",
            valid: json!({"spec": {"selector": {"app": "a"}, "template": template("Always")}}),
            required: (
                "/spec/template/spec/containers/0/image",
                "spec.template.spec.containers[0].image: Required value",
            ),
            wrong_enum: Some((
                "/spec/template/spec/restartPolicy",
                json!("Never"),
                r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
            )),
        },
        Row {
            api_version: "apps/v1",
            kind: "Deployment",
            resource: "deployments",
            valid: workload(json!({})),
            required: ("/spec/selector", "spec.selector: Required value"),
            wrong_enum: Some((
                "/spec/strategy/type",
                json!("Bogus"),
                r#"spec.strategy.type: Unsupported value: "Bogus": supported values: "Recreate", "RollingUpdate""#,
            )),
        },
        Row {
            api_version: "apps/v1",
            kind: "ReplicaSet",
            resource: "replicasets",
            valid: workload(json!({})),
            required: ("/spec/selector", "spec.selector: Required value"),
            wrong_enum: Some((
                "/spec/template/spec/restartPolicy",
                json!("Never"),
                r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
            )),
        },
        Row {
            api_version: "apps/v1",
            kind: "StatefulSet",
            resource: "statefulsets",
            valid: workload(json!({})),
            required: ("/spec/selector", "spec.selector: Required value"),
            wrong_enum: Some((
                "/spec/podManagementPolicy",
                json!("Bogus"),
                r#"spec.podManagementPolicy: Unsupported value: "Bogus": supported values: "OrderedReady", "Parallel""#,
            )),
        },
        Row {
            api_version: "apps/v1",
            kind: "DaemonSet",
            resource: "daemonsets",
            valid: workload(json!({})),
            required: ("/spec/selector", "spec.selector: Required value"),
            wrong_enum: Some((
                "/spec/updateStrategy/type",
                json!("Bogus"),
                r#"spec.updateStrategy.type: Unsupported value: "Bogus": supported values: "OnDelete", "RollingUpdate""#,
            )),
        },
        Row {
            api_version: "batch/v1",
            kind: "Job",
            resource: "jobs",
            valid: json!({"spec": {"template": template("Never")}}),
            required: (
                "/spec/template/spec/containers/0/image",
                "spec.template.spec.containers[0].image: Required value",
            ),
            wrong_enum: Some((
                "/spec/completionMode",
                json!("Bogus"),
                r#"spec.completionMode: Unsupported value: "Bogus": supported values: "Indexed", "NonIndexed""#,
            )),
        },
        Row {
            api_version: "batch/v1",
            kind: "CronJob",
            resource: "cronjobs",
            valid: json!({"spec": {"schedule": "*/1 * * * *", "jobTemplate": {"spec": {"template": template("OnFailure")}}}}),
            required: ("/spec/schedule", "spec.schedule: Required value"),
            wrong_enum: Some((
                "/spec/concurrencyPolicy",
                json!("Bogus"),
                r#"spec.concurrencyPolicy: Unsupported value: "Bogus": supported values: "Allow", "Forbid", "Replace""#,
            )),
        },
        Row {
            api_version: "autoscaling/v2",
            kind: "HorizontalPodAutoscaler",
            resource: "horizontalpodautoscalers",
            valid: json!({"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}, "maxReplicas": 3}}),
            required: (
                "/spec/scaleTargetRef/kind",
                "spec.scaleTargetRef.kind: Required value",
            ),
            wrong_enum: Some((
                "/spec/metrics",
                json!([{"type": "Bogus"}]),
                r#"spec.metrics[0].type: Unsupported value: "Bogus": supported values: "ContainerResource", "External", "Object", "Pods", "Resource""#,
            )),
        },
        Row {
            api_version: "autoscaling/v1",
            kind: "HorizontalPodAutoscaler",
            resource: "horizontalpodautoscalers",
            valid: json!({"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}, "maxReplicas": 3}}),
            required: (
                "/spec/scaleTargetRef/kind",
                "spec.scaleTargetRef.kind: Required value",
            ),
            // autoscaling/v1 has no enum field
            wrong_enum: None,
        },
        Row {
            api_version: "policy/v1",
            kind: "PodDisruptionBudget",
            resource: "poddisruptionbudgets",
            valid: json!({"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "a"}}}}),
            required: NAME_REQUIRED,
            wrong_enum: Some((
                "/spec/unhealthyPodEvictionPolicy",
                json!("Bogus"),
                r#"spec.unhealthyPodEvictionPolicy: Unsupported value: "Bogus": supported values: "AlwaysAllow", "IfHealthyBudget""#,
            )),
        },
        Row {
            api_version: "networking.k8s.io/v1",
            kind: "Ingress",
            resource: "ingresses",
            valid: json!({"spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}}),
            required: (
                "/spec/rules/0/http/paths/0/pathType",
                "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
            ),
            wrong_enum: Some((
                "/spec/rules/0/http/paths/0/pathType",
                json!("Bogus"),
                r#"spec.rules[0].http.paths[0].pathType: Unsupported value: "Bogus": supported values: "Exact", "ImplementationSpecific", "Prefix""#,
            )),
        },
        Row {
            api_version: "events.k8s.io/v1",
            kind: "Event",
            resource: "events",
            valid: json!({"eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "example.com/c",
                "reportingInstance": "i", "action": "Act", "reason": "Why", "type": "Normal",
                "regarding": {"kind": "Pod", "name": "p", "namespace": NS}}),
            required: (
                "/reportingController",
                "reportingController: Required value",
            ),
            wrong_enum: Some((
                "/type",
                json!("Bogus"),
                r#"type: Invalid value: "": has invalid value: Bogus"#,
            )),
        },
        Row {
            api_version: "apiregistration.k8s.io/v1",
            kind: "APIService",
            resource: "apiservices",
            valid: json!({"metadata": {"name": "v1.example.com"},
                "spec": {"group": "example.com", "version": "v1", "groupPriorityMinimum": 100, "versionPriority": 10}}),
            required: (
                "/spec/groupPriorityMinimum",
                "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
            ),
            // APIService has no enum field
            wrong_enum: None,
        },
        Row {
            api_version: rbac,
            kind: "Role",
            resource: "roles",
            valid: role.clone(),
            required: (
                "/rules/0/verbs",
                "rules[0].verbs: Required value: verbs must contain at least one value",
            ),
            // a PolicyRule has no enum field (verbs and resources are free-form)
            wrong_enum: None,
        },
        Row {
            api_version: rbac,
            kind: "ClusterRole",
            resource: "clusterroles",
            valid: role,
            required: (
                "/rules/0/verbs",
                "rules[0].verbs: Required value: verbs must contain at least one value",
            ),
            wrong_enum: None,
        },
        Row {
            api_version: rbac,
            kind: "RoleBinding",
            resource: "rolebindings",
            valid: binding("Role"),
            required: ("/roleRef/name", "roleRef.name: Required value"),
            wrong_enum: Some((
                "/roleRef/kind",
                json!("Bogus"),
                r#"roleRef.kind: Unsupported value: "Bogus": supported values: "Role", "ClusterRole""#,
            )),
        },
        Row {
            api_version: rbac,
            kind: "ClusterRoleBinding",
            resource: "clusterrolebindings",
            valid: binding("ClusterRole"),
            required: ("/roleRef/name", "roleRef.name: Required value"),
            wrong_enum: Some((
                "/roleRef/kind",
                json!("Role"),
                r#"roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole""#,
            )),
        },
        Row {
            api_version: "storage.k8s.io/v1",
            kind: "StorageClass",
            resource: "storageclasses",
            valid: json!({"provisioner": "csi.example.com"}),
            required: ("/provisioner", "provisioner: Required value"),
            wrong_enum: Some((
                "/reclaimPolicy",
                json!("Recycle"),
                r#"reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain""#,
            )),
        },
        Row {
            api_version: "storage.k8s.io/v1",
            kind: "CSIDriver",
            resource: "csidrivers",
            valid: json!({"metadata": {"name": "csi.example.com"}, "spec": {}}),
            // every spec switch is defaulted, so only the name can be missing
            required: NAME_REQUIRED,
            wrong_enum: Some((
                "/spec/fsGroupPolicy",
                json!("Sometimes"),
                r#"spec.fsGroupPolicy: Unsupported value: "Sometimes": supported values: "File", "None", "ReadWriteOnceWithFSType""#,
            )),
        },
        Row {
            api_version: "scheduling.k8s.io/v1",
            kind: "PriorityClass",
            resource: "priorityclasses",
            valid: json!({"value": 1000}),
            required: NAME_REQUIRED,
            wrong_enum: Some((
                "/preemptionPolicy",
                json!("Sometimes"),
                r#"preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never""#,
            )),
        },
        Row {
            api_version: "coordination.k8s.io/v1",
            kind: "Lease",
            resource: "leases",
            valid: json!({"spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}}),
            required: NAME_REQUIRED,
            wrong_enum: Some((
                "/spec/strategy",
                json!("Newest"),
                r#"spec.strategy.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion""#,
            )),
        },
        Row {
            api_version: "apps/v1",
            kind: "ControllerRevision",
            resource: "controllerrevisions",
            valid: json!({"data": {}, "revision": 1}),
            required: ("/data", "data: Required value: data is mandatory"),
            // no enum field
            wrong_enum: None,
        },
        Row {
            api_version: "networking.k8s.io/v1",
            kind: "IngressClass",
            resource: "ingressclasses",
            valid: json!({"spec": {"controller": "example.com/ingress-nginx"}}),
            required: ("/spec/controller", "spec.controller: Required value"),
            wrong_enum: Some((
                "/spec/parameters",
                json!({"kind": "K", "name": "n", "scope": "Global"}),
                r#"spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace""#,
            )),
        },
        Row {
            api_version: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            resource: "networkpolicies",
            valid: json!({"spec": {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}}),
            required: (
                "/spec/ingress/0/from/0/ipBlock/cidr",
                "spec.ingress[0].from[0].ipBlock.cidr: Required value",
            ),
            wrong_enum: Some((
                "/spec/policyTypes",
                json!(["Foo"]),
                r#"spec.policyTypes[0]: Unsupported value: "Foo": supported values: "Ingress", "Egress""#,
            )),
        },
        Row {
            api_version: "discovery.k8s.io/v1",
            kind: "EndpointSlice",
            resource: "endpointslices",
            valid: json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.1.2.3"]}], "ports": [{"name": "http", "port": 80}]}),
            required: ("/addressType", "addressType: Required value"),
            wrong_enum: Some((
                "/addressType",
                json!("IP"),
                r#"addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6""#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "Event",
            resource: "events",
            valid: json!({"involvedObject": {"kind": "Pod", "name": "p", "namespace": NS},
                "reason": "Started", "message": "m"}),
            required: (
                "/involvedObject/namespace",
                r#"involvedObject.namespace: Invalid value: "": does not match event.namespace"#,
            ),
            // core/v1 events get only the rules every event passes: no enum
            wrong_enum: None,
        },
        Row {
            api_version: "v1",
            kind: "LimitRange",
            resource: "limitranges",
            valid: json!({"spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}}]}}),
            required: (
                "/spec/limits/0/type",
                r#"spec.limits[0].type: Invalid value: "": name part must be non-empty"#,
            ),
            wrong_enum: Some((
                "/spec/limits/0/type",
                json!("Foo"),
                r#"spec.limits[0].type: Invalid value: "Foo": must be a standard limit type or fully qualified"#,
            )),
        },
        Row {
            api_version: "v1",
            kind: "ResourceQuota",
            resource: "resourcequotas",
            valid: json!({"spec": {"hard": {"pods": "10"}, "scopeSelector": {"matchExpressions":
                [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}}),
            required: (
                "/spec/scopeSelector/matchExpressions/0/values",
                "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            ),
            wrong_enum: Some((
                "/spec/scopeSelector/matchExpressions/0/operator",
                json!("Bogus"),
                r#"spec.scopeSelector.matchExpressions.operator: Invalid value: "Bogus": not a valid selector operator"#,
            )),
        },
    ]
}

fn resource_info(row: &Row) -> &'static api::resources::ResourceInfo {
    let (group, version) = row
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", row.api_version));
    api::resources::RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.resource == row.resource)
        .unwrap_or_else(|| panic!("{} {} is not served", row.api_version, row.resource))
}

fn collection(row: &Row) -> String {
    let r = resource_info(row);
    let base = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    if r.namespaced {
        format!("{base}/namespaces/{NS}/{}", r.resource)
    } else {
        format!("{base}/{}", r.resource)
    }
}

/// The row's example named `name` (a name it sets itself is kept).
fn example(row: &Row, name: &str) -> Value {
    let mut obj =
        json!({"apiVersion": row.api_version, "kind": row.kind, "metadata": {"name": name}});
    let mut valid = row.valid.clone();
    if let Some(meta) = valid.as_object_mut().and_then(|o| o.remove("metadata")) {
        merge(&mut obj["metadata"], meta);
    }
    merge(&mut obj, valid);
    obj
}

/// Set the JSON pointer `at` in `v` to `to`, making the objects on the way.
fn set(v: &mut Value, at: &str, to: Value) {
    let mut cur = v;
    let segs: Vec<&str> = at.trim_start_matches('/').split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        cur = match cur {
            Value::Array(a) => {
                let idx: usize = seg.parse().unwrap();
                if last {
                    a[idx] = to;
                    return;
                }
                &mut a[idx]
            }
            other => {
                if !other.is_object() {
                    *other = json!({});
                }
                let o = other.as_object_mut().unwrap();
                if last {
                    o.insert((*seg).to_string(), to);
                    return;
                }
                o.entry((*seg).to_string()).or_insert_with(|| json!({}))
            }
        };
    }
}

fn remove(v: &mut Value, at: &str) {
    let (parent, leaf) = at.rsplit_once('/').unwrap();
    if let Some(Value::Object(o)) = v.pointer_mut(parent) {
        o.shift_remove(leaf);
    }
}

async fn setup() -> Api {
    let api = Api::new().await;
    let r = api
        .call(
            Method::POST,
            "/api/v1/namespaces",
            Some(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
    api
}

#[tokio::test]
async fn every_creatable_kind_has_a_row() {
    let rows = rows();
    let missing: Vec<String> = api::resources::RESOURCES
        .iter()
        .filter(|r| r.verbs.contains(&"create") && !r.resource.contains('/'))
        .filter(|r| {
            !rows.iter().any(|row| {
                let info = resource_info(row);
                info.group == r.group && info.version == r.version && info.resource == r.resource
            })
        })
        .map(|r| format!("{}/{} {}", r.group, r.version, r.resource))
        .collect();
    assert!(missing.is_empty(), "kinds without a row: {missing:?}");
}

#[tokio::test]
async fn valid_examples_are_accepted() {
    let api = setup().await;
    for (n, row) in rows().into_iter().enumerate() {
        let obj = example(&row, &format!("valid-{n}"));
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        let r = api.call(Method::POST, &collection(&row), Some(obj)).await;
        assert_eq!(r.code, 201, "{} {}: {}", row.api_version, row.kind, r.body);
        assert_eq!(r.body["metadata"]["name"], name.as_str());
    }
}

#[tokio::test]
async fn a_missing_required_field_is_refused_with_upstreams_message() {
    let api = setup().await;
    let mut failures = Vec::new();
    for (n, row) in rows().into_iter().enumerate() {
        let mut obj = example(&row, &format!("required-{n}"));
        remove(&mut obj, row.required.0);
        let r = api.call(Method::POST, &collection(&row), Some(obj)).await;
        let msg = r.body["message"].as_str().unwrap_or_default().to_string();
        if r.code != 422 || r.body["reason"] != "Invalid" || !msg.contains(row.required.1) {
            failures.push(format!(
                "{} {} without {}: {} {msg}\n   want: {}",
                row.api_version, row.kind, row.required.0, r.code, row.required.1
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn a_value_outside_an_enum_is_refused_with_upstreams_message() {
    let api = setup().await;
    let mut failures = Vec::new();
    for (n, row) in rows().into_iter().enumerate() {
        let Some((at, bad, want)) = &row.wrong_enum else {
            continue;
        };
        let mut obj = example(&row, &format!("enum-{n}"));
        set(&mut obj, at, bad.clone());
        let r = api.call(Method::POST, &collection(&row), Some(obj)).await;
        let msg = r.body["message"].as_str().unwrap_or_default().to_string();
        if r.code != 422 || r.body["reason"] != "Invalid" || !msg.contains(want) {
            failures.push(format!(
                "{} {} with {at}={bad}: {} {msg}\n   want: {want}",
                row.api_version, row.kind, r.code
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The JSON pointers of the struct-typed fields in `v` (a value of definition
/// `def`), at any depth, whether set in `v` or not at its own level.
fn struct_fields(schema: &Schema, def: &str, v: &Value, at: String, out: &mut Vec<String>) {
    let Some(d) = schema.definition(def) else {
        return;
    };
    for (name, p) in &d.properties {
        let here = format!("{at}/{name}");
        let (inner, is_list) = match &p.ty {
            Type::Ref(n) => (n.as_str(), false),
            Type::Array(t) => match t.as_ref() {
                Type::Ref(n) => (n.as_str(), true),
                _ => continue,
            },
            _ => continue,
        };
        let Some(id) = schema.definition(inner) else {
            continue;
        };
        if id.ty != Type::Object || id.properties.is_empty() {
            continue;
        }
        let child = v.get(name);
        if !is_list {
            out.push(here.clone());
            if let Some(c) = child {
                struct_fields(schema, inner, c, here, out);
            }
        } else if let Some(Value::Array(items)) = child {
            for (i, item) in items.iter().enumerate() {
                struct_fields(schema, inner, item, format!("{here}/{i}"), out);
            }
        }
    }
}

fn nulls(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Null => out.push(at),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, c)| nulls(c, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| nulls(c, format!("{at}/{i}"), out)),
        _ => {}
    }
}

#[tokio::test]
async fn a_null_struct_field_never_comes_back_null() {
    let api = setup().await;
    let schema = Schema::builtin();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, row) in rows().into_iter().enumerate() {
        let def = schema
            .for_api_version_kind(row.api_version, row.kind)
            .unwrap_or_else(|| panic!("no schema for {} {}", row.api_version, row.kind));
        let mut fields = Vec::new();
        struct_fields(
            schema,
            &def.name,
            &example(&row, "x"),
            String::new(),
            &mut fields,
        );
        for (i, at) in fields.iter().enumerate() {
            let name = format!("null-{n}-{i}");
            let mut obj = example(&row, &name);
            set(&mut obj, at, Value::Null);
            let coll = collection(&row);
            let r = api.call(Method::POST, &coll, Some(obj)).await;
            if r.code != 201 {
                // refused: nothing stored
                assert!(
                    r.code == 422 || r.code == 400,
                    "{} {at}: {} {}",
                    row.kind,
                    r.code,
                    r.body
                );
                continue;
            }
            checked += 1;
            let item = format!("{coll}/{}", r.body["metadata"]["name"].as_str().unwrap());
            let stored = api.call(Method::GET, &item, None).await;
            // gone again, for rows whose example names itself
            api.call(Method::DELETE, &item, None).await;
            for body in [&r.body, &stored.body] {
                let mut found = Vec::new();
                nulls(body, String::new(), &mut found);
                if !found.is_empty() {
                    failures.push(format!(
                        "{} {} with {at}=null: nulls at {found:?}",
                        row.api_version, row.kind
                    ));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} null cases were accepted");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
