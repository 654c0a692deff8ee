//! Writing objects as the apiserver's serializers do: compact JSON plus a
//! newline, indented JSON without one (`?pretty=1`, curl's user agent), and
//! YAML with sorted keys.
//!
//! JSON strings are escaped as Go's `encoding/json` escapes them (`<`, `>`,
//! `&`, U+2028 and U+2029 as `\u003c`...), so bodies match byte for byte.

pub mod yaml;

pub use crate::meta::json::write_compact;
use crate::meta::json::GoEscape;

use bytes::Bytes;
use serde::Serialize;
use serde_json::ser::PrettyFormatter;
use serde_json::Value;

/// Compact JSON followed by `\n`, as `json.NewEncoder(w).Encode(obj)` writes.
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_json_line(&mut out, value);
    out
}

/// Appends compact JSON and `\n` to a buffer.
pub fn write_json_line<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    write_compact(out, value);
    out.push(b'\n');
}

/// Indented JSON (two spaces) without a trailing newline, as
/// `json.MarshalIndent(obj, "", "  ")`.
pub fn json_indented<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        GoEscape(PrettyFormatter::with_indent(b"  ")),
    );
    let _ = value.serialize(&mut ser);
    out
}

/// An output encoding for one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Compact JSON plus newline.
    Json,
    /// Indented JSON, no newline.
    JsonPretty,
    /// YAML, sorted keys.
    Yaml,
}

impl Encoding {
    /// The Content-Type header for it.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json | Encoding::JsonPretty => "application/json",
            Encoding::Yaml => "application/yaml",
        }
    }

    /// Encodes a value.
    pub fn encode(self, value: &Value) -> Bytes {
        Bytes::from(match self {
            Encoding::Json => json_line(value),
            Encoding::JsonPretty => json_indented(value),
            Encoding::Yaml => yaml::to_yaml(value).into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_json_ends_with_a_newline_and_escapes_html() {
        let v = json!({"a": "<b>&"});
        assert_eq!(
            String::from_utf8(json_line(&v)).unwrap(),
            "{\"a\":\"\\u003cb\\u003e\\u0026\"}\n"
        );
    }

    #[test]
    fn indented_json_has_two_spaces_and_no_newline() {
        let v = json!({"a": {"b": 1}, "c": []});
        assert_eq!(
            String::from_utf8(json_indented(&v)).unwrap(),
            "{\n  \"a\": {\n    \"b\": 1\n  },\n  \"c\": []\n}"
        );
    }
}
