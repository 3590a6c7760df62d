//! `/openapi/v2` as protobuf: the Swagger 2.0 document as gnostic's
//! `openapi.v2.Document` message (`application/com.github.proto-openapi.spec.v2.v1.0+protobuf`),
//! which kubectl asks for when it validates a List or opens several objects in
//! `kubectl edit`.
//!
//! Upstream parses its JSON document into gnostic's generated Go types and
//! marshals them; here [`document`] walks the JSON the same way (the message
//! layout is gnostic's `OpenAPIv2.proto`, declared with prost's derive) and
//! [`encode`] marshals it. Every free-form value (`default`, `example`,
//! `enum` members and `x-` vendor extensions) is an `Any` that carries the
//! value as YAML text, as gnostic writes it; kubectl's `proto.Models` parses
//! that YAML back.
//!
//! Only the parts of Swagger 2.0 a kube-apiserver document uses are mapped:
//! response `headers`/`examples`, file schemas, `xml` and the OAuth2 security
//! schemes are not produced by this server's generator and are skipped.

#![allow(
    clippy::large_enum_variant,
    clippy::enum_variant_names,
    reason = "the message layout is gnostic's (variant names are its oneof fields); a document is built once"
)]

use prost::Message;
use serde_json::{Map, Value};

#[derive(Clone, PartialEq, Message)]
pub struct Document {
    #[prost(string, tag = "1")]
    pub swagger: String,
    #[prost(message, optional, tag = "2")]
    pub info: Option<Info>,
    #[prost(string, tag = "3")]
    pub host: String,
    #[prost(string, tag = "4")]
    pub base_path: String,
    #[prost(string, repeated, tag = "5")]
    pub schemes: Vec<String>,
    #[prost(string, repeated, tag = "6")]
    pub consumes: Vec<String>,
    #[prost(string, repeated, tag = "7")]
    pub produces: Vec<String>,
    #[prost(message, optional, tag = "8")]
    pub paths: Option<Paths>,
    #[prost(message, optional, tag = "9")]
    pub definitions: Option<Definitions>,
    #[prost(message, repeated, tag = "12")]
    pub security: Vec<SecurityRequirement>,
    #[prost(message, optional, tag = "13")]
    pub security_definitions: Option<SecurityDefinitions>,
    #[prost(message, repeated, tag = "14")]
    pub tags: Vec<Tag>,
    #[prost(message, optional, tag = "15")]
    pub external_docs: Option<ExternalDocs>,
    #[prost(message, repeated, tag = "16")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Info {
    #[prost(string, tag = "1")]
    pub title: String,
    #[prost(string, tag = "2")]
    pub version: String,
    #[prost(string, tag = "3")]
    pub description: String,
    #[prost(string, tag = "4")]
    pub terms_of_service: String,
    #[prost(message, repeated, tag = "7")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Any {
    #[prost(string, tag = "2")]
    pub yaml: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct NamedAny {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<Any>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ExternalDocs {
    #[prost(string, tag = "1")]
    pub description: String,
    #[prost(string, tag = "2")]
    pub url: String,
    #[prost(message, repeated, tag = "3")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Tag {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub description: String,
    #[prost(message, optional, tag = "3")]
    pub external_docs: Option<ExternalDocs>,
    #[prost(message, repeated, tag = "4")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Paths {
    #[prost(message, repeated, tag = "1")]
    pub vendor_extension: Vec<NamedAny>,
    #[prost(message, repeated, tag = "2")]
    pub path: Vec<NamedPathItem>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NamedPathItem {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<PathItem>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PathItem {
    #[prost(string, tag = "1")]
    pub r#ref: String,
    #[prost(message, optional, tag = "2")]
    pub get: Option<Operation>,
    #[prost(message, optional, tag = "3")]
    pub put: Option<Operation>,
    #[prost(message, optional, tag = "4")]
    pub post: Option<Operation>,
    #[prost(message, optional, tag = "5")]
    pub delete: Option<Operation>,
    #[prost(message, optional, tag = "6")]
    pub options: Option<Operation>,
    #[prost(message, optional, tag = "7")]
    pub head: Option<Operation>,
    #[prost(message, optional, tag = "8")]
    pub patch: Option<Operation>,
    #[prost(message, repeated, tag = "9")]
    pub parameters: Vec<ParametersItem>,
    #[prost(message, repeated, tag = "10")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Operation {
    #[prost(string, repeated, tag = "1")]
    pub tags: Vec<String>,
    #[prost(string, tag = "2")]
    pub summary: String,
    #[prost(string, tag = "3")]
    pub description: String,
    #[prost(message, optional, tag = "4")]
    pub external_docs: Option<ExternalDocs>,
    #[prost(string, tag = "5")]
    pub operation_id: String,
    #[prost(string, repeated, tag = "6")]
    pub produces: Vec<String>,
    #[prost(string, repeated, tag = "7")]
    pub consumes: Vec<String>,
    #[prost(message, repeated, tag = "8")]
    pub parameters: Vec<ParametersItem>,
    #[prost(message, optional, tag = "9")]
    pub responses: Option<Responses>,
    #[prost(string, repeated, tag = "10")]
    pub schemes: Vec<String>,
    #[prost(bool, tag = "11")]
    pub deprecated: bool,
    #[prost(message, repeated, tag = "12")]
    pub security: Vec<SecurityRequirement>,
    #[prost(message, repeated, tag = "13")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ParametersItem {
    #[prost(oneof = "parameters_item::Oneof", tags = "1, 2")]
    pub oneof: Option<parameters_item::Oneof>,
}

pub mod parameters_item {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Oneof {
        #[prost(message, tag = "1")]
        Parameter(super::Parameter),
        #[prost(message, tag = "2")]
        JsonReference(super::JsonReference),
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct JsonReference {
    #[prost(string, tag = "1")]
    pub r#ref: String,
    #[prost(string, tag = "2")]
    pub description: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct Parameter {
    #[prost(oneof = "parameter::Oneof", tags = "1, 2")]
    pub oneof: Option<parameter::Oneof>,
}

pub mod parameter {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Oneof {
        #[prost(message, tag = "1")]
        BodyParameter(super::BodyParameter),
        #[prost(message, tag = "2")]
        NonBodyParameter(super::NonBodyParameter),
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct BodyParameter {
    #[prost(string, tag = "1")]
    pub description: String,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub r#in: String,
    #[prost(bool, tag = "4")]
    pub required: bool,
    #[prost(message, optional, tag = "5")]
    pub schema: Option<Schema>,
    #[prost(message, repeated, tag = "6")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NonBodyParameter {
    #[prost(oneof = "non_body_parameter::Oneof", tags = "1, 2, 3, 4")]
    pub oneof: Option<non_body_parameter::Oneof>,
}

pub mod non_body_parameter {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Oneof {
        #[prost(message, tag = "1")]
        HeaderParameterSubSchema(super::PlainParameter),
        #[prost(message, tag = "2")]
        FormDataParameterSubSchema(super::EmptiableParameter),
        #[prost(message, tag = "3")]
        QueryParameterSubSchema(super::EmptiableParameter),
        #[prost(message, tag = "4")]
        PathParameterSubSchema(super::PlainParameter),
    }
}

/// `HeaderParameterSubSchema` and `PathParameterSubSchema` (one layout).
#[derive(Clone, PartialEq, Message)]
pub struct PlainParameter {
    #[prost(bool, tag = "1")]
    pub required: bool,
    #[prost(string, tag = "2")]
    pub r#in: String,
    #[prost(string, tag = "3")]
    pub description: String,
    #[prost(string, tag = "4")]
    pub name: String,
    #[prost(string, tag = "5")]
    pub r#type: String,
    #[prost(string, tag = "6")]
    pub format: String,
    #[prost(message, optional, tag = "7")]
    pub items: Option<PrimitivesItems>,
    #[prost(string, tag = "8")]
    pub collection_format: String,
    #[prost(message, optional, tag = "9")]
    pub default: Option<Any>,
    #[prost(bool, tag = "19")]
    pub unique_items: bool,
    #[prost(message, repeated, tag = "20")]
    pub r#enum: Vec<Any>,
    #[prost(message, repeated, tag = "22")]
    pub vendor_extension: Vec<NamedAny>,
}

/// `QueryParameterSubSchema` and `FormDataParameterSubSchema` (one layout:
/// `allowEmptyValue` is field 5 and shifts the rest by one).
#[derive(Clone, PartialEq, Message)]
pub struct EmptiableParameter {
    #[prost(bool, tag = "1")]
    pub required: bool,
    #[prost(string, tag = "2")]
    pub r#in: String,
    #[prost(string, tag = "3")]
    pub description: String,
    #[prost(string, tag = "4")]
    pub name: String,
    #[prost(bool, tag = "5")]
    pub allow_empty_value: bool,
    #[prost(string, tag = "6")]
    pub r#type: String,
    #[prost(string, tag = "7")]
    pub format: String,
    #[prost(message, optional, tag = "8")]
    pub items: Option<PrimitivesItems>,
    #[prost(string, tag = "9")]
    pub collection_format: String,
    #[prost(message, optional, tag = "10")]
    pub default: Option<Any>,
    #[prost(bool, tag = "20")]
    pub unique_items: bool,
    #[prost(message, repeated, tag = "21")]
    pub r#enum: Vec<Any>,
    #[prost(message, repeated, tag = "23")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PrimitivesItems {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(string, tag = "2")]
    pub format: String,
    #[prost(message, optional, boxed, tag = "3")]
    pub items: Option<Box<PrimitivesItems>>,
    #[prost(string, tag = "4")]
    pub collection_format: String,
    #[prost(message, optional, tag = "5")]
    pub default: Option<Any>,
    #[prost(bool, tag = "15")]
    pub unique_items: bool,
    #[prost(message, repeated, tag = "16")]
    pub r#enum: Vec<Any>,
    #[prost(message, repeated, tag = "18")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Responses {
    #[prost(message, repeated, tag = "1")]
    pub response_code: Vec<NamedResponseValue>,
    #[prost(message, repeated, tag = "2")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NamedResponseValue {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<ResponseValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResponseValue {
    #[prost(oneof = "response_value::Oneof", tags = "1, 2")]
    pub oneof: Option<response_value::Oneof>,
}

pub mod response_value {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Oneof {
        #[prost(message, tag = "1")]
        Response(super::Response),
        #[prost(message, tag = "2")]
        JsonReference(super::JsonReference),
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct Response {
    #[prost(string, tag = "1")]
    pub description: String,
    #[prost(message, optional, tag = "2")]
    pub schema: Option<SchemaItem>,
    #[prost(message, repeated, tag = "5")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SchemaItem {
    #[prost(oneof = "schema_item::Oneof", tags = "1")]
    pub oneof: Option<schema_item::Oneof>,
}

pub mod schema_item {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Oneof {
        #[prost(message, tag = "1")]
        Schema(super::Schema),
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct Schema {
    #[prost(string, tag = "1")]
    pub r#ref: String,
    #[prost(string, tag = "2")]
    pub format: String,
    #[prost(string, tag = "3")]
    pub title: String,
    #[prost(string, tag = "4")]
    pub description: String,
    #[prost(message, optional, tag = "5")]
    pub default: Option<Any>,
    #[prost(double, tag = "6")]
    pub multiple_of: f64,
    #[prost(double, tag = "7")]
    pub maximum: f64,
    #[prost(bool, tag = "8")]
    pub exclusive_maximum: bool,
    #[prost(double, tag = "9")]
    pub minimum: f64,
    #[prost(bool, tag = "10")]
    pub exclusive_minimum: bool,
    #[prost(int64, tag = "11")]
    pub max_length: i64,
    #[prost(int64, tag = "12")]
    pub min_length: i64,
    #[prost(string, tag = "13")]
    pub pattern: String,
    #[prost(int64, tag = "14")]
    pub max_items: i64,
    #[prost(int64, tag = "15")]
    pub min_items: i64,
    #[prost(bool, tag = "16")]
    pub unique_items: bool,
    #[prost(int64, tag = "17")]
    pub max_properties: i64,
    #[prost(int64, tag = "18")]
    pub min_properties: i64,
    #[prost(string, repeated, tag = "19")]
    pub required: Vec<String>,
    #[prost(message, repeated, tag = "20")]
    pub r#enum: Vec<Any>,
    #[prost(message, optional, boxed, tag = "21")]
    pub additional_properties: Option<Box<AdditionalPropertiesItem>>,
    #[prost(message, optional, tag = "22")]
    pub r#type: Option<TypeItem>,
    #[prost(message, optional, tag = "23")]
    pub items: Option<ItemsItem>,
    #[prost(message, repeated, tag = "24")]
    pub all_of: Vec<Schema>,
    #[prost(message, optional, tag = "25")]
    pub properties: Option<Properties>,
    #[prost(string, tag = "26")]
    pub discriminator: String,
    #[prost(bool, tag = "27")]
    pub read_only: bool,
    #[prost(message, optional, tag = "29")]
    pub external_docs: Option<ExternalDocs>,
    #[prost(message, optional, tag = "30")]
    pub example: Option<Any>,
    #[prost(message, repeated, tag = "31")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct AdditionalPropertiesItem {
    #[prost(oneof = "additional_properties_item::Oneof", tags = "1, 2")]
    pub oneof: Option<additional_properties_item::Oneof>,
}

pub mod additional_properties_item {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Oneof {
        #[prost(message, tag = "1")]
        Schema(super::Schema),
        #[prost(bool, tag = "2")]
        Boolean(bool),
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct TypeItem {
    #[prost(string, repeated, tag = "1")]
    pub value: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ItemsItem {
    #[prost(message, repeated, tag = "1")]
    pub schema: Vec<Schema>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Properties {
    #[prost(message, repeated, tag = "1")]
    pub additional_properties: Vec<NamedSchema>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Definitions {
    #[prost(message, repeated, tag = "1")]
    pub additional_properties: Vec<NamedSchema>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NamedSchema {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<Schema>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SecurityRequirement {
    #[prost(message, repeated, tag = "1")]
    pub additional_properties: Vec<NamedStringArray>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NamedStringArray {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<StringArray>,
}

#[derive(Clone, PartialEq, Message)]
pub struct StringArray {
    #[prost(string, repeated, tag = "1")]
    pub value: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SecurityDefinitions {
    #[prost(message, repeated, tag = "1")]
    pub additional_properties: Vec<NamedSecurityDefinitionsItem>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NamedSecurityDefinitionsItem {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<SecurityDefinitionsItem>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SecurityDefinitionsItem {
    #[prost(oneof = "security_definitions_item::Oneof", tags = "1, 2")]
    pub oneof: Option<security_definitions_item::Oneof>,
}

pub mod security_definitions_item {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Oneof {
        #[prost(message, tag = "1")]
        BasicAuthenticationSecurity(super::BasicAuthenticationSecurity),
        #[prost(message, tag = "2")]
        ApiKeySecurity(super::ApiKeySecurity),
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct BasicAuthenticationSecurity {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(string, tag = "2")]
    pub description: String,
    #[prost(message, repeated, tag = "3")]
    pub vendor_extension: Vec<NamedAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ApiKeySecurity {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub r#in: String,
    #[prost(string, tag = "4")]
    pub description: String,
    #[prost(message, repeated, tag = "5")]
    pub vendor_extension: Vec<NamedAny>,
}

// ---- JSON → messages -------------------------------------------------------

/// One JSON object being read field by field.
struct Obj<'a>(&'a Map<String, Value>);

impl<'a> Obj<'a> {
    fn of(v: &'a Value) -> Self {
        static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
        Obj(v.as_object().unwrap_or(&EMPTY))
    }

    fn get(&self, k: &str) -> Option<&'a Value> {
        self.0.get(k)
    }

    fn string(&self, k: &str) -> String {
        self.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    fn strings(&self, k: &str) -> Vec<String> {
        match self.get(k) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    fn bool(&self, k: &str) -> bool {
        self.get(k).and_then(Value::as_bool).unwrap_or(false)
    }

    fn f64(&self, k: &str) -> f64 {
        self.get(k).and_then(Value::as_f64).unwrap_or(0.0)
    }

    fn i64(&self, k: &str) -> i64 {
        self.get(k).and_then(Value::as_i64).unwrap_or(0)
    }

    fn any(&self, k: &str) -> Option<Any> {
        self.get(k).map(any)
    }

    fn anys(&self, k: &str) -> Vec<Any> {
        self.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(any).collect())
            .unwrap_or_default()
    }

    /// The `x-` keys, in document order.
    fn vendor_extensions(&self) -> Vec<NamedAny> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with("x-"))
            .map(|(k, v)| NamedAny {
                name: k.clone(),
                value: Some(any(v)),
            })
            .collect()
    }

    fn entries(&self, k: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.get(k).and_then(Value::as_object).into_iter().flatten()
    }
}

fn any(v: &Value) -> Any {
    Any { yaml: yaml(v) }
}

fn external_docs(o: &Obj<'_>) -> Option<ExternalDocs> {
    o.get("externalDocs").map(|v| {
        let d = Obj::of(v);
        ExternalDocs {
            description: d.string("description"),
            url: d.string("url"),
            vendor_extension: d.vendor_extensions(),
        }
    })
}

fn schema(v: &Value) -> Schema {
    let o = Obj::of(v);
    Schema {
        r#ref: o.string("$ref"),
        format: o.string("format"),
        title: o.string("title"),
        description: o.string("description"),
        default: o.any("default"),
        multiple_of: o.f64("multipleOf"),
        maximum: o.f64("maximum"),
        exclusive_maximum: o.bool("exclusiveMaximum"),
        minimum: o.f64("minimum"),
        exclusive_minimum: o.bool("exclusiveMinimum"),
        max_length: o.i64("maxLength"),
        min_length: o.i64("minLength"),
        pattern: o.string("pattern"),
        max_items: o.i64("maxItems"),
        min_items: o.i64("minItems"),
        unique_items: o.bool("uniqueItems"),
        max_properties: o.i64("maxProperties"),
        min_properties: o.i64("minProperties"),
        required: o.strings("required"),
        r#enum: o.anys("enum"),
        additional_properties: o.get("additionalProperties").map(|a| {
            use additional_properties_item::Oneof;
            Box::new(AdditionalPropertiesItem {
                oneof: Some(match a {
                    Value::Bool(b) => Oneof::Boolean(*b),
                    s => Oneof::Schema(schema(s)),
                }),
            })
        }),
        r#type: o.get("type").map(|_| TypeItem {
            value: o.strings("type"),
        }),
        items: o.get("items").map(|i| ItemsItem {
            schema: match i {
                Value::Array(a) => a.iter().map(schema).collect(),
                s => vec![schema(s)],
            },
        }),
        all_of: o
            .get("allOf")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(schema).collect())
            .unwrap_or_default(),
        properties: o.get("properties").map(|_| Properties {
            additional_properties: named_schemas(&o, "properties"),
        }),
        discriminator: o.string("discriminator"),
        read_only: o.bool("readOnly"),
        external_docs: external_docs(&o),
        example: o.any("example"),
        vendor_extension: o.vendor_extensions(),
    }
}

fn named_schemas(o: &Obj<'_>, k: &str) -> Vec<NamedSchema> {
    o.entries(k)
        .map(|(name, v)| NamedSchema {
            name: name.clone(),
            value: Some(schema(v)),
        })
        .collect()
}

fn primitives_items(v: &Value) -> PrimitivesItems {
    let o = Obj::of(v);
    PrimitivesItems {
        r#type: o.string("type"),
        format: o.string("format"),
        items: o.get("items").map(|i| Box::new(primitives_items(i))),
        collection_format: o.string("collectionFormat"),
        default: o.any("default"),
        unique_items: o.bool("uniqueItems"),
        r#enum: o.anys("enum"),
        vendor_extension: o.vendor_extensions(),
    }
}

fn json_reference(o: &Obj<'_>) -> JsonReference {
    JsonReference {
        r#ref: o.string("$ref"),
        description: o.string("description"),
    }
}

fn parameters_item(v: &Value) -> ParametersItem {
    use non_body_parameter::Oneof as NonBody;
    use parameter::Oneof as P;
    let o = Obj::of(v);
    if o.get("$ref").is_some() {
        return ParametersItem {
            oneof: Some(parameters_item::Oneof::JsonReference(json_reference(&o))),
        };
    }
    let plain = || PlainParameter {
        required: o.bool("required"),
        r#in: o.string("in"),
        description: o.string("description"),
        name: o.string("name"),
        r#type: o.string("type"),
        format: o.string("format"),
        items: o.get("items").map(primitives_items),
        collection_format: o.string("collectionFormat"),
        default: o.any("default"),
        unique_items: o.bool("uniqueItems"),
        r#enum: o.anys("enum"),
        vendor_extension: o.vendor_extensions(),
    };
    let emptiable = || EmptiableParameter {
        required: o.bool("required"),
        r#in: o.string("in"),
        description: o.string("description"),
        name: o.string("name"),
        allow_empty_value: o.bool("allowEmptyValue"),
        r#type: o.string("type"),
        format: o.string("format"),
        items: o.get("items").map(primitives_items),
        collection_format: o.string("collectionFormat"),
        default: o.any("default"),
        unique_items: o.bool("uniqueItems"),
        r#enum: o.anys("enum"),
        vendor_extension: o.vendor_extensions(),
    };
    let p = match o.get("in").and_then(Value::as_str).unwrap_or_default() {
        "body" => P::BodyParameter(BodyParameter {
            description: o.string("description"),
            name: o.string("name"),
            r#in: o.string("in"),
            required: o.bool("required"),
            schema: o.get("schema").map(schema),
            vendor_extension: o.vendor_extensions(),
        }),
        "header" => P::NonBodyParameter(NonBodyParameter {
            oneof: Some(NonBody::HeaderParameterSubSchema(plain())),
        }),
        "path" => P::NonBodyParameter(NonBodyParameter {
            oneof: Some(NonBody::PathParameterSubSchema(plain())),
        }),
        "formData" => P::NonBodyParameter(NonBodyParameter {
            oneof: Some(NonBody::FormDataParameterSubSchema(emptiable())),
        }),
        _ => P::NonBodyParameter(NonBodyParameter {
            oneof: Some(NonBody::QueryParameterSubSchema(emptiable())),
        }),
    };
    ParametersItem {
        oneof: Some(parameters_item::Oneof::Parameter(Parameter {
            oneof: Some(p),
        })),
    }
}

fn parameters(o: &Obj<'_>) -> Vec<ParametersItem> {
    o.get("parameters")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(parameters_item).collect())
        .unwrap_or_default()
}

fn security(o: &Obj<'_>) -> Vec<SecurityRequirement> {
    let Some(list) = o.get("security").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|req| SecurityRequirement {
            additional_properties: Obj::of(req)
                .0
                .iter()
                .map(|(name, scopes)| NamedStringArray {
                    name: name.clone(),
                    value: Some(StringArray {
                        value: scopes
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect(),
                    }),
                })
                .collect(),
        })
        .collect()
}

fn responses(v: &Value) -> Responses {
    let o = Obj::of(v);
    Responses {
        response_code: o
            .0
            .iter()
            .filter(|(k, _)| !k.starts_with("x-"))
            .map(|(code, r)| {
                let ro = Obj::of(r);
                let value = if ro.get("$ref").is_some() {
                    response_value::Oneof::JsonReference(json_reference(&ro))
                } else {
                    response_value::Oneof::Response(Response {
                        description: ro.string("description"),
                        schema: ro.get("schema").map(|s| SchemaItem {
                            oneof: Some(schema_item::Oneof::Schema(schema(s))),
                        }),
                        vendor_extension: ro.vendor_extensions(),
                    })
                };
                NamedResponseValue {
                    name: code.clone(),
                    value: Some(ResponseValue { oneof: Some(value) }),
                }
            })
            .collect(),
        vendor_extension: o.vendor_extensions(),
    }
}

fn operation(v: &Value) -> Operation {
    let o = Obj::of(v);
    Operation {
        tags: o.strings("tags"),
        summary: o.string("summary"),
        description: o.string("description"),
        external_docs: external_docs(&o),
        operation_id: o.string("operationId"),
        produces: o.strings("produces"),
        consumes: o.strings("consumes"),
        parameters: parameters(&o),
        responses: o.get("responses").map(responses),
        schemes: o.strings("schemes"),
        deprecated: o.bool("deprecated"),
        security: security(&o),
        vendor_extension: o.vendor_extensions(),
    }
}

fn path_item(v: &Value) -> PathItem {
    let o = Obj::of(v);
    let op = |k: &str| o.get(k).map(operation);
    PathItem {
        r#ref: o.string("$ref"),
        get: op("get"),
        put: op("put"),
        post: op("post"),
        delete: op("delete"),
        options: op("options"),
        head: op("head"),
        patch: op("patch"),
        parameters: parameters(&o),
        vendor_extension: o.vendor_extensions(),
    }
}

fn security_definitions(o: &Obj<'_>) -> Option<SecurityDefinitions> {
    use security_definitions_item::Oneof;
    o.get("securityDefinitions")?;
    let additional_properties = o
        .entries("securityDefinitions")
        .filter_map(|(name, v)| {
            let d = Obj::of(v);
            let item = match d.get("type").and_then(Value::as_str)? {
                "basic" => Oneof::BasicAuthenticationSecurity(BasicAuthenticationSecurity {
                    r#type: d.string("type"),
                    description: d.string("description"),
                    vendor_extension: d.vendor_extensions(),
                }),
                "apiKey" => Oneof::ApiKeySecurity(ApiKeySecurity {
                    r#type: d.string("type"),
                    name: d.string("name"),
                    r#in: d.string("in"),
                    description: d.string("description"),
                    vendor_extension: d.vendor_extensions(),
                }),
                _ => return None,
            };
            Some(NamedSecurityDefinitionsItem {
                name: name.clone(),
                value: Some(SecurityDefinitionsItem { oneof: Some(item) }),
            })
        })
        .collect();
    Some(SecurityDefinitions {
        additional_properties,
    })
}

/// The Swagger 2.0 JSON document `doc` as gnostic's `Document`.
pub fn document(doc: &Value) -> Document {
    let o = Obj::of(doc);
    Document {
        swagger: o.string("swagger"),
        info: o.get("info").map(|i| {
            let i = Obj::of(i);
            Info {
                title: i.string("title"),
                version: i.string("version"),
                description: i.string("description"),
                terms_of_service: i.string("termsOfService"),
                vendor_extension: i.vendor_extensions(),
            }
        }),
        host: o.string("host"),
        base_path: o.string("basePath"),
        schemes: o.strings("schemes"),
        consumes: o.strings("consumes"),
        produces: o.strings("produces"),
        paths: o.get("paths").map(|p| {
            let p = Obj::of(p);
            Paths {
                vendor_extension: p.vendor_extensions(),
                path: p
                    .0
                    .iter()
                    .filter(|(k, _)| k.starts_with('/'))
                    .map(|(k, v)| NamedPathItem {
                        name: k.clone(),
                        value: Some(path_item(v)),
                    })
                    .collect(),
            }
        }),
        definitions: o.get("definitions").map(|_| Definitions {
            additional_properties: named_schemas(&o, "definitions"),
        }),
        security: security(&o),
        security_definitions: security_definitions(&o),
        tags: o
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|t| {
                let t = Obj::of(t);
                Tag {
                    name: t.string("name"),
                    description: t.string("description"),
                    external_docs: external_docs(&t),
                    vendor_extension: t.vendor_extensions(),
                }
            })
            .collect(),
        external_docs: external_docs(&o),
        vendor_extension: o.vendor_extensions(),
    }
}

/// The protobuf bytes of the Swagger 2.0 JSON document `doc`.
pub fn encode(doc: &Value) -> Vec<u8> {
    document(doc).encode_to_vec()
}

// ---- YAML text of an `Any` -------------------------------------------------

/// `v` as block YAML, the way gnostic writes an `Any` (yaml.v3, 4-space
/// indent, styles cleared): mappings keep their key order, strings are plain
/// unless they would read back as something else.
pub fn yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => yaml_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => yaml_seq(&mut out, a, 0),
        s => {
            out.push_str(&scalar(s));
            out.push('\n');
        }
    }
    out
}

fn yaml_map(out: &mut String, m: &Map<String, Value>, indent: usize) {
    for (i, (k, v)) in m.iter().enumerate() {
        // The first key of a mapping inside a sequence item follows the `- `.
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&quote(k));
        out.push(':');
        yaml_value(out, v, indent + 4);
    }
}

fn yaml_seq(out: &mut String, a: &[Value], indent: usize) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => yaml_map(out, m, indent + 2),
            Value::Array(inner) if !inner.is_empty() => yaml_seq(out, inner, indent + 2),
            s => {
                out.push_str(&scalar(s));
                out.push('\n');
            }
        }
    }
}

/// A mapping value after `key:`: nested collections on the next lines.
fn yaml_value(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(out, m, indent);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(out, a, indent);
        }
        s => {
            out.push(' ');
            out.push_str(&scalar(s));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// `s` plain when it cannot be read as anything but that string (YAML 1.1 or
/// 1.2), else double-quoted (JSON's escapes are YAML's).
fn quote(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_of_vendor_extensions() {
        assert_eq!(
            yaml(&json!([{"group": "", "kind": "Pod", "version": "v1"}])),
            "- group: \"\"\n  kind: Pod\n  version: v1\n"
        );
        assert_eq!(yaml(&json!("merge")), "merge\n");
        assert_eq!(yaml(&json!(["name", "protocol"])), "- name\n- protocol\n");
        assert_eq!(yaml(&json!("true")), "\"true\"\n");
        assert_eq!(yaml(&json!("1.5")), "\"1.5\"\n");
        assert_eq!(
            yaml(&json!({"a": {"b": [1, {"c": "x y"}]}, "e": {}})),
            "a:\n    b:\n        - 1\n        - c: \"x y\"\ne: {}\n"
        );
    }

    #[test]
    fn document_round_trips_through_the_wire() {
        let doc = json!({
            "swagger": "2.0",
            "info": {"title": "Kubernetes", "version": "v1.37.0"},
            "paths": {"/api/v1/pods": {
                "get": {
                    "operationId": "listCoreV1PodForAllNamespaces",
                    "parameters": [{"in": "body", "name": "body", "required": true, "schema": {"$ref": "#/definitions/x"}}],
                    "responses": {"200": {"description": "OK", "schema": {"$ref": "#/definitions/x"}}},
                    "x-kubernetes-action": "list"
                },
                "parameters": [{"uniqueItems": true, "type": "boolean", "name": "watch", "in": "query"},
                               {"type": "string", "name": "name", "in": "path", "required": true}]
            }},
            "definitions": {"x": {"type": "object", "required": ["a"],
                "properties": {"a": {"type": "string"}, "m": {"type": "object", "additionalProperties": {"type": "string"}}},
                "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}]}},
            "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header"}},
            "security": [{"BearerToken": []}]
        });
        let bytes = encode(&doc);
        let back = Document::decode(bytes.as_slice()).unwrap();
        assert_eq!(back, document(&doc));
        let item = back.paths.unwrap().path.remove(0);
        assert_eq!(item.name, "/api/v1/pods");
        let item = item.value.unwrap();
        let get = item.get.unwrap();
        assert_eq!(
            get.vendor_extension[0].value.as_ref().unwrap().yaml,
            "list\n"
        );
        assert!(matches!(
            item.parameters[0].oneof,
            Some(parameters_item::Oneof::Parameter(Parameter {
                oneof: Some(parameter::Oneof::NonBodyParameter(NonBodyParameter {
                    oneof: Some(non_body_parameter::Oneof::QueryParameterSubSchema(
                        EmptiableParameter {
                            unique_items: true,
                            ..
                        }
                    ))
                }))
            }))
        ));
        let def = &back.definitions.unwrap().additional_properties[0];
        let s = def.value.as_ref().unwrap();
        assert_eq!(s.r#type.as_ref().unwrap().value, ["object"]);
        assert_eq!(
            s.properties.as_ref().unwrap().additional_properties.len(),
            2
        );
        assert_eq!(
            s.vendor_extension[0].value.as_ref().unwrap().yaml,
            "- group: \"\"\n  kind: Pod\n  version: v1\n"
        );
    }
}
