//! Test support for [`Store`](crate::Store) backends (feature `testing`).
//!
//! [`suite`] is the conformance suite: every backend (memory, embedded, later etcd) must
//! pass it. Run it with [`store_conformance_tests!`](crate::store_conformance_tests), which
//! expands to one `#[tokio::test]` per case (the calling crate needs `tokio` as a
//! dev-dependency):
//!
//! ```ignore
//! storage::store_conformance_tests!(|| async {
//!     std::sync::Arc::new(storage::MemoryStore::new()) as std::sync::Arc<dyn storage::Store>
//! });
//! ```
//! Each case gets a fresh, empty store from the factory.

pub mod suite;

/// Expands to one `#[tokio::test]` per conformance case, each with a fresh store from
/// `$factory` (an expression callable as `$factory().await -> Arc<dyn Store>`).
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr) => {
        $crate::store_conformance_tests!(@cases $factory;
            create_if_absent,
            cas_update,
            delete_key,
            revisions_and_versions,
            range_prefix_limit_count,
            range_at_revision,
            keys_only_and_count_only,
            txn_branches_and_gets,
            invalid_requests,
            watch_from_revision,
            watch_from_now,
            watch_single_key,
            watch_compacted_revision,
            watch_concurrent_writers,
            watch_slow_consumer_catches_up,
            watch_progress,
            compaction,
            concurrent_cas_contention
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let store = ($factory)().await;
                $crate::testing::suite::$case(store).await;
            }
        )*
    };
}
