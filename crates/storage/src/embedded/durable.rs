//! The second stage of group commit: make committed batches durable, then publish and answer.
//!
//! The writer thread (`writer.rs`) applies a batch to redb, writes its WAL record and commits
//! redb without fsync, then hands the batch here and goes on with the next one: the
//! `fdatasync` of batch N overlaps the apply of batch N+1, as etcd's raft loop overlaps its WAL
//! fsync with applying. This thread takes every handed-over batch, fsyncs the WAL once for
//! all of them, and only then advances the revisions everybody sees ([`Revisions`]), publishes
//! the events to watchers and answers the callers, in revision order.
//!
//! redb already holds a batch before its fsync, so a reader could see a write that a crash
//! might still lose. Readers therefore wait ([`Revisions::wait_durable`]) until the revision
//! of their snapshot is durable — at most one fsync — and never return such a write.
//!
//! A failed fsync is fatal, like a failed WAL write: every batch not yet answered and every
//! later one fails, waiting readers get the error, and reopening the store recovers from the
//! WAL. (After a failed fsync Linux may report a later one as successful although the data
//! was dropped, so no later fsync is trusted.)

use std::fs::File;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::Receiver;

use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::store::{Revision, TxnResponse, WatchEvent};
use crate::watch::WatchHub;

/// The revisions everybody sees: those of durable batches only.
pub(crate) struct Revisions {
    pub current: AtomicI64,
    pub compacted: AtomicI64,
    /// Taken to wait for, and to announce, a new durable revision.
    lock: Mutex<()>,
    advanced: Condvar,
    failed: OnceLock<StoreError>,
}

impl Revisions {
    pub(crate) fn new(current: Revision, compacted: Revision) -> Self {
        Revisions {
            current: AtomicI64::new(current),
            compacted: AtomicI64::new(compacted),
            lock: Mutex::new(()),
            advanced: Condvar::new(),
            failed: OnceLock::new(),
        }
    }

    /// Blocks until `revision` is durable (at most one fsync after its redb commit); fails if
    /// the store failed before that.
    pub(crate) fn wait_durable(&self, revision: Revision) -> Result<(), StoreError> {
        if self.current.load(Ordering::Acquire) >= revision {
            return Ok(());
        }
        let mut guard = self.lock.lock();
        loop {
            if self.current.load(Ordering::Acquire) >= revision {
                return Ok(());
            }
            if let Some(err) = self.failed.get() {
                return Err(err.clone());
            }
            self.advanced.wait(&mut guard);
        }
    }

    /// The fatal error that stopped the store, if any.
    pub(crate) fn failed(&self) -> Option<&StoreError> {
        self.failed.get()
    }

    /// Stops the store for good (the first error wins) and wakes every waiting reader.
    pub(crate) fn fail(&self, err: StoreError) {
        let _ = self.failed.set(err);
        let _guard = self.lock.lock();
        self.advanced.notify_all();
    }

    fn advance(&self, current: Revision, compacted: Revision) {
        self.current.store(current, Ordering::Release);
        self.compacted.store(compacted, Ordering::Release);
        let _guard = self.lock.lock();
        self.advanced.notify_all();
    }
}

/// How a request to the writer is answered.
pub(crate) enum Reply {
    Txn(oneshot::Sender<Result<TxnResponse, StoreError>>),
    Compact(oneshot::Sender<Result<(), StoreError>>),
}

/// What a request came to, once committed.
pub(crate) enum Outcome {
    Txn(TxnResponse),
    Compact(Result<(), StoreError>),
}

impl Reply {
    pub(crate) fn send(self, outcome: Outcome) {
        match (self, outcome) {
            (Reply::Txn(tx), Outcome::Txn(res)) => drop(tx.send(Ok(res))),
            (Reply::Compact(tx), Outcome::Compact(res)) => drop(tx.send(res)),
            _ => unreachable!("outcomes follow requests"),
        }
    }

    pub(crate) fn fail(self, err: &StoreError) {
        match self {
            Reply::Txn(tx) => drop(tx.send(Err(err.clone()))),
            Reply::Compact(tx) => drop(tx.send(Err(err.clone()))),
        }
    }
}

/// A batch committed to redb, waiting to be durable.
pub(crate) struct Pending {
    /// The current and compacted revisions after it.
    pub current: Revision,
    pub compacted: Revision,
    /// It wrote a WAL record that is not fsynced yet.
    pub logged: bool,
    pub published: Vec<(Revision, Vec<WatchEvent>)>,
    pub replies: Vec<(Reply, Outcome)>,
}

/// The thread that fsyncs the WAL and completes batches.
pub(crate) struct Syncer {
    pub rx: Receiver<Pending>,
    /// The WAL file (a second handle); `None` when batches are durable at their redb commit
    /// or nothing is synced.
    pub wal: Option<File>,
    pub revisions: Arc<Revisions>,
    pub hub: Arc<WatchHub>,
    /// The runtime of the callers, if the store was opened inside one: they are answered
    /// from one task there, so their wake-ups are local to a worker and run back to back
    /// (a connection then writes many answers at once, see the API server's `coalesce.rs`)
    /// instead of each arriving through the runtime's shared queue.
    pub runtime: Option<tokio::runtime::Handle>,
}

impl Syncer {
    /// Runs until the writer is gone and everything it handed over is answered, then closes
    /// every watch.
    pub(crate) fn run(self) {
        while let Ok(first) = self.rx.recv() {
            let mut batches = vec![first];
            batches.extend(self.rx.try_iter());
            self.complete(batches);
        }
        self.hub.close();
    }

    fn complete(&self, batches: Vec<Pending>) {
        if self.revisions.failed().is_none()
            && batches.iter().any(|b| b.logged)
            && let Some(wal) = &self.wal
            && let Err(err) = wal.sync_data()
        {
            tracing::error!(error = %err, "fsync of the write-ahead log failed");
            self.revisions
                .fail(StoreError::backend(std::io::Error::other(format!(
                    "fsync of the write-ahead log failed; reopen the store to recover: {err}"
                ))));
        }
        if let Some(err) = self.revisions.failed() {
            for reply in batches.into_iter().flat_map(|b| b.replies) {
                reply.0.fail(err);
            }
            return;
        }
        let last = batches.last().expect("at least one batch");
        self.revisions.advance(last.current, last.compacted);
        let mut published = Vec::new();
        let mut replies = Vec::new();
        for batch in batches {
            published.extend(batch.published);
            replies.extend(batch.replies);
        }
        // Watchers first, so a caller that got its answer can watch from after it.
        self.hub.publish(&published);
        let answer = move || {
            for (reply, outcome) in replies {
                reply.send(outcome);
            }
        };
        match &self.runtime {
            Some(runtime) => drop(runtime.spawn(async move { answer() })),
            None => answer(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn waiter(revisions: &Arc<Revisions>, revision: Revision) -> std::sync::mpsc::Receiver<bool> {
        let (tx, rx) = std::sync::mpsc::channel();
        let revisions = revisions.clone();
        std::thread::spawn(move || {
            let _ = tx.send(revisions.wait_durable(revision).is_ok());
        });
        rx
    }

    #[test]
    fn readers_wait_until_their_revision_is_durable() {
        let revisions = Arc::new(Revisions::new(5, 0));
        assert!(revisions.wait_durable(5).is_ok());
        let waiting = waiter(&revisions, 7);
        assert!(waiting.recv_timeout(Duration::from_millis(50)).is_err());
        revisions.advance(6, 0);
        assert!(waiting.recv_timeout(Duration::from_millis(50)).is_err());
        revisions.advance(7, 0);
        assert_eq!(waiting.recv_timeout(Duration::from_secs(10)), Ok(true));
    }

    #[test]
    fn a_failed_store_wakes_waiting_readers_with_the_error() {
        let revisions = Arc::new(Revisions::new(5, 0));
        let waiting = waiter(&revisions, 6);
        revisions.fail(StoreError::Closed);
        assert_eq!(waiting.recv_timeout(Duration::from_secs(10)), Ok(false));
        // What was durable before stays readable.
        assert!(revisions.wait_durable(5).is_ok());
        assert!(revisions.wait_durable(6).is_err());
    }
}
