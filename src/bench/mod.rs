//! `kubemock bench`: measures kubemock (or any server, `--against`) on this
//! machine over real TLS HTTP, each figure next to a baseline measured in
//! the same run, and prints a table plus JSON.
//!
//! Workloads: start-up (exec → kubeconfig → first authenticated answer);
//! WatchList of N ~1 KiB configmaps to the end bookmark vs serialising the
//! same objects to JSON lines in memory; list (one page, and pages of 500);
//! creates and updates per second from concurrent clients; fan-out latency
//! to W watchers with an in-order, nothing-lost check; resident memory idle
//! and loaded vs the objects' JSON size; a flood of 16 clients sending
//! bodies over the 3 MiB limit (server RSS, and a GET's p50/p99 against
//! the same GETs without the flood).

pub mod auth;
mod cluster;
pub mod faults;
pub mod streams;
pub mod target;

use anyhow::{bail, Context, Result};
use futures::StreamExt;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use target::{Endpoint, Spawned};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Drive this server instead of spawning kubemock.
    pub against: Option<PathBuf>,
    /// Collection sizes for WatchList and list.
    pub sizes: Vec<usize>,
    /// Watcher counts for fan-out.
    pub watchers: Vec<usize>,
    /// Start-ups measured.
    pub starts: usize,
    /// Creates (and as many updates) for the write workload.
    pub writes: usize,
    /// Events written during each fan-out run.
    pub fanout_events: usize,
    /// Write rate during fan-out (events per second).
    pub fanout_rate: f64,
    /// Where to write the JSON report.
    pub json: Option<PathBuf>,
    /// How long each body-flood phase runs.
    pub flood: Duration,
    /// Only the cluster rows (`kubemock bench --only cluster`).
    pub cluster_only: bool,
}

impl BenchOptions {
    /// The full run (minutes).
    pub fn full() -> BenchOptions {
        BenchOptions {
            against: None,
            sizes: vec![1_000, 10_000, 100_000],
            watchers: vec![100, 1_000, 10_000],
            starts: 20,
            writes: 5_000,
            fanout_events: 40,
            fanout_rate: 20.0,
            json: None,
            flood: Duration::from_secs(5),
            cluster_only: false,
        }
    }

    /// A run of seconds, to keep the harness working in CI.
    pub fn quick() -> BenchOptions {
        BenchOptions {
            against: None,
            sizes: vec![200],
            watchers: vec![20],
            starts: 3,
            writes: 100,
            fanout_events: 5,
            fanout_rate: 50.0,
            json: None,
            flood: Duration::from_millis(800),
            cluster_only: false,
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Workload, e.g. `watchlist n=10000`.
    pub workload: String,
    /// What was measured, e.g. `time to end bookmark`.
    pub metric: String,
    /// The value.
    pub value: f64,
    /// Its unit (`ms`, `MiB`, `/s`...).
    pub unit: String,
    /// The same-run baseline it compares with, if any.
    pub baseline: Option<f64>,
    /// `baseline / value` for times (higher is better, 1.0 = at the
    /// baseline), `value / baseline` for memory.
    pub ratio: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// `kubemock` or the `--against` server URL.
    pub target: String,
    /// Every figure, in the order measured.
    pub rows: Vec<Row>,
}

impl Report {
    fn push(&mut self, workload: &str, metric: &str, value: f64, unit: &str) {
        eprintln!("  {workload:<28} {metric:<36} {value:>12.2} {unit}");
        self.rows.push(Row {
            workload: workload.into(),
            metric: metric.into(),
            value,
            unit: unit.into(),
            baseline: None,
            ratio: None,
        });
    }

    fn push_vs(
        &mut self,
        workload: &str,
        metric: &str,
        value: f64,
        unit: &str,
        baseline: f64,
        ratio: f64,
    ) {
        self.push(workload, metric, value, unit);
        if let Some(r) = self.rows.last_mut() {
            r.baseline = Some(baseline);
            r.ratio = Some(ratio);
        }
    }

    /// The table, as printed at the end.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| workload | metric | value | baseline | ratio |\n|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {:.2} {} | {} | {} |\n",
                r.workload,
                r.metric,
                r.value,
                r.unit,
                r.baseline
                    .map_or("".into(), |b| format!("{b:.2} {}", r.unit)),
                r.ratio.map_or("".into(), |x| format!("{x:.2}")),
            ));
        }
        out
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`-th percentile (0..=100) of unsorted samples.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[rank.min(s.len() - 1)]
}

fn median(samples: &[f64]) -> f64 {
    percentile(samples, 50.0)
}

/// Runs the benchmarks and returns the report (also printed and written).
pub async fn run(opts: BenchOptions) -> Result<Report> {
    let mut report = Report::default();
    if opts.cluster_only {
        report.target = "kubemock".into();
        cluster::run(&opts, &mut report).await?;
        println!("{}", report.table());
        if let Some(path) = &opts.json {
            std::fs::write(path, serde_json::to_vec_pretty(&report)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(report);
    }
    let mut spawned: Option<Spawned> = None;
    let endpoint = match &opts.against {
        Some(kc) => {
            report.target = kc.display().to_string();
            Endpoint::from_kubeconfig(kc)?
        }
        None => {
            report.target = "kubemock".into();
            let bin = target::kubemock_binary()?;
            eprintln!("start-up ({} starts of {})", opts.starts, bin.display());
            startup(&bin, opts.starts, &mut report).await?;
            let (s, _) =
                Spawned::start(&bin, &["--watch-history", "1000", "--controllers", "none"])?;
            let e = s.endpoint.clone();
            spawned = Some(s);
            e
        }
    };
    let client = endpoint.client()?;
    let v = endpoint.get(&client, "/version").send().await?;
    if !v.status().is_success() {
        bail!("GET /version: {}", v.status());
    }
    let run_id = rand::random::<u32>() % 1_000_000;
    let idle_rss = spawned.as_ref().and_then(Spawned::rss_bytes);
    let mut namespaces = Vec::new();
    let mut json_bytes = 0usize;
    // Populate everything first, so the memory figure is the store's own
    // (read workloads leave large freed buffers the allocator keeps).
    for &n in &opts.sizes {
        let ns = format!("bench-{run_id}-n{n}");
        create_namespace(&endpoint, &client, &ns).await?;
        eprintln!("populating {n} configmaps in {ns}");
        populate(&endpoint, &client, &ns, n).await?;
        namespaces.push(ns);
    }
    let loaded_rss = spawned.as_ref().and_then(Spawned::rss_bytes);
    for (&n, ns) in opts.sizes.iter().zip(namespaces.clone()) {
        let label = format!("n={n}");
        json_bytes += watch_list(&endpoint, &client, &ns, n, &label, &mut report).await?;
        list(&endpoint, &client, &ns, n, &label, &mut report).await?;
    }
    if let (Some(idle), Some(loaded)) = (idle_rss, loaded_rss) {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        report.push("memory", "RSS idle", mib(idle), "MiB");
        let objects = mib(json_bytes as u64);
        let growth = mib(loaded.saturating_sub(idle));
        report.push_vs(
            "memory",
            &format!(
                "RSS growth with {} objects (vs their JSON)",
                opts.sizes.iter().sum::<usize>()
            ),
            growth,
            "MiB",
            objects,
            if objects > 0.0 { growth / objects } else { 0.0 },
        );
    }
    let ns = format!("bench-{run_id}-writes");
    create_namespace(&endpoint, &client, &ns).await?;
    namespaces.push(ns.clone());
    writes(&endpoint, &client, &ns, opts.writes, &mut report).await?;
    let server_pid = spawned.as_ref().map(Spawned::pid);
    for streamed in [false, true] {
        body_flood(&endpoint, server_pid, opts.flood, streamed, &mut report).await?;
    }
    if opts.against.is_none() {
        auth::run(&target::kubemock_binary()?, opts.writes * 2, &mut report).await?;
    }
    for &w in &opts.watchers {
        let ns = format!("bench-{run_id}-fan{w}");
        create_namespace(&endpoint, &client, &ns).await?;
        namespaces.push(ns.clone());
        eprintln!("fan-out to {w} watchers in {ns}");
        let run = FanoutRun {
            watchers: w,
            events: opts.fanout_events,
            rate: opts.fanout_rate,
            server_pid: spawned.as_ref().map(Spawned::pid),
        };
        fanout(&endpoint, &ns, &run, &mut report).await?;
    }
    cluster::run(&opts, &mut report).await?;
    faults::run(&opts, &mut report).await?;
    streams::run(&opts, &mut report).await?;
    if opts.against.is_some() {
        for ns in &namespaces {
            let _ = endpoint
                .auth(client.delete(format!("{}/api/v1/namespaces/{ns}", endpoint.url)))
                .send()
                .await;
        }
    }
    println!("{}", report.table());
    if let Some(path) = &opts.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report)
}

async fn startup(bin: &std::path::Path, starts: usize, report: &mut Report) -> Result<()> {
    let mut to_kubeconfig = Vec::new();
    let mut to_answer = Vec::new();
    for _ in 0..starts {
        let t0 = Instant::now();
        let (s, kc) = Spawned::start(bin, &[])?;
        to_kubeconfig.push(ms(kc));
        let client = s.endpoint.client()?;
        let resp = s.endpoint.get(&client, "/version").send().await?;
        if !resp.status().is_success() {
            bail!("first request: {}", resp.status());
        }
        to_answer.push(ms(t0.elapsed()));
    }
    report.push(
        "start-up",
        "exec → kubeconfig, median",
        median(&to_kubeconfig),
        "ms",
    );
    report.push(
        "start-up",
        "exec → kubeconfig, p95",
        percentile(&to_kubeconfig, 95.0),
        "ms",
    );
    report.push(
        "start-up",
        "exec → first answer (TLS), median",
        median(&to_answer),
        "ms",
    );
    report.push(
        "start-up",
        "exec → first answer (TLS), p95",
        percentile(&to_answer, 95.0),
        "ms",
    );
    Ok(())
}

async fn create_namespace(e: &Endpoint, client: &reqwest::Client, ns: &str) -> Result<()> {
    let resp = e
        .auth(client.post(format!("{}/api/v1/namespaces", e.url)))
        .json(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("creating namespace {ns}: {}", resp.status());
    }
    Ok(())
}

fn configmap(name: &str, payload: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": payload}})
}

/// Creates `n` ~1 KiB configmaps with 32 requests in flight.
async fn populate(e: &Endpoint, client: &reqwest::Client, ns: &str, n: usize) -> Result<()> {
    let payload = "x".repeat(900);
    let url = format!("{}/api/v1/namespaces/{ns}/configmaps", e.url);
    let results: Vec<Result<()>> = futures::stream::iter(0..n)
        .map(|i| {
            let body = configmap(&format!("cm-{i:06}"), &payload);
            let rb = e.auth(client.post(&url)).json(&body);
            async move {
                let r = rb.send().await?;
                if !r.status().is_success() {
                    bail!("create: {}", r.status());
                }
                // Read the body: a dropped HTTP/2 response resets its stream,
                // and h2 gives up after 1024 local resets.
                r.bytes().await?;
                Ok(())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect()
}

/// WatchList to the end bookmark (median of 3) against serialising the
/// same objects as JSON event lines in memory. Returns the JSON size.
async fn watch_list(
    e: &Endpoint,
    client: &reqwest::Client,
    ns: &str,
    n: usize,
    label: &str,
    report: &mut Report,
) -> Result<usize> {
    let path = format!(
        "/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
    );
    let mut times = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let mut resp = e.get(client, &path).send().await?;
        if !resp.status().is_success() {
            bail!("watch-list: {}", resp.status());
        }
        let mut added = 0usize;
        let mut pending: Vec<u8> = Vec::new();
        'read: while let Some(chunk) = resp.chunk().await? {
            pending.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(off) = memchr::memchr(b'\n', &pending[start..]) {
                let line = &pending[start..start + off];
                if line.starts_with(b"{\"type\":\"ADDED\"") {
                    added += 1;
                } else if line.starts_with(b"{\"type\":\"BOOKMARK\"") {
                    times.push(t0.elapsed());
                    break 'read;
                }
                start += off + 1;
            }
            pending.drain(..start);
        }
        if added != n {
            bail!("watch-list: {added} ADDED events, expected {n}");
        }
    }
    // Baseline: the same objects as JSON lines, serialised in memory.
    let list: Value = e
        .get(client, &format!("/api/v1/namespaces/{ns}/configmaps"))
        .send()
        .await?
        .json()
        .await?;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let mut base = Vec::new();
    let mut size = 0;
    for _ in 0..3 {
        let t0 = Instant::now();
        let mut buf: Vec<u8> = Vec::with_capacity(items.len() * 1200);
        for item in &items {
            buf.extend_from_slice(b"{\"type\":\"ADDED\",\"object\":");
            serde_json::to_writer(&mut buf, item)?;
            buf.extend_from_slice(b"}\n");
        }
        base.push(t0.elapsed());
        size = buf.len();
    }
    let t = median(&times.iter().map(|d| ms(*d)).collect::<Vec<_>>());
    let b = median(&base.iter().map(|d| ms(*d)).collect::<Vec<_>>());
    report.push_vs(
        &format!("watchlist {label}"),
        "time to end bookmark (vs in-memory JSON)",
        t,
        "ms",
        b,
        if t > 0.0 { b / t } else { 0.0 },
    );
    Ok(size)
}

/// One full list, and the same list in pages of 500 (medians of 3).
async fn list(
    e: &Endpoint,
    client: &reqwest::Client,
    ns: &str,
    n: usize,
    label: &str,
    report: &mut Report,
) -> Result<()> {
    let base = format!("/api/v1/namespaces/{ns}/configmaps");
    let mut one = Vec::new();
    let mut paged = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let body = e.get(client, &base).send().await?.bytes().await?;
        one.push(ms(t0.elapsed()));
        if body.is_empty() {
            bail!("empty list");
        }
        let t0 = Instant::now();
        let mut cont = String::new();
        let mut count = 0usize;
        loop {
            let q = if cont.is_empty() {
                format!("{base}?limit=500")
            } else {
                format!("{base}?limit=500&continue={cont}")
            };
            let page: Value = e.get(client, &q).send().await?.json().await?;
            count += page["items"].as_array().map_or(0, Vec::len);
            cont = page["metadata"]["continue"]
                .as_str()
                .unwrap_or("")
                .to_string();
            if cont.is_empty() {
                break;
            }
        }
        paged.push(ms(t0.elapsed()));
        if count != n {
            bail!("paginated list returned {count} objects, expected {n}");
        }
    }
    report.push(&format!("list {label}"), "one page", median(&one), "ms");
    report.push(
        &format!("list {label}"),
        "pages of 500",
        median(&paged),
        "ms",
    );
    Ok(())
}

/// Creates, then unconditional updates, with 16 requests in flight.
async fn writes(
    e: &Endpoint,
    client: &reqwest::Client,
    ns: &str,
    n: usize,
    report: &mut Report,
) -> Result<()> {
    let url = format!("{}/api/v1/namespaces/{ns}/configmaps", e.url);
    for phase in ["creates", "updates"] {
        let t0 = Instant::now();
        let results: Vec<Result<()>> = futures::stream::iter(0..n)
            .map(|i| {
                let name = format!("w-{i:06}");
                let rb = if phase == "creates" {
                    e.auth(client.post(&url)).json(&configmap(&name, "a"))
                } else {
                    e.auth(client.put(format!("{url}/{name}")))
                        .json(&configmap(&name, "b"))
                };
                async move {
                    let r = rb.send().await?;
                    if !r.status().is_success() {
                        bail!("{phase}: {}", r.status());
                    }
                    r.bytes().await?;
                    Ok(())
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        results.into_iter().collect::<Result<()>>()?;
        let secs = t0.elapsed().as_secs_f64();
        report.push(
            "writes (16 clients)",
            phase,
            n as f64 / secs.max(1e-9),
            "/s",
        );
    }
    Ok(())
}

/// Clients sending oversized bodies during a body flood.
const FLOOD_CLIENTS: usize = 16;

/// Resident memory of a process in bytes (Linux `/proc`).
fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// GETs of one namespace, back to back for `d`; latencies in ms.
async fn get_latencies(e: &Endpoint, client: &reqwest::Client, d: Duration) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    let t_end = Instant::now() + d;
    while Instant::now() < t_end || out.len() < 20 {
        let t0 = Instant::now();
        let r = e.get(client, "/api/v1/namespaces/default").send().await?;
        if !r.status().is_success() {
            bail!("GET during body flood: {}", r.status());
        }
        r.bytes().await?;
        out.push(ms(t0.elapsed()));
    }
    Ok(out)
}

/// 16 clients send 3 MiB + 1 byte bodies (each refused with 413) while a
/// normal GET is timed; the same GETs without the flood are the baseline.
/// `streamed`: bodies without a declared length (read up to the limit);
/// else with `Content-Length` (refused before reading).
async fn body_flood(
    e: &Endpoint,
    server_pid: Option<u32>,
    d: Duration,
    streamed: bool,
    report: &mut Report,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let size = crate::http::limits::MAX_REQUEST_BODY_BYTES as usize + 1;
    let label = format!(
        "body flood ({FLOOD_CLIENTS} × 3 MiB+1, {})",
        if streamed {
            "streamed"
        } else {
            "Content-Length"
        }
    );
    eprintln!("{label}");
    let getter = e.client()?;
    let quiet = get_latencies(e, &getter, d).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let payload = bytes::Bytes::from(vec![b' '; size]);
    let url = format!("{}/api/v1/namespaces/default/configmaps", e.url);
    let mut flood = Vec::new();
    for _ in 0..FLOOD_CLIENTS {
        let client = e.client()?;
        let (e, url, payload) = (e.clone(), url.clone(), payload.clone());
        let (stop, refused, other, failed) = (
            Arc::clone(&stop),
            Arc::clone(&refused),
            Arc::clone(&other),
            Arc::clone(&failed),
        );
        flood.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let body = if streamed {
                    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = payload
                        .chunks(64 * 1024)
                        .map(|c| Ok(payload.slice_ref(c)))
                        .collect();
                    reqwest::Body::wrap_stream(futures::stream::iter(chunks))
                } else {
                    reqwest::Body::from(payload.clone())
                };
                let rb = e
                    .auth(client.post(&url))
                    .header("content-type", "application/json")
                    .body(body);
                match rb.send().await {
                    Ok(r) if r.status().as_u16() == 413 => {
                        let _ = r.bytes().await;
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {
                        other.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let max_rss = Arc::new(AtomicU64::new(0));
    let sampler = server_pid.map(|pid| {
        let (stop, max_rss) = (Arc::clone(&stop), Arc::clone(&max_rss));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Some(b) = rss_of(pid) {
                    max_rss.fetch_max(b, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    });
    let loaded = get_latencies(e, &getter, d).await;
    stop.store(true, Ordering::Relaxed);
    for h in flood {
        let _ = h.await;
    }
    if let Some(h) = sampler {
        let _ = h.await;
    }
    let loaded = loaded?;
    if server_pid.is_some() {
        let mib = max_rss.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
        report.push(&label, "server RSS max during flood", mib, "MiB");
    }
    let (p50, p99, base99) = (
        percentile(&loaded, 50.0),
        percentile(&loaded, 99.0),
        percentile(&quiet, 99.0),
    );
    report.push(&label, "GET p50 during flood", p50, "ms");
    report.push_vs(
        &label,
        "GET p99 during flood (vs without)",
        p99,
        "ms",
        base99,
        if p99 > 0.0 { base99 / p99 } else { 0.0 },
    );
    report.push(&label, "GET p99 without flood", base99, "ms");
    let refused = refused.load(Ordering::Relaxed);
    let other = other.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    report.push(&label, "bodies refused with 413", refused as f64, "");
    report.push(&label, "other answers", other as f64, "");
    report.push(&label, "transport errors", failed as f64, "");
    if refused == 0 || other > 0 {
        bail!("{label}: {refused} refused with 413, {other} other answers");
    }
    Ok(())
}

/// One fan-out run's parameters.
struct FanoutRun {
    watchers: usize,
    events: usize,
    /// Writes per second.
    rate: f64,
    /// The spawned server, whose CPU time per delivery is reported.
    server_pid: Option<u32>,
}

/// W watchers on one namespace; events written at a fixed rate; latency
/// from the write being sent to each watcher reading it, and a check that
/// every watcher saw every event in order.
async fn fanout(e: &Endpoint, ns: &str, run: &FanoutRun, report: &mut Report) -> Result<()> {
    let FanoutRun {
        watchers,
        events,
        rate,
        server_pid,
    } = *run;
    let writer = e.client()?;
    let url = format!("{}/api/v1/namespaces/{ns}/configmaps", e.url);
    let created: Value = e
        .auth(writer.post(&url))
        .json(&configmap("fan", "start"))
        .send()
        .await?
        .json()
        .await?;
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("0")
        .to_string();
    // One HTTP/2 connection per 100 watchers, as an informer shares its
    // client's connection. Each client's connection is opened (and HTTP/2
    // agreed by ALPN) before its watches start: requests issued together on
    // a fresh client would each open a connection of their own.
    let mut clients: Vec<reqwest::Client> = Vec::new();
    for _ in 0..watchers.div_ceil(100) {
        let c = e.client()?;
        let r = e.get(&c, "/version").send().await?;
        if !r.status().is_success() {
            bail!("GET /version: {}", r.status());
        }
        r.bytes().await?;
        clients.push(c);
    }
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(watchers.max(1));
    let mut handles = Vec::with_capacity(watchers);
    for w in 0..watchers {
        let rb = e.get(
            &clients[w / 100],
            &format!("/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=300"),
        );
        let ready = ready_tx.clone();
        handles.push(tokio::spawn(async move {
            let mut got: Vec<(usize, Instant)> = Vec::with_capacity(events);
            let mut resp = rb.send().await?;
            if !resp.status().is_success() {
                bail!("watch: {}", resp.status());
            }
            let _ = ready.send(()).await;
            let mut pending: Vec<u8> = Vec::new();
            while got.len() < events {
                let Some(chunk) =
                    tokio::time::timeout(Duration::from_secs(60), resp.chunk()).await??
                else {
                    break;
                };
                let now = Instant::now();
                pending.extend_from_slice(&chunk);
                let mut start = 0;
                while let Some(off) = memchr::memchr(b'\n', &pending[start..]) {
                    if let Some(seq) = seq_of(&pending[start..start + off]) {
                        got.push((seq, now));
                    }
                    start += off + 1;
                }
                pending.drain(..start);
            }
            Ok(got)
        }));
    }
    drop(ready_tx);
    for _ in 0..watchers {
        if ready_rx.recv().await.is_none() {
            break;
        }
    }
    eprintln!("{watchers} watchers ready; writing {events} events at {rate}/s");
    // CPU spent from the first write until every watcher has read every
    // event, by the server and by this harness (writer and watchers).
    let cpu_before = (
        server_pid.and_then(target::cpu_seconds),
        target::cpu_seconds(std::process::id()),
    );
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; events]));
    let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let mut tick = tokio::time::interval(period);
    for i in 0..events {
        tick.tick().await;
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fan"}, "data": {"seq": i.to_string()}});
        if let Ok(mut s) = sent.lock() {
            s[i] = Some(Instant::now());
        }
        let r = e
            .auth(writer.put(format!("{url}/fan")))
            .json(&body)
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("fan-out write: {}", r.status());
        }
        r.bytes().await?;
    }
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let mut latencies = Vec::with_capacity(watchers * events);
    let mut lost = 0usize;
    let mut out_of_order = 0usize;
    for h in handles {
        let got = h.await??;
        if got.len() < events {
            lost += events - got.len();
        }
        for (k, (seq, at)) in got.iter().enumerate() {
            if *seq != k {
                out_of_order += 1;
            }
            if let Some(Some(t)) = sent.get(*seq) {
                latencies.push(ms(at.saturating_duration_since(*t)));
            }
        }
    }
    let cpu_after = (
        server_pid.and_then(target::cpu_seconds),
        target::cpu_seconds(std::process::id()),
    );
    let label = format!("fan-out w={watchers}");
    let deliveries = (watchers * events).max(1) as f64;
    let per_delivery =
        |before: Option<f64>, after: Option<f64>| Some((after? - before?) * 1e6 / deliveries);
    if let Some(us) = per_delivery(cpu_before.0, cpu_after.0) {
        report.push(&label, "server CPU per delivery", us, "µs");
    }
    if let Some(us) = per_delivery(cpu_before.1, cpu_after.1) {
        report.push(&label, "harness CPU per delivery", us, "µs");
    }
    report.push(
        &label,
        "delivery latency p50",
        percentile(&latencies, 50.0),
        "ms",
    );
    report.push(
        &label,
        "delivery latency p99",
        percentile(&latencies, 99.0),
        "ms",
    );
    report.push(
        &label,
        "delivery latency max",
        percentile(&latencies, 100.0),
        "ms",
    );
    report.push(&label, "events lost", lost as f64, "");
    report.push(&label, "events out of order", out_of_order as f64, "");
    if lost > 0 || out_of_order > 0 {
        bail!("fan-out w={watchers}: {lost} events lost, {out_of_order} out of order");
    }
    Ok(())
}

/// The `seq` value in a watch event line of the fan-out configmap.
fn seq_of(line: &[u8]) -> Option<usize> {
    let at = memchr::memmem::find(line, b"\"seq\":\"")? + 7;
    let end = memchr::memchr(b'"', &line[at..])? + at;
    std::str::from_utf8(&line[at..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let s = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&s, 50.0), 3.0);
        assert_eq!(percentile(&s, 100.0), 5.0);
        assert_eq!(percentile(&s, 0.0), 1.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn seq_extraction() {
        assert_eq!(
            seq_of(br#"{"type":"MODIFIED","object":{"data":{"seq":"17"}}}"#),
            Some(17)
        );
        assert_eq!(seq_of(b"{}"), None);
    }
}
