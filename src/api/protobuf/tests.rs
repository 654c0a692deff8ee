//! Tests: JSON -> protobuf -> JSON round trips for every message of the
//! generated schema on fixtures that set every field, wire compatibility with
//! the k8s-pb prost types (decode our bytes, re-encode, compare), and the Go
//! zero-value rules (empty versus absent).

use super::codec::{decode_message, encode_message, format_go_duration, parse_go_duration};
use super::schema::{message, Form, Kind, Message};
use super::schema_gen::{DERIVED_JSON_NAMES, MESSAGES};
use super::*;
use prost::Message as _;
use serde_json::{json, Map, Value};

/// A JSON value setting every field of `m` (non-zero values), recursing into
/// messages up to `depth`.
fn fixture(m: &Message, depth: usize, salt: usize) -> Option<Value> {
    Some(match m.form {
        Form::Time => json!("2024-05-06T07:08:09Z"),
        Form::MicroTime => json!("2024-05-06T07:08:09.123456Z"),
        Form::Duration => json!("1h2m3.5s"),
        Form::Quantity => json!("250m"),
        Form::IntOrString => {
            if salt.is_multiple_of(2) {
                json!(8080)
            } else {
                json!("http")
            }
        }
        Form::RawJson => json!({"a": [1, "x", null, {"b": true}], "c": 2.5}),
        Form::PropsOrBool => json!(true),
        Form::PropsOrStringArray | Form::ArrayWrapper => json!(["x", "y"]),
        Form::PropsOrArray => {
            if depth == 0 {
                return None;
            }
            let Kind::Message(i) = m.fields[0].kind else {
                return None;
            };
            json!([fixture(message(i), depth - 1, salt)?])
        }
        Form::Object => {
            if depth == 0 {
                return None;
            }
            let mut obj = Map::new();
            fill(m, depth, &mut obj);
            Value::Object(obj)
        }
    })
}

fn fill(m: &Message, depth: usize, obj: &mut Map<String, Value>) {
    for (n, f) in m.fields.iter().enumerate() {
        if f.inline {
            if let Kind::Message(i) = f.kind {
                fill(message(i), depth, obj);
            }
            continue;
        }
        let one = |salt: usize| -> Option<Value> {
            Some(match f.kind {
                Kind::String => json!(format!("{}-{salt}", f.json)),
                Kind::Bytes => json!("Ynl0ZXMAAf8="),
                Kind::Int32 => json!(7 + salt),
                Kind::Int64 => json!(1_234_567_890_123_i64 + salt as i64),
                Kind::Bool => json!(true),
                Kind::Double => json!(1.5),
                Kind::Message(i) => fixture(message(i), depth - 1, salt + n)?,
                // (Empty map values are covered by go_zero_values_empty_versus_absent:
                // Go writes an empty value in the entry, prost leaves it out.)
                Kind::MapString => json!({"b": "v", "a": "x", "c/d": "w"}),
                Kind::MapBytes => json!({"k": "dg==", "z": "AA=="}),
                Kind::MapMessage(i) => {
                    let v = fixture(message(i), depth - 1, salt)?;
                    json!({"z": v.clone(), "a": v})
                }
            })
        };
        let v = if f.repeated {
            match (one(0), one(1)) {
                (Some(a), Some(b)) => json!([a, b]),
                _ => continue,
            }
        } else {
            match one(0) {
                Some(v) => v,
                None => continue,
            }
        };
        obj.insert(f.json.to_string(), v);
    }
}

#[test]
fn every_message_round_trips_with_every_field_set() {
    let mut checked = 0;
    for m in MESSAGES {
        if m.form != Form::Object || m.fields.is_empty() {
            continue;
        }
        let v = fixture(m, 4, 0).expect("object fixture");
        let bytes = encode_message(m, &v).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        let back = decode_message(m, &bytes).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        assert_eq!(back, v, "{}", m.name);
        // Encoding is deterministic and a fixed point.
        assert_eq!(encode_message(m, &back).unwrap(), bytes, "{}", m.name);
        checked += 1;
    }
    assert!(checked > 1000, "{checked}");
}

/// Encodes `v` with our codec, decodes the raw message with the k8s-pb prost
/// type, re-encodes it with prost and compares the bytes: every field we write
/// is a field of the upstream message with the same number and wire type.
fn prost_agrees<T: prost::Message + Default>(v: &Value) {
    let body = encode(v).expect("encode");
    let (av, kind) = type_meta(v);
    let m = schema::for_kind(av, kind).expect("message");
    let raw = encode_message(m, v).unwrap();
    assert!(body.starts_with(MAGIC));
    let decoded = T::decode(raw.as_slice()).expect("prost decode");
    let again = decoded.encode_to_vec();
    if again != raw {
        let i = again
            .iter()
            .zip(&raw)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(raw.len()));
        let lo = i.saturating_sub(40);
        panic!(
            "{}: prost re-encoding differs at byte {i} (lengths {} vs {}):\n prost {:?}\n ours  {:?}",
            m.name,
            again.len(),
            raw.len(),
            String::from_utf8_lossy(&again[lo..(i + 40).min(again.len())]),
            String::from_utf8_lossy(&raw[lo..(i + 40).min(raw.len())])
        );
    }
}

macro_rules! prost_check {
    ($($name:ident: $ty:ty => $av:literal, $kind:literal;)*) => {
        #[test]
        fn prost_types_agree_with_the_schema() {
            $(
                let m = schema::for_kind($av, $kind).expect($kind);
                let mut v = fixture(m, 6, 0).unwrap();
                v["apiVersion"] = json!($av);
                v["kind"] = json!($kind);
                prost_agrees::<$ty>(&v);
            )*
        }
    };
}

prost_check! {
    pod: k8s_pb::api::core::v1::Pod => "v1", "Pod";
    pod_list: k8s_pb::api::core::v1::PodList => "v1", "PodList";
    config_map: k8s_pb::api::core::v1::ConfigMap => "v1", "ConfigMap";
    secret: k8s_pb::api::core::v1::Secret => "v1", "Secret";
    service: k8s_pb::api::core::v1::Service => "v1", "Service";
    namespace: k8s_pb::api::core::v1::Namespace => "v1", "Namespace";
    node: k8s_pb::api::core::v1::Node => "v1", "Node";
    pv: k8s_pb::api::core::v1::PersistentVolume => "v1", "PersistentVolume";
    event: k8s_pb::api::core::v1::Event => "v1", "Event";
    deployment: k8s_pb::api::apps::v1::Deployment => "apps/v1", "Deployment";
    stateful_set: k8s_pb::api::apps::v1::StatefulSet => "apps/v1", "StatefulSet";
    job: k8s_pb::api::batch::v1::CronJob => "batch/v1", "CronJob";
    ingress: k8s_pb::api::networking::v1::Ingress => "networking.k8s.io/v1", "Ingress";
    lease: k8s_pb::api::coordination::v1::Lease => "coordination.k8s.io/v1", "Lease";
    eps: k8s_pb::api::discovery::v1::EndpointSlice => "discovery.k8s.io/v1", "EndpointSlice";
    role: k8s_pb::api::rbac::v1::ClusterRole => "rbac.authorization.k8s.io/v1", "ClusterRole";
    csr: k8s_pb::api::certificates::v1::CertificateSigningRequest => "certificates.k8s.io/v1", "CertificateSigningRequest";
    hpa: k8s_pb::api::autoscaling::v2::HorizontalPodAutoscaler => "autoscaling/v2", "HorizontalPodAutoscaler";
    crd: k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition => "apiextensions.k8s.io/v1", "CustomResourceDefinition";
    status: k8s_pb::apimachinery::pkg::apis::meta::v1::Status => "v1", "Status";
    pom: k8s_pb::apimachinery::pkg::apis::meta::v1::PartialObjectMetadataList => "meta.k8s.io/v1", "PartialObjectMetadataList";
    delete_options: k8s_pb::apimachinery::pkg::apis::meta::v1::DeleteOptions => "v1", "DeleteOptions";
}

#[test]
fn special_forms_on_the_wire() {
    // IntOrString, Quantity, Time and byte maps decoded by the prost types.
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s",
        "creationTimestamp": "2024-01-02T03:04:05Z"},
        "spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8081}]}});
    let m = schema::for_kind("v1", "Service").unwrap();
    let pb = k8s_pb::api::core::v1::Service::decode(encode_message(m, &svc).unwrap().as_slice())
        .unwrap();
    let ports = &pb.spec.as_ref().unwrap().ports;
    let t0 = ports[0].target_port.as_ref().unwrap();
    assert_eq!((t0.r#type, t0.str_val.as_deref()), (Some(1), Some("http")));
    let t1 = ports[1].target_port.as_ref().unwrap();
    assert_eq!((t1.r#type, t1.int_val), (Some(0), Some(8081)));
    let ts = pb.metadata.unwrap().creation_timestamp.unwrap();
    assert_eq!(ts.seconds, Some(1_704_164_645));

    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "data": {"k": "AAH/", "e": ""}, "type": "Opaque"});
    let m = schema::for_kind("v1", "Secret").unwrap();
    let pb = k8s_pb::api::core::v1::Secret::decode(encode_message(m, &secret).unwrap().as_slice())
        .unwrap();
    assert_eq!(pb.data["k"], vec![0, 1, 255]);
    assert_eq!(pb.data["e"], Vec::<u8>::new());
    assert_eq!(decode(&encode(&secret).unwrap()).unwrap(), secret);
}

#[test]
fn go_zero_values_empty_versus_absent() {
    // What Go's protobuf encoder sends for a typed Deployment from kubectl:
    // every non-pointer field, zero or not.
    let sent = k8s_pb::api::apps::v1::Deployment {
        metadata: Some(k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("d".into()),
            generate_name: Some(String::new()),
            namespace: Some(String::new()),
            generation: Some(0),
            creation_timestamp: Some(Default::default()),
            ..Default::default()
        }),
        spec: Some(k8s_pb::api::apps::v1::DeploymentSpec {
            replicas: Some(0),
            min_ready_seconds: Some(0),
            paused: Some(false),
            ..Default::default()
        }),
        status: Some(Default::default()),
    };
    let m = schema::for_kind("apps/v1", "Deployment").unwrap();
    let v = decode_message(m, &sent.encode_to_vec()).unwrap();
    // replicas is a pointer (0 kept); generation/minReadySeconds/paused are
    // omitempty values (dropped); empty strings dropped; a zero
    // creationTimestamp is absent (omitzero); an empty struct is {}.
    assert_eq!(
        v,
        json!({"metadata": {"name": "d"},
               "spec": {"replicas": 0}, "status": {}})
    );
    // Empty map values and required empty strings are kept; null is absent.
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": ""}}, "data": {"k": ""}});
    assert_eq!(decode(&encode(&cm).unwrap()).unwrap(), cm);
    let mut with_null = cm.clone();
    with_null["binaryData"] = Value::Null;
    assert_eq!(decode(&encode(&with_null).unwrap()).unwrap(), cm);
    let c = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "", "image": "i", "resources": {}}]}});
    assert_eq!(decode(&encode(&c).unwrap()).unwrap(), c);
}

#[test]
fn envelope_bytes() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
    let b = encode(&cm).unwrap();
    // k8s\0, Unknown{typeMeta{apiVersion "v1", kind "ConfigMap"}, raw{metadata{name "a"}}, "", ""}
    let mut want = b"k8s\x00".to_vec();
    want.extend_from_slice(&[0x0a, 0x0f, 0x0a, 0x02, b'v', b'1', 0x12, 0x09]);
    want.extend_from_slice(b"ConfigMap");
    want.extend_from_slice(&[
        0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, b'a', 0x1a, 0x00, 0x22, 0x00,
    ]);
    assert_eq!(b, want);
    let unk = k8s_pb::apimachinery::pkg::runtime::Unknown::decode(&b[4..]).unwrap();
    assert_eq!(unk.type_meta.unwrap().kind.as_deref(), Some("ConfigMap"));
}

#[test]
fn watch_frames() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
    let f = watch_frame("ADDED", &cm).unwrap();
    let len = u32::from_be_bytes(f[..4].try_into().unwrap()) as usize;
    assert_eq!(len, f.len() - 4);
    let ev = k8s_pb::apimachinery::pkg::apis::meta::v1::WatchEvent::decode(&f[4..]).unwrap();
    assert_eq!(ev.r#type.as_deref(), Some("ADDED"));
    assert!(ev.object.unwrap().raw.unwrap().starts_with(MAGIC));
    assert_eq!(decode_watch_event(&f[4..]).unwrap(), ("ADDED".into(), cm));
}

#[test]
fn bad_bodies_are_errors_not_panics() {
    let e = decode(b"{\"kind\":\"ConfigMap\"}").unwrap_err();
    assert_eq!(
        e.message,
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    );
    assert!(e.gvk.is_none());
    for body in [
        &b"k8s\x00"[..],
        b"k8s\x00\x0a\xff",
        b"k8s\x00\x0a\x05\x0a\x01v",
        b"k8s\x00\x0a\x00",
        b"k8s\x00\x0a\x0f\x0a\x02v1\x12\x09ConfigMap\x12\x03\x0a\x05\x00",
        b"k8s\x00\x0a\x0f\x0a\x02v1\x12\x09ConfigMap\x12\x02\x08\x01",
        b"k8s\x00\x0a\x0f\x0a\x02v1\x12\x09ConfigMap\x12\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    ] {
        assert!(decode(body).is_err(), "{body:?}");
    }
    // Every prefix of a valid body is handled without panicking.
    let pod = fixture(schema::for_kind("v1", "Pod").unwrap(), 5, 0).unwrap();
    let mut pod = pod;
    pod["apiVersion"] = json!("v1");
    pod["kind"] = json!("Pod");
    let b = encode(&pod).unwrap();
    for n in 0..b.len() {
        let _ = decode(&b[..n]);
    }
    assert_eq!(decode(&b).unwrap(), pod);
}

#[test]
fn wrong_json_types_are_errors() {
    let m = schema::for_kind("v1", "ConfigMap").unwrap();
    assert!(encode_message(m, &json!({"data": []})).is_err());
    assert!(encode_message(m, &json!({"metadata": {"name": 3}})).is_err());
    let m = schema::for_kind("v1", "Secret").unwrap();
    assert!(encode_message(m, &json!({"data": {"k": "%%"}})).is_err());
    assert!(encode(&json!({"apiVersion": "example.com/v1", "kind": "Foo"})).is_err());
    assert!(!supports("example.com/v1", "Foo"));
    assert!(supports("v1", "Status"));
    assert!(!supports("meta.k8s.io/v1", "Table"));
}

#[test]
fn go_durations() {
    for (s, n) in [
        ("0s", 0),
        ("1h2m3.5s", 3_723_500_000_000),
        ("1.5µs", 1500),
        ("-2m0s", -120_000_000_000),
        ("10ms", 10_000_000),
    ] {
        assert_eq!(parse_go_duration(s).unwrap(), n, "{s}");
        assert_eq!(format_go_duration(n), s);
    }
    assert!(parse_go_duration("abc").is_err());
}

#[test]
fn json_names_come_from_openapi_for_the_served_types() {
    // Fields whose JSON name was derived (no OpenAPI property) never belong to
    // a kind kubemock serves, apart from the special forms.
    for d in DERIVED_JSON_NAMES {
        let msg = d.rsplit_once('.').map(|(m, _)| m).unwrap_or(d);
        let m = schema::by_name(msg).unwrap();
        if m.form != Form::Object {
            continue;
        }
        for top in ["k8s.io.api.core.v1.Pod", "k8s.io.api.apps.v1.Deployment"] {
            assert_ne!(msg, top, "{d}");
        }
    }
}
