//! The objects the server makes for itself come back after a user deletes them: the next
//! start reconciles them (a ClusterRole, a ClusterRoleBinding, a PriorityClass and an
//! APIService), seen through `kube`.

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use kube::api::{Api, DeleteParams, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};

use crate::support::{ServerProc, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_bootstrap_objects_return_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = ServerProc::start(dir.path(), port).await;
    let client = server.client().await.unwrap();
    let apisvc = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "apiregistration.k8s.io",
        "v1",
        "APIService",
    ));
    let dp = DeleteParams::default();
    Api::<ClusterRole>::all(client.clone())
        .delete("admin", &dp)
        .await
        .unwrap();
    Api::<ClusterRoleBinding>::all(client.clone())
        .delete("cluster-admin", &dp)
        .await
        .unwrap();
    Api::<PriorityClass>::all(client.clone())
        .delete("system-cluster-critical", &dp)
        .await
        .unwrap();
    Api::<DynamicObject>::all_with(client.clone(), &apisvc)
        .delete("v1.batch", &dp)
        .await
        .unwrap();
    assert!(
        Api::<ClusterRole>::all(client.clone())
            .get_opt("admin")
            .await
            .unwrap()
            .is_none()
    );

    server.kill();
    let server = ServerProc::start(dir.path(), port).await;
    let client = server.client().await.unwrap();
    let admin = Api::<ClusterRole>::all(client.clone())
        .get("admin")
        .await
        .unwrap();
    assert!(admin.aggregation_rule.is_some());
    assert!(
        !admin.rules.unwrap_or_default().is_empty(),
        "aggregated rules are filled in"
    );
    let b = Api::<ClusterRoleBinding>::all(client.clone())
        .get("cluster-admin")
        .await
        .unwrap();
    assert_eq!(b.subjects.unwrap()[0].name, "system:masters");
    let pc = Api::<PriorityClass>::all(client.clone())
        .get("system-cluster-critical")
        .await
        .unwrap();
    assert_eq!(pc.value, Some(2_000_000_000));
    let svc = Api::<DynamicObject>::all_with(client, &apisvc)
        .get("v1.batch")
        .await
        .unwrap();
    assert_eq!(svc.data["status"]["conditions"][0]["status"], "True");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kubernetes_endpoints_name_this_server() {
    use k8s_openapi::api::core::v1::Endpoints;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server =
        ServerProc::start_with(dir.path(), port, &["--advertise-address", "127.0.0.1"]).await;
    let client = server.client().await.unwrap();
    let ep = Api::<Endpoints>::namespaced(client, "default")
        .get("kubernetes")
        .await
        .unwrap();
    let subset = &ep.subsets.unwrap()[0];
    assert_eq!(subset.addresses.as_ref().unwrap()[0].ip, "127.0.0.1");
    let p = &subset.ports.as_ref().unwrap()[0];
    assert_eq!(
        (p.name.as_deref(), p.port),
        (Some("https"), i32::from(port))
    );
}
