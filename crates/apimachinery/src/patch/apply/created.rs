//! The managedFields of a create, built in one walk.
//!
//! A create without managedFields of its own gives its manager every field the new object
//! sets: what [`Typer::compare`] finds added between an empty object and the new one, minus
//! the fields no manager owns ([`strip_set`](super::managed::strip_set)). The general path
//! builds that as a [`FieldSet`](super::FieldSet) (one trie insert per field, from the root)
//! and then encodes it; every create runs it, so this walks the object once and builds the
//! `fieldsV1` tree directly, with the same typing helpers and the same rules. Its results are
//! checked against the general path in this module's tests; on any error the caller falls
//! back to the general path, which reports it with its path.

use serde_json::{Map, Value};

use super::managed::{UNOWNED_FIELDS, UNOWNED_METADATA};
use super::typed::{ListKind, Ty, Typer, is_empty_container};
use crate::patch::PatchError;

/// A member path (`member`) and its longer paths, keyed by encoded path element, sorted as
/// upstream sorts path elements.
#[derive(Debug, Default)]
pub(crate) struct Node {
    member: bool,
    children: Vec<(String, Node)>,
}

impl Node {
    fn leaf() -> Self {
        Node {
            member: true,
            children: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    /// Drops `key`'s own membership (its longer paths stay), and the child if nothing is left.
    fn unmark(&mut self, key: &str) -> Option<&mut Node> {
        let i = self.children.iter().position(|(k, _)| k == key)?;
        self.children[i].1.member = false;
        if self.children[i].1.is_empty() {
            self.children.remove(i);
            return None;
        }
        Some(&mut self.children[i].1)
    }

    /// Removes the fields no manager owns: type and identity metadata (the lists
    /// `strip_set` removes).
    pub(crate) fn strip(&mut self) {
        let key = |name: &str| format!("f:{name}");
        for top in UNOWNED_FIELDS {
            self.unmark(&key(top));
        }
        let Some(i) = self.children.iter().position(|(k, _)| k == "f:metadata") else {
            return;
        };
        let meta = &mut self.children[i].1;
        for f in UNOWNED_METADATA {
            meta.unmark(&key(f));
        }
        if meta.is_empty() {
            self.children.remove(i);
        }
    }

    /// The `fieldsV1` encoding (`None`: the empty set).
    pub(crate) fn into_fields_v1(self) -> Option<Value> {
        if self.is_empty() {
            return None;
        }
        let mut m = Map::new();
        if self.member && !self.children.is_empty() {
            m.insert(".".into(), Value::Object(Map::new()));
        }
        for (k, c) in self.children {
            if let Some(v) = c.into_fields_v1() {
                m.insert(k, v);
            }
        }
        Some(Value::Object(m))
    }
}

impl<'a> Typer<'a> {
    /// The fields `new` sets, as `compare(ty, {}, new)` finds them added (the root itself is
    /// never a member: it is compared with an empty object).
    pub(crate) fn added_by_create(&self, ty: Ty<'a>, new: &Value) -> Result<Node, PatchError> {
        if matches!(ty, Ty::List { .. }) {
            // an object root is never a list: compared with `{}`, the whole value changed
            return Ok(Node::default());
        }
        let root = self.added(ty, new, false)?;
        // not granular: the root path changed, and the root path is no field
        Ok(if root.member { Node::default() } else { root })
    }

    /// A value that is absent on the left of a comparison: its added paths below `mark`ed
    /// as a member itself when it is.
    fn added(&self, ty: Ty<'a>, v: &Value, mark: bool) -> Result<Node, PatchError> {
        let granular = !ty.atomic()
            && match ty {
                Ty::List { .. } => v.is_array(),
                _ => v.is_object(),
            }
            && !is_empty_container(Some(v));
        if !granular {
            return Ok(Node::leaf());
        }
        let mut node = self.added_children(ty, v)?;
        node.member = mark;
        Ok(node)
    }

    fn added_children(&self, ty: Ty<'a>, v: &Value) -> Result<Node, PatchError> {
        let mut children: Vec<(String, Node)> = Vec::new();
        match (ty, v) {
            (Ty::List { elem, kind }, Value::Array(items)) => {
                let ity = self.item_ty(elem);
                // the path is only for error messages, which the general path gives
                for (pe, item) in self.index_items(kind, elem, items, &[])? {
                    debug_assert!(!matches!(kind, ListKind::Atomic));
                    let child = self.added(ity, item, true)?;
                    if !child.is_empty() {
                        children.push((pe.encode(), child));
                    }
                }
            }
            (_, Value::Object(m)) => {
                let required = |k: &str| match ty {
                    Ty::Struct { def, .. } => def.required.iter().any(|r| r == k),
                    _ => false,
                };
                for (k, cv) in m {
                    let (cty, known) = self.field_ty(ty, k);
                    let mark = !known || !(matches!(cty, Ty::Struct { .. }) || required(k));
                    let child = self.added(cty, cv, mark)?;
                    if !child.is_empty() {
                        let mut key = String::with_capacity(2 + k.len());
                        key.push_str("f:");
                        key.push_str(k);
                        children.push((key, child));
                    }
                }
            }
            _ => {}
        }
        // Within one node every element has the same tag, so the encoded keys sort as the
        // elements do (index elements never occur: atomic lists are leaves).
        children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Node {
            member: false,
            children,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::Schema;
    use crate::patch::apply::managed::strip_set;
    use crate::patch::apply::typed::{Ty, Typer};

    /// The general path: compare with an empty object, strip, encode.
    fn general(typer: &Typer<'_>, ty: Ty<'_>, obj: &Value) -> Option<Value> {
        let cmp = typer.compare(ty, Some(&json!({})), Some(obj)).ok()?;
        assert!(cmp.modified.is_empty() && cmp.removed.is_empty());
        let mut set = cmp.added;
        strip_set(&mut set);
        (!set.is_empty()).then(|| set.to_fields_v1())
    }

    fn fast(typer: &Typer<'_>, ty: Ty<'_>, obj: &Value) -> Option<Value> {
        let mut node = typer.added_by_create(ty, obj).ok()?;
        node.strip();
        node.into_fields_v1()
    }

    fn corpus() -> Vec<Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "cm", "namespace": "default", "labels": {"bench": "true"},
                    "uid": "u", "creationTimestamp": "2026-11-22T00:00:00Z", "generation": 1},
                "data": {"payload": "x", "b": "", "a": "1"}, "binaryData": {}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "labels": {"app": "web"},
                    "annotations": {"a": "b"}, "finalizers": ["x", "y", "x"],
                    "ownerReferences": [{"apiVersion": "v1", "kind": "K", "name": "o", "uid": "1"}]},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [
                            {"name": "nginx", "image": "nginx:1.27",
                                "ports": [{"containerPort": 80, "protocol": "TCP"},
                                    {"containerPort": 443}],
                                "env": [{"name": "A", "value": "1"},
                                    {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
                                "resources": {"limits": {"cpu": "500m"}, "requests": {}},
                                "args": ["-a", "-b"], "volumeMounts": []},
                            {"name": "side", "image": "busybox", "command": null}],
                            "tolerations": [{"key": "k", "operator": "Exists"}],
                            "volumes": [{"name": "v", "emptyDir": {}}],
                            "nodeSelector": {"disk": "ssd"}}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 53, "protocol": "UDP"}],
                    "selector": {"app": "web"}, "type": "ClusterIP"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "p-"},
                "spec": {"containers": [{"name": "c", "image": "i",
                    "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}],
                    "affinity": {"nodeAffinity": {}}},
                "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "True"}]}}),
            json!({"apiVersion": "example.com/v1", "kind": "Unknown", "metadata": {"name": "u"},
                "spec": {"list": [1, 2], "nested": {"a": {"b": null}}, "empty": {}}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "only"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap"}),
            json!({"kind": "ConfigMap", "metadata": "not an object", "data": ["odd"]}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {}},
                "type": "Opaque", "stringData": {"k": "v"}}),
            json!({}),
        ]
    }

    #[test]
    fn a_create_gets_the_fields_the_general_path_finds() {
        let schema = Schema::builtin();
        let typer = Typer { schema };
        for obj in corpus() {
            let gvk = super::super::gvk_of(&obj);
            let def = gvk.and_then(|g| schema.for_gvk(&g));
            let ty = def.map_or(Ty::Deduced, |d| typer.root(d));
            assert_eq!(fast(&typer, ty, &obj), general(&typer, ty, &obj), "{obj}");
            // also typed by shape only
            let ty = Ty::Deduced;
            assert_eq!(
                fast(&typer, ty, &obj),
                general(&typer, ty, &obj),
                "{obj} (deduced)"
            );
        }
    }

    #[test]
    fn a_create_records_what_the_general_path_records() {
        // `managedFields: []` in the request resets them: the general path, same result
        let schema = Schema::builtin();
        for obj in corpus() {
            let mut fast = obj.clone();
            crate::patch::update_managed_fields(None, &mut fast, "m", "v1", "t", schema);
            let mut general = obj.clone();
            match general.get_mut("metadata") {
                Some(Value::Object(meta)) => {
                    meta.insert("managedFields".into(), json!([]));
                }
                _ => continue,
            }
            crate::patch::update_managed_fields(None, &mut general, "m", "v1", "t", schema);
            assert_eq!(fast, general, "{obj}");
        }
    }

    #[test]
    fn a_list_map_item_without_its_key_is_an_error_on_both_paths() {
        let schema = Schema::builtin();
        let typer = Typer { schema };
        let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"image": "no-name"}]}});
        let def = schema
            .for_gvk(&crate::schema::Gvk::new("", "v1", "Pod"))
            .unwrap();
        let ty = typer.root(def);
        assert!(typer.added_by_create(ty, &obj).is_err());
        assert!(typer.compare(ty, Some(&json!({})), Some(&obj)).is_err());
    }
}
