//! Results of a conformance run and their renderings: the failure report
//! printed on the terminal, JUnit XML (one testcase per case, failure text
//! included, as GitHub Actions and GitLab render it), and JSON.

use serde::Serialize;
use std::fmt::Write as _;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// At least one did not (or the case could not run).
    Failed,
    /// Not run: version range, gate, or `--run` filter.
    Skipped,
}

/// What went wrong, with enough context to see the difference without
/// rerunning: the request, expected and actual status, Status message,
/// first differing JSON path, and event sequence.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Failure {
    /// One-line reason.
    pub reason: String,
    /// The request as sent (method, URL, headers, body excerpt).
    pub request: String,
    /// Expected HTTP status.
    pub expected_status: Option<u16>,
    /// Actual HTTP status.
    pub actual_status: Option<u16>,
    /// `message` of the actual Status body, if any.
    pub actual_message: Option<String>,
    /// `message` of the expected Status body, if any.
    pub expected_message: Option<String>,
    /// The first differing JSON path and the two values.
    pub diff: Option<String>,
    /// Expected event sequence (`ADDED a`, `BOOKMARK (initial-events-end)`).
    pub expected_events: Option<Vec<String>>,
    /// Actual event sequence.
    pub actual_events: Option<Vec<String>>,
    /// The actual body (excerpt).
    pub actual_body: Option<String>,
}

impl Failure {
    /// The multi-line report.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "  reason:   {}", self.reason);
        if !self.request.is_empty() {
            for (i, line) in self.request.lines().enumerate() {
                let _ = writeln!(
                    s,
                    "  {}{line}",
                    if i == 0 { "request:  " } else { "          " }
                );
            }
        }
        if self.expected_status.is_some() || self.actual_status.is_some() {
            let _ = writeln!(
                s,
                "  status:   expected {}, got {}",
                opt(self.expected_status),
                opt(self.actual_status)
            );
        }
        if self.expected_message.is_some() || self.actual_message.is_some() {
            let _ = writeln!(
                s,
                "  message:  expected {}\n            got      {}",
                self.expected_message.as_deref().unwrap_or("-"),
                self.actual_message.as_deref().unwrap_or("-")
            );
        }
        if let Some(d) = &self.diff {
            let _ = writeln!(s, "  diff:     {d}");
        }
        if self.expected_events.is_some() || self.actual_events.is_some() {
            let list = |v: &Option<Vec<String>>| match v {
                Some(v) if v.is_empty() => "(none)".to_string(),
                Some(v) => v.join(", "),
                None => "-".into(),
            };
            let _ = writeln!(
                s,
                "  events:   expected {}\n            got      {}",
                list(&self.expected_events),
                list(&self.actual_events)
            );
        }
        if let Some(b) = &self.actual_body {
            let _ = writeln!(s, "  body:     {b}");
        }
        s
    }
}

fn opt(v: Option<u16>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

/// One case's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Group (the case file).
    pub group: String,
    /// Description.
    pub description: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Server URL.
    pub server: String,
    /// Version the cases were filtered with (`1.36`).
    pub version: String,
    /// Feature gates assumed (`WatchList=true`).
    pub gates: String,
    /// Passed cases.
    pub passed: usize,
    /// Failed cases.
    pub failed: usize,
    /// Skipped cases.
    pub skipped: usize,
    /// Wall time of the run.
    pub seconds: f64,
    /// Per case, in file order.
    pub cases: Vec<CaseResult>,
}

impl RunReport {
    /// The last line: `N passed, M failed, K skipped`.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }

    /// JUnit XML: one `testsuite` per group, one `testcase` per case.
    pub fn junit(&self) -> String {
        let mut groups: Vec<&str> = Vec::new();
        for c in &self.cases {
            if !groups.contains(&c.group.as_str()) {
                groups.push(&c.group);
            }
        }
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuites name=\"kubemock conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            self.cases.len(),
            self.failed,
            self.skipped,
            self.seconds
        );
        for g in groups {
            let cases: Vec<&CaseResult> = self.cases.iter().filter(|c| c.group == g).collect();
            let failures = cases
                .iter()
                .filter(|c| c.outcome == Outcome::Failed)
                .count();
            let skipped = cases
                .iter()
                .filter(|c| c.outcome == Outcome::Skipped)
                .count();
            let time: f64 = cases.iter().map(|c| c.seconds).sum();
            let _ = writeln!(
                x,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time:.3}\">",
                esc(g),
                cases.len()
            );
            let _ = writeln!(
                x,
                "    <properties><property name=\"server.version\" value=\"{}\"/><property name=\"server.gates\" value=\"{}\"/></properties>",
                esc(&self.version),
                esc(&self.gates)
            );
            for c in cases {
                let _ = write!(
                    x,
                    "    <testcase classname=\"conformance.{}\" name=\"{}\" time=\"{:.3}\"",
                    esc(g),
                    esc(&c.id),
                    c.seconds
                );
                match (&c.outcome, &c.failure, &c.skip_reason) {
                    (Outcome::Failed, f, _) => {
                        let text = f.as_ref().map(Failure::render).unwrap_or_default();
                        let reason = f.as_ref().map(|f| f.reason.clone()).unwrap_or_default();
                        let _ = writeln!(
                            x,
                            ">\n      <failure message=\"{}\" type=\"mismatch\">{}\n{}</failure>\n    </testcase>",
                            esc(&reason),
                            esc(&c.description),
                            esc(&text)
                        );
                    }
                    (Outcome::Skipped, _, r) => {
                        let _ = writeln!(
                            x,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            esc(r.as_deref().unwrap_or(""))
                        );
                    }
                    _ => {
                        let _ = writeln!(x, "/>");
                    }
                }
            }
            let _ = writeln!(x, "  </testsuite>");
        }
        x.push_str("</testsuites>\n");
        x
    }

    /// The JSON report.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// XML-escapes text and attribute values; drops characters XML 1.0 forbids.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> RunReport {
        let case = |id: &str, outcome, failure: Option<Failure>, skip: Option<&str>| CaseResult {
            id: id.into(),
            group: if id.starts_with('w') {
                "watchlist"
            } else {
                "crud"
            }
            .into(),
            description: format!("case {id} <&>"),
            outcome,
            seconds: 0.25,
            skip_reason: skip.map(str::to_string),
            failure,
        };
        let failure = Failure {
            reason: "status 422 != 406".into(),
            request: "GET /api/v1/namespaces/x/secrets?watch=true".into(),
            expected_status: Some(406),
            actual_status: Some(422),
            actual_message: Some("ListOptions.meta.k8s.io \"\" is invalid: x".into()),
            diff: Some("at $.code: expected 406, got 422".into()),
            ..Failure::default()
        };
        RunReport {
            server: "https://127.0.0.1:1".into(),
            version: "1.36".into(),
            gates: "WatchList=true".into(),
            passed: 1,
            failed: 1,
            skipped: 1,
            seconds: 1.5,
            cases: vec![
                case("crud-a", Outcome::Passed, None, None),
                case("wl-b", Outcome::Failed, Some(failure), None),
                case("wl-c", Outcome::Skipped, None, Some("needs >=1.34")),
            ],
        }
    }

    #[test]
    fn junit_has_one_testcase_per_case_with_failure_text() {
        let x = report().junit();
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert_eq!(x.matches("<testcase ").count(), 3);
        assert_eq!(x.matches("<testsuite ").count(), 2);
        assert!(x.contains("tests=\"3\" failures=\"1\" skipped=\"1\""));
        assert!(x.contains("<failure message=\"status 422 != 406\" type=\"mismatch\">"));
        assert!(x.contains("expected 406, got 422"));
        assert!(x.contains("&quot;&quot; is invalid"), "escaped: {x}");
        assert!(x.contains("case wl-b &lt;&amp;&gt;"));
        assert!(x.contains("<skipped message=\"needs &gt;=1.34\"/>"));
        assert!(x.contains("classname=\"conformance.crud\" name=\"crud-a\" time=\"0.250\"/>"));
        assert!(x.trim_end().ends_with("</testsuites>"));
        // Balanced elements.
        assert_eq!(
            x.matches("<testsuite ").count(),
            x.matches("</testsuite>").count()
        );
        assert_eq!(
            x.matches("<failure ").count(),
            x.matches("</failure>").count()
        );
    }

    #[test]
    fn escape_drops_control_characters() {
        assert_eq!(esc("a\u{1}b\"c"), "ab&quot;c");
    }

    #[test]
    fn summary_and_json() {
        let r = report();
        assert_eq!(r.summary(), "1 passed, 1 failed, 1 skipped");
        let v: serde_json::Value = serde_json::from_str(&r.json()).unwrap_or_default();
        assert_eq!(v["cases"][1]["outcome"], "failed");
        assert_eq!(v["cases"][1]["failure"]["actual_status"], 422);
    }

    #[test]
    fn failure_render_shows_every_part() {
        let f = Failure {
            reason: "events differ".into(),
            request: "GET /x\nAccept: application/json".into(),
            expected_events: Some(vec![
                "ADDED a".into(),
                "BOOKMARK (initial-events-end)".into(),
            ]),
            actual_events: Some(vec!["ADDED a".into()]),
            ..Failure::default()
        };
        let s = f.render();
        assert!(s.contains("request:  GET /x\n            Accept: application/json"));
        assert!(s.contains("expected ADDED a, BOOKMARK (initial-events-end)"));
        assert!(s.contains("got      ADDED a"));
    }
}
