//! Real client bodies (captured from kubectl 1.37 and helm 4, see
//! shared/clients/request-sequences.txt) and hand-encoded ones.

use base64::Engine;
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::codec::protobuf::to_json::go_duration;

/// A tiny protobuf encoder, as gogo writes Kubernetes objects.
#[derive(Default, Clone)]
struct Enc(Vec<u8>);

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Enc {
    fn new() -> Self {
        Self::default()
    }
    fn key(mut self, tag: u32, wt: u8) -> Self {
        varint(&mut self.0, (u64::from(tag) << 3) | u64::from(wt));
        self
    }
    fn bytes(self, tag: u32, b: &[u8]) -> Self {
        let mut s = self.key(tag, 2);
        varint(&mut s.0, b.len() as u64);
        s.0.extend_from_slice(b);
        s
    }
    fn str(self, tag: u32, v: &str) -> Self {
        self.bytes(tag, v.as_bytes())
    }
    fn msg(self, tag: u32, m: Enc) -> Self {
        self.bytes(tag, &m.0)
    }
    fn int(self, tag: u32, v: i64) -> Self {
        let mut s = self.key(tag, 0);
        varint(&mut s.0, v as u64);
        s
    }
    fn boolean(self, tag: u32, v: bool) -> Self {
        self.int(tag, v as i64)
    }
    /// A `map<string, string>` entry.
    fn entry(self, tag: u32, k: &str, v: &str) -> Self {
        self.msg(tag, Enc::new().str(1, k).str(2, v))
    }
    fn entry_bytes(self, tag: u32, k: &str, v: &[u8]) -> Self {
        self.msg(tag, Enc::new().str(1, k).bytes(2, v))
    }
}

fn envelope(api_version: &str, kind: &str, raw: Enc) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(
        Enc::new()
            .msg(1, Enc::new().str(1, api_version).str(2, kind))
            .msg(2, raw)
            .str(3, "")
            .str(4, "")
            .0,
    );
    out
}

/// ObjectMeta as gogo writes it: every non-pointer field, empty or not.
fn meta(name: &str) -> Enc {
    Enc::new()
        .str(1, name)
        .str(2, "")
        .str(3, "")
        .str(4, "")
        .str(5, "")
        .str(6, "")
        .int(7, 0)
        .msg(8, Enc::new())
}

fn decode_b64(s: &str) -> Result<Value, DecodeError> {
    let b = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    decode(&b, Schema::builtin())
}

#[test]
fn kubectl_create_namespace() {
    let v = decode_b64("azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhkKEQoBeBIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==")
        .unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {}, "status": {}})
    );
}

#[test]
fn kubectl_autoscale() {
    let v = decode_b64("azhzAAopCg5hdXRvc2NhbGluZy92MhIXSG9yaXpvbnRhbFBvZEF1dG9zY2FsZXISZQoVCgVuZ2lueBIAGgAiACoAMgA4AEIAEkYKHAoKRGVwbG95bWVudBIFbmdpbngaB2FwcHMvdjEQAxgKIiIKCFJlc291cmNlIhYKA2NwdRIPCgtVdGlsaXphdGlvbiAyGgQYACAAGgAiAA==").unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "nginx"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "nginx", "apiVersion": "apps/v1"},
                "minReplicas": 3, "maxReplicas": 10,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 50}}}]},
            "status": {"desiredReplicas": 0}})
    );
}

#[test]
fn helm_delete_options() {
    let v = decode_b64("azhzAAoTCgJ2MRINRGVsZXRlT3B0aW9ucxIAGgAiAA==").unwrap();
    assert_eq!(v, json!({"apiVersion": "v1", "kind": "DeleteOptions"}));
    let raw = Enc::new()
        .int(1, 0) // gracePeriodSeconds: a pointer, zero kept
        .msg(2, Enc::new().str(1, "uid-1").str(2, "42"))
        .str(4, "Foreground")
        .str(5, "All");
    let v = decode(&envelope("v1", "DeleteOptions", raw), Schema::builtin()).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
            "preconditions": {"uid": "uid-1", "resourceVersion": "42"},
            "propagationPolicy": "Foreground", "dryRun": ["All"]})
    );
    // Sent with the meta group version too.
    let v = decode(
        &envelope(
            "meta.k8s.io/v1",
            "DeleteOptions",
            Enc::new().str(4, "Background"),
        ),
        Schema::builtin(),
    )
    .unwrap();
    assert_eq!(v["propagationPolicy"], "Background");
}

#[test]
fn helm_release_secret() {
    let release = b"H4sIAAAAAAAC/\x00\xff binary";
    let raw = Enc::new()
        .msg(
            1,
            meta("sh.helm.release.v1.r1.v1")
                .entry(11, "name", "r1")
                .entry(11, "owner", "helm")
                .entry(11, "status", "deployed")
                .entry(11, "version", "1"),
        )
        .entry_bytes(2, "release", release)
        .entry_bytes(2, "empty", b"")
        .str(3, "helm.sh/release.v1");
    let v = decode(&envelope("v1", "Secret", raw), Schema::builtin()).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "sh.helm.release.v1.r1.v1",
                "labels": {"name": "r1", "owner": "helm", "status": "deployed", "version": "1"}},
            "data": {"release": base64::engine::general_purpose::STANDARD.encode(release), "empty": ""},
            "type": "helm.sh/release.v1"})
    );
}

#[test]
fn truncated_helm_capture_is_an_error() {
    // The capture log cut this body; a cut body must fail cleanly.
    let s = "azhzAAoMCgJ2MRIGU2VjcmV0EpsICoUBChhzaC5oZWxtLnJlbGVhc2UudjEucjEudjESABoAIgAqADIAOABCAFoXCgljcmVhdGVkQXQSCjE3OTUzMTE4NzdaCgoEbmFtZRICcjFaDQoFb3duZXISBGhlbG1aGQoGc3RhdHVzEg9wZW5kaW5nLWl";
    let b = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&s[..s.len() / 4 * 4])
        .unwrap();
    assert_eq!(decode(&b, Schema::builtin()), Err(DecodeError::Truncated));
}

#[test]
fn configmap_with_binary_data_and_times() {
    let raw = Enc::new()
        .msg(
            1,
            Enc::new()
                .str(1, "cm")
                .str(3, "default")
                .int(7, 2)
                .msg(8, Enc::new().int(1, 1_767_323_045).int(2, 999))
                .entry(12, "a", "b"),
        )
        .entry(2, "k", "v")
        .entry(2, "e", "")
        .entry_bytes(3, "bin", &[0, 1, 2])
        .boolean(4, false);
    let v = decode(&envelope("v1", "ConfigMap", raw), Schema::builtin()).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "default", "generation": 2,
                "creationTimestamp": "2026-01-02T03:04:05Z", "annotations": {"a": "b"}},
            "immutable": false, "data": {"k": "v", "e": ""}, "binaryData": {"bin": "AAEC"}})
    );
}

fn container(name: &str, image: &str) -> Enc {
    Enc::new()
        .str(1, name)
        .str(2, image)
        .msg(
            6,
            Enc::new()
                .str(1, "http")
                .int(2, 0)
                .int(3, 80)
                .str(4, "TCP")
                .str(5, ""),
        )
        .msg(
            8,
            Enc::new()
                .msg(
                    1,
                    Enc::new().str(1, "cpu").msg(2, Enc::new().str(1, "500m")),
                )
                .msg(2, Enc::new().str(1, "memory").msg(2, Enc::new().str(1, ""))),
        )
        .str(13, "")
        .str(14, "IfNotPresent")
        .boolean(16, false)
        .boolean(17, false)
        .boolean(18, false)
}

#[test]
fn deployment_from_kubectl_create() {
    let template = Enc::new().msg(1, meta("").entry(11, "app", "nginx")).msg(
        2,
        Enc::new()
            .msg(2, container("nginx", "nginx:1.27"))
            .str(3, "")
            .str(6, "")
            .boolean(11, false)
            .boolean(12, false)
            .boolean(13, false)
            .msg(
                1,
                Enc::new()
                    .str(1, "cfg")
                    .msg(2, Enc::new().msg(2, Enc::new())),
            ),
    );
    let spec = Enc::new()
        .int(1, 0)
        .msg(2, Enc::new().entry(1, "app", "nginx"))
        .msg(3, template)
        .msg(4, Enc::new().str(1, ""))
        .int(5, 0)
        .boolean(7, false);
    let raw = Enc::new()
        .msg(1, meta("nginx").entry(11, "app", "nginx"))
        .msg(2, spec)
        .msg(3, Enc::new().int(1, 0));
    let v = decode(&envelope("apps/v1", "Deployment", raw), Schema::builtin()).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"metadata": {"labels": {"app": "nginx"}},
                    "spec": {"volumes": [{"name": "cfg", "emptyDir": {}}],
                        "containers": [{"name": "nginx", "image": "nginx:1.27",
                            "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                            "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "0"}},
                            "imagePullPolicy": "IfNotPresent"}]}},
                "strategy": {}},
            "status": {}})
    );
}

#[test]
fn service_with_int_or_string_ports() {
    let port = |name: &str, p: i64, target: Enc| {
        Enc::new()
            .str(1, name)
            .str(2, "TCP")
            .int(3, p)
            .msg(4, target)
            .int(5, 0)
    };
    let spec = Enc::new()
        .msg(
            1,
            port("http", 80, Enc::new().int(1, 0).int(2, 8080).str(3, "")),
        )
        .msg(
            1,
            port("named", 81, Enc::new().int(1, 1).int(2, 0).str(3, "web")),
        )
        .entry(2, "app", "nginx")
        .str(3, "")
        .str(4, "ClusterIP");
    let raw = Enc::new()
        .msg(1, meta("svc"))
        .msg(2, spec)
        .msg(3, Enc::new().msg(1, Enc::new()));
    let v = decode(&envelope("v1", "Service", raw), Schema::builtin()).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
            "spec": {"ports": [
                {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                {"name": "named", "protocol": "TCP", "port": 81, "targetPort": "web"}],
                "selector": {"app": "nginx"}, "type": "ClusterIP"},
            "status": {"loadBalancer": {}}})
    );
}

#[test]
fn pod_with_probe_security_context_and_raw_fields() {
    let probe = Enc::new()
        .msg(
            1,
            Enc::new().msg(
                2,
                Enc::new()
                    .str(1, "/healthz")
                    .msg(2, Enc::new().int(1, 0).int(2, 8080)),
            ),
        )
        .int(2, 0)
        .int(3, 1)
        .int(4, 10);
    let c = Enc::new()
        .str(1, "app")
        .str(2, "busybox")
        .str(3, "sh")
        .str(3, "-c")
        .msg(10, probe)
        .msg(15, Enc::new().int(4, 0).boolean(7, false));
    let spec = Enc::new().msg(2, c).int(4, 0).boolean(21, false).msg(
        22,
        Enc::new().str(1, "k").str(2, "Exists").str(4, "NoSchedule"),
    );
    let managed = Enc::new()
        .str(1, "kubectl")
        .str(2, "Update")
        .msg(4, Enc::new().int(1, 1_767_323_045))
        .str(6, "FieldsV1")
        .msg(7, Enc::new().bytes(1, br#"{"f:spec":{}}"#));
    let raw = Enc::new().msg(1, meta("p").msg(17, managed)).msg(2, spec);
    let v = decode(&envelope("v1", "Pod", raw), Schema::builtin()).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "managedFields": [{"manager": "kubectl", "operation": "Update",
                "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sh", "-c"],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "timeoutSeconds": 1, "periodSeconds": 10},
                "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false}}],
                "terminationGracePeriodSeconds": 0, "automountServiceAccountToken": false,
                "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]}})
    );
}

#[test]
fn raw_extension_json_and_nested_protobuf() {
    // ControllerRevision.data is a RawExtension.
    let inner = envelope("v1", "Namespace", Enc::new().msg(1, meta("n")));
    let v = decode(
        &envelope(
            "apps/v1",
            "ControllerRevision",
            Enc::new()
                .msg(1, meta("r"))
                .msg(2, Enc::new().bytes(1, &inner))
                .int(3, 4),
        ),
        Schema::builtin(),
    )
    .unwrap();
    assert_eq!(
        v["data"],
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    );
    assert_eq!(v["revision"], 4);
    let v = decode(
        &envelope(
            "apps/v1",
            "ControllerRevision",
            Enc::new().msg(2, Enc::new().bytes(1, br#"{"spec":{"x":[1]}}"#)),
        ),
        Schema::builtin(),
    )
    .unwrap();
    assert_eq!(v["data"], json!({"spec": {"x": [1]}}));
    let bad = envelope(
        "apps/v1",
        "ControllerRevision",
        Enc::new().msg(2, Enc::new().bytes(1, b"{nope")),
    );
    assert!(matches!(
        decode(&bad, Schema::builtin()),
        Err(DecodeError::BadRawObject(_))
    ));
}

#[test]
fn durations_like_go() {
    assert_eq!(go_duration(0), "0s");
    assert_eq!(go_duration(1), "1ns");
    assert_eq!(go_duration(1_500), "1.5µs");
    assert_eq!(go_duration(2_000_000), "2ms");
    assert_eq!(go_duration(1_500_000_000), "1.5s");
    assert_eq!(go_duration(90_000_000_000), "1m30s");
    assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
    assert_eq!(go_duration(-3_723_000_000_000), "-1h2m3s");
}

#[test]
fn envelope_errors() {
    let s = Schema::builtin();
    assert_eq!(decode(b"{}", s), Err(DecodeError::MissingMagic));
    assert!(matches!(
        decode(&envelope("v1", "NoSuchKind", Enc::new()), s),
        Err(DecodeError::UnknownKind { .. })
    ));
    // metadata sent as a varint: wrong wire type.
    assert!(matches!(
        decode(&envelope("v1", "Namespace", Enc::new().int(1, 5)), s),
        Err(DecodeError::WrongWireType { .. })
    ));
    let mut gz = MAGIC.to_vec();
    gz.extend(
        Enc::new()
            .msg(1, Enc::new().str(1, "v1").str(2, "Namespace"))
            .str(3, "gzip")
            .0,
    );
    assert_eq!(
        decode(&gz, s),
        Err(DecodeError::UnsupportedEncoding("gzip".into()))
    );
    // Unknown fields are skipped, whatever their wire type.
    let raw = Enc::new().int(99, 7).str(98, "x").msg(1, meta("u"));
    assert_eq!(
        decode(&envelope("v1", "Namespace", raw), s).unwrap(),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "u"}})
    );
}

#[test]
fn deep_nesting_is_bounded() {
    // JSONSchemaProps nests through `properties`: build 300 levels.
    let mut m = Enc::new().str(5, "object");
    for _ in 0..300 {
        m = Enc::new().msg(29, Enc::new().str(1, "p").msg(2, m));
    }
    let crd = Enc::new().msg(
        2,
        Enc::new().msg(7, Enc::new().str(1, "v1").msg(4, Enc::new().msg(1, m))),
    );
    let r = decode(
        &envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd),
        Schema::builtin(),
    );
    assert_eq!(r, Err(DecodeError::TooDeep(MAX_DEPTH)));
}

#[test]
fn every_schema_kind_has_a_descriptor() {
    // k8s-pb 0.9 predates a few v1.37 kinds (new alpha/beta/GA versions such as
    // certificates/v1 ClusterTrustBundle); the kinds real clients send are covered.
    let s = Schema::builtin();
    let mut missing = Vec::new();
    for (_, name) in s.gvks() {
        if !knows_message(name) && !name.contains(".meta.v1.") {
            missing.push(name.to_string());
        }
    }
    missing.sort();
    missing.dedup();
    let covered = [
        ".core.v1.",
        ".apps.v1.",
        ".batch.v1.",
        ".autoscaling.",
        ".rbac.",
        ".networking.v1.",
        ".policy.v1.",
        ".coordination.v1.",
        ".scheduling.v1.",
        ".storage.v1.",
        ".apiextensions.",
    ];
    let bad: Vec<_> = missing
        .iter()
        .filter(|m| covered.iter().any(|c| m.contains(c)))
        .collect();
    assert!(bad.is_empty(), "kinds without descriptors: {bad:?}");
    assert!(
        missing.len() <= 40,
        "kinds without descriptors: {missing:?}"
    );
    for kind in ["Secret", "Namespace", "ConfigMap", "Service", "Pod"] {
        let v = decode(&envelope("v1", kind, Enc::new()), s).unwrap();
        assert_eq!(v, json!({"apiVersion": "v1", "kind": kind}));
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&b, Schema::builtin());
        let mut with_magic = MAGIC.to_vec();
        with_magic.extend(&b);
        let _ = decode(&with_magic, Schema::builtin());
    }

    #[test]
    fn random_objects_never_panic(kind in prop::sample::select(vec![
            ("v1", "Pod"), ("v1", "Secret"), ("apps/v1", "Deployment"), ("v1", "Service"),
            ("autoscaling/v2", "HorizontalPodAutoscaler"), ("v1", "DeleteOptions")]),
        raw in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut body = MAGIC.to_vec();
        body.extend(Enc::new().msg(1, Enc::new().str(1, kind.0).str(2, kind.1)).bytes(2, &raw).0);
        let _ = decode(&body, Schema::builtin());
    }

    #[test]
    fn mutated_real_bodies_never_panic(pos in 0usize..154, byte in any::<u8>(), cut in 0usize..160) {
        let mut b = base64::engine::general_purpose::STANDARD.decode("azhzAAopCg5hdXRvc2NhbGluZy92MhIXSG9yaXpvbnRhbFBvZEF1dG9zY2FsZXISZQoVCgVuZ2lueBIAGgAiACoAMgA4AEIAEkYKHAoKRGVwbG95bWVudBIFbmdpbngaB2FwcHMvdjEQAxgKIiIKCFJlc291cmNlIhYKA2NwdRIPCgtVdGlsaXphdGlvbiAyGgQYACAAGgAiAA==").unwrap();
        if pos < b.len() { b[pos] = byte; }
        b.truncate(cut);
        let _ = decode(&b, Schema::builtin());
    }
}

/// A body of many empty repeated messages is the worst case of JSON produced per input
/// byte: the output stays a small multiple of the input.
#[test]
fn output_is_a_small_multiple_of_the_input() {
    let mut spec = Enc::new();
    for _ in 0..100_000 {
        spec = spec.msg(2, Enc::new());
    }
    let body = envelope("v1", "Pod", Enc::new().msg(1, meta("p")).msg(2, spec));
    let v = decode(&body, Schema::builtin()).unwrap();
    let out = serde_json::to_vec(&v).unwrap().len();
    eprintln!("{} input bytes -> {out} JSON bytes", body.len());
    assert!(out < body.len() * 4, "{} -> {out}", body.len());
}
