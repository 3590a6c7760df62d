//! API errors as `meta.k8s.io/v1` `Status` objects, one constructor per reason
//! (as upstream's `k8s.io/apimachinery/pkg/api/errors`). Handlers return these;
//! the HTTP layer serializes them with `code` as the HTTP status.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::field::FieldError;

/// Identifies the resource an error is about (`group` empty for core).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupResource {
    /// API group, empty for the core group.
    pub group: String,
    /// Plural resource name, e.g. `deployments`.
    pub resource: String,
}

impl GroupResource {
    /// Build from group and resource.
    pub fn new(group: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            resource: resource.into(),
        }
    }
    /// `deployments.apps`, or `pods` for the core group (upstream's `GroupResource.String()`).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

/// One cause in `details.causes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatusCause {
    /// Machine-readable reason, e.g. `FieldValueInvalid`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Field path, e.g. `metadata.name` or `spec.containers[0].image`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// `details` of a Status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatusDetails {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[allow(missing_docs)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[allow(missing_docs)]
    pub group: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[allow(missing_docs)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[allow(missing_docs)]
    pub uid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub causes: Vec<StatusCause>,
    #[serde(
        rename = "retryAfterSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[allow(missing_docs)]
    pub retry_after_seconds: Option<i32>,
    /// Not a detail: the Status's `metadata.continue` (a fresh continue token with an
    /// expired list), kept here so errors stay small.
    #[serde(skip)]
    pub list_continue: Option<String>,
}

/// A failed API call, as the `Status` object upstream returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason} ({code}): {message}")]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `StatusReason`, e.g. `NotFound`.
    pub reason: String,
    /// Human-readable message, as kubectl prints after `Error from server (Reason):`.
    pub message: String,
    /// Optional details (boxed: errors travel in every `Result`, keep them small).
    pub details: Option<Box<StatusDetails>>,
}

impl ApiError {
    fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: None,
        }
    }
    fn with_details(mut self, d: StatusDetails) -> Self {
        self.details = Some(Box::new(d));
        self
    }
    fn gr_details(gr: &GroupResource, name: &str) -> StatusDetails {
        StatusDetails {
            name: name.to_string(),
            group: gr.group.clone(),
            kind: gr.resource.clone(),
            ..Default::default()
        }
    }

    /// 404 `"<resource>.<group> \"name\" not found"`.
    pub fn not_found(gr: &GroupResource, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", gr.qualified(), name),
        )
        .with_details(Self::gr_details(gr, name))
    }
    /// 409 AlreadyExists.
    pub fn already_exists(gr: &GroupResource, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", gr.qualified(), name),
        )
        .with_details(Self::gr_details(gr, name))
    }
    /// 409 Conflict, e.g. a stale resourceVersion.
    pub fn conflict(gr: &GroupResource, name: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": {}",
                gr.qualified(),
                name,
                why
            ),
        )
        .with_details(Self::gr_details(gr, name))
    }
    /// The conflict upstream returns when an update carries a stale resourceVersion.
    pub fn stale_resource_version(gr: &GroupResource, name: &str) -> Self {
        Self::conflict(
            gr,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }
    /// 422 Invalid with every field error as a cause, as upstream's `NewInvalid`: each
    /// cause's message is the error without its path (which is in `field`); the Status
    /// message names the kind qualified by its group (`Deployment.apps "x" is invalid: ...`)
    /// and lists the distinct errors, bracketed when there are several.
    pub fn invalid(kind: &str, group: &str, name: &str, errs: &[FieldError]) -> Self {
        let mut list: Vec<String> = Vec::with_capacity(errs.len());
        for e in errs {
            let s = e.to_string();
            if !list.contains(&s) {
                list.push(s);
            }
        }
        let joined = match list.len() {
            0 => String::new(),
            1 => format!(": {}", list[0]),
            _ => format!(": [{}]", list.join(", ")),
        };
        let causes = errs
            .iter()
            .map(|e| StatusCause {
                reason: e.kind.reason().to_string(),
                message: e.body(),
                field: e.field.clone(),
            })
            .collect();
        let qualified = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        Self::new(
            422,
            "Invalid",
            format!(
                "{qualified} {} is invalid{joined}",
                crate::gofmt::go_quote(name)
            ),
        )
        .with_details(StatusDetails {
            name: name.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            causes,
            ..Default::default()
        })
    }
    /// 400 BadRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }
    /// 401 Unauthorized.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "Unauthorized", message)
    }
    /// 403 Forbidden: `<resource>.<group> "name" is forbidden: <why>`.
    pub fn forbidden(gr: &GroupResource, name: &str, why: impl std::fmt::Display) -> Self {
        let what = if name.is_empty() {
            gr.qualified()
        } else {
            format!("{} \"{}\"", gr.qualified(), name)
        };
        Self::new(403, "Forbidden", format!("{what} is forbidden: {why}"))
            .with_details(Self::gr_details(gr, name))
    }
    /// 403 Forbidden for a non-resource URL or a custom message.
    pub fn forbidden_message(message: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", message)
    }
    /// 405 MethodNotAllowed.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }
    /// 406 NotAcceptable.
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }
    /// 410 Expired: a list continue token or resourceVersion that is too old.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }
    /// 410 Gone with reason Expired, as a watch from a compacted revision gets.
    pub fn resource_version_too_old(requested: i64, oldest: i64) -> Self {
        Self::expired(format!("too old resource version: {requested} ({oldest})"))
    }
    /// An error in upstream's generic shape (`NewGenericServerResponse`: empty details).
    pub fn generic(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self::new(code, reason, message).with_details(StatusDetails::default())
    }
    /// 415 UnsupportedMediaType, as upstream's content negotiation words it.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }
    /// 413 RequestEntityTooLarge.
    pub fn request_entity_too_large(message: impl Into<String>) -> Self {
        Self::new(413, "RequestEntityTooLarge", message)
    }
    /// 404 for a path that names no resource.
    pub fn path_not_found() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(StatusDetails::default())
    }
    /// 500 InternalError.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
        )
        .with_details(StatusDetails {
            causes: vec![StatusCause {
                message: message.to_string(),
                ..Default::default()
            }],
            ..Default::default()
        })
    }
    /// 504 Timeout, as upstream's `NewTimeoutError`: `Timeout: <message>`, and the seconds
    /// after which to retry when known (also sent as `Retry-After`).
    pub fn timeout(message: impl std::fmt::Display, retry_after_seconds: Option<i32>) -> Self {
        let mut e = Self::new(504, "Timeout", format!("Timeout: {message}"));
        if let Some(s) = retry_after_seconds {
            e = e.with_details(StatusDetails {
                retry_after_seconds: Some(s),
                ..Default::default()
            });
        }
        e
    }
    /// 429 TooManyRequests.
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(429, "TooManyRequests", message)
    }
    /// Set the Status's `metadata.continue`.
    pub fn with_continue(mut self, token: String) -> Self {
        self.details
            .get_or_insert_with(Default::default)
            .list_continue = Some(token);
        self
    }
    /// Add causes to the details (creating them if absent).
    pub fn with_causes(mut self, causes: Vec<StatusCause>) -> Self {
        self.details
            .get_or_insert_with(Default::default)
            .causes
            .extend(causes);
        self
    }

    /// The `Status` object as JSON.
    pub fn to_status(&self) -> Value {
        let mut v = serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        });
        if let Some(d) = &self.details {
            if let Some(c) = &d.list_continue {
                v["metadata"]["continue"] = Value::String(c.clone());
            }
            let details = serde_json::to_value(d).unwrap_or(Value::Null);
            // `details: {}` is upstream's for generic errors; a continue token alone is none
            if d.list_continue.is_none() || details.as_object().is_some_and(|m| !m.is_empty()) {
                v["details"] = details;
            }
        }
        v["code"] = self.code.into();
        v
    }
}

/// A `Status` object reporting success (what a delete of a non-cached object returns).
/// The reply's HTTP code goes in `code`, as upstream's handlers fill in a success Status's code.
pub fn success_status(code: u16, details: Option<StatusDetails>) -> Value {
    let mut v = serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"});
    if let Some(d) = details {
        v["details"] = serde_json::to_value(d).unwrap_or(Value::Null);
    }
    v["code"] = code.into();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{FieldError, FieldPath};

    #[test]
    fn not_found_matches_upstream() {
        let e = ApiError::not_found(&GroupResource::new("apps", "deployments"), "nginx");
        assert_eq!(
            e.to_status()["message"],
            "deployments.apps \"nginx\" not found"
        );
        assert_eq!(e.to_status()["details"]["kind"], "deployments");
        assert_eq!(e.to_status()["code"], 404);
    }

    #[test]
    fn invalid_lists_every_cause() {
        let p = FieldPath::root("metadata").child("name");
        let errs = vec![
            FieldError::required(&p, ""),
            FieldError::invalid(&p, "Bad_Name", "must be lowercase"),
        ];
        let s = ApiError::invalid("Deployment", "apps", "Bad_Name", &errs).to_status();
        assert_eq!(s["reason"], "Invalid");
        assert_eq!(s["details"]["causes"].as_array().unwrap().len(), 2);
        assert_eq!(
            s["message"],
            "Deployment.apps \"Bad_Name\" is invalid: [metadata.name: Required value, \
             metadata.name: Invalid value: \"Bad_Name\": must be lowercase]"
        );
        // causes carry the message without the path, which is in `field`
        assert_eq!(
            s["details"]["causes"][1]["message"],
            "Invalid value: \"Bad_Name\": must be lowercase"
        );
        assert_eq!(s["details"]["causes"][1]["field"], "metadata.name");
        assert_eq!(s["details"]["causes"][0]["message"], "Required value");
    }

    #[test]
    fn invalid_core_kind_and_repeated_errors() {
        let p = FieldPath::root("spec").child("containers").index(0);
        let e = FieldError::invalid_number(
            &p.child("port"),
            99999,
            "must be between 1 and 65535, inclusive",
        );
        let s = ApiError::invalid("Pod", "", "p", &[e.clone(), e]).to_status();
        assert_eq!(
            s["message"],
            "Pod \"p\" is invalid: spec.containers[0].port: Invalid value: 99999: must be between 1 and 65535, inclusive"
        );
        assert_eq!(s["details"]["causes"].as_array().unwrap().len(), 2);
    }
}
