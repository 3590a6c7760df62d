//! Nodes (upstream `pkg/registry/core/node/strategy.go` and `SetDefaults_NodeStatus`): a
//! registering node agent creates its Node with its status (capacity, allocatable,
//! addresses, nodeInfo), which is kept on create, unlike other kinds' status;
//! `status.allocatable` defaults to `status.capacity`. A spec update keeps the status, a
//! status update keeps the spec.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::{Strategy, common};
use crate::validation::NameRule;
use crate::validation::value::arr_at;

/// The nodes strategy.
pub struct NodeStrategy;

impl Strategy for NodeStrategy {
    fn default(&self, obj: &mut Value) {
        let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) else {
            return;
        };
        let missing = status.get("allocatable").is_none_or(Value::is_null);
        if missing && let Some(cap) = status.get("capacity").filter(|c| c.is_object()).cloned() {
            status.insert("allocatable".into(), cap);
        }
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::keep_spec(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(obj, false, NameRule::Dns1123Subdomain, validate_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_update_and(new, old, validate_spec)
    }
}

/// upstream's `ValidateNode`, the spec part most clients touch: taints.
fn validate_spec(obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let p = FieldPath::root("spec").child("taints");
    let mut seen: Vec<(String, String)> = Vec::new();
    for (i, t) in arr_at(obj, &["spec", "taints"]).iter().enumerate() {
        let tp = p.index(i);
        let key = t.get("key").and_then(Value::as_str).unwrap_or("");
        if key.is_empty() {
            errs.push(FieldError::required(&tp.child("key"), ""));
        } else {
            for m in apimachinery::validation::is_qualified_name(key) {
                errs.push(FieldError::invalid(&tp.child("key"), key, m));
            }
        }
        let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
        match effect {
            "" => errs.push(FieldError::required(&tp.child("effect"), "")),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errs.push(FieldError::not_supported(
                &tp.child("effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        let pair = (key.to_string(), effect.to_string());
        if seen.contains(&pair) {
            errs.push(FieldError::duplicate(
                &tp,
                "taints must be unique by key and effect pair",
            ));
        }
        seen.push(pair);
    }
    errs
}
