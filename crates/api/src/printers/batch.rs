//! Printers of jobs and cron jobs.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::apps::selector_string;
use super::duration::{parse_time, since};
use super::{
    ColumnDefinition, age, age_col, col, containers_images, containers_images_cols, doc,
    human_duration, name, name_col,
};
use crate::validation::value::{arr_at, bool_at, get, i64_at, str_at};

/// Job columns.
pub fn job_columns() -> Vec<ColumnDefinition> {
    let mut c = vec![
        name_col(),
        col("Status", "string", "Status of the job.", 0),
        col(
            "Completions",
            "string",
            doc("batch.v1.JobStatus", "succeeded"),
            0,
        ),
        col(
            "Duration",
            "string",
            "Time required to complete the job.",
            0,
        ),
        age_col(),
    ];
    c.extend(containers_images_cols());
    c.push(col(
        "Selector",
        "string",
        doc("batch.v1.JobSpec", "selector"),
        1,
    ));
    c
}

fn has_condition(obj: &Value, ty: &str) -> bool {
    arr_at(obj, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == ty && str_at(c, &["status"]) == "True")
}

/// Job row.
pub fn job_row(j: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let succeeded = i64_at(j, &["status", "succeeded"]).unwrap_or(0);
    let completions = match (
        i64_at(j, &["spec", "completions"]),
        i64_at(j, &["spec", "parallelism"]),
    ) {
        (Some(c), _) => format!("{succeeded}/{c}"),
        (None, Some(p)) if p > 1 => format!("{succeeded}/1 of {p}"),
        _ => format!("{succeeded}/1"),
    };
    let start = get(j, &["status", "startTime"])
        .and_then(Value::as_str)
        .and_then(parse_time);
    let done = get(j, &["status", "completionTime"])
        .and_then(Value::as_str)
        .and_then(parse_time);
    let duration = match (start, done) {
        (None, _) => String::new(),
        (Some(s), None) => human_duration(now - s),
        (Some(s), Some(d)) => human_duration(d - s),
    };
    let status = if has_condition(j, "Complete") {
        "Complete"
    } else if has_condition(j, "Failed") {
        "Failed"
    } else if get(j, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null()) {
        "Terminating"
    } else if has_condition(j, "SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else if has_condition(j, "FailureTarget") {
        "FailureTarget"
    } else if has_condition(j, "Suspended") {
        "Suspended"
    } else {
        "Running"
    };
    let (cs, is) = containers_images(get(j, &["spec", "template", "spec"]));
    vec![
        json!(name(j)),
        json!(status),
        json!(completions),
        json!(duration),
        json!(age(j, now)),
        json!(cs),
        json!(is),
        json!(selector_string(get(j, &["spec", "selector"]))),
    ]
}

/// CronJob columns.
pub fn cronjob_columns() -> Vec<ColumnDefinition> {
    let s = |p| doc("batch.v1.CronJobSpec", p);
    let mut c = vec![
        name_col(),
        col("Schedule", "string", s("schedule"), 0),
        col("Timezone", "string", s("timeZone"), 0),
        col("Suspend", "boolean", s("suspend"), 0),
        col(
            "Active",
            "integer",
            doc("batch.v1.CronJobStatus", "active"),
            0,
        ),
        col(
            "Last Schedule",
            "string",
            doc("batch.v1.CronJobStatus", "lastScheduleTime"),
            0,
        ),
        age_col(),
    ];
    c.extend(containers_images_cols());
    c.push(col(
        "Selector",
        "string",
        doc("batch.v1.JobSpec", "selector"),
        1,
    ));
    c
}

/// CronJob row.
pub fn cronjob_row(cj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let tz = str_at(cj, &["spec", "timeZone"]);
    let suspend = match bool_at(cj, &["spec", "suspend"]) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let last = match get(cj, &["status", "lastScheduleTime"]).and_then(Value::as_str) {
        Some(t) => since(Some(t), now),
        None => "<none>".to_string(),
    };
    let (cs, is) = containers_images(get(
        cj,
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ));
    vec![
        json!(name(cj)),
        json!(str_at(cj, &["spec", "schedule"])),
        json!(if tz.is_empty() { "<none>" } else { tz }),
        json!(suspend),
        json!(arr_at(cj, &["status", "active"]).len()),
        json!(last),
        json!(age(cj, now)),
        json!(cs),
        json!(is),
        json!(selector_string(get(
            cj,
            &["spec", "jobTemplate", "spec", "selector"]
        ))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_rows() {
        let now = parse_time("2024-01-01T00:10:00Z").unwrap();
        let j = json!({"metadata": {"name": "pi", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"completions": 1, "parallelism": 1, "template": {"spec": {"containers": [{"name": "pi", "image": "perl"}]}},
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}}},
            "status": {"succeeded": 1, "startTime": "2024-01-01T00:00:00Z", "completionTime": "2024-01-01T00:00:12Z",
                "conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(
            job_row(&j, now),
            vec![
                json!("pi"),
                json!("Complete"),
                json!("1/1"),
                json!("12s"),
                json!("10m"),
                json!("pi"),
                json!("perl"),
                json!("batch.kubernetes.io/controller-uid=u")
            ]
        );
        let cj = json!({"metadata": {"name": "hello"}, "spec": {"schedule": "*/1 * * * *", "suspend": false}});
        let row = cronjob_row(&cj, now);
        assert_eq!(row[2], "<none>");
        assert_eq!(row[3], "False");
        assert_eq!(row[5], "<none>");
        assert_eq!(row.len(), cronjob_columns().len());
    }
}
