//! Strategic merge patch (`application/strategic-merge-patch+json`) for
//! built-in kinds, driven by the upstream schema's
//! `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`, as
//! upstream's `k8s.io/apimachinery/pkg/util/strategicpatch` applies it on the
//! server (`MergeParallelList`, `IgnoreUnmatchedNulls`).
//!
//! - maps merge recursively; `null` deletes a key;
//! - lists with strategy `merge` merge by their merge key (lists of maps) or
//!   as a union (lists of scalars); other lists are replaced;
//! - directives: `$patch: replace|delete` in maps, `$patch: replace|delete`
//!   in list items, `$retainKeys`, `$setElementOrder/<list>` and
//!   `$deleteFromPrimitiveList/<list>`;
//! - fields the schema does not know fall back to merge-patch semantics.
//!
//! List order follows upstream: `$setElementOrder` first, then the patch's
//! order, then the live order. Without `$setElementOrder`, items that only the
//! patch has come before the live-only items (as upstream's `mergeSortedSlice`
//! does); `kubectl apply` always sends the order list.
//!
//! This module does not create patches (two/three-way diffs); kubectl does.

use crate::gofmt::go_value;
use serde_json::{Map, Value};

use super::{PatchError, go_kind};
use crate::schema::{Definition, Schema, Type};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER_PREFIX: &str = "$setElementOrder/";
const DELETE_PRIMITIVE_PREFIX: &str = "$deleteFromPrimitiveList/";

/// Apply a strategic merge patch to `original`, an object of the type `def`
/// (e.g. `schema.for_gvk(&Gvk::new("apps", "v1", "Deployment"))`).
pub fn strategic_merge(
    original: &Value,
    patch: &Value,
    schema: &Schema,
    def: &Definition,
) -> Result<Value, PatchError> {
    let original = match original {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        _ => return Err(PatchError::BadRequest("invalid JSON document".into())),
    };
    let patch = match patch {
        Value::Object(m) => m.clone(),
        // `null` decodes to an empty patch upstream.
        Value::Null => return Ok(Value::Object(original)),
        other => {
            return Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                go_kind(other)
            )));
        }
    };
    let m = Merger { schema };
    Ok(Value::Object(m.merge_map(
        original,
        patch,
        Shape::Struct(def),
    )?))
}

/// What is known about the type of a map being merged.
#[derive(Clone, Copy)]
enum Shape<'a> {
    /// A named object type with properties.
    Struct(&'a Definition),
    /// A string-keyed map whose values have this type.
    Map(&'a Type),
    /// No schema: merge-patch semantics.
    Unknown,
}

/// Patch metadata of one field.
#[derive(Clone, Copy, Default)]
struct Field<'a> {
    ty: Option<&'a Type>,
    merge: bool,
    replace: bool,
    merge_key: Option<&'a str>,
}

struct Merger<'a> {
    schema: &'a Schema,
}

/// An error upstream passes through untyped (a 500 there), answered as 400 here.
fn untyped(msg: impl Into<String>) -> PatchError {
    PatchError::BadRequest(msg.into())
}

fn no_merge_key(item: &Value, key: &str) -> PatchError {
    untyped(format!(
        "map: {} does not contain declared merge key: {key}",
        go_value(item)
    ))
}

/// Go's `reflect.TypeOf` of a value decoded from JSON (integers are `int64` upstream).
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn bad_arg_type(expected: &str, actual: &Value) -> PatchError {
    untyped(format!(
        "expected a {expected}, but received a {}",
        go_type(actual)
    ))
}

fn bad_patch_type(t: &Value, m: &Value) -> PatchError {
    // Go's `%s`: a string as it is, anything else as `%!s(type=value)`
    let t = match t {
        Value::String(s) => s.clone(),
        other => format!("%!s({}={})", go_type(other), go_value(other)),
    };
    untyped(format!("unknown patch type: {t} in map: {}", go_value(m)))
}

impl<'a> Merger<'a> {
    fn shape_of(&self, ty: Option<&'a Type>) -> Shape<'a> {
        match ty {
            Some(Type::Ref(_)) => match self.schema.resolve(ty.unwrap()) {
                Some(d) if !d.properties.is_empty() => Shape::Struct(d),
                Some(Definition {
                    ty: Type::Map(inner),
                    ..
                }) => Shape::Map(inner),
                _ => Shape::Unknown,
            },
            Some(Type::Map(inner)) => Shape::Map(inner),
            _ => Shape::Unknown,
        }
    }

    fn field(&self, shape: Shape<'a>, key: &str) -> Field<'a> {
        match shape {
            Shape::Struct(def) => match def.property(key) {
                Some(p) => Field {
                    ty: Some(&p.ty),
                    merge: p.merges(),
                    replace: p
                        .patch_strategy
                        .as_deref()
                        .is_some_and(|s| s.split(',').any(|x| x == "replace")),
                    merge_key: p.patch_merge_key.as_deref(),
                },
                None => Field::default(),
            },
            Shape::Map(ty) => Field {
                ty: Some(ty),
                ..Field::default()
            },
            Shape::Unknown => Field::default(),
        }
    }

    fn elem_shape(&self, f: Field<'a>) -> Shape<'a> {
        match f.ty {
            Some(Type::Array(inner)) => self.shape_of(Some(inner)),
            _ => Shape::Unknown,
        }
    }

    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        shape: Shape<'a>,
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(d) = patch.get(DIRECTIVE) {
            return match d.as_str() {
                Some("replace") => {
                    patch.shift_remove(DIRECTIVE);
                    self.merge_map(Map::new(), patch, shape)
                }
                Some("delete") => Ok(Map::new()),
                _ => Err(bad_patch_type(d, &Value::Object(patch.clone()))),
            };
        }

        self.apply_retain_keys(&mut original, &mut patch)?;
        self.apply_set_element_order(&mut original, &mut patch, shape)?;

        for (k, pv) in patch {
            if let Some(list_key) = k.strip_prefix(DELETE_PRIMITIVE_PREFIX) {
                let Value::Array(to_delete) = pv else {
                    return Err(PatchError::BadRequest(
                        "invalid patch format of primitive list".into(),
                    ));
                };
                if let Some(Value::Array(live)) = original.get_mut(list_key) {
                    live.retain(|v| !to_delete.contains(v));
                }
                continue;
            }
            if pv.is_null() {
                original.shift_remove(&k);
                continue;
            }
            let f = self.field(shape, &k);
            let Some(ov) = original.get_mut(&k) else {
                if let Some(v) = self.fresh(pv, f)? {
                    original.insert(k, v);
                }
                continue;
            };
            let merged = match (std::mem::take(ov), pv) {
                (Value::Object(o), Value::Object(p)) => {
                    if f.replace {
                        Value::Object(p)
                    } else {
                        Value::Object(self.merge_map(o, p, self.shape_of(f.ty))?)
                    }
                }
                (Value::Array(o), Value::Array(p)) => {
                    if f.merge {
                        Value::Array(self.merge_list(o, p, f)?)
                    } else {
                        Value::Array(p)
                    }
                }
                (_, p @ (Value::Object(_) | Value::Array(_))) => {
                    self.fresh(p, f)?.unwrap_or(Value::Null)
                }
                (_, p) => p,
            };
            *ov = merged;
        }
        Ok(original)
    }

    /// A patch value for a key the original lacks: directives and `null`s
    /// are resolved against an empty value. `None` means "nothing to add"
    /// (a `$patch: delete` of something absent).
    fn fresh(&self, pv: Value, f: Field<'a>) -> Result<Option<Value>, PatchError> {
        match pv {
            Value::Object(p) => {
                if p.get(DIRECTIVE).and_then(Value::as_str) == Some("delete") {
                    return Ok(None);
                }
                Ok(Some(Value::Object(self.merge_map(
                    Map::new(),
                    p,
                    self.shape_of(f.ty),
                )?)))
            }
            Value::Array(p) if f.merge => {
                // Upstream takes a new list verbatim; resolving directives
                // is best effort and must not reject what upstream accepts.
                match self.merge_list(Vec::new(), p.clone(), f) {
                    Ok(v) => Ok(Some(Value::Array(v))),
                    Err(_) => Ok(Some(Value::Array(p))),
                }
            }
            other => Ok(Some(other)),
        }
    }

    fn apply_retain_keys(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
    ) -> Result<(), PatchError> {
        let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
            return Ok(());
        };
        let bad = || PatchError::BadRequest("invalid patch format of retainKeys".into());
        let Value::Array(retain) = retain else {
            return Err(bad());
        };
        let keep = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
        for (k, v) in patch.iter() {
            if v.is_null()
                || k.starts_with(DELETE_PRIMITIVE_PREFIX)
                || k.starts_with(SET_ORDER_PREFIX)
            {
                continue;
            }
            if !keep(k) {
                return Err(bad());
            }
        }
        original.retain(|k, _| keep(k));
        Ok(())
    }

    fn apply_set_element_order(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        shape: Shape<'a>,
    ) -> Result<(), PatchError> {
        let keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ORDER_PREFIX))
            .cloned()
            .collect();
        for key in keys {
            let order = patch.shift_remove(&key).unwrap_or_default();
            let Value::Array(order) = order else {
                return Err(bad_arg_type("[]interface {}", &order));
            };
            let list_key = &key[SET_ORDER_PREFIX.len()..];
            let live = match original.get(list_key) {
                None => None,
                Some(Value::Array(a)) => Some(a.clone()),
                Some(other) => return Err(bad_arg_type("[]interface {}", other)),
            };
            let patch_list = match patch.get(list_key) {
                None => None,
                Some(Value::Array(a)) => Some(a.clone()),
                Some(other) => return Err(bad_arg_type("[]interface {}", other)),
            };
            let f = self.field(shape, list_key);
            if let Some(p) = &patch_list {
                validate_set_order(p, &order, f.merge_key)?;
            }
            let merged = match (live.clone(), patch_list) {
                (None, None) => continue,
                (Some(l), None) => l,
                (None, Some(p)) => match self.fresh(Value::Array(p), f)? {
                    Some(Value::Array(v)) => v,
                    _ => Vec::new(),
                },
                (Some(l), Some(p)) => {
                    if f.merge {
                        self.merge_list(l, p, f)?
                    } else {
                        p
                    }
                }
            };
            let key_of = keyer(f.merge_key, &merged);
            let (in_order, server_only) = partition(merged, &order, &key_of)?;
            let both = normalize(
                in_order,
                server_only,
                &order,
                live.as_deref().unwrap_or_default(),
                &key_of,
            )?;
            original.insert(list_key.to_string(), Value::Array(both));
            patch.shift_remove(list_key);
        }
        Ok(())
    }

    fn merge_list(
        &self,
        mut original: Vec<Value>,
        patch: Vec<Value>,
        f: Field<'a>,
    ) -> Result<Vec<Value>, PatchError> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        check_element_types(&original, &patch)?;
        let is_map = original
            .iter()
            .chain(&patch)
            .next()
            .is_some_and(Value::is_object);
        if !is_map {
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for v in original.iter().chain(&patch) {
                if !merged.contains(v) {
                    merged.push(v.clone());
                }
            }
            let key_of = keyer(None, &merged);
            let (in_patch, server_only) = partition(merged, &patch, &key_of)?;
            return normalize(in_patch, server_only, &patch, &original, &key_of);
        }
        let Some(mk) = f.merge_key else {
            return Err(untyped(
                "cannot merge lists without merge key for type struct",
            ));
        };
        // Directives in list items: delete entries, or replace the whole list.
        let mut plain = Vec::with_capacity(patch.len());
        let mut replace = false;
        for item in patch {
            let Some(d) = item.get(DIRECTIVE) else {
                plain.push(item);
                continue;
            };
            match d.as_str() {
                Some("delete") => {
                    let Some(kv) = item.get(mk) else {
                        return Err(no_merge_key(&item, mk));
                    };
                    for (i, o) in original.iter().enumerate() {
                        if !o.is_object() {
                            return Err(untyped(format!("value for key {i} is not a map.")));
                        }
                    }
                    original.retain(|o| o.get(mk) != Some(kv));
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(untyped(
                        "merging lists cannot yet be specified in the patch",
                    ));
                }
                _ => return Err(bad_patch_type(d, &item)),
            }
        }
        let (original, patch) = if replace {
            (plain, Vec::new())
        } else {
            (original, plain)
        };
        let elem = self.elem_shape(f);
        let mut merged = original.clone();
        for item in &patch {
            let Value::Object(pm) = item else {
                return Err(bad_arg_type("map[string]interface {}", item));
            };
            let Some(kv) = pm.get(mk) else {
                return Err(no_merge_key(item, mk));
            };
            let mut found = None;
            for (i, o) in merged.iter().enumerate() {
                let Value::Object(om) = o else {
                    return Err(untyped(format!("value for key {i} is not a map.")));
                };
                if om.get(mk) == Some(kv) {
                    found = Some(i);
                    break;
                }
            }
            match found {
                Some(i) => {
                    let Value::Object(om) = std::mem::take(&mut merged[i]) else {
                        unreachable!("checked above");
                    };
                    merged[i] = Value::Object(self.merge_map(om, pm.clone(), elem)?);
                }
                None => merged.push(Value::Object(self.merge_map(
                    Map::new(),
                    pm.clone(),
                    elem,
                )?)),
            }
        }
        let key_of = keyer(Some(mk), &merged);
        let (in_patch, server_only) = partition(merged, &patch, &key_of)?;
        normalize(in_patch, server_only, &patch, &original, &key_of)
    }
}

/// Upstream rejects lists of lists and lists mixing element types.
fn check_element_types(a: &[Value], b: &[Value]) -> Result<(), PatchError> {
    let mut kind: Option<&str> = None;
    for v in a.iter().chain(b) {
        if v.is_array() {
            return Err(PatchError::Invalid(
                "lists of lists are not supported".into(),
            ));
        }
        let k = go_kind(v);
        match kind {
            None => kind = Some(k),
            Some(prev) if prev != k => {
                return Err(untyped(format!(
                    "list element types are not identical: {}",
                    go_value(&Value::Array(a.iter().chain(b).cloned().collect()))
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// How list items are identified: by merge key for lists of maps, by value otherwise.
type Keyer = dyn Fn(&Value) -> Result<Value, PatchError>;

fn keyer(merge_key: Option<&str>, sample: &[Value]) -> Box<Keyer> {
    match merge_key {
        Some(mk) if sample.iter().any(Value::is_object) => {
            let mk = mk.to_string();
            Box::new(move |v: &Value| match v {
                Value::Object(m) => m.get(&mk).cloned().ok_or_else(|| no_merge_key(v, &mk)),
                other => Err(bad_arg_type("map[string]interface {}", other)),
            })
        }
        _ => Box::new(|v: &Value| Ok(v.clone())),
    }
}

/// Split `items` into those present in `by` and the rest, keeping order.
fn partition(
    items: Vec<Value>,
    by: &[Value],
    key_of: &Keyer,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let by_keys: Vec<Value> = by.iter().filter_map(|v| key_of(v).ok()).collect();
    let mut present = Vec::new();
    let mut rest = Vec::new();
    for v in items {
        if by_keys.contains(&key_of(&v)?) {
            present.push(v);
        } else {
            rest.push(v);
        }
    }
    Ok((present, rest))
}

fn index_in(order: &[Value], v: &Value, key_of: &Keyer) -> Option<usize> {
    let k = key_of(v).ok()?;
    order
        .iter()
        .position(|o| key_of(o).ok().as_ref() == Some(&k))
}

/// Sort `patch_items` by `patch_order` and `server_only` by `server_order`,
/// then interleave them: a server-only item goes before a patch item only when
/// both are in the live list and it came first there.
fn normalize(
    mut patch_items: Vec<Value>,
    mut server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key_of: &Keyer,
) -> Result<Vec<Value>, PatchError> {
    patch_items.sort_by_key(|v| index_in(patch_order, v, key_of).unwrap_or(usize::MAX));
    server_only.sort_by_key(|v| index_in(server_order, v, key_of).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => out.extend(left.next()),
            (None, Some(_)) => out.extend(right.next()),
            (Some(l), Some(r)) => {
                let li = index_in(server_order, l, key_of);
                let ri = index_in(server_order, r, key_of);
                match (li, ri) {
                    (Some(li), Some(ri)) if li < ri => out.extend(left.next()),
                    _ => out.extend(right.next()),
                }
            }
        }
    }
    Ok(out)
}

/// The patch list's items must appear in `$setElementOrder` in the same
/// relative order (deletions ignored).
fn validate_set_order(
    patch_list: &[Value],
    order: &[Value],
    merge_key: Option<&str>,
) -> Result<(), PatchError> {
    if patch_list.is_empty() || order.is_empty() {
        return Ok(());
    }
    let non_delete: Vec<&Value> = match merge_key {
        Some(_) => patch_list
            .iter()
            .filter(|v| v.get(DIRECTIVE).and_then(Value::as_str) != Some("delete"))
            .collect(),
        None => patch_list.iter().collect(),
    };
    let key_eq = |a: &Value, b: &Value| -> Result<bool, PatchError> {
        match merge_key {
            None => Ok(a == b),
            Some(mk) => {
                let ka = a.get(mk).ok_or_else(|| no_merge_key(a, mk))?;
                let kb = b.get(mk).ok_or_else(|| no_merge_key(b, mk))?;
                Ok(ka == kb)
            }
        }
    };
    let (mut pi, mut si) = (0, 0);
    while pi < non_delete.len() && si < order.len() {
        if non_delete[pi].get(DIRECTIVE).is_some() {
            pi += 1;
            continue;
        }
        if key_eq(non_delete[pi], &order[si])? {
            pi += 1;
        }
        si += 1;
    }
    if pi < non_delete.len() {
        return Err(untyped(format!(
            "The order in patch list:\n{}\n doesn't match $setElementOrder list:\n{}\n",
            go_value(&Value::Array(patch_list.to_vec())),
            go_value(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Gvk;
    use proptest::prelude::*;
    use serde_json::json;

    fn smp(kind: (&str, &str, &str), original: &Value, patch: &Value) -> Result<Value, PatchError> {
        let s = Schema::builtin();
        let def = s.for_gvk(&Gvk::new(kind.0, kind.1, kind.2)).unwrap();
        strategic_merge(original, patch, s, def)
    }
    fn deploy_patch(original: &Value, patch: &Value) -> Value {
        smp(("apps", "v1", "Deployment"), original, patch).unwrap()
    }
    fn pod_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
        smp(("", "v1", "Pod"), original, patch)
    }
    fn pod_spec(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    }

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"a": "1"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {"name": "nginx", "image": "nginx:1.25",
                             "ports": [{"containerPort": 80, "protocol": "TCP"}],
                             "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                            {"name": "sidecar", "image": "busybox"}
                        ],
                        "volumes": [{"name": "data", "emptyDir": {}}],
                        "tolerations": [{"key": "k1", "operator": "Exists"}]
                    }
                }
            }
        })
    }

    #[test]
    fn kubectl_apply_patch_updates_image_in_place() {
        let patch = json!({
            "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"replicas": 3, "template": {"spec": {
                "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                "containers": [{"image": "nginx:1.26", "name": "nginx"}]
            }}}
        });
        let out = deploy_patch(&deployment(), &patch);
        let mut want = deployment();
        want["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            json!("{}");
        want["spec"]["replicas"] = json!(3);
        want["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26");
        assert_eq!(out, want);
    }

    #[test]
    fn set_element_order_reorders_and_places_new_items() {
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "new"}, {"name": "nginx"}],
            "containers": [{"name": "new", "image": "x"}]
        }}}});
        let out = deploy_patch(&deployment(), &patch);
        let names: Vec<_> = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["sidecar", "new", "nginx"]);
        // Contents were kept.
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][2]["image"],
            "nginx:1.25"
        );
    }

    #[test]
    fn set_element_order_must_match_patch_list() {
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [{"name": "other", "image": "x"}]
        }}}});
        let e = smp(("apps", "v1", "Deployment"), &deployment(), &patch).unwrap_err();
        assert!(
            matches!(e, PatchError::BadRequest(ref m) if m.contains("doesn't match $setElementOrder")),
            "{e:?}"
        );
    }

    #[test]
    fn new_items_without_order_go_first_as_upstream() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "nginx", "env": [{"name": "C", "value": "3"}]}
        ]}}}});
        let out = deploy_patch(&deployment(), &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["env"],
            json!([{"name": "C", "value": "3"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
        );
        // Existing items keep their live order.
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "nginx", "env": [{"name": "B", "value": "x"}, {"name": "A", "value": "y"}]}
        ]}}}});
        let out = deploy_patch(&deployment(), &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["env"],
            json!([{"name": "B", "value": "x"}, {"name": "A", "value": "y"}])
        );
    }

    #[test]
    fn delete_container_by_directive() {
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [{"$patch": "delete", "name": "sidecar"}]
        }}}});
        let out = deploy_patch(&deployment(), &patch);
        let cs = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["name"], "nginx");
    }

    #[test]
    fn replace_list_directive() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"$patch": "replace"}, {"name": "only", "image": "x"}
        ]}}}});
        let out = deploy_patch(&deployment(), &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "only", "image": "x"}])
        );
    }

    #[test]
    fn merge_directive_in_list_is_rejected() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"$patch": "merge"}]}}}});
        let e = smp(("apps", "v1", "Deployment"), &deployment(), &patch).unwrap_err();
        assert_eq!(e.to_api_error().code, 400);
    }

    #[test]
    fn map_directives() {
        let out = deploy_patch(
            &deployment(),
            &json!({"metadata": {"labels": {"$patch": "replace", "x": "y"}}}),
        );
        assert_eq!(out["metadata"]["labels"], json!({"x": "y"}));
        let out = deploy_patch(
            &deployment(),
            &json!({"metadata": {"annotations": {"$patch": "delete"}}}),
        );
        assert_eq!(out["metadata"]["annotations"], json!({}));
        let e = smp(
            ("apps", "v1", "Deployment"),
            &deployment(),
            &json!({"metadata": {"labels": {"$patch": "merge"}}}),
        )
        .unwrap_err();
        assert!(
            matches!(e, PatchError::BadRequest(ref m) if m.starts_with("unknown patch type")),
            "{e:?}"
        );
    }

    #[test]
    fn retain_keys_drops_rolling_update_when_switching_to_recreate() {
        // What kubectl apply sends after removing rollingUpdate and setting Recreate.
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": null, "type": "Recreate"}}});
        let out = deploy_patch(&deployment(), &patch);
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        // Without the null: retainKeys alone clears it.
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        assert_eq!(
            deploy_patch(&deployment(), &patch)["spec"]["strategy"],
            json!({"type": "Recreate"})
        );
        // A plain merge keeps rollingUpdate (the API then rejects it in validation).
        let patch = json!({"spec": {"strategy": {"type": "Recreate"}}});
        assert!(
            deploy_patch(&deployment(), &patch)["spec"]["strategy"]
                .get("rollingUpdate")
                .is_some()
        );
    }

    #[test]
    fn retain_keys_must_cover_the_patch() {
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}});
        let e = smp(("apps", "v1", "Deployment"), &deployment(), &patch).unwrap_err();
        assert_eq!(
            e,
            PatchError::BadRequest("invalid patch format of retainKeys".into())
        );
        let patch = json!({"spec": {"strategy": {"$retainKeys": "type"}}});
        assert!(matches!(
            smp(("apps", "v1", "Deployment"), &deployment(), &patch),
            Err(PatchError::BadRequest(_))
        ));
    }

    #[test]
    fn retain_keys_in_volumes_switch_source() {
        let patch = json!({"spec": {"template": {"spec": {"volumes": [
            {"$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}, "name": "data"}
        ]}}}});
        let out = deploy_patch(&deployment(), &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["volumes"],
            json!([{"name": "data", "configMap": {"name": "cm"}}])
        );
    }

    #[test]
    fn ports_merge_by_container_port() {
        let live = pod_spec(json!({"containers": [{"name": "c", "ports": [
            {"containerPort": 80, "name": "http", "protocol": "TCP"},
            {"containerPort": 443, "protocol": "TCP"}
        ]}]}));
        let patch = json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "web"}, {"containerPort": 8080}]}]}});
        let out = pod_patch(&live, &patch).unwrap();
        assert_eq!(
            out["spec"]["containers"][0]["ports"],
            json!([
                {"containerPort": 80, "name": "web", "protocol": "TCP"},
                {"containerPort": 8080},
                {"containerPort": 443, "protocol": "TCP"}
            ])
        );
    }

    #[test]
    fn env_and_volumes_merge_by_name() {
        let patch = json!({"spec": {"template": {"spec": {
            "containers": [{"name": "nginx", "env": [{"name": "A", "value": "changed"}]}],
            "volumes": [{"name": "data", "emptyDir": {"medium": "Memory"}}, {"name": "cfg", "configMap": {"name": "c"}}]
        }}}});
        let out = deploy_patch(&deployment(), &patch);
        let spec = &out["spec"]["template"]["spec"];
        assert_eq!(
            spec["containers"][0]["env"],
            json!([{"name": "A", "value": "changed"}, {"name": "B", "value": "2"}])
        );
        assert_eq!(
            spec["volumes"],
            json!([{"name": "data", "emptyDir": {"medium": "Memory"}}, {"name": "cfg", "configMap": {"name": "c"}}])
        );
        assert_eq!(spec["containers"][1]["name"], "sidecar");
    }

    #[test]
    fn atomic_lists_are_replaced() {
        let patch = json!({"spec": {"template": {"spec": {"tolerations": [{"key": "k2", "operator": "Exists"}]}}}});
        let out = deploy_patch(&deployment(), &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["tolerations"],
            json!([{"key": "k2", "operator": "Exists"}])
        );
        // A container's args (no strategy) too.
        let live = pod_spec(json!({"containers": [{"name": "c", "args": ["a", "b"]}]}));
        let out = pod_patch(
            &live,
            &json!({"spec": {"containers": [{"name": "c", "args": ["z"]}]}}),
        )
        .unwrap();
        assert_eq!(out["spec"]["containers"][0]["args"], json!(["z"]));
    }

    #[test]
    fn primitive_merge_lists_union_and_delete() {
        let live = json!({"metadata": {"name": "p", "finalizers": ["a", "b"]}});
        let out = pod_patch(&live, &json!({"metadata": {"finalizers": ["b", "c"]}})).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b", "c"]));
        let out = pod_patch(
            &live,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b"]));
        // What kubectl apply sends when a finalizer is removed and one added.
        let out = pod_patch(
            &live,
            &json!({"metadata": {
                "$setElementOrder/finalizers": ["c", "b"],
                "$deleteFromPrimitiveList/finalizers": ["a"],
                "finalizers": ["c"]
            }}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["c", "b"]));
        let e = pod_patch(
            &live,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}),
        )
        .unwrap_err();
        assert_eq!(e.to_api_error().code, 400);
    }

    #[test]
    fn nulls_delete_and_new_subtrees_are_clean() {
        let patch = json!({"metadata": {"labels": {"app": null, "tier": "fe"}},
                           "spec": {"template": {"spec": {"affinity": {"nodeAffinity": null, "podAffinity": {}}}}}});
        let out = deploy_patch(&deployment(), &patch);
        assert_eq!(out["metadata"]["labels"], json!({"tier": "fe"}));
        assert_eq!(
            out["spec"]["template"]["spec"]["affinity"],
            json!({"podAffinity": {}})
        );
        // Deleting something absent adds nothing.
        let out = deploy_patch(
            &deployment(),
            &json!({"spec": {"paused": null, "minReadySeconds": {"$patch": "delete"}}}),
        );
        assert_eq!(out, deployment());
    }

    #[test]
    fn missing_merge_key_is_a_bad_request() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}});
        let e = smp(("apps", "v1", "Deployment"), &deployment(), &patch).unwrap_err();
        assert!(
            matches!(e, PatchError::BadRequest(ref m) if m.contains("does not contain declared merge key: name")),
            "{e:?}"
        );
    }

    #[test]
    fn lists_of_lists_are_invalid() {
        let live = json!({"metadata": {"name": "p", "finalizers": ["a"]}});
        let e = pod_patch(&live, &json!({"metadata": {"finalizers": [["x"]]}})).unwrap_err();
        assert_eq!(e.to_api_error().code, 422);
    }

    #[test]
    fn unknown_fields_use_merge_patch_semantics() {
        let live = json!({"metadata": {"name": "p"}, "spec": {"x": {"a": 1, "l": [1, 2]}}, "extra": {"k": "v"}});
        let out = pod_patch(
            &live,
            &json!({"spec": {"x": {"b": 2, "l": [3]}}, "extra": {"k": null}}),
        )
        .unwrap();
        assert_eq!(out["spec"]["x"], json!({"a": 1, "l": [3], "b": 2}));
        assert_eq!(out["extra"], json!({}));
    }

    #[test]
    fn type_changes_replace() {
        let live = json!({"metadata": {"name": "p", "labels": {"a": "b"}}});
        let out = pod_patch(&live, &json!({"metadata": {"labels": "oops"}})).unwrap();
        assert_eq!(out["metadata"]["labels"], "oops");
        let out = pod_patch(&live, &json!({"metadata": {"name": {"x": null, "y": 1}}})).unwrap();
        assert_eq!(out["metadata"]["name"], json!({"y": 1}));
    }

    #[test]
    fn bad_documents() {
        assert!(matches!(
            pod_patch(&json!({}), &json!([1])),
            Err(PatchError::BadRequest(_))
        ));
        assert!(matches!(
            pod_patch(&json!([]), &json!({})),
            Err(PatchError::BadRequest(_))
        ));
        assert_eq!(
            pod_patch(&deployment(), &Value::Null).unwrap(),
            deployment()
        );
    }

    fn env_list() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::btree_map("[A-E]", "[a-z]{0,3}", 0..5)
            .prop_map(|m| m.into_iter().collect())
    }
    fn pod_with_env(env: &[(String, String)], labels: &[(String, String)]) -> Value {
        let env: Vec<Value> = env
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        let labels: Map<String, Value> =
            labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        json!({"metadata": {"name": "p", "labels": labels}, "spec": {"containers": [{"name": "c", "env": env}]}})
    }

    proptest! {
        #[test]
        fn empty_patch_is_identity(env in env_list(), labels in env_list()) {
            let live = pod_with_env(&env, &labels);
            prop_assert_eq!(pod_patch(&live, &json!({})).unwrap(), live);
        }

        #[test]
        fn patching_twice_equals_once(env in env_list(), penv in env_list(), labels in env_list()) {
            let live = pod_with_env(&env, &labels);
            let patch = pod_with_env(&penv, &[]);
            let once = pod_patch(&live, &patch).unwrap();
            prop_assert_eq!(pod_patch(&once, &patch).unwrap(), once.clone());
            // Every patched env var has the patch's value; the others are kept.
            let out_env = once["spec"]["containers"][0]["env"].as_array().unwrap().clone();
            for (n, v) in &penv {
                let want = json!({"name": n, "value": v});
                prop_assert!(out_env.contains(&want));
            }
            for (n, _) in &env {
                let found = out_env.iter().any(|e| e["name"] == json!(n));
                prop_assert!(found);
            }
        }

        #[test]
        fn set_element_order_fixes_order(env in env_list()) {
            let live = pod_with_env(&env, &[]);
            let mut order: Vec<Value> = env.iter().map(|(n, _)| json!({"name": n})).collect();
            order.reverse();
            let patch = json!({"spec": {"containers": [{"name": "c", "$setElementOrder/env": order.clone()}]}});
            let out = pod_patch(&live, &patch).unwrap();
            let names: Vec<Value> = out["spec"]["containers"][0]["env"].as_array().unwrap()
                .iter().map(|e| json!({"name": e["name"]})).collect();
            prop_assert_eq!(names, order);
        }
    }
}
