//! RBAC kinds (upstream `pkg/apis/rbac/validation/validation.go`): a rule needs verbs and
//! either resources with API groups or non-resource URLs (cluster roles only), a binding
//! needs a roleRef to a Role or ClusterRole in `rbac.authorization.k8s.io` (ClusterRole only
//! for a ClusterRoleBinding) that never changes, and subjects of a known kind.

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::{Strategy, common};
use crate::validation::NameRule;
use crate::validation::value::{arr_at, str_at};

const GROUP: &str = "rbac.authorization.k8s.io";

/// The four RBAC kinds.
pub struct RbacStrategy {
    /// Role or RoleBinding (namespaced) rather than the cluster kinds.
    pub namespaced: bool,
    /// A binding rather than a role.
    pub binding: bool,
}

/// Go's `%#v` of a `[]string`.
fn go_strings(v: &[Value]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|s| apimachinery::gofmt::go_quote(s.as_str().unwrap_or("")))
        .collect();
    format!("[]string{{{}}}", items.join(", "))
}

fn validate_rules(obj: &Value, namespaced: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let p = FieldPath::root("rules");
    for (i, rule) in arr_at(obj, &["rules"]).iter().enumerate() {
        let rp = p.index(i);
        if arr_at(rule, &["verbs"]).is_empty() {
            errs.push(FieldError::required(
                &rp.child("verbs"),
                "verbs must contain at least one value",
            ));
        }
        let urls = arr_at(rule, &["nonResourceURLs"]);
        if !urls.is_empty() {
            let up = rp.child("nonResourceURLs");
            if namespaced {
                errs.push(FieldError::invalid_rendered(
                    &up,
                    go_strings(urls),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            let resources = ["apiGroups", "resources", "resourceNames"]
                .iter()
                .any(|f| !arr_at(rule, &[f]).is_empty());
            if resources {
                errs.push(FieldError::invalid_rendered(
                    &up,
                    go_strings(urls),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if arr_at(rule, &["apiGroups"]).is_empty() {
            errs.push(FieldError::required(
                &rp.child("apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if arr_at(rule, &["resources"]).is_empty() {
            errs.push(FieldError::required(
                &rp.child("resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errs
}

fn validate_binding(obj: &Value, namespaced: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let rr = FieldPath::root("roleRef");
    let api_group = str_at(obj, &["roleRef", "apiGroup"]);
    if api_group != GROUP {
        errs.push(FieldError::not_supported(
            &rr.child("apiGroup"),
            api_group,
            &[GROUP],
        ));
    }
    let kind = str_at(obj, &["roleRef", "kind"]);
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        errs.push(FieldError::not_supported(&rr.child("kind"), kind, kinds));
    }
    let name = str_at(obj, &["roleRef", "name"]);
    if name.is_empty() {
        errs.push(FieldError::required(&rr.child("name"), ""));
    } else {
        for m in NameRule::PathSegment.check(name, false) {
            errs.push(FieldError::invalid(&rr.child("name"), name, m));
        }
    }
    let sp = FieldPath::root("subjects");
    for (i, s) in arr_at(obj, &["subjects"]).iter().enumerate() {
        let p = sp.index(i);
        let name = str_at(s, &["name"]);
        if name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        }
        let group = str_at(s, &["apiGroup"]);
        match str_at(s, &["kind"]) {
            "ServiceAccount" => {
                if !name.is_empty() {
                    for m in NameRule::Dns1123Subdomain.check(name, false) {
                        errs.push(FieldError::invalid(&p.child("name"), name, m));
                    }
                }
                if !group.is_empty() {
                    errs.push(FieldError::not_supported(
                        &p.child("apiGroup"),
                        group,
                        &[""],
                    ));
                }
                if !namespaced && str_at(s, &["namespace"]).is_empty() {
                    errs.push(FieldError::required(&p.child("namespace"), ""));
                }
            }
            "User" | "Group" => {
                if group != GROUP {
                    errs.push(FieldError::not_supported(
                        &p.child("apiGroup"),
                        group,
                        &[GROUP],
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                &p.child("kind"),
                other,
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
    errs
}

/// Go's `%#v` of an `rbac.RoleRef`.
fn go_role_ref(obj: &Value) -> String {
    let q = |f: &str| apimachinery::gofmt::go_quote(str_at(obj, &["roleRef", f]));
    format!(
        "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
        q("apiGroup"),
        q("kind"),
        q("name")
    )
}

impl RbacStrategy {
    fn check(&self, obj: &Value) -> ErrorList {
        if self.binding {
            validate_binding(obj, self.namespaced)
        } else {
            validate_rules(obj, self.namespaced)
        }
    }
}

impl Strategy for RbacStrategy {
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(obj, self.namespaced, NameRule::PathSegment, |o| {
            self.check(o)
        })
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = common::validate_meta_update_and(new, old, |o| self.check(o));
        if self.binding && new.get("roleRef") != old.get("roleRef") {
            errs.push(FieldError::invalid_rendered(
                &FieldPath::root("roleRef"),
                go_role_ref(new),
                "cannot change roleRef",
            ));
        }
        errs
    }
}
