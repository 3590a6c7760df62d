//! A seeded generator of objects of any described kind, in the canonical JSON
//! form the decoder produces (no zero scalars where the decoder drops them, no
//! empty lists or maps, special types in their string forms), so that
//! `decode(encode(x)) == x` must hold exactly. It walks the same descriptor
//! table as the codec: a field the table gets wrong is caught only by the
//! hand-written objects and the kubectl captures, not here.
//! (`crates/testing` has a richer schema-driven generator, but it depends on
//! this crate.)

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::codec::protobuf::descriptors::{Label, Ty, messages};
use crate::codec::protobuf::to_json::go_duration;

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";

/// Below this depth message fields are generated; deeper, only scalars.
const MAX_DEPTH: usize = 6;

pub(super) struct Gen(u64);

impl Gen {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// xorshift64*: enough randomness for shapes, reproducible from the seed.
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn word(&mut self) -> String {
        const PARTS: [&str; 10] = [
            "a",
            "nginx",
            "kube-system",
            "x.y/z",
            "0",
            "é",
            "日本",
            " ",
            "-",
            "Z9",
        ];
        let n = 1 + self.below(3);
        (0..n)
            .map(|_| PARTS[self.below(PARTS.len() as u64) as usize])
            .collect()
    }

    fn nonzero_int(&mut self, bits: u32) -> i64 {
        loop {
            let v = self.next() as i64;
            let v = match self.below(3) {
                0 => v % 100,
                1 => v >> (64 - bits),
                _ => (v >> (64 - bits)).abs() % 100_000,
            };
            if v != 0 {
                return v;
            }
        }
    }

    /// The fields of a plain message as a JSON object.
    pub(super) fn object(&mut self, name: &str, depth: usize) -> Map<String, Value> {
        let mut out = Map::new();
        self.fields_into(name, depth, &mut out);
        out
    }

    fn fields_into(&mut self, name: &str, depth: usize, out: &mut Map<String, Value>) {
        let Some(desc) = messages().get(name) else {
            return;
        };
        let percent = [70, 50, 35, 25, 15, 10, 10][depth.min(6)];
        for f in &desc.fields {
            if let Ty::Message(m) = &f.ty
                && (depth >= MAX_DEPTH || !self.describable(m))
            {
                continue;
            }
            if f.label == Label::Inline {
                if let Ty::Message(m) = &f.ty {
                    self.fields_into(m, depth + 1, out);
                }
                continue;
            }
            if !self.chance(percent) {
                continue;
            }
            let v = match f.label {
                Label::Optional | Label::Inline => self.value(&f.ty, f.keep_zero, depth),
                Label::Repeated => {
                    let n = 1 + self.below(2);
                    Value::Array((0..n).map(|_| self.value(&f.ty, true, depth)).collect())
                }
                Label::Map => {
                    let n = 1 + self.below(3);
                    let mut m = Map::new();
                    for _ in 0..n {
                        let k = self.word();
                        let v = self.value(&f.ty, true, depth);
                        m.insert(k, v);
                    }
                    Value::Object(m)
                }
            };
            out.insert(f.json.clone(), v);
        }
    }

    /// True when the codec can carry a message of this name (the table lacks a few).
    fn describable(&self, m: &str) -> bool {
        messages().contains_key(m)
    }

    fn value(&mut self, ty: &Ty, keep_zero: bool, depth: usize) -> Value {
        let zero = keep_zero && self.chance(20);
        match ty {
            Ty::String => Value::String(if zero { String::new() } else { self.word() }),
            Ty::Bytes => {
                let n = if zero { 0 } else { 1 + self.below(6) as usize };
                let b: Vec<u8> = (0..n).map(|_| self.next() as u8).collect();
                Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Ty::Int32 => json!(if zero { 0 } else { self.nonzero_int(32) }),
            Ty::Int64 => json!(if zero { 0 } else { self.nonzero_int(64) }),
            Ty::Uint32 => json!(if zero {
                0
            } else {
                1 + self.below(u64::from(u32::MAX))
            }),
            Ty::Uint64 => json!(if zero { 0 } else { self.next().max(1) }),
            Ty::Bool => Value::Bool(!zero && (!keep_zero || self.chance(50))),
            Ty::Double | Ty::Float => json!(self.nonzero_int(16) as f64 + 0.5),
            Ty::Message(m) => self.message(m, depth + 1),
        }
    }

    fn time(&mut self, micro: bool) -> Value {
        let secs = 1 + self.below(4_000_000_000) as i64;
        let t = chrono::DateTime::from_timestamp(secs, 0).expect("in range");
        if micro {
            let t = t + chrono::Duration::microseconds(self.below(1_000_000) as i64);
            Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        } else {
            Value::String(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        }
    }

    fn any_json(&mut self) -> Value {
        match self.below(4) {
            0 => json!({ self.word(): { "f:x": {} } }),
            1 => json!([self.word(), 1, true]),
            2 => json!(self.nonzero_int(32)),
            _ => Value::String(self.word()),
        }
    }

    fn strings(&mut self) -> Value {
        let n = self.below(3);
        Value::Array((0..n).map(|_| Value::String(self.word())).collect())
    }

    /// A message value in its JSON form, special types included.
    fn message(&mut self, name: &str, depth: usize) -> Value {
        if let Some(short) = name.strip_prefix(META) {
            match short {
                "Time" => return self.time(false),
                "MicroTime" => return self.time(true),
                "Duration" => {
                    let d = self.nonzero_int(48);
                    return Value::String(go_duration(d));
                }
                "FieldsV1" => return json!({"f:metadata": {"f:labels": {self.word(): {}}}}),
                "Verbs" => return self.strings(),
                _ => {}
            }
        }
        match name {
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
                return if self.chance(50) {
                    json!(self.nonzero_int(32))
                } else {
                    Value::String(self.word())
                };
            }
            "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
                const Q: [&str; 6] = ["1", "500m", "2Gi", "100Mi", "0", "1.5"];
                return json!(Q[self.below(6) as usize]);
            }
            "io.k8s.apimachinery.pkg.runtime.RawExtension" => {
                return json!({"apiVersion": "v1", "kind": self.word(), "spec": self.any_json()});
            }
            _ if name.ends_with(".ExtraValue") => return self.strings(),
            _ => {}
        }
        if let Some((_, short)) = name.rsplit_once('.')
            && name.contains(".apiextensions.")
        {
            let props = messages()
                .get(name)
                .and_then(|m| {
                    m.fields.iter().find_map(|f| match &f.ty {
                        Ty::Message(t) => Some(t.clone()),
                        _ => None,
                    })
                })
                .unwrap_or_default();
            let props_value = |g: &mut Self| Value::Object(g.object(&props, depth + 1));
            match short.to_ascii_lowercase().as_str() {
                "json" => return self.any_json(),
                "jsonschemapropsorbool" => {
                    return if self.chance(50) {
                        Value::Bool(self.chance(50))
                    } else {
                        props_value(self)
                    };
                }
                "jsonschemapropsorarray" => {
                    return if self.chance(50) {
                        props_value(self)
                    } else {
                        Value::Array(vec![props_value(self), props_value(self)])
                    };
                }
                "jsonschemapropsorstringarray" => {
                    return if self.chance(50) {
                        props_value(self)
                    } else {
                        self.strings()
                    };
                }
                _ => {}
            }
        }
        Value::Object(self.object(name, depth))
    }
}
