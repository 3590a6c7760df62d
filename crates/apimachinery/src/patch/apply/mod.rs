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

mod created;
mod fieldset;
mod managed;
mod typed;

pub use fieldset::{FieldSet, PathElement, path_string};
pub use managed::ManagedFieldsEntry;

use serde_json::{Map, Value};

use self::managed::{
    MAX_UPDATE_MANAGERS, cap_update_managers, decode_managed_fields, encode_entry,
    encode_managed_fields, is_reset, strip_set,
};
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
    sorted.sort_by(|a, b| {
        (&a.manager, a.operation, &a.api_version).cmp(&(&b.manager, b.operation, &b.api_version))
    });
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
    format!(
        "Apply failed with {} conflicts: {}",
        c.len(),
        lines.join("\n")
    )
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
/// `live` is the stored object (`None` to create it), `api_version` the
/// version of the endpoint (`apps/v1`), `def` the type, `now` an RFC 3339
/// time for the manager's entry. Returns the new object with
/// updated `metadata.managedFields`. Errors: [`PatchError::Conflicts`] (409),
/// [`PatchError::BadRequest`] for `metadata.managedFields` in the body, a
/// wrong `apiVersion` or an associative-list item without its keys.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
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
        return Err(PatchError::BadRequest(
            "metadata.managedFields must be nil".into(),
        ));
    }
    let specified = am
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if specified != api_version {
        return Err(PatchError::BadRequest(format!(
            "Incorrect version specified in apply patch. Specified patch version: {specified}, expected: {api_version}"
        )));
    }

    let typer = Typer { schema };
    let ty = typer.root(def);
    let mut managers = match live
        .and_then(|l| l.get("metadata"))
        .and_then(|m| m.get("managedFields"))
    {
        Some(mf) => decode_managed_fields(mf)?,
        None => Vec::new(),
    };
    let live_obj = live
        .map(without_managed_fields)
        .unwrap_or_else(|| Value::Object(Map::new()));

    let config_set = typer.to_field_set(ty, applied)?;
    let merged = typer.merge(ty, Some(&live_obj), applied, &[])?;

    let me = managers.iter().position(|e| {
        e.operation == Operation::Apply && e.manager == manager && e.subresource.is_none()
    });
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
///
/// The type comes from `new`'s `apiVersion`/`kind` in `schema` (values of
/// kinds it does not know are typed by their shape). Like upstream's
/// `UpdateNoErrors`, a failure (e.g. a list-map item without its key) leaves
/// `new` without managedFields instead of failing the write;
/// [`try_update_managed_fields`] reports it.
pub fn update_managed_fields(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    schema: &Schema,
) {
    let def = gvk_of(new).and_then(|g| schema.for_gvk(&g));
    if try_update_managed_fields(old, new, manager, api_version, now, schema, def).is_err()
        && let Some(Value::Object(m)) = new.get_mut("metadata")
    {
        m.shift_remove("managedFields");
    }
}

fn gvk_of(v: &Value) -> Option<crate::schema::Gvk> {
    let av = v.get("apiVersion")?.as_str()?;
    let kind = v.get("kind")?.as_str()?;
    let (group, version) = av.split_once('/').unwrap_or(("", av));
    Some(crate::schema::Gvk::new(group, version, kind))
}

/// [`update_managed_fields`] with an explicit type (`None`: typed by shape),
/// returning its errors. After an error `new` has no `managedFields`.
pub fn try_update_managed_fields(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    schema: &Schema,
    def: Option<&Definition>,
) -> Result<(), PatchError> {
    if !new.is_object() {
        return Ok(());
    }
    // Taken out of `new` (not cloned with it): the comparison must not see it, and the
    // result is put back below.
    let new_mf = new
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .and_then(|m| m.shift_remove("managedFields"));
    let typer = Typer { schema };
    let ty = def.map_or(typed::Ty::Deduced, |d| typer.root(d));
    let entry = |set| ManagedFieldsEntry {
        manager: manager.to_string(),
        operation: Operation::Update,
        api_version: api_version.to_string(),
        time: Some(now.to_string()),
        subresource: None,
        set,
    };
    if old.is_none()
        && new_mf.is_none()
        && record_create(new, &typer, ty, || entry(FieldSet::new()))
    {
        return Ok(());
    }
    let old_mf = old
        .and_then(|o| o.get("metadata"))
        .and_then(|m| m.get("managedFields"));
    let mut managers = match &new_mf {
        Some(mf) if is_reset(mf) => Vec::new(),
        Some(mf) => match decode_managed_fields(mf) {
            Ok(m) if !m.is_empty() => m,
            _ => old_mf
                .map(decode_managed_fields)
                .transpose()?
                .unwrap_or_default(),
        },
        None => match old_mf.map(decode_managed_fields) {
            Some(Ok(m)) => m,
            // Upstream leaves an object it cannot decode the fields of untracked.
            Some(Err(_)) => return Ok(()),
            None => Vec::new(),
        },
    };
    // The stored object is compared as is, not cloned without its managedFields: they only
    // add removed paths under `metadata.managedFields`, which no manager keeps (`strip_set`).
    let empty = Value::Object(Map::new());
    let old_obj = old.unwrap_or(&empty);

    let typed::Comparison {
        added: mut taken,
        modified,
        removed,
    } = typer.compare(ty, Some(old_obj), Some(new))?;
    taken.union(&modified);
    if managers.iter().any(|e| !e.set.is_empty()) {
        let mut lost = taken.clone();
        lost.union(&removed);
        for e in &mut managers {
            e.set.difference(&lost);
        }
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
            None => managers.push(entry(taken)),
        }
    }
    for e in &mut managers {
        strip_set(&mut e.set);
    }
    managers.retain(|e| !e.set.is_empty());
    cap_update_managers(&mut managers, MAX_UPDATE_MANAGERS);
    set_managed_fields(new, &managers);
    Ok(())
}

/// The bookkeeping of a create that carries no managedFields: its manager gets every field
/// it sets (see `created.rs`). `false` (nothing done) on an error, which the general path
/// then reports.
fn record_create<'a>(
    new: &mut Value,
    typer: &Typer<'a>,
    ty: typed::Ty<'a>,
    entry: impl FnOnce() -> ManagedFieldsEntry,
) -> bool {
    let Ok(mut added) = typer.added_by_create(ty, new) else {
        return false;
    };
    added.strip();
    let encoded = added
        .into_fields_v1()
        .map(|fields_v1| Value::Array(vec![encode_entry(&entry(), fields_v1)]));
    put_managed_fields(new, encoded);
    true
}

fn without_managed_fields(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Object(m)) = v.get_mut("metadata") {
        m.shift_remove("managedFields");
    }
    v
}

fn set_managed_fields(obj: &mut Value, managers: &[ManagedFieldsEntry]) {
    put_managed_fields(
        obj,
        (!managers.is_empty()).then(|| encode_managed_fields(managers)),
    );
}

/// Sets (or, for `None`, removes) `metadata.managedFields`.
fn put_managed_fields(obj: &mut Value, encoded: Option<Value>) {
    let Value::Object(root) = obj else { return };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(meta) = meta else { return };
    match encoded {
        Some(mf) => {
            meta.insert("managedFields".into(), mf);
        }
        None => {
            meta.shift_remove("managedFields");
        }
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
    if let Some(Value::Object(a)) = cfg
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
    {
        a.shift_remove(LAST_APPLIED_ANNOTATION);
        if a.is_empty()
            && let Some(Value::Object(m)) = cfg.get_mut("metadata")
        {
            m.shift_remove("annotations");
        }
    }
    obj["metadata"]["annotations"][LAST_APPLIED_ANNOTATION] = Value::String(cfg.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Gvk;
    use serde_json::json;

    const T1: &str = "2026-01-01T00:00:00Z";
    const T2: &str = "2026-01-01T00:01:00Z";

    fn deploy_def() -> &'static Definition {
        Schema::builtin()
            .for_gvk(&Gvk::new("apps", "v1", "Deployment"))
            .unwrap()
    }
    fn ssa(live: Option<&Value>, cfg: &Value, mgr: &str, force: bool) -> Result<Value, PatchError> {
        apply(
            live,
            cfg,
            mgr,
            force,
            "apps/v1",
            Schema::builtin(),
            deploy_def(),
            T1,
        )
    }
    fn upd(
        old: Option<&Value>,
        new: &mut Value,
        mgr: &str,
        av: &str,
        now: &str,
        s: &Schema,
        def: &Definition,
    ) -> Result<(), PatchError> {
        try_update_managed_fields(old, new, mgr, av, now, s, Some(def))
    }
    fn config(replicas: i64, containers: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}
            }
        })
    }
    fn nginx(image: &str) -> Value {
        json!({"name": "nginx", "image": image, "ports": [{"containerPort": 80}]})
    }
    fn entry<'v>(obj: &'v Value, manager: &str) -> Option<&'v Value> {
        obj["metadata"]["managedFields"]
            .as_array()?
            .iter()
            .find(|e| e["manager"] == manager)
    }

    #[test]
    fn apply_creates_with_upstream_field_set() {
        let out = ssa(
            None,
            &config(2, json!([nginx("nginx:1.25")])),
            "kubectl",
            false,
        )
        .unwrap();
        assert_eq!(out["spec"]["replicas"], 2);
        let mf = out["metadata"]["managedFields"].as_array().unwrap();
        assert_eq!(mf.len(), 1);
        assert_eq!(mf[0]["manager"], "kubectl");
        assert_eq!(mf[0]["operation"], "Apply");
        assert_eq!(mf[0]["apiVersion"], "apps/v1");
        assert_eq!(mf[0]["time"], T1);
        assert_eq!(mf[0]["fieldsType"], "FieldsV1");
        assert_eq!(
            mf[0]["fieldsV1"],
            json!({
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                            ".": {}, "f:image": {}, "f:name": {},
                            "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
                        }}}
                    }
                }
            })
        );
        // Creating applies the configuration as is (the caller defaults it).
        assert!(
            out["spec"]["template"]["spec"]["containers"][0]["ports"][0]
                .get("protocol")
                .is_none()
        );
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let mut cfg = config(2, json!([nginx("nginx:1.25")]));
        cfg["metadata"]["labels"]["tier"] = json!("fe");
        cfg["metadata"]["annotations"] = json!({"a": "1"});
        let live = ssa(None, &cfg, "kubectl", false).unwrap();
        let out = ssa(
            Some(&live),
            &config(2, json!([nginx("nginx:1.25")])),
            "kubectl",
            false,
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
        assert!(
            out["metadata"].get("annotations").is_none(),
            "{}",
            out["metadata"]
        );
        // Fields nobody applied (set by the server or other writers) stay.
        let mut live2 = live.clone();
        live2["spec"]["progressDeadlineSeconds"] = json!(600);
        let out = ssa(
            Some(&live2),
            &config(2, json!([nginx("nginx:1.25")])),
            "kubectl",
            false,
        )
        .unwrap();
        assert_eq!(out["spec"]["progressDeadlineSeconds"], 600);
    }

    #[test]
    fn conflicting_appliers_and_force() {
        let live = ssa(
            None,
            &config(2, json!([nginx("nginx:1.25")])),
            "kubectl",
            false,
        )
        .unwrap();
        let helm = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}});
        let e = ssa(Some(&live), &helm, "helm", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"
        );
        let s = e.to_api_error().to_status();
        assert_eq!(s["code"], 409);
        assert_eq!(s["reason"], "Conflict");
        assert_eq!(
            s["details"]["causes"],
            json!([{"reason": "FieldManagerConflict", "message": "conflict with \"kubectl\"", "field": ".spec.replicas"}])
        );
        // Same value: shared ownership, no conflict.
        let same = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}});
        let out = ssa(Some(&live), &same, "helm", false).unwrap();
        assert_eq!(
            entry(&out, "helm").unwrap()["fieldsV1"],
            json!({"f:spec": {"f:replicas": {}}})
        );
        assert!(
            entry(&out, "kubectl").unwrap()["fieldsV1"]["f:spec"]
                .get("f:replicas")
                .is_some()
        );
        // Force: helm takes the field over.
        let out = ssa(Some(&live), &helm, "helm", true).unwrap();
        assert_eq!(out["spec"]["replicas"], 5);
        assert!(
            entry(&out, "kubectl").unwrap()["fieldsV1"]["f:spec"]
                .get("f:replicas")
                .is_none()
        );
        // kubectl no longer owns replicas: dropping it from its config keeps helm's value.
        let mut cfg = config(2, json!([nginx("nginx:1.25")]));
        cfg["spec"]
            .as_object_mut()
            .unwrap()
            .shift_remove("replicas");
        let out = ssa(Some(&out), &cfg, "kubectl", false).unwrap();
        assert_eq!(out["spec"]["replicas"], 5);
    }

    #[test]
    fn conflict_with_update_manager_names_its_version() {
        let def = deploy_def();
        let mut live = config(1, json!([nginx("nginx:1.25")]));
        upd(
            None,
            &mut live,
            "kubectl-client-side-apply",
            "apps/v1",
            T1,
            Schema::builtin(),
            def,
        )
        .unwrap();
        let e = ssa(
            Some(&live),
            &config(3, json!([nginx("nginx:1.26")])),
            "helm",
            false,
        )
        .unwrap_err();
        let PatchError::Conflicts(c) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(c.len(), 2);
        assert_eq!(
            e.to_string(),
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image"
        );
        assert_eq!(
            c[0].message(),
            "conflict with \"kubectl-client-side-apply\" using apps/v1"
        );
    }

    #[test]
    fn list_map_items_are_owned_per_key() {
        let a = ssa(None, &config(1, json!([nginx("nginx:1.25")])), "a", false).unwrap();
        let side = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                          "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox"}]}}}});
        let b = ssa(Some(&a), &side, "b", false).unwrap();
        let names: Vec<_> = b["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect();
        assert_eq!(names, [json!("nginx"), json!("sidecar")]);
        // a drops its container: only b's stays.
        let out = ssa(Some(&b), &config(1, json!([])), "a", false).unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "sidecar", "image": "busybox"}])
        );
    }

    #[test]
    fn atomic_lists_and_structs_are_replaced() {
        let mut cfg = config(1, json!([nginx("x")]));
        cfg["spec"]["template"]["spec"]["tolerations"] =
            json!([{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]);
        let live = ssa(None, &cfg, "a", false).unwrap();
        cfg["spec"]["template"]["spec"]["tolerations"] =
            json!([{"key": "c", "operator": "Exists"}]);
        cfg["spec"]["selector"] =
            json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]});
        let out = ssa(Some(&live), &cfg, "a", false).unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["tolerations"],
            json!([{"key": "c", "operator": "Exists"}])
        );
        assert_eq!(
            out["spec"]["selector"],
            json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]})
        );
        let fs = &entry(&out, "a").unwrap()["fieldsV1"]["f:spec"];
        assert_eq!(fs["f:template"]["f:spec"]["f:tolerations"], json!({}));
    }

    #[test]
    fn bad_apply_requests() {
        let mut cfg = config(1, json!([]));
        cfg["metadata"]["managedFields"] = json!([]);
        assert_eq!(
            ssa(None, &cfg, "a", false).unwrap_err(),
            PatchError::BadRequest("metadata.managedFields must be nil".into())
        );
        let mut cfg = config(1, json!([]));
        cfg["apiVersion"] = json!("apps/v1beta2");
        assert!(
            matches!(ssa(None, &cfg, "a", false), Err(PatchError::BadRequest(m)) if m.starts_with("Incorrect version"))
        );
        let cfg = config(1, json!([{"image": "x"}]));
        assert!(
            matches!(ssa(None, &cfg, "a", false), Err(PatchError::BadRequest(m)) if m.contains("omits key field \"name\""))
        );
    }

    #[test]
    fn update_records_changes_and_takes_them_from_appliers() {
        let s = Schema::builtin();
        let def = deploy_def();
        let mut created = config(1, json!([nginx("nginx:1.25")]));
        upd(None, &mut created, "kubectl-create", "apps/v1", T1, s, def).unwrap();
        let e = entry(&created, "kubectl-create").unwrap();
        assert_eq!(e["operation"], "Update");
        assert_eq!(
            e["fieldsV1"]["f:metadata"],
            json!({"f:labels": {".": {}, "f:app": {}}})
        );
        assert_eq!(
            e["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"]
                ["."],
            json!({})
        );
        assert!(e["fieldsV1"]["f:spec"]["f:template"].get(".").is_none());

        // An applier owns the image; kubectl set image (an Update) takes it.
        let applied = ssa(
            Some(&created),
            &config(1, json!([nginx("nginx:1.25")])),
            "kubectl",
            false,
        )
        .unwrap();
        let mut edited = applied.clone();
        edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
        upd(
            Some(&applied),
            &mut edited,
            "kubectl-set",
            "apps/v1",
            T2,
            s,
            def,
        )
        .unwrap();
        let ap = &entry(&edited, "kubectl").unwrap()["fieldsV1"]["f:spec"]["f:template"]["f:spec"]
            ["f:containers"]["k:{\"name\":\"nginx\"}"];
        assert!(ap.get("f:image").is_none(), "{ap}");
        assert_eq!(entry(&edited, "kubectl-set").unwrap()["time"], T2);
        // Apply entries sort first.
        assert_eq!(edited["metadata"]["managedFields"][0]["operation"], "Apply");

        // A second update of the same manager merges into one entry.
        let mut again = edited.clone();
        again["spec"]["replicas"] = json!(4);
        upd(
            Some(&edited),
            &mut again,
            "kubectl-set",
            "apps/v1",
            T2,
            s,
            def,
        )
        .unwrap();
        let set = &entry(&again, "kubectl-set").unwrap()["fieldsV1"]["f:spec"];
        assert!(set.get("f:replicas").is_some() && set.get("f:template").is_some());
        assert_eq!(
            again["metadata"]["managedFields"].as_array().unwrap().len(),
            3
        );

        // A no-op update records nothing new.
        let mut same = again.clone();
        upd(Some(&again), &mut same, "other", "apps/v1", T2, s, def).unwrap();
        assert!(entry(&same, "other").is_none());
    }

    #[test]
    fn managed_fields_reset_and_override() {
        let s = Schema::builtin();
        let def = deploy_def();
        let live = ssa(None, &config(1, json!([])), "kubectl", false).unwrap();
        let mut cleared = live.clone();
        cleared["metadata"]["managedFields"] = json!([{}]);
        upd(
            Some(&live),
            &mut cleared,
            "kubectl-patch",
            "apps/v1",
            T2,
            s,
            def,
        )
        .unwrap();
        assert!(cleared["metadata"].get("managedFields").is_none());
        // Without managedFields in the request, the stored ones are kept.
        let mut plain = live.clone();
        plain["metadata"]
            .as_object_mut()
            .unwrap()
            .shift_remove("managedFields");
        upd(Some(&live), &mut plain, "x", "apps/v1", T2, s, def).unwrap();
        assert_eq!(
            plain["metadata"]["managedFields"],
            live["metadata"]["managedFields"]
        );
    }

    #[test]
    fn kubectl_server_side_upgrade_from_client_side_apply() {
        let s = Schema::builtin();
        let def = deploy_def();
        let mut last = config(1, json!([nginx("nginx:1.25")]));
        let mut live = last.clone();
        live["metadata"]["annotations"] = json!({LAST_APPLIED_ANNOTATION: last.to_string()});
        upd(
            None,
            &mut live,
            "kubectl-client-side-apply",
            "apps/v1",
            T1,
            s,
            def,
        )
        .unwrap();
        // kubectl apply --server-side of a changed config: fields unchanged since
        // the client-side apply may be taken over.
        let out = ssa(
            Some(&live),
            &config(3, json!([nginx("nginx:1.26")])),
            "kubectl",
            false,
        )
        .unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        let csa = entry(&out, "kubectl-client-side-apply").unwrap();
        assert!(csa["fieldsV1"]["f:spec"].get("f:replicas").is_none());
        let synced: Value = serde_json::from_str(
            out["metadata"]["annotations"][LAST_APPLIED_ANNOTATION]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(synced["spec"]["replicas"], 3);
        // Someone else changed replicas since: that one stays a conflict.
        last["spec"]["replicas"] = json!(1);
        let mut drifted = live.clone();
        drifted["spec"]["replicas"] = json!(7);
        let mut drifted2 = drifted.clone();
        upd(
            Some(&live),
            &mut drifted2,
            "kubectl-client-side-apply",
            "apps/v1",
            T2,
            s,
            def,
        )
        .unwrap();
        let e = ssa(
            Some(&drifted2),
            &config(3, json!([nginx("nginx:1.25")])),
            "kubectl",
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
        // Other managers get no such pass.
        assert!(
            ssa(
                Some(&live),
                &config(3, json!([nginx("nginx:1.25")])),
                "helm",
                false
            )
            .is_err()
        );
    }

    #[test]
    fn update_resolves_the_kind_and_never_fails() {
        let s = Schema::builtin();
        let mut obj = config(1, json!([nginx("x")]));
        update_managed_fields(None, &mut obj, "m", "apps/v1", T1, s);
        assert_eq!(
            entry(&obj, "m").unwrap()["fieldsV1"]["f:spec"]["f:selector"],
            json!({})
        );
        // A kind the schema does not know is typed by shape.
        let mut cr = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}});
        update_managed_fields(None, &mut cr, "m", "example.com/v1", T1, s);
        assert_eq!(
            entry(&cr, "m").unwrap()["fieldsV1"],
            json!({"f:spec": {".": {}, "f:size": {}}})
        );
        // Errors leave the object untracked, as upstream's UpdateNoErrors.
        let mut bad = config(1, json!([{"image": "x"}]));
        bad["metadata"]["managedFields"] = obj["metadata"]["managedFields"].clone();
        update_managed_fields(Some(&obj), &mut bad, "m", "apps/v1", T1, s);
        assert!(bad["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn update_managers_are_capped_into_ancient_changes() {
        let time = |i: usize| format!("2026-01-01T00:00:{i:02}Z");
        let mut data = serde_json::Map::new();
        let mut entries = Vec::new();
        for i in 0..11 {
            data.insert(format!("k{i}"), json!("v"));
            entries.push(json!({
                "manager": format!("m{i:02}"), "operation": "Update", "apiVersion": "v1",
                "time": time(i), "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {format!("f:k{i}"): {}}},
            }));
        }
        // an Apply entry does not count
        entries.push(json!({
            "manager": "applier", "operation": "Apply", "apiVersion": "v1", "time": time(0),
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:a": {}}}},
        }));
        let old = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": {"a": "b"}, "managedFields": entries},
            "data": data});
        // manager "new" sets data.knew on `old`
        let write = |old: &Value, value: &str| {
            let mut new = old.clone();
            new["metadata"]
                .as_object_mut()
                .unwrap()
                .remove("managedFields");
            new["data"]["knew"] = json!(value);
            let now = time(59);
            update_managed_fields(Some(old), &mut new, "new", "v1", &now, Schema::builtin());
            new
        };
        let new = write(&old, "v");
        let mf = new["metadata"]["managedFields"].as_array().unwrap();
        let names: Vec<&str> = mf.iter().map(|e| e["manager"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "applier",
                "ancient-changes",
                "m03",
                "m04",
                "m05",
                "m06",
                "m07",
                "m08",
                "m09",
                "m10",
                "new"
            ]
        );
        let bucket = &mf[1];
        assert_eq!(bucket["operation"], "Update");
        assert_eq!(bucket["time"], time(2));
        assert_eq!(
            bucket["fieldsV1"],
            json!({"f:data": {"f:k0": {}, "f:k1": {}, "f:k2": {}}})
        );
        // ten Update entries: nothing more to merge on the next write
        let next = write(&new, "w");
        assert_eq!(
            next["metadata"]["managedFields"].as_array().unwrap().len(),
            11
        );
    }
}
