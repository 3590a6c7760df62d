//! The conformance suite against the memory and embedded backends (with and without WAL).

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
