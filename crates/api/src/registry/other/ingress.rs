//! Ingresses (upstream `pkg/registry/networking/ingress/strategy.go`).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::names;
use crate::validation::one_of;
use crate::validation::value::{arr_at, obj_at, str_at};

/// The ingresses strategy.
pub struct IngressStrategy;

impl Strategy for IngressStrategy {
    fn prepare_for_create(&self, obj: &mut Value) {
        common::prepare_create(obj, json!({"loadBalancer": {}}));
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::prepare_update(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and_spec(obj, validate_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_and_spec_update(new, old, validate_spec)
    }
}

fn validate_backend(b: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let svc = obj_at(b, &["service"]);
    let res = obj_at(b, &["resource"]);
    match (svc, res) {
        (Some(_), Some(_)) => errs.push(FieldError::invalid(
            p,
            "",
            "cannot set both resource and service backends",
        )),
        (None, None) => errs.push(FieldError::invalid(
            p,
            "",
            "resource or service backend is required",
        )),
        (Some(_), None) => {
            let name = str_at(b, &["service", "name"]);
            for msg in names::is_dns1035_label(name) {
                errs.push(FieldError::invalid(
                    &p.child("service").child("name"),
                    name,
                    msg,
                ));
            }
            let has_num = b.pointer("/service/port/number").is_some();
            let has_name = b.pointer("/service/port/name").is_some();
            if has_num == has_name {
                errs.push(FieldError::invalid(
                    &p.child("service").child("port"),
                    "",
                    "port name or number is required",
                ));
            }
        }
        _ => {}
    }
    errs
}

fn validate_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    let rules = arr_at(spec, &["rules"]);
    let default = spec.get("defaultBackend").filter(|b| !b.is_null());
    if rules.is_empty() && default.is_none() {
        errs.push(FieldError::invalid(
            &sp.child("rules"),
            "",
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(b) = default {
        errs.extend(validate_backend(b, &sp.child("defaultBackend")));
    }
    for (i, r) in rules.iter().enumerate() {
        let rp = sp.child("rules").index(i);
        let host = str_at(r, &["host"]);
        if !host.is_empty() {
            for msg in names::is_dns1123_subdomain(host.strip_prefix("*.").unwrap_or(host)) {
                errs.push(FieldError::invalid(&rp.child("host"), host, msg));
            }
        }
        for (j, path) in arr_at(r, &["http", "paths"]).iter().enumerate() {
            let pp = rp.child("http").child("paths").index(j);
            let pt = str_at(path, &["pathType"]);
            if path.get("pathType").is_none_or(Value::is_null) {
                errs.push(FieldError::required(
                    &pp.child("pathType"),
                    "pathType must be specified",
                ));
            } else {
                errs.extend(one_of(
                    pt,
                    &["Exact", "ImplementationSpecific", "Prefix"],
                    true,
                    &pp.child("pathType"),
                ));
            }
            let p = str_at(path, &["path"]);
            if pt != "ImplementationSpecific" && !p.starts_with('/') {
                errs.push(FieldError::invalid(
                    &pp.child("path"),
                    p,
                    "must be an absolute path",
                ));
            }
            errs.extend(validate_backend(
                path.get("backend").unwrap_or(&Value::Null),
                &pp.child("backend"),
            ));
        }
    }
    errs
}
