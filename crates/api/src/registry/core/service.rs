//! Services (upstream `pkg/registry/core/service/strategy.go` and `SetDefaults_Service`).
//! Cluster IP and node port allocation is not done here (it needs state); on
//! update the allocated values are carried over from the old object when the
//! client omitted them, as upstream's REST layer does.

use std::collections::HashSet;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::names;
use crate::validation::pod::{PROTOCOLS, port_num_or_name};
use crate::validation::value::{
    arr_at, default_nil, default_zero, for_each_obj, obj_at, obj_mut, str_at,
};
use crate::validation::{
    NameRule, immutable, one_of, validate_labels, validate_object_meta, validate_object_meta_update,
};

/// The services strategy.
pub struct ServiceStrategy;

impl Strategy for ServiceStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        default_zero(spec, "sessionAffinity", json!("None"));
        if spec.get("sessionAffinity") == Some(&json!("ClientIP")) {
            let cfg = spec
                .entry("sessionAffinityConfig")
                .or_insert_with(|| json!({}));
            if let Some(cfg) = cfg.as_object_mut() {
                let cip = cfg.entry("clientIP").or_insert_with(|| json!({}));
                if let Some(cip) = cip.as_object_mut() {
                    default_nil(cip, "timeoutSeconds", json!(10800));
                }
            }
        }
        default_zero(spec, "type", json!("ClusterIP"));
        for_each_obj(spec, "ports", |p| {
            let Some(m) = p.as_object_mut() else { return };
            default_zero(m, "protocol", json!("TCP"));
            if let Some(port) = m.get("port").cloned() {
                default_zero(m, "targetPort", port);
            }
        });
        let ty = spec
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let has_external_ips = spec
            .get("externalIPs")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if ty == "NodePort" || ty == "LoadBalancer" || (ty == "ClusterIP" && has_external_ips) {
            default_zero(spec, "externalTrafficPolicy", json!("Cluster"));
        }
        if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
            default_nil(spec, "internalTrafficPolicy", json!("Cluster"));
        }
        if ty == "LoadBalancer" {
            default_nil(spec, "allocateLoadBalancerNodePorts", json!(true));
        }
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        common::reset_status(obj, json!({"loadBalancer": {}}));
        let spec = obj_mut(obj, "spec");
        if spec.get("type").and_then(Value::as_str) != Some("ExternalName") {
            default_nil(spec, "ipFamilyPolicy", json!("SingleStack"));
            default_nil(spec, "ipFamilies", json!(["IPv4"]));
            if let Some(ip) = spec
                .get("clusterIP")
                .filter(|v| !crate::validation::value::is_empty(Some(v)))
                .cloned()
            {
                default_nil(spec, "clusterIPs", json!([ip]));
            }
        }
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
        common::keep_generation(new, old);
        patch_allocated_values(new, old);
    }

    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }

    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1035Label);
        errs.extend(validate_service_spec(
            obj.get("spec").unwrap_or(&Value::Null),
        ));
        errs
    }

    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        let (ns, os) = (
            new.get("spec").unwrap_or(&Value::Null),
            old.get("spec").unwrap_or(&Value::Null),
        );
        errs.extend(validate_service_spec(ns));
        let external = |s: &Value| str_at(s, &["type"]) == "ExternalName";
        if !external(ns) && !external(os) && !str_at(os, &["clusterIP"]).is_empty() {
            errs.extend(immutable(
                ns.get("clusterIP"),
                os.get("clusterIP"),
                &FieldPath::root("spec").child("clusterIP"),
            ));
        }
        let conditions = |o: &Value| o.pointer("/status/conditions").cloned();
        if conditions(new) != conditions(old) {
            errs.extend(crate::validation::conditions::validate_conditions(
                new.pointer("/status/conditions"),
                &FieldPath::root("status").child("conditions"),
            ));
        }
        errs
    }
}

/// Carry cluster IPs, IP families and node ports over from the old service when
/// the new one omits them (upstream's `patchAllocatedValues`).
fn patch_allocated_values(new: &mut Value, old: &Value) {
    let Some(os) = old.get("spec") else { return };
    let spec = obj_mut(new, "spec");
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if ty != "ExternalName" && os.get("type").and_then(Value::as_str) != Some("ExternalName") {
        for f in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            if let Some(v) = os.get(f) {
                default_zero(spec, f, v.clone());
            }
        }
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        let old_ports = arr_at(os, &["ports"]);
        for_each_obj(spec, "ports", |p| {
            let Some(m) = p.as_object_mut() else { return };
            let found = old_ports
                .iter()
                .find(|o| o.get("port") == m.get("port") && o.get("protocol") == m.get("protocol"));
            if let Some(np) = found.and_then(|o| o.get("nodePort")) {
                default_zero(m, "nodePort", np.clone());
            }
        });
        if let Some(h) = os.get("healthCheckNodePort") {
            default_zero(spec, "healthCheckNodePort", h.clone());
        }
    }
}

/// The service spec rules (upstream's `ValidateService`, common subset).
pub fn validate_service_spec(spec: &Value) -> ErrorList {
    let sp = FieldPath::root("spec");
    let mut errs = ErrorList::new();
    let ty = str_at(spec, &["type"]);
    errs.extend(one_of(
        ty,
        &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        true,
        &sp.child("type"),
    ));
    errs.extend(one_of(
        str_at(spec, &["sessionAffinity"]),
        &["ClientIP", "None"],
        true,
        &sp.child("sessionAffinity"),
    ));
    let headless = str_at(spec, &["clusterIP"]) == "None";
    let ports = arr_at(spec, &["ports"]);
    if ty == "ExternalName" {
        let en = str_at(spec, &["externalName"]);
        if en.is_empty() {
            errs.push(FieldError::required(&sp.child("externalName"), ""));
        } else {
            for msg in names::is_dns1123_subdomain(en.trim_end_matches('.')) {
                errs.push(FieldError::invalid(&sp.child("externalName"), en, msg));
            }
        }
    } else if ports.is_empty() && !headless {
        errs.push(FieldError::required(&sp.child("ports"), ""));
    }
    let mut port_names = HashSet::new();
    let mut port_keys = HashSet::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = sp.child("ports").index(i);
        let name = str_at(p, &["name"]);
        if name.is_empty() {
            if ports.len() > 1 {
                errs.push(FieldError::required(&pp.child("name"), ""));
            }
        } else {
            for msg in names::is_dns1123_label(name) {
                errs.push(FieldError::invalid(&pp.child("name"), name, msg));
            }
            if !port_names.insert(name.to_string()) {
                errs.push(FieldError::duplicate(&pp.child("name"), name));
            }
        }
        let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
        for msg in names::is_valid_port_num(port) {
            errs.push(FieldError::invalid_number(&pp.child("port"), port, msg));
        }
        let proto = str_at(p, &["protocol"]);
        errs.extend(one_of(proto, PROTOCOLS, true, &pp.child("protocol")));
        if p.get("targetPort").is_some() {
            errs.extend(port_num_or_name(
                p.get("targetPort"),
                &pp.child("targetPort"),
            ));
        }
        if let Some(np) = p
            .get("nodePort")
            .and_then(Value::as_i64)
            .filter(|n| *n != 0)
        {
            if ty == "ClusterIP" {
                errs.push(FieldError::forbidden(
                    &pp.child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            } else {
                for msg in names::is_valid_port_num(np) {
                    errs.push(FieldError::invalid_number(&pp.child("nodePort"), np, msg));
                }
            }
        }
        if !port_keys.insert((port, proto.to_string())) {
            errs.push(FieldError::duplicate(&pp, format!("{port}/{proto}")));
        }
    }
    if ty != "ExternalName" {
        errs.extend(validate_labels(
            obj_at(spec, &["selector"]),
            &sp.child("selector"),
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_expose_service_gets_defaults() {
        let s = ServiceStrategy;
        let mut svc = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "nginx", "namespace": "default"},
            "spec": {"ports": [{"port": 80}], "selector": {"app": "nginx"}}});
        s.default(&mut svc);
        s.prepare_for_create(&mut svc);
        assert_eq!(svc["spec"]["type"], "ClusterIP");
        assert_eq!(svc["spec"]["sessionAffinity"], "None");
        assert_eq!(
            svc["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        assert_eq!(svc["spec"]["ipFamilyPolicy"], "SingleStack");
        assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv4"]));
        assert_eq!(svc["spec"]["internalTrafficPolicy"], "Cluster");
        assert_eq!(svc["status"], json!({"loadBalancer": {}}));
        assert_eq!(s.validate(&svc), vec![]);
    }

    #[test]
    fn names_ports_and_cluster_ip() {
        let s = ServiceStrategy;
        let mut svc = json!({"metadata": {"name": "1nginx", "namespace": "default"},
            "spec": {"ports": [{"port": 80}, {"port": 80, "name": "b"}]}});
        s.default(&mut svc);
        let errs: Vec<String> = s.validate(&svc).iter().map(|e| e.to_string()).collect();
        assert!(errs[0].starts_with("metadata.name: Invalid value: \"1nginx\": a DNS-1035 label"));
        assert!(errs.contains(&"spec.ports[0].name: Required value".to_string()));
        assert!(errs.contains(&"spec.ports[1]: Duplicate value: \"80/TCP\"".to_string()));

        let old = json!({"metadata": {"name": "a", "namespace": "d"}, "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.5", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "sessionAffinity": "None"}});
        let mut new =
            json!({"metadata": {"name": "a", "namespace": "d"}, "spec": {"ports": [{"port": 80}]}});
        s.default(&mut new);
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["spec"]["clusterIP"], "10.0.0.5");
        assert_eq!(s.validate_update(&new, &old), vec![]);
        new["spec"]["clusterIP"] = json!("10.0.0.6");
        assert_eq!(
            s.validate_update(&new, &old)[0].to_string(),
            "spec.clusterIP: Invalid value: \"10.0.0.6\": field is immutable"
        );
    }
}
