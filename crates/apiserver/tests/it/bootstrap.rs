//! The objects the server creates for itself at every start: APIServices, the system
//! PriorityClasses, the default RBAC policy; and the computed componentstatuses.

use std::sync::Arc;

use http::Method;
use serde_json::json;

use crate::harness::Api;

#[tokio::test]
async fn apiservices_are_local_and_available_and_user_ones_are_stored() {
    let api = Api::new().await;
    let r = api
        .call(
            Method::GET,
            "/apis/apiregistration.k8s.io/v1/apiservices/v1.apps",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(
        r.body["spec"],
        json!({"group": "apps", "version": "v1", "groupPriorityMinimum": 17800, "versionPriority": 15})
    );
    let c = &r.body["status"]["conditions"][0];
    assert_eq!(
        (
            c["type"].as_str(),
            c["status"].as_str(),
            c["reason"].as_str()
        ),
        (Some("Available"), Some("True"), Some("Local"))
    );
    let core = api
        .call(
            Method::GET,
            "/apis/apiregistration.k8s.io/v1/apiservices/v1.",
            None,
        )
        .await;
    assert_eq!(core.body["spec"]["groupPriorityMinimum"], 18000);
    let list = api
        .call(
            Method::GET,
            "/apis/apiregistration.k8s.io/v1/apiservices",
            None,
        )
        .await;
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    for want in [
        "v1.",
        "v1.apps",
        "v2.autoscaling",
        "v1.rbac.authorization.k8s.io",
        "v1.apiregistration.k8s.io",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }

    let user = json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
        "metadata": {"name": "v1beta1.metrics.k8s.io"},
        "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 100,
                 "insecureSkipTLSVerify": true, "service": {"namespace": "kube-system", "name": "metrics-server"}}});
    let r = api
        .call(
            Method::POST,
            "/apis/apiregistration.k8s.io/v1/apiservices",
            Some(user.clone()),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(r.body["spec"]["service"]["port"], 443);
    let again = api
        .call(
            Method::POST,
            "/apis/apiregistration.k8s.io/v1/apiservices",
            Some(user),
        )
        .await;
    assert_eq!(again.code, 409, "{}", again.body);
    assert_eq!(again.body["reason"], "AlreadyExists");
    // its status is written through the status subresource
    let mut st = r.body.clone();
    st["status"] = json!({"conditions": [{"type": "Available", "status": "False", "reason": "ServiceNotFound",
        "message": "service/metrics-server in \"kube-system\" is not present", "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
    let r = api
        .call(
            Method::PUT,
            "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io/status",
            Some(st),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(
        r.body["status"]["conditions"][0]["reason"],
        "ServiceNotFound"
    );

    let bad = json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.wrong"},
        "spec": {"group": "x.io", "version": "v1", "groupPriorityMinimum": 100, "versionPriority": 100}});
    let r = api
        .call(
            Method::POST,
            "/apis/apiregistration.k8s.io/v1/apiservices",
            Some(bad),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.body);
}

#[tokio::test]
async fn priority_classes_and_component_statuses() {
    let api = Api::new().await;
    let r = api
        .call(
            Method::GET,
            "/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(r.body["value"], 2_000_001_000);
    let r = api
        .call(
            Method::GET,
            "/apis/scheduling.k8s.io/v1/priorityclasses/system-cluster-critical",
            None,
        )
        .await;
    assert_eq!(r.body["value"], 2_000_000_000);
    assert_eq!(r.body["preemptionPolicy"], "PreemptLowerPriority");

    let r = api
        .call(Method::GET, "/api/v1/componentstatuses", None)
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(r.body["kind"], "ComponentStatusList");
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["scheduler", "controller-manager", "etcd-0"]);
    let r = api
        .call(Method::GET, "/api/v1/componentstatuses/etcd-0", None)
        .await;
    assert_eq!(
        r.body["conditions"][0],
        json!({"type": "Healthy", "status": "True", "message": "ok"})
    );
    let r = api
        .call(Method::GET, "/api/v1/componentstatuses/nope", None)
        .await;
    assert_eq!(r.code, 404);
    let r = api
        .call(Method::DELETE, "/api/v1/componentstatuses/etcd-0", None)
        .await;
    assert_eq!(r.code, 405, "{}", r.body);
}

#[tokio::test]
async fn deleted_bootstrap_objects_come_back_at_the_next_start() {
    let api = Api::new().await;
    for uri in [
        "/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical",
        "/apis/apiregistration.k8s.io/v1/apiservices/v1.apps",
    ] {
        let r = api.call(Method::DELETE, uri, None).await;
        assert_eq!(r.code, 200, "{uri}: {}", r.body);
        assert_eq!(api.call(Method::GET, uri, None).await.code, 404);
    }
    // a second start on the same store puts them back
    let again = Api::with_store(Arc::clone(&api.store)).await;
    for uri in [
        "/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical",
        "/apis/apiregistration.k8s.io/v1/apiservices/v1.apps",
    ] {
        let r = again.call(Method::GET, uri, None).await;
        assert_eq!(r.code, 200, "{uri}: {}", r.body);
    }
}

#[tokio::test]
async fn default_rbac_policy_is_created_and_reconciled() {
    let api = Api::new().await;
    let cr = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
    let r = api
        .call(Method::GET, &format!("{cr}/cluster-admin"), None)
        .await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(
        r.body["rules"],
        json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}])
    );
    let b = api
        .call(
            Method::GET,
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/cluster-admin",
            None,
        )
        .await;
    assert_eq!(
        b.body["subjects"],
        json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}])
    );
    // admin aggregates the rules of system:aggregate-to-admin (and, through edit, more)
    let admin = api.call(Method::GET, &format!("{cr}/admin"), None).await;
    let to_admin = api
        .call(
            Method::GET,
            &format!("{cr}/system:aggregate-to-admin"),
            None,
        )
        .await;
    for rule in to_admin.body["rules"].as_array().unwrap() {
        assert!(
            admin.body["rules"].as_array().unwrap().contains(rule),
            "{rule}"
        );
    }
    let rb = api
        .call(
            Method::GET,
            "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings",
            None,
        )
        .await;
    assert!(!rb.body["items"].as_array().unwrap().is_empty());

    // a user's change: an extra rule on `view` stays; a removed default rule of `edit` comes
    // back; `basic-user` opted out of updates keeps its rules; a deleted role returns
    let mut view = api
        .call(Method::GET, &format!("{cr}/system:discovery"), None)
        .await
        .body;
    let extra = json!({"nonResourceURLs": ["/extra"], "verbs": ["get"]});
    view["rules"].as_array_mut().unwrap().push(extra.clone());
    assert_eq!(
        api.call(Method::PUT, &format!("{cr}/system:discovery"), Some(view))
            .await
            .code,
        200
    );
    let mut basic = api
        .call(Method::GET, &format!("{cr}/system:basic-user"), None)
        .await
        .body;
    basic["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] =
        json!("false");
    basic["rules"] = json!([]);
    assert_eq!(
        api.call(Method::PUT, &format!("{cr}/system:basic-user"), Some(basic))
            .await
            .code,
        200
    );
    let mut pub_info = api
        .call(
            Method::GET,
            &format!("{cr}/system:public-info-viewer"),
            None,
        )
        .await
        .body;
    let original = pub_info["rules"].clone();
    pub_info["rules"] = json!([]);
    assert_eq!(
        api.call(
            Method::PUT,
            &format!("{cr}/system:public-info-viewer"),
            Some(pub_info)
        )
        .await
        .code,
        200
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("{cr}/system:node"), None)
            .await
            .code,
        200
    );

    let again = Api::with_store(Arc::clone(&api.store)).await;
    let get = |n: &str| {
        let uri = format!("{cr}/{n}");
        let again = &again;
        async move { again.call(Method::GET, &uri, None).await }
    };
    assert!(
        get("system:discovery").await.body["rules"]
            .as_array()
            .unwrap()
            .contains(&extra)
    );
    assert_eq!(get("system:basic-user").await.body["rules"], json!([]));
    assert_eq!(
        get("system:public-info-viewer").await.body["rules"],
        original
    );
    assert_eq!(get("system:node").await.code, 200);
}

#[tokio::test]
async fn aggregation_reaches_through_aggregated_roles_on_the_first_start() {
    let api = Api::new().await;
    let cr = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
    // `edit` aggregates to `admin`, and is itself aggregated from aggregate-to-edit
    let admin = api
        .call(Method::GET, &format!("{cr}/admin"), None)
        .await
        .body;
    let to_edit = api
        .call(Method::GET, &format!("{cr}/system:aggregate-to-edit"), None)
        .await
        .body;
    let to_view = api
        .call(Method::GET, &format!("{cr}/system:aggregate-to-view"), None)
        .await
        .body;
    for rule in to_edit["rules"]
        .as_array()
        .unwrap()
        .iter()
        .chain(to_view["rules"].as_array().unwrap())
    {
        assert!(admin["rules"].as_array().unwrap().contains(rule), "{rule}");
    }
}

async fn get(api: &Api, uri: &str) -> crate::harness::Reply {
    api.call(Method::GET, uri, None).await
}

#[tokio::test]
async fn the_servers_own_endpoints() {
    let api = Api::new().await;
    let a: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let b: std::net::IpAddr = "10.0.0.2".parse().unwrap();
    apiserver::bootstrap::add_own_endpoint(&api.server, a, 16443)
        .await
        .unwrap();
    apiserver::bootstrap::add_own_endpoint(&api.server, b, 16443)
        .await
        .unwrap();
    let ep = get(&api, "/api/v1/namespaces/default/endpoints/kubernetes").await;
    assert_eq!(ep.code, 200, "{}", ep.body);
    assert_eq!(
        ep.body["subsets"],
        json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                "ports": [{"name": "https", "port": 16443, "protocol": "TCP"}]}])
    );
    let slice = get(
        &api,
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes",
    )
    .await;
    assert_eq!(slice.code, 200, "{}", slice.body);
    assert_eq!(
        slice.body["metadata"]["labels"]["kubernetes.io/service-name"],
        "kubernetes"
    );
    assert_eq!(slice.body["addressType"], "IPv4");
    assert_eq!(slice.body["endpoints"].as_array().unwrap().len(), 2);
    let svc = get(&api, "/api/v1/namespaces/default/services/kubernetes").await;
    assert_eq!(svc.body["spec"]["ports"][0]["targetPort"], 16443);
    // a server that shuts down takes its address out
    apiserver::bootstrap::remove_own_endpoint(&api.server, a, 16443)
        .await
        .unwrap();
    let ep = get(&api, "/api/v1/namespaces/default/endpoints/kubernetes").await;
    assert_eq!(
        ep.body["subsets"][0]["addresses"],
        json!([{"ip": "10.0.0.2"}])
    );
    let slice = get(
        &api,
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes",
    )
    .await;
    assert_eq!(
        slice.body["endpoints"],
        json!([{"addresses": ["10.0.0.2"], "conditions": {"ready": true}}])
    );
}

#[tokio::test]
async fn servers_whose_lease_ran_out_drop_out_of_the_endpoints() {
    let api = Api::new().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // another server on the same store, alive; a third that died 20 s ago
    let alive: std::net::IpAddr = "10.0.0.7".parse().unwrap();
    let dead: std::net::IpAddr = "10.0.0.9".parse().unwrap();
    apiserver::bootstrap::put_master_lease(&api.server, alive, now + 10_000)
        .await
        .unwrap();
    apiserver::bootstrap::put_master_lease(&api.server, dead, now - 5_000)
        .await
        .unwrap();
    let me: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    apiserver::bootstrap::add_own_endpoint(&api.server, me, 6443)
        .await
        .unwrap();
    let ep = get(&api, "/api/v1/namespaces/default/endpoints/kubernetes").await;
    assert_eq!(
        ep.body["subsets"][0]["addresses"],
        json!([{"ip": "10.0.0.1"}, {"ip": "10.0.0.7"}]),
        "{}",
        ep.body
    );
    // the expired lease is gone from the store too
    let leases = api
        .store
        .range(storage::RangeRequest::prefix("/registry/masterleases/"))
        .await
        .unwrap();
    assert_eq!(leases.kvs.len(), 2);
    // renewing (the periodic reconcile) changes nothing
    apiserver::bootstrap::add_own_endpoint(&api.server, me, 6443)
        .await
        .unwrap();
    let again = get(&api, "/api/v1/namespaces/default/endpoints/kubernetes").await;
    assert_eq!(
        again.body["metadata"]["resourceVersion"],
        ep.body["metadata"]["resourceVersion"]
    );
}
