//! `apps/v1` ControllerRevisions (upstream `ValidateControllerRevision[Update]` in
//! `pkg/apis/apps/validation/validation.go` and
//! `pkg/registry/apps/controllerrevision/strategy.go`): `data` is required and never
//! changes, `revision` is not negative. An update is also validated as a create, as
//! upstream does (so metadata problems are reported by both passes).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::{Strategy, common};
use crate::validation::{IMMUTABLE, NameRule, nonnegative, validate_object_meta_update};

/// The controllerrevisions strategy.
pub struct ControllerRevisionStrategy;

fn data(obj: &Value) -> Option<&Value> {
    obj.get("data").filter(|d| !d.is_null())
}

fn validate_revision(obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    match data(obj) {
        None => errs.push(FieldError::required(
            &FieldPath::root("data"),
            "data is mandatory",
        )),
        // Deviation: upstream stores any JSON value here (a RawExtension), but
        // publishes `data` as an object and typed clients cannot list a
        // revision whose data is `true` or `5`; those are refused.
        Some(d) if !d.is_object() => errs.push(FieldError::invalid(
            &FieldPath::root("data"),
            d.to_string(),
            "must be a JSON object",
        )),
        Some(_) => {}
    }
    errs.extend(nonnegative(
        obj.get("revision"),
        &FieldPath::root("revision"),
    ));
    errs
}

/// Go's `%#v` of the `runtime.Unknown` upstream holds `data` in (its raw bytes are the
/// JSON the client sent, written here compactly); `"null"` when there is none.
fn go_unknown(data: Option<&Value>) -> String {
    let Some(d) = data else {
        return "\"null\"".to_string();
    };
    let bytes: Vec<String> = d.to_string().bytes().map(|b| format!("{b:#x}")).collect();
    format!(
        "runtime.Unknown{{TypeMeta:runtime.TypeMeta{{APIVersion:\"\", Kind:\"\"}}, Raw:[]uint8{{{}}}, ContentEncoding:\"\", ContentType:\"application/json\"}}",
        bytes.join(", ")
    )
}

impl Strategy for ControllerRevisionStrategy {
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(obj, true, NameRule::Dns1123Subdomain, validate_revision)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(self.validate(new));
        if data(new) != data(old) {
            errs.push(FieldError::invalid_rendered(
                &FieldPath::root("data"),
                go_unknown(data(new)),
                IMMUTABLE,
            ));
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: ErrorList) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    fn cr(extra: Value) -> Value {
        let mut o = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                           "metadata": {"name": "web-6d4f5", "namespace": "default"},
                           "data": {"spec": {}}, "revision": 1});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    }

    #[test]
    fn accepts_a_revision() {
        let mut o = cr(json!({}));
        ControllerRevisionStrategy.prepare_for_create(&mut o);
        assert!(o["metadata"].get("generation").is_none());
        assert!(ControllerRevisionStrategy.validate(&o).is_empty());
        assert!(
            ControllerRevisionStrategy
                .validate(&cr(json!({"revision": 0})))
                .is_empty()
        );
    }

    #[test]
    fn data_required_and_revision_not_negative() {
        let mut o = cr(json!({"revision": -1}));
        o.as_object_mut().unwrap().remove("data");
        assert_eq!(
            msgs(ControllerRevisionStrategy.validate(&o)),
            [
                "data: Required value: data is mandatory",
                "revision: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
    }

    #[test]
    fn update_keeps_data_and_revalidates() {
        let old = cr(json!({}));
        let mut new = cr(json!({"revision": 2}));
        assert!(
            ControllerRevisionStrategy
                .validate_update(&new, &old)
                .is_empty()
        );
        new["data"] = json!({"a": 1});
        new["metadata"]["labels"] = json!({"-bad": "x"});
        let label = "metadata.labels: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        assert_eq!(
            msgs(ControllerRevisionStrategy.validate_update(&new, &old)),
            [
                label,
                label,
                "data: Invalid value: runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:\"\", Kind:\"\"}, Raw:[]uint8{0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d}, ContentEncoding:\"\", ContentType:\"application/json\"}: field is immutable",
            ]
        );
    }
}
