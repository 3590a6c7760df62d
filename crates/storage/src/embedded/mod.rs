//! [`EmbeddedStore`]: the default, durable [`Store`] backend on a redb file and its
//! write-ahead log.
//!
//! Writes go through one writer thread doing group commit (`writer.rs`) and a second thread
//! that makes each batch durable, then publishes and answers it (`durable.rs`); the fsync of
//! one batch overlaps the apply of the next, and every acknowledged write has been fsynced.
//! Reads are redb read transactions on the caller's blocking pool
//! (`reader.rs`). History lives in its own table and is compacted automatically
//! (`compaction.rs`), so the file stays bounded under churn.
//!
//! Durability comes from a write-ahead log next to the file (`<file>.wal`, `wal.rs`), as in
//! etcd: a durable redb commit is copy-on-write and rewrites and fsyncs a few dozen scattered
//! B-tree pages, while a WAL record is one small sequential write. Each batch is written to
//! the WAL and committed to redb without fsync (`Durability::None`), then the WAL is
//! `fdatasync`ed (reads wait for that, so none sees a write a crash could lose); a
//! checkpoint (`checkpoint.rs`) commits redb durably about once a second and rewinds the WAL.
//! Opening redoes whatever the WAL holds beyond redb's durable state and checkpoints
//! (`recovery.rs`), so `kill -9` at any moment loses no acknowledged write.
//! [`EmbeddedOptions::wal`] `= false` makes every batch a durable redb commit instead.
//!
//! Opening an existing file reads only the `meta` table and the WAL (at most about one
//! checkpoint interval of writes): startup cost does not grow with the data.

mod checkpoint;
mod compaction;
mod durable;
mod reader;
mod recovery;
mod tables;
mod wal;
mod writer;

use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable};
use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::store::{
    RangeRequest, RangeResponse, Revision, Store, TxnRequest, TxnResponse, WatchRequest,
    WatchStream,
};
use crate::txn;
use crate::watch::{WatchHub, start_watch};
use checkpoint::CheckpointPolicy;
use durable::{Revisions, Syncer};
use reader::Reader;
use tables::{
    FORMAT_VERSION, FORMAT_VERSION_FULL_VALUES, FORMAT_VERSION_NO_WAL, FORMAT_VERSION_PER_REVISION,
    HISTORY, KV, META, META_COMPACTED, META_FORMAT, META_REVISION,
};
use writer::{Command, Writer};

/// Tuning of an [`EmbeddedStore`]. `Default` is what production uses.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// Make every acknowledged write durable (fsync the WAL, or the redb commit without WAL).
    /// Only tests should turn this off: then nothing is fsynced and the WAL is not written.
    pub sync_writes: bool,
    /// Make batches durable through the write-ahead log and checkpoint redb periodically
    /// (default). `false`: every batch is a durable redb commit (slower; an existing WAL is
    /// still redone on open).
    pub wal: bool,
    /// Checkpoint once the oldest un-checkpointed batch is this old (also when idle), bounding
    /// the WAL to redo on open. Default 1 s.
    pub checkpoint_interval: Duration,
    /// Checkpoint once the WAL holds this many bytes. Default 64 MiB.
    pub checkpoint_wal_bytes: u64,
    /// Maximum number of requests applied in one group commit.
    pub max_batch: usize,
    /// With the WAL: how long applied batches may wait for a (non-durable) redb commit.
    /// Readers and checkpoints ask for one at once, so this only bounds the work a commit
    /// redoes. Default 10 ms.
    pub commit_interval: Duration,
    /// Timer-driven compaction: every interval, compact to the revision that was current one
    /// interval earlier (kube-apiserver's policy). `None` disables it. Default 5 minutes.
    pub compaction_interval: Option<Duration>,
    /// Keep at most about this many revisions of history. `None` disables it. Default 100k.
    pub max_history_revisions: Option<i64>,
    /// Compacted revisions deleted per commit, to keep each commit short. Default 10k.
    pub purge_chunk: usize,
    /// Per-watcher live buffer, in group commits, before the watcher is considered lagging
    /// and catches up from history. Default 256.
    pub watch_buffer: usize,
    /// redb page cache size in bytes (`None`: redb's default).
    pub cache_size: Option<usize>,
    /// How far ahead the WAL file is zero-filled, so appends overwrite allocated blocks and
    /// their `fdatasync` is cheaper (see `wal.rs`); never past twice `checkpoint_wal_bytes`.
    /// 0 disables it. Default 1 MiB.
    pub wal_prefill: u64,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            sync_writes: true,
            wal: true,
            checkpoint_interval: Duration::from_secs(1),
            checkpoint_wal_bytes: 64 << 20,
            max_batch: 1024,
            commit_interval: Duration::from_millis(10),
            compaction_interval: Some(Duration::from_secs(300)),
            max_history_revisions: Some(100_000),
            purge_chunk: 10_000,
            watch_buffer: 256,
            cache_size: None,
            wal_prefill: 1 << 20,
        }
    }
}

/// A durable store in one redb file. Dropping it finishes pending writes, stops the writer
/// thread and ends every watch with [`StoreError::Closed`]; the file is released once the
/// last watch stream is dropped too.
pub struct EmbeddedStore {
    tx: Option<mpsc::Sender<Command>>,
    /// The readers' way to the writer (to ask for a redb commit), closed with the store.
    readers_tx: Arc<Mutex<Option<mpsc::Sender<Command>>>>,
    reader: Arc<Reader>,
    revisions: Arc<Revisions>,
    hub: Arc<WatchHub>,
    writer: Option<JoinHandle<()>>,
    syncer: Option<JoinHandle<()>>,
    /// Keeps a temporary directory alive as long as the store (see `open_temporary`).
    _guard: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl EmbeddedStore {
    /// Opens the store at `path` (and its WAL at `<path>.wal`), creating them if needed, and
    /// redoes the WAL if the last run did not end with a checkpoint.
    pub fn open(path: &Path, opts: EmbeddedOptions) -> Result<Self, StoreError> {
        let mut builder = redb::Builder::new();
        if let Some(size) = opts.cache_size {
            builder.set_cache_size(size);
        }
        let db = Arc::new(builder.create(path)?);
        init_tables(&db)?;
        let checkpoints =
            CheckpointPolicy::new(opts.checkpoint_interval, opts.checkpoint_wal_bytes);
        let use_wal = opts.wal && opts.sync_writes;
        let wal_path = wal_path(path);
        let wal = if use_wal || wal_path.exists() {
            let (mut wal, recovered) =
                recovery::recover(&db, &wal_path, checkpoints.max_file_len())?;
            wal.set_prefill(opts.wal_prefill);
            if recovered.found > 0 {
                tracing::info!(
                    found = recovered.found,
                    redone = recovered.redone,
                    revision = recovered.revision,
                    "redid the write-ahead log"
                );
            }
            use_wal.then_some(wal)
        } else {
            None
        };
        let (current, compacted) = reader::revisions_of(&db.begin_read()?)?;
        let revisions = Arc::new(Revisions::new(current, compacted));
        let (tx, rx) = mpsc::channel();
        let readers_tx = Arc::new(Mutex::new(Some(tx.clone())));
        let reader = Arc::new(Reader {
            db: db.clone(),
            revisions: revisions.clone(),
            writer: readers_tx.clone(),
        });
        let hub = Arc::new(WatchHub::new(current, opts.watch_buffer));
        let (durable_tx, durable_rx) = mpsc::sync_channel(DURABLE_QUEUE);
        let syncer = Syncer {
            rx: durable_rx,
            wal: match &wal {
                Some(wal) => Some(wal.sync_handle().map_err(StoreError::backend)?),
                None => None,
            },
            revisions: revisions.clone(),
            hub: hub.clone(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        };
        let writer = Writer {
            db,
            rx,
            durable: durable_tx,
            revisions: revisions.clone(),
            current,
            compacted,
            sync: opts.sync_writes,
            max_batch: opts.max_batch.max(1),
            purge_chunk: opts.purge_chunk,
            auto: compaction::AutoCompactor::new(
                opts.compaction_interval,
                opts.max_history_revisions,
                Instant::now(),
                current,
            ),
            wal,
            checkpoints,
            open: None,
            commit_interval: opts.commit_interval,
        };
        let syncer = std::thread::Builder::new()
            .name("storage-sync".into())
            .spawn(move || syncer.run())
            .map_err(StoreError::backend)?;
        let handle = std::thread::Builder::new()
            .name("storage-writer".into())
            .spawn(move || writer.run())
            .map_err(StoreError::backend)?;
        tracing::debug!(path = %path.display(), revision = current, compacted, "opened embedded store");
        Ok(EmbeddedStore {
            tx: Some(tx),
            readers_tx,
            reader,
            revisions,
            hub,
            writer: Some(handle),
            syncer: Some(syncer),
            _guard: None,
        })
    }

    /// Opens a store in a fresh temporary directory removed when the store is dropped.
    #[cfg(any(test, feature = "testing"))]
    pub fn open_temporary(opts: EmbeddedOptions) -> Result<Self, StoreError> {
        let dir = tempfile::tempdir().map_err(StoreError::backend)?;
        let mut store = Self::open(&dir.path().join("store.redb"), opts)?;
        store._guard = Some(Box::new(dir));
        Ok(store)
    }

    fn send(&self, cmd: Command) -> Result<(), StoreError> {
        let tx = self.tx.as_ref().ok_or(StoreError::Closed)?;
        tx.send(cmd).map_err(|_| StoreError::Closed)
    }
}

/// Batches committed but not yet durable before the writer waits for the durability stage.
const DURABLE_QUEUE: usize = 64;

/// The WAL of the store at `path`: `<path>.wal`.
fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".wal");
    PathBuf::from(name)
}

/// Creates the tables on a new file; checks the format of an existing one and upgrades an
/// older one in one atomic commit: versions 1 (no WAL) and 2 keep one history record per
/// revision, which become one-revision batch records (with their values, as version 3's);
/// version 3's records (values present) are read as they are by version 4. The WAL's format
/// did not change, so a WAL left by an older version is redone afterwards as usual.
fn init_tables(db: &Database) -> Result<(), StoreError> {
    let format = {
        let rtxn = db.begin_read()?;
        match rtxn.open_table(META) {
            Ok(meta) => meta.get(META_FORMAT)?.map(|v| v.value()),
            Err(_) => None,
        }
    };
    match format {
        Some(FORMAT_VERSION) => return Ok(()),
        Some(FORMAT_VERSION_FULL_VALUES) => {
            // Its records are valid version-4 records (values present); only the version
            // changes, so that older binaries refuse the records written from now on.
            let wtxn = db.begin_write()?;
            wtxn.open_table(META)?.insert(META_FORMAT, FORMAT_VERSION)?;
            wtxn.commit()?;
            return Ok(());
        }
        Some(FORMAT_VERSION_NO_WAL | FORMAT_VERSION_PER_REVISION) => {
            let wtxn = db.begin_write()?;
            {
                let mut history = wtxn.open_table(HISTORY)?;
                let mut next = i64::MIN;
                loop {
                    let chunk = history
                        .range(next..)?
                        .take(1024)
                        .map(|entry| {
                            let (rev, data) = entry?;
                            Ok((rev.value(), data.value().to_vec()))
                        })
                        .collect::<Result<Vec<_>, StoreError>>()?;
                    let Some((last, _)) = chunk.last() else { break };
                    next = last + 1;
                    for (rev, data) in chunk {
                        history.insert(rev, tables::encode_history(&[(rev, data)]).as_slice())?;
                    }
                }
            }
            wtxn.open_table(META)?.insert(META_FORMAT, FORMAT_VERSION)?;
            wtxn.commit()?;
            return Ok(());
        }
        Some(format) => {
            return Err(StoreError::InvalidRequest(format!(
                "unsupported store format version {format} (expected {FORMAT_VERSION})"
            )));
        }
        None => {}
    }
    let wtxn = db.begin_write()?;
    {
        wtxn.open_table(KV)?;
        wtxn.open_table(HISTORY)?;
        let mut meta = wtxn.open_table(META)?;
        meta.insert(META_REVISION, 1)?;
        meta.insert(META_COMPACTED, 0)?;
        meta.insert(META_FORMAT, FORMAT_VERSION)?;
    }
    wtxn.commit()?;
    Ok(())
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        drop(self.tx.take());
        drop(self.readers_tx.lock().take());
        // The writer ends first; its end lets the durability stage finish.
        for (handle, name) in [(self.writer.take(), "writer"), (self.syncer.take(), "sync")] {
            if let Some(handle) = handle
                && handle.join().is_err()
            {
                tracing::error!("storage {name} thread panicked");
            }
        }
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse, StoreError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || reader.range(&req))
            .await
            .map_err(StoreError::backend)?
    }

    async fn txn(&self, req: TxnRequest) -> Result<TxnResponse, StoreError> {
        txn::validate(&req)?;
        let (reply, rx) = oneshot::channel();
        self.send(Command::Txn { req, reply })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn watch(&self, req: WatchRequest) -> Result<WatchStream, StoreError> {
        let compacted = self.revisions.compacted.load(Ordering::SeqCst);
        if req.start_revision > 0 && req.start_revision < compacted {
            return Err(StoreError::Compacted {
                requested: req.start_revision,
                compact_revision: compacted,
            });
        }
        start_watch(self.hub.clone(), self.reader.clone(), req)
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Compact { revision, reply })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn current_revision(&self) -> Result<Revision, StoreError> {
        Ok(self.revisions.current.load(Ordering::SeqCst))
    }

    async fn compacted_revision(&self) -> Result<Revision, StoreError> {
        Ok(self.revisions.compacted.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_format(path: &Path, format: i64) {
        let db = Database::create(path).unwrap();
        let wtxn = db.begin_write().unwrap();
        {
            wtxn.open_table(KV).unwrap();
            wtxn.open_table(HISTORY).unwrap();
            let mut meta = wtxn.open_table(META).unwrap();
            meta.insert(META_REVISION, 5).unwrap();
            meta.insert(META_COMPACTED, 0).unwrap();
            meta.insert(META_FORMAT, format).unwrap();
        }
        wtxn.commit().unwrap();
    }

    #[test]
    fn a_file_without_wal_is_upgraded_and_an_unknown_format_refused() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = dir.path().join("v1.redb");
        with_format(&v1, FORMAT_VERSION_NO_WAL);
        let store = EmbeddedStore::open(&v1, EmbeddedOptions::default()).unwrap();
        assert_eq!(store.revisions.current.load(Ordering::SeqCst), 5);
        drop(store);
        let db = Database::create(&v1).unwrap();
        let rtxn = db.begin_read().unwrap();
        let meta = rtxn.open_table(META).unwrap();
        assert_eq!(
            meta.get(META_FORMAT).unwrap().unwrap().value(),
            FORMAT_VERSION
        );

        // version 3 (history records with every value) only changes its version
        let v3 = dir.path().join("v3.redb");
        with_format(&v3, FORMAT_VERSION_FULL_VALUES);
        drop(EmbeddedStore::open(&v3, EmbeddedOptions::default()).unwrap());
        let db = Database::create(&v3).unwrap();
        let format = db
            .begin_read()
            .unwrap()
            .open_table(META)
            .unwrap()
            .get(META_FORMAT)
            .unwrap()
            .unwrap()
            .value();
        assert_eq!(format, FORMAT_VERSION);
        drop(db);

        let v9 = dir.path().join("v9.redb");
        with_format(&v9, 9);
        assert!(EmbeddedStore::open(&v9, EmbeddedOptions::default()).is_err());
    }

    /// A version-2 file (one history record per revision) keeps serving its history, for
    /// watches and for reads at a past revision, after the upgrade.
    #[tokio::test]
    async fn a_file_with_per_revision_history_is_upgraded() {
        use crate::store::{EventType, KeyValue, WatchEvent};
        use futures::StreamExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.redb");
        let kv = |value: &'static str, mod_revision, version| KeyValue {
            key: b"/a".to_vec(),
            value: bytes::Bytes::from_static(value.as_bytes()),
            create_revision: 2,
            mod_revision,
            version,
        };
        {
            let db = Database::create(&path).unwrap();
            let wtxn = db.begin_write().unwrap();
            {
                wtxn.open_table(KV)
                    .unwrap()
                    .insert(
                        b"/a".as_slice(),
                        tables::encode_kv(&kv("two", 3, 2)).as_slice(),
                    )
                    .unwrap();
                let mut history = wtxn.open_table(HISTORY).unwrap();
                let created = WatchEvent {
                    kind: EventType::Put,
                    kv: kv("one", 2, 1),
                    prev_kv: None,
                };
                let updated = WatchEvent {
                    kind: EventType::Put,
                    kv: kv("two", 3, 2),
                    prev_kv: Some(kv("one", 2, 1)),
                };
                history
                    .insert(2, tables::encode_events(&[created]).as_slice())
                    .unwrap();
                history
                    .insert(3, tables::encode_events(&[updated]).as_slice())
                    .unwrap();
                let mut meta = wtxn.open_table(META).unwrap();
                meta.insert(META_REVISION, 3).unwrap();
                meta.insert(META_COMPACTED, 0).unwrap();
                meta.insert(META_FORMAT, FORMAT_VERSION_PER_REVISION)
                    .unwrap();
            }
            wtxn.commit().unwrap();
        }
        let store = EmbeddedStore::open(&path, EmbeddedOptions::default()).unwrap();
        let mut past = RangeRequest::key("/a");
        past.revision = 2;
        let got = store.range(past).await.unwrap();
        assert_eq!(got.kvs[0].value, "one");
        let mut watch = store.watch(WatchRequest::prefix("/a", 2)).await.unwrap();
        for (revision, value) in [(2, "one"), (3, "two")] {
            let resp = watch.next().await.unwrap().unwrap();
            assert_eq!(resp.revision, revision);
            assert_eq!(resp.events[0].kv.value, value);
        }
        // New writes go on from there, in the new format.
        let put = store.txn(TxnRequest::put("/a", "three")).await.unwrap();
        assert_eq!(put.revision, 4);
        let mut past = RangeRequest::key("/a");
        past.revision = 3;
        assert_eq!(store.range(past).await.unwrap().kvs[0].value, "two");
    }
}
