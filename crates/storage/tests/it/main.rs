//! Integration tests of the storage crate: the conformance suite against both backends,
//! durability under SIGKILL, WAL recovery, bounded file size under churn, reopen, and throughput.

mod conformance;
mod durability;
mod embedded;
mod throughput;
mod wal;
