//! REST handlers for resource requests, in the manner of upstream's generic
//! registry: one code path for every built-in resource, with per-resource
//! behaviour (defaulting, validation, status split) supplied by the `api`
//! crate's strategies.

mod componentstatus;
mod decode;
mod delete;
mod list;
mod options;
mod patch;
mod read;
mod service_alloc;
mod store;
mod subresource;
mod table;
mod watch;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use api::ResourceInfo;
use apimachinery::ApiError;
use bytes::Bytes;
use http::{HeaderMap, Method, Response};

use crate::auth::UserInfo;
use crate::negotiation::{self, Output};
use crate::request_info::RequestInfo;
use crate::response::Body;
use crate::server::ApiServer;

pub use options::{Query, parse_query as parse_query_map, query_bool};
pub use service_alloc::ServiceRanges;
pub use store::ObjectStore;
pub use store::encode_for_storage as store_encode;
pub use write::random_name_suffix;

/// One resource request being served.
pub struct Rest<'a> {
    /// The server.
    pub server: &'a Arc<ApiServer>,
    /// What the path names.
    pub info: &'a RequestInfo,
    /// The resource (at the requested version).
    pub res: &'static ResourceInfo,
    /// Query parameters.
    pub query: Query,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// The authenticated user.
    pub user: &'a UserInfo,
    /// Reply representation.
    pub output: Output,
}

impl Rest<'_> {
    /// The object store of this resource.
    pub fn objects(&self) -> ObjectStore<'_> {
        ObjectStore::new(self.server, self.res)
    }

    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `dryRun=All` flag.
    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.query.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(v) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: {v:?}, supported values: [All]"
            ))),
        }
    }
}

/// Parse a `resourceVersion` parameter.
pub(crate) fn parse_resource_version(rv: &str) -> Result<i64, ApiError> {
    rv.parse()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv:?}")))
}

/// Wait (up to 3 s, as upstream's watch cache) until the cache has revision
/// `want`; else 504 "Too large resource version".
pub(crate) async fn wait_for_revision(rest: &Rest<'_>, want: i64) -> Result<(), ApiError> {
    if rest
        .server
        .cacher
        .wait_for(
            want,
            std::time::Duration::from_millis(
                rest.server
                    .revision_wait_ms
                    .load(std::sync::atomic::Ordering::Relaxed),
            ),
        )
        .await
    {
        return Ok(());
    }
    Err(ApiError::timeout(
        format!(
            "Too large resource version: {want}, current: {}",
            rest.server.cacher.revision()
        ),
        Some(1),
    )
    .with_causes(vec![apimachinery::errors::StatusCause {
        reason: "ResourceVersionTooLarge".into(),
        message: "Too large resource version".into(),
        field: String::new(),
    }]))
}

/// Serve a resource request.
pub async fn handle(
    server: &Arc<ApiServer>,
    info: &RequestInfo,
    method: &Method,
    headers: &HeaderMap,
    query: HashMap<String, String>,
    user: &UserInfo,
    body: Bytes,
) -> Result<Response<Body>, ApiError> {
    let res = api::resources::lookup(&info.api_group, &info.api_version, &info.resource)
        .ok_or_else(ApiError::path_not_found)?;
    if !res.namespaced && !info.namespace.is_empty() {
        return Err(ApiError::path_not_found());
    }
    let output = negotiation::negotiate(
        headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
        false,
    )?;
    let rest = Rest {
        server,
        info,
        res,
        query: Query(query),
        headers,
        user,
        output,
    };
    let sub = info.subresource.as_str();
    if !sub.is_empty() && !res.subresources.iter().any(|s| s.name() == sub) {
        return Err(ApiError::path_not_found());
    }
    if sub.is_empty() && !res.verbs.contains(&info.verb.as_str()) {
        return Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({})",
            info.verb
        )));
    }
    if res.group.is_empty() && res.resource == "componentstatuses" {
        return match info.verb.as_str() {
            "get" => componentstatus::get(&rest).await,
            _ => componentstatus::list(&rest).await,
        };
    }
    match (info.verb.as_str(), sub) {
        ("get", "" | "status" | "ephemeralcontainers") => read::get(&rest).await,
        ("list", "") => list::list(&rest).await,
        ("watch", "") => watch::watch(&rest).await,
        ("create", "") => write::create(&rest, body).await,
        ("update", "" | "status" | "ephemeralcontainers") => write::update(&rest, body).await,
        ("update", "finalize") => write::finalize(&rest, body).await,
        ("patch", "" | "status" | "ephemeralcontainers") => patch::patch(&rest, body).await,
        ("delete", "") => delete::delete(&rest, body).await,
        ("deletecollection", "") => delete::delete_collection(&rest, body).await,
        ("get" | "update" | "patch", "scale") => subresource::scale(&rest, method, body).await,
        ("create", "binding") => subresource::binding(&rest, body).await,
        ("create", "eviction") => subresource::eviction(&rest, body).await,
        (verb, _) => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({verb})"
        ))),
    }
}
