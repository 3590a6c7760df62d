//! Opening the embedded backend: redo the WAL on top of redb's durable state, then
//! checkpoint, before the writer thread starts.
//!
//! After a crash redb opens at its last durable commit (a `Durability::None` commit lives in
//! the in-memory header only until the next durable commit writes the header; redb's design
//! notes allow a return to a later non-durable commit too, which is handled the same way).
//! The WAL frames of the epoch named in `meta` are exactly the batches committed since the
//! checkpoint that started that epoch, in order, with contiguous revisions.
//!
//! Redo is idempotent: a record only *sets* rows (a key-value, a history revision, the meta
//! revisions) or deletes keys and ranges, so it does not depend on the state it is applied to.
//! Redoing, in order, every record from any point no later than the state redb opened at
//! therefore yields the state after the last record. Records ending before redb's current
//! revision are skipped as an optimisation; a record ending at it is redone (a batch that
//! only compacts keeps the revision, and may or may not be in redb).
//!
//! A torn last frame (crash mid-append) fails its checksum and ends the log; it was never
//! acknowledged. A gap — frames starting after redb's revision, or not contiguous — means
//! lost data and fails the open rather than serving a silently wrong store.

use std::path::Path;

use redb::{Database, Durability, ReadableDatabase, WriteTransaction};

use super::checkpoint;
use super::tables::{self, HISTORY, KV, META, META_COMPACTED, META_REVISION, META_WAL_EPOCH};
use super::wal::{Wal, WalRecord};
use crate::error::StoreError;
use crate::store::{EventType, Revision};

/// What [`recover`] did, for the open log line and tests.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// Records found in the current epoch.
    pub found: usize,
    /// Records redone.
    pub redone: usize,
    /// The durable revision after recovery.
    pub revision: Revision,
}

/// Redoes the WAL at `path` into `db`, checkpoints, and returns the WAL ready for appends.
pub(crate) fn recover(
    db: &Database,
    path: &Path,
    max_file_len: u64,
) -> Result<(Wal, Recovered), StoreError> {
    let (current, epoch) = {
        let rtxn = db.begin_read()?;
        let meta = rtxn.open_table(META)?;
        let current = meta.get(META_REVISION)?.map_or(1, |v| v.value());
        let epoch = meta.get(META_WAL_EPOCH)?.map_or(0, |v| v.value());
        (current, epoch as u64)
    };
    let (mut wal, records) = Wal::open(path, epoch).map_err(StoreError::backend)?;
    let found = records.len();
    let redo_from = check_log(&records, current)?;
    if redo_from < records.len() {
        // Made durable by the checkpoint right after.
        let mut wtxn = db.begin_write()?;
        wtxn.set_durability(Durability::None)?;
        for record in &records[redo_from..] {
            redo(&wtxn, record)?;
        }
        wtxn.commit()?;
    }
    let revision = checkpoint::checkpoint(db, &mut wal, max_file_len)?;
    Ok((
        wal,
        Recovered {
            found,
            redone: records.len() - redo_from,
            revision,
        },
    ))
}

/// Checks that `records` continue redb's state at `current` without a gap; returns the index
/// of the first record to redo.
fn check_log(records: &[WalRecord], current: Revision) -> Result<usize, StoreError> {
    for pair in records.windows(2) {
        if pair[1].start != pair[0].end || pair[1].end < pair[1].start {
            return Err(corrupt(format!(
                "write-ahead log records not contiguous: revision {} then {}..{}",
                pair[0].end, pair[1].start, pair[1].end
            )));
        }
    }
    let from = records.partition_point(|r| r.end < current);
    if let Some(first) = records.get(from)
        && first.start > current
    {
        return Err(corrupt(format!(
            "write-ahead log starts at revision {} but the store is at {current}",
            first.start
        )));
    }
    Ok(from)
}

fn corrupt(msg: String) -> StoreError {
    StoreError::backend(std::io::Error::new(std::io::ErrorKind::InvalidData, msg))
}

/// Applies the effects of `record`, as the writer did, without reading the prior state.
pub(crate) fn redo(wtxn: &WriteTransaction, record: &WalRecord) -> Result<(), StoreError> {
    let mut kv = wtxn.open_table(KV)?;
    let mut history = wtxn.open_table(HISTORY)?;
    for (_, data) in &record.revisions {
        for ev in tables::decode_events(data)? {
            match ev.kind {
                EventType::Put => {
                    kv.insert(ev.kv.key.as_slice(), tables::encode_kv(&ev.kv).as_slice())?;
                }
                EventType::Delete => {
                    kv.remove(ev.kv.key.as_slice())?;
                }
            }
        }
    }
    if let Some((last, _)) = record.revisions.last() {
        history.insert(*last, tables::encode_history(&record.revisions).as_slice())?;
    }
    if let Some((from, to)) = record.purged {
        history.retain_in(from..to, |_, _| false)?;
    }
    let mut meta = wtxn.open_table(META)?;
    meta.insert(META_REVISION, record.end)?;
    meta.insert(META_COMPACTED, record.compacted)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(start: Revision, end: Revision) -> WalRecord {
        WalRecord {
            start,
            end,
            ..Default::default()
        }
    }

    #[test]
    fn log_is_redone_from_the_first_record_not_before_the_store() {
        let log = [rec(5, 7), rec(7, 7), rec(7, 9), rec(9, 10)];
        assert_eq!(check_log(&log, 5).unwrap(), 0);
        assert_eq!(check_log(&log, 6).unwrap(), 0);
        // A record ending at the store's revision may or may not be in it: redo it.
        assert_eq!(check_log(&log, 7).unwrap(), 0);
        assert_eq!(check_log(&log, 9).unwrap(), 2);
        assert_eq!(check_log(&log, 10).unwrap(), 3);
        assert_eq!(check_log(&log, 11).unwrap(), 4);
        assert_eq!(check_log(&[], 3).unwrap(), 0);
    }

    #[test]
    fn gaps_fail_the_open() {
        assert!(check_log(&[rec(6, 8)], 5).is_err());
        assert!(check_log(&[rec(5, 6), rec(7, 8)], 5).is_err());
        assert!(check_log(&[rec(5, 6), rec(6, 5)], 5).is_err());
    }
}

#[cfg(test)]
mod redo_tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use redb::{ReadableTable, ReadableTableMetadata};

    use super::*;
    use crate::embedded::{EmbeddedOptions, EmbeddedStore};
    use crate::store::{Store, TxnRequest};

    type Dump = (
        Vec<(Vec<u8>, Vec<u8>)>,
        Vec<(i64, Vec<u8>)>,
        Revision,
        Revision,
    );

    fn no_checkpoint() -> EmbeddedOptions {
        EmbeddedOptions {
            checkpoint_interval: Duration::from_secs(3600),
            purge_chunk: 3,
            ..Default::default()
        }
    }

    fn wal_of(path: &Path) -> PathBuf {
        super::super::wal_path(path)
    }

    /// Copies the store file and its WAL as a crash would leave them (nothing in flight).
    fn snapshot(path: &Path, to: &Path) -> PathBuf {
        let dest = to.join("store.redb");
        std::fs::copy(path, &dest).unwrap();
        std::fs::copy(wal_of(path), wal_of(&dest)).unwrap();
        dest
    }

    fn dump(path: &Path) -> Dump {
        let db = Database::create(path).unwrap();
        let rtxn = db.begin_read().unwrap();
        let kv = rtxn.open_table(KV).unwrap();
        let kv = kv
            .iter()
            .unwrap()
            .map(|e| {
                let (k, v) = e.unwrap();
                (k.value().to_vec(), v.value().to_vec())
            })
            .collect();
        let history = rtxn.open_table(HISTORY).unwrap();
        assert!(history.len().unwrap() > 0);
        let history = history
            .iter()
            .unwrap()
            .map(|e| {
                let (k, v) = e.unwrap();
                (k.value(), v.value().to_vec())
            })
            .collect();
        let meta = rtxn.open_table(META).unwrap();
        let current = meta.get(META_REVISION).unwrap().unwrap().value();
        let compacted = meta.get(META_COMPACTED).unwrap().unwrap().value();
        (kv, history, current, compacted)
    }

    /// Redoes `records` into the file at `path` durably, leaving the WAL epoch alone: the
    /// state a crash leaves when redb already holds part of the log.
    fn redo_into(path: &Path, records: &[WalRecord]) {
        let db = Database::create(path).unwrap();
        let wtxn = db.begin_write().unwrap();
        for r in records {
            redo(&wtxn, r).unwrap();
        }
        wtxn.commit().unwrap();
    }

    fn log_of(path: &Path) -> Vec<WalRecord> {
        let epoch = {
            let db = Database::create(path).unwrap();
            let rtxn = db.begin_read().unwrap();
            let meta = rtxn.open_table(META).unwrap();
            meta.get(META_WAL_EPOCH).unwrap().unwrap().value() as u64
        };
        Wal::open(&wal_of(path), epoch).unwrap().1
    }

    #[test]
    fn redo_is_idempotent_from_any_point_at_or_before_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let crash = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = EmbeddedStore::open(&path, no_checkpoint()).unwrap();
            for i in 0..40 {
                store
                    .txn(TxnRequest::put(format!("/k/{}", i % 7), format!("v{i}")))
                    .await
                    .unwrap();
                if i % 5 == 4 {
                    let key = format!("/k/{}", i % 3);
                    store.txn(TxnRequest::delete(key)).await.unwrap();
                }
                if i == 30 {
                    // A compaction: purges history over several chunked batches.
                    store.compact(20).await.unwrap();
                }
            }
            snapshot(&path, crash.path());
        });
        let crashed = crash.path().join("store.redb");
        let log = log_of(&crashed);
        assert!(log.len() > 40, "{} records", log.len());
        assert!(log.iter().any(|r| r.purged.is_some()));
        assert!(
            log.iter().any(|r| r.start == r.end),
            "compaction-only batches"
        );

        let expected = {
            let once = tempfile::tempdir().unwrap();
            let p = snapshot(&crashed, once.path());
            drop(EmbeddedStore::open(&p, no_checkpoint()).unwrap());
            dump(&p)
        };
        assert_eq!(expected.2, log.last().unwrap().end);
        assert!(expected.3 >= 20);
        for k in [0, 1, log.len() / 3, log.len() / 2, log.len() - 1, log.len()] {
            let copy = tempfile::tempdir().unwrap();
            let p = snapshot(&crashed, copy.path());
            redo_into(&p, &log[..k]);
            // And again: redoing a record twice changes nothing either.
            redo_into(&p, &log[k.saturating_sub(3)..k]);
            drop(EmbeddedStore::open(&p, no_checkpoint()).unwrap());
            assert_eq!(dump(&p), expected, "redb already held {k} records");
        }
    }
}
