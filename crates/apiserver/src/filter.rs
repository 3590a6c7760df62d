//! List and watch filters: label selectors and the field selectors each kind
//! supports (upstream's per-kind `GetAttrs`/field label conversion).

use api::ResourceInfo;
use apimachinery::ApiError;
use apimachinery::selectors::{fields, labels};
use serde_json::Value;

use crate::meta;

/// A compiled label + field selector.
pub struct Filter {
    labels: labels::Selector,
    fields: fields::Selector,
    field_paths: Vec<(String, &'static str)>,
}

/// The field selectors a kind supports besides `metadata.name` and
/// `metadata.namespace`, each with the JSON pointer it reads.
fn supported_fields(r: &ResourceInfo) -> &'static [(&'static str, &'static str)] {
    match (r.group, r.resource) {
        ("", "pods") => &[
            ("spec.nodeName", "/spec/nodeName"),
            ("spec.restartPolicy", "/spec/restartPolicy"),
            ("spec.schedulerName", "/spec/schedulerName"),
            ("spec.serviceAccountName", "/spec/serviceAccountName"),
            ("spec.hostNetwork", "/spec/hostNetwork"),
            ("status.phase", "/status/phase"),
            ("status.podIP", "/status/podIP"),
            ("status.nominatedNodeName", "/status/nominatedNodeName"),
        ],
        ("", "events") => &[
            ("involvedObject.kind", "/involvedObject/kind"),
            ("involvedObject.namespace", "/involvedObject/namespace"),
            ("involvedObject.name", "/involvedObject/name"),
            ("involvedObject.uid", "/involvedObject/uid"),
            ("involvedObject.apiVersion", "/involvedObject/apiVersion"),
            (
                "involvedObject.resourceVersion",
                "/involvedObject/resourceVersion",
            ),
            ("involvedObject.fieldPath", "/involvedObject/fieldPath"),
            ("reason", "/reason"),
            ("reportingComponent", "/reportingComponent"),
            ("source", "/source/component"),
            ("type", "/type"),
        ],
        ("events.k8s.io", "events") => &[
            ("regarding.kind", "/regarding/kind"),
            ("regarding.namespace", "/regarding/namespace"),
            ("regarding.name", "/regarding/name"),
            ("regarding.uid", "/regarding/uid"),
            ("reason", "/reason"),
            ("reportingController", "/reportingController"),
            ("type", "/type"),
        ],
        ("", "secrets") => &[("type", "/type")],
        ("", "nodes") => &[("spec.unschedulable", "/spec/unschedulable")],
        ("", "namespaces") => &[("status.phase", "/status/phase")],
        ("", "replicationcontrollers") | ("apps", "replicasets") => {
            &[("status.replicas", "/status/replicas")]
        }
        ("batch", "jobs") => &[("status.successful", "/status/succeeded")],
        ("", "services") => &[
            ("spec.clusterIP", "/spec/clusterIP"),
            ("spec.type", "/spec/type"),
        ],
        ("", "persistentvolumeclaims") => &[("spec.volumeName", "/spec/volumeName")],
        ("certificates.k8s.io", "certificatesigningrequests") => {
            &[("spec.signerName", "/spec/signerName")]
        }
        _ => &[],
    }
}

impl Filter {
    /// Compile from the `labelSelector` and `fieldSelector` parameters.
    pub fn new(
        r: &ResourceInfo,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<Self, ApiError> {
        let labels = labels::Selector::parse(label_selector.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {}", e.0)))?;
        let fields = fields::Selector::parse(field_selector.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("invalid field selector: {}", e.0)))?;
        let supported = supported_fields(r);
        let mut field_paths = Vec::new();
        for req in fields.requirements() {
            let f = req.field.as_str();
            let ptr = match f {
                "metadata.name" => "/metadata/name",
                "metadata.namespace" => "/metadata/namespace",
                _ => match supported.iter().find(|(n, _)| *n == f) {
                    Some((_, p)) => p,
                    None => {
                        return Err(ApiError::bad_request(format!(
                            "\"{f}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                        )));
                    }
                },
            };
            field_paths.push((f.to_string(), ptr));
        }
        Ok(Self {
            labels,
            fields,
            field_paths,
        })
    }

    /// True when the filter selects everything.
    pub fn is_everything(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    /// The name an exact `metadata.name=` field selector pins, if any.
    pub fn exact_name(&self) -> Option<&str> {
        self.fields.requires_exact_match("metadata.name")
    }

    /// Does the object match?
    pub fn matches(&self, obj: &Value) -> bool {
        if !self.labels.matches_object(obj) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        self.fields.matches(|f| {
            let ptr = self
                .field_paths
                .iter()
                .find(|(n, _)| n == f)
                .map(|(_, p)| *p)?;
            Some(
                obj.pointer(ptr)
                    .and_then(meta::scalar_string)
                    .unwrap_or_default(),
            )
        })
    }
}
