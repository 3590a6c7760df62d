//! The Swagger 2.0 document (`/openapi/v2`): every served path and the
//! definitions they reach, `$ref`s to `#/definitions/`.
//!
//! Served as JSON, or as protobuf (`super::v2proto`) for kubectl, which reads
//! it when it validates a List, when `kubectl edit` opens several objects, and
//! as a fallback when v3 is unusable.

use apimachinery::Schema;
use serde_json::{Map, Value, json};

use super::params::Param;
use super::paths::{self, Body, Operation, PathItem};
use super::schema::Dialect;

const D: Dialect = Dialect::V2;

fn param(p: &Param) -> Value {
    let mut m = Map::new();
    m.insert("uniqueItems".into(), true.into());
    m.insert("type".into(), p.ty.into());
    m.insert("description".into(), p.description.into());
    m.insert("name".into(), p.name.into());
    m.insert("in".into(), p.location.into());
    if p.required {
        m.insert("required".into(), true.into());
    }
    Value::Object(m)
}

fn operation(o: &Operation) -> Value {
    let mut m = Map::new();
    m.insert("description".into(), o.description.clone().into());
    let consumes: Vec<&str> = match &o.body {
        Some(Body::Patch) => paths::PATCH_TYPES.to_vec(),
        _ => vec!["*/*"],
    };
    m.insert("consumes".into(), json!(consumes));
    let produces = if o.stream {
        paths::STREAM_MEDIA
    } else {
        paths::OBJECT_MEDIA
    };
    m.insert("produces".into(), json!(produces));
    m.insert("schemes".into(), json!(["https"]));
    m.insert("tags".into(), json!([o.tag]));
    m.insert("operationId".into(), o.id.clone().into());
    let mut params: Vec<Value> = Vec::new();
    match &o.body {
        Some(Body::Object(def)) => params.push(
            json!({"name": "body", "in": "body", "required": true, "schema": D.reference(def)}),
        ),
        Some(Body::Patch) => params.push(
            json!({"name": "body", "in": "body", "required": true, "schema": D.reference(paths::PATCH)}),
        ),
        Some(Body::Delete) => params.push(
            json!({"name": "body", "in": "body", "schema": D.reference(paths::DELETE_OPTIONS)}),
        ),
        None => {}
    }
    params.extend(o.params.iter().map(param));
    if !params.is_empty() {
        m.insert("parameters".into(), Value::Array(params));
    }
    let mut responses = Map::new();
    for (code, desc, def) in &o.responses {
        responses.insert(
            code.to_string(),
            json!({"description": desc, "schema": D.reference(def)}),
        );
    }
    paths::finish_operation(m, responses, o)
}

fn path_item(p: &PathItem) -> Value {
    paths::render_path_item(p, operation, param)
}

/// The whole v2 document.
pub fn document(schema: &Schema) -> Value {
    let mut items: Vec<PathItem> = vec![
        paths::discovery_path(
            "/api/",
            "getCoreAPIVersions",
            "get available API versions",
            paths::API_VERSIONS,
            "core",
        ),
        paths::discovery_path(
            "/apis/",
            "getAPIVersions",
            "get available API versions",
            paths::API_GROUP_LIST,
            "apis",
        ),
        paths::discovery_path(
            "/version/",
            "getCodeVersion",
            "get the version information for this server",
            paths::VERSION_INFO,
            "version",
        ),
    ];
    for (group, versions) in crate::resources::groups() {
        for v in versions {
            items.extend(paths::group_version_paths(schema, group, v).unwrap_or_default());
        }
    }
    items.sort_by(|a, b| a.path.cmp(&b.path));
    let (paths, definitions) = paths::render(schema, &items, D, path_item);
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": super::INFO_VERSION},
        "paths": paths,
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {
                "type": "apiKey",
                "description": "Bearer Token authentication",
                "name": "authorization",
                "in": "header",
            },
        },
        "security": [{"BearerToken": []}],
    })
}
