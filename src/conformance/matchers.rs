//! Body, header and value matchers: exact and subset JSON comparison with
//! typed placeholders, variable templating, and body-format detection.
//!
//! Placeholders are strings in the expected value:
//! `<rv>` (a resourceVersion: decimal digits), `<uid>`, `<time>` (RFC 3339),
//! `<continue>` (a non-empty continue token), `<present>`/`<any>` (any value),
//! `<absent>` (the key must be missing), `<int>`, `<string>`, `<age>`
//! (`5s`, `2m3s`), `<ip>`, `<suffix>` (a generated-name suffix), `<server>`
//! (host:port), `<etag>`, and `<regex:RE>`. A string mixing text and
//! placeholders (`Too large resource version: <rv>, current: <rv>`) matches
//! as a pattern. Other `<words>` (`<none>`, `<unknown>`) are literal.

use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where expected and actual first differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// JSON path (`$.items[0].metadata.name`).
    pub path: String,
    /// The expected value, compact.
    pub expected: String,
    /// The actual value, compact (`<missing>` when absent).
    pub actual: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at {}: expected {}, got {}",
            self.path, self.expected, self.actual
        )
    }
}

/// Exact (same keys) or subset (expected keys only) comparison of objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Objects must have the same keys (arrays always match length).
    Exact,
    /// Expected keys must match; extra actual keys are allowed.
    Subset,
}

const NAMED: &[&str] = &[
    "rv", "uid", "time", "continue", "present", "any", "absent", "int", "string", "age", "ip",
    "suffix", "server", "etag", "echoed",
];

/// The regex (unanchored) for a named placeholder.
fn pattern(name: &str) -> Option<&'static str> {
    Some(match name {
        "rv" => r"[0-9]+",
        "uid" => r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "time" => {
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
        }
        "continue" | "etag" => r"\S+",
        "age" => r"([0-9]+[smhdy])+",
        "ip" => r"([0-9]{1,3}\.){3}[0-9]{1,3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*",
        "suffix" => r"[a-z0-9]{5}",
        "server" => r"[^\s/]+",
        "int" => r"-?[0-9]+",
        "string" | "present" | "any" => r"[\s\S]*",
        _ => return None,
    })
}

fn placeholder_re() -> Option<Regex> {
    Regex::new(r"<(rv|uid|time|continue|present|any|int|string|age|ip|suffix|server|etag)>|<regex:([^>]*)>").ok()
}

/// Whether `s` is a whole placeholder, and which.
fn whole_placeholder(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('<')?.strip_suffix('>')?;
    if NAMED.contains(&inner) || inner.starts_with("regex:") {
        Some(inner)
    } else {
        None
    }
}

/// Whether an actual string matches an expected string (with placeholders).
pub fn string_matches(expected: &str, actual: &str) -> bool {
    if let Some(name) = whole_placeholder(expected) {
        if let Some(re) = name.strip_prefix("regex:") {
            return Regex::new(re).map(|r| r.is_match(actual)).unwrap_or(false);
        }
        return match pattern(name) {
            Some(p) => Regex::new(&format!("^(?:{p})$"))
                .map(|r| r.is_match(actual))
                .unwrap_or(false),
            None => false,
        };
    }
    match embedded_regex(expected) {
        Some(re) => re.is_match(actual),
        None => expected == actual,
    }
}

/// A pattern for a string that mixes text and placeholders; `None` when it
/// has no placeholder.
fn embedded_regex(expected: &str) -> Option<Regex> {
    let ph = placeholder_re()?;
    if !ph.is_match(expected) {
        return None;
    }
    let mut out = String::from("^");
    let mut last = 0;
    for c in ph.captures_iter(expected) {
        let m = c.get(0)?;
        out.push_str(&regex::escape(&expected[last..m.start()]));
        match (c.get(1), c.get(2)) {
            (Some(name), _) => {
                out.push_str("(?:");
                out.push_str(pattern(name.as_str()).unwrap_or(""));
                out.push(')');
            }
            (None, Some(re)) => {
                out.push_str("(?:");
                out.push_str(re.as_str());
                out.push(')');
            }
            _ => {}
        }
        last = m.end();
    }
    out.push_str(&regex::escape(&expected[last..]));
    out.push('$');
    Regex::new(&out).ok()
}

/// Compact rendering for reports, cut at 300 characters.
pub fn show(v: Option<&Value>) -> String {
    match v {
        None => "<missing>".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 300 {
                let mut cut = 300;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                format!("{}…", &s[..cut])
            } else {
                s
            }
        }
    }
}

/// Compares `actual` against `expected`; the first difference, depth first
/// in the expected value's order.
pub fn match_value(
    expected: &Value,
    actual: Option<&Value>,
    mode: Mode,
    path: &str,
) -> Result<(), Mismatch> {
    let fail = || {
        Err(Mismatch {
            path: path.to_string(),
            expected: show(Some(expected)),
            actual: show(actual),
        })
    };
    if let Value::String(s) = expected {
        if let Some(name) = whole_placeholder(s) {
            return match (name, actual) {
                ("absent", None) => Ok(()),
                ("absent", Some(_)) => fail(),
                (_, None) => fail(),
                ("present" | "any", Some(_)) => Ok(()),
                ("int", Some(Value::Number(n))) if n.is_i64() || n.is_u64() => Ok(()),
                (_, Some(Value::String(a))) if string_matches(s, a) => Ok(()),
                _ => fail(),
            };
        }
    }
    let Some(actual) = actual else {
        return fail();
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match_value(ev, a.get(k), mode, &format!("{path}.{}", key_path(k)))?;
            }
            if mode == Mode::Exact {
                if let Some(k) = a.keys().find(|k| !e.contains_key(*k)) {
                    return Err(Mismatch {
                        path: format!("{path}.{}", key_path(k)),
                        expected: "<absent>".into(),
                        actual: show(a.get(k)),
                    });
                }
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, ev) in e.iter().enumerate() {
                match_value(ev, a.get(i), mode, &format!("{path}[{i}]"))?;
            }
            if a.len() > e.len() {
                return Err(Mismatch {
                    path: format!("{path}[{}]", e.len()),
                    expected: "<absent> (array length ".to_string() + &e.len().to_string() + ")",
                    actual: show(a.get(e.len())),
                });
            }
            Ok(())
        }
        (Value::String(e), Value::String(a)) => {
            if string_matches(e, a) {
                Ok(())
            } else {
                fail()
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            if e == a || e.as_f64() == a.as_f64() {
                Ok(())
            } else {
                fail()
            }
        }
        (e, a) if e == a => Ok(()),
        _ => fail(),
    }
}

fn key_path(k: &str) -> String {
    if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.is_empty() {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

/// Variables of a case run (`ns`, `run`, and saved values).
pub type Vars = BTreeMap<String, Value>;

/// Substitutes `${name}`, `${name+N}` (integer addition) and `${name|url}`
/// (percent-encoding) in a string. Unknown variables become empty and are
/// reported in the returned list.
pub fn template(s: &str, vars: &Vars, missing: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let expr = &after[..end];
        out.push_str(&eval(expr, vars, missing));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn eval(expr: &str, vars: &Vars, missing: &mut Vec<String>) -> String {
    let (expr, url) = match expr.strip_suffix("|url") {
        Some(e) => (e, true),
        None => (expr, false),
    };
    let (name, add) = match expr.split_once('+') {
        Some((n, a)) => (n.trim(), a.trim().parse::<i64>().ok()),
        None => (expr.trim(), None),
    };
    let value = match vars.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => {
            missing.push(name.to_string());
            String::new()
        }
    };
    let value = match add {
        Some(n) => value
            .parse::<i64>()
            .map(|v| (v + n).to_string())
            .unwrap_or(value),
        None => value,
    };
    if url {
        form_urlencoded::byte_serialize(value.as_bytes()).collect()
    } else {
        value
    }
}

/// [`template`] on every string (and key) of a JSON value.
pub fn template_value(v: &Value, vars: &Vars, missing: &mut Vec<String>) -> Value {
    match v {
        Value::String(s) => Value::String(template(s, vars, missing)),
        Value::Array(a) => {
            Value::Array(a.iter().map(|x| template_value(x, vars, missing)).collect())
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (template(k, vars, missing), template_value(x, vars, missing)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Looks up a dotted path (`metadata.resourceVersion`, `items.0.metadata`)
/// in a JSON value; the empty path is the value itself.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        cur = match cur {
            Value::Object(o) => o.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// JSON merge patch (RFC 7386) of `patch` onto `target`.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The body format of a response, as the goldens name it.
pub fn body_format(content_type: &str, body: &[u8]) -> &'static str {
    if body.is_empty() {
        return "empty";
    }
    let ct = content_type.to_ascii_lowercase();
    if ct.contains("protobuf") || ct.contains("cbor") {
        return "binary";
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return "binary";
    };
    if serde_json::from_str::<Value>(text).is_ok() && ct.contains("json") {
        let inner = text.strip_suffix('\n').unwrap_or(text);
        if inner.contains('\n') {
            "json-indented"
        } else if text.ends_with('\n') {
            "json-compact+nl"
        } else {
            "json-compact"
        }
    } else {
        "text"
    }
}

/// Parses a body for structural matching: JSON, else YAML (for
/// `application/yaml`), else `None`.
pub fn parse_body(content_type: &str, body: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(body).ok()?;
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Some(v);
    }
    if content_type.contains("yaml") {
        return serde_yaml::from_str::<Value>(text).ok();
    }
    None
}

/// Compares two operands of a check: numerically when both are integers.
pub fn compare(left: &str, op: &str, right: &str) -> Option<bool> {
    use std::cmp::Ordering;
    let ord = match (left.parse::<i128>(), right.parse::<i128>()) {
        (Ok(l), Ok(r)) => l.cmp(&r),
        _ => left.cmp(right),
    };
    Some(match op {
        ">" => ord == Ordering::Greater,
        ">=" => ord != Ordering::Less,
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        "==" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(e: Value, a: Value) -> bool {
        match_value(&e, Some(&a), Mode::Exact, "$").is_ok()
    }

    #[test]
    fn typed_placeholders_match_their_kind_only() {
        assert!(ok(json!("<rv>"), json!("12345")));
        assert!(!ok(json!("<rv>"), json!("12a")));
        assert!(!ok(json!("<rv>"), json!(12)));
        assert!(ok(
            json!("<uid>"),
            json!("0b6c3c57-7f4e-4f5e-9a57-3f1f4f1d2c3b")
        ));
        assert!(!ok(json!("<uid>"), json!("nope")));
        assert!(ok(json!("<time>"), json!("2026-01-02T03:04:05Z")));
        assert!(!ok(json!("<time>"), json!("yesterday")));
        assert!(ok(json!("<continue>"), json!("eyJ2IjoibWV0YS")));
        assert!(!ok(json!("<continue>"), json!("")));
        assert!(ok(json!("<present>"), json!({"a": 1})));
        assert!(ok(json!("<int>"), json!(3)));
        assert!(ok(json!("<regex:^a+$>"), json!("aaa")));
        assert!(!ok(json!("<regex:^a+$>"), json!("aab")));
        assert!(
            ok(json!("<none>"), json!("<none>")),
            "unknown words are literal"
        );
    }

    #[test]
    fn embedded_placeholders_form_a_pattern() {
        assert!(string_matches(
            "Timeout: Too large resource version: <rv>, current: <rv>",
            "Timeout: Too large resource version: 1012, current: 12"
        ));
        assert!(!string_matches(
            "Timeout: Too large resource version: <rv>, current: <rv>",
            "Timeout: Too large resource version: x, current: 12"
        ));
        assert!(string_matches("gen-<suffix>", "gen-x7k2p"));
        assert!(
            string_matches("a.b (c) <rv>", "a.b (c) 5"),
            "text is escaped"
        );
        assert!(!string_matches("a.b", "axb"));
    }

    #[test]
    fn exact_mode_reports_extra_and_missing_keys_with_paths() {
        let e = json!({"metadata": {"name": "a", "uid": "<uid>"}});
        let a = json!({"metadata": {"name": "a", "uid": "0b6c3c57-7f4e-4f5e-9a57-3f1f4f1d2c3b", "x": 1}});
        let m = match_value(&e, Some(&a), Mode::Exact, "$").err();
        assert_eq!(m.map(|m| m.path), Some("$.metadata.x".to_string()));
        assert!(match_value(&e, Some(&a), Mode::Subset, "$").is_ok());
        let m = match_value(
            &json!({"items": [1, 2]}),
            Some(&json!({"items": [1]})),
            Mode::Subset,
            "$",
        );
        assert_eq!(
            m.err().map(|m| (m.path, m.actual)),
            Some(("$.items[1]".to_string(), "<missing>".to_string()))
        );
        let m = match_value(
            &json!({"a": "<absent>"}),
            Some(&json!({"a": null})),
            Mode::Subset,
            "$",
        );
        assert!(m.is_err());
        assert!(match_value(
            &json!({"a": "<absent>"}),
            Some(&json!({})),
            Mode::Exact,
            "$"
        )
        .is_ok());
    }

    #[test]
    fn templates_substitute_add_and_encode() {
        let mut vars = Vars::new();
        vars.insert("ns".into(), json!("kc-a-x1"));
        vars.insert("rv".into(), json!("41"));
        vars.insert("sel".into(), json!("a=b"));
        let mut missing = Vec::new();
        assert_eq!(
            template(
                "/api/v1/namespaces/${ns}/secrets?rv=${rv+1000}&l=${sel|url}&x=${nope}",
                &vars,
                &mut missing
            ),
            "/api/v1/namespaces/kc-a-x1/secrets?rv=1041&l=a%3Db&x="
        );
        assert_eq!(missing, vec!["nope".to_string()]);
    }

    #[test]
    fn body_formats_are_told_apart() {
        assert_eq!(
            body_format("application/json", b"{\"a\":1}\n"),
            "json-compact+nl"
        );
        assert_eq!(
            body_format("application/json", b"{\n  \"a\": 1\n}"),
            "json-indented"
        );
        assert_eq!(
            body_format("application/json", b"{\"a\":1}"),
            "json-compact"
        );
        assert_eq!(body_format("text/plain", b"404 page not found\n"), "text");
        assert_eq!(body_format("application/yaml", b"a: 1\n"), "text");
        assert_eq!(body_format("application/json", b""), "empty");
        assert_eq!(
            body_format("application/vnd.kubernetes.protobuf", b"k8s\0"),
            "binary"
        );
    }

    #[test]
    fn checks_compare_numbers_numerically() {
        assert_eq!(compare("10", ">", "9"), Some(true));
        assert_eq!(compare("10", "<=", "9"), Some(false));
        assert_eq!(compare("a", "==", "a"), Some(true));
        assert_eq!(compare("1", "~", "1"), None);
    }

    #[test]
    fn merge_patch_and_lookup() {
        let mut v = json!({"metadata": {"name": "a", "resourceVersion": "5"}, "data": {"k": "v"}});
        merge(
            &mut v,
            &json!({"metadata": {"resourceVersion": null}, "data": {"k": "w"}}),
        );
        assert_eq!(v, json!({"metadata": {"name": "a"}, "data": {"k": "w"}}));
        assert_eq!(lookup(&v, "metadata.name"), Some(&json!("a")));
        assert_eq!(
            lookup(&json!({"items": [{"a": 1}]}), "items.0.a"),
            Some(&json!(1))
        );
    }
}
