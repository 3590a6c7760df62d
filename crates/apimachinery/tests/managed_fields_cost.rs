//! CPU cost of the managedFields bookkeeping of a create (ignored: a measurement, not a
//! check): `cargo test --release -p apimachinery --test managed_fields_cost -- --ignored --nocapture`.

use std::time::Instant;

use apimachinery::Schema;
use serde_json::json;

#[test]
#[ignore = "benchmark: prints figures, asserts nothing"]
fn managed_fields_of_a_create() {
    let schema = Schema::builtin();
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {"limits": {"cpu": "500m"}}}]}}}
    });
    let configmap = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "default", "labels": {"bench": "true"}},
        "data": {"payload": "x".repeat(1024)}
    });
    for (what, obj) in [("ConfigMap", configmap), ("Deployment", deployment)] {
        let n = 20_000;
        let start = Instant::now();
        for _ in 0..n {
            let mut o = obj.clone();
            apimachinery::patch::update_managed_fields(
                None,
                &mut o,
                "bench",
                "v1",
                "2026-11-22T00:00:00Z",
                schema,
            );
            std::hint::black_box(&o);
        }
        println!(
            "{what}: {:.2} us per create",
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    }
}
