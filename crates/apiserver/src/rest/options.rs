//! Query parameters and the list/watch options they carry.

use std::collections::HashMap;

use apimachinery::ApiError;

/// The parsed query string (the last value wins for repeated keys).
#[derive(Debug, Default, Clone)]
pub struct Query(pub HashMap<String, String>);

impl Query {
    /// A parameter.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
    /// A boolean parameter: see [`query_bool`].
    pub fn flag(&self, k: &str) -> bool {
        self.get(k).is_some_and(query_bool)
    }
    /// A boolean parameter, `None` when absent.
    pub fn bool(&self, k: &str) -> Option<bool> {
        self.get(k).map(query_bool)
    }
    /// An integer parameter.
    pub fn int(&self, k: &str) -> Result<Option<i64>, ApiError> {
        match self.get(k) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value {v:?} for query parameter {k:?}"))
            }),
        }
    }
}

/// A present boolean query parameter as upstream converts it: false for `0` and `false` in
/// any case, true for every other value, the empty one included (`?watch=True`, what
/// Python's `str(True)` sends, is a watch).
pub fn query_bool(v: &str) -> bool {
    !(v == "0" || v.eq_ignore_ascii_case("false"))
}

/// Parse a raw query string.
pub fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}
