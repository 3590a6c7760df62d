//! Server-side apply (`application/apply-patch+yaml`) and the
//! `metadata.managedFields` bookkeeping of every write, as upstream's field
//! manager (`k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager`) over
//! structured-merge-diff.
//!
//! - [`apply`]: merges an applied configuration into the live object; the
//!   configuration's field set becomes the manager's set, fields it no longer
//!   applies and nobody else owns are removed, and fields other managers own
//!   with a different value are conflicts unless `force` (which transfers them).
//! - [`update_managed_fields`]: records an ordinary create/update/patch as an
//!   `Update` entry and takes the changed fields away from other managers.
//!
//! The caller decodes the body, loads the live object, and validates, defaults
//! and stores the result; nothing here does IO.

mod fieldset;
mod managed;
mod typed;

pub use fieldset::{FieldSet, PathElement, path_string};
pub use managed::ManagedFieldsEntry;

use serde_json::{Map, Value};

use self::managed::{decode_managed_fields, encode_managed_fields, is_reset, strip_set};
use self::typed::Typer;
use super::PatchError;
use crate::schema::{Definition, Schema};

/// The annotation client-side `kubectl apply` keeps its last configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether a managedFields entry records an apply or an ordinary write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// `Apply`: the manager's set is exactly its last applied configuration.
    Apply,
    /// `Update`: create, update and patch requests.
    Update,
}

/// One field owned by another manager that an apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager's name.
    pub manager: String,
    /// How that manager wrote the field.
    pub operation: Operation,
    /// The API version that manager used.
    pub api_version: String,
    /// The field, in upstream's path syntax, e.g. `.spec.replicas`.
    pub field: String,
}

impl Conflict {
    /// `conflict with "kubectl-client-side-apply" using apps/v1`.
    pub fn message(&self) -> String {
        format!("conflict with {}", self.manager_display())
    }
    fn manager_display(&self) -> String {
        match self.operation {
            Operation::Apply => format!("{:?}", self.manager),
            Operation::Update => format!("{:?} using {}", self.manager, self.api_version),
        }
    }
}

/// Upstream's message for a set of conflicts.
pub(crate) fn conflicts_message(c: &[Conflict]) -> String {
    if c.len() == 1 {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            c[0].manager_display(),
            c[0].field
        );
    }
    let mut by: Vec<(String, Vec<&str>)> = Vec::new();
    let mut sorted: Vec<&Conflict> = c.iter().collect();
    sorted.sort_by(|a, b| (&a.manager, a.operation, &a.api_version).cmp(&(&b.manager, b.operation, &b.api_version)));
    for x in sorted {
        let m = x.manager_display();
        match by.last_mut() {
            Some((last, fields)) if *last == m => fields.push(&x.field),
            _ => by.push((m, vec![&x.field])),
        }
    }
    let mut lines = Vec::new();
    for (m, fields) in by {
        lines.push(format!("conflicts with {m}:"));
        lines.extend(fields.into_iter().map(|f| format!("- {f}")));
    }
    format!("Apply failed with {} conflicts: {}", c.len(), lines.join("\n"))
}

impl Operation {
    /// `Apply` or `Update`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Apply `applied` (the request body, already decoded) for `manager`.
///
/// `live` is the stored object (`None` to create it), `def` its type, `now`
/// an RFC 3339 time for the manager's entry. Returns the new object with
/// updated `metadata.managedFields`. Errors: [`PatchError::Conflicts`] (409),
/// [`PatchError::BadRequest`] for `metadata.managedFields` in the body, a
/// wrong `apiVersion` or an associative-list item without its keys.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    schema: &Schema,
    def: &Definition,
    now: &str,
) -> Result<Value, PatchError> {
    let Value::Object(am) = applied else {
        return Err(PatchError::BadRequest(
            "the apply configuration must be an object".into(),
        ));
    };
    if am
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .is_some_and(|v| !v.is_null())
    {
        return Err(PatchError::BadRequest("metadata.managedFields must be nil".into()));
    }
    let api_version = am.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let expected = live
        .and_then(|l| l.get("apiVersion"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| def.gvks.first().map(|g| g.api_version()));
    if let Some(expected) = expected {
        let known = def.gvks.iter().any(|g| g.api_version() == api_version) || expected == api_version;
        if !known {
            return Err(PatchError::BadRequest(format!(
                "Incorrect version specified in apply patch. Specified patch version: {api_version}, expected: {expected}"
            )));
        }
    }

    let typer = Typer { schema };
    let ty = typer.root(def);
    let mut managers = match live.and_then(|l| l.get("metadata")).and_then(|m| m.get("managedFields")) {
        Some(mf) => decode_managed_fields(mf)?,
        None => Vec::new(),
    };
    let live_obj = live.map(without_managed_fields).unwrap_or_else(|| Value::Object(Map::new()));

    let config_set = typer.to_field_set(ty, applied)?;
    let merged = typer.merge(ty, Some(&live_obj), applied, &[])?;

    let me = managers
        .iter()
        .position(|e| e.operation == Operation::Apply && e.manager == manager && e.subresource.is_none());
    let last_set = me.map(|i| managers[i].set.clone()).unwrap_or_default();

    // Fields the manager stops applying are removed unless someone still owns them.
    let mut owned = config_set.clone();
    for (i, e) in managers.iter().enumerate() {
        if Some(i) != me {
            owned.union(&e.set);
        }
    }
    let mut new_obj = merged;
    typer.prune(ty, &mut new_obj, &last_set, Some(&owned), &[])?;

    let cmp = typer.compare(ty, Some(&live_obj), Some(&new_obj))?;
    let mut changed = cmp.modified.clone();
    changed.union(&cmp.added);
    let mut conflicts: Vec<(usize, FieldSet)> = Vec::new();
    for (i, e) in managers.iter().enumerate() {
        if Some(i) == me {
            continue;
        }
        let c = e.set.intersection(&changed);
        if !c.is_empty() {
            conflicts.push((i, c));
        }
    }
    if !force && !conflicts.is_empty() {
        let allowed = if manager == "kubectl" {
            allowed_by_last_applied(&typer, def, &live_obj)
        } else {
            None
        };
        let mut list = Vec::new();
        for (i, c) in &conflicts {
            let e = &managers[*i];
            let mut c = c.clone();
            if let Some(a) = &allowed {
                c.difference(a);
            }
            for p in c.paths() {
                list.push(Conflict {
                    manager: e.manager.clone(),
                    operation: e.operation,
                    api_version: e.api_version.clone(),
                    field: path_string(&p),
                });
            }
        }
        if !list.is_empty() {
            return Err(PatchError::Conflicts(list));
        }
        // Only fields client-side apply set and nobody changed since: upgrade
        // the object to server-side apply as if forced.
    }
    for (i, c) in &conflicts {
        managers[*i].set.difference(c);
    }
    for (i, e) in managers.iter_mut().enumerate() {
        if Some(i) != me {
            e.set.difference(&cmp.removed);
        }
    }

    let changed_obj = new_obj != live_obj;
    let mut set = config_set;
    strip_set(&mut set);
    match me {
        Some(i) => {
            let e = &mut managers[i];
            if changed_obj || e.set != set || e.api_version != api_version {
                e.time = Some(now.to_string());
            }
            e.set = set;
            e.api_version = api_version.to_string();
        }
        None => managers.push(ManagedFieldsEntry {
            manager: manager.to_string(),
            operation: Operation::Apply,
            api_version: api_version.to_string(),
            time: Some(now.to_string()),
            subresource: None,
            set,
        }),
    }
    for e in &mut managers {
        strip_set(&mut e.set);
    }
    managers.retain(|e| !e.set.is_empty());

    if manager == "kubectl" {
        sync_last_applied(&mut new_obj, applied);
    }
    set_managed_fields(&mut new_obj, &managers);
    Ok(new_obj)
}

/// Record an ordinary write (create, update, patch) by `manager` in
/// `new.metadata.managedFields`, as an `Update` entry for `api_version`.
///
/// `old` is the stored object (`None` on create). As upstream: managedFields
/// the request itself carries replace the stored ones when non-empty, `[]` or
/// `[{}]` resets them, fields this write adds or changes move to `manager`,
/// and every other manager loses the fields changed or removed.
pub fn update_managed_fields(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    schema: &Schema,
    def: &Definition,
) -> Result<(), PatchError> {
    if !new.is_object() {
        return Ok(());
    }
    let new_mf = new.get("metadata").and_then(|m| m.get("managedFields")).cloned();
    let old_mf = old.and_then(|o| o.get("metadata")).and_then(|m| m.get("managedFields"));
    let mut managers = match &new_mf {
        Some(mf) if is_reset(mf) => Vec::new(),
        Some(mf) => match decode_managed_fields(mf) {
            Ok(m) if !m.is_empty() => m,
            _ => old_mf.map(decode_managed_fields).transpose()?.unwrap_or_default(),
        },
        None => match old_mf.map(decode_managed_fields) {
            Some(Ok(m)) => m,
            // Upstream leaves an object it cannot decode the fields of untracked.
            Some(Err(_)) => return Ok(()),
            None => Vec::new(),
        },
    };
    let old_obj = old.map(without_managed_fields).unwrap_or_else(|| Value::Object(Map::new()));
    let new_obj = without_managed_fields(new);

    let typer = Typer { schema };
    let ty = typer.root(def);
    let cmp = typer.compare(ty, Some(&old_obj), Some(&new_obj))?;
    let mut taken = cmp.added.clone();
    taken.union(&cmp.modified);
    let mut lost = taken.clone();
    lost.union(&cmp.removed);
    for e in &mut managers {
        e.set.difference(&lost);
    }
    strip_set(&mut taken);
    if !taken.is_empty() {
        let mine = managers.iter_mut().find(|e| {
            e.operation == Operation::Update
                && e.manager == manager
                && e.api_version == api_version
                && e.subresource.is_none()
        });
        match mine {
            Some(e) => {
                e.set.union(&taken);
                e.time = Some(now.to_string());
            }
            None => managers.push(ManagedFieldsEntry {
                manager: manager.to_string(),
                operation: Operation::Update,
                api_version: api_version.to_string(),
                time: Some(now.to_string()),
                subresource: None,
                set: taken,
            }),
        }
    }
    for e in &mut managers {
        strip_set(&mut e.set);
    }
    managers.retain(|e| !e.set.is_empty());
    *new = new_obj;
    set_managed_fields(new, &managers);
    Ok(())
}

fn without_managed_fields(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Object(m)) = v.get_mut("metadata") {
        m.shift_remove("managedFields");
    }
    v
}

fn set_managed_fields(obj: &mut Value, managers: &[ManagedFieldsEntry]) {
    let Value::Object(root) = obj else { return };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(meta) = meta else { return };
    if managers.is_empty() {
        meta.shift_remove("managedFields");
    } else {
        meta.insert("managedFields".into(), encode_managed_fields(managers));
    }
}

/// The fields client-side apply recorded in the last-applied annotation whose
/// live value is unchanged: `kubectl apply --server-side` may take them over
/// without conflicts.
fn allowed_by_last_applied(typer: &Typer<'_>, def: &Definition, live: &Value) -> Option<FieldSet> {
    let text = live
        .get("metadata")?
        .get("annotations")?
        .get(LAST_APPLIED_ANNOTATION)?
        .as_str()?;
    let last: Value = serde_json::from_str(text).ok()?;
    let ty = typer.root(def);
    let mut set = typer.to_field_set(ty, &last).ok()?;
    let cmp = typer.compare(ty, Some(&last), Some(live)).ok()?;
    set.difference(&cmp.modified);
    set.difference(&cmp.removed);
    Some(set)
}

/// After `kubectl apply --server-side`, an existing last-applied annotation
/// is rewritten to the applied configuration, so a later client-side apply
/// computes its three-way diff against what was really applied.
fn sync_last_applied(obj: &mut Value, applied: &Value) {
    let has = obj
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .is_some();
    if !has {
        return;
    }
    let mut cfg = applied.clone();
    if let Some(Value::Object(a)) = cfg.get_mut("metadata").and_then(|m| m.get_mut("annotations")) {
        a.shift_remove(LAST_APPLIED_ANNOTATION);
        if a.is_empty() {
            if let Some(Value::Object(m)) = cfg.get_mut("metadata") {
                m.shift_remove("annotations");
            }
        }
    }
    obj["metadata"]["annotations"][LAST_APPLIED_ANNOTATION] = Value::String(cfg.to_string());
}
