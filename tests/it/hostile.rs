//! Regressions of issue 14's findings at the API layer: each request a
//! hostile but fair tester sent, replayed over real HTTP. Every one must get
//! the real server's answer, the process must stay alive, and the seeded
//! objects must stay as they were.

use crate::common;
use kubemock::MockServer;
use serde_json::{json, Value};

const CM: &str = "/api/v1/namespaces/default/configmaps";

struct Probe {
    server: MockServer,
    http: reqwest::Client,
}

impl Probe {
    async fn start() -> Probe {
        let server = MockServer::start().await;
        let http = common::http_client(&server);
        let p = Probe { server, http };
        let (code, _) = p
            .send(
                "POST",
                CM,
                "application/json",
                json!({"metadata": {"name": "seed"}, "data": {"k": "v"}})
                    .to_string()
                    .into_bytes(),
            )
            .await;
        assert_eq!(code, 201);
        p
    }

    async fn send(&self, method: &str, path: &str, ctype: &str, body: Vec<u8>) -> (u16, Value) {
        let mut req = self
            .http
            .request(
                method.parse().expect("method"),
                format!("{}{path}", self.server.url()),
            )
            .header("Content-Type", ctype)
            .header("Accept", "application/json")
            .body(body);
        if let Some(t) = self.server.token() {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("the server answers");
        let code = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            code,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The seeded object, unchanged, and the server alive.
    async fn seed_intact(&self) -> Value {
        let (code, obj) = self
            .send("GET", &format!("{CM}/seed"), "application/json", Vec::new())
            .await;
        assert_eq!(code, 200, "seed is gone: {obj}");
        assert_eq!(obj["data"], json!({"k": "v"}), "seed changed: {obj}");
        obj
    }
}

fn message(v: &Value) -> &str {
    v["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn deeply_nested_json_bodies_get_a_400_not_a_stack_overflow() {
    let p = Probe::start().await;
    let deep = "[".repeat(16_000).into_bytes();
    for (method, path, ctype) in [
        ("POST", CM.to_string(), "application/json"),
        ("PUT", format!("{CM}/seed"), "application/json"),
        (
            "PATCH",
            format!("{CM}/seed"),
            "application/merge-patch+json",
        ),
        (
            "PATCH",
            format!("{CM}/seed"),
            "application/strategic-merge-patch+json",
        ),
        ("PATCH", format!("{CM}/seed"), "application/json-patch+json"),
        (
            "PATCH",
            format!("{CM}/seed?fieldManager=m"),
            "application/apply-patch+yaml",
        ),
    ] {
        let (code, body) = p.send(method, &path, ctype, deep.clone()).await;
        assert!(
            (400..500).contains(&code) || code == 500,
            "{method} {ctype}: {code} {body}"
        );
        assert_eq!(body["kind"], "Status", "{method} {ctype}: {body}");
    }
    // Go's scanner refuses the 10001st level with its own text.
    let (code, body) = p.send("POST", CM, "application/json", deep.clone()).await;
    assert_eq!(code, 400);
    assert!(
        message(&body).contains("invalid character '[' exceeded max depth"),
        "{body}"
    );
    // A balanced array nested 10000 deep is valid JSON: findKind fails on it.
    let balanced = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (code, body) = p
        .send("POST", CM, "application/json", balanced.into_bytes())
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        message(&body).contains("cannot unmarshal array into Go value of type struct"),
        "{body}"
    );
    let yaml = format!("{}x{}", "[".repeat(16_000), "]".repeat(16_000));
    let (code, body) = p
        .send("POST", CM, "application/yaml", yaml.into_bytes())
        .await;
    assert_eq!(code, 400, "{body}");
    p.seed_intact().await;
}

#[tokio::test]
async fn huge_watch_timeout_seconds_do_not_panic() {
    let p = Probe::start().await;
    for t in ["9223372036854775807", "-1"] {
        // Go multiplies by time.Second in wrapping int64: both end the
        // watch at once (a negative duration), with a 200. (i64::MIN wraps
        // to 0, which means "the server's default", 30-60 minutes.)
        let (code, body) = p
            .send(
                "GET",
                &format!("{CM}?watch=true&timeoutSeconds={t}"),
                "application/json",
                Vec::new(),
            )
            .await;
        assert_eq!(code, 200, "timeoutSeconds={t}: {body}");
    }
    p.seed_intact().await;
}

#[tokio::test]
async fn malformed_delete_options_bodies_delete_nothing() {
    let p = Probe::start().await;
    let path = format!("{CM}/seed");
    let struct_text = r#"struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#;
    for (body, want) in [
        (
            r#""x""#,
            format!("couldn't get version/kind; json parse error: json: cannot unmarshal string into Go value of type {struct_text}"),
        ),
        (
            "[]",
            format!("couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type {struct_text}"),
        ),
        (
            r#"{"gracePeriodSeconds":"x"}"#,
            "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64".to_string(),
        ),
        (
            "{",
            "couldn't get version/kind; json parse error: unexpected end of JSON input".to_string(),
        ),
    ] {
        let (code, resp) = p.send("DELETE", &path, "application/json", body.as_bytes().to_vec()).await;
        assert_eq!(code, 400, "{body}: {resp}");
        assert_eq!(resp["reason"], "BadRequest", "{body}: {resp}");
        assert_eq!(message(&resp), want, "{body}");
        p.seed_intact().await;
    }
    // orphanDependents with a propagation policy: 422, nothing deleted.
    let (code, resp) = p
        .send(
            "DELETE",
            &path,
            "application/json",
            br#"{"orphanDependents":true,"propagationPolicy":"Background"}"#.to_vec(),
        )
        .await;
    assert_eq!(code, 422, "{resp}");
    assert!(
        message(&resp).contains(
            "propagationPolicy: Invalid value: \"Background\": orphanDependents and deletionPropagation cannot be both set"
        ),
        "{resp}"
    );
    p.seed_intact().await;
    // A YAML DeleteOptions body is read as YAML, as the real server does.
    let (code, resp) = p
        .send(
            "DELETE",
            &path,
            "application/yaml",
            b"kind: DeleteOptions\napiVersion: v1\npreconditions:\n  uid: not-the-uid\n".to_vec(),
        )
        .await;
    assert_eq!(code, 409, "the YAML precondition applies: {resp}");
    p.seed_intact().await;
    let (code, resp) = p
        .send(
            "DELETE",
            &path,
            "application/yaml",
            b"kind: DeleteOptions\napiVersion: v1\n".to_vec(),
        )
        .await;
    assert_eq!(code, 200, "{resp}");
}

#[tokio::test]
async fn put_without_a_name_or_with_another_uid_replaces_nothing() {
    let p = Probe::start().await;
    let path = format!("{CM}/seed");
    let (code, resp) = p
        .send(
            "PUT",
            &path,
            "application/json",
            json!({"data": {"k": "gone"}}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(code, 400, "{resp}");
    assert_eq!(
        message(&resp),
        "the name of the object () does not match the name on the URL (seed)"
    );
    p.seed_intact().await;
    let (code, resp) = p
        .send(
            "PUT",
            &path,
            "application/json",
            json!({"metadata": {"name": "seed", "uid": "0000"}, "data": {"k": "gone"}})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(code, 409, "{resp}");
    assert_eq!(resp["reason"], "Conflict");
    assert!(
        message(&resp).starts_with(
            "Operation cannot be fulfilled on configmaps \"seed\": StorageError: invalid object, Code: 4, Key: /registry/configmaps/default/seed, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 0000, UID in object meta: "
        ),
        "{resp}"
    );
    let seed = p.seed_intact().await;
    // The right uid is no obstacle.
    let uid = seed["metadata"]["uid"].clone();
    let (code, resp) = p
        .send(
            "PUT",
            &path,
            "application/json",
            json!({"metadata": {"name": "seed", "uid": uid}, "data": {"k": "v"}})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(code, 200, "{resp}");
}

#[tokio::test]
async fn a_merge_patch_changing_the_uid_is_refused() {
    let p = Probe::start().await;
    let (code, resp) = p
        .send(
            "PATCH",
            &format!("{CM}/seed"),
            "application/merge-patch+json",
            br#"{"metadata":{"uid":"0000"},"data":{"k":"gone"}}"#.to_vec(),
        )
        .await;
    assert_eq!(code, 422, "{resp}");
    assert_eq!(
        message(&resp),
        "ConfigMap \"seed\" is invalid: metadata.uid: Invalid value: \"0000\": field is immutable"
    );
    p.seed_intact().await;
}

#[tokio::test]
async fn server_side_apply_refuses_values_of_the_wrong_type() {
    let p = Probe::start().await;
    let path = format!("{CM}/seed?fieldManager=m&force=true");
    let head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seed\n";
    for (tail, want) in [
        ("data: x\n", ".data: expected map, got &{x}"),
        ("data: [x]\n", ".data: expected map, got &{[x]}"),
        (
            "metadata:\n  name: seed\n  labels: {a: 1}\n",
            ".metadata.labels.a: expected string, got &value.valueUnstructured{Value:1}",
        ),
        (
            "immutable: \"x\"\n",
            ".immutable: expected boolean, got &{x}",
        ),
    ] {
        let doc = if tail.starts_with("metadata") {
            format!("apiVersion: v1\nkind: ConfigMap\n{tail}")
        } else {
            format!("{head}{tail}")
        };
        let (code, resp) = p
            .send(
                "PATCH",
                &path,
                "application/apply-patch+yaml",
                doc.clone().into_bytes(),
            )
            .await;
        assert_eq!(code, 500, "{doc}: {resp}");
        assert_eq!(
            message(&resp),
            // The applied configuration's own namespace (none here), as
            // `objectGVKNN(patchObj)` prints it.
            format!("failed to create typed patch object (/seed; /v1, Kind=ConfigMap): {want}"),
            "{doc}"
        );
        p.seed_intact().await;
    }
    // Non-base64 binaryData is a string to SMD and fails the conversion to
    // the Go type afterwards.
    let doc = format!("{head}binaryData:\n  b: '!!!'\n");
    let (code, resp) = p
        .send(
            "PATCH",
            &path,
            "application/apply-patch+yaml",
            doc.into_bytes(),
        )
        .await;
    assert_eq!(code, 500, "{resp}");
    assert!(
        message(&resp).starts_with(
            "failed to convert new object (/seed; /v1, Kind=ConfigMap) to proper version: "
        ),
        "{resp}"
    );
    p.seed_intact().await;
    // The namespace still lists and reads as protobuf (nothing corrupt).
    let mut req = p
        .http
        .get(format!("{}{CM}", p.server.url()))
        .header("Accept", "application/vnd.kubernetes.protobuf");
    if let Some(t) = p.server.token() {
        req = req.bearer_auth(t);
    }
    assert_eq!(req.send().await.expect("list").status().as_u16(), 200);
    // A well-typed apply still works.
    let doc = format!("{head}data:\n  k: v\n  k2: w\n");
    let (code, resp) = p
        .send(
            "PATCH",
            &path,
            "application/apply-patch+yaml",
            doc.into_bytes(),
        )
        .await;
    assert_eq!(code, 200, "{resp}");
}
