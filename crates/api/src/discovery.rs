//! Discovery documents built from the resource table: the legacy
//! `APIVersions` / `APIGroupList` / `APIGroup` / `APIResourceList` bodies, the
//! aggregated discovery v2 `APIGroupDiscoveryList` bodies of `/api` and
//! `/apis`, and the `/version` body.
//!
//! Pure functions returning JSON values; the HTTP layer picks the body from the
//! `Accept` header. /api and /apis must both answer aggregated or both legacy
//! (client-go only uses aggregated resources when both are), and an aggregated
//! body must carry [`AGGREGATED_V2_CONTENT_TYPE`] or kubectl ignores it.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::resources::{self, ResourceInfo, Subresource};

/// The Content-Type of an aggregated discovery v2 reply (exactly this string).
pub const AGGREGATED_V2_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// The Kubernetes version Capstan speaks.
pub const KUBE_MAJOR: &str = "1";
/// The Kubernetes minor version Capstan speaks.
pub const KUBE_MINOR: &str = "37";

/// The `/version` body. `gitVersion` is `v1.37.0+capstan.<crate version>`:
/// semver build metadata, so helm's `kubeVersion` constraints (`>= 1.20.0`)
/// match it, which a pre-release suffix (`-capstan`) would not.
pub fn version_info(git_commit: &str, build_date: &str) -> Value {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    json!({
        "major": KUBE_MAJOR,
        "minor": KUBE_MINOR,
        "emulationMajor": KUBE_MAJOR,
        "emulationMinor": KUBE_MINOR,
        "minCompatibilityMajor": KUBE_MAJOR,
        "minCompatibilityMinor": (KUBE_MINOR.parse::<u32>().unwrap_or(1) - 1).to_string(),
        "gitVersion": format!("v{KUBE_MAJOR}.{KUBE_MINOR}.0+capstan.{}", env!("CARGO_PKG_VERSION")),
        "gitCommit": git_commit,
        "gitTreeState": "clean",
        "buildDate": build_date,
        "goVersion": "n/a",
        "compiler": "rustc",
        "platform": format!("{}/{arch}", std::env::consts::OS),
    })
}

/// `GET /api`: the core group's versions.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    })
}

fn group_body(group: &str, versions: &[&str]) -> Value {
    let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    json!({
        "name": group,
        "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
        "preferredVersion": gv(versions[0]),
    })
}

/// `GET /apis`: every named group with its versions, preferred first.
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = resources::groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| group_body(g, &vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`: one named group, `None` if it is not served.
pub fn api_group(group: &str) -> Option<Value> {
    if group.is_empty() {
        return None;
    }
    let (g, vs) = resources::groups().into_iter().find(|(g, _)| *g == group)?;
    let mut body = group_body(g, &vs);
    let m = body.as_object_mut()?;
    let mut out = Map::new();
    out.insert("kind".into(), "APIGroup".into());
    out.insert("apiVersion".into(), "v1".into());
    out.append(m);
    Some(Value::Object(out))
}

/// The `storageVersionHash` of a resource, computed as upstream does: the first
/// 8 bytes of sha256(`group/version/kind` of the storage version), base64.
/// Clients only compare it for equality (storage migration), so any stable
/// value works; upstream's recipe keeps it familiar.
pub fn storage_version_hash(r: &'static ResourceInfo) -> String {
    let s = resources::storage_resource(r);
    let digest = Sha256::digest(format!("{}/{}/{}", s.group, s.version, s.kind).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&digest[..8])
}

/// `GET /api/v1` (group "") or `GET /apis/<group>/<version>`: the legacy
/// per-group-version resource list, subresources included as `<res>/<sub>`.
/// `None` if the group-version is not served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let mut list: Vec<Value> = Vec::new();
    for r in resources::resources_of(group, version) {
        // empty shortNames/categories are left out, as upstream's `omitempty` leaves them
        let mut e = json!({
            "name": r.resource,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            e["categories"] = json!(r.categories);
        }
        e["storageVersionHash"] = json!(storage_version_hash(r));
        list.push(e);
        for &sub in r.subresources {
            list.push(legacy_subresource(r, sub));
        }
    }
    if list.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": list,
    }))
}

fn legacy_subresource(r: &ResourceInfo, sub: Subresource) -> Value {
    let (g, v, k) = sub.response_kind(r);
    let mut m = Map::new();
    m.insert(
        "name".into(),
        format!("{}/{}", r.resource, sub.name()).into(),
    );
    m.insert("singularName".into(), "".into());
    m.insert("namespaced".into(), r.namespaced.into());
    // Upstream sets group/version only when they differ from the parent's.
    if (g, v) != (r.group, r.version) {
        m.insert("group".into(), g.into());
        m.insert("version".into(), v.into());
    }
    m.insert("kind".into(), k.into());
    m.insert("verbs".into(), json!(sub.verbs()));
    Value::Object(m)
}

fn aggregated_resource(r: &ResourceInfo) -> Value {
    let mut m = Map::new();
    m.insert("resource".into(), r.resource.into());
    m.insert(
        "responseKind".into(),
        json!({"group": r.group, "version": r.version, "kind": r.kind}),
    );
    m.insert(
        "scope".into(),
        if r.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        }
        .into(),
    );
    m.insert("singularResource".into(), r.singular.into());
    m.insert("verbs".into(), json!(r.verbs));
    if !r.short_names.is_empty() {
        m.insert("shortNames".into(), json!(r.short_names));
    }
    if !r.categories.is_empty() {
        m.insert("categories".into(), json!(r.categories));
    }
    if !r.subresources.is_empty() {
        let subs: Vec<Value> = r
            .subresources
            .iter()
            .map(|&s| {
                let (g, v, k) = s.response_kind(r);
                json!({
                    "subresource": s.name(),
                    "responseKind": {"group": g, "version": v, "kind": k},
                    "verbs": s.verbs(),
                })
            })
            .collect();
        m.insert("subresources".into(), Value::Array(subs));
    }
    Value::Object(m)
}

fn aggregated_group(group: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let res: Vec<Value> = resources::resources_of(group, v)
                .map(aggregated_resource)
                .collect();
            json!({"version": v, "resources": res, "freshness": "Current"})
        })
        .collect();
    // The core group's item has no name (Go omits the empty string).
    let metadata = if group.is_empty() {
        json!({})
    } else {
        json!({"name": group})
    };
    json!({"metadata": metadata, "versions": versions})
}

fn aggregated_list(items: Vec<Value>) -> Value {
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

/// `GET /api` with the aggregated Accept: the core group, one item.
pub fn aggregated_core() -> Value {
    let items = resources::groups()
        .into_iter()
        .filter(|(g, _)| g.is_empty())
        .map(|(g, vs)| aggregated_group(g, &vs))
        .collect();
    aggregated_list(items)
}

/// `GET /apis` with the aggregated Accept: every named group, versions with
/// the preferred one first.
pub fn aggregated_apis() -> Value {
    let items = resources::groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| aggregated_group(g, &vs))
        .collect();
    aggregated_list(items)
}

/// True if an `Accept` header asks for aggregated discovery v2 (the first
/// acceptable of its media ranges is `as=APIGroupDiscoveryList` with `v=v2`).
/// Clients that list only v2beta1 (client-go < 1.30) get the legacy body.
pub fn accepts_aggregated_v2(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let params: Vec<String> = range
            .split(';')
            .map(|p| p.trim().replace(' ', "").to_ascii_lowercase())
            .collect();
        params.iter().any(|p| p == "as=apigroupdiscoverylist")
            && params.iter().any(|p| p == "v=v2")
            && params.iter().any(|p| p == "g=apidiscovery.k8s.io")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_body() {
        let v = api_versions("10.0.0.1:6443");
        assert_eq!(v["kind"], "APIVersions");
        assert_eq!(v["versions"], json!(["v1"]));
        assert_eq!(
            v["serverAddressByClientCIDRs"][0]["serverAddress"],
            "10.0.0.1:6443"
        );
    }

    #[test]
    fn group_list_has_autoscaling_v2_preferred() {
        let l = api_group_list();
        assert_eq!(l["kind"], "APIGroupList");
        let groups = l["groups"].as_array().unwrap();
        assert!(groups.iter().all(|g| g["name"] != ""));
        let a = groups.iter().find(|g| g["name"] == "autoscaling").unwrap();
        assert_eq!(a["preferredVersion"]["groupVersion"], "autoscaling/v2");
        assert_eq!(a["versions"][1]["version"], "v1");
        let apps = api_group("apps").unwrap();
        assert_eq!(apps["kind"], "APIGroup");
        assert_eq!(apps["apiVersion"], "v1");
        assert_eq!(apps["preferredVersion"]["groupVersion"], "apps/v1");
        assert!(api_group("nope").is_none());
        assert!(api_group("").is_none());
    }

    #[test]
    fn resource_list_with_subresources() {
        let l = api_resource_list("apps", "v1").unwrap();
        assert_eq!(l["groupVersion"], "apps/v1");
        let rs = l["resources"].as_array().unwrap();
        let d = rs.iter().find(|r| r["name"] == "deployments").unwrap();
        assert_eq!(d["singularName"], "deployment");
        assert_eq!(d["namespaced"], true);
        assert_eq!(d["kind"], "Deployment");
        assert_eq!(d["shortNames"], json!(["deploy"]));
        assert_eq!(d["categories"], json!(["all"]));
        assert_eq!(d["storageVersionHash"].as_str().unwrap().len(), 12);
        let scale = rs
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .unwrap();
        assert_eq!(scale["group"], "autoscaling");
        assert_eq!(scale["version"], "v1");
        assert_eq!(scale["kind"], "Scale");
        let status = rs
            .iter()
            .find(|r| r["name"] == "deployments/status")
            .unwrap();
        assert_eq!(status["kind"], "Deployment");
        assert!(status.get("group").is_none());

        let core = api_resource_list("", "v1").unwrap();
        assert_eq!(core["groupVersion"], "v1");
        let rs = core["resources"].as_array().unwrap();
        let ev = rs.iter().find(|r| r["name"] == "pods/eviction").unwrap();
        assert_eq!(ev["group"], "policy");
        assert_eq!(ev["verbs"], json!(["create"]));
        assert!(rs.iter().any(|r| r["name"] == "pods/binding"));
        let secrets = rs.iter().find(|r| r["name"] == "secrets").unwrap();
        // upstream's omitempty: no empty shortNames or categories
        assert!(secrets.get("shortNames").is_none() && secrets.get("categories").is_none());
        assert!(api_resource_list("apps", "v9").is_none());
    }

    #[test]
    fn hpa_versions_share_a_storage_hash() {
        let v1 = resources::lookup("autoscaling", "v1", "horizontalpodautoscalers").unwrap();
        let v2 = resources::lookup("autoscaling", "v2", "horizontalpodautoscalers").unwrap();
        assert_eq!(storage_version_hash(v1), storage_version_hash(v2));
    }

    #[test]
    fn aggregated_bodies() {
        let core = aggregated_core();
        assert_eq!(core["kind"], "APIGroupDiscoveryList");
        assert_eq!(core["apiVersion"], "apidiscovery.k8s.io/v2");
        let items = core["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["metadata"], json!({}));
        let v1 = &items[0]["versions"][0];
        assert_eq!(v1["version"], "v1");
        assert_eq!(v1["freshness"], "Current");
        let pods = v1["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "pods")
            .unwrap();
        assert_eq!(pods["scope"], "Namespaced");
        assert_eq!(pods["singularResource"], "pod");
        assert_eq!(
            pods["responseKind"],
            json!({"group": "", "version": "v1", "kind": "Pod"})
        );
        assert_eq!(pods["categories"], json!(["all"]));
        let subs = pods["subresources"].as_array().unwrap();
        assert!(subs.iter().any(|s| s["subresource"] == "eviction"
            && s["responseKind"]["group"] == "policy"
            && s["verbs"] == json!(["create"])));

        let apis = aggregated_apis();
        let items = apis["items"].as_array().unwrap();
        assert!(items.iter().all(|i| i["metadata"]["name"] != ""));
        let auto = items
            .iter()
            .find(|i| i["metadata"]["name"] == "autoscaling")
            .unwrap();
        assert_eq!(auto["versions"][0]["version"], "v2");
        let apps = items
            .iter()
            .find(|i| i["metadata"]["name"] == "apps")
            .unwrap();
        let deploy = apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "deployments")
            .unwrap();
        let scale = deploy["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "scale")
            .unwrap();
        assert_eq!(
            scale["responseKind"],
            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        );
        let ns = items
            .iter()
            .find(|i| i["metadata"]["name"] == "rbac.authorization.k8s.io");
        let cr = ns.unwrap()["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "clusterroles")
            .unwrap()
            .clone();
        assert_eq!(cr["scope"], "Cluster");
        assert!(cr.get("shortNames").is_none());
    }

    #[test]
    fn accept_negotiation() {
        assert!(accepts_aggregated_v2(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
        ));
        assert!(accepts_aggregated_v2(
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
        ));
        assert!(!accepts_aggregated_v2(
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
        ));
        assert!(!accepts_aggregated_v2("application/json, */*"));
    }

    #[test]
    fn version_is_semver_with_build_metadata() {
        let v = version_info("abc", "2026-01-01T00:00:00Z");
        assert_eq!(v["major"], "1");
        assert_eq!(v["minor"], "37");
        let gv = v["gitVersion"].as_str().unwrap();
        assert!(gv.starts_with("v1.37.0+capstan."), "{gv}");
        // build metadata identifiers: [0-9A-Za-z-], dot separated, non-empty
        let meta = gv.split_once('+').unwrap().1;
        assert!(
            meta.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        );
    }
}
