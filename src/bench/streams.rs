//! Bench rows of the container streams (`crate::streams`): exec round trip
//! (WebSocket connect, `echo`, exit status, close) median and p99, and log
//! follow throughput. They run against an in-process kubemock on plain
//! HTTP (the streams machinery, not TLS, is what they measure), also when
//! `--against` names another server.

use super::{BenchOptions, Report};
use crate::streams::Script;
use anyhow::{Context, Result};
use futures::StreamExt;
use std::time::Instant;
use tokio_tungstenite::tungstenite::Message;

const SCRIPT: &str = r#"
containers:
  - match: {pod: bench-logs}
    logs:
      endAfterFollow: true
      follow: [{text: "LINE", repeat: COUNT}]
"#;

/// Runs the stream workloads and adds their rows.
pub async fn run(opts: &BenchOptions, report: &mut Report) -> Result<()> {
    // The full run's sizes (writes >= 1000), or a quick one.
    let full = opts.writes >= 1000;
    let (execs, lines) = if full { (1000, 100_000) } else { (50, 5_000) };
    let line = "x".repeat(1023);
    let script = SCRIPT
        .replace("LINE", &line)
        .replace("COUNT", &lines.to_string());
    let server = crate::MockServer::builder()
        .tls(crate::TlsMode::InsecureHttp)
        .scripts(Script::parse(&script, "bench").map_err(anyhow::Error::msg)?)
        .start()
        .await?;
    let http = reqwest::Client::new();
    let base = format!("http://{}", server.address());
    for name in ["bench-exec", "bench-logs"] {
        let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "busybox"}]}});
        http.post(format!("{base}/api/v1/namespaces/default/pods"))
            .json(&pod)
            .send()
            .await?
            .error_for_status()?;
        http.patch(format!(
            "{base}/api/v1/namespaces/default/pods/{name}/status"
        ))
        .header("Content-Type", "application/merge-patch+json")
        .body(r#"{"status":{"phase":"Running"}}"#)
        .send()
        .await?
        .error_for_status()?;
    }

    eprintln!("exec round trips ({execs})");
    let mut times = Vec::with_capacity(execs);
    for _ in 0..execs {
        let t = Instant::now();
        exec_echo(&server).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let w = format!("exec echo n={execs}");
    report.push(&w, "round trip median", pct(0.5), "ms");
    report.push(&w, "round trip p99", pct(0.99), "ms");

    eprintln!("log follow ({lines} lines of 1 KiB)");
    let t = Instant::now();
    let resp = http
        .get(format!(
            "{base}/api/v1/namespaces/default/pods/bench-logs/log?follow=true"
        ))
        .send()
        .await?
        .error_for_status()?;
    let mut body = resp.bytes_stream();
    let mut bytes = 0usize;
    while let Some(c) = body.next().await {
        bytes += c?.len();
    }
    let secs = t.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    report.push(
        &format!("log follow {lines} lines"),
        "throughput",
        if secs > 0.0 { mb / secs } else { 0.0 },
        "MB/s",
    );
    server.shutdown().await;
    Ok(())
}

/// One exec of `echo hi` over v5: connect, read to the status and close.
async fn exec_echo(server: &crate::MockServer) -> Result<()> {
    let url = format!(
        "ws://{}/api/v1/namespaces/default/pods/bench-exec/exec?command=echo&command=hi&stdout=true",
        server.address()
    );
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "v5.channel.k8s.io".parse()?);
    let tcp = tokio::net::TcpStream::connect(server.address()).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp)
        .await
        .context("exec upgrade")?;
    let mut status = false;
    while let Some(m) = ws.next().await {
        match m? {
            Message::Binary(b) if b.first() == Some(&3) => status = true,
            Message::Close(_) => break,
            _ => {}
        }
    }
    anyhow::ensure!(status, "exec ended without a status");
    Ok(())
}
