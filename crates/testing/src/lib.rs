//! Test support shared by Capstan's tests, fuzz targets and benchmarks.
//!
//! - [`fuzz`]: the invariants every fuzz target checks (no panic, no 5xx for anything a
//!   client sends, and anything accepted decodes into the `k8s-openapi` type of its kind),
//!   driven by the libFuzzer targets in `fuzz/` and by the short proptest runs in this
//!   crate's tests.
//! - [`kinds`]: decoding a JSON object into the `k8s-openapi` type of its kind.
//!
//! Nothing here is linked into the `capstan` binary.

pub mod fuzz;
pub mod kinds;
