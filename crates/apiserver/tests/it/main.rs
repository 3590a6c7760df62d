//! In-process tests of the REST handlers over the memory store: no sockets,
//! requests go straight to `apiserver::rest::handle`.

mod bootstrap;
mod bytes;
mod hardening;
mod harness;
mod kinds;
mod rest_semantics;
mod watch_semantics;
