//! Pure Kubernetes API machinery: `Status` errors, field paths, the upstream
//! type schema, label and field selectors, name and label validators, patch
//! engines and codecs. Nothing here does IO; everything is tested without sockets.

pub mod codec;
pub mod errors;
pub mod field;
pub mod gofmt;
pub mod patch;
pub mod quantity;
pub mod schema;
pub mod selectors;
pub mod validation;

pub use errors::{ApiError, GroupResource};
pub use schema::{Gvk, Schema};
