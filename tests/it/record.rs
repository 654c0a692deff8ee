//! Recording, expectations and verification with real clients: the
//! catalogue in `conformance/clients/` checked against the captures in
//! `../shared/clients/requests/`, then against what kubectl, the `kube`
//! crate and the Python `kubernetes` client send to kubemock with
//! recording on; a changed query string failing with a readable diff;
//! `kubemock verify` online and offline; enforce mode's 400. Tools that
//! are missing are skipped with the reason printed.

use crate::common;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchParams};
use kubemock::record::{verify::verify, ExpectationFile, ExpectationSet, RecordedRequest};
use kubemock::MockServer;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn catalogue(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/clients")
        .join(rel)
}

fn set_of(rel: &str) -> ExpectationSet {
    let mut set = ExpectationSet::default();
    set.add(ExpectationFile::read(&catalogue(rel)).expect("catalogue file"))
        .expect("sequences resolve");
    set
}

/// Verifies the server's recording against a catalogue file; panics with
/// the report when not satisfied.
fn assert_catalogue(server: &MockServer, rel: &str) {
    let report = verify(&set_of(rel), &server.recording());
    assert!(report.satisfied, "{rel}:\n{report}");
}

/// As [`assert_catalogue`], looking only at kubectl's requests (the test's
/// own writes through the `kube` crate carry no User-Agent).
fn assert_kubectl_catalogue(server: &MockServer, rel: &str) {
    let mine: Vec<RecordedRequest> = server
        .recording()
        .into_iter()
        .filter(|r| {
            r.header("user-agent")
                .is_some_and(|ua| ua.starts_with("kubectl/"))
        })
        .collect();
    let report = verify(&set_of(rel), &mine);
    assert!(report.satisfied, "{rel}:\n{report}");
}

async fn create_cm(client: &kube::Client, name: &str) {
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": name}, "data": {"ready": "no"}}))
            .expect("configmap");
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &cm)
        .await
        .expect("create configmap");
}

async fn mark_ready(client: &kube::Client, name: &str) {
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"ready": "yes"}})),
        )
        .await
        .expect("patch");
}

fn has(reqs: &[RecordedRequest], pred: impl Fn(&RecordedRequest) -> bool) -> bool {
    reqs.iter().any(pred)
}

fn query_of(r: &RecordedRequest) -> &str {
    r.query.as_deref().unwrap_or("")
}

/// Every catalogue file is satisfied by every capture it names.
#[test]
fn catalogue_matches_the_captured_requests() {
    let requests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/clients/requests");
    if !requests.is_dir() {
        eprintln!("SKIP: ../shared/clients/requests not found");
        return;
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut files = Vec::new();
    let mut dirs = vec![catalogue("")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("catalogue dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    {
        for path in files {
            let f = ExpectationFile::read(&path).expect("catalogue file parses");
            let mut set = ExpectationSet::default();
            set.add(f.clone()).expect("sequences resolve");
            for cap in &f.captured {
                let log = kubemock::record::read_log(&requests.join(cap)).expect("capture");
                let report = verify(&set, &log);
                if !report.satisfied {
                    failures.push(format!("{} vs {cap}:\n{report}", path.display()));
                }
                checked += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 20, "only {checked} captures checked");
}

fn kubectl_cmd(
    bin: &Path,
    server: &MockServer,
    cache: &Path,
    watch_list: bool,
) -> tokio::process::Command {
    let mut c = common::kubectl_command(bin, server, cache, watch_list);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// `kubectl wait --for=jsonpath`: the condition is met only once the
/// watch that the catalogue expects (`ready_after`) was sent.
async fn kubectl_wait(
    bin: &Path,
    server: &MockServer,
    client: &kube::Client,
    watch_list: bool,
    ready_after: impl Fn(&RecordedRequest) -> bool,
) {
    let cache = tempfile::tempdir().expect("cache dir");
    let mut cmd = kubectl_cmd(bin, server, cache.path(), watch_list);
    cmd.args([
        "wait",
        "configmap/configmap-a",
        "--for=jsonpath={.data.ready}=yes",
        "--timeout=30s",
    ]);
    let child = cmd.spawn().expect("kubectl wait");
    assert!(
        server
            .recorder()
            .wait_until(|reqs| has(reqs, &ready_after), WAIT)
            .await,
        "kubectl never sent the expected watch:\n{:#?}",
        server.recording()
    );
    mark_ready(client, "configmap-a").await;
    let out = child.wait_with_output().await.expect("kubectl output");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The catalogue directory for the installed kubectl (`kubectl/1.36`).
fn kubectl_catalogue(bin: &Path) -> Option<String> {
    let out = std::process::Command::new(bin)
        .args(["version", "--client", "-o", "json"])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let minor = v["clientVersion"]["minor"].as_str()?.trim_end_matches('+');
    let dir = format!("kubectl/1.{minor}");
    if catalogue(&dir).is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: no catalogue for kubectl 1.{minor} in conformance/clients/kubectl/");
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_sends_what_the_catalogue_says() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    let Some(dir) = kubectl_catalogue(&bin) else {
        return;
    };
    let file = |name: &str| format!("{dir}/{name}");

    // list
    let server = crate::common::bare().await;
    let client = common::client_for(&server).await;
    create_cm(&client, "configmap-a").await;
    server.clear_recording();
    let cache = tempfile::tempdir().expect("cache dir");
    let out = kubectl_cmd(&bin, &server, cache.path(), true)
        .args(["get", "configmaps", "-o", "json"])
        .output()
        .await
        .expect("kubectl get");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_kubectl_catalogue(&server, &file("list.yaml"));
    // kubectl sends the token only over TLS; the recording redacts it.
    let first = &server.recording()[0];
    assert_eq!(
        first.header("authorization").as_deref(),
        Some("Bearer <redacted>")
    );

    // watch: kubectl stays on the watch; stop it once it was sent.
    server.clear_recording();
    let cache = tempfile::tempdir().expect("cache dir");
    let mut child = kubectl_cmd(&bin, &server, cache.path(), true)
        .args(["get", "configmaps", "-w", "-o", "json"])
        .spawn()
        .expect("kubectl get -w");
    assert!(
        server
            .recorder()
            .wait_until(|r| has(r, |r| query_of(r).contains("watch=true")), WAIT)
            .await
    );
    child.kill().await.expect("kill");
    assert_kubectl_catalogue(&server, &file("watch.yaml"));

    // watch-list (the reflector of `kubectl wait`)
    server.clear_recording();
    kubectl_wait(&bin, &server, &client, true, |r| {
        query_of(r).contains("sendInitialEvents=true")
    })
    .await;
    assert_kubectl_catalogue(&server, &file("watch-list.yaml"));
    drop(server);

    // informer start with WatchListClient off
    let server = crate::common::bare().await;
    let client = common::client_for(&server).await;
    create_cm(&client, "configmap-a").await;
    server.clear_recording();
    kubectl_wait(&bin, &server, &client, false, |r| {
        query_of(r).contains("allowWatchBookmarks=true") && query_of(r).contains("resourceVersion=")
    })
    .await;
    assert_kubectl_catalogue(&server, &file("informer-start.yaml"));
    drop(server);

    // fallback after a (scripted) 422, mounted through the control API.
    let server = crate::common::bare().await;
    let client = common::client_for(&server).await;
    create_cm(&client, "configmap-a").await;
    let http = common::http_client(&server);
    let resp = http
        .post(format!("{}/kubemock/v1/expectations", server.url()))
        .bearer_auth(server.token().expect("token"))
        .body(std::fs::read_to_string(catalogue(&file("fallback-422.yaml"))).expect("read"))
        .send()
        .await
        .expect("POST expectations");
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    // The test's own write, as a single expectation.
    let resp = http
        .post(format!("{}/kubemock/v1/expectations", server.url()))
        .bearer_auth(server.token().expect("token"))
        .body(r#"{"name": "the test's patch", "method": "PATCH", "path": "/api/v1/namespaces/default/configmaps/configmap-a", "times": "any"}"#)
        .send()
        .await
        .expect("POST expectation");
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    server.clear_recording();
    kubectl_wait(&bin, &server, &client, true, |r| {
        query_of(r).contains("allowWatchBookmarks=true")
            && query_of(r).contains("resourceVersion=")
            && !query_of(r).contains("sendInitialEvents")
    })
    .await;
    let report: kubemock::record::Report = http
        .get(format!("{}/kubemock/v1/verification", server.url()))
        .bearer_auth(server.token().expect("token"))
        .send()
        .await
        .expect("GET verification")
        .json()
        .await
        .expect("report");
    assert!(report.satisfied, "{report}");
    let refused = server
        .recording()
        .into_iter()
        .find(|r| r.status == 422)
        .expect("a 422 was recorded");
    assert_eq!(refused.responded_by.as_deref(), Some("watch-list"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_sends_what_the_catalogue_says() {
    let env = common::start().await;
    let (server, client) = (&env.server, &env.client);
    create_cm(client, "configmap-a").await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");

    server.clear_recording();
    api.list(&ListParams::default()).await.expect("list");
    assert_catalogue(server, "kube-rs/5.0/list.yaml");

    server.clear_recording();
    drop(
        api.watch(&WatchParams::default(), "0")
            .await
            .expect("watch"),
    );
    assert_catalogue(server, "kube-rs/5.0/watch.yaml");

    // The streaming list, read up to the initial-events-end bookmark; the
    // recording counts its events by type and sees the client leave.
    server.clear_recording();
    {
        let stream = api
            .watch(&WatchParams::streaming_lists(), "0")
            .await
            .expect("watch-list");
        let mut stream = std::pin::pin!(stream);
        loop {
            match stream.next().await {
                Some(Ok(kube::api::WatchEvent::Bookmark(_))) => break,
                Some(Ok(_)) => {}
                other => panic!("stream ended early: {other:?}"),
            }
        }
    }
    assert!(
        server
            .recorder()
            .wait_until(
                |r| r
                    .iter()
                    .any(|r| r.watch.as_ref().is_some_and(|w| w.ended == "client")),
                WAIT
            )
            .await
    );
    let watch = server.recording()[0].watch.clone().expect("watch summary");
    assert_eq!(watch.events.get("ADDED"), Some(&1), "{watch:?}");
    assert_eq!(watch.events.get("BOOKMARK"), Some(&1), "{watch:?}");
    assert_catalogue(server, "kube-rs/5.0/watch-list.yaml");

    // watcher(): list then watch; stop once the watch was sent.
    for (config, file) in [
        (
            kube::runtime::watcher::Config::default(),
            "kube-rs/5.0/informer-start.yaml",
        ),
        (
            kube::runtime::watcher::Config::default().streaming_lists(),
            "kube-rs/5.0/informer-start-streaming.yaml",
        ),
    ] {
        server.clear_recording();
        let task = tokio::spawn(
            kube::runtime::watcher(api.clone(), config).try_for_each(|_| async { Ok(()) }),
        );
        let sent = server
            .recorder()
            .wait_until(|r| has(r, |r| query_of(r).contains("watch=true")), WAIT)
            .await;
        task.abort();
        assert!(sent, "{file}: no watch sent");
        assert_catalogue(server, file);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_retries_a_refused_watch_list_without_falling_back() {
    let mut server = crate::common::bare().await;
    let client = common::client_for(&server).await;
    server.expect_file(
        ExpectationFile::read(&catalogue("kube-rs/5.0/fallback-422.yaml")).expect("file"),
    );
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let stream = kube::runtime::watcher(
        api,
        kube::runtime::watcher::Config::default().streaming_lists(),
    );
    let mut stream = std::pin::pin!(stream);
    let mut errors = 0;
    while errors < 2 {
        match tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("in time")
        {
            Some(Err(e)) => {
                assert!(
                    e.to_string().contains("422") || format!("{e:?}").contains("422"),
                    "{e:?}"
                );
                errors += 1;
            }
            Some(Ok(ev)) => panic!("unexpected event {ev:?}"),
            None => panic!("watcher ended"),
        }
    }
    let report = server.verify();
    assert!(report.satisfied, "{report}");
    // Dropping `server` verifies again (wiremock-style); it stays satisfied.
}

fn python() -> Option<PathBuf> {
    let Some(python) = common::find_tool("PYTHON", "python3") else {
        eprintln!("SKIP: python3 not found");
        return None;
    };
    let probe = std::process::Command::new(&python)
        .args(["-c", "import kubernetes"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIP: the Python kubernetes client is not installed (pip install kubernetes)");
        return None;
    }
    Some(python)
}

const PY_SCENARIOS: &str = r#"
import sys
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
mode = sys.argv[2]
if mode == "list":
    v1.list_namespaced_config_map("default")
elif mode == "watch":
    w = watch.Watch()
    for ev in w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=30):
        w.stop()
elif mode == "watch-list":
    w = watch.Watch()
    for ev in w.stream(v1.list_namespaced_config_map, "default", send_initial_events=True,
                       resource_version_match="NotOlderThan", allow_watch_bookmarks=True,
                       timeout_seconds=30):
        if ev["type"] == "BOOKMARK":
            w.stop()
elif mode == "422":
    try:
        for ev in watch.Watch().stream(v1.list_namespaced_config_map, "default",
                                       send_initial_events=True, resource_version_match="NotOlderThan",
                                       allow_watch_bookmarks=True, timeout_seconds=30):
            sys.exit("got an event")
    except ApiException as e:
        if e.status != 422:
            raise
        print("422 raised")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_sends_what_the_catalogue_says() {
    let Some(python) = python() else { return };
    let env = common::start().await;
    create_cm(&env.client, "configmap-a").await;
    for (mode, file) in [
        ("list", "python-kubernetes/37.0/list.yaml"),
        ("watch", "python-kubernetes/37.0/watch.yaml"),
        ("watch-list", "python-kubernetes/37.0/watch-list.yaml"),
        ("422", "python-kubernetes/37.0/fallback-422.yaml"),
    ] {
        let mut set = None;
        if mode == "422" {
            let f = ExpectationFile::read(&catalogue(file)).expect("file");
            env.server.recorder().add_expectations(f).expect("add");
            set = Some(());
        }
        env.server.clear_recording();
        let out = tokio::time::timeout(
            WAIT * 2,
            tokio::process::Command::new(&python)
                .args(["-c", PY_SCENARIOS])
                .arg(env.server.kubeconfig_path())
                .arg(mode)
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("python finished in time")
        .expect("run python");
        assert!(
            out.status.success(),
            "{mode}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_catalogue(&env.server, file);
        if set.is_some() {
            env.server.recorder().clear_expectations();
        }
    }
}

/// A client whose query string changed fails with the difference in words.
#[tokio::test]
async fn changed_query_string_fails_with_a_readable_diff() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    api.list(&ListParams::default().limit(100))
        .await
        .expect("list");
    let report = verify(&set_of("kube-rs/5.0/list.yaml"), &env.server.recording());
    assert!(!report.satisfied);
    let text = report.to_string();
    let seq = env.server.recording()[0].seq;
    assert_eq!(
        text,
        format!(
            r#"kubemock verification: NOT satisfied (1 request recorded)
  FAIL "list": wanted once, matched 0
         closest request: #{seq} GET /api/v1/namespaces/default/configmaps?&limit=100
           - extra parameter limit=100
  FAIL unexpected request #{seq} GET /api/v1/namespaces/default/configmaps?&limit=100 (status 200)
         closest expectation: "list"
           - extra parameter limit=100
"#
        )
    );
}

/// `kubemock verify --log` offline, and `--kubeconfig` against a running
/// server: exit code 0 only when satisfied, the diff on stdout otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_command_online_and_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("requests.jsonl");
    let server = MockServer::builder()
        .controllers("none")
        .record_file(&log)
        .start()
        .await
        .expect("start");
    let client = common::client_for(&server).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    api.list(&ListParams::default()).await.expect("list");

    let bin = env!("CARGO_BIN_EXE_kubemock");
    let run = |args: Vec<std::ffi::OsString>| {
        std::process::Command::new(bin)
            .args(args)
            .output()
            .expect("kubemock verify")
    };
    let good = catalogue("kube-rs/5.0/list.yaml");
    let bad = catalogue("kube-rs/5.0/watch.yaml");
    let kc = server.kubeconfig_path().to_path_buf();

    let out = run(vec![
        "verify".into(),
        "--kubeconfig".into(),
        kc.clone().into(),
        "--expect".into(),
        good.clone().into(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(vec![
        "verify".into(),
        "--kubeconfig".into(),
        kc.into(),
        "--expect".into(),
        bad.clone().into(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("missing parameter watch (expected watch=true)"),
        "{stdout}"
    );

    drop(server);
    let out = run(vec![
        "verify".into(),
        "--log".into(),
        log.clone().into(),
        "--expect".into(),
        good.into(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(vec![
        "verify".into(),
        "--log".into(),
        log.into(),
        "--expect".into(),
        bad.into(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT satisfied"));
}

/// Enforce mode: a request no expectation matches gets a 400 Status whose
/// message carries the diff; matching requests reach the store.
#[tokio::test]
async fn enforce_mode_answers_unexpected_requests_with_400() {
    let server = MockServer::builder()
        .controllers("none")
        .enforce_expectations(true)
        .expectations(ExpectationFile::read(&catalogue("kube-rs/5.0/list.yaml")).expect("file"))
        .start()
        .await
        .expect("start");
    let client = common::client_for(&server).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    api.list(&ListParams::default())
        .await
        .expect("expected list passes");
    let err = api
        .list(&ListParams::default().limit(5))
        .await
        .expect_err("unexpected list refused");
    let kube::Error::Api(status) = err else {
        panic!("not a Status: {err:?}")
    };
    assert_eq!(status.code, 400);
    assert_eq!(
        status.message,
        "kubemock: unexpected request GET /api/v1/namespaces/default/configmaps?&limit=5; closest expectation \"list\": extra parameter limit=5"
    );
    // The control API needs credentials of system:masters (anonymous: 403).
    let http = common::http_client(&server);
    let resp = http
        .get(format!("{}/kubemock/v1/recording", server.url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status(), 403);
}
