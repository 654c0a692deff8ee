//! A Swagger 2.0 document (as JSON) encoded as the gnostic `openapi.v2.Document`
//! protobuf message, the form `GET /openapi/v2` serves for
//! `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
//! (client-go's `DiscoveryClient.OpenAPISchema` asks only for this form, and
//! kubectl builds its validation schema from it).
//!
//! Field numbers follow gnostic's `openapiv2/OpenAPIv2.proto`. Only the parts
//! kubemock's documents use are encoded: info, paths (operations, parameters,
//! responses), definitions (schemas) and vendor extensions. Vendor extension
//! values are carried as `Any.yaml` text (gnostic does the same; JSON text is
//! valid YAML).

use serde_json::{Map, Value};

/// Encodes a Swagger 2.0 JSON document.
pub fn encode_document(doc: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let empty = Map::new();
    let obj = doc.as_object().unwrap_or(&empty);
    for (k, v) in obj {
        match k.as_str() {
            "swagger" => string_field(&mut out, 1, v),
            "info" => message(&mut out, 2, &encode_info(v)),
            "paths" => message(&mut out, 8, &encode_paths(v)),
            "definitions" => message(&mut out, 9, &encode_named_schemas(v)),
            _ if k.starts_with("x-") => named_any(&mut out, 16, k, v),
            _ => {}
        }
    }
    out
}

fn encode_info(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(o) = v.as_object() {
        for (k, v) in o {
            match k.as_str() {
                "title" => string_field(&mut out, 1, v),
                "version" => string_field(&mut out, 2, v),
                "description" => string_field(&mut out, 3, v),
                _ if k.starts_with("x-") => named_any(&mut out, 7, k, v),
                _ => {}
            }
        }
    }
    out
}

fn encode_paths(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(o) = v.as_object() {
        for (path, item) in o {
            if path.starts_with("x-") {
                named_any(&mut out, 1, path, item);
                continue;
            }
            let mut named = Vec::new();
            bytes_field(&mut named, 1, path.as_bytes());
            message(&mut named, 2, &encode_path_item(item));
            message(&mut out, 2, &named);
        }
    }
    out
}

fn encode_path_item(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(o) = v.as_object() {
        for (k, v) in o {
            let field = match k.as_str() {
                "get" => 2,
                "put" => 3,
                "post" => 4,
                "delete" => 5,
                "options" => 6,
                "head" => 7,
                "patch" => 8,
                "parameters" => {
                    for p in v.as_array().into_iter().flatten() {
                        message(&mut out, 9, &encode_parameters_item(p));
                    }
                    continue;
                }
                _ if k.starts_with("x-") => {
                    named_any(&mut out, 10, k, v);
                    continue;
                }
                _ => continue,
            };
            message(&mut out, field, &encode_operation(v));
        }
    }
    out
}

fn encode_operation(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(o) = v.as_object() {
        for (k, v) in o {
            match k.as_str() {
                "tags" => strings(&mut out, 1, v),
                "summary" => string_field(&mut out, 2, v),
                "description" => string_field(&mut out, 3, v),
                "operationId" => string_field(&mut out, 5, v),
                "produces" => strings(&mut out, 6, v),
                "consumes" => strings(&mut out, 7, v),
                "parameters" => {
                    for p in v.as_array().into_iter().flatten() {
                        message(&mut out, 8, &encode_parameters_item(p));
                    }
                }
                "responses" => message(&mut out, 9, &encode_responses(v)),
                "schemes" => strings(&mut out, 10, v),
                "deprecated" => bool_field(&mut out, 11, v),
                _ if k.starts_with("x-") => named_any(&mut out, 13, k, v),
                _ => {}
            }
        }
    }
    out
}

/// `ParametersItem { Parameter parameter = 1; JsonReference json_reference = 2; }`
fn encode_parameters_item(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(r) = v.get("$ref") {
        let mut jr = Vec::new();
        string_field(&mut jr, 1, r);
        message(&mut out, 2, &jr);
        return out;
    }
    let mut param = Vec::new();
    let location = v.get("in").and_then(Value::as_str).unwrap_or("");
    if location == "body" {
        // BodyParameter: description 1, name 2, in 3, required 4, schema 5.
        let mut body = Vec::new();
        if let Some(o) = v.as_object() {
            for (k, v) in o {
                match k.as_str() {
                    "description" => string_field(&mut body, 1, v),
                    "name" => string_field(&mut body, 2, v),
                    "in" => string_field(&mut body, 3, v),
                    "required" => bool_field(&mut body, 4, v),
                    "schema" => message(&mut body, 5, &encode_schema(v)),
                    _ if k.starts_with("x-") => named_any(&mut body, 6, k, v),
                    _ => {}
                }
            }
        }
        message(&mut param, 1, &body);
    } else {
        // NonBodyParameter oneof: header 1, formData 2, query 3, path 4. The
        // query and path sub-schemas share numbering up to `type`; after it
        // the query one has `allow_empty_value` at 5 and shifts by one.
        let (which, query_like) = match location {
            "header" => (1, false),
            "formData" => (2, true),
            "path" => (4, false),
            _ => (3, true),
        };
        let shift = u32::from(query_like);
        let mut sub = Vec::new();
        if let Some(o) = v.as_object() {
            for (k, v) in o {
                match k.as_str() {
                    "required" => bool_field(&mut sub, 1, v),
                    "in" => string_field(&mut sub, 2, v),
                    "description" => string_field(&mut sub, 3, v),
                    "name" => string_field(&mut sub, 4, v),
                    "allowEmptyValue" if query_like => bool_field(&mut sub, 5, v),
                    "type" => string_field(&mut sub, 5 + shift, v),
                    "format" => string_field(&mut sub, 6 + shift, v),
                    "uniqueItems" => bool_field(&mut sub, 19 + shift, v),
                    _ if k.starts_with("x-") => named_any(&mut sub, 22 + shift, k, v),
                    _ => {}
                }
            }
        }
        let mut non_body = Vec::new();
        message(&mut non_body, which, &sub);
        message(&mut param, 2, &non_body);
    }
    message(&mut out, 1, &param);
    out
}

/// `Responses { repeated NamedResponseValue response_code = 1; ... }`
fn encode_responses(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(o) = v.as_object() {
        for (code, resp) in o {
            if code.starts_with("x-") {
                named_any(&mut out, 2, code, resp);
                continue;
            }
            // Response: description 1, schema 2 (SchemaItem { Schema schema = 1 }).
            let mut r = Vec::new();
            if let Some(d) = resp.get("description") {
                string_field(&mut r, 1, d);
            }
            if let Some(s) = resp.get("schema") {
                let mut item = Vec::new();
                message(&mut item, 1, &encode_schema(s));
                message(&mut r, 2, &item);
            }
            let mut value = Vec::new();
            message(&mut value, 1, &r);
            let mut named = Vec::new();
            bytes_field(&mut named, 1, code.as_bytes());
            message(&mut named, 2, &value);
            message(&mut out, 1, &named);
        }
    }
    out
}

/// `Definitions` / `Properties`: `repeated NamedSchema additional_properties = 1`.
fn encode_named_schemas(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(o) = v.as_object() {
        for (name, schema) in o {
            let mut named = Vec::new();
            bytes_field(&mut named, 1, name.as_bytes());
            message(&mut named, 2, &encode_schema(schema));
            message(&mut out, 1, &named);
        }
    }
    out
}

/// `Schema` (fields of `OpenAPIv2.proto`).
pub fn encode_schema(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(o) = v.as_object() else {
        return out;
    };
    for (k, v) in o {
        match k.as_str() {
            "$ref" => string_field(&mut out, 1, v),
            "format" => string_field(&mut out, 2, v),
            "title" => string_field(&mut out, 3, v),
            "description" => string_field(&mut out, 4, v),
            "default" => any_field(&mut out, 5, v),
            "multipleOf" => double_field(&mut out, 6, v),
            "maximum" => double_field(&mut out, 7, v),
            "exclusiveMaximum" => bool_field(&mut out, 8, v),
            "minimum" => double_field(&mut out, 9, v),
            "exclusiveMinimum" => bool_field(&mut out, 10, v),
            "maxLength" => int_field(&mut out, 11, v),
            "minLength" => int_field(&mut out, 12, v),
            "pattern" => string_field(&mut out, 13, v),
            "maxItems" => int_field(&mut out, 14, v),
            "minItems" => int_field(&mut out, 15, v),
            "uniqueItems" => bool_field(&mut out, 16, v),
            "maxProperties" => int_field(&mut out, 17, v),
            "minProperties" => int_field(&mut out, 18, v),
            "required" => strings(&mut out, 19, v),
            "enum" => {
                for e in v.as_array().into_iter().flatten() {
                    any_field(&mut out, 20, e);
                }
            }
            "additionalProperties" => {
                // AdditionalPropertiesItem { Schema schema = 1; bool boolean = 2; }
                let mut item = Vec::new();
                match v {
                    Value::Bool(b) => {
                        tag(&mut item, 2, 0);
                        varint(&mut item, u64::from(*b));
                    }
                    other => message(&mut item, 1, &encode_schema(other)),
                }
                message(&mut out, 21, &item);
            }
            "type" => {
                // TypeItem { repeated string value = 1; }
                let mut item = Vec::new();
                match v {
                    Value::Array(_) => strings(&mut item, 1, v),
                    other => string_field(&mut item, 1, other),
                }
                message(&mut out, 22, &item);
            }
            "items" => {
                // ItemsItem { repeated Schema schema = 1; }
                let mut item = Vec::new();
                match v {
                    Value::Array(a) => {
                        for s in a {
                            message(&mut item, 1, &encode_schema(s));
                        }
                    }
                    other => message(&mut item, 1, &encode_schema(other)),
                }
                message(&mut out, 23, &item);
            }
            "allOf" => {
                for s in v.as_array().into_iter().flatten() {
                    message(&mut out, 24, &encode_schema(s));
                }
            }
            "properties" => message(&mut out, 25, &encode_named_schemas(v)),
            "discriminator" => string_field(&mut out, 26, v),
            "readOnly" => bool_field(&mut out, 27, v),
            "example" => any_field(&mut out, 30, v),
            _ if k.starts_with("x-") => named_any(&mut out, 31, k, v),
            _ => {}
        }
    }
    out
}

/// `NamedAny { string name = 1; Any value = 2; }` with `Any { string yaml = 2; }`.
fn named_any(out: &mut Vec<u8>, field: u32, name: &str, v: &Value) {
    let mut named = Vec::new();
    bytes_field(&mut named, 1, name.as_bytes());
    any_field(&mut named, 2, v);
    message(out, field, &named);
}

fn any_field(out: &mut Vec<u8>, field: u32, v: &Value) {
    let mut any = Vec::new();
    let yaml = match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    };
    bytes_field(&mut any, 2, yaml.as_bytes());
    message(out, field, &any);
}

fn strings(out: &mut Vec<u8>, field: u32, v: &Value) {
    for s in v.as_array().into_iter().flatten() {
        string_field(out, field, s);
    }
}

fn string_field(out: &mut Vec<u8>, field: u32, v: &Value) {
    if let Some(s) = v.as_str() {
        if !s.is_empty() {
            bytes_field(out, field, s.as_bytes());
        }
    }
}

fn bool_field(out: &mut Vec<u8>, field: u32, v: &Value) {
    if v.as_bool() == Some(true) {
        tag(out, field, 0);
        varint(out, 1);
    }
}

fn int_field(out: &mut Vec<u8>, field: u32, v: &Value) {
    if let Some(i) = v.as_i64() {
        if i != 0 {
            tag(out, field, 0);
            // int64: two's complement as a 64-bit varint.
            varint(out, i as u64);
        }
    }
}

fn double_field(out: &mut Vec<u8>, field: u32, v: &Value) {
    if let Some(f) = v.as_f64() {
        if f != 0.0 {
            tag(out, field, 1);
            out.extend_from_slice(&f.to_le_bytes());
        }
    }
}

fn message(out: &mut Vec<u8>, field: u32, body: &[u8]) {
    bytes_field(out, field, body);
}

fn bytes_field(out: &mut Vec<u8>, field: u32, body: &[u8]) {
    tag(out, field, 2);
    varint(out, body.len() as u64);
    out.extend_from_slice(body);
}

fn tag(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn varints_and_tags() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, vec![0xac, 0x02]);
        let mut out = Vec::new();
        string_field(&mut out, 1, &json!("2.0"));
        assert_eq!(out, vec![0x0a, 3, b'2', b'.', b'0']);
    }

    #[test]
    fn schema_encodes_type_and_properties() {
        let s = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let b = encode_schema(&s);
        // field 22 (type), wire 2 → tag 0xb2 0x01.
        assert_eq!(&b[..2], &[0xb2, 0x01]);
        assert!(b.windows(6).any(|w| w == b"string"));
    }

    #[test]
    fn document_starts_with_swagger_version() {
        let b = encode_document(&json!({"swagger": "2.0", "definitions": {}}));
        assert_eq!(&b[..5], &[0x0a, 3, b'2', b'.', b'0']);
    }
}
