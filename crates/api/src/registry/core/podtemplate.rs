//! PodTemplates (upstream `pkg/registry/core/podtemplate/strategy.go`): a pod template on
//! its own, defaulted and validated as a workload's template is; `metadata.generation`
//! starts at 1 and moves when the template changes.

use apimachinery::field::{ErrorList, FieldPath};
use serde_json::Value;

use crate::registry::core::podspec::default_pod_template;
use crate::registry::{Strategy, common};
use crate::validation::NameRule;
use crate::validation::pod::validate_pod_template;

/// The podtemplates strategy.
pub struct PodTemplateStrategy;

fn validate_template(obj: &Value) -> ErrorList {
    match obj.get("template").filter(|t| !t.is_null()) {
        Some(t) => validate_pod_template(t, &FieldPath::root("template")),
        None => ErrorList::new(),
    }
}

impl Strategy for PodTemplateStrategy {
    fn default(&self, obj: &mut Value) {
        if let Some(t) = obj.get_mut("template").filter(|t| t.is_object()) {
            default_pod_template(t);
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::set_generation(obj, 1);
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
        common::bump_generation_if_changed(new, old, &["template"]);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(obj, true, NameRule::Dns1123Subdomain, validate_template)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_update_and(new, old, validate_template)
    }
}
