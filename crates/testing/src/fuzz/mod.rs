//! The invariants of Capstan's fuzz targets, one entry point a target, each taking the
//! fuzzer's bytes: it panics when an invariant breaks, which libFuzzer and proptest both
//! report with the input.
//!
//! The invariants (issue: API hardening):
//! - nothing a client sends makes the server panic or answer 5xx (the one exception is
//!   upstream's own contract for a read at a revision the server has not reached: 504
//!   `Too large resource version`, which clients retry);
//! - anything accepted decodes into the `k8s-openapi` type of its kind: a body the typed
//!   decoder passes, and every object stored after a write.
//!
//! The decoder targets work on the pure decoders; the request targets drive the whole
//! HTTP pipeline (authn, routing, REST handlers, watch cache) of an in-process server over
//! the memory store, fresh for each input so that every failure reproduces alone.

pub mod generate;
mod server;

use apimachinery::codec::typed::{self, Dialect};
use apimachinery::{Gvk, Schema};
use serde_json::Value;

pub use server::{Outcome, Server};

/// The kinds the decoder targets try every input as.
const BODY_KINDS: &[(&str, &str, &str)] = &[
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "Pod"),
    ("", "v1", "Service"),
    ("apps", "v1", "Deployment"),
    ("batch", "v1", "CronJob"),
];

/// If the typed decoder accepts `v` as an object of `gvk`, `k8s-openapi` must read it,
/// but for required fields left out: requiring them is validation's job, which the write
/// targets check (everything they find stored must read in full).
pub fn accepted_decodes(gvk: (&str, &str, &str), mut v: Value) {
    let (group, version, kind) = gvk;
    let Value::Object(m) = &mut v else { return };
    let api_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    m.insert("apiVersion".into(), Value::String(api_version));
    m.insert("kind".into(), Value::String(kind.into()));
    let schema = Schema::builtin();
    let Some(def) = schema.for_gvk(&Gvk::new(group, version, kind)) else {
        return;
    };
    if typed::decode(schema, def, &mut v, Dialect::Json).is_ok()
        && let Err(e) = crate::kinds::decode(group, kind, &v)
        && !e.contains(": missing field `")
    {
        panic!("the typed decoder accepted what k8s-openapi cannot read: {e}");
    }
}

/// A JSON request body: the strict decoder never panics, and what the typed decoder then
/// accepts as any of a few kinds is readable by `k8s-openapi`.
pub fn json_body(data: &[u8]) {
    if let Ok((v, _dups)) = apimachinery::codec::json::from_json_strict(data) {
        for gvk in BODY_KINDS {
            accepted_decodes(*gvk, v.clone());
        }
    }
}

/// A YAML request body: parsing, the duplicate-key scan and the typed decoder.
pub fn yaml_body(data: &[u8]) {
    let _ = apimachinery::codec::yaml::duplicate_keys(data);
    if let Ok(v) = apimachinery::codec::yaml::from_yaml(data) {
        for gvk in BODY_KINDS {
            accepted_decodes(*gvk, v.clone());
        }
    }
}

/// A protobuf request body (the `k8s\0` envelope): decoding never panics, and what it
/// yields passes the typed check as the kind the envelope names.
pub fn protobuf_body(data: &[u8]) {
    let schema = Schema::builtin();
    if let Ok(v) = apimachinery::codec::protobuf::decode(data, schema) {
        let av = v["apiVersion"].as_str().unwrap_or("").to_string();
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        let (group, version) = av.rsplit_once('/').unwrap_or(("", &av));
        accepted_decodes((group, version, &kind), v);
    }
}

/// Label and field selector strings: the parsers never panic, and whatever parses
/// prints back to something that parses again.
pub fn selectors(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(sel) = apimachinery::selectors::labels::Selector::parse(&s) {
        let printed = sel.to_string();
        apimachinery::selectors::labels::Selector::parse(&printed)
            .unwrap_or_else(|e| panic!("{s:?} parsed, its form {printed:?} does not: {e}"));
    }
    if let Ok(sel) = apimachinery::selectors::fields::Selector::parse(&s) {
        let printed = sel.to_string();
        apimachinery::selectors::fields::Selector::parse(&printed)
            .unwrap_or_else(|e| panic!("{s:?} parsed, its form {printed:?} does not: {e}"));
    }
}

/// Content types a request target picks from (first byte of its input).
const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/json"),
    Some("application/yaml"),
    Some("application/vnd.kubernetes.protobuf"),
    Some("application/json-patch+json"),
    Some("application/merge-patch+json"),
    Some("application/strategic-merge-patch+json"),
    Some("application/apply-patch+yaml"),
    Some(";;;=;"),
    Some("text/html"),
];

/// Any request: the input's first byte picks the method, its second the content type,
/// then come the URI (made relative to a seeded object when it does not start with `/`)
/// up to a newline, and the body. No answer is a 5xx, and what is stored afterwards is
/// readable by `k8s-openapi`.
pub fn request(data: &[u8]) {
    let (head, rest) = data.split_at(data.len().min(2));
    let method =
        ["GET", "POST", "PUT", "PATCH", "DELETE"][*head.first().unwrap_or(&0) as usize % 5];
    let ct = CONTENT_TYPES[*head.get(1).unwrap_or(&0) as usize % CONTENT_TYPES.len()];
    let (uri, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let uri = String::from_utf8_lossy(uri);
    let uri = if uri.starts_with('/') {
        uri.into_owned()
    } else {
        format!(
            "{}{uri}",
            server::SEEDED[data.len() % server::SEEDED.len()].1
        )
    };
    let s = Server::new();
    s.checked(method, &uri, ct, body);
    s.check_stored();
}

/// A patch of a seeded object: the first byte picks the patch type and the object, the
/// rest is the patch document. No answer is a 5xx; what is stored stays readable.
pub fn patch(data: &[u8]) {
    let Some((&pick, doc)) = data.split_first() else {
        return;
    };
    let types = &CONTENT_TYPES[4..8];
    let ct = types[pick as usize % types.len()];
    let (_, url) = server::SEEDED[(pick as usize / types.len()) % server::SEEDED.len()];
    let s = Server::new();
    s.checked("PATCH", &format!("{url}?fieldManager=fuzz"), ct, doc);
    s.check_stored();
}

/// An object of a built-in kind generated from the schema (first byte: the kind): what
/// the typed decoder accepts, `k8s-openapi` reads.
pub fn generated_object(data: &[u8]) {
    let schema = Schema::builtin();
    let mut c = generate::Choices::new(data);
    let (group, kind) = crate::kinds::KINDS[c.below(crate::kinds::KINDS.len())];
    let Some((gvk, name)) = schema
        .gvks()
        .find(|(g, _)| g.group == group && g.kind == kind && g.version == "v1")
    else {
        return;
    };
    let Some(def) = schema.definition(name) else {
        return;
    };
    let obj = generate::object(schema, def, &mut c);
    accepted_decodes((&gvk.group, &gvk.version, &gvk.kind), obj);
}

/// Kinds the write target writes: (group, version, kind, collection URL, a seeded name).
const WRITE_KINDS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "",
        "v1",
        "ConfigMap",
        "/api/v1/namespaces/default/configmaps",
        "c",
    ),
    (
        "",
        "v1",
        "Secret",
        "/api/v1/namespaces/default/secrets",
        "s",
    ),
    ("", "v1", "Pod", "/api/v1/namespaces/default/pods", "p"),
    (
        "",
        "v1",
        "Service",
        "/api/v1/namespaces/default/services",
        "svc",
    ),
    (
        "apps",
        "v1",
        "Deployment",
        "/apis/apps/v1/namespaces/default/deployments",
        "d",
    ),
];

/// A generated object written every way a client writes one (create, update, the
/// status subresource, merge and strategic merge patch, apply): no answer is a 5xx, and
/// everything stored is readable by `k8s-openapi`.
pub fn generated_write(data: &[u8]) {
    let schema = Schema::builtin();
    let mut c = generate::Choices::new(data);
    let (group, version, kind, collection, seeded) = WRITE_KINDS[c.below(WRITE_KINDS.len())];
    let how = c.below(6);
    let Some(def) = schema.for_gvk(&Gvk::new(group, version, kind)) else {
        return;
    };
    let mut obj = generate::object(schema, def, &mut c);
    let s = Server::new();
    let (method, uri, ct) = match how {
        0 => ("POST", collection.to_string(), "application/json"),
        1 | 2 => {
            set_name(&mut obj, seeded);
            let sub = if how == 2 { "/status" } else { "" };
            (
                "PUT",
                format!("{collection}/{seeded}{sub}"),
                "application/json",
            )
        }
        3 => (
            "PATCH",
            format!("{collection}/{seeded}"),
            "application/merge-patch+json",
        ),
        4 => (
            "PATCH",
            format!("{collection}/{seeded}"),
            "application/strategic-merge-patch+json",
        ),
        _ => {
            set_name(&mut obj, seeded);
            (
                "PATCH",
                format!("{collection}/{seeded}?fieldManager=fuzz&force=true"),
                "application/apply-patch+yaml",
            )
        }
    };
    let body = serde_json::to_vec(&obj).unwrap_or_default();
    s.checked(method, &uri, Some(ct), &body);
    s.check_stored();
}

fn set_name(obj: &mut Value, name: &str) {
    if let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        md.insert("name".into(), Value::String(name.into()));
    }
}
