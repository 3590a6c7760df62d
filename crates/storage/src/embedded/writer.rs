//! The single writer thread of the embedded backend: group commit, first stage.
//!
//! Every write (transactions, compactions) is sent here over a channel. The thread takes
//! everything pending (up to `max_batch`), applies it inside ONE redb write transaction —
//! each store transaction gets its own revision and sees the earlier ones of the batch — and
//! commits it, then hands the batch to the durability stage (`durable.rs`), which makes it
//! durable once for all its callers, publishes it and answers them, while this thread goes
//! on with the next batch:
//!
//! - with the WAL (default): the batch's effects go into one WAL record, written (one small
//!   sequential write); the durability stage `fdatasync`s the WAL. The redb transaction stays
//!   open for the next batches and is committed (`Durability::None`, no fsync) only every
//!   `commit_interval`, when a reader asks for it ([`Command::Commit`]: its snapshot must hold
//!   every acknowledged write) and before a checkpoint, as etcd commits its backend only every
//!   100 ms: a redb commit re-checksums and re-links every page the batches dirtied, which
//!   costs more than a batch of small creates itself. redb is made durable by periodic
//!   checkpoints (`checkpoint.rs`), after which the WAL is rewound. Readers wait until their
//!   snapshot is durable, so they never see a write that a crash could lose.
//! - without it: the redb commit itself is durable (`Durability::Immediate`), which rewrites
//!   and fsyncs every B-tree page the batch touched.
//!
//! If the WAL write, a redb commit after it, or a batch applied into a transaction that
//! already holds logged batches fails, redb and the WAL may disagree: the store is failed
//! (see [`Revisions::fail`]), every later write is refused, and reopening the store recovers
//! from the WAL (a failed batch is then either fully there or absent, as with any failed
//! commit).
//!
//! It also applies automatic compaction and purges compacted history in bounded chunks so
//! that no single commit stalls writers for long. It must not do anything slow besides the
//! commit and the checkpoint: readers never come here.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableTable, Table, WriteTransaction};
use tokio::sync::oneshot;

use super::checkpoint::{self, CheckpointPolicy};
use super::compaction::AutoCompactor;
use super::durable::{Outcome, Pending, Reply, Revisions};
use super::tables::{self, HISTORY, KV, META, META_COMPACTED, META_REVISION};
use super::wal::{Wal, WalRecord};
use crate::error::StoreError;
use crate::store::{KeyValue, Revision, TxnRequest, TxnResponse, WatchEvent};
use crate::txn::{self, KvState};

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
    /// Commit the open redb transaction, so that a new read snapshot holds every batch
    /// applied so far; answered once committed. Sent by readers (blocking threads).
    Commit {
        reply: mpsc::Sender<Result<(), StoreError>>,
    },
}

pub(crate) struct Writer {
    pub db: Arc<Database>,
    pub rx: Receiver<Command>,
    /// The durability stage.
    pub durable: SyncSender<Pending>,
    /// The durable revisions, and whether the store failed.
    pub revisions: Arc<Revisions>,
    /// The current and compacted revisions as of the last redb commit (ahead of `revisions`
    /// by the batches not yet durable).
    pub current: Revision,
    pub compacted: Revision,
    pub sync: bool,
    pub max_batch: usize,
    pub purge_chunk: usize,
    pub auto: AutoCompactor,
    /// The write-ahead log; `None`: each batch is a durable redb commit (or, without `sync`,
    /// a non-durable one).
    pub wal: Option<Wal>,
    pub checkpoints: CheckpointPolicy,
    /// The redb transaction holding the batches applied since the last redb commit, and
    /// when its first batch was applied (WAL only).
    pub open: Option<(WriteTransaction, Instant)>,
    /// How long batches may wait in `open` for a redb commit.
    pub commit_interval: Duration,
}

struct Committed {
    current: Revision,
    compacted: Revision,
    purge_pending: bool,
    logged: bool,
    outcomes: Vec<Outcome>,
    published: Vec<(Revision, Vec<WatchEvent>)>,
}

impl Writer {
    /// Runs until every sender is dropped. Dropping the writer then lets the durability stage
    /// finish and close every watch.
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
            } else if let Some(deadline) = earliest(
                earliest(self.auto.deadline(), self.checkpoint_deadline()),
                self.commit_deadline(),
            ) {
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
            if self.commit_deadline().is_some_and(|d| d <= Instant::now()) {
                let _ = self.commit_open();
            }
            self.checkpoint_if_due();
        }
        let _ = self.commit_open();
        if self.wal.is_some() {
            // A clean shutdown leaves nothing to redo.
            if self.revisions.failed().is_none() {
                self.checkpoint();
            }
        } else if !self.sync {
            // Make non-durable commits durable, so the next open needs no repair.
            if let Err(err) = self.flush() {
                tracing::error!(error = %err, "final flush failed");
            }
        }
    }

    fn checkpoint_deadline(&self) -> Option<Instant> {
        self.wal.as_ref().and(self.checkpoints.deadline())
    }

    fn commit_deadline(&self) -> Option<Instant> {
        self.open
            .as_ref()
            .map(|(_, since)| *since + self.commit_interval)
    }

    /// Commits the open transaction, if any (`Durability::None`: its batches are durable
    /// through the WAL). A failure is fatal: those batches are logged, and acknowledged.
    fn commit_open(&mut self) -> Result<(), StoreError> {
        let Some((wtxn, _)) = self.open.take() else {
            return match self.revisions.failed() {
                Some(err) => Err(err.clone()),
                None => Ok(()),
            };
        };
        wtxn.commit().map_err(|err| self.fatal(err.into()))
    }

    /// Fails the store for good (see the module docs) and returns the error to report.
    fn fatal(&self, err: StoreError) -> StoreError {
        let fatal = StoreError::backend(std::io::Error::other(format!(
            "write-ahead log and store may disagree; reopen the store to recover: {err}"
        )));
        self.revisions.fail(fatal.clone());
        fatal
    }

    fn checkpoint_if_due(&mut self) {
        if let Some(wal) = &self.wal
            && self.revisions.failed().is_none()
            && self.checkpoints.due(Instant::now(), wal.len())
        {
            self.checkpoint();
        }
    }

    /// Makes redb durable on its own. It holds every committed batch, so this also makes the
    /// batches the durability stage has not fsynced yet durable; its later fsync is harmless.
    fn checkpoint(&mut self) {
        if self.commit_open().is_err() {
            return;
        }
        let Some(wal) = &mut self.wal else { return };
        let started = Instant::now();
        let bytes = wal.len();
        let res = checkpoint::checkpoint(&self.db, wal, self.checkpoints.max_file_len());
        match &res {
            Ok(revision) => tracing::debug!(
                revision,
                wal_bytes = bytes,
                took = ?started.elapsed(),
                "checkpoint"
            ),
            Err(err) => tracing::error!(error = %err, "checkpoint failed; the WAL keeps growing"),
        }
        self.checkpoints.done(Instant::now(), res.is_ok());
    }

    fn flush(&self) -> Result<(), StoreError> {
        let mut wtxn = self.db.begin_write()?;
        wtxn.set_durability(Durability::Immediate)?;
        wtxn.commit()?;
        Ok(())
    }

    /// Applies and commits one batch and hands it to the durability stage; returns whether
    /// compacted history remains to purge.
    fn process(&mut self, batch: Vec<Command>, purge_pending: bool) -> bool {
        let mut commits = Vec::new();
        let (requests, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .filter_map(|cmd| match cmd {
                Command::Txn { req, reply } => Some((Request::Txn(req), Reply::Txn(reply))),
                Command::Compact { revision, reply } => {
                    Some((Request::Compact(revision), Reply::Compact(reply)))
                }
                Command::Commit { reply } => {
                    commits.push(reply);
                    None
                }
            })
            .unzip();
        let purge_pending = self.apply_batch(requests, replies, purge_pending);
        if !commits.is_empty() {
            let res = self.commit_open();
            for reply in commits {
                let _ = reply.send(res.clone());
            }
        }
        purge_pending
    }

    fn apply_batch(
        &mut self,
        requests: Vec<Request>,
        replies: Vec<Reply>,
        purge_pending: bool,
    ) -> bool {
        let auto_target = self
            .auto
            .target(Instant::now(), self.current, self.compacted);
        if requests.is_empty() && auto_target.is_none() && !purge_pending {
            return false;
        }
        if let Some(err) = self.revisions.failed() {
            replies.into_iter().for_each(|reply| reply.fail(err));
            return false;
        }
        match self.commit(&requests, auto_target) {
            Ok(done) => {
                if done.compacted > self.compacted {
                    tracing::debug!(revision = done.compacted, "compacted");
                }
                self.current = done.current;
                self.compacted = done.compacted;
                // Fails only if the durability stage is gone (it panicked): the callers then
                // see their reply channel closed.
                let _ = self.durable.send(Pending {
                    current: done.current,
                    compacted: done.compacted,
                    logged: done.logged,
                    published: done.published,
                    replies: replies.into_iter().zip(done.outcomes).collect(),
                });
                done.purge_pending
            }
            Err(err) => {
                tracing::error!(error = %err, "write batch failed; nothing of it was committed");
                replies.into_iter().for_each(|reply| reply.fail(&err));
                purge_pending
            }
        }
    }

    fn commit(
        &mut self,
        requests: &[Request],
        auto_target: Option<Revision>,
    ) -> Result<Committed, StoreError> {
        let (wtxn, since) = match self.open.take() {
            Some(open) => open,
            None => {
                let mut wtxn = self.db.begin_write()?;
                wtxn.set_durability(if self.sync && self.wal.is_none() {
                    Durability::Immediate
                } else {
                    Durability::None
                })?;
                // Nothing logged in it yet: a failure below is not fatal.
                return self.commit_in(wtxn, Instant::now(), requests, auto_target);
            }
        };
        self.commit_in(wtxn, since, requests, auto_target)
            .map_err(|err| match self.revisions.failed() {
                Some(fatal) => fatal.clone(),
                None => self.fatal(err),
            })
    }

    /// Applies `requests` in `wtxn` (which holds the batches applied since `since`), logs
    /// them and keeps `wtxn` open (with the WAL) or commits it.
    fn commit_in(
        &mut self,
        wtxn: WriteTransaction,
        since: Instant,
        requests: &[Request],
        auto_target: Option<Revision>,
    ) -> Result<Committed, StoreError> {
        let (mut current, mut compacted) = (self.current, self.compacted);
        let mut record = WalRecord {
            start: current,
            ..Default::default()
        };
        let mut outcomes = Vec::with_capacity(requests.len());
        let mut published = Vec::new();
        // The history record's events leave put values out; the WAL record keeps them.
        let mut history_revisions = Vec::new();
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
                            let data = tables::encode_events(&applied.events);
                            history_revisions
                                .push((current, tables::encode_events_elided(&applied.events)));
                            published.push((current, applied.events));
                            record.revisions.push((current, data));
                        }
                        outcomes.push(Outcome::Txn(applied.response));
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
            if !history_revisions.is_empty() {
                let data = tables::encode_history(&history_revisions);
                history.insert(current, data.as_slice())?;
            }
            if let Some(target) = auto_target
                && target > compacted
            {
                compacted = target;
            }
            let purged;
            (purged, purge_pending) = purge(&mut history, compacted, self.purge_chunk)?;
            record.purged = purged;
            let mut meta = wtxn.open_table(META)?;
            meta.insert(META_REVISION, current)?;
            meta.insert(META_COMPACTED, compacted)?;
        }
        record.end = current;
        record.compacted = compacted;
        let changed =
            !record.revisions.is_empty() || record.purged.is_some() || compacted != self.compacted;
        let mut logged = false;
        match &mut self.wal {
            Some(wal) => {
                if changed {
                    // Logged first, visible (to readers waiting for durability) later; a
                    // failure from here on is fatal (see above).
                    if let Err(err) = wal.append(&record) {
                        return Err(self.fatal(StoreError::backend(err)));
                    }
                    self.checkpoints.appended(Instant::now());
                    logged = true;
                }
                self.open = Some((wtxn, since));
            }
            None => wtxn.commit()?,
        }
        Ok(Committed {
            current,
            compacted,
            purge_pending,
            logged,
            outcomes,
            published,
        })
    }
}

enum Request {
    Txn(TxnRequest),
    Compact(Revision),
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

/// Deletes up to `chunk` history revisions below `compacted`; returns the range deleted and
/// whether more remain.
fn purge(
    history: &mut Table<i64, &[u8]>,
    compacted: Revision,
    chunk: usize,
) -> Result<(Option<(Revision, Revision)>, bool), StoreError> {
    let first = match history.first()? {
        Some((rev, _)) => rev.value(),
        None => return Ok((None, false)),
    };
    if first >= compacted {
        return Ok((None, false));
    }
    let end = compacted.min(first.saturating_add(chunk.max(1) as i64));
    history.retain_in(first..end, |_, _| false)?;
    Ok((Some((first, end)), end < compacted))
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
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
