//! `kubemock serve` as a process: the stdout line, the kubeconfig written
//! atomically with the real port, fixtures (and a bad fixture stopping
//! start-up with `file:document: reason`), and graceful exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Serve {
    child: Child,
    url: String,
    kubeconfig: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubemock"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubemock");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read line");
    // "kubemock serving https://127.0.0.1:PORT kubeconfig=PATH"
    let mut parts = line.split_whitespace();
    assert_eq!(parts.next(), Some("kubemock"), "{line:?}");
    assert_eq!(parts.next(), Some("serving"), "{line:?}");
    let url = parts.next().expect("url").to_string();
    let kubeconfig = PathBuf::from(
        parts
            .next()
            .and_then(|p| p.strip_prefix("kubeconfig="))
            .expect("kubeconfig path"),
    );
    Serve {
        child,
        url,
        kubeconfig,
    }
}

fn kubeconfig_field(path: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(path).expect("kubeconfig");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
    match key {
        "server" => doc["clusters"][0]["cluster"]["server"].as_str(),
        "token" => doc["users"][0]["user"]["token"].as_str(),
        "ca" => doc["clusters"][0]["cluster"]["certificate-authority-data"].as_str(),
        _ => None,
    }
    .unwrap_or("")
    .to_string()
}

fn client(kubeconfig: &Path) -> (reqwest::blocking::Client, String) {
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD
        .decode(kubeconfig_field(kubeconfig, "ca"))
        .expect("ca base64");
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
        .build()
        .expect("client");
    (client, kubeconfig_field(kubeconfig, "token"))
}

#[test]
fn serve_prints_url_and_writes_kubeconfig() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("kc.yaml");
    let s = serve(&["--kubeconfig", kc.to_str().expect("utf-8")]);
    assert_eq!(s.kubeconfig, kc);
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    assert!(!s.url.ends_with(":0"));
    assert_eq!(kubeconfig_field(&kc, "server"), s.url);
    let (client, token) = client(&kc);
    assert_eq!(token.len(), 48);
    let v: serde_json::Value = client
        .get(format!("{}/version", s.url))
        .bearer_auth(&token)
        .send()
        .expect("version")
        .json()
        .expect("json");
    assert_eq!(v["major"], "1");
    // The newest profile by default.
    assert_eq!(v["minor"], "37");
    assert_eq!(v["gitVersion"], "v1.37.0");
    let wrong_token = client
        .get(format!("{}/version", s.url))
        .bearer_auth("wrong")
        .send()
        .expect("request");
    assert_eq!(wrong_token.status(), 401);
}

#[test]
fn two_servers_get_different_ports_and_kubeconfigs() {
    let a = serve(&[]);
    let b = serve(&[]);
    assert_ne!(a.url, b.url);
    assert_ne!(a.kubeconfig, b.kubeconfig);
    assert!(a.kubeconfig.exists() && b.kubeconfig.exists());
}

#[test]
fn fixtures_are_preloaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: team}\ndata: {k: v}\n---\nkind: List\napiVersion: v1\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s1}, stringData: {p: q}}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("b.json"),
        r#"{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l","namespace":"kube-system"}}"#,
    )
    .expect("write");
    let s = serve(&[
        "--fixtures",
        dir.path().to_str().expect("utf-8"),
        "--token",
        "t0k",
    ]);
    let (client, token) = client(&s.kubeconfig);
    assert_eq!(token, "t0k");
    let get = |path: &str| -> serde_json::Value {
        client
            .get(format!("{}{path}", s.url))
            .bearer_auth(&token)
            .send()
            .expect("get")
            .json()
            .expect("json")
    };
    assert_eq!(
        get("/api/v1/namespaces/team/configmaps/one")["data"]["k"],
        "v"
    );
    assert_eq!(get("/api/v1/namespaces/team")["status"]["phase"], "Active");
    let secret = get("/api/v1/namespaces/default/secrets/s1");
    assert_eq!(secret["data"]["p"], "cQ==");
    assert_eq!(
        get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l")["kind"],
        "Lease"
    );
}

#[test]
fn a_bad_fixture_stops_startup_with_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n",
    )
    .expect("write");
    let kc = dir.path().join("kc");
    let out = Command::new(env!("CARGO_BIN_EXE_kubemock"))
        .args(["serve", "--fixtures"])
        .arg(&file)
        .arg("--kubeconfig")
        .arg(&kc)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "kubemock: {}:2: ConfigMap \"Bad_Name\" is invalid: metadata.name",
        file.display()
    );
    assert!(stderr.contains(&want), "{stderr}");
    assert!(
        !kc.exists(),
        "no kubeconfig for a server that did not start"
    );

    std::fs::write(&file, "kind: Nope\napiVersion: v9\nmetadata: {name: x}\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_kubemock"))
        .args(["serve", "--fixtures"])
        .arg(&file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(":1: no resource serves kind \"Nope\" in \"v9\""),
        "{stderr}"
    );
}

#[test]
fn sigterm_ends_the_server_cleanly() {
    let mut s = serve(&[]);
    let pid = s.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = s.child.wait().expect("wait");
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn insecure_http_serves_plain_http_without_auth() {
    let s = serve(&["--insecure-http"]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    assert_eq!(kubeconfig_field(&s.kubeconfig, "token"), "");
    let resp = reqwest::blocking::get(format!("{}/api/v1/namespaces/default", s.url)).expect("get");
    assert_eq!(resp.status(), 200);
}
