//! Jobs (upstream `pkg/registry/batch/job/strategy.go`, `batch/v1` defaults):
//! completions/parallelism, backoffLimit, completionMode, suspend,
//! podReplacementPolicy; the generated selector and pod labels
//! (`batch.kubernetes.io/controller-uid`, `job-name`) unless `manualSelector`.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::core::podspec::default_pod_template;
use crate::registry::{Strategy, common};
use crate::validation::pod::validate_pod_template;
use crate::validation::value::{bool_at, default_nil, get, obj_at, obj_mut, str_at};
use crate::validation::{
    NameRule, immutable, nonnegative, one_of, validate_label_selector, validate_object_meta,
    validate_object_meta_update,
};

/// The jobs strategy.
pub struct JobStrategy;

/// Default a JobSpec (also used, minus the Job-object parts, by CronJob templates).
pub fn default_job_spec(spec: &mut Value) {
    let Some(m) = spec.as_object_mut() else {
        return;
    };
    if matches!(m.get("completions"), None | Some(Value::Null))
        && matches!(m.get("parallelism"), None | Some(Value::Null))
    {
        m.insert("completions".into(), json!(1));
        m.insert("parallelism".into(), json!(1));
    }
    default_nil(m, "parallelism", json!(1));
    if matches!(m.get("backoffLimit"), None | Some(Value::Null)) {
        let per_index = m.get("backoffLimitPerIndex").is_some_and(|v| !v.is_null());
        m.insert(
            "backoffLimit".into(),
            json!(if per_index { i32::MAX as i64 } else { 6 }),
        );
    }
    default_nil(m, "completionMode", json!("NonIndexed"));
    default_nil(m, "suspend", json!(false));
    let has_pfp = m.get("podFailurePolicy").is_some_and(|v| !v.is_null());
    default_nil(
        m,
        "podReplacementPolicy",
        json!(if has_pfp {
            "Failed"
        } else {
            "TerminatingOrFailed"
        }),
    );
    if let Some(Value::Array(rules)) = m
        .get_mut("podFailurePolicy")
        .and_then(|p| p.get_mut("rules"))
    {
        for r in rules {
            if let Some(Value::Array(conds)) = r.get_mut("onPodConditions") {
                for c in conds.iter_mut().filter_map(Value::as_object_mut) {
                    default_nil(c, "status", json!("True"));
                }
            }
        }
    }
    if let Some(t) = m.get_mut("template") {
        default_pod_template(t);
    }
}

impl Strategy for JobStrategy {
    fn default(&self, obj: &mut Value) {
        if let Some(spec) = obj.get_mut("spec") {
            default_job_spec(spec);
        }
        if let Some(tl) = obj_at(obj, &["spec", "template", "metadata", "labels"]).cloned() {
            let meta = obj_mut(obj, "metadata");
            if meta
                .get("labels")
                .and_then(Value::as_object)
                .is_none_or(|l| l.is_empty())
            {
                meta.insert("labels".into(), Value::Object(tl));
            }
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(obj, json!({}));
        if bool_at(obj, &["spec", "manualSelector"]) != Some(true) {
            generate_selector(obj);
        }
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_job_spec(
            obj.get("spec").unwrap_or(&Value::Null),
            &FieldPath::root("spec"),
            true,
        ));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        let sp = FieldPath::root("spec");
        errs.extend(validate_job_spec(
            new.get("spec").unwrap_or(&Value::Null),
            &sp,
            true,
        ));
        errs.extend(immutable(
            get(new, &["spec", "selector"]),
            get(old, &["spec", "selector"]),
            &sp.child("selector"),
        ));
        errs.extend(immutable(
            get(new, &["spec", "completionMode"]),
            get(old, &["spec", "completionMode"]),
            &sp.child("completionMode"),
        ));
        // the template is immutable except for suspended jobs that never started
        let suspended_unstarted = bool_at(old, &["spec", "suspend"]) == Some(true)
            && get(old, &["status", "startTime"]).is_none_or(Value::is_null);
        if !suspended_unstarted {
            errs.extend(immutable(
                get(new, &["spec", "template"]),
                get(old, &["spec", "template"]),
                &sp.child("template"),
            ));
        }
        errs
    }
}

fn generate_selector(obj: &mut Value) {
    let uid = str_at(obj, &["metadata", "uid"]).to_string();
    let name = str_at(obj, &["metadata", "name"]).to_string();
    if uid.is_empty() {
        return;
    }
    let spec = obj_mut(obj, "spec");
    let template = spec.entry("template").or_insert_with(|| json!({}));
    let labels = obj_mut(template, "metadata")
        .entry("labels")
        .or_insert_with(|| json!({}));
    if let Some(l) = labels.as_object_mut() {
        l.entry("controller-uid").or_insert(json!(uid));
        l.entry("job-name").or_insert(json!(name));
        l.entry("batch.kubernetes.io/controller-uid")
            .or_insert(json!(uid));
        l.entry("batch.kubernetes.io/job-name")
            .or_insert(json!(name));
    }
    if spec.get("selector").is_none_or(Value::is_null) {
        spec.insert(
            "selector".into(),
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        );
    }
}

/// Validate a JobSpec at `p`; `need_selector` is false inside CronJob templates.
pub fn validate_job_spec(spec: &Value, p: &FieldPath, need_selector: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    for f in [
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
    ] {
        errs.extend(nonnegative(spec.get(f), &p.child(f)));
    }
    if let Some(a) = spec.get("activeDeadlineSeconds").and_then(Value::as_i64)
        && a == 0
    {
        errs.push(FieldError::invalid_number(
            &p.child("activeDeadlineSeconds"),
            0,
            "must be greater than 0",
        ));
    }
    errs.extend(one_of(
        str_at(spec, &["completionMode"]),
        &["Indexed", "NonIndexed"],
        false,
        &p.child("completionMode"),
    ));
    if str_at(spec, &["completionMode"]) == "Indexed"
        && get(spec, &["completions"]).is_none_or(Value::is_null)
    {
        errs.push(FieldError::required(
            &p.child("completions"),
            "when completion mode is Indexed",
        ));
    }
    match spec.get("selector").filter(|s| !s.is_null()) {
        Some(sel) => errs.extend(validate_label_selector(sel, &p.child("selector"))),
        None if need_selector => errs.push(FieldError::required(&p.child("selector"), "")),
        None => {}
    }
    match spec.get("template").filter(|t| t.is_object()) {
        None => errs.push(FieldError::required(&p.child("template"), "")),
        Some(t) => {
            let tp = p.child("template");
            errs.extend(validate_pod_template(t, &tp));
            errs.extend(one_of(
                str_at(t, &["spec", "restartPolicy"]),
                &["OnFailure", "Never"],
                true,
                &tp.child("spec").child("restartPolicy"),
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_create_job() {
        let s = JobStrategy;
        let mut j = json!({"metadata": {"name": "pi", "namespace": "default", "uid": "u-1"},
            "spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": "pi", "image": "perl:5"}], "restartPolicy": "Never"}}}});
        s.default(&mut j);
        s.prepare_for_create(&mut j);
        assert_eq!(j["spec"]["completions"], 1);
        assert_eq!(j["spec"]["parallelism"], 1);
        assert_eq!(j["spec"]["backoffLimit"], 6);
        assert_eq!(j["spec"]["completionMode"], "NonIndexed");
        assert_eq!(j["spec"]["podReplacementPolicy"], "TerminatingOrFailed");
        assert_eq!(
            j["spec"]["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}})
        );
        assert_eq!(
            j["spec"]["template"]["metadata"]["labels"]["job-name"],
            "pi"
        );
        assert_eq!(s.validate(&j), vec![]);
        let mut bad = j.clone();
        bad["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        assert_eq!(
            s.validate(&bad)[0].to_string(),
            "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""
        );
    }
}
