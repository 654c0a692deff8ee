//! Recording what clients send, and checking it against expectations.
//!
//! Every request that reaches kubemock (except the control API's own) is
//! recorded as a [`RecordedRequest`]: method, path, the raw query string as
//! sent, the decoded parameters in order, the headers (Authorization
//! redacted), the status and, for watches, how the stream ended and how
//! many events of each type went out. Records are kept in a bounded ring
//! ([`Recorder`]) and, optionally, appended to a JSON-lines file.
//!
//! - [`expect`]: expectations as data (matchers, placeholders, canned
//!   responses) and the diff in words;
//! - [`verify`]: the verification report shared by the control API, the
//!   `kubemock verify` command and [`crate::MockServer::verify`];
//! - [`command`]: `kubemock verify` (online or on a log file).
//!
//! The HTTP side (the middleware that records, the control API routes)
//! lives in `crate::http::record`; this module has no axum types.

pub mod command;
pub mod expect;
pub mod verify;

pub use expect::{Expectation, ExpectationFile, QueryMatcher, Respond, Template, Times};
pub use verify::Report;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The reserved path prefix of the control API. No Kubernetes path starts
/// with `/kubemock/`, and discovery never mentions it.
pub const CONTROL_PREFIX: &str = "/kubemock/v1";

/// Default number of requests kept in memory.
pub const DEFAULT_LIMIT: usize = 10_000;

/// How a watch stream looked when it ended (or so far).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchSummary {
    /// Events sent, by type (`ADDED`, `BOOKMARK`, `ERROR`...).
    pub events: BTreeMap<String, u64>,
    /// `open` (still streaming), `server` (kubemock ended it: timeout,
    /// shutdown, scripted end) or `client` (the client went away).
    pub ended: String,
    /// Milliseconds between the response head and the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_ms: Option<u64>,
}

/// A fault a plan injected into a request (`crate::faults`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultNote {
    /// The rule's name.
    pub rule: String,
    /// What it did, in words (`error 429`, `drop after headers`, ...).
    pub action: String,
}

/// One request as it arrived, and how it was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Arrival order, from 1.
    #[serde(default)]
    pub seq: u64,
    /// Arrival time (RFC 3339).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub time: String,
    /// Method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The raw query string as sent, without the `?` (`None`: no `?` at
    /// all; `Some("")`: a bare trailing `?`, as kube-rs sends on lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Decoded parameters, in the order sent.
    #[serde(default)]
    pub params: Vec<(String, String)>,
    /// Headers in arrival order; `Authorization` is redacted.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Status code answered (0 while unknown).
    #[serde(default)]
    pub status: u16,
    /// For streamed responses (watches): what was sent and how it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchSummary>,
    /// The expectation whose canned response answered, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responded_by: Option<String>,
    /// The user the request was authenticated as (after impersonation);
    /// absent when authentication failed (401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<crate::auth::UserInfo>,
    /// The fault a fault plan injected, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultNote>,
}

impl RecordedRequest {
    /// A request from its parts; `target` is path plus optional `?query`.
    pub fn new(method: &str, target: &str, headers: Vec<(String, String)>) -> RecordedRequest {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.to_string(), None),
        };
        let params = crate::api::query::RawQuery::parse(query.as_deref().unwrap_or("")).pairs;
        let headers = headers
            .into_iter()
            .map(|(k, v)| {
                if k.eq_ignore_ascii_case("authorization") {
                    let scheme = v.split(' ').next().unwrap_or("").to_string();
                    (k, format!("{scheme} <redacted>").trim().to_string())
                } else {
                    (k, v)
                }
            })
            .collect();
        RecordedRequest {
            seq: 0,
            time: String::new(),
            method: method.to_string(),
            path,
            query,
            params,
            headers,
            status: 0,
            watch: None,
            responded_by: None,
            user: None,
            fault: None,
        }
    }

    /// A request for tests (no seq, no status).
    pub fn synthetic(method: &str, target: &str, headers: &[(&str, &str)]) -> RecordedRequest {
        RecordedRequest::new(
            method,
            target,
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// A header's value(s), case-insensitive, joined with `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// `GET /path?query` as sent.
    pub fn line(&self) -> String {
        match &self.query {
            Some(q) => format!("{} {}?{q}", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// Reads one line of a recording: kubemock's own JSON lines, or the
    /// captures in `../shared/clients/requests/` (query inside `path`,
    /// headers as pairs, `watch.events` as a list of types).
    ///
    /// # Errors
    /// Not JSON, or no method/path.
    pub fn from_log_line(line: &str) -> Result<RecordedRequest, String> {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let method = s("method").ok_or("no method")?;
        let mut path = s("path").ok_or("no path")?;
        if let Some(q) = v.get("query").and_then(|q| q.as_str()) {
            path = format!("{path}?{q}");
        }
        let headers = v
            .get("headers")
            .and_then(|h| h.as_array())
            .map(|h| {
                h.iter()
                    .filter_map(|p| {
                        let p = p.as_array()?;
                        Some((
                            p.first()?.as_str()?.to_string(),
                            p.get(1)?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut r = RecordedRequest::new(&method, &path, headers);
        r.seq = v.get("seq").and_then(|x| x.as_u64()).unwrap_or(0);
        r.time = s("time").unwrap_or_default();
        r.status = v
            .get("status")
            .and_then(|x| x.as_u64())
            .and_then(|x| u16::try_from(x).ok())
            .unwrap_or(0);
        r.responded_by = s("responded_by");
        r.fault = v
            .get("fault")
            .and_then(|f| serde_json::from_value(f.clone()).ok());
        if let Some(w) = v.get("watch").filter(|w| w.is_object()) {
            let mut summary = WatchSummary::default();
            match w.get("events") {
                Some(serde_json::Value::Array(list)) => {
                    for t in list.iter().filter_map(|t| t.as_str()) {
                        *summary.events.entry(t.to_string()).or_default() += 1;
                    }
                }
                Some(serde_json::Value::Object(map)) => {
                    for (t, n) in map {
                        summary.events.insert(t.clone(), n.as_u64().unwrap_or(0));
                    }
                }
                _ => {}
            }
            summary.ended = w
                .get("ended")
                .or_else(|| w.get("closed_by"))
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string();
            summary.held_ms = w.get("held_ms").and_then(|x| x.as_u64());
            r.watch = Some(summary);
        }
        Ok(r)
    }
}

/// Reads a recording (JSON lines; blank lines skipped), sorted by arrival.
///
/// # Errors
/// An unreadable file or a bad line (`file:line: reason`).
pub fn read_log(path: &Path) -> Result<Vec<RecordedRequest>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut r = RecordedRequest::from_log_line(line)
            .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        if r.seq == 0 {
            r.seq = i as u64 + 1;
        }
        out.push(r);
    }
    out.sort_by_key(|r| r.seq);
    Ok(out)
}

/// The expectations in force, with the files' sequences resolved.
#[derive(Debug, Clone, Default)]
pub struct ExpectationSet {
    /// Every expectation, in the order added.
    pub expectations: Vec<Expectation>,
    /// Sequences as (name, indices into `expectations`).
    pub sequences: Vec<(String, Vec<usize>)>,
    /// Whether unexpected requests fail verification.
    pub fail_on_unexpected: bool,
    /// The files as added (for the control API's GET).
    pub files: Vec<ExpectationFile>,
}

impl ExpectationSet {
    /// Adds a file's expectations and sequences.
    ///
    /// # Errors
    /// A sequence naming an unknown expectation.
    pub fn add(&mut self, file: ExpectationFile) -> Result<(), String> {
        let base = self.expectations.len();
        let seqs = file.resolved_sequences()?;
        self.sequences.extend(
            seqs.into_iter()
                .map(|(n, steps)| (n, steps.into_iter().map(|i| i + base).collect())),
        );
        self.expectations.extend(file.expectations.iter().cloned());
        self.fail_on_unexpected |= file.unexpected == expect::Unexpected::Fail;
        self.files.push(file);
        Ok(())
    }

    /// Whether any expectation is in force.
    pub fn is_empty(&self) -> bool {
        self.expectations.is_empty() && self.sequences.is_empty()
    }
}

/// Settings of a [`Recorder`].
#[derive(Debug, Clone)]
pub struct RecorderConfig {
    /// Requests kept in memory (oldest dropped first).
    pub limit: usize,
    /// Append each finished request here as a JSON line.
    pub file: Option<PathBuf>,
    /// Answer requests no expectation matches with 400.
    pub enforce: bool,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        RecorderConfig {
            limit: DEFAULT_LIMIT,
            file: None,
            enforce: false,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    ring: VecDeque<RecordedRequest>,
    next_seq: u64,
    dropped: u64,
    set: ExpectationSet,
    /// Live match counts per expectation (bounds canned responses).
    hits: Vec<u64>,
    /// Running summaries of open watches, by seq. Each stream updates its
    /// own (uncontended) summary; readers overlay them on the ring.
    open_watches: HashMap<u64, Arc<LiveWatch>>,
    /// Fault rules that must fire: (name, how many times).
    fault_expectations: Vec<(String, Times)>,
}

/// The running event counts of one open watch, shared by its response
/// stream (which counts without locking) and the recorder.
#[derive(Debug, Default)]
pub struct LiveWatch {
    known: [AtomicU64; KNOWN_EVENTS.len()],
    other: Mutex<BTreeMap<String, u64>>,
}

/// Event types counted without a lock.
const KNOWN_EVENTS: [&str; 5] = ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"];

impl LiveWatch {
    /// Counts one event of type `kind`.
    pub fn count(&self, kind: &str) {
        match KNOWN_EVENTS.iter().position(|k| *k == kind) {
            Some(i) => {
                self.known[i].fetch_add(1, Ordering::Relaxed);
            }
            None => {
                let mut other = self.other.lock().unwrap_or_else(|p| p.into_inner());
                *other.entry(kind.to_string()).or_default() += 1;
            }
        }
    }

    /// The counts so far, by type.
    pub fn events(&self) -> BTreeMap<String, u64> {
        let mut out = self.other.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (k, n) in KNOWN_EVENTS.iter().zip(&self.known) {
            let n = n.load(Ordering::Relaxed);
            if n > 0 {
                out.insert(k.to_string(), n);
            }
        }
        out
    }
}

/// The recording and the expectations of one server.
#[derive(Debug)]
pub struct Recorder {
    inner: Mutex<Inner>,
    limit: usize,
    file: Option<Mutex<std::fs::File>>,
    enforce: bool,
    /// Bumped on every change to the recording (for [`Recorder::wait_until`]).
    changed: tokio::sync::watch::Sender<u64>,
}

/// What the HTTP layer should do with an arriving request.
#[derive(Debug)]
pub enum Decision {
    /// Let the API layer answer.
    Pass,
    /// Answer with this expectation's canned response.
    Respond {
        /// The expectation's name.
        name: String,
        /// The response.
        respond: Respond,
    },
    /// Enforce mode: no expectation matches; the message carries the diff.
    Reject(String),
}

impl Recorder {
    /// A recorder; opens (appends to) the file if one is configured.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn new(config: RecorderConfig) -> std::io::Result<Recorder> {
        let file = match &config.file {
            Some(p) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            )),
            None => None,
        };
        Ok(Recorder {
            inner: Mutex::new(Inner::default()),
            limit: config.limit.max(1),
            file,
            enforce: config.enforce,
            changed: tokio::sync::watch::channel(0).0,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update is a single push or field write: a poisoned lock
        // still holds a consistent recording.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether enforce mode is on.
    pub fn enforcing(&self) -> bool {
        self.enforce
    }

    /// Gives an arriving request its sequence number and time.
    pub fn begin(&self, mut req: RecordedRequest) -> RecordedRequest {
        let mut inner = self.lock();
        inner.next_seq += 1;
        req.seq = inner.next_seq;
        req.time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        req
    }

    /// Decides how to answer: a canned response from the first matching
    /// expectation that has one (while under its `times` bound), a 400 in
    /// enforce mode when nothing matches, else the API layer.
    pub fn decide(&self, req: &RecordedRequest) -> Decision {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if inner.hits.len() < inner.set.expectations.len() {
            inner.hits.resize(inner.set.expectations.len(), 0);
        }
        let mut answer = None;
        let mut matched = false;
        for (i, e) in inner.set.expectations.iter().enumerate() {
            if !e.matches(req) {
                continue;
            }
            // Matching only a `never` expectation is still unexpected.
            matched |= e.times.max != Some(0);
            inner.hits[i] += 1;
            if answer.is_none() {
                if let Some(r) = &e.respond {
                    if e.times.max.is_none_or(|m| inner.hits[i] <= m) {
                        answer = Some((e.display_name(), r.clone()));
                    }
                }
            }
        }
        if let Some((name, respond)) = answer {
            return Decision::Respond { name, respond };
        }
        if self.enforce && !matched {
            return Decision::Reject(verify::unexpected_message(&inner.set, req));
        }
        Decision::Pass
    }

    /// Stores a request whose response head went out (a watch is updated
    /// later by [`Recorder::finish_watch`]); finished ones go to the file.
    pub fn record(&self, req: RecordedRequest) {
        if req.watch.as_ref().is_none_or(|w| w.ended != "open") {
            self.write_line(&req);
        }
        self.push(req);
    }

    /// Stores an open watch and returns its running summary: the stream
    /// counts events into it without touching the recorder's lock.
    pub fn record_open_watch(&self, req: RecordedRequest) -> Arc<LiveWatch> {
        let live = Arc::new(LiveWatch::default());
        self.lock().open_watches.insert(req.seq, Arc::clone(&live));
        self.push(req);
        live
    }

    fn push(&self, req: RecordedRequest) {
        let mut inner = self.lock();
        if inner.ring.len() >= self.limit {
            if let Some(old) = inner.ring.pop_front() {
                inner.open_watches.remove(&old.seq);
            }
            inner.dropped += 1;
        }
        inner.ring.push_back(req);
        drop(inner);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Waits (at most `limit`) until `pred` holds for the recording; no
    /// polling: it re-checks on every change. Returns whether it held.
    pub async fn wait_until(
        &self,
        pred: impl Fn(&[RecordedRequest]) -> bool,
        limit: std::time::Duration,
    ) -> bool {
        let mut rx = self.changed.subscribe();
        let check = async {
            loop {
                if pred(&self.requests()) {
                    return true;
                }
                if rx.changed().await.is_err() {
                    return false;
                }
            }
        };
        tokio::time::timeout(limit, check).await.unwrap_or(false)
    }

    /// A watch stream ended: updates its record and writes it to the file.
    pub fn finish_watch(&self, seq: u64, summary: WatchSummary) {
        let finished = {
            let mut inner = self.lock();
            inner.open_watches.remove(&seq);
            // The ring is in response order, which is nearly seq order:
            // a binary search finds the record almost always, a scan when
            // responses went out of order.
            let at = inner
                .ring
                .binary_search_by_key(&seq, |r| r.seq)
                .ok()
                .or_else(|| inner.ring.iter().rposition(|r| r.seq == seq));
            match at {
                Some(i) => {
                    let r = &mut inner.ring[i];
                    r.watch = Some(summary);
                    self.file.is_some().then(|| r.clone())
                }
                None => None,
            }
        };
        if let Some(r) = finished {
            self.write_line(&r);
        }
        self.changed.send_modify(|n| *n += 1);
    }

    fn write_line(&self, req: &RecordedRequest) {
        if let Some(f) = &self.file {
            let Ok(mut line) = serde_json::to_vec(req) else {
                return;
            };
            line.push(b'\n');
            let mut f = f.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = f.write_all(&line) {
                tracing::warn!("--record file: {e}");
            }
        }
    }

    /// The recording, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        let inner = self.lock();
        let mut out: Vec<_> = inner
            .ring
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if let (Some(live), Some(w)) = (inner.open_watches.get(&r.seq), r.watch.as_mut()) {
                    w.events = live.events();
                }
                r
            })
            .collect();
        out.sort_by_key(|r| r.seq);
        out
    }

    /// Requests dropped from the ring since the last clear.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Clears the recording (and the live counts of canned responses).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.ring.clear();
        inner.open_watches.clear();
        inner.dropped = 0;
        inner.hits.clear();
    }

    /// Adds an expectation file.
    ///
    /// # Errors
    /// A sequence naming an unknown expectation.
    pub fn add_expectations(&self, file: ExpectationFile) -> Result<(), String> {
        self.lock().set.add(file)
    }

    /// The expectations in force.
    pub fn expectations(&self) -> ExpectationSet {
        self.lock().set.clone()
    }

    /// Removes every expectation.
    pub fn clear_expectations(&self) {
        let mut inner = self.lock();
        inner.set = ExpectationSet::default();
        inner.hits.clear();
    }

    /// Sets the fault rules that must fire (a fault plan was put in
    /// force); they are verified like expectations.
    pub fn set_fault_expectations(&self, rules: Vec<(String, Times)>) {
        self.lock().fault_expectations = rules;
    }

    /// Verifies the recording against the expectations (and the fault
    /// rules that must fire).
    pub fn verify(&self) -> Report {
        let (set, dropped, faults) = {
            let inner = self.lock();
            (
                inner.set.clone(),
                inner.dropped,
                inner.fault_expectations.clone(),
            )
        };
        let requests = self.requests();
        let mut report = verify::verify(&set, &requests);
        verify::add_fault_rules(&mut report, &faults);
        report.dropped = dropped;
        report
    }
}
