//! Values walked with their schema type, as structured-merge-diff's `typed`
//! package: the field set of an object, merging an applied configuration into
//! a live object, comparing two objects and removing fields.
//!
//! Types come from the upstream schema: lists are associative by
//! `x-kubernetes-list-type: map` keys (or the strategic merge key), sets by
//! value, otherwise atomic; structs and maps are granular unless
//! `x-kubernetes-map-type: atomic`. Values without a schema type are deduced:
//! objects are granular maps, lists atomic.

use serde_json::{Map, Value};

use super::fieldset::{FieldSet, PathElement, path_string};
use crate::patch::PatchError;
use crate::schema::{Definition, Property, Schema, Type};

/// How a list is merged.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ListKind<'a> {
    Atomic,
    Set,
    Map(&'a [String]),
}

/// The schema type of a value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ty<'a> {
    Struct { def: &'a Definition, atomic: bool },
    Map { elem: &'a Type, atomic: bool },
    List { elem: &'a Type, kind: ListKind<'a> },
    Scalar,
    Deduced,
}

impl Ty<'_> {
    pub(crate) fn atomic(&self) -> bool {
        matches!(
            self,
            Ty::Struct { atomic: true, .. }
                | Ty::Map { atomic: true, .. }
                | Ty::List {
                    kind: ListKind::Atomic,
                    ..
                }
                | Ty::Scalar
        )
    }
}

/// Added, modified and removed paths between two objects.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

pub(crate) struct Typer<'a> {
    pub schema: &'a Schema,
}

pub(crate) fn is_empty_container(v: Option<&Value>) -> bool {
    match v {
        None => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

fn child(path: &[PathElement], pe: PathElement) -> Vec<PathElement> {
    let mut p = path.to_vec();
    p.push(pe);
    p
}

impl<'a> Typer<'a> {
    /// The type of an object definition.
    pub fn root(&self, def: &'a Definition) -> Ty<'a> {
        Ty::Struct {
            def,
            atomic: def.map_type.as_deref() == Some("atomic"),
        }
    }

    fn ty(&self, t: &'a Type, prop: Option<&'a Property>) -> Ty<'a> {
        let prop_atomic = prop.and_then(|p| p.map_type.as_deref()) == Some("atomic");
        match t {
            Type::Ref(name) => match self.schema.definition(name) {
                Some(d) if !d.properties.is_empty() => Ty::Struct {
                    def: d,
                    atomic: prop_atomic || d.map_type.as_deref() == Some("atomic"),
                },
                Some(Definition {
                    ty: Type::Ref(_) | Type::Object | Type::Any,
                    ..
                })
                | None => Ty::Deduced,
                Some(d) => self.ty(&d.ty, prop),
            },
            Type::Map(elem) => Ty::Map {
                elem,
                atomic: prop_atomic,
            },
            Type::Array(elem) => {
                let kind = match prop {
                    Some(p) => match p.list_type.as_deref() {
                        Some("map") => ListKind::Map(&p.list_map_keys),
                        Some("set") => ListKind::Set,
                        Some(_) => ListKind::Atomic,
                        None if p.merges() => match &p.patch_merge_key {
                            Some(k) => ListKind::Map(std::slice::from_ref(k)),
                            None => ListKind::Set,
                        },
                        None => ListKind::Atomic,
                    },
                    None => ListKind::Atomic,
                };
                Ty::List { elem, kind }
            }
            Type::Object | Type::Any => Ty::Deduced,
            _ => Ty::Scalar,
        }
    }

    /// The type of a field of a struct or map (and whether it is a declared struct field).
    pub(crate) fn field_ty(&self, parent: Ty<'a>, key: &str) -> (Ty<'a>, bool) {
        match parent {
            Ty::Struct { def, .. } => match def.property(key) {
                Some(p) => (self.ty(&p.ty, Some(p)), true),
                None => (Ty::Deduced, false),
            },
            Ty::Map { elem, .. } => (self.ty(elem, None), false),
            _ => (Ty::Deduced, false),
        }
    }

    pub(crate) fn item_ty(&self, elem: &'a Type) -> Ty<'a> {
        self.ty(elem, None)
    }

    /// The path element of a list item.
    fn item_pe(
        &self,
        kind: ListKind<'a>,
        elem: &'a Type,
        index: usize,
        item: &Value,
        path: &[PathElement],
    ) -> Result<PathElement, PatchError> {
        match kind {
            ListKind::Atomic => Ok(PathElement::Index(index)),
            ListKind::Set => Ok(PathElement::Value(item.to_string())),
            ListKind::Map(keys) => {
                let Value::Object(m) = item else {
                    return Err(PatchError::BadRequest(format!(
                        "{}: element {index}: associative list with keys has an element that is not a map",
                        path_string(path)
                    )));
                };
                let mut fields = Vec::with_capacity(keys.len());
                for k in keys {
                    let v = match m.get(k) {
                        Some(v) => v.clone(),
                        None => self.key_default(elem, k).ok_or_else(|| {
                            PatchError::BadRequest(format!(
                                "{}: element {index}: associative list with keys has an element that omits key field {k:?} (and doesn't have default value)",
                                path_string(path)
                            ))
                        })?,
                    };
                    fields.push((k.clone(), v));
                }
                Ok(PathElement::key(&fields))
            }
        }
    }

    fn key_default(&self, elem: &Type, key: &str) -> Option<Value> {
        let Type::Ref(name) = elem else { return None };
        let declared = self
            .schema
            .raw_definitions()
            .get(name)
            .and_then(|d| d.get("properties"))
            .and_then(|p| p.get(key))
            .and_then(|p| p.get("default"))
            .cloned();
        // The shipped definitions lack some defaults upstream's OpenAPI has
        // for list-map keys.
        declared.or_else(|| match (name.as_str(), key) {
            ("io.k8s.api.core.v1.ContainerPort" | "io.k8s.api.core.v1.ServicePort", "protocol") => {
                Some(Value::String("TCP".into()))
            }
            _ => None,
        })
    }

    pub(crate) fn index_items<'v>(
        &self,
        kind: ListKind<'a>,
        elem: &'a Type,
        list: &'v [Value],
        path: &[PathElement],
    ) -> Result<Vec<(PathElement, &'v Value)>, PatchError> {
        let mut out: Vec<(PathElement, &Value)> = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let pe = self.item_pe(kind, elem, i, item, path)?;
            if !out.iter().any(|(p, _)| *p == pe) {
                out.push((pe, item));
            }
        }
        Ok(out)
    }

    /// The set of fields a value sets (upstream's `ToFieldSet`).
    pub fn to_field_set(&self, ty: Ty<'a>, v: &Value) -> Result<FieldSet, PatchError> {
        let mut set = FieldSet::new();
        self.field_set_into(ty, v, &[], &mut set)?;
        Ok(set)
    }

    fn field_set_into(
        &self,
        ty: Ty<'a>,
        v: &Value,
        path: &[PathElement],
        set: &mut FieldSet,
    ) -> Result<(), PatchError> {
        if ty.atomic() {
            set.insert(path);
            return Ok(());
        }
        match (ty, v) {
            (Ty::Struct { .. } | Ty::Map { .. } | Ty::Deduced, Value::Object(m)) => {
                for (k, cv) in m {
                    let (cty, known) = self.field_ty(ty, k);
                    let p = child(path, PathElement::Field(k.clone()));
                    self.field_set_into(cty, cv, &p, set)?;
                    if cv.is_null() || cv.as_object().is_some_and(Map::is_empty) || !known {
                        set.insert(&p);
                    }
                }
            }
            (Ty::List { elem, kind }, Value::Array(a)) => {
                for (pe, item) in self.index_items(kind, elem, a, path)? {
                    let p = child(path, pe);
                    self.field_set_into(self.item_ty(elem), item, &p, set)?;
                    set.insert(&p);
                }
            }
            (Ty::List { .. }, Value::Null) => {}
            _ => set.insert(path),
        }
        Ok(())
    }

    /// Merge an applied configuration into a live value: the configuration
    /// wins, associative lists merge by key, atomic values are replaced.
    pub fn merge(
        &self,
        ty: Ty<'a>,
        live: Option<&Value>,
        applied: &Value,
        path: &[PathElement],
    ) -> Result<Value, PatchError> {
        if ty.atomic() {
            return Ok(applied.clone());
        }
        match (ty, applied) {
            (Ty::Struct { .. } | Ty::Map { .. } | Ty::Deduced, Value::Object(am)) => {
                let mut out = match live {
                    Some(Value::Object(lm)) => lm.clone(),
                    _ => Map::new(),
                };
                for (k, av) in am {
                    if av.is_null() {
                        out.shift_remove(k);
                        continue;
                    }
                    let (cty, _) = self.field_ty(ty, k);
                    let p = child(path, PathElement::Field(k.clone()));
                    let merged = self.merge(cty, out.get(k), av, &p)?;
                    out.insert(k.clone(), merged);
                }
                Ok(Value::Object(out))
            }
            (Ty::List { elem, kind }, Value::Array(aa)) => {
                let Some(Value::Array(la)) = live else {
                    let mut out = Vec::with_capacity(aa.len());
                    for (pe, item) in self.index_items(kind, elem, aa, path)? {
                        out.push(self.merge(self.item_ty(elem), None, item, &child(path, pe))?);
                    }
                    return Ok(Value::Array(out));
                };
                self.merge_lists(kind, elem, la, aa, path)
            }
            _ => Ok(applied.clone()),
        }
    }

    fn merge_lists(
        &self,
        kind: ListKind<'a>,
        elem: &'a Type,
        live: &[Value],
        applied: &[Value],
        path: &[PathElement],
    ) -> Result<Value, PatchError> {
        let lhs = self.index_items(kind, elem, live, path)?;
        let rhs = self.index_items(kind, elem, applied, path)?;
        let in_lhs = |pe: &PathElement| lhs.iter().find(|(p, _)| p == pe).map(|(_, v)| *v);
        let in_rhs = |pe: &PathElement| rhs.iter().any(|(p, _)| p == pe);
        let mut shared = rhs.iter().map(|(p, _)| p).filter(|p| in_lhs(p).is_some());
        let mut next_shared = shared.next();
        let mut done: Vec<&PathElement> = Vec::new();
        let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
        let ity = self.item_ty(elem);
        let (mut li, mut ri) = (0, 0);
        while li < lhs.len() || ri < rhs.len() {
            if li < lhs.len() && ri < rhs.len() {
                let pe = &lhs[li].0;
                if *pe == rhs[ri].0 {
                    out.push(self.merge(
                        ity,
                        Some(lhs[li].1),
                        rhs[ri].1,
                        &child(path, pe.clone()),
                    )?);
                    done.push(pe);
                    li += 1;
                    ri += 1;
                    next_shared = shared.next();
                    continue;
                }
                if in_rhs(pe) && next_shared.is_some_and(|n| n != pe) {
                    li += 1;
                    continue;
                }
            }
            if li < lhs.len() {
                let pe = &lhs[li].0;
                if !in_rhs(pe) {
                    out.push(lhs[li].1.clone());
                    li += 1;
                    continue;
                }
                if done.contains(&pe) {
                    li += 1;
                    continue;
                }
            }
            if ri < rhs.len() {
                let pe = &rhs[ri].0;
                out.push(self.merge(ity, in_lhs(pe), rhs[ri].1, &child(path, pe.clone()))?);
                done.push(pe);
                ri += 1;
                if next_shared == Some(pe) {
                    next_shared = shared.next();
                }
            } else {
                li += 1;
            }
        }
        Ok(Value::Array(out))
    }

    /// Compare two values: added, modified and removed paths.
    pub fn compare(
        &self,
        ty: Ty<'a>,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
    ) -> Result<Comparison, PatchError> {
        let mut c = Comparison::default();
        self.compare_into(ty, lhs, rhs, &mut Vec::new(), false, &mut c)?;
        Ok(c)
    }

    fn compare_into(
        &self,
        ty: Ty<'a>,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        path: &mut Vec<PathElement>,
        mark_added: bool,
        c: &mut Comparison,
    ) -> Result<(), PatchError> {
        if lhs.is_none() && rhs.is_none() {
            return Ok(());
        }
        let shape_ok = |v: Option<&Value>, f: fn(&Value) -> bool| v.is_none_or(f);
        let granular = !ty.atomic()
            && match ty {
                Ty::List { .. } => shape_ok(lhs, Value::is_array) && shape_ok(rhs, Value::is_array),
                _ => shape_ok(lhs, Value::is_object) && shape_ok(rhs, Value::is_object),
            }
            && !(is_empty_container(lhs) && is_empty_container(rhs));
        if !granular {
            match (lhs, rhs) {
                (None, Some(_)) => c.added.insert(path),
                (Some(_), None) => c.removed.insert(path),
                (Some(l), Some(r)) if l != r => c.modified.insert(path),
                _ => {}
            }
            return Ok(());
        }
        match ty {
            Ty::List { elem, kind } => {
                let empty = Vec::new();
                let la = lhs.and_then(Value::as_array).unwrap_or(&empty);
                let ra = rhs.and_then(Value::as_array).unwrap_or(&empty);
                let l = self.index_items(kind, elem, la, path)?;
                let r = self.index_items(kind, elem, ra, path)?;
                let ity = self.item_ty(elem);
                for (pe, lv) in &l {
                    let rv = r.iter().find(|(p, _)| p == pe).map(|(_, v)| *v);
                    path.push(pe.clone());
                    let res = self.compare_into(ity, Some(lv), rv, path, true, c);
                    path.pop();
                    res?;
                }
                for (pe, rv) in &r {
                    if !l.iter().any(|(p, _)| p == pe) {
                        path.push(pe.clone());
                        let res = self.compare_into(ity, None, Some(rv), path, true, c);
                        path.pop();
                        res?;
                    }
                }
            }
            _ => {
                let empty = Map::new();
                let lm = lhs.and_then(Value::as_object).unwrap_or(&empty);
                let rm = rhs.and_then(Value::as_object).unwrap_or(&empty);
                let required = |k: &str| match ty {
                    Ty::Struct { def, .. } => def.required.iter().any(|r| r == k),
                    _ => false,
                };
                for k in lm.keys().chain(rm.keys().filter(|k| !lm.contains_key(*k))) {
                    let (cty, known) = self.field_ty(ty, k);
                    // Upstream compares typed Go objects, where value structs and
                    // required fields exist (empty) even in a new object: adding
                    // them does not make the struct itself a member.
                    let mark = !known || !(matches!(cty, Ty::Struct { .. }) || required(k));
                    path.push(PathElement::Field(k.clone()));
                    let res = self.compare_into(cty, lm.get(k), rm.get(k), path, mark, c);
                    path.pop();
                    res?;
                }
            }
        }
        if lhs.is_none() && mark_added {
            c.added.insert(path);
        } else if rhs.is_none() {
            c.removed.insert(path);
        }
        Ok(())
    }

    /// Remove from `v` every field in `last` that no one owns any more (no
    /// path of `owned` at or below it).
    pub fn prune(
        &self,
        ty: Ty<'a>,
        v: &mut Value,
        last: &FieldSet,
        owned: Option<&FieldSet>,
        path: &[PathElement],
    ) -> Result<(), PatchError> {
        for (pe, lchild) in last.children() {
            let ochild = owned.and_then(|o| o.child(pe));
            match (ty, &mut *v, pe) {
                (
                    Ty::Struct { .. } | Ty::Map { .. } | Ty::Deduced,
                    Value::Object(m),
                    PathElement::Field(k),
                ) => {
                    if ochild.is_none() {
                        m.shift_remove(k);
                    } else if let Some(cv) = m.get_mut(k) {
                        let (cty, _) = self.field_ty(ty, k);
                        self.prune(cty, cv, lchild, ochild, &child(path, pe.clone()))?;
                    }
                }
                (Ty::List { elem, kind }, Value::Array(a), _) => {
                    let mut found = None;
                    for (i, item) in a.iter().enumerate() {
                        if self.item_pe(kind, elem, i, item, path).ok().as_ref() == Some(pe) {
                            found = Some(i);
                            break;
                        }
                    }
                    let Some(i) = found else { continue };
                    if ochild.is_none() {
                        a.remove(i);
                    } else {
                        self.prune(
                            self.item_ty(elem),
                            &mut a[i],
                            lchild,
                            ochild,
                            &child(path, pe.clone()),
                        )?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
