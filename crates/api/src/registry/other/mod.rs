//! Strategies of the smaller groups: autoscaling, policy, networking.

pub mod apiservice;
pub mod event;
pub mod hpa;
pub mod ingress;
pub mod pdb;
pub mod rbac;
