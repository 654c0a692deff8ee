//! OpenAPI documents over HTTP (`/openapi/v3` index and group-version
//! documents with their caching headers, `/openapi/v2` as JSON and as the
//! gnostic protobuf), and kubectl commands that need them: `apply -f` with
//! validation on (twice, the second a strategic merge patch), `apply
//! --server-side`, `create -f` with validation on, `explain` (v3 and v2).
//! The kubectl parts skip, saying why, when no kubectl is installed
//! (`$KUBECTL` or `kubectl` on PATH).

use crate::common;

use kubemock::MockServer;
use serde_json::Value;
use std::path::Path;

async fn get(
    server: &MockServer,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let client = common::http_client(server);
    let mut req = client.get(format!("{}{path}", server.url()));
    let text = std::fs::read_to_string(server.kubeconfig_path()).expect("kubeconfig");
    if let Some(tok) = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .map(|t| t.trim().trim_matches('"').to_string())
    {
        req = req.bearer_auth(tok);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let body = resp.bytes().await.expect("body").to_vec();
    (status, h, body)
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn openapi_v3_index_and_documents() {
    let env = common::start().await;
    let s = &env.server;
    let (status, h, body) = get(s, "/openapi/v3", &[("Accept", "application/json, */*")]).await;
    assert_eq!(status, 200);
    // http.ServeContent sniffs the index: text/plain.
    assert_eq!(header(&h, "content-type"), "text/plain; charset=utf-8");
    let index: Value = serde_json::from_slice(&body).expect("index json");
    for key in [
        "api",
        "api/v1",
        "apis",
        "apis/apps",
        "apis/apps/v1",
        "apis/batch/v1",
    ] {
        assert!(
            index["paths"][key]["serverRelativeURL"].is_string(),
            "{key} missing"
        );
    }
    let url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .expect("url")
        .to_string();
    let hash = url.split("hash=").nth(1).expect("hash").to_string();
    assert_eq!(hash.len(), 128);

    let (status, h, body) = get(s, &url, &[("Accept", "application/json")]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "application/json");
    assert_eq!(header(&h, "cache-control"), "public, immutable");
    assert_eq!(header(&h, "etag"), format!("\"{hash}\""));
    assert!(header(&h, "expires").ends_with(" UTC"));
    assert_eq!(header(&h, "vary"), "Accept");
    let doc: Value = serde_json::from_slice(&body).expect("doc json");
    assert_eq!(doc["openapi"], "3.0.0");
    let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"]["kind"],
        "Deployment"
    );
    assert!(patch["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"));
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"][0]["kind"],
        "Deployment"
    );
    assert_eq!(
        schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
            ["x-kubernetes-patch-merge-key"],
        "name"
    );

    // Without the hash: no immutable caching. A stale hash redirects.
    let (status, h, _) = get(s, "/openapi/v3/apis/apps/v1", &[]).await;
    assert_eq!(status, 200);
    assert_ne!(header(&h, "cache-control"), "public, immutable");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    let text = std::fs::read_to_string(s.kubeconfig_path()).expect("kubeconfig");
    let tok = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .map(|t| t.trim().trim_matches('"').to_string())
        .unwrap_or_default();
    let resp = client
        .get(format!("{}/openapi/v3/apis/apps/v1?hash=STALE", s.url()))
        .bearer_auth(&tok)
        .send()
        .await
        .expect("stale");
    assert_eq!(resp.status().as_u16(), 301);
    assert_eq!(
        resp.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(url.as_str())
    );

    // Conditional request.
    let etag = format!("\"{hash}\"");
    let (status, _, body) = get(s, &url, &[("If-None-Match", etag.as_str())]).await;
    assert_eq!(status, 304);
    assert!(body.is_empty());

    // Unknown group-version: 404.
    let (status, _, _) = get(s, "/openapi/v3/apis/nope.example.com/v1", &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn openapi_v2_json_and_protobuf() {
    let env = common::start().await;
    let s = &env.server;
    let (status, h, body) = get(s, "/openapi/v2", &[("Accept", "application/json")]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "application/json");
    assert!(header(&h, "etag").starts_with('"'));
    let doc: Value = serde_json::from_slice(&body).expect("v2 json");
    assert_eq!(doc["swagger"], "2.0");
    assert!(doc["definitions"]["io.k8s.api.core.v1.Pod"].is_object());
    assert!(doc["definitions"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].is_object());
    assert!(doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"].is_object());

    let (status, h, body) = get(
        s,
        "/openapi/v2",
        &[(
            "Accept",
            "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
        )],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-type"),
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
    assert_eq!(&body[..5], &[0x0a, 3, b'2', b'.', b'0']);

    let (status, _, _) = get(s, "/openapi/v2", &[("Accept", "text/html")]).await;
    assert_eq!(status, 406);
}

use common::kubectl_setup;

fn manifest(dir: &Path, file: &str, suffix: &str, replicas: u32, value: &str) -> String {
    let text = format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web{suffix}
  namespace: default
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web{suffix}}}
  template:
    metadata:
      labels: {{app: web{suffix}}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: "{value}"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings{suffix}
  namespace: default
data:
  mode: "{value}"
"#
    );
    let p = dir.join(file);
    std::fs::write(&p, text).expect("write manifest");
    p.to_str().expect("utf-8 path").to_string()
}

#[tokio::test]
async fn kubectl_apply_client_side_with_validation() {
    let Some((_server, k)) = kubectl_setup().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let first = manifest(dir.path(), "a.yaml", "", 2, "one");
    let out = k.ok(&["apply", "-f", &first]).await;
    assert!(out.contains("deployment.apps/web created"), "{out}");
    assert!(out.contains("configmap/settings created"), "{out}");

    // A change: kubectl computes a strategic merge patch from the OpenAPI
    // patch strategies (containers merged by name, env by name).
    let second = manifest(dir.path(), "b.yaml", "", 3, "two");
    let out = k.ok(&["apply", "-f", &second]).await;
    assert!(out.contains("deployment.apps/web configured"), "{out}");
    assert!(out.contains("configmap/settings configured"), "{out}");
    let got = k
        .ok(&[
            "get",
            "deployment",
            "web",
            "-n",
            "default",
            "-o",
            "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].env[0].value}",
        ])
        .await;
    assert_eq!(got, "3 two");
    let got = k
        .ok(&[
            "get",
            "configmap",
            "settings",
            "-n",
            "default",
            "-o",
            "jsonpath={.data.mode}",
        ])
        .await;
    assert_eq!(got, "two");

    // Unchanged: nothing to patch.
    let out = k.ok(&["apply", "-f", &second]).await;
    assert!(out.contains("deployment.apps/web unchanged"), "{out}");
}

#[tokio::test]
async fn kubectl_apply_server_side() {
    let Some((_server, k)) = kubectl_setup().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let first = manifest(dir.path(), "a.yaml", "-ssa", 1, "one");
    let out = k.ok(&["apply", "--server-side", "-f", &first]).await;
    assert!(
        out.contains("deployment.apps/web-ssa serverside-applied"),
        "{out}"
    );
    assert!(
        out.contains("configmap/settings-ssa serverside-applied"),
        "{out}"
    );
    let second = manifest(dir.path(), "b.yaml", "-ssa", 4, "two");
    let out = k.ok(&["apply", "--server-side", "-f", &second]).await;
    assert!(
        out.contains("deployment.apps/web-ssa serverside-applied"),
        "{out}"
    );
    let got = k
        .ok(&[
            "get",
            "deployment",
            "web-ssa",
            "-n",
            "default",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await;
    assert_eq!(got, "4");
}

#[tokio::test]
async fn kubectl_create_with_validation_and_explain() {
    let Some((_server, k)) = kubectl_setup().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let m = manifest(dir.path(), "a.yaml", "-created", 1, "x");
    let out = k.ok(&["create", "-f", &m]).await;
    assert!(out.contains("deployment.apps/web-created created"), "{out}");
    assert!(out.contains("configmap/settings-created created"), "{out}");

    // explain reads the v3 document (default) and the v2 protobuf one.
    let out = k.ok(&["explain", "pods.spec.containers"]).await;
    assert!(out.contains("KIND:") && out.contains("Pod"), "{out}");
    assert!(out.contains("FIELD: containers <[]Container>"), "{out}");
    assert!(out.contains("image\t<string>"), "{out}");
    let out = k
        .ok(&[
            "explain",
            "pods.spec.containers.ports",
            "--output",
            "plaintext-openapiv2",
        ])
        .await;
    assert!(out.contains("containerPort"), "{out}");
    let out = k.ok(&["explain", "deployments.spec", "--recursive"]).await;
    assert!(out.contains("strategy"), "{out}");
}

/// Needs the server's strict field validation on create (kubectl sends
/// `fieldValidation=Strict` because the v3 document lists the parameter).
#[tokio::test]
async fn kubectl_create_strict_rejects_unknown_fields() {
    let Some((_server, k)) = kubectl_setup().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: default\nbogus: 1\n",
    )
    .expect("write");
    let (ok, stdout, stderr) = k.run(&["create", "-f", bad.to_str().expect("path")]).await;
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("unknown field \"bogus\""), "{stderr}");
}
