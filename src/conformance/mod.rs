//! `kubemock conformance`: runs the conformance cases of
//! `conformance/cases/` against any kube-apiserver (a kubeconfig's server,
//! or kubemock itself in-process with `--self`) and reports per case.
//!
//! Each case runs in its own namespace (`kc-<id>-<random>`), creates what it
//! needs, sends one request, checks status, headers, body and (for watches)
//! the event sequence while performing actions on the open stream, and
//! deletes its namespaces. Cases carry version ranges and gate requirements;
//! the server version comes from `/version` unless given.

pub mod case;
pub mod matchers;
pub mod report;

use crate::bench::target::Endpoint;
use anyhow::{anyhow, bail, Context, Result};
use case::{Case, Request, VersionRange, When};
use futures::StreamExt;
use matchers::{match_value, Mode, Vars};
use report::{CaseResult, Failure, Outcome, RunReport};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The User-Agent of every request the suite sends.
pub const USER_AGENT: &str = concat!("kubemock-conformance/", env!("CARGO_PKG_VERSION"));

/// Options of a run (the flags of `kubemock conformance`).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Kubeconfig (default: `$KUBECONFIG`, then `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// Context to use instead of the current one.
    pub context: Option<String>,
    /// Only cases whose id or `group/id` matches this regex.
    pub run: Option<String>,
    /// Write JUnit XML here.
    pub junit: Option<PathBuf>,
    /// Write the JSON report here.
    pub json: Option<PathBuf>,
    /// The server's version (`1.33`), instead of asking `/version`; with
    /// `--self`, the version kubemock emulates.
    pub emulate_version: Option<String>,
    /// Feature gates of the server (`WatchList=false`) when they differ from
    /// the version's defaults; with `--self` also passed to kubemock.
    pub feature_gates: Option<String>,
    /// Start kubemock in-process and run against it.
    pub self_test: bool,
    /// Cases run at once (default 4).
    pub jobs: usize,
    /// Read cases from this directory instead of the compiled-in ones.
    pub cases_dir: Option<PathBuf>,
    /// Print a progress line per case and the failure report.
    pub progress: bool,
    /// With `--self`: start kubemock with `--anonymous-auth=false` (the
    /// suite learns the setting of other servers by asking).
    pub no_anonymous: bool,
}

/// The server under test.
struct Target {
    endpoint: Endpoint,
    client: reqwest::Client,
    minor: u32,
    watch_list: bool,
    /// A client without credentials (no client certificate), for `auth: false`.
    anonymous_client: reqwest::Client,
    /// Whether the server lets requests without credentials in as
    /// `system:anonymous` (`--anonymous-auth`), learned from `/version`.
    anonymous: bool,
}

/// Runs the suite; prints progress when asked, writes the reports, and
/// returns the result (the caller decides the exit status).
pub async fn run(opts: &Options) -> Result<RunReport> {
    let cases = case::load(opts.cases_dir.as_deref())?;
    let filter = match &opts.run {
        Some(re) => Some(regex::Regex::new(re).with_context(|| format!("--run {re:?}"))?),
        None => None,
    };
    let gate_override = match &opts.feature_gates {
        Some(g) => {
            crate::profile::parse_feature_gates(g).map_err(|e| anyhow!("--feature-gates: {e}"))?
        }
        None => None,
    };
    // Keep the in-process server alive for the whole run.
    let mut _server = None;
    let endpoint = if opts.self_test {
        // The cases describe a bare kube-apiserver (no controllers: no
        // kube-root-ca.crt in a fresh namespace, pods stay Pending).
        let mut b = crate::MockServer::builder().controllers("none");
        if let Some(v) = &opts.emulate_version {
            b = b.emulate_version(v.clone());
        }
        if let Some(g) = &opts.feature_gates {
            b = b.feature_gates(g.clone());
        }
        if opts.no_anonymous {
            b = b.anonymous_auth(false);
        }
        let server = b.start().await.context("starting kubemock in-process")?;
        let ep = Endpoint {
            url: server.url().to_string(),
            token: server.token().map(str::to_string),
            ca_pem: server.ca_pem().map(|p| p.as_bytes().to_vec()),
            insecure: false,
            identity_pem: None,
        };
        _server = Some(server);
        ep
    } else {
        let path = match &opts.kubeconfig {
            Some(p) => p.clone(),
            None => default_kubeconfig()?,
        };
        Endpoint::from_kubeconfig_context(&path, opts.context.as_deref())?
    };
    let client = endpoint.client()?;
    let minor = match &opts.emulate_version {
        Some(v) => parse_minor(v)?,
        None => server_minor(&endpoint, &client).await?,
    };
    let watch_list = gate_override.unwrap_or(minor == 32 || minor >= 34);
    let anonymous_client = Endpoint {
        token: None,
        identity_pem: None,
        ..endpoint.clone()
    }
    .client()?;
    let anonymous = anonymous_auth(&endpoint, &anonymous_client).await?;
    let target = Arc::new(Target {
        endpoint,
        client,
        minor,
        watch_list,
        anonymous_client,
        anonymous,
    });
    let selected: Vec<Case> = cases
        .into_iter()
        .filter(|c| {
            filter.as_ref().is_none_or(|re| {
                re.is_match(&c.id) || re.is_match(&format!("{}/{}", c.group_name(), c.id))
            })
        })
        .collect();
    let total = selected.len();
    if opts.progress {
        println!(
            "kubemock conformance: {} cases against {} (version 1.{minor}, WatchList={watch_list}, AnonymousAuth={anonymous})",
            total, target.endpoint.url
        );
    }
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let jobs = opts.jobs.max(1);
    let progress = opts.progress;
    let mut results: Vec<(usize, CaseResult)> =
        futures::stream::iter(selected.into_iter().enumerate())
            .map(|(i, case)| {
                let target = Arc::clone(&target);
                let done = Arc::clone(&done);
                async move {
                    let r = run_or_skip(&target, &case).await;
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    if progress {
                        println!("{}", progress_line(n, total, &r));
                    }
                    (i, r)
                }
            })
            .buffer_unordered(jobs)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    let cases: Vec<CaseResult> = results.into_iter().map(|(_, r)| r).collect();
    let count = |o: Outcome| cases.iter().filter(|c| c.outcome == o).count();
    let report = RunReport {
        server: target.endpoint.url.clone(),
        version: format!("1.{minor}"),
        gates: format!("WatchList={watch_list},AnonymousAuth={anonymous}"),
        passed: count(Outcome::Passed),
        failed: count(Outcome::Failed),
        skipped: count(Outcome::Skipped),
        seconds: started.elapsed().as_secs_f64(),
        cases,
    };
    if let Some(p) = &opts.junit {
        std::fs::write(p, report.junit()).with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &opts.json {
        std::fs::write(p, report.json()).with_context(|| format!("writing {}", p.display()))?;
    }
    if opts.progress {
        let failed: Vec<&CaseResult> = report
            .cases
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .collect();
        if !failed.is_empty() {
            println!("\nFailures:");
            for c in failed {
                println!("\n--- FAIL {} [{}]: {}", c.id, c.group, c.description);
                if let Some(f) = &c.failure {
                    print!("{}", f.render());
                }
            }
            println!();
        }
        println!("run time {:.1}s", report.seconds);
        println!("{}", report.summary());
    }
    Ok(report)
}

fn progress_line(n: usize, total: usize, r: &CaseResult) -> String {
    let w = total.to_string().len();
    match r.outcome {
        Outcome::Passed => format!("[{n:>w$}/{total}] PASS {} ({:.2}s)", r.id, r.seconds),
        Outcome::Skipped => format!(
            "[{n:>w$}/{total}] SKIP {}: {}",
            r.id,
            r.skip_reason.as_deref().unwrap_or("")
        ),
        Outcome::Failed => format!(
            "[{n:>w$}/{total}] FAIL {} ({:.2}s): {}",
            r.id,
            r.seconds,
            r.failure.as_ref().map(|f| f.reason.as_str()).unwrap_or("")
        ),
    }
}

/// `$KUBECONFIG` (its first existing entry), else `~/.kube/config`.
pub fn default_kubeconfig() -> Result<PathBuf> {
    if let Some(v) = std::env::var_os("KUBECONFIG") {
        for p in std::env::split_paths(&v) {
            if !p.as_os_str().is_empty() && p.exists() {
                return Ok(p);
            }
        }
    }
    let home =
        std::env::var_os("HOME").ok_or_else(|| anyhow!("no --kubeconfig, $KUBECONFIG or $HOME"))?;
    let p = PathBuf::from(home).join(".kube").join("config");
    if p.exists() {
        Ok(p)
    } else {
        bail!("no kubeconfig: pass --kubeconfig, set $KUBECONFIG, or create ~/.kube/config (or use --self)")
    }
}

fn parse_minor(v: &str) -> Result<u32> {
    let v = v.trim().trim_start_matches('v');
    let mut it = v.split('.');
    let (major, minor) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
    let digits: String = minor.chars().take_while(char::is_ascii_digit).collect();
    if major != "1" || digits.is_empty() {
        bail!("version {v:?}: expected 1.<minor>");
    }
    Ok(digits.parse()?)
}

/// The server's minor version from `/version` (the emulated one if set).
/// Whether the server authenticates requests without credentials as
/// `system:anonymous`: `/version` without credentials answers 401 only
/// with `--anonymous-auth=false` (anonymous requests get 200, or 403 where
/// the `system:public-info-viewer` binding was removed).
async fn anonymous_auth(ep: &Endpoint, anonymous: &reqwest::Client) -> Result<bool> {
    let resp = anonymous
        .get(format!("{}/version", ep.url))
        .header("Accept", "application/json")
        .send()
        .await
        .context("GET /version without credentials")?;
    Ok(resp.status() != reqwest::StatusCode::UNAUTHORIZED)
}

async fn server_minor(ep: &Endpoint, client: &reqwest::Client) -> Result<u32> {
    let resp = ep
        .get(client, "/version")
        .header("Accept", "application/json")
        .send()
        .await
        .context("GET /version")?;
    let status = resp.status();
    let v: Value = resp.json().await.context("GET /version: not JSON")?;
    if !status.is_success() {
        bail!("GET /version: {status}: {v}");
    }
    let pick = |major: &str, minor: &str| -> Option<String> {
        Some(format!("{}.{}", v[major].as_str()?, v[minor].as_str()?))
    };
    let s = pick("emulationMajor", "emulationMinor")
        .or_else(|| pick("major", "minor"))
        .or_else(|| v["gitVersion"].as_str().map(str::to_string))
        .ok_or_else(|| anyhow!("GET /version: no version in {v}"))?;
    parse_minor(&s)
}

async fn run_or_skip(t: &Target, case: &Case) -> CaseResult {
    let mut r = CaseResult {
        id: case.id.clone(),
        group: case.group_name(),
        description: case.description.clone(),
        outcome: Outcome::Skipped,
        seconds: 0.0,
        skip_reason: None,
        failure: None,
    };
    if let Some(v) = &case.versions {
        match VersionRange::parse(v) {
            Ok(range) if !range.contains(t.minor) => {
                r.skip_reason = Some(format!("versions {v} (server 1.{})", t.minor));
                return r;
            }
            Ok(_) => {}
            Err(e) => {
                r.outcome = Outcome::Failed;
                r.failure = Some(Failure {
                    reason: format!("bad versions: {e}"),
                    ..Failure::default()
                });
                return r;
            }
        }
    }
    for g in &case.gates {
        let (want, name) = match g.strip_prefix('!') {
            Some(n) => (false, n),
            None => (true, g.as_str()),
        };
        if name == "WatchList" && t.watch_list != want {
            r.skip_reason = Some(format!(
                "needs {name}={want} (server: {name}={})",
                t.watch_list
            ));
            return r;
        }
        // Not a feature gate: the server's `--anonymous-auth`.
        if name == "AnonymousAuth" && t.anonymous != want {
            r.skip_reason = Some(format!(
                "needs {name}={want} (server: {name}={})",
                t.anonymous
            ));
            return r;
        }
    }
    let started = Instant::now();
    let mut run = CaseRun::new(t, case);
    let result = run.execute().await;
    run.cleanup().await;
    r.seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(()) => r.outcome = Outcome::Passed,
        Err(f) => {
            r.outcome = Outcome::Failed;
            r.failure = Some(*f);
        }
    }
    r
}

/// A response read in full.
struct Response {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
    seconds: f64,
}

impl Response {
    fn content_type(&self) -> String {
        header(&self.headers, "content-type").unwrap_or_default()
    }
    fn json(&self) -> Option<Value> {
        matchers::parse_body(&self.content_type(), &self.body)
    }
}

fn header(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

type CaseError = Box<Failure>;

fn fail(reason: impl Into<String>) -> CaseError {
    Box::new(Failure {
        reason: reason.into(),
        ..Failure::default()
    })
}

/// The state of one case while it runs.
struct CaseRun<'a> {
    t: &'a Target,
    case: &'a Case,
    vars: Vars,
    namespaces: Vec<String>,
}

/// A request after templating.
struct Prepared {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    auth: Option<Value>,
}

impl Prepared {
    fn describe(&self) -> String {
        let mut s = format!("{} {}", self.method, self.url);
        for (k, v) in &self.headers {
            s.push_str(&format!("\n{k}: {v}"));
        }
        if let Some(b) = &self.body {
            let text = String::from_utf8_lossy(b);
            let text: String = text.chars().take(400).collect();
            s.push_str(&format!("\nbody: {text}"));
        }
        s
    }
}

impl<'a> CaseRun<'a> {
    fn new(t: &'a Target, case: &'a Case) -> CaseRun<'a> {
        let run: String = (0..6)
            .map(|_| {
                let n = rand::random::<u8>() % 36;
                char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
            })
            .collect();
        let id: String = case
            .id
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let mut vars = Vars::new();
        vars.insert("run".into(), Value::String(run.clone()));
        let mut namespaces = Vec::new();
        let wanted = case.namespaces.clone().unwrap_or_else(|| vec!["ns".into()]);
        for (i, var) in wanted.iter().enumerate() {
            let name = if i == 0 {
                format!("kc-{id}-{run}")
            } else {
                format!("kc-{id}-{}-{run}", char::from(b'a' + (i as u8 % 26)))
            };
            vars.insert(var.clone(), Value::String(name.clone()));
            namespaces.push(name);
        }
        CaseRun {
            t,
            case,
            vars,
            namespaces,
        }
    }

    fn tpl(&self, s: &str, missing: &mut Vec<String>) -> String {
        matchers::template(s, &self.vars, missing)
    }

    fn prepare(&self, r: &Request) -> Result<Prepared, CaseError> {
        let mut missing = Vec::new();
        let path = self.tpl(&r.path, &mut missing);
        let mut url = format!("{}{path}", self.t.endpoint.url);
        if let Some(q) = &r.query {
            url.push('?');
            url.push_str(&self.tpl(q, &mut missing));
        }
        let mut headers: Vec<(String, String)> = vec![
            ("Accept".into(), "application/json".into()),
            ("User-Agent".into(), USER_AGENT.into()),
        ];
        for (k, v) in &r.headers {
            headers.retain(|(hk, _)| !hk.eq_ignore_ascii_case(k));
            if let Some(v) = v {
                headers.push((k.clone(), self.tpl(v, &mut missing)));
            }
        }
        let mut json_body = None;
        if let Some(b) = &r.body {
            json_body = Some(matchers::template_value(b, &self.vars, &mut missing));
        }
        if let Some(var) = &r.body_from {
            let mut v = self.vars.get(var).cloned().unwrap_or_else(|| {
                missing.push(var.clone());
                Value::Null
            });
            if let Some(m) = &r.body_merge {
                matchers::merge(
                    &mut v,
                    &matchers::template_value(m, &self.vars, &mut missing),
                );
            }
            json_body = Some(v);
        }
        let body = if let Some(v) = json_body {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            Some(serde_json::to_vec(&v).map_err(|e| fail(format!("body: {e}")))?)
        } else if let Some(t) = &r.body_text {
            Some(self.tpl(t, &mut missing).into_bytes())
        } else if let Some(b) = &r.body_base64 {
            use base64::Engine;
            Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .map_err(|e| fail(format!("bodyBase64: {e}")))?,
            )
        } else {
            None
        };
        if !missing.is_empty() {
            return Err(fail(format!(
                "variables not set by setup: {}",
                missing.join(", ")
            )));
        }
        let method = reqwest::Method::from_bytes(r.method.as_bytes())
            .map_err(|e| fail(format!("method {:?}: {e}", r.method)))?;
        Ok(Prepared {
            method,
            url,
            headers,
            body,
            auth: r.auth.clone(),
        })
    }

    async fn send(&self, p: &Prepared) -> Result<reqwest::Response, CaseError> {
        let client = match &p.auth {
            Some(Value::Bool(false)) | Some(Value::String(_)) => &self.t.anonymous_client,
            _ => &self.t.client,
        };
        let mut rb = client.request(p.method.clone(), &p.url);
        for (k, v) in &p.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb = match &p.auth {
            None | Some(Value::Bool(true)) | Some(Value::Null) => self.t.endpoint.auth(rb),
            Some(Value::String(tok)) => rb.bearer_auth(tok),
            Some(_) => rb,
        };
        if let Some(b) = &p.body {
            rb = rb.body(b.clone());
        }
        rb.send().await.map_err(|e| {
            let mut f = fail(format!("request failed: {e:#}"));
            f.request = p.describe();
            f
        })
    }

    async fn read_full(
        &self,
        p: &Prepared,
        started: Instant,
        timeout: Duration,
    ) -> Result<Response, CaseError> {
        let fut = async {
            let resp = self.send(p).await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| {
                let mut f = fail(format!("reading the body: {e}"));
                f.request = p.describe();
                f
            })?;
            Ok::<_, CaseError>(Response {
                status,
                headers,
                body: body.to_vec(),
                seconds: started.elapsed().as_secs_f64(),
            })
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r,
            Err(_) => {
                let mut f = fail(format!(
                    "no complete response within {}s",
                    timeout.as_secs()
                ));
                f.request = p.describe();
                Err(f)
            }
        }
    }

    fn save(&mut self, r: &Request, resp: &Response) -> Result<(), CaseError> {
        let json = resp.json();
        for (name, src) in &r.save {
            let value = if let Some(path) = src.strip_prefix("body:") {
                json.as_ref()
                    .and_then(|j| matchers::lookup(j, path))
                    .cloned()
            } else if let Some(h) = src.strip_prefix("header:") {
                header(&resp.headers, h).map(Value::String)
            } else {
                return Err(fail(format!(
                    "save {name}: source must be body:<path> or header:<name>"
                )));
            };
            match value {
                Some(v) => {
                    self.vars.insert(name.clone(), v);
                }
                None => {
                    return Err(fail(format!(
                        "save {name}: {src} not in the response to {} {} (status {})",
                        r.method, r.path, resp.status
                    )))
                }
            }
        }
        Ok(())
    }

    /// Runs a setup request or a watch action; checks its status.
    async fn step(&mut self, r: &Request, what: &str) -> Result<(), CaseError> {
        let p = self.prepare(r)?;
        let resp = self
            .read_full(&p, Instant::now(), Duration::from_secs(30))
            .await?;
        let ok = match r.status {
            Some(s) => resp.status == s,
            None => resp.status < 400,
        };
        if !ok {
            let body = String::from_utf8_lossy(&resp.body);
            return Err(Box::new(Failure {
                reason: format!("{what} {} {} answered {}", r.method, r.path, resp.status),
                request: p.describe(),
                expected_status: r.status,
                actual_status: Some(resp.status),
                actual_message: resp
                    .json()
                    .and_then(|j| j["message"].as_str().map(str::to_string)),
                actual_body: Some(body.chars().take(600).collect()),
                ..Failure::default()
            }));
        }
        self.save(r, &resp)
    }

    async fn execute(&mut self) -> Result<(), CaseError> {
        for ns in self.namespaces.clone() {
            let r = Request {
                method: "POST".into(),
                path: "/api/v1/namespaces".into(),
                query: None,
                headers: Default::default(),
                body: Some(
                    serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                ),
                body_text: None,
                body_base64: None,
                body_from: None,
                body_merge: None,
                auth: None,
                save: Default::default(),
                status: None,
                when: None,
            };
            self.step(&r, "creating namespace").await?;
        }
        for r in &self.case.setup {
            self.step(r, "setup").await?;
        }
        let p = self.prepare(&self.case.request)?;
        let started = Instant::now();
        match &self.case.watch {
            Some(w) => self.check_watch(&p, w, started).await,
            None => {
                let resp = self.read_full(&p, started, Duration::from_secs(60)).await?;
                self.check_response(&p, &resp, &[])
            }
        }
    }

    async fn cleanup(&mut self) {
        for r in &self.case.cleanup {
            if let Ok(p) = self.prepare(r) {
                let _ = self
                    .read_full(&p, Instant::now(), Duration::from_secs(30))
                    .await;
            }
        }
        for ns in &self.namespaces {
            let url = format!("{}/api/v1/namespaces/{ns}", self.t.endpoint.url);
            let rb = self.t.endpoint.auth(self.t.client.delete(url));
            let _ = tokio::time::timeout(Duration::from_secs(30), rb.send()).await;
        }
    }

    /// Status, headers, format, body and checks of a (non-stream) response.
    fn check_response(
        &self,
        p: &Prepared,
        resp: &Response,
        events: &[Value],
    ) -> Result<(), CaseError> {
        let e = &self.case.expect;
        let actual_json = resp.json();
        let mut missing = Vec::new();
        let expected_body = e
            .body
            .as_ref()
            .or(e.body_subset.as_ref())
            .map(|b| matchers::template_value(b, &self.vars, &mut missing));
        let base = || Failure {
            request: p.describe(),
            expected_status: Some(e.status),
            actual_status: Some(resp.status),
            expected_message: expected_body
                .as_ref()
                .and_then(|b| b["message"].as_str().map(str::to_string)),
            actual_message: actual_json
                .as_ref()
                .and_then(|b| b["message"].as_str().map(str::to_string)),
            ..Failure::default()
        };
        let with_body = |mut f: Failure| {
            if resp.body.len() < 4000 || f.diff.is_none() {
                let text = String::from_utf8_lossy(&resp.body);
                f.actual_body = Some(text.chars().take(1500).collect());
            }
            Box::new(f)
        };
        if resp.status != e.status {
            return Err(with_body(Failure {
                reason: format!("status {} (expected {})", resp.status, e.status),
                ..base()
            }));
        }
        for (name, want) in &e.headers {
            let want = self.tpl(want, &mut missing);
            let got = header(&resp.headers, name);
            let ok = match (want.as_str(), &got) {
                ("<absent>", None) => true,
                ("<absent>", Some(_)) => false,
                (_, None) => false,
                ("<echoed>", Some(g)) => p
                    .headers
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case("audit-id") && v == g),
                (w, Some(g)) => matchers::string_matches(w, g),
            };
            if !ok {
                return Err(with_body(Failure {
                    reason: format!("header {name}"),
                    diff: Some(format!(
                        "header {name}: expected {want}, got {}",
                        got.as_deref().unwrap_or("<absent>")
                    )),
                    ..base()
                }));
            }
        }
        let format = matchers::body_format(&resp.content_type(), &resp.body);
        if let Some(f) = &e.format {
            if f != format {
                return Err(with_body(Failure {
                    reason: format!("body format {format} (expected {f})"),
                    ..base()
                }));
            }
        }
        if let Some(b) = &expected_body {
            let mode = if e.body.is_some() {
                Mode::Exact
            } else {
                Mode::Subset
            };
            if let Err(m) = match_value(b, actual_json.as_ref(), mode, "$") {
                return Err(with_body(Failure {
                    reason: format!("body differs at {}", m.path),
                    diff: Some(m.to_string()),
                    ..base()
                }));
            }
        }
        let text = String::from_utf8_lossy(&resp.body);
        if let Some(want) = &e.body_text {
            let want = self.tpl(want, &mut missing);
            if !matchers::string_matches(&want, &text) {
                return Err(with_body(Failure {
                    reason: "body text differs".into(),
                    diff: Some(format!("expected {want:?}, got {text:?}")),
                    ..base()
                }));
            }
        }
        if let Some(re) = &e.body_regex {
            let ok = regex::Regex::new(re)
                .map(|r| r.is_match(&text))
                .unwrap_or(false);
            if !ok {
                return Err(with_body(Failure {
                    reason: format!("body does not match /{re}/"),
                    ..base()
                }));
            }
        }
        if let Some(min) = e.min_seconds {
            if resp.seconds < min {
                return Err(with_body(Failure {
                    reason: format!(
                        "answered after {:.2}s (expected at least {min}s)",
                        resp.seconds
                    ),
                    ..base()
                }));
            }
        }
        for c in &e.checks {
            let operand = |s: &str| -> Option<String> {
                let v = if let Some(path) = s.strip_prefix("body:") {
                    actual_json
                        .as_ref()
                        .and_then(|j| matchers::lookup(j, path))
                        .cloned()
                } else if let Some(name) = s.strip_prefix("var:") {
                    self.vars.get(name).cloned()
                } else if let Some(h) = s.strip_prefix("header:") {
                    header(&resp.headers, h).map(Value::String)
                } else if let Some(rest) = s.strip_prefix("event:") {
                    let (n, path) = rest.split_once(':').unwrap_or((rest, ""));
                    let n: usize = n.parse().ok()?;
                    events
                        .get(n)
                        .and_then(|ev| matchers::lookup(ev, path))
                        .cloned()
                } else {
                    Some(Value::String(s.to_string()))
                }?;
                Some(match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
            };
            let (l, r) = (operand(&c.left), operand(&c.right));
            let ok = match (&l, &r) {
                (Some(l), Some(r)) => matchers::compare(l, &c.op, r).unwrap_or(false),
                _ => false,
            };
            if !ok {
                return Err(with_body(Failure {
                    reason: format!("check {} failed", c.name),
                    diff: Some(format!(
                        "{} ({}) {} {} ({})",
                        c.left,
                        l.as_deref().unwrap_or("<missing>"),
                        c.op,
                        c.right,
                        r.as_deref().unwrap_or("<missing>")
                    )),
                    ..base()
                }));
            }
        }
        if !missing.is_empty() {
            return Err(fail(format!("variables not set: {}", missing.join(", "))));
        }
        Ok(())
    }

    async fn check_watch(
        &mut self,
        p: &Prepared,
        w: &case::WatchExpect,
        started: Instant,
    ) -> Result<(), CaseError> {
        let timeout = Duration::from_secs_f64(w.timeout.max(0.1));
        // The response headers may themselves be late (a too-large RV waits ~3 s).
        let resp = match tokio::time::timeout(timeout + Duration::from_secs(10), self.send(p)).await
        {
            Ok(r) => r?,
            Err(_) => {
                let mut f = fail("no response headers");
                f.request = p.describe();
                return Err(f);
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if status != 200 || self.case.expect.status != 200 {
            let body = tokio::time::timeout(Duration::from_secs(10), resp.bytes())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| b.to_vec())
                .unwrap_or_default();
            let r = Response {
                status,
                headers,
                body,
                seconds: started.elapsed().as_secs_f64(),
            };
            return self.check_response(p, &r, &[]);
        }
        let mut missing = Vec::new();
        let expected: Option<Vec<Value>> = w.events.as_ref().map(|evs| {
            evs.iter()
                .map(|e| matchers::template_value(e, &self.vars, &mut missing))
                .collect()
        });
        let settle = Duration::from_secs_f64(w.settle.unwrap_or(0.5).max(0.0));
        let deadline = started + timeout;
        let mut actions: Vec<(When, &Request)> = Vec::new();
        for a in &w.actions {
            let when = match &a.when {
                Some(s) => When::parse(s).map_err(|e| fail(format!("action: {e}")))?,
                None => When::Now,
            };
            actions.push((when, a));
        }
        let mut next_action = 0;
        let mut last_action = Instant::now();
        let mut kept: Vec<Value> = Vec::new();
        let mut all: Vec<Value> = Vec::new();
        let mut periodic = 0usize;
        let mut buf: Vec<u8> = Vec::new();
        let mut closed = false;
        let mut closed_at = None;
        let mut bad_line: Option<String> = None;
        let mut settled_since: Option<Instant> = None;
        let mut stream = resp.bytes_stream();
        loop {
            // Actions that are due.
            while next_action < actions.len() {
                let (when, req) = actions[next_action];
                let due = match when {
                    When::Now => true,
                    When::InitialEventsEnd => kept.iter().any(is_initial_end),
                    When::Events(n) => kept.len() >= n,
                    When::Delay(d) => last_action.elapsed() >= Duration::from_secs_f64(d),
                };
                if !due {
                    break;
                }
                self.step(req, "watch action").await?;
                last_action = Instant::now();
                next_action += 1;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let all_actions_done = next_action >= actions.len();
            if let (Some(exp), true, None) = (&expected, all_actions_done, &w.end) {
                if kept.len() > exp.len() {
                    break;
                }
                if kept.len() == exp.len() {
                    let since = *settled_since.get_or_insert(now);
                    if now >= since + settle {
                        break;
                    }
                } else {
                    settled_since = None;
                }
            }
            let mut wake = deadline;
            if let Some(s) = settled_since {
                wake = wake.min(s + settle);
            }
            if let Some((When::Delay(d), _)) = actions.get(next_action) {
                wake = wake.min(last_action + Duration::from_secs_f64(*d));
            }
            let wake = wake.max(now + Duration::from_millis(1));
            tokio::select! {
                chunk = stream.next() => match chunk {
                    Some(Ok(bytes)) => {
                        buf.extend_from_slice(&bytes);
                        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                            let line: Vec<u8> = buf.drain(..=i).collect();
                            let text = String::from_utf8_lossy(&line).trim().to_string();
                            if text.is_empty() {
                                continue;
                            }
                            match serde_json::from_str::<Value>(&text) {
                                Ok(ev) => {
                                    all.push(ev.clone());
                                    let periodic_bookmark = ev["type"] == "BOOKMARK" && !is_initial_end(&ev);
                                    if periodic_bookmark {
                                        periodic += 1;
                                        if periodic > w.keep_periodic_bookmarks {
                                            continue;
                                        }
                                    }
                                    kept.push(ev);
                                    settled_since = None;
                                }
                                Err(_) => {
                                    bad_line.get_or_insert(text.chars().take(300).collect());
                                }
                            }
                        }
                    }
                    Some(Err(e)) => {
                        bad_line.get_or_insert(format!("stream error: {e}"));
                        closed = true;
                        closed_at = Some(started.elapsed().as_secs_f64());
                        break;
                    }
                    None => {
                        closed = true;
                        closed_at = Some(started.elapsed().as_secs_f64());
                        break;
                    }
                },
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {}
            }
        }
        drop(stream);
        if !buf.iter().all(u8::is_ascii_whitespace) {
            bad_line.get_or_insert(String::from_utf8_lossy(&buf).chars().take(300).collect());
        }
        // Status and headers first.
        let head = Response {
            status,
            headers,
            body: Vec::new(),
            seconds: started.elapsed().as_secs_f64(),
        };
        let e = &self.case.expect;
        let events_failure = |reason: String, diff: Option<String>| {
            Box::new(Failure {
                reason,
                request: p.describe(),
                expected_status: Some(e.status),
                actual_status: Some(status),
                diff,
                expected_events: expected.as_ref().map(|v| v.iter().map(summarize).collect()),
                actual_events: Some(kept.iter().map(summarize).collect()),
                actual_message: kept
                    .iter()
                    .find(|ev| ev["type"] == "ERROR")
                    .and_then(|ev| ev["object"]["message"].as_str().map(str::to_string)),
                ..Failure::default()
            })
        };
        if !missing.is_empty() {
            return Err(fail(format!("variables not set: {}", missing.join(", "))));
        }
        // Header expectations (format/body do not apply to a stream).
        let mut head_case = self.case.expect.clone();
        head_case.format = None;
        head_case.body = None;
        head_case.body_subset = None;
        head_case.checks.clear();
        let head_check = CaseRun {
            t: self.t,
            case: &Case {
                expect: head_case,
                ..self.case.clone()
            },
            vars: self.vars.clone(),
            namespaces: Vec::new(),
        }
        .check_response(p, &head, &kept);
        head_check?;
        if let Some(line) = bad_line {
            return Err(events_failure(
                format!("a line of the stream is not one JSON event: {line}"),
                None,
            ));
        }
        if next_action < actions.len() {
            return Err(events_failure(
                format!(
                    "the stream ended before action {} ({:?}) was due",
                    next_action + 1,
                    actions[next_action].0
                ),
                None,
            ));
        }
        if let Some(exp) = &expected {
            let mode = if w.subset { Mode::Subset } else { Mode::Exact };
            for (i, ev) in exp.iter().enumerate() {
                if let Err(m) = match_value(ev, kept.get(i), mode, &format!("$events[{i}]")) {
                    let reason = if i >= kept.len() {
                        format!("{} events (expected {})", kept.len(), exp.len())
                    } else {
                        format!("event {i} differs at {}", m.path)
                    };
                    return Err(events_failure(reason, Some(m.to_string())));
                }
            }
            if kept.len() > exp.len() {
                return Err(events_failure(
                    format!("{} events (expected {})", kept.len(), exp.len()),
                    Some(format!(
                        "unexpected event {}: {}",
                        exp.len(),
                        matchers::show(kept.get(exp.len()))
                    )),
                ));
            }
        }
        if w.end.as_deref() == Some("closed") && !closed {
            return Err(events_failure(
                format!("the server did not end the stream within {}s", w.timeout),
                None,
            ));
        }
        if let Some(max) = w.close_within {
            match closed_at {
                Some(t) if t <= max => {}
                _ => {
                    return Err(events_failure(
                        format!(
                            "the stream should close within {max}s (closed: {})",
                            closed_at
                                .map(|t| format!("{t:.2}s"))
                                .unwrap_or_else(|| "no".into())
                        ),
                        None,
                    ))
                }
            }
        }
        if let Err(why) = rv_facts(&all) {
            return Err(events_failure(why, None));
        }
        // Checks may refer to events.
        let mut checks_case = self.case.expect.clone();
        checks_case.format = None;
        checks_case.body = None;
        checks_case.body_subset = None;
        checks_case.headers.clear();
        CaseRun {
            t: self.t,
            case: &Case {
                expect: checks_case,
                ..self.case.clone()
            },
            vars: self.vars.clone(),
            namespaces: Vec::new(),
        }
        .check_response(p, &head, &kept)
    }
}

/// Whether a watch event is the BOOKMARK annotated
/// `k8s.io/initial-events-end` (also inside a Table's single row).
pub fn is_initial_end(ev: &Value) -> bool {
    if ev["type"] != "BOOKMARK" {
        return false;
    }
    let annotated = |o: &Value| o["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true";
    let obj = &ev["object"];
    annotated(obj)
        || obj["rows"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| annotated(&r["object"])))
}

/// `ADDED a`, `BOOKMARK (initial-events-end)`, `ERROR 410 Expired`.
pub fn summarize(ev: &Value) -> String {
    let ty = ev["type"].as_str().unwrap_or("?");
    let obj = &ev["object"];
    if ty == "ERROR" || obj["kind"] == "Status" {
        return format!(
            "{ty} {} {}",
            obj["code"],
            obj["reason"].as_str().unwrap_or("")
        );
    }
    if ty == "BOOKMARK" {
        return if is_initial_end(ev) {
            "BOOKMARK (initial-events-end)".into()
        } else {
            "BOOKMARK".into()
        };
    }
    if obj["kind"] == "Table" {
        let names: Vec<&str> = obj["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| {
                        r["cells"][0]
                            .as_str()
                            .or(r["object"]["metadata"]["name"].as_str())
                    })
                    .collect()
            })
            .unwrap_or_default();
        return format!("{ty} Table[{}]", names.join(","));
    }
    format!("{ty} {}", obj["metadata"]["name"].as_str().unwrap_or(""))
}

fn event_rv(ev: &Value) -> Option<u64> {
    let obj = &ev["object"];
    if obj["kind"] == "Table" || obj["kind"] == "Status" || ev["type"] == "ERROR" {
        return None;
    }
    obj["metadata"]["resourceVersion"].as_str()?.parse().ok()
}

/// Facts every stream must satisfy: the initial-events-end bookmark's
/// resourceVersion is at least every earlier event's (the initial events
/// come in key order, so their own RVs may go down), and later events are
/// above it and never go down.
pub fn rv_facts(events: &[Value]) -> Result<(), String> {
    let mut max_before: Option<(u64, usize)> = None;
    let mut end_rv: Option<u64> = None;
    let mut last: Option<u64> = None;
    for (i, ev) in events.iter().enumerate() {
        let Some(rv) = event_rv(ev) else { continue };
        match end_rv {
            None if is_initial_end(ev) => {
                if let Some((m, j)) = max_before {
                    if rv < m {
                        return Err(format!(
                            "the initial-events-end bookmark has resourceVersion {rv} < {m} of event {j}"
                        ));
                    }
                }
                end_rv = Some(rv);
                last = Some(rv);
            }
            None => {
                if max_before.is_none_or(|(m, _)| rv > m) {
                    max_before = Some((rv, i));
                }
            }
            Some(b) => {
                if rv <= b && ev["type"] != "BOOKMARK" {
                    return Err(format!(
                        "event {i} ({}) after the initial-events-end bookmark has resourceVersion {rv} <= bookmark {b}",
                        summarize(ev)
                    ));
                }
                if let Some(l) = last {
                    if rv < l {
                        return Err(format!(
                            "event {i} ({}) has resourceVersion {rv} < {l} of an earlier live event",
                            summarize(ev)
                        ));
                    }
                }
                last = Some(rv);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stream_facts() {
        let ev = |t: &str, rv: &str, end: bool| {
            let mut o = json!({"type": t, "object": {"kind": "Secret", "metadata": {"name": "a", "resourceVersion": rv}}});
            if end {
                o["object"]["metadata"]["annotations"] =
                    json!({"k8s.io/initial-events-end": "true"});
            }
            o
        };
        assert!(rv_facts(&[
            ev("ADDED", "5", false),
            ev("ADDED", "7", false),
            ev("BOOKMARK", "9", true),
            ev("ADDED", "10", false)
        ])
        .is_ok());
        assert!(rv_facts(&[ev("ADDED", "7", false), ev("BOOKMARK", "5", true)]).is_err());
        assert!(rv_facts(&[
            ev("ADDED", "7", false),
            ev("ADDED", "5", false),
            ev("BOOKMARK", "8", true)
        ])
        .is_ok());
        assert!(rv_facts(&[ev("BOOKMARK", "9", true), ev("ADDED", "9", false)]).is_err());
        assert_eq!(
            summarize(&ev("BOOKMARK", "9", true)),
            "BOOKMARK (initial-events-end)"
        );
        assert_eq!(summarize(&ev("ADDED", "9", false)), "ADDED a");
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_minor("v1.36.2").ok(), Some(36));
        assert_eq!(parse_minor("1.33+").ok(), Some(33));
        assert!(parse_minor("2.0").is_err());
    }
}
