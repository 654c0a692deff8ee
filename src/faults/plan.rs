//! The fault plan as data: what a test author writes (YAML or JSON), and the
//! checks that refuse a bad plan with the rule's index, line and reason.
//!
//! ```yaml
//! name: 429 storm then recovery
//! seed: 7                       # every probability and delay range draws from it
//! rules:
//!   - name: throttle-lists
//!     method: GET                # matching: as expectations (record::expect)
//!     path: /api/v1/namespaces/{any}/pods
//!     query: {subset: {limit: "{int}"}}
//!     verb: list                 # get list watch create update patch delete deletecollection
//!     resource: pods             # plural, or plural.group (deployments.apps)
//!     user_agent: "kubectl/{any}"
//!     after: 0                   # let the first N matching requests through
//!     every: 1                   # then fire on every K-th match
//!     times: 3                   # at most 3 times (default: unbounded)
//!     probability: 1.0           # of the remaining matches, this share (seeded)
//!     expect: {at_least: 1}      # verification fails if it fired fewer times (or `must_fire: true`)
//!     delay: 200ms               # or {min: 100ms, max: 2s}; combines with any action below
//!     error: 429                 # or {code: 429, retry_after: 2, message: ...}
//!     # drop: before_headers | after_headers | {after_bytes: N}
//!     # reset: (same as drop, with a TCP RST)
//!     # stall: 30s | forever
//!     # watch: {...}              # see [`WatchFaults`]
//! ```
//!
//! Matching is the expectations' matcher ([`crate::record::Expectation`]):
//! the same path placeholders, query forms and header templates. The
//! runtime (counters, the decision to fire, the answers) is in
//! [`super::rules`] and [`super::answer`]; this module has no I/O but reading
//! a file.

use crate::record::expect::{QueryMatcher, Template, Times};
use crate::record::Expectation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// A whole fault plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// A name for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the plan reproduces, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seed of every probability and delay range (default 0).
    #[serde(default)]
    pub seed: u64,
    /// The rules, tried in order; the first that fires on a request acts.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// One rule: which requests, how often, and what goes wrong.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// A name for the recording and reports (default `rule N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,

    /// HTTP method (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path with placeholders (default: any path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Template>,
    /// Query matcher, as in expectations (default: any query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<QueryMatcher>,
    /// Header templates; `~` means "not sent".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Option<Template>>,
    /// Shorthand for `headers: {User-Agent: ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Template>,
    /// Kubernetes verb: get, list, watch, create, update, patch, delete,
    /// deletecollection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verb: Option<String>,
    /// Resource: `pods`, `deployments.apps`, `pods/log` (subresource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,

    /// Matching requests let through before the rule may fire.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub after: u64,
    /// Fire on every K-th match (after `after`); default every match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Fire on the N-th match only (1-based); shorthand for `after: N-1, times: 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Fire at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Share of the eligible matches that fire (0..=1), drawn from the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// How many times the rule must fire for verification to pass
    /// (as an expectation's `times`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Times>,
    /// Shorthand for `expect: {at_least: 1}`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_fire: bool,

    /// Wait before answering (or before the other action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelaySpec>,
    /// Answer with a real apiserver error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorSpec>,
    /// Close the connection (FIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<ConnPoint>,
    /// Reset the connection (RST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<ConnPoint>,
    /// Hold the connection without answering, then close it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall: Option<StallSpec>,
    /// Faults inside a watch stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchFaults>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A Go duration (`500ms`, `1m30s`), as text in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GoDuration(pub Duration);

impl TryFrom<String> for GoDuration {
    type Error = String;
    fn try_from(s: String) -> Result<GoDuration, String> {
        let d = crate::api::query::parse_go_duration(s.trim())?;
        Ok(GoDuration(d))
    }
}

impl From<GoDuration> for String {
    fn from(d: GoDuration) -> String {
        format!("{}ms", d.0.as_millis())
    }
}

/// A delay: fixed (`200ms`) or drawn from a range with the plan's seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DelaySpec {
    /// Always this long.
    Fixed(GoDuration),
    /// Uniform in `[min, max]`.
    Range {
        /// Shortest.
        min: GoDuration,
        /// Longest.
        max: GoDuration,
    },
}

/// The error to answer with: a code (`429`) or the details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorSpec {
    /// Just the code; everything else as kube-apiserver writes it.
    Code(u16),
    /// Code and overrides.
    Full(ErrorDetail),
}

/// An error with overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// 401, 403, 409, 410, 429, 500, 503 or 504.
    pub code: u16,
    /// The `Status` message (default: the one kube-apiserver writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Retry-After` seconds (429 default 1; 503/504 only when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// For 429: `apf` (the priority-and-fairness rejection, plain text: the
    /// default) or `status` (a `Status` body, as the watch cache's
    /// "storage is (re)initializing").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<ErrorShape>,
}

/// How a 429 is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorShape {
    /// `http.Error` text from the priority-and-fairness filter.
    Apf,
    /// A `Status` object.
    Status,
}

impl ErrorSpec {
    /// The HTTP code.
    pub fn code(&self) -> u16 {
        match self {
            ErrorSpec::Code(c) => *c,
            ErrorSpec::Full(d) => d.code,
        }
    }
    /// The details (defaults for a bare code).
    pub fn detail(&self) -> ErrorDetail {
        match self {
            ErrorSpec::Code(c) => ErrorDetail {
                code: *c,
                message: None,
                retry_after: None,
                shape: None,
            },
            ErrorSpec::Full(d) => d.clone(),
        }
    }
}

/// The error codes a rule may answer with.
pub const ERROR_CODES: [u16; 8] = [401, 403, 409, 410, 429, 500, 503, 504];

/// Where a connection is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConnPoint {
    /// `before_headers` or `after_headers`.
    Named(ConnPointName),
    /// After this many bytes of the body.
    Bytes {
        /// Body bytes let out first.
        after_bytes: u64,
    },
}

/// The named cut points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnPointName {
    /// Nothing is answered.
    BeforeHeaders,
    /// The response head goes out, then no body.
    AfterHeaders,
}

impl ConnPoint {
    /// `None`: before the headers; `Some(n)`: after the head and `n` body bytes.
    pub fn after_bytes(&self) -> Option<u64> {
        match self {
            ConnPoint::Named(ConnPointName::BeforeHeaders) => None,
            ConnPoint::Named(ConnPointName::AfterHeaders) => Some(0),
            ConnPoint::Bytes { after_bytes } => Some(*after_bytes),
        }
    }
}

impl std::fmt::Display for ConnPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.after_bytes() {
            None => f.write_str("before headers"),
            Some(0) => f.write_str("after headers"),
            Some(n) => write!(f, "after {n} body bytes"),
        }
    }
}

/// How long a stall holds the connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StallSpec {
    /// `forever`: until the client gives up or the server stops.
    Word(String),
    /// This long, then the connection is closed without an answer.
    For(GoDuration),
}

impl StallSpec {
    /// `None` for forever.
    pub fn duration(&self) -> Option<Duration> {
        match self {
            StallSpec::Word(_) => None,
            StallSpec::For(d) => Some(d.0),
        }
    }
}

/// Faults inside a watch stream (JSON watch streams; see [`super::stream`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFaults {
    /// End the stream after this many events (bookmarks included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_after_events: Option<u64>,
    /// End the stream this long after it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_after: Option<GoDuration>,
    /// `clean` (default: the chunked stream is terminated, as when the
    /// server's timeout ends it) or `abrupt` (the connection is cut).
    #[serde(default)]
    pub end: EndMode,
    /// An ERROR event sent where the stream ends (at once when no end
    /// point is given): `410` (Expired, "too old resource version") or
    /// `500`, or `{code, message}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorSpec>,
    /// The initial-events-end bookmark: `withhold` or `{delay: 2s}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_events_end: Option<Hold>,
    /// Periodic (unannotated) bookmarks: `stop` or `{delay: 1s}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmarks: Option<Hold>,
    /// Every event reaches the client this much later (order kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_events: Option<GoDuration>,
    /// Each initial event of a watch-list waits this long before it goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_initial: Option<GoDuration>,
}

/// How a watch stream ends when a rule ends it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndMode {
    /// Terminated properly.
    #[default]
    Clean,
    /// Connection cut.
    Abrupt,
}

/// Withhold something for good, or delay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Hold {
    /// `withhold` / `stop`.
    Word(String),
    /// `{delay: 2s}`.
    Delay {
        /// How long.
        delay: GoDuration,
    },
}

impl Hold {
    /// `None`: never sent; `Some(d)`: sent `d` late.
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Hold::Word(_) => None,
            Hold::Delay { delay } => Some(delay.0),
        }
    }
}

/// Kubernetes verbs a rule may name.
const VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

impl FaultRule {
    /// The name in the recording and reports: the given one or `rule N`.
    pub fn display_name(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("rule {index}"))
    }

    /// The expectations' matcher for method, path, query and headers.
    pub(crate) fn matcher(&self) -> Expectation {
        let mut headers = self.headers.clone();
        if let Some(ua) = &self.user_agent {
            headers.insert("User-Agent".into(), Some(ua.clone()));
        }
        Expectation {
            name: self.name.clone(),
            method: self
                .method
                .clone()
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase(),
            path: self
                .path
                .clone()
                .unwrap_or_else(|| Template::parse("{any}").expect("a valid template")),
            query: self.query.clone(),
            headers,
            times: Times::ANY,
            respond: None,
        }
    }

    /// How many firings verification wants, if the plan says.
    pub fn wanted(&self) -> Option<Times> {
        match (self.expect, self.must_fire) {
            (Some(t), _) => Some(t),
            (None, true) => Some(Times::at_least(1)),
            (None, false) => None,
        }
    }

    /// What the rule does, in words (for the recording).
    pub fn action_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &self.delay {
            parts.push(match d {
                DelaySpec::Fixed(d) => format!("delay {:?}", d.0),
                DelaySpec::Range { min, max } => format!("delay {:?}..{:?}", min.0, max.0),
            });
        }
        if let Some(e) = &self.error {
            parts.push(format!("error {}", e.code()));
        }
        if let Some(p) = &self.drop {
            parts.push(format!("drop {p}"));
        }
        if let Some(p) = &self.reset {
            parts.push(format!("reset {p}"));
        }
        if let Some(s) = &self.stall {
            parts.push(match s.duration() {
                Some(d) => format!("stall {d:?}"),
                None => "stall forever".into(),
            });
        }
        if let Some(w) = &self.watch {
            parts.push(format!("watch {}", w.text()));
        }
        parts.join(", ")
    }

    /// Every problem of the rule, in words.
    fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        let actions = [
            self.error.is_some(),
            self.drop.is_some(),
            self.reset.is_some(),
            self.stall.is_some(),
            self.watch.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if actions > 1 {
            out.push("give at most one of error, drop, reset, stall, watch".to_string());
        }
        if actions == 0 && self.delay.is_none() {
            out.push("no action: give delay, error, drop, reset, stall or watch".to_string());
        }
        if let Some(m) = &self.method {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                out.push(format!("method {m:?} is not an HTTP method"));
            }
        }
        if let Some(v) = &self.verb {
            if !VERBS.contains(&v.as_str()) {
                out.push(format!("verb {v:?} is not one of {}", VERBS.join(", ")));
            }
        }
        if let Some(r) = &self.resource {
            if r.is_empty() || r.contains(char::is_whitespace) {
                out.push(format!("resource {r:?} is not a resource name"));
            }
        }
        if self.every == Some(0) {
            out.push("every: 0 never fires; give 1 or more".into());
        }
        if self.nth == Some(0) {
            out.push("nth counts from 1".into());
        }
        if self.nth.is_some() && (self.after > 0 || self.every.is_some() || self.times.is_some()) {
            out.push("nth goes alone (it means after: N-1, times: 1)".into());
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) || p.is_nan() {
                out.push(format!("probability {p} is not between 0 and 1"));
            }
        }
        if let Some(DelaySpec::Range { min, max }) = &self.delay {
            if min.0 > max.0 {
                out.push(format!("delay: min {:?} > max {:?}", min.0, max.0));
            }
        }
        if let Some(e) = &self.error {
            let d = e.detail();
            if !ERROR_CODES.contains(&d.code) {
                out.push(format!(
                    "error {} is not one kubemock can answer like kube-apiserver ({})",
                    d.code,
                    ERROR_CODES.map(|c| c.to_string()).join(", ")
                ));
            }
            if d.shape.is_some() && d.code != 429 {
                out.push("error.shape goes with 429 only".into());
            }
        }
        if let Some(StallSpec::Word(w)) = &self.stall {
            if w != "forever" {
                out.push(format!("stall {w:?}: give a duration or `forever`"));
            }
        }
        if let Some(w) = &self.watch {
            out.extend(w.check());
            if self.verb.as_deref().is_some_and(|v| v != "watch") {
                out.push("watch faults need verb watch (or no verb)".into());
            }
        }
        out
    }
}

impl WatchFaults {
    fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (what, h, word) in [
            ("initial_events_end", &self.initial_events_end, "withhold"),
            ("bookmarks", &self.bookmarks, "stop"),
        ] {
            if let Some(Hold::Word(w)) = h {
                if w != word {
                    out.push(format!(
                        "watch.{what}: {w:?}: give `{word}` or {{delay: D}}"
                    ));
                }
            }
        }
        if let Some(e) = &self.error {
            let d = e.detail();
            if !matches!(d.code, 410 | 500) {
                out.push(format!(
                    "watch.error {}: a watch ERROR event is 410 or 500",
                    d.code
                ));
            }
            if d.retry_after.is_some() || d.shape.is_some() {
                out.push("watch.error takes only code and message".into());
            }
        }
        if self.end == EndMode::Abrupt
            && self.end_after_events.is_none()
            && self.end_after.is_none()
        {
            out.push("watch.end: abrupt needs end_after_events or end_after".into());
        }
        if self == &WatchFaults::default() {
            out.push("watch: no fault given".into());
        }
        out
    }

    /// The faults in words.
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.end_after_events {
            parts.push(format!("end after {n} events"));
        }
        if let Some(d) = self.end_after {
            parts.push(format!("end after {:?}", d.0));
        }
        if (self.end_after_events.is_some() || self.end_after.is_some())
            && self.end == EndMode::Abrupt
        {
            parts.push("abruptly".into());
        }
        if let Some(e) = &self.error {
            parts.push(format!("ERROR {}", e.code()));
        }
        if let Some(h) = &self.initial_events_end {
            parts.push(match h.delay() {
                None => "withhold initial-events-end".into(),
                Some(d) => format!("initial-events-end {d:?} late"),
            });
        }
        if let Some(h) = &self.bookmarks {
            parts.push(match h.delay() {
                None => "no bookmarks".into(),
                Some(d) => format!("bookmarks {d:?} late"),
            });
        }
        if let Some(d) = self.delay_events {
            parts.push(format!("events {:?} late", d.0));
        }
        if let Some(d) = self.slow_initial {
            parts.push(format!("initial events {:?} apart", d.0));
        }
        parts.join(", ")
    }
}

/// A plan refused: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct PlanError {
    /// The file, when read from one.
    pub file: Option<String>,
    /// The rule's index in `rules` (0-based), when one rule is at fault.
    pub rule: Option<usize>,
    /// The rule's name, when it has one.
    pub name: Option<String>,
    /// The line (1-based) where the rule (or the syntax error) is.
    pub line: Option<usize>,
    /// Why.
    pub reason: String,
}

impl PlanError {
    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(f) = &self.file {
            out.push_str(f);
            if let Some(l) = self.line {
                out.push_str(&format!(":{l}"));
            }
            out.push_str(": ");
        } else if let Some(l) = self.line {
            out.push_str(&format!("line {l}: "));
        }
        if let Some(i) = self.rule {
            out.push_str(&format!("rules[{i}]"));
            if let Some(n) = &self.name {
                out.push_str(&format!(" ({n:?})"));
            }
            out.push_str(": ");
        }
        out.push_str(&self.reason);
        out
    }
}

impl FaultPlan {
    /// Parses and checks a plan (YAML; JSON is YAML too).
    ///
    /// # Errors
    /// Malformed YAML, an unknown field, a bad placeholder or value (with
    /// serde's line), or a rule that makes no sense (with its index, name
    /// and line).
    pub fn from_yaml(text: &str) -> Result<FaultPlan, PlanError> {
        let plan: FaultPlan = if text.trim().is_empty() {
            FaultPlan::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| {
                let line = e.location().map(|l| l.line());
                let reason = e.to_string();
                // serde_yaml says `rules[2].delay: ...`: keep the index.
                let rule = reason
                    .strip_prefix("rules[")
                    .and_then(|r| r.split(']').next())
                    .and_then(|n| n.parse().ok());
                PlanError {
                    file: None,
                    rule,
                    name: None,
                    line,
                    reason,
                }
            })?
        };
        let lines = rule_lines(text);
        for (i, r) in plan.rules.iter().enumerate() {
            let problems = r.check();
            if !problems.is_empty() {
                return Err(PlanError {
                    file: None,
                    rule: Some(i),
                    name: r.name.clone(),
                    line: lines.get(i).copied(),
                    reason: problems.join("; "),
                });
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, r) in plan.rules.iter().enumerate() {
            if !seen.insert(r.display_name(i)) {
                return Err(PlanError {
                    file: None,
                    rule: Some(i),
                    name: r.name.clone(),
                    line: lines.get(i).copied(),
                    reason: format!("duplicate rule name {:?}", r.display_name(i)),
                });
            }
        }
        Ok(plan)
    }

    /// Reads a plan file.
    ///
    /// # Errors
    /// As [`FaultPlan::from_yaml`], with the file name.
    pub fn read(path: &std::path::Path) -> Result<FaultPlan, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|e| PlanError {
            file: Some(path.display().to_string()),
            rule: None,
            name: None,
            line: None,
            reason: e.to_string(),
        })?;
        FaultPlan::from_yaml(&text).map_err(|mut e| {
            e.file = Some(path.display().to_string());
            e
        })
    }

    /// Several plans as one: rules in order, the first plan's seed and name.
    ///
    /// # Errors
    /// Two rules with the same name.
    pub fn merge(plans: Vec<FaultPlan>) -> Result<FaultPlan, PlanError> {
        let mut out = FaultPlan::default();
        for (k, p) in plans.into_iter().enumerate() {
            if k == 0 {
                out.name = p.name;
                out.description = p.description;
                out.seed = p.seed;
            }
            let base = out.rules.len();
            for (i, mut r) in p.rules.into_iter().enumerate() {
                if r.name.is_none() {
                    r.name = Some(format!("rule {}", base + i));
                }
                out.rules.push(r);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, r) in out.rules.iter().enumerate() {
            if !seen.insert(r.display_name(i)) {
                return Err(PlanError {
                    file: None,
                    rule: Some(i),
                    name: r.name.clone(),
                    line: None,
                    reason: format!("duplicate rule name {:?} across plans", r.display_name(i)),
                });
            }
        }
        Ok(out)
    }
}

/// The 1-based line where each item of the top-level `rules:` block
/// sequence starts (YAML block style only; a JSON plan gets no lines).
fn rule_lines(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_rules = false;
    let mut item_indent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 && !trimmed.starts_with('-') {
            in_rules = trimmed.starts_with("rules:");
            item_indent = None;
            continue;
        }
        if !in_rules {
            continue;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            match item_indent {
                None => {
                    item_indent = Some(indent);
                    out.push(i + 1);
                }
                Some(k) if k == indent => out.push(i + 1),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        FaultPlan::from_yaml(text)
            .expect_err("the plan must be refused")
            .to_string()
    }

    #[test]
    fn a_full_plan_parses() {
        let plan = FaultPlan::from_yaml(
            "seed: 7\nrules:\n  - name: throttle\n    verb: list\n    resource: pods\n    times: 3\n    error: {code: 429, retry_after: 2}\n  - path: /api/v1/namespaces/{any}/endpoints\n    watch: {end_after: 5s, error: 410}\n  - delay: {min: 10ms, max: 20ms}\n    probability: 0.5\n  - drop: {after_bytes: 10}\n  - reset: before_headers\n  - stall: forever\n",
        )
        .expect("valid");
        assert_eq!(plan.seed, 7);
        assert_eq!(plan.rules.len(), 6);
        assert_eq!(plan.rules[0].error.as_ref().map(ErrorSpec::code), Some(429));
        assert_eq!(
            plan.rules[1].watch.as_ref().and_then(|w| w.end_after),
            Some(GoDuration(Duration::from_secs(5)))
        );
        assert_eq!(plan.rules[3].drop.and_then(|p| p.after_bytes()), Some(10));
        assert_eq!(plan.rules[4].reset.map(|p| p.after_bytes()), Some(None));
        assert_eq!(
            plan.rules[5].stall.as_ref().map(StallSpec::duration),
            Some(None)
        );
        assert_eq!(plan.rules[1].display_name(1), "rule 1");
        assert_eq!(plan.rules[1].action_text(), "watch end after 5s, ERROR 410");
    }

    #[test]
    fn bad_rules_are_refused_with_index_name_and_line() {
        let text = "seed: 1\nrules:\n  - name: ok\n    error: 500\n  - name: twice\n    error: 503\n    drop: before_headers\n";
        assert_eq!(
            refused(text),
            "line 5: rules[1] (\"twice\"): give at most one of error, drop, reset, stall, watch"
        );
        assert_eq!(
            refused("rules:\n- error: 418\n"),
            "line 2: rules[0]: error 418 is not one kubemock can answer like kube-apiserver (401, 403, 409, 410, 429, 500, 503, 504)"
        );
        assert_eq!(
            refused("rules:\n- name: p\n  probability: 1.5\n  error: 500\n"),
            "line 2: rules[0] (\"p\"): probability 1.5 is not between 0 and 1"
        );
        assert_eq!(
            refused("rules:\n- name: nothing\n  verb: list\n"),
            "line 2: rules[0] (\"nothing\"): no action: give delay, error, drop, reset, stall or watch"
        );
        assert_eq!(
            refused("rules:\n- {name: a, error: 500}\n- {name: a, error: 503}\n"),
            "line 3: rules[1] (\"a\"): duplicate rule name \"a\""
        );
        assert!(
            refused("rules:\n- verb: lsit\n  error: 500\n").contains("verb \"lsit\" is not one of")
        );
        assert!(refused("rules:\n- watch: {error: 429}\n")
            .contains("a watch ERROR event is 410 or 500"));
        assert!(refused("rules:\n- watch: {end: abrupt}\n").contains("abrupt needs"));
    }

    #[test]
    fn syntax_errors_keep_serdes_line_and_the_rule_index() {
        let e = FaultPlan::from_yaml(
            "rules:\n  - name: a\n    error: 500\n  - name: b\n    dleay: 1s\n",
        )
        .expect_err("unknown field");
        assert_eq!(e.rule, Some(1));
        assert_eq!(e.line, Some(5));
        assert!(e.reason.contains("unknown field `dleay`"), "{}", e.reason);
        let e = FaultPlan::from_yaml("rules:\n  - delay: 3 parsecs\n").expect_err("bad duration");
        assert_eq!(e.rule, Some(0));
        assert!(e.to_string().contains("rules[0]"), "{e}");
        let e = FaultPlan::from_yaml("rules:\n  - path: /api/{nope}\n    error: 500\n")
            .expect_err("bad placeholder");
        assert!(
            e.reason.contains("unknown placeholder {nope}"),
            "{}",
            e.reason
        );
    }

    #[test]
    fn an_empty_text_is_an_empty_plan() {
        assert_eq!(
            FaultPlan::from_yaml("").expect("empty"),
            FaultPlan::default()
        );
        assert_eq!(
            FaultPlan::from_yaml("{\"rules\": []}").expect("json"),
            FaultPlan::default()
        );
    }
}
