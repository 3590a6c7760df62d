//! List and watch filters: label selectors and the field selectors each kind
//! supports (upstream's per-kind `GetAttrs`/field label conversion).

use api::ResourceInfo;
use apimachinery::ApiError;
use apimachinery::selectors::{fields, labels};
use serde_json::Value;

use crate::meta;

/// Where a field selector's value comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Name,
    Namespace,
    /// Index into the kind's selectable fields (see [`field_pointers`]).
    Field(usize),
}

/// A compiled label + field selector.
pub struct Filter {
    labels: labels::Selector,
    fields: fields::Selector,
    field_paths: Vec<(String, &'static str, Source)>,
}

/// The JSON pointers of a kind's selectable fields (besides name and
/// namespace), in the order the watch cache indexes them.
pub fn field_pointers(r: &ResourceInfo) -> Vec<&'static str> {
    supported_fields(r).iter().map(|(_, p)| *p).collect()
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
        // pointers into the stored (core/v1) shape of the same objects
        ("events.k8s.io", "events") => &[
            ("regarding.kind", "/involvedObject/kind"),
            ("regarding.namespace", "/involvedObject/namespace"),
            ("regarding.name", "/involvedObject/name"),
            ("regarding.uid", "/involvedObject/uid"),
            ("regarding.apiVersion", "/involvedObject/apiVersion"),
            (
                "regarding.resourceVersion",
                "/involvedObject/resourceVersion",
            ),
            ("regarding.fieldPath", "/involvedObject/fieldPath"),
            ("reason", "/reason"),
            ("reportingController", "/reportingComponent"),
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

/// What a selectable field reads when the object does not set it: upstream evaluates field
/// selectors on the typed object, where an unset bool is `false` and an unset count `0`
/// (strings are empty either way).
fn zero_value(pointer: &str) -> &'static str {
    match pointer {
        "/spec/unschedulable" | "/spec/hostNetwork" => "false",
        "/status/replicas" | "/status/succeeded" => "0",
        _ => "",
    }
}

impl Filter {
    /// Compile from the `labelSelector` and `fieldSelector` parameters.
    pub fn new(
        r: &'static ResourceInfo,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<Self, ApiError> {
        // the parser's own words (`unable to parse requirement: ...` once), as upstream's
        let labels = labels::Selector::parse(label_selector.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(e.0))?;
        let fields = fields::Selector::parse(field_selector.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("invalid field selector: {}", e.0)))?;
        let supported = supported_fields(r);
        // the cache indexes objects by the stored resource's pointers
        let stored = field_pointers(api::resources::storage_resource(r));
        let mut field_paths = Vec::new();
        for req in fields.requirements() {
            let f = req.field.as_str();
            let (ptr, source) = match f {
                "metadata.name" => ("/metadata/name", Source::Name),
                "metadata.namespace" => ("/metadata/namespace", Source::Namespace),
                _ => match supported
                    .iter()
                    .find(|(n, _)| *n == f)
                    .and_then(|(_, p)| Some((*p, stored.iter().position(|q| q == p)?)))
                {
                    Some((p, i)) => (p, Source::Field(i)),
                    // kinds with their own field label conversion word it their way
                    None if !supported.is_empty() => {
                        return Err(ApiError::bad_request(format!(
                            "field label not supported: {f}"
                        )));
                    }
                    None => {
                        return Err(ApiError::bad_request(format!(
                            "\"{f}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                        )));
                    }
                },
            };
            field_paths.push((f.to_string(), ptr, source));
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
                .find(|(n, _, _)| n == f)
                .map(|(_, p, _)| *p)?;
            Some(
                obj.pointer(ptr)
                    .and_then(meta::scalar_string)
                    .unwrap_or_else(|| zero_value(ptr).to_string()),
            )
        })
    }

    /// Does a cached object match? (Reads only its index.)
    pub fn matches_obj(&self, o: &crate::cached::Obj) -> bool {
        if !self.labels.matches(&o.labels) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        self.fields.matches(|f| {
            let (ptr, source) = self
                .field_paths
                .iter()
                .find(|(n, _, _)| n == f)
                .map(|(_, p, s)| (*p, *s))?;
            Some(match source {
                Source::Name => o.name.clone(),
                Source::Namespace => o.namespace.clone(),
                // the index holds "" for an unset field; a bool or count is never ""
                Source::Field(i) => match o.fields.get(i).map(String::as_str) {
                    Some(v) if !v.is_empty() => v.to_string(),
                    _ => zero_value(ptr).to_string(),
                },
            })
        })
    }
}
