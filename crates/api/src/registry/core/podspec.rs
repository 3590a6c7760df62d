//! Pod spec and pod template defaults (upstream `pkg/apis/core/v1/defaults.go`:
//! `SetDefaults_PodSpec`, `_Container`, `_ContainerPort`, `_Probe`,
//! `_HTTPGetAction`, `_Volume`, ...), shared by pods and every workload template.

use serde_json::{Value, json};

use crate::validation::value::{default_nil, default_zero, for_each_obj, get_mut, obj_mut};

/// Default a `PodTemplateSpec` (`spec.template` of a workload).
pub fn default_pod_template(template: &mut Value) {
    let spec = obj_mut(template, "spec");
    let mut spec_v = Value::Object(std::mem::take(spec));
    default_pod_spec(&mut spec_v);
    *obj_mut(template, "spec") = match spec_v {
        Value::Object(m) => m,
        _ => Default::default(),
    };
}

/// Default a `PodSpec` in place.
pub fn default_pod_spec(spec: &mut Value) {
    let Some(m) = spec.as_object_mut() else {
        return;
    };
    default_zero(m, "dnsPolicy", json!("ClusterFirst"));
    default_zero(m, "restartPolicy", json!("Always"));
    default_nil(m, "terminationGracePeriodSeconds", json!(30));
    default_nil(m, "securityContext", json!({}));
    default_zero(m, "schedulerName", json!("default-scheduler"));
    let host_network = m.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for_each_obj(m, key, |c| default_container(c, host_network));
    }
    for_each_obj(m, "volumes", default_volume);
}

/// Default one container.
pub fn default_container(c: &mut Value, host_network: bool) {
    let Some(m) = c.as_object_mut() else { return };
    if m.get("imagePullPolicy")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        let image = m.get("image").and_then(Value::as_str).unwrap_or("");
        let policy = if image_tag(image) == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        };
        m.insert("imagePullPolicy".into(), json!(policy));
    }
    default_zero(m, "terminationMessagePath", json!("/dev/termination-log"));
    default_zero(m, "terminationMessagePolicy", json!("File"));
    default_nil(m, "resources", json!({}));
    for_each_obj(m, "ports", |p| {
        let Some(pm) = p.as_object_mut() else { return };
        default_zero(pm, "protocol", json!("TCP"));
        if host_network && let Some(cp) = pm.get("containerPort").cloned() {
            default_zero(pm, "hostPort", cp);
        }
    });
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = m.get_mut(probe).filter(|p| p.is_object()) {
            default_probe(p);
        }
    }
    if let Some(lc) = m.get_mut("lifecycle").and_then(Value::as_object_mut) {
        for h in ["postStart", "preStop"] {
            if let Some(hg) = lc.get_mut(h).and_then(|h| h.get_mut("httpGet")) {
                default_http_get(hg);
            }
        }
    }
    for_each_obj(m, "env", |e| {
        if let Some(fr) = get_mut(e, &["valueFrom", "fieldRef"]).and_then(Value::as_object_mut) {
            default_zero(fr, "apiVersion", json!("v1"));
        }
    });
}

/// The tag of an image reference as upstream's `parsers.ParseImageName` reports
/// it: `latest` when there is neither a tag nor a digest.
pub fn image_tag(image: &str) -> &str {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag,
        None if digest => "",
        None => "latest",
    }
}

fn default_probe(p: &mut Value) {
    let Some(m) = p.as_object_mut() else { return };
    default_zero(m, "timeoutSeconds", json!(1));
    default_zero(m, "periodSeconds", json!(10));
    default_zero(m, "successThreshold", json!(1));
    default_zero(m, "failureThreshold", json!(3));
    if let Some(hg) = m.get_mut("httpGet") {
        default_http_get(hg);
    }
}

fn default_http_get(hg: &mut Value) {
    let Some(m) = hg.as_object_mut() else { return };
    default_zero(m, "path", json!("/"));
    default_zero(m, "scheme", json!("HTTP"));
}

fn default_volume(v: &mut Value) {
    let Some(m) = v.as_object_mut() else { return };
    if m.keys().all(|k| k == "name") {
        m.insert("emptyDir".into(), json!({}));
    }
    for src in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(s) = m.get_mut(src).and_then(Value::as_object_mut) {
            default_nil(s, "defaultMode", json!(420));
        }
    }
    if let Some(items) = get_mut(v, &["downwardAPI", "items"]).and_then(Value::as_array_mut) {
        for it in items {
            if let Some(fr) = get_mut(it, &["fieldRef"]).and_then(Value::as_object_mut) {
                default_zero(fr, "apiVersion", json!("v1"));
            }
        }
    }
    if let Some(sources) = get_mut(v, &["projected", "sources"]).and_then(Value::as_array_mut) {
        for s in sources {
            if let Some(t) = get_mut(s, &["serviceAccountToken"]).and_then(Value::as_object_mut) {
                default_nil(t, "expirationSeconds", json!(3600));
            }
        }
    }
    if let Some(hp) = get_mut(v, &["hostPath"]).and_then(Value::as_object_mut) {
        default_nil(hp, "type", json!(""));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("nginx:1.27"), "1.27");
        assert_eq!(image_tag("registry:5000/nginx"), "latest");
        assert_eq!(image_tag("registry:5000/nginx:latest"), "latest");
        assert_eq!(image_tag("nginx@sha256:abc"), "");
    }

    #[test]
    fn container_and_spec_defaults() {
        let mut spec = json!({"containers": [{"name": "c", "image": "nginx:1.27",
            "ports": [{"containerPort": 80}],
            "readinessProbe": {"httpGet": {"port": 80}}}],
            "volumes": [{"name": "v"}, {"name": "s", "secret": {"secretName": "x"}}]});
        default_pod_spec(&mut spec);
        assert_eq!(
            spec,
            json!({"containers": [{"name": "c", "image": "nginx:1.27",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "readinessProbe": {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                    "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "resources": {}}],
                "volumes": [{"name": "v", "emptyDir": {}}, {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}}],
                "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                "securityContext": {}, "schedulerName": "default-scheduler"})
        );
    }
}
