//! RFC 8785 JSON Canonicalization Scheme: the one byte string a JSON value signs as.
//!
//! Objects have their members sorted by the UTF-16 code units of their names, no whitespace is
//! written, strings use the minimal escapes of ECMAScript's `JSON.stringify`, and numbers are
//! written as ECMAScript's `Number.prototype.toString` writes them.

use serde_json::Value;

/// The canonical UTF-8 bytes of `value`.
pub fn canonicalize(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    write_value(value, &mut out);
    out.into_bytes()
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                write_f64_or_int(i, out);
            } else if let Some(u) = n.as_u64() {
                // Above i64::MAX: ECMAScript sees it as a double.
                #[expect(clippy::cast_precision_loss, reason = "ECMAScript numbers are doubles")]
                write_f64(u as f64, out);
            } else if let Some(f) = n.as_f64() {
                write_f64(f, out);
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(v, out);
            }
            out.push('}');
        }
    }
}

/// An integer as ECMAScript writes it: exact below 2^53, otherwise as the nearest double.
fn write_f64_or_int(i: i64, out: &mut String) {
    const EXACT: i64 = 1 << 53;
    if (-EXACT..=EXACT).contains(&i) {
        out.push_str(&i.to_string());
    } else {
        #[expect(clippy::cast_precision_loss, reason = "ECMAScript numbers are doubles")]
        write_f64(i as f64, out);
    }
}

/// ECMAScript `Number.prototype.toString` for a finite double (ECMA-262 §6.1.6.1.20), built on
/// Rust's shortest round-trip digits.
fn write_f64(f: f64, out: &mut String) {
    if f == 0.0 || !f.is_finite() {
        // JSON has no NaN or infinity; −0 is written "0".
        out.push('0');
        return;
    }
    if f < 0.0 {
        out.push('-');
    }
    // "d.ddddde±x" with the fewest digits that round-trip.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let n = exponent + 1; // the decimal point sits after n digits
    if k <= n && n <= 21 {
        out.push_str(&digits);
        for _ in 0..n - k {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..-n {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn canon(json: &str) -> String {
        String::from_utf8(canonicalize(&serde_json::from_str(json).unwrap())).unwrap()
    }

    #[test]
    fn numbers_follow_ecmascript() {
        // RFC 8785 appendix B examples, and ECMAScript's thresholds.
        for (input, expected) in [
            ("0", "0"),
            ("-0.0", "0"),
            ("1.0", "1"),
            ("100", "100"),
            ("1e2", "100"),
            ("1E21", "1e+21"),
            ("1e20", "100000000000000000000"),
            ("123.456", "123.456"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1e-7"),
            ("1.5e-7", "1.5e-7"),
            ("-1.5", "-1.5"),
            ("9007199254740992", "9007199254740992"),
            ("9007199254740993", "9007199254740992"),
            ("333333333.33333329", "333333333.3333333"),
            ("1e23", "1e+23"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ] {
            assert_eq!(canon(input), expected, "{input}");
        }
    }

    #[test]
    fn strings_use_minimal_escapes() {
        assert_eq!(canon(r#""\u0041\u00e9\n\u001f\/""#), "\"Aé\\n\\u001f/\"");
        assert_eq!(canon(r#""\u2028 \ud83d\ude00""#), "\"\u{2028} 😀\"");
    }

    #[test]
    fn members_sort_by_utf16_code_units() {
        // RFC 8785 §3.2.3's example: "\ud83d\ude00" (😀) sorts before "\ufb33" in UTF-16,
        // although its code point (and UTF-8) sorts after.
        let json = r#"{"\u20ac":1,"\ud83d\ude00":2,"\r":3,"1":4,"\u0080":5,"\u00f6":6,"\ufb33":7}"#;
        assert_eq!(
            canon(json),
            "{\"\\r\":3,\"1\":4,\"\u{80}\":5,\"ö\":6,\"€\":1,\"😀\":2,\"\u{fb33}\":7}"
        );
    }

    #[test]
    fn nesting_and_whitespace() {
        assert_eq!(
            canon(" { \"b\" : [ 1 , { \"y\":null, \"x\": true } ], \"a\": \"z\" } "),
            r#"{"a":"z","b":[1,{"x":true,"y":null}]}"#
        );
    }
}
