//! `storage.k8s.io/v1` StorageClasses and CSIDrivers (upstream
//! `pkg/apis/storage/validation/validation.go`, `pkg/apis/storage/v1/defaults.go` and
//! `pkg/registry/storage/{storageclass,csidriver}/strategy.go`).
//!
//! A StorageClass needs a provisioner (a qualified name once lowercased), parameters of
//! bounded size, a supported reclaim policy and binding mode (defaulted to `Delete` and
//! `Immediate`) and well-formed allowed topologies; its provisioner, parameters, reclaim
//! policy and binding mode never change. A CSIDriver's boolean switches are defaulted and
//! then required, its enums checked, its token requests bounded; `attachRequired` and
//! `volumeLifecycleModes` never change. Feature gates are taken at their v1.37 defaults.

use std::collections::BTreeSet;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Map, Value, json};

use crate::registry::{Strategy, common};
use crate::validation::names::is_qualified_name;
use crate::validation::value::{arr_at, default_nil, default_zero, get, obj_at, obj_mut, str_at};
use crate::validation::{IMMUTABLE, NameRule, invalid, one_of};

/// upstream `maxProvisionerParameterLen`.
const MAX_PARAMETERS: usize = 512;
/// upstream `maxProvisionerParameterSize` (256 KiB of keys and values).
const MAX_PARAMETERS_SIZE: usize = 256 * 1024;
/// `supportedReclaimPolicy.List()` (sorted).
const RECLAIM_POLICIES: &[&str] = &["Delete", "Retain"];
/// `supportedVolumeBindingModes.List()` (sorted).
const BINDING_MODES: &[&str] = &["Immediate", "WaitForFirstConsumer"];
/// `supportedFSGroupPolicy.List()` (sorted).
const FS_GROUP_POLICIES: &[&str] = &["File", "None", "ReadWriteOnceWithFSType"];
/// The lifecycle modes, in upstream's order.
const LIFECYCLE_MODES: &[&str] = &["Persistent", "Ephemeral"];
/// Shortest token a CSI driver may ask for (10 minutes).
const MIN_TOKEN_SECONDS: i64 = 600;
/// Longest token a CSI driver may ask for.
const MAX_TOKEN_SECONDS: i64 = 1 << 32;

/// The storageclasses strategy.
pub struct StorageClassStrategy;

/// The csidrivers strategy.
pub struct CsiDriverStrategy;

fn validate_provisioner(obj: &Value) -> ErrorList {
    let p = FieldPath::root("provisioner");
    let provisioner = str_at(obj, &["provisioner"]);
    if provisioner.is_empty() {
        return vec![FieldError::required(&p, "")];
    }
    // upstream checks (and reports) the lowercased provisioner
    let lower = provisioner.to_lowercase();
    is_qualified_name(&lower)
        .into_iter()
        .map(|m| FieldError::invalid(&p, &lower, m))
        .collect()
}

fn validate_parameters(obj: &Value) -> ErrorList {
    let p = FieldPath::root("parameters");
    let Some(params) = obj_at(obj, &["parameters"]) else {
        return vec![];
    };
    if params.len() > MAX_PARAMETERS {
        return vec![FieldError::too_long(&p, MAX_PARAMETERS)];
    }
    let mut errs = ErrorList::new();
    let mut size = 0;
    for (k, v) in params {
        if k.is_empty() {
            errs.push(FieldError::invalid(&p, k, "field can not be empty."));
        }
        size += k.len() + v.as_str().map_or(0, str::len);
    }
    if size > MAX_PARAMETERS_SIZE {
        errs.push(FieldError::too_long(&p, MAX_PARAMETERS_SIZE));
    }
    errs
}

fn validate_binding_mode(obj: &Value) -> ErrorList {
    let p = FieldPath::root("volumeBindingMode");
    match get(obj, &["volumeBindingMode"]).and_then(Value::as_str) {
        None => vec![FieldError::required(&p, "")],
        Some(m) if BINDING_MODES.contains(&m) => vec![],
        Some(m) => vec![FieldError::not_supported(&p, m, BINDING_MODES)],
    }
}

/// One topology term as upstream compares terms: each key with the set of its values.
type RawTerm = std::collections::BTreeMap<String, BTreeSet<String>>;

/// `ValidateTopologySelectorTerm`: every expression needs values (no duplicates) and a
/// label-name key, and a key appears once per term.
fn validate_topology_term(term: &Value, p: &FieldPath) -> (RawTerm, ErrorList) {
    let mut errs = ErrorList::new();
    let mut raw = RawTerm::new();
    let ep = p.child("matchLabelExpressions");
    for (i, req) in arr_at(term, &["matchLabelExpressions"]).iter().enumerate() {
        let rp = ep.index(i);
        let vp = rp.child("values");
        let values = arr_at(req, &["values"]);
        if values.is_empty() {
            errs.push(FieldError::required(&vp, ""));
        }
        let mut set = BTreeSet::new();
        for (j, v) in values.iter().enumerate() {
            let v = v.as_str().unwrap_or_default();
            if !set.insert(v.to_string()) {
                errs.push(FieldError::duplicate(&vp.index(j), v));
            }
        }
        let key = str_at(req, &["key"]);
        for m in is_qualified_name(key) {
            errs.push(FieldError::invalid(&rp.child("key"), key, m));
        }
        if raw.contains_key(key) {
            errs.push(FieldError::duplicate(&rp.child("key"), key));
        }
        raw.insert(key.to_string(), set);
    }
    (raw, errs)
}

/// `validateAllowedTopologies`. Upstream starts its list of seen terms with one empty
/// entry per term (and empty equals empty to its comparison), so an empty term is
/// reported once per term, plus once per earlier empty term.
fn validate_allowed_topologies(obj: &Value) -> ErrorList {
    let p = FieldPath::root("allowedTopologies");
    let terms = arr_at(obj, &["allowedTopologies"]);
    let mut errs = ErrorList::new();
    let mut seen: Vec<RawTerm> = vec![RawTerm::new(); terms.len()];
    for (i, term) in terms.iter().enumerate() {
        let tp = p.index(i);
        let (raw, term_errs) = validate_topology_term(term, &tp);
        errs.extend(term_errs);
        for t in &seen {
            if *t == raw {
                errs.push(FieldError::duplicate(
                    &tp.child("matchLabelExpressions"),
                    "",
                ));
            }
        }
        seen.push(raw);
    }
    errs
}

fn validate_storage_class(obj: &Value) -> ErrorList {
    let mut errs = validate_provisioner(obj);
    errs.extend(validate_parameters(obj));
    errs.extend(one_of(
        str_at(obj, &["reclaimPolicy"]),
        RECLAIM_POLICIES,
        false,
        &FieldPath::root("reclaimPolicy"),
    ));
    errs.extend(validate_binding_mode(obj));
    errs.extend(validate_allowed_topologies(obj));
    errs
}

fn parameters(obj: &Value) -> Map<String, Value> {
    obj_at(obj, &["parameters"]).cloned().unwrap_or_default()
}

impl Strategy for StorageClassStrategy {
    fn default(&self, obj: &mut Value) {
        if let Some(m) = obj.as_object_mut() {
            default_nil(m, "reclaimPolicy", json!("Delete"));
            default_nil(m, "volumeBindingMode", json!("Immediate"));
        }
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(
            obj,
            false,
            NameRule::Dns1123Subdomain,
            validate_storage_class,
        )
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        // upstream reads the old class with its defaults filled
        let mut old = old.clone();
        self.default(&mut old);
        let old = &old;
        // upstream validates the new class as on create, then the update rules
        let mut errs = self.validate(new);
        errs.extend(crate::validation::validate_object_meta_update(new, old));
        if parameters(new) != parameters(old) {
            errs.push(FieldError::forbidden(
                &FieldPath::root("parameters"),
                "updates to parameters are forbidden.",
            ));
        }
        if str_at(new, &["provisioner"]) != str_at(old, &["provisioner"]) {
            errs.push(FieldError::forbidden(
                &FieldPath::root("provisioner"),
                "updates to provisioner are forbidden.",
            ));
        }
        if str_at(new, &["reclaimPolicy"]) != str_at(old, &["reclaimPolicy"]) {
            errs.push(FieldError::forbidden(
                &FieldPath::root("reclaimPolicy"),
                "updates to reclaimPolicy are forbidden.",
            ));
        }
        let mode = str_at(new, &["volumeBindingMode"]);
        if mode != str_at(old, &["volumeBindingMode"]) {
            errs.push(FieldError::invalid(
                &FieldPath::root("volumeBindingMode"),
                mode,
                IMMUTABLE,
            ));
        }
        errs
    }
}

fn validate_token_requests(spec: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut audiences = BTreeSet::new();
    for (i, tr) in arr_at(spec, &["tokenRequests"]).iter().enumerate() {
        let tp = p.index(i);
        let audience = str_at(tr, &["audience"]);
        if !audiences.insert(audience) {
            errs.push(FieldError::duplicate(&tp.child("audience"), audience));
            continue;
        }
        let Some(secs) = get(tr, &["expirationSeconds"]).and_then(Value::as_i64) else {
            continue;
        };
        let ep = tp.child("expirationSeconds");
        if secs < MIN_TOKEN_SECONDS {
            errs.push(FieldError::invalid_number(
                &ep,
                secs,
                "may not specify a duration less than 10 minutes",
            ));
        }
        if secs > MAX_TOKEN_SECONDS {
            errs.push(FieldError::invalid_number(
                &ep,
                secs,
                "may not specify a duration larger than 2^32 seconds",
            ));
        }
    }
    errs
}

/// `validateCSIDriverSpec` (the spec is `null` when absent).
fn validate_csi_driver_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    let set = |f: &str| get(spec, &[f]).is_some_and(|v| !v.is_null());
    // upstream's path for attachRequired is `attachedRequired`
    for (field, path) in [
        ("attachRequired", "attachedRequired"),
        ("podInfoOnMount", "podInfoOnMount"),
        ("storageCapacity", "storageCapacity"),
    ] {
        if !set(field) {
            errs.push(FieldError::required(&sp.child(path), ""));
        }
    }
    if let Some(policy) = get(spec, &["fsGroupPolicy"]).and_then(Value::as_str)
        && !FS_GROUP_POLICIES.contains(&policy)
    {
        errs.push(FieldError::not_supported(
            &sp.child("fsGroupPolicy"),
            policy,
            FS_GROUP_POLICIES,
        ));
    }
    errs.extend(validate_token_requests(spec, &sp.child("tokenRequests")));
    for mode in arr_at(spec, &["volumeLifecycleModes"]) {
        let mode = mode.as_str().unwrap_or_default();
        if !LIFECYCLE_MODES.contains(&mode) {
            errs.push(FieldError::not_supported(
                &sp.child("volumeLifecycleModes"),
                mode,
                LIFECYCLE_MODES,
            ));
        }
    }
    // required while SELinuxMountReadWriteOncePod is on (its default)
    if !set("seLinuxMount") {
        errs.push(FieldError::required(&sp.child("seLinuxMount"), ""));
    }
    if let Some(period) = get(spec, &["nodeAllocatableUpdatePeriodSeconds"]).and_then(Value::as_i64)
        && period < 10
    {
        errs.push(FieldError::invalid_number(
            &sp.child("nodeAllocatableUpdatePeriodSeconds"),
            period,
            "must be greater than or equal to 10 seconds",
        ));
    }
    if let Some(v) = get(spec, &["serviceAccountTokenInSecrets"]).filter(|v| !v.is_null())
        && arr_at(spec, &["tokenRequests"]).is_empty()
    {
        errs.push(invalid(
            &sp.child("serviceAccountTokenInSecrets"),
            v,
            "serviceAccountTokenInSecrets is set but no tokenRequests are specified",
        ));
    }
    errs
}

/// Go's `%#v` of a `[]storage.VolumeLifecycleMode`.
fn go_lifecycle_modes(spec: &Value) -> String {
    match get(spec, &["volumeLifecycleModes"]).and_then(Value::as_array) {
        None => "[]storage.VolumeLifecycleMode(nil)".to_string(),
        Some(modes) => {
            let items: Vec<String> = modes
                .iter()
                .map(|m| apimachinery::gofmt::go_quote(m.as_str().unwrap_or_default()))
                .collect();
            format!("[]storage.VolumeLifecycleMode{{{}}}", items.join(", "))
        }
    }
}

impl Strategy for CsiDriverStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        default_nil(spec, "attachRequired", json!(true));
        default_nil(spec, "podInfoOnMount", json!(false));
        default_nil(spec, "storageCapacity", json!(false));
        default_nil(spec, "fsGroupPolicy", json!("ReadWriteOnceWithFSType"));
        default_zero(spec, "volumeLifecycleModes", json!(["Persistent"]));
        default_nil(spec, "requiresRepublish", json!(false));
        default_nil(spec, "seLinuxMount", json!(false));
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(obj, false, NameRule::Dns1123Subdomain, |o| {
            validate_csi_driver_spec(o.get("spec").unwrap_or(&Value::Null))
        })
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        // upstream reads the old driver with its defaults filled
        let mut old = old.clone();
        self.default(&mut old);
        let old = &old;
        let null = Value::Null;
        let (ns, os) = (
            new.get("spec").unwrap_or(&null),
            old.get("spec").unwrap_or(&null),
        );
        let mut errs = common::validate_meta_update_and(new, old, |_| validate_csi_driver_spec(ns));
        let sp = FieldPath::root("spec");
        let attach = |s: &Value| {
            get(s, &["attachRequired"])
                .filter(|v| !v.is_null())
                .cloned()
        };
        if attach(ns) != attach(os) {
            let rendered = attach(ns).map_or("null".to_string(), |v| v.to_string());
            errs.push(FieldError::invalid_rendered(
                &sp.child("attachedRequired"),
                rendered,
                IMMUTABLE,
            ));
        }
        let modes = |s: &Value| arr_at(s, &["volumeLifecycleModes"]).to_vec();
        if modes(ns) != modes(os) {
            errs.push(FieldError::invalid_rendered(
                &sp.child("volumeLifecycleModes"),
                go_lifecycle_modes(ns),
                IMMUTABLE,
            ));
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(errs: ErrorList) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    fn sc(extra: Value) -> Value {
        let mut o = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                           "metadata": {"name": "fast"}, "provisioner": "csi.example.com"});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        StorageClassStrategy.default(&mut o);
        o
    }

    fn sc_errs(extra: Value) -> Vec<String> {
        msgs(StorageClassStrategy.validate(&sc(extra)))
    }

    #[test]
    fn storage_class_defaults_and_accepts_a_minimal_class() {
        let o = sc(json!({}));
        assert_eq!(o["reclaimPolicy"], "Delete");
        assert_eq!(o["volumeBindingMode"], "Immediate");
        assert!(StorageClassStrategy.validate(&o).is_empty());
        let o = sc(
            json!({"reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer",
                          "parameters": {"type": "ssd"}, "mountOptions": ["ro"],
                          "allowedTopologies": [{"matchLabelExpressions": [
                              {"key": "topology.kubernetes.io/zone", "values": ["a", "b"]}]}]}),
        );
        assert!(StorageClassStrategy.validate(&o).is_empty());
    }

    #[test]
    fn storage_class_provisioner() {
        let mut o = sc(json!({}));
        o["provisioner"] = json!("");
        assert_eq!(
            msgs(StorageClassStrategy.validate(&o)),
            ["provisioner: Required value"]
        );
        let errs = sc_errs(json!({"provisioner": "Bad Provisioner"}));
        assert_eq!(
            errs,
            [
                "provisioner: Invalid value: \"bad provisioner\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            ]
        );
        // mixed case is fine once lowercased
        assert!(sc_errs(json!({"provisioner": "kubernetes.io/AWS-EBS"})).is_empty());
    }

    #[test]
    fn storage_class_parameters() {
        assert_eq!(
            sc_errs(json!({"parameters": {"": "x"}})),
            ["parameters: Invalid value: \"\": field can not be empty."]
        );
        let many: Map<String, Value> = (0..513).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert_eq!(
            sc_errs(json!({"parameters": many})),
            ["parameters: Too long: may not be more than 512 bytes"]
        );
        let big = "x".repeat(256 * 1024);
        assert_eq!(
            sc_errs(json!({"parameters": {"k": big}})),
            ["parameters: Too long: may not be more than 262144 bytes"]
        );
    }

    #[test]
    fn storage_class_enums() {
        assert_eq!(
            sc_errs(json!({"reclaimPolicy": "Recycle"})),
            [
                "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\""
            ]
        );
        assert!(sc_errs(json!({"reclaimPolicy": ""})).is_empty());
        assert_eq!(
            sc_errs(json!({"volumeBindingMode": "Later"})),
            [
                "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\""
            ]
        );
        let mut o = sc(json!({}));
        o.as_object_mut().unwrap().remove("volumeBindingMode");
        assert_eq!(
            msgs(StorageClassStrategy.validate(&o)),
            ["volumeBindingMode: Required value"]
        );
    }

    #[test]
    fn storage_class_allowed_topologies() {
        let term = |key: &str, values: Value| json!({"matchLabelExpressions": [{"key": key, "values": values}]});
        assert_eq!(
            sc_errs(json!({"allowedTopologies": [term("zone", json!([]))]})),
            ["allowedTopologies[0].matchLabelExpressions[0].values: Required value"]
        );
        assert_eq!(
            sc_errs(json!({"allowedTopologies": [term("zone", json!(["a", "a"]))]})),
            ["allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: \"a\""]
        );
        assert_eq!(
            sc_errs(json!({"allowedTopologies": [term("-bad", json!(["a"]))]})),
            [
                "allowedTopologies[0].matchLabelExpressions[0].key: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            ]
        );
        assert_eq!(
            sc_errs(json!({"allowedTopologies": [{"matchLabelExpressions": [
                {"key": "zone", "values": ["a"]}, {"key": "zone", "values": ["b"]}]}]})),
            ["allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: \"zone\""]
        );
        assert_eq!(
            sc_errs(
                json!({"allowedTopologies": [term("zone", json!(["a", "b"])), term("zone", json!(["b", "a"]))]})
            ),
            ["allowedTopologies[1].matchLabelExpressions: Duplicate value: \"\""]
        );
        // an empty term equals upstream's initial empty entries
        assert_eq!(
            sc_errs(json!({"allowedTopologies": [{}]})),
            ["allowedTopologies[0].matchLabelExpressions: Duplicate value: \"\""]
        );
    }

    #[test]
    fn storage_class_update() {
        let old = sc(json!({"parameters": {"type": "ssd"}}));
        let mut new = old.clone();
        assert!(StorageClassStrategy.validate_update(&new, &old).is_empty());
        new["parameters"] = json!({"type": "hdd"});
        new["provisioner"] = json!("other.example.com");
        new["reclaimPolicy"] = json!("Retain");
        new["volumeBindingMode"] = json!("WaitForFirstConsumer");
        assert_eq!(
            msgs(StorageClassStrategy.validate_update(&new, &old)),
            [
                "parameters: Forbidden: updates to parameters are forbidden.",
                "provisioner: Forbidden: updates to provisioner are forbidden.",
                "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
                "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable",
            ]
        );
        // an old class stored without defaults compares as defaulted
        let mut bare = old.clone();
        let m = bare.as_object_mut().unwrap();
        m.remove("reclaimPolicy");
        m.remove("volumeBindingMode");
        assert!(StorageClassStrategy.validate_update(&old, &bare).is_empty());
    }

    fn csi(spec: Value) -> Value {
        let mut o = json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
                           "metadata": {"name": "csi.example.com"}, "spec": spec});
        CsiDriverStrategy.default(&mut o);
        o
    }

    fn csi_errs(spec: Value) -> Vec<String> {
        msgs(CsiDriverStrategy.validate(&csi(spec)))
    }

    #[test]
    fn csi_driver_defaults_and_accepts_a_minimal_driver() {
        let mut o = json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
                           "metadata": {"name": "csi.example.com"}});
        CsiDriverStrategy.default(&mut o);
        assert_eq!(
            o["spec"],
            json!({"attachRequired": true, "podInfoOnMount": false, "storageCapacity": false,
                   "fsGroupPolicy": "ReadWriteOnceWithFSType", "volumeLifecycleModes": ["Persistent"],
                   "requiresRepublish": false, "seLinuxMount": false})
        );
        assert!(CsiDriverStrategy.validate(&o).is_empty());
        let o = csi(
            json!({"attachRequired": false, "volumeLifecycleModes": ["Persistent", "Ephemeral"],
                           "tokenRequests": [{"audience": "a", "expirationSeconds": 3600}, {"audience": ""}],
                           "serviceAccountTokenInSecrets": true, "nodeAllocatableUpdatePeriodSeconds": 10}),
        );
        assert!(CsiDriverStrategy.validate(&o).is_empty());
    }

    #[test]
    fn csi_driver_required_switches() {
        let o = json!({"metadata": {"name": "d"}, "spec": {}});
        assert_eq!(
            msgs(CsiDriverStrategy.validate(&o)),
            [
                "spec.attachedRequired: Required value",
                "spec.podInfoOnMount: Required value",
                "spec.storageCapacity: Required value",
                "spec.seLinuxMount: Required value",
            ]
        );
    }

    #[test]
    fn csi_driver_rules() {
        assert_eq!(
            csi_errs(json!({"fsGroupPolicy": "Sometimes"})),
            [
                "spec.fsGroupPolicy: Unsupported value: \"Sometimes\": supported values: \"File\", \"None\", \"ReadWriteOnceWithFSType\""
            ]
        );
        assert_eq!(
            csi_errs(json!({"volumeLifecycleModes": ["Persistent", "Transient"]})),
            [
                "spec.volumeLifecycleModes: Unsupported value: \"Transient\": supported values: \"Persistent\", \"Ephemeral\""
            ]
        );
        assert_eq!(
            csi_errs(
                json!({"tokenRequests": [{"audience": "a", "expirationSeconds": 10},
                                              {"audience": "a", "expirationSeconds": 10},
                                              {"audience": "b", "expirationSeconds": 4294967297_i64}]})
            ),
            [
                "spec.tokenRequests[0].expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes",
                "spec.tokenRequests[1].audience: Duplicate value: \"a\"",
                "spec.tokenRequests[2].expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
            ]
        );
        assert_eq!(
            csi_errs(json!({"nodeAllocatableUpdatePeriodSeconds": 9})),
            [
                "spec.nodeAllocatableUpdatePeriodSeconds: Invalid value: 9: must be greater than or equal to 10 seconds"
            ]
        );
        assert_eq!(
            csi_errs(json!({"serviceAccountTokenInSecrets": false})),
            [
                "spec.serviceAccountTokenInSecrets: Invalid value: false: serviceAccountTokenInSecrets is set but no tokenRequests are specified"
            ]
        );
    }

    #[test]
    fn csi_driver_update() {
        let old = csi(json!({}));
        // an old driver stored without defaults compares as defaulted
        let bare = json!({"metadata": {"name": "csi.example.com"}, "spec": {}});
        assert!(CsiDriverStrategy.validate_update(&old, &bare).is_empty());
        let mut new = old.clone();
        new["spec"]["podInfoOnMount"] = json!(true);
        new["spec"]["fsGroupPolicy"] = json!("File");
        assert!(CsiDriverStrategy.validate_update(&new, &old).is_empty());
        new["spec"]["attachRequired"] = json!(false);
        new["spec"]["volumeLifecycleModes"] = json!(["Ephemeral"]);
        new["spec"]["fsGroupPolicy"] = json!("Bad");
        assert_eq!(
            msgs(CsiDriverStrategy.validate_update(&new, &old)),
            [
                "spec.fsGroupPolicy: Unsupported value: \"Bad\": supported values: \"File\", \"None\", \"ReadWriteOnceWithFSType\"",
                "spec.attachedRequired: Invalid value: false: field is immutable",
                "spec.volumeLifecycleModes: Invalid value: []storage.VolumeLifecycleMode{\"Ephemeral\"}: field is immutable",
            ]
        );
    }
}
