//! ServiceAccounts (upstream `ValidateServiceAccount`, `ValidateServiceAccountUpdate`
//! and the serviceaccount strategy): object metadata with a DNS-1123 subdomain name;
//! each `secrets` reference is cut down to its name on create and update.

use apimachinery::field::ErrorList;
use serde_json::{Map, Value};

use crate::registry::{Strategy, common};
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// The serviceaccounts strategy.
pub struct ServiceAccountStrategy;

/// upstream's `cleanSecretReferences`: a reference keeps only its name.
fn clean_secret_references(obj: &mut Value) {
    let Some(secrets) = obj.get_mut("secrets").and_then(Value::as_array_mut) else {
        return;
    };
    for s in secrets.iter_mut() {
        let mut kept = Map::new();
        if let Some(name) = s
            .get("name")
            .filter(|n| n.as_str().is_some_and(|n| !n.is_empty()))
        {
            kept.insert("name".to_string(), name.clone());
        }
        *s = Value::Object(kept);
    }
}

fn validate_service_account(obj: &Value) -> ErrorList {
    validate_object_meta(obj, true, NameRule::Dns1123Subdomain)
}

impl Strategy for ServiceAccountStrategy {
    fn prepare_for_create(&self, obj: &mut Value) {
        clean_secret_references(obj);
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        clean_secret_references(new);
        common::keep_generation(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        validate_service_account(obj)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_service_account(new));
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_references_keep_their_names() {
        let s = ServiceAccountStrategy;
        let mut sa = json!({"metadata": {"name": "builder", "namespace": "d"},
            "secrets": [{"name": "tok", "namespace": "other", "uid": "u", "kind": "Secret"}, {"kind": "Secret"}],
            "automountServiceAccountToken": false});
        s.prepare_for_create(&mut sa);
        assert_eq!(sa["secrets"], json!([{"name": "tok"}, {}]));
        assert!(s.validate(&sa).is_empty());
        let mut new = sa.clone();
        new["secrets"] = json!([{"name": "b", "apiVersion": "v1"}]);
        s.prepare_for_update(&mut new, &sa);
        assert_eq!(new["secrets"], json!([{"name": "b"}]));
        assert!(s.validate_update(&new, &sa).is_empty());
    }

    #[test]
    fn names() {
        let s = ServiceAccountStrategy;
        let errs = s.validate(&json!({"metadata": {"namespace": "d"}}));
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
        let errs = s.validate(&json!({"metadata": {"name": "Bad_Name", "namespace": "d"}}));
        assert!(errs[0].to_string().starts_with(
            "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"
        ));
    }
}
