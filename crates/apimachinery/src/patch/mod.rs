//! Patch engines, as the API server applies them to a stored object:
//! RFC 6902 JSON patch ([`json`]), RFC 7386 JSON merge patch ([`merge`]),
//! strategic merge patch for built-in kinds ([`strategic`]) and server-side
//! apply with `metadata.managedFields` bookkeeping ([`apply`]).
//!
//! Everything works on `serde_json::Value`s: the caller decodes the request
//! body, loads the live object, and validates/stores the result. Nothing here
//! does IO, looks at resourceVersions or admission; errors are
//! [`PatchError`]s that [`PatchError::to_api_error`] turns into the `Status`
//! upstream's handler (`k8s.io/apiserver/pkg/endpoints/handlers/patch.go`)
//! answers with.

pub mod apply;
pub mod json;
pub mod merge;
pub mod strategic;

use crate::errors::{ApiError, StatusCause, StatusDetails};

pub use apply::{Conflict, Operation, apply, update_managed_fields};
pub use json::json_patch;
pub use merge::merge_patch;
pub use strategic::strategic_merge;

/// The message upstream answers a 422 with when a patch cannot be applied
/// (`errors.NewGenericServerResponse(422, ...)` drops the cause).
pub const GENERIC_INVALID_MESSAGE: &str =
    "the server rejected our request due to an error in our request";

/// Upstream's limit on the number of operations in one JSON patch.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// The patch formats, by request `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    StrategicMerge,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchType {
    /// The patch type of a `Content-Type` header (parameters ignored), if it names one.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/json-patch+json" => Some(Self::Json),
            "application/merge-patch+json" => Some(Self::Merge),
            "application/strategic-merge-patch+json" => Some(Self::StrategicMerge),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Some(Self::Apply),
            _ => None,
        }
    }
    /// The media type upstream names this patch type with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json-patch+json",
            Self::Merge => "application/merge-patch+json",
            Self::StrategicMerge => "application/strategic-merge-patch+json",
            Self::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Why a patch could not be applied. Each variant maps to the `Status` upstream returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    /// 400 BadRequest: the patch document is malformed or does not fit the object (a
    /// merge-list item without its merge key, an unknown `$patch`). Upstream passes many
    /// of these through untyped, as a 500 with the same message; a client's mistake is
    /// never a server fault here.
    #[error("{0}")]
    BadRequest(String),
    /// 422 Invalid: a well-formed patch that does not apply to the object
    /// (failing `test`, missing path, list of lists, ...). The string is the
    /// cause; upstream's response carries only [`GENERIC_INVALID_MESSAGE`].
    #[error("{0}")]
    Invalid(String),
    /// 413 RequestEntityTooLarge: more than [`MAX_JSON_PATCH_OPERATIONS`] operations.
    #[error("{0}")]
    TooLarge(String),
    /// 409 Conflict: server-side apply conflicts with other field managers.
    #[error("{}", apply::conflicts_message(.0))]
    Conflicts(Vec<Conflict>),
}

impl PatchError {
    /// The API error (HTTP status, reason, message and causes) upstream answers with.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            PatchError::BadRequest(m) => ApiError::bad_request(m.clone()),
            PatchError::Invalid(_) => ApiError {
                code: 422,
                reason: "Invalid".into(),
                message: GENERIC_INVALID_MESSAGE.into(),
                details: Some(Box::default()),
            },
            PatchError::TooLarge(m) => ApiError::request_entity_too_large(m.clone()),
            PatchError::Conflicts(c) => ApiError {
                code: 409,
                reason: "Conflict".into(),
                message: apply::conflicts_message(c),
                details: Some(Box::new(StatusDetails {
                    causes: c
                        .iter()
                        .map(|c| StatusCause {
                            reason: "FieldManagerConflict".into(),
                            message: c.message(),
                            field: c.field.clone(),
                        })
                        .collect(),
                    ..Default::default()
                })),
            },
        }
    }
}

impl From<PatchError> for ApiError {
    fn from(e: PatchError) -> Self {
        e.to_api_error()
    }
}

pub(crate) use crate::gofmt::json_kind as go_kind;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json; charset=utf-8"),
            Some(PatchType::StrategicMerge)
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            Some(PatchType::Apply)
        );
        assert_eq!(PatchType::from_content_type("application/json"), None);
        assert_eq!(
            PatchType::Json.content_type(),
            "application/json-patch+json"
        );
    }

    fn size(v: &serde_json::Value) -> usize {
        serde_json::to_vec(v).map(|b| b.len()).unwrap_or(0)
    }

    fn value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z]{0,40}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "metadata",
                        "labels",
                        "spec",
                        "data",
                        "containers",
                        "name",
                        "a",
                        "b",
                        "$patch",
                        "$retainKeys"
                    ]),
                    inner,
                    0..6
                )
                .prop_map(|m| serde_json::Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                )),
            ]
        })
    }

    proptest::proptest! {
        /// No patch type makes a result much larger than the object and the patch together
        /// (JSON patch copies are capped on their own, see `json.rs`): the memory a patch
        /// request can make the server allocate is a small multiple of the request and
        /// object size limits.
        #[test]
        fn patch_results_are_bounded_by_their_inputs(
            doc in value(),
            patch in value(),
            paths in proptest::collection::vec("(/[a-z]{1,3}){1,3}", 0..8),
        ) {
            let schema = crate::Schema::builtin();
            let def = schema.for_gvk(&crate::Gvk::new("apps", "v1", "Deployment")).unwrap();
            let bound = 2 * (size(&doc) + size(&patch)) + 64;
            if let Ok(out) = merge_patch(&doc, &patch) {
                proptest::prop_assert!(size(&out) <= bound);
            }
            if let Ok(out) = strategic_merge(&doc, &patch, schema, def) {
                proptest::prop_assert!(size(&out) <= bound);
            }
            // JSON patch: copies and moves between generated paths
            let ops: Vec<serde_json::Value> = paths
                .windows(2)
                .enumerate()
                .map(|(i, w)| {
                    let op = ["copy", "move", "add", "remove"][i % 4];
                    serde_json::json!({"op": op, "from": w[0], "path": w[1], "value": patch.clone()})
                })
                .collect();
            let ops = serde_json::Value::Array(ops);
            if let Ok(out) = json_patch(&doc, &ops) {
                proptest::prop_assert!(size(&out) <= size(&doc) + size(&ops) + json::MAX_COPY_BYTES);
            }
        }
    }

    /// A ConfigMap-like object: data and labels from generated keys.
    fn configmap(
        name: &str,
        data: &std::collections::BTreeMap<String, String>,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> serde_json::Value {
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels}, "data": data})
    }

    fn deployment(containers: &[(String, String)]) -> serde_json::Value {
        let cs: Vec<serde_json::Value> = containers
            .iter()
            .map(|(n, i)| serde_json::json!({"name": n, "image": i, "ports": [{"containerPort": 80}]}))
            .collect();
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": cs}}}})
    }

    proptest::proptest! {
        /// Server-side apply (and the managedFields it writes) stays within a small multiple
        /// of the live object and the applied configuration, for maps (granular) and
        /// associative lists, by several managers in turn.
        #[test]
        fn apply_results_are_bounded_by_their_inputs(
            live_data in proptest::collection::btree_map("[a-z]{1,12}", "[a-z]{0,40}", 0..40),
            applied_data in proptest::collection::btree_map("[a-z]{1,12}", "[a-z]{0,40}", 0..40),
            labels in proptest::collection::btree_map("[a-z]{1,12}", "[a-z]{0,12}", 0..10),
            live_cs in proptest::collection::vec(("[a-z]{1,10}", "[a-z]{1,20}"), 0..12),
            applied_cs in proptest::collection::vec(("[a-z]{1,10}", "[a-z]{1,20}"), 0..12),
        ) {
            let schema = crate::Schema::builtin();
            let now = "2026-01-01T00:00:00Z";
            let cm_def = schema.for_gvk(&crate::Gvk::new("", "v1", "ConfigMap")).unwrap();
            let live = configmap("c", &live_data, &labels);
            let applied = configmap("c", &applied_data, &labels);
            let mut cur = apply(None, &live, "first", true, "v1", schema, cm_def, now).unwrap();
            for manager in ["second", "third"] {
                let out = apply(Some(&cur), &applied, manager, true, "v1", schema, cm_def, now).unwrap();
                let bound = 4 * (size(&cur) + size(&applied)) + 2048;
                proptest::prop_assert!(size(&out) <= bound, "{} > {bound}", size(&out));
                cur = out;
            }
            // associative lists keyed by name (duplicates are the caller's error)
            let dedup = |cs: &[(String, String)]| {
                let mut seen = std::collections::BTreeSet::new();
                cs.iter().filter(|(n, _)| seen.insert(n.clone())).cloned().collect::<Vec<_>>()
            };
            let d_def = schema.for_gvk(&crate::Gvk::new("apps", "v1", "Deployment")).unwrap();
            let live = deployment(&dedup(&live_cs));
            let applied = deployment(&dedup(&applied_cs));
            let cur = apply(None, &live, "first", true, "apps/v1", schema, d_def, now).unwrap();
            let out = apply(Some(&cur), &applied, "second", true, "apps/v1", schema, d_def, now).unwrap();
            let bound = 4 * (size(&cur) + size(&applied)) + 2048;
            proptest::prop_assert!(size(&out) <= bound, "{} > {bound}", size(&out));
        }
    }

    #[test]
    fn status_mapping() {
        let s = PatchError::Invalid("test failed".into())
            .to_api_error()
            .to_status();
        assert_eq!(s["code"], 422);
        assert_eq!(s["reason"], "Invalid");
        assert_eq!(s["message"], GENERIC_INVALID_MESSAGE);
        assert_eq!(s["details"], serde_json::json!({}));
        let s = PatchError::BadRequest("bad".into()).to_api_error();
        assert_eq!((s.code, s.reason.as_str()), (400, "BadRequest"));
        assert_eq!(PatchError::TooLarge("x".into()).to_api_error().code, 413);
    }
}
