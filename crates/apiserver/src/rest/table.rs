//! `meta.k8s.io/v1` Table replies (what `kubectl get` asks for), with the
//! columns of the `api` crate's printers.

use std::sync::Arc;

use apimachinery::ApiError;
use serde_json::{Value, json};

use super::Rest;
use crate::watchcache::Obj;

/// The content type of a Table reply.
pub const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// The `row.object` for `includeObject`.
pub fn row_object(include: &str, obj: &Value) -> Value {
    match include {
        "None" => Value::Null,
        "Object" => obj.clone(),
        _ => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
        }),
    }
}

/// One Table row for an object.
pub fn row(rest: &Rest<'_>, obj: &Value, now: chrono::DateTime<chrono::Utc>) -> Value {
    let include = rest.query.get("includeObject").unwrap_or("Metadata");
    let cells = api::printers::table_row(rest.res, obj, now);
    let mut r = json!({"cells": cells});
    let o = row_object(include, obj);
    if !o.is_null() {
        r["object"] = o;
    }
    r
}

/// The column definitions as JSON.
pub fn columns(rest: &Rest<'_>) -> Value {
    serde_json::to_value(api::printers::table_columns(rest.res)).unwrap_or_else(|_| json!([]))
}

/// Render objects as a Table.
pub fn table(
    rest: &Rest<'_>,
    items: &[Arc<Obj>],
    continue_token: Option<String>,
    rv: i64,
    single: bool,
) -> Result<Vec<u8>, ApiError> {
    let mut md = json!({"resourceVersion": rv.to_string()});
    if single {
        md = json!({});
    }
    if let Some(c) = continue_token {
        md["continue"] = Value::String(c);
    }
    let values: Vec<Value> = items.iter().map(|o| o.value()).collect();
    rows_table(rest, &values, md)
}

/// A Table of objects that are not stored (computed on read): no resourceVersion.
pub fn table_of_values(rest: &Rest<'_>, items: &[Value]) -> Result<Vec<u8>, ApiError> {
    rows_table(rest, items, json!({}))
}

fn rows_table(rest: &Rest<'_>, items: &[Value], md: Value) -> Result<Vec<u8>, ApiError> {
    let now = chrono::Utc::now();
    let rows: Vec<Value> = items.iter().map(|o| row(rest, o, now)).collect();
    let t = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": md,
        "columnDefinitions": columns(rest),
        "rows": rows,
    });
    serde_json::to_vec(&t).map_err(ApiError::internal)
}
