//! The generators: JSON values of every kind, shaped mostly like what the drivers, the
//! input document and the service read, so that the deeper paths are reached; the ways
//! a document is written out, whole or damaged; and inputs that are barely JSON at all.

use maaspd::serde_json::{self, Map, Number, Value, json};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::sentinel::SENTINEL;

/// Keys the drivers, the input document and the service read: generated objects use
/// them often, so that the deeper paths (parameters, devices) are reached.
const KEYS: &[&str] = &[
    "on",
    "machines",
    "power_address",
    "power_pass",
    "driverParameters",
    "devices",
    "deviceType",
    "properties",
    "serial",
    "id_path",
    "name",
    "mac",
    "mac_address",
    "system_id",
    "context",
    "order",
    "",
];

const WORDS: &[&str] = &[
    "StorageDevice",
    "NetworkInterface",
    "network",
    "disk",
    "",
    "False",
    "7",
    "on",
    "off",
    "true",
    "1",
    "52:54:00:12:34:56",
    "\u{0}",
    "\u{feff}",
    "\u{1F50C}",
];

pub fn key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(KEYS).prop_map(str::to_owned),
        1 => "(?s).{0,8}",
    ]
    .boxed()
}

fn string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "(?s).{0,16}",
        1 => select(WORDS).prop_map(str::to_owned),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        (-2i64..=300).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
    .boxed()
}

/// Any JSON value, nested: null, booleans, numbers, strings, arrays and objects.
pub fn json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

/// The sentinel, as a string (valid for a `Secret`) or wrapped (a type error).
fn password() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => Just(json!(SENTINEL)),
        1 => Just(json!([SENTINEL])),
        1 => Just(json!({ "power_pass": SENTINEL })),
    ]
    .boxed()
}

/// An object with `fields` (those present) over `extra` arbitrary ones.
pub fn object(extra: Vec<(String, Value)>, fields: Vec<(&str, Option<Value>)>) -> Value {
    let mut object: Map<String, Value> = extra.into_iter().collect();
    for (key, value) in fields {
        if let Some(value) = value {
            object.insert(key.to_owned(), value);
        }
    }
    Value::Object(object)
}

/// `driverParameters` (or a service `context`) with the drivers' own keys, each holding
/// a value of the right type or an arbitrary one, the sentinel password, and other keys.
pub fn parameters() -> BoxedStrategy<Value> {
    (
        option::weighted(
            0.7,
            prop_oneof![any::<bool>().prop_map(Value::Bool), json()],
        ),
        option::weighted(
            0.7,
            prop_oneof![3 => (0u64..=256).prop_map(Value::from), 1 => json()],
        ),
        option::weighted(
            0.7,
            prop_oneof![3 => string().prop_map(Value::String), 1 => json()],
        ),
        option::weighted(0.9, password()),
        vec((key(), json()), 0..3),
    )
        .prop_map(|(on, machines, address, pass, extra)| {
            object(
                extra,
                vec![
                    ("on", on),
                    ("machines", machines),
                    ("power_address", address),
                    ("power_pass", pass),
                ],
            )
        })
        .boxed()
}

/// A boot device: maaspd's own form with properties right or wrong, MAAS's database
/// rows as objects or JSON-encoded strings (whole or cut short), the spec's classes,
/// else anything.
fn device() -> BoxedStrategy<Value> {
    let kind = prop_oneof![
        3 => select(vec!["StorageDevice", "NetworkInterface"]).prop_map(Value::from),
        1 => json(),
    ];
    let properties = prop_oneof![
        string().prop_map(|serial| json!({ "serial": serial })),
        string().prop_map(|mac| json!({ "mac": mac })),
        json(),
    ];
    let identity = prop_oneof![
        3 => string().prop_map(Value::String),
        1 => json(),
    ];
    let row = (
        select(vec!["serial", "id_path", "name", "mac_address"]),
        identity,
        vec((key(), json()), 0..3),
    )
        .prop_map(|(key, identity, extra)| object(extra, vec![(key, Some(identity))]));
    prop_oneof![
        4 => (kind, properties).prop_map(|(kind, properties)| {
            json!({ "deviceType": kind, "properties": properties })
        }),
        2 => row.clone(),
        2 => (row, any::<Index>(), any::<bool>()).prop_map(|(row, cut, whole)| {
            let text = row.to_string();
            let end = if whole { text.len() } else { cut.index(text.len() + 1) };
            Value::String(text.get(..end).unwrap_or(&text).to_owned())
        }),
        1 => select(vec!["network", "disk"]).prop_map(Value::from),
        1 => json(),
    ]
    .boxed()
}

/// The boot order: mostly a list of devices, else anything.
pub fn devices() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => vec(device(), 0..4).prop_map(Value::Array),
        1 => json(),
    ]
    .boxed()
}

/// How a document is written out: as JSON, or damaged.
#[derive(Debug, Clone)]
pub enum Layout {
    Compact,
    Pretty,
    /// With whitespace around it.
    Padded,
    /// Followed by one more byte.
    Trailing(u8),
    /// Twice in a row.
    Twice,
    Truncated(Index),
    Replaced(Index, u8),
    Inserted(Index, u8),
    Removed(Index),
}

pub fn layout() -> BoxedStrategy<Layout> {
    prop_oneof![
        6 => Just(Layout::Compact),
        3 => Just(Layout::Pretty),
        1 => Just(Layout::Padded),
        1 => any::<u8>().prop_map(Layout::Trailing),
        1 => Just(Layout::Twice),
        1 => any::<Index>().prop_map(Layout::Truncated),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Layout::Replaced(at, byte)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Layout::Inserted(at, byte)),
        1 => any::<Index>().prop_map(Layout::Removed),
    ]
    .boxed()
}

impl Layout {
    pub fn write(&self, document: &Value) -> Vec<u8> {
        let compact = serde_json::to_vec(document).expect("a JSON value serialises");
        let mut bytes = compact.clone();
        let len = bytes.len();
        match self {
            Layout::Compact => {}
            Layout::Pretty => bytes = serde_json::to_vec_pretty(document).expect("serialises"),
            Layout::Padded => bytes = [&b" \n\t"[..], &compact, b"\r\n "].concat(),
            Layout::Trailing(byte) => bytes.push(*byte),
            Layout::Twice => bytes.extend_from_slice(&compact),
            Layout::Truncated(at) => bytes.truncate(at.index(len)),
            Layout::Replaced(at, byte) => bytes[at.index(len)] = *byte,
            Layout::Inserted(at, byte) => bytes.insert(at.index(len + 1), *byte),
            Layout::Removed(at) => {
                bytes.remove(at.index(len));
            }
        }
        bytes
    }
}

/// Inputs that are not JSON, or barely: random bytes, random text, nesting past serde's
/// depth limit (and just within it), a byte-order mark, NULs; and `documents` written
/// out whole or damaged.
pub fn bytes(
    documents: BoxedStrategy<Value>,
    deep: fn(usize, &str) -> String,
) -> BoxedStrategy<Vec<u8>> {
    const SPECIAL: &[&[u8]] = &[
        b"",
        b" \n\t\r ",
        b"\xef\xbb\xbf{}",
        b"null",
        b"{}\0",
        b"\0",
        b"{\"driverParameters\": {}}\xff",
        b"1e999999",
        b"\"\\ud800\"",
    ];
    prop_oneof![
        2 => vec(any::<u8>(), 0..128),
        2 => "(?s).{0,64}".prop_map(String::into_bytes),
        6 => (documents, layout()).prop_map(|(document, layout)| layout.write(&document)),
        1 => (1usize..4000, select(vec!["[", "{\"a\":", "{\"driverParameters\":"]))
            .prop_map(|(depth, open)| open.repeat(depth).into_bytes()),
        1 => (0usize..140, select(KEYS)).prop_map(move |(depth, key)| deep(depth, key).into_bytes()),
        1 => select(SPECIAL).prop_map(<[u8]>::to_vec),
    ]
    .boxed()
}

/// `[[[...]]]`, `depth` deep.
pub fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}
