//! Content negotiation: which media type a request body is in, and which
//! representation (JSON, YAML, a `meta.k8s.io/v1` Table) the client accepts.

use apimachinery::ApiError;

/// The media type of the aggregated discovery v2 documents.
pub const AGGREGATED_DISCOVERY: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// What a reply is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `application/json`.
    Json,
    /// `application/yaml`.
    Yaml,
    /// `application/json;as=Table;v=v1;g=meta.k8s.io`.
    Table,
    /// `application/json;as=PartialObjectMetadata(List);v=v1;g=meta.k8s.io`.
    PartialMetadata,
    /// Aggregated discovery v2 (only for `/api` and `/apis`).
    AggregatedDiscovery,
}

struct MediaRange<'a> {
    essence: &'a str,
    params: Vec<(&'a str, &'a str)>,
}

fn parse_ranges(accept: &str) -> Vec<MediaRange<'_>> {
    accept
        .split(',')
        .map(|part| {
            let mut it = part.split(';').map(str::trim);
            let essence = it.next().unwrap_or("");
            let params = it
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect();
            MediaRange { essence, params }
        })
        .collect()
}

/// Choose the reply representation from an `Accept` header. `discovery` allows
/// the aggregated discovery type (only `/api` and `/apis` serve it).
pub fn negotiate(accept: Option<&str>, discovery: bool) -> Result<Output, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Output::Json);
    };
    for r in parse_ranges(accept) {
        let param = |k: &str| r.params.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        match (r.essence, param("as")) {
            ("application/json", Some("Table"))
                if param("g") == Some("meta.k8s.io")
                    && matches!(param("v"), Some("v1") | Some("v1beta1")) =>
            {
                return Ok(Output::Table);
            }
            ("application/json", Some("APIGroupDiscoveryList"))
                if discovery
                    && param("g") == Some("apidiscovery.k8s.io")
                    && param("v") == Some("v2") =>
            {
                return Ok(Output::AggregatedDiscovery);
            }
            ("application/json", Some("PartialObjectMetadata" | "PartialObjectMetadataList"))
                if param("g") == Some("meta.k8s.io") =>
            {
                return Ok(Output::PartialMetadata);
            }
            ("application/json", None) | ("*/*", _) | ("application/*", _) => {
                return Ok(Output::Json);
            }
            ("application/yaml", None) => return Ok(Output::Yaml),
            _ => {}
        }
    }
    Err(ApiError::not_acceptable(
        "only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io",
    ))
}

/// The media type of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    /// JSON (also when no Content-Type is sent, as the Python client does).
    Json,
    /// YAML.
    Yaml,
    /// `application/vnd.kubernetes.protobuf`.
    Protobuf,
    /// `application/json-patch+json`.
    JsonPatch,
    /// `application/merge-patch+json`.
    MergePatch,
    /// `application/strategic-merge-patch+json`.
    StrategicMergePatch,
    /// `application/apply-patch+yaml` (server-side apply).
    ApplyPatch,
}

/// Classify a `Content-Type` header.
pub fn body_type(content_type: Option<&str>) -> Result<BodyType, ApiError> {
    let ct = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Ok(match ct.as_str() {
        "" | "application/json" | "*/*" | "text/plain" => BodyType::Json,
        "application/yaml" | "application/x-yaml" | "text/yaml" => BodyType::Yaml,
        "application/vnd.kubernetes.protobuf" => BodyType::Protobuf,
        "application/json-patch+json" => BodyType::JsonPatch,
        "application/merge-patch+json" => BodyType::MergePatch,
        "application/strategic-merge-patch+json" => BodyType::StrategicMergePatch,
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => BodyType::ApplyPatch,
        _ => return Err(ApiError::unsupported_media_type(&ct)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_table_accept() {
        let a = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(a), false).unwrap(), Output::Table);
    }

    #[test]
    fn discovery_accept() {
        let a =
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert_eq!(
            negotiate(Some(a), true).unwrap(),
            Output::AggregatedDiscovery
        );
        assert_eq!(negotiate(Some(a), false).unwrap(), Output::Json);
        let a = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate(Some(a), true).unwrap(), Output::Json);
    }

    #[test]
    fn protobuf_with_json_fallback() {
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf, */*"), false).unwrap(),
            Output::Json
        );
        assert!(negotiate(Some("application/vnd.kubernetes.protobuf"), false).is_err());
        assert_eq!(body_type(None).unwrap(), BodyType::Json);
        assert!(body_type(Some("application/xml")).is_err());
    }
}
