//! The raw query string of a request, decoded as Go's `url.ParseQuery` does,
//! and the scalar conversions apimachinery applies to query parameters
//! (`staging/src/k8s.io/apimachinery/pkg/runtime/conversion.go`).
//!
//! This module knows nothing of which parameters exist; `options` does.

/// Query parameters in the order they were sent (keys may repeat).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawQuery {
    /// The query string exactly as it arrived (without the `?`).
    pub raw: String,
    /// Decoded `(key, value)` pairs in order.
    pub pairs: Vec<(String, String)>,
}

impl RawQuery {
    /// Decodes `a=b&c=d` (`+` is a space, `%XX` escapes, empty pieces skipped:
    /// kube-rs's `?&watch=1` and a trailing `?` both work).
    pub fn parse(raw: &str) -> RawQuery {
        let pairs = form_urlencoded::parse(raw.as_bytes())
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        RawQuery {
            raw: raw.to_string(),
            pairs,
        }
    }

    /// The first value of a parameter, as Go's `url.Values.Get`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter.
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether the parameter is present at all.
    pub fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// A boolean parameter: absent → None; `0` or `false` in any case → false;
    /// anything else, the empty string included → true
    /// (`Convert_Slice_string_To_bool`).
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).map(parse_bool)
    }

    /// An int64 parameter through `strconv.ParseInt(s, 10, 64)`.
    /// `Err` carries Go's error text.
    pub fn get_i64(&self, key: &str) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(s) => parse_go_int(s).map(Some),
        }
    }
}

/// apimachinery's query boolean: only `0` and `false` (any case) are false.
pub fn parse_bool(s: &str) -> bool {
    !(s == "0" || s.eq_ignore_ascii_case("false"))
}

/// `strconv.ParseInt(s, 10, 64)` with Go's error messages.
pub fn parse_go_int(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    s.parse::<i64>().map_err(|_| {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            go_quote(s)
        )
    })
}

/// `strconv.ParseUint(s, 10, 64)` with Go's error messages.
pub fn parse_go_uint(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    s.parse::<u64>().map_err(|_| {
        format!(
            "strconv.ParseUint: parsing {}: value out of range",
            go_quote(s)
        )
    })
}

/// Go's `%q` for a string: double quotes, with `"` and `\` escaped and
/// control characters as Go escapes them (`\a`, `\x7f`, `\u0085`...).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses a Go `time.ParseDuration` string (`30s`, `1m30s`, `9m27s`, `1.5h`,
/// `300ms`). `Err` carries Go's error text, e.g. `time: invalid duration "abc"`.
pub fn parse_go_duration(s: &str) -> Result<std::time::Duration, String> {
    let err = || format!("time: invalid duration {}", go_quote(s));
    let mut rest = s;
    let mut negative = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." {
            return Err(err());
        }
        let value: f64 = num.parse().map_err(|_| err())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("time: missing unit in duration {}", go_quote(s))),
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit),
                    go_quote(s)
                ))
            }
        };
        total += value * scale;
    }
    // Go keeps durations in int64 nanoseconds: more overflows and is
    // `time: invalid duration` (a panic here before: found by the fuzzer).
    if !total.is_finite() || total > i64::MAX as f64 / 1e9 {
        return Err(err());
    }
    if negative {
        return Ok(std::time::Duration::ZERO);
    }
    std::time::Duration::try_from_secs_f64(total).map_err(|_| err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_past_int64_nanoseconds_are_invalid_not_a_panic() {
        for s in [
            "9999999999999999999999h",
            "300000000000s",
            "-99999999999999999999h",
        ] {
            assert_eq!(
                parse_go_duration(s),
                Err(format!("time: invalid duration {}", go_quote(s)))
            );
        }
        assert_eq!(
            parse_go_duration("2562047h"),
            Ok(std::time::Duration::from_secs(2562047 * 3600))
        );
    }

    #[test]
    fn booleans_follow_apimachinery() {
        for (s, want) in [
            ("", true),
            ("1", true),
            ("yes", true),
            ("True", true),
            ("0", false),
            ("false", false),
            ("FALSE", false),
        ] {
            assert_eq!(parse_bool(s), want, "{s:?}");
        }
    }

    #[test]
    fn bare_and_leading_ampersand_queries_decode() {
        let q = RawQuery::parse("&watch&labelSelector=a%3Db&x=1+2");
        assert_eq!(q.get("watch"), Some(""));
        assert_eq!(q.get_bool("watch"), Some(true));
        assert_eq!(q.get("labelSelector"), Some("a=b"));
        assert_eq!(q.get("x"), Some("1 2"));
    }

    #[test]
    fn ints_fail_with_go_messages() {
        assert_eq!(
            parse_go_int("abc").unwrap_err(),
            "strconv.ParseInt: parsing \"abc\": invalid syntax"
        );
        assert_eq!(parse_go_int("-5"), Ok(-5));
        assert_eq!(
            parse_go_uint("abc").unwrap_err(),
            "strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
    }

    #[test]
    fn durations_parse_as_go_does() {
        assert_eq!(parse_go_duration("30s").unwrap().as_secs(), 30);
        assert_eq!(parse_go_duration("9m27s").unwrap().as_secs(), 567);
        assert_eq!(
            parse_go_duration("abc").unwrap_err(),
            "time: invalid duration \"abc\""
        );
        assert_eq!(
            parse_go_duration("30").unwrap_err(),
            "time: missing unit in duration \"30\""
        );
    }
}
