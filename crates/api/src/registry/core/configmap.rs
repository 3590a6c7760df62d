//! ConfigMaps (upstream `pkg/registry/core/configmap/strategy.go`): keys, the 1 MiB
//! size limit, and `immutable`.

use std::collections::HashSet;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::{Strategy, common};
use crate::validation::names;
use crate::validation::value::{bool_at, obj_at};
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// upstream's `MaxSecretSize` (also the ConfigMap limit): 1 MiB.
pub const MAX_SIZE: usize = 1024 * 1024;

/// The configmaps strategy.
pub struct ConfigMapStrategy;

impl Strategy for ConfigMapStrategy {
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        let mut seen = HashSet::new();
        let mut total = 0;
        for field in ["data", "binaryData"] {
            let p = FieldPath::root(field);
            for (k, v) in obj_at(obj, &[field]).into_iter().flatten() {
                for msg in names::is_config_map_key(k) {
                    errs.push(FieldError::invalid(&p, k, msg));
                }
                if !seen.insert(k.clone()) {
                    errs.push(FieldError::invalid(
                        &p,
                        k,
                        "duplicate of key present in data",
                    ));
                }
                total += v.as_str().map(str::len).unwrap_or(0);
            }
        }
        if total > MAX_SIZE {
            // upstream reports the whole object at the root path, which renders as `[]`
            errs.push(FieldError::too_long(&FieldPath::root("[]"), MAX_SIZE));
        }
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(immutable_data(new, old, &["data", "binaryData"]));
        errs.extend(
            self.validate(new)
                .into_iter()
                .filter(|e| !e.field.starts_with("metadata")),
        );
        errs
    }
}

/// upstream's rule for objects with `immutable: true`: neither the data nor the flag may change.
pub fn immutable_data(new: &Value, old: &Value, fields: &[&str]) -> ErrorList {
    let mut errs = ErrorList::new();
    if bool_at(old, &["immutable"]) != Some(true) {
        return errs;
    }
    if bool_at(new, &["immutable"]) != Some(true) {
        errs.push(FieldError::forbidden(
            &FieldPath::root("immutable"),
            "field is immutable when `immutable` is set",
        ));
    }
    for f in fields {
        if common::differs(new.get(*f), old.get(*f)) {
            errs.push(FieldError::forbidden(
                &FieldPath::root(f),
                "field is immutable when `immutable` is set",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_immutability() {
        let s = ConfigMapStrategy;
        let cm = json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"a.conf": "x", "bad key": "y"}});
        let errs = s.validate(&cm);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with("data: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
        let old = json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"a": "1"}, "immutable": true});
        let new = json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"a": "2"}, "immutable": true});
        assert_eq!(
            s.validate_update(&new, &old)[0].to_string(),
            "data: Forbidden: field is immutable when `immutable` is set"
        );
    }
}
