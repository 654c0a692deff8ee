//! The HTTP-level fuzzer behind `kubemock fuzz`: starts `kubemock serve`
//! as a child process (so that a crash is seen, not shared) or drives
//! `--against` a kubeconfig's server, seeds objects (configmaps, secrets, a
//! deployment, a CRD and an instance of it), then sends a seeded mix of
//! valid and invalid requests (garbled query strings, headers, bodies,
//! patches, paths, methods, huge numbers, deep nesting) in batches with
//! bounded concurrency, and checks the invariants of issue 14:
//!
//! - every error body is a `Status` (JSON, YAML or protobuf, as negotiated)
//!   whose `code` is the HTTP status, or one of [`PLAIN_TEXT_ERRORS`], the
//!   plain-text bodies the real server also sends;
//! - no 5xx other than the real server's ([`REAL_5XX`]);
//! - every request is answered (no reset connection) within [`HANG`];
//! - the server stays alive: a health check after every batch;
//! - requests the real server refuses (the data-destroying ones of issue
//!   14) are refused;
//! - the seeded objects are unchanged unless a request of the batch
//!   changed them with a 2xx write.
//!
//! A dead or wedged server is a violation; the fuzzer then starts a new one
//! and goes on. The report is a table (requests by status code, violations
//! with the request behind each). Deterministic: the requests depend only
//! on the seed (their interleaving on the wire does not).

use super::Mutator;
use crate::bench::target::{kubemock_binary, Endpoint, Spawned};
use anyhow::{bail, Context, Result};
use futures::StreamExt;
use rand::seq::IndexedRandom;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A request not answered within this is a hang.
pub const HANG: Duration = Duration::from_secs(10);

/// How long a watch stream is read before the fuzzer lets it go.
const WATCH_READ: Duration = Duration::from_millis(300);

/// The plain-text error bodies the real server sends: (code, body).
/// Go's `http.NotFound` outside the API groups (real-server-findings: an
/// unknown API group), and net/http's own answers to requests it cannot
/// parse (`400 Bad Request`, `431 Request Header Fields Too Large`).
/// UNVERIFIED: the net/http texts are from Go's `net/http/server.go`.
pub const PLAIN_TEXT_ERRORS: &[(u16, &str)] = &[
    (404, "404 page not found\n"),
    (400, "400 Bad Request"),
    (431, "431 Request Header Fields Too Large"),
    // kube-openapi's `w.WriteHeader(406)` for an Accept it cannot serve.
    (406, ""),
];

/// The 5xx answers the real server gives: (code, text the Status message
/// contains, when). Any other 5xx is a violation.
pub const REAL_5XX: &[(u16, &str, &str)] = &[
    (
        500,
        "failed to create typed patch object",
        "apply of a value of the wrong type",
    ),
    (
        500,
        "failed to convert new object",
        "apply whose result does not convert",
    ),
    (
        500,
        "strconv.ParseUint",
        "get or watch with a resourceVersion that is not a number",
    ),
    (
        504,
        "Timeout: Too large resource version",
        "get or list at a resourceVersion the server has not reached (after its wait)",
    ),
];

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests to send (seeding and checks not counted).
    pub requests: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The seed of every choice.
    pub seed: u64,
    /// Drive this kubeconfig's server instead of spawning kubemock.
    pub against: Option<PathBuf>,
    /// Where to write the JSON report.
    pub json: Option<PathBuf>,
    /// Print a line per batch to stderr.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            requests: 3_000,
            concurrency: 16,
            seed: 14,
            against: None,
            json: None,
            progress: false,
        }
    }
}

/// One broken invariant and the request behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// What broke (`5xx`, `not a Status`, `hang`, ...).
    pub kind: String,
    /// The request: method, path, interesting headers, body (cut).
    pub request: String,
    /// The answer or what was seen.
    pub detail: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Requests sent.
    pub requests: usize,
    /// Requests by answer: the HTTP code, `no response`, `hang`.
    pub by_status: BTreeMap<String, usize>,
    /// Requests the generator made invalid on purpose.
    pub garbled: usize,
    /// Writes that changed a seeded object with a 2xx.
    pub seeded_writes: usize,
    /// Health checks passed.
    pub health_checks: usize,
    /// Times the server had to be started again.
    pub restarts: usize,
    /// Violations by kind.
    pub violation_counts: BTreeMap<String, usize>,
    /// The violations (the first 200; see `violation_counts` for all).
    pub violations: Vec<Violation>,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl Report {
    fn violate(&mut self, kind: &str, request: String, detail: String) {
        *self.violation_counts.entry(kind.to_string()).or_default() += 1;
        if self.violations.len() < 200 {
            self.violations.push(Violation {
                kind: kind.into(),
                request,
                detail,
            });
        }
    }

    /// Total violations, all kinds.
    pub fn violation_total(&self) -> usize {
        self.violation_counts.values().sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kubemock fuzz: seed {}, {} requests in {:.1} s ({} garbled), {} seeded writes, {} health checks, {} restarts",
            self.seed, self.requests, self.seconds, self.garbled, self.seeded_writes, self.health_checks, self.restarts
        )?;
        writeln!(f, "{:<14} {:>9}", "answer", "requests")?;
        for (k, n) in &self.by_status {
            writeln!(f, "{k:<14} {n:>9}")?;
        }
        writeln!(f, "{:<40} {:>9}", "violation", "count")?;
        if self.violation_counts.is_empty() {
            writeln!(f, "{:<40} {:>9}", "(none)", 0)?;
        }
        for (k, n) in &self.violation_counts {
            writeln!(f, "{k:<40} {n:>9}")?;
        }
        for v in &self.violations {
            writeln!(f, "- {}: {}\n    request: {}", v.kind, v.detail, v.request)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Requests

/// One generated request.
#[derive(Debug, Clone)]
struct FuzzRequest {
    method: Method,
    /// Path and query, as sent.
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    /// The generator's template.
    template: &'static str,
    /// What the real server answers to this (a refusal), when it must not
    /// be a success.
    must_refuse: Option<&'static str>,
    garbled: bool,
}

impl FuzzRequest {
    fn new(method: Method, target: String, template: &'static str) -> FuzzRequest {
        FuzzRequest {
            method,
            target,
            headers: Vec::new(),
            body: Vec::new(),
            template,
            must_refuse: None,
            garbled: false,
        }
    }

    fn header(mut self, k: &str, v: &str) -> FuzzRequest {
        self.headers.push((k.into(), v.as_bytes().to_vec()));
        self
    }

    fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> FuzzRequest {
        self.body = body.into();
        self.header("Content-Type", content_type)
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The path the server receives: the client's URL parser removes
    /// `.` and `..` segments (WHATWG), and the server decodes `%XX`.
    fn sent_path(&self) -> String {
        let raw = self.path();
        let normalized = reqwest::Url::parse(&format!("http://h{raw}"))
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| raw.to_string());
        let b = normalized.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex
                .filter(|_| b[i] == b'%')
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(v) => {
                    out.push(v);
                    i += 3;
                }
                None => {
                    out.push(b[i]);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap_or(normalized)
    }

    fn is_watch(&self) -> bool {
        let t = self.target.to_ascii_lowercase();
        t.contains("watch") || t.contains("%77atch")
    }

    fn summary(&self) -> String {
        let cut = |s: &str, n: usize| -> String {
            if s.chars().count() > n {
                format!(
                    "{}… ({} bytes)",
                    s.chars().take(n).collect::<String>(),
                    s.len()
                )
            } else {
                s.to_string()
            }
        };
        let mut out = format!(
            "[{}] {} {}",
            self.template,
            self.method,
            cut(&self.target, 300)
        );
        for (k, v) in &self.headers {
            out.push_str(&format!(
                " | {k}: {}",
                cut(&String::from_utf8_lossy(v), 120)
            ));
        }
        if !self.body.is_empty() {
            out.push_str(&format!(
                " | body: {}",
                cut(&String::from_utf8_lossy(&self.body), 200)
            ));
        }
        out
    }
}

/// A seeded object: where it lives and how it was created.
#[derive(Debug, Clone)]
struct Seeded {
    collection: String,
    name: String,
    body: Value,
}

impl Seeded {
    fn path(&self) -> String {
        format!("{}/{}", self.collection, self.name)
    }
}

const NS: &str = "fuzz";
const CM: &str = "/api/v1/namespaces/fuzz/configmaps";
const SECRETS: &str = "/api/v1/namespaces/fuzz/secrets";
const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/fuzz/deployments";
const WIDGETS: &str = "/apis/fuzz.example.com/v1/namespaces/fuzz/widgets";

fn seeded_objects() -> Vec<Seeded> {
    let mut out = Vec::new();
    for i in 0..3 {
        out.push(Seeded {
            collection: CM.into(),
            name: format!("cm-{i}"),
            body: json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i}"), "labels": {"seeded": "true", "i": i.to_string()}},
                "data": {"k": "v", "n": i.to_string()}}),
        });
    }
    for i in 0..2 {
        out.push(Seeded {
            collection: SECRETS.into(),
            name: format!("s-{i}"),
            body: json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": format!("s-{i}"), "labels": {"seeded": "true"}},
                "data": {"password": "aHVudGVyMg=="}}),
        });
    }
    out.push(Seeded {
        collection: DEPLOYMENTS.into(),
        name: "web".into(),
        body: json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"seeded": "true"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1"}]}}}}),
    });
    out.push(Seeded {
        collection: WIDGETS.into(),
        name: "w-0".into(),
        body: json!({"apiVersion": "fuzz.example.com/v1", "kind": "Widget",
            "metadata": {"name": "w-0", "labels": {"seeded": "true"}},
            "spec": {"size": 3, "colour": "blue"}}),
    });
    out
}

fn crd() -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.fuzz.example.com"},
        "spec": {"group": "fuzz.example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}})
}

const ACCEPTS: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json;as=Table;v=v1;g=meta.k8s.io, application/json",
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
    "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
    "application/vnd.kubernetes.protobuf, application/json",
    "*/*",
    "text/html",
    "application/json;q=0.1, application/yaml;q=0.9",
];

const BAD_VALUES: &[&str] = &[
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-1",
    "18446744073709551616",
    "1e9",
    "abc",
    "",
    "%zz",
    "%00",
    "0x10",
    "99999999999999999999999999999",
    "true",
    "All",
    "1h",
    "-5m",
    "2562048h",
];

const PARAMS: &[&str] = &[
    "timeoutSeconds",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "watch",
    "allowWatchBookmarks",
    "sendInitialEvents",
    "labelSelector",
    "fieldSelector",
    "continue",
    "dryRun",
    "fieldManager",
    "fieldValidation",
    "force",
    "gracePeriodSeconds",
    "propagationPolicy",
    "orphanDependents",
    "pretty",
    "timeout",
    "includeObject",
];

/// The seeded generator of requests.
struct Generator {
    m: Mutator,
    seeded: Vec<Seeded>,
    /// Seeds for body, selector and header mutations.
    bodies: Vec<Vec<u8>>,
    selectors: Vec<Vec<u8>>,
    accepts: Vec<Vec<u8>>,
    next_name: usize,
    /// Whether the control API is ours to use (not with --against).
    control: bool,
}

impl Generator {
    fn new(seed: u64, seeded: Vec<Seeded>, control: bool) -> Generator {
        let dir = super::default_corpus_dir();
        let load = |t: &str| -> Vec<Vec<u8>> {
            super::corpus(&dir, t)
                .unwrap_or_default()
                .into_iter()
                // Corpus files that are issue-14 findings are sent as
                // themselves by the must-refuse templates.
                .filter(|(n, d)| !n.starts_with("issue14") && d.len() < 4096)
                .map(|(_, d)| d)
                .collect()
        };
        let mut bodies = load("json_body");
        bodies.extend(load("merge_patch"));
        bodies.extend(load("json_patch"));
        let mut selectors = load("label_selector");
        selectors.extend(load("field_selector"));
        Generator {
            m: Mutator::new(seed),
            seeded,
            bodies,
            selectors,
            accepts: load("negotiate"),
            next_name: 0,
            control,
        }
    }

    fn rng(&mut self) -> &mut rand::rngs::StdRng {
        self.m.rng()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng().random_bool(p)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        *from.choose(self.rng()).expect("non-empty table")
    }

    fn seeded_pick(&mut self) -> Seeded {
        let n = self.seeded.len();
        let i = self.rng().random_range(0..n);
        self.seeded[i].clone()
    }

    fn fresh_name(&mut self) -> String {
        self.next_name += 1;
        format!("fz-{}", self.next_name)
    }

    fn some_name(&mut self) -> String {
        let top = self.next_name.max(1);
        let n = self.rng().random_range(1..=top);
        format!("fz-{n}")
    }

    fn configmap(&mut self, name: &str) -> Value {
        let v = self.rng().random_range(0..1000).to_string();
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"gen": "fuzz"}}, "data": {"v": v}})
    }

    fn next(&mut self) -> FuzzRequest {
        let mut r = match self.rng().random_range(0..100) {
            0..=14 => self.list(),
            15..=27 => self.get(),
            28..=32 => self.watch(),
            33..=42 => self.create(),
            43..=49 => self.update(),
            50..=57 => self.patch(),
            58..=62 => self.delete(),
            63..=67 => self.seeded_write(),
            68..=73 => self.discovery(),
            74..=85 => self.must_refuse(),
            _ => self.control_api(),
        };
        if r.must_refuse.is_none() && !r.target.starts_with("/kubemock/") && self.chance(0.5) {
            self.garble(&mut r);
        }
        r
    }

    fn list(&mut self) -> FuzzRequest {
        let c = self.pick(&[
            CM,
            SECRETS,
            DEPLOYMENTS,
            WIDGETS,
            "/api/v1/configmaps",
            "/api/v1/namespaces",
        ]);
        let mut q = Vec::new();
        if self.chance(0.4) {
            q.push(format!("limit={}", self.rng().random_range(1..5)));
        }
        if self.chance(0.3) {
            q.push("labelSelector=seeded%3Dtrue".to_string());
        }
        if self.chance(0.2) {
            q.push("fieldSelector=metadata.name%3Dcm-1".to_string());
        }
        if self.chance(0.2) {
            q.push("resourceVersion=0".to_string());
        }
        let a = self.pick(ACCEPTS);
        FuzzRequest::new(Method::GET, format!("{c}?{}", q.join("&")), "list").header("Accept", a)
    }

    fn get(&mut self) -> FuzzRequest {
        let s = self.seeded_pick();
        let a = self.pick(ACCEPTS);
        FuzzRequest::new(Method::GET, s.path(), "get").header("Accept", a)
    }

    fn watch(&mut self) -> FuzzRequest {
        let c = self.pick(&[CM, SECRETS, DEPLOYMENTS, WIDGETS]);
        let extra = self.pick(&[
            "",
            "&resourceVersion=0",
            "&allowWatchBookmarks=true",
            "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
            "&fieldSelector=metadata.name%3Dcm-0",
        ]);
        FuzzRequest::new(
            Method::GET,
            format!("{c}?watch=true&timeoutSeconds=1{extra}"),
            "watch",
        )
    }

    fn create(&mut self) -> FuzzRequest {
        let name = self.fresh_name();
        let obj = self.configmap(&name);
        if self.chance(0.3) {
            let yaml = serde_yaml::to_string(&obj).unwrap_or_default();
            FuzzRequest::new(Method::POST, CM.into(), "create").body("application/yaml", yaml)
        } else {
            FuzzRequest::new(Method::POST, CM.into(), "create")
                .body("application/json", obj.to_string())
        }
    }

    fn update(&mut self) -> FuzzRequest {
        let name = self.some_name();
        let obj = self.configmap(&name);
        FuzzRequest::new(Method::PUT, format!("{CM}/{name}"), "update")
            .body("application/json", obj.to_string())
    }

    fn patch(&mut self) -> FuzzRequest {
        let name = self.some_name();
        let v = self.rng().random_range(0..1000);
        let target = format!("{CM}/{name}");
        match self.rng().random_range(0..4) {
            0 => FuzzRequest::new(Method::PATCH, target, "merge patch").body(
                "application/merge-patch+json",
                json!({"data": {"p": v.to_string()}}).to_string(),
            ),
            1 => FuzzRequest::new(Method::PATCH, target, "json patch").body(
                "application/json-patch+json",
                json!([{"op": "add", "path": "/data/p", "value": v.to_string()}]).to_string(),
            ),
            2 => FuzzRequest::new(Method::PATCH, target, "strategic merge patch").body(
                "application/strategic-merge-patch+json",
                json!({"metadata": {"labels": {"p": v.to_string()}}}).to_string(),
            ),
            _ => FuzzRequest::new(
                Method::PATCH,
                format!("{target}?fieldManager=fuzz&force=true"),
                "apply",
            )
            .body(
                "application/apply-patch+yaml",
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: \"{v}\"\n"),
            ),
        }
    }

    fn delete(&mut self) -> FuzzRequest {
        let name = self.some_name();
        FuzzRequest::new(Method::DELETE, format!("{CM}/{name}"), "delete")
    }

    /// A valid write on a seeded object: its change is legitimate.
    fn seeded_write(&mut self) -> FuzzRequest {
        let s = self.seeded_pick();
        let v = self.rng().random_range(0..1000).to_string();
        FuzzRequest::new(Method::PATCH, s.path(), "seeded merge patch").body(
            "application/merge-patch+json",
            json!({"metadata": {"labels": {"touched": v}}}).to_string(),
        )
    }

    fn discovery(&mut self) -> FuzzRequest {
        let p = self.pick(&[
            "/api",
            "/apis",
            "/api/v1",
            "/apis/apps/v1",
            "/apis/fuzz.example.com/v1",
            "/version",
            "/healthz",
            "/readyz?verbose",
            "/openapi/v3",
            "/apis/nope.example.com/v1",
            "/nothing/here",
        ]);
        let a = self.pick(&[
            "application/json",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
            "application/yaml",
            "text/plain",
        ]);
        FuzzRequest::new(Method::GET, p.into(), "discovery").header("Accept", a)
    }

    /// The requests of issue 14 the real server refuses; each on a seeded
    /// object, so that an acceptance also shows as damage.
    fn must_refuse(&mut self) -> FuzzRequest {
        let s = self.seeded_pick();
        let path = s.path();
        let mut uid_less = s.body.clone();
        let deep = "[".repeat(16_000);
        let mut r = match self.rng().random_range(0..12) {
            0 => FuzzRequest::new(Method::DELETE, path, "DELETE body \"x\"")
                .body("application/json", "\"x\""),
            1 => FuzzRequest::new(Method::DELETE, path, "DELETE body []")
                .body("application/json", "[]"),
            2 => FuzzRequest::new(Method::DELETE, path, "DELETE gracePeriodSeconds \"x\"")
                .body("application/json", r#"{"gracePeriodSeconds":"x"}"#),
            3 => FuzzRequest::new(
                Method::DELETE,
                path,
                "DELETE orphanDependents + propagationPolicy",
            )
            .body(
                "application/json",
                r#"{"orphanDependents":true,"propagationPolicy":"Background"}"#,
            ),
            4 => {
                if let Some(m) = uid_less.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.remove("name");
                }
                FuzzRequest::new(Method::PUT, path, "PUT without metadata.name")
                    .body("application/json", uid_less.to_string())
            }
            5 => {
                if let Some(m) = uid_less.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.insert("uid".into(), json!("00000000-0000-0000-0000-000000000000"));
                }
                FuzzRequest::new(Method::PUT, path, "PUT with a wrong metadata.uid")
                    .body("application/json", uid_less.to_string())
            }
            6 => FuzzRequest::new(Method::PATCH, path, "merge patch of metadata.uid").body(
                "application/merge-patch+json",
                r#"{"metadata":{"uid":"00000000-0000-0000-0000-000000000000"}}"#,
            ),
            7 => FuzzRequest::new(Method::POST, s.collection.clone(), "POST 16k nested [")
                .body("application/json", deep),
            8 => FuzzRequest::new(Method::PUT, path, "PUT 16k nested [")
                .body("application/json", deep),
            9 => {
                let ct = self.pick(&[
                    "application/merge-patch+json",
                    "application/json-patch+json",
                    "application/strategic-merge-patch+json",
                ]);
                FuzzRequest::new(Method::PATCH, path, "PATCH 16k nested [").body(ct, deep)
            }
            _ => {
                // Server-side apply of values of the wrong type, on a
                // seeded configmap.
                let bad = self.pick(&[
                    "data: x",
                    "data: [x]",
                    "binaryData: {b: '!!!'}",
                    "immutable: \"x\"",
                ]);
                let name = &s.name;
                let cm = s.collection == CM;
                let target = if cm { path } else { format!("{CM}/cm-0") };
                let name = if cm { name.as_str() } else { "cm-0" };
                FuzzRequest::new(
                    Method::PATCH,
                    format!("{target}?fieldManager=fuzz&force=true"),
                    "apply of wrong types",
                )
                .body(
                    "application/apply-patch+yaml",
                    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{bad}\n"),
                )
            }
        };
        r.must_refuse = Some(match r.template {
            "DELETE orphanDependents + propagationPolicy" | "merge patch of metadata.uid" => "422",
            "PUT with a wrong metadata.uid" => "409",
            "apply of wrong types" => "500",
            _ => "400",
        });
        r
    }

    fn control_api(&mut self) -> FuzzRequest {
        if !self.control || self.chance(0.3) {
            // Huge numbers in a watch: the issue-14 panic.
            let c = self.pick(&[CM, SECRETS]);
            let t = self.pick(&["9223372036854775807", "9223372036854775", "-1", "0"]);
            return FuzzRequest::new(
                Method::GET,
                format!("{c}?watch=true&timeoutSeconds={t}"),
                "watch with a huge timeoutSeconds",
            );
        }
        if self.chance(0.2) {
            return FuzzRequest::new(
                Method::DELETE,
                "/kubemock/v1/expectations".into(),
                "expectations reset",
            );
        }
        let n = self.rng().random_range(1..=16);
        let ph = self.pick(&["{any}", "{int}", "{rv}", "{duration}", "{bool}"]);
        let path = format!("/{}x", ph.repeat(n));
        FuzzRequest::new(
            Method::POST,
            "/kubemock/v1/expectations".into(),
            "expectation with many placeholders",
        )
        .body(
            "application/yaml",
            format!("expectations:\n- path: '{path}'\n  times: any\n"),
        )
    }

    /// Makes a request invalid in one to three ways.
    fn garble(&mut self, r: &mut FuzzRequest) {
        r.garbled = true;
        for _ in 0..self.rng().random_range(1..=3) {
            match self.rng().random_range(0..7) {
                0 => self.garble_query(r),
                1 => {
                    let seeds = self.accepts.clone();
                    let v = self.m.mutate(&seeds);
                    let (a, ct) = split_line(&v);
                    r.headers
                        .retain(|(k, _)| k != "Accept" && k != "Content-Type");
                    r.headers.push(("Accept".into(), header_safe(a)));
                    if !ct.is_empty() {
                        r.headers.push(("Content-Type".into(), header_safe(ct)));
                    }
                }
                2 => {
                    let mut seeds = self.bodies.clone();
                    seeds.push(r.body.clone());
                    r.body = self.m.mutate(&seeds);
                }
                3 => self.garble_path(r),
                4 => {
                    let m = self.pick(&[
                        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FUZZ",
                    ]);
                    r.method = Method::from_bytes(m.as_bytes()).unwrap_or(Method::GET);
                }
                5 => {
                    let name = self.pick(&[
                        "X-Fuzz",
                        "Accept-Encoding",
                        "Authorization",
                        "Impersonate-User",
                        "Content-Encoding",
                        "Transfer-Encoding-X",
                    ]);
                    let seeds = self.selectors.clone();
                    let v = self.m.mutate(&seeds);
                    r.headers.push((name.into(), header_safe(&v)));
                }
                _ => {
                    let n = self.pick(&[1usize, 100, 2_000, 20_000]);
                    let nest = self.pick(&["[", "{\"a\":", "- ", "a: "]);
                    r.body = nest.repeat(n).into_bytes();
                }
            }
        }
    }

    fn garble_query(&mut self, r: &mut FuzzRequest) {
        let key = self.pick(PARAMS);
        let value = if self.chance(0.5) {
            self.pick(BAD_VALUES).to_string()
        } else {
            let seeds = self.selectors.clone();
            query_safe(&self.m.mutate(&seeds))
        };
        let sep = if r.target.contains('?') { "&" } else { "?" };
        r.target = format!("{}{sep}{key}={value}", r.target);
        if self.chance(0.2) {
            let junk = self.pick(&[
                "&&&",
                "&=",
                "&%",
                "&a=%G0",
                "&;",
                "&watch",
                "&limit=1&limit=2",
            ]);
            r.target.push_str(junk);
        }
    }

    fn garble_path(&mut self, r: &mut FuzzRequest) {
        let (path, query) = match r.target.split_once('?') {
            Some((p, q)) => (p.to_string(), format!("?{q}")),
            None => (r.target.clone(), String::new()),
        };
        let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
        match self.rng().random_range(0..6) {
            0 if segs.len() > 2 => {
                let i = self.rng().random_range(1..segs.len());
                segs.remove(i);
            }
            1 => {
                let i = self.rng().random_range(1..=segs.len());
                let s = self.pick(&[
                    "..", ".", "%2e%2e", "%2F", "", "status", "scale", "watch", "proxy", "é",
                    "%00", "x",
                ]);
                let s = if s == "x" {
                    "x".repeat(300)
                } else {
                    s.to_string()
                };
                segs.insert(i.min(segs.len()), s);
            }
            2 => {
                let i = self.rng().random_range(1..segs.len().max(2));
                if let Some(s) = segs.get_mut(i) {
                    *s = s.to_uppercase();
                }
            }
            3 => segs.push("a".repeat(self.pick(&[253usize, 254, 70_000]))),
            4 => segs.insert(1, "apis/nope.example.com/v1".into()),
            _ => {
                let i = self.rng().random_range(1..segs.len().max(2));
                if let Some(s) = segs.get_mut(i) {
                    *s = self
                        .pick(&[
                            "v2",
                            "v1beta1",
                            "namespaces",
                            "default",
                            "kube-system",
                            "-",
                            "~",
                        ])
                        .into();
                }
            }
        }
        let mut p = segs.join("/");
        if p.starts_with("/kubemock") || !p.starts_with('/') {
            p = format!("/x{p}");
        }
        r.target = format!("{p}{query}");
    }
}

fn split_line(v: &[u8]) -> (&[u8], &[u8]) {
    match v.iter().position(|&b| b == b'\n') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &[]),
    }
}

/// Bytes a header value may carry (no control characters but tab).
fn header_safe(v: &[u8]) -> Vec<u8> {
    v.iter()
        .copied()
        .filter(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        .take(8192)
        .collect()
}

/// A query value: percent-encoded where a URL needs it.
fn query_safe(v: &[u8]) -> String {
    form_urlencoded::byte_serialize(&v[..v.len().min(4096)]).collect()
}

// ---------------------------------------------------------------------------
// Running

/// What came back.
enum Outcome {
    Answer {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    NoResponse(String),
    /// The HTTP client would not send it (a URL it refuses): no finding.
    NotSent,
    Hang,
}

struct Server {
    endpoint: Endpoint,
    client: reqwest::Client,
    child: Option<Spawned>,
}

impl Server {
    fn start(opts: &Options) -> Result<Server> {
        let (endpoint, child) = match &opts.against {
            Some(kc) => (Endpoint::from_kubeconfig(kc)?, None),
            None => {
                let bin = kubemock_binary()?;
                // A bare apiserver: controllers' status writes to the seeded
                // workloads would read as changes no request made.
                let (s, _) = Spawned::start(&bin, &["--controllers", "none"])?;
                (s.endpoint.clone(), Some(s))
            }
        };
        let client = endpoint.client()?;
        Ok(Server {
            endpoint,
            client,
            child,
        })
    }

    async fn send(&self, r: &FuzzRequest) -> Outcome {
        let mut rb = self.endpoint.auth(self.client.request(
            r.method.clone(),
            format!("{}{}", self.endpoint.url, r.target),
        ));
        for (k, v) in &r.headers {
            if let Ok(v) = reqwest::header::HeaderValue::from_bytes(v) {
                rb = rb.header(k.as_str(), v);
            }
        }
        if !r.body.is_empty() {
            rb = rb.body(r.body.clone());
        }
        let watch = r.is_watch();
        let fut = async {
            let resp = match rb.send().await {
                Ok(resp) => resp,
                Err(e) if e.is_builder() => return Outcome::NotSent,
                Err(e) => return Outcome::NoResponse(error_chain(&e)),
            };
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let mut body = Vec::new();
            let mut stream = resp.bytes_stream();
            let started = Instant::now();
            loop {
                let next = if watch && status == 200 {
                    match tokio::time::timeout(
                        WATCH_READ.saturating_sub(started.elapsed()),
                        stream.next(),
                    )
                    .await
                    {
                        Ok(n) => n,
                        Err(_) => break,
                    }
                } else {
                    stream.next().await
                };
                match next {
                    None => break,
                    Some(Ok(chunk)) => {
                        if body.len() < 1 << 20 {
                            body.extend_from_slice(&chunk);
                        }
                    }
                    Some(Err(e)) => {
                        return Outcome::NoResponse(format!("body cut: {}", error_chain(&e)))
                    }
                }
            }
            Outcome::Answer {
                status,
                content_type,
                body,
            }
        };
        match tokio::time::timeout(HANG, fut).await {
            Ok(o) => o,
            Err(_) => Outcome::Hang,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        let mut rb = self
            .endpoint
            .auth(
                self.client
                    .request(method, format!("{}{path}", self.endpoint.url)),
            )
            .header("Accept", "application/json");
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = tokio::time::timeout(HANG, rb.send())
            .await
            .context("timed out")??;
        let code = resp.status().as_u16();
        let v = tokio::time::timeout(HANG, resp.json::<Value>())
            .await
            .context("timed out")?
            .unwrap_or(Value::Null);
        Ok((code, v))
    }

    async fn healthy(&self) -> bool {
        let rb = self.endpoint.get(&self.client, "/healthz");
        matches!(tokio::time::timeout(HANG, rb.send()).await, Ok(Ok(r)) if r.status() == StatusCode::OK)
    }

    /// Creates the namespace, the CRD and the seeded objects (an existing
    /// one is kept as it is).
    async fn seed(&self, seeded: &[Seeded]) -> Result<()> {
        let (code, v) = self
            .call(
                Method::POST,
                "/api/v1/namespaces",
                Some(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})),
            )
            .await?;
        if code >= 300 && code != 409 {
            bail!("creating namespace {NS}: {code} {v}");
        }
        if code == 409 {
            self.revive_namespace().await?;
        }
        let (code, v) = self
            .call(
                Method::POST,
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                Some(&crd()),
            )
            .await?;
        if code >= 300 && code != 409 {
            bail!("creating the CRD: {code} {v}");
        }
        for s in seeded {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let (code, v) = self
                    .call(Method::POST, &s.collection, Some(&s.body))
                    .await?;
                if code < 300 || code == 409 {
                    break;
                }
                // A CRD's endpoint comes up shortly after the CRD.
                if code != 404 || Instant::now() > deadline {
                    bail!("seeding {}: {code} {v}", s.path());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    /// A request deleted the namespace: with no namespace controller (a
    /// bare apiserver) it stays Terminating and refuses creates. Finalize
    /// it as the controller would (its content stays, as in a bare
    /// apiserver's storage), wait until it is gone, and create it again.
    async fn revive_namespace(&self) -> Result<()> {
        let path = format!("/api/v1/namespaces/{NS}");
        let (code, mut ns) = self.call(Method::GET, &path, None).await?;
        if code != 200 || ns.pointer("/metadata/deletionTimestamp").is_none() {
            return Ok(());
        }
        ns["spec"]["finalizers"] = json!([]);
        let (code, v) = self
            .call(Method::PUT, &format!("{path}/finalize"), Some(&ns))
            .await?;
        if code >= 300 && code != 404 {
            bail!("finalizing namespace {NS}: {code} {v}");
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (code, _) = self.call(Method::GET, &path, None).await?;
            if code == 404 {
                break;
            }
            if Instant::now() > deadline {
                bail!("namespace {NS} still there 20 s after its finalizers were removed");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (code, v) = self
            .call(
                Method::POST,
                "/api/v1/namespaces",
                Some(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})),
            )
            .await?;
        if code >= 300 {
            bail!("creating namespace {NS} again: {code} {v}");
        }
        Ok(())
    }

    /// The seeded objects as stored now (`Null` when absent).
    async fn snapshot(&self, seeded: &[Seeded]) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for s in seeded {
            let (code, v) = self.call(Method::GET, &s.path(), None).await?;
            out.push(if code == 200 { v } else { Value::Null });
        }
        Ok(out)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// Checks one answer; returns the violation (kind, detail), if any.
fn check(
    r: &FuzzRequest,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> Option<(&'static str, String)> {
    let shown = || String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    if let Some(real) = r.must_refuse {
        if (200..300).contains(&status) {
            return Some((
                "accepted what the real server refuses",
                format!("{status} (real server: {real}): {}", shown()),
            ));
        }
    }
    if status < 400 {
        return None;
    }
    if r.method == Method::HEAD {
        // No body to compare: a HEAD's 5xx is the real one when the GET's
        // would be (the resourceVersion cases of `REAL_5XX`).
        return (status >= 500 && !head_5xx_is_real(r, status))
            .then(|| ("5xx", format!("{status} to HEAD")));
    }
    if PLAIN_TEXT_ERRORS
        .iter()
        .any(|(c, t)| *c == status && body == t.as_bytes())
    {
        return None;
    }
    let status_doc = if body.starts_with(b"k8s\0") {
        crate::api::protobuf::decode(body).ok()
    } else if content_type.contains("yaml") {
        serde_yaml::from_slice::<Value>(body).ok()
    } else {
        serde_json::from_slice::<Value>(body).ok()
    };
    let Some(doc) = status_doc.filter(|d| {
        d["kind"] == "Status"
            && d["apiVersion"] == "v1"
            && d["status"] == "Failure"
            && d["code"].as_u64() == Some(u64::from(status))
    }) else {
        return Some((
            "error body is not a Status",
            format!("{status} {content_type}: {:?}", shown()),
        ));
    };
    if status >= 500 {
        let message = doc["message"].as_str().unwrap_or("");
        if !REAL_5XX
            .iter()
            .any(|(c, text, _)| *c == status && message.contains(text))
        {
            return Some((
                "5xx the real server does not send",
                format!("{status}: {message}"),
            ));
        }
    }
    None
}

/// Whether a 2xx `r` may have changed seeded object `s`: a write on its
/// path, a subresource of it, or a collection or namespace above it.
fn may_change(r: &FuzzRequest, s: &Seeded) -> bool {
    if matches!(r.method, Method::GET | Method::HEAD) {
        return false;
    }
    let sent = r.sent_path();
    let path = sent.trim_end_matches('/');
    let own = s.path();
    !path.is_empty()
        && (path == own
            || own.starts_with(&format!("{path}/"))
            || path.starts_with(&format!("{own}/")))
}

/// Whether a HEAD's 5xx is one the real server gives the same GET: 500 for
/// a resourceVersion that is not a number (`strconv.ParseUint`), 504 for
/// one the server has not reached.
fn head_5xx_is_real(r: &FuzzRequest, status: u16) -> bool {
    let query = r.target.split_once('?').map_or("", |(_, q)| q);
    let rv = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "resourceVersion")
        .map(|(_, v)| v.into_owned())
        .next();
    match (status, rv) {
        (500, Some(v)) => v.parse::<u64>().is_err(),
        (504, Some(v)) => v.parse::<u64>().is_ok(),
        _ => false,
    }
}

/// Whether the request asks for a transformed response (`as=` in Accept),
/// which the server refuses only after it has acted.
fn transforms_response(r: &FuzzRequest) -> bool {
    r.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("accept") && v.windows(3).any(|w| w.eq_ignore_ascii_case(b"as="))
    })
}

/// Runs the fuzzer.
///
/// # Errors
/// The server cannot be started or seeded.
pub async fn run(opts: &Options) -> Result<Report> {
    let t0 = Instant::now();
    let seeded = seeded_objects();
    let mut server = Server::start(opts)?;
    server.seed(&seeded).await?;
    let mut expected = server.snapshot(&seeded).await?;
    let mut gen = Generator::new(opts.seed, seeded.clone(), opts.against.is_none());
    let mut report = Report {
        seed: opts.seed,
        ..Report::default()
    };
    let batch_size = (opts.concurrency.max(1) * 8).max(32);
    let mut sent = 0;
    let mut batch_no = 0;
    while sent < opts.requests {
        let n = batch_size.min(opts.requests - sent);
        let batch: Vec<FuzzRequest> = (0..n).map(|_| gen.next()).collect();
        sent += n;
        batch_no += 1;
        let server_ref = &server;
        let outcomes: Vec<Outcome> = futures::stream::iter(batch.iter())
            .map(|r| async move { server_ref.send(r).await })
            .buffered(opts.concurrency.max(1))
            .collect()
            .await;
        // The server must be alive; a dead or wedged one is replaced, and the
        // unanswered requests of the batch are replayed one at a time on a
        // fresh server to name the one that kills it.
        let alive = server.healthy().await;
        let mut wrote = vec![false; seeded.len()];
        for (r, o) in batch.iter().zip(&outcomes) {
            report.requests += 1;
            report.garbled += usize::from(r.garbled);
            let key = match o {
                Outcome::Answer {
                    status,
                    content_type,
                    body,
                } => {
                    if let Some((kind, detail)) = check(r, *status, content_type, body) {
                        report.violate(kind, r.summary(), detail);
                    }
                    // A 406 for `as=Table`/`as=PartialObjectMetadata` comes
                    // from the response transformation, after the write
                    // (`transformResponseObject`): the real server has
                    // written too (a deletecollection answered 406 has
                    // deleted).
                    if (200..300).contains(status) || (*status == 406 && transforms_response(r)) {
                        for (i, s) in seeded.iter().enumerate() {
                            wrote[i] |= may_change(r, s);
                        }
                    }
                    status.to_string()
                }
                Outcome::NoResponse(e) => {
                    if alive {
                        report.violate("no response (connection closed)", r.summary(), e.clone());
                    }
                    "no response".to_string()
                }
                Outcome::NotSent => "not sent".to_string(),
                Outcome::Hang => {
                    if alive {
                        report.violate(
                            "hang over 10 s",
                            r.summary(),
                            format!("no answer within {HANG:?}"),
                        );
                    }
                    "hang".to_string()
                }
            };
            *report.by_status.entry(key).or_default() += 1;
        }
        if alive {
            report.health_checks += 1;
        } else {
            if opts.against.is_some() {
                report.violate(
                    "server died or stopped answering",
                    "(one of the batch's unanswered requests)".into(),
                    "no answer to /healthz within 10 s".into(),
                );
                break;
            }
            let suspects: Vec<&FuzzRequest> = batch
                .iter()
                .zip(&outcomes)
                .filter(|(_, o)| matches!(o, Outcome::NoResponse(_) | Outcome::Hang))
                .map(|(r, _)| r)
                .collect();
            drop(server);
            server = Server::start(opts)?;
            report.restarts += 1;
            server.seed(&seeded).await?;
            let mut found = false;
            for r in suspects {
                let o = server.send(r).await;
                if server.healthy().await {
                    continue;
                }
                let pid = server.child.as_ref().map(Spawned::pid);
                // An abort takes a moment to show in /proc.
                let deadline = Instant::now() + Duration::from_secs(2);
                while pid.is_some_and(process_alive) && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let what = match (&o, pid.map(process_alive)) {
                    (_, Some(false)) => "the kubemock process died (crash)".to_string(),
                    (Outcome::Hang, _) => {
                        "no answer within 10 s, then none to /healthz (wedged)".to_string()
                    }
                    _ => "no answer to /healthz within 10 s after it".to_string(),
                };
                report.violate("server crashed or wedged", r.summary(), what);
                found = true;
                drop(server);
                server = Server::start(opts)?;
                report.restarts += 1;
                server.seed(&seeded).await?;
                break;
            }
            if !found {
                report.violate(
                    "server crashed or wedged",
                    "(no single request of the batch does it alone)".into(),
                    "no answer to /healthz within 10 s".into(),
                );
            }
            expected = server.snapshot(&seeded).await?;
            continue;
        }
        // Seeded objects: unchanged unless a 2xx write of the batch hit them.
        let now = server.snapshot(&seeded).await?;
        let mut reseed = false;
        for (i, s) in seeded.iter().enumerate() {
            if wrote[i] {
                report.seeded_writes += 1;
                reseed |= now[i].is_null();
                continue;
            }
            if now[i] != expected[i] {
                let suspects: Vec<String> = batch
                    .iter()
                    .filter(|r| {
                        r.target.contains(&s.name)
                            && !matches!(r.method, Method::GET | Method::HEAD)
                    })
                    .map(FuzzRequest::summary)
                    .take(5)
                    .collect();
                report.violate(
                    "seeded object changed without a 2xx write",
                    if suspects.is_empty() {
                        "(no write named it)".into()
                    } else {
                        suspects.join("\n    or: ")
                    },
                    format!(
                        "{}: was {}, now {}",
                        s.path(),
                        cut_json(&expected[i]),
                        cut_json(&now[i])
                    ),
                );
                reseed |= now[i].is_null();
            }
        }
        if reseed {
            server.seed(&seeded).await?;
        }
        expected = server.snapshot(&seeded).await?;
        if opts.progress {
            eprintln!(
                "batch {batch_no}: {sent}/{} requests, {} violations, {:.1} s",
                opts.requests,
                report.violation_total(),
                t0.elapsed().as_secs_f64()
            );
        }
    }
    if opts.against.is_none() {
        let _ = server
            .call(Method::DELETE, "/kubemock/v1/expectations", None)
            .await;
    }
    report.seconds = t0.elapsed().as_secs_f64();
    if let Some(path) = &opts.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report)
}

/// Whether a child process still runs (Linux `/proc`; a zombie is dead).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

fn cut_json(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!("{}…", &s[..s.floor_char_boundary(300)])
    } else {
        s
    }
}
