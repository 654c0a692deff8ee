//! Writing objects as the apiserver's serializers do: compact JSON plus a
//! newline, indented JSON without one (`?pretty=1`, curl's user agent), and
//! YAML with sorted keys.
//!
//! JSON strings are escaped as Go's `encoding/json` escapes them (`<`, `>`,
//! `&`, U+2028 and U+2029 as `\u003c`...), so bodies match byte for byte.

pub mod yaml;

use bytes::Bytes;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use serde_json::Value;
use std::io;

/// A formatter that adds Go's HTML-safe escapes to an inner formatter.
struct GoEscape<F>(F);

impl<F: Formatter> Formatter for GoEscape<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Fast path: nothing to escape (0xE2 starts U+2028/U+2029).
        if !fragment
            .bytes()
            .any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2))
        {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let esc = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(esc.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // Delegate the structural pieces to the inner formatter.
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

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

/// Appends compact JSON (no newline) to a buffer.
pub fn write_compact<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, GoEscape(CompactFormatter));
    // Serialising a `Value` or a derive-based type into memory cannot fail.
    let _ = value.serialize(&mut ser);
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
