//! Strategies of the smaller groups: autoscaling, policy, networking.

pub mod hpa;
pub mod ingress;
pub mod pdb;
