//! The conformance case model and its loader.
//!
//! Cases are YAML data in `conformance/cases/*.yaml` (one file per group,
//! `cases:` a list). The files are compiled into the binary, so
//! `kubemock conformance` needs no checkout; `--cases DIR` reads another
//! directory instead. The format is described in `conformance/README.md`.

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The case files compiled into the binary: (file name, text).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "crud.yaml",
        include_str!("../../conformance/cases/crud.yaml"),
    ),
    (
        "discovery.yaml",
        include_str!("../../conformance/cases/discovery.yaml"),
    ),
    (
        "errors.yaml",
        include_str!("../../conformance/cases/errors.yaml"),
    ),
    (
        "health-auth.yaml",
        include_str!("../../conformance/cases/health-auth.yaml"),
    ),
    (
        "list-options.yaml",
        include_str!("../../conformance/cases/list-options.yaml"),
    ),
    (
        "metadata.yaml",
        include_str!("../../conformance/cases/metadata.yaml"),
    ),
    (
        "negotiation.yaml",
        include_str!("../../conformance/cases/negotiation.yaml"),
    ),
    (
        "pagination.yaml",
        include_str!("../../conformance/cases/pagination.yaml"),
    ),
    (
        "selectors.yaml",
        include_str!("../../conformance/cases/selectors.yaml"),
    ),
    (
        "spec.yaml",
        include_str!("../../conformance/cases/spec.yaml"),
    ),
    (
        "table.yaml",
        include_str!("../../conformance/cases/table.yaml"),
    ),
    (
        "validation.yaml",
        include_str!("../../conformance/cases/validation.yaml"),
    ),
    (
        "watch.yaml",
        include_str!("../../conformance/cases/watch.yaml"),
    ),
    (
        "watchlist.yaml",
        include_str!("../../conformance/cases/watchlist.yaml"),
    ),
    (
        "watchlist-clients.yaml",
        include_str!("../../conformance/cases/watchlist-clients.yaml"),
    ),
    (
        "versions.yaml",
        include_str!("../../conformance/cases/versions.yaml"),
    ),
    (
        "writes.yaml",
        include_str!("../../conformance/cases/writes.yaml"),
    ),
];

/// One case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// The file's group name (default: the file name without `.yaml`).
    #[serde(default)]
    group: Option<String>,
    cases: Vec<Case>,
}

/// One conformance case.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Case {
    /// Unique id (`s7-18`, `secrets-create`).
    pub id: String,
    /// What the case checks, in Kubernetes terms.
    pub description: String,
    /// Sub-group (e.g. `crud-secrets`); the file name is the group.
    #[serde(default)]
    pub group: Option<String>,
    /// Where the expectation comes from (a golden recording, a spec section).
    #[serde(default)]
    pub source: Option<String>,
    /// Free-text remark.
    #[serde(default)]
    pub note: Option<String>,
    /// Server versions the case holds for (`>=1.34`, `1.32-1.33`,
    /// `<=1.31 || >=1.36`); absent = every version.
    #[serde(default)]
    pub versions: Option<String>,
    /// Feature gates required: `WatchList` (on) or `!WatchList` (off).
    #[serde(default)]
    pub gates: Vec<String>,
    /// Namespaces created first (`ns`, `ns2`; default `[ns]`).
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// Requests run before the checked one (their status must be < 400
    /// unless `status` says otherwise).
    #[serde(default)]
    pub setup: Vec<Request>,
    /// The checked request.
    pub request: Request,
    /// What the response must look like.
    pub expect: Expect,
    /// For watches: the event stream.
    #[serde(default)]
    pub watch: Option<WatchExpect>,
    /// Requests run at the end (cluster-scoped objects); namespaces are
    /// always deleted.
    #[serde(default)]
    pub cleanup: Vec<Request>,
    /// The file the case came from (set by the loader).
    #[serde(skip)]
    pub file: String,
}

impl Case {
    /// `file/group` shown in reports.
    pub fn group_name(&self) -> String {
        self.file.trim_end_matches(".yaml").to_string()
    }
}

/// A request: method, path, raw query string, headers, body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    /// HTTP method (default GET).
    #[serde(default = "default_method")]
    pub method: String,
    /// Path; `${ns}` and other variables are substituted.
    pub path: String,
    /// The raw query string, sent verbatim (order and encoding kept).
    #[serde(default)]
    pub query: Option<String>,
    /// Headers; defaults are `Accept: application/json` and the runner's
    /// User-Agent; a null value removes a default.
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    /// JSON body.
    #[serde(default)]
    pub body: Option<Value>,
    /// Raw text body.
    #[serde(default)]
    pub body_text: Option<String>,
    /// Raw body, base64.
    #[serde(default)]
    pub body_base64: Option<String>,
    /// Body taken from a saved variable (an object saved with `body:`).
    #[serde(default)]
    pub body_from: Option<String>,
    /// Merged (JSON merge patch) over `bodyFrom`.
    #[serde(default)]
    pub body_merge: Option<Value>,
    /// `false`: no credentials; a string: that bearer token.
    #[serde(default)]
    pub auth: Option<Value>,
    /// Variables to save: `name: body:<path>` or `name: header:<Name>`.
    #[serde(default)]
    pub save: BTreeMap<String, String>,
    /// Setup/actions only: the status expected (default: any status < 400).
    #[serde(default)]
    pub status: Option<u16>,
    /// Watch actions only: when to send (`initial-events-end`,
    /// `events>=N`, `0.2s`; default: right after the previous action).
    #[serde(default)]
    pub when: Option<String>,
}

fn default_method() -> String {
    "GET".into()
}

/// Expectations on the response.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    /// HTTP status.
    pub status: u16,
    /// Header values (lower-case names; placeholders allowed; `<absent>`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body shape: `json-compact+nl`, `json-indented`, `json-compact`,
    /// `text`, `binary`, `empty`.
    #[serde(default)]
    pub format: Option<String>,
    /// The body, exactly (placeholders allowed; key order ignored).
    #[serde(default)]
    pub body: Option<Value>,
    /// A subset of the body: listed keys must match, others are free.
    #[serde(default)]
    pub body_subset: Option<Value>,
    /// The raw body text, exactly (placeholders allowed).
    #[serde(default)]
    pub body_text: Option<String>,
    /// A regular expression the raw body must match.
    #[serde(default)]
    pub body_regex: Option<String>,
    /// The response takes at least this long (seconds).
    #[serde(default)]
    pub min_seconds: Option<f64>,
    /// Comparisons between values (`body:`, `var:`, `event:N:`, `header:`).
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// A comparison: `left op right`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Name shown on failure.
    pub name: String,
    /// Left operand.
    pub left: String,
    /// `>`, `>=`, `==`, `!=`, `<`, `<=`.
    pub op: String,
    /// Right operand.
    pub right: String,
}

/// Expectations on a watch stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WatchExpect {
    /// Stop reading after this many seconds.
    #[serde(default = "default_timeout")]
    pub timeout: f64,
    /// After the expected events arrived, wait this long for extra ones.
    #[serde(default)]
    pub settle: Option<f64>,
    /// Requests sent while the stream is open.
    #[serde(default)]
    pub actions: Vec<Request>,
    /// The events, in order (exact match per event, placeholders allowed).
    /// Unannotated (periodic) BOOKMARKs are dropped unless kept below.
    #[serde(default)]
    pub events: Option<Vec<Value>>,
    /// Match each event as a subset instead of exactly.
    #[serde(default)]
    pub subset: bool,
    /// Periodic (unannotated) bookmarks to keep.
    #[serde(default)]
    pub keep_periodic_bookmarks: usize,
    /// `closed`: the server must end the stream within the timeout.
    #[serde(default)]
    pub end: Option<String>,
    /// The server must close within this many seconds of the request.
    #[serde(default)]
    pub close_within: Option<f64>,
}

fn default_timeout() -> f64 {
    2.0
}

/// A version range: alternatives of `[lo, hi]` minor versions (major 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange(Vec<(u32, u32)>);

impl VersionRange {
    /// Parses `>=1.34`, `<=1.31`, `>1.33`, `<1.35`, `1.32-1.33`, `1.36`,
    /// `*`, and alternatives joined with `||`.
    pub fn parse(s: &str) -> Result<VersionRange> {
        let mut alts = Vec::new();
        for part in s.split("||").map(str::trim) {
            let minor = |v: &str| -> Result<u32> {
                let v = v.trim().trim_start_matches('v');
                let mut it = v.split('.');
                let major = it.next().unwrap_or("");
                let minor = it.next().ok_or_else(|| anyhow!("bad version {v:?}"))?;
                if major != "1" {
                    bail!("bad version {v:?}: only 1.x");
                }
                minor
                    .parse::<u32>()
                    .map_err(|_| anyhow!("bad version {v:?}"))
            };
            let alt = if part == "*" || part.is_empty() {
                (0, u32::MAX)
            } else if let Some(v) = part.strip_prefix(">=") {
                (minor(v)?, u32::MAX)
            } else if let Some(v) = part.strip_prefix("<=") {
                (0, minor(v)?)
            } else if let Some(v) = part.strip_prefix('>') {
                (minor(v)? + 1, u32::MAX)
            } else if let Some(v) = part.strip_prefix('<') {
                (0, minor(v)?.saturating_sub(1))
            } else if let Some((a, b)) = part.split_once('-') {
                (minor(a)?, minor(b)?)
            } else {
                let m = minor(part)?;
                (m, m)
            };
            alts.push(alt);
        }
        Ok(VersionRange(alts))
    }

    /// Whether minor version `minor` (of 1.x) is in the range.
    pub fn contains(&self, minor: u32) -> bool {
        self.0.iter().any(|(lo, hi)| (*lo..=*hi).contains(&minor))
    }
}

/// The gates a case may name (`AnonymousAuth` is not a feature gate but
/// the server's `--anonymous-auth`, asked at start).
pub const KNOWN_GATES: &[&str] = &["WatchList", "AnonymousAuth"];

/// Parses the case files of `dir` (or the embedded ones) and checks them:
/// unique ids, valid version ranges, known gates.
pub fn load(dir: Option<&Path>) -> Result<Vec<Case>> {
    let mut files: Vec<(String, String)> = Vec::new();
    match dir {
        Some(dir) => {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
                let p = entry?.path();
                if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                    names.push(p);
                }
            }
            names.sort();
            for p in names {
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("reading {}", p.display()))?;
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((name, text));
            }
        }
        None => {
            for (name, text) in EMBEDDED {
                files.push(((*name).to_string(), (*text).to_string()));
            }
        }
    }
    let mut cases = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, text) in files {
        let file: CaseFile = serde_yaml::from_str(&text).with_context(|| name.clone())?;
        let file_group = file
            .group
            .unwrap_or_else(|| name.trim_end_matches(".yaml").to_string());
        for mut case in file.cases {
            case.file = format!("{file_group}.yaml");
            validate(&case).with_context(|| format!("{name}: case {}", case.id))?;
            if !seen.insert(case.id.clone()) {
                bail!("{name}: duplicate case id {}", case.id);
            }
            cases.push(case);
        }
    }
    Ok(cases)
}

fn validate(case: &Case) -> Result<()> {
    if case.id.is_empty()
        || !case
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        bail!("id must be [A-Za-z0-9.-]+");
    }
    if let Some(v) = &case.versions {
        VersionRange::parse(v)?;
    }
    for g in &case.gates {
        let name = g.trim_start_matches('!');
        if !KNOWN_GATES.contains(&name) {
            bail!("unknown gate {g:?} (known: {KNOWN_GATES:?})");
        }
    }
    if let Some(w) = &case.watch {
        for a in &w.actions {
            if let Some(when) = &a.when {
                When::parse(when)?;
            }
        }
        if let Some(end) = &w.end {
            if end != "closed" {
                bail!("watch.end must be `closed`");
            }
        }
    }
    for r in case.setup.iter().chain(std::iter::once(&case.request)) {
        if r.when.is_some() {
            bail!("`when` is only for watch actions");
        }
    }
    if let Some(f) = &case.expect.format {
        const FORMATS: &[&str] = &[
            "json-compact+nl",
            "json-indented",
            "json-compact",
            "text",
            "binary",
            "empty",
        ];
        if !FORMATS.contains(&f.as_str()) {
            bail!("expect.format {f:?} is not one of {FORMATS:?}");
        }
    }
    if let Some(re) = &case.expect.body_regex {
        regex::Regex::new(re)?;
    }
    Ok(())
}

/// When a watch action is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// Right after the previous action (or the response headers).
    Now,
    /// After the BOOKMARK annotated `k8s.io/initial-events-end`.
    InitialEventsEnd,
    /// After N (kept) events.
    Events(usize),
    /// This many seconds after the previous action (or the headers).
    Delay(f64),
}

impl When {
    /// Parses `initial-events-end`, `events>=N`, `0.2s`, `now`.
    pub fn parse(s: &str) -> Result<When> {
        let s = s.trim();
        if s == "initial-events-end" {
            return Ok(When::InitialEventsEnd);
        }
        if s == "now" || s.is_empty() {
            return Ok(When::Now);
        }
        if let Some(n) = s.strip_prefix("events>=") {
            return Ok(When::Events(n.trim().parse()?));
        }
        if let Some(d) = s.strip_suffix('s') {
            let v: f64 = d.trim().parse()?;
            if v.is_finite() && v >= 0.0 {
                return Ok(When::Delay(v));
            }
        }
        bail!("bad `when` {s:?}: use initial-events-end, events>=N or <seconds>s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ranges_parse_and_match() {
        let r = VersionRange::parse(">=1.34").unwrap_or(VersionRange(vec![]));
        assert!(r.contains(34) && r.contains(37) && !r.contains(33));
        let r = VersionRange::parse("1.32-1.33").unwrap_or(VersionRange(vec![]));
        assert!(r.contains(32) && r.contains(33) && !r.contains(34) && !r.contains(31));
        let r = VersionRange::parse("<=1.31 || >=1.36").unwrap_or(VersionRange(vec![]));
        assert!(r.contains(31) && r.contains(36) && !r.contains(33));
        let r = VersionRange::parse("1.36").unwrap_or(VersionRange(vec![]));
        assert!(r.contains(36) && !r.contains(35));
        assert!(VersionRange::parse("2.1").is_err());
        assert!(VersionRange::parse(">=x").is_err());
    }

    #[test]
    fn when_parses() {
        assert_eq!(
            When::parse("initial-events-end").ok(),
            Some(When::InitialEventsEnd)
        );
        assert_eq!(When::parse("events>=2").ok(), Some(When::Events(2)));
        assert_eq!(When::parse("0.2s").ok(), Some(When::Delay(0.2)));
        assert!(When::parse("later").is_err());
    }

    #[test]
    fn embedded_cases_load_and_every_file_is_embedded() {
        let cases = load(None);
        assert!(cases.is_ok(), "{:?}", cases.err());
        let n = cases.map(|c| c.len()).unwrap_or(0);
        assert!(n >= 120, "only {n} cases");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/cases");
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".yaml") {
                    assert!(
                        EMBEDDED.iter().any(|(n, _)| *n == name),
                        "{name} is not in case::EMBEDDED"
                    );
                }
            }
        }
    }
}
