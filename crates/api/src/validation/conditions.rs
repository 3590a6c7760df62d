//! `metav1.Condition` lists (`status.conditions` of Services, PodDisruptionBudgets), as
//! upstream's `metav1validation.ValidateConditions` checks them: a qualified `type` once
//! each, a `status` of True/False/Unknown, a `lastTransitionTime`, a `reason` in its
//! pattern, bounded `reason` and `message`.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use apimachinery::validation::{is_qualified_name, regex_error};
use serde_json::Value;

const MAX_REASON_LEN: usize = 1024;
const MAX_MESSAGE_LEN: usize = 32 * 1024;
const REASON_FMT: &str = "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?";
const REASON_MSG: &str = "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'";

fn is_valid_reason(r: &str) -> bool {
    let b = r.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphabetic()
        && (last.is_ascii_alphanumeric() || *last == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b',' | b':'))
}

/// Validate a list of `metav1.Condition`s at `p`.
pub fn validate_conditions(conditions: Option<&Value>, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(list) = conditions.and_then(Value::as_array) else {
        return errs;
    };
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let cp = p.index(i);
        let s = |f: &str| c.get(f).and_then(Value::as_str).unwrap_or("");
        let ty = s("type");
        if seen.contains(&ty) {
            errs.push(FieldError::duplicate(&cp.child("type"), ty));
        } else {
            seen.push(ty);
        }
        if ty.is_empty() {
            errs.push(FieldError::required(&cp.child("type"), "must be set"));
        } else {
            for m in is_qualified_name(ty) {
                errs.push(FieldError::invalid(&cp.child("type"), ty, m));
            }
        }
        let status = s("status");
        if !matches!(status, "True" | "False" | "Unknown") {
            errs.push(FieldError::not_supported(
                &cp.child("status"),
                status,
                &["False", "True", "Unknown"],
            ));
        }
        if let Some(g) = c.get("observedGeneration").and_then(Value::as_i64)
            && g < 0
        {
            errs.push(FieldError::invalid_number(
                &cp.child("observedGeneration"),
                g,
                "must be greater than or equal to zero",
            ));
        }
        if s("lastTransitionTime").is_empty() {
            errs.push(FieldError::required(
                &cp.child("lastTransitionTime"),
                "must be set",
            ));
        }
        let reason = s("reason");
        if reason.is_empty() {
            errs.push(FieldError::required(&cp.child("reason"), "must be set"));
        } else {
            if !is_valid_reason(reason) {
                errs.push(FieldError::invalid(
                    &cp.child("reason"),
                    reason,
                    regex_error(
                        REASON_MSG,
                        REASON_FMT,
                        &[
                            "my_name",
                            "MY_NAME",
                            "MyName",
                            "ReasonA,ReasonB",
                            "ReasonA:ReasonB",
                        ],
                    ),
                ));
            }
            if reason.len() > MAX_REASON_LEN {
                errs.push(FieldError::too_long(&cp.child("reason"), MAX_REASON_LEN));
            }
        }
        if s("message").len() > MAX_MESSAGE_LEN {
            errs.push(FieldError::too_long(&cp.child("message"), MAX_MESSAGE_LEN));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn upstream_rules() {
        let p = FieldPath::root("status").child("conditions");
        let ok = json!([{"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z", "reason": "AllGood"}]);
        assert!(validate_conditions(Some(&ok), &p).is_empty());
        let bad = json!([{}, {"type": "Ready", "status": "x", "reason": "9bad", "observedGeneration": -1}]);
        let msgs: Vec<String> = validate_conditions(Some(&bad), &p)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            msgs[0],
            "status.conditions[0].type: Required value: must be set"
        );
        assert!(
            msgs.contains(
                &"status.conditions[0].lastTransitionTime: Required value: must be set".to_string()
            ),
            "{msgs:?}"
        );
        assert!(msgs.contains(&"status.conditions[1].status: Unsupported value: \"x\": supported values: \"False\", \"True\", \"Unknown\"".to_string()), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("status.conditions[1].reason: Invalid value: \"9bad\": a condition reason must start")), "{msgs:?}");
        assert!(msgs.contains(&"status.conditions[1].observedGeneration: Invalid value: -1: must be greater than or equal to zero".to_string()), "{msgs:?}");
    }
}
