//! The REST operations of the served resources, as a dialect-neutral model
//! that `v2` and `v3` render. One [`PathItem`] per URL template; every
//! resource operation carries `x-kubernetes-action` and
//! `x-kubernetes-group-version-kind` like kube-apiserver's.

use apimachinery::{Gvk, Schema};

use super::params::{self, Param};
use crate::resources::{self, ResourceInfo, Subresource};

/// `Status`.
pub const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
/// `WatchEvent`.
pub const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
/// `DeleteOptions`.
pub const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
/// `Patch` (the body of a PATCH).
pub const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
/// `APIResourceList`.
pub const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";
/// `APIGroup`.
pub const API_GROUP: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup";
/// `APIGroupList`.
pub const API_GROUP_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList";
/// `APIVersions`.
pub const API_VERSIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions";
/// `version.Info`.
pub const VERSION_INFO: &str = "io.k8s.apimachinery.pkg.version.Info";

/// The media types a PATCH accepts.
pub const PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];
/// Media types of object responses.
pub const OBJECT_MEDIA: &[&str] = &[
    "application/json",
    "application/vnd.kubernetes.protobuf",
    "application/yaml",
];
/// Media types of list and watch responses.
pub const STREAM_MEDIA: &[&str] = &[
    "application/json",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf",
    "application/vnd.kubernetes.protobuf;stream=watch",
    "application/yaml",
];

/// What an operation's request body is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// An object of this definition (`*/*`).
    Object(String),
    /// A patch document ([`PATCH_TYPES`]).
    Patch,
    /// Optional `DeleteOptions`.
    Delete,
}

/// One operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `get`, `put`, `post`, `patch` or `delete`.
    pub method: &'static str,
    /// `x-kubernetes-action` (get, list, post, put, patch, delete,
    /// deletecollection, watch, watchlist); `None` for discovery endpoints.
    pub action: Option<&'static str>,
    /// `operationId`.
    pub id: String,
    /// Its description.
    pub description: String,
    /// Operation-level parameters.
    pub params: &'static [Param],
    /// The request body.
    pub body: Option<Body>,
    /// `(status, description, definition)` of each response; 401 is added by the renderers.
    pub responses: Vec<(u16, &'static str, String)>,
    /// Whether the responses stream (list, watch).
    pub stream: bool,
    /// `x-kubernetes-group-version-kind`.
    pub gvk: Option<(String, String, String)>,
    /// The tag (`apps_v1`).
    pub tag: String,
}

/// One URL template and its operations.
#[derive(Debug, Clone)]
pub struct PathItem {
    /// The URL template, e.g. `/apis/apps/v1/namespaces/{namespace}/deployments/{name}`.
    pub path: String,
    /// Path-level parameters.
    pub params: Vec<Param>,
    /// The operations.
    pub ops: Vec<Operation>,
}

/// `""` → `core`, `rbac.authorization.k8s.io` → `rbacAuthorization`,
/// `networking.k8s.io` → `networking`, `apps` → `apps`.
pub fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "core".into();
    }
    let g = group.strip_suffix(".k8s.io").unwrap_or(group);
    let mut out = String::new();
    for (i, part) in g.split('.').enumerate() {
        if i == 0 {
            out.push_str(part);
        } else {
            out.push_str(&upper_first(part));
        }
    }
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The tag of a group-version (`apps_v1`, `core_v1`).
pub fn tag(group: &str, version: &str) -> String {
    format!("{}_{version}", group_camel(group))
}

/// The URL prefix of a group-version (`/api/v1`, `/apis/apps/v1`).
pub fn prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// The definition name of a kind, if the schema has it.
fn def_name(schema: &Schema, g: &str, v: &str, k: &str) -> Option<String> {
    schema.name_for_gvk(&Gvk::new(g, v, k)).map(str::to_string)
}

fn gvk_of(g: &str, v: &str, k: &str) -> Option<(String, String, String)> {
    Some((g.into(), v.into(), k.into()))
}

fn has(r: &ResourceInfo, verb: &str) -> bool {
    r.verbs.contains(&verb)
}

/// Every path of one group-version, sorted by URL. `None` if it is not served.
pub fn group_version_paths(schema: &Schema, group: &str, version: &str) -> Option<Vec<PathItem>> {
    let resources: Vec<&'static ResourceInfo> = resources::resources_of(group, version).collect();
    if resources.is_empty() {
        return None;
    }
    let base = prefix(group, version);
    let tag = tag(group, version);
    let id_gv = format!(
        "{}{}",
        upper_first(&group_camel(group)),
        upper_first(version)
    );
    let mut out = vec![PathItem {
        path: format!("{base}/"),
        params: vec![],
        ops: vec![Operation {
            method: "get",
            action: None,
            id: format!("get{id_gv}APIResources"),
            description: "get available resources".into(),
            params: &[],
            body: None,
            responses: vec![(200, "OK", API_RESOURCE_LIST.into())],
            stream: false,
            gvk: None,
            tag: tag.clone(),
        }],
    }];
    for r in resources {
        resource_paths(schema, r, &base, &tag, &id_gv, &mut out);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Some(out)
}

#[allow(clippy::too_many_lines)]
fn resource_paths(
    schema: &Schema,
    r: &'static ResourceInfo,
    base: &str,
    tag: &str,
    id_gv: &str,
    out: &mut Vec<PathItem>,
) {
    let Some(obj) = def_name(schema, r.group, r.version, r.kind) else {
        return;
    };
    let list =
        def_name(schema, r.group, r.version, &format!("{}List", r.kind)).unwrap_or(obj.clone());
    let kind = r.kind;
    let gvk = gvk_of(r.group, r.version, kind);
    let scoped = if r.namespaced { "Namespaced" } else { "" };
    let op = |method, action, verb: &str, suffix: &str, description: String| Operation {
        method,
        action: Some(action),
        id: format!("{verb}{id_gv}{scoped}{kind}{suffix}"),
        description,
        params: &[],
        body: None,
        responses: vec![],
        stream: false,
        gvk: gvk.clone(),
        tag: tag.to_string(),
    };
    let (coll, item, watch_coll, watch_item, ns_params) = if r.namespaced {
        (
            format!("{base}/namespaces/{{namespace}}/{}", r.resource),
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", r.resource),
            format!("{base}/watch/namespaces/{{namespace}}/{}", r.resource),
            format!(
                "{base}/watch/namespaces/{{namespace}}/{}/{{name}}",
                r.resource
            ),
            vec![params::NAMESPACE],
        )
    } else {
        (
            format!("{base}/{}", r.resource),
            format!("{base}/{}/{{name}}", r.resource),
            format!("{base}/watch/{}", r.resource),
            format!("{base}/watch/{}/{{name}}", r.resource),
            vec![],
        )
    };
    let item_params: Vec<Param> =
        [vec![params::NAME], ns_params.clone(), vec![params::PRETTY]].concat();
    let coll_params: Vec<Param> = [ns_params.clone(), vec![params::PRETTY]].concat();

    // Collection: list, create, deletecollection.
    let mut ops = Vec::new();
    if has(r, "list") {
        ops.push(Operation {
            params: params::LIST,
            responses: vec![(200, "OK", list.clone())],
            stream: true,
            ..op(
                "get",
                "list",
                "list",
                "",
                format!("list or watch objects of kind {kind}"),
            )
        });
    }
    if has(r, "create") {
        ops.push(Operation {
            params: params::WRITE,
            body: Some(Body::Object(obj.clone())),
            responses: vec![
                (200, "OK", obj.clone()),
                (201, "Created", obj.clone()),
                (202, "Accepted", obj.clone()),
            ],
            ..op("post", "post", "create", "", format!("create a {kind}"))
        });
    }
    if has(r, "deletecollection") {
        ops.push(Operation {
            params: params::DELETE_COLLECTION,
            body: Some(Body::Delete),
            responses: vec![(200, "OK", STATUS.into())],
            ..op(
                "delete",
                "deletecollection",
                "delete",
                "",
                format!("delete collection of {kind}"),
            )
        });
        // operationId upstream: deleteAppsV1CollectionNamespacedDeployment
        if let Some(o) = ops.last_mut() {
            o.id = format!("delete{id_gv}Collection{scoped}{kind}");
        }
    }
    if !ops.is_empty() {
        out.push(PathItem {
            path: coll,
            params: coll_params.clone(),
            ops,
        });
    }

    // Item: get, put, patch, delete.
    let mut ops = Vec::new();
    if has(r, "get") {
        ops.push(Operation {
            responses: vec![(200, "OK", obj.clone())],
            ..op(
                "get",
                "get",
                "read",
                "",
                format!("read the specified {kind}"),
            )
        });
    }
    if has(r, "update") {
        ops.push(Operation {
            params: params::WRITE,
            body: Some(Body::Object(obj.clone())),
            responses: vec![(200, "OK", obj.clone()), (201, "Created", obj.clone())],
            ..op(
                "put",
                "put",
                "replace",
                "",
                format!("replace the specified {kind}"),
            )
        });
    }
    if has(r, "patch") {
        ops.push(Operation {
            params: params::PATCH,
            body: Some(Body::Patch),
            responses: vec![(200, "OK", obj.clone()), (201, "Created", obj.clone())],
            ..op(
                "patch",
                "patch",
                "patch",
                "",
                format!("partially update the specified {kind}"),
            )
        });
    }
    if has(r, "delete") {
        ops.push(Operation {
            params: params::DELETE,
            body: Some(Body::Delete),
            responses: vec![(200, "OK", STATUS.into()), (202, "Accepted", STATUS.into())],
            ..op("delete", "delete", "delete", "", format!("delete a {kind}"))
        });
    }
    if !ops.is_empty() {
        out.push(PathItem {
            path: item.clone(),
            params: item_params.clone(),
            ops,
        });
    }

    // Deprecated watch paths and the all-namespaces list.
    if has(r, "watch") {
        let watch_params = |p: &[Param]| -> Vec<Param> {
            let mut v: Vec<Param> = params::LIST.to_vec();
            v.extend_from_slice(p);
            v.sort_by_key(|p| p.name);
            v
        };
        out.push(PathItem {
            path: watch_coll,
            params: watch_params(&coll_params),
            ops: vec![Operation {
                responses: vec![(200, "OK", WATCH_EVENT.into())],
                stream: true,
                ..op(
                    "get",
                    "watchlist",
                    "watch",
                    "List",
                    format!(
                        "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
                    ),
                )
            }],
        });
        out.push(PathItem {
            path: watch_item,
            params: watch_params(&item_params),
            ops: vec![Operation {
                responses: vec![(200, "OK", WATCH_EVENT.into())],
                stream: true,
                ..op(
                    "get",
                    "watch",
                    "watch",
                    "",
                    format!(
                        "watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter."
                    ),
                )
            }],
        });
    }
    if r.namespaced {
        let all =
            |method, action, verb: &str, suffix: &str, description: String, resp: &str| Operation {
                method,
                action: Some(action),
                id: format!("{verb}{id_gv}{kind}{suffix}ForAllNamespaces"),
                description,
                params: &[],
                body: None,
                responses: vec![(200, "OK", resp.to_string())],
                stream: true,
                gvk: gvk.clone(),
                tag: tag.to_string(),
            };
        let mut p: Vec<Param> = params::LIST.to_vec();
        p.push(params::PRETTY);
        p.sort_by_key(|p| p.name);
        if has(r, "list") {
            out.push(PathItem {
                path: format!("{base}/{}", r.resource),
                params: p.clone(),
                ops: vec![all(
                    "get",
                    "list",
                    "list",
                    "",
                    format!("list or watch objects of kind {kind}"),
                    &list,
                )],
            });
        }
        if has(r, "watch") {
            out.push(PathItem {
                path: format!("{base}/watch/{}", r.resource),
                params: p,
                ops: vec![all(
                    "get",
                    "watchlist",
                    "watch",
                    "List",
                    format!(
                        "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
                    ),
                    WATCH_EVENT,
                )],
            });
        }
    }

    // Subresources.
    for &sub in r.subresources {
        let (sg, sv, sk) = sub.response_kind(r);
        let Some(sobj) = def_name(schema, sg, sv, sk) else {
            continue;
        };
        let sgvk = gvk_of(sg, sv, sk);
        let word = upper_first(sub.name());
        let path = format!("{item}/{}", sub.name());
        let sop = |method, action, verb: &str, description: String| Operation {
            method,
            action: Some(action),
            id: format!("{verb}{id_gv}{scoped}{kind}{word}"),
            description,
            params: &[],
            body: None,
            responses: vec![],
            stream: false,
            gvk: sgvk.clone(),
            tag: tag.to_string(),
        };
        let ops = match sub {
            Subresource::Status | Subresource::Scale | Subresource::EphemeralContainers => {
                let what = sub.name();
                vec![
                    Operation {
                        responses: vec![(200, "OK", sobj.clone())],
                        ..sop(
                            "get",
                            "get",
                            "read",
                            format!("read {what} of the specified {kind}"),
                        )
                    },
                    Operation {
                        params: params::WRITE,
                        body: Some(Body::Object(sobj.clone())),
                        responses: vec![(200, "OK", sobj.clone()), (201, "Created", sobj.clone())],
                        ..sop(
                            "put",
                            "put",
                            "replace",
                            format!("replace {what} of the specified {kind}"),
                        )
                    },
                    Operation {
                        params: params::PATCH,
                        body: Some(Body::Patch),
                        responses: vec![(200, "OK", sobj.clone()), (201, "Created", sobj.clone())],
                        ..sop(
                            "patch",
                            "patch",
                            "patch",
                            format!("partially update {what} of the specified {kind}"),
                        )
                    },
                ]
            }
            Subresource::Finalize => vec![Operation {
                params: params::WRITE,
                body: Some(Body::Object(sobj.clone())),
                responses: vec![(200, "OK", sobj.clone()), (201, "Created", sobj.clone())],
                ..sop(
                    "put",
                    "put",
                    "replace",
                    format!("replace finalize of the specified {kind}"),
                )
            }],
            Subresource::Binding | Subresource::Eviction => vec![Operation {
                params: params::CREATE_SUB,
                body: Some(Body::Object(sobj.clone())),
                responses: vec![
                    (200, "OK", sobj.clone()),
                    (201, "Created", sobj.clone()),
                    (202, "Accepted", sobj.clone()),
                ],
                ..sop(
                    "post",
                    "post",
                    "create",
                    format!("create {} of a {kind}", sub.name()),
                )
            }],
        };
        out.push(PathItem {
            path,
            params: item_params.clone(),
            ops,
        });
    }
}

/// The end every rendered operation shares in both dialects: the responses
/// (plus 401) and the `x-kubernetes-action` / `-group-version-kind` extensions.
pub fn finish_operation(
    mut m: serde_json::Map<String, serde_json::Value>,
    mut responses: serde_json::Map<String, serde_json::Value>,
    o: &Operation,
) -> serde_json::Value {
    use serde_json::{Value, json};
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    m.insert("responses".into(), Value::Object(responses));
    if let Some(a) = o.action {
        m.insert("x-kubernetes-action".into(), a.into());
    }
    if let Some((g, v, k)) = &o.gvk {
        m.insert(
            "x-kubernetes-group-version-kind".into(),
            json!({"group": g, "kind": k, "version": v}),
        );
    }
    Value::Object(m)
}

/// Render a document's `paths` and the definitions they reach, in one dialect.
pub fn render(
    schema: &Schema,
    items: &[PathItem],
    dialect: super::schema::Dialect,
    path_item: impl Fn(&PathItem) -> serde_json::Value,
) -> (
    serde_json::Map<String, serde_json::Value>,
    serde_json::Map<String, serde_json::Value>,
) {
    let defs = referenced_definitions(items);
    let names = super::schema::closure(schema, defs.iter().map(String::as_str));
    let definitions = super::schema::definitions(schema, &names, dialect);
    let paths = items
        .iter()
        .map(|p| (p.path.clone(), path_item(p)))
        .collect();
    (paths, definitions)
}

/// A path item rendered with a dialect's operation and parameter renderers.
pub fn render_path_item(
    p: &PathItem,
    operation: impl Fn(&Operation) -> serde_json::Value,
    param: impl Fn(&Param) -> serde_json::Value,
) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for o in &p.ops {
        m.insert(o.method.into(), operation(o));
    }
    if !p.params.is_empty() {
        m.insert(
            "parameters".into(),
            serde_json::Value::Array(p.params.iter().map(param).collect()),
        );
    }
    serde_json::Value::Object(m)
}

/// The definition names the operations of these paths mention.
pub fn referenced_definitions(paths: &[PathItem]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        for o in &p.ops {
            match &o.body {
                Some(Body::Object(n)) => out.push(n.clone()),
                Some(Body::Patch) => out.push(PATCH.into()),
                Some(Body::Delete) => out.push(DELETE_OPTIONS.into()),
                None => {}
            }
            out.extend(o.responses.iter().map(|(_, _, n)| n.clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The single discovery path of a non-resource document (`/api/`, `/apis/`,
/// `/apis/<group>/`, `/version/`).
pub fn discovery_path(
    path: &str,
    id: &str,
    description: &str,
    response: &str,
    tag: &str,
) -> PathItem {
    PathItem {
        path: path.into(),
        params: vec![],
        ops: vec![Operation {
            method: "get",
            action: None,
            id: id.into(),
            description: description.into(),
            params: &[],
            body: None,
            responses: vec![(200, "OK", response.into())],
            stream: false,
            gvk: None,
            tag: tag.into(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(group_camel(""), "core");
        assert_eq!(
            group_camel("rbac.authorization.k8s.io"),
            "rbacAuthorization"
        );
        assert_eq!(group_camel("networking.k8s.io"), "networking");
        assert_eq!(tag("apps", "v1"), "apps_v1");
        assert_eq!(prefix("", "v1"), "/api/v1");
    }

    #[test]
    fn deployment_operations() {
        let paths = group_version_paths(Schema::builtin(), "apps", "v1").unwrap();
        let item = paths
            .iter()
            .find(|p| p.path == "/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
            .unwrap();
        let patch = item.ops.iter().find(|o| o.method == "patch").unwrap();
        assert_eq!(patch.id, "patchAppsV1NamespacedDeployment");
        assert!(patch.params.iter().any(|p| p.name == "fieldValidation"));
        let coll = paths
            .iter()
            .find(|p| p.path == "/apis/apps/v1/namespaces/{namespace}/deployments")
            .unwrap();
        let dc = coll
            .ops
            .iter()
            .find(|o| o.action == Some("deletecollection"))
            .unwrap();
        assert_eq!(dc.id, "deleteAppsV1CollectionNamespacedDeployment");
        let scale = paths
            .iter()
            .find(|p| p.path.ends_with("/deployments/{name}/scale"))
            .unwrap();
        assert_eq!(
            scale.ops[0].gvk,
            Some(("autoscaling".into(), "v1".into(), "Scale".into()))
        );
        assert!(paths.iter().any(|p| p.path == "/apis/apps/v1/deployments"));
        assert!(
            paths
                .iter()
                .any(|p| p.path == "/apis/apps/v1/watch/deployments")
        );
        assert!(group_version_paths(Schema::builtin(), "apps", "v7").is_none());
    }
}
