//! Service address allocation, as kube-apiserver's service registry does it:
//! a ClusterIP from the service CIDR and node ports from the node port range,
//! each reserved by a create-if-absent key in the store so concurrent creates
//! can never get the same one, and released when the Service is deleted.

use std::net::Ipv4Addr;

use apimachinery::ApiError;
use apimachinery::field::{FieldError, FieldPath};
use serde_json::{Value, json};
use storage::{Compare, TxnOp, TxnRequest};

use crate::server::ApiServer;

/// Where IP reservations live (outside every resource prefix, so not cached).
const IP_PREFIX: &str = "/registry/capstan/serviceips/";
/// Where node port reservations live.
const PORT_PREFIX: &str = "/registry/capstan/servicenodeports/";

/// The service address ranges.
#[derive(Debug, Clone)]
pub struct ServiceRanges {
    /// Network address of the service CIDR.
    pub net: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
    /// Node port range (inclusive).
    pub node_ports: (u16, u16),
}

impl Default for ServiceRanges {
    fn default() -> Self {
        // k3s' defaults
        Self {
            net: Ipv4Addr::new(10, 43, 0, 0),
            prefix: 16,
            node_ports: (30000, 32767),
        }
    }
}

impl ServiceRanges {
    /// Parse `10.43.0.0/16`.
    pub fn parse_cidr(cidr: &str) -> Result<(Ipv4Addr, u8), String> {
        let (ip, len) = cidr
            .split_once('/')
            .ok_or_else(|| format!("service CIDR {cidr:?} lacks a /prefix"))?;
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("service CIDR {cidr:?}: bad address"))?;
        let len: u8 = len
            .parse()
            .map_err(|_| format!("service CIDR {cidr:?}: bad prefix"))?;
        if !(8..=30).contains(&len) {
            return Err(format!(
                "service CIDR {cidr:?}: the prefix must be between /8 and /30"
            ));
        }
        let mask = u32::MAX << (32 - len);
        Ok((Ipv4Addr::from(u32::from(ip) & mask), len))
    }

    fn size(&self) -> u32 {
        1u32 << (32 - self.prefix)
    }

    fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX << (32 - self.prefix);
        u32::from(ip) & mask == u32::from(self.net)
    }

    /// The first usable address (the `kubernetes` Service's).
    pub fn first(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.net) + 1)
    }
}

fn field_err(field: &str, value: &str, detail: String) -> FieldError {
    let mut p = FieldPath::root("spec");
    for part in field.split('.') {
        p = p.child(part);
    }
    FieldError::invalid(&p, value, detail)
}

async fn reserve(server: &ApiServer, key: String, owner: &str) -> Result<bool, ApiError> {
    let txn = TxnRequest {
        compare: vec![Compare::ModRevision {
            key: key.clone().into_bytes(),
            equals: 0,
        }],
        success: vec![TxnOp::Put {
            key: key.into_bytes(),
            value: owner.to_string().into_bytes().into(),
        }],
        failure: vec![],
    };
    let r = server
        .store
        .txn(txn)
        .await
        .map_err(super::store::store_error)?;
    Ok(r.succeeded)
}

/// Reserve `key` (or, in a dry run, check it is free); remember what was reserved.
async fn claim(
    server: &ApiServer,
    key: String,
    owner: &str,
    dry_run: bool,
    reserved: &mut Vec<String>,
) -> Result<bool, ApiError> {
    if dry_run {
        return Ok(!taken(server, &key).await?);
    }
    let ok = reserve(server, key.clone(), owner).await?;
    if ok {
        reserved.push(key);
    }
    Ok(ok)
}

async fn taken(server: &ApiServer, key: &str) -> Result<bool, ApiError> {
    Ok(server
        .store
        .get(key.as_bytes())
        .await
        .map_err(super::store::store_error)?
        .is_some())
}

/// Allocate what a new Service needs (unless `dry_run`, reserving it).
/// Returns the invalid-field errors upstream reports for bad requests.
pub async fn allocate(
    server: &ApiServer,
    svc: &mut Value,
    dry_run: bool,
) -> Result<Vec<FieldError>, ApiError> {
    let ranges = &server.service_ranges;
    let owner = format!("{}/{}", crate::meta::namespace(svc), crate::meta::name(svc));
    let ty = svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    let mut errs = Vec::new();
    let mut reserved: Vec<String> = Vec::new();
    if ty != "ExternalName" {
        let requested = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let ip = if requested == "None" {
            Some("None".to_string())
        } else if !requested.is_empty() {
            match requested.parse::<Ipv4Addr>() {
                Ok(ip) if ranges.contains(ip) => {
                    let key = format!("{IP_PREFIX}{ip}");
                    if claim(server, key, &owner, dry_run, &mut reserved).await? {
                        Some(requested.clone())
                    } else {
                        errs.push(field_err("clusterIPs", &requested, format!("failed to allocate IP {requested}: provided IP is already allocated")));
                        None
                    }
                }
                Ok(_) => {
                    errs.push(field_err(
                        "clusterIPs",
                        &requested,
                        format!("failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {}/{}", ranges.net, ranges.prefix),
                    ));
                    None
                }
                Err(_) => None, // validation reports malformed addresses
            }
        } else {
            let size = ranges.size();
            let mut found = None;
            // random probing, then a sweep, skipping the network, first and broadcast addresses
            let start = rand::random_range(2..size - 1);
            for i in 0..(size - 3) {
                let off = 2 + (start - 2 + i) % (size - 3);
                let ip = Ipv4Addr::from(u32::from(ranges.net) + off);
                let key = format!("{IP_PREFIX}{ip}");
                if claim(server, key, &owner, dry_run, &mut reserved).await? {
                    found = Some(ip.to_string());
                    break;
                }
            }
            if found.is_none() {
                return Err(ApiError::internal(
                    "failed to allocate a serviceIP: range is full",
                ));
            }
            found
        };
        if let Some(ip) = ip {
            svc["spec"]["clusterIP"] = json!(ip);
            svc["spec"]["clusterIPs"] = json!([ip]);
        }
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        let (lo, hi) = ranges.node_ports;
        let n = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map(|a| a.len())
            .unwrap_or(0);
        for i in 0..n {
            let want = svc["spec"]["ports"][i]
                .get("nodePort")
                .and_then(Value::as_u64)
                .unwrap_or(0) as u16;
            let port = if want != 0 {
                let key = format!("{PORT_PREFIX}{want}");
                if !(lo..=hi).contains(&want) {
                    errs.push(field_err(&format!("ports[{i}].nodePort"), &want.to_string(), format!("provided port is not in the valid range. The range of valid ports is {lo}-{hi}")));
                    continue;
                }
                if !claim(server, key, &owner, dry_run, &mut reserved).await? {
                    errs.push(field_err(
                        &format!("ports[{i}].nodePort"),
                        &want.to_string(),
                        "provided port is already allocated".into(),
                    ));
                    continue;
                }
                want
            } else {
                let span = (hi - lo + 1) as u32;
                let start = rand::random_range(0..span);
                let mut got = None;
                for k in 0..span {
                    let p = lo + ((start + k) % span) as u16;
                    let key = format!("{PORT_PREFIX}{p}");
                    if claim(server, key, &owner, dry_run, &mut reserved).await? {
                        got = Some(p);
                        break;
                    }
                }
                got.ok_or_else(|| {
                    ApiError::internal("failed to allocate a nodePort: range is full")
                })?
            };
            svc["spec"]["ports"][i]["nodePort"] = json!(port);
        }
    }
    if !errs.is_empty() {
        release_keys(server, reserved).await;
    }
    Ok(errs)
}

async fn release_keys(server: &ApiServer, keys: Vec<String>) {
    for k in keys {
        let _ = server.store.txn(TxnRequest::delete(k.into_bytes())).await;
    }
}

/// Release everything a Service held (after it was deleted, or when its create failed).
pub async fn release(server: &ApiServer, svc: &Value) {
    let mut keys = Vec::new();
    if let Some(ips) = svc.pointer("/spec/clusterIPs").and_then(Value::as_array) {
        keys.extend(
            ips.iter()
                .filter_map(Value::as_str)
                .filter(|s| *s != "None")
                .map(|ip| format!("{IP_PREFIX}{ip}")),
        );
    }
    if let Some(ports) = svc.pointer("/spec/ports").and_then(Value::as_array) {
        keys.extend(
            ports
                .iter()
                .filter_map(|p| p.get("nodePort")?.as_u64())
                .map(|p| format!("{PORT_PREFIX}{p}")),
        );
    }
    release_keys(server, keys).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parsing() {
        let (ip, len) = ServiceRanges::parse_cidr("10.43.7.9/16").unwrap();
        assert_eq!((ip, len), (Ipv4Addr::new(10, 43, 0, 0), 16));
        assert!(ServiceRanges::parse_cidr("10.43.0.0").is_err());
        let r = ServiceRanges {
            net: ip,
            prefix: len,
            node_ports: (30000, 32767),
        };
        assert!(r.contains(Ipv4Addr::new(10, 43, 200, 1)));
        assert!(!r.contains(Ipv4Addr::new(10, 44, 0, 1)));
        assert_eq!(r.first(), Ipv4Addr::new(10, 43, 0, 1));
    }
}
