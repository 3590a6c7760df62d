//! The encoder against hand-derived bytes, real kubectl captures (byte for
//! byte), the decoder (round trips of realistic and generated objects), and
//! its error paths.

use base64::Engine;
use proptest::prelude::*;
use serde_json::json;

use super::generate::Gen;
use super::*;
use crate::codec::protobuf::to_json::go_duration;
use crate::codec::protobuf::{decode, decode_message, knows_message, parse_envelope};

fn s() -> &'static Schema {
    Schema::builtin()
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[track_caller]
fn round_trip(v: Value) {
    let body = encode_object(s(), &v).unwrap_or_else(|e| panic!("encode: {e}\n{v:#}"));
    let back = decode(&body, s()).unwrap_or_else(|e| panic!("decode: {e}\n{v:#}"));
    assert_eq!(back, v, "\nwant {v:#}\n got {back:#}");
}

// ------------------------------------------------------------ bytes

#[test]
fn configmap_bytes_by_hand() {
    let v = json!({"kind": "ConfigMap", "apiVersion": "v1",
        "metadata": {"name": "a"}, "data": {"k": "v"}});
    let mut want = b"k8s\0".to_vec();
    // Unknown.typeMeta {1: "v1", 2: "ConfigMap"}: 4 + 11 = 15 bytes.
    want.extend([0x0a, 0x0f, 0x0a, 0x02, b'v', b'1', 0x12, 0x09]);
    want.extend(b"ConfigMap");
    // Unknown.raw: metadata {1: "a"} (5 bytes) + data entry {1: "k", 2: "v"} (8 bytes).
    want.extend([0x12, 0x0d, 0x0a, 0x03, 0x0a, 0x01, b'a']);
    want.extend([0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v']);
    // contentEncoding "", contentType "".
    want.extend([0x1a, 0x00, 0x22, 0x00]);
    assert_eq!(encode_object(s(), &v).unwrap(), want);
}

/// kubectl 1.37 `create namespace x` (the decoder's capture): with every field
/// gogo writes present in the JSON, the bytes are upstream's exactly.
#[test]
fn kubectl_namespace_byte_for_byte() {
    let want = b64("azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhkKEQoBeBIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==");
    let v = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "x", "generateName": "", "namespace": "", "selfLink": "",
            "uid": "", "resourceVersion": "", "generation": 0,
            "creationTimestamp": "0001-01-01T00:00:00Z"},
        "spec": {}, "status": {"phase": ""}});
    assert_eq!(encode_object(s(), &v).unwrap(), want);
    // And the envelope alone matches whatever the raw is.
    let env = parse_envelope(&want).unwrap();
    let raw = encode_message(s(), "io.k8s.api.core.v1.Namespace", &v).unwrap();
    assert_eq!(raw, env.raw);
}

/// kubectl `autoscale deployment nginx --min 3 --max 10 --cpu-percent 50`:
/// nested messages, a repeated message, varints, tag order inside each level.
#[test]
fn kubectl_autoscale_byte_for_byte() {
    let want = b64(
        "azhzAAopCg5hdXRvc2NhbGluZy92MhIXSG9yaXpvbnRhbFBvZEF1dG9zY2FsZXISZQoVCgVuZ2lueBIAGgAiACoAMgA4AEIAEkYKHAoKRGVwbG95bWVudBIFbmdpbngaB2FwcHMvdjEQAxgKIiIKCFJlc291cmNlIhYKA2NwdRIPCgtVdGlsaXphdGlvbiAyGgQYACAAGgAiAA==",
    );
    // JSON key order deliberately unlike tag order.
    let v = json!({"status": {"desiredReplicas": 0, "currentReplicas": 0},
        "spec": {"metrics": [{"resource": {"target": {"averageUtilization": 50, "type": "Utilization"},
                "name": "cpu"}, "type": "Resource"}],
            "maxReplicas": 10, "minReplicas": 3,
            "scaleTargetRef": {"apiVersion": "apps/v1", "name": "nginx", "kind": "Deployment"}},
        "metadata": {"creationTimestamp": null, "name": "nginx", "generateName": "", "namespace": "",
            "selfLink": "", "uid": "", "resourceVersion": "", "generation": 0},
        "kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2"});
    let mut v2 = v.clone();
    // A null creationTimestamp is absent; Go's zero time is an empty message.
    v2["metadata"]["creationTimestamp"] = json!("0001-01-01T00:00:00Z");
    assert_eq!(encode_object(s(), &v2).unwrap(), want);
    let without = encode_object(s(), &v).unwrap();
    assert_eq!(without.len(), want.len() - 2);
    assert_eq!(decode(&without, s()), decode(&want, s()));
}

#[test]
fn helm_delete_options_byte_for_byte() {
    let want = b64("azhzAAoTCgJ2MRINRGVsZXRlT3B0aW9ucxIAGgAiAA==");
    let v = json!({"apiVersion": "v1", "kind": "DeleteOptions"});
    assert_eq!(encode_object(s(), &v).unwrap(), want);
}

#[test]
fn field_layout_rules() {
    let enc = |m: &str, v: Value| encode_message(s(), m, &v).unwrap();
    // Ascending tags whatever the table's (declaration) order: immutable (4) after data (2).
    assert_eq!(
        enc(
            "io.k8s.api.core.v1.ConfigMap",
            json!({"immutable": true, "data": {"k": "v"}, "kind": "ConfigMap"})
        ),
        [0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v', 0x20, 0x01]
    );
    // Map entries sorted by key.
    assert_eq!(
        enc(
            "io.k8s.api.core.v1.ConfigMap",
            json!({"data": {"b": "", "a": "x"}})
        ),
        [
            0x12, 0x06, 0x0a, 0x01, b'a', 0x12, 0x01, b'x', //
            0x12, 0x05, 0x0a, 0x01, b'b', 0x12, 0x00
        ]
    );
    // Negative int32: sign-extended ten-byte varint.
    assert_eq!(
        enc(
            "io.k8s.api.core.v1.ContainerPort",
            json!({"containerPort": -1})
        ),
        [
            0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
        ]
    );
    // Repeated scalars unpacked: one key per element.
    assert_eq!(
        enc(
            "io.k8s.api.core.v1.PodSecurityContext",
            json!({"supplementalGroups": [1, 300]})
        ),
        [0x20, 0x01, 0x20, 0xac, 0x02]
    );
    // An embedded struct (VolumeSource in Volume) at its own tag.
    assert_eq!(
        enc(
            "io.k8s.api.core.v1.Volume",
            json!({"emptyDir": {}, "name": "c"})
        ),
        [0x0a, 0x01, b'c', 0x12, 0x02, 0x12, 0x00]
    );
    // IntOrString writes all three fields; Time both of its.
    assert_eq!(
        enc("io.k8s.api.core.v1.HTTPGetAction", json!({"port": 8080})),
        [0x12, 0x07, 0x08, 0x00, 0x10, 0x90, 0x3f, 0x1a, 0x00]
    );
    assert_eq!(
        enc("io.k8s.api.core.v1.HTTPGetAction", json!({"port": "web"})),
        [
            0x12, 0x09, 0x08, 0x01, 0x10, 0x00, 0x1a, 0x03, b'w', b'e', b'b'
        ]
    );
    assert_eq!(
        enc(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            json!({"creationTimestamp": "1970-01-01T00:02:08Z"})
        ),
        [0x42, 0x05, 0x08, 0x80, 0x01, 0x10, 0x00]
    );
    // Quantity, FieldsV1 (compact JSON), bytes (base64 decoded).
    assert_eq!(
        enc(
            "io.k8s.api.core.v1.ResourceRequirements",
            json!({"limits": {"cpu": "1"}})
        ),
        [
            0x0a, 0x0a, 0x0a, 0x03, b'c', b'p', b'u', 0x12, 0x03, 0x0a, 0x01, b'1'
        ]
    );
    assert_eq!(
        enc(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
            json!({"fieldsV1": {"f:a": {}}})
        ),
        [
            0x3a, 0x0c, 0x0a, 0x0a, b'{', b'"', b'f', b':', b'a', b'"', b':', b'{', b'}', b'}'
        ]
    );
    assert_eq!(
        enc("io.k8s.api.core.v1.Secret", json!({"data": {"k": "AAE="}})),
        [0x12, 0x07, 0x0a, 0x01, b'k', 0x12, 0x02, 0x00, 0x01]
    );
    // Duration: nanoseconds, 1_500_000_000 = 0x59682f00.
    assert_eq!(
        enc(
            "io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics",
            json!({"window": "1.5s"})
        ),
        [0x1a, 0x06, 0x08, 0x80, 0xde, 0xa0, 0xcb, 0x05]
    );
}

#[test]
fn long_payloads_get_multi_byte_lengths() {
    let long = "x".repeat(300);
    let b = encode_message(
        s(),
        "io.k8s.api.core.v1.ConfigMap",
        &json!({"metadata": {"name": long}}),
    )
    .unwrap();
    // metadata: 0x0a, len 303 = [0xaf, 0x02]; name: 0x0a, len 300 = [0xac, 0x02].
    assert_eq!(&b[..6], &[0x0a, 0xaf, 0x02, 0x0a, 0xac, 0x02]);
    assert_eq!(b.len(), 6 + 300);
}

// ------------------------------------------------------------ watch frames

#[test]
fn watch_frame_layout() {
    let cm = json!({"kind": "ConfigMap", "apiVersion": "v1",
        "metadata": {"name": "a"}, "data": {"k": "v"}});
    let body = encode_object(s(), &cm).unwrap();
    assert_eq!(body.len(), 40);
    let frame = encode_watch_event("ADDED", &body);
    let mut want = vec![0, 0, 0, 51]; // big-endian length of what follows
    want.extend([0x0a, 0x05]);
    want.extend(b"ADDED");
    want.extend([0x12, 42, 0x0a, 40]); // object: RawExtension{1: body}
    want.extend(&body);
    assert_eq!(frame, want);

    // The event is the bare message (no magic) and decodes as a WatchEvent whose
    // object is the whole embedded body.
    let event = decode_message(
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
        &frame[4..],
        s(),
    )
    .unwrap();
    assert_eq!(event, json!({"type": "ADDED", "object": cm}));
}

#[test]
fn watch_stream_of_several_frames_splits_on_the_prefixes() {
    let objs: Vec<Value> = (0..3)
        .map(|i| {
            json!({"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
            "metadata": {"name": format!("l{i}"), "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": "n".repeat(1 + 100 * i), "leaseDurationSeconds": 40}})
        })
        .collect();
    let types = ["ADDED", "MODIFIED", "DELETED"];
    let mut stream = Vec::new();
    for (t, o) in types.iter().zip(&objs) {
        stream.extend(encode_watch_event(t, &encode_object(s(), o).unwrap()));
    }
    let mut rest = stream.as_slice();
    let mut got = Vec::new();
    while !rest.is_empty() {
        let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let ev = decode_message(
            "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
            &rest[4..4 + n],
            s(),
        )
        .unwrap();
        got.push(ev);
        rest = &rest[4 + n..];
    }
    let want: Vec<Value> = types
        .iter()
        .zip(objs)
        .map(|(t, o)| json!({"type": t, "object": o}))
        .collect();
    assert_eq!(got, want);
}

// ------------------------------------------------------------ round trips

fn meta(name: &str) -> Value {
    json!({"name": name, "namespace": "default", "uid": "8c1f0e4e-6d3a-4b8e-9d59-0d1f2f3a4b5c",
        "resourceVersion": "12345", "generation": 3, "creationTimestamp": "2026-01-02T03:04:05Z",
        "labels": {"app": "web", "tier": "frontend"}, "annotations": {"note": "ünïcode ✓"}})
}

#[test]
fn configmap_and_secret() {
    round_trip(
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta("cm"),
        "immutable": false, "data": {"a.conf": "x=1\ny=2\n", "empty": ""},
        "binaryData": {"bin": "AAEC/w==", "none": ""}}),
    );
    round_trip(
        json!({"kind": "Secret", "apiVersion": "v1", "metadata": meta("s"),
        "type": "kubernetes.io/tls", "immutable": true,
        "data": {"tls.crt": "LS0tLS1CRUdJTg==", "tls.key": ""}}),
    );
}

fn pod_spec() -> Value {
    json!({
        "volumes": [
            {"name": "cfg", "configMap": {"name": "cm", "defaultMode": 420,
                "items": [{"key": "a.conf", "path": "a.conf"}]}},
            {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "tok", "projected": {"sources": [{"serviceAccountToken":
                {"expirationSeconds": 3607, "path": "token"}}]}}],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["sh", "-c", "true"]}],
        "containers": [{"name": "web", "image": "nginx:1.27",
            "args": ["-g", "daemon off;"],
            "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"},
                      {"containerPort": 9090, "hostPort": 19090, "protocol": "UDP"}],
            "env": [{"name": "A", "value": "1"},
                    {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                    {"name": "K", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": true}}}],
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                          "requests": {"cpu": "250m", "memory": "64Mi", "ephemeral-storage": "0"}},
            "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg", "readOnly": true}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP",
                    "httpHeaders": [{"name": "X", "value": "y"}]},
                "initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 10,
                "successThreshold": 1, "failureThreshold": 3},
            "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 5},
            "startupProbe": {"exec": {"command": ["cat", "/tmp/ok"]}, "failureThreshold": 30},
            "securityContext": {"runAsUser": 0, "runAsNonRoot": false, "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent"}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "nodeSelector": {"kubernetes.io/os": "linux"}, "serviceAccountName": "default",
        "securityContext": {"fsGroup": 2000, "supplementalGroups": [1000, 3000],
            "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]},
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10,
                    "preference": {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n0"]}]}}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
                "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                    "topologyKey": "kubernetes.io/hostname"}}]}},
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}],
        "schedulerName": "default-scheduler", "priority": -10, "enableServiceLinks": true,
        "preemptionPolicy": "PreemptLowerPriority"})
}

#[test]
fn pod_with_status() {
    round_trip(json!({"kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": "web-0", "namespace": "default", "generateName": "web-",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                "uid": "u1", "controller": true, "blockOwnerDeletion": true}]},
        "spec": pod_spec(),
        "status": {"phase": "Running", "hostIP": "10.0.0.5", "podIP": "10.244.1.7",
            "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}], "qosClass": "Burstable",
            "startTime": "2026-01-02T03:04:05Z",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-02T03:04:09Z"}],
            "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0, "image": "nginx:1.27",
                "imageID": "docker.io/library/nginx@sha256:abc", "containerID": "containerd://1", "started": true,
                "state": {"running": {"startedAt": "2026-01-02T03:04:07Z"}},
                "lastState": {"terminated": {"exitCode": -1, "signal": 9, "reason": "OOMKilled",
                    "startedAt": "2026-01-02T03:00:00Z", "finishedAt": "2026-01-02T03:04:06Z"}}}]}}));
}

#[test]
fn deployment_and_service() {
    round_trip(
        json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta("web"),
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "Exists"}]},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec()},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
        "status": {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
            "availableReplicas": 2, "conditions": [{"type": "Available", "status": "True",
                "lastUpdateTime": "2026-01-02T03:04:05Z", "lastTransitionTime": "2026-01-02T03:04:05Z",
                "reason": "MinimumReplicasAvailable", "message": "ok"}]}}),
    );
    round_trip(
        json!({"kind": "Service", "apiVersion": "v1", "metadata": meta("svc"),
        "spec": {"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080},
                {"name": "named", "protocol": "TCP", "appProtocol": "h2c", "port": 81, "targetPort": "web"}],
            "selector": {"app": "web"}, "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10", "fd00::10"],
            "type": "NodePort", "sessionAffinity": "ClientIP",
            "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
            "ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "PreferDualStack",
            "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster",
            "allocateLoadBalancerNodePorts": false},
        "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4", "ipMode": "VIP",
            "ports": [{"port": 80, "protocol": "TCP"}]}]}}}),
    );
}

#[test]
fn node_with_status() {
    round_trip(json!({"kind": "Node", "apiVersion": "v1",
        "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
        "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"], "providerID": "kind://n1",
            "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
            "unschedulable": true},
        "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "7800m", "memory": "31Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True",
                "lastHeartbeatTime": "2026-01-02T03:04:05Z", "lastTransitionTime": "2025-12-31T23:59:59Z",
                "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
            "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "n1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.8.0",
                "osImage": "Debian", "containerRuntimeVersion": "containerd://2.1", "kubeletVersion": "v1.37.0",
                "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
            "images": [{"names": ["nginx:1.27", "nginx@sha256:abc"], "sizeBytes": 72_000_000_000_i64}],
            "volumesInUse": ["kubernetes.io/csi/x"]}}));
}

#[test]
fn events_lease_and_times() {
    round_trip(json!({"kind": "Event", "apiVersion": "v1",
        "metadata": {"name": "web.1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u",
            "apiVersion": "v1", "resourceVersion": "7", "fieldPath": "spec.containers{web}"},
        "reason": "Pulled", "message": "pulled", "source": {"component": "kubelet", "host": "n1"},
        "firstTimestamp": "2026-01-02T03:04:05Z", "lastTimestamp": "2026-01-02T03:04:06Z", "count": 2,
        "type": "Normal", "eventTime": "2026-01-02T03:04:05.123456Z", "reportingComponent": "kubelet",
        "reportingInstance": "n1"}));
    round_trip(json!({"kind": "Event", "apiVersion": "events.k8s.io/v1",
        "metadata": {"name": "e", "namespace": "default"},
        "eventTime": "1969-12-31T23:59:59.000001Z",
        "series": {"count": 3, "lastObservedTime": "2026-01-02T03:04:05.000100Z"},
        "reportingController": "c", "reportingInstance": "i", "action": "A", "reason": "R",
        "regarding": {"kind": "Node", "name": "n1"}, "note": "n", "type": "Warning", "deprecatedCount": 0}));
    round_trip(
        json!({"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
        "metadata": {"name": "n1", "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40, "leaseTransitions": 0,
            "acquireTime": "2026-01-02T03:04:05.000000Z", "renewTime": "2026-01-02T03:04:45.500000Z"}}),
    );
}

fn full_meta(name: &str) -> Value {
    json!({"name": name, "generateName": "gen-", "namespace": "ns", "selfLink": "/x",
        "uid": "u-1", "resourceVersion": "9", "generation": 7,
        "creationTimestamp": "2026-01-02T03:04:05Z", "deletionTimestamp": "2026-01-02T04:04:05Z",
        "deletionGracePeriodSeconds": 0,
        "labels": {"a": "1", "": "empty-key"}, "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"},
        "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "ou"},
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "ru",
                "controller": false, "blockOwnerDeletion": false}],
        "finalizers": ["kubernetes.io/pvc-protection", "example.com/f"],
        "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
            "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:a": {}}}, "f:data": {".": {}}}},
            {"manager": "kubelet", "operation": "Update", "subresource": "status",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]})
}

#[test]
fn partial_object_metadata_and_list() {
    round_trip(
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
        "metadata": full_meta("p")}),
    );
    round_trip(
        json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "100", "continue": "tok", "remainingItemCount": 0},
        "items": [{"metadata": full_meta("a")}, {"metadata": {"name": "b"}}, {}]}),
    );
}

#[test]
fn raw_extension_and_crd() {
    round_trip(
        json!({"kind": "ControllerRevision", "apiVersion": "apps/v1", "metadata": {"name": "r"},
        "data": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}},
        "revision": 4}),
    );
    round_trip(
        json!({"kind": "CustomResourceDefinition", "apiVersion": "apiextensions.k8s.io/v1",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "required": ["spec"],
                    "properties": {"spec": {"type": "object",
                        "properties": {"size": {"type": "integer", "minimum": 1.5, "default": 3},
                            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                            "tuple": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
                            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                "additionalProperties": {"type": "string"}},
                            "closed": {"type": "object", "additionalProperties": false}},
                        "dependencies": {"size": ["tags"], "tags": {"required": ["size"]}}}}}},
                "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}]}]},
        "status": {"acceptedNames": {"plural": "widgets", "kind": "Widget"},
            "storedVersions": ["v1"]}}),
    );
}

/// What does not survive: the decoder's normalisations, each on purpose.
#[test]
fn documented_normalisations() {
    let v = json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "", "selfLink": null},
        "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"name": "a", "generation": 0, "labels": {}, "finalizers": [],
                "creationTimestamp": "2026-01-02T05:04:05.999+02:00", "unknownField": 1}}]});
    let back = decode(&encode_object(s(), &v).unwrap(), s()).unwrap();
    // Zero scalars the table drops, empty maps and lists, nulls, unknown fields and
    // the TypeMeta of list items (not on the wire) are gone; metav1.Time keeps whole
    // seconds, in UTC.
    assert_eq!(
        back,
        json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
            "metadata": {},
            "items": [{"metadata": {"name": "a", "creationTimestamp": "2026-01-02T03:04:05Z"}}]})
    );
    // A Quantity given as a number comes back as its string, a Duration in Go's form.
    let pod = json!({"kind": "Pod", "apiVersion": "v1",
        "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 2, "memory": 1.5}}}]}});
    let back = decode(&encode_object(s(), &pod).unwrap(), s()).unwrap();
    assert_eq!(
        back["spec"]["containers"][0]["resources"]["limits"],
        json!({"cpu": "2", "memory": "1.5"})
    );
    let pm = "io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics";
    let raw = encode_message(s(), pm, &json!({"window": "90s"})).unwrap();
    assert_eq!(
        decode_message(pm, &raw, s()).unwrap(),
        json!({"window": "1m30s"})
    );
}

// ------------------------------------------------------------ errors

#[test]
fn wrong_types_name_the_field() {
    let err = |v: Value| encode_object(s(), &v).unwrap_err();
    assert_eq!(
        err(json!({"kind": "ConfigMap", "apiVersion": "v1", "data": {"k": 1}})),
        EncodeError::WrongType {
            path: "data[k]".into(),
            expected: "string",
            got: "number"
        }
    );
    let e = err(json!({"kind": "Pod", "apiVersion": "v1",
        "spec": {"containers": [{"name": "a"}, {"name": "b", "ports": [{"containerPort": "80"}]}]}}));
    assert_eq!(
        e.to_string(),
        "spec.containers[1].ports[0].containerPort: expected integer, got string"
    );
    assert!(matches!(
        err(
            json!({"kind": "Pod", "apiVersion": "v1", "spec": {"containers": [{"ports": [{"containerPort": 1_i64 << 40}]}]}})
        ),
        EncodeError::OutOfRange { ty: "int32", .. }
    ));
    assert!(matches!(
        err(json!({"kind": "Pod", "apiVersion": "v1", "spec": {"priority": 1.5}})),
        EncodeError::OutOfRange { .. }
    ));
    assert!(matches!(
        err(json!({"kind": "Secret", "apiVersion": "v1", "data": {"k": "not base64!"}})),
        EncodeError::BadFormat {
            format: "base64 string",
            ..
        }
    ));
    assert_eq!(
        err(json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"creationTimestamp": "yesterday"}}))
            .to_string(),
        "metadata.creationTimestamp: \"yesterday\" is not a valid RFC 3339 timestamp"
    );
    assert!(matches!(
        err(json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": []})),
        EncodeError::WrongType {
            expected: "object",
            got: "array",
            ..
        }
    ));
    assert!(matches!(
        err(json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"finalizers": "x"}})),
        EncodeError::WrongType {
            expected: "array",
            ..
        }
    ));
    assert!(matches!(
        err(
            json!({"kind": "Service", "apiVersion": "v1", "spec": {"ports": [{"targetPort": true}]}})
        ),
        EncodeError::WrongType {
            expected: "integer or string",
            ..
        }
    ));
    assert!(matches!(
        err(json!({"kind": "ConfigMap", "apiVersion": "v1", "immutable": "yes"})),
        EncodeError::WrongType {
            expected: "boolean",
            ..
        }
    ));
    assert_eq!(
        err(json!({"apiVersion": "v1"})),
        EncodeError::WrongType {
            path: "kind".into(),
            expected: "string",
            got: "nothing"
        }
    );
    assert!(matches!(
        err(json!({"kind": "Nope", "apiVersion": "v1"})),
        EncodeError::UnknownKind { .. }
    ));
    assert!(matches!(
        encode_message(s(), "io.example.Nope", &json!({})),
        Err(EncodeError::UnknownMessage { .. })
    ));
}

#[test]
fn deep_nesting_is_bounded() {
    let mut props = json!({"type": "string"});
    for _ in 0..200 {
        props = json!({"type": "object", "properties": {"p": props}});
    }
    let crd = json!({"kind": "CustomResourceDefinition", "apiVersion": "apiextensions.k8s.io/v1",
        "spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": props}}]}});
    let e = encode_object(s(), &crd).unwrap_err();
    assert!(
        matches!(&e, EncodeError::TooDeep { max: MAX_ENCODE_DEPTH, path } if path.contains("properties[p]")),
        "{e}"
    );
    // 40 levels are fine.
    let mut props = json!({"type": "string"});
    for _ in 0..40 {
        props = json!({"type": "object", "properties": {"p": props}});
    }
    let crd = json!({"kind": "CustomResourceDefinition", "apiVersion": "apiextensions.k8s.io/v1",
        "metadata": {"name": "x"},
        "spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": props}}]}});
    round_trip(crd);
}

#[test]
fn go_durations_parse() {
    for (s, ns) in [
        ("0", 0),
        ("0s", 0),
        ("1ns", 1),
        ("1.5µs", 1_500),
        ("1.5us", 1_500),
        ("2ms", 2_000_000),
        ("-1.5h", -5_400_000_000_000),
        ("+1h2m3.000000004s", 3_723_000_000_004),
        (".5s", 500_000_000),
        ("1.s", 1_000_000_000),
        ("2562047h47m16.854775807s", i64::MAX),
        ("-2562047h47m16.854775808s", i64::MIN),
    ] {
        assert_eq!(parse_go_duration(s), Some(ns), "{s}");
    }
    for bad in [
        "",
        "-",
        "1",
        "s",
        "1x",
        "1.2.3s",
        ".s",
        "1h-2m",
        "2562047h47m16.854775808s",
        "9999999999999999999999999h",
    ] {
        assert_eq!(parse_go_duration(bad), None, "{bad}");
    }
}

// ------------------------------------------------------------ generated objects

/// Every kind of the built-in schema the table describes.
fn kinds() -> Vec<(String, String, String)> {
    let mut out: Vec<_> = s()
        .gvks()
        .filter(|(_, name)| knows_message(name))
        .map(|(g, name)| (g.api_version(), g.kind.clone(), name.to_string()))
        .collect();
    out.sort();
    out
}

fn generated(kind: &(String, String, String), seed: u64) -> Value {
    let mut obj = Gen::new(seed).object(&kind.2, 0);
    obj.insert("apiVersion".into(), Value::String(kind.0.clone()));
    obj.insert("kind".into(), Value::String(kind.1.clone()));
    Value::Object(obj)
}

#[test]
fn every_kind_round_trips_a_few_seeds() {
    let kinds = kinds();
    assert!(kinds.len() > 150, "{}", kinds.len());
    for k in &kinds {
        for seed in 1..=3 {
            round_trip(generated(k, seed * 0x9e37_79b9));
        }
    }
}

proptest! {
    #[test]
    fn generated_objects_round_trip(k in prop::sample::select(kinds()), seed in any::<u64>()) {
        let v = generated(&k, seed);
        let body = encode_object(s(), &v).unwrap();
        prop_assert_eq!(decode(&body, s()).unwrap(), v);
    }

    #[test]
    fn go_duration_strings_parse_back(d in any::<i64>()) {
        prop_assert_eq!(parse_go_duration(&go_duration(d)), Some(d));
    }

    #[test]
    fn arbitrary_json_never_panics(k in prop::sample::select(kinds()), seed in any::<u64>(),
            junk in prop::sample::select(vec![json!(null), json!(1.5), json!(-1), json!("x"),
                json!([]), json!({}), json!(true), json!([{"a": 1}]), json!({"a": [null]})]),
            pick in any::<prop::sample::Index>()) {
        // Replace one field of a valid object with a value of some other type.
        let mut v = generated(&k, seed);
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        let key = pick.get(&keys).clone();
        if key != "kind" && key != "apiVersion" {
            v[&key] = junk;
        }
        let _ = encode_object(s(), &v);
    }
}
