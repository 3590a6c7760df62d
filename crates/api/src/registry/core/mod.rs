//! Strategies of the core (`""`) group.

pub mod configmap;
pub mod endpoints;
pub mod event;
pub mod limitrange;
pub mod namespace;
pub mod node;
pub mod pod;
pub mod podspec;
pub mod podtemplate;
pub mod quota;
pub mod secret;
pub mod service;
pub mod serviceaccount;
pub mod storage;
