//! The Kubernetes-compatible API server: HTTPS with x509 client
//! authentication, the authn -> authz -> admission -> handler pipeline, REST
//! handlers for every built-in resource, the watch cache, discovery and
//! OpenAPI. It is the only component that talks to the store.

pub mod auth;
pub mod bootstrap;
pub mod cached;
pub mod coalesce;
pub mod conn_timeouts;
pub mod conversion;
pub mod fieldvalidation;
pub mod filter;
pub mod handler;
pub mod managed;
pub mod meta;
pub mod metrics;
pub mod negotiation;
pub mod node_authz;
pub mod partial;
pub mod patching;
pub mod pki;
pub mod pluck;
pub mod request_info;
pub mod response;
pub mod rest;
pub mod server;
pub mod tls;
pub mod watchcache;

pub use server::{ApiServer, Config, Running, serve};
