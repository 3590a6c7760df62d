//! Backend-independent transaction and range logic.
//!
//! Both backends expose their current key-value state through [`KvState`] and reuse
//! [`apply`] so that compare evaluation, revision/version bookkeeping and the events a
//! transaction produces are identical. Range collection (limit/count/keys_only) and
//! historical reconstruction (undoing newer events) are shared the same way.
//! Nothing here does IO itself.

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;

use crate::error::StoreError;
use crate::keyrange::KeyRange;
use crate::store::{
    EventType, KeyValue, OpResponse, RangeRequest, RangeResponse, Revision, TxnOp, TxnRequest,
    TxnResponse, WatchEvent,
};

/// Mutable access to a backend's current (latest) key-value state.
pub(crate) trait KvState {
    fn get(&mut self, key: &[u8]) -> Result<Option<KeyValue>, StoreError>;
    fn put(&mut self, kv: &KeyValue) -> Result<(), StoreError>;
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError>;
}

impl KvState for BTreeMap<Vec<u8>, KeyValue> {
    fn get(&mut self, key: &[u8]) -> Result<Option<KeyValue>, StoreError> {
        Ok(BTreeMap::get(self, key).cloned())
    }
    fn put(&mut self, kv: &KeyValue) -> Result<(), StoreError> {
        self.insert(kv.key.clone(), kv.clone());
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.remove(key);
        Ok(())
    }
}

/// Rejects requests that cannot be applied: empty keys, or a key written twice in a branch
/// (etcd: "duplicate key given in txn request"). Checked before applying so that a bad
/// request never leaves a half-applied transaction inside a group commit.
pub(crate) fn validate(req: &TxnRequest) -> Result<(), StoreError> {
    if req.compare.iter().any(|c| c.key().is_empty()) {
        return Err(StoreError::InvalidRequest("empty key in compare".into()));
    }
    for branch in [&req.success, &req.failure] {
        let mut written = HashSet::new();
        for op in branch {
            if op.key().is_empty() {
                return Err(StoreError::InvalidRequest("empty key in txn op".into()));
            }
            if !matches!(op, TxnOp::Get { .. }) && !written.insert(op.key()) {
                return Err(StoreError::InvalidRequest(format!(
                    "duplicate key given in txn request: {:?}",
                    String::from_utf8_lossy(op.key())
                )));
            }
        }
    }
    Ok(())
}

/// A transaction applied to a [`KvState`].
pub(crate) struct Applied {
    pub response: TxnResponse,
    /// The changes, all at `response.revision`; empty if nothing changed (no new revision).
    pub events: Vec<WatchEvent>,
}

/// Evaluates and applies `req` on top of `current`; if it changes anything it gets revision
/// `current + 1`. On `Err` the state may be partially modified: the caller must abort the
/// backend transaction.
pub(crate) fn apply(
    state: &mut impl KvState,
    current: Revision,
    req: &TxnRequest,
) -> Result<Applied, StoreError> {
    let mut succeeded = true;
    // What the compares read, for the first op on the same key (a create compares and puts
    // one key): nothing has changed in between, and it saves a B-tree lookup.
    let mut compared: Vec<(&[u8], Option<KeyValue>)> = Vec::with_capacity(req.compare.len());
    for cmp in &req.compare {
        let i = match compared.iter().position(|(k, _)| *k == cmp.key()) {
            Some(i) => i,
            None => {
                compared.push((cmp.key(), state.get(cmp.key())?));
                compared.len() - 1
            }
        };
        if !cmp.evaluate(compared[i].1.as_ref()) {
            succeeded = false;
            break;
        }
    }
    let mut read = |state: &mut _, key: &[u8]| match compared.iter().position(|(k, _)| *k == key) {
        Some(i) => Ok(compared.swap_remove(i).1),
        None => KvState::get(state, key),
    };
    let ops = if succeeded {
        &req.success
    } else {
        &req.failure
    };
    let rev = current + 1;
    let mut responses = Vec::with_capacity(ops.len());
    let mut events = Vec::new();
    for op in ops {
        match op {
            TxnOp::Put { key, value } => {
                let prev = read(state, key)?;
                let kv = KeyValue {
                    key: key.clone(),
                    value: value.clone(),
                    create_revision: prev.as_ref().map_or(rev, |p| p.create_revision),
                    mod_revision: rev,
                    version: prev.as_ref().map_or(1, |p| p.version + 1),
                };
                state.put(&kv)?;
                events.push(WatchEvent {
                    kind: EventType::Put,
                    kv: kv.clone(),
                    prev_kv: prev.clone(),
                });
                responses.push(OpResponse::Put { prev_kv: prev, kv });
            }
            TxnOp::Delete { key } => {
                let prev = read(state, key)?;
                if prev.is_some() {
                    state.delete(key)?;
                    events.push(WatchEvent {
                        kind: EventType::Delete,
                        kv: KeyValue {
                            key: key.clone(),
                            mod_revision: rev,
                            ..Default::default()
                        },
                        prev_kv: prev.clone(),
                    });
                }
                responses.push(OpResponse::Delete { prev_kv: prev });
            }
            TxnOp::Get { key } => responses.push(OpResponse::Get {
                kv: read(state, key)?,
            }),
        }
    }
    let revision = if events.is_empty() { current } else { rev };
    Ok(Applied {
        response: TxnResponse {
            succeeded,
            revision,
            responses,
        },
        events,
    })
}

/// Checks a requested read revision against the store's current and compacted revisions and
/// returns the revision to serve (`requested`, or `current` for 0).
pub(crate) fn check_revision(
    requested: Revision,
    current: Revision,
    compacted: Revision,
) -> Result<Revision, StoreError> {
    if requested <= 0 {
        return Ok(current);
    }
    if requested > current {
        return Err(StoreError::FutureRevision {
            requested,
            current_revision: current,
        });
    }
    if requested < compacted {
        return Err(StoreError::Compacted {
            requested,
            compact_revision: compacted,
        });
    }
    Ok(requested)
}

/// Accumulates a range result honoring `limit`, `keys_only` and `count_only`.
pub(crate) struct RangeCollector {
    limit: usize,
    keys_only: bool,
    count_only: bool,
    kvs: Vec<KeyValue>,
    count: i64,
}

impl RangeCollector {
    pub(crate) fn new(req: &RangeRequest) -> Self {
        RangeCollector {
            limit: req.limit,
            keys_only: req.keys_only,
            count_only: req.count_only,
            kvs: Vec::new(),
            count: 0,
        }
    }

    /// Whether the next key will be returned (so the caller must decode it), or only counted.
    pub(crate) fn wants_next(&self) -> bool {
        !self.count_only && (self.limit == 0 || self.kvs.len() < self.limit)
    }

    /// Whether values are wanted at all (so the caller may skip copying them).
    pub(crate) fn wants_values(&self) -> bool {
        !self.keys_only
    }

    /// Counts a key the caller decided not to decode (`wants_next()` was false).
    pub(crate) fn count_only_one(&mut self) {
        self.count += 1;
    }

    pub(crate) fn push(&mut self, mut kv: KeyValue) {
        self.count += 1;
        if self.wants_next() {
            if self.keys_only {
                kv.value = Bytes::new();
            }
            self.kvs.push(kv);
        }
    }

    pub(crate) fn finish(self, revision: Revision) -> RangeResponse {
        let more = !self.count_only && self.limit > 0 && self.count > self.limit as i64;
        RangeResponse {
            kvs: self.kvs,
            more,
            count: self.count,
            revision,
        }
    }
}

/// Rolls `state` (the current keys of `range`) back by undoing `newer_events`, which must be
/// every event newer than the target revision, newest revision first.
pub(crate) fn undo_events<'a>(
    state: &mut BTreeMap<Vec<u8>, KeyValue>,
    range: &KeyRange,
    newer_events: impl IntoIterator<Item = &'a WatchEvent>,
) {
    for ev in newer_events {
        if !range.contains(&ev.kv.key) {
            continue;
        }
        match &ev.prev_kv {
            Some(prev) => {
                state.insert(prev.key.clone(), prev.clone());
            }
            None => {
                state.remove(&ev.kv.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Compare;

    #[test]
    fn apply_bumps_revision_only_on_change() {
        let mut state = BTreeMap::new();
        let a = apply(&mut state, 1, &TxnRequest::put("a", "1")).unwrap();
        assert_eq!(a.response.revision, 2);
        assert_eq!(a.events.len(), 1);
        let d = apply(&mut state, 2, &TxnRequest::delete("missing")).unwrap();
        assert_eq!(d.response.revision, 2);
        assert!(d.events.is_empty());
        let u = apply(&mut state, 2, &TxnRequest::put("a", "2")).unwrap();
        let OpResponse::Put { kv, prev_kv } = &u.response.responses[0] else {
            panic!()
        };
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (2, 3, 2));
        assert_eq!(prev_kv.as_ref().unwrap().version, 1);
    }

    #[test]
    fn failed_compare_runs_failure_branch() {
        let mut state = BTreeMap::new();
        apply(&mut state, 1, &TxnRequest::put("a", "1")).unwrap();
        let r = apply(&mut state, 2, &TxnRequest::compare_and_put("a", 0, "x")).unwrap();
        assert!(!r.response.succeeded);
        assert!(
            matches!(&r.response.responses[0], OpResponse::Get { kv: Some(kv) } if kv.value == "1")
        );
        let c = Compare::Version {
            key: b"a".to_vec(),
            equals: 1,
        };
        assert!(c.evaluate(state.get(b"a".as_slice())));
    }

    #[test]
    fn validate_rejects_duplicates_and_empty_keys() {
        let mut req = TxnRequest::put("a", "1");
        req.success.push(TxnOp::Delete { key: b"a".to_vec() });
        assert!(validate(&req).is_err());
        assert!(validate(&TxnRequest::put("", "1")).is_err());
        let mut ok = TxnRequest::put("a", "1");
        ok.success.push(TxnOp::Get { key: b"a".to_vec() });
        assert!(validate(&ok).is_ok());
    }
}
