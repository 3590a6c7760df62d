//! The OpenAPI documents kube-apiserver publishes, generated from the resource
//! table and the embedded upstream v1.37 definitions:
//!
//! - `/openapi/v3`: [`v3_index`], `{"paths":{"apis/apps/v1":{"serverRelativeURL":"/openapi/v3/apis/apps/v1?hash=H"},…}}`;
//! - `/openapi/v3/<path>`: [`v3_document`], an OpenAPI 3.0 document per
//!   group-version (what `kubectl apply`'s field-validation check, its
//!   strategic merge patch, `kubectl explain` and helm read);
//! - `/openapi/v2`: [`v2_document`], Swagger 2.0 JSON, and [`v2_protobuf`], the
//!   same as gnostic's `openapi.v2.Document` message.
//!
//! Every document is built on first use and cached for the process lifetime
//! (startup builds nothing). The index hashes every v3 document, so its first
//! call builds them all. The hash is sha512 of the served bytes, upper-case hex,
//! as upstream: clients cache `…?hash=H` URLs forever, so serve them with
//! `Cache-Control: public, immutable` and, when the `hash` query differs from
//! the current one, redirect (upstream: 301) to the current URL.

mod params;
mod paths;
mod schema;
mod v2;
mod v2proto;
mod v3;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use apimachinery::Schema;
use sha2::{Digest, Sha512};

pub use schema::Dialect;

/// `info.version` of the documents.
pub const INFO_VERSION: &str = "v1.37.0";

/// The Content-Type of `/openapi/v2` as protobuf. kubectl asks for the older
/// spelling, [`V2_PROTOBUF_DEPRECATED`], which is answered with this one.
pub const V2_PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// The older spelling of [`V2_PROTOBUF_CONTENT_TYPE`] (what kubectl sends).
pub const V2_PROTOBUF_DEPRECATED: &str =
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// A built v3 document: its JSON bytes and its hash.
pub type V3Document = (Vec<u8>, String);

fn v3_slots() -> &'static BTreeMap<String, OnceLock<V3Document>> {
    static SLOTS: OnceLock<BTreeMap<String, OnceLock<V3Document>>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let mut keys = vec!["api".to_string(), "apis".into(), "version".into()];
        for (group, versions) in crate::resources::groups() {
            if group.is_empty() {
                keys.extend(versions.iter().map(|v| format!("api/{v}")));
            } else {
                keys.push(format!("apis/{group}"));
                keys.extend(versions.iter().map(|v| format!("apis/{group}/{v}")));
            }
        }
        keys.into_iter().map(|k| (k, OnceLock::new())).collect()
    })
}

/// The document paths the v3 index lists (`api/v1`, `apis/apps/v1`, `apis/apps`, …).
pub fn v3_paths() -> impl Iterator<Item = &'static str> {
    v3_slots().keys().map(String::as_str)
}

/// sha512 of `bytes`, upper-case hex (the form of upstream's `?hash=`).
pub fn content_hash(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha512::digest(bytes)
        .iter()
        .fold(String::with_capacity(128), |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        })
}

/// The v3 document of `gv_path` (`api/v1`, `apis/apps/v1`, `apis/apps`, `api`,
/// `apis`, `version`; no leading slash), built on first use; `None` if the
/// server has no such document.
pub fn v3_document(gv_path: &str) -> Option<&'static V3Document> {
    let slot = v3_slots().get(gv_path.trim_matches('/'))?;
    Some(slot.get_or_init(|| {
        let doc = v3::document_for(Schema::builtin(), gv_path.trim_matches('/'))
            .unwrap_or_else(|| serde_json::json!({}));
        let bytes = serde_json::to_vec(&doc).unwrap_or_default();
        let hash = content_hash(&bytes);
        (bytes, hash)
    }))
}

/// The `/openapi/v3` index body. Its first call builds every v3 document
/// (split over the available cores).
pub fn v3_index() -> &'static [u8] {
    static INDEX: OnceLock<Vec<u8>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let keys: Vec<&str> = v3_paths().collect();
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        // Biggest first (api/v1 is about half the work).
        let mut order = keys.clone();
        order.sort_by_key(|k| (*k != "api/v1", k.matches('/').count() != 2));
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(k) = order.get(i) else { break };
                        v3_document(k);
                    }
                });
            }
        });
        let mut paths = serde_json::Map::new();
        for k in keys {
            if let Some((_, hash)) = v3_document(k) {
                paths.insert(
                    k.to_string(),
                    serde_json::json!({"serverRelativeURL": format!("/openapi/v3/{k}?hash={hash}")}),
                );
            }
        }
        serde_json::to_vec(&serde_json::json!({"paths": paths})).unwrap_or_default()
    })
}

/// The `/openapi/v2` body (Swagger 2.0 JSON), built on first use.
pub fn v2_document() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_vec(&v2::document(Schema::builtin())).unwrap_or_default())
}

/// The `/openapi/v2` body as protobuf (gnostic's `openapi.v2.Document`),
/// built on first use from the JSON body.
pub fn v2_protobuf() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_slice::<serde_json::Value>(v2_document())
            .map(|doc| v2proto::encode(&doc))
            .unwrap_or_default()
    })
}

/// The hash of the `/openapi/v2` body (for an `ETag`).
pub fn v2_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| content_hash(v2_document()))
}

#[cfg(test)]
mod tests;
