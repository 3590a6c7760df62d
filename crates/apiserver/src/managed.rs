//! `metadata.managedFields`: who set which field, for server-side apply and
//! every ordinary write (the bookkeeping engine lives in `apimachinery::patch::apply`).

use apimachinery::ApiError;
use apimachinery::schema::{Definition, Schema};
use serde_json::Value;

/// Record an `Update` by `manager` turning `old` into `new` (nothing for an empty manager).
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, api_version: &str) {
    if manager.is_empty() {
        return;
    }
    let now = crate::meta::now_rfc3339();
    apimachinery::patch::update_managed_fields(
        old,
        new,
        manager,
        api_version,
        &now,
        Schema::builtin(),
    );
}

/// Server-side apply of `applied` by `manager` onto `live`.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    schema: &Schema,
    def: &Definition,
) -> Result<Value, ApiError> {
    let now = crate::meta::now_rfc3339();
    Ok(apimachinery::patch::apply(
        live,
        applied,
        manager,
        force,
        api_version,
        schema,
        def,
        &now,
    )?)
}
