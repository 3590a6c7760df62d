//! GET of one object (and of its `status` subresource).

use apimachinery::ApiError;
use http::{Response, StatusCode};

use super::Rest;
use crate::response::{self, Body};

/// Serve a GET of one object: from the watch cache once it has caught up
/// with the store, so a read after a write sees the write.
pub async fn get(rest: &Rest<'_>) -> Result<Response<Body>, ApiError> {
    let objects = rest.objects();
    let key = objects.key(&rest.info.namespace, &rest.info.name);
    let rv = rest.query.get("resourceVersion").unwrap_or("");
    let cache = rest.server.cache_for(rest.res);
    let obj = match cache {
        Some(cache) => {
            if rv != "0" {
                rest.server.consistent_read().await?;
            }
            cache.get(&key)
        }
        None => None,
    };
    let Some(obj) = obj else {
        return Err(ApiError::not_found(
            &rest.res.group_resource(),
            &rest.info.name,
        ));
    };
    let obj = rest.server.convert_out(rest.res, obj);
    match rest.output {
        crate::negotiation::Output::Table => {
            let t = super::table::table(rest, std::slice::from_ref(&obj), None, obj.rv, true)?;
            Ok(response::raw(
                StatusCode::OK,
                super::table::TABLE_CONTENT_TYPE,
                response::with_newline(t.into()),
            ))
        }
        crate::negotiation::Output::Json => {
            Ok(response::json_bytes(StatusCode::OK, obj.json.clone()))
        }
        crate::negotiation::Output::PartialMetadata(p) if p.list => Err(
            crate::partial::not_a_list(&rest.res.api_version(), rest.res.kind),
        ),
        crate::negotiation::Output::PartialMetadata(p) => {
            let b = crate::cached::partial_metadata(&obj.json, p.api_version());
            let b = crate::partial::body_of_json(b, p)?;
            Ok(response::raw(StatusCode::OK, &p.content_type(), b))
        }
        out => Ok(response::object(StatusCode::OK, &obj.value(), out)),
    }
}
