//! Watch and WatchList with real clients: kubectl (`get -w`, `wait
//! --for=jsonpath`, `rollout status`, with and without the WatchListClient
//! feature, against servers with the WatchList gate on and off) and the
//! Python `kubernetes` client's `send_initial_events` watch. Skips, saying
//! why, when kubectl or the Python client is not installed.

use crate::common;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kubemock::MockServer;
use serde_json::json;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// kubectl for `server`; each command gets a fresh discovery cache.
fn kubectl_cmd(
    bin: &std::path::Path,
    server: &MockServer,
    watch_list_client: bool,
) -> (tokio::process::Command, tempfile::TempDir) {
    let cache = tempfile::tempdir().expect("cache dir");
    let c = common::kubectl_command(bin, server, cache.path(), watch_list_client);
    (c, cache)
}

async fn create_cm(client: &kube::Client, name: &str, data: serde_json::Value) {
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": name}, "data": data}))
        .expect("configmap");
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &cm)
        .await
        .expect("create configmap");
}

/// `kubectl wait --for=jsonpath` returns once a later write meets the
/// condition, for each combination of client feature and server gate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_wait_for_jsonpath() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    for (server_gate, client_feature) in [(true, true), (true, false), (false, true)] {
        let mut b = MockServer::builder().controllers("none");
        if !server_gate {
            b = b.feature_gates("WatchList=false");
        }
        let server = b.start().await.expect("start");
        let client = common::client_for(&server).await;
        create_cm(&client, "flag", json!({"ready": "no"})).await;
        let (mut wait, _cache) = kubectl_cmd(&bin, &server, client_feature);
        wait.args([
            "wait",
            "configmap/flag",
            "--for=jsonpath={.data.ready}=yes",
            "--timeout=30s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let child = wait.spawn().expect("kubectl wait");
        // The condition is met only by the patch; kubectl's watch must see it.
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        api.patch(
            "flag",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"ready": "yes"}})),
        )
        .await
        .expect("patch");
        let out = child.wait_with_output().await.expect("wait output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "gate {server_gate} client {client_feature}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("configmap/flag condition met"), "{stdout}");
    }
}

/// `kubectl get -w` prints the current state, stays open, and prints later
/// changes as they happen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_watch_stays_open() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    let server = crate::common::bare().await;
    let client = common::client_for(&server).await;
    create_cm(&client, "first", json!({"a": "1"})).await;
    let (mut cmd, _cache) = kubectl_cmd(&bin, &server, true);
    cmd.args(["get", "configmaps", "-w", "-o", "name"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl get -w");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // kube-root-ca.crt is not modelled; the only configmap is ours.
    assert_eq!(
        next_line(&mut lines).await.as_deref(),
        Some("configmap/first")
    );
    create_cm(&client, "second", json!({})).await;
    assert_eq!(
        next_line(&mut lines).await.as_deref(),
        Some("configmap/second")
    );
    // Still running: the watch did not end.
    assert!(child.try_wait().expect("try_wait").is_none());
    child.kill().await.expect("kill");
}

async fn next_line(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("kubectl printed in time")
        .expect("read")
}

/// `kubectl rollout status` follows the deployment's status, written by the
/// test through the status subresource as a controller would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_rollout_status_follows_status_writes() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    let server = crate::common::bare().await;
    let client = common::client_for(&server).await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}
    }))
    .expect("deployment");
    api.create(&PostParams::default(), &d)
        .await
        .expect("create");
    let (mut cmd, _cache) = kubectl_cmd(&bin, &server, true);
    cmd.args(["rollout", "status", "deployment/web", "--timeout=30s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("kubectl rollout status");
    for ready in [1, 2] {
        let status = json!({"status": {
            "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
            "readyReplicas": ready, "availableReplicas": ready,
            "conditions": [{"type": "Available", "status": if ready == 2 {"True"} else {"False"},
                            "reason": "MinimumReplicasAvailable", "message": "m"}]
        }});
        api.patch_status("web", &PatchParams::default(), &Patch::Merge(status))
            .await
            .expect("status patch");
    }
    let out = child.wait_with_output().await.expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("deployment \"web\" successfully rolled out"),
        "{stdout}"
    );
}

/// The Python client's watch with `send_initial_events`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_watch_with_initial_events() {
    let Some(python) = common::find_tool("PYTHON", "python3") else {
        eprintln!("SKIP: python3 not found");
        return;
    };
    let probe = std::process::Command::new(&python)
        .args(["-c", "import kubernetes"])
        .output()
        .expect("python");
    if !probe.status.success() {
        eprintln!("SKIP: the Python kubernetes client is not installed (pip install kubernetes)");
        return;
    }
    let server = crate::common::bare().await;
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/watch_initial_events.py");
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(&python)
            .arg(script)
            .arg(server.kubeconfig_path())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("python finished in time")
    .expect("run python");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
