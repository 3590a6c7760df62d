//! NetworkPolicies (upstream `pkg/registry/networking/networkpolicy/strategy.go`,
//! `ValidateNetworkPolicy` and the v1 defaults): ports' protocol defaults to TCP and
//! `policyTypes` to `Ingress` (plus `Egress` when there are egress rules); the generation
//! follows the spec; validation checks the selectors, each port (number or name, `endPort`
//! ranges), each peer (exactly one kind when `ipBlock` is used, CIDRs and their
//! `except` subsets) and the policy types. On update, CIDRs the old policy already had
//! are not re-checked strictly, and label values in selectors are not checked when the
//! old `podSelector` already had invalid ones.

use apimachinery::field::{ErrorKind, ErrorList, FieldError, FieldPath};
use apimachinery::gofmt::go_quote;
use serde_json::{Value, json};

use super::endpointslice::{parse_cidr_sloppy, validate_cidr};
use crate::registry::{Strategy, common};
use crate::validation::names;
use crate::validation::value::{arr_at, get, get_mut, obj_mut};
use crate::validation::{NameRule, validate_label_selector, validate_object_meta};

/// The networkpolicies strategy.
pub struct NetworkPolicyStrategy;

const PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];
const POLICY_TYPES: &[&str] = &["Ingress", "Egress"];

/// upstream's `NetworkPolicyValidationOptions`.
#[derive(Default)]
struct Options {
    /// Label values in selectors' expressions are not checked.
    allow_invalid_label_values: bool,
    /// CIDRs accepted without the strict checks (those of the old policy).
    old_cidrs: Vec<String>,
}

/// A label selector's problems; with `allow_invalid_label_values` the values of its
/// expressions are not checked.
fn validate_selector(sel: &Value, p: &FieldPath, opts: &Options) -> ErrorList {
    let errs = validate_label_selector(sel, p);
    if !opts.allow_invalid_label_values {
        return errs;
    }
    let prefix = format!("{p}.matchExpressions[");
    errs.into_iter()
        .filter(|e| {
            !(e.kind == ErrorKind::Invalid
                && e.field.starts_with(&prefix)
                && e.field.contains("].values["))
        })
        .collect()
}

fn validate_port(port: &Value, p: &FieldPath) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(proto) = get(port, &["protocol"]).and_then(Value::as_str)
        && !PROTOCOLS.contains(&proto)
    {
        errs.push(FieldError::not_supported(
            &p.child("protocol"),
            proto,
            PROTOCOLS,
        ));
    }
    let end_port = get(port, &["endPort"]).and_then(Value::as_i64);
    let ep = p.child("endPort");
    match get(port, &["port"]) {
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            for msg in names::is_valid_port_num(n) {
                errs.push(FieldError::invalid_number(&p.child("port"), n, msg));
            }
            if let Some(end) = end_port {
                if end < n {
                    errs.push(FieldError::invalid_number(
                        &ep,
                        end,
                        "must be greater than or equal to `port`",
                    ));
                }
                for msg in names::is_valid_port_num(end) {
                    errs.push(FieldError::invalid_number(&ep, end, msg));
                }
            }
        }
        Some(Value::String(name)) => {
            if let Some(end) = end_port {
                errs.push(FieldError::invalid_number(
                    &ep,
                    end,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            for msg in names::is_valid_port_name(name) {
                errs.push(FieldError::invalid(&p.child("port"), name, msg));
            }
        }
        _ => {
            if let Some(end) = end_port {
                errs.push(FieldError::invalid_number(
                    &ep,
                    end,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
    errs
}

/// upstream's `ValidateIPBlock`: a CIDR, and `except` entries strictly inside it.
fn validate_ip_block(block: &Value, p: &FieldPath, opts: &Options) -> ErrorList {
    let mut errs = ErrorList::new();
    let cidr = get(block, &["cidr"]).and_then(Value::as_str).unwrap_or("");
    if cidr.is_empty() {
        errs.push(FieldError::required(&p.child("cidr"), ""));
        return errs;
    }
    let legacy = |v: &str| opts.old_cidrs.iter().any(|c| c == v);
    errs.extend(validate_cidr(cidr, &p.child("cidr"), legacy(cidr)));
    let Some(net) = parse_cidr_sloppy(cidr) else {
        return errs;
    };
    for (i, e) in arr_at(block, &["except"]).iter().enumerate() {
        let e = e.as_str().unwrap_or_default();
        let xp = p.child("except").index(i);
        errs.extend(validate_cidr(e, &xp, legacy(e)));
        let Some(except) = parse_cidr_sloppy(e) else {
            continue;
        };
        if !net.contains(&except.net) || net.prefix >= except.prefix {
            errs.push(FieldError::invalid(
                &xp,
                e,
                "must be a strict subset of `cidr`",
            ));
        }
    }
    errs
}

fn validate_peer(peer: &Value, p: &FieldPath, opts: &Options) -> ErrorList {
    let mut errs = ErrorList::new();
    let present = |k: &str| get(peer, &[k]).filter(|v| !v.is_null());
    let mut count = 0;
    if let Some(sel) = present("podSelector") {
        count += 1;
        errs.extend(validate_selector(sel, &p.child("podSelector"), opts));
    }
    if let Some(sel) = present("namespaceSelector") {
        count += 1;
        errs.extend(validate_selector(sel, &p.child("namespaceSelector"), opts));
    }
    let block = present("ipBlock");
    if let Some(b) = block {
        count += 1;
        errs.extend(validate_ip_block(b, &p.child("ipBlock"), opts));
    }
    if count == 0 {
        errs.push(FieldError::required(p, "must specify a peer"));
    } else if count > 1 && block.is_some() {
        errs.push(FieldError::forbidden(
            p,
            "may not specify both ipBlock and another peer",
        ));
    }
    errs
}

fn validate_spec(spec: &Value, opts: &Options) -> ErrorList {
    let sp = FieldPath::root("spec");
    let empty = json!({});
    let mut errs = validate_selector(
        get(spec, &["podSelector"])
            .filter(|v| !v.is_null())
            .unwrap_or(&empty),
        &sp.child("podSelector"),
        opts,
    );
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in arr_at(spec, &[dir]).iter().enumerate() {
            let rp = sp.child(dir).index(i);
            for (j, port) in arr_at(rule, &["ports"]).iter().enumerate() {
                errs.extend(validate_port(port, &rp.child("ports").index(j)));
            }
            for (j, peer) in arr_at(rule, &[peers]).iter().enumerate() {
                errs.extend(validate_peer(peer, &rp.child(peers).index(j), opts));
            }
        }
    }
    let types = arr_at(spec, &["policyTypes"]);
    let tp = sp.child("policyTypes");
    if types.len() > POLICY_TYPES.len() {
        let rendered = types
            .iter()
            .map(|t| go_quote(t.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ");
        errs.push(FieldError::invalid_rendered(
            &tp,
            format!("[]networking.PolicyType{{{rendered}}}"),
            "may not specify more than two policyTypes",
        ));
        return errs;
    }
    for (i, t) in types.iter().enumerate() {
        let t = t.as_str().unwrap_or_default();
        if !POLICY_TYPES.contains(&t) {
            errs.push(FieldError::not_supported(&tp.index(i), t, POLICY_TYPES));
        }
    }
    errs
}

fn spec_of(obj: &Value) -> &Value {
    obj.get("spec").unwrap_or(&Value::Null)
}

/// The CIDRs (and `except` entries) of every `ipBlock` in a policy.
fn cidrs_of(obj: &Value) -> Vec<String> {
    let spec = spec_of(obj);
    let mut out = Vec::new();
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for rule in arr_at(spec, &[dir]) {
            for peer in arr_at(rule, &[peers]) {
                let Some(b) = get(peer, &["ipBlock"]).filter(|b| !b.is_null()) else {
                    continue;
                };
                if let Some(c) = get(b, &["cidr"]).and_then(Value::as_str) {
                    out.push(c.to_string());
                }
                out.extend(
                    arr_at(b, &["except"])
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string),
                );
            }
        }
    }
    out
}

impl Strategy for NetworkPolicyStrategy {
    fn default(&self, obj: &mut Value) {
        let spec = obj_mut(obj, "spec");
        for dir in ["ingress", "egress"] {
            for rule in spec
                .get_mut(dir)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                for port in get_mut(rule, &["ports"])
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(m) = port.as_object_mut()
                        && matches!(m.get("protocol"), None | Some(Value::Null))
                    {
                        m.insert("protocol".to_string(), json!("TCP"));
                    }
                }
            }
        }
        let unset = spec
            .get("policyTypes")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if unset {
            let egress = spec
                .get("egress")
                .and_then(Value::as_array)
                .is_some_and(|e| !e.is_empty());
            let types = if egress {
                json!(["Ingress", "Egress"])
            } else {
                json!(["Ingress"])
            };
            spec.insert("policyTypes".to_string(), types);
        }
    }
    fn prepare_for_create(&self, obj: &mut Value) {
        common::set_generation(obj, 1);
    }
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
        common::bump_generation_if_changed(new, old, &["spec"]);
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::prepare_status_update(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        errs.extend(validate_spec(spec_of(obj), &Options::default()));
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let empty = json!({});
        let old_selector = get(spec_of(old), &["podSelector"])
            .filter(|v| !v.is_null())
            .unwrap_or(&empty);
        let opts = Options {
            allow_invalid_label_values: !validate_label_selector(
                old_selector,
                &FieldPath::root("spec").child("podSelector"),
            )
            .is_empty(),
            old_cidrs: cidrs_of(old),
        };
        common::validate_meta_update_and(new, old, |o| validate_spec(spec_of(o), &opts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(spec: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "default"}, "spec": spec})
    }

    fn check(spec: Value) -> Vec<String> {
        let s = NetworkPolicyStrategy;
        let mut o = policy(spec);
        s.default(&mut o);
        s.prepare_for_create(&mut o);
        s.validate(&o).iter().map(ToString::to_string).collect()
    }

    fn peer(p: Value) -> Vec<String> {
        check(json!({"ingress": [{"from": [p]}]}))
    }

    #[test]
    fn valid_policy_and_defaults() {
        let s = NetworkPolicyStrategy;
        let mut o = policy(json!({"podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [{"from": [{"podSelector": {}, "namespaceSelector": {"matchLabels": {"a": "b"}}},
                                   {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                         "ports": [{"port": 80}, {"port": "http", "protocol": "UDP"}, {"port": 8000, "endPort": 9000}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "2001:db8::/32"}}]}]}));
        s.default(&mut o);
        assert_eq!(o["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert_eq!(o["spec"]["ingress"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(o["spec"]["ingress"][0]["ports"][1]["protocol"], "UDP");
        s.prepare_for_create(&mut o);
        assert_eq!(o["metadata"]["generation"], 1);
        assert_eq!(s.validate(&o), vec![]);
        // the minimal policy: deny all ingress
        let mut o = policy(json!({}));
        s.default(&mut o);
        assert_eq!(o["spec"]["policyTypes"], json!(["Ingress"]));
        assert_eq!(s.validate(&o), vec![]);
        let mut o = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "default"}});
        s.default(&mut o);
        assert_eq!(s.validate(&o), vec![]);
    }

    #[test]
    fn ports() {
        let p = |port: Value| check(json!({"ingress": [{"ports": [port]}]}));
        assert_eq!(
            p(json!({"protocol": "ICMP"})),
            vec![
                r#"spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP""#
            ]
        );
        assert_eq!(
            p(json!({"port": 0})),
            vec![
                "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"
            ]
        );
        assert_eq!(
            p(json!({"port": 9000, "endPort": 8000})),
            vec![
                "spec.ingress[0].ports[0].endPort: Invalid value: 8000: must be greater than or equal to `port`"
            ]
        );
        assert_eq!(
            p(json!({"port": 80, "endPort": 65536})),
            vec![
                "spec.ingress[0].ports[0].endPort: Invalid value: 65536: must be between 1 and 65535, inclusive"
            ]
        );
        assert_eq!(
            p(json!({"port": "http", "endPort": 90})),
            vec![
                "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric"
            ]
        );
        assert_eq!(
            p(json!({"endPort": 90})),
            vec![
                "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified"
            ]
        );
        assert_eq!(
            p(json!({"port": "-bad"})),
            vec![
                r#"spec.ingress[0].ports[0].port: Invalid value: "-bad": must not begin or end with a hyphen"#
            ]
        );
    }

    #[test]
    fn peers() {
        assert_eq!(
            peer(json!({})),
            vec!["spec.ingress[0].from[0]: Required value: must specify a peer"]
        );
        assert_eq!(
            check(
                json!({"egress": [{"to": [{"podSelector": {}, "ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
            ),
            vec!["spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer"]
        );
        assert_eq!(
            peer(json!({"namespaceSelector": {"matchLabels": {"a": "b c"}}})),
            vec![
                r#"spec.ingress[0].from[0].namespaceSelector.matchLabels: Invalid value: "b c": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#
            ]
        );
    }

    #[test]
    fn ip_blocks() {
        let b = |block: Value| peer(json!({"ipBlock": block}));
        assert_eq!(
            b(json!({"cidr": ""})),
            vec!["spec.ingress[0].from[0].ipBlock.cidr: Required value"]
        );
        assert_eq!(
            b(json!({"cidr": "192.168.1.0"})),
            vec![
                r#"spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "192.168.1.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#
            ]
        );
        assert_eq!(
            b(json!({"cidr": "192.168.1.5/24"})),
            vec![
                r#"spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "192.168.1.5/24": must not have bits set beyond the prefix length"#
            ]
        );
        assert_eq!(
            b(json!({"cidr": "192.168.001.0/24"})),
            vec![
                r#"spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "192.168.001.0/24": must not have leading 0s in IP or prefix length"#
            ]
        );
        assert_eq!(
            b(json!({"cidr": "::ffff:10.0.0.0/104"})),
            vec![
                r#"spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "::ffff:10.0.0.0/104": must not have an IPv4-mapped IPv6 address"#
            ]
        );
        assert_eq!(
            b(
                json!({"cidr": "192.168.0.0/16", "except": ["192.169.0.0/24", "192.168.0.0/16", "192.168.2.0/24", "bad"]})
            ),
            vec![
                r#"spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.169.0.0/24": must be a strict subset of `cidr`"#,
                r#"spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`"#,
                r#"spec.ingress[0].from[0].ipBlock.except[3]: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#,
            ]
        );
    }

    #[test]
    fn policy_types() {
        assert_eq!(
            check(json!({"policyTypes": ["Ingress", "Foo"]})),
            vec![
                r#"spec.policyTypes[1]: Unsupported value: "Foo": supported values: "Ingress", "Egress""#
            ]
        );
        assert_eq!(
            check(json!({"policyTypes": ["Ingress", "Egress", "Ingress"]})),
            vec![
                r#"spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes"#
            ]
        );
    }

    #[test]
    fn update_ratchets_old_values_and_tracks_generation() {
        let s = NetworkPolicyStrategy;
        let mut old = policy(
            json!({"podSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": ["b c"]}]},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.1.2.3/8"}}]}]}),
        );
        s.default(&mut old);
        old["metadata"]["generation"] = json!(2);
        let mut new = old.clone();
        new["spec"]["ingress"][0]["ports"] = json!([{"port": 80}]);
        s.default(&mut new);
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 3);
        assert_eq!(s.validate_update(&new, &old), vec![]);
        // a new bad CIDR is still rejected
        new["spec"]["egress"] = json!([{"to": [{"ipBlock": {"cidr": "10.1.2.3/16"}}]}]);
        assert_eq!(
            s.validate_update(&new, &old)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                r#"spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.1.2.3/16": must not have bits set beyond the prefix length"#
            ]
        );
        // metadata-only change keeps the generation
        let mut new = old.clone();
        new["metadata"]["labels"] = json!({"a": "b"});
        s.prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], 2);
    }
}
