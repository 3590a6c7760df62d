//! Namespaces (upstream `pkg/registry/core/namespace/strategy.go`): the
//! `kubernetes.io/metadata.name` label, the `kubernetes` finalizer and phase `Active`.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::names;
use crate::validation::value::{arr_at, obj_mut, str_at};
use crate::validation::{NameRule, validate_object_meta, validate_object_meta_update};

/// The namespaces strategy.
pub struct NamespaceStrategy;

/// The label every namespace carries with its own name.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

impl Strategy for NamespaceStrategy {
    fn default(&self, obj: &mut Value) {
        let name = str_at(obj, &["metadata", "name"]).to_string();
        if !name.is_empty() {
            let meta = obj_mut(obj, "metadata");
            let labels = meta.entry("labels").or_insert_with(|| json!({}));
            if !labels.is_object() {
                *labels = json!({});
            }
            labels[NAME_LABEL] = json!(name);
        }
        let status = obj_mut(obj, "status");
        crate::validation::value::default_zero(status, "phase", json!("Active"));
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        common::reset_status(obj, json!({"phase": "Active"}));
        let spec = obj_mut(obj, "spec");
        let f = spec.entry("finalizers").or_insert_with(|| json!([]));
        if let Some(list) = f.as_array_mut()
            && !list.iter().any(|x| x == "kubernetes")
        {
            list.push(json!("kubernetes"));
        }
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        // spec.finalizers only change through /finalize
        let old_f = old.get("spec").and_then(|s| s.get("finalizers")).cloned();
        let spec = obj_mut(new, "spec");
        match old_f {
            Some(f) => spec.insert("finalizers".into(), f),
            None => spec.remove("finalizers"),
        };
        common::keep_status(new, old);
        common::keep_generation(new, old);
    }

    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }

    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, false, NameRule::Dns1123Label);
        errs.extend(validate_spec_finalizers(obj));
        errs
    }

    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(validate_spec_finalizers(new));
        errs
    }
}

fn validate_spec_finalizers(obj: &Value) -> ErrorList {
    let p = FieldPath::root("spec").child("finalizers");
    let mut errs = ErrorList::new();
    for f in arr_at(obj, &["spec", "finalizers"]) {
        let s = f.as_str().unwrap_or_default();
        for msg in names::is_qualified_name(s) {
            errs.push(FieldError::invalid(&p, s, msg));
        }
        if !s.contains('/') && s != "kubernetes" && !s.is_empty() {
            errs.push(FieldError::invalid(
                &p,
                s,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_create_namespace() {
        let s = NamespaceStrategy;
        let mut ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {}, "status": {}});
        s.default(&mut ns);
        s.prepare_for_create(&mut ns);
        assert_eq!(
            ns["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": "x"})
        );
        assert_eq!(ns["spec"], json!({"finalizers": ["kubernetes"]}));
        assert_eq!(ns["status"], json!({"phase": "Active"}));
        assert_eq!(s.validate(&ns), vec![]);
        let bad = json!({"metadata": {"name": "a.b"}});
        assert_eq!(
            s.validate(&bad)[0].to_string(),
            "metadata.name: Invalid value: \"a.b\": must not contain dots"
        );
        // the label cannot be changed by the client
        let mut upd = ns.clone();
        upd["metadata"]["labels"][NAME_LABEL] = json!("y");
        upd["spec"]["finalizers"] = json!([]);
        s.default(&mut upd);
        s.prepare_for_update(&mut upd, &ns);
        assert_eq!(upd["metadata"]["labels"][NAME_LABEL], "x");
        assert_eq!(upd["spec"]["finalizers"], json!(["kubernetes"]));
    }
}
