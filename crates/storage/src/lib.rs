//! Capstan's persistence: the [`Store`] trait with etcd v3 semantics and its backends.
//!
//! The apiserver talks only to `Arc<dyn Store>`. Backends:
//! - [`embedded::EmbeddedStore`] — the default: a redb file, group commit, fsync per
//!   acknowledged write, automatic compaction.
//! - [`memory::MemoryStore`] — in-memory, same semantics, for other crates' unit tests.
//!
//! An etcd backend can implement the same trait; [`testing::suite`] (feature `testing`) is
//! the conformance suite every backend must pass. This crate knows nothing of Kubernetes
//! objects: keys and values are opaque bytes.

pub mod embedded;
mod error;
mod keyrange;
pub mod memory;
mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod txn;
mod watch;

pub use embedded::{EmbeddedOptions, EmbeddedStore};
pub use error::StoreError;
pub use memory::MemoryStore;
pub use store::{
    Compare, EventType, KeyValue, OpResponse, RangeRequest, RangeResponse, Revision, Store, TxnOp,
    TxnRequest, TxnResponse, WatchEvent, WatchRequest, WatchResponse, WatchStream, prefix_end,
};
