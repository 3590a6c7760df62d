use std::time::Instant;

use serde_json::{Value, json};

use super::*;
use crate::resources::{RESOURCES, ResourceInfo};

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("document is JSON")
}

fn gv_path(r: &ResourceInfo) -> String {
    if r.group.is_empty() {
        format!("api/{}", r.version)
    } else {
        format!("apis/{}/{}", r.group, r.version)
    }
}

/// Every `$ref` in `v`, with where it was found.
fn refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push((
                        x.as_str().unwrap_or("<not a string>").to_string(),
                        at.into(),
                    ));
                } else {
                    refs(x, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| refs(x, &format!("{at}/{i}"), out)),
        _ => {}
    }
}

/// No `["T","null"]` types, no `$defs` leftovers.
fn assert_clean(v: &Value, at: &str) {
    match v {
        Value::Object(m) => {
            if let Some(t) = m.get("type") {
                // a property literally named "type" holds a schema, not a type name
                if !t.is_object() {
                    assert!(t.is_string(), "{at}: type {t}");
                }
            }
            for (k, x) in m {
                assert_ne!(k, "nullable", "{at}");
                assert_clean(x, &format!("{at}/{k}"));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| assert_clean(x, at)),
        Value::String(s) => assert!(!s.starts_with("#/$defs/"), "{at}: {s}"),
        _ => {}
    }
}

/// kubectl's query-param verifier (cli-runtime query_param_verifier_v3.go): some
/// path has a `patch` whose GVK extension equals the kind and whose own
/// parameters include an inline `fieldValidation`.
fn supports_field_validation(doc: &Value, g: &str, v: &str, k: &str) -> bool {
    doc["paths"].as_object().unwrap().values().any(|item| {
        let p = &item["patch"];
        p["x-kubernetes-group-version-kind"] == json!({"group": g, "kind": k, "version": v})
            && p["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|x| x["name"] == "fieldValidation"))
    })
}

/// The schema a property points to (`allOf: [{$ref}]` or `$ref`).
fn follow<'a>(doc: &'a Value, prop: &Value) -> &'a Value {
    let r = prop["allOf"][0]["$ref"]
        .as_str()
        .or_else(|| prop["$ref"].as_str())
        .unwrap_or_else(|| panic!("no ref in {prop}"));
    let name = r.strip_prefix("#/components/schemas/").unwrap();
    &doc["components"]["schemas"][name]
}

#[test]
fn apps_v1_document_shape() {
    let (bytes, hash) = v3_document("apis/apps/v1").unwrap();
    assert_eq!(hash.len(), 128);
    assert_eq!(*hash, content_hash(bytes));
    let doc = parse(bytes);
    assert_eq!(doc["openapi"], "3.0.0");
    let item = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let patch = &item["patch"];
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    let names: Vec<&str> = patch["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in ["dryRun", "fieldManager", "fieldValidation", "force"] {
        assert!(names.contains(&n), "{n}");
    }
    let body = patch["requestBody"]["content"].as_object().unwrap();
    assert_eq!(body.len(), 4);
    assert!(body.contains_key("application/strategic-merge-patch+json"));
    assert!(body.contains_key("application/apply-patch+yaml"));
    assert_eq!(
        patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.Deployment"
    );
    let path_params: Vec<&str> = item["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(path_params, ["name", "namespace", "pretty"]);
    for m in ["get", "put", "delete"] {
        assert!(item[m].is_object(), "{m}");
    }
    let coll = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"];
    assert_eq!(coll["get"]["x-kubernetes-action"], "list");
    assert_eq!(coll["post"]["x-kubernetes-action"], "post");
    assert_eq!(coll["delete"]["x-kubernetes-action"], "deletecollection");
    assert_eq!(
        doc["paths"]["/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}"]["get"]["x-kubernetes-action"],
        "watch"
    );
    let scale = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert_eq!(
        scale["patch"]["x-kubernetes-group-version-kind"],
        json!({"group": "autoscaling", "kind": "Scale", "version": "v1"})
    );
    assert!(
        doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]["put"]
            .is_object()
    );

    let schemas = &doc["components"]["schemas"];
    let strategy = &schemas["io.k8s.api.apps.v1.DeploymentStrategy"];
    assert!(
        strategy["description"]
            .as_str()
            .unwrap()
            .contains("replace existing pods")
    );
    assert_eq!(strategy["type"], "object");
    assert!(schemas["io.k8s.api.autoscaling.v1.Scale"].is_object());
    assert_eq!(
        schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    assert_eq!(
        schemas["io.k8s.api.apps.v1.Deployment"]["properties"]["apiVersion"],
        json!({"description": schemas["io.k8s.api.apps.v1.Deployment"]["properties"]["apiVersion"]["description"], "type": "string"})
    );
    let ios = &schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!(ios["format"], "int-or-string");
    assert!(
        doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.starts_with("io.k8s.api.batch."))
    );
}

#[test]
fn explain_deployment_spec_strategy_walks() {
    // What `kubectl explain deployment.spec.strategy` does with the v3 doc.
    let doc = parse(&v3_document("apis/apps/v1").unwrap().0);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let (_, deploy) = schemas
        .iter()
        .find(|(_, s)| {
            s["x-kubernetes-group-version-kind"]
                .as_array()
                .is_some_and(|a| {
                    a.contains(&json!({"group": "apps", "kind": "Deployment", "version": "v1"}))
                })
        })
        .unwrap();
    let spec = follow(&doc, &deploy["properties"]["spec"]);
    let strategy_prop = &spec["properties"]["strategy"];
    assert_eq!(strategy_prop["x-kubernetes-patch-strategy"], "retainKeys");
    let strategy = follow(&doc, strategy_prop);
    assert!(strategy["properties"]["rollingUpdate"].is_object());
    let ru = follow(&doc, &strategy["properties"]["rollingUpdate"]);
    let ms = follow(&doc, &ru["properties"]["maxSurge"]);
    assert_eq!(ms["format"], "int-or-string");
    // client-side apply: merge key of containers.
    let tmpl = follow(&doc, &spec["properties"]["template"]);
    let pod = follow(&doc, &tmpl["properties"]["spec"]);
    let containers = &pod["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(containers["type"], "array");
    assert_eq!(
        containers["items"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.Container"
    );
}

#[test]
fn every_v3_document_is_self_contained_and_verifiable() {
    let t = Instant::now();
    let index = parse(v3_index());
    eprintln!("v3 index + all documents: {:?}", t.elapsed());
    let paths = index["paths"].as_object().unwrap();
    assert!(paths.contains_key("api/v1"));
    assert!(paths.contains_key("apis/apps/v1"));
    assert!(paths.contains_key("apis/apps"));
    assert!(paths.contains_key("apis/autoscaling/v1"));
    for (k, v) in paths {
        let (bytes, hash) = v3_document(k).unwrap();
        assert_eq!(
            v["serverRelativeURL"],
            format!("/openapi/v3/{k}?hash={hash}"),
            "{k}"
        );
        let doc = parse(bytes);
        assert_clean(&doc, k);
        let mut rs = Vec::new();
        refs(&doc, k, &mut rs);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for (r, at) in rs {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{at}: foreign ref {r}"));
            assert!(schemas.contains_key(name), "{at}: dangling {r}");
        }
        eprintln!("{k}: {} bytes, {} schemas", bytes.len(), schemas.len());
    }
    // (componentstatuses are read-only: no writes, no fieldValidation)
    for r in RESOURCES.iter().filter(|r| r.verbs.contains(&"patch")) {
        let doc = parse(&v3_document(&gv_path(r)).unwrap().0);
        assert!(
            supports_field_validation(&doc, r.group, r.version, r.kind),
            "{}/{} {}",
            r.group,
            r.version,
            r.kind
        );
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert!(
            schemas
                .values()
                .any(|s| s["x-kubernetes-group-version-kind"]
                    .as_array()
                    .is_some_and(|a| a.contains(
                        &json!({"group": r.group, "kind": r.kind, "version": r.version})
                    ))),
            "{} has no schema",
            r.kind
        );
    }
    let core = parse(&v3_document("api/v1").unwrap().0);
    assert!(
        core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"].is_object()
    );
    assert!(core["paths"]["/api/v1/namespaces/{name}"]["patch"].is_object());
    assert!(core["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"].is_object());
    assert!(v3_document("apis/apps/v2").is_none());
    assert!(v3_document("apis/nope").is_none());
    // documents are cached: same bytes, same address
    assert!(std::ptr::eq(
        v3_document("apis/apps/v1").unwrap(),
        v3_document("/apis/apps/v1").unwrap()
    ));
}

#[test]
fn single_document_build_time() {
    // A fresh build (not the cached one) of the largest document.
    let t = Instant::now();
    let doc = v3::document_for(apimachinery::Schema::builtin(), "api/v1").unwrap();
    let bytes = serde_json::to_vec(&doc).unwrap();
    eprintln!(
        "api/v1 v3 document: {} bytes in {:?}",
        bytes.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let doc = v3::document_for(apimachinery::Schema::builtin(), "apis/apps/v1").unwrap();
    let bytes = serde_json::to_vec(&doc).unwrap();
    eprintln!(
        "apis/apps/v1 v3 document: {} bytes in {:?}",
        bytes.len(),
        t.elapsed()
    );
}

#[test]
fn v2_document_shape() {
    let t = Instant::now();
    let bytes = v2_document();
    eprintln!("v2 document: {} bytes in {:?}", bytes.len(), t.elapsed());
    let doc = parse(bytes);
    assert_eq!(doc["swagger"], "2.0");
    assert_clean(&doc, "v2");
    let defs = doc["definitions"].as_object().unwrap();
    let mut rs = Vec::new();
    refs(&doc, "v2", &mut rs);
    for (r, at) in rs {
        let name = r
            .strip_prefix("#/definitions/")
            .unwrap_or_else(|| panic!("{at}: foreign ref {r}"));
        assert!(defs.contains_key(name), "{at}: dangling {r}");
    }
    let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    assert!(
        patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
    );
    assert!(
        patch["consumes"]
            .as_array()
            .unwrap()
            .contains(&json!("application/strategic-merge-patch+json"))
    );
    assert_eq!(
        defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"],
        "string"
    );
    assert_eq!(
        defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
        "int-or-string"
    );
    assert_eq!(
        defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"],
        "string"
    );
    let spec = &defs["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"];
    assert_eq!(
        spec["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy"
    );
    assert_eq!(spec["x-kubernetes-patch-strategy"], "retainKeys");
    for r in RESOURCES.iter().filter(|r| r.verbs.contains(&"patch")) {
        let found = doc["paths"].as_object().unwrap().values().any(|item| {
            item["patch"]["x-kubernetes-group-version-kind"]
                == json!({"group": r.group, "kind": r.kind, "version": r.version})
        });
        assert!(found, "{}", r.kind);
    }
    assert_eq!(v2_hash().len(), 128);
}

/// `CAPSTAN_OPENAPI_DUMP=/dir cargo test -p api dump_documents -- --ignored`
/// writes every discovery and OpenAPI body to /dir (for trying real clients
/// against a static server).
#[test]
#[ignore]
fn dump_documents() {
    use crate::discovery;
    let Ok(dir) = std::env::var("CAPSTAN_OPENAPI_DUMP") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    let write = |rel: &str, bytes: &[u8]| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    let json = |v: &Value| serde_json::to_vec(v).unwrap();
    write("openapi/v3.json", v3_index());
    for k in v3_paths() {
        write(&format!("openapi/v3/{k}.json"), &v3_document(k).unwrap().0);
    }
    write("openapi/v2.json", v2_document());
    write(
        "version.json",
        &json(&discovery::version_info("0", "1970-01-01T00:00:00Z")),
    );
    write(
        "api.json",
        &json(&discovery::api_versions("127.0.0.1:6443")),
    );
    write("apis.json", &json(&discovery::api_group_list()));
    write("agg/api.json", &json(&discovery::aggregated_core()));
    write("agg/apis.json", &json(&discovery::aggregated_apis()));
    for (g, vs) in crate::resources::groups() {
        if !g.is_empty() {
            write(
                &format!("apis/{g}.json"),
                &json(&discovery::api_group(g).unwrap()),
            );
        }
        for v in vs {
            let p = if g.is_empty() {
                format!("api/{v}.json")
            } else {
                format!("apis/{g}/{v}.json")
            };
            write(&p, &json(&discovery::api_resource_list(g, v).unwrap()));
        }
    }
}
