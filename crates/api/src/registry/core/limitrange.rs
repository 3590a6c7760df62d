//! LimitRanges (upstream `ValidateLimitRange`, the limitrange strategy and
//! `SetDefaults_LimitRangeItem`): each item a known (or qualified) type, not repeated;
//! resource names valid for the item's type; `default`/`defaultRequest` forbidden for
//! `Pod` items; a PVC item bounding `storage`; min <= defaultRequest <= default <= max
//! and a limit/request ratio of at least 1 and at most max/min. A `Container` item's
//! `default` falls back to `max`, its `defaultRequest` to `default`, then `min`.
//! A LimitRange created without a name is given a random one.
//!
//! Also the resource-name rules and quantity helpers the ResourceQuota strategy shares
//! (upstream's `pkg/apis/core/helper` and `validateResourceName`).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use apimachinery::gofmt::go_quote;
use serde_json::{Map, Value};

use crate::registry::{Strategy, common};
use crate::validation::names::is_qualified_name;
use crate::validation::quantity::Format;
use crate::validation::value::{arr_at, obj_at, obj_mut, str_at};
use crate::validation::{NameRule, Quantity, quantity_of, validate_object_meta};

/// The limitranges strategy.
pub struct LimitRangeStrategy;

// ---- resource names (upstream `pkg/apis/core/helper`), shared with ResourceQuota ----

const STANDARD_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "pid",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
];

const STANDARD_QUOTA_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];

const INTEGER_RESOURCES: &[&str] = &[
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
    "pid",
];

const LIMIT_TYPES: &[&str] = &["Pod", "Container", "PersistentVolumeClaim"];

fn is_hugepages(n: &str) -> bool {
    n.starts_with("hugepages-")
}

fn is_quota_hugepages(n: &str) -> bool {
    n.starts_with("hugepages-") || n.starts_with("requests.hugepages-")
}

/// `IsStandardResourceName`.
pub fn is_standard_resource(n: &str) -> bool {
    STANDARD_RESOURCES.contains(&n) || is_quota_hugepages(n)
}

/// `IsStandardQuotaResourceName`.
pub fn is_standard_quota_resource(n: &str) -> bool {
    STANDARD_QUOTA_RESOURCES.contains(&n) || is_quota_hugepages(n)
}

/// `IsStandardContainerResourceName`.
pub fn is_standard_container_resource(n: &str) -> bool {
    matches!(n, "cpu" | "memory" | "ephemeral-storage") || is_hugepages(n)
}

/// `IsNativeResource`: unprefixed, or in a `kubernetes.io/` namespace.
pub fn is_native_resource(n: &str) -> bool {
    !n.contains('/') || n.contains("kubernetes.io/")
}

/// `IsExtendedResourceName`: not native, not `requests.`-prefixed, and a qualified
/// name once prefixed with `requests.`.
pub fn is_extended_resource(n: &str) -> bool {
    if is_native_resource(n) || n.starts_with("requests.") {
        return false;
    }
    is_qualified_name(&format!("requests.{n}")).is_empty()
}

/// `IsIntegerResourceName`.
pub fn is_integer_resource(n: &str) -> bool {
    INTEGER_RESOURCES.contains(&n) || is_extended_resource(n)
}

/// `IsOvercommitAllowed`.
pub fn is_overcommit_allowed(n: &str) -> bool {
    is_native_resource(n) && !is_hugepages(n) && n != "pid"
}

/// A `core.ResourceName` as a bad value: upstream prints it through its `String()`,
/// unquoted.
fn bad_name(p: &FieldPath, name: &str, detail: impl Into<String>) -> FieldError {
    FieldError::invalid_rendered(p, name.to_string(), detail)
}

/// `validateResourceName`: a qualified name, and a standard resource when unprefixed.
pub fn validate_resource_name(name: &str, p: &FieldPath) -> ErrorList {
    let errs: ErrorList = is_qualified_name(name)
        .into_iter()
        .map(|m| bad_name(p, name, m))
        .collect();
    if !errs.is_empty() {
        return errs;
    }
    if !name.contains('/') && !is_standard_resource(name) {
        return vec![bad_name(
            p,
            name,
            "must be a standard resource type or fully qualified",
        )];
    }
    errs
}

/// `validateContainerResourceName`.
pub fn validate_container_resource_name(name: &str, p: &FieldPath) -> ErrorList {
    let mut errs = validate_resource_name(name, p);
    if !name.contains('/') {
        if !is_standard_container_resource(name) {
            errs.push(bad_name(
                p,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native_resource(name) && !is_extended_resource(name) {
        errs.push(bad_name(
            p,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
    errs
}

// ---- quantities ----

/// A `resource.Quantity` as upstream's field errors print one passed by value (Go's
/// `%#v` of the struct): its internal amount as `resource.ParseQuantity` builds it from
/// the canonical form, and the cached string when `cached`. Quantities whose digits do
/// not fit the int64 fast path are held by upstream as a `*inf.Dec`, whose address
/// cannot be reproduced.
pub fn go_quantity(q: &Quantity, cached: bool) -> String {
    let s = q.to_string();
    let format = match q.format() {
        Format::BinarySI => "BinarySI",
        Format::DecimalSI => "DecimalSI",
        Format::DecimalExponent => "DecimalExponent",
    };
    let (amount, dec, cache_ok) = match fast_amount(&s) {
        Some((value, scale, canonical)) => (
            format!("resource.int64Amount{{value:{value}, scale:{scale}}}"),
            "(*inf.Dec)(nil)",
            canonical,
        ),
        None => (
            "resource.int64Amount{value:0, scale:0}".to_string(),
            "(*inf.Dec)(0xc000010000)",
            false,
        ),
    };
    let shown = if cached || cache_ok { s.as_str() } else { "" };
    format!(
        "resource.Quantity{{i:{amount}, d:resource.infDecAmount{{Dec:{dec}}}, s:{}, Format:\"{format}\"}}",
        go_quote(shown)
    )
}

/// `(value, scale, string cached by the parse)` of `ParseQuantity`'s int64 fast path
/// for a canonical quantity string, or `None` for its arbitrary-precision path.
fn fast_amount(s: &str) -> Option<(i64, i32, bool)> {
    if s == "0" {
        return Some((0, 0, true));
    }
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(digits_end);
    let value: i64 = num.parse().ok()?;
    let sign = if neg { -1 } else { 1 };
    let binary = match suffix {
        "Ki" => Some(10),
        "Mi" => Some(20),
        "Gi" => Some(30),
        "Ti" => Some(40),
        "Pi" => Some(50),
        "Ei" => Some(60),
        _ => None,
    };
    if let Some(exp) = binary {
        let precision = 15 - num.len() as i32 - (exp * 3 / 10) - 1;
        if precision < 0 {
            return None;
        }
        let v = value.checked_mul(1i64 << exp)?;
        return Some((sign * v, 0, value & 7 != 0));
    }
    let scale = match suffix {
        "n" => -9,
        "u" => -6,
        "m" => -3,
        "" => 0,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        e => e.strip_prefix(['e', 'E'])?.parse().ok()?,
    };
    if 18 - (num.len() as i32) < 0 || scale < -9 {
        return None;
    }
    let canonical = scale % 3 == 0 && !num.ends_with("000") && !num.starts_with('0');
    Some((sign * value, scale, canonical))
}

/// `SetDefaults_ResourceList`: every quantity rounded up to milli precision.
pub fn round_up_to_milli(list: Option<&mut Value>) {
    let Some(Value::Object(m)) = list else { return };
    for v in m.values_mut() {
        let Ok(q) = quantity_of(v) else { continue };
        if q.nanos() % 1_000_000 == 0 {
            continue;
        }
        let milli = q.milli_value();
        let text = if q.format() == Format::DecimalExponent {
            format!("{milli}e-3")
        } else {
            format!("{milli}m")
        };
        if let Ok(r) = Quantity::parse(&text) {
            *v = Value::String(r.to_string());
        }
    }
}

/// The quantities of a resource list, in the list's order (unparsable ones skipped:
/// the decoder has already refused them).
fn quantities(item: &Value, key: &str) -> Vec<(String, Quantity)> {
    obj_at(item, &[key])
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| quantity_of(v).ok().map(|q| (k.clone(), q)))
        .collect()
}

// ---- defaults ----

fn default_item(item: &mut Value) {
    let Some(m) = item.as_object_mut() else {
        return;
    };
    if m.get("type").and_then(Value::as_str) == Some("Container") {
        let list = |m: &Map<String, Value>, k: &str| -> Map<String, Value> {
            m.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (max, min) = (list(m, "max"), list(m, "min"));
        let mut default = list(m, "default");
        let mut request = list(m, "defaultRequest");
        for (k, v) in &max {
            default.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &default {
            request.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &min {
            request.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in [("default", default), ("defaultRequest", request)] {
            if !v.is_empty() {
                m.insert(k.to_string(), Value::Object(v));
            }
        }
    }
    for k in [
        "max",
        "min",
        "default",
        "defaultRequest",
        "maxLimitRequestRatio",
    ] {
        round_up_to_milli(m.get_mut(k));
    }
}

// ---- validation ----

fn validate_type_name(ty: &str, p: &FieldPath) -> ErrorList {
    let errs: ErrorList = is_qualified_name(ty)
        .into_iter()
        .map(|m| FieldError::invalid(p, ty, m))
        .collect();
    if !errs.is_empty() {
        return errs;
    }
    if !ty.contains('/') && !LIMIT_TYPES.contains(&ty) {
        return vec![FieldError::invalid(
            p,
            ty,
            "must be a standard limit type or fully qualified",
        )];
    }
    errs
}

fn validate_item_resource_name(ty: &str, name: &str, p: &FieldPath) -> ErrorList {
    match ty {
        "Pod" | "Container" => validate_container_resource_name(name, p),
        _ => validate_resource_name(name, p),
    }
}

fn find<'a>(list: &'a [(String, Quantity)], k: &str) -> Option<&'a Quantity> {
    list.iter().find(|(n, _)| n == k).map(|(_, q)| q)
}

/// An invalid quantity passed by value after upstream printed it (its string cached).
fn bad_quantity(p: &FieldPath, q: &Quantity, detail: String) -> FieldError {
    FieldError::invalid_rendered(p, go_quantity(q, true), detail)
}

fn validate_item(item: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let ty = str_at(item, &["type"]);
    let lists = [
        "max",
        "min",
        "default",
        "defaultRequest",
        "maxLimitRequestRatio",
    ];
    let mut keys: Vec<String> = Vec::new();
    let mut parsed: Vec<Vec<(String, Quantity)>> = Vec::new();
    for list in lists {
        let mut q = quantities(item, list);
        let skip = ty == "Pod" && matches!(list, "default" | "defaultRequest");
        if skip {
            if !q.is_empty() {
                errs.push(FieldError::forbidden(
                    &p.child(list),
                    "may not be specified when `type` is 'Pod'",
                ));
            }
            q.clear();
        }
        if list == "maxLimitRequestRatio" && ty == "PersistentVolumeClaim" {
            let has = |l: &[(String, Quantity)]| l.iter().any(|(n, _)| n == "storage");
            if !has(&parsed[0]) && !has(&parsed[1]) {
                errs.push(FieldError::required(
                    &p.child("limits"),
                    "either minimum or maximum storage value is required, but neither was provided",
                ));
            }
        }
        for (k, _) in &q {
            errs.extend(validate_item_resource_name(ty, k, &p.child(list).key(k)));
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        parsed.push(q);
    }
    keys.sort();
    let one = Quantity::parse("1").expect("1 is a quantity");
    for k in &keys {
        let (max, min) = (find(&parsed[0], k), find(&parsed[1], k));
        let (def, req, ratio) = (
            find(&parsed[2], k),
            find(&parsed[3], k),
            find(&parsed[4], k),
        );
        // each pair must be ordered; the value reported is upstream's choice of the two
        let ordered = [
            ("min", min, "max", max, "min", true),
            ("min", min, "default request", req, "defaultRequest", false),
            ("default request", req, "max", max, "defaultRequest", true),
            (
                "default request",
                req,
                "default limit",
                def,
                "defaultRequest",
                true,
            ),
            ("min", min, "default", def, "default", true),
            ("default", def, "max", max, "default", false),
        ];
        for (low_name, low, high_name, high, field, show_low) in ordered {
            if let (Some(lo), Some(hi)) = (low, high)
                && lo > hi
            {
                errs.push(bad_quantity(
                    &p.child(field).key(k),
                    if show_low { lo } else { hi },
                    format!("{low_name} value {lo} is greater than {high_name} value {hi}"),
                ));
            }
        }
        if let Some(r) = ratio {
            if *r < one {
                errs.push(bad_quantity(
                    &p.child("maxLimitRequestRatio").key(k),
                    r,
                    format!("ratio {r} is less than 1"),
                ));
            }
            if let (Some(mn), Some(mx)) = (min, max) {
                errs.extend(ratio_above_max_over_min(
                    r,
                    mn,
                    mx,
                    &p.child("maxLimitRequestRatio").key(k),
                ));
            }
        }
        if let (Some(df), Some(rq)) = (def, req)
            && !is_overcommit_allowed(k)
            && df != rq
        {
            errs.push(bad_quantity(
                &p.child("defaultRequest").key(k),
                rq,
                format!("default value {df} must equal to defaultRequest value {rq} in {k}"),
            ));
        }
    }
    errs
}

/// The ratio may not exceed max/min (compared in milli-units when everything is small
/// enough, else in whole units, as upstream).
fn ratio_above_max_over_min(
    r: &Quantity,
    mn: &Quantity,
    mx: &Quantity,
    p: &FieldPath,
) -> ErrorList {
    const MAX_MILLI_VALUE: i128 = (i64::MAX / 1000) as i128;
    let (mut ratio, mut lo, mut hi) = (r.value() as f64, mn.value(), mx.value());
    if r.value() < MAX_MILLI_VALUE && lo < MAX_MILLI_VALUE && hi < MAX_MILLI_VALUE {
        ratio = r.milli_value() as f64 / 1000.0;
        lo = mn.milli_value();
        hi = mx.milli_value();
    }
    let limit = hi as f64 / lo as f64;
    if ratio > limit {
        vec![bad_quantity(
            p,
            r,
            format!("ratio {r} is greater than max/min = {limit:.6}"),
        )]
    } else {
        vec![]
    }
}

/// `ValidateLimitRange`.
pub fn validate_limit_range(obj: &Value) -> ErrorList {
    let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
    let lp = FieldPath::root("spec").child("limits");
    let mut types: Vec<&str> = Vec::new();
    for (i, item) in arr_at(obj, &["spec", "limits"]).iter().enumerate() {
        let p = lp.index(i);
        let ty = str_at(item, &["type"]);
        errs.extend(validate_type_name(ty, &p.child("type")));
        if types.contains(&ty) {
            errs.push(FieldError::duplicate(&p.child("type"), ty));
        }
        types.push(ty);
        errs.extend(validate_item(item, &p));
    }
    errs
}

impl Strategy for LimitRangeStrategy {
    fn default(&self, obj: &mut Value) {
        let Some(limits) = obj
            .get_mut("spec")
            .and_then(|s| s.get_mut("limits"))
            .and_then(Value::as_array_mut)
        else {
            return;
        };
        for item in limits.iter_mut() {
            default_item(item);
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        // upstream names a nameless LimitRange with a fresh UUID; the object's new uid is one
        let meta = obj_mut(obj, "metadata");
        let unnamed = meta
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if unnamed && let Some(uid) = meta.get("uid").and_then(Value::as_str) {
            let uid = uid.to_string();
            meta.insert("name".to_string(), Value::String(uid));
        }
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        validate_limit_range(obj)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_update_and(new, old, validate_limit_range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lr(limits: Value) -> Value {
        json!({"metadata": {"name": "lr", "namespace": "d"}, "spec": {"limits": limits}})
    }

    fn errors(obj: &Value) -> Vec<String> {
        let mut obj = obj.clone();
        LimitRangeStrategy.default(&mut obj);
        LimitRangeStrategy
            .validate(&obj)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn q(s: &str) -> String {
        go_quantity(&Quantity::parse(s).unwrap(), true)
    }

    #[test]
    fn container_defaults_fill_from_max_default_and_min() {
        let mut obj = lr(json!([
            {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m", "ephemeral-storage": "1Gi"},
             "default": {"cpu": "1"}},
            {"type": "Pod", "max": {"cpu": "100u"}}
        ]));
        LimitRangeStrategy.default(&mut obj);
        let item = &obj["spec"]["limits"][0];
        assert_eq!(item["default"], json!({"cpu": "1", "memory": "1Gi"}));
        assert_eq!(
            item["defaultRequest"],
            json!({"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"})
        );
        // Pod items get no defaults; lists are rounded up to milli precision
        assert!(obj["spec"]["limits"][1].get("default").is_none());
        assert_eq!(obj["spec"]["limits"][1]["max"]["cpu"], "1m");
        assert!(LimitRangeStrategy.validate(&obj).is_empty());
    }

    #[test]
    fn unnamed_limit_range_gets_a_name() {
        let mut obj =
            json!({"metadata": {"namespace": "d", "uid": "6d1e0d1e-1111-4a4a-8b8b-123456789abc"}});
        LimitRangeStrategy.prepare_for_create(&mut obj);
        assert_eq!(
            obj["metadata"]["name"],
            "6d1e0d1e-1111-4a4a-8b8b-123456789abc"
        );
        assert!(LimitRangeStrategy.validate(&obj).is_empty());
    }

    #[test]
    fn types() {
        assert_eq!(
            errors(&lr(json!([{}]))),
            [
                "spec.limits[0].type: Invalid value: \"\": name part must be non-empty",
                "spec.limits[0].type: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ]
        );
        assert_eq!(
            errors(&lr(json!([{"type": "Foo"}]))),
            [
                "spec.limits[0].type: Invalid value: \"Foo\": must be a standard limit type or fully qualified"
            ]
        );
        assert!(errors(&lr(json!([{"type": "example.com/Foo"}]))).is_empty());
        assert_eq!(
            errors(&lr(json!([{"type": "Pod"}, {"type": "Pod"}]))),
            ["spec.limits[1].type: Duplicate value: \"Pod\""]
        );
    }

    #[test]
    fn resource_names() {
        assert_eq!(
            errors(&lr(json!([{"type": "Container", "max": {"foo": "1"}}]))),
            [
                "spec.limits[0].max[foo]: Invalid value: foo: must be a standard resource type or fully qualified",
                "spec.limits[0].max[foo]: Invalid value: foo: must be a standard resource for containers",
                "spec.limits[0].default[foo]: Invalid value: foo: must be a standard resource type or fully qualified",
                "spec.limits[0].default[foo]: Invalid value: foo: must be a standard resource for containers",
                "spec.limits[0].defaultRequest[foo]: Invalid value: foo: must be a standard resource type or fully qualified",
                "spec.limits[0].defaultRequest[foo]: Invalid value: foo: must be a standard resource for containers",
            ]
        );
        assert_eq!(
            errors(&lr(
                json!([{"type": "Pod", "min": {"kubernetes.io/x": "1", "example.com/gpu": "1"}}])
            )),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&lr(
                json!([{"type": "PersistentVolumeClaim", "max": {"pods": "1", "storage": "1Gi"}}])
            )),
            Vec::<String>::new()
        );
    }

    #[test]
    fn pod_and_pvc_items() {
        assert_eq!(
            errors(&lr(
                json!([{"type": "Pod", "max": {"cpu": "1"}, "default": {"cpu": "1"}, "defaultRequest": {"cpu": "1"}}])
            )),
            [
                "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
                "spec.limits[0].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
            ]
        );
        assert_eq!(
            errors(&lr(
                json!([{"type": "PersistentVolumeClaim", "max": {"requests.storage": "1Gi"}}])
            )),
            [
                "spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided"
            ]
        );
    }

    #[test]
    fn ordering_of_bounds() {
        let obj = lr(
            json!([{"type": "Pod", "min": {"cpu": "2"}, "max": {"cpu": "1"}, "maxLimitRequestRatio": {"memory": "500m"}}]),
        );
        assert_eq!(
            errors(&obj),
            [
                format!(
                    "spec.limits[0].min[cpu]: Invalid value: {}: min value 2 is greater than max value 1",
                    q("2")
                ),
                format!(
                    "spec.limits[0].maxLimitRequestRatio[memory]: Invalid value: {}: ratio 500m is less than 1",
                    q("500m")
                ),
            ]
        );
        assert_eq!(
            q("2"),
            "resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"2\", Format:\"DecimalSI\"}"
        );
        let obj = lr(
            json!([{"type": "Container", "min": {"cpu": "500m"}, "max": {"cpu": "1"},
                               "default": {"cpu": "2"}, "defaultRequest": {"cpu": "100m"}}]),
        );
        assert_eq!(
            errors(&obj),
            [
                format!(
                    "spec.limits[0].defaultRequest[cpu]: Invalid value: {}: min value 500m is greater than default request value 100m",
                    q("100m")
                ),
                format!(
                    "spec.limits[0].default[cpu]: Invalid value: {}: default value 2 is greater than max value 1",
                    q("1")
                ),
            ]
        );
        let obj = lr(
            json!([{"type": "Container", "max": {"memory": "1Gi"}, "min": {"memory": "512Mi"},
                               "default": {"memory": "512Mi"}, "defaultRequest": {"memory": "1Gi"},
                               "maxLimitRequestRatio": {"memory": "3"}}]),
        );
        assert_eq!(
            errors(&obj),
            [
                format!(
                    "spec.limits[0].defaultRequest[memory]: Invalid value: {}: default request value 1Gi is greater than default limit value 512Mi",
                    q("1Gi")
                ),
                format!(
                    "spec.limits[0].maxLimitRequestRatio[memory]: Invalid value: {}: ratio 3 is greater than max/min = 2.000000",
                    q("3")
                ),
            ]
        );
        assert_eq!(
            q("1Gi"),
            "resource.Quantity{i:resource.int64Amount{value:1073741824, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"1Gi\", Format:\"BinarySI\"}"
        );
        let obj = lr(
            json!([{"type": "Container", "max": {"cpu": "1"}, "defaultRequest": {"cpu": "2"}, "default": {"cpu": "3"}}]),
        );
        assert_eq!(
            errors(&obj)[0],
            format!(
                "spec.limits[0].defaultRequest[cpu]: Invalid value: {}: default request value 2 is greater than max value 1",
                q("2")
            )
        );
        let obj = lr(
            json!([{"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "2"}, "default": {"cpu": "1"}}]),
        );
        assert!(errors(&obj).contains(&format!(
            "spec.limits[0].default[cpu]: Invalid value: {}: min value 2 is greater than default value 1",
            q("2")
        )));
    }

    #[test]
    fn resources_that_cannot_overcommit() {
        let obj = lr(
            json!([{"type": "Container", "default": {"hugepages-2Mi": "4Mi"}, "defaultRequest": {"hugepages-2Mi": "2Mi"}}]),
        );
        assert_eq!(
            errors(&obj),
            [format!(
                "spec.limits[0].defaultRequest[hugepages-2Mi]: Invalid value: {}: default value 4Mi must equal to defaultRequest value 2Mi in hugepages-2Mi",
                q("2Mi")
            )]
        );
    }

    #[test]
    fn quantity_rendering() {
        let parse = |s: &str| Quantity::parse(s).unwrap();
        assert_eq!(
            go_quantity(&parse("1500m"), false),
            "resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"1500m\", Format:\"DecimalSI\"}"
        );
        // a binary mantissa divisible by 8 is not cached by the parse
        assert!(go_quantity(&parse("8Ki"), false).contains(
            "value:8192, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"\""
        ));
        assert!(go_quantity(&parse("-5e3"), true).contains("value:-5, scale:3}"));
        assert!(go_quantity(&parse("0"), false).contains("value:0, scale:0}"));
    }
}
