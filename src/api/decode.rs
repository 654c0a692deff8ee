//! Decoding request bodies as the apiserver's serializers do, with Go's
//! error texts: `encoding/json`'s scanner messages, the
//! `couldn't get version/kind` step, and `transformDecodeError`'s wrapping
//! (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go`).

use crate::api::error::ApiError;
use crate::api::negotiate::RequestFormat;
use serde_json::Value;

/// The Go type findKind unmarshals into, as `%T`-style text in errors.
pub(crate) const TYPE_META_STRUCT: &str = "struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }";

/// `summarizeData(body, 30)`: the body as text when it starts with `{`,
/// otherwise hex; longer bodies are cut at 30 bytes with ` ...`.
pub fn summarize(data: &[u8]) -> String {
    const MAX: usize = 30;
    if data.is_empty() {
        return "<empty>".into();
    }
    let cut = data.len() > MAX;
    let part = &data[..data.len().min(MAX)];
    let mut s = if data[0] == b'{' {
        String::from_utf8_lossy(part).into_owned()
    } else {
        hex::encode(part)
    };
    if cut {
        s.push_str(" ...");
    }
    s
}

/// Decodes a JSON or YAML object body. `kind` is the Go kind the endpoint
/// decodes into (`ConfigMap`), used in messages.
pub fn decode_object(body: &[u8], format: RequestFormat, kind: &str) -> Result<Value, ApiError> {
    let unrecognized = |err: String| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {kind}): couldn't get version/kind; json parse error: {err} ({})",
            summarize(body)
        ))
    };
    let value: Value = match format {
        RequestFormat::Protobuf => {
            // `protobuf.Serializer.Decode` errors through `transformDecodeError`.
            return crate::api::protobuf::decode(body).map_err(|e| match e.gvk {
                Some((av, k)) => ApiError::bad_request(format!(
                    "{k} in version {:?} cannot be handled as a {kind}: {}",
                    av.rsplit('/').next().unwrap_or(&av),
                    e.message
                )),
                None => ApiError::bad_request(format!(
                    "the object provided is unrecognized (must be of type {kind}): {} ({})",
                    e.message,
                    summarize(body)
                )),
            });
        }
        RequestFormat::Yaml => {
            let v: serde_yaml::Value = serde_yaml::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!(
                    "the object provided is unrecognized (must be of type {kind}): couldn't get version/kind; json parse error: error converting YAML to JSON: {e} ({})",
                    summarize(body)
                ))
            })?;
            serde_json::to_value(v).map_err(|e| unrecognized(e.to_string()))?
        }
        _ => {
            if let Err(e) = go_json_check(body) {
                return Err(unrecognized(e));
            }
            // findKind decodes into a struct: a valid document that is no
            // object fails on its first token, however deep it nests.
            match body.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => {
                    serde_json::from_slice(body).map_err(|e| unrecognized(e.to_string()))?
                }
                Some(b'[') => Value::Array(Vec::new()),
                _ => serde_json::from_slice(body).map_err(|e| unrecognized(e.to_string()))?,
            }
        }
    };
    match &value {
        Value::Object(_) => Ok(value),
        Value::Null => Err(ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{}'",
            String::from_utf8_lossy(body).trim()
        ))),
        other => Err(unrecognized(format!(
            "json: cannot unmarshal {} into Go value of type {TYPE_META_STRUCT}",
            go_json_type(other)
        ))),
    }
}

/// The JSON type name Go's decoder uses in "cannot unmarshal X" errors.
pub fn go_json_type(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
    }
}

/// Go's `quoteChar`.
fn quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        c => format!("'{c}'"),
    }
}

/// Scans JSON as `encoding/json`'s `checkValid` does and returns its first
/// syntax error text.
pub fn go_json_check(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let chars: Vec<char> = text.chars().collect();
    let mut p = Parser { c: &chars, i: 0 };
    p.ws();
    p.value("looking for beginning of value")?;
    p.ws();
    if let Some(c) = p.peek() {
        return Err(format!(
            "invalid character {} after top-level value",
            quote_char(c)
        ));
    }
    Ok(())
}

struct Parser<'a> {
    c: &'a [char],
    i: usize,
}

const EOF: &str = "unexpected end of JSON input";

/// `encoding/json`'s `maxNestingDepth`.
const MAX_NESTING_DEPTH: usize = 10000;

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }
    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.i += 1;
        c
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.i += 1;
        }
    }
    fn bad(c: char, ctx: &str) -> String {
        format!("invalid character {} {ctx}", quote_char(c))
    }
    /// One value, iteratively: nesting is an explicit stack, so no input
    /// can overflow the thread's stack. Go's scanner refuses more than
    /// `maxNestingDepth` (10000) open arrays and objects.
    fn value(&mut self, ctx: &str) -> Result<(), String> {
        let mut stack: Vec<char> = Vec::new();
        let mut ctx = ctx;
        loop {
            // A value starts here.
            match self.peek() {
                None => return Err(EOF.into()),
                Some(open @ ('{' | '[')) => {
                    if stack.len() >= MAX_NESTING_DEPTH {
                        return Err(Self::bad(open, "exceeded max depth"));
                    }
                    self.i += 1;
                    self.ws();
                    let close = if open == '{' { '}' } else { ']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                    } else {
                        stack.push(open);
                        if open == '{' {
                            self.object_key()?;
                        }
                        self.ws();
                        ctx = "looking for beginning of value";
                        continue;
                    }
                }
                Some('"') => self.string()?,
                Some('t') => self.literal("true")?,
                Some('f') => self.literal("false")?,
                Some('n') => self.literal("null")?,
                Some(c) if c == '-' || c.is_ascii_digit() => self.number()?,
                Some(c) => return Err(Self::bad(c, ctx)),
            }
            // A value ended: close containers or go on to the next element.
            loop {
                let Some(&top) = stack.last() else {
                    return Ok(());
                };
                self.ws();
                let (close, after) = if top == '{' {
                    ('}', "after object key:value pair")
                } else {
                    (']', "after array element")
                };
                match self.next() {
                    None => return Err(EOF.into()),
                    Some(',') => {
                        self.ws();
                        if top == '{' {
                            self.object_key()?;
                            self.ws();
                        }
                        ctx = "looking for beginning of value";
                        break;
                    }
                    Some(c) if c == close => {
                        stack.pop();
                    }
                    Some(c) => return Err(Self::bad(c, after)),
                }
            }
        }
    }
    /// An object key and its colon.
    fn object_key(&mut self) -> Result<(), String> {
        self.ws();
        match self.peek() {
            None => return Err(EOF.into()),
            Some('"') => self.string()?,
            Some(c) => return Err(Self::bad(c, "looking for beginning of object key string")),
        }
        self.ws();
        match self.next() {
            None => Err(EOF.into()),
            Some(':') => Ok(()),
            Some(c) => Err(Self::bad(c, "after object key")),
        }
    }
    fn literal(&mut self, word: &str) -> Result<(), String> {
        for (k, want) in word.chars().enumerate() {
            match self.next() {
                None => return Err(EOF.into()),
                Some(c) if c == want => {}
                Some(c) => {
                    return Err(format!(
                        "invalid character {} in literal {word} (expecting {})",
                        quote_char(c),
                        quote_char(want)
                    ))
                }
            }
            let _ = k;
        }
        Ok(())
    }
    fn number(&mut self) -> Result<(), String> {
        if self.peek() == Some('-') {
            self.i += 1;
            match self.peek() {
                None => return Err(EOF.into()),
                Some(c) if c.is_ascii_digit() => {}
                Some(c) => return Err(Self::bad(c, "in numeric literal")),
            }
        }
        if self.peek() == Some('0') {
            self.i += 1;
        } else {
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if self.peek() == Some('.') {
            self.i += 1;
            match self.peek() {
                None => return Err(EOF.into()),
                Some(c) if c.is_ascii_digit() => {}
                Some(c) => return Err(Self::bad(c, "after decimal point in numeric literal")),
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.i += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.i += 1;
            }
            match self.peek() {
                None => return Err(EOF.into()),
                Some(c) if c.is_ascii_digit() => {}
                Some(c) => return Err(Self::bad(c, "in exponent of numeric literal")),
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        Ok(())
    }
    fn string(&mut self) -> Result<(), String> {
        self.i += 1;
        loop {
            match self.next() {
                None => return Err(EOF.into()),
                Some('"') => return Ok(()),
                Some('\\') => match self.next() {
                    None => return Err(EOF.into()),
                    Some('b' | 'f' | 'n' | 'r' | 't' | '\\' | '/' | '"') => {}
                    Some('u') => {
                        for _ in 0..4 {
                            match self.next() {
                                None => return Err(EOF.into()),
                                Some(c) if c.is_ascii_hexdigit() => {}
                                Some(c) => {
                                    return Err(Self::bad(c, "in \\u hexadecimal character escape"))
                                }
                            }
                        }
                    }
                    Some(c) => return Err(Self::bad(c, "in string escape code")),
                },
                Some(c) if (c as u32) < 0x20 => return Err(Self::bad(c, "in string literal")),
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_scanner_messages() {
        let cases: &[(&str, &str)] = &[
            (
                "{\"metadata\": nope}",
                "invalid character 'o' in literal null (expecting 'u')",
            ),
            ("", "unexpected end of JSON input"),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1 \"b\"}",
                "invalid character '\"' after object key:value pair",
            ),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            ("{} x", "invalid character 'x' after top-level value"),
            (
                "{a:1}",
                "invalid character 'a' looking for beginning of object key string",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                go_json_check(input.as_bytes()).unwrap_err(),
                *want,
                "{input}"
            );
        }
        assert!(go_json_check(b"{\"a\":[1,2.5e3,\"x\\u00e9\",true,null]}").is_ok());
    }

    #[test]
    fn arrays_are_unrecognized_with_a_hex_summary() {
        let e = decode_object(b"[1,2]", RequestFormat::Json, "ConfigMap").unwrap_err();
        assert_eq!(e.status.message, format!("the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type {TYPE_META_STRUCT} (5b312c325d)"));
    }

    #[test]
    fn syntax_errors_quote_the_body() {
        let e =
            decode_object(b"{\"metadata\": nope}", RequestFormat::Json, "ConfigMap").unwrap_err();
        assert_eq!(e.status.message, "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character 'o' in literal null (expecting 'u') ({\"metadata\": nope})");
    }
}
