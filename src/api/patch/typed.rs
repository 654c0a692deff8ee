//! The typed conversion server-side apply runs on an applied configuration
//! before it merges anything: structured-merge-diff's `ObjectToTyped` with
//! validation (`sigs.k8s.io/structured-merge-diff/v6/typed/validate.go`,
//! `typed/helpers.go`), over the schema the type converter builds from the
//! OpenAPI definitions (`k8s.io/apimachinery/pkg/util/managedfields`).
//!
//! A value of the wrong JSON type, or a field the schema does not declare,
//! fails the apply (`failed to create typed patch object (...)`, 500) and
//! nothing is stored; the other write paths refuse the same documents
//! through the Go decoder's errors (`objects::validation::check_decodable`).
//!
//! The error texts are SMD's: `.data: expected map, got &{x}`, where
//! `&{x}` is Go's `%v` of the `*valueUnstructured` holding the value;
//! `expected string` uses `%#v` (`&value.valueUnstructured{Value:1}`) and
//! `expected numeric` `%T` of the value. SMD iterates Go maps in random
//! order; kubemock reports fields in sorted order, so with several errors
//! the order may differ from a real server's.

use serde_json::{Map, Value};

/// SMD's schema atoms, as the type converter derives them from OpenAPI.
enum Atom<'s> {
    /// A struct (`properties`): unknown fields are errors.
    Struct(&'s Map<String, Value>),
    /// A map with one element type (`additionalProperties`).
    Map(&'s Value),
    /// A list; `keys` are `x-kubernetes-list-map-keys` of an associative list.
    List(&'s Value, Vec<&'s str>),
    /// A string scalar.
    String,
    /// `integer` or `number`.
    Numeric,
    /// `boolean`.
    Boolean,
    /// A scalar of any type (`int-or-string`, `Quantity`).
    AnyScalar,
    /// Anything (`x-kubernetes-preserve-unknown-fields`, objects without
    /// properties, schemas without a type).
    Deduced,
}

/// The definitions the schema's `$ref`s point into.
pub type Definitions = Map<String, Value>;

/// The SMD errors of `config` against the definition `root`; empty when it
/// converts. Each is `<path>: <message>`.
pub fn errors(defs: &Definitions, root: &Value, config: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(defs, root, config, &mut String::new(), &mut out, 0);
    out
}

/// SMD's `ValidationErrors.Error()`: one error alone, or `errors:` and one
/// indented line each.
pub fn join(errs: &[String]) -> String {
    if errs.len() == 1 {
        errs[0].clone()
    } else {
        let mut s = String::from("errors:");
        for e in errs {
            s.push_str("\n  ");
            s.push_str(e);
        }
        s
    }
}

/// Deeper than this, values are not checked (serde's decoder already refuses
/// documents nested beyond 128 levels).
const MAX_DEPTH: usize = 256;

fn resolve<'s>(defs: &'s Definitions, mut schema: &'s Value) -> Atom<'s> {
    for _ in 0..32 {
        let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let name = r.trim_start_matches("#/definitions/");
        if name == "io.k8s.apimachinery.pkg.api.resource.Quantity" {
            // Quantity's OpenAPI v3 type is oneOf string/number.
            return Atom::AnyScalar;
        }
        match defs.get(name) {
            Some(s) => schema = s,
            None => return Atom::Deduced,
        }
    }
    if schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true)
        || schema.get("x-kubernetes-int-or-string").is_some()
    {
        return if schema.get("x-kubernetes-int-or-string").is_some() {
            Atom::AnyScalar
        } else {
            Atom::Deduced
        };
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            if let Some(p) = schema.get("properties").and_then(Value::as_object) {
                Atom::Struct(p)
            } else if let Some(a) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                Atom::Map(a)
            } else {
                Atom::Deduced
            }
        }
        Some("array") => match schema.get("items") {
            Some(items) => {
                let keys = if schema.get("x-kubernetes-list-type").and_then(Value::as_str)
                    == Some("map")
                {
                    schema
                        .get("x-kubernetes-list-map-keys")
                        .and_then(Value::as_array)
                        .map(|k| k.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                Atom::List(items, keys)
            }
            None => Atom::Deduced,
        },
        Some("string") => {
            if schema.get("format").and_then(Value::as_str) == Some("int-or-string") {
                Atom::AnyScalar
            } else {
                Atom::String
            }
        }
        Some("integer" | "number") => Atom::Numeric,
        Some("boolean") => Atom::Boolean,
        _ => Atom::Deduced,
    }
}

fn walk(
    defs: &Definitions,
    schema: &Value,
    v: &Value,
    path: &mut String,
    out: &mut Vec<String>,
    depth: usize,
) {
    if v.is_null() || depth > MAX_DEPTH {
        return;
    }
    let mut err = |msg: String| out.push(format!("{path}: {msg}"));
    match resolve(defs, schema) {
        Atom::Deduced => {}
        Atom::String => {
            if !v.is_string() {
                err(format!("expected string, got {}", go_sharp_v(v)));
            }
        }
        Atom::Boolean => {
            if !v.is_boolean() {
                err(format!("expected boolean, got {}", go_v(v)));
            }
        }
        Atom::Numeric => {
            if !v.is_number() {
                err(format!(
                    "expected numeric (int or float), got {}",
                    go_type(v)
                ));
            }
        }
        Atom::AnyScalar => {
            if v.is_object() || v.is_array() {
                err(format!("expected any scalar, got {}", go_v(v)));
            }
        }
        Atom::Map(elem) => match v.as_object() {
            None => err(format!("expected map, got {}", go_v(v))),
            Some(m) => {
                for k in sorted_keys(m) {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    walk(defs, elem, &m[k], path, out, depth + 1);
                    path.truncate(len);
                }
            }
        },
        Atom::Struct(fields) => match v.as_object() {
            None => err(format!("expected map, got {}", go_v(v))),
            Some(m) => {
                for k in sorted_keys(m) {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    match fields.get(k) {
                        Some(f) => walk(defs, f, &m[k], path, out, depth + 1),
                        None => {
                            out.push(format!("{path}: field not declared in schema"));
                            path.truncate(len);
                            // `visitMapItems` stops at the first one.
                            return;
                        }
                    }
                    path.truncate(len);
                }
            }
        },
        Atom::List(items, keys) => match v.as_array() {
            None => err(format!("expected list, got {}", go_v(v))),
            Some(a) => {
                for (i, x) in a.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&list_element(i, x, &keys));
                    walk(defs, items, x, path, out, depth + 1);
                    path.truncate(len);
                }
            }
        },
    }
}

/// A list element's path element: `[0]`, or `[name="c"]` in an
/// associative list (`fieldpath.PathElement.String`).
fn list_element(i: usize, x: &Value, keys: &[&str]) -> String {
    if keys.is_empty() {
        return format!("[{i}]");
    }
    let Some(m) = x.as_object() else {
        return format!("[{i}]");
    };
    let parts: Vec<String> = keys
        .iter()
        .filter_map(|k| m.get(*k).map(|v| format!("{k}={}", compact(v))))
        .collect();
    if parts.is_empty() {
        format!("[{i}]")
    } else {
        format!("[{}]", parts.join(","))
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn sorted_keys(m: &Map<String, Value>) -> Vec<&String> {
    let mut k: Vec<&String> = m.keys().collect();
    k.sort();
    k
}

/// Go's `%v` of `&valueUnstructured{Value: v}`: `&{x}`.
fn go_v(v: &Value) -> String {
    format!("&{{{}}}", go_plain(v))
}

/// Go's `%v` of an unstructured value.
fn go_plain(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(go_plain).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(m) => {
            let items: Vec<String> = sorted_keys(m)
                .into_iter()
                .map(|k| format!("{k}:{}", go_plain(&m[k])))
                .collect();
            format!("map[{}]", items.join(" "))
        }
    }
}

/// Go's `%#v` of `&valueUnstructured{Value: v}`.
fn go_sharp_v(v: &Value) -> String {
    format!("&value.valueUnstructured{{Value:{}}}", go_sharp(v))
}

fn go_sharp(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => crate::api::query::go_quote(s),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(go_sharp).collect();
            format!("[]interface {{}}{{{}}}", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = sorted_keys(m)
                .into_iter()
                .map(|k| format!("{}:{}", crate::api::query::go_quote(k), go_sharp(&m[k])))
                .collect();
            format!("map[string]interface {{}}{{{}}}", items.join(", "))
        }
    }
}

/// Go's `%T` of an unstructured value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Definitions {
        let d = json!({
            "CM": {"type": "object", "properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                "immutable": {"type": "boolean"},
                "data": {"type": "object", "additionalProperties": {"type": "string"}},
                "metadata": {"$ref": "#/definitions/Meta"},
                "items": {"type": "array", "items": {"$ref": "#/definitions/Item"},
                          "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}
            }},
            "Meta": {"type": "object", "properties": {
                "name": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}
            }},
            "Item": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}
        });
        d.as_object().cloned().unwrap_or_default()
    }

    fn check(v: Value) -> Vec<String> {
        let d = defs();
        let root = d["CM"].clone();
        errors(&d, &root, &v)
    }

    #[test]
    fn wrong_types_get_smd_texts() {
        assert_eq!(
            check(json!({"data": "x"})),
            vec![".data: expected map, got &{x}"]
        );
        assert_eq!(
            check(json!({"data": ["x"]})),
            vec![".data: expected map, got &{[x]}"]
        );
        assert_eq!(
            check(json!({"metadata": {"labels": {"a": 1}}})),
            vec![".metadata.labels.a: expected string, got &value.valueUnstructured{Value:1}"]
        );
        assert_eq!(
            check(json!({"immutable": "x"})),
            vec![".immutable: expected boolean, got &{x}"]
        );
        assert_eq!(
            check(json!({"items": [{"name": "a", "port": "p"}]})),
            vec![".items[name=\"a\"].port: expected numeric (int or float), got string"]
        );
    }

    #[test]
    fn unknown_fields_stop_at_the_first() {
        assert_eq!(
            check(json!({"metadata": {"zz": 1, "zy": 2}})),
            vec![".metadata.zy: field not declared in schema"]
        );
    }

    #[test]
    fn valid_documents_and_nulls_pass() {
        assert!(
            check(json!({"data": {"a": "b"}, "immutable": null, "metadata": {"name": "x"}}))
                .is_empty()
        );
    }
}
