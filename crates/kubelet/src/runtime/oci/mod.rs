//! The OCI backend of [`super::Runtime`] (in progress): containers in bundles run by
//! `crun` or `runc`, root filesystems from the image store's overlay snapshots. Built so
//! far: the bundle's `config.json` ([`spec`]). The runtime calls, the sandbox namespaces,
//! the child subreaper and the logs come next; until then `capstan agent --runtime oci`
//! refuses to start.

pub mod runner;
pub mod spec;
