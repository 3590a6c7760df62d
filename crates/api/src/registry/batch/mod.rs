//! Strategies of the `batch` group.

pub mod cronjob;
pub mod job;
