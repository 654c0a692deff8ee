//! Fault plans (issue 17): bad plans refused, the error answers byte for
//! byte, connection cuts, watch stream faults, restart, determinism, and
//! how real clients recover (kubectl, kube-rs, the Python client). Client
//! tests skip, saying why, when the tool is not installed.

use crate::common;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use kube::runtime::watcher;
use kubemock::faults::{FaultPlan, RestartMode};
use kubemock::record::RecordedRequest;
use kubemock::MockServer;
use serde_json::json;
use std::time::Duration;

async fn server_with(plan: &str) -> MockServer {
    MockServer::builder()
        .controllers("none")
        .faults(FaultPlan::from_yaml(plan).expect("plan"))
        .start()
        .await
        .expect("start")
}

fn get(server: &MockServer, path: &str) -> reqwest::RequestBuilder {
    common::http_client(server)
        .get(format!("{}{path}", server.url()))
        .bearer_auth(server.token().unwrap_or(""))
}

async fn create_cm(client: &kube::Client, name: &str) {
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": name}, "data": {"k": "v"}}))
            .expect("configmap");
    Api::<ConfigMap>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &cm)
        .await
        .expect("create configmap");
}

/// (seq, request line, rule) of every faulted request.
fn faulted(server: &MockServer) -> Vec<(String, String)> {
    server
        .recording()
        .iter()
        .filter_map(|r| Some((r.line(), r.fault.as_ref()?.rule.clone())))
        .collect()
}

fn lines(recording: &[RecordedRequest], path: &str) -> Vec<String> {
    recording
        .iter()
        .filter(|r| r.path == path)
        .map(|r| {
            let fault = r
                .fault
                .as_ref()
                .map(|f| format!(" [{}]", f.action))
                .unwrap_or_default();
            format!("{} {}{fault}", r.status, r.line())
        })
        .collect()
}

#[tokio::test]
async fn catalogue_plans_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/faults");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("conformance/faults") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "yaml") {
            let plan = FaultPlan::read(&p).unwrap_or_else(|e| panic!("{e}"));
            assert!(!plan.rules.is_empty(), "{}", p.display());
            n += 1;
        }
    }
    assert_eq!(n, 6);
}

#[tokio::test]
async fn a_bad_plan_is_refused_with_index_and_reason_and_the_plan_in_force_kept() {
    let server = server_with("rules:\n- {name: keep, verb: get, error: 500}\n").await;
    let http = common::http_client(&server);
    let url = format!("{}/kubemock/v1/faults", server.url());
    let token = server.token().unwrap_or("").to_string();
    let resp = http
        .put(&url)
        .bearer_auth(&token)
        .body("rules:\n  - name: fine\n    error: 503\n  - name: broken\n    error: 503\n    stall: forever\n")
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(
        body["message"],
        "fault plan refused (the plan in force is kept): line 4: rules[1] (\"broken\"): give at most one of error, drop, reset, stall, watch"
    );
    let resp = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["plan"]["rules"][0]["name"], "keep");
    assert_eq!(body["counts"][0]["fired"], 0);
    // A good plan replaces it.
    let resp = http
        .put(&url)
        .bearer_auth(&token)
        .body("{\"rules\": [{\"name\": \"new\", \"verb\": \"list\", \"error\": 504}]}")
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 200);
    assert_eq!(server.faults().plan().rules[0].name.as_deref(), Some("new"));
    // A bad --faults file stops start-up with file, line and reason.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "seed: 1\nrules:\n  - name: p\n    probability: 2\n    error: 500\n",
    )
    .expect("write");
    let e = FaultPlan::read(&path).expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3: rules[0] (\"p\"): probability 2 is not between 0 and 1",
            path.display()
        )
    );
}

#[tokio::test]
async fn a_429_is_written_as_priority_and_fairness_writes_it() {
    let server = server_with(
        "rules:\n- {name: apf, verb: list, resource: configmaps, times: 1, error: {code: 429, retry_after: 3}}\n",
    )
    .await;
    let resp = get(&server, "/api/v1/namespaces/default/configmaps")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 429);
    let h = resp.headers().clone();
    assert_eq!(h["retry-after"], "3");
    assert_eq!(h["content-type"], "text/plain; charset=utf-8");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-cache, private");
    assert!(h.contains_key("audit-id"));
    assert!(h.contains_key("x-kubernetes-pf-flowschema-uid"));
    assert!(h.contains_key("x-kubernetes-pf-prioritylevel-uid"));
    assert_eq!(
        resp.text().await.expect("body"),
        "Too many requests, please try again later.\n"
    );
    // Once only: the next list is answered.
    let resp = get(&server, "/api/v1/namespaces/default/configmaps")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    let rec = server.recording();
    assert_eq!(
        lines(&rec, "/api/v1/namespaces/default/configmaps"),
        [
            "429 GET /api/v1/namespaces/default/configmaps [error 429]",
            "200 GET /api/v1/namespaces/default/configmaps"
        ]
    );
}

#[tokio::test]
async fn status_errors_are_negotiated_and_504_is_the_timeout_filters() {
    let server = server_with(
        "rules:\n- {name: gone, path: /api/v1/namespaces/default/configmaps, query: {subset: {resourceVersion: '{rv}'}}, error: 410}\n- {name: slow, path: /api/v1/namespaces/default/secrets, error: 504}\n- {name: busy, path: /api/v1/namespaces/default/pods, error: 503}\n",
    )
    .await;
    let resp = get(
        &server,
        "/api/v1/namespaces/default/configmaps?resourceVersion=1&resourceVersionMatch=Exact",
    )
    .send()
    .await
    .expect("get");
    assert_eq!(resp.status(), 410);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body = resp.text().await.expect("body");
    assert!(
        body.starts_with("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 1 (")
            && body.ends_with("\"reason\":\"Expired\",\"code\":410}\n"),
        "{body}"
    );
    let resp = get(&server, "/api/v1/namespaces/default/secrets")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 504);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        resp.text().await.expect("body"),
        "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"Timeout: request did not complete within the allotted timeout\",\"reason\":\"Timeout\",\"details\":{},\"code\":504}\n"
    );
    let resp = get(&server, "/api/v1/namespaces/default/pods")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(
        resp.text().await.expect("body"),
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"apiserver is shutting down\",\"reason\":\"ServiceUnavailable\",\"code\":503}\n\n"
    );
}

#[tokio::test]
async fn connections_are_cut_before_or_after_the_headers() {
    let server = server_with(
        "rules:\n- {name: rst, path: /api/v1/namespaces/default/pods, reset: before_headers}\n- {name: fin, path: /api/v1/namespaces/default/secrets, drop: after_headers}\n- {name: half, path: /api/v1/namespaces, drop: {after_bytes: 10}}\n",
    )
    .await;
    let e = get(&server, "/api/v1/namespaces/default/pods")
        .send()
        .await
        .expect_err("reset");
    assert!(e.is_request() || e.is_connect(), "{e:?}");
    let resp = get(&server, "/api/v1/namespaces/default/secrets")
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "the body must fail");
    let resp = get(&server, "/api/v1/namespaces")
        .send()
        .await
        .expect("head");
    let mut got = Vec::new();
    let mut s = resp.bytes_stream();
    let mut failed = false;
    while let Some(c) = s.next().await {
        match c {
            Ok(b) => got.extend_from_slice(&b),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed);
    assert_eq!(got, b"{\"kind\":\"N");
    let rec = server.recording();
    let statuses: Vec<(u16, String)> = rec
        .iter()
        .filter_map(|r| Some((r.status, r.fault.as_ref()?.action.clone())))
        .collect();
    assert_eq!(
        statuses,
        [
            (0, "reset before headers".to_string()),
            (200, "drop after headers".to_string()),
            (200, "drop after 10 body bytes".to_string())
        ]
    );
}

#[tokio::test]
async fn a_rule_that_must_fire_and_did_not_fails_verification() {
    let server = server_with(
        "rules:\n- {name: never-matched, verb: delete, error: 409, must_fire: true}\n- {name: fired, verb: list, times: 1, error: 500, expect: 1}\n",
    )
    .await;
    let resp = get(&server, "/api/v1/namespaces")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 500);
    let report = server.verify();
    assert!(!report.satisfied);
    let text = report.to_string();
    let names: Vec<(String, bool, u64)> = report
        .expectations
        .iter()
        .map(|e| (e.name.clone(), e.satisfied, e.matched))
        .collect();
    assert_eq!(
        names,
        [
            ("fault rule never-matched".to_string(), false, 0),
            ("fault rule fired".to_string(), true, 1)
        ],
        "{text}"
    );
    assert!(text.contains("fault rule never-matched"), "{text}");
    assert!(
        text.contains("  fault #1 GET /api/v1/namespaces (status 500): fired: error 500\n"),
        "{text}"
    );
    assert_eq!(report.faults.len(), 1);
}

/// The same plan with probabilities and a seed gives the same faults to
/// the same requests on three servers.
#[tokio::test]
async fn a_seeded_plan_repeats_its_fault_sequence() {
    let plan = "seed: 1234\nrules:\n- {name: flaky-lists, verb: list, probability: 0.3, error: 503}\n- {name: slow-gets, verb: get, probability: 0.5, delay: {min: 1ms, max: 20ms}}\n";
    let mut runs = Vec::new();
    for _ in 0..3 {
        let server = server_with(plan).await;
        for i in 0..40 {
            let path = if i % 2 == 0 {
                "/api/v1/namespaces".to_string()
            } else {
                "/api/v1/namespaces/default".to_string()
            };
            get(&server, &path).send().await.expect("get");
        }
        runs.push(faulted(&server));
    }
    assert!(runs[0].len() > 5, "{:?}", runs[0]);
    assert!(runs[0].len() < 35, "{:?}", runs[0]);
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[1], runs[2]);
}

/// Reads a watch stream line by line until it ends; returns the event
/// types and whether it ended cleanly.
async fn watch_types(resp: reqwest::Response) -> (Vec<String>, bool) {
    let mut s = resp.bytes_stream();
    let mut buf = Vec::new();
    let mut types = Vec::new();
    let clean = loop {
        match s.next().await {
            Some(Ok(b)) => buf.extend_from_slice(&b),
            Some(Err(_)) => break false,
            None => break true,
        }
        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            let v: serde_json::Value = serde_json::from_slice(&line).expect("event");
            types.push(v["type"].as_str().unwrap_or("").to_string());
        }
    };
    (types, clean)
}

#[tokio::test]
async fn watch_streams_end_early_with_an_error_event_or_abruptly() {
    let server = server_with(
        "rules:\n- {name: short, verb: watch, resource: configmaps, nth: 1, watch: {end_after_events: 2, error: 410}}\n- {name: cut, verb: watch, resource: configmaps, nth: 1, watch: {end_after_events: 1, end: abrupt}}\n- {name: no-end-bookmark, verb: watch, resource: secrets, watch: {initial_events_end: withhold, end_after: 1s}}\n",
    )
    .await;
    let client = common::client_for(&server).await;
    for n in ["a", "b", "c"] {
        create_cm(&client, n).await;
    }
    let path = "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0";
    let (types, clean) = watch_types(get(&server, path).send().await.expect("watch")).await;
    assert_eq!(types, ["ADDED", "ADDED", "ERROR"]);
    assert!(clean);
    let (types, clean) = watch_types(get(&server, path).send().await.expect("watch")).await;
    assert_eq!(types, ["ADDED"]);
    assert!(!clean);
    let wl = "/api/v1/namespaces/default/secrets?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan";
    let (types, clean) = watch_types(get(&server, wl).send().await.expect("watch")).await;
    assert!(!types.contains(&"BOOKMARK".to_string()), "{types:?}");
    assert!(clean);
}

#[tokio::test]
async fn a_delayed_resource_reaches_watchers_later_than_another() {
    let server = server_with(
        "rules:\n- {name: late-secrets, verb: watch, resource: secrets, watch: {delay_events: 1s}}\n",
    )
    .await;
    let client = common::client_for(&server).await;
    let cms = get(&server, "/api/v1/namespaces/default/configmaps?watch=1")
        .send()
        .await
        .expect("watch");
    let secrets = get(&server, "/api/v1/namespaces/default/secrets?watch=1")
        .send()
        .await
        .expect("watch");
    create_cm(&client, "x").await;
    let secret = serde_json::json!({"metadata": {"name": "s"}});
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), "default")
        .create(
            &PostParams::default(),
            &serde_json::from_value(secret).expect("secret"),
        )
        .await
        .expect("create secret");
    let t0 = tokio::time::Instant::now();
    let mut cms = cms.bytes_stream();
    let mut secrets = secrets.bytes_stream();
    cms.next().await.expect("cm event").expect("bytes");
    let cm_at = t0.elapsed();
    secrets.next().await.expect("secret event").expect("bytes");
    let secret_at = t0.elapsed();
    assert!(cm_at < Duration::from_millis(500), "{cm_at:?}");
    assert!(secret_at >= Duration::from_millis(800), "{secret_at:?}");
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn connects(addr: std::net::SocketAddr) -> bool {
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_restart_ends_watches_refuses_connections_and_keeps_state() {
    let server = server_with("rules: []\n").await;
    let client = common::client_for(&server).await;
    create_cm(&client, "survivor").await;
    let watch = get(&server, "/api/v1/namespaces/default/configmaps?watch=1")
        .send()
        .await
        .expect("watch");
    let resp = common::http_client(&server)
        .post(format!("{}/kubemock/v1/restart", server.url()))
        .bearer_auth(server.token().unwrap_or(""))
        .body(r#"{"downtime": "1s", "mode": "graceful"}"#)
        .send()
        .await
        .expect("restart");
    assert_eq!(resp.status(), 202);
    // The watch ends cleanly (as on a real shutdown).
    let (types, clean) = tokio::time::timeout(Duration::from_secs(5), watch_types(watch))
        .await
        .expect("watch ended");
    assert_eq!(types, ["ADDED"]);
    assert!(clean);
    let addr = server.address();
    wait_until("connections refused", Duration::from_secs(5), || {
        !connects(addr)
    })
    .await;
    wait_until(
        "connections accepted again",
        Duration::from_secs(10),
        || connects(addr),
    )
    .await;
    let list = get(&server, "/api/v1/namespaces/default/configmaps/survivor")
        .send()
        .await
        .expect("get");
    assert_eq!(list.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_restart_cuts_watches_and_kube_rs_watcher_recovers() {
    let server = server_with("rules: []\n").await;
    let client = common::client_for(&server).await;
    create_cm(&client, "before").await;
    let raw = get(&server, "/api/v1/namespaces/default/configmaps?watch=1")
        .send()
        .await
        .expect("watch");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        use kube::runtime::WatchStreamExt;
        let mut s = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
        while let Some(ev) = s.next().await {
            let text = match ev {
                Ok(watcher::Event::Init) => "Init".to_string(),
                Ok(watcher::Event::InitApply(o)) => {
                    format!("InitApply {}", o.metadata.name.unwrap_or_default())
                }
                Ok(watcher::Event::InitDone) => "InitDone".to_string(),
                Ok(watcher::Event::Apply(o)) => {
                    format!("Apply {}", o.metadata.name.unwrap_or_default())
                }
                Ok(watcher::Event::Delete(o)) => {
                    format!("Delete {}", o.metadata.name.unwrap_or_default())
                }
                Err(e) => format!("Err {e}"),
            };
            if tx.send(text).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    async fn until(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
        seen: &mut Vec<String>,
        want: &str,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ev = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {want:?} in {seen:?}"))
                .expect("watcher alive");
            seen.push(ev.clone());
            if ev == want {
                return;
            }
        }
    }
    until(&mut rx, &mut seen, "InitDone").await;
    server
        .restart(Duration::from_millis(500), RestartMode::Crash)
        .await;
    let (_, clean) = tokio::time::timeout(Duration::from_secs(5), watch_types(raw))
        .await
        .expect("cut");
    assert!(!clean, "a crash cuts the stream");
    create_cm(&client, "after").await;
    until(&mut rx, &mut seen, "Apply after").await;
    task.abort();
    eprintln!("kube-rs watcher across a crash restart: {seen:?}");
    let rec = server.recording();
    eprintln!(
        "requests: {:#?}",
        lines(&rec, "/api/v1/namespaces/default/configmaps")
    );
}

/// client-go's reflector (kubectl wait, LIST+WATCH) relists after a 410 on
/// its watch; kube-rs's watcher too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_wait_relists_after_410_on_its_watch() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    let server = server_with(
        "rules:\n- {name: expire, verb: watch, resource: configmaps, nth: 1, watch: {error: 410}, must_fire: true}\n",
    )
    .await;
    let client = common::client_for(&server).await;
    create_cm(&client, "flag").await;
    let cache = tempfile::tempdir().expect("cache");
    let mut wait = common::kubectl_command(&bin, &server, cache.path(), false);
    wait.args([
        "wait",
        "configmap/flag",
        "--for=jsonpath={.data.ready}=yes",
        "--timeout=60s",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let child = wait.spawn().expect("kubectl wait");
    let rec = server.recorder().clone();
    assert!(
        rec.wait_until(
            |r| r
                .iter()
                .filter(|x| x.path == "/api/v1/namespaces/default/configmaps"
                    && !x.query.as_deref().unwrap_or("").contains("watch=true"))
                .count()
                >= 2,
            Duration::from_secs(30)
        )
        .await,
        "kubectl relists and watches again"
    );
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    api.patch(
        "flag",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(json!({"data": {"ready": "yes"}})),
    )
    .await
    .expect("patch");
    let out = child.wait_with_output().await.expect("output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The last watch is recorded when the server sees its stream end, a
    // moment after kubectl has gone.
    rec.wait_until(
        |r| {
            r.iter()
                .filter(|x| x.method == "GET" && x.path == "/api/v1/namespaces/default/configmaps")
                .count()
                >= 4
        },
        Duration::from_secs(3),
    )
    .await;
    let recording: Vec<RecordedRequest> = server
        .recording()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    let seen = lines(&recording, "/api/v1/namespaces/default/configmaps");
    eprintln!("kubectl wait after 410: {seen:#?}");
    // list, watch (410), list again, and a watch unless the relist
    // already saw the change (the relist is recorded as it starts, so the
    // patch may land before it is served).
    assert!(seen.len() >= 3, "{seen:#?}");
    assert!(
        seen[1].contains("watch=true") && seen[1].ends_with("[watch ERROR 410]"),
        "{seen:#?}"
    );
    assert!(
        !seen[2].contains("watch=true"),
        "a relist follows the 410: {seen:#?}"
    );
    assert!(server.verify().satisfied, "{}", server.verify());
}

/// kubectl retries a 429 after its Retry-After (client-go `checkWait`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_retries_a_429_after_retry_after() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    let server = server_with(
        "rules:\n- {name: apf, verb: list, resource: configmaps, times: 2, error: {code: 429, retry_after: 1}}\n",
    )
    .await;
    let client = common::client_for(&server).await;
    create_cm(&client, "one").await;
    let cache = tempfile::tempdir().expect("cache");
    let out = common::kubectl_command(&bin, &server, cache.path(), false)
        .args(["get", "configmaps", "-o", "name"])
        .output()
        .await
        .expect("kubectl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("configmap/one"), "{stdout}");
    let rec: Vec<RecordedRequest> = server
        .recording()
        .into_iter()
        .filter(|r| r.path == "/api/v1/namespaces/default/configmaps" && r.method == "GET")
        .collect();
    let statuses: Vec<u16> = rec.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    let at = |r: &RecordedRequest| chrono::DateTime::parse_from_rfc3339(&r.time).expect("time");
    for w in rec.windows(2) {
        let gap = at(&w[1]) - at(&w[0]);
        assert!(
            gap >= chrono::Duration::milliseconds(900),
            "retried after {gap}"
        );
    }
}

/// `kubectl get -w` (kubectl 1.36): when the server ends its watch cleanly
/// it exits 0 without watching again; an ERROR 410 on its watch is printed
/// as an object (`status/<unknown>` with `-o name`) and it exits 0 too.
/// Neither resumes nor relists (recorded with the real binary).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_watch_exits_on_stream_end_and_on_410() {
    let Some(bin) = common::kubectl_bin() else {
        return;
    };
    for (plan, want_stdout) in [
        (
            "rules:\n- {name: end, verb: watch, resource: configmaps, nth: 1, watch: {end_after: 1s}}\n",
            "configmap/a\n",
        ),
        (
            "rules:\n- {name: expire, verb: watch, resource: configmaps, nth: 1, watch: {error: 410}}\n",
            "configmap/a\nstatus/<unknown>\n",
        ),
    ] {
        let server = server_with(plan).await;
        let client = common::client_for(&server).await;
        create_cm(&client, "a").await;
        let cache = tempfile::tempdir().expect("cache");
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            common::kubectl_command(&bin, &server, cache.path(), false)
                .args(["get", "configmaps", "-w", "-o", "name"])
                .output(),
        )
        .await
        .expect("kubectl get -w ends")
        .expect("kubectl");
        let recording: Vec<RecordedRequest> = server
            .recording()
            .into_iter()
            .filter(|r| r.method == "GET")
            .collect();
        let seen = lines(&recording, "/api/v1/namespaces/default/configmaps");
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprintln!(
            "kubectl get -w: exit {:?}\nstdout {}\nstderr {stderr}\nrequests {seen:#?}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
        );
        assert!(out.status.success(), "{stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want_stdout);
        // One list, one watch: no second watch, no relist.
        assert_eq!(seen.len(), 2, "{seen:#?}");
    }
}

/// kube-rs's `watcher` relists after an ERROR 410 on its watch (and, as
/// the crash test shows, resumes without a relist after a cut stream).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_watcher_relists_after_410() {
    let server = server_with(
        "rules:\n- {name: expire, verb: watch, resource: configmaps, nth: 1, watch: {error: 410}, must_fire: true}\n",
    )
    .await;
    let client = common::client_for(&server).await;
    create_cm(&client, "a").await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    use kube::runtime::WatchStreamExt;
    let mut s = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    let mut inits = 0;
    let mut errors = Vec::new();
    while inits < 2 {
        let ev = tokio::time::timeout(Duration::from_secs(30), s.next())
            .await
            .expect("watcher event")
            .expect("watcher alive");
        match ev {
            Ok(watcher::Event::InitDone) => inits += 1,
            Err(e) => errors.push(e.to_string()),
            _ => {}
        }
    }
    eprintln!("kube-rs watcher errors before the relist: {errors:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let lists = server
        .recording()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v1/namespaces/default/configmaps")
        .filter(|r| !r.params.iter().any(|(k, _)| k == "watch"))
        .count();
    assert_eq!(lists, 2);
    assert!(server.verify().satisfied);
}

/// The Python client's `Watch.stream`: a clean end re-opens the watch from
/// the last resourceVersion; a first ERROR 410 is retried once (same
/// resourceVersion), a second in a row raises `ApiException(410)`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_watch_reopens_after_end_and_raises_on_410() {
    let Some(python) = common::find_tool("PYTHON", "python3") else {
        eprintln!("SKIP: python3 not found");
        return;
    };
    let probe = std::process::Command::new(&python)
        .args(["-c", "import kubernetes"])
        .status()
        .expect("python");
    if !probe.success() {
        eprintln!("SKIP: the Python kubernetes client is not installed");
        return;
    }
    let server = server_with(
        "rules:\n- {name: end, verb: watch, resource: configmaps, nth: 1, watch: {end_after_events: 1}}\n- {name: expire, verb: watch, resource: configmaps, times: 2, watch: {error: 410}}\n",
    )
    .await;
    let client = common::client_for(&server).await;
    create_cm(&client, "a").await;
    create_cm(&client, "b").await;
    let script = r#"
import sys
from kubernetes import client, config, watch
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
w = watch.Watch()
seen = []
try:
    for ev in w.stream(v1.list_namespaced_config_map, "default", resource_version="0"):
        seen.append(ev["type"] + " " + ev["object"].metadata.name)
    print("ENDED", seen)
except client.exceptions.ApiException as e:
    print("RAISED", e.status, seen)
"#;
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(&python)
            .args(["-c", script])
            .arg(server.kubeconfig_path())
            .output(),
    )
    .await
    .expect("python finished")
    .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let recording = server.recording();
    let seen = lines(&recording, "/api/v1/namespaces/default/configmaps");
    eprintln!(
        "python: {stdout}{}\nrequests {seen:#?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "RAISED 410 ['ADDED a']");
    let watches: Vec<&String> = seen.iter().filter(|l| l.starts_with("200 GET")).collect();
    assert_eq!(watches.len(), 3, "{seen:#?}");
    assert!(
        watches[0].ends_with("[watch end after 1 events]"),
        "{seen:#?}"
    );
    assert!(watches[1].ends_with("[watch ERROR 410]") && watches[2].ends_with("[watch ERROR 410]"));
    // The retry after the first 410 resumes from the same resourceVersion.
    let rv = |l: &str| {
        l.split("resourceVersion=")
            .nth(1)
            .map(|v| v.split(['&', ' ']).next().unwrap_or("").to_string())
    };
    assert_eq!(rv(watches[1]), rv(watches[2]));
}

/// With a paused fault clock, a 1 h delay passes when the test advances
/// the clock, not before.
#[tokio::test]
async fn a_paused_fault_clock_moves_when_the_test_advances_it() {
    let server = MockServer::builder()
        .controllers("none")
        .paused_fault_clock()
        .faults(
            FaultPlan::from_yaml("rules:\n- {name: slow, verb: get, delay: 1h}\n").expect("plan"),
        )
        .start()
        .await
        .expect("start");
    let pending = tokio::spawn(get(&server, "/api/v1/namespaces/default").send());
    wait_until("the rule fired", Duration::from_secs(10), || {
        server.faults().counts()[0].fired == 1
    })
    .await;
    tokio::task::yield_now().await;
    assert!(
        !pending.is_finished(),
        "a 1 h delay must not pass by itself"
    );
    assert!(server.advance_fault_clock(Duration::from_secs(3600)));
    let resp = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("answered once the clock moved")
        .expect("task")
        .expect("response");
    assert_eq!(resp.status(), 200);
}

/// `--time-scale` scales fault delays as it scales controller delays.
#[tokio::test]
async fn the_time_scale_shortens_fault_delays() {
    let server = MockServer::builder()
        .controllers("none")
        .time_scale(0.01)
        .faults(
            FaultPlan::from_yaml("rules:\n- {name: slow, verb: get, delay: 100s}\n").expect("plan"),
        )
        .start()
        .await
        .expect("start");
    let t0 = tokio::time::Instant::now();
    let resp = tokio::time::timeout(
        Duration::from_secs(20),
        get(&server, "/api/v1/namespaces/default").send(),
    )
    .await
    .expect("a 100 s delay at scale 0.01 takes 1 s")
    .expect("response");
    assert_eq!(resp.status(), 200);
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
}

/// The catalogue's "apiserver restart during watch-list": a graceful
/// restart in the middle of a slow initial list ends the stream cleanly
/// without the initial-events-end bookmark; the next watch-list, once the
/// server is back, completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_during_a_watch_list_ends_it_before_the_bookmark() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/faults/restart-during-watch-list.yaml");
    let server = MockServer::builder()
        .controllers("none")
        .faults(FaultPlan::read(&path).expect("catalogue plan"))
        .start()
        .await
        .expect("start");
    let client = common::client_for(&server).await;
    for n in ["a", "b", "c", "d", "e"] {
        create_cm(&client, n).await;
    }
    let wl = "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan";
    let resp = get(&server, wl).send().await.expect("watch-list");
    let mut s = resp.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), s.next())
        .await
        .expect("first event")
        .expect("some")
        .expect("bytes");
    assert!(first.starts_with(b"{\"type\":\"ADDED\""));
    let restart = server.restart(Duration::from_millis(300), RestartMode::Graceful);
    let read_rest = async {
        let mut rest = Vec::new();
        let mut clean = true;
        while let Some(c) = s.next().await {
            match c {
                Ok(b) => rest.extend_from_slice(&b),
                Err(_) => {
                    clean = false;
                    break;
                }
            }
        }
        (rest, clean)
    };
    let ((rest, clean), ()) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(read_rest, restart)
    })
    .await
    .expect("the stream ends and the server comes back");
    assert!(clean, "a graceful restart ends the stream cleanly");
    let text = String::from_utf8_lossy(&rest);
    assert!(!text.contains("k8s.io/initial-events-end"), "{text}");
    assert!(
        text.lines().count() < 4,
        "the initial list was cut short: {text}"
    );
    // Back up: the retried watch-list gets every object and the bookmark.
    server.set_faults(FaultPlan::default());
    let resp = get(&server, wl).send().await.expect("watch-list again");
    let mut s = resp.bytes_stream();
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&buf).contains("k8s.io/initial-events-end") {
        let c = tokio::time::timeout_at(deadline, s.next())
            .await
            .expect("bookmark in time")
            .expect("open")
            .expect("bytes");
        buf.extend_from_slice(&c);
    }
    assert_eq!(
        String::from_utf8_lossy(&buf)
            .matches("\"type\":\"ADDED\"")
            .count(),
        5
    );
}
