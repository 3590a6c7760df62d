//! CronJobs (upstream `pkg/registry/batch/cronjob/strategy.go`, `batch/v1` defaults).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use super::job::validate_job_spec;
use crate::registry::core::podspec::default_pod_template;
use crate::registry::{Strategy, common};
use crate::validation::value::{default_nil, get_mut, obj_mut, str_at};
use crate::validation::{NameRule, nonnegative, one_of, validate_object_meta};

/// The cronjobs strategy.
pub struct CronJobStrategy;

impl Strategy for CronJobStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        default_nil(spec, "concurrencyPolicy", json!("Allow"));
        default_nil(spec, "suspend", json!(false));
        default_nil(spec, "successfulJobsHistoryLimit", json!(3));
        default_nil(spec, "failedJobsHistoryLimit", json!(1));
        if let Some(t) = get_mut(obj, &["spec", "jobTemplate", "spec", "template"]) {
            default_pod_template(t);
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(obj, json!({}));
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        let name = str_at(obj, &["metadata", "name"]);
        if name.len() > 52 {
            errs.push(FieldError::invalid(
                &FieldPath::root("metadata").child("name"),
                name,
                "must be no more than 52 characters",
            ));
        }
        errs.extend(validate_spec(obj.get("spec").unwrap_or(&Value::Null)));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_and_spec_update(new, old, validate_spec)
    }
}

fn validate_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    let schedule = str_at(spec, &["schedule"]);
    if schedule.is_empty() {
        errs.push(FieldError::required(&sp.child("schedule"), ""));
    } else if !valid_schedule(schedule) {
        errs.push(FieldError::invalid(
            &sp.child("schedule"),
            schedule,
            format!("unparseable schedule: {schedule}"),
        ));
    }
    errs.extend(one_of(
        str_at(spec, &["concurrencyPolicy"]),
        &["Allow", "Forbid", "Replace"],
        true,
        &sp.child("concurrencyPolicy"),
    ));
    for f in [
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ] {
        errs.extend(nonnegative(spec.get(f), &sp.child(f)));
    }
    let jt = sp.child("jobTemplate").child("spec");
    errs.extend(validate_job_spec(
        spec.get("jobTemplate")
            .and_then(|t| t.get("spec"))
            .unwrap_or(&Value::Null),
        &jt,
        false,
    ));
    errs
}

/// A loose check of a cron schedule: a `@` macro or five fields.
fn valid_schedule(s: &str) -> bool {
    let s = s.trim();
    let s = match s.strip_prefix("TZ=").or_else(|| s.strip_prefix("CRON_TZ=")) {
        Some(rest) => rest.split_once(' ').map(|x| x.1).unwrap_or(""),
        None => s,
    };
    if let Some(m) = s.strip_prefix('@') {
        return matches!(
            m,
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly"
        ) || m.starts_with("every ");
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-' | '?'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_create_cronjob() {
        let s = CronJobStrategy;
        let mut c = json!({"metadata": {"name": "hello", "namespace": "default"},
            "spec": {"schedule": "*/1 * * * *", "jobTemplate": {"metadata": {"name": "hello"}, "spec": {"template": {"metadata": {},
                "spec": {"containers": [{"name": "hello", "image": "busybox"}], "restartPolicy": "OnFailure"}}}}}});
        s.default(&mut c);
        s.prepare_for_create(&mut c);
        assert_eq!(c["spec"]["concurrencyPolicy"], "Allow");
        assert_eq!(c["spec"]["successfulJobsHistoryLimit"], 3);
        assert_eq!(
            c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["schedulerName"],
            "default-scheduler"
        );
        assert_eq!(s.validate(&c), vec![]);
        c["spec"]["schedule"] = json!("not a schedule");
        assert_eq!(s.validate(&c)[0].field, "spec.schedule");
    }
}
