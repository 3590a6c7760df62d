//! The conformance suite against the memory and embedded backends.

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
