//! Integration tests that run the real `capstan` binary and drive it with the
//! `kube` crate (a client we did not write) and raw HTTPS.

mod agent;
mod bootstrap;
mod conn_timeouts;
mod durability;
mod image;
mod kube_metadata;
mod kube_watch;
mod support;
