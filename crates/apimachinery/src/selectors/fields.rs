//! Field selectors: upstream's `fields.ParseSelector` (terms `f=v`, `f==v`,
//! `f!=v` joined by `,`; `\,` `\=` `\\` escapes in values), the canonical
//! string, the matcher, and the requirement list the registry checks against
//! the fields each kind supports (answering `field label not supported: f`).

use std::fmt;

/// A field requirement operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=` or `==`
    Equals,
    /// `!=`
    NotEquals,
}

impl Operator {
    /// `=` or `!=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
        }
    }
}

/// One term of a field selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    /// The field path, e.g. `metadata.name`, `spec.nodeName`.
    pub field: String,
    /// The operator.
    pub op: Operator,
    /// The unescaped value.
    pub value: String,
}

/// A field selector error, with upstream's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A parsed field selector; the default matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selector {
    terms: Vec<Requirement>,
}

/// The name other modules use.
pub type FieldSelector = Selector;

/// upstream `fields.EscapeValue`.
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// upstream `fields.UnescapeValue`.
pub fn unescape_value(s: &str) -> Result<String, ParseError> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if matches!(c, '\\' | ',' | '=') {
                out.push(c);
            } else {
                return Err(ParseError(format!(
                    "invalid field selector: invalid escape sequence: \\{c}"
                )));
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // Go formats the rune with %v: its code point.
            ',' | '=' => {
                return Err(ParseError(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                )));
            }
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(ParseError(
            "invalid field selector: invalid escape sequence: \\".into(),
        ));
    }
    Ok(out)
}

/// Split at commas not preceded by a backslash escape (the backslash stays).
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// The first operator occurrence splits the term (keys have no escaping).
fn split_term(term: &str) -> Option<(&str, Operator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (tok, op) in [
            ("!=", Operator::NotEquals),
            ("==", Operator::Equals),
            ("=", Operator::Equals),
        ] {
            if let Some(rhs) = rest.strip_prefix(tok) {
                return Some((&term[..i], op, rhs));
            }
        }
    }
    None
}

impl Selector {
    /// Matches everything.
    pub fn everything() -> Self {
        Self::default()
    }

    /// upstream `fields.ParseSelector`: the `fieldSelector` query parameter.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let mut parts = split_terms(s);
        // upstream sorts the raw terms (byte order), which fixes the canonical order.
        parts.sort_unstable();
        let mut terms = Vec::with_capacity(parts.len());
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let (lhs, op, rhs) = split_term(part).ok_or_else(|| {
                ParseError(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ))
            })?;
            terms.push(Requirement {
                field: lhs.to_string(),
                op,
                value: unescape_value(rhs)?,
            });
        }
        Ok(Self { terms })
    }

    /// A selector of one `field=value` term (`fields.OneTermEqualSelector`).
    pub fn one_term_equal(field: &str, value: &str) -> Self {
        Self {
            terms: vec![Requirement {
                field: field.into(),
                op: Operator::Equals,
                value: value.into(),
            }],
        }
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms, for checking which fields a kind supports.
    pub fn requirements(&self) -> &[Requirement] {
        &self.terms
    }

    /// The value required by an `=` term on this field, if any
    /// (`RequiresExactMatch`, used e.g. for `metadata.name` and `spec.nodeName`).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == field && t.op == Operator::Equals)
            .map(|t| t.value.as_str())
    }

    /// Whether an object matches; `get` returns a field's value, and an absent
    /// field counts as the empty string (as upstream's `fields.Set.Get`).
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|t| {
            let v = get(&t.field).unwrap_or_default();
            match t.op {
                Operator::Equals => v == t.value,
                Operator::NotEquals => v != t.value,
            }
        })
    }
}

/// The canonical form, as upstream's `String()` (`a=b,c!=d`, values escaped).
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}{}{}", t.field, t.op.as_str(), escape_value(&t.value))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Selector {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn getter<'a>(m: &'a BTreeMap<&'a str, &'a str>) -> impl Fn(&str) -> Option<String> + 'a {
        |k| m.get(k).map(|v| v.to_string())
    }

    #[test]
    fn parses_terms() {
        let s = Selector::parse("metadata.name==x,spec.nodeName!=n1,status.phase=Running").unwrap();
        assert_eq!(
            s.to_string(),
            "metadata.name=x,spec.nodeName!=n1,status.phase=Running"
        );
        let r: Vec<_> = s
            .requirements()
            .iter()
            .map(|r| (r.field.as_str(), r.op, r.value.as_str()))
            .collect();
        assert_eq!(
            r,
            vec![
                ("metadata.name", Operator::Equals, "x"),
                ("spec.nodeName", Operator::NotEquals, "n1"),
                ("status.phase", Operator::Equals, "Running"),
            ]
        );
        assert_eq!(s.requires_exact_match("metadata.name"), Some("x"));
        assert_eq!(s.requires_exact_match("spec.nodeName"), None);
        assert!(Selector::parse("").unwrap().is_empty());
        assert!(Selector::parse(",,").unwrap().is_empty());
        assert_eq!(Selector::parse("a=").unwrap().requirements()[0].value, "");
    }

    #[test]
    fn escapes() {
        let s = Selector::parse(r"a=x\,y\=z\\w").unwrap();
        assert_eq!(s.requirements()[0].value, r"x,y=z\w");
        assert_eq!(s.to_string(), r"a=x\,y\=z\\w");
        assert_eq!(
            Selector::parse(r"a=\q").unwrap_err().0,
            r"invalid field selector: invalid escape sequence: \q"
        );
        assert_eq!(
            Selector::parse(r"a=b\").unwrap_err().0,
            r"invalid field selector: invalid escape sequence: \"
        );
        assert_eq!(
            Selector::parse("a=b=c").unwrap_err().0,
            "invalid field selector: unescaped character in value: 61"
        );
    }

    #[test]
    fn rejects_terms_without_operator() {
        assert_eq!(
            Selector::parse("a=b,c").unwrap_err().0,
            "invalid selector: 'a=b,c'; can't understand 'c'"
        );
    }

    #[test]
    fn matches_absent_as_empty() {
        let m = BTreeMap::from([("metadata.name", "x"), ("spec.nodeName", "")]);
        assert!(
            Selector::parse("metadata.name=x")
                .unwrap()
                .matches(getter(&m))
        );
        assert!(
            !Selector::parse("metadata.name=y")
                .unwrap()
                .matches(getter(&m))
        );
        assert!(
            Selector::parse("spec.nodeName=")
                .unwrap()
                .matches(getter(&m))
        );
        assert!(Selector::parse("missing=").unwrap().matches(getter(&m)));
        assert!(Selector::parse("missing!=a").unwrap().matches(getter(&m)));
        assert!(
            !Selector::parse("metadata.name!=x")
                .unwrap()
                .matches(getter(&m))
        );
        assert!(Selector::everything().matches(getter(&m)));
    }

    proptest! {
        #[test]
        fn roundtrips(terms in proptest::collection::vec(
            ("[a-z][a-z.]{0,8}", any::<bool>(), "[a-z,=\\\\ ]{0,6}"), 0..4)
        ) {
            let sel = Selector {
                terms: terms.into_iter().map(|(f, ne, v)| Requirement {
                    field: f,
                    op: if ne { Operator::NotEquals } else { Operator::Equals },
                    value: v,
                }).collect(),
            };
            let back = Selector::parse(&sel.to_string()).unwrap();
            let mut a = sel.terms.clone();
            let mut b = back.terms.clone();
            let key = |r: &Requirement| (r.field.clone(), r.op.as_str(), r.value.clone());
            a.sort_by_key(key);
            b.sort_by_key(key);
            prop_assert_eq!(a, b);
            // The canonical form is a fixed point.
            prop_assert_eq!(Selector::parse(&back.to_string()).unwrap(), back);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Selector::parse(&s);
        }
    }
}
