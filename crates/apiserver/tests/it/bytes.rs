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
