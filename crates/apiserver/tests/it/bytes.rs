//! The bytes of replies, as upstream's Go encoder writes them: fields in the Go structs'
//! declaration order (`kind` first, ObjectMeta's own order, map keys sorted) and a newline
//! after every JSON body.

use http::Method;
use serde_json::json;

use crate::harness::Api;

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[tokio::test]
async fn objects_are_written_in_go_declaration_order() {
    let api = Api::new().await;
    // keys as kubectl sends them (sorted), which is not upstream's output order
    let cm = json!({"apiVersion": "v1", "data": {"z": "1", "a": "2"}, "kind": "ConfigMap",
        "metadata": {"labels": {"b": "x", "a": "y"}, "name": "c", "namespace": "default"}});
    let (code, created) = api
        .call_bytes(
            Method::POST,
            "/api/v1/namespaces/default/configmaps",
            Some(cm),
        )
        .await;
    assert_eq!(code, 201, "{}", text(&created));
    let (_, got) = api
        .call_bytes(Method::GET, "/api/v1/namespaces/default/configmaps/c", None)
        .await;
    assert_eq!(got, created);
    let s = text(&got);
    assert!(
        s.starts_with(r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","namespace":"default","uid":""#),
        "{s}"
    );
    let uid_end = s.find(r#"","resourceVersion":""#).expect(s);
    assert!(s[uid_end..].contains(r#"","creationTimestamp":""#), "{s}");
    assert!(
        s.contains(r#""labels":{"a":"y","b":"x"},"managedFields":["#),
        "{s}"
    );
    assert!(
        s.ends_with("},\"data\":{\"a\":\"2\",\"z\":\"1\"}}\n"),
        "{s}"
    );

    // nested structs and lists of structs too, with defaults in their declared places
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
        "spec": {"restartPolicy": "Never", "containers": [{"image": "nginx", "name": "c",
            "ports": [{"protocol": "TCP", "containerPort": 80}]}]}});
    let (code, b) = api
        .call_bytes(Method::POST, "/api/v1/namespaces/default/pods", Some(pod))
        .await;
    assert_eq!(code, 201, "{}", text(&b));
    let s = text(&b);
    assert!(
        s.contains(r#""spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}],"restartPolicy":"Never","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst""#),
        "{s}"
    );
}

#[tokio::test]
async fn every_json_body_ends_with_a_newline() {
    let api = Api::new().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}});
    for (method, uri, body) in [
        (
            Method::POST,
            "/api/v1/namespaces/default/configmaps",
            Some(cm),
        ),
        (Method::GET, "/api/v1/namespaces/default/configmaps/c", None),
        (Method::GET, "/api/v1/namespaces/default/configmaps", None),
        (
            Method::GET,
            "/api/v1/namespaces/default/configmaps/nope",
            None,
        ),
        (
            Method::DELETE,
            "/api/v1/namespaces/default/configmaps/c",
            None,
        ),
    ] {
        let (_, b) = api.call_bytes(method, uri, body).await;
        assert!(b.ends_with(b"}\n"), "{uri}: {}", text(&b));
    }
    let (code, b) = api
        .call_bytes(
            Method::GET,
            "/api/v1/namespaces/default/configmaps/nope",
            None,
        )
        .await;
    assert_eq!(code, 404);
    assert_eq!(
        text(&b),
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"configmaps \\\"nope\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"nope\",\"kind\":\"configmaps\"},\"code\":404}\n"
    );
}

const META: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
const META_LIST: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

#[tokio::test]
async fn metadata_only_replies() {
    let api = Api::new().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default",
        "labels": {"a": "b"}}, "data": {"secret-ish": "x"}});
    let (code, ct, b) = api
        .call_accept(
            Method::POST,
            "/api/v1/namespaces/default/configmaps",
            Some(cm),
            None,
            META,
        )
        .await;
    assert_eq!(
        (code, ct.as_str()),
        (
            201,
            "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
        ),
        "{}",
        text(&b)
    );
    let s = text(&b);
    assert!(s.starts_with(r#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"c","namespace":"default","uid":"#), "{s}");
    assert!(!s.contains(r#""data":"#) && s.ends_with("}]}}\n"), "{s}");

    let (code, _, got) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps/c",
            None,
            None,
            META,
        )
        .await;
    assert_eq!((code, got.clone()), (200, b.clone()), "{}", text(&got));

    let (code, ct, b) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps",
            None,
            None,
            META_LIST,
        )
        .await;
    assert_eq!(code, 200, "{}", text(&b));
    assert_eq!(
        ct,
        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
    );
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["kind"], "PartialObjectMetadataList");
    assert_eq!(v["apiVersion"], "meta.k8s.io/v1");
    assert!(v["metadata"]["resourceVersion"].is_string());
    assert_eq!(v["items"][0]["kind"], "PartialObjectMetadata");
    assert_eq!(v["items"][0]["metadata"]["name"], "c");
    assert!(v["items"][0].get("data").is_none());

    let (code, _, b) = api
        .call_accept(
            Method::PATCH,
            "/api/v1/namespaces/default/configmaps/c",
            Some(json!({"data": {"k": "v"}})),
            Some("application/merge-patch+json"),
            META,
        )
        .await;
    assert_eq!(code, 200, "{}", text(&b));
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v.get("data")),
        (Some("PartialObjectMetadata"), None)
    );

    let (code, _, b) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps?watch=true",
            None,
            None,
            META_LIST,
        )
        .await;
    assert_eq!(code, 200);
    let ev: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(ev["object"]["metadata"]["labels"]["a"], "b");
    assert!(ev["object"].get("data").is_none());

    // the single form of a list, the list form of one object: 406 in upstream's words
    let (code, _, b) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps",
            None,
            None,
            META,
        )
        .await;
    assert_eq!(code, 406);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        v["message"],
        "you requested PartialObjectMetadata, but the requested object is a list (*core.ConfigMapList)"
    );
    let (code, _, b) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps/c",
            None,
            None,
            META_LIST,
        )
        .await;
    assert_eq!(code, 406);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        v["message"],
        "you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)"
    );
}

#[tokio::test]
async fn metadata_only_replies_in_protobuf() {
    use apimachinery::codec::protobuf;
    let schema = apimachinery::Schema::builtin();
    let api = Api::new().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default",
        "labels": {"a": "b"}}, "data": {"k": "v"}});
    api.call(
        Method::POST,
        "/api/v1/namespaces/default/configmaps",
        Some(cm),
    )
    .await;
    // as client-go's metadata client asks: protobuf first, JSON as the fallback
    let accept = |k: &str| {
        format!(
            "application/vnd.kubernetes.protobuf;as={k};g=meta.k8s.io;v=v1,application/json;as={k};g=meta.k8s.io;v=v1"
        )
    };

    let (code, ct, b) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps/c",
            None,
            None,
            &accept("PartialObjectMetadata"),
        )
        .await;
    assert_eq!(code, 200);
    assert!(
        ct.starts_with("application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;"),
        "{ct}"
    );
    assert!(b.starts_with(b"k8s\0"));
    let v = protobuf::decode(&b, schema).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["apiVersion"].as_str()),
        (Some("PartialObjectMetadata"), Some("meta.k8s.io/v1"))
    );
    assert_eq!(v["metadata"]["name"], "c");
    assert_eq!(v["metadata"]["labels"]["a"], "b");
    assert!(v.get("data").is_none());

    let (code, _, b) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps",
            None,
            None,
            &accept("PartialObjectMetadataList"),
        )
        .await;
    assert_eq!(code, 200);
    let v = protobuf::decode(&b, schema).unwrap();
    assert_eq!(v["kind"], "PartialObjectMetadataList");
    assert!(v["metadata"]["resourceVersion"].is_string());
    assert_eq!(v["items"][0]["metadata"]["name"], "c");

    // a watch: length-prefixed WatchEvent frames whose object is a protobuf body
    let (code, ct, b) = api
        .call_accept(
            Method::GET,
            "/api/v1/namespaces/default/configmaps?watch=true",
            None,
            None,
            &accept("PartialObjectMetadata"),
        )
        .await;
    assert_eq!(
        (code, ct.as_str()),
        (200, "application/vnd.kubernetes.protobuf;stream=watch")
    );
    let len = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
    assert_eq!(b.len(), 4 + len);
    let ev = protobuf::decode_message(
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
        &b[4..],
        schema,
    )
    .unwrap();
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(ev["object"]["metadata"]["name"], "c");
}
