//! JSON <-> protobuf wire conversion driven by the generated schema.
//!
//! Encoding writes the fields present in the JSON in tag order, map entries in
//! key order (as the Go marshallers do); `null` is absent. Decoding is the Go
//! round trip `proto.Unmarshal` then `json.Marshal`: a field absent on the wire
//! is absent in JSON, an empty string (Go zero value of an `omitempty` field)
//! is dropped unless the field is required, a zero `Time` is `null` (but a
//! zero `metadata.creationTimestamp` is absent, `omitzero` since 1.34), and the
//! zero integers and `false` of Go's non-pointer `omitempty` fields listed in
//! [`OMITEMPTY_ZERO`] are dropped (other integers and bools keep their zero:
//! they are pointers whose zero means something, or required).

use super::schema::{by_name, message, Field, Form, Kind, Message};
use base64::Engine as _;
use serde_json::{Map, Number, Value};
use std::fmt;

/// A conversion error (bad wire data, or a JSON value of the wrong type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError(pub String);

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtoError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ProtoError> {
    Err(ProtoError(msg.into()))
}

/// Go non-pointer `omitempty` integer and bool fields (`Message.json`): their
/// zero is never written by Go's JSON encoder, but Go's protobuf encoder always
/// sends them. UNVERIFIED completeness: the protos do not say which Go fields
/// are pointers; fields missing here keep an explicit `0`/`false`.
const OMITEMPTY_ZERO: &[&str] = &[
    "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta.generation",
    "k8s.io.api.apps.v1.DeploymentSpec.minReadySeconds",
    "k8s.io.api.apps.v1.DeploymentSpec.paused",
    "k8s.io.api.apps.v1.DeploymentStatus.observedGeneration",
    "k8s.io.api.apps.v1.DeploymentStatus.replicas",
    "k8s.io.api.apps.v1.DeploymentStatus.updatedReplicas",
    "k8s.io.api.apps.v1.DeploymentStatus.readyReplicas",
    "k8s.io.api.apps.v1.DeploymentStatus.availableReplicas",
    "k8s.io.api.apps.v1.DeploymentStatus.unavailableReplicas",
    "k8s.io.api.apps.v1.ReplicaSetSpec.minReadySeconds",
    "k8s.io.api.apps.v1.ReplicaSetStatus.fullyLabeledReplicas",
    "k8s.io.api.apps.v1.ReplicaSetStatus.readyReplicas",
    "k8s.io.api.apps.v1.ReplicaSetStatus.availableReplicas",
    "k8s.io.api.apps.v1.ReplicaSetStatus.observedGeneration",
    "k8s.io.api.apps.v1.StatefulSetSpec.minReadySeconds",
    "k8s.io.api.apps.v1.StatefulSetStatus.observedGeneration",
    "k8s.io.api.apps.v1.StatefulSetStatus.readyReplicas",
    "k8s.io.api.apps.v1.StatefulSetStatus.currentReplicas",
    "k8s.io.api.apps.v1.StatefulSetStatus.updatedReplicas",
    "k8s.io.api.apps.v1.StatefulSetStatus.availableReplicas",
    "k8s.io.api.apps.v1.DaemonSetSpec.minReadySeconds",
    "k8s.io.api.apps.v1.DaemonSetStatus.observedGeneration",
    "k8s.io.api.apps.v1.DaemonSetStatus.updatedNumberScheduled",
    "k8s.io.api.apps.v1.DaemonSetStatus.numberAvailable",
    "k8s.io.api.apps.v1.DaemonSetStatus.numberUnavailable",
    "k8s.io.api.batch.v1.JobStatus.active",
    "k8s.io.api.batch.v1.JobStatus.succeeded",
    "k8s.io.api.batch.v1.JobStatus.failed",
    "k8s.io.api.core.v1.PodSpec.hostNetwork",
    "k8s.io.api.core.v1.PodSpec.hostPID",
    "k8s.io.api.core.v1.PodSpec.hostIPC",
    "k8s.io.api.core.v1.Container.stdin",
    "k8s.io.api.core.v1.Container.stdinOnce",
    "k8s.io.api.core.v1.Container.tty",
    "k8s.io.api.core.v1.EphemeralContainerCommon.stdin",
    "k8s.io.api.core.v1.EphemeralContainerCommon.stdinOnce",
    "k8s.io.api.core.v1.EphemeralContainerCommon.tty",
    "k8s.io.api.core.v1.ContainerPort.hostPort",
    "k8s.io.api.core.v1.Probe.initialDelaySeconds",
    "k8s.io.api.core.v1.Probe.timeoutSeconds",
    "k8s.io.api.core.v1.Probe.periodSeconds",
    "k8s.io.api.core.v1.Probe.successThreshold",
    "k8s.io.api.core.v1.Probe.failureThreshold",
    "k8s.io.api.core.v1.ServiceSpec.publishNotReadyAddresses",
    "k8s.io.api.core.v1.ServiceSpec.healthCheckNodePort",
    "k8s.io.api.core.v1.ServicePort.nodePort",
    "k8s.io.api.core.v1.VolumeMount.readOnly",
    "k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource.readOnly",
    "k8s.io.api.core.v1.ReplicationControllerSpec.minReadySeconds",
    "k8s.io.api.core.v1.ReplicationControllerStatus.fullyLabeledReplicas",
    "k8s.io.api.core.v1.ReplicationControllerStatus.readyReplicas",
    "k8s.io.api.core.v1.ReplicationControllerStatus.availableReplicas",
    "k8s.io.api.core.v1.ReplicationControllerStatus.observedGeneration",
    "k8s.io.api.core.v1.Event.count",
];

const OBJECT_META: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta";

fn omitempty_zero(m: &Message, f: &Field) -> bool {
    OMITEMPTY_ZERO.iter().any(|k| {
        k.strip_prefix(m.name)
            .and_then(|r| r.strip_prefix('.'))
            .is_some_and(|r| r == f.json)
    })
}

// ---------------------------------------------------------------- wire writer

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, tag: u32, wire: u8) {
    put_varint(out, (u64::from(tag) << 3) | u64::from(wire));
}

fn put_bytes(out: &mut Vec<u8>, tag: u32, b: &[u8]) {
    put_key(out, tag, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_int(out: &mut Vec<u8>, tag: u32, v: i64) {
    put_key(out, tag, 0);
    put_varint(out, v as u64);
}

// ---------------------------------------------------------------- encoding

/// Encodes a JSON value as the body of message `m` (no length prefix).
pub(crate) fn encode_message(m: &Message, v: &Value) -> Result<Vec<u8>, ProtoError> {
    let mut out = Vec::new();
    match m.form {
        Form::Object => {
            let Value::Object(obj) = v else {
                return err(format!("{}: expected an object, got {v}", short(m)));
            };
            encode_fields(m, obj, &mut out)?;
        }
        Form::Time | Form::MicroTime => {
            let Some(s) = v.as_str() else {
                return err(format!("{}: expected a time string, got {v}", short(m)));
            };
            let t = chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|e| ProtoError(format!("parsing time {s:?}: {e}")))?;
            put_int(&mut out, 1, t.timestamp());
            let nanos = if m.form == Form::MicroTime {
                i64::from(t.timestamp_subsec_micros()) * 1000
            } else {
                0
            };
            put_int(&mut out, 2, nanos);
        }
        Form::Duration => {
            let Some(s) = v.as_str() else {
                return err(format!("Duration: expected a string, got {v}"));
            };
            put_int(&mut out, 1, parse_go_duration(s)?);
        }
        Form::Quantity => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return err(format!("quantities must be strings or numbers, got {v}")),
            };
            put_bytes(&mut out, 1, s.as_bytes());
        }
        Form::IntOrString => match v {
            Value::Number(n) => {
                let Some(i) = n.as_i64().filter(|i| i32::try_from(*i).is_ok()) else {
                    return err(format!("IntOrString: {n} is not an int32"));
                };
                put_int(&mut out, 1, 0);
                put_int(&mut out, 2, i);
                put_bytes(&mut out, 3, b"");
            }
            Value::String(s) => {
                put_int(&mut out, 1, 1);
                put_int(&mut out, 2, 0);
                put_bytes(&mut out, 3, s.as_bytes());
            }
            _ => {
                return err(format!(
                    "IntOrString: expected a number or a string, got {v}"
                ))
            }
        },
        Form::RawJson => {
            let raw = serde_json::to_vec(v).map_err(|e| ProtoError(e.to_string()))?;
            put_bytes(&mut out, 1, &raw);
        }
        Form::PropsOrBool => match v {
            Value::Bool(b) => put_int(&mut out, 1, i64::from(*b)),
            Value::Object(_) => {
                put_int(&mut out, 1, 1);
                encode_field_value(m, &m.fields[1], v, &mut out)?;
            }
            _ => return err(format!("JSONSchemaPropsOrBool: got {v}")),
        },
        Form::PropsOrArray | Form::PropsOrStringArray => match v {
            Value::Object(_) => encode_field_value(m, &m.fields[0], v, &mut out)?,
            Value::Array(_) => encode_field_value(m, &m.fields[1], v, &mut out)?,
            _ => return err(format!("{}: got {v}", short(m))),
        },
        Form::ArrayWrapper => encode_field_value(m, &m.fields[0], v, &mut out)?,
    }
    Ok(out)
}

fn short(m: &Message) -> &str {
    m.name.rsplit('.').next().unwrap_or(m.name)
}

fn encode_fields(
    m: &Message,
    obj: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), ProtoError> {
    for f in m.fields {
        if f.inline {
            let Kind::Message(idx) = f.kind else {
                return err("inline field is not a message");
            };
            let mut body = Vec::new();
            encode_fields(message(idx), obj, &mut body)?;
            put_bytes(out, f.tag, &body);
            continue;
        }
        match obj.get(f.json) {
            None | Some(Value::Null) => {}
            Some(v) => encode_field_value(m, f, v, out)?,
        }
    }
    Ok(())
}

fn encode_field_value(
    m: &Message,
    f: &Field,
    v: &Value,
    out: &mut Vec<u8>,
) -> Result<(), ProtoError> {
    let ctx = || format!("{}.{}", short(m), f.json);
    match f.kind {
        Kind::MapString | Kind::MapBytes | Kind::MapMessage(_) => {
            let Value::Object(map) = v else {
                return err(format!("{}: expected an object, got {v}", ctx()));
            };
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                let val = &map[k];
                let mut entry = Vec::new();
                put_bytes(&mut entry, 1, k.as_bytes());
                match f.kind {
                    Kind::MapString => match val {
                        Value::String(s) => put_bytes(&mut entry, 2, s.as_bytes()),
                        Value::Null => put_bytes(&mut entry, 2, b""),
                        _ => return err(format!("{}: expected a string, got {val}", ctx())),
                    },
                    Kind::MapBytes => {
                        let b =
                            decode_b64(val).map_err(|e| ProtoError(format!("{}: {e}", ctx())))?;
                        put_bytes(&mut entry, 2, &b);
                    }
                    Kind::MapMessage(idx) => {
                        let body = if val.is_null() {
                            Vec::new()
                        } else {
                            encode_message(message(idx), val)?
                        };
                        put_bytes(&mut entry, 2, &body);
                    }
                    _ => {}
                }
                put_bytes(out, f.tag, &entry);
            }
            Ok(())
        }
        _ if f.repeated => {
            let Value::Array(items) = v else {
                return err(format!("{}: expected an array, got {v}", ctx()));
            };
            for item in items {
                encode_scalar(f, item, out).map_err(|e| ProtoError(format!("{}: {e}", ctx())))?;
            }
            Ok(())
        }
        _ => encode_scalar(f, v, out).map_err(|e| ProtoError(format!("{}: {e}", ctx()))),
    }
}

fn encode_scalar(f: &Field, v: &Value, out: &mut Vec<u8>) -> Result<(), ProtoError> {
    match f.kind {
        Kind::String => match v {
            Value::String(s) => put_bytes(out, f.tag, s.as_bytes()),
            _ => return err(format!("expected a string, got {v}")),
        },
        Kind::Bytes => put_bytes(out, f.tag, &decode_b64(v)?),
        Kind::Int32 | Kind::Int64 => {
            let Some(i) = v
                .as_i64()
                .or_else(|| v.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64))
            else {
                return err(format!("expected an integer, got {v}"));
            };
            if f.kind == Kind::Int32 && i32::try_from(i).is_err() {
                return err(format!("{i} overflows int32"));
            }
            put_int(out, f.tag, i);
        }
        Kind::Bool => match v {
            Value::Bool(b) => put_int(out, f.tag, i64::from(*b)),
            _ => return err(format!("expected a bool, got {v}")),
        },
        Kind::Double => {
            let Some(x) = v.as_f64() else {
                return err(format!("expected a number, got {v}"));
            };
            put_key(out, f.tag, 1);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Kind::Message(idx) => {
            let body = if v.is_null() {
                Vec::new()
            } else {
                encode_message(message(idx), v)?
            };
            put_bytes(out, f.tag, &body);
        }
        Kind::MapString | Kind::MapBytes | Kind::MapMessage(_) => return err("map inside a list"),
    }
    Ok(())
}

fn decode_b64(v: &Value) -> Result<Vec<u8>, ProtoError> {
    match v {
        Value::String(s) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| ProtoError(format!("illegal base64 data: {e}"))),
        Value::Null => Ok(Vec::new()),
        _ => err(format!("expected a base64 string, got {v}")),
    }
}

// ---------------------------------------------------------------- wire reader

/// One decoded wire value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

/// Reads every `(tag, value)` of a message body.
pub(crate) fn read_fields(mut b: &[u8]) -> Result<Vec<(u32, Wire<'_>)>, ProtoError> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = read_varint(&mut b)?;
        let tag =
            u32::try_from(key >> 3).map_err(|_| ProtoError("proto: bad field number".into()))?;
        if tag == 0 {
            return err("proto: illegal tag 0");
        }
        let w = match key & 7 {
            0 => Wire::Varint(read_varint(&mut b)?),
            1 => {
                let (h, t) = split(b, 8)?;
                b = t;
                Wire::Fixed64(u64::from_le_bytes(
                    h.try_into().map_err(|_| ProtoError("short".into()))?,
                ))
            }
            2 => {
                let n = usize::try_from(read_varint(&mut b)?).map_err(|_| {
                    ProtoError("proto: negative length found during unmarshaling".into())
                })?;
                let (h, t) = split(b, n)?;
                b = t;
                Wire::Bytes(h)
            }
            5 => {
                let (_, t) = split(b, 4)?;
                b = t;
                Wire::Fixed32
            }
            w => return err(format!("proto: illegal wireType {w}")),
        };
        out.push((tag, w));
    }
    Ok(out)
}

fn split(b: &[u8], n: usize) -> Result<(&[u8], &[u8]), ProtoError> {
    if b.len() < n {
        return err("unexpected EOF");
    }
    Ok(b.split_at(n))
}

fn read_varint(b: &mut &[u8]) -> Result<u64, ProtoError> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let Some((&byte, rest)) = b.split_first() else {
            return err("unexpected EOF");
        };
        *b = rest;
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Ok(v);
        }
    }
    err("proto: integer overflow")
}

// ---------------------------------------------------------------- decoding

/// Decodes a message body into its JSON form.
pub(crate) fn decode_message(m: &Message, b: &[u8]) -> Result<Value, ProtoError> {
    let _depth = DepthGuard::enter()?;
    decode_message_at(m, b)
}

/// How deep nested messages may go. Schemas nest messages a handful of
/// levels, except `JSONSchemaProps` (CRDs), which can nest without end: the
/// limit keeps a hostile body from overflowing the stack. UNVERIFIED: the
/// real server's gogo-generated decoders have no limit (Go stacks grow);
/// protobuf-go's `RecursionLimit` default is 10000 and its text is this one.
const MAX_MESSAGE_DEPTH: usize = 1000;

thread_local! {
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one level of message nesting while it lives.
struct DepthGuard;

impl DepthGuard {
    fn enter() -> Result<DepthGuard, ProtoError> {
        DEPTH.with(|d| {
            if d.get() >= MAX_MESSAGE_DEPTH {
                return err("exceeded maximum recursion depth");
            }
            d.set(d.get() + 1);
            Ok(DepthGuard)
        })
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

fn decode_message_at(m: &Message, b: &[u8]) -> Result<Value, ProtoError> {
    let fields = read_fields(b)?;
    let get = |tag: u32| {
        fields
            .iter()
            .rev()
            .find(|(t, _)| *t == tag)
            .map(|(_, w)| *w)
    };
    let int = |tag: u32| -> Result<i64, ProtoError> {
        match get(tag) {
            None => Ok(0),
            Some(Wire::Varint(v)) => Ok(v as i64),
            Some(_) => err(format!("{}: wrong wire type for field {tag}", short(m))),
        }
    };
    let bytes = |tag: u32| -> Result<&[u8], ProtoError> {
        match get(tag) {
            None => Ok(&[]),
            Some(Wire::Bytes(b)) => Ok(b),
            Some(_) => err(format!("{}: wrong wire type for field {tag}", short(m))),
        }
    };
    Ok(match m.form {
        Form::Object => {
            let mut obj = Map::new();
            decode_fields(m, &fields, &mut obj)?;
            Value::Object(obj)
        }
        Form::Time | Form::MicroTime => {
            if b.is_empty() {
                return Ok(Value::Null);
            }
            let secs = int(1)?;
            let nanos = if m.form == Form::MicroTime {
                int(2)?
            } else {
                0
            };
            let nanos = u32::try_from(nanos).ok().filter(|n| *n < 1_000_000_000);
            let t = nanos
                .and_then(|n| chrono::DateTime::from_timestamp(secs, n))
                .ok_or_else(|| ProtoError(format!("time out of range: {secs}")))?;
            Value::String(if m.form == Form::MicroTime {
                t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            } else {
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            })
        }
        Form::Duration => Value::String(format_go_duration(int(1)?)),
        Form::Quantity => Value::String(utf8(bytes(1)?)?),
        Form::IntOrString => {
            if int(1)? == 1 {
                Value::String(utf8(bytes(3)?)?)
            } else {
                Value::Number(Number::from(int(2)? as i32))
            }
        }
        Form::RawJson => {
            let raw = bytes(1)?;
            if raw.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(raw)
                    .map_err(|e| ProtoError(format!("{}: raw is not JSON: {e}", short(m))))?
            }
        }
        Form::PropsOrBool => match get(2) {
            Some(Wire::Bytes(s)) => decode_message(kind_message(&m.fields[1])?, s)?,
            _ => Value::Bool(int(1)? != 0),
        },
        Form::PropsOrArray | Form::PropsOrStringArray => match get(1) {
            Some(Wire::Bytes(s)) => decode_message(kind_message(&m.fields[0])?, s)?,
            _ => decode_repeated(m, &m.fields[1], &fields)?,
        },
        Form::ArrayWrapper => decode_repeated(m, &m.fields[0], &fields)?,
    })
}

fn kind_message(f: &Field) -> Result<&'static Message, ProtoError> {
    match f.kind {
        Kind::Message(i) => Ok(message(i)),
        _ => err("not a message field"),
    }
}

fn utf8(b: &[u8]) -> Result<String, ProtoError> {
    String::from_utf8(b.to_vec())
        .map_err(|_| ProtoError("proto: invalid UTF-8 in string field".into()))
}

fn decode_repeated(
    m: &Message,
    f: &Field,
    fields: &[(u32, Wire<'_>)],
) -> Result<Value, ProtoError> {
    let mut items = Vec::new();
    for (_, w) in fields.iter().filter(|(t, _)| *t == f.tag) {
        match (f.kind, w) {
            (Kind::Int32 | Kind::Int64, Wire::Bytes(packed)) => {
                let mut p = *packed;
                while !p.is_empty() {
                    items.push(int_json(f.kind, read_varint(&mut p)?));
                }
            }
            _ => items.push(decode_scalar(m, f, *w)?),
        }
    }
    Ok(Value::Array(items))
}

fn int_json(kind: Kind, v: u64) -> Value {
    if kind == Kind::Int32 {
        Value::Number(Number::from(v as i64 as i32))
    } else {
        Value::Number(Number::from(v as i64))
    }
}

fn decode_scalar(m: &Message, f: &Field, w: Wire<'_>) -> Result<Value, ProtoError> {
    let bad = || ProtoError(format!("{}.{}: wrong wire type", short(m), f.json));
    Ok(match (f.kind, w) {
        (Kind::String, Wire::Bytes(b)) => Value::String(utf8(b)?),
        (Kind::Bytes, Wire::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (Kind::Int32 | Kind::Int64, Wire::Varint(v)) => int_json(f.kind, v),
        (Kind::Bool, Wire::Varint(v)) => Value::Bool(v != 0),
        (Kind::Double, Wire::Fixed64(v)) => Number::from_f64(f64::from_bits(v))
            .map(Value::Number)
            .unwrap_or(Value::Null),
        (Kind::Message(idx), Wire::Bytes(b)) => decode_message(message(idx), b)?,
        _ => return Err(bad()),
    })
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn decode_fields(
    m: &Message,
    fields: &[(u32, Wire<'_>)],
    obj: &mut Map<String, Value>,
) -> Result<(), ProtoError> {
    for f in m.fields {
        if !fields.iter().any(|(t, _)| *t == f.tag) {
            continue;
        }
        if f.inline {
            let Some((_, Wire::Bytes(b))) = fields.iter().rev().find(|(t, _)| *t == f.tag) else {
                return err(format!("{}.{}: wrong wire type", short(m), f.json));
            };
            let child = kind_message(f)?;
            decode_fields(child, &read_fields(b)?, obj)?;
            continue;
        }
        let value = match f.kind {
            Kind::MapString | Kind::MapBytes | Kind::MapMessage(_) => {
                let mut map = Map::new();
                for (_, w) in fields.iter().filter(|(t, _)| *t == f.tag) {
                    let Wire::Bytes(entry) = w else {
                        return err(format!("{}.{}: wrong wire type", short(m), f.json));
                    };
                    let ef = read_fields(entry)?;
                    let key = match ef.iter().rev().find(|(t, _)| *t == 1) {
                        Some((_, Wire::Bytes(k))) => utf8(k)?,
                        None => String::new(),
                        _ => return err("map key: wrong wire type"),
                    };
                    let val = ef.iter().rev().find(|(t, _)| *t == 2).map(|(_, w)| *w);
                    let jv = match (f.kind, val) {
                        (Kind::MapString, None) => Value::String(String::new()),
                        (Kind::MapString, Some(Wire::Bytes(b))) => Value::String(utf8(b)?),
                        (Kind::MapBytes, None) => Value::String(String::new()),
                        (Kind::MapBytes, Some(Wire::Bytes(b))) => {
                            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
                        }
                        (Kind::MapMessage(idx), None) => decode_message(message(idx), &[])?,
                        (Kind::MapMessage(idx), Some(Wire::Bytes(b))) => {
                            decode_message(message(idx), b)?
                        }
                        _ => return err("map value: wrong wire type"),
                    };
                    map.insert(key, jv);
                }
                Value::Object(map)
            }
            _ if f.repeated => decode_repeated(m, f, fields)?,
            _ => {
                let Some((_, w)) = fields.iter().rev().find(|(t, _)| *t == f.tag) else {
                    continue;
                };
                let v = decode_scalar(m, f, *w)?;
                // 1.34+: `creationTimestamp` is `omitzero` (no `null`).
                if v.is_null() && f.json == "creationTimestamp" && m.name == OBJECT_META {
                    continue;
                }
                let drop = !f.required
                    && is_zero(&v)
                    && (matches!(f.kind, Kind::String | Kind::Bytes) || omitempty_zero(m, f));
                if drop {
                    continue;
                }
                v
            }
        };
        obj.insert(f.json.to_string(), value);
    }
    Ok(())
}

// ---------------------------------------------------------------- Go durations

/// `time.ParseDuration`.
pub(crate) fn parse_go_duration(s: &str) -> Result<i64, ProtoError> {
    let bad = || ProtoError(format!("time: invalid duration {s:?}"));
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let num: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        total += num * unit;
    }
    let v = total.round() as i64;
    Ok(if neg { -v } else { v })
}

/// `time.Duration.String`.
pub(crate) fn format_go_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut s = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        s.push_str(&frac(u, div));
        s.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let m = (u / 60_000_000_000) % 60;
        let rem = u % 60_000_000_000;
        if h > 0 {
            s.push_str(&format!("{h}h{m}m"));
        } else if m > 0 {
            s.push_str(&format!("{m}m"));
        }
        s.push_str(&frac(rem, 1_000_000_000));
        s.push('s');
    }
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let f = v % div;
    if f == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{f:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// The message for a full proto name (used by tests and the envelope code).
pub(crate) fn named(name: &str) -> Result<&'static Message, ProtoError> {
    by_name(name).ok_or_else(|| ProtoError(format!("no message {name}")))
}
