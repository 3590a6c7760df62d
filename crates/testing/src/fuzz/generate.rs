//! Objects of built-in kinds generated from the upstream schema, driven by the fuzzer's
//! bytes: mostly the right shape, now and then a value of the wrong type, a `null`, an
//! out-of-range number, an unparsable time or quantity, an unknown field. Random bytes
//! rarely get past `metadata`; these reach every field of a Pod or a Deployment.

use apimachinery::schema::{Definition, Schema, Type};
use serde_json::{Map, Value, json};

/// The fuzzer's bytes as a stream of choices (zeros once they run out).
pub struct Choices<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Choices<'a> {
    /// Choices from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Choices { data, pos: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A choice in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.byte() as usize % n
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    /// Whether the bytes ran out.
    pub fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}

const NAMES: &[&str] = &["a", "b", "app", "k8s.io/x", "x", "Bad_Name", ""];

const STRINGS: &[&str] = &[
    "", "v", "nginx", "TCP", "Always", "http", "YWJj", "a b", "é", "..", "app=x", "\u{0}",
];

/// A value of the wrong kind, or an edge of the right one.
fn wild(c: &mut Choices<'_>) -> Value {
    match c.below(12) {
        0 => Value::Null,
        1 => Value::Bool(c.below(2) == 1),
        2 => json!(c.pick(&[0i64, -1, 2147483648, i64::MAX, i64::MIN])),
        3 => json!(u64::MAX),
        4 => json!(c.pick(&[1.5f64, 1e30, 2.0, -0.0])),
        5 => json!(c.pick(STRINGS)),
        6 => json!([]),
        7 => json!({}),
        8 => json!([1, "x", null]),
        9 => json!({"x": 1}),
        10 => json!("2024-13-01T00:00:00Z"),
        _ => json!("1e3"),
    }
}

/// An object of `def`'s kind (apiVersion, kind and a name set).
pub fn object(schema: &Schema, def: &Definition, c: &mut Choices<'_>) -> Value {
    let mut v = fields(schema, def, c, 0);
    if let Value::Object(m) = &mut v
        && let Some(gvk) = def.gvks.first()
    {
        m.insert("apiVersion".into(), Value::String(gvk.api_version()));
        m.insert("kind".into(), Value::String(gvk.kind.clone()));
        let md = m
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(md) = md {
            md.insert("name".into(), Value::String("gen".into()));
        }
    }
    v
}

fn fields(schema: &Schema, def: &Definition, c: &mut Choices<'_>, depth: usize) -> Value {
    let mut m = Map::new();
    if depth > 7 || def.properties.is_empty() {
        return Value::Object(m);
    }
    // a few fields of each object, more near the top
    let n = c.below(if depth < 2 { 6 } else { 3 }) + usize::from(depth < 2);
    for _ in 0..n {
        if c.exhausted() {
            break;
        }
        let (name, p) = &def.properties[c.below(def.properties.len())];
        if name == "apiVersion" || name == "kind" {
            continue;
        }
        let v = value(schema, &p.ty, c, depth + 1);
        m.insert(name.clone(), v);
    }
    if c.below(16) == 0 {
        m.insert("unknownField".into(), wild(c));
    }
    Value::Object(m)
}

fn value(schema: &Schema, ty: &Type, c: &mut Choices<'_>, depth: usize) -> Value {
    if c.below(14) == 0 {
        return wild(c);
    }
    match ty {
        Type::Ref(n) => match n.rsplit('.').next().unwrap_or("") {
            "Time" => json!(c.pick(&[
                "2024-01-01T00:00:00Z",
                "2024-02-29T23:59:59.5+01:00",
                "2023-02-29T00:00:00Z",
                "abc",
                "2024-01-01T00:00:00",
            ])),
            "MicroTime" => json!(c.pick(&["2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00Z"])),
            "Quantity" => c.pick(&[
                json!("100m"),
                json!("1Gi"),
                json!(0.5),
                json!("abc"),
                json!(2),
            ]),
            "IntOrString" => c.pick(&[
                json!(80),
                json!("http"),
                json!("25%"),
                json!(1.5),
                json!(-1),
            ]),
            _ => match schema.definition(n) {
                Some(d) if d.ty == Type::Object => fields(schema, d, c, depth),
                Some(d) => value(schema, &d.ty, c, depth),
                None => Value::Null,
            },
        },
        Type::Map(inner) => {
            let mut m = Map::new();
            for _ in 0..c.below(3) {
                let k = c.pick(NAMES).to_string();
                m.insert(k, value(schema, inner, c, depth + 1));
            }
            Value::Object(m)
        }
        Type::Array(inner) => {
            let n = c.below(3);
            Value::Array((0..n).map(|_| value(schema, inner, c, depth + 1)).collect())
        }
        Type::String(Some(f)) if f == "byte" => {
            json!(c.pick(&["YWJj", "YQ==", "YR==", "%%%", "YW\nJj"]))
        }
        Type::String(_) => json!(c.pick(STRINGS)),
        Type::Integer(_) => json!(c.pick(&[0i64, 1, 3, 80, 65535, 65536, -1])),
        Type::Number => json!(c.pick(&[0.5f64, 1.0, 100.0])),
        Type::Boolean => json!(c.below(2) == 1),
        Type::Object | Type::Any | Type::Scalar => wild(c),
    }
}
