//! Printers of workloads: deployments, replica sets, replication controllers,
//! stateful sets, daemon sets, controller revisions.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{
    ColumnDefinition, age, age_col, col, containers_images, containers_images_cols, doc, name,
    name_col,
};
use crate::validation::objectmeta::format_label_selector;
use crate::validation::value::{arr_at, format_labels, get, i64_at, obj_at, str_at};

fn template_spec(obj: &Value) -> Option<&Value> {
    get(obj, &["spec", "template", "spec"])
}

/// A label selector as `labels.Selector.String()` prints it: "" when empty.
pub fn selector_string(sel: Option<&Value>) -> String {
    match format_label_selector(sel) {
        s if s == "<none>" => String::new(),
        s => s,
    }
}

fn n(obj: &Value, path: &[&str]) -> i64 {
    i64_at(obj, path).unwrap_or(0)
}

/// Deployment columns.
pub fn deployment_columns() -> Vec<ColumnDefinition> {
    let mut c = vec![
        name_col(),
        col("Ready", "string", "Number of the pod with ready state", 0),
        col(
            "Up-to-date",
            "string",
            doc("apps.v1.DeploymentStatus", "updatedReplicas"),
            0,
        ),
        col(
            "Available",
            "string",
            doc("apps.v1.DeploymentStatus", "availableReplicas"),
            0,
        ),
        age_col(),
    ];
    c.extend(containers_images_cols());
    c.push(col(
        "Selector",
        "string",
        doc("apps.v1.DeploymentSpec", "selector"),
        1,
    ));
    c
}

/// Deployment row.
pub fn deployment_row(d: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let (cs, is) = containers_images(template_spec(d));
    vec![
        json!(name(d)),
        json!(format!(
            "{}/{}",
            n(d, &["status", "readyReplicas"]),
            n(d, &["spec", "replicas"])
        )),
        json!(n(d, &["status", "updatedReplicas"])),
        json!(n(d, &["status", "availableReplicas"])),
        json!(age(d, now)),
        json!(cs),
        json!(is),
        json!(selector_string(get(d, &["spec", "selector"]))),
    ]
}

/// ReplicaSet columns.
pub fn replicaset_columns() -> Vec<ColumnDefinition> {
    let mut c = vec![
        name_col(),
        col(
            "Desired",
            "integer",
            doc("apps.v1.ReplicaSetSpec", "replicas"),
            0,
        ),
        col(
            "Current",
            "integer",
            doc("apps.v1.ReplicaSetStatus", "replicas"),
            0,
        ),
        col(
            "Ready",
            "integer",
            doc("apps.v1.ReplicaSetStatus", "readyReplicas"),
            0,
        ),
        age_col(),
    ];
    c.extend(containers_images_cols());
    c.push(col(
        "Selector",
        "string",
        doc("apps.v1.ReplicaSetSpec", "selector"),
        1,
    ));
    c
}

/// ReplicaSet row.
pub fn replicaset_row(rs: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let (cs, is) = containers_images(template_spec(rs));
    vec![
        json!(name(rs)),
        json!(n(rs, &["spec", "replicas"])),
        json!(n(rs, &["status", "replicas"])),
        json!(n(rs, &["status", "readyReplicas"])),
        json!(age(rs, now)),
        json!(cs),
        json!(is),
        json!(selector_string(get(rs, &["spec", "selector"]))),
    ]
}

/// ReplicationController columns.
pub fn rc_columns() -> Vec<ColumnDefinition> {
    let mut c = vec![
        name_col(),
        col(
            "Desired",
            "integer",
            doc("core.v1.ReplicationControllerSpec", "replicas"),
            0,
        ),
        col(
            "Current",
            "integer",
            doc("core.v1.ReplicationControllerStatus", "replicas"),
            0,
        ),
        col(
            "Ready",
            "integer",
            doc("core.v1.ReplicationControllerStatus", "readyReplicas"),
            0,
        ),
        age_col(),
    ];
    c.extend(containers_images_cols());
    c.push(col(
        "Selector",
        "string",
        doc("core.v1.ReplicationControllerSpec", "selector"),
        1,
    ));
    c
}

/// ReplicationController row.
pub fn rc_row(rc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let (cs, is) = containers_images(template_spec(rc));
    vec![
        json!(name(rc)),
        json!(n(rc, &["spec", "replicas"])),
        json!(n(rc, &["status", "replicas"])),
        json!(n(rc, &["status", "readyReplicas"])),
        json!(age(rc, now)),
        json!(cs),
        json!(is),
        json!(format_labels(obj_at(rc, &["spec", "selector"]))),
    ]
}

/// StatefulSet columns.
pub fn statefulset_columns() -> Vec<ColumnDefinition> {
    let mut c = vec![
        name_col(),
        col("Ready", "string", "Number of the pod with ready state", 0),
        age_col(),
    ];
    c.extend(containers_images_cols());
    c
}

/// StatefulSet row.
pub fn statefulset_row(s: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let (cs, is) = containers_images(template_spec(s));
    vec![
        json!(name(s)),
        json!(format!(
            "{}/{}",
            n(s, &["status", "readyReplicas"]),
            n(s, &["spec", "replicas"])
        )),
        json!(age(s, now)),
        json!(cs),
        json!(is),
    ]
}

/// DaemonSet columns.
pub fn daemonset_columns() -> Vec<ColumnDefinition> {
    let st = |p| doc("apps.v1.DaemonSetStatus", p);
    let mut c = vec![
        name_col(),
        col("Desired", "integer", st("desiredNumberScheduled"), 0),
        col("Current", "integer", st("currentNumberScheduled"), 0),
        col("Ready", "integer", st("numberReady"), 0),
        col("Up-to-date", "integer", st("updatedNumberScheduled"), 0),
        col("Available", "integer", st("numberAvailable"), 0),
        col(
            "Node Selector",
            "string",
            doc("core.v1.PodSpec", "nodeSelector"),
            0,
        ),
        age_col(),
    ];
    c.extend(containers_images_cols());
    c.push(col(
        "Selector",
        "string",
        doc("apps.v1.DaemonSetSpec", "selector"),
        1,
    ));
    c
}

/// DaemonSet row.
pub fn daemonset_row(ds: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let (cs, is) = containers_images(template_spec(ds));
    vec![
        json!(name(ds)),
        json!(n(ds, &["status", "desiredNumberScheduled"])),
        json!(n(ds, &["status", "currentNumberScheduled"])),
        json!(n(ds, &["status", "numberReady"])),
        json!(n(ds, &["status", "updatedNumberScheduled"])),
        json!(n(ds, &["status", "numberAvailable"])),
        json!(format_labels(obj_at(
            ds,
            &["spec", "template", "spec", "nodeSelector"]
        ))),
        json!(age(ds, now)),
        json!(cs),
        json!(is),
        json!(selector_string(get(ds, &["spec", "selector"]))),
    ]
}

/// ControllerRevision columns.
pub fn revision_columns() -> Vec<ColumnDefinition> {
    vec![
        name_col(),
        col("Controller", "string", "Controller of the object", 0),
        col(
            "Revision",
            "string",
            doc("apps.v1.ControllerRevision", "revision"),
            0,
        ),
        age_col(),
    ]
}

/// ControllerRevision row.
pub fn revision_row(cr: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let controller = arr_at(cr, &["metadata", "ownerReferences"])
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|o| {
            let group = str_at(o, &["apiVersion"])
                .rsplit_once('/')
                .map(|x| x.0)
                .unwrap_or("");
            let gk = if group.is_empty() {
                str_at(o, &["kind"]).to_string()
            } else {
                format!("{}.{group}", str_at(o, &["kind"]))
            };
            format!("{}/{}", gk.to_lowercase(), str_at(o, &["name"]))
        })
        .unwrap_or_else(|| "<none>".to_string());
    vec![
        json!(name(cr)),
        json!(controller),
        json!(n(cr, &["revision"])),
        json!(age(cr, now)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::duration::parse_time;

    #[test]
    fn deployment_row_and_columns() {
        let now = parse_time("2024-01-01T00:10:00Z").unwrap();
        let d = json!({"metadata": {"name": "nginx", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}, {"name": "side", "image": "busybox"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        assert_eq!(
            deployment_row(&d, now),
            vec![
                json!("nginx"),
                json!("2/3"),
                json!(3),
                json!(2),
                json!("10m"),
                json!("nginx,side"),
                json!("nginx:1.27,busybox"),
                json!("app=nginx")
            ]
        );
        let names: Vec<String> = deployment_columns().into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
    }
}
