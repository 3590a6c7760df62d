//! OpenAPI 3.0 documents, one per group-version (`/openapi/v3/apis/apps/v1`)
//! plus the small discovery documents (`api`, `apis`, `apis/<group>`,
//! `version`), shaped like kube-apiserver's: parameters inline, `$ref`s to
//! `#/components/schemas/`, and `components.schemas` holding every definition
//! the paths reach.

use apimachinery::Schema;
use serde_json::{Map, Value, json};

use super::params::Param;
use super::paths::{self, Body, Operation, PathItem};
use super::schema::Dialect;

const D: Dialect = Dialect::V3;

fn param(p: &Param) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), p.name.into());
    m.insert("in".into(), p.location.into());
    m.insert("description".into(), p.description.into());
    if p.required {
        m.insert("required".into(), true.into());
    }
    m.insert("schema".into(), json!({"type": p.ty, "uniqueItems": true}));
    Value::Object(m)
}

fn content(media: &[&str], def: &str) -> Value {
    let m: Map<String, Value> = media
        .iter()
        .map(|t| ((*t).to_string(), json!({"schema": D.reference(def)})))
        .collect();
    Value::Object(m)
}

fn operation(o: &Operation) -> Value {
    let mut m = Map::new();
    m.insert("tags".into(), json!([o.tag]));
    m.insert("description".into(), o.description.clone().into());
    m.insert("operationId".into(), o.id.clone().into());
    if !o.params.is_empty() {
        m.insert(
            "parameters".into(),
            Value::Array(o.params.iter().map(param).collect()),
        );
    }
    match &o.body {
        Some(Body::Object(def)) => {
            m.insert(
                "requestBody".into(),
                json!({"content": content(&["*/*"], def), "required": true}),
            );
        }
        Some(Body::Patch) => {
            m.insert(
                "requestBody".into(),
                json!({"content": content(paths::PATCH_TYPES, paths::PATCH), "required": true}),
            );
        }
        Some(Body::Delete) => {
            m.insert(
                "requestBody".into(),
                json!({"content": content(&["*/*"], paths::DELETE_OPTIONS)}),
            );
        }
        None => {}
    }
    let media = if o.stream {
        paths::STREAM_MEDIA
    } else {
        paths::OBJECT_MEDIA
    };
    let mut responses = Map::new();
    for (code, desc, def) in &o.responses {
        responses.insert(
            code.to_string(),
            json!({"description": desc, "content": content(media, def)}),
        );
    }
    paths::finish_operation(m, responses, o)
}

fn path_item(p: &PathItem) -> Value {
    paths::render_path_item(p, operation, param)
}

/// Render a document from its paths.
pub fn document(schema: &Schema, items: &[PathItem]) -> Value {
    let (paths, schemas) = paths::render(schema, items, D, path_item);
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": super::INFO_VERSION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header",
                },
            },
        },
        "security": [{"BearerToken": []}],
    })
}

/// The document of `api/v1` or `apis/<group>/<version>` (`None` if unserved),
/// or of `api`, `apis`, `apis/<group>`, `version`.
pub fn document_for(schema: &Schema, gv_path: &str) -> Option<Value> {
    let parts: Vec<&str> = gv_path.split('/').collect();
    let items = match parts.as_slice() {
        ["api"] => vec![paths::discovery_path(
            "/api/",
            "getCoreAPIVersions",
            "get available API versions",
            paths::API_VERSIONS,
            "core",
        )],
        ["apis"] => vec![paths::discovery_path(
            "/apis/",
            "getAPIVersions",
            "get available API versions",
            paths::API_GROUP_LIST,
            "apis",
        )],
        ["version"] => vec![paths::discovery_path(
            "/version/",
            "getCodeVersion",
            "get the version information for this server",
            paths::VERSION_INFO,
            "version",
        )],
        ["apis", group] => {
            crate::resources::groups()
                .iter()
                .find(|(g, _)| g == group)?;
            let camel = paths::group_camel(group);
            let mut c = camel.chars();
            let upper: String = c.next().map(|f| f.to_uppercase().chain(c).collect())?;
            vec![paths::discovery_path(
                &format!("/apis/{group}/"),
                &format!("get{upper}APIGroup"),
                "get information of a group",
                paths::API_GROUP,
                &camel,
            )]
        }
        ["api", version] => paths::group_version_paths(schema, "", version)?,
        ["apis", group, version] => paths::group_version_paths(schema, group, version)?,
        _ => return None,
    };
    Some(document(schema, &items))
}
