//! `application/vnd.kubernetes.protobuf` end to end: kubectl's typed
//! `create configmap|secret|deployment` (protobuf request bodies, checked in
//! kubectl's `-v=8` request log) store exactly what kubectl sends — compared
//! with the same objects created from kubectl's own `--dry-run=client -o json`
//! output through the JSON path — and a protobuf watch decoded frame by frame
//! with reqwest. kubectl parts skip, saying why, when no kubectl is installed.

use crate::common;

use common::kubectl_setup as setup;
use serde_json::{json, Value};

/// Drops what the server assigns (identity, time, managed fields) so that two
/// objects created from the same input compare equal.
fn strip_server_fields(mut v: Value) -> Value {
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "name",
        ] {
            m.remove(k);
        }
    }
    v
}

/// Every field kubectl sent is in the stored object with the same value
/// (`null` means absent); the server may add defaults.
fn assert_contains(stored: &Value, sent: &Value, path: &str) {
    match sent {
        Value::Object(m) => {
            for (k, v) in m {
                let sub = format!("{path}.{k}");
                match stored.get(k) {
                    Some(s) => assert_contains(s, v, &sub),
                    None => assert!(v.is_null(), "{sub}: sent {v}, not stored"),
                }
            }
        }
        Value::Array(items) => {
            let st = stored
                .as_array()
                .unwrap_or_else(|| panic!("{path}: not a list"));
            assert_eq!(st.len(), items.len(), "{path}");
            for (i, (s, v)) in st.iter().zip(items).enumerate() {
                assert_contains(s, v, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(stored, sent, "{path}"),
    }
}

async fn check_typed_create(k: &common::Kubectl, kind: &str, name: &str, create: &[&str]) {
    // What kubectl sends, as JSON.
    let mut dry = vec!["create"];
    dry.extend_from_slice(create);
    dry.extend_from_slice(&["--dry-run=client", "-o", "json"]);
    let sent: Value = serde_json::from_str(&k.ok(&dry).await).expect("dry-run json");

    // The typed create: protobuf on the wire.
    let mut args = vec!["create"];
    args.extend_from_slice(create);
    args.push("-v=8");
    let (ok, stdout, stderr) = k.run(&args).await;
    assert!(ok, "kubectl {args:?}:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("Content-Type: application/vnd.kubernetes.protobuf"),
        "{kind}: kubectl did not send protobuf:\n{stderr}"
    );
    assert!(stdout.contains("created"), "{stdout}");
    let stored: Value =
        serde_json::from_str(&k.ok(&["get", kind, name, "-o", "json"]).await).expect("get json");
    assert_contains(&stored, &sent, kind);
    let yaml = k.ok(&["get", kind, name, "-o", "yaml"]).await;
    assert!(yaml.contains(&format!("name: {name}")), "{yaml}");

    // The same object through the JSON path (`create -f` sends JSON).
    let mut via_json = sent.clone();
    via_json["metadata"]["name"] = json!(format!("{name}-json"));
    let file = k.file(&format!("{name}.json"), &via_json.to_string());
    k.ok(&["create", "-f", &file]).await;
    let from_json: Value = serde_json::from_str(
        &k.ok(&["get", kind, &format!("{name}-json"), "-o", "json"])
            .await,
    )
    .expect("get json");
    let (a, b) = (strip_server_fields(stored), strip_server_fields(from_json));
    assert_eq!(
        a, b,
        "{kind}: protobuf create and JSON create store different objects"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_typed_creates_send_protobuf() {
    let Some((_server, k)) = setup().await else {
        return;
    };
    check_typed_create(
        &k,
        "configmap",
        "cm1",
        &[
            "configmap",
            "cm1",
            "--from-literal=a=1",
            "--from-literal=empty=",
        ],
    )
    .await;
    check_typed_create(
        &k,
        "secret",
        "s1",
        &[
            "secret",
            "generic",
            "s1",
            "--from-literal=password=s3cr=t",
            "--from-literal=e=",
        ],
    )
    .await;
    check_typed_create(
        &k,
        "deployment",
        "d1",
        &[
            "deployment",
            "d1",
            "--image=nginx:1.27",
            "--replicas=0",
            "--port=8080",
        ],
    )
    .await;
    // replicas: 0 is a pointer's zero: it survives the protobuf round trip.
    let d: Value = serde_json::from_str(&k.ok(&["get", "deployment", "d1", "-o", "json"]).await)
        .expect("json");
    assert_eq!(d["spec"]["replicas"], json!(0));
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
        json!(8080)
    );
    // Reads through kubectl's typed paths too.
    let out = k.ok(&["get", "configmaps", "-o", "name"]).await;
    assert!(out.contains("configmap/cm1"), "{out}");
}

/// Reads length-prefixed frames from a protobuf watch stream.
struct Frames {
    buf: Vec<u8>,
    resp: reqwest::Response,
}

impl Frames {
    async fn next(&mut self) -> (String, Value) {
        loop {
            if self.buf.len() >= 4 {
                let len = u32::from_be_bytes(self.buf[..4].try_into().unwrap()) as usize;
                if self.buf.len() >= 4 + len {
                    let frame: Vec<u8> = self.buf.drain(..4 + len).skip(4).collect();
                    return kubemock::api::protobuf::decode_watch_event(&frame).expect("frame");
                }
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), self.resp.chunk())
                .await
                .expect("frame in time")
                .expect("stream")
                .expect("stream open");
            self.buf.extend_from_slice(&chunk);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_watch_frame_by_frame() {
    let server = crate::common::bare().await;
    let http = common::http_client(&server);
    let base = server.url();
    let token = server.token().unwrap_or_default().to_string();
    let cms = format!("{base}/api/v1/namespaces/default/configmaps");
    let post = |name: &str| {
        http.post(&cms)
            .bearer_auth(&token)
            .json(&json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "labels": {"a": "b"}}, "data": {"k": "v", "e": ""}}))
            .send()
    };
    assert_eq!(post("w0").await.unwrap().status(), 201);

    // A protobuf list: magic + Unknown{ConfigMapList}.
    let list = http
        .get(&cms)
        .bearer_auth(&token)
        .header(
            "Accept",
            "application/vnd.kubernetes.protobuf,application/json",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        list.headers()["content-type"],
        "application/vnd.kubernetes.protobuf"
    );
    let body = list.bytes().await.unwrap();
    let v = kubemock::api::protobuf::decode(&body).expect("list decodes");
    assert_eq!(v["kind"], "ConfigMapList");
    assert_eq!(v["items"][0]["metadata"]["name"], "w0");
    assert_eq!(v["items"][0]["data"], json!({"k": "v", "e": ""}));

    let resp = http
        .get(format!(
            "{cms}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
        ))
        .bearer_auth(&token)
        .header("Accept", "application/vnd.kubernetes.protobuf,application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.kubernetes.protobuf;stream=watch"
    );
    let mut frames = Frames {
        buf: Vec::new(),
        resp,
    };
    let (t, o) = frames.next().await;
    assert_eq!(
        (t.as_str(), &o["kind"], &o["metadata"]["name"]),
        ("ADDED", &json!("ConfigMap"), &json!("w0"))
    );
    assert_eq!(o["data"], json!({"k": "v", "e": ""}));
    let (t, o) = frames.next().await;
    assert_eq!(t, "BOOKMARK");
    assert_eq!(
        o["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert_eq!(post("w1").await.unwrap().status(), 201);
    let (t, o) = frames.next().await;
    assert_eq!(
        (t.as_str(), &o["metadata"]["name"]),
        ("ADDED", &json!("w1"))
    );
    let del = http
        .delete(format!("{cms}/w1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let (t, o) = frames.next().await;
    assert_eq!(
        (t.as_str(), &o["metadata"]["name"]),
        ("DELETED", &json!("w1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_bodies_errors_and_custom_resources() {
    let server = crate::common::bare().await;
    let http = common::http_client(&server);
    let base = server.url();
    let token = server.token().unwrap_or_default().to_string();
    let cms = format!("{base}/api/v1/namespaces/default/configmaps");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"},
        "binaryData": {"b": "AAH/"}});
    let body = kubemock::api::protobuf::encode(&cm).unwrap();
    let created = http
        .post(&cms)
        .bearer_auth(&token)
        .header("Content-Type", "application/vnd.kubernetes.protobuf")
        .header("Accept", "application/vnd.kubernetes.protobuf")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let v = kubemock::api::protobuf::decode(&created.bytes().await.unwrap()).unwrap();
    assert_eq!(v["binaryData"], json!({"b": "AAH/"}));
    assert!(v["metadata"]["uid"].is_string());

    // Errors are protobuf Status objects for a protobuf-first Accept.
    let again = http
        .post(&cms)
        .bearer_auth(&token)
        .header("Content-Type", "application/vnd.kubernetes.protobuf")
        .header(
            "Accept",
            "application/vnd.kubernetes.protobuf,application/json",
        )
        .body(kubemock::api::protobuf::encode(&cm).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.headers()["content-type"],
        "application/vnd.kubernetes.protobuf"
    );
    let st = kubemock::api::protobuf::decode(&again.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (&st["kind"], &st["reason"], &st["code"]),
        (&json!("Status"), &json!("AlreadyExists"), &json!(409))
    );
    assert_eq!(st["details"]["name"], "p");

    // A body that is not protobuf: 400 Status, as transformDecodeError words it.
    let bad = http
        .post(&cms)
        .bearer_auth(&token)
        .header("Content-Type", "application/vnd.kubernetes.protobuf")
        .body("{\"kind\":\"ConfigMap\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let st: Value = bad.json().await.unwrap();
    assert_eq!(
        st["message"],
        "the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({\"kind\":\"ConfigMap\"})"
    );
    // Truncated protobuf: 400, never a panic.
    let mut cut = kubemock::api::protobuf::encode(&cm).unwrap();
    cut.truncate(cut.len() - 6);
    let bad = http
        .post(&cms)
        .bearer_auth(&token)
        .header("Content-Type", "application/vnd.kubernetes.protobuf")
        .body(cut)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // Table stays JSON only: a protobuf Table clause is skipped (406 alone).
    let t = http
        .get(&cms)
        .bearer_auth(&token)
        .header(
            "Accept",
            "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(t.status(), 406);

    // PartialObjectMetadata in protobuf.
    let pom = http
        .get(format!("{cms}/p"))
        .bearer_auth(&token)
        .header(
            "Accept",
            "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        pom.headers()["content-type"],
        "application/vnd.kubernetes.protobuf"
    );
    let v = kubemock::api::protobuf::decode(&pom.bytes().await.unwrap()).unwrap();
    assert_eq!(v["kind"], "PartialObjectMetadata");
    assert_eq!(v["metadata"]["name"], "p");

    // Custom resources have no protobuf: the JSON fallback clause answers.
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let r = http
        .post(format!(
            "{base}/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        ))
        .bearer_auth(&token)
        .header("Content-Type", "application/vnd.kubernetes.protobuf")
        .header(
            "Accept",
            "application/vnd.kubernetes.protobuf,application/json",
        )
        .body(kubemock::api::protobuf::encode(&crd).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.kubernetes.protobuf"
    );
    let gadgets = format!("{base}/apis/example.com/v1/namespaces/default/gadgets");
    let mut listed = None;
    for _ in 0..50 {
        let r = http
            .get(&gadgets)
            .bearer_auth(&token)
            .header(
                "Accept",
                "application/vnd.kubernetes.protobuf,application/json",
            )
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            listed = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = listed.expect("CRD served");
    assert_eq!(r.headers()["content-type"], "application/json");
}
