//! The [`Store`] trait and its request/response types.
//!
//! This is the apiserver's only view of persistence. It is deliberately etcd-v3 shaped
//! (revisions, ranges with `range_end`, compare-and-swap transactions, watches from a
//! revision, compaction) so that an etcd backend can implement it one-to-one. It must not
//! know anything about Kubernetes objects: keys and values are opaque bytes.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

use crate::error::StoreError;

/// A store revision: a global counter bumped by every transaction that changes something.
///
/// Like etcd, an empty store is at revision 1 and the first write gets revision 2.
pub type Revision = i64;

/// One key with its value and its revision metadata.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyValue {
    /// The key.
    pub key: Vec<u8>,
    /// The value (empty when `keys_only` was asked for, and in delete events).
    pub value: Bytes,
    /// Revision of the transaction that created the key (0 in delete events).
    pub create_revision: Revision,
    /// Revision of the last transaction that modified the key.
    pub mod_revision: Revision,
    /// Number of modifications since creation; 1 right after creation (0 in delete events).
    pub version: i64,
}

/// A read of one key or of a key range, at the latest or at a past revision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeRequest {
    /// First key (inclusive).
    pub key: Vec<u8>,
    /// etcd semantics: `None` reads `key` alone; `Some(end)` reads `[key, end)`;
    /// `Some(vec![0])` reads every key `>= key`. See [`prefix_end`].
    pub range_end: Option<Vec<u8>>,
    /// Maximum number of keys returned; 0 means no limit.
    pub limit: usize,
    /// 0 reads the latest revision; otherwise reads the state as of that revision.
    pub revision: Revision,
    /// Return keys and metadata only, with empty values.
    pub keys_only: bool,
    /// Return only the count.
    pub count_only: bool,
}

impl RangeRequest {
    /// Reads a single key.
    pub fn key(key: impl Into<Vec<u8>>) -> Self {
        RangeRequest {
            key: key.into(),
            ..Default::default()
        }
    }

    /// Reads every key starting with `prefix`.
    pub fn prefix(prefix: impl Into<Vec<u8>>) -> Self {
        let key = prefix.into();
        let range_end = Some(prefix_end(&key));
        RangeRequest {
            key,
            range_end,
            ..Default::default()
        }
    }

    /// Sets the maximum number of keys returned.
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Reads at a past revision.
    pub fn at_revision(mut self, revision: Revision) -> Self {
        self.revision = revision;
        self
    }
}

/// The result of a [`RangeRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RangeResponse {
    /// The keys found, in key order, at most `limit`.
    pub kvs: Vec<KeyValue>,
    /// True when `limit` cut the result short.
    pub more: bool,
    /// Number of keys in the range, ignoring `limit`.
    pub count: i64,
    /// The store revision at which the read was served (the requested one, if any).
    pub revision: Revision,
}

/// A condition of a transaction; all must hold for the success branch to run.
///
/// For an absent key, revisions and version compare as 0 and `Value` never holds (as in etcd).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compare {
    /// The key's `mod_revision` equals `equals` (0: the key is absent).
    ModRevision {
        /// Key compared.
        key: Vec<u8>,
        /// Expected mod revision.
        equals: Revision,
    },
    /// The key's `create_revision` equals `equals` (0: the key is absent).
    CreateRevision {
        /// Key compared.
        key: Vec<u8>,
        /// Expected create revision.
        equals: Revision,
    },
    /// The key's `version` equals `equals` (0: the key is absent).
    Version {
        /// Key compared.
        key: Vec<u8>,
        /// Expected version.
        equals: i64,
    },
    /// The key exists and its value equals `equals`.
    Value {
        /// Key compared.
        key: Vec<u8>,
        /// Expected value.
        equals: Bytes,
    },
}

impl Compare {
    /// The key this condition is about.
    pub fn key(&self) -> &[u8] {
        match self {
            Compare::ModRevision { key, .. }
            | Compare::CreateRevision { key, .. }
            | Compare::Version { key, .. }
            | Compare::Value { key, .. } => key,
        }
    }

    /// Evaluates the condition against the key's current state.
    pub fn evaluate(&self, current: Option<&KeyValue>) -> bool {
        match self {
            Compare::ModRevision { equals, .. } => {
                current.map_or(0, |kv| kv.mod_revision) == *equals
            }
            Compare::CreateRevision { equals, .. } => {
                current.map_or(0, |kv| kv.create_revision) == *equals
            }
            Compare::Version { equals, .. } => current.map_or(0, |kv| kv.version) == *equals,
            Compare::Value { equals, .. } => current.is_some_and(|kv| kv.value == *equals),
        }
    }
}

/// One operation of a transaction branch. Operations apply in order; a key may be written
/// (put or deleted) at most once per branch, as in etcd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOp {
    /// Creates or replaces a key.
    Put {
        /// Key written.
        key: Vec<u8>,
        /// New value.
        value: Bytes,
    },
    /// Deletes a key (a no-op, without a new revision, if it is absent).
    Delete {
        /// Key deleted.
        key: Vec<u8>,
    },
    /// Reads a key, seeing earlier operations of the same transaction.
    Get {
        /// Key read.
        key: Vec<u8>,
    },
}

impl TxnOp {
    /// The key this operation is about.
    pub fn key(&self) -> &[u8] {
        match self {
            TxnOp::Put { key, .. } | TxnOp::Delete { key } | TxnOp::Get { key } => key,
        }
    }
}

/// An atomic compare-then-apply transaction (etcd `Txn`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnRequest {
    /// Conditions, all of which must hold for `success` to run.
    pub compare: Vec<Compare>,
    /// Operations run when every condition holds.
    pub success: Vec<TxnOp>,
    /// Operations run otherwise.
    pub failure: Vec<TxnOp>,
}

impl TxnRequest {
    /// An unconditional put.
    pub fn put(key: impl Into<Vec<u8>>, value: impl Into<Bytes>) -> Self {
        TxnRequest {
            success: vec![TxnOp::Put {
                key: key.into(),
                value: value.into(),
            }],
            ..Default::default()
        }
    }

    /// An unconditional delete.
    pub fn delete(key: impl Into<Vec<u8>>) -> Self {
        TxnRequest {
            success: vec![TxnOp::Delete { key: key.into() }],
            ..Default::default()
        }
    }

    /// A put that succeeds only if the key's mod revision is `mod_revision` (0: absent);
    /// on failure it returns the current value (a `Get`), like the apiserver's guaranteed update.
    pub fn compare_and_put(
        key: impl Into<Vec<u8>>,
        mod_revision: Revision,
        value: impl Into<Bytes>,
    ) -> Self {
        let key = key.into();
        TxnRequest {
            compare: vec![Compare::ModRevision {
                key: key.clone(),
                equals: mod_revision,
            }],
            success: vec![TxnOp::Put {
                key: key.clone(),
                value: value.into(),
            }],
            failure: vec![TxnOp::Get { key }],
        }
    }
}

/// The result of one [`TxnOp`], in the same position as the op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpResponse {
    /// Result of a put.
    Put {
        /// The key before the put, if it existed.
        prev_kv: Option<KeyValue>,
        /// The key after the put.
        kv: KeyValue,
    },
    /// Result of a delete.
    Delete {
        /// The key before the delete; `None` if it was absent (nothing deleted).
        prev_kv: Option<KeyValue>,
    },
    /// Result of a get.
    Get {
        /// The key, if present.
        kv: Option<KeyValue>,
    },
}

/// The result of a [`TxnRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnResponse {
    /// Whether every comparison held (the success branch ran).
    pub succeeded: bool,
    /// The revision of this transaction if it wrote something, else the store revision
    /// at which it was evaluated.
    pub revision: Revision,
    /// One response per operation of the branch that ran.
    pub responses: Vec<OpResponse>,
}

/// Kind of a [`WatchEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// The key was created or modified.
    Put,
    /// The key was deleted.
    Delete,
}

/// One change of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// Put or delete.
    pub kind: EventType,
    /// For a put, the new key-value. For a delete, the key with `mod_revision` set to the
    /// delete's revision, an empty value and zero create revision and version (as in etcd).
    pub kv: KeyValue,
    /// The key before this change, when the watch asked for `prev_kv` (and it existed).
    pub prev_kv: Option<KeyValue>,
}

/// A watch on a key or key range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchRequest {
    /// First key (inclusive).
    pub key: Vec<u8>,
    /// Same meaning as [`RangeRequest::range_end`].
    pub range_end: Option<Vec<u8>>,
    /// First revision to deliver; 0 means "changes after the current revision".
    pub start_revision: Revision,
    /// Fill [`WatchEvent::prev_kv`].
    pub prev_kv: bool,
    /// When set, the stream yields a progress notification after this long without any
    /// response (etcd's `progress_notify`, with the interval chosen by the client).
    pub progress_interval: Option<Duration>,
}

impl WatchRequest {
    /// Watches every key starting with `prefix`, from `start_revision` (0: from now).
    pub fn prefix(prefix: impl Into<Vec<u8>>, start_revision: Revision) -> Self {
        let key = prefix.into();
        let range_end = Some(prefix_end(&key));
        WatchRequest {
            key,
            range_end,
            start_revision,
            ..Default::default()
        }
    }

    /// Watches a single key, from `start_revision` (0: from now).
    pub fn key(key: impl Into<Vec<u8>>, start_revision: Revision) -> Self {
        WatchRequest {
            key: key.into(),
            start_revision,
            ..Default::default()
        }
    }

    /// Asks for `prev_kv` in events.
    pub fn with_prev_kv(mut self) -> Self {
        self.prev_kv = true;
        self
    }
}

/// One item of a [`WatchStream`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchResponse {
    /// Every event of the watched range with a revision `<= revision` has been delivered
    /// once this response is received. For an event response it is the events' revision.
    pub revision: Revision,
    /// The events of exactly one revision, in the order the transaction applied them.
    /// Empty for a progress notification.
    pub events: Vec<WatchEvent>,
}

impl WatchResponse {
    /// True for a progress notification (no events, only a revision).
    pub fn is_progress_notify(&self) -> bool {
        self.events.is_empty()
    }
}

type BoxStream = Pin<Box<dyn Stream<Item = Result<WatchResponse, StoreError>> + Send>>;

/// The stream returned by [`Store::watch`].
///
/// Yields responses in strictly increasing revision order, one revision per event response,
/// each event exactly once. Ends after yielding an error (e.g. [`StoreError::Compacted`] if it
/// fell behind past a compaction, or [`StoreError::Closed`]); the client then re-watches.
pub struct WatchStream {
    inner: BoxStream,
    progress: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl WatchStream {
    /// Wraps a backend's stream; `progress` implements [`WatchStream::request_progress`].
    pub fn new(
        inner: impl Stream<Item = Result<WatchResponse, StoreError>> + Send + 'static,
        progress: Option<Arc<dyn Fn() + Send + Sync>>,
    ) -> Self {
        WatchStream {
            inner: Box::pin(inner),
            progress,
        }
    }

    /// Asks for a progress notification (etcd `RequestProgress`): the stream will yield, after
    /// any events already due, an empty response whose revision is at least the store revision
    /// at the time of the call. Used to serve consistent reads from a watch cache.
    pub fn request_progress(&self) {
        if let Some(progress) = &self.progress {
            progress();
        }
    }
}

impl Stream for WatchStream {
    type Item = Result<WatchResponse, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream").finish_non_exhaustive()
    }
}

/// A key-value store with etcd v3 semantics. Object safe: use it as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Reads a key or a range, at the latest revision or at `req.revision`
    /// ([`StoreError::Compacted`] if older than the compacted revision,
    /// [`StoreError::FutureRevision`] if newer than the current one).
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse, StoreError>;

    /// Runs a transaction atomically. Returns once it is durable.
    async fn txn(&self, req: TxnRequest) -> Result<TxnResponse, StoreError>;

    /// Streams changes with revision `>= start_revision` (0: after the current revision) of the
    /// keys in the range. Fails with [`StoreError::Compacted`] if `start_revision` is older than
    /// the compacted revision (as in etcd, the compacted revision itself can still be watched).
    async fn watch(&self, req: WatchRequest) -> Result<WatchStream, StoreError>;

    /// Discards history older than `revision`: reads and watches at revisions `< revision`
    /// fail with [`StoreError::Compacted`] afterwards. Compacting at or below the current
    /// compacted revision fails with `Compacted`, above the current revision with
    /// `FutureRevision`.
    async fn compact(&self, revision: Revision) -> Result<(), StoreError>;

    /// The latest revision (cheap). A read issued after this returns sees at least it.
    async fn current_revision(&self) -> Result<Revision, StoreError>;

    /// The compacted revision: the oldest revision still readable (0 if never compacted).
    async fn compacted_revision(&self) -> Result<Revision, StoreError>;

    /// Convenience: reads one key at the latest revision.
    async fn get(&self, key: &[u8]) -> Result<Option<KeyValue>, StoreError> {
        let resp = self.range(RangeRequest::key(key)).await?;
        Ok(resp.kvs.into_iter().next())
    }
}

/// etcd's "range end for a prefix": the smallest key greater than every key starting with
/// `prefix`. For an empty or all-`0xff` prefix it is `[0]`, meaning "no upper bound".
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_last_byte() {
        assert_eq!(prefix_end(b"/registry/pods/"), b"/registry/pods0".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b"\xff\xff"), vec![0]);
        assert_eq!(prefix_end(b""), vec![0]);
    }

    #[test]
    fn compare_absent_key_is_zero() {
        let c = Compare::ModRevision {
            key: b"k".to_vec(),
            equals: 0,
        };
        assert!(c.evaluate(None));
        let kv = KeyValue {
            mod_revision: 5,
            ..Default::default()
        };
        assert!(!c.evaluate(Some(&kv)));
        let v = Compare::Value {
            key: b"k".to_vec(),
            equals: Bytes::new(),
        };
        assert!(!v.evaluate(None));
    }
}
