//! How the store keeps an object: encoded, not as a JSON tree.
//!
//! A `serde_json::Value` of a 1 KiB ConfigMap takes several KiB (an ordered
//! map per JSON object, a heap string per key). The store keeps each object
//! as its compact JSON instead, in the wire form the API serves (Go's
//! escapes, stored field order), with `kind` and `apiVersion` split off:
//!
//! - a list item of a built-in (no `kind`/`apiVersion`) is the body as is;
//! - a watch event or GET writes `{"kind":K,"apiVersion":V,` and the body's
//!   fields: a copy, not a serialisation;
//! - anything that needs the fields (selectors, writes, Tables, protobuf)
//!   parses it back with [`StoredObject::to_value`].

use serde_json::{Map, Value};

/// One stored object (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    kind: Option<Box<str>>,
    api_version: Option<Box<str>>,
    /// Every other field, as one compact JSON object (`{...}`).
    body: Box<[u8]>,
}

impl StoredObject {
    /// Encodes an object. A value that is not a JSON object is kept whole
    /// (the API never stores one).
    pub fn encode(obj: &Value) -> StoredObject {
        let Some(fields) = obj.as_object() else {
            let mut body = Vec::new();
            crate::meta::json::write_compact(&mut body, obj);
            return StoredObject {
                kind: None,
                api_version: None,
                body: body.into_boxed_slice(),
            };
        };
        let text = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .map(|s| s.to_string().into_boxed_str())
        };
        // A non-string kind/apiVersion (never valid) stays in the body.
        let kind = text("kind");
        let api_version = text("apiVersion");
        let rest = BodyFields {
            fields,
            skip_kind: kind.is_some(),
            skip_api_version: api_version.is_some(),
        };
        let mut body = Vec::with_capacity(256);
        crate::meta::json::write_compact(&mut body, &rest);
        StoredObject {
            kind,
            api_version,
            body: body.into_boxed_slice(),
        }
    }

    /// The object as a JSON tree: `kind` and `apiVersion` first (when it
    /// had them), then the other fields in stored order.
    pub fn to_value(&self) -> Value {
        let parsed: Value = serde_json::from_slice(&self.body).unwrap_or(Value::Null);
        let Value::Object(rest) = parsed else {
            return parsed;
        };
        let mut out = Map::with_capacity(rest.len() + 2);
        if let Some(k) = &self.kind {
            out.insert("kind".into(), Value::String(k.to_string()));
        }
        if let Some(a) = &self.api_version {
            out.insert("apiVersion".into(), Value::String(a.to_string()));
        }
        out.extend(rest);
        Value::Object(out)
    }

    /// The stored `kind`, if it had one.
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// Every field but `kind` and `apiVersion`, as compact JSON.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Appends the object with the given `kind` and `apiVersion` first (as
    /// Go's struct order writes them), then the body's fields.
    pub fn write_with_type(&self, out: &mut Vec<u8>, kind: &str, api_version: &str) {
        if self.body.first() != Some(&b'{') {
            out.extend_from_slice(&self.body);
            return;
        }
        out.extend_from_slice(b"{\"kind\":");
        crate::meta::json::write_compact(out, kind);
        out.extend_from_slice(b",\"apiVersion\":");
        crate::meta::json::write_compact(out, api_version);
        if self.body.len() > 2 {
            out.push(b',');
        }
        out.extend_from_slice(&self.body[1..]);
    }

    /// Approximate bytes held (for sizing).
    pub fn encoded_len(&self) -> usize {
        self.body.len()
            + self.kind.as_ref().map_or(0, |k| k.len())
            + self.api_version.as_ref().map_or(0, |a| a.len())
    }
}

/// An object's fields without `kind`/`apiVersion`, serialised in place.
struct BodyFields<'a> {
    fields: &'a Map<String, Value>,
    skip_kind: bool,
    skip_api_version: bool,
}

impl serde::Serialize for BodyFields<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.fields {
            if (self.skip_kind && k == "kind") || (self.skip_api_version && k == "apiVersion") {
                continue;
            }
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_with_type_meta_first() {
        let obj = json!({"metadata": {"name": "a<b"}, "kind": "ConfigMap", "apiVersion": "v1", "data": {"x": 1.5, "y": [1, null, true]}});
        let s = StoredObject::encode(&obj);
        assert_eq!(s.kind(), Some("ConfigMap"));
        assert_eq!(
            std::str::from_utf8(s.body()).unwrap(),
            r#"{"metadata":{"name":"a\u003cb"},"data":{"x":1.5,"y":[1,null,true]}}"#
        );
        let back = s.to_value();
        assert_eq!(back, obj);
        let keys: Vec<&String> = back.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["kind", "apiVersion", "metadata", "data"]);
    }

    #[test]
    fn writes_the_presented_form() {
        let s = StoredObject::encode(&json!({"kind": "Pod", "metadata": {"name": "p"}}));
        let mut out = Vec::new();
        s.write_with_type(&mut out, "Pod", "v1");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}"#
        );
        let empty = StoredObject::encode(&json!({"kind": "X"}));
        let mut out = Vec::new();
        empty.write_with_type(&mut out, "X", "g/v1");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"kind":"X","apiVersion":"g/v1"}"#
        );
    }

    #[test]
    fn a_non_string_kind_stays_in_the_body() {
        let obj = json!({"kind": 3, "spec": {}});
        let s = StoredObject::encode(&obj);
        assert_eq!(s.kind(), None);
        assert_eq!(s.to_value(), obj);
    }
}
