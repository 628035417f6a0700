//! Go's `encoding/json.Marshal`, the encoder behind every body MAAS's agent sends a
//! driver: compact, the keys of every object sorted (Go sorts a map's keys), `<`, `>`,
//! `&`, U+2028 and U+2029 escaped (Go's HTML-safe default), and numbers written as Go
//! writes the `float64` its own decoder made of them.
//!
//! serde_json cannot stand in: with `preserve_order` (on in this workspace) it keeps
//! insertion order, and it escapes none of those characters.

#![allow(dead_code)] // each test uses its own part of this module

use serde_json::{Number, Value};

/// `value` as Go's `json.Marshal` of the same `map[string]any`, `[]string`... writes it.
pub fn marshal(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            // Go compares keys as byte strings, as Rust's `str` ordering does.
            let mut fields: Vec<(&String, &Value)> = fields.iter().collect();
            fields.sort_by_key(|(key, _)| *key);
            out.push('{');
            for (index, (key, item)) in fields.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// The agent decodes the rows it forwards into `map[string]any`, so every number is a
/// `float64` by then, and Go writes one between 1e-6 and 1e21 in the shortest decimal
/// that reads back the same, without an exponent: Rust's `Display` of the `f64`. MAAS's
/// rows hold no number outside that range; meeting one is this encoder's limit, said so.
fn write_number(out: &mut String, number: &Number) {
    let float = number.as_f64().expect("a JSON number is a float64 to Go");
    let magnitude = float.abs();
    assert!(
        magnitude == 0.0 || (1e-6..1e21).contains(&magnitude),
        "Go writes {float} with an exponent, which this encoder does not reproduce"
    );
    out.push_str(&float.to_string());
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(character)));
            }
            _ => out.push(character),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::marshal;

    #[test]
    fn writes_what_go_writes() {
        // Insertion order, which serde_json keeps here, is not Go's.
        let value = json!({
            "z": [1, 2.5, -3, 1e20, null, true],
            "a": {"y": "", "b": "<a href=\"x\">&</a>\n\t\u{1}\u{2028}é"},
        });
        assert_eq!(
            marshal(&value),
            r#"{"a":{"b":"\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e\n\t\u0001\u2028é","y":""},"z":[1,2.5,-3,100000000000000000000,null,true]}"#
        );
    }

    #[test]
    #[should_panic(expected = "with an exponent")]
    fn refuses_a_number_go_writes_with_an_exponent() {
        marshal(&json!(1e21));
    }
}
