//! Sets of field paths, as structured-merge-diff's `fieldpath.Set`, and their
//! `FieldsV1` encoding in `metadata.managedFields`
//! (`{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{}}}}}`).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::patch::PatchError;

/// One step of a field path. The variant order is upstream's sort order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A struct field or map key: `f:name`.
    Field(String),
    /// A list-map item by its keys, the canonical JSON object of the key
    /// fields (sorted): `k:{"containerPort":80,"protocol":"TCP"}`.
    Key(String),
    /// A set item by its value, as JSON: `v:"foo"`.
    Value(String),
    /// A list item by position: `i:0`.
    Index(usize),
}

impl PathElement {
    /// A key element from key field names and values (sorted by name).
    pub fn key(fields: &[(String, Value)]) -> Self {
        let mut sorted: Vec<&(String, Value)> = fields.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let m: Map<String, Value> = sorted.into_iter().cloned().collect();
        Self::Key(Value::Object(m).to_string())
    }
    pub(crate) fn encode(&self) -> String {
        // no formatting machinery: this runs for every field of every write
        let (tag, body) = match self {
            Self::Field(n) => ("f:", n.as_str()),
            Self::Key(k) => ("k:", k.as_str()),
            Self::Value(v) => ("v:", v.as_str()),
            Self::Index(i) => return format!("i:{i}"),
        };
        let mut out = String::with_capacity(tag.len() + body.len());
        out.push_str(tag);
        out.push_str(body);
        out
    }
    fn decode(s: &str) -> Result<Self, String> {
        let (tag, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("invalid path element {s:?}"))?;
        let json = |r: &str| serde_json::from_str::<Value>(r).map_err(|e| format!("{s:?}: {e}"));
        match tag {
            "f" => Ok(Self::Field(rest.to_string())),
            "k" => match json(rest)? {
                Value::Object(m) => Ok(Self::key(&m.into_iter().collect::<Vec<_>>())),
                _ => Err(format!("invalid key element {s:?}")),
            },
            "v" => Ok(Self::Value(json(rest)?.to_string())),
            "i" => rest
                .parse()
                .map(Self::Index)
                .map_err(|_| format!("invalid index element {s:?}")),
            _ => Err(format!("unknown path element type {s:?}")),
        }
    }
}

impl fmt::Display for PathElement {
    /// Upstream's `fieldpath.Path.String()` form: `.name`, `[name="nginx"]`,
    /// `[="foo"]`, `[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field(n) => write!(f, ".{n}"),
            Self::Key(k) => {
                let parts: Vec<String> = match serde_json::from_str::<Value>(k) {
                    Ok(Value::Object(m)) => m.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                    _ => vec![k.clone()],
                };
                write!(f, "[{}]", parts.join(","))
            }
            Self::Value(v) => write!(f, "[={v}]"),
            Self::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Render a path as upstream does, e.g. `.spec.template.spec.containers[name="nginx"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// A set of paths, stored as a trie. A node is a member when its own path is
/// in the set; its children hold the longer paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    member: bool,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Add a path (the empty path is ignored).
    pub fn insert(&mut self, path: &[PathElement]) {
        if path.is_empty() {
            return;
        }
        let mut n = self;
        for pe in path {
            // no clone of the element when the node exists (the common case)
            if !n.children.contains_key(pe) {
                n.children.insert(pe.clone(), FieldSet::default());
            }
            n = n.children.get_mut(pe).expect("inserted above");
        }
        n.member = true;
    }
    /// Whether this path is a member.
    pub fn has(&self, path: &[PathElement]) -> bool {
        self.node(path).is_some_and(|n| n.member)
    }
    /// The subtree at a path (present when the path or a longer one is in the set).
    pub fn node(&self, path: &[PathElement]) -> Option<&FieldSet> {
        let mut n = self;
        for pe in path {
            n = n.children.get(pe)?;
        }
        Some(n)
    }
    /// The subtree below one element.
    pub fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children.get(pe).filter(|c| !c.is_empty())
    }
    /// The children (non-empty subtrees).
    pub fn children(&self) -> impl Iterator<Item = (&PathElement, &FieldSet)> {
        self.children.iter().filter(|(_, c)| !c.is_empty())
    }
    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.values().all(FieldSet::is_empty)
    }
    /// Add every member of `other`.
    pub fn union(&mut self, other: &FieldSet) {
        self.member |= other.member;
        for (pe, c) in &other.children {
            match self.children.get_mut(pe) {
                Some(mine) => mine.union(c),
                None => {
                    self.children.insert(pe.clone(), c.clone());
                }
            }
        }
    }
    /// Remove every member of `other`.
    pub fn difference(&mut self, other: &FieldSet) {
        if other.member {
            self.member = false;
        }
        for (pe, c) in &other.children {
            if let Some(mine) = self.children.get_mut(pe) {
                mine.difference(c);
                if mine.is_empty() {
                    self.children.remove(pe);
                }
            }
        }
    }
    /// The members in both sets.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (pe, c) in &self.children {
            if let Some(o) = other.children.get(pe) {
                let i = c.intersection(o);
                if !i.is_empty() {
                    out.children.insert(pe.clone(), i);
                }
            }
        }
        out
    }
    /// Every member path, in sorted order.
    pub fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }
    fn collect(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        if self.member && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (pe, c) in &self.children {
            prefix.push(pe.clone());
            c.collect(prefix, out);
            prefix.pop();
        }
    }

    /// The `fieldsV1` encoding.
    pub fn to_fields_v1(&self) -> Value {
        self.encode_nonempty()
            .unwrap_or_else(|| Value::Object(Map::new()))
    }
    /// The `fieldsV1` encoding, `None` for an empty set (one pass: no `is_empty` per level).
    fn encode_nonempty(&self) -> Option<Value> {
        let children: Vec<(String, Value)> = self
            .children
            .iter()
            .filter_map(|(pe, c)| Some((pe.encode(), c.encode_nonempty()?)))
            .collect();
        if !self.member && children.is_empty() {
            return None;
        }
        let mut m = Map::new();
        // "." first, as upstream writes it
        if self.member && !children.is_empty() {
            m.insert(".".into(), Value::Object(Map::new()));
        }
        m.extend(children);
        Some(Value::Object(m))
    }
    /// Decode a `fieldsV1` value.
    pub fn from_fields_v1(v: &Value) -> Result<Self, PatchError> {
        Self::decode(v).map_err(PatchError::BadRequest)
    }
    fn decode(v: &Value) -> Result<Self, String> {
        let Value::Object(m) = v else {
            return Err(format!("expected an object in fieldsV1, got {v}"));
        };
        let mut out = FieldSet::default();
        for (k, c) in m {
            if k == "." {
                out.member = true;
                continue;
            }
            let pe = PathElement::decode(k)?;
            let mut child = Self::decode(c)?;
            if c.as_object().is_some_and(Map::is_empty) {
                child.member = true;
            }
            out.children.insert(pe, child);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(n: &str) -> PathElement {
        PathElement::Field(n.into())
    }

    #[test]
    fn fields_v1_round_trip() {
        let v = json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                       "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}}},
                                  "f:finalizers": {"v:\"a\"": {}}}});
        let s = FieldSet::from_fields_v1(&v).unwrap();
        assert!(s.has(&[f("metadata"), f("labels")]));
        assert!(!s.has(&[f("metadata")]));
        let key = PathElement::key(&[("name".into(), json!("nginx"))]);
        assert!(s.has(&[f("spec"), f("containers"), key.clone(), f("image")]));
        assert_eq!(s.to_fields_v1(), v);
        assert_eq!(
            path_string(&[f("spec"), f("containers"), key, f("image")]),
            ".spec.containers[name=\"nginx\"].image"
        );
    }

    #[test]
    fn keys_are_canonical_and_sorted() {
        let k = PathElement::key(&[
            ("protocol".into(), json!("TCP")),
            ("containerPort".into(), json!(80)),
        ]);
        assert_eq!(
            k,
            PathElement::Key(r#"{"containerPort":80,"protocol":"TCP"}"#.into())
        );
        assert_eq!(k.to_string(), r#"[containerPort=80,protocol="TCP"]"#);
        assert_eq!(
            PathElement::decode(r#"k:{"protocol":"TCP","containerPort":80}"#).unwrap(),
            k
        );
        assert!(f("z") < k && k < PathElement::Value("1".into()));
        assert_eq!(PathElement::Value("\"a\"".into()).to_string(), "[=\"a\"]");
    }

    #[test]
    fn set_algebra() {
        let mut a = FieldSet::new();
        a.insert(&[f("a"), f("b")]);
        a.insert(&[f("a"), f("c")]);
        let mut b = FieldSet::new();
        b.insert(&[f("a"), f("c")]);
        b.insert(&[f("d")]);
        assert_eq!(a.intersection(&b).paths(), vec![vec![f("a"), f("c")]]);
        let mut u = a.clone();
        u.union(&b);
        assert_eq!(u.paths().len(), 3);
        a.difference(&b);
        assert_eq!(a.paths(), vec![vec![f("a"), f("b")]]);
        a.difference(&u);
        assert!(a.is_empty());
        assert_eq!(a.to_fields_v1(), json!({}));
    }
}
