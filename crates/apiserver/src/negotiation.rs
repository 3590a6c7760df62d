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
    /// `application/json;as=PartialObjectMetadata(List);v=v1;g=meta.k8s.io`: only the
    /// objects' metadata.
    PartialMetadata(Partial),
    /// Aggregated discovery v2 (only for `/api` and `/apis`).
    AggregatedDiscovery,
}

/// Which metadata-only form a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// `PartialObjectMetadataList` (else `PartialObjectMetadata`).
    pub list: bool,
    /// `meta.k8s.io/v1beta1` (else `v1`).
    pub beta: bool,
    /// `application/vnd.kubernetes.protobuf` (else JSON).
    pub protobuf: bool,
}

impl Partial {
    /// The `apiVersion` of the reply.
    pub fn api_version(self) -> &'static str {
        if self.beta {
            "meta.k8s.io/v1beta1"
        } else {
            "meta.k8s.io/v1"
        }
    }

    /// The reply's `Content-Type` (a watch's: see [`Partial::watch_content_type`]).
    pub fn content_type(self) -> String {
        format!(
            "{};as=PartialObjectMetadata{};v={};g=meta.k8s.io",
            if self.protobuf {
                "application/vnd.kubernetes.protobuf"
            } else {
                "application/json"
            },
            if self.list { "List" } else { "" },
            if self.beta { "v1beta1" } else { "v1" },
        )
    }

    /// A watch stream's `Content-Type`: protobuf watches are length-prefixed frames.
    pub fn watch_content_type(self) -> String {
        if self.protobuf {
            "application/vnd.kubernetes.protobuf;stream=watch".to_string()
        } else {
            self.content_type()
        }
    }
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

/// The `(type, subtype)` of each clause of an `Accept` header, best first:
/// by quality (`q`, default 1; clauses with `q=0` dropped), then the more
/// specific (no `*`) first, else in header order (goautoneg's order, which
/// kube-openapi's handlers use).
pub fn accept_clauses(accept: &str) -> Vec<(&str, &str)> {
    let mut clauses: Vec<(f64, usize, &str, &str)> = parse_ranges(accept)
        .into_iter()
        .filter_map(|r| {
            let q = r
                .params
                .iter()
                .find(|(k, _)| *k == "q")
                .map_or(1.0, |(_, v)| v.parse::<f64>().unwrap_or(0.0));
            let (ty, sub) = r.essence.split_once('/').unwrap_or((r.essence, "*"));
            let (ty, sub) = (ty.trim(), sub.trim());
            (q > 0.0 && !ty.is_empty()).then_some((
                q,
                usize::from(ty == "*") + usize::from(sub == "*"),
                ty,
                sub,
            ))
        })
        .collect();
    clauses.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    clauses
        .into_iter()
        .map(|(_, _, ty, sub)| (ty, sub))
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
            (
                ty @ ("application/json" | "application/vnd.kubernetes.protobuf"),
                Some(k @ ("PartialObjectMetadata" | "PartialObjectMetadataList")),
            ) if param("g") == Some("meta.k8s.io")
                && matches!(param("v"), Some("v1") | Some("v1beta1")) =>
            {
                return Ok(Output::PartialMetadata(Partial {
                    list: k == "PartialObjectMetadataList",
                    beta: param("v") == Some("v1beta1"),
                    protobuf: ty == "application/vnd.kubernetes.protobuf",
                }));
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
    /// `application/json` (also when no Content-Type is sent, as the Python client does).
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

/// The media types a create or update body may be in.
pub const BODY_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

/// The media types a PATCH body may be in.
pub const PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// The media type of a `Content-Type` header, parsed as Go's `mime.ParseMediaType`:
/// `type/subtype` tokens, lowercased, then `; key=value` parameters (a single trailing
/// `;` is allowed); `None` when it does not parse.
fn media_type(ct: &str) -> Option<String> {
    let (base, mut rest) = ct.split_once(';').map_or((ct, ""), |(b, r)| (b, r));
    let essence = base.trim().to_ascii_lowercase();
    let is_token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
    };
    let (ty, sub) = essence.split_once('/').unwrap_or((&essence, ""));
    if !is_token(ty) || (essence.contains('/') && !is_token(sub)) {
        return None;
    }
    // parameters: `key=value` or `key="quoted"`, separated by `;`
    while !rest.trim().is_empty() {
        let (param, next) = rest.split_once(';').map_or((rest, ""), |(p, n)| (p, n));
        let param = param.trim();
        match param.split_once('=') {
            Some((k, v))
                if is_token(k.trim()) && (is_token(v.trim()) || v.trim().starts_with('"')) => {}
            // `a/b;` : a trailing semicolon
            None if param.is_empty() && next.trim().is_empty() => {}
            _ => return None,
        }
        rest = next;
    }
    Some(essence)
}

/// Classify the `Content-Type` of a create, update or delete body (none: JSON, as
/// upstream assumes). 415 with upstream's list for what is not one of [`BODY_TYPES`].
pub fn body_type(content_type: Option<&str>) -> Result<BodyType, ApiError> {
    let Some(ct) = content_type.filter(|c| !c.is_empty()) else {
        return Ok(BodyType::Json);
    };
    Ok(match media_type(ct).as_deref() {
        Some("application/json") => BodyType::Json,
        Some("application/yaml") => BodyType::Yaml,
        Some("application/vnd.kubernetes.protobuf") => BodyType::Protobuf,
        _ => return Err(ApiError::unsupported_media_type(BODY_TYPES)),
    })
}

/// Classify the `Content-Type` of a PATCH body, as upstream's router then its patch
/// handler do: the media type (before any `;`) must be one of [`PATCH_TYPES`] exactly.
/// A missing or other type is refused by the router with its bare 415; one the router
/// takes but the handler does not (a space before `;`) gets the handler's 415.
pub fn patch_type(content_type: Option<&str>) -> Result<BodyType, ApiError> {
    let ct = content_type.unwrap_or("");
    let routed = ct
        .split(',')
        .next()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if !PATCH_TYPES.contains(&routed) {
        return Err(ApiError::generic(
            415,
            "UnsupportedMediaType",
            "415: Unsupported Media Type",
        ));
    }
    let handled = match ct.find(';') {
        Some(i) if i > 0 => &ct[..i],
        _ => ct,
    };
    Ok(match handled {
        "application/json-patch+json" => BodyType::JsonPatch,
        "application/merge-patch+json" => BodyType::MergePatch,
        "application/strategic-merge-patch+json" => BodyType::StrategicMergePatch,
        "application/apply-patch+yaml" => BodyType::ApplyPatch,
        _ => return Err(ApiError::unsupported_media_type(PATCH_TYPES)),
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
        assert_eq!(
            body_type(Some("application/json; charset=utf-8")).unwrap(),
            BodyType::Json
        );
        assert_eq!(
            body_type(Some("Application/JSON;")).unwrap(),
            BodyType::Json
        );
        for bad in [
            ";;;=;",
            "application/json;;;",
            "application/json; x",
            "/json",
            "text/plain",
            "*/*",
        ] {
            let e = body_type(Some(bad)).unwrap_err();
            assert_eq!(e.code, 415, "{bad}");
            assert_eq!(
                e.message,
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf"
            );
        }
        assert_eq!(
            patch_type(Some("application/merge-patch+json; charset=utf-8")).unwrap(),
            BodyType::MergePatch
        );
        assert_eq!(
            patch_type(None).unwrap_err().message,
            "415: Unsupported Media Type"
        );
        assert_eq!(patch_type(Some(";;;=;")).unwrap_err().code, 415);
        let e = patch_type(Some("application/merge-patch+json ; charset=utf-8")).unwrap_err();
        assert!(
            e.message
                .starts_with("the body of the request was in an unknown format"),
            "{}",
            e.message
        );
    }
}
