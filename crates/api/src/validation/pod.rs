//! Pod spec validation (upstream's `ValidatePodSpec` / `ValidatePodTemplateSpec`,
//! the common subset): volumes, containers (names, images, ports, env, mounts,
//! probes, resources), restart and DNS policies, node selector.

use std::collections::HashSet;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use super::names;
use super::value::{arr_at, get, obj_at, str_at};
use super::{
    invalid, nonnegative, nonnegative_quantity, one_of, validate_annotations, validate_labels,
};

/// Supported container port protocols (sorted, as upstream lists them).
pub const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// Validate a `PodTemplateSpec` at `p` (e.g. `spec.template`): its labels and
/// annotations and its pod spec.
pub fn validate_pod_template(t: &Value, p: &FieldPath) -> ErrorList {
    let mp = p.child("metadata");
    let mut errs = validate_labels(obj_at(t, &["metadata", "labels"]), &mp.child("labels"));
    errs.extend(validate_annotations(
        obj_at(t, &["metadata", "annotations"]),
        &mp.child("annotations"),
    ));
    let spec = t.get("spec").unwrap_or(&Value::Null);
    errs.extend(validate_pod_spec(spec, &p.child("spec")));
    errs
}

/// Validate a `PodSpec` at `p` (`spec` for pods, `spec.template.spec` for workloads).
pub fn validate_pod_spec(spec: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    // volumes
    let mut vol_names = HashSet::new();
    for (i, v) in arr_at(spec, &["volumes"]).iter().enumerate() {
        let vp = p.child("volumes").index(i);
        let name = str_at(v, &["name"]);
        if name.is_empty() {
            errs.push(FieldError::required(&vp.child("name"), ""));
        } else {
            for msg in names::is_dns1123_label(name) {
                errs.push(FieldError::invalid(&vp.child("name"), name, msg));
            }
            if !vol_names.insert(name.to_string()) {
                errs.push(FieldError::duplicate(&vp.child("name"), name));
            }
        }
        let sources = v
            .as_object()
            .map(|o| o.keys().filter(|k| *k != "name").count())
            .unwrap_or(0);
        if sources > 1 {
            errs.push(FieldError::forbidden(
                &vp,
                "may not specify more than 1 volume type",
            ));
        }
    }
    // containers
    let containers = arr_at(spec, &["containers"]);
    let init = arr_at(spec, &["initContainers"]);
    let mut ctr_names = HashSet::new();
    for (i, c) in init.iter().enumerate() {
        let always = str_at(c, &["restartPolicy"]) == "Always";
        errs.extend(validate_container(
            c,
            &p.child("initContainers").index(i),
            &vol_names,
            &mut ctr_names,
            if always { Kind::Sidecar } else { Kind::Init },
        ));
    }
    if containers.is_empty() {
        errs.push(FieldError::required(&p.child("containers"), ""));
    }
    for (i, c) in containers.iter().enumerate() {
        errs.extend(validate_container(
            c,
            &p.child("containers").index(i),
            &vol_names,
            &mut ctr_names,
            Kind::Regular,
        ));
    }
    errs.extend(one_of(
        str_at(spec, &["restartPolicy"]),
        &["Always", "Never", "OnFailure"],
        true,
        &p.child("restartPolicy"),
    ));
    errs.extend(one_of(
        str_at(spec, &["dnsPolicy"]),
        &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
        true,
        &p.child("dnsPolicy"),
    ));
    errs.extend(validate_labels(
        obj_at(spec, &["nodeSelector"]),
        &p.child("nodeSelector"),
    ));
    let sa = str_at(spec, &["serviceAccountName"]);
    if !sa.is_empty() {
        for msg in names::is_dns1123_subdomain(sa) {
            errs.push(FieldError::invalid(&p.child("serviceAccountName"), sa, msg));
        }
    }
    for f in ["hostname", "subdomain"] {
        let v = str_at(spec, &[f]);
        if !v.is_empty() {
            for msg in names::is_dns1123_label(v) {
                errs.push(FieldError::invalid(&p.child(f), v, msg));
            }
        }
    }
    if let Some(ads) = get(spec, &["activeDeadlineSeconds"]).and_then(Value::as_i64)
        && !(1..=i32::MAX as i64).contains(&ads)
    {
        errs.push(FieldError::invalid_number(
            &p.child("activeDeadlineSeconds"),
            ads,
            names::inclusive_range_error(1, i32::MAX as i64),
        ));
    }
    for (i, t) in arr_at(spec, &["tolerations"]).iter().enumerate() {
        let tp = p.child("tolerations").index(i);
        let op = str_at(t, &["operator"]);
        errs.extend(one_of(
            op,
            &["Equal", "Exists"],
            false,
            &tp.child("operator"),
        ));
        if op == "Exists" && !str_at(t, &["value"]).is_empty() {
            errs.push(FieldError::invalid(
                &tp.child("operator"),
                op,
                "value must be empty when `operator` is 'Exists'",
            ));
        }
        errs.extend(one_of(
            str_at(t, &["effect"]),
            &["NoExecute", "NoSchedule", "PreferNoSchedule"],
            false,
            &tp.child("effect"),
        ));
    }
    errs
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Regular,
    Init,
    Sidecar,
}

fn validate_container(
    c: &Value,
    p: &FieldPath,
    volumes: &HashSet<String>,
    names_seen: &mut HashSet<String>,
    kind: Kind,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let name = str_at(c, &["name"]);
    if name.is_empty() {
        errs.push(FieldError::required(&p.child("name"), ""));
    } else {
        for msg in names::is_dns1123_label(name) {
            errs.push(FieldError::invalid(&p.child("name"), name, msg));
        }
        if !names_seen.insert(name.to_string()) {
            errs.push(FieldError::duplicate(&p.child("name"), name));
        }
    }
    if str_at(c, &["image"]).trim().is_empty() {
        errs.push(FieldError::required(&p.child("image"), ""));
    }
    errs.extend(one_of(
        str_at(c, &["imagePullPolicy"]),
        &["Always", "IfNotPresent", "Never"],
        true,
        &p.child("imagePullPolicy"),
    ));
    errs.extend(one_of(
        str_at(c, &["terminationMessagePolicy"]),
        &["File", "FallbackToLogsOnError"],
        true,
        &p.child("terminationMessagePolicy"),
    ));
    if kind == Kind::Regular || kind == Kind::Init {
        let rp = str_at(c, &["restartPolicy"]);
        if !rp.is_empty() && kind == Kind::Regular {
            errs.push(FieldError::forbidden(
                &p.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
        if !rp.is_empty() && kind == Kind::Init {
            errs.push(FieldError::not_supported(
                &p.child("restartPolicy"),
                rp,
                &["Always"],
            ));
        }
    }
    // ports
    let mut port_names = HashSet::new();
    for (i, port) in arr_at(c, &["ports"]).iter().enumerate() {
        let pp = p.child("ports").index(i);
        let pname = str_at(port, &["name"]);
        if !pname.is_empty() {
            for msg in names::is_valid_port_name(pname) {
                errs.push(FieldError::invalid(&pp.child("name"), pname, msg));
            }
            if !port_names.insert(pname.to_string()) {
                errs.push(FieldError::duplicate(&pp.child("name"), pname));
            }
        }
        match get(port, &["containerPort"]).and_then(Value::as_i64) {
            None | Some(0) => errs.push(FieldError::required(&pp.child("containerPort"), "")),
            Some(n) => {
                for msg in names::is_valid_port_num(n) {
                    errs.push(FieldError::invalid_number(
                        &pp.child("containerPort"),
                        n,
                        msg,
                    ));
                }
            }
        }
        if let Some(n) = get(port, &["hostPort"]).and_then(Value::as_i64)
            && n != 0
        {
            for msg in names::is_valid_port_num(n) {
                errs.push(FieldError::invalid_number(&pp.child("hostPort"), n, msg));
            }
        }
        errs.extend(one_of(
            str_at(port, &["protocol"]),
            PROTOCOLS,
            true,
            &pp.child("protocol"),
        ));
    }
    // env
    for (i, e) in arr_at(c, &["env"]).iter().enumerate() {
        let ep = p.child("env").index(i);
        let n = str_at(e, &["name"]);
        if n.is_empty() {
            errs.push(FieldError::required(&ep.child("name"), ""));
        } else {
            for msg in names::is_env_var_name(n) {
                errs.push(FieldError::invalid(&ep.child("name"), n, msg));
            }
        }
        if let Some(vf) = obj_at(e, &["valueFrom"]) {
            if vf.len() > 1 {
                errs.push(FieldError::invalid(
                    &ep.child("valueFrom"),
                    "",
                    "may not have more than one field specified at a time",
                ));
            }
            if !str_at(e, &["value"]).is_empty() {
                errs.push(FieldError::invalid(
                    &ep.child("valueFrom"),
                    "",
                    "may not be specified when `value` is not empty",
                ));
            }
        }
    }
    // volume mounts
    for (i, m) in arr_at(c, &["volumeMounts"]).iter().enumerate() {
        let mp = p.child("volumeMounts").index(i);
        let n = str_at(m, &["name"]);
        if n.is_empty() {
            errs.push(FieldError::required(&mp.child("name"), ""));
        } else if !volumes.contains(n) {
            errs.push(FieldError::not_found(&mp.child("name"), n));
        }
        if str_at(m, &["mountPath"]).is_empty() {
            errs.push(FieldError::required(&mp.child("mountPath"), ""));
        }
    }
    // probes
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let Some(pr) = c.get(probe).filter(|v| v.is_object()) else {
            continue;
        };
        let pp = p.child(probe);
        if kind == Kind::Init {
            errs.push(FieldError::forbidden(
                &pp,
                "may not be set for init containers without restartPolicy=Always",
            ));
            continue;
        }
        errs.extend(validate_probe(pr, &pp));
        if probe != "readinessProbe" {
            if let Some(st) = pr.get("successThreshold").and_then(Value::as_i64)
                && st != 1
            {
                errs.push(FieldError::invalid_number(
                    &pp.child("successThreshold"),
                    st,
                    "must be 1",
                ));
            }
        } else if let Some(t) = pr
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
        {
            errs.push(FieldError::invalid_number(
                &pp.child("terminationGracePeriodSeconds"),
                t,
                "must not be set for readinessProbes",
            ));
        }
    }
    if let Some(lc) = c.get("lifecycle").filter(|v| v.is_object()) {
        for h in ["postStart", "preStop"] {
            if let Some(hv) = lc.get(h).filter(|v| v.is_object()) {
                errs.extend(validate_handler(hv, &p.child("lifecycle").child(h), true));
            }
        }
    }
    errs.extend(validate_resources(
        c.get("resources"),
        &p.child("resources"),
    ));
    errs
}

/// `validateProbe`: one handler, non-negative timings.
pub fn validate_probe(pr: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = validate_handler(pr, p, false);
    for f in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        errs.extend(nonnegative(pr.get(f), &p.child(f)));
    }
    if let Some(t) = pr
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64)
        && t <= 0
    {
        errs.push(FieldError::invalid_number(
            &p.child("terminationGracePeriodSeconds"),
            t,
            "must be greater than 0",
        ));
    }
    errs
}

fn validate_handler(h: &Value, p: &FieldPath, lifecycle: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let kinds: &[&str] = if lifecycle {
        &["exec", "httpGet", "tcpSocket", "sleep"]
    } else {
        &["exec", "httpGet", "tcpSocket", "grpc"]
    };
    let mut n = 0;
    for k in kinds {
        let Some(v) = h.get(*k).filter(|v| v.is_object()) else {
            continue;
        };
        n += 1;
        if n > 1 {
            errs.push(FieldError::forbidden(
                &p.child(k),
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        let kp = p.child(k);
        match *k {
            "exec" if arr_at(v, &["command"]).is_empty() => {
                errs.push(FieldError::required(&kp.child("command"), ""));
            }
            "httpGet" => {
                if str_at(v, &["path"]).is_empty() {
                    errs.push(FieldError::required(&kp.child("path"), ""));
                }
                errs.extend(port_num_or_name(v.get("port"), &kp.child("port")));
                errs.extend(one_of(
                    str_at(v, &["scheme"]),
                    &["HTTP", "HTTPS"],
                    false,
                    &kp.child("scheme"),
                ));
            }
            "tcpSocket" => errs.extend(port_num_or_name(v.get("port"), &kp.child("port"))),
            "grpc" => {
                let port = v.get("port").and_then(Value::as_i64).unwrap_or(0);
                for msg in names::is_valid_port_num(port) {
                    errs.push(FieldError::invalid_number(&kp.child("port"), port, msg));
                }
            }
            _ => {}
        }
    }
    if n == 0 {
        errs.push(FieldError::required(p, "must specify a handler type"));
    }
    errs
}

/// `ValidatePortNumOrName` for an IntOrString port.
pub fn port_num_or_name(v: Option<&Value>, p: &FieldPath) -> ErrorList {
    match v {
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            names::is_valid_port_num(n)
                .into_iter()
                .map(|m| FieldError::invalid_number(p, n, m))
                .collect()
        }
        Some(Value::String(s)) => names::is_valid_port_name(s)
            .into_iter()
            .map(|m| FieldError::invalid(p, s, m))
            .collect(),
        _ => vec![FieldError::required(p, "")],
    }
}

fn is_standard_container_resource(n: &str) -> bool {
    matches!(n, "cpu" | "memory" | "ephemeral-storage") || n.starts_with("hugepages-")
}

fn overcommit_allowed(n: &str) -> bool {
    let native = !n.contains('/') || n.contains("kubernetes.io/");
    native && !n.starts_with("hugepages-")
}

/// `ValidateContainerResourceRequirements`: names, quantities, requests <= limits
/// (and == for resources that cannot be overcommitted).
pub fn validate_resources(r: Option<&Value>, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(r) = r else { return errs };
    let (lp, rp) = (p.child("limits"), p.child("requests"));
    let mut limits = Vec::new();
    for (name, q) in obj_at(r, &["limits"]).into_iter().flatten() {
        let fp = lp.key(name);
        errs.extend(resource_name(name, &fp));
        let (e, parsed) = nonnegative_quantity(q, &fp);
        errs.extend(e);
        if let Some(parsed) = parsed {
            limits.push((name.clone(), parsed));
        }
    }
    for (name, q) in obj_at(r, &["requests"]).into_iter().flatten() {
        let fp = rp.key(name);
        errs.extend(resource_name(name, &fp));
        let (e, parsed) = nonnegative_quantity(q, &fp);
        errs.extend(e);
        let Some(req) = parsed else { continue };
        match limits.iter().find(|(n, _)| n == name) {
            Some((_, lim)) => {
                if req != *lim && !overcommit_allowed(name) {
                    errs.push(FieldError::invalid(
                        &rp,
                        req,
                        format!("must be equal to {name} limit of {lim}"),
                    ));
                } else if req > *lim {
                    errs.push(FieldError::invalid(
                        &rp,
                        req,
                        format!("must be less than or equal to {name} limit of {lim}"),
                    ));
                }
            }
            None if !overcommit_allowed(name) => errs.push(FieldError::required(
                &lp,
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
    }
    errs
}

fn resource_name(name: &str, p: &FieldPath) -> ErrorList {
    let mut errs: ErrorList = names::is_qualified_name(name)
        .into_iter()
        .map(|m| FieldError::invalid(p, name, m))
        .collect();
    if errs.is_empty() && !is_standard_container_resource(name) && !name.contains('/') {
        errs.push(invalid(
            p,
            &Value::String(name.to_string()),
            "must be a standard resource for containers",
        ));
    }
    errs
}

/// The fields an ephemeral container may not set (upstream's allow-list, inverted).
const EPHEMERAL_FORBIDDEN: &[&str] = &[
    "ports",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "lifecycle",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
];

/// upstream's `ValidatePodEphemeralContainersUpdate`: the ephemeral containers of `new`
/// are valid (named uniquely among all containers, with an image, none of the fields an
/// ephemeral container may not have, a target that exists), and the ones `old` had are
/// all still there, unchanged.
pub fn validate_ephemeral_containers_update(new: &Value, old: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let sp = FieldPath::root("spec").child("ephemeralContainers");
    let mut names: HashSet<&str> = HashSet::new();
    let mut regular: HashSet<&str> = HashSet::new();
    for field in ["containers", "initContainers"] {
        for c in arr_at(new, &["spec", field]) {
            names.insert(str_at(c, &["name"]));
            regular.insert(str_at(c, &["name"]));
        }
    }
    let ecs = arr_at(new, &["spec", "ephemeralContainers"]);
    for (i, ec) in ecs.iter().enumerate() {
        let p = sp.index(i);
        let name = str_at(ec, &["name"]);
        if name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        } else {
            for m in apimachinery::validation::is_dns1123_label(name) {
                errs.push(FieldError::invalid(&p.child("name"), name, m));
            }
            if !names.insert(name) {
                errs.push(FieldError::duplicate(&p.child("name"), name));
            }
        }
        if str_at(ec, &["image"]).is_empty() {
            errs.push(FieldError::required(&p.child("image"), ""));
        }
        for f in EPHEMERAL_FORBIDDEN {
            // set means not the zero value (`resources: {}` is what Go writes for none)
            let set = get(ec, &[f]).is_some_and(|v| match v {
                Value::Null => false,
                Value::Object(m) => !m.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::String(s) => !s.is_empty(),
                _ => true,
            });
            if set {
                errs.push(FieldError::forbidden(
                    &p.child(f),
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
        let target = str_at(ec, &["targetContainerName"]);
        if !target.is_empty() && !regular.contains(target) {
            errs.push(FieldError::not_found(
                &p.child("targetContainerName"),
                target,
            ));
        }
    }
    for (i, old_ec) in arr_at(old, &["spec", "ephemeralContainers"])
        .iter()
        .enumerate()
    {
        let name = str_at(old_ec, &["name"]);
        match ecs.iter().find(|e| str_at(e, &["name"]) == name) {
            None => errs.push(FieldError::forbidden(
                &sp,
                format!("existing ephemeral containers {name:?} may not be removed"),
            )),
            Some(e) if e != old_ec => errs.push(FieldError::forbidden(
                &sp.index(i),
                format!("existing ephemeral containers {name:?} may not be changed"),
            )),
            Some(_) => {}
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(spec: Value) -> Vec<String> {
        validate_pod_spec(&spec, &FieldPath::root("spec"))
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    fn good() -> Value {
        json!({"restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "containers": [
            {"name": "nginx", "image": "nginx", "imagePullPolicy": "Always", "terminationMessagePolicy": "File",
             "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}]}]})
    }

    #[test]
    fn valid_spec_passes() {
        assert_eq!(msgs(good()), Vec::<String>::new());
    }

    #[test]
    fn container_errors() {
        let mut s = good();
        s["containers"][0]["image"] = json!("");
        s["containers"][0]["ports"][0]["containerPort"] = json!(70000);
        s["containers"][0]["ports"][0]["protocol"] = json!("ICMP");
        s["containers"][0]["resources"] =
            json!({"limits": {"cpu": "500m"}, "requests": {"cpu": "1"}});
        s["containers"][0]["livenessProbe"] = json!({"periodSeconds": -1});
        let m = msgs(s);
        assert!(
            m.contains(&"spec.containers[0].image: Required value".to_string()),
            "{m:?}"
        );
        assert!(m.contains(&"spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive".to_string()));
        assert!(m.contains(&"spec.containers[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"".to_string()));
        assert!(m.contains(&"spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 500m".to_string()));
        assert!(
            m.contains(
                &"spec.containers[0].livenessProbe: Required value: must specify a handler type"
                    .to_string()
            )
        );
        assert!(m.contains(&"spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0".to_string()));
    }

    #[test]
    fn duplicates_and_mounts() {
        let mut s = good();
        let c = s["containers"][0].clone();
        s["containers"].as_array_mut().unwrap().push(c);
        s["containers"][0]["volumeMounts"] = json!([{"name": "data", "mountPath": "/d"}]);
        let m = msgs(s);
        assert!(m.contains(&"spec.containers[1].name: Duplicate value: \"nginx\"".to_string()));
        assert!(
            m.contains(&"spec.containers[0].volumeMounts[0].name: Not found: \"data\"".to_string())
        );
        assert_eq!(
            msgs(json!({"restartPolicy": "Always", "dnsPolicy": "ClusterFirst"})),
            vec!["spec.containers: Required value"]
        );
    }
}
