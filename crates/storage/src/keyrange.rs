//! etcd's `(key, range_end)` pair as a value with `contains` and map bounds.
//!
//! Shared by both backends and by watch filtering so they agree on what a range means.

use std::ops::Bound;

/// The set of keys selected by `key` and an optional `range_end` (etcd semantics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyRange {
    start: Vec<u8>,
    end: End,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    /// Only `start` itself.
    Single,
    /// Every key `>= start`.
    Unbounded,
    /// Keys in `[start, end)`.
    Before(Vec<u8>),
}

impl KeyRange {
    pub(crate) fn new(key: &[u8], range_end: Option<&[u8]>) -> Self {
        let end = match range_end {
            None => End::Single,
            Some([0]) => End::Unbounded,
            Some(end) => End::Before(end.to_vec()),
        };
        KeyRange {
            start: key.to_vec(),
            end,
        }
    }

    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        match &self.end {
            End::Single => key == self.start.as_slice(),
            End::Unbounded => key >= self.start.as_slice(),
            End::Before(end) => key >= self.start.as_slice() && key < end.as_slice(),
        }
    }

    /// True when no key can match (`range_end <= key`).
    pub(crate) fn is_empty(&self) -> bool {
        matches!(&self.end, End::Before(end) if end.as_slice() <= self.start.as_slice())
    }

    /// Bounds for a map range scan. Callers must check [`KeyRange::is_empty`] first, since
    /// `BTreeMap::range` panics on inverted bounds.
    pub(crate) fn bounds(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        let start = Bound::Included(self.start.as_slice());
        match &self.end {
            End::Single => (start, Bound::Included(self.start.as_slice())),
            End::Unbounded => (start, Bound::Unbounded),
            End::Before(end) => (start, Bound::Excluded(end.as_slice())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefix_end;

    #[test]
    fn single_prefix_and_unbounded() {
        let single = KeyRange::new(b"a", None);
        assert!(single.contains(b"a") && !single.contains(b"ab"));
        let prefix = KeyRange::new(b"/p/", Some(&prefix_end(b"/p/")));
        assert!(prefix.contains(b"/p/x") && !prefix.contains(b"/q") && !prefix.contains(b"/p"));
        let all = KeyRange::new(b"\0", Some(&[0]));
        assert!(all.contains(b"zzz"));
        assert!(KeyRange::new(b"b", Some(b"a")).is_empty());
    }
}
