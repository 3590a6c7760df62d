//! `meta.k8s.io/v1` Table columns and rows per kind, as upstream's
//! `pkg/printers/internalversion/printers.go` produces them server-side
//! (always the wide set: kubectl hides `priority: 1` columns unless `-o wide`).
//! Column names keep upstream's case (`Up-to-date`); kubectl upper-cases them.

pub mod apps;
pub mod batch;
pub mod core;
pub mod duration;
pub mod misc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::resources::ResourceInfo;
use crate::validation::value::{arr_at, str_at};

pub use duration::human_duration;

/// One `columnDefinitions[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDefinition {
    /// Column header, e.g. `Name`, `Up-to-date`.
    pub name: String,
    /// `string`, `integer`, `boolean`, `number` or `date`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `name` for the object name column, else empty.
    pub format: String,
    /// What the column shows.
    pub description: String,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: i32,
}

/// The Table columns for a resource.
pub fn table_columns(r: &ResourceInfo) -> Vec<ColumnDefinition> {
    match printer(r.group, r.resource) {
        Some(p) => (p.columns)(),
        None => default_columns(),
    }
}

/// The cells of one Table row for `obj` (`now` for the AGE cells).
pub fn table_row(r: &ResourceInfo, obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    match printer(r.group, r.resource) {
        Some(p) => (p.row)(obj, now),
        None => default_row(obj, now),
    }
}

/// A kind's printer: its columns and its row function.
pub struct Printer {
    /// Column definitions.
    pub columns: fn() -> Vec<ColumnDefinition>,
    /// Row cells.
    pub row: fn(&Value, DateTime<Utc>) -> Vec<Value>,
}

fn printer(group: &str, resource: &str) -> Option<Printer> {
    macro_rules! p {
        ($m:ident :: $c:ident, $r:ident) => {
            Printer {
                columns: $m::$c,
                row: $m::$r,
            }
        };
    }
    Some(match (group, resource) {
        ("", "pods") => p!(core::pod_columns, pod_row),
        ("", "services") => p!(core::service_columns, service_row),
        ("", "namespaces") => p!(core::namespace_columns, namespace_row),
        ("", "nodes") => p!(core::node_columns, node_row),
        ("", "configmaps") => p!(core::configmap_columns, configmap_row),
        ("", "secrets") => p!(core::secret_columns, secret_row),
        ("", "serviceaccounts") => p!(core::serviceaccount_columns, serviceaccount_row),
        ("", "events") | ("events.k8s.io", "events") => p!(core::event_columns, event_row),
        ("", "endpoints") => p!(core::endpoints_columns, endpoints_row),
        ("", "persistentvolumeclaims") => p!(core::pvc_columns, pvc_row),
        ("", "persistentvolumes") => p!(core::pv_columns, pv_row),
        ("", "replicationcontrollers") => p!(apps::rc_columns, rc_row),
        ("", "limitranges") => p!(misc::created_at_columns, created_at_row),
        ("", "resourcequotas") => p!(core::quota_columns, quota_row),
        ("apps", "deployments") => p!(apps::deployment_columns, deployment_row),
        ("apps", "replicasets") => p!(apps::replicaset_columns, replicaset_row),
        ("apps", "statefulsets") => p!(apps::statefulset_columns, statefulset_row),
        ("apps", "daemonsets") => p!(apps::daemonset_columns, daemonset_row),
        ("apps", "controllerrevisions") => p!(apps::revision_columns, revision_row),
        ("batch", "jobs") => p!(batch::job_columns, job_row),
        ("batch", "cronjobs") => p!(batch::cronjob_columns, cronjob_row),
        ("autoscaling", "horizontalpodautoscalers") => p!(misc::hpa_columns, hpa_row),
        ("networking.k8s.io", "ingresses") => p!(misc::ingress_columns, ingress_row),
        ("networking.k8s.io", "ingressclasses") => p!(misc::ingressclass_columns, ingressclass_row),
        ("networking.k8s.io", "networkpolicies") => p!(misc::netpol_columns, netpol_row),
        ("policy", "poddisruptionbudgets") => p!(misc::pdb_columns, pdb_row),
        ("rbac.authorization.k8s.io", "roles" | "clusterroles") => {
            p!(misc::created_at_columns, created_at_row)
        }
        ("rbac.authorization.k8s.io", "rolebindings" | "clusterrolebindings") => {
            p!(misc::binding_columns, binding_row)
        }
        ("coordination.k8s.io", "leases") => p!(misc::lease_columns, lease_row),
        ("discovery.k8s.io", "endpointslices") => p!(misc::slice_columns, slice_row),
        ("scheduling.k8s.io", "priorityclasses") => {
            p!(misc::priorityclass_columns, priorityclass_row)
        }
        ("storage.k8s.io", "storageclasses") => p!(misc::storageclass_columns, storageclass_row),
        ("storage.k8s.io", "csidrivers") => p!(misc::csidriver_columns, csidriver_row),
        ("apiregistration.k8s.io", "apiservices") => {
            p!(misc::apiservice_columns, apiservice_row)
        }
        ("", "podtemplates") => p!(misc::podtemplate_columns, podtemplate_row),
        ("", "componentstatuses") => p!(misc::componentstatus_columns, componentstatus_row),
        _ => return None,
    })
}

/// Columns of kinds without a printer: Name, Age.
pub fn default_columns() -> Vec<ColumnDefinition> {
    vec![name_col(), age_col()]
}

/// Row of kinds without a printer: name, age.
pub fn default_row(obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![json!(name(obj)), json!(age(obj, now))]
}

/// The description upstream takes from a type's Swagger doc (the same text
/// as the OpenAPI description), from the embedded schema.
pub fn doc(def: &str, prop: &str) -> String {
    let full = if def.starts_with("io.") {
        def.to_string()
    } else if def.starts_with("meta.") {
        format!("io.k8s.apimachinery.pkg.apis.{def}")
    } else {
        format!("io.k8s.api.{def}")
    };
    apimachinery::Schema::builtin()
        .definition(&full)
        .and_then(|d| d.property(prop))
        .map(|p| p.description.clone())
        .unwrap_or_default()
}

/// A column.
pub fn col(
    name: &str,
    ty: &str,
    description: impl Into<String>,
    priority: i32,
) -> ColumnDefinition {
    ColumnDefinition {
        name: name.to_string(),
        type_: ty.to_string(),
        format: String::new(),
        description: description.into(),
        priority,
    }
}

/// The `Name` column (format `name`).
pub fn name_col() -> ColumnDefinition {
    ColumnDefinition {
        format: "name".to_string(),
        ..col("Name", "string", doc("meta.v1.ObjectMeta", "name"), 0)
    }
}

/// The `Age` column.
pub fn age_col() -> ColumnDefinition {
    col(
        "Age",
        "string",
        doc("meta.v1.ObjectMeta", "creationTimestamp"),
        0,
    )
}

/// `metadata.name`.
pub fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"])
}

/// The AGE cell.
pub fn age(obj: &Value, now: DateTime<Utc>) -> String {
    duration::since(Some(str_at(obj, &["metadata", "creationTimestamp"])), now)
}

/// `Containers` and `Images` cells of a pod template (upstream's `layoutContainerCells`).
pub fn containers_images(pod_spec: Option<&Value>) -> (String, String) {
    let cs = pod_spec.map(|s| arr_at(s, &["containers"])).unwrap_or(&[]);
    let names: Vec<&str> = cs.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = cs.iter().map(|c| str_at(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

/// `Containers` and `Images` column definitions (wide).
pub fn containers_images_cols() -> Vec<ColumnDefinition> {
    vec![
        col(
            "Containers",
            "string",
            "Names of each container in the template.",
            1,
        ),
        col(
            "Images",
            "string",
            "Images referenced by each container in the template.",
            1,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::RESOURCES;

    #[test]
    fn every_resource_prints_as_many_cells_as_columns() {
        let now = Utc::now();
        for r in RESOURCES {
            let cols = table_columns(r);
            let obj =
                json!({"metadata": {"name": "x", "creationTimestamp": "2020-01-01T00:00:00Z"}});
            assert_eq!(cols.len(), table_row(r, &obj, now).len(), "{}", r.resource);
            assert_eq!(
                cols.iter().filter(|c| c.format == "name").count(),
                1,
                "{}",
                r.resource
            );
        }
    }

    #[test]
    fn default_printer() {
        let cols = default_columns();
        assert_eq!(cols[0].name, "Name");
        assert!(
            cols[0]
                .description
                .starts_with("Name must be unique within a namespace.")
        );
        assert!(
            cols[1]
                .description
                .starts_with("CreationTimestamp is a timestamp")
        );
        let now = DateTime::parse_from_rfc3339("2020-01-01T00:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let obj = json!({"metadata": {"name": "x", "creationTimestamp": "2020-01-01T00:00:00Z"}});
        assert_eq!(default_row(&obj, now), vec![json!("x"), json!("5m")]);
        assert_eq!(
            serde_json::to_value(&cols[0])
                .unwrap()
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            vec!["name", "type", "format", "description", "priority"]
        );
    }
}
