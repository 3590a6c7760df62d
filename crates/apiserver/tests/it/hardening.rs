//! What hostile or careless clients send: continue tokens crafted to leave their list,
//! objects of the wrong types, odd patches. Nothing outside the request's scope is read,
//! nothing wrongly typed is stored, and no answer is a 5xx.

use base64::Engine;
use http::Method;
use serde_json::{Value, json};

use crate::harness::Api;

fn cm(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"k": "v"}})
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    format!(
                        "{}/{}",
                        i["metadata"]["namespace"].as_str().unwrap_or(""),
                        i["metadata"]["name"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn token(v: Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn setup() -> Api {
    let api = Api::new().await;
    for ns in ["a", "b"] {
        let r = api
            .call(
                Method::POST,
                "/api/v1/namespaces",
                Some(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})),
            )
            .await;
        assert_eq!(r.code, 201, "{}", r.body);
        for n in ["c1", "c2", "c3"] {
            let r = api
                .call(
                    Method::POST,
                    &format!("/api/v1/namespaces/{ns}/configmaps"),
                    Some(cm(ns, n)),
                )
                .await;
            assert_eq!(r.code, 201, "{}", r.body);
        }
    }
    api
}

#[tokio::test]
async fn no_continue_token_reads_outside_its_list() {
    let api = setup().await;
    let rv: i64 = api
        .call(Method::GET, "/api/v1/namespaces/b/configmaps", None)
        .await
        .body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // a real token of the all-namespaces list, used on namespace b
    let all = api
        .call(Method::GET, "/api/v1/configmaps?limit=1", None)
        .await;
    let real = all.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    let mut tokens = vec![real];
    // crafted start keys, at the current and at an older revision (served from the store)
    for r in [rv, rv - 1] {
        for start in ["a/", "a/c1", "/a/c1", "", "\u{0}", "0", "c1\u{0}", "zzz"] {
            tokens.push(token(
                json!({"v": "meta.k8s.io/v1", "rv": r, "start": start}),
            ));
        }
    }
    for t in &tokens {
        for limit in ["", "&limit=1", "&limit=100"] {
            let r = api
                .call(
                    Method::GET,
                    &format!("/api/v1/namespaces/b/configmaps?continue={t}{limit}"),
                    None,
                )
                .await;
            assert!(r.code == 200 || r.code == 400, "{}: {}", r.code, r.body);
            for n in names(&r.body) {
                assert!(n.starts_with("b/"), "token {t} read {n}");
            }
        }
    }
    // unclean keys answer 400
    for start in ["../a/c1", "x/../../a/c1", "a//c1", "a/"] {
        let t = token(json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start}));
        let r = api
            .call(
                Method::GET,
                &format!("/api/v1/namespaces/b/configmaps?limit=5&continue={t}"),
                None,
            )
            .await;
        assert_eq!(r.code, 400, "{start}: {}", r.body);
        assert_eq!(
            r.body["message"],
            format!("invalid continue token: continue key is not valid: {start}")
        );
    }
    // a token of another resource keeps to the resource listed
    let t = token(json!({"v": "meta.k8s.io/v1", "rv": rv, "start": "../secrets/b/x"}));
    let r = api
        .call(
            Method::GET,
            &format!("/api/v1/namespaces/b/configmaps?continue={t}"),
            None,
        )
        .await;
    assert_eq!(r.code, 400);
}

#[tokio::test]
async fn continue_tokens_ahead_or_compacted() {
    let api = setup().await;
    let first = api
        .call(Method::GET, "/api/v1/namespaces/b/configmaps?limit=1", None)
        .await;
    let t = first.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    // a revision from the future
    let future = token(json!({"v": "meta.k8s.io/v1", "rv": 1_000_000, "start": "c1\u{0}"}));
    let r = api
        .call(
            Method::GET,
            &format!("/api/v1/namespaces/b/configmaps?limit=1&continue={future}"),
            None,
        )
        .await;
    assert_eq!(r.code, 504, "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Timeout: Too large resource version: 1000000, current: "),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["details"]["causes"][0]["reason"],
        "ResourceVersionTooLarge"
    );
    // with resourceVersionMatch
    let r = api
        .call(
            Method::GET,
            &format!("/api/v1/namespaces/b/configmaps?limit=1&continue={t}&resourceVersionMatch=NotOlderThan&resourceVersion=1"),
            None,
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"
    );
    // compacted past the token's revision: 410 with a token to go on at the latest revision
    api.call(
        Method::POST,
        "/api/v1/namespaces/b/configmaps",
        Some(cm("b", "c4")),
    )
    .await;
    // a consistent list: the watch cache has caught up with the create
    api.call(Method::GET, "/api/v1/namespaces/b/configmaps", None)
        .await;
    let now = api.server.store.current_revision().await.unwrap();
    api.server.store.compact(now).await.unwrap();
    let r = api
        .call(
            Method::GET,
            &format!("/api/v1/namespaces/b/configmaps?limit=1&continue={t}"),
            None,
        )
        .await;
    assert_eq!(r.code, 410, "{}", r.body);
    let next = r.body["metadata"]["continue"]
        .as_str()
        .expect("a fresh token")
        .to_string();
    let r = api
        .call(
            Method::GET,
            &format!("/api/v1/namespaces/b/configmaps?continue={next}"),
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(names(&r.body), ["b/c2", "b/c3", "b/c4"]);
}

#[tokio::test]
async fn new_api_events_need_an_event_time() {
    let api = Api::new().await;
    let ev = |time: Option<&str>| {
        let mut e = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "e", "namespace": "default"}, "type": "Normal", "reason": "R",
            "action": "A", "reportingController": "x/y", "reportingInstance": "i",
            "regarding": {"kind": "Pod", "name": "p"}});
        if let Some(t) = time {
            e["eventTime"] = json!(t);
        }
        e
    };
    let url = "/apis/events.k8s.io/v1/namespaces/default/events";
    let r = api.call(Method::POST, url, Some(ev(None))).await;
    assert_eq!(r.code, 422, "{}", r.body);
    assert_eq!(r.body["details"]["causes"][0]["field"], "eventTime");
    let r = api
        .call(
            Method::POST,
            url,
            Some(ev(Some("2024-01-01T00:00:00.000000Z"))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
    // the event time may not be dropped afterwards
    let r = api
        .call_ct(
            Method::PATCH,
            &format!("{url}/e"),
            Some(json!({"eventTime": null})),
            Some("application/merge-patch+json"),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    // core/v1 events keep the legacy rules: no event time needed
    let core = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "c", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}, "reason": "R", "type": "Normal"});
    let r = api
        .call(
            Method::POST,
            "/api/v1/namespaces/default/events",
            Some(core),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
}

#[tokio::test]
async fn field_selectors_see_unset_fields_as_zero_values() {
    let api = Api::new().await;
    let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}});
    assert_eq!(
        api.call(Method::POST, "/api/v1/nodes", Some(node))
            .await
            .code,
        201
    );
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    assert_eq!(
        api.call(Method::POST, "/api/v1/namespaces/default/pods", Some(pod))
            .await
            .code,
        201
    );
    let count = |r: crate::harness::Reply| r.body["items"].as_array().map(Vec::len).unwrap_or(99);
    for (url, selector, want) in [
        ("/api/v1/nodes", "spec.unschedulable=false", 1),
        ("/api/v1/nodes", "spec.unschedulable=true", 0),
        ("/api/v1/nodes", "spec.unschedulable!=true", 1),
        (
            "/api/v1/namespaces/default/pods",
            "spec.hostNetwork=false",
            1,
        ),
        ("/api/v1/namespaces/default/pods", "spec.nodeName=", 1),
        ("/api/v1/namespaces/default/pods", "status.podIP=", 1),
        (
            "/api/v1/namespaces/default/pods",
            "status.nominatedNodeName=",
            1,
        ),
        (
            "/api/v1/namespaces/default/pods",
            "spec.restartPolicy=Always",
            1,
        ),
        ("/api/v1/namespaces/default/pods", "status.phase=Pending", 1),
    ] {
        let r = api
            .call(
                Method::GET,
                &format!("{url}?fieldSelector={selector}"),
                None,
            )
            .await;
        assert_eq!(r.code, 200, "{}", r.body);
        assert_eq!(count(r), want, "{url} {selector}");
    }
    let r = api
        .call(
            Method::GET,
            "/api/v1/namespaces/default/pods?fieldSelector=spec.foo=x",
            None,
        )
        .await;
    assert_eq!(
        (r.code, r.body["message"].as_str()),
        (400, Some("field label not supported: spec.foo"))
    );
    let r = api
        .call(
            Method::GET,
            "/api/v1/namespaces/default/configmaps?fieldSelector=data.x=y",
            None,
        )
        .await;
    assert_eq!(
        r.body["message"],
        "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
    );
}

#[tokio::test]
async fn success_statuses_carry_their_code() {
    let api = Api::new().await;
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    api.call(Method::POST, "/api/v1/namespaces/default/pods", Some(pod))
        .await;
    let ev = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p", "namespace": "default"}});
    let r = api
        .call(
            Method::POST,
            "/api/v1/namespaces/default/pods/p/eviction",
            Some(ev),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(r.body["status"], "Success");
    assert_eq!(r.body["code"], 201);
}

#[tokio::test]
async fn rbac_objects_are_validated_as_upstream() {
    let api = Api::new().await;
    let rb = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings";
    let r = api
        .call(
            Method::POST,
            rb,
            Some(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "b"}, "subjects": [{"kind": "Robot", "name": "x"}]}),
            ),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    let msg = r.body["message"].as_str().unwrap();
    for want in [
        "roleRef.apiGroup: Unsupported value: \"\": supported values: \"rbac.authorization.k8s.io\"",
        "roleRef.kind: Unsupported value: \"\": supported values: \"Role\", \"ClusterRole\"",
        "roleRef.name: Required value",
        "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
    ] {
        assert!(msg.contains(want), "{want} in {msg}");
    }
    let good = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "b"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}]});
    let r = api.call(Method::POST, rb, Some(good)).await;
    assert_eq!(r.code, 201, "{}", r.body);
    let mut changed = r.body.clone();
    changed["roleRef"]["name"] = json!("edit");
    let r = api
        .call(Method::PUT, &format!("{rb}/b"), Some(changed))
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains(
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef"
        ),
        "{}",
        r.body
    );
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["pods"]}, {"nonResourceURLs": ["/x"], "verbs": ["get"]}]});
    let r = api
        .call(
            Method::POST,
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
            Some(role),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    let msg = r.body["message"].as_str().unwrap();
    assert!(
        msg.contains("rules[0].verbs: Required value: verbs must contain at least one value"),
        "{msg}"
    );
    assert!(
        msg.contains("rules[1].nonResourceURLs: Invalid value: []string{\"/x\"}: namespaced rules cannot apply to non-resource URLs"),
        "{msg}"
    );
}

#[tokio::test]
async fn endpoints_may_not_name_special_addresses() {
    let api = Api::new().await;
    let ep = |ip: &str| {
        json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"},
            "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 80}]}]})
    };
    let coll = "/api/v1/namespaces/default/endpoints";
    for (ip, msg) in [
        (
            "127.0.0.1",
            "subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ),
        (
            "169.254.1.1",
            "subsets[0].addresses[0].ip: Invalid value: \"169.254.1.1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ),
        (
            "nope",
            "subsets[0].addresses[0].ip: Invalid value: \"nope\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        ),
    ] {
        let r = api.call(Method::POST, coll, Some(ep(ip))).await;
        assert_eq!(r.code, 422, "{}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(msg),
            "{}",
            r.body
        );
    }
    let r = api.call(Method::POST, coll, Some(ep("10.1.2.3"))).await;
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(r.body["subsets"][0]["ports"][0]["protocol"], "TCP");
}

#[tokio::test]
async fn required_struct_fields_take_their_zero_value() {
    let api = Api::new().await;
    let ev = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
        "involvedObject": null, "reason": "x"});
    let r = api
        .call(Method::POST, "/api/v1/namespaces/default/events", Some(ev))
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(r.body["involvedObject"], json!({}));
}
