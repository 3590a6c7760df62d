//! [`MemoryStore`]: an in-memory [`Store`] for unit tests of other crates.
//!
//! Same semantics as the embedded backend (revisions, history, range at a revision, watch
//! replay, compaction), with no durability and no automatic compaction. Not for production:
//! history grows until [`Store::compact`] is called.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::RwLock;

use crate::error::StoreError;
use crate::keyrange::KeyRange;
use crate::store::{
    KeyValue, RangeRequest, RangeResponse, Revision, Store, TxnRequest, TxnResponse, WatchEvent,
    WatchRequest, WatchStream,
};
use crate::txn::{self, RangeCollector};
use crate::watch::{HistoryChunk, HistorySource, WatchHub, start_watch};

/// Per-watcher buffer, in published batches (one per transaction here).
const WATCH_BUFFER: usize = 1024;

/// An in-memory store. Cheap to clone (clones share the data). When the last clone is
/// dropped, open watches end with [`StoreError::Closed`].
#[derive(Clone)]
pub struct MemoryStore {
    state: Arc<State>,
    hub: Arc<WatchHub>,
    _closer: Arc<Closer>,
}

/// Closes the hub when the last [`MemoryStore`] clone goes away (watch streams hold the
/// state and the hub, but not this).
struct Closer(Arc<WatchHub>);

impl Drop for Closer {
    fn drop(&mut self) {
        self.0.close();
    }
}

struct State {
    inner: RwLock<Inner>,
}

struct Inner {
    kv: BTreeMap<Vec<u8>, KeyValue>,
    history: BTreeMap<Revision, Vec<WatchEvent>>,
    revision: Revision,
    compacted: Revision,
}

impl MemoryStore {
    /// An empty store at revision 1.
    pub fn new() -> Self {
        let inner = Inner {
            kv: BTreeMap::new(),
            history: BTreeMap::new(),
            revision: 1,
            compacted: 0,
        };
        let hub = Arc::new(WatchHub::new(1, WATCH_BUFFER));
        MemoryStore {
            state: Arc::new(State {
                inner: RwLock::new(inner),
            }),
            _closer: Arc::new(Closer(hub.clone())),
            hub,
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl HistorySource for State {
    fn read_history(
        &self,
        from: Revision,
        range: &KeyRange,
        max_revisions: usize,
    ) -> Result<HistoryChunk, StoreError> {
        let inner = self.inner.read();
        if from < inner.compacted {
            return Err(StoreError::Compacted {
                requested: from,
                compact_revision: inner.compacted,
            });
        }
        let mut groups = Vec::new();
        let mut covered = inner.revision;
        for (scanned, (rev, events)) in inner.history.range(from..).enumerate() {
            if scanned == max_revisions {
                covered = rev - 1;
                break;
            }
            let matching: Vec<_> = events
                .iter()
                .filter(|ev| range.contains(&ev.kv.key))
                .cloned()
                .collect();
            if !matching.is_empty() {
                groups.push((*rev, matching));
            }
        }
        Ok(HistoryChunk {
            groups,
            covered,
            done: covered == inner.revision,
        })
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse, StoreError> {
        let inner = self.state.inner.read();
        let revision = txn::check_revision(req.revision, inner.revision, inner.compacted)?;
        let range = KeyRange::new(&req.key, req.range_end.as_deref());
        let mut collector = RangeCollector::new(&req);
        if range.is_empty() {
            return Ok(collector.finish(revision));
        }
        if revision == inner.revision {
            for kv in inner.kv.range::<[u8], _>(range.bounds()).map(|(_, kv)| kv) {
                collector.push(kv.clone());
            }
        } else {
            let mut state: BTreeMap<Vec<u8>, KeyValue> = inner
                .kv
                .range::<[u8], _>(range.bounds())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let newer = inner
                .history
                .range(revision + 1..)
                .rev()
                .flat_map(|(_, evs)| evs.iter().rev());
            txn::undo_events(&mut state, &range, newer);
            for kv in state.into_values() {
                collector.push(kv);
            }
        }
        Ok(collector.finish(revision))
    }

    async fn txn(&self, req: TxnRequest) -> Result<TxnResponse, StoreError> {
        txn::validate(&req)?;
        let mut inner = self.state.inner.write();
        let current = inner.revision;
        let applied = txn::apply(&mut inner.kv, current, &req)?;
        if !applied.events.is_empty() {
            let rev = applied.response.revision;
            inner.revision = rev;
            inner.history.insert(rev, applied.events.clone());
            // Published under the write lock so watchers see revisions in order.
            self.hub.publish(&[(rev, applied.events)]);
        }
        Ok(applied.response)
    }

    async fn watch(&self, req: WatchRequest) -> Result<WatchStream, StoreError> {
        let compacted = self.state.inner.read().compacted;
        if req.start_revision > 0 && req.start_revision < compacted {
            return Err(StoreError::Compacted {
                requested: req.start_revision,
                compact_revision: compacted,
            });
        }
        start_watch(self.hub.clone(), self.state.clone(), req)
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let mut inner = self.state.inner.write();
        if revision <= inner.compacted {
            return Err(StoreError::Compacted {
                requested: revision,
                compact_revision: inner.compacted,
            });
        }
        if revision > inner.revision {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current_revision: inner.revision,
            });
        }
        inner.compacted = revision;
        inner.history = inner.history.split_off(&revision);
        Ok(())
    }

    async fn current_revision(&self) -> Result<Revision, StoreError> {
        Ok(self.state.inner.read().revision)
    }

    async fn compacted_revision(&self) -> Result<Revision, StoreError> {
        Ok(self.state.inner.read().compacted)
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn dropping_the_last_clone_ends_watches() {
        let store = MemoryStore::new();
        let clone = store.clone();
        let mut w = store.watch(WatchRequest::prefix("/a/", 0)).await.unwrap();
        drop(store);
        clone.txn(TxnRequest::put("/a/x", "1")).await.unwrap();
        assert_eq!(w.next().await.unwrap().unwrap().events.len(), 1);
        drop(clone);
        assert!(matches!(w.next().await, Some(Err(StoreError::Closed))));
        assert!(w.next().await.is_none());
    }
}
