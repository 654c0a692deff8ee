//! Shared test helpers: start kubemock in-process on 127.0.0.1:0 and build
//! real clients (the `kube` crate, reqwest) from its kubeconfig.
#![allow(dead_code)]

use kube::config::{KubeConfigOptions, Kubeconfig};
use kubemock::MockServer;
use std::path::PathBuf;

/// A running server and a `kube` client for it.
pub struct Env {
    pub server: MockServer,
    pub client: kube::Client,
}

/// Starts kubemock with defaults and connects a `kube` client through the
/// kubeconfig it wrote (TLS + bearer token).
pub async fn start() -> Env {
    let server = MockServer::start().await;
    let client = client_for(&server).await;
    Env { server, client }
}

/// A `kube` client from the server's kubeconfig file.
pub async fn client_for(server: &MockServer) -> kube::Client {
    let text = std::fs::read_to_string(server.kubeconfig_path()).expect("kubeconfig written");
    let kc = Kubeconfig::from_yaml(&text).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kube config");
    kube::Client::try_from(config).expect("kube client")
}

/// A reqwest client trusting the server's CA.
pub fn http_client(server: &MockServer) -> reqwest::Client {
    let mut b = reqwest::Client::builder();
    if let Some(ca) = server.ca_pem() {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("ca"));
    }
    b.build().expect("reqwest client")
}

/// `../shared` beside the repository, if present.
pub fn shared_dir() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    p.join("golden/diffcheck.py").exists().then_some(p)
}

/// An executable on PATH (or named by the environment variable `env`).
pub fn find_tool(env: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
