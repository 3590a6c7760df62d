//! The single writer thread of the embedded backend: group commit.
//!
//! Every write (transactions, compactions) is sent here over a channel. The thread takes
//! everything pending (up to `max_batch`), applies it inside ONE redb write transaction —
//! each store transaction gets its own revision and sees the earlier ones of the batch —
//! commits once (one fsync with `Durability::Immediate`), publishes the new revisions to
//! watchers and only then answers the callers. Many concurrent writers thus share an fsync.
//!
//! It also applies automatic compaction and purges compacted history in bounded chunks so
//! that no single commit stalls writers for long. It must not do anything slow besides the
//! commit itself: readers never come here.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Instant;

use redb::{Database, Durability, ReadableTable, Table};
use tokio::sync::oneshot;

use super::compaction::AutoCompactor;
use super::tables::{self, HISTORY, KV, META, META_COMPACTED, META_REVISION};
use crate::error::StoreError;
use crate::store::{KeyValue, Revision, TxnRequest, TxnResponse, WatchEvent};
use crate::txn::{self, KvState};
use crate::watch::WatchHub;

/// A request to the writer thread.
pub(crate) enum Command {
    Txn {
        req: TxnRequest,
        reply: oneshot::Sender<Result<TxnResponse, StoreError>>,
    },
    Compact {
        revision: Revision,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// Revisions as of the last commit, readable without touching the database.
#[derive(Default)]
pub(crate) struct Revisions {
    pub current: AtomicI64,
    pub compacted: AtomicI64,
}

pub(crate) struct Writer {
    pub db: Arc<Database>,
    pub rx: Receiver<Command>,
    pub revisions: Arc<Revisions>,
    pub hub: Arc<WatchHub>,
    pub sync: bool,
    pub max_batch: usize,
    pub purge_chunk: usize,
    pub auto: AutoCompactor,
}

enum Outcome {
    Txn(Result<TxnResponse, StoreError>),
    Compact(Result<(), StoreError>),
}

struct Committed {
    current: Revision,
    compacted: Revision,
    purge_pending: bool,
    outcomes: Vec<Outcome>,
    published: Vec<(Revision, Vec<WatchEvent>)>,
}

impl Writer {
    /// Runs until every sender is dropped, then closes all watches.
    pub(crate) fn run(mut self) {
        // History below the compacted revision may be left over from before a restart.
        let mut purge_pending = true;
        loop {
            let first = if purge_pending {
                match self.rx.try_recv() {
                    Ok(cmd) => Some(cmd),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => break,
                }
            } else if let Some(deadline) = self.auto.deadline() {
                match self
                    .rx
                    .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                {
                    Ok(cmd) => Some(cmd),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match self.rx.recv() {
                    Ok(cmd) => Some(cmd),
                    Err(_) => break,
                }
            };
            let mut batch: Vec<Command> = first.into_iter().collect();
            while batch.len() < self.max_batch {
                match self.rx.try_recv() {
                    Ok(cmd) => batch.push(cmd),
                    Err(_) => break,
                }
            }
            purge_pending = self.process(batch, purge_pending);
        }
        if !self.sync {
            // Make non-durable commits durable, so the next open needs no repair.
            if let Err(err) = self.flush() {
                tracing::error!(error = %err, "final flush failed");
            }
        }
        self.hub.close();
    }

    fn flush(&self) -> Result<(), StoreError> {
        let mut wtxn = self.db.begin_write()?;
        wtxn.set_durability(Durability::Immediate)?;
        wtxn.commit()?;
        Ok(())
    }

    /// Applies and commits one batch; returns whether compacted history remains to purge.
    fn process(&mut self, batch: Vec<Command>, purge_pending: bool) -> bool {
        let current = self.revisions.current.load(Ordering::SeqCst);
        let compacted = self.revisions.compacted.load(Ordering::SeqCst);
        let auto_target = self.auto.target(Instant::now(), current, compacted);
        if batch.is_empty() && auto_target.is_none() && !purge_pending {
            return false;
        }
        let (requests, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|cmd| match cmd {
                Command::Txn { req, reply } => (Request::Txn(req), Reply::Txn(reply)),
                Command::Compact { revision, reply } => {
                    (Request::Compact(revision), Reply::Compact(reply))
                }
            })
            .unzip();
        match self.commit(&requests, current, compacted, auto_target) {
            Ok(done) => {
                self.revisions.current.store(done.current, Ordering::SeqCst);
                self.revisions
                    .compacted
                    .store(done.compacted, Ordering::SeqCst);
                if done.compacted > compacted {
                    tracing::debug!(revision = done.compacted, "compacted");
                }
                // Watchers first, so a caller that got its answer can watch from after it.
                self.hub.publish(&done.published);
                for (reply, outcome) in replies.into_iter().zip(done.outcomes) {
                    match (reply, outcome) {
                        (Reply::Txn(tx), Outcome::Txn(res)) => drop(tx.send(res)),
                        (Reply::Compact(tx), Outcome::Compact(res)) => drop(tx.send(res)),
                        _ => unreachable!("outcomes follow requests"),
                    }
                }
                done.purge_pending
            }
            Err(err) => {
                tracing::error!(error = %err, "write batch failed; nothing of it was committed");
                for reply in replies {
                    match reply {
                        Reply::Txn(tx) => drop(tx.send(Err(err.clone()))),
                        Reply::Compact(tx) => drop(tx.send(Err(err.clone()))),
                    }
                }
                purge_pending
            }
        }
    }

    fn commit(
        &self,
        requests: &[Request],
        mut current: Revision,
        mut compacted: Revision,
        auto_target: Option<Revision>,
    ) -> Result<Committed, StoreError> {
        let mut wtxn = self.db.begin_write()?;
        wtxn.set_durability(if self.sync {
            Durability::Immediate
        } else {
            Durability::None
        })?;
        let mut outcomes = Vec::with_capacity(requests.len());
        let mut published = Vec::new();
        let purge_pending;
        {
            let mut kv = wtxn.open_table(KV)?;
            let mut history = wtxn.open_table(HISTORY)?;
            let mut state = RedbKv(&mut kv);
            for request in requests {
                match request {
                    Request::Txn(req) => {
                        let applied = txn::apply(&mut state, current, req)?;
                        if !applied.events.is_empty() {
                            current = applied.response.revision;
                            history.insert(
                                current,
                                tables::encode_events(&applied.events).as_slice(),
                            )?;
                            published.push((current, applied.events));
                        }
                        outcomes.push(Outcome::Txn(Ok(applied.response)));
                    }
                    Request::Compact(revision) => {
                        let res = check_compaction(*revision, current, compacted);
                        if res.is_ok() {
                            compacted = *revision;
                        }
                        outcomes.push(Outcome::Compact(res));
                    }
                }
            }
            if let Some(target) = auto_target
                && target > compacted
            {
                compacted = target;
            }
            purge_pending = purge(&mut history, compacted, self.purge_chunk)?;
            let mut meta = wtxn.open_table(META)?;
            meta.insert(META_REVISION, current)?;
            meta.insert(META_COMPACTED, compacted)?;
        }
        wtxn.commit()?;
        Ok(Committed {
            current,
            compacted,
            purge_pending,
            outcomes,
            published,
        })
    }
}

enum Request {
    Txn(TxnRequest),
    Compact(Revision),
}

enum Reply {
    Txn(oneshot::Sender<Result<TxnResponse, StoreError>>),
    Compact(oneshot::Sender<Result<(), StoreError>>),
}

fn check_compaction(
    revision: Revision,
    current: Revision,
    compacted: Revision,
) -> Result<(), StoreError> {
    if revision <= compacted {
        return Err(StoreError::Compacted {
            requested: revision,
            compact_revision: compacted,
        });
    }
    if revision > current {
        return Err(StoreError::FutureRevision {
            requested: revision,
            current_revision: current,
        });
    }
    Ok(())
}

/// Deletes up to `chunk` history revisions below `compacted`; true if more remain.
fn purge(
    history: &mut Table<i64, &[u8]>,
    compacted: Revision,
    chunk: usize,
) -> Result<bool, StoreError> {
    let first = match history.first()? {
        Some((rev, _)) => rev.value(),
        None => return Ok(false),
    };
    if first >= compacted {
        return Ok(false);
    }
    let end = compacted.min(first.saturating_add(chunk.max(1) as i64));
    history.retain_in(first..end, |_, _| false)?;
    Ok(end < compacted)
}

/// The `kv` table seen through [`KvState`], inside the batch's write transaction.
struct RedbKv<'a, 't>(&'a mut Table<'t, &'static [u8], &'static [u8]>);

impl KvState for RedbKv<'_, '_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<KeyValue>, StoreError> {
        match self.0.get(key)? {
            Some(data) => Ok(Some(tables::decode_kv(key, data.value(), true)?)),
            None => Ok(None),
        }
    }

    fn put(&mut self, kv: &KeyValue) -> Result<(), StoreError> {
        self.0
            .insert(kv.key.as_slice(), tables::encode_kv(kv).as_slice())?;
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.0.remove(key)?;
        Ok(())
    }
}
