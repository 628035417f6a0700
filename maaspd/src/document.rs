//! The output document's text: keys sorted at every depth, four-space indent, as the
//! seed wrapper's `json.dumps(result, indent=4, sort_keys=True)` prints it.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
use serde_json::ser::PrettyFormatter;

/// `value` as the protocol prints it, without a trailing newline.
pub(crate) fn to_string(value: &Value) -> String {
    let mut out = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, PrettyFormatter::with_indent(b"    "));
    Sorted(value)
        .serialize(&mut serializer)
        .expect("a JSON value always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Sorts object keys itself rather than trusting serde_json's map order, which any crate
/// in the build can switch to insertion order with the `preserve_order` feature.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_unstable_by_key(|(key, _)| *key);
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_like_python_json_dumps_indent_4_sort_keys() {
        let value = json!({"b": {"z": 1, "a": [true, null, {}]}, "a": "x", "c": []});
        assert_eq!(
            to_string(&value),
            "{\n    \"a\": \"x\",\n    \"b\": {\n        \"a\": [\n            true,\n            null,\n            {}\n        ],\n        \"z\": 1\n    },\n    \"c\": []\n}"
        );
    }
}
