//! Reads of the embedded backend: ranges (latest or at a past revision) and history for
//! watch replay. Each read is one redb read transaction, a consistent snapshot of the data
//! and of the revisions in `meta`; reads never go through the writer thread, but wait (at
//! most one fsync) until their snapshot is durable. Blocking: callers run these on
//! `spawn_blocking`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use parking_lot::Mutex;

use redb::{Database, ReadTransaction, ReadableDatabase};

use super::durable::Revisions;
use super::tables::{self, HISTORY, KV, META, META_COMPACTED, META_REVISION};
use super::writer::Command;
use crate::error::StoreError;
use crate::keyrange::KeyRange;
use crate::store::{KeyValue, RangeRequest, RangeResponse, Revision, WatchEvent};
use crate::txn::{self, RangeCollector};
use crate::watch::{HistoryChunk, HistorySource};

pub(crate) struct Reader {
    pub db: Arc<Database>,
    pub revisions: Arc<Revisions>,
    /// To ask the writer for a redb commit; `None` once the store is closed.
    pub writer: Arc<Mutex<Option<mpsc::Sender<Command>>>>,
}

/// `(current, compacted)` revisions as of `rtxn`.
pub(crate) fn revisions_of(rtxn: &ReadTransaction) -> Result<(Revision, Revision), StoreError> {
    let meta = rtxn.open_table(META)?;
    let current = meta.get(META_REVISION)?.map_or(1, |v| v.value());
    let compacted = meta.get(META_COMPACTED)?.map_or(0, |v| v.value());
    Ok((current, compacted))
}

impl Reader {
    /// A snapshot holding every write acknowledged so far, and its `(current, compacted)`
    /// revisions, once they are durable. The writer commits redb only now and then (the
    /// newest batches wait in its open transaction: it is asked to commit them) and a little
    /// before their fsync (the read waits for that, see `durable.rs`).
    fn snapshot(&self) -> Result<(ReadTransaction, Revision, Revision), StoreError> {
        let acked_compacted = self.revisions.compacted.load(Ordering::Acquire);
        let acked = self.revisions.current.load(Ordering::Acquire);
        let mut asked = false;
        loop {
            let rtxn = self.db.begin_read()?;
            let (current, compacted) = revisions_of(&rtxn)?;
            if current >= acked && compacted >= acked_compacted {
                self.revisions.wait_durable(current)?;
                return Ok((rtxn, current, compacted));
            }
            if asked {
                return Err(StoreError::backend(std::io::Error::other(format!(
                    "the store's snapshot (revision {current}, compacted {compacted}) is behind what was acknowledged (revision {acked}, compacted {acked_compacted}) after a commit"
                ))));
            }
            drop(rtxn);
            self.ask_commit()?;
            asked = true;
        }
    }

    /// Has the writer commit its open transaction; blocks until it did.
    fn ask_commit(&self) -> Result<(), StoreError> {
        let (reply, committed) = mpsc::channel();
        self.writer
            .lock()
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(Command::Commit { reply })
            .map_err(|_| StoreError::Closed)?;
        committed.recv().map_err(|_| StoreError::Closed)?
    }

    pub(crate) fn range(&self, req: &RangeRequest) -> Result<RangeResponse, StoreError> {
        let (rtxn, current, compacted) = self.snapshot()?;
        let revision = txn::check_revision(req.revision, current, compacted)?;
        let range = KeyRange::new(&req.key, req.range_end.as_deref());
        let mut collector = RangeCollector::new(req);
        if range.is_empty() {
            return Ok(collector.finish(revision));
        }
        let kv = rtxn.open_table(KV)?;
        if revision == current {
            for entry in kv.range::<&[u8]>(range.bounds())? {
                let (key, data) = entry?;
                if collector.wants_next() {
                    let with_value = collector.wants_values();
                    collector.push(tables::decode_kv(key.value(), data.value(), with_value)?);
                } else {
                    collector.count_only_one();
                }
            }
            return Ok(collector.finish(revision));
        }
        // A past revision: take the current keys of the range and undo every newer event.
        let mut state = BTreeMap::<Vec<u8>, KeyValue>::new();
        for entry in kv.range::<&[u8]>(range.bounds())? {
            let (key, data) = entry?;
            state.insert(
                key.value().to_vec(),
                tables::decode_kv(key.value(), data.value(), true)?,
            );
        }
        let history = rtxn.open_table(HISTORY)?;
        for entry in history.range(revision + 1..)?.rev() {
            let (_, data) = entry?;
            for (rev, events) in tables::decode_history(data.value())?.into_iter().rev() {
                if rev <= revision {
                    break;
                }
                let events = tables::decode_events(events)?;
                txn::undo_events(&mut state, &range, events.iter().rev());
            }
        }
        for kv in state.into_values() {
            collector.push(kv);
        }
        Ok(collector.finish(revision))
    }
}

impl HistorySource for Reader {
    fn read_history(
        &self,
        from: Revision,
        range: &KeyRange,
        max_revisions: usize,
    ) -> Result<HistoryChunk, StoreError> {
        let (rtxn, current, compacted) = self.snapshot()?;
        if from < compacted {
            return Err(StoreError::Compacted {
                requested: from,
                compact_revision: compacted,
            });
        }
        let history = rtxn.open_table(HISTORY)?;
        let mut groups: Vec<(Revision, Vec<WatchEvent>)> = Vec::new();
        // Put events of `groups` whose record left the value out (format 4), by key: the
        // key's latest one, whose value is the `prev_kv` of the key's next event, or in `kv`.
        let mut pending: HashMap<Vec<u8>, (usize, usize)> = HashMap::new();
        let mut covered = current;
        let mut scanned = 0;
        // Past the chunk, later records are read only to fill pending values in.
        let mut filling = false;
        'records: for entry in history.range(from..)? {
            let (_, data) = entry?;
            for (rev, events) in tables::decode_history(data.value())? {
                if rev < from {
                    continue;
                }
                if !filling && scanned == max_revisions {
                    covered = rev - 1;
                    fill_from_kv(&rtxn, &mut groups, &mut pending)?;
                    filling = true;
                }
                if filling && pending.is_empty() {
                    break 'records;
                }
                scanned += 1;
                let mut group = None;
                for (ev, elided) in tables::decode_events_marked(events)? {
                    if !range.contains(&ev.kv.key) {
                        continue;
                    }
                    if let Some(prev) = &ev.prev_kv
                        && let Some((g, e)) = pending.remove(&ev.kv.key)
                    {
                        let target = &mut groups[g].1[e].kv;
                        if target.mod_revision != prev.mod_revision {
                            return Err(corrupt_history(&ev.kv.key, target.mod_revision));
                        }
                        target.value = prev.value.clone();
                    }
                    if filling {
                        continue;
                    }
                    let g = *group.get_or_insert_with(|| {
                        groups.push((rev, Vec::new()));
                        groups.len() - 1
                    });
                    if elided {
                        pending.insert(ev.kv.key.clone(), (g, groups[g].1.len()));
                    }
                    groups[g].1.push(ev);
                }
            }
        }
        if !filling {
            fill_from_kv(&rtxn, &mut groups, &mut pending)?;
        }
        if let Some((key, (g, e))) = pending.into_iter().next() {
            return Err(corrupt_history(&key, groups[g].1[e].kv.mod_revision));
        }
        Ok(HistoryChunk {
            groups,
            covered,
            done: covered == current,
        })
    }
}

/// Fills the pending put values that are still the keys' current values (`kv` at the same
/// snapshot holds them with the same mod revision).
fn fill_from_kv(
    rtxn: &ReadTransaction,
    groups: &mut [(Revision, Vec<WatchEvent>)],
    pending: &mut HashMap<Vec<u8>, (usize, usize)>,
) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    let kv = rtxn.open_table(KV)?;
    let mut filled = Vec::new();
    for (key, &(g, e)) in pending.iter() {
        if let Some(data) = kv.get(key.as_slice())? {
            let live = tables::decode_kv(key, data.value(), true)?;
            let target = &mut groups[g].1[e].kv;
            if live.mod_revision == target.mod_revision {
                target.value = live.value;
                filled.push(key.clone());
            }
        }
    }
    for key in filled {
        pending.remove(&key);
    }
    Ok(())
}

/// A put whose value is in neither a later event nor `kv`: the history is inconsistent.
fn corrupt_history(key: &[u8], mod_revision: Revision) -> StoreError {
    StoreError::backend(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "corrupt history: no value for {} at revision {mod_revision}",
            String::from_utf8_lossy(key)
        ),
    ))
}
