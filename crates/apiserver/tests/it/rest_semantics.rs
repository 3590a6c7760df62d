//! Read-after-write, optimistic concurrency, pagination snapshots, dry run.

use http::Method;
use serde_json::json;

use crate::harness::{Api, cm, rv};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn read_after_write_and_stale_update() {
    let api = Api::new().await;
    let c = api.call(Method::POST, CMS, Some(cm("a", json!({})))).await;
    assert_eq!(c.code, 201, "{}", c.body);
    // the watch cache serves the GET, and must already have the write
    let g = api.call(Method::GET, &format!("{CMS}/a"), None).await;
    assert_eq!((g.code, rv(&g.body)), (200, rv(&c.body)));
    let mut upd = g.body.clone();
    upd["data"]["k"] = json!("v2");
    let u = api
        .call(Method::PUT, &format!("{CMS}/a"), Some(upd.clone()))
        .await;
    assert_eq!(u.code, 200, "{}", u.body);
    // the same resourceVersion again is stale now
    let stale = api.call(Method::PUT, &format!("{CMS}/a"), Some(upd)).await;
    assert_eq!(
        (stale.code, stale.body["reason"].as_str()),
        (409, Some("Conflict"))
    );
    let list = api.call(Method::GET, CMS, None).await;
    assert_eq!(list.body["items"][0]["data"]["k"], "v2");
}

#[tokio::test]
async fn pagination_is_one_snapshot() {
    let api = Api::new().await;
    for n in ["c1", "c2", "c3", "c4"] {
        assert_eq!(
            api.call(Method::POST, CMS, Some(cm(n, json!({}))))
                .await
                .code,
            201
        );
    }
    let p1 = api.call(Method::GET, &format!("{CMS}?limit=2"), None).await;
    let token = p1.body["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    // changes after the first page are not seen by the later pages
    assert_eq!(
        api.call(Method::DELETE, &format!("{CMS}/c4"), None)
            .await
            .code,
        200
    );
    assert_eq!(
        api.call(Method::POST, CMS, Some(cm("c35", json!({}))))
            .await
            .code,
        201
    );
    let p2 = api
        .call(
            Method::GET,
            &format!("{CMS}?limit=2&continue={token}"),
            None,
        )
        .await;
    let names: Vec<&str> = p2.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c3", "c4"], "{}", p2.body);
    assert_eq!(
        p2.body["metadata"]["resourceVersion"],
        p1.body["metadata"]["resourceVersion"]
    );
    let bad = api
        .call(
            Method::GET,
            &format!("{CMS}?limit=2&continue=garbage"),
            None,
        )
        .await;
    assert_eq!(bad.code, 400);
}

#[tokio::test]
async fn dry_run_and_generate_name_and_missing_namespace() {
    let api = Api::new().await;
    let d = api
        .call(
            Method::POST,
            &format!("{CMS}?dryRun=All"),
            Some(cm("dry", json!({}))),
        )
        .await;
    assert_eq!(d.code, 201);
    assert_eq!(
        api.call(Method::GET, &format!("{CMS}/dry"), None)
            .await
            .code,
        404
    );
    let g = api
        .call(
            Method::POST,
            CMS,
            Some(json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}})),
        )
        .await;
    let name = g.body["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    let m = api
        .call(
            Method::POST,
            "/api/v1/namespaces/nope/configmaps",
            Some(cm("x", json!({}))),
        )
        .await;
    assert_eq!(
        (m.code, m.body["message"].as_str()),
        (404, Some("namespaces \"nope\" not found"))
    );
}

#[tokio::test]
async fn delete_preconditions_refuse_a_different_uid_or_resource_version() {
    let api = Api::new().await;
    let c = api.call(Method::POST, CMS, Some(cm("p", json!({})))).await;
    assert_eq!(c.code, 201, "{}", c.body);
    let uid = c.body["metadata"]["uid"].as_str().unwrap().to_string();
    let path = format!("{CMS}/p");
    let opts = |pre: serde_json::Value| {
        Some(json!({"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": pre}))
    };
    let wrong_uid = api
        .call(Method::DELETE, &path, opts(json!({"uid": "other"})))
        .await;
    assert_eq!(wrong_uid.code, 409, "{}", wrong_uid.body);
    assert_eq!(
        wrong_uid.body["message"],
        format!(
            "Operation cannot be fulfilled on configmaps \"p\": Precondition failed: UID in precondition: other, UID in object meta: {uid}"
        )
    );
    let wrong_rv = api
        .call(Method::DELETE, &path, opts(json!({"resourceVersion": "1"})))
        .await;
    assert_eq!(wrong_rv.code, 409, "{}", wrong_rv.body);
    assert_eq!(
        wrong_rv.body["message"],
        format!(
            "Operation cannot be fulfilled on configmaps \"p\": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: {}",
            rv(&c.body)
        )
    );
    // still there; matching preconditions delete it
    assert_eq!(api.call(Method::GET, &path, None).await.code, 200);
    let ok = api
        .call(
            Method::DELETE,
            &path,
            opts(json!({"uid": uid, "resourceVersion": rv(&c.body)})),
        )
        .await;
    assert_eq!(ok.code, 200, "{}", ok.body);
    assert_eq!(api.call(Method::GET, &path, None).await.code, 404);
}

#[tokio::test]
async fn boolean_query_parameters_are_upstreams() {
    use apiserver::rest::query_bool;
    for v in ["true", "True", "TRUE", "1", "2", "yes", ""] {
        assert!(query_bool(v), "{v:?}");
    }
    for v in ["false", "False", "FALSE", "0"] {
        assert!(!query_bool(v), "{v:?}");
    }
    // `watch=True` (Python's str(True)) is a watch, not a list
    let api = crate::harness::Api::new().await;
    let mut w = api
        .watch("/api/v1/namespaces/default/configmaps?watch=True&timeoutSeconds=5")
        .await;
    let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w", "namespace": "default"}});
    api.call(
        http::Method::POST,
        "/api/v1/namespaces/default/configmaps",
        Some(cm),
    )
    .await;
    let (kind, obj) = w.next().await.expect("an event");
    assert_eq!(
        (kind.as_str(), obj["metadata"]["name"].as_str()),
        ("ADDED", Some("w"))
    );
}

#[tokio::test]
async fn the_system_namespaces_may_not_be_deleted() {
    let api = crate::harness::Api::new().await;
    for ns in ["default", "kube-system", "kube-public"] {
        let r = api
            .call(
                http::Method::DELETE,
                &format!("/api/v1/namespaces/{ns}"),
                None,
            )
            .await;
        assert_eq!(r.code, 403, "{}", r.body);
        assert_eq!(
            r.body["message"],
            format!("namespaces \"{ns}\" is forbidden: this namespace may not be deleted")
        );
    }
    let r = api
        .call(http::Method::DELETE, "/api/v1/namespaces", None)
        .await;
    assert_eq!(r.code, 405, "{}", r.body);
}

#[tokio::test]
async fn field_managers_are_validated() {
    let api = crate::harness::Api::new().await;
    let cm = |n: &str| serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": "default"}});
    let coll = "/api/v1/namespaces/default/configmaps";
    let long = "m".repeat(129);
    let r = api
        .call(
            http::Method::POST,
            &format!("{coll}?fieldManager={long}"),
            Some(cm("a")),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"
    );
    let r = api
        .call(
            http::Method::POST,
            &format!("{coll}?fieldManager=a%01b"),
            Some(cm("a")),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Invalid value: \"a\\x01b\": invalid character U+0001 (at position 1)"
    );
    // nothing was stored
    assert_eq!(
        api.call(http::Method::GET, &format!("{coll}/a"), None)
            .await
            .code,
        404
    );
    let ok = "m".repeat(128);
    let r = api
        .call(
            http::Method::POST,
            &format!("{coll}?fieldManager={ok}"),
            Some(cm("a")),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
    let r = api
        .call_ct(
            http::Method::PATCH,
            &format!("{coll}/a"),
            Some(cm("a")),
            Some("application/apply-patch+yaml"),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );
}

#[tokio::test]
async fn label_selector_errors_in_upstreams_words() {
    let api = crate::harness::Api::new().await;
    for (sel, want) in [
        (
            "a%20in%20b",
            "unable to parse requirement: found 'b' expected: '('",
        ),
        ("a=b=c", "found '=', expected: ',' or 'end of string'"),
    ] {
        let r = api
            .call(
                http::Method::GET,
                &format!("/api/v1/namespaces/default/configmaps?labelSelector={sel}"),
                None,
            )
            .await;
        assert_eq!(
            (r.code, r.body["message"].as_str()),
            (400, Some(want)),
            "{sel}"
        );
    }
}

#[tokio::test]
async fn a_node_keeps_its_status_on_create() {
    let api = crate::harness::Api::new().await;
    let node = serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
        "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]},
        "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                   "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}],
                   "nodeInfo": {"kubeletVersion": "v1.37.0", "machineID": "m", "systemUUID": "s", "bootID": "b",
                                "kernelVersion": "6", "osImage": "Debian", "containerRuntimeVersion": "crun",
                                "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"}}});
    let r = api
        .call(http::Method::POST, "/api/v1/nodes", Some(node))
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(r.body["status"]["addresses"][0]["address"], "10.0.0.5");
    // allocatable defaults to capacity
    assert_eq!(
        r.body["status"]["allocatable"],
        r.body["status"]["capacity"]
    );
    // a spec update keeps the status
    let mut upd = r.body.clone();
    upd["spec"]["unschedulable"] = serde_json::json!(true);
    upd["status"] = serde_json::json!({});
    let r = api
        .call(http::Method::PUT, "/api/v1/nodes/n1", Some(upd))
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(r.body["status"]["nodeInfo"]["kubeletVersion"], "v1.37.0");
    let bad = serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n2"},
        "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}});
    let r = api
        .call(http::Method::POST, "/api/v1/nodes", Some(bad))
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("spec.taints[0].effect: Unsupported value: \"Sometimes\""),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_taken_generated_name_is_generated_again() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let api = crate::harness::Api::new().await;
    let coll = "/api/v1/namespaces/default/configmaps";
    let generated = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "g-"}});
    // every suffix is the same: the first create takes it, the next ones collide
    *api.server.name_suffix.write() = Arc::new(|| "aaaaa".to_string());
    let r = api
        .call(http::Method::POST, coll, Some(generated.clone()))
        .await;
    assert_eq!(
        (r.code, r.body["metadata"]["name"].as_str()),
        (201, Some("g-aaaaa"))
    );
    // three collisions, then a free name: one create, retried
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    *api.server.name_suffix.write() = Arc::new(move || {
        if c.fetch_add(1, Ordering::SeqCst) < 3 {
            "aaaaa".into()
        } else {
            "bbbbb".into()
        }
    });
    let r = api
        .call(http::Method::POST, coll, Some(generated.clone()))
        .await;
    assert_eq!(
        (r.code, r.body["metadata"]["name"].as_str()),
        (201, Some("g-bbbbb")),
        "{}",
        r.body
    );
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    // every attempt collides: a clean 409 after upstream's 8 attempts, nothing stored
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    *api.server.name_suffix.write() = Arc::new(move || {
        c.fetch_add(1, Ordering::SeqCst);
        "aaaaa".into()
    });
    let r = api.call(http::Method::POST, coll, Some(generated)).await;
    assert_eq!(
        (r.code, r.body["reason"].as_str()),
        (409, Some("AlreadyExists")),
        "{}",
        r.body
    );
    assert_eq!(calls.load(Ordering::SeqCst), 8);
    let list = api.call(http::Method::GET, coll, None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_service_with_a_taken_generated_name_keeps_its_allocation_or_returns_it() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let api = crate::harness::Api::new().await;
    let coll = "/api/v1/namespaces/default/services";
    let svc = |ip: &str| {
        serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"generateName": "s-"},
            "spec": {"type": "NodePort", "clusterIP": ip, "ports": [{"port": 80, "nodePort": 30080}]}})
    };
    *api.server.name_suffix.write() = Arc::new(|| "aaaaa".to_string());
    let r = api
        .call(http::Method::POST, coll, Some(svc("10.43.0.10")))
        .await;
    assert_eq!(
        (r.code, r.body["metadata"]["name"].as_str()),
        (201, Some("s-aaaaa")),
        "{}",
        r.body
    );
    // a collision, then a free name: created, with what it asked for
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    *api.server.name_suffix.write() = Arc::new(move || {
        if c.fetch_add(1, Ordering::SeqCst) < 1 {
            "aaaaa".into()
        } else {
            "bbbbb".into()
        }
    });
    let mut second = svc("10.43.0.11");
    second["spec"]["ports"][0]["nodePort"] = serde_json::json!(30081);
    let r = api.call(http::Method::POST, coll, Some(second)).await;
    assert_eq!(
        (r.code, r.body["metadata"]["name"].as_str()),
        (201, Some("s-bbbbb")),
        "{}",
        r.body
    );
    assert_eq!(r.body["spec"]["clusterIP"], "10.43.0.11");
    // every attempt collides: 409, and the IP and node port it was given are free again
    *api.server.name_suffix.write() = Arc::new(|| "aaaaa".to_string());
    let mut third = svc("10.43.0.12");
    third["spec"]["ports"][0]["nodePort"] = serde_json::json!(30082);
    let r = api
        .call(http::Method::POST, coll, Some(third.clone()))
        .await;
    assert_eq!(
        (r.code, r.body["reason"].as_str()),
        (409, Some("AlreadyExists")),
        "{}",
        r.body
    );
    *api.server.name_suffix.write() = Arc::new(|| "ccccc".to_string());
    let r = api.call(http::Method::POST, coll, Some(third)).await;
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(r.body["spec"]["clusterIP"], "10.43.0.12");
}

#[tokio::test]
async fn yaml_sent_as_json_is_unrecognized_in_upstreams_words() {
    let api = crate::harness::Api::new().await;
    let r = api
        .raw_body(
            http::Method::POST,
            "/api/v1/namespaces",
            b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n".to_vec(),
            "application/json",
        )
        .await;
    assert_eq!(r.code, 400, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (61706956657273696f6e3a2076310a6b696e643a20506f640a6d65746164 ...)"
    );
}

#[tokio::test]
async fn ephemeral_containers_are_added_through_their_subresource() {
    let api = crate::harness::Api::new().await;
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
    assert_eq!(
        api.call(
            http::Method::POST,
            "/api/v1/namespaces/default/pods",
            Some(pod)
        )
        .await
        .code,
        201
    );
    let sub = "/api/v1/namespaces/default/pods/p/ephemeralcontainers";
    let r = api.call(http::Method::GET, sub, None).await;
    assert_eq!((r.code, r.body["kind"].as_str()), (200, Some("Pod")));
    // kubectl debug's patch: a new ephemeral container (other spec changes are ignored)
    let patch = serde_json::json!({"spec": {"ephemeralContainers": [{"name": "debugger", "image": "busybox",
        "targetContainerName": "app", "stdin": true, "tty": true}], "activeDeadlineSeconds": 5}});
    let r = api
        .call_ct(
            http::Method::PATCH,
            sub,
            Some(patch),
            Some("application/strategic-merge-patch+json"),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    let ec = &r.body["spec"]["ephemeralContainers"][0];
    assert_eq!(
        (ec["name"].as_str(), ec["terminationMessagePolicy"].as_str()),
        (Some("debugger"), Some("File"))
    );
    assert!(r.body["spec"].get("activeDeadlineSeconds").is_none());
    // an existing one may not change; a new one may not have ports; the target must exist
    let mut pod = r.body.clone();
    pod["spec"]["ephemeralContainers"][0]["image"] = serde_json::json!("alpine");
    pod["spec"]["ephemeralContainers"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "two", "image": "busybox", "ports": [{"containerPort": 80}], "targetContainerName": "nope"}));
    let r = api.call(http::Method::PUT, sub, Some(pod)).await;
    assert_eq!(r.code, 422, "{}", r.body);
    let msg = r.body["message"].as_str().unwrap();
    for want in [
        "spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container",
        "spec.ephemeralContainers[1].targetContainerName: Not found: \"nope\"",
        "spec.ephemeralContainers[0]: Forbidden: existing ephemeral containers \"debugger\" may not be changed",
    ] {
        assert!(msg.contains(want), "{want} in {msg}");
    }
    // a plain pod update may not add them
    let mut pod = api
        .call(http::Method::GET, "/api/v1/namespaces/default/pods/p", None)
        .await
        .body;
    pod["spec"]["ephemeralContainers"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "three", "image": "busybox"}));
    let r = api
        .call(
            http::Method::PUT,
            "/api/v1/namespaces/default/pods/p",
            Some(pod),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
}
