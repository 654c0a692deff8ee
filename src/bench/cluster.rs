//! Cluster rows of `kubemock bench` (issue 15): how fast kubemock's
//! controllers take pods to Running and a Deployment to a finished rollout,
//! with every lifecycle delay 0 and at the default delays, and the pods
//! per second they sustain over 10,000 pods (bounded: a run that does not
//! finish in [`SUSTAINED_LIMIT`] reports the pods Running by then). Each
//! row runs its own in-process server; clients create over HTTP,
//! completion is seen on the store's watch (no polling load on the server).
//!
//! Published figures to read them beside (as their authors state them,
//! other hardware, not re-measured here): KWOK's README
//! (kubernetes-sigs/kwok) says it "can create 20 nodes or pods per second"
//! and "reliably maintain 1k nodes and 100k pods"; kind publishes no pod
//! rate, and its cluster start alone takes 30 s and more (issue 15).

use super::target::Endpoint;
use super::{BenchOptions, Report};
use crate::store::{GroupResource, WatchStart};
use anyhow::{bail, Context as _, Result};
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(300);

/// Bound of the sustained-pods row.
pub const SUSTAINED_LIMIT: Duration = Duration::from_secs(120);

/// Runs the cluster rows (in-process; skipped with `--against`).
pub(super) async fn run(opts: &BenchOptions, report: &mut Report) -> Result<()> {
    if opts.against.is_some() {
        return Ok(());
    }
    let pods = opts.writes.clamp(100, 1_000);
    let replicas = (opts.writes / 50).clamp(10, 100);
    // 10,000 pods in the full run (writes 5,000), 200 in the quick one.
    let sustained = (opts.writes * 2).clamp(200, 10_000);
    for (label, lifecycle) in [
        ("delays=0", crate::cluster::Lifecycle::immediate()),
        ("default delays", crate::cluster::Lifecycle::default()),
    ] {
        eprintln!("cluster: {pods} pods to Running ({label})");
        let secs = pods_to_running(pods, lifecycle.clone()).await?;
        let workload = format!("cluster pods n={pods} {label}");
        report.push(&workload, "all Running after", secs * 1000.0, "ms");
        report.push(
            &workload,
            "pods to Running per second",
            pods as f64 / secs,
            "pods/s",
        );
        eprintln!("cluster: {sustained} pods sustained ({label})");
        let (running, secs) = pods_sustained(sustained, lifecycle.clone()).await?;
        let workload = format!("cluster pods n={sustained} {label}");
        if running < sustained {
            eprintln!(
                "cluster: {running} of {sustained} pods Running after {}s (bound)",
                SUSTAINED_LIMIT.as_secs()
            );
        }
        report.push(&workload, "pods Running", running as f64, "pods");
        report.push(
            &workload,
            "pods to Running per second (sustained)",
            running as f64 / secs,
            "pods/s",
        );
        eprintln!("cluster: deployment replicas={replicas} ({label})");
        let secs = rollout(replicas, lifecycle).await?;
        report.push(
            &format!("cluster deployment replicas={replicas} {label}"),
            "create to rollout complete",
            secs * 1000.0,
            "ms",
        );
    }
    Ok(())
}

async fn server(
    lifecycle: crate::cluster::Lifecycle,
) -> Result<(crate::MockServer, Endpoint, reqwest::Client)> {
    let server = crate::MockServer::builder()
        .lifecycle(lifecycle)
        .watch_history(1_000)
        .start()
        .await?;
    let endpoint = Endpoint::from_kubeconfig(server.kubeconfig_path())?;
    let client = endpoint.client()?;
    Ok((server, endpoint, client))
}

fn running(obj: &Value) -> bool {
    obj.pointer("/status/phase").and_then(Value::as_str) == Some("Running")
}

/// Seconds from the first create to every pod Running.
async fn pods_to_running(n: usize, lifecycle: crate::cluster::Lifecycle) -> Result<f64> {
    let (server, e, client) = server(lifecycle).await?;
    let mut sub = server
        .state()
        .store
        .subscribe(&GroupResource::new("", "pods"), WatchStart::Now)
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let started = Instant::now();
    let url = format!("{}/api/v1/namespaces/default/pods", e.url);
    let creates = futures::stream::iter(0..n)
        .map(|i| {
            let req = e.auth(client.post(&url)).json(&json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("bench-{i}")},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}
            }));
            async move { req.send().await }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>();
    let wait = async {
        let mut done = std::collections::HashSet::new();
        while done.len() < n {
            let Some(ev) = sub.events.recv().await else {
                bail!("the pod watch closed");
            };
            let obj = ev.object.to_value();
            if running(&obj) {
                done.insert(ev.key.name.clone());
            }
        }
        Ok(())
    };
    let (results, waited) = tokio::time::timeout(LIMIT, futures::future::join(creates, wait))
        .await
        .context("pods did not all run in time")?;
    waited?;
    for r in results {
        let r = r?;
        if !r.status().is_success() {
            bail!("creating a pod: {}", r.status());
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Creates `n` pods (32 clients) while counting them Running on the
/// watch; stops at all Running or [`SUSTAINED_LIMIT`]: (pods Running,
/// seconds).
async fn pods_sustained(n: usize, lifecycle: crate::cluster::Lifecycle) -> Result<(usize, f64)> {
    let (server, e, client) = server(lifecycle).await?;
    let mut sub = server
        .state()
        .store
        .subscribe(&GroupResource::new("", "pods"), WatchStart::Now)
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let started = Instant::now();
    let url = format!("{}/api/v1/namespaces/default/pods", e.url);
    let creates = futures::stream::iter(0..n)
        .map(|i| {
            let req = e.auth(client.post(&url)).json(&json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("load-{i}")},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}
            }));
            async move { req.send().await.map(|r| r.status().is_success()) }
        })
        .buffer_unordered(32)
        .fold(0usize, |failed, ok| async move {
            failed + usize::from(!matches!(ok, Ok(true)))
        });
    let mut done = std::collections::HashSet::new();
    let store = &server.state().store;
    let wait = async {
        while done.len() < n {
            let Some(ev) = sub.events.recv().await else {
                // Fell behind and was closed: take the collection as it is
                // and watch on from there.
                let Ok(mut again) =
                    store.subscribe(&GroupResource::new("", "pods"), WatchStart::Snapshot)
                else {
                    break;
                };
                if let Some(snap) = again.initial.take() {
                    for (key, obj) in snap.objects.iter() {
                        if running(&obj.to_value()) {
                            done.insert(key.name.clone());
                        }
                    }
                }
                sub = again;
                continue;
            };
            let obj = ev.object.to_value();
            if running(&obj) {
                done.insert(ev.key.name.clone());
            }
        }
    };
    let deadline = tokio::time::sleep(SUSTAINED_LIMIT);
    let failed = tokio::select! {
        (failed, ()) = futures::future::join(creates, wait) => failed,
        () = deadline => 0,
    };
    if failed > 0 {
        bail!("{failed} of {n} pod creates failed");
    }
    let secs = started.elapsed().as_secs_f64();
    Ok((done.len(), secs))
}

/// Seconds from the Deployment's create to its rollout complete.
async fn rollout(replicas: usize, lifecycle: crate::cluster::Lifecycle) -> Result<f64> {
    let (server, e, client) = server(lifecycle).await?;
    let mut sub = server
        .state()
        .store
        .subscribe(&GroupResource::new("apps", "deployments"), WatchStart::Now)
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let started = Instant::now();
    let resp = e
        .auth(client.post(format!(
            "{}/apis/apps/v1/namespaces/default/deployments",
            e.url
        )))
        .json(&json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "bench"}},
                "template": {"metadata": {"labels": {"app": "bench"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
        }))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("creating the deployment: {}", resp.status());
    }
    let done = |d: &Value| {
        let n = |p: &str| d.pointer(p).and_then(Value::as_u64).unwrap_or(0) as usize;
        n("/status/updatedReplicas") == replicas
            && n("/status/availableReplicas") == replicas
            && n("/status/replicas") == replicas
            && n("/status/observedGeneration") == n("/metadata/generation")
    };
    tokio::time::timeout(LIMIT, async {
        loop {
            let Some(ev) = sub.events.recv().await else {
                bail!("the deployment watch closed");
            };
            if done(&ev.object.to_value()) {
                return Ok(());
            }
        }
    })
    .await
    .context("the rollout did not complete in time")??;
    Ok(started.elapsed().as_secs_f64())
}
