//! Endpoints (upstream `ValidateEndpoints`): each address a valid IP that is not special
//! (unspecified, loopback, link-local, link-local multicast), each port in range with a
//! known protocol, and port names unique and valid when there are several.

use std::net::IpAddr;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::Value;

use crate::registry::{Strategy, common};
use crate::validation::NameRule;
use crate::validation::pod::PROTOCOLS;
use crate::validation::value::{arr_at, get, str_at};

/// The endpoints strategy.
pub struct EndpointsStrategy;

/// upstream's `ValidateNonSpecialIP` messages for an address an endpoint may not have.
fn special_ip(ip: &IpAddr) -> Option<&'static str> {
    let (unspecified, loopback, link_local, multicast) = match ip {
        IpAddr::V4(v) => (
            v.is_unspecified(),
            v.is_loopback(),
            v.is_link_local(),
            v.octets()[..3] == [224, 0, 0],
        ),
        IpAddr::V6(v) => (
            v.is_unspecified(),
            v.is_loopback(),
            (v.segments()[0] & 0xffc0) == 0xfe80,
            (v.segments()[0] & 0xff0f) == 0xff02,
        ),
    };
    if unspecified {
        Some("may not be unspecified (0.0.0.0, ::)")
    } else if loopback {
        Some("may not be in the loopback range (127.0.0.0/8, ::1/128)")
    } else if link_local {
        Some("may not be in the link-local range (169.254.0.0/16, fe80::/10)")
    } else if multicast {
        Some("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
    } else {
        None
    }
}

fn validate_subsets(obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let sp = FieldPath::root("subsets");
    for (i, subset) in arr_at(obj, &["subsets"]).iter().enumerate() {
        let p = sp.index(i);
        for field in ["addresses", "notReadyAddresses"] {
            for (j, a) in arr_at(subset, &[field]).iter().enumerate() {
                let ap = p.child(field).index(j).child("ip");
                let ip = str_at(a, &["ip"]);
                match ip.parse::<IpAddr>() {
                    Err(_) => errs.push(FieldError::invalid(
                        &ap,
                        ip,
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    )),
                    Ok(parsed) => {
                        if let Some(m) = special_ip(&parsed) {
                            errs.push(FieldError::invalid(&ap, ip, m));
                        }
                    }
                }
            }
        }
        let ports = arr_at(subset, &["ports"]);
        let mut names: Vec<&str> = Vec::new();
        for (j, port) in ports.iter().enumerate() {
            let pp = p.child("ports").index(j);
            let name = str_at(port, &["name"]);
            if ports.len() > 1 {
                if name.is_empty() {
                    errs.push(FieldError::required(&pp.child("name"), ""));
                } else if names.contains(&name) {
                    errs.push(FieldError::duplicate(&pp.child("name"), name));
                }
            }
            if !name.is_empty() {
                for m in apimachinery::validation::is_dns1123_label(name) {
                    errs.push(FieldError::invalid(&pp.child("name"), name, m));
                }
            }
            names.push(name);
            let number = get(port, &["port"]).and_then(Value::as_i64).unwrap_or(0);
            if !(1..=65535).contains(&number) {
                errs.push(FieldError::invalid_number(
                    &pp.child("port"),
                    number,
                    "must be between 1 and 65535, inclusive",
                ));
            }
            let proto = str_at(port, &["protocol"]);
            if proto.is_empty() {
                errs.push(FieldError::required(&pp.child("protocol"), ""));
            } else if !PROTOCOLS.contains(&proto) {
                errs.push(FieldError::not_supported(
                    &pp.child("protocol"),
                    proto,
                    PROTOCOLS,
                ));
            }
        }
    }
    errs
}

impl Strategy for EndpointsStrategy {
    fn default(&self, obj: &mut Value) {
        // ports' protocol defaults to TCP
        for subset in obj
            .get_mut("subsets")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            for port in subset
                .get_mut("ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(m) = port.as_object_mut() {
                    m.entry("protocol").or_insert_with(|| "TCP".into());
                }
            }
        }
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        common::validate_meta_and(obj, true, NameRule::Dns1123Subdomain, validate_subsets)
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        common::validate_meta_update_and(new, old, validate_subsets)
    }
}
