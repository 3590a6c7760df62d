//! Secrets (upstream `pkg/registry/core/secret/strategy.go`): type `Opaque` by
//! default, `stringData` merged into `data` (as upstream's v1 conversion does),
//! keys, per-type required keys, size, `type` and `immutable` rules.

use std::collections::HashSet;

use apimachinery::field::{ErrorList, FieldError, FieldPath};
use serde_json::{Value, json};

use super::configmap::{MAX_SIZE, immutable_data};
use crate::registry::{Strategy, common};
use crate::validation::names;
use crate::validation::value::{default_zero, obj_at, obj_mut, str_at};
use crate::validation::{NameRule, immutable, validate_object_meta, validate_object_meta_update};

/// The secrets strategy.
pub struct SecretStrategy;

impl Strategy for SecretStrategy {
    fn default(&self, obj: &mut Value) {
        if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) {
            let data = obj_mut(obj, "data");
            for (k, v) in sd {
                data.insert(k, json!(base64_encode(v.as_str().unwrap_or("").as_bytes())));
            }
        }
        if let Some(m) = obj.as_object_mut() {
            default_zero(m, "type", json!("Opaque"));
        }
    }
    fn prepare_for_status_update(&self, new: &mut Value, old: &Value) {
        common::keep_generation(new, old);
    }
    fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = validate_object_meta(obj, true, NameRule::Dns1123Subdomain);
        let dp = FieldPath::root("data");
        let data = obj_at(obj, &["data"]);
        let mut total = 0;
        let mut keys = HashSet::new();
        for (k, v) in data.into_iter().flatten() {
            for msg in names::is_config_map_key(k) {
                errs.push(FieldError::invalid(&dp, k, msg));
            }
            let s = v.as_str().unwrap_or("");
            match base64_decoded_len(s) {
                Some(n) => total += n,
                None => errs.push(FieldError::invalid(
                    &dp.key(k),
                    "<secret contents redacted>",
                    "illegal base64 data",
                )),
            }
            keys.insert(k.as_str());
        }
        if total > MAX_SIZE {
            errs.push(FieldError::too_long(&dp, MAX_SIZE));
        }
        let required: &[&str] = match str_at(obj, &["type"]) {
            "kubernetes.io/dockercfg" => &[".dockercfg"],
            "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
            "kubernetes.io/tls" => &["tls.crt", "tls.key"],
            "kubernetes.io/ssh-auth" => &["ssh-privatekey"],
            _ => &[],
        };
        for r in required {
            if !keys.contains(r) {
                errs.push(FieldError::required(&dp.key(r), ""));
            }
        }
        if str_at(obj, &["type"]) == "kubernetes.io/service-account-token"
            && str_at(
                obj,
                &[
                    "metadata",
                    "annotations",
                    "kubernetes.io/service-account.name",
                ],
            )
            .is_empty()
        {
            errs.push(FieldError::required(
                &FieldPath::root("metadata")
                    .child("annotations")
                    .key("kubernetes.io/service-account.name"),
                "",
            ));
        }
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> ErrorList {
        let mut errs = validate_object_meta_update(new, old);
        errs.extend(immutable(
            new.get("type"),
            old.get("type"),
            &FieldPath::root("type"),
        ));
        errs.extend(immutable_data(new, old, &["data"]));
        errs.extend(
            self.validate(new)
                .into_iter()
                .filter(|e| !e.field.starts_with("metadata.name")),
        );
        errs
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &x)| acc | (x as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The decoded length of standard padded base64, or None if it is not valid.
pub fn base64_decoded_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 || !b[..b.len() - pad].iter().all(|c| B64.contains(c)) {
        return None;
    }
    Some(b.len() / 4 * 3 - pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_string_data() {
        let s = SecretStrategy;
        let mut sec =
            json!({"metadata": {"name": "s", "namespace": "d"}, "stringData": {"user": "admin"}});
        s.default(&mut sec);
        assert_eq!(sec["type"], "Opaque");
        assert_eq!(sec["data"]["user"], "YWRtaW4=");
        assert!(sec.get("stringData").is_none());
        assert_eq!(s.validate(&sec), vec![]);
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_decoded_len("YWI="), Some(2));
        let tls = json!({"metadata": {"name": "s", "namespace": "d"}, "type": "kubernetes.io/tls", "data": {"tls.crt": ""}});
        assert_eq!(
            s.validate(&tls)[0].to_string(),
            "data[tls.key]: Required value"
        );
        let mut new = sec.clone();
        new["type"] = json!("x/y");
        assert_eq!(
            s.validate_update(&new, &sec)[0].to_string(),
            "type: Invalid value: \"x/y\": field is immutable"
        );
    }
}
