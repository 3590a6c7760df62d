//! IngressClasses (upstream `pkg/registry/networking/ingressclass/strategy.go`,
//! `ValidateIngressClass` and the v1 defaults): `parameters.scope` defaults to `Cluster`;
//! the generation follows the spec; `spec.controller` is required, a domain-prefixed path
//! of at most 250 bytes and immutable; `parameters` needs a kind and a name, and a
//! namespace exactly when its scope is `Namespace`.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::value::{get, get_mut, str_at};
use crate::validation::{IMMUTABLE, NameRule, names, validate_object_meta};

/// The ingressclasses strategy.
pub struct IngressClassStrategy;

const MAX_CONTROLLER_LEN: usize = 250;
const SCOPES: &[&str] = &["Cluster", "Namespace"];
const HTTP_PATH_FMT: &str = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+";

/// upstream's `IsDomainPrefixedPath`: `<DNS subdomain>/<HTTP path characters>`.
fn validate_domain_prefixed_path(v: &str, p: &FieldPath) -> ErrorList {
    if v.is_empty() {
        return vec![FieldError::required(p, "")];
    }
    let Some((host, path)) = v
        .split_once('/')
        .filter(|(h, r)| !h.is_empty() && !r.is_empty())
    else {
        return vec![FieldError::invalid(
            p,
            v,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        )];
    };
    let mut errs: ErrorList = names::is_dns1123_subdomain(host)
        .into_iter()
        .map(|m| FieldError::invalid(p, host, m))
        .collect();
    let path_ok = path
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"/-._~%!$&'()*+,;=:".contains(&c));
    if !path_ok {
        errs.push(FieldError::invalid(
            p,
            path,
            names::regex_error("Invalid path", HTTP_PATH_FMT, &[]),
        ));
    }
    errs
}

/// upstream's `validateIngressClassParametersReference`.
fn validate_parameters(params: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(group) = get(params, &["apiGroup"]).and_then(Value::as_str) {
        for m in names::is_dns1123_subdomain(group) {
            errs.push(FieldError::invalid(&p.child("apiGroup"), group, m));
        }
    }
    for field in ["kind", "name"] {
        let v = str_at(params, &[field]);
        if v.is_empty() {
            errs.push(FieldError::required(&p.child(field), ""));
        } else {
            for m in names::is_valid_path_segment_name(v) {
                errs.push(FieldError::invalid(&p.child(field), v, m));
            }
        }
    }
    let Some(scope) = get(params, &["scope"]).and_then(Value::as_str) else {
        errs.push(FieldError::required(&p.child("scope"), ""));
        return errs;
    };
    let namespace = get(params, &["namespace"]).and_then(Value::as_str);
    let np = p.child("namespace");
    match scope {
        "Namespace" => match namespace {
            None => errs.push(FieldError::required(
                &np,
                "`parameters.scope` is set to 'Namespace'",
            )),
            Some(ns) => {
                for m in names::is_dns1123_label(ns) {
                    errs.push(FieldError::invalid(&np, ns, m));
                }
            }
        },
        "Cluster" => {
            if namespace.is_some() {
                errs.push(FieldError::forbidden(
                    &np,
                    "`parameters.scope` is set to 'Cluster'",
                ));
            }
        }
        _ => errs.push(FieldError::not_supported(&p.child("scope"), scope, SCOPES)),
    }
    errs
}

/// upstream's `validateIngressClassSpec`.
fn validate_spec(obj: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let cp = sp.child("controller");
    let mut errs = ErrorList::new();
    let controller = str_at(obj, &["spec", "controller"]);
    if controller.is_empty() {
        errs.push(FieldError::required(&cp, ""));
    } else {
        if controller.len() > MAX_CONTROLLER_LEN {
            errs.push(FieldError::too_long(&cp, MAX_CONTROLLER_LEN));
        }
        errs.extend(validate_domain_prefixed_path(controller, &cp));
    }
    if let Some(params) = get(obj, &["spec", "parameters"]).filter(|v| !v.is_null()) {
        errs.extend(validate_parameters(params, &sp.child("parameters")));
    }
    errs
}

impl Strategy for IngressClassStrategy {
    fn default(&self, obj: &mut Value) {
        if let Some(m) = get_mut(obj, &["spec", "parameters"]).and_then(Value::as_object_mut)
            && matches!(m.get("scope"), None | Some(Value::Null))
        {
            m.insert("scope".to_string(), json!("Cluster"));
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::set_generation(obj, 1);
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
        common::bump_generation_if_changed(new, old, &["spec"]);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(obj, false, NameRule::Dns1123Subdomain, validate_spec)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = common::validate_meta_update_and(new, old, |_| ErrorList::new());
        let (n, o) = (
            str_at(new, &["spec", "controller"]),
            str_at(old, &["spec", "controller"]),
        );
        if n != o {
            errs.push(FieldError::invalid(
                &FieldPath::root("spec").child("controller"),
                n,
                IMMUTABLE,
            ));
        }
        errs.extend(validate_object_meta(new, false, NameRule::Dns1123Subdomain));
        errs.extend(validate_spec(new));
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(spec: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "nginx"}, "spec": spec})
    }

    fn check(spec: Value) -> Vec<String> {
        let s = IngressClassStrategy;
        let mut o = class(spec);
        s.default(&mut o);
        s.prepare_for_create(&mut o);
        s.validate(&o).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn valid_class_and_defaults() {
        let s = IngressClassStrategy;
        let mut o = class(json!({"controller": "k8s.io/ingress-nginx",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}}));
        s.default(&mut o);
        assert_eq!(o["spec"]["parameters"]["scope"], "Cluster");
        s.prepare_for_create(&mut o);
        assert_eq!(o["metadata"]["generation"], 1);
        assert_eq!(s.validate(&o), vec![]);
        let ns = json!({"controller": "example.com/ctl",
            "parameters": {"kind": "K", "name": "n", "scope": "Namespace", "namespace": "ns-1"}});
        assert_eq!(check(ns), Vec::<String>::new());
        assert_eq!(
            check(json!({"controller": "example.com/ctl"})),
            Vec::<String>::new()
        );
    }

    #[test]
    fn controller() {
        assert_eq!(check(json!({})), vec!["spec.controller: Required value"]);
        assert_eq!(
            check(json!({"controller": "nginx"})),
            vec![
                r#"spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")"#
            ]
        );
        assert_eq!(
            check(json!({"controller": "Example.com/a b"})),
            vec![
                r#"spec.controller: Invalid value: "Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                r#"spec.controller: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\-._~%!$&'()*+,;=:]+')"#,
            ]
        );
        let long = format!("example.com/{}", "a".repeat(250));
        assert_eq!(
            check(json!({"controller": long})),
            vec!["spec.controller: Too long: may not be more than 250 bytes"]
        );
    }

    #[test]
    fn parameters() {
        let p = |params: Value| check(json!({"controller": "example.com/c", "parameters": params}));
        assert_eq!(
            p(json!({"apiGroup": "Bad_Group", "kind": "a/b", "name": ".."})),
            vec![
                r#"spec.parameters.apiGroup: Invalid value: "Bad_Group": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                r#"spec.parameters.kind: Invalid value: "a/b": may not contain '/'"#,
                r#"spec.parameters.name: Invalid value: "..": may not be '..'"#,
            ]
        );
        assert_eq!(
            p(json!({})),
            vec![
                "spec.parameters.kind: Required value",
                "spec.parameters.name: Required value",
            ]
        );
        assert_eq!(
            p(json!({"kind": "K", "name": "n", "scope": "Global"})),
            vec![
                r#"spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace""#
            ]
        );
        assert_eq!(
            p(json!({"kind": "K", "name": "n", "scope": "Namespace"})),
            vec![
                "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"
            ]
        );
        assert_eq!(
            p(json!({"kind": "K", "name": "n", "scope": "Namespace", "namespace": "Bad.NS"})),
            vec![
                r#"spec.parameters.namespace: Invalid value: "Bad.NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#
            ]
        );
        assert_eq!(
            p(json!({"kind": "K", "name": "n", "namespace": "ns"})),
            vec!["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]
        );
        // scope is defaulted, so it is only missing when validated without defaulting
        let o =
            class(json!({"controller": "example.com/c", "parameters": {"kind": "K", "name": "n"}}));
        assert_eq!(
            IngressClassStrategy
                .validate(&o)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec!["spec.parameters.scope: Required value"]
        );
    }

    #[test]
    fn update() {
        let s = IngressClassStrategy;
        let mut old = class(json!({"controller": "example.com/a"}));
        old["metadata"]["generation"] = json!(1);
        let mut new = old.clone();
        new["spec"]["controller"] = json!("example.com/b");
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 2);
        assert_eq!(
            s.validate_update(&new, &old)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![r#"spec.controller: Invalid value: "example.com/b": field is immutable"#]
        );
        let mut new = old.clone();
        new["spec"]["parameters"] = json!({"kind": "K", "name": "n"});
        s.default(&mut new);
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 2);
        assert_eq!(s.validate_update(&new, &old), vec![]);
    }
}
