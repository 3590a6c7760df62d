//! Label selectors: upstream's parser (`labels.Parse`), its canonical string
//! form, its matcher, and the conversion from a `metav1.LabelSelector` object
//! (`LabelSelectorAsSelector`). Error strings are upstream's, because clients
//! show them verbatim after `Error from server (BadRequest):`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::go_quote;
use crate::validation::{is_qualified_name, is_valid_label_value};

/// A requirement operator (`selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// `=`
    Equals,
    /// `==`
    DoubleEquals,
    /// `!=`
    NotEquals,
    /// `in`
    In,
    /// `notin`
    NotIn,
    /// `key`
    Exists,
    /// `!key`
    DoesNotExist,
    /// `key>N`
    GreaterThan,
    /// `key<N`
    LessThan,
}

/// One `key op values` term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    op: Operator,
    /// Sorted and deduplicated, as upstream keeps them in a string set.
    values: Vec<String>,
}

/// A label selector error, with upstream's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A label selector. `Selector::default()` (no requirements) matches everything;
/// `Selector::nothing()` matches nothing (a nil `LabelSelector`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

/// The name other modules use.
pub type LabelSelector = Selector;

/// Anything that can answer "does this label exist, and what is its value".
pub trait Labels {
    /// The label's value, if set.
    fn get_label(&self, key: &str) -> Option<&str>;
}

impl Labels for BTreeMap<String, String> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl Labels for std::collections::HashMap<String, String> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// `metadata.labels` as JSON: non-string values are treated as absent.
impl Labels for Map<String, Value> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

impl<L: Labels + ?Sized> Labels for &L {
    fn get_label(&self, key: &str) -> Option<&str> {
        (**self).get_label(key)
    }
}

/// Go's `field.Invalid(path, value, detail).Error()`.
fn invalid(path: &str, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {}: {detail}", go_quote(value))
}

/// The rendering of a `[]string` bad value (`%#v`).
fn go_string_slice(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
    format!("[]string{{{}}}", items.join(", "))
}

/// upstream's `utilerrors.NewAggregate(errs).Error()`.
fn aggregate(errs: Vec<String>) -> Result<(), ParseError> {
    let mut uniq: Vec<String> = Vec::new();
    for e in errs {
        if !uniq.contains(&e) {
            uniq.push(e);
        }
    }
    match uniq.len() {
        0 => Ok(()),
        1 => Err(ParseError(uniq.remove(0))),
        _ => Err(ParseError(format!("[{}]", uniq.join(", ")))),
    }
}

impl Requirement {
    /// upstream `labels.NewRequirement`: validates the key, the number of values
    /// for the operator, and each value.
    pub fn new(key: &str, op: Operator, values: Vec<String>) -> Result<Self, ParseError> {
        let mut errs = Vec::new();
        let key_errs = is_qualified_name(key);
        if !key_errs.is_empty() {
            errs.push(invalid("key", key, &key_errs.join("; ")));
        }
        match op {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'in', 'notin' operators, values set can't be empty",
                        go_string_slice(&values)
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: exact-match compatibility requires one single value",
                        go_string_slice(&values)
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: values set must be empty for exists and does not exist",
                        go_string_slice(&values)
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'Gt', 'Lt' operators, exactly one value is required",
                        go_string_slice(&values)
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(invalid(
                            &format!("values[{i}]"),
                            v,
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let e = is_valid_label_value(v);
            if !e.is_empty() {
                errs.push(invalid(&format!("values[{i}][{key}]"), v, &e.join("; ")));
            }
        }
        aggregate(errs)?;
        let mut values = values;
        values.sort();
        values.dedup();
        Ok(Self {
            key: key.to_string(),
            op,
            values,
        })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The operator.
    pub fn operator(&self) -> Operator {
        self.op
    }
    /// The values (sorted).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// upstream `Requirement.Matches`.
    pub fn matches(&self, labels: &(impl Labels + ?Sized)) -> bool {
        let got = labels.get_label(&self.key);
        match self.op {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                got.is_some_and(|v| self.values.iter().any(|x| x == v))
            }
            Operator::NotIn | Operator::NotEquals => {
                got.is_none_or(|v| !self.values.iter().any(|x| x == v))
            }
            Operator::Exists => got.is_some(),
            Operator::DoesNotExist => got.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(v), [want]) = (got, self.values.as_slice()) else {
                    return false;
                };
                match (v.parse::<i64>(), want.parse::<i64>()) {
                    (Ok(have), Ok(want)) => {
                        if self.op == Operator::GreaterThan {
                            have > want
                        } else {
                            have < want
                        }
                    }
                    _ => false,
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.op == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.op {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
        };
        f.write_str(op)?;
        let set = matches!(self.op, Operator::In | Operator::NotIn);
        if set {
            f.write_str("(")?;
        }
        f.write_str(&self.values.join(","))?;
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl Selector {
    /// Matches everything.
    pub fn everything() -> Self {
        Self::default()
    }
    /// Matches nothing (upstream `labels.Nothing()`, what a nil `LabelSelector` converts to).
    pub fn nothing() -> Self {
        Self {
            requirements: Vec::new(),
            nothing: true,
        }
    }
    /// A selector from requirements (sorted by key, as upstream's `Add`).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Self {
            requirements,
            nothing: false,
        }
    }
    /// upstream `labels.Parse`: the `labelSelector` query parameter syntax.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let reqs = Parser::new(s).parse()?;
        Ok(Self::from_requirements(reqs))
    }
    /// upstream `metav1.LabelSelectorAsSelector`, from the JSON of a
    /// `LabelSelector` (`null` → nothing, `{}` → everything).
    pub fn from_label_selector(ls: &Value) -> Result<Self, ParseError> {
        let obj = match ls {
            Value::Null => return Ok(Self::nothing()),
            Value::Object(o) => o,
            _ => return Err(ParseError("a label selector must be an object".into())),
        };
        let mut reqs = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let v = v
                        .as_str()
                        .ok_or_else(|| ParseError(format!("matchLabels[{k}] must be a string")))?;
                    reqs.push(Requirement::new(k, Operator::Equals, vec![v.to_string()])?);
                }
            }
            Some(_) => return Err(ParseError("matchLabels must be an object".into())),
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(exprs)) => {
                for e in exprs {
                    let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
                    let op_name = e
                        .get("operator")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let op = match op_name {
                        "In" => Operator::In,
                        "NotIn" => Operator::NotIn,
                        "Exists" => Operator::Exists,
                        "DoesNotExist" => Operator::DoesNotExist,
                        other => {
                            return Err(ParseError(format!(
                                "{} is not a valid label selector operator",
                                go_quote(other)
                            )));
                        }
                    };
                    let values = match e.get("values") {
                        None | Some(Value::Null) => Vec::new(),
                        Some(Value::Array(a)) => a
                            .iter()
                            .map(|v| {
                                v.as_str().map(str::to_string).ok_or_else(|| {
                                    ParseError("matchExpressions values must be strings".into())
                                })
                            })
                            .collect::<Result<_, _>>()?,
                        Some(_) => {
                            return Err(ParseError(
                                "matchExpressions values must be a list".into(),
                            ));
                        }
                    };
                    reqs.push(Requirement::new(key, op, values)?);
                }
            }
            Some(_) => return Err(ParseError("matchExpressions must be a list".into())),
        }
        Ok(Self::from_requirements(reqs))
    }

    /// True when the selector has no requirements and matches everything.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }
    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
    /// Whether a set of labels satisfies every requirement.
    pub fn matches(&self, labels: &(impl Labels + ?Sized)) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }
    /// Convenience: match an object's `metadata.labels` (absent labels are an empty set).
    pub fn matches_object(&self, obj: &Value) -> bool {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let labels = obj
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        self.matches(labels)
    }
}

/// The canonical form (`app=nginx,tier in (a,b)`), as upstream's `String()`.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// upstream's byte-wise lexer (a NUL byte ends the input, as there).
fn lex(input: &str) -> Vec<(Token, String)> {
    let b = input.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        while is_whitespace(at(pos)) {
            pos += 1;
        }
        let c = at(pos);
        if c == 0 {
            out.push((Token::EndOfString, String::new()));
            return out;
        }
        let start = pos;
        if is_special(c) {
            // Longest special-symbol run that is still a token.
            let mut last: Option<(Token, usize)> = None;
            let mut end = pos;
            while is_special(at(end)) {
                end += 1;
                if let Some(t) = keyword(&input[start..end]) {
                    last = Some((t, end));
                } else if last.is_some() {
                    break;
                }
            }
            match last {
                Some((t, e)) => {
                    out.push((t, input[start..e].to_string()));
                    pos = e;
                }
                None => {
                    out.push((
                        Token::Error,
                        format!("error expected: keyword found '{}'", &input[start..end]),
                    ));
                    pos = end;
                }
            }
        } else {
            while at(pos) != 0 && !is_special(at(pos)) && !is_whitespace(at(pos)) {
                pos += 1;
            }
            // Splitting only at ASCII bytes keeps `start..pos` on char boundaries.
            let s = &input[start..pos];
            out.push((keyword(s).unwrap_or(Token::Identifier), s.to_string()));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    pos: usize,
}

impl Parser {
    fn new(s: &str) -> Self {
        Self {
            items: lex(s),
            pos: 0,
        }
    }

    fn adjust(t: Token, ctx: Context) -> Token {
        if ctx == Context::Values && matches!(t, Token::In | Token::NotIn) {
            Token::Identifier
        } else {
            t
        }
    }

    fn lookahead(&self, ctx: Context) -> (Token, String) {
        let (t, l) = self
            .items
            .get(self.pos)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        (Self::adjust(t, ctx), l)
    }

    fn consume(&mut self, ctx: Context) -> (Token, String) {
        let r = self.lookahead(ctx);
        if self.pos < self.items.len() {
            self.pos += 1;
        }
        r
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, ParseError> {
        let mut reqs = Vec::new();
        loop {
            let (t, lit) = self.lookahead(Context::Values);
            match t {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| ParseError(format!("unable to parse requirement: {}", e.0)))?;
                    reqs.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(reqs),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(ParseError(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(ParseError(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )));
                        }
                    }
                }
                Token::EndOfString => return Ok(reqs),
                _ => {
                    return Err(ParseError(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, ParseError> {
        let (key, op) = self.parse_key_and_infer_operator()?;
        if let Some(op) = op {
            return Requirement::new(&key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(&key, op, values)
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), ParseError> {
        let mut op = None;
        let (mut t, mut lit) = self.consume(Context::Values);
        if t == Token::DoesNotExist {
            op = Some(Operator::DoesNotExist);
            (t, lit) = self.consume(Context::Values);
        }
        if t != Token::Identifier {
            return Err(ParseError(format!("found '{lit}', expected: identifier")));
        }
        let errs = is_qualified_name(&lit);
        if !errs.is_empty() {
            // upstream validates with the parser's nil path here.
            return Err(ParseError(invalid("<nil>", &lit, &errs.join("; "))));
        }
        let (next, _) = self.lookahead(Context::Values);
        if matches!(next, Token::EndOfString | Token::Comma) && op.is_none() {
            op = Some(Operator::Exists);
        }
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, ParseError> {
        let (t, lit) = self.consume(Context::KeyAndOperator);
        Ok(match t {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(ParseError(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                )));
            }
        })
    }

    fn parse_values(&mut self) -> Result<Vec<String>, ParseError> {
        let (t, lit) = self.consume(Context::Values);
        if t != Token::OpenPar {
            return Err(ParseError(format!("found '{lit}' expected: '('")));
        }
        let (t, lit) = self.lookahead(Context::Values);
        match t {
            Token::Identifier | Token::Comma => {
                let s = self.parse_identifiers_list()?;
                let (t, _) = self.consume(Context::Values);
                if t != Token::ClosedPar {
                    return Err(ParseError(format!("found '{lit}', expected: ')'")));
                }
                Ok(s)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(ParseError(format!(
                "found '{lit}', expected: ',', ')' or identifier"
            ))),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, ParseError> {
        let mut s: Vec<String> = Vec::new();
        let insert = |s: &mut Vec<String>, v: String| {
            if !s.contains(&v) {
                s.push(v);
            }
        };
        loop {
            let (t, lit) = self.consume(Context::Values);
            match t {
                Token::Identifier => {
                    insert(&mut s, lit);
                    let (t2, lit2) = self.lookahead(Context::Values);
                    match t2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(s),
                        _ => {
                            return Err(ParseError(format!(
                                "found '{lit2}', expected: ',' or ')'"
                            )));
                        }
                    }
                }
                Token::Comma => {
                    if s.is_empty() {
                        insert(&mut s, String::new());
                    }
                    let (t2, _) = self.lookahead(Context::Values);
                    if t2 == Token::ClosedPar {
                        insert(&mut s, String::new());
                        return Ok(s);
                    }
                    if t2 == Token::Comma {
                        self.consume(Context::Values);
                        insert(&mut s, String::new());
                    }
                }
                _ => {
                    return Err(ParseError(format!(
                        "found '{lit}', expected: ',', or identifier"
                    )));
                }
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, ParseError> {
        let (t, _) = self.lookahead(Context::Values);
        if matches!(t, Token::EndOfString | Token::Comma) {
            return Ok(vec![String::new()]);
        }
        let (t, lit) = self.consume(Context::Values);
        if t == Token::Identifier {
            Ok(vec![lit])
        } else {
            Err(ParseError(format!("found '{lit}', expected: identifier")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_and_prints_canonically() {
        let cases = [
            ("", ""),
            ("x=a", "x=a"),
            ("x==a", "x==a"),
            ("x!=a", "x!=a"),
            (" x = a , y", "x=a,y"),
            ("z in (b, a),!w", "!w,z in (a,b)"),
            ("x notin (a)", "x notin (a)"),
            ("x in ()", "x in ()"),
            ("x in (,a)", "x in (,a)"),
            ("x>1,y<2", "x>1,y<2"),
            ("x=", "x="),
            ("x=,y=b", "x=,y=b"),
            ("x in (in,notin)", "x in (in,notin)"),
            (
                "app.kubernetes.io/name=nginx",
                "app.kubernetes.io/name=nginx",
            ),
            ("b=1,a=2", "a=2,b=1"),
        ];
        for (input, want) in cases {
            let s = Selector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(s.to_string(), want, "{input}");
            assert_eq!(Selector::parse(want).unwrap(), s);
        }
    }

    #[test]
    fn errors_are_upstreams() {
        let cases = [
            ("x=a,", "found '', expected: identifier after ','"),
            (
                "=a",
                "found '=', expected: !, identifier, or 'end of string'",
            ),
            ("x=a b", "found 'b', expected: ',' or 'end of string'"),
            (
                "x in a",
                "unable to parse requirement: found 'a' expected: '('",
            ),
            (
                "x in (a",
                "unable to parse requirement: found '', expected: ',' or ')'",
            ),
            (
                "x a",
                "unable to parse requirement: found 'a', expected: in, notin, =, ==, !=, gt, lt",
            ),
            ("!x=a", "found '=', expected: ',' or 'end of string'"),
            (
                "x>a",
                "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            (
                "x=a@b",
                "unable to parse requirement: values[0][x]: Invalid value: \"a@b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
            (
                "-x=a",
                "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ),
            (
                "x=>a",
                "unable to parse requirement: found '>', expected: identifier",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                Selector::parse(input).unwrap_err().0,
                want,
                "input {input:?}"
            );
        }
        // A special-symbol run that is no token.
        assert!(
            Selector::parse("x=!!a")
                .unwrap_err()
                .0
                .contains("expected: identifier")
        );
    }

    #[test]
    fn matches_like_upstream() {
        let l = labels(&[("app", "nginx"), ("tier", "web"), ("n", "5")]);
        let yes = [
            "",
            "app=nginx",
            "app==nginx",
            "app",
            "!missing",
            "app in (nginx,x)",
            "tier notin (db)",
            "missing notin (db)",
            "missing!=x",
            "n>4,n<6",
            "app=nginx,tier=web",
        ];
        let no = [
            "app=x",
            "!app",
            "missing",
            "missing=x",
            "missing in (x)",
            "app notin (nginx)",
            "n>5",
            "app>1",
            "missing<9",
            "app=nginx,tier=db",
        ];
        for s in yes {
            assert!(Selector::parse(s).unwrap().matches(&l), "{s}");
        }
        for s in no {
            assert!(!Selector::parse(s).unwrap().matches(&l), "{s}");
        }
        let obj = json!({"metadata": {"labels": {"app": "nginx"}}});
        assert!(Selector::parse("app=nginx").unwrap().matches_object(&obj));
        assert!(Selector::parse("!x").unwrap().matches_object(&json!({})));
    }

    #[test]
    fn from_label_selector_object() {
        let s = Selector::from_label_selector(&json!({
            "matchLabels": {"app": "nginx"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["web", "api"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "env", "operator": "Exists"},
                {"key": "zone", "operator": "NotIn", "values": ["a"]}
            ]
        }))
        .unwrap();
        assert_eq!(
            s.to_string(),
            "app=nginx,!canary,env,tier in (api,web),zone notin (a)"
        );
        assert_eq!(
            Selector::from_label_selector(&json!({"matchLabels": {"app": "nginx"}}))
                .unwrap()
                .to_string(),
            "app=nginx"
        );
        let every = Selector::from_label_selector(&json!({})).unwrap();
        assert!(every.is_empty() && every.matches(&labels(&[])));
        let nothing = Selector::from_label_selector(&Value::Null).unwrap();
        assert!(!nothing.matches(&labels(&[])));
        assert_eq!(
            Selector::from_label_selector(
                &json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
            )
            .unwrap_err()
            .0,
            "\"Foo\" is not a valid label selector operator"
        );
        assert_eq!(
            Selector::from_label_selector(
                &json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
            )
            .unwrap_err()
            .0,
            "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
        );
    }

    fn arb_name() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9._-]{0,6}[a-z0-9])?"
    }

    fn arb_requirement() -> impl Strategy<Value = Requirement> {
        let key = (
            proptest::option::of("[a-z]{1,5}(\\.[a-z]{1,4})?"),
            arb_name(),
        )
            .prop_map(|(p, n)| match p {
                Some(p) => format!("{p}/{n}"),
                None => n,
            });
        let value = prop_oneof![Just(String::new()), arb_name()];
        (
            key,
            0..9u8,
            proptest::collection::vec(value, 1..4),
            0i64..999,
        )
            .prop_map(|(k, op, vals, n)| {
                let (op, vals) = match op {
                    0 => (Operator::Equals, vec![vals[0].clone()]),
                    1 => (Operator::DoubleEquals, vec![vals[0].clone()]),
                    2 => (Operator::NotEquals, vec![vals[0].clone()]),
                    3 => (Operator::In, vals),
                    4 => (Operator::NotIn, vals),
                    5 => (Operator::Exists, vec![]),
                    6 => (Operator::DoesNotExist, vec![]),
                    7 => (Operator::GreaterThan, vec![n.to_string()]),
                    _ => (Operator::LessThan, vec![n.to_string()]),
                };
                Requirement::new(&k, op, vals).expect("generated requirement is valid")
            })
    }

    proptest! {
        #[test]
        fn roundtrips(reqs in proptest::collection::vec(arb_requirement(), 0..5)) {
            let sel = Selector::from_requirements(reqs);
            let printed = sel.to_string();
            let back = Selector::parse(&printed).unwrap();
            prop_assert_eq!(back.to_string(), printed);
            // Same key order may differ for equal keys; compare as sets of terms.
            let mut a: Vec<String> = sel.requirements().iter().map(|r| r.to_string()).collect();
            let mut b: Vec<String> = back.requirements().iter().map(|r| r.to_string()).collect();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Selector::parse(&s);
        }

        #[test]
        fn never_panics_on_selector_alphabet(s in "[a-z=!(), <>in\\t]{0,30}") {
            if let Ok(sel) = Selector::parse(&s) {
                let again = Selector::parse(&sel.to_string()).unwrap();
                prop_assert_eq!(again.to_string(), sel.to_string());
            }
        }
    }
}
