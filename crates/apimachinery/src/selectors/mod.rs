//! Label and field selectors with upstream's syntax, canonical form, error
//! messages and matching semantics (`k8s.io/apimachinery/pkg/labels` and
//! `pkg/fields`). Parsing and matching only: deciding which fields a kind
//! supports in a field selector belongs to the registry, not here.

pub mod fields;
pub mod labels;

pub use fields::FieldSelector;
pub use labels::LabelSelector;

pub(crate) use crate::gofmt::go_quote;
