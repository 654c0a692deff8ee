//! `kubemock verify`: checks a recording against expectation files, either
//! fetched from a running kubemock (`--kubeconfig`, through the control
//! API) or read from a `--record` log (`--log`, offline). Prints the
//! report; the command fails (exit code 1) unless it is satisfied.
//!
//! The command line itself (clap) lives in [`crate::cli`].

use super::{read_log, ExpectationFile, ExpectationSet, RecordedRequest, Report, CONTROL_PREFIX};
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};

/// Where the recording comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A running kubemock, named by a kubeconfig.
    Kubeconfig(PathBuf),
    /// A JSON-lines recording (`serve --record FILE`).
    Log(PathBuf),
}

/// Reads expectation files (a directory means every `.yaml`/`.yml`/`.json`
/// file in it) into one set.
///
/// # Errors
/// A file that cannot be read or parsed.
pub fn load_expectations(paths: &[PathBuf]) -> Result<ExpectationSet> {
    let mut set = ExpectationSet::default();
    for p in paths {
        let files = if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    matches!(
                        f.extension().and_then(|e| e.to_str()),
                        Some("yaml" | "yml" | "json")
                    )
                })
                .collect();
            v.sort();
            v
        } else {
            vec![p.clone()]
        };
        for f in files {
            let file = ExpectationFile::read(&f).map_err(|e| anyhow!(e))?;
            set.add(file).map_err(|e| anyhow!("{}: {e}", f.display()))?;
        }
    }
    if set.is_empty() {
        bail!("no expectations in {paths:?}");
    }
    Ok(set)
}

/// Fetches the recording of a running kubemock.
///
/// # Errors
/// The kubeconfig cannot be read, the server cannot be reached, or it
/// answers something other than a recording.
pub async fn fetch_recording(kubeconfig: &Path) -> Result<Vec<RecordedRequest>> {
    let ep = crate::bench::target::Endpoint::from_kubeconfig(kubeconfig)?;
    let client = ep.client()?;
    let url = format!("{}{CONTROL_PREFIX}/recording", ep.url);
    let resp = ep
        .auth(client.get(&url))
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let body: serde_json::Value = resp
        .json()
        .await
        .with_context(|| format!("GET {url}: not JSON"))?;
    if !status.is_success() {
        bail!(
            "GET {url}: {status}: {}",
            body.get("message").and_then(|m| m.as_str()).unwrap_or("")
        );
    }
    let items = body
        .get("items")
        .cloned()
        .ok_or_else(|| anyhow!("GET {url}: no items (is this kubemock?)"))?;
    Ok(serde_json::from_value(items)?)
}

/// Runs `kubemock verify`; returns the report (the caller decides the exit
/// code from `satisfied`).
///
/// # Errors
/// As [`load_expectations`], [`fetch_recording`] and [`read_log`].
pub async fn run(source: &Source, expect: &[PathBuf]) -> Result<Report> {
    let set = load_expectations(expect)?;
    let requests = match source {
        Source::Kubeconfig(kc) => fetch_recording(kc).await?,
        Source::Log(path) => read_log(path).map_err(|e| anyhow!(e))?,
    };
    Ok(super::verify::verify(&set, &requests))
}
