//! EndpointSlices (upstream `pkg/registry/discovery/endpointslice/strategy.go` and
//! `pkg/apis/discovery/validation`): ports default to name `""` and protocol TCP; the
//! generation is 1 on create and bumped when anything but the metadata (or the labels)
//! changes; writes through v1 drop `deprecatedTopology` (keeping a node name recorded
//! there as `nodeName` when the endpoints change); validation checks the address type,
//! each address by that type, node names, topology labels, hostnames, hints and ports.
//!
//! Also home of the IP and CIDR parsing the networking kinds share: Go's "sloppy"
//! parsers (`netutils.ParseIPSloppy`/`ParseCIDRSloppy`, which accept IPv4 octets with
//! leading zeros) and the strict checks upstream applies on top of them
//! (`StrictIPCIDRValidation`, on by default).

use std::net::IpAddr;

use apimachinery::field::{ErrorKind, ErrorList, FieldError, FieldPath};
use serde_json::{Map, Value};

use crate::registry::{Strategy, common};
use crate::validation::value::{arr_at, get, get_mut, obj_at, str_at};
use crate::validation::{IMMUTABLE, NameRule, names, validate_labels, validate_object_meta};

/// The endpointslices strategy.
pub struct EndpointSliceStrategy;

const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const MAX_TOPOLOGY_LABELS: usize = 16;
const MAX_ADDRESSES: usize = 100;
const MAX_PORTS: usize = 20000;
const MAX_ENDPOINTS: usize = 1000;
const MAX_ZONE_HINTS: usize = 8;
const MAX_NODE_HINTS: usize = 8;
const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
const LABEL_ZONE: &str = "topology.kubernetes.io/zone";

// ---------------------------------------------------------------------------
// IP and CIDR parsing

/// Decimal digits at the start of `s` (Go's `dtoi`): the value and how many bytes it took.
fn leading_decimal(s: &[u8]) -> Option<(u32, usize)> {
    let mut n: u32 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        n = n * 10 + u32::from(s[i] - b'0');
        if n >= 0xFF_FFFF {
            return None;
        }
        i += 1;
    }
    (i > 0).then_some((n, i))
}

/// Hex digits at the start of `s` (Go's `xtoi`).
fn leading_hex(s: &[u8]) -> Option<(u32, usize)> {
    let mut n: u32 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_hexdigit() {
        n = n * 16 + (s[i] as char).to_digit(16).unwrap_or(0);
        if n >= 0xFF_FFFF {
            return None;
        }
        i += 1;
    }
    (i > 0).then_some((n, i))
}

/// A dotted-quad IPv4 address, octets in decimal with any number of leading zeros.
fn parse_ipv4_sloppy(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut rest = s;
    for (i, octet) in out.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(b".")?;
        }
        let (n, used) = leading_decimal(rest)?;
        *octet = u8::try_from(n).ok()?;
        rest = &rest[used..];
    }
    rest.is_empty().then_some(out)
}

/// An IPv6 address (with an optional trailing dotted quad), as Go 1.16's parser reads it.
fn parse_ipv6_sloppy(s: &[u8]) -> Option<[u8; 16]> {
    let mut ip = [0u8; 16];
    let mut rest = s;
    let mut ellipsis: Option<usize> = None;
    if rest.starts_with(b"::") {
        ellipsis = Some(0);
        rest = &rest[2..];
        if rest.is_empty() {
            return Some(ip);
        }
    }
    let mut i = 0;
    while i < 16 {
        let (n, used) = leading_hex(rest)?;
        if n > 0xFFFF {
            return None;
        }
        if rest.get(used) == Some(&b'.') {
            if (ellipsis.is_none() && i != 12) || i + 4 > 16 {
                return None;
            }
            let v4 = parse_ipv4_sloppy(rest)?;
            ip[i..i + 4].copy_from_slice(&v4);
            rest = &[];
            i += 4;
            break;
        }
        ip[i] = (n >> 8) as u8;
        ip[i + 1] = n as u8;
        i += 2;
        rest = &rest[used..];
        if rest.is_empty() {
            break;
        }
        if rest[0] != b':' || rest.len() == 1 {
            return None;
        }
        rest = &rest[1..];
        if rest[0] == b':' {
            if ellipsis.is_some() {
                return None;
            }
            ellipsis = Some(i);
            rest = &rest[1..];
            if rest.is_empty() {
                break;
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    if i < 16 {
        let e = ellipsis?;
        let shift = 16 - i;
        for j in (e..i).rev() {
            ip[j + shift] = ip[j];
        }
        for b in ip.iter_mut().skip(e).take(shift) {
            *b = 0;
        }
    } else if ellipsis.is_some() {
        return None;
    }
    Some(ip)
}

/// `[0,0,0,0,0,0,0,0,0,0,0xff,0xff,a,b,c,d]` for an IPv4 address.
fn v4_in_16(v4: [u8; 4]) -> [u8; 16] {
    let mut ip = [0u8; 16];
    ip[10] = 0xff;
    ip[11] = 0xff;
    ip[12..].copy_from_slice(&v4);
    ip
}

/// The IPv4 form of a 16-byte address, if it is one (Go's `IP.To4`).
fn to4(ip: &[u8; 16]) -> Option<[u8; 4]> {
    (ip[..10].iter().all(|b| *b == 0) && ip[10] == 0xff && ip[11] == 0xff)
        .then(|| [ip[12], ip[13], ip[14], ip[15]])
}

/// Go's `netutils.ParseIPSloppy`, as a 16-byte address (IPv4 in IPv4-mapped form).
pub(crate) fn parse_ip_sloppy(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    match b.iter().find(|c| **c == b'.' || **c == b':') {
        Some(b'.') => parse_ipv4_sloppy(b).map(v4_in_16),
        Some(b':') => parse_ipv6_sloppy(b),
        _ => None,
    }
}

/// The strict-parsing problem with an address the sloppy parser accepts
/// (`netip.ParseAddr` fails: leading zeros; or an IPv4-mapped IPv6 address).
fn strict_ip_problem(s: &str) -> Option<&'static str> {
    match s.parse::<IpAddr>() {
        Err(_) => Some("must not have leading 0s"),
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_some() => {
            Some("must not be an IPv4-mapped IPv6 address")
        }
        Ok(_) => None,
    }
}

/// A CIDR value as Go's `netutils.ParseCIDRSloppy` reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SloppyCidr {
    /// The address as written (16-byte form).
    pub ip: [u8; 16],
    /// The address with the bits after the prefix cleared (16-byte form).
    pub net: [u8; 16],
    /// The prefix length.
    pub prefix: u32,
    /// The address was written as IPv4 (the mask is 32 bits long).
    pub v4: bool,
}

impl SloppyCidr {
    /// Go's `IPNet.Contains` for another network's (masked) address.
    pub fn contains(&self, other: &[u8; 16]) -> bool {
        let mask = mask_bytes(self.prefix, self.v4);
        let (nn, m): (Vec<u8>, Vec<u8>) = match to4(&self.net) {
            Some(v4) => (v4.to_vec(), mask[mask.len() - 4..].to_vec()),
            None if self.v4 => return false,
            None => (self.net.to_vec(), mask.to_vec()),
        };
        let ip: Vec<u8> = match to4(other) {
            Some(v4) => v4.to_vec(),
            None => other.to_vec(),
        };
        ip.len() == nn.len() && (0..ip.len()).all(|i| nn[i] & m[i] == ip[i] & m[i])
    }
}

/// The mask of a prefix: 4 bytes for an IPv4 CIDR, 16 otherwise.
fn mask_bytes(prefix: u32, v4: bool) -> Vec<u8> {
    let len = if v4 { 4 } else { 16 };
    (0..len)
        .map(|i| {
            let bits = prefix.saturating_sub(i * 8).min(8);
            if bits == 0 { 0 } else { 0xffu8 << (8 - bits) }
        })
        .collect()
}

/// Go's `netutils.ParseCIDRSloppy`.
pub(crate) fn parse_cidr_sloppy(s: &str) -> Option<SloppyCidr> {
    let (addr, bits) = s.split_once('/')?;
    let (ip, v4) = match parse_ipv4_sloppy(addr.as_bytes()) {
        Some(v4) => (v4_in_16(v4), true),
        None => (parse_ipv6_sloppy(addr.as_bytes())?, false),
    };
    let (n, used) = leading_decimal(bits.as_bytes())?;
    let max = if v4 { 32 } else { 128 };
    if used != bits.len() || n > max {
        return None;
    }
    let mask = mask_bytes(n, v4);
    let mut net = ip;
    let off = 16 - mask.len();
    for (i, m) in mask.iter().enumerate() {
        net[off + i] &= m;
    }
    Some(SloppyCidr {
        ip,
        net,
        prefix: n,
        v4,
    })
}

/// upstream's `IsValidCIDR` for a legacy field: the sloppy parse, and unless `legacy`
/// the strict checks (no leading zeros, no IPv4-mapped address, no bits set after the prefix).
pub(crate) fn validate_cidr(value: &str, p: &FieldPath, legacy: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(c) = parse_cidr_sloppy(value) else {
        errs.push(FieldError::invalid(
            p,
            value,
            "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
        ));
        return errs;
    };
    if legacy {
        return errs;
    }
    if !strict_prefix_parses(value) {
        errs.push(FieldError::invalid(
            p,
            value,
            "must not have leading 0s in IP or prefix length",
        ));
    } else if value
        .rsplit_once('/')
        .and_then(|(a, _)| a.parse::<IpAddr>().ok())
        .is_some_and(|a| matches!(a, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some()))
    {
        errs.push(FieldError::invalid(
            p,
            value,
            "must not have an IPv4-mapped IPv6 address",
        ));
    }
    if c.ip != c.net {
        errs.push(FieldError::invalid(
            p,
            value,
            "must not have bits set beyond the prefix length",
        ));
    }
    errs
}

/// `netip.ParsePrefix` succeeds: a strict address and a prefix length without leading zeros.
fn strict_prefix_parses(value: &str) -> bool {
    let Some((addr, bits)) = value.rsplit_once('/') else {
        return false;
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && (bits == "0" || !bits.starts_with('0'))
        && bits.parse::<u32>().is_ok_and(|n| n <= max)
}

/// upstream's `ValidateEndpointIP`: an address an endpoint may not have
/// (unspecified, loopback, link-local, link-local multicast).
fn validate_endpoint_ip(value: &str, ip: &[u8; 16], p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let (unspecified, loopback, link_local, ll_multicast) = match to4(ip) {
        Some(v4) => (
            v4 == [0, 0, 0, 0],
            v4[0] == 127,
            v4[0] == 169 && v4[1] == 254,
            v4[0] == 224 && v4[1] == 0 && v4[2] == 0,
        ),
        None => (
            ip.iter().all(|b| *b == 0),
            ip[..15].iter().all(|b| *b == 0) && ip[15] == 1,
            ip[0] == 0xfe && ip[1] & 0xc0 == 0x80,
            ip[0] == 0xff && ip[1] & 0x0f == 0x02,
        ),
    };
    if unspecified {
        errs.push(FieldError::invalid(
            p,
            value,
            format!("may not be unspecified ({value})"),
        ));
    }
    if loopback {
        errs.push(FieldError::invalid(
            p,
            value,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    if link_local {
        errs.push(FieldError::invalid(
            p,
            value,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    if ll_multicast {
        errs.push(FieldError::invalid(
            p,
            value,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
    errs
}

/// An address of an IPv4 or IPv6 slice: a valid IP (strictly parsed unless `legacy`) of
/// the slice's family, and not one an endpoint may not have.
fn validate_ip_address(value: &str, p: &FieldPath, v6: bool, legacy: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(ip) = parse_ip_sloppy(value) else {
        errs.push(FieldError::invalid(
            p,
            value,
            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        ));
        return errs;
    };
    if !legacy && let Some(m) = strict_ip_problem(value) {
        errs.push(FieldError::invalid(p, value, m));
    }
    let is_v4 = to4(&ip).is_some();
    if !v6 && !is_v4 {
        errs.push(FieldError::invalid(p, value, "must be an IPv4 address"));
    }
    if v6 && is_v4 {
        errs.push(FieldError::invalid(p, value, "must be an IPv6 address"));
    }
    if errs.is_empty() {
        errs.extend(validate_endpoint_ip(value, &ip, p));
    }
    errs
}

/// upstream's `IsFullyQualifiedDomainName` (a trailing dot allowed).
fn validate_fqdn(value: &str, p: &FieldPath) -> ErrorList {
    if value.is_empty() {
        return vec![FieldError::required(p, "")];
    }
    let name = value.strip_suffix('.').unwrap_or(value);
    let errs = names::is_dns1123_subdomain(name);
    if !errs.is_empty() {
        return vec![FieldError::invalid(p, name, errs.join(","))];
    }
    if name.split('.').count() < 2 {
        return vec![FieldError::invalid(
            p,
            name,
            "should be a domain with at least two segments separated by dots",
        )];
    }
    for label in name.split('.') {
        let errs = names::is_dns1123_label(label);
        if !errs.is_empty() {
            return vec![FieldError::invalid(p, label, errs.join(","))];
        }
    }
    vec![]
}

// ---------------------------------------------------------------------------
// Validation

fn invalid_each(p: &FieldPath, value: &str, msgs: Vec<String>) -> ErrorList {
    msgs.into_iter()
        .map(|m| FieldError::invalid(p, value, m))
        .collect()
}

fn validate_hints(hints: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    let zp = p.child("forZones");
    let zones = arr_at(hints, &["forZones"]);
    if zones.len() > MAX_ZONE_HINTS {
        errs.push(FieldError::too_many(&zp, zones.len(), MAX_ZONE_HINTS));
        return errs;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, z) in zones.iter().enumerate() {
        let np = zp.index(i).child("name");
        let name = str_at(z, &["name"]);
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(&np, name));
        } else {
            seen.push(name);
        }
        errs.extend(invalid_each(&np, name, names::is_valid_label_value(name)));
    }
    let np_ = p.child("forNodes");
    let nodes = arr_at(hints, &["forNodes"]);
    if nodes.len() > MAX_NODE_HINTS {
        errs.push(FieldError::too_many(&np_, nodes.len(), MAX_NODE_HINTS));
        return errs;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let np = np_.index(i).child("name");
        let name = str_at(n, &["name"]);
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(&np, name));
        } else {
            seen.push(name);
        }
        errs.extend(invalid_each(&np, name, names::is_dns1123_subdomain(name)));
    }
    errs
}

fn validate_endpoints(obj: &Value, address_type: &str, legacy_ips: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let fp = FieldPath::root("endpoints");
    let endpoints = arr_at(obj, &["endpoints"]);
    if endpoints.len() > MAX_ENDPOINTS {
        errs.push(FieldError::too_many(&fp, endpoints.len(), MAX_ENDPOINTS));
        return errs;
    }
    for (i, ep) in endpoints.iter().enumerate() {
        let ip = fp.index(i);
        let ap = ip.child("addresses");
        let addresses = arr_at(ep, &["addresses"]);
        if addresses.is_empty() {
            errs.push(FieldError::required(&ap, "must contain at least 1 address"));
        } else if addresses.len() > MAX_ADDRESSES {
            errs.push(FieldError::too_many(&ap, addresses.len(), MAX_ADDRESSES));
        }
        for (j, a) in addresses.iter().enumerate() {
            let a = a.as_str().unwrap_or_default();
            let p = ap.index(j);
            match address_type {
                "IPv4" => errs.extend(validate_ip_address(a, &p, false, legacy_ips)),
                "IPv6" => errs.extend(validate_ip_address(a, &p, true, legacy_ips)),
                "FQDN" => errs.extend(validate_fqdn(a, &p)),
                _ => {}
            }
        }
        if let Some(node) = get(ep, &["nodeName"]).and_then(Value::as_str) {
            errs.extend(invalid_each(
                &ip.child("nodeName"),
                node,
                names::is_dns1123_subdomain(node),
            ));
        }
        let tp = ip.child("deprecatedTopology");
        let topology = obj_at(ep, &["deprecatedTopology"]);
        let count = topology.map(Map::len).unwrap_or(0);
        if count > MAX_TOPOLOGY_LABELS {
            errs.push(FieldError::too_many(&tp, count, MAX_TOPOLOGY_LABELS));
        }
        errs.extend(validate_labels(topology, &tp));
        if topology.is_some_and(|t| t.contains_key(LABEL_ZONE)) {
            errs.push(FieldError {
                kind: ErrorKind::Internal,
                field: tp.key(LABEL_ZONE).to_string(),
                value: None,
                detail: "reserved key was not removed in conversion".to_string(),
            });
        }
        if let Some(h) = get(ep, &["hostname"]).and_then(Value::as_str) {
            errs.extend(invalid_each(
                &ip.child("hostname"),
                h,
                names::is_dns1123_label(h),
            ));
        }
        if let Some(hints) = get(ep, &["hints"]).filter(|h| !h.is_null()) {
            errs.extend(validate_hints(hints, &ip.child("hints")));
        }
    }
    errs
}

fn validate_ports(obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let fp = FieldPath::root("ports");
    let ports = arr_at(obj, &["ports"]);
    if ports.len() > MAX_PORTS {
        errs.push(FieldError::too_many(&fp, ports.len(), MAX_PORTS));
        return errs;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let ip = fp.index(i);
        let np = ip.child("name");
        let name = str_at(port, &["name"]);
        if !name.is_empty() {
            errs.extend(invalid_each(&np, name, names::is_dns1123_label(name)));
        }
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(&np, name));
        } else {
            seen.push(name);
        }
        match get(port, &["protocol"]).and_then(Value::as_str) {
            None => errs.push(FieldError::required(&ip.child("protocol"), "")),
            Some(proto) if !PROTOCOLS.contains(&proto) => errs.push(FieldError::not_supported(
                &ip.child("protocol"),
                proto,
                PROTOCOLS,
            )),
            Some(_) => {}
        }
        if let Some(app) = get(port, &["appProtocol"]).and_then(Value::as_str) {
            errs.extend(invalid_each(
                &ip.child("appProtocol"),
                app,
                names::is_qualified_name(app),
            ));
        }
    }
    errs
}

/// upstream's `ValidateEndpointSlice` without the metadata: the address type, the
/// endpoints (IPs strictly parsed unless `legacy_ips`) and the ports.
fn validate_slice(obj: &Value, legacy_ips: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    let at = str_at(obj, &["addressType"]);
    let ap = FieldPath::root("addressType");
    if at.is_empty() {
        errs.push(FieldError::required(&ap, ""));
    } else if !ADDRESS_TYPES.contains(&at) {
        errs.push(FieldError::not_supported(&ap, at, ADDRESS_TYPES));
    }
    errs.extend(validate_endpoints(obj, at, legacy_ips));
    errs.extend(validate_ports(obj));
    errs
}

// ---------------------------------------------------------------------------
// Preparation

/// A value with nulls, empty arrays and empty objects dropped from objects, so that
/// two values compare as upstream's semantic equality does (nil and empty alike).
fn normalized(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), normalized(x)))
                .filter(|(_, x)| !is_nothing(x))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        _ => v.clone(),
    }
}

fn is_nothing(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Semantic equality of two optional values.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    let n = |v: Option<&Value>| v.map(normalized).unwrap_or(Value::Null);
    let (a, b) = (n(a), n(b));
    (is_nothing(&a) && is_nothing(&b)) || a == b
}

/// Anything outside `metadata` differs, or the labels do.
fn content_changed(new: &Value, old: &Value) -> bool {
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|m| {
                m.keys()
                    .filter(|k| !matches!(k.as_str(), "metadata" | "apiVersion" | "kind"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut all = keys(new);
    all.extend(keys(old));
    all.iter().any(|k| !same(new.get(k), old.get(k)))
        || !same(
            get(new, &["metadata", "labels"]),
            get(old, &["metadata", "labels"]),
        )
}

/// Writes through v1 drop `deprecatedTopology`. On update, when the endpoints changed, a
/// node name the old slice recorded under `kubernetes.io/hostname` moves to `nodeName`
/// (if that is unset and the name is valid); when they did not change, nothing is touched.
fn drop_topology(new: &mut Value, old: Option<&Value>) {
    if let Some(old) = old
        && same(new.get("endpoints"), old.get("endpoints"))
    {
        return;
    }
    let prev: Vec<String> = old
        .map(|o| {
            arr_at(o, &["endpoints"])
                .iter()
                .filter_map(|ep| {
                    get(ep, &["deprecatedTopology", LABEL_HOSTNAME]).and_then(Value::as_str)
                })
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let Some(endpoints) = get_mut(new, &["endpoints"]).and_then(Value::as_array_mut) else {
        return;
    };
    for ep in endpoints.iter_mut() {
        let Some(m) = ep.as_object_mut() else {
            continue;
        };
        let host = m
            .get("deprecatedTopology")
            .and_then(|t| t.get(LABEL_HOSTNAME))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(host) = host
            && matches!(m.get("nodeName"), None | Some(Value::Null))
            && prev.contains(&host)
            && names::is_dns1123_subdomain(&host).is_empty()
        {
            m.insert("nodeName".to_string(), Value::String(host));
        }
        m.remove("deprecatedTopology");
    }
}

impl Strategy for EndpointSliceStrategy {
    fn default(&self, obj: &mut Value) {
        let Some(ports) = get_mut(obj, &["ports"]).and_then(Value::as_array_mut) else {
            return;
        };
        for port in ports.iter_mut() {
            if let Some(m) = port.as_object_mut() {
                for (k, v) in [("name", ""), ("protocol", "TCP")] {
                    if matches!(m.get(k), None | Some(Value::Null)) {
                        m.insert(k.to_string(), Value::String(v.to_string()));
                    }
                }
            }
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::set_generation(obj, 1);
        drop_topology(obj, None);
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
        if content_changed(new, old) {
            common::set_generation(new, common::generation(old) + 1);
        }
        drop_topology(new, Some(old));
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_slice(obj, false));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        // invalid addresses stored before strict parsing may stay while the endpoints
        // are left as they are
        let legacy = same(new.get("endpoints"), old.get("endpoints"));
        let mut errs = common::validate_meta_update_and(new, old, |o| {
            let mut errs = validate_object_meta(o, true, NameRule::Dns1123Subdomain);
            errs.extend(validate_slice(o, legacy));
            errs
        });
        let (n, o) = (str_at(new, &["addressType"]), str_at(old, &["addressType"]));
        if n != o {
            errs.push(FieldError::invalid(
                &FieldPath::root("addressType"),
                n,
                IMMUTABLE,
            ));
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::value::obj_mut;
    use serde_json::json;

    fn meta(obj: &mut Value) -> &mut Map<String, Value> {
        obj_mut(obj, "metadata")
    }

    fn slice(extra: Value) -> Value {
        let mut s = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-abc", "namespace": "default"},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.1.2.3"], "conditions": {"ready": true}}],
            "ports": [{"name": "http", "port": 80}]});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    fn msgs(errs: &ErrorList) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn check(obj: Value) -> Vec<String> {
        let s = EndpointSliceStrategy;
        let mut obj = obj;
        s.default(&mut obj);
        s.prepare_for_create(&mut obj);
        msgs(&s.validate(&obj))
    }

    #[test]
    fn valid_slice_and_defaults() {
        let s = EndpointSliceStrategy;
        let mut o = slice(
            json!({"ports": [{"port": 80}], "endpoints": [{"addresses": ["10.1.2.3"],
            "deprecatedTopology": {"kubernetes.io/hostname": "n1"}, "hostname": "pod-1", "nodeName": "n1",
            "hints": {"forZones": [{"name": "zone-a"}], "forNodes": [{"name": "n1"}]}}]}),
        );
        s.default(&mut o);
        assert_eq!(
            o["ports"][0],
            json!({"name": "", "port": 80, "protocol": "TCP"})
        );
        s.prepare_for_create(&mut o);
        assert_eq!(o["metadata"]["generation"], 1);
        assert!(o["endpoints"][0].get("deprecatedTopology").is_none());
        assert_eq!(s.validate(&o), vec![]);
        let v6 =
            slice(json!({"addressType": "IPv6", "endpoints": [{"addresses": ["a00:100::4"]}]}));
        assert_eq!(check(v6), Vec::<String>::new());
        let fqdn = slice(json!({"addressType": "FQDN",
            "endpoints": [{"addresses": ["foo.example.com", "example.com."]}]}));
        assert_eq!(check(fqdn), Vec::<String>::new());
        // what the API server writes for default/kubernetes
        let k = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["192.168.1.10"], "conditions": {"ready": true}}],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]});
        assert_eq!(check(k), Vec::<String>::new());
    }

    #[test]
    fn address_type() {
        let mut o = slice(json!({}));
        o.as_object_mut().unwrap().remove("addressType");
        assert_eq!(check(o), vec!["addressType: Required value"]);
        assert_eq!(
            check(slice(json!({"addressType": "IP"}))),
            vec![
                r#"addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6""#
            ]
        );
    }

    #[test]
    fn addresses() {
        let e = |addrs: Value, t: &str| {
            check(slice(
                json!({"addressType": t, "endpoints": [{"addresses": addrs}]}),
            ))
        };
        assert_eq!(
            e(json!([]), "IPv4"),
            vec!["endpoints[0].addresses: Required value: must contain at least 1 address"]
        );
        assert_eq!(
            e(json!(["123.456.789.012", "2001:4860:4860::8888"]), "IPv4"),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "123.456.789.012": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#,
                r#"endpoints[0].addresses[1]: Invalid value: "2001:4860:4860::8888": must be an IPv4 address"#,
            ]
        );
        assert_eq!(
            e(json!(["10.1.2.3"]), "IPv6"),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "10.1.2.3": must be an IPv6 address"#
            ]
        );
        assert_eq!(
            e(json!(["010.001.002.003", "::ffff:1.2.3.4"]), "IPv4"),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "010.001.002.003": must not have leading 0s"#,
                r#"endpoints[0].addresses[1]: Invalid value: "::ffff:1.2.3.4": must not be an IPv4-mapped IPv6 address"#,
            ]
        );
        assert_eq!(
            e(
                json!(["127.0.0.1", "0.0.0.0", "169.254.1.1", "224.0.0.5"]),
                "IPv4"
            ),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)"#,
                r#"endpoints[0].addresses[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)"#,
                r#"endpoints[0].addresses[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)"#,
                r#"endpoints[0].addresses[3]: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"#,
            ]
        );
        assert_eq!(
            e(json!(["fe80::1", "::1", "::"]), "IPv6"),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)"#,
                r#"endpoints[0].addresses[1]: Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)"#,
                r#"endpoints[0].addresses[2]: Invalid value: "::": may not be unspecified (::)"#,
            ]
        );
        assert_eq!(
            e(
                json!(["foo.*", "FOO.example.com", "localhost", "-a.example.com"]),
                "FQDN"
            ),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "foo.*": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                r#"endpoints[0].addresses[1]: Invalid value: "FOO.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                r#"endpoints[0].addresses[2]: Invalid value: "localhost": should be a domain with at least two segments separated by dots"#,
                r#"endpoints[0].addresses[3]: Invalid value: "-a.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
            ]
        );
        let many: Vec<String> = (0..101)
            .map(|i| format!("10.0.0.{}", i % 250 + 1))
            .collect();
        assert_eq!(
            e(json!(many), "IPv4"),
            vec!["endpoints[0].addresses: Too many: 101: must have at most 100 items"]
        );
        let eps: Vec<Value> = (0..1001)
            .map(|_| json!({"addresses": ["10.0.0.1"]}))
            .collect();
        assert_eq!(
            check(slice(json!({"endpoints": eps}))),
            vec!["endpoints: Too many: 1001: must have at most 1000 items"]
        );
    }

    #[test]
    fn endpoint_fields() {
        let ep = |extra: Value| {
            let mut e = json!({"addresses": ["10.1.2.3"]});
            for (k, v) in extra.as_object().unwrap() {
                e[k] = v.clone();
            }
            // validate directly: prepare_for_create would drop the topology
            let mut o = slice(json!({"endpoints": [e]}));
            EndpointSliceStrategy.default(&mut o);
            msgs(&EndpointSliceStrategy.validate(&o))
        };
        assert_eq!(
            ep(json!({"hostname": "--INVALID"})),
            vec![
                r#"endpoints[0].hostname: Invalid value: "--INVALID": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#
            ]
        );
        assert_eq!(
            ep(json!({"nodeName": "INvalid"})),
            vec![
                r#"endpoints[0].nodeName: Invalid value: "INvalid": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#
            ]
        );
        assert_eq!(
            ep(json!({"deprecatedTopology": {"topology.kubernetes.io/zone": "z"}})),
            vec![
                "endpoints[0].deprecatedTopology[topology.kubernetes.io/zone]: Internal error: reserved key was not removed in conversion"
            ]
        );
        let topo: Map<String, Value> = (0..17).map(|i| (format!("t-{i}"), json!("x"))).collect();
        assert_eq!(
            ep(json!({"deprecatedTopology": topo})),
            vec!["endpoints[0].deprecatedTopology: Too many: 17: must have at most 16 items"]
        );
        assert_eq!(
            ep(json!({"hints": {"forZones": [{"name": "a"}, {"name": "inv@lid"}, {"name": "a"}]}})),
            vec![
                r#"endpoints[0].hints.forZones[1].name: Invalid value: "inv@lid": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#,
                r#"endpoints[0].hints.forZones[2].name: Duplicate value: "a""#,
            ]
        );
        let zones: Vec<Value> = (0..9).map(|i| json!({"name": format!("z{i}")})).collect();
        assert_eq!(
            ep(json!({"hints": {"forZones": zones}})),
            vec!["endpoints[0].hints.forZones: Too many: 9: must have at most 8 items"]
        );
        assert_eq!(
            ep(json!({"hints": {"forNodes": [{"name": "n1"}, {"name": "n1"}]}})),
            vec![r#"endpoints[0].hints.forNodes[1].name: Duplicate value: "n1""#]
        );
    }

    #[test]
    fn ports() {
        let p = |ports: Value| check(slice(json!({"ports": ports})));
        assert_eq!(
            p(json!([{"port": 80}, {"port": 81}])),
            vec![r#"ports[1].name: Duplicate value: """#]
        );
        assert_eq!(
            p(json!([{"name": "http", "protocol": "foo"}])),
            vec![
                r#"ports[0].protocol: Unsupported value: "foo": supported values: "SCTP", "TCP", "UDP""#
            ]
        );
        assert_eq!(
            p(json!([{"name": "aCapital"}])),
            vec![
                r#"ports[0].name: Invalid value: "aCapital": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#
            ]
        );
        assert_eq!(
            p(json!([{"name": "http", "appProtocol": "--"}])),
            vec![
                r#"ports[0].appProtocol: Invalid value: "--": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#
            ]
        );
    }

    #[test]
    fn update_generation_topology_and_immutability() {
        let s = EndpointSliceStrategy;
        let mut old = slice(json!({"endpoints": [{"addresses": ["10.1.2.3"],
            "deprecatedTopology": {"kubernetes.io/hostname": "node-1"}}]}));
        s.default(&mut old);
        meta(&mut old).insert("generation".into(), json!(3));
        // labels-only change bumps; topology kept when endpoints are unchanged
        let mut new = old.clone();
        meta(&mut new).insert("labels".into(), json!({"a": "b"}));
        meta(&mut new).insert("generation".into(), json!(9));
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 4);
        assert!(new["endpoints"][0].get("deprecatedTopology").is_some());
        // annotations-only change does not bump
        let mut new = old.clone();
        meta(&mut new).insert("annotations".into(), json!({"a": "b"}));
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 3);
        // endpoints changed: topology dropped, node name carried over
        let mut new = old.clone();
        new["endpoints"][0]["conditions"] = json!({"ready": true});
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 4);
        assert_eq!(new["endpoints"][0]["nodeName"], "node-1");
        assert!(new["endpoints"][0].get("deprecatedTopology").is_none());
        // addressType is immutable
        let mut new = old.clone();
        new["addressType"] = json!("IPv6");
        new["endpoints"] = json!([{"addresses": ["2001:db8::1"]}]);
        assert_eq!(
            msgs(&s.validate_update(&new, &old)),
            vec![r#"addressType: Invalid value: "IPv6": field is immutable"#]
        );
        // a stored address with leading zeros may stay while the endpoints are unchanged
        let mut old = slice(json!({"endpoints": [{"addresses": ["010.1.2.3"]}]}));
        s.default(&mut old);
        let mut new = old.clone();
        meta(&mut new).insert("labels".into(), json!({"a": "b"}));
        assert_eq!(s.validate_update(&new, &old), vec![]);
        new["endpoints"][0]["hostname"] = json!("h");
        assert_eq!(
            msgs(&s.validate_update(&new, &old)),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "010.1.2.3": must not have leading 0s"#
            ]
        );
    }

    #[test]
    fn sloppy_parsers() {
        assert_eq!(
            parse_ip_sloppy("010.001.2.3"),
            Some(v4_in_16([10, 1, 2, 3]))
        );
        assert_eq!(
            parse_ip_sloppy("::ffff:1.2.3.4"),
            Some(v4_in_16([1, 2, 3, 4]))
        );
        assert_eq!(
            parse_ip_sloppy("2001:db8::1").map(|b| b.to_vec()),
            Some(
                "2001:db8::1"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets()
                    .to_vec()
            )
        );
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1::2::3",
            "fe80::1%eth0",
            "",
            "x",
        ] {
            assert_eq!(parse_ip_sloppy(bad), None, "{bad}");
        }
        let c = parse_cidr_sloppy("10.1.2.3/8").unwrap();
        assert_eq!((c.prefix, c.v4, c.net), (8, true, v4_in_16([10, 0, 0, 0])));
        assert!(parse_cidr_sloppy("10.0.0.0/33").is_none());
        assert!(parse_cidr_sloppy("10.0.0.0").is_none());
        assert!(c.contains(&v4_in_16([10, 9, 0, 0])));
        assert!(!c.contains(&v4_in_16([11, 0, 0, 0])));
    }
}
