//! Metadata-only replies (`Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1`
//! and `as=PartialObjectMetadataList`), which garbage collectors, namespace cleanup and
//! `kube`'s `metadata_watcher` ask for: `meta.k8s.io` `PartialObjectMetadata` objects
//! holding only each object's `metadata`. As upstream, asking for the single form of a
//! list or the list form of one object is 406 Not Acceptable; a watch sends each event's
//! object in the single form, whichever form was asked for.
//!
//! Reads from the watch cache copy the stored metadata bytes into a new envelope
//! ([`crate::cached::partial_metadata`]); replies built from a `Value` (writes) go
//! through [`transform`].

use apimachinery::ApiError;
use serde_json::{Value, json};

use crate::negotiation::Partial;

/// The Go type upstream names in its 406 (`*core.ConfigMap`, `*apps.DeploymentList`): the
/// internal package of the group and the kind.
fn go_type(api_version: &str, kind: &str) -> String {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let pkg = match group.split('.').next().unwrap_or("") {
        "" | "events" => "core",
        other => other,
    };
    format!("*{pkg}.{kind}")
}

/// 406 for the list form asked of one object.
pub fn not_a_list(api_version: &str, kind: &str) -> ApiError {
    ApiError::not_acceptable(format!(
        "you requested PartialObjectMetadataList, but the requested object is not a list ({})",
        go_type(api_version, kind)
    ))
}

/// 406 for the single form asked of a list.
pub fn is_a_list(api_version: &str, list_kind: &str) -> ApiError {
    ApiError::not_acceptable(format!(
        "you requested PartialObjectMetadata, but the requested object is a list ({})",
        go_type(api_version, list_kind)
    ))
}

/// One object as a `PartialObjectMetadata`.
fn single(v: &Value, p: Partial) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": p.api_version(),
        "metadata": v.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// Whether a reply object is a list (`kind` ending in `List` with `items`).
fn is_list(v: &Value) -> bool {
    v.get("items").is_some_and(Value::is_array)
        && v.get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
}

/// A reply object (one object or a list) in the metadata-only form `p` asks for.
pub fn transform(v: &Value, p: Partial) -> Result<Value, ApiError> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    match (p.list, is_list(v)) {
        (false, false) => Ok(single(v, p)),
        (false, true) => Err(is_a_list(s("apiVersion"), s("kind"))),
        (true, false) => Err(not_a_list(s("apiVersion"), s("kind"))),
        (true, true) => {
            let items: Vec<Value> = v["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| single(i, p))
                .collect();
            Ok(json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": p.api_version(),
                "metadata": v.get("metadata").cloned().unwrap_or_else(|| json!({})),
                "items": items,
            }))
        }
    }
}

/// The body of a metadata-only reply of `v` (already in the form asked for): JSON with
/// its newline, or a protobuf body.
pub fn body(v: &Value, p: Partial) -> Result<Vec<u8>, ApiError> {
    if p.protobuf {
        return apimachinery::codec::protobuf::encode_object(apimachinery::Schema::builtin(), v)
            .map_err(ApiError::internal);
    }
    let mut out = apimachinery::codec::order::to_vec(v, false).map_err(ApiError::internal)?;
    out.push(b'\n');
    Ok(out)
}

/// [`body`] of one object given as its cached JSON (`PartialObjectMetadata` bytes).
pub fn body_of_json(json: Vec<u8>, p: Partial) -> Result<Vec<u8>, ApiError> {
    if p.protobuf {
        let v: Value = serde_json::from_slice(&json).map_err(ApiError::internal)?;
        return body(&v, p);
    }
    let mut json = json;
    json.push(b'\n');
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Partial = Partial {
        list: false,
        beta: false,
        protobuf: false,
    };
    const V1_LIST: Partial = Partial {
        list: true,
        beta: false,
        protobuf: false,
    };

    #[test]
    fn forms_and_mismatches() {
        let cm = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a"}, "data": {"k": "v"}});
        assert_eq!(
            transform(&cm, V1).unwrap(),
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "a"}})
        );
        let e = transform(&cm, V1_LIST).unwrap_err();
        assert_eq!(e.code, 406);
        assert_eq!(
            e.message,
            "you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)"
        );
        let list = json!({"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {"resourceVersion": "5"},
            "items": [{"metadata": {"name": "d"}, "spec": {}}]});
        let e = transform(&list, V1).unwrap_err();
        assert_eq!(
            e.message,
            "you requested PartialObjectMetadata, but the requested object is a list (*apps.DeploymentList)"
        );
        assert_eq!(
            transform(&list, V1_LIST).unwrap(),
            json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "5"},
                "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "d"}}]})
        );
    }
}
