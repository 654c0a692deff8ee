//! The authorization cost per request: a user whose access comes from a
//! RoleBinding, among 1,000 RoleBindings in its namespace, reading a
//! ConfigMap under `--authorization-mode RBAC`, against the same requests
//! under `AlwaysAllow`, two `kubemock serve` processes set up alike and
//! measured in alternating rounds of the same run.

use super::target::{Endpoint, Spawned};
use super::Report;
use anyhow::{bail, Result};
use futures::StreamExt;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// RoleBindings in the user's namespace.
pub const BINDINGS: usize = 1_000;
const NS: &str = "bench-auth";
const TOKEN: &str = "bench-auth-token";
const CLIENTS: usize = 16;
/// Alternating rounds; the best of each side is reported (the least
/// disturbed by other load on the machine).
const ROUNDS: usize = 5;

async fn post(
    e: &Endpoint,
    c: &reqwest::Client,
    path: &str,
    body: serde_json::Value,
) -> Result<()> {
    let r = e
        .auth(c.post(format!("{}{path}", e.url)))
        .json(&body)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!(
            "POST {path}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// The namespace, a ConfigMap, a Role reading it, and 1,000 RoleBindings
/// of that Role; only the last binds the bench user.
async fn populate(admin: &Endpoint) -> Result<()> {
    let c = admin.client()?;
    post(
        admin,
        &c,
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
    )
    .await?;
    post(admin, &c, &format!("/api/v1/namespaces/{NS}/configmaps"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target"}, "data": {"k": "v"}})).await?;
    let rbac = format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}");
    post(admin, &c, &format!("{rbac}/roles"), json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]})).await?;
    let results: Vec<Result<()>> = futures::stream::iter(0..BINDINGS)
        .map(|i| {
            let user = if i + 1 == BINDINGS { "bench-user".to_string() } else { format!("other-{i}") };
            let body = json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": format!("rb-{i:04}")},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]});
            let (c, path) = (c.clone(), format!("{rbac}/rolebindings"));
            async move { post(admin, &c, &path, body).await }
        })
        .buffer_unordered(CLIENTS)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Requests per second of `n` GETs of the ConfigMap as the bench user
/// (over the client's already open connections).
async fn throughput(user: &Endpoint, c: &reqwest::Client, n: usize) -> Result<f64> {
    let url = format!("{}/api/v1/namespaces/{NS}/configmaps/target", user.url);
    let t0 = Instant::now();
    let results: Vec<Result<()>> = futures::stream::iter(0..n)
        .map(|_| {
            let rb = user.auth(c.get(&url));
            async move {
                let r = rb.send().await?;
                if !r.status().is_success() {
                    bail!("GET as bench-user: {}", r.status());
                }
                r.bytes().await?;
                Ok(())
            }
        })
        .buffer_unordered(CLIENTS)
        .collect()
        .await;
    results.into_iter().collect::<Result<()>>()?;
    Ok(n as f64 / t0.elapsed().as_secs_f64().max(1e-9))
}

/// Runs the comparison and adds its row.
pub async fn run(bin: &Path, requests: usize, report: &mut Report) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, format!("{TOKEN},bench-user,1001\n"))?;
    let tokens = tokens.to_string_lossy().into_owned();
    let mut servers = Vec::new();
    for mode in ["RBAC", "AlwaysAllow"] {
        let (s, _) = Spawned::start(
            bin,
            &["--token-auth-file", &tokens, "--authorization-mode", mode],
        )?;
        eprintln!("authorization {mode}: {BINDINGS} RoleBindings");
        populate(&s.endpoint).await?;
        let user = Endpoint {
            token: Some(TOKEN.into()),
            ..s.endpoint.clone()
        };
        let client = user.client()?;
        // Warm up (connections, the RBAC index).
        throughput(&user, &client, CLIENTS * 8).await?;
        servers.push((s, user, client));
    }
    let requests = requests.max(500);
    let (mut r, mut a) = (0f64, 0f64);
    for _ in 0..ROUNDS {
        r = r.max(throughput(&servers[0].1, &servers[0].2, requests).await?);
        a = a.max(throughput(&servers[1].1, &servers[1].2, requests).await?);
    }
    report.push_vs(
        &format!("authorization ({CLIENTS} clients, GET)"),
        &format!("RBAC, {BINDINGS} RoleBindings (vs AlwaysAllow)"),
        r,
        "/s",
        a,
        if a > 0.0 { r / a } else { 0.0 },
    );
    Ok(())
}
