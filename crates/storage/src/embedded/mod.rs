//! [`EmbeddedStore`]: the default, durable [`Store`] backend on a single redb file.
//!
//! Writes go through one writer thread doing group commit (`writer.rs`); every acknowledged
//! write has been fsynced. Reads are redb read transactions on the caller's blocking pool
//! (`reader.rs`). History lives in its own table and is compacted automatically
//! (`compaction.rs`), so the file stays bounded under churn. Opening an existing file reads
//! only the `meta` table: startup cost does not grow with the data.

mod compaction;
mod reader;
mod tables;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redb::{Database, ReadableDatabase};
use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::store::{
    RangeRequest, RangeResponse, Revision, Store, TxnRequest, TxnResponse, WatchRequest,
    WatchStream,
};
use crate::txn;
use crate::watch::{WatchHub, start_watch};
use reader::Reader;
use tables::{FORMAT_VERSION, HISTORY, KV, META, META_COMPACTED, META_FORMAT, META_REVISION};
use writer::{Command, Revisions, Writer};

/// Tuning of an [`EmbeddedStore`]. `Default` is what production uses.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// fsync every commit (`Durability::Immediate`). Only tests should turn this off.
    pub sync_writes: bool,
    /// Maximum number of requests applied in one group commit.
    pub max_batch: usize,
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
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            sync_writes: true,
            max_batch: 1024,
            compaction_interval: Some(Duration::from_secs(300)),
            max_history_revisions: Some(100_000),
            purge_chunk: 10_000,
            watch_buffer: 256,
            cache_size: None,
        }
    }
}

/// A durable store in one redb file. Dropping it finishes pending writes, stops the writer
/// thread and ends every watch with [`StoreError::Closed`]; the file is released once the
/// last watch stream is dropped too.
pub struct EmbeddedStore {
    tx: Option<mpsc::Sender<Command>>,
    reader: Arc<Reader>,
    revisions: Arc<Revisions>,
    hub: Arc<WatchHub>,
    writer: Option<JoinHandle<()>>,
    /// Keeps a temporary directory alive as long as the store (see `open_temporary`).
    _guard: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl EmbeddedStore {
    /// Opens the store at `path`, creating the file if needed.
    pub fn open(path: &Path, opts: EmbeddedOptions) -> Result<Self, StoreError> {
        let mut builder = redb::Builder::new();
        if let Some(size) = opts.cache_size {
            builder.set_cache_size(size);
        }
        let db = Arc::new(builder.create(path)?);
        init_tables(&db)?;
        let reader = Arc::new(Reader { db: db.clone() });
        let (current, compacted) = reader.revisions()?;
        let revisions = Arc::new(Revisions::default());
        revisions.current.store(current, Ordering::SeqCst);
        revisions.compacted.store(compacted, Ordering::SeqCst);
        let hub = Arc::new(WatchHub::new(current, opts.watch_buffer));
        let (tx, rx) = mpsc::channel();
        let writer = Writer {
            db,
            rx,
            revisions: revisions.clone(),
            hub: hub.clone(),
            sync: opts.sync_writes,
            max_batch: opts.max_batch.max(1),
            purge_chunk: opts.purge_chunk,
            auto: compaction::AutoCompactor::new(
                opts.compaction_interval,
                opts.max_history_revisions,
                Instant::now(),
                current,
            ),
        };
        let handle = std::thread::Builder::new()
            .name("storage-writer".into())
            .spawn(move || writer.run())
            .map_err(StoreError::backend)?;
        tracing::debug!(path = %path.display(), revision = current, compacted, "opened embedded store");
        Ok(EmbeddedStore {
            tx: Some(tx),
            reader,
            revisions,
            hub,
            writer: Some(handle),
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

/// Creates the tables on a new file; checks the format of an existing one.
fn init_tables(db: &Database) -> Result<(), StoreError> {
    {
        let rtxn = db.begin_read()?;
        if let Ok(meta) = rtxn.open_table(META)
            && let Some(format) = meta.get(META_FORMAT)?
        {
            let format = format.value();
            if format != FORMAT_VERSION {
                return Err(StoreError::InvalidRequest(format!(
                    "unsupported store format version {format} (expected {FORMAT_VERSION})"
                )));
            }
            return Ok(());
        }
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
        if let Some(handle) = self.writer.take()
            && handle.join().is_err()
        {
            tracing::error!("storage writer thread panicked");
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
