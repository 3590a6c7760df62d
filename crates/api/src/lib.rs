//! Built-in resources: the resource table, per-resource strategies
//! (defaulting, validation), Table printers and the OpenAPI documents.

pub mod discovery;
pub mod openapi;
pub mod resources;

pub use resources::{RESOURCES, ResourceInfo, Subresource};
pub mod printers;
pub mod registry;
pub mod validation;
