//! `metadata` validation shared by every kind (upstream's `ValidateObjectMeta`
//! and `ValidateObjectMetaUpdate`), plus labels, annotations and label selectors.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Map, Value};

use super::names::{self, NameRule};
use super::value::{arr_at, get, obj_at, str_at};
use super::{immutable, invalid, nonnegative};

/// upstream's `TotalAnnotationSizeLimitB` (256 KiB).
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Finalizer names without a `/` that upstream accepts.
pub const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// Validate `metadata` of a new object: name (or generateName) by `rule`,
/// namespace present iff `namespaced`, generation, labels, annotations,
/// owner references and finalizers.
pub fn validate_object_meta(obj: &Value, namespaced: bool, rule: NameRule) -> ErrorList {
    let p = FieldPath::root("metadata");
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let mut errs = ErrorList::new();
    let gen_name = str_at(meta, &["generateName"]);
    if !gen_name.is_empty() {
        for msg in rule.check(gen_name, true) {
            errs.push(FieldError::invalid(&p.child("generateName"), gen_name, msg));
        }
    }
    let name = str_at(meta, &["name"]);
    if name.is_empty() {
        errs.push(FieldError::required(
            &p.child("name"),
            "name or generateName is required",
        ));
    } else {
        for msg in rule.check(name, false) {
            errs.push(FieldError::invalid(&p.child("name"), name, msg));
        }
    }
    let ns = str_at(meta, &["namespace"]);
    if namespaced {
        if ns.is_empty() {
            errs.push(FieldError::required(&p.child("namespace"), ""));
        } else {
            for msg in names::is_dns1123_label(ns) {
                errs.push(FieldError::invalid(&p.child("namespace"), ns, msg));
            }
        }
    } else if !ns.is_empty() {
        errs.push(FieldError::forbidden(
            &p.child("namespace"),
            "not allowed on this type",
        ));
    }
    errs.extend(nonnegative(meta.get("generation"), &p.child("generation")));
    errs.extend(validate_labels(
        obj_at(meta, &["labels"]),
        &p.child("labels"),
    ));
    errs.extend(validate_annotations(
        obj_at(meta, &["annotations"]),
        &p.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        arr_at(meta, &["ownerReferences"]),
        &p.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(
        arr_at(meta, &["finalizers"]),
        &p.child("finalizers"),
    ));
    errs
}

/// Validate `metadata` of an update: the new metadata as on create (name rules are
/// not re-checked, the name cannot change) plus the immutable fields.
pub fn validate_object_meta_update(new: &Value, old: &Value) -> ErrorList {
    let p = FieldPath::root("metadata");
    let nm = new.get("metadata").unwrap_or(&Value::Null);
    let om = old.get("metadata").unwrap_or(&Value::Null);
    let mut errs = ErrorList::new();
    if om.get("deletionTimestamp").is_some_and(|v| !v.is_null()) {
        let old_f: Vec<&Value> = arr_at(om, &["finalizers"]).iter().collect();
        let extra: Vec<String> = arr_at(nm, &["finalizers"])
            .iter()
            .filter(|f| !old_f.contains(f))
            .map(|f| format!("{:?}", f.as_str().unwrap_or_default()))
            .collect();
        if !extra.is_empty() {
            errs.push(FieldError::forbidden(
                &p.child("finalizers"),
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    extra.join(", ")
                ),
            ));
        }
    }
    let (ng, og) = (
        nm.get("generation").and_then(Value::as_i64).unwrap_or(0),
        om.get("generation").and_then(Value::as_i64).unwrap_or(0),
    );
    if ng < og {
        errs.push(FieldError::invalid_number(
            &p.child("generation"),
            ng,
            "must not be decremented",
        ));
    }
    for f in ["name", "namespace", "uid", "creationTimestamp"] {
        errs.extend(immutable(nm.get(f), om.get(f), &p.child(f)));
    }
    errs.extend(nonnegative(nm.get("generation"), &p.child("generation")));
    errs.extend(validate_labels(obj_at(nm, &["labels"]), &p.child("labels")));
    errs.extend(validate_annotations(
        obj_at(nm, &["annotations"]),
        &p.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        arr_at(nm, &["ownerReferences"]),
        &p.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(
        arr_at(nm, &["finalizers"]),
        &p.child("finalizers"),
    ));
    errs
}

/// `ValidateLabels`: keys are qualified names, values label values (both reported at `p`).
pub fn validate_labels(labels: Option<&Map<String, Value>>, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    for (k, v) in labels.into_iter().flatten() {
        for msg in names::is_qualified_name(k) {
            errs.push(FieldError::invalid(p, k, msg));
        }
        match v {
            Value::String(s) => {
                for msg in names::is_valid_label_value(s) {
                    errs.push(FieldError::invalid(p, s, msg));
                }
            }
            Value::Null => {}
            other => errs.push(invalid(p, other, "must be a string")),
        }
    }
    errs
}

/// `ValidateAnnotations`: keys are qualified names (case-insensitive), total size <= 256 KiB.
pub fn validate_annotations(ann: Option<&Map<String, Value>>, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut total = 0usize;
    for (k, v) in ann.into_iter().flatten() {
        for msg in names::is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(p, k, msg));
        }
        total += k.len() + v.as_str().map(str::len).unwrap_or(0);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(p, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

fn validate_owner_references(refs: &[Value], p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut controllers = Vec::new();
    for r in refs {
        let api_version = str_at(r, &["apiVersion"]);
        let version = api_version.rsplit('/').next().unwrap_or("");
        if version.is_empty() {
            errs.push(FieldError::invalid(
                &p.child("apiVersion"),
                version,
                "version must not be empty",
            ));
        }
        let kind = str_at(r, &["kind"]);
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                &p.child("kind"),
                kind,
                "kind must not be empty",
            ));
        }
        if str_at(r, &["name"]).is_empty() {
            errs.push(FieldError::invalid(
                &p.child("name"),
                "",
                "name must not be empty",
            ));
        }
        if str_at(r, &["uid"]).is_empty() {
            errs.push(FieldError::invalid(
                &p.child("uid"),
                "",
                "uid must not be empty",
            ));
        }
        if get(r, &["controller"]).and_then(Value::as_bool) == Some(true) {
            controllers.push(format!("{}/{}", kind, str_at(r, &["name"])));
        }
    }
    if controllers.len() > 1 {
        errs.push(FieldError::invalid(
            p,
            "",
            format!(
                "Only one reference can have Controller set to true. Found \"true\" in references for {} and {}",
                controllers[0], controllers[1]
            ),
        ));
    }
    errs
}

fn validate_finalizers(finalizers: &[Value], p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let has_orphan = finalizers.iter().any(|f| f == "orphan");
    let has_fg = finalizers.iter().any(|f| f == "foregroundDeletion");
    for f in finalizers {
        let s = f.as_str().unwrap_or_default();
        for msg in names::is_qualified_name(s) {
            errs.push(FieldError::invalid(p, s, msg));
        }
        if !s.contains('/') && !STANDARD_FINALIZERS.contains(&s) && !s.is_empty() {
            errs.push(FieldError::invalid(
                p,
                s,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    if has_orphan && has_fg {
        errs.push(FieldError::invalid(
            p,
            "",
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// `ValidateLabelSelector` (metav1.LabelSelector): matchLabels and matchExpressions.
pub fn validate_label_selector(sel: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = validate_labels(obj_at(sel, &["matchLabels"]), &p.child("matchLabels"));
    for (i, e) in arr_at(sel, &["matchExpressions"]).iter().enumerate() {
        let ep = p.child("matchExpressions").index(i);
        let op = str_at(e, &["operator"]);
        let values = arr_at(e, &["values"]);
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        &ep.child("values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        &ep.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                &ep.child("operator"),
                op,
                "not a valid selector operator",
            )),
        }
        let key = str_at(e, &["key"]);
        for msg in names::is_qualified_name(key) {
            errs.push(FieldError::invalid(&ep.child("key"), key, msg));
        }
        for (j, v) in values.iter().enumerate() {
            let s = v.as_str().unwrap_or_default();
            for msg in names::is_valid_label_value(s) {
                errs.push(FieldError::invalid(&ep.child("values").index(j), s, msg));
            }
        }
    }
    errs
}

/// True if a metav1.LabelSelector has no requirements (matches everything).
pub fn selector_is_empty(sel: &Value) -> bool {
    obj_at(sel, &["matchLabels"]).is_none_or(|m| m.is_empty())
        && arr_at(sel, &["matchExpressions"]).is_empty()
}

/// True if the metav1.LabelSelector `sel` matches `labels`.
pub fn selector_matches(sel: &Value, labels: Option<&Map<String, Value>>) -> bool {
    let get_label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    for (k, v) in obj_at(sel, &["matchLabels"]).into_iter().flatten() {
        if get_label(k) != v.as_str() {
            return false;
        }
    }
    for e in arr_at(sel, &["matchExpressions"]) {
        let key = str_at(e, &["key"]);
        let values: Vec<&str> = arr_at(e, &["values"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let ok = match str_at(e, &["operator"]) {
            "In" => get_label(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => get_label(key).is_none_or(|v| !values.contains(&v)),
            "Exists" => get_label(key).is_some(),
            "DoesNotExist" => get_label(key).is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `metav1.FormatLabelSelector`: `app=nginx,tier in (web)`, `<none>` for an empty one.
pub fn format_label_selector(sel: Option<&Value>) -> String {
    let Some(sel) = sel.filter(|s| s.is_object()) else {
        return "<none>".to_string();
    };
    let mut parts: Vec<String> = Vec::new();
    let mut ml: Vec<(&String, &Value)> = obj_at(sel, &["matchLabels"])
        .into_iter()
        .flatten()
        .collect();
    ml.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in ml {
        parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
    }
    for e in arr_at(sel, &["matchExpressions"]) {
        let key = str_at(e, &["key"]);
        let mut values: Vec<&str> = arr_at(e, &["values"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        values.sort();
        parts.push(match str_at(e, &["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op}"),
        });
    }
    if parts.is_empty() {
        return "<none>".to_string();
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bad_name_gives_upstream_message() {
        let obj = json!({"metadata": {"name": "Bad_Name", "namespace": "default"}});
        let errs = validate_object_meta(&obj, true, NameRule::Dns1123Subdomain);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
    }

    #[test]
    fn name_namespace_labels() {
        let obj = json!({"metadata": {"labels": {"a b": "c"}}});
        let errs: Vec<String> = validate_object_meta(&obj, true, NameRule::Dns1123Subdomain)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs[0],
            "metadata.name: Required value: name or generateName is required"
        );
        assert_eq!(errs[1], "metadata.namespace: Required value");
        assert!(
            errs[2]
                .starts_with("metadata.labels: Invalid value: \"a b\": name part must consist of")
        );
        let obj = json!({"metadata": {"name": "x", "namespace": "default"}});
        assert_eq!(
            validate_object_meta(&obj, false, NameRule::Dns1123Label)[0].to_string(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
    }

    #[test]
    fn annotations_size() {
        let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let obj = json!({"metadata": {"name": "x", "annotations": {"a": big}}});
        let errs = validate_object_meta(&obj, false, NameRule::Dns1123Subdomain);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "metadata.annotations");
    }

    #[test]
    fn update_immutables() {
        let old = json!({"metadata": {"name": "x", "uid": "1", "generation": 2}});
        let new = json!({"metadata": {"name": "y", "uid": "1", "generation": 1}});
        let errs: Vec<String> = validate_object_meta_update(&new, &old)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert!(errs.contains(
            &"metadata.generation: Invalid value: 1: must not be decremented".to_string()
        ));
        assert!(
            errs.contains(&"metadata.name: Invalid value: \"y\": field is immutable".to_string())
        );
    }

    #[test]
    fn selectors() {
        let sel = json!({"matchLabels": {"app": "x"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]});
        let l = json!({"app": "x", "tier": "web"});
        assert!(selector_matches(&sel, l.as_object()));
        let l = json!({"app": "x", "tier": "db"});
        assert!(!selector_matches(&sel, l.as_object()));
        assert_eq!(format_label_selector(Some(&sel)), "app=x,tier in (api,web)");
        let bad = json!({"matchExpressions": [{"key": "a", "operator": "In"}]});
        assert_eq!(
            validate_label_selector(&bad, &FieldPath::root("spec").child("selector"))[0]
                .to_string(),
            "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
        );
    }
}
