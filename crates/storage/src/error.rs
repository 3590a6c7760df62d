//! The one error type of the storage crate.
//!
//! Variants mirror etcd's errors (`ErrCompacted`, `ErrFutureRev`) so the apiserver maps them
//! the same way whichever backend serves it. Backend failures keep their cause as a source.

use std::sync::Arc;

use crate::store::Revision;

/// Errors returned by every [`Store`](crate::Store) operation.
///
/// Cloneable because one group commit failure is reported to every caller of the batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The requested revision is older than the compacted revision (etcd `ErrCompacted`).
    #[error(
        "required revision {requested} has been compacted (compacted revision {compact_revision})"
    )]
    Compacted {
        /// The revision the caller asked for.
        requested: Revision,
        /// The oldest revision still available.
        compact_revision: Revision,
    },
    /// The requested revision is newer than the store's current revision (etcd `ErrFutureRev`).
    #[error(
        "required revision {requested} is a future revision (current revision {current_revision})"
    )]
    FutureRevision {
        /// The revision the caller asked for.
        requested: Revision,
        /// The store's revision when the request was served.
        current_revision: Revision,
    },
    /// The request itself is malformed (empty key, duplicate key in a transaction, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The store has been closed (dropped); watches end with this error.
    #[error("store is closed")]
    Closed,
    /// The backend (disk, database engine, network) failed.
    #[error("storage backend error: {0}")]
    Backend(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps any backend error.
    pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Arc::new(err))
    }
}

macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(err: $ty) -> Self {
                StoreError::backend(redb::Error::from(err))
            }
        }
    )*};
}
from_redb!(
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError,
    redb::DatabaseError,
    redb::SetDurabilityError
);

impl From<redb::Error> for StoreError {
    fn from(err: redb::Error) -> Self {
        StoreError::backend(err)
    }
}
