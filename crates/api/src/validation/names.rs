//! Object-name rules (upstream's `ValidateNameFunc`s). The string-format
//! validators themselves (DNS-1123 labels and subdomains, DNS-1035 labels,
//! qualified names, label values, port names and numbers, ...) live in
//! `apimachinery::validation`, upstream's `k8s.io/apimachinery/pkg/util/validation`,
//! and are re-exported here for the api crate's validators.

pub use apimachinery::validation::{
    DNS1035_LABEL_MAX_LENGTH, DNS1123_LABEL_MAX_LENGTH, DNS1123_SUBDOMAIN_MAX_LENGTH,
    LABEL_VALUE_MAX_LENGTH, QUALIFIED_NAME_MAX_LENGTH, inclusive_range_error, is_config_map_key,
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_env_var_name, is_qualified_name,
    is_valid_label_value, is_valid_path_segment_name, is_valid_port_name, is_valid_port_num,
    max_len_error, regex_error,
};

/// The rule an object's `metadata.name` follows, per kind (upstream's `ValidateNameFunc`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// `NameIsDNSSubdomain` (most kinds).
    Dns1123Subdomain,
    /// `NameIsDNSLabel` (namespaces, ...).
    Dns1123Label,
    /// `NameIsDNS1035Label` (services).
    Dns1035Label,
    /// `path.ValidatePathSegmentName` (RBAC kinds and other names used in URLs only).
    PathSegment,
}

impl NameRule {
    /// Validate `name`; with `prefix` it is a `generateName` prefix, whose trailing
    /// dash is allowed (upstream's `maskTrailingDash`).
    pub fn check(self, name: &str, prefix: bool) -> Vec<String> {
        let masked;
        let name = if prefix && name.len() > 1 && name.ends_with('-') {
            masked = format!("{}a", &name[..name.len() - 1]);
            masked.as_str()
        } else {
            name
        };
        match self {
            NameRule::Dns1123Subdomain => is_dns1123_subdomain(name),
            NameRule::Dns1123Label => is_dns1123_label(name),
            NameRule::Dns1035Label => is_dns1035_label(name),
            NameRule::PathSegment => is_valid_path_segment_name(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_name_prefix_and_path_segments() {
        assert!(NameRule::Dns1123Subdomain.check("nginx-", true).is_empty());
        assert!(!NameRule::Dns1123Subdomain.check("nginx-", false).is_empty());
        assert!(
            NameRule::PathSegment
                .check("system:admin", false)
                .is_empty()
        );
        assert_eq!(
            NameRule::Dns1123Label.check("a.b", false),
            vec!["must not contain dots"]
        );
        assert_eq!(NameRule::Dns1035Label.check("1abc", false).len(), 1);
    }
}
