//! RFC 8785: equivalent JSON texts canonicalize to the same bytes.

use proptest::prelude::*;
use provatar_consent::jcs::canonicalize;
use serde_json::{Map, Value};

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The same value written differently: members in reverse order, spaces everywhere, every
/// non-ASCII character of a string escaped, numbers in exponent form where exact.
fn rewrite(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push_str("{ ");
            for (i, (k, val)) in m.iter().rev().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n ");
                }
                escaped(k, out);
                out.push_str(" : ");
                rewrite(val, out);
            }
            out.push_str(" }");
        }
        Value::Array(a) => {
            out.push_str("[ ");
            for (i, val) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(" , ");
                }
                rewrite(val, out);
            }
            out.push_str(" ]");
        }
        Value::String(s) => escaped(s, out),
        Value::Number(n) if n.is_f64() => out.push_str(&format!("{:e}", n.as_f64().unwrap())),
        other => out.push_str(&other.to_string()),
    }
}

fn escaped(s: &str, out: &mut String) {
    out.push('"');
    for unit in s.encode_utf16() {
        if unit < 0x80 && unit != u16::from(b'"') && unit != u16::from(b'\\') && unit >= 0x20 {
            out.push(char::from(unit as u8));
        } else {
            out.push_str(&format!("\\u{unit:04X}"));
        }
    }
    out.push('"');
}

proptest! {
    #[test]
    fn equivalent_texts_give_the_same_bytes(v in json()) {
        let plain = serde_json::to_string(&v).unwrap();
        let mut fancy = String::new();
        rewrite(&v, &mut fancy);
        let a = canonicalize(&serde_json::from_str(&plain).unwrap());
        let b = canonicalize(&serde_json::from_str(&fancy).unwrap());
        prop_assert_eq!(&a, &b, "{} vs {}", plain, fancy);
        // Canonical form is a fixed point and valid JSON for the same value.
        let again: Value = serde_json::from_slice(&a).unwrap();
        prop_assert_eq!(canonicalize(&again), a);
    }
}
