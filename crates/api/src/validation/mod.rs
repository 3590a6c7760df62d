//! Shared validators for built-in objects held as `serde_json::Value`:
//! names, object metadata, labels and selectors, quantities, pod specs
//! (containers, ports, probes, resources). They only collect field errors
//! with upstream's paths and messages; they never change the object.

pub mod conditions;
pub mod names;
pub mod objectmeta;
pub mod pod;
pub use apimachinery::quantity;
pub mod value;

use apimachinery::field::{ErrorKind, FieldError, FieldPath};
use serde_json::Value;

pub use names::NameRule;
pub use objectmeta::{
    validate_annotations, validate_label_selector, validate_labels, validate_object_meta,
    validate_object_meta_update,
};
pub use quantity::Quantity;

/// upstream's `FieldImmutableErrorMsg`.
pub const IMMUTABLE: &str = "field is immutable";

/// `Invalid value` with the value rendered as upstream's field errors render it:
/// strings quoted, numbers and bools bare, `null`, anything else as JSON.
pub fn invalid(p: &FieldPath, v: &Value, detail: impl Into<String>) -> FieldError {
    FieldError {
        kind: ErrorKind::Invalid,
        field: p.to_string(),
        value: Some(render(v)),
        detail: detail.into(),
    }
}

/// `Invalid value` whose value is already rendered (e.g. a Go-style map).
pub fn invalid_raw(
    p: &FieldPath,
    rendered: impl Into<String>,
    detail: impl Into<String>,
) -> FieldError {
    FieldError {
        kind: ErrorKind::Invalid,
        field: p.to_string(),
        value: Some(rendered.into()),
        detail: detail.into(),
    }
}

/// Render a value the way upstream's `field.Error` does.
pub fn render(v: &Value) -> String {
    match v {
        Value::String(s) => apimachinery::gofmt::go_quote(s),
        Value::Null => "null".to_string(),
        Value::Number(_) | Value::Bool(_) => v.to_string(),
        _ => v.to_string(),
    }
}

/// `ValidateNonnegativeField`.
pub fn nonnegative(v: Option<&Value>, p: &FieldPath) -> Vec<FieldError> {
    match v.and_then(Value::as_i64) {
        Some(n) if n < 0 => vec![FieldError::invalid_number(
            p,
            n,
            "must be greater than or equal to 0",
        )],
        _ => vec![],
    }
}

/// `ValidateImmutableField`: `field is immutable` if `new != old`.
pub fn immutable(new: Option<&Value>, old: Option<&Value>, p: &FieldPath) -> Vec<FieldError> {
    let norm = |v: Option<&Value>| match v {
        None | Some(Value::Null) => Value::Null,
        Some(v) => v.clone(),
    };
    let (n, o) = (norm(new), norm(old));
    if n == o {
        vec![]
    } else {
        vec![invalid(p, &n, IMMUTABLE)]
    }
}

/// `NotSupported` if the string value is set and not in `supported`;
/// `Required` if `required` and it is empty.
pub fn one_of(v: &str, supported: &[&str], required: bool, p: &FieldPath) -> Vec<FieldError> {
    if v.is_empty() {
        if required {
            return vec![FieldError::required(p, "")];
        }
        return vec![];
    }
    if supported.contains(&v) {
        vec![]
    } else {
        vec![FieldError::not_supported(p, v, supported)]
    }
}

/// Validate a `resource.Quantity` field: it parses and is not negative.
pub fn nonnegative_quantity(v: &Value, p: &FieldPath) -> (Vec<FieldError>, Option<Quantity>) {
    match quantity_of(v) {
        Err(msg) => (vec![invalid(p, v, msg)], None),
        Ok(q) if q.is_negative() => (
            vec![invalid(
                p,
                &Value::String(q.to_string()),
                "must be greater than or equal to 0",
            )],
            Some(q),
        ),
        Ok(q) => (vec![], Some(q)),
    }
}

/// A quantity from its JSON form (a string, or a bare number as clients may send).
pub fn quantity_of(v: &Value) -> Result<Quantity, String> {
    match v {
        Value::String(s) => Quantity::parse(s),
        Value::Number(n) => Quantity::parse(&n.to_string()),
        _ => Err(quantity::ERR_FORMAT.to_string()),
    }
}

/// Validate an `IntOrString` percent-or-count (`maxSurge`, `maxUnavailable`, PDB
/// `minAvailable`): a non-negative int, or `N%`.
pub fn int_or_percent(v: &Value, p: &FieldPath) -> Vec<FieldError> {
    match v {
        Value::Number(_) => nonnegative(Some(v), p),
        Value::String(s) => match s.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()) {
            Some(n) if n < 0 => vec![invalid(p, v, "must be greater than or equal to 0")],
            Some(_) => vec![],
            None => vec![invalid(
                p,
                v,
                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            )],
        },
        _ => vec![invalid(p, v, "must be an integer or percentage (e.g '5%')")],
    }
}

/// The integer value of an int-or-percent, given the total (percent rounds as upstream:
/// `round_up` for maxSurge, down for maxUnavailable).
pub fn int_or_percent_value(v: Option<&Value>, total: i64, round_up: bool) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()) {
            Some(pct) => {
                let x = pct * total;
                if round_up { (x + 99) / 100 } else { x / 100 }
            }
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn helpers() {
        let p = FieldPath::root("spec").child("replicas");
        assert_eq!(
            nonnegative(Some(&json!(-1)), &p)[0].to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(
            immutable(Some(&json!("a")), Some(&json!("b")), &p)[0].to_string(),
            "spec.replicas: Invalid value: \"a\": field is immutable"
        );
        assert!(int_or_percent(&json!("25%"), &p).is_empty());
        assert_eq!(int_or_percent(&json!("x"), &p).len(), 1);
        assert_eq!(int_or_percent_value(Some(&json!("25%")), 3, true), 1);
        assert_eq!(int_or_percent_value(Some(&json!("25%")), 3, false), 0);
    }
}
