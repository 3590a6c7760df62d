//! The conformance suite against the memory and embedded backends (with and without WAL, and
//! with redb commits only on demand).

mod memory {
    use std::sync::Arc;
    use storage::{MemoryStore, Store};

    storage::store_conformance_tests!(|| async { Arc::new(MemoryStore::new()) as Arc<dyn Store> });
}

mod embedded {
    use std::sync::Arc;
    use storage::{EmbeddedOptions, EmbeddedStore, Store};

    storage::store_conformance_tests!(|| async {
        Arc::new(EmbeddedStore::open_temporary(EmbeddedOptions::default()).unwrap())
            as Arc<dyn Store>
    });
}

mod embedded_without_wal {
    use std::sync::Arc;
    use storage::{EmbeddedOptions, EmbeddedStore, Store};

    storage::store_conformance_tests!(|| async {
        let opts = EmbeddedOptions {
            wal: false,
            ..Default::default()
        };
        Arc::new(EmbeddedStore::open_temporary(opts).unwrap()) as Arc<dyn Store>
    });
}

/// redb commits only when a reader asks for one (or a checkpoint is due): every read must
/// still see every acknowledged write.
mod embedded_commit_on_demand {
    use std::sync::Arc;
    use std::time::Duration;
    use storage::{EmbeddedOptions, EmbeddedStore, Store};

    storage::store_conformance_tests!(|| async {
        let opts = EmbeddedOptions {
            commit_interval: Duration::from_secs(3600),
            checkpoint_interval: Duration::from_secs(3600),
            ..Default::default()
        };
        Arc::new(EmbeddedStore::open_temporary(opts).unwrap()) as Arc<dyn Store>
    });
}
