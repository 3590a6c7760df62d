//! Request and response body codecs: strict JSON (duplicate-field detection
//! for `fieldValidation=Strict`), YAML in and out, and the
//! `application/vnd.kubernetes.protobuf` request decoder that turns upstream's
//! protobuf bodies into the JSON upstream would have produced.
//! Pure functions over bytes: no IO, and no knowledge of HTTP.

pub mod json;
pub mod order;
pub mod protobuf;
pub mod typed;
pub mod yaml;

pub use json::from_json_strict;
pub use yaml::{from_yaml, to_yaml};
