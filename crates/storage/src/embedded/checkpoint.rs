//! Checkpoints of the embedded backend: make redb durable on its own, then start a new WAL
//! epoch.
//!
//! Batches are committed to redb with `Durability::None` (visible, not fsynced) and made
//! durable by their WAL record. A checkpoint is one redb commit with `Durability::Immediate`,
//! which makes every earlier non-durable commit durable with it (redb persists a
//! non-durable commit only through the next durable one). That commit also records the
//! revision it made durable and the next WAL epoch in `meta`; only then is the WAL rewound,
//! so at every instant either redb's durable state names the old epoch (and the old frames
//! are still there to redo) or it names the new one (and the old frames are ignored).
//!
//! [`CheckpointPolicy`] decides when: once the oldest un-checkpointed record is `interval`
//! old (the timer also fires when the store is idle), or once the WAL reaches `max_bytes`.
//! It must stay rare: each checkpoint writes and fsyncs every B-tree page dirtied since the
//! previous one, on the writer thread.

use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableTable};

use super::tables::{META, META_DURABLE_REVISION, META_REVISION, META_WAL_EPOCH};
use super::wal::Wal;
use crate::error::StoreError;
use crate::store::Revision;

/// When the writer checkpoints.
pub(crate) struct CheckpointPolicy {
    interval: Duration,
    max_bytes: u64,
    /// When the oldest record not yet checkpointed was appended.
    dirty_since: Option<Instant>,
}

impl CheckpointPolicy {
    pub(crate) fn new(interval: Duration, max_bytes: u64) -> Self {
        CheckpointPolicy {
            interval,
            max_bytes: max_bytes.max(1),
            dirty_since: None,
        }
    }

    /// A record was appended at `now`.
    pub(crate) fn appended(&mut self, now: Instant) {
        self.dirty_since.get_or_insert(now);
    }

    /// When the timer wants a checkpoint, if anything awaits one.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.dirty_since.map(|t| t + self.interval)
    }

    pub(crate) fn due(&self, now: Instant, wal_len: u64) -> bool {
        self.dirty_since.is_some() && (wal_len >= self.max_bytes || self.deadline() <= Some(now))
    }

    /// A checkpoint was attempted; a failed one is retried one interval later.
    pub(crate) fn done(&mut self, now: Instant, ok: bool) {
        self.dirty_since = (!ok).then_some(now);
    }

    /// The WAL file is cut back to empty at a checkpoint once it is larger than this.
    pub(crate) fn max_file_len(&self) -> u64 {
        self.max_bytes.saturating_mul(2)
    }
}

/// Commits durably (with whatever non-durable commits precede it), records the durable
/// revision and the next epoch, and rewinds `wal` to that epoch. Returns the durable revision.
pub(crate) fn checkpoint(
    db: &Database,
    wal: &mut Wal,
    max_file_len: u64,
) -> Result<Revision, StoreError> {
    let next_epoch = wal.epoch() + 1;
    let mut wtxn = db.begin_write()?;
    wtxn.set_durability(Durability::Immediate)?;
    let revision;
    {
        let mut meta = wtxn.open_table(META)?;
        revision = meta.get(META_REVISION)?.map_or(1, |v| v.value());
        meta.insert(META_DURABLE_REVISION, revision)?;
        meta.insert(META_WAL_EPOCH, next_epoch as i64)?;
    }
    wtxn.commit()?;
    wal.rewind(next_epoch, max_file_len)
        .map_err(StoreError::backend)?;
    Ok(revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_after_interval_from_first_record_or_at_size() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut p = CheckpointPolicy::new(s, 1000);
        assert!(!p.due(t0 + s * 10, 0));
        assert_eq!(p.deadline(), None);
        p.appended(t0);
        p.appended(t0 + s / 2);
        assert_eq!(p.deadline(), Some(t0 + s));
        assert!(!p.due(t0 + s / 2, 10));
        assert!(p.due(t0 + s / 2, 1000));
        assert!(p.due(t0 + s, 10));
        p.done(t0 + s, true);
        assert_eq!(p.deadline(), None);
        p.appended(t0 + s * 2);
        p.done(t0 + s * 3, false);
        assert_eq!(p.deadline(), Some(t0 + s * 4));
    }
}
