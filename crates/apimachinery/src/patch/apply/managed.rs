//! `metadata.managedFields` entries: decoding, encoding (in upstream's order)
//! and the metadata fields no manager owns.

use serde_json::{Map, Value};

use super::Operation;
use super::fieldset::{FieldSet, PathElement};
use crate::patch::PatchError;

/// One decoded `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedFieldsEntry {
    /// The field manager, e.g. `kubectl`, `helm`, `kube-controller-manager`.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: Operation,
    /// The API version the manager wrote with.
    pub api_version: String,
    /// When the manager last changed the object (RFC 3339).
    pub time: Option<String>,
    /// The subresource written through (e.g. `status`), if any.
    pub subresource: Option<String>,
    /// The fields owned.
    pub set: FieldSet,
}

/// `[]` or `[{}]`: a request asking to clear managedFields.
pub(crate) fn is_reset(v: &Value) -> bool {
    match v {
        Value::Array(a) => {
            a.is_empty() || (a.len() == 1 && a[0].as_object().is_some_and(Map::is_empty))
        }
        _ => false,
    }
}

/// Decode a `managedFields` list.
pub(crate) fn decode_managed_fields(v: &Value) -> Result<Vec<ManagedFieldsEntry>, PatchError> {
    let bad = |m: String| PatchError::Internal(format!("failed to decode managed fields: {m}"));
    let Value::Array(entries) = v else {
        if v.is_null() {
            return Ok(Vec::new());
        }
        return Err(bad("managedFields must be a list".into()));
    };
    let mut out: Vec<ManagedFieldsEntry> = Vec::with_capacity(entries.len());
    for e in entries {
        let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        let operation = match s("operation").as_deref() {
            Some("Apply") => Operation::Apply,
            Some("Update") => Operation::Update,
            other => return Err(bad(format!("unknown operation {other:?}"))),
        };
        match s("fieldsType").as_deref() {
            Some("FieldsV1") | None => {}
            Some(t) => return Err(bad(format!("invalid fieldsType {t:?}"))),
        }
        let set = match e.get("fieldsV1") {
            Some(f) => FieldSet::from_fields_v1(f).map_err(|e| bad(e.to_string()))?,
            None => FieldSet::new(),
        };
        let entry = ManagedFieldsEntry {
            manager: s("manager").unwrap_or_default(),
            operation,
            api_version: s("apiVersion").unwrap_or_default(),
            time: s("time"),
            subresource: s("subresource").filter(|s| !s.is_empty()),
            set,
        };
        // Entries of the same identity (Update: manager+apiVersion; Apply:
        // manager) are one.
        match out.iter_mut().find(|x| same_identity(x, &entry)) {
            Some(x) => x.set.union(&entry.set),
            None => out.push(entry),
        }
    }
    Ok(out)
}

fn same_identity(a: &ManagedFieldsEntry, b: &ManagedFieldsEntry) -> bool {
    a.manager == b.manager
        && a.operation == b.operation
        && a.subresource == b.subresource
        && (a.operation == Operation::Apply || a.api_version == b.api_version)
}

/// Encode entries, sorted as upstream: Apply before Update, then by time,
/// manager and apiVersion.
pub(crate) fn encode_managed_fields(entries: &[ManagedFieldsEntry]) -> Value {
    let mut sorted: Vec<&ManagedFieldsEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| {
        (
            a.operation,
            a.time.as_deref().unwrap_or(""),
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                b.operation,
                b.time.as_deref().unwrap_or(""),
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    Value::Array(
        sorted
            .into_iter()
            .map(|e| encode_entry(e, e.set.to_fields_v1()))
            .collect(),
    )
}

/// One entry of `metadata.managedFields`, with its set already encoded.
pub(crate) fn encode_entry(e: &ManagedFieldsEntry, fields_v1: Value) -> Value {
    let mut m = Map::new();
    m.insert("manager".into(), e.manager.clone().into());
    m.insert("operation".into(), e.operation.as_str().into());
    m.insert("apiVersion".into(), e.api_version.clone().into());
    if let Some(t) = &e.time {
        m.insert("time".into(), t.clone().into());
    }
    m.insert("fieldsType".into(), "FieldsV1".into());
    m.insert("fieldsV1".into(), fields_v1);
    if let Some(s) = &e.subresource {
        m.insert("subresource".into(), s.clone().into());
    }
    Value::Object(m)
}

/// Remove the fields no manager owns: type and identity metadata.
pub(crate) fn strip_set(set: &mut FieldSet) {
    static STRIP: std::sync::OnceLock<FieldSet> = std::sync::OnceLock::new();
    let strip = STRIP.get_or_init(|| {
        let f = |n: &str| PathElement::Field(n.to_string());
        let mut strip = FieldSet::new();
        strip.insert(&[f("apiVersion")]);
        strip.insert(&[f("kind")]);
        strip.insert(&[f("metadata")]);
        for m in [
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        ] {
            strip.insert(&[f("metadata"), f(m)]);
        }
        strip
    });
    set.difference(strip);
}
