//! Generated inputs for each fuzz target: JSON-like values built from the field names,
//! directives and scalars of built-in kinds (so that they reach deep into the decoders
//! and patch engines), requests over the API's paths and query parameters, selector
//! strings. Each test runs for a few seconds.

use proptest::prelude::*;
use serde_json::{Map, Value};

const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "generateName",
    "uid",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "resourceVersion",
    "data",
    "binaryData",
    "stringData",
    "type",
    "immutable",
    "spec",
    "status",
    "replicas",
    "selector",
    "matchLabels",
    "matchExpressions",
    "template",
    "containers",
    "initContainers",
    "image",
    "ports",
    "containerPort",
    "protocol",
    "resources",
    "limits",
    "requests",
    "cpu",
    "memory",
    "env",
    "value",
    "volumes",
    "configMap",
    "defaultMode",
    "livenessProbe",
    "httpGet",
    "port",
    "targetPort",
    "nodePort",
    "clusterIP",
    "schedule",
    "jobTemplate",
    "strategy",
    "rollingUpdate",
    "maxSurge",
    "conditions",
    "lastTransitionTime",
    "k",
    "b",
    "app",
    "$patch",
    "$setElementOrder/containers",
    "$setElementOrder/finalizers",
    "$retainKeys",
    "$deleteFromPrimitiveList/finalizers",
    "op",
    "path",
    "from",
];

const STRINGS: &[&str] = &[
    "",
    "v",
    "c",
    "p",
    "d",
    "nginx",
    "YWJj",
    "YQ==",
    "%%%",
    "YR==",
    "2024-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "abc",
    "100m",
    "1Gi",
    "0.5",
    "1e3",
    "http",
    "TCP",
    "merge",
    "replace",
    "delete",
    "explode",
    "add",
    "remove",
    "test",
    "copy",
    "move",
    "/data/k",
    "/metadata/labels",
    "/spec/replicas",
    "/metadata/name",
    "v1",
    "apps/v1",
    "ConfigMap",
    "Deployment",
    "default",
    "x\u{0}y",
    "é",
    "..",
    "/",
    "Opaque",
    "RollingUpdate",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(-1),
            Just(80),
            Just(65536),
            Just(2147483648),
            Just(i64::MAX),
            Just(i64::MIN),
            any::<i64>()
        ]
        .prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        prop_oneof![Just(1.5f64), Just(1e30), Just(-0.0), Just(2.0)].prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.into())),
        "[a-z0-9./=-]{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6).prop_map(|kv| {
        let mut m = Map::new();
        for (k, v) in kv {
            m.insert(k.to_string(), v);
        }
        Value::Object(m)
    })
}

/// A body: mostly a JSON text of a generated value, sometimes raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => object().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        2 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// `cases` generated inputs, times `FUZZ_SCALE` (default 1) for longer runs.
fn config(cases: u32) -> ProptestConfig {
    let scale: u32 = std::env::var("FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    ProptestConfig {
        cases: cases * scale,
        max_shrink_iters: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn generated_objects(data in prop::collection::vec(any::<u8>(), 8..400)) {
        testing::fuzz::generated_object(&data);
    }

    #[test]
    fn json_bodies(data in body()) {
        testing::fuzz::json_body(&data);
    }

    #[test]
    fn yaml_bodies(v in object(), raw in prop::collection::vec(any::<u8>(), 0..48), yaml in any::<bool>()) {
        let text = if yaml {
            // YAML of a generated object, with a key repeated now and then
            let mut s = String::new();
            if let Value::Object(m) = &v {
                for (k, val) in m {
                    s.push_str(&format!("{k:?}: {val}\n"));
                }
            }
            s.into_bytes()
        } else {
            raw
        };
        testing::fuzz::yaml_body(&text);
    }

    #[test]
    fn protobuf_bodies(data in prop::collection::vec(any::<u8>(), 0..128), tail in prop::collection::vec(any::<u8>(), 0..64)) {
        // raw bytes, and bytes behind a valid envelope header
        testing::fuzz::protobuf_body(&data);
        let mut framed = b"k8s\0".to_vec();
        framed.extend_from_slice(&data);
        framed.extend_from_slice(&tail);
        testing::fuzz::protobuf_body(&framed);
    }

    #[test]
    fn selector_strings(s in "[a-z0-9!=<>(), .:/_-]{0,24}|[ -~]{0,24}") {
        testing::fuzz::selectors(s.as_bytes());
    }
}

const PATHS: &[&str] = &[
    "/api/v1/namespaces/default/configmaps",
    "/api/v1/namespaces/default/configmaps/c",
    "/api/v1/namespaces/default/secrets/s",
    "/api/v1/namespaces/default/pods/p",
    "/api/v1/namespaces/default/pods/p/status",
    "/api/v1/namespaces/default/pods/p/binding",
    "/api/v1/namespaces/default/pods/p/eviction",
    "/api/v1/namespaces/default/services/svc",
    "/apis/apps/v1/namespaces/default/deployments/d",
    "/apis/apps/v1/namespaces/default/deployments/d/scale",
    "/apis/apps/v1/namespaces/default/deployments",
    "/api/v1/configmaps",
    "/api/v1/namespaces",
    "/api/v1/namespaces/default",
    "/api/v1/namespaces/default/finalize",
    "/api",
    "/apis",
    "/apis/apps",
    "/version",
    "/openapi/v2",
    "/openapi/v3",
    "/metrics",
    "/healthz",
    "/x",
    "/api/v1/namespaces/../configmaps",
    "/api/v1/namespaces/default/configmaps/%2e%2e",
];

const PARAMS: &[&str] = &[
    "limit=1",
    "limit=-1",
    "limit=x",
    "continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIuLi8ifQ",
    "continue=garbage",
    "labelSelector=app%3Dfuzz",
    "labelSelector=a+in+(",
    "fieldSelector=metadata.name%3Dc",
    "fieldSelector=spec.nodeName%3D",
    "fieldSelector=x%3D%3D%3D",
    "resourceVersion=0",
    "resourceVersion=99999",
    "resourceVersion=abc",
    "resourceVersionMatch=Exact",
    "resourceVersionMatch=NotOlderThan",
    "watch=true",
    "watch=1",
    "sendInitialEvents=true",
    "allowWatchBookmarks=true",
    "timeoutSeconds=1",
    "fieldValidation=Strict",
    "fieldValidation=Warn",
    "fieldValidation=Ignore",
    "fieldValidation=x",
    "dryRun=All",
    "dryRun=x",
    "fieldManager=fuzz",
    "force=true",
    "propagationPolicy=Orphan",
    "propagationPolicy=x",
    "gracePeriodSeconds=0",
    "gracePeriodSeconds=x",
    "pretty=true",
];

fn uri() -> impl Strategy<Value = String> {
    (
        prop::sample::select(PATHS),
        prop::collection::vec(prop::sample::select(PARAMS), 0..4),
        "[a-z%/.?&=-]{0,6}",
    )
        .prop_map(|(p, params, junk)| {
            let mut u = format!("{p}{junk}");
            if !params.is_empty() {
                u.push(if u.contains('?') { '&' } else { '?' });
                u.push_str(&params.join("&"));
            }
            u
        })
}

proptest! {
    #![proptest_config(config(250))]

    #[test]
    fn generated_writes(data in prop::collection::vec(any::<u8>(), 16..400)) {
        testing::fuzz::generated_write(&data);
    }

    #[test]
    fn requests(method in 0u8..5, ct in any::<u8>(), uri in uri(), body in body()) {
        let mut data = vec![method, ct];
        data.extend_from_slice(uri.as_bytes());
        data.push(b'\n');
        data.extend_from_slice(&body);
        testing::fuzz::request(&data);
    }

    #[test]
    fn patches(pick in any::<u8>(), doc in prop_oneof![
        3 => object().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        2 => prop::collection::vec(object(), 0..4).prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => body(),
    ]) {
        let mut data = vec![pick];
        data.extend_from_slice(&doc);
        testing::fuzz::patch(&data);
    }
}

/// The inputs of the issue, and what earlier runs found, kept as fixed cases.
#[test]
fn known_inputs() {
    for doc in [
        &br#"{"$patch":"explode"}"#[..],
        br#"{"$setElementOrder/containers":"notalist"}"#,
        br#"{"spec":{"$setElementOrder/containers":[1]}}"#,
        br#"{"data":{"k":1}}"#,
        br#"{"metadata":{"labels":[]}}"#,
        br#"[{"op":"add","path":"/data/k","value":1}]"#,
        br#"[{"op":"copy","from":"/metadata","path":"/data/x"}]"#,
    ] {
        for pick in 0..20u8 {
            let mut data = vec![pick];
            data.extend_from_slice(doc);
            testing::fuzz::patch(&data);
        }
    }
    let mut data = vec![1u8, 8];
    data.extend_from_slice(b"/api/v1/namespaces/default/configmaps\n{}");
    testing::fuzz::request(&data);
}
