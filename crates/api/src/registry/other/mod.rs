//! Strategies of the smaller groups: autoscaling, policy, networking.

pub mod apiservice;
pub mod endpointslice;
pub mod event;
pub mod hpa;
pub mod ingress;
pub mod ingressclass;
pub mod lease;
pub mod networkpolicy;
pub mod pdb;
pub mod priorityclass;
pub mod rbac;
pub mod storage;
