//! The standard parameters of Kubernetes REST operations, as used by both
//! OpenAPI documents. Clients read some by name: kubectl's query-param
//! verifier wants an inline `fieldValidation` on the `patch` operation.

/// One parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// `query` or `path`.
    pub location: &'static str,
    /// `string`, `integer` or `boolean`.
    pub ty: &'static str,
    /// Required (path parameters are).
    pub required: bool,
    /// Its description.
    pub description: &'static str,
}

const fn query(name: &'static str, ty: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: "query",
        ty,
        required: false,
        description,
    }
}

/// `{name}`.
pub const NAME: Param = Param {
    name: "name",
    location: "path",
    ty: "string",
    required: true,
    description: "name of the object",
};
/// `{namespace}`.
pub const NAMESPACE: Param = Param {
    name: "namespace",
    location: "path",
    ty: "string",
    required: true,
    description: "the namespace the object lives in (its name and authorization scope)",
};
/// `pretty`.
pub const PRETTY: Param = query(
    "pretty",
    "string",
    "If 'true', the output is indented. Defaults to 'false' unless the user agent is a browser or a command-line HTTP tool (curl, wget).",
);
/// `dryRun`.
pub const DRY_RUN: Param = query(
    "dryRun",
    "string",
    "When present, the request is processed but nothing is persisted. An unknown value is an error. Valid values: - All: run every dry-run stage",
);
/// `fieldManager`.
pub const FIELD_MANAGER: Param = query(
    "fieldManager",
    "string",
    "The name of the actor making the change (at most 128 printable characters). Required for apply patches, optional otherwise.",
);
/// `fieldValidation`.
pub const FIELD_VALIDATION: Param = query(
    "fieldValidation",
    "string",
    "How to treat unknown or duplicate fields in the request body (POST/PUT/PATCH). Valid values: - Ignore: drop unknown fields silently and keep the last of duplicates. - Warn: drop them and report each one in a Warning header (the default). - Strict: reject the request with BadRequest listing every unknown and duplicate field.",
);
/// `force`.
pub const FORCE: Param = query(
    "force",
    "boolean",
    "Force an apply request: take ownership of fields owned by other managers instead of failing with a conflict. Only valid for apply patches; must be unset for other patch types.",
);
/// `gracePeriodSeconds`.
pub const GRACE_PERIOD: Param = query(
    "gracePeriodSeconds",
    "integer",
    "Seconds to wait before the object is deleted; a non-negative integer. Zero means delete immediately. Unset means the type's default.",
);
/// `ignoreStoreReadErrorWithClusterBreakingPotential`.
pub const IGNORE_STORE_READ_ERROR: Param = query(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "boolean",
    "If true, delete an object that cannot be read from storage (corrupt or undecodable), skipping finalizers and admission. Dangerous: may break workloads relying on normal deletion. Unset means false.",
);
/// `orphanDependents`.
pub const ORPHAN_DEPENDENTS: Param = query(
    "orphanDependents",
    "boolean",
    "Deprecated, use propagationPolicy. If true, dependents are orphaned; if false, the garbage collector deletes them.",
);
/// `propagationPolicy`.
pub const PROPAGATION_POLICY: Param = query(
    "propagationPolicy",
    "string",
    "Whether and how dependents are garbage collected: 'Orphan' (orphan them), 'Background' (delete them after the owner) or 'Foreground' (delete them before the owner).",
);
/// `allowWatchBookmarks`.
pub const ALLOW_WATCH_BOOKMARKS: Param = query(
    "allowWatchBookmarks",
    "boolean",
    "Ask for BOOKMARK watch events. The server sends them at its discretion; clients must not rely on their timing. Ignored unless watching.",
);
/// `continue`.
pub const CONTINUE: Param = query(
    "continue",
    "string",
    "The token from a previous paginated list, to get the next page. It is only valid with the same query otherwise; an expired token yields 410 Expired.",
);
/// `fieldSelector`.
pub const FIELD_SELECTOR: Param = query(
    "fieldSelector",
    "string",
    "Only return objects whose fields match this selector. Defaults to everything.",
);
/// `labelSelector`.
pub const LABEL_SELECTOR: Param = query(
    "labelSelector",
    "string",
    "Only return objects whose labels match this selector. Defaults to everything.",
);
/// `limit`.
pub const LIMIT: Param = query(
    "limit",
    "integer",
    "The maximum number of objects to return. When more exist, the list metadata carries a `continue` token for the next page. Not supported with watch.",
);
/// `resourceVersion`.
pub const RESOURCE_VERSION: Param = query(
    "resourceVersion",
    "string",
    "Constrains which resource versions the request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions. Defaults to unset",
);
/// `resourceVersionMatch`.
pub const RESOURCE_VERSION_MATCH: Param = query(
    "resourceVersionMatch",
    "string",
    "How resourceVersion applies to a list call (Exact or NotOlderThan). Recommended whenever resourceVersion is set. Defaults to unset",
);
/// `sendInitialEvents`.
pub const SEND_INITIAL_EVENTS: Param = query(
    "sendInitialEvents",
    "boolean",
    "With watch=true: start the stream with synthetic ADDED events for the current objects, then a BOOKMARK annotated `k8s.io/initial-events-end: \"true\"` carrying the resourceVersion they reflect. Requires resourceVersionMatch=NotOlderThan.",
);
/// `timeoutSeconds`.
pub const TIMEOUT_SECONDS: Param = query(
    "timeoutSeconds",
    "integer",
    "Limit the duration of the list/watch call, regardless of activity.",
);
/// `watch`.
pub const WATCH: Param = query(
    "watch",
    "boolean",
    "Watch for changes and stream them as add, update and remove events. Specify resourceVersion.",
);

/// Parameters of a list (and of the deprecated watch paths).
pub const LIST: &[Param] = &[
    ALLOW_WATCH_BOOKMARKS,
    CONTINUE,
    FIELD_SELECTOR,
    LABEL_SELECTOR,
    LIMIT,
    RESOURCE_VERSION,
    RESOURCE_VERSION_MATCH,
    SEND_INITIAL_EVENTS,
    TIMEOUT_SECONDS,
    WATCH,
];
/// Parameters of a create or replace.
pub const WRITE: &[Param] = &[DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
/// Parameters of a patch.
pub const PATCH: &[Param] = &[DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE];
/// Parameters of a delete.
pub const DELETE: &[Param] = &[
    DRY_RUN,
    GRACE_PERIOD,
    IGNORE_STORE_READ_ERROR,
    ORPHAN_DEPENDENTS,
    PROPAGATION_POLICY,
];
/// Parameters of a delete-collection.
pub const DELETE_COLLECTION: &[Param] = &[
    CONTINUE,
    DRY_RUN,
    FIELD_SELECTOR,
    GRACE_PERIOD,
    IGNORE_STORE_READ_ERROR,
    LABEL_SELECTOR,
    LIMIT,
    ORPHAN_DEPENDENTS,
    PROPAGATION_POLICY,
    RESOURCE_VERSION,
    RESOURCE_VERSION_MATCH,
    SEND_INITIAL_EVENTS,
    TIMEOUT_SECONDS,
];
/// Parameters of a subresource create (binding, eviction).
pub const CREATE_SUB: &[Param] = &[DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
