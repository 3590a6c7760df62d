//! PersistentVolumeClaims and PersistentVolumes (upstream
//! `pkg/registry/core/persistentvolume{,claim}/strategy.go`).

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use crate::registry::{Strategy, common};
use crate::validation::value::{arr_at, default_zero, get, obj_at, obj_mut};
use crate::validation::{
    NameRule, nonnegative_quantity, validate_object_meta, validate_object_meta_update,
};

/// The persistentvolumeclaims strategy.
pub struct PvcStrategy;
/// The persistentvolumes strategy.
pub struct PvStrategy;

const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

/// PVC spec defaults (also used for StatefulSet volumeClaimTemplates).
pub fn default_pvc(obj: &mut Value) {
    default_zero(obj_mut(obj, "spec"), "volumeMode", json!("Filesystem"));
    default_zero(obj_mut(obj, "status"), "phase", json!("Pending"));
}

/// The volume sources a PersistentVolume may name (exactly one).
const PV_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "glusterfs",
    "nfs",
    "rbd",
    "quobyte",
    "cinder",
    "cephfs",
    "fc",
    "flocker",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "local",
    "storageos",
    "csi",
    "iscsi",
];

/// `spec.volumeMode` (PVs and PVCs), when set.
fn validate_volume_mode(spec: &Value, p: &FieldPath) -> ErrorList {
    match spec.get("volumeMode").and_then(Value::as_str) {
        Some(m) if !m.is_empty() && m != "Block" && m != "Filesystem" => {
            vec![FieldError::not_supported(
                &p.child("volumeMode"),
                m,
                &["Block", "Filesystem"],
            )]
        }
        _ => ErrorList::new(),
    }
}

/// A PV's reclaim policy, volume mode and its one volume source.
fn validate_pv_spec(spec: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = validate_volume_mode(spec, p);
    if let Some(r) = spec
        .get("persistentVolumeReclaimPolicy")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty() && !["Delete", "Recycle", "Retain"].contains(r))
    {
        errs.push(FieldError::not_supported(
            &p.child("persistentVolumeReclaimPolicy"),
            r,
            &["Delete", "Recycle", "Retain"],
        ));
    }
    let sources: Vec<&str> = PV_SOURCES
        .iter()
        .copied()
        .filter(|s| spec.get(*s).is_some_and(|v| !v.is_null()))
        .collect();
    match sources.as_slice() {
        [] => errs.push(FieldError::required(p, "must specify a volume type")),
        [_] => {}
        [_, more @ ..] => errs.extend(more.iter().map(|s| {
            FieldError::forbidden(&p.child(s), "may not specify more than 1 volume type")
        })),
    }
    errs
}

fn validate_access_modes(spec: &Value, p: &FieldPath, claim: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let modes = arr_at(spec, &["accessModes"]);
    if modes.is_empty() {
        errs.push(FieldError::required(
            &p.child("accessModes"),
            if claim {
                "at least 1 access mode is required"
            } else {
                ""
            },
        ));
    }
    for m in modes {
        let s = m.as_str().unwrap_or_default();
        if !ACCESS_MODES.contains(&s) {
            errs.push(FieldError::not_supported(
                &p.child("accessModes"),
                s,
                ACCESS_MODES,
            ));
        }
    }
    errs
}

/// Validate a PVC spec at `p`.
pub fn validate_pvc_spec(spec: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = validate_access_modes(spec, p, true);
    errs.extend(validate_volume_mode(spec, p));
    match get(spec, &["resources", "requests", "storage"]) {
        None => errs.push(FieldError::required(
            &p.child("resources").key("storage"),
            "",
        )),
        Some(q) => {
            let qp = p.child("resources").child("requests").key("storage");
            let (e, parsed) = nonnegative_quantity(q, &qp);
            errs.extend(e);
            if parsed.is_some_and(|q| q.is_zero()) {
                errs.push(FieldError::invalid(&qp, "0", "must be greater than zero"));
            }
        }
    }
    errs
}

impl Strategy for PvcStrategy {
    fn default(&self, obj: &mut Value) {
        default_pvc(obj);
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::reset_status(obj, json!({"phase": "Pending"}));
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
        common::keep_generation(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_pvc_spec(
            obj.get("spec").unwrap_or(&Value::Null),
            &FieldPath::root("spec"),
        ));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        let (ns, os) = (
            new.get("spec").cloned().unwrap_or(Value::Null),
            old.get("spec").cloned().unwrap_or(Value::Null),
        );
        errs.extend(validate_pvc_spec(&ns, &FieldPath::root("spec")));
        // everything but the storage request, volumeAttributesClassName and a first volumeName binding is immutable
        let mut munged = os.clone();
        if let Some(m) = munged.as_object_mut() {
            if let Some(r) = get(&ns, &["resources", "requests"]) {
                m.entry("resources").or_insert_with(|| json!({}))["requests"] = r.clone();
            }
            for f in ["volumeAttributesClassName", "volumeName"] {
                match ns.get(f) {
                    Some(v) if f != "volumeName" || os.get(f).is_none_or(|o| o == "") => {
                        m.insert(f.into(), v.clone());
                    }
                    _ => {}
                }
            }
        }
        if common::differs(Some(&munged), Some(&ns)) {
            errs.push(FieldError::forbidden(
                &FieldPath::root("spec"),
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
            ));
        }
        errs
    }
}

impl Strategy for PvStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        default_zero(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
        default_zero(spec, "volumeMode", json!("Filesystem"));
        default_zero(obj_mut(obj, "status"), "phase", json!("Pending"));
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        common::reset_status(
            obj,
            json!({"phase": "Pending", "lastPhaseTransitionTime": now}),
        );
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_status(new, old);
        common::keep_generation(new, old);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, false, NameRule::Dns1123Subdomain);
        let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
        let sp = FieldPath::root("spec");
        errs.extend(validate_access_modes(&spec, &sp, false));
        errs.extend(validate_pv_spec(&spec, &sp));
        match obj_at(&spec, &["capacity"]).and_then(|c| c.get("storage")) {
            None => errs.push(FieldError::required(&sp.child("capacity"), "")),
            Some(q) => errs.extend(nonnegative_quantity(q, &sp.child("capacity").key("storage")).0),
        }
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(
            self.validate(new)
                .into_iter()
                .filter(|e| !e.field.starts_with("metadata")),
        );
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pvc_defaults_and_immutability() {
        let s = PvcStrategy;
        let mut pvc = json!({"metadata": {"name": "p", "namespace": "d"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
        s.default(&mut pvc);
        s.prepare_for_create(&mut pvc);
        assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
        assert_eq!(pvc["status"], json!({"phase": "Pending"}));
        assert_eq!(s.validate(&pvc), vec![]);
        let mut new = pvc.clone();
        new["spec"]["resources"]["requests"]["storage"] = json!("2Gi");
        assert_eq!(s.validate_update(&new, &pvc), vec![]);
        new["spec"]["accessModes"] = json!(["ReadWriteMany"]);
        assert_eq!(s.validate_update(&new, &pvc).len(), 1);
    }
}
