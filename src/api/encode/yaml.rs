//! YAML as kube-apiserver writes it: JSON converted through
//! `sigs.k8s.io/yaml` (go-yaml v2), so mapping keys are sorted, sequences
//! sit at their key's indentation, and a string is quoted whenever it would
//! read back as something else (a number, a bool, null, a timestamp) or
//! cannot be written plain.

use serde_json::Value;

/// Serialises a JSON value as YAML text ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, value, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn sorted(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

fn write_map(out: &mut String, value: &Value, indent: usize) {
    let Value::Object(m) = value else { return };
    for (k, v) in sorted(m) {
        pad(out, indent);
        out.push_str(&string_scalar(k, indent));
        out.push(':');
        write_value_after_key(out, v, indent);
    }
}

fn write_value_after_key(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, v, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, indent);
        }
        other => {
            out.push(' ');
            push_scalar(out, other, indent + 2);
            out.push('\n');
        }
    }
}

/// go-yaml's emitter width: plain and quoted scalars are folded at a space
/// once the column passes it (`best_width`).
const BEST_WIDTH: usize = 80;

/// Writes a value scalar, folded as go-yaml's emitter folds long plain and
/// quoted scalars (`yaml_emitter_write_plain_scalar` and friends): a single
/// space becomes a line break plus `indent` once the column exceeds
/// [`BEST_WIDTH`].
fn push_scalar(out: &mut String, v: &Value, indent: usize) {
    let text = scalar(v, indent);
    let foldable = matches!(v, Value::String(_)) && !text.starts_with('|');
    if !foldable {
        out.push_str(&text);
        return;
    }
    let mut column = out.rsplit('\n').next().map_or(0, |l| l.chars().count());
    let quoted = text.starts_with('\'') || text.starts_with('"');
    let chars: Vec<char> = text.chars().collect();
    let mut prev_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_space = chars.get(i + 1) == Some(&' ');
            let inside = !quoted || (i > 1 && i + 2 < chars.len());
            if !prev_space && column > BEST_WIDTH && !next_space && inside {
                out.push('\n');
                pad(out, indent);
                column = indent;
            } else {
                out.push(c);
                column += 1;
            }
            prev_space = true;
        } else {
            out.push(c);
            column += 1;
            prev_space = false;
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key shares the dash's line.
                let entries = sorted(m);
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i == 0 {
                        out.push(' ');
                    } else {
                        pad(out, indent + 2);
                    }
                    out.push_str(&string_scalar(k, indent + 2));
                    out.push(':');
                    write_value_after_key(out, v, indent + 2);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                write_seq(out, a, indent + 2);
            }
            other => {
                out.push(' ');
                push_scalar(out, other, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_scalar(s, indent),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// Whether a plain scalar would resolve to a non-string in YAML 1.1 as
/// go-yaml v2 resolves it.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
        ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let t = s.replace('_', "");
    let body = t.strip_prefix(['+', '-']).unwrap_or(&t);
    if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if let Some(hex) = body.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return true;
        }
    }
    if body.parse::<f64>().is_ok() && body.bytes().any(|b| b.is_ascii_digit()) {
        return true;
    }
    looks_like_timestamp(s)
}

fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

fn plain_allowed(s: &str) -> bool {
    if s.is_empty() || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-`, `?` and `:` are allowed when followed by a non-space.
        let second = s.chars().nth(1);
        let ok = matches!(first, '-' | '?' | ':') && second.is_some_and(|c| c != ' ');
        if !ok {
            return false;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    !s.chars().any(|c| c.is_control() || c == '\u{feff}')
}

fn string_scalar(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') {
        return literal_block(s, indent);
    }
    // go-yaml resolves "" to null, so it double-quotes it.
    if s.is_empty() || resolves_to_non_string(s) {
        return double_quoted(s);
    }
    if plain_allowed(s) {
        return s.to_string();
    }
    if s.chars().any(|c| c.is_control()) {
        return double_quoted(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

fn literal_block(s: &str, indent: usize) -> String {
    let chomp = if s.ends_with("\n\n") {
        "+"
    } else if s.ends_with('\n') {
        ""
    } else {
        "-"
    };
    let mut out = format!("|{chomp}");
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
    }
    out
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_configmap_reads_as_the_real_server_writes_it() {
        let v = json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"12","creationTimestamp":"2026-01-02T03:04:05Z","managedFields":[{"manager":"m","fieldsV1":{"f:data":{".":{},"f:k":{}}}}]},"data":{"k":"v"}});
        assert_eq!(
            to_yaml(&v),
            "apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  creationTimestamp: \"2026-01-02T03:04:05Z\"\n  managedFields:\n  - fieldsV1:\n      f:data:\n        .: {}\n        f:k: {}\n    manager: m\n  name: a\n  resourceVersion: \"12\"\n"
        );
    }

    #[test]
    fn a_status_with_quotes_in_its_message_stays_plain() {
        let v = json!({"code":404,"details":{"kind":"configmaps","name":"nope"},"message":"configmaps \"nope\" not found","metadata":{}});
        assert_eq!(
            to_yaml(&v),
            "code: 404\ndetails:\n  kind: configmaps\n  name: nope\nmessage: configmaps \"nope\" not found\nmetadata: {}\n"
        );
    }

    #[test]
    fn long_scalars_fold_like_go_yaml() {
        let long = "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'.";
        let v = json!({"items": [{"description": long, "name": "x"}]});
        let y = to_yaml(&v);
        assert!(
            y.starts_with("items:\n- description: Data contains the configuration data. Each key must consist of alphanumeric\n    characters, '-', '_' or '.'.\n"),
            "{y}"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        assert_eq!(string_scalar("true", 0), "\"true\"");
        assert_eq!(string_scalar("", 0), "\"\"");
        assert_eq!(string_scalar("- x", 0), "'- x'");
        assert_eq!(string_scalar("a: b", 0), "'a: b'");
    }
}
