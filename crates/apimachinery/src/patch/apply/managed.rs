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
    let bad = |m: String| PatchError::BadRequest(format!("failed to decode managed fields: {m}"));
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

/// The top-level fields no manager owns (`metadata` itself included, not its other fields).
pub(crate) const UNOWNED_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// The fields of `metadata` no manager owns: identity and bookkeeping.
pub(crate) const UNOWNED_METADATA: [&str; 9] = [
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
];

/// Remove the fields no manager owns: type and identity metadata.
pub(crate) fn strip_set(set: &mut FieldSet) {
    static STRIP: std::sync::OnceLock<FieldSet> = std::sync::OnceLock::new();
    let strip = STRIP.get_or_init(|| {
        let f = |n: &str| PathElement::Field(n.to_string());
        let mut strip = FieldSet::new();
        for top in UNOWNED_FIELDS {
            strip.insert(&[f(top)]);
        }
        for m in UNOWNED_METADATA {
            strip.insert(&[f("metadata"), f(m)]);
        }
        strip
    });
    set.difference(strip);
}

/// Upstream's cap on `Update` entries (`DefaultMaxUpdateManagers`).
pub(crate) const MAX_UPDATE_MANAGERS: usize = 10;

/// The bucket the oldest `Update` entries are merged into, one per API version.
pub(crate) const ANCIENT_CHANGES: &str = "ancient-changes";

/// Keeps at most `max` `Update` entries, as upstream's field manager does after every update
/// (not apply): oldest first (by time in seconds, then by identity), each entry of an API
/// version already seen is merged into that version's `ancient-changes` bucket (the first
/// entry seen of the version becomes the bucket if there is none), which takes the merged
/// entry's time, until `max` remain.
pub(crate) fn cap_update_managers(managers: &mut Vec<ManagedFieldsEntry>, max: usize) {
    let mut updaters: Vec<usize> = (0..managers.len())
        .filter(|&i| managers[i].operation == Operation::Update)
        .collect();
    if updaters.len() <= max {
        return;
    }
    let seconds = |e: &ManagedFieldsEntry| {
        e.time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(0, |t| t.timestamp())
    };
    let identity = |e: &ManagedFieldsEntry| {
        (
            e.manager.clone(),
            e.api_version.clone(),
            e.subresource.clone(),
        )
    };
    updaters.sort_by_cached_key(|&i| (seconds(&managers[i]), identity(&managers[i])));
    let mut first_of_version: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    let mut merged = vec![false; managers.len()];
    let mut remaining = updaters.len();
    for &i in &updaters {
        if remaining <= max {
            break;
        }
        let version = managers[i].api_version.clone();
        let Some(&first) = first_of_version.get(&version) else {
            first_of_version.insert(version, i);
            continue;
        };
        let bucket = (0..managers.len())
            .find(|&j| {
                !merged[j]
                    && managers[j].manager == ANCIENT_CHANGES
                    && managers[j].operation == Operation::Update
                    && managers[j].api_version == version
                    && managers[j].subresource.is_none()
            })
            .unwrap_or_else(|| {
                managers[first].manager = ANCIENT_CHANGES.to_string();
                managers[first].subresource = None;
                first
            });
        let set = std::mem::take(&mut managers[i].set);
        managers[bucket].set.union(&set);
        managers[bucket].time = managers[i].time.clone();
        merged[i] = true;
        remaining -= 1;
    }
    let mut i = 0;
    managers.retain(|_| {
        i += 1;
        !merged[i - 1]
    });
}
