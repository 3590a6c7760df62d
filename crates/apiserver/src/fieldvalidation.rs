//! Server-side field validation (`fieldValidation=Strict|Warn|Ignore`): what becomes of
//! the strict decoding errors (unknown and duplicate fields) that decoding found.

/// The `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Unknown or duplicate fields fail the request with 400.
    Strict,
    /// They are reported as `Warning` headers.
    Warn,
    /// They are dropped silently.
    Ignore,
}

impl FieldValidation {
    /// Parse the parameter; upstream's default is Warn.
    pub fn parse(v: Option<&str>) -> Result<Self, String> {
        match v.unwrap_or("") {
            "" | "Warn" => Ok(Self::Warn),
            "Strict" => Ok(Self::Strict),
            "Ignore" => Ok(Self::Ignore),
            other => Err(format!(
                "fieldValidation must be one of Ignore, Warn, Strict; got {other:?}"
            )),
        }
    }
}

/// Upstream's Strict error text for strict decoding errors (`duplicate field "a"`,
/// `unknown field "spec.x"`, YAML's `yaml: unmarshal errors: ...`).
pub fn strict_error(errors: &[String]) -> String {
    format!("strict decoding error: {}", errors.join(", "))
}

/// Upstream's `Warn` warnings for strict decoding errors: one each, YAML's list of
/// repeated keys split into one warning a line.
pub fn warnings(errors: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for e in errors {
        match e.strip_prefix("yaml: unmarshal errors:\n") {
            Some(lines) => out.extend(lines.lines().map(|l| l.trim().to_string())),
            None => out.push(e.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_texts() {
        let errs = vec![
            "yaml: unmarshal errors:\n  line 2: key \"a\" already set in map\n  line 4: key \"b\" already set in map".to_string(),
            "unknown field \"spec.replicaz\"".to_string(),
        ];
        assert_eq!(
            strict_error(&errs[1..]),
            "strict decoding error: unknown field \"spec.replicaz\""
        );
        assert_eq!(
            warnings(&errs),
            vec![
                "line 2: key \"a\" already set in map",
                "line 4: key \"b\" already set in map",
                "unknown field \"spec.replicaz\""
            ]
        );
    }
}
