//! Fault-plan rows of `kubemock bench` (issue 17): what the fault layer
//! costs when no rule is in force, and with one rule that never matches,
//! against a server built without the layer, in the same run. Each
//! configuration is an in-process server; they are measured in turns
//! (A B C, B C A, C A B, ...) and the median of the rounds is reported, so
//! drift on a shared machine hits all three alike.
//!
//! - throughput: 16 concurrent GETs of one ConfigMap over one HTTP/2
//!   connection, for a fixed time;
//! - fan-out: W watchers on one namespace, E creates written back to back;
//!   deliveries (events × watchers) per second until the last watcher has
//!   the last event.

use super::target::Endpoint;
use super::{median, BenchOptions, Report};
use anyhow::{bail, Result};
use serde_json::json;
use std::time::{Duration, Instant};

/// The configurations compared.
const CONFIGS: [(&str, Option<&str>); 3] = [
    ("no fault layer", None),
    ("empty plan", Some("rules: []\n")),
    (
        "1 rule, never matches",
        Some("rules:\n- {name: never, path: '/never/{any}', error: 500}\n"),
    ),
];

async fn server(plan: Option<&str>) -> Result<(crate::MockServer, Endpoint, reqwest::Client)> {
    let mut b = crate::MockServer::builder()
        .controllers("none")
        .watch_history(1_000);
    b = match plan {
        None => b.without_fault_layer(),
        Some(text) => b.faults(crate::faults::FaultPlan::from_yaml(text)?),
    };
    let server = b.start().await?;
    let endpoint = Endpoint::from_kubeconfig(server.kubeconfig_path())?;
    let client = endpoint.client()?;
    let r = endpoint.get(&client, "/version").send().await?;
    if !r.status().is_success() {
        bail!("GET /version: {}", r.status());
    }
    r.bytes().await?;
    Ok((server, endpoint, client))
}

/// Only these rows, printed as the bench's table (`examples/fault_bench.rs`).
///
/// # Errors
/// A server that does not start or answer.
pub async fn rows(quick: bool) -> Result<Report> {
    let opts = if quick {
        BenchOptions::quick()
    } else {
        BenchOptions::full()
    };
    let mut report = Report {
        target: "kubemock (in-process)".into(),
        ..Report::default()
    };
    run(&opts, &mut report).await?;
    Ok(report)
}

/// Runs the rows (in-process; skipped with `--against`).
pub(super) async fn run(opts: &BenchOptions, report: &mut Report) -> Result<()> {
    if opts.against.is_some() {
        return Ok(());
    }
    let quick = opts.writes < 1_000;
    let (rounds, window, watchers, events) = if quick {
        (3, Duration::from_millis(400), 20, 20)
    } else {
        (6, Duration::from_secs(2), 200, 100)
    };
    let mut servers = Vec::new();
    for (_, plan) in CONFIGS {
        let s = server(plan).await?;
        let url = format!("{}/api/v1/namespaces/default/configmaps", s.1.url);
        s.1.auth(s.2.post(&url))
            .json(&json!({"metadata": {"name": "target"}, "data": {"k": "v"}}))
            .send()
            .await?
            .error_for_status()?;
        servers.push(s);
    }
    eprintln!(
        "faults: throughput and fan-out, {} configurations x {rounds} rounds",
        CONFIGS.len()
    );
    let mut rps: Vec<Vec<f64>> = vec![Vec::new(); CONFIGS.len()];
    let mut fan: Vec<Vec<f64>> = vec![Vec::new(); CONFIGS.len()];
    for round in 0..rounds {
        // Each round starts with another configuration: no order bias.
        for k in 0..servers.len() {
            let i = (round + k) % servers.len();
            let (_, e, c) = &servers[i];
            rps[i].push(throughput(e, c, window).await?);
            fan[i].push(fanout(e, watchers, events, &format!("r{round}")).await?);
        }
    }
    let base_rps = median(&rps[0]);
    let base_fan = median(&fan[0]);
    for (i, (label, _)) in CONFIGS.iter().enumerate() {
        let r = median(&rps[i]);
        let f = median(&fan[i]);
        if i == 0 {
            report.push(&format!("faults: {label}"), "GET throughput", r, "req/s");
            report.push(
                &format!("faults: {label}"),
                &format!("fan-out to {watchers} watchers"),
                f,
                "deliveries/s",
            );
        } else {
            report.push_vs(
                &format!("faults: {label}"),
                "GET throughput",
                r,
                "req/s",
                base_rps,
                r / base_rps,
            );
            report.push_vs(
                &format!("faults: {label}"),
                &format!("fan-out to {watchers} watchers"),
                f,
                "deliveries/s",
                base_fan,
                f / base_fan,
            );
        }
    }
    Ok(())
}

/// GETs per second from 16 concurrent tasks for `window`.
async fn throughput(e: &Endpoint, c: &reqwest::Client, window: Duration) -> Result<f64> {
    let deadline = Instant::now() + window;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let rb = e.get(c, "/api/v1/namespaces/default/configmaps/target");
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let Some(rb) = rb.try_clone() else { break };
                let r = rb.send().await?;
                if !r.status().is_success() {
                    bail!("GET: {}", r.status());
                }
                r.bytes().await?;
                n += 1;
            }
            Ok(n)
        }));
    }
    let t0 = Instant::now();
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / t0.elapsed().as_secs_f64().max(window.as_secs_f64()))
}

/// Deliveries per second: `watchers` watches, `events` creates.
async fn fanout(e: &Endpoint, watchers: usize, events: usize, tag: &str) -> Result<f64> {
    let writer = e.client()?;
    let ns = format!("fault-bench-{tag}-{}", rand::random::<u32>());
    let r = e
        .auth(writer.post(format!("{}/api/v1/namespaces", e.url)))
        .json(&json!({"metadata": {"name": ns}}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("create namespace: {}", r.status());
    }
    // One HTTP/2 connection per 100 watchers (kube-apiserver's stream
    // limit), each opened before its watches start.
    let mut clients = Vec::new();
    for _ in 0..watchers.div_ceil(100) {
        let c = e.client()?;
        e.get(&c, "/version").send().await?.bytes().await?;
        clients.push(c);
    }
    let mut handles = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(watchers.max(1));
    for w in 0..watchers {
        let rb = e.get(
            &clients[w / 100],
            &format!("/api/v1/namespaces/{ns}/configmaps?watch=true&timeoutSeconds=120"),
        );
        let ready = ready_tx.clone();
        handles.push(tokio::spawn(async move {
            let mut resp = rb.send().await?;
            let _ = ready.send(()).await;
            let mut seen = 0;
            while seen < events {
                let Some(chunk) =
                    tokio::time::timeout(Duration::from_secs(60), resp.chunk()).await??
                else {
                    bail!("watch ended after {seen} events");
                };
                seen += memchr::memchr_iter(b'\n', &chunk).count();
            }
            Ok(Instant::now())
        }));
    }
    drop(ready_tx);
    for _ in 0..watchers {
        ready_rx.recv().await;
    }
    let url = format!("{}/api/v1/namespaces/{ns}/configmaps", e.url);
    let t0 = Instant::now();
    for i in 0..events {
        e.auth(writer.post(&url))
            .json(&json!({"metadata": {"name": format!("c{i}")}}))
            .send()
            .await?
            .error_for_status()?;
    }
    let mut last = t0;
    for h in handles {
        last = last.max(h.await??);
    }
    Ok((events * watchers) as f64 / (last - t0).as_secs_f64())
}
