//! `application/vnd.kubernetes.protobuf`: kube-apiserver's binary encoding of
//! the built-in types (`k8s.io/apimachinery/pkg/runtime/serializer/protobuf`).
//!
//! A body is the magic `k8s\0` followed by a `runtime.Unknown` envelope:
//! `typeMeta` (1: `{apiVersion=1, kind=2}`), `raw` (2: the object's message),
//! `contentEncoding` (3) and `contentType` (4), both empty. A watch stream
//! (`;stream=watch`) is a sequence of frames, each a 4-byte big-endian length
//! and a bare `metav1.WatchEvent` (`type`=1, `object`=2 a `RawExtension` whose
//! `raw`=1 holds the object in the full envelope form above): the stream
//! serializer is the raw one (no magic, no envelope), the embedded object is
//! encoded by the regular one.
//!
//! The message schema is generated from the k8s-pb prost bindings
//! ([`schema_gen`], by `scripts/gen_protobuf_schema.py`); [`codec`] converts
//! between the stored JSON form and the wire form. Custom resources have no
//! protobuf form ([`supports`] is false for them).

mod codec;
mod schema;
#[allow(clippy::all)]
#[rustfmt::skip]
mod schema_gen;
#[cfg(test)]
mod tests;

pub use codec::ProtoError;
use codec::{decode_message, encode_message, named, read_fields, Wire};
use serde_json::Value;

/// The protobuf body prefix (`protobuf.go`: `protoEncodingPrefix`).
pub const MAGIC: &[u8; 4] = b"k8s\x00";

const UNKNOWN: &str = "k8s.io.apimachinery.pkg.runtime.Unknown";
const WATCH_EVENT: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent";

/// Whether objects of this `apiVersion`/`kind` have a protobuf form.
pub fn supports(api_version: &str, kind: &str) -> bool {
    schema::for_kind(api_version, kind).is_some()
}

fn type_meta(v: &Value) -> (&str, &str) {
    (
        v.get("apiVersion").and_then(Value::as_str).unwrap_or(""),
        v.get("kind").and_then(Value::as_str).unwrap_or(""),
    )
}

fn put_len(out: &mut Vec<u8>, tag: u8, b: &[u8]) {
    out.push((tag << 3) | 2);
    let mut n = b.len() as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(b);
}

/// Encodes an object (its `apiVersion`/`kind` pick the message) as a full
/// protobuf body: magic + `runtime.Unknown`.
pub fn encode(v: &Value) -> Result<Vec<u8>, ProtoError> {
    let (av, kind) = type_meta(v);
    let m = schema::for_kind(av, kind)
        .ok_or_else(|| ProtoError(format!("object {av}/{kind} has no protobuf form")))?;
    let raw = encode_message(m, v)?;
    let mut tm = Vec::new();
    put_len(&mut tm, 1, av.as_bytes());
    put_len(&mut tm, 2, kind.as_bytes());
    let mut out = Vec::with_capacity(raw.len() + tm.len() + 16);
    out.extend_from_slice(MAGIC);
    put_len(&mut out, 1, &tm);
    put_len(&mut out, 2, &raw);
    put_len(&mut out, 3, b"");
    put_len(&mut out, 4, b"");
    Ok(out)
}

/// A decode failure, with the type from the envelope when it was read
/// (`transformDecodeError` words the two cases differently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// `(apiVersion, kind)` of the envelope, if it was read.
    pub gvk: Option<(String, String)>,
    /// Go-like error text.
    pub message: String,
}

/// Decodes a full protobuf body (magic + `runtime.Unknown`) into the JSON
/// form, with `apiVersion` and `kind` from the envelope.
pub fn decode(body: &[u8]) -> Result<Value, DecodeError> {
    let plain = |message: String| DecodeError { gvk: None, message };
    let Some(rest) = body.strip_prefix(MAGIC.as_slice()) else {
        return Err(plain(format!(
            "provided data does not appear to be a protobuf message, expected prefix {}",
            go_bytes(MAGIC)
        )));
    };
    let env = named(UNKNOWN).map_err(|e| plain(e.0))?;
    let fields = read_fields(rest).map_err(|e| plain(e.0))?;
    let get = |tag: u32| {
        fields.iter().rev().find_map(|(t, w)| match w {
            Wire::Bytes(b) if *t == tag => Some(*b),
            _ => None,
        })
    };
    let _ = env;
    let tm = read_fields(get(1).unwrap_or(&[])).map_err(|e| plain(e.0))?;
    let tm_str = |tag: u32| {
        tm.iter()
            .rev()
            .find_map(|(t, w)| match w {
                Wire::Bytes(b) if *t == tag => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let (av, kind) = (tm_str(1), tm_str(2));
    if kind.is_empty() {
        return Err(plain("Object 'Kind' is missing in protobuf body".into()));
    }
    let with_gvk = |message: String| DecodeError {
        gvk: Some((av.clone(), kind.clone())),
        message,
    };
    let ct = get(4).unwrap_or(&[]);
    if !ct.is_empty() && ct != b"application/vnd.kubernetes.protobuf" {
        return Err(with_gvk(format!(
            "unsupported content type {:?}",
            String::from_utf8_lossy(ct)
        )));
    }
    let m = schema::for_kind(&av, &kind).ok_or_else(|| {
        with_gvk(format!(
            "no kind {kind:?} is registered for version {av:?} in scheme \"pkg/api/legacyscheme/scheme.go:30\""
        ))
    })?;
    let mut v = decode_message(m, get(2).unwrap_or(&[])).map_err(|e| with_gvk(e.0))?;
    if let Value::Object(obj) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert("kind".into(), Value::String(kind.clone()));
        out.insert("apiVersion".into(), Value::String(av.clone()));
        out.extend(std::mem::take(obj));
        *obj = out;
    }
    Ok(v)
}

/// Go's `%v` of a byte slice: `[107 56 115 0]`.
fn go_bytes(b: &[u8]) -> String {
    let parts: Vec<String> = b.iter().map(u8::to_string).collect();
    format!("[{}]", parts.join(" "))
}

/// One frame of a protobuf watch stream: length prefix + `WatchEvent` whose
/// object is the full protobuf body of `object`.
pub fn watch_frame(event_type: &str, object: &Value) -> Result<Vec<u8>, ProtoError> {
    let embedded = encode(object)?;
    let mut raw_ext = Vec::new();
    put_len(&mut raw_ext, 1, &embedded);
    let mut ev = Vec::new();
    put_len(&mut ev, 1, event_type.as_bytes());
    put_len(&mut ev, 2, &raw_ext);
    let len = u32::try_from(ev.len()).map_err(|_| ProtoError("watch event too large".into()))?;
    let mut out = Vec::with_capacity(ev.len() + 4);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&ev);
    Ok(out)
}

/// Decodes one `WatchEvent` message (without its length prefix): the event
/// type and the embedded object.
pub fn decode_watch_event(b: &[u8]) -> Result<(String, Value), ProtoError> {
    let _ = named(WATCH_EVENT)?;
    let fields = read_fields(b)?;
    let bytes = |fs: &[(u32, Wire<'_>)], tag: u32| -> Vec<u8> {
        fs.iter()
            .rev()
            .find_map(|(t, w)| match w {
                Wire::Bytes(b) if *t == tag => Some(b.to_vec()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let ty = String::from_utf8(bytes(&fields, 1)).map_err(|_| ProtoError("bad type".into()))?;
    let ext = bytes(&fields, 2);
    let raw = bytes(&read_fields(&ext)?, 1);
    let obj = decode(&raw).map_err(|e| ProtoError(e.message))?;
    Ok((ty, obj))
}
