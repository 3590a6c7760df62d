//! `componentstatuses` (core/v1, deprecated upstream but still served): the health of
//! the control plane's parts, computed on every read and never stored. `etcd-0` is the
//! store this server writes to; `scheduler` and `controller-manager` are reported
//! Unhealthy, with the reason, while this server does not run them.

use apimachinery::ApiError;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::Rest;
use crate::response::{self, Body};

/// The components, in upstream's order.
const COMPONENTS: [&str; 3] = ["scheduler", "controller-manager", "etcd-0"];

async fn status(rest: &Rest<'_>, name: &str) -> Value {
    let healthy = |ok: Result<(), String>| match ok {
        Ok(()) => json!({"type": "Healthy", "status": "True", "message": "ok"}),
        Err(e) => json!({"type": "Healthy", "status": "False", "message": "", "error": e}),
    };
    let condition = match name {
        "etcd-0" => healthy(
            rest.server
                .store
                .get(b"/registry/health")
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        ),
        other => healthy(Err(format!("the {other} does not run in this server yet"))),
    };
    json!({
        "kind": "ComponentStatus", "apiVersion": "v1",
        "metadata": {"name": name},
        "conditions": [condition],
    })
}

/// GET of one component.
pub async fn get(rest: &Rest<'_>) -> Result<Response<Body>, ApiError> {
    let name = rest.info.name.as_str();
    if !COMPONENTS.contains(&name) {
        return Err(ApiError::not_found(&rest.res.group_resource(), name));
    }
    let v = status(rest, name).await;
    reply(rest, std::slice::from_ref(&v), false)
}

/// LIST of every component (selectors and paging do not apply to three computed items).
pub async fn list(rest: &Rest<'_>) -> Result<Response<Body>, ApiError> {
    let mut items = Vec::new();
    for name in COMPONENTS {
        items.push(status(rest, name).await);
    }
    reply(rest, &items, true)
}

fn reply(rest: &Rest<'_>, items: &[Value], list: bool) -> Result<Response<Body>, ApiError> {
    let mut r = render(rest, items, list)?;
    // as upstream warns of every deprecated API it serves
    response::add_warning(&mut r, "v1 ComponentStatus is deprecated in v1.19+");
    Ok(r)
}

fn render(rest: &Rest<'_>, items: &[Value], list: bool) -> Result<Response<Body>, ApiError> {
    if rest.output == crate::negotiation::Output::Table {
        let t = super::table::table_of_values(rest, items)?;
        return Ok(response::raw(
            StatusCode::OK,
            super::table::TABLE_CONTENT_TYPE,
            response::with_newline(t.into()),
        ));
    }
    let v = if list {
        json!({"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": items})
    } else {
        items[0].clone()
    };
    Ok(response::object(StatusCode::OK, &v, rest.output))
}
