//! Fuzzing entry points: one target per parser a request feeds (query and
//! list options, label and field selectors, Accept and Content-Type
//! negotiation, JSON/YAML/protobuf bodies, every patch type, DELETE
//! bodies, continue tokens, expectation files), the seeded mutator the in-tree harness uses,
//! and the corpus replay behind `kubemock fuzz --parsers`. The HTTP-level
//! fuzzer is [`http`].
//!
//! A target takes arbitrary bytes and returns `Err` only when an invariant
//! breaks: an API parser's failure that is not a proper Kubernetes `Status`
//! (`kind: Status`, `status: Failure`, a 4xx/5xx code, a message), a
//! round trip that does not hold. A panic, a hang or a stack overflow is the
//! crash the fuzzer looks for. The same table drives the `cargo fuzz`
//! targets in `fuzz/` (nightly, coverage-guided) and
//! `tests/it/fuzz_parsers.rs` (stable, seeded mutations of the corpus).
//! Nothing here mirrors Go source: the parsers under test do.

pub mod http;
mod mutate;

pub use mutate::Mutator;

use crate::api::error::ApiError;
use crate::api::negotiate::{self, Capabilities, Endpoint, RequestFormat};
use crate::api::options::{DeleteOptions, ListOptions};
use crate::api::patch::{self, schema, PatchKind};
use crate::api::query::RawQuery;
use crate::api::selector::{FieldSelector, LabelSelector};
use crate::profile::FeatureGates;
use crate::record::{ExpectationFile, RecordedRequest};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One fuzz target: a name (also the corpus directory and the `cargo fuzz`
/// target name) and the function fed with bytes.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// `fuzz/corpus/<name>/`, `cargo fuzz run <name>`.
    pub name: &'static str,
    /// Runs one input; `Err` names the broken invariant.
    pub run: fn(&[u8]) -> Result<(), String>,
}

/// Every target, one per request-fed parser.
pub const TARGETS: &[Target] = &[
    Target {
        name: "query_options",
        run: query_options,
    },
    Target {
        name: "label_selector",
        run: label_selector,
    },
    Target {
        name: "field_selector",
        run: field_selector,
    },
    Target {
        name: "negotiate",
        run: negotiation,
    },
    Target {
        name: "json_body",
        run: json_body,
    },
    Target {
        name: "yaml_body",
        run: yaml_body,
    },
    Target {
        name: "protobuf_body",
        run: protobuf_body,
    },
    Target {
        name: "json_patch",
        run: json_patch,
    },
    Target {
        name: "merge_patch",
        run: merge_patch,
    },
    Target {
        name: "strategic_merge_patch",
        run: strategic_merge_patch,
    },
    Target {
        name: "apply_patch",
        run: apply_patch,
    },
    Target {
        name: "continue_token",
        run: continue_token,
    },
    Target {
        name: "delete_options",
        run: delete_options,
    },
    Target {
        name: "expectation_file",
        run: expectation_file,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Runs target `name` on `data` and panics on a broken invariant (what a
/// `cargo fuzz` target does: libFuzzer records a panic as a crash).
pub fn run_or_panic(name: &str, data: &[u8]) {
    let t = target(name).unwrap_or_else(|| panic!("no fuzz target {name}"));
    if let Err(v) = (t.run)(data) {
        panic!("fuzz target {name}: {v}");
    }
}

/// Checks an API failure is a Status a client can decode: `kind: Status`,
/// `apiVersion: v1`, `status: Failure`, a 4xx/5xx code and a message.
pub fn check_status(e: &ApiError) -> Result<(), String> {
    let s = &e.status;
    let ok = s.kind == "Status"
        && s.api_version == "v1"
        && s.status == "Failure"
        && (400..=599).contains(&s.code)
        && !s.message.is_empty();
    if !ok {
        return Err(format!("not a proper Status: {s:?}"));
    }
    serde_json::to_vec(s.as_ref()).map_err(|e| format!("Status does not serialize: {e}"))?;
    Ok(())
}

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A parser's plain-text failure must say something.
fn check_message(r: Result<(), String>, what: &str) -> Result<(), String> {
    match r {
        Err(m) if m.is_empty() => Err(format!("{what}: empty error message")),
        _ => Ok(()),
    }
}

/// The object the patch targets start from: a Deployment (lists with merge
/// keys, nested maps, numbers, labels).
pub fn sample_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web", "namespace": "default", "uid": "0b5c6c5e-2f53-4c4c-9a0f-3f1f2b0d4e21",
            "resourceVersion": "7", "labels": {"app": "web", "tier": "front"},
            "annotations": {"a": "b"}
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                         "env": [{"name": "A", "value": "1"}]},
                        {"name": "side", "image": "busybox", "args": ["sleep", "1"]}
                    ],
                    "volumes": [{"name": "v", "emptyDir": {}}]
                }
            }
        },
        "status": {"replicas": 2}
    })
}

/// `query_options`: the query string of a list, watch, write or delete.
fn query_options(data: &[u8]) -> Result<(), String> {
    let q = RawQuery::parse(&text(data));
    for legacy_watch in [false, true] {
        match ListOptions::decode(&q, legacy_watch) {
            Err(e) => check_status(&e)?,
            Ok(mut o) => {
                for watch_list in [false, true] {
                    let gates = FeatureGates { watch_list };
                    if let Err(e) = o.validate(gates) {
                        check_status(&e)?;
                    }
                    o.apply_defaults(gates);
                    if let Err(e) = o.validate(gates) {
                        check_status(&e)?;
                    }
                }
                let _ = o.label_selector.matches_object(&sample_deployment());
                let _ = o
                    .field_selector
                    .matches("apps", "deployments", &sample_deployment());
            }
        }
    }
    if let Err(e) = DeleteOptions::decode(&q, b"") {
        check_status(&e)?;
    }
    for (kind, pk) in [
        ("CreateOptions", PatchKind::None),
        ("PatchOptions", PatchKind::Patch),
        ("PatchOptions", PatchKind::Apply),
    ] {
        if let Err(e) = patch::validate_options(
            kind,
            &q.get_all("dryRun"),
            q.get("fieldManager"),
            q.get("fieldValidation"),
            q.get("force"),
            pk,
        ) {
            check_status(&e)?;
        }
    }
    for key in ["timeoutSeconds", "limit", "gracePeriodSeconds"] {
        check_message(q.get_i64(key).map(|_| ()), key)?;
    }
    if let Some(t) = q.get("timeout") {
        check_message(
            crate::api::query::parse_go_duration(t).map(|_| ()),
            "timeout",
        )?;
    }
    Ok(())
}

/// `label_selector`: `?labelSelector=`.
fn label_selector(data: &[u8]) -> Result<(), String> {
    let s = text(data);
    match LabelSelector::parse(&s) {
        Err(m) => check_message(Err(m), "label selector"),
        Ok(sel) => {
            let _ = sel.matches_object(&sample_deployment());
            let _ = sel.matches(None);
            Ok(())
        }
    }
}

/// `field_selector`: `?fieldSelector=`.
fn field_selector(data: &[u8]) -> Result<(), String> {
    let s = text(data);
    match FieldSelector::parse(&s) {
        Err(m) => check_message(Err(m), "field selector"),
        Ok(sel) => {
            for (g, r) in [
                ("", "pods"),
                ("", "secrets"),
                ("apps", "deployments"),
                ("", "events"),
            ] {
                check_message(sel.check_supported(g, r), "field selector support")?;
                let _ = sel.matches(g, r, &sample_deployment());
            }
            let _ = sel.exact_name();
            Ok(())
        }
    }
}

/// `negotiate`: the Accept header (first line) and the Content-Type (the
/// rest), through every endpoint's negotiation.
fn negotiation(data: &[u8]) -> Result<(), String> {
    let s = text(data);
    let (accept, content_type) = s.split_once('\n').unwrap_or((&s, ""));
    let _ = negotiate::parse_accept(accept);
    for accept in [Some(accept), None] {
        for protobuf in [false, true] {
            let caps = Capabilities {
                protobuf,
                table: true,
            };
            for ep in [
                Endpoint::Get,
                Endpoint::List,
                Endpoint::Watch,
                Endpoint::Write,
            ] {
                if let Err(e) = negotiate::negotiate_resource(accept, ep, caps) {
                    check_message(Err(e.to_string()), "406")?;
                }
            }
            for method in ["POST", "PUT", "PATCH"] {
                if let Err(e) =
                    negotiate::check_request_content_type(method, Some(content_type), caps)
                {
                    check_message(Err(e.message), "415")?;
                }
            }
        }
        let _ = negotiate::negotiate_discovery(accept);
        let _ = negotiate::error_body_format(accept, Some(content_type), true);
        let _ = negotiate::error_prefers_protobuf(accept);
    }
    Ok(())
}

fn body(data: &[u8], format: RequestFormat) -> Result<(), String> {
    for kind in ["ConfigMap", "Deployment"] {
        if let Err(e) = crate::api::decode::decode_object(data, format, kind) {
            check_status(&e)?;
        }
    }
    Ok(())
}

/// `json_body`: a POST/PUT body as `application/json`.
fn json_body(data: &[u8]) -> Result<(), String> {
    body(data, RequestFormat::Json)
}

/// `yaml_body`: a POST/PUT body as `application/yaml`.
fn yaml_body(data: &[u8]) -> Result<(), String> {
    body(data, RequestFormat::Yaml)
}

/// `protobuf_body`: a POST/PUT body as `application/vnd.kubernetes.protobuf`;
/// what decodes must encode again.
fn protobuf_body(data: &[u8]) -> Result<(), String> {
    body(data, RequestFormat::Protobuf)?;
    if let Ok(v) = crate::api::protobuf::decode(data) {
        let _ = crate::api::protobuf::encode(&v);
    }
    let _ = crate::api::protobuf::decode_watch_event(data);
    Ok(())
}

/// `json_patch`: an `application/json-patch+json` body on a Deployment.
fn json_patch(data: &[u8]) -> Result<(), String> {
    let mut target = sample_deployment();
    if let Err(e) = patch::json_patch(&mut target, data) {
        check_status(&e)?;
    }
    Ok(())
}

/// `merge_patch`: an `application/merge-patch+json` body on a Deployment.
fn merge_patch(data: &[u8]) -> Result<(), String> {
    let mut target = sample_deployment();
    if let Err(e) = patch::merge_patch(&mut target, data) {
        check_status(&e)?;
    }
    Ok(())
}

/// `strategic_merge_patch`: an `application/strategic-merge-patch+json`
/// body on a Deployment and on a ConfigMap.
fn strategic_merge_patch(data: &[u8]) -> Result<(), String> {
    for (group, kind) in [("apps", "Deployment"), ("", "ConfigMap")] {
        let ty = schema::root(group, kind);
        if let Err(e) = patch::strategic_merge_patch(&sample_deployment(), data, ty) {
            check_status(&e)?;
        }
    }
    Ok(())
}

/// `apply_patch`: an `application/apply-patch+yaml` body decoded as the
/// apply path decodes it (YAML to JSON, an object), then applied to a
/// Deployment and a ConfigMap, live and absent (create).
fn apply_patch(data: &[u8]) -> Result<(), String> {
    let Ok(v) = serde_yaml::from_slice::<serde_yaml::Value>(data) else {
        return Ok(());
    };
    let Ok(config @ Value::Object(_)) = serde_json::to_value(v) else {
        return Ok(());
    };
    let deployment = sample_deployment();
    let configmap = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "web", "namespace": "default", "labels": {"a": "b"}},
        "data": {"k": "v"}, "binaryData": {"b": "aGk="}
    });
    for (group, kind, api_version, live) in [
        ("apps", "Deployment", "apps/v1", &deployment),
        ("", "ConfigMap", "v1", &configmap),
    ] {
        for live in [Some(live), None] {
            for force in [false, true] {
                let ctx = patch::apply::ApplyContext {
                    group,
                    kind,
                    api_version,
                    manager: "fuzz",
                    subresource: None,
                    force,
                    now: "2026-01-01T00:00:00Z",
                };
                if let Err(e) = patch::apply::apply(live, &config, &ctx) {
                    check_status(&e)?;
                }
            }
        }
    }
    Ok(())
}

/// `continue_token`: `?continue=`; a token that decodes must encode to one
/// that decodes to the same.
fn continue_token(data: &[u8]) -> Result<(), String> {
    use crate::api::continue_token::{decode, encode};
    match decode(&text(data)) {
        Err(m) => check_message(Err(m), "continue token"),
        Ok(c) => {
            let Some(key) = c.start.strip_suffix('\u{0}') else {
                return Ok(());
            };
            match decode(&encode(c.rv, key)) {
                Ok(back) if back == c => Ok(()),
                other => Err(format!("continue token round trip: {c:?} → {other:?}")),
            }
        }
    }
}

/// `delete_options`: the body of a DELETE (with and without query options).
fn delete_options(data: &[u8]) -> Result<(), String> {
    for q in [
        "",
        "gracePeriodSeconds=5&propagationPolicy=Orphan&dryRun=All",
    ] {
        if let Err(e) = DeleteOptions::decode(&RawQuery::parse(q), data) {
            check_status(&e)?;
        }
    }
    Ok(())
}

/// `expectation_file`: an expectation file (YAML or JSON); a file that
/// parses is matched against a few requests.
fn expectation_file(data: &[u8]) -> Result<(), String> {
    let s = text(data);
    match ExpectationFile::from_yaml(&s) {
        Err(m) => check_message(Err(m), "expectation file"),
        Ok(f) => {
            let reqs = [
                RecordedRequest::synthetic(
                    "GET",
                    "/api/v1/namespaces/default/configmaps?limit=500&watch=true&resourceVersion=12",
                    &[("Accept", "application/json")],
                ),
                RecordedRequest::synthetic("PATCH", &format!("/{}", "a/".repeat(200)), &[]),
                RecordedRequest::synthetic(
                    "POST",
                    "/apis/apps/v1/namespaces/x/deployments?timeoutSeconds=300&timeout=32s",
                    &[("Content-Type", "application/yaml")],
                ),
            ];
            for e in &f.expectations {
                for r in &reqs {
                    let _ = e.matches(r);
                    let _ = e.diff(r);
                }
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// Corpus replay and seeded mutation

/// `fuzz/corpus` of the source tree.
pub fn default_corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

/// The files of `dir/<target>/`, sorted by name.
pub fn corpus(dir: &Path, target: &str) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join(target))? {
        let e = e?;
        if e.file_type()?.is_file() {
            out.push((
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path())?,
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// What a replay did.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    /// Corpus files run.
    pub corpus: usize,
    /// Mutated inputs run.
    pub mutations: usize,
    /// Broken invariants: (input description, what broke).
    pub violations: Vec<(String, String)>,
}

/// Runs a target over its corpus, then over `mutations` seeded mutations
/// of it. `before` is told each input first (the CLI writes it to a file so
/// that a crash that kills the process still names its input).
pub fn replay(
    t: &Target,
    corpus: &[(String, Vec<u8>)],
    mutations: usize,
    seed: u64,
    mut before: impl FnMut(&str, &[u8]),
) -> ReplayReport {
    let mut report = ReplayReport::default();
    for (name, data) in corpus {
        before(name, data);
        report.corpus += 1;
        if let Err(v) = (t.run)(data) {
            report.violations.push((format!("corpus {name}"), v));
        }
    }
    let seeds: Vec<Vec<u8>> = corpus.iter().map(|(_, d)| d.clone()).collect();
    let mut m = Mutator::new(seed);
    for i in 0..mutations {
        let input = m.mutate(&seeds);
        let label = format!("mutation {i} (seed {seed})");
        before(&label, &input);
        report.mutations += 1;
        if let Err(v) = (t.run)(&input) {
            report
                .violations
                .push((format!("{label}: {:?}", text(&input)), v));
        }
    }
    report
}

/// The stack of a tokio worker thread (tokio's default, which kubemock
/// keeps): the parsers run on one when fed by a request.
pub const WORKER_STACK: usize = 2 * 1024 * 1024;

/// What `kubemock fuzz --parsers` runs.
#[derive(Debug, Clone)]
pub struct ParserRun {
    /// Target names (empty: all).
    pub targets: Vec<String>,
    /// The corpus directory.
    pub corpus: PathBuf,
    /// Seeded mutations per target.
    pub mutations: usize,
    /// The seed.
    pub seed: u64,
    /// Where to write each input before running it.
    pub current: Option<PathBuf>,
}

/// Runs the parser targets, prints a table (target, corpus files,
/// mutations, violations) and each violation; returns the violation count.
///
/// # Errors
/// An unknown target, an unreadable corpus, an unwritable `current` file.
pub fn run_parsers(run: &ParserRun) -> anyhow::Result<usize> {
    let chosen: Vec<&Target> = if run.targets.is_empty() {
        TARGETS.iter().collect()
    } else {
        run.targets
            .iter()
            .map(|n| target(n).ok_or_else(|| anyhow::anyhow!("no fuzz target {n}")))
            .collect::<anyhow::Result<_>>()?
    };
    println!(
        "{:<24} {:>7} {:>10} {:>11}",
        "target", "corpus", "mutations", "violations"
    );
    let mut total = 0;
    for t in chosen {
        let files = corpus(&run.corpus, t.name)
            .map_err(|e| anyhow::anyhow!("{}/{}: {e}", run.corpus.display(), t.name))?;
        // On a thread with the stack of a server worker, so that a parser
        // that recurses too deep crashes here as it would in the server.
        let (report, write_err) = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name(format!("fuzz-{}", t.name))
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, || {
                    let mut write_err = None;
                    let report = replay(t, &files, run.mutations, run.seed, |label, data| {
                        if let Some(path) = &run.current {
                            let mut buf = format!("{}\n{label}\n", t.name).into_bytes();
                            buf.extend_from_slice(data);
                            if let Err(e) = std::fs::write(path, buf) {
                                write_err.get_or_insert(e);
                            }
                        }
                    });
                    (report, write_err)
                })
                .map(|h| h.join())
        })?
        .map_err(|_| anyhow::anyhow!("fuzz target {} panicked", t.name))?;
        if let Some(e) = write_err {
            anyhow::bail!("writing the current input: {e}");
        }
        println!(
            "{:<24} {:>7} {:>10} {:>11}",
            t.name,
            report.corpus,
            report.mutations,
            report.violations.len()
        );
        for (input, what) in &report.violations {
            let input: String = input.chars().take(300).collect();
            println!("  VIOLATION {}: {what}\n    input: {input}", t.name);
        }
        total += report.violations.len();
    }
    Ok(total)
}
