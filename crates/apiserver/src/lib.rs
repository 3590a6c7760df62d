//! apiserver crate.
