//! Strategies of the core (`""`) group.

pub mod configmap;
pub mod endpoints;
pub mod namespace;
pub mod node;
pub mod pod;
pub mod podspec;
pub mod podtemplate;
pub mod secret;
pub mod service;
pub mod storage;
