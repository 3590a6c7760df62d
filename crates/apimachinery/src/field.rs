//! Field paths and field errors, as upstream's `k8s.io/apimachinery/pkg/util/validation/field`:
//! validation collects every problem with its path instead of stopping at the first.

use std::fmt;

use crate::gofmt::go_quote;

/// A path to a field, rendered like `spec.containers[0].ports[1].containerPort`
/// or `metadata.labels[app]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(String);

impl FieldPath {
    /// A path starting at a top-level field.
    pub fn root(name: &str) -> Self {
        Self(name.to_string())
    }
    /// `path.name`.
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_string())
        } else {
            Self(format!("{}.{}", self.0, name))
        }
    }
    /// `path[i]`.
    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{}]", self.0, i))
    }
    /// `path[key]`.
    pub fn key(&self, k: &str) -> Self {
        Self(format!("{}[{}]", self.0, k))
    }
    /// The rendered path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a field error, with upstream's cause reasons and message prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `Required value`
    Required,
    /// `Invalid value`
    Invalid,
    /// `Unsupported value`
    NotSupported,
    /// `Duplicate value`
    Duplicate,
    /// `Forbidden`
    Forbidden,
    /// `Too long`
    TooLong,
    /// `Too many`
    TooMany,
    /// `Not found`
    NotFound,
    /// `Internal error`
    Internal,
}

impl ErrorKind {
    /// The `StatusCause.reason` upstream uses.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorKind::Required => "FieldValueRequired",
            ErrorKind::Invalid => "FieldValueInvalid",
            ErrorKind::NotSupported => "FieldValueNotSupported",
            ErrorKind::Duplicate => "FieldValueDuplicate",
            ErrorKind::Forbidden => "FieldValueForbidden",
            ErrorKind::TooLong => "FieldValueTooLong",
            ErrorKind::TooMany => "FieldValueTooMany",
            ErrorKind::NotFound => "FieldValueNotFound",
            ErrorKind::Internal => "InternalError",
        }
    }
    fn text(self) -> &'static str {
        match self {
            ErrorKind::Required => "Required value",
            ErrorKind::Invalid => "Invalid value",
            ErrorKind::NotSupported => "Unsupported value",
            ErrorKind::Duplicate => "Duplicate value",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::TooLong => "Too long",
            ErrorKind::TooMany => "Too many",
            ErrorKind::NotFound => "Not found",
            ErrorKind::Internal => "Internal error",
        }
    }
}

/// One validation problem.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The rendered field path.
    pub field: String,
    /// The offending value, rendered (for Invalid/NotSupported/Duplicate), if any.
    pub value: Option<String>,
    /// Extra detail.
    pub detail: String,
}

impl FieldError {
    fn new(
        kind: ErrorKind,
        p: &FieldPath,
        value: Option<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: p.to_string(),
            value,
            detail: detail.into(),
        }
    }
    /// Required value.
    pub fn required(p: &FieldPath, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Required, p, None, detail)
    }
    /// Invalid value (the value is shown quoted, as upstream does for strings).
    pub fn invalid(p: &FieldPath, value: impl fmt::Display, detail: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Invalid,
            p,
            Some(go_quote(&value.to_string())),
            detail,
        )
    }
    /// Invalid value already rendered as Go prints it (`[]string{"/x"}`, a struct).
    pub fn invalid_rendered(p: &FieldPath, rendered: String, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, p, Some(rendered), detail)
    }
    /// Invalid value for a number (shown unquoted).
    pub fn invalid_number(p: &FieldPath, value: i64, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, p, Some(value.to_string()), detail)
    }
    /// Unsupported value, listing the supported ones.
    pub fn not_supported(p: &FieldPath, value: impl fmt::Display, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            format!(
                "supported values: {}",
                supported
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Self::new(
            ErrorKind::NotSupported,
            p,
            Some(go_quote(&value.to_string())),
            detail,
        )
    }
    /// Duplicate value.
    pub fn duplicate(p: &FieldPath, value: impl fmt::Display) -> Self {
        Self::new(
            ErrorKind::Duplicate,
            p,
            Some(go_quote(&value.to_string())),
            "",
        )
    }
    /// Forbidden.
    pub fn forbidden(p: &FieldPath, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, p, None, detail)
    }
    /// Too long.
    pub fn too_long(p: &FieldPath, max: usize) -> Self {
        Self::new(
            ErrorKind::TooLong,
            p,
            None,
            format!(
                "may not be more than {max} {}",
                if max == 1 { "byte" } else { "bytes" }
            ),
        )
    }
    /// Too many.
    pub fn too_many(p: &FieldPath, actual: usize, max: usize) -> Self {
        Self::new(
            ErrorKind::TooMany,
            p,
            Some(actual.to_string()),
            format!(
                "must have at most {max} {}",
                if max == 1 { "item" } else { "items" }
            ),
        )
    }
    /// Not found.
    pub fn not_found(p: &FieldPath, value: impl fmt::Display) -> Self {
        Self::new(
            ErrorKind::NotFound,
            p,
            Some(go_quote(&value.to_string())),
            "",
        )
    }
}

impl FieldError {
    /// The message without the field path, as upstream's `ErrorBody()`: what goes
    /// into a `StatusCause.message` (`Invalid value: "Bad_Name": a lowercase ...`).
    pub fn body(&self) -> String {
        let mut s = String::from(self.kind.text());
        if let Some(v) = &self.value {
            s.push_str(": ");
            s.push_str(v);
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    /// `metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// A list of field errors.
pub type ErrorList = Vec<FieldError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_upstream() {
        let p = FieldPath::root("spec")
            .child("containers")
            .index(0)
            .child("image");
        assert_eq!(
            FieldError::required(&p, "").to_string(),
            "spec.containers[0].image: Required value"
        );
        let p = FieldPath::root("metadata").child("labels").key("a");
        assert_eq!(
            FieldError::invalid(&p, "x y", "bad").to_string(),
            "metadata.labels[a]: Invalid value: \"x y\": bad"
        );
    }
}
