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
