//! Verification: a recording checked against an [`ExpectationSet`], as one
//! serde [`Report`] shared by the control API (`GET
//! /kubemock/v1/verification`), `kubemock verify` and
//! [`crate::MockServer::verify`].
//!
//! Each expectation is satisfied or not (matched N times, wanted M); each
//! sequence is satisfied when its steps were matched in order; requests no
//! expectation matches are unexpected. Every miss names the closest
//! recorded request (or, for an unexpected request, the closest
//! expectation) and the differences in words.

use super::{ExpectationSet, RecordedRequest};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The nearest counterpart of a miss and how it differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closest {
    /// The recorded request's sequence number (for an expectation's miss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The request line (`GET /path?query`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The expectation's name (for an unexpected request's miss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectation: Option<String>,
    /// The differences, in words.
    pub diff: Vec<String>,
}

/// One expectation's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectationReport {
    /// Its name.
    pub name: String,
    /// How many times it was wanted (`once`, `at least 1 time`...).
    pub wanted: String,
    /// How many recorded requests matched.
    pub matched: u64,
    /// Sequence numbers of the matching requests.
    pub requests: Vec<u64>,
    /// Whether `matched` is within `wanted`.
    pub satisfied: bool,
    /// When it matched too few times: the closest recorded request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closest: Option<Closest>,
}

/// One sequence's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceReport {
    /// Its name.
    pub name: String,
    /// Its steps (expectation names).
    pub steps: Vec<String>,
    /// Whether the steps matched in order.
    pub satisfied: bool,
    /// What went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A request no expectation matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnexpectedReport {
    /// Its sequence number.
    pub seq: u64,
    /// The request line.
    pub request: String,
    /// The status it got.
    pub status: u16,
    /// The closest expectation and how the request differs from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closest: Option<Closest>,
}

/// A fault a plan injected into a recorded request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// The request's sequence number.
    pub seq: u64,
    /// The request line.
    pub request: String,
    /// The status it got (0: cut before the headers).
    pub status: u16,
    /// The rule's name.
    pub rule: String,
    /// What it did.
    pub action: String,
}

/// The verification report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Every expectation and sequence satisfied, and no unexpected request
    /// when a file asked for `unexpected: fail`.
    pub satisfied: bool,
    /// Requests looked at.
    pub recorded: usize,
    /// Requests dropped from the bounded recording (counts may be short).
    #[serde(default)]
    pub dropped: u64,
    /// Whether unexpected requests fail verification.
    pub fail_on_unexpected: bool,
    /// Per expectation.
    pub expectations: Vec<ExpectationReport>,
    /// Per sequence.
    #[serde(default)]
    pub sequences: Vec<SequenceReport>,
    /// Requests no expectation matched.
    #[serde(default)]
    pub unexpected: Vec<UnexpectedReport>,
    /// Every fault a fault plan injected, in arrival order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultReport>,
}

/// Checks `requests` (in arrival order) against `set`.
pub fn verify(set: &ExpectationSet, requests: &[RecordedRequest]) -> Report {
    let matches: Vec<Vec<bool>> = set
        .expectations
        .iter()
        .map(|e| requests.iter().map(|r| e.matches(r)).collect())
        .collect();
    let mut expectations = Vec::new();
    for (i, e) in set.expectations.iter().enumerate() {
        let hits: Vec<u64> = requests
            .iter()
            .zip(&matches[i])
            .filter(|(_, m)| **m)
            .map(|(r, _)| r.seq)
            .collect();
        let n = hits.len() as u64;
        let satisfied = e.times.contains(n);
        let closest = (n < e.times.min)
            .then(|| {
                requests
                    .iter()
                    .zip(&matches[i])
                    .filter(|(_, m)| !**m)
                    .min_by_key(|(r, _)| e.distance(r))
                    .map(|(r, _)| Closest {
                        seq: Some(r.seq),
                        request: Some(r.line()),
                        expectation: None,
                        diff: e.diff(r),
                    })
            })
            .flatten();
        expectations.push(ExpectationReport {
            name: e.display_name(),
            wanted: e.times.to_string(),
            matched: n,
            requests: hits,
            satisfied,
            closest,
        });
    }

    let mut sequences = Vec::new();
    for (name, steps) in &set.sequences {
        let step_names: Vec<String> = steps
            .iter()
            .filter_map(|&i| set.expectations.get(i))
            .map(|e| e.display_name())
            .collect();
        let mut pos = 0;
        let mut detail = None;
        let mut last: Option<&RecordedRequest> = None;
        for (k, &i) in steps.iter().enumerate() {
            let found = (pos..requests.len()).find(|&j| matches[i][j]);
            match found {
                Some(j) => {
                    last = Some(&requests[j]);
                    pos = j + 1;
                }
                None => {
                    let earlier = (0..pos).find(|&j| matches[i][j]);
                    let after = match last {
                        Some(r) => format!("after step {k} (request #{} {})", r.seq, r.line()),
                        None => "at all".to_string(),
                    };
                    detail = Some(match earlier {
                        Some(j) => format!(
                            "step {} {:?} came too early: request #{} {} came before the previous step; nothing matched it {after}",
                            k + 1,
                            step_names.get(k).cloned().unwrap_or_default(),
                            requests[j].seq,
                            requests[j].line()
                        ),
                        None => format!(
                            "step {} {:?} never matched {after}",
                            k + 1,
                            step_names.get(k).cloned().unwrap_or_default()
                        ),
                    });
                    break;
                }
            }
        }
        sequences.push(SequenceReport {
            name: name.clone(),
            steps: step_names,
            satisfied: detail.is_none(),
            detail,
        });
    }

    let unexpected: Vec<UnexpectedReport> = requests
        .iter()
        .enumerate()
        .filter(|(j, _)| !matches.iter().any(|m| m[*j]))
        .map(|(_, r)| UnexpectedReport {
            seq: r.seq,
            request: r.line(),
            status: r.status,
            closest: closest_expectation(set, r),
        })
        .collect();

    let satisfied = expectations.iter().all(|e| e.satisfied)
        && sequences.iter().all(|s| s.satisfied)
        && (!set.fail_on_unexpected || unexpected.is_empty());
    let faults = requests
        .iter()
        .filter_map(|r| {
            let f = r.fault.as_ref()?;
            Some(FaultReport {
                seq: r.seq,
                request: r.line(),
                status: r.status,
                rule: f.rule.clone(),
                action: f.action.clone(),
            })
        })
        .collect();
    Report {
        satisfied,
        recorded: requests.len(),
        dropped: 0,
        fail_on_unexpected: set.fail_on_unexpected,
        expectations,
        sequences,
        unexpected,
        faults,
    }
}

/// Adds each fault rule that must fire as an expectation: `fault rule
/// NAME`, matched by the recorded requests the rule injected a fault into
/// (the report's `faults`).
pub fn add_fault_rules(report: &mut Report, rules: &[(String, super::Times)]) {
    for (name, times) in rules {
        let hits: Vec<u64> = report
            .faults
            .iter()
            .filter(|f| &f.rule == name)
            .map(|f| f.seq)
            .collect();
        let n = hits.len() as u64;
        let satisfied = times.contains(n);
        report.satisfied &= satisfied;
        report.expectations.push(ExpectationReport {
            name: format!("fault rule {name}"),
            wanted: times.to_string(),
            matched: n,
            requests: hits,
            satisfied,
            closest: None,
        });
    }
}

fn closest_expectation(set: &ExpectationSet, r: &RecordedRequest) -> Option<Closest> {
    set.expectations
        .iter()
        .min_by_key(|e| e.distance(r))
        .map(|e| Closest {
            seq: None,
            request: None,
            expectation: Some(e.display_name()),
            diff: e.diff(r),
        })
}

/// The message of enforce mode's 400: the request, the closest
/// expectation and the differences.
pub fn unexpected_message(set: &ExpectationSet, r: &RecordedRequest) -> String {
    match closest_expectation(set, r) {
        None => format!(
            "kubemock: unexpected request {} (no expectations are set)",
            r.line()
        ),
        Some(c) => format!(
            "kubemock: unexpected request {}; closest expectation {:?}: {}",
            r.line(),
            c.expectation.unwrap_or_default(),
            c.diff.join("; ")
        ),
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kubemock verification: {} ({} request{} recorded{})",
            if self.satisfied {
                "satisfied"
            } else {
                "NOT satisfied"
            },
            self.recorded,
            if self.recorded == 1 { "" } else { "s" },
            if self.dropped > 0 {
                format!(", {} dropped from the bounded recording", self.dropped)
            } else {
                String::new()
            }
        )?;
        for e in &self.expectations {
            writeln!(
                f,
                "  {} {:?}: wanted {}, matched {}{}",
                if e.satisfied { "ok  " } else { "FAIL" },
                e.name,
                e.wanted,
                e.matched,
                if e.requests.is_empty() {
                    String::new()
                } else {
                    let ids: Vec<String> = e.requests.iter().map(|s| format!("#{s}")).collect();
                    format!(" ({})", ids.join(", "))
                }
            )?;
            if let Some(c) = &e.closest {
                writeln!(
                    f,
                    "         closest request: #{} {}",
                    c.seq.unwrap_or(0),
                    c.request.as_deref().unwrap_or("")
                )?;
                for d in &c.diff {
                    writeln!(f, "           - {d}")?;
                }
            } else if !e.satisfied && e.matched == 0 {
                writeln!(f, "         no request was recorded")?;
            }
        }
        for s in &self.sequences {
            writeln!(
                f,
                "  {} sequence {:?}: {}",
                if s.satisfied { "ok  " } else { "FAIL" },
                s.name,
                s.steps.join(" -> ")
            )?;
            if let Some(d) = &s.detail {
                writeln!(f, "         {d}")?;
            }
        }
        for x in &self.faults {
            writeln!(
                f,
                "  fault #{} {} (status {}): {}: {}",
                x.seq, x.request, x.status, x.rule, x.action
            )?;
        }
        for u in &self.unexpected {
            writeln!(
                f,
                "  {} unexpected request #{} {} (status {})",
                if self.fail_on_unexpected {
                    "FAIL"
                } else {
                    "note"
                },
                u.seq,
                u.request,
                u.status
            )?;
            if let Some(c) = &u.closest {
                writeln!(
                    f,
                    "         closest expectation: {:?}",
                    c.expectation.as_deref().unwrap_or("")
                )?;
                for d in &c.diff {
                    writeln!(f, "           - {d}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ExpectationFile;

    fn set(yaml: &str) -> ExpectationSet {
        let mut s = ExpectationSet::default();
        s.add(ExpectationFile::from_yaml(yaml).unwrap()).unwrap();
        s
    }

    fn recorded(lines: &[&str]) -> Vec<RecordedRequest> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (m, t) = l.split_once(' ').unwrap();
                let mut r = RecordedRequest::synthetic(m, t, &[("Accept", "application/json")]);
                r.seq = i as u64 + 1;
                r.status = 200;
                r
            })
            .collect()
    }

    const FALLBACK: &str = r#"
unexpected: fail
expectations:
  - name: watch-list
    path: /api/v1/namespaces/default/configmaps
    query: "allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds={int:300..599}&watch=true"
    times: once
  - name: list
    path: /api/v1/namespaces/default/configmaps
    query: "limit=500&resourceVersion=0"
    times: once
  - name: watch
    path: /api/v1/namespaces/default/configmaps
    query: "allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds={int:300..599}&watch=true"
sequences:
  - name: fallback
    steps: [watch-list, list, watch]
"#;

    #[test]
    fn satisfied_sequence() {
        let r = verify(
            &set(FALLBACK),
            &recorded(&[
                "GET /api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=389&watch=true",
                "GET /api/v1/namespaces/default/configmaps?limit=500&resourceVersion=0",
                "GET /api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=474&watch=true",
            ]),
        );
        assert!(r.satisfied, "{r}");
    }

    #[test]
    fn changed_query_is_reported_in_words() {
        let r = verify(
            &set(FALLBACK),
            &recorded(&[
                "GET /api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=389&watch=true",
                "GET /api/v1/namespaces/default/configmaps?limit=100&resourceVersion=0",
                "GET /api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=474&watch=true",
            ]),
        );
        assert!(!r.satisfied);
        assert_eq!(
            r.to_string(),
            r#"kubemock verification: NOT satisfied (3 requests recorded)
  ok   "watch-list": wanted once, matched 1 (#1)
  FAIL "list": wanted once, matched 0
         closest request: #2 GET /api/v1/namespaces/default/configmaps?limit=100&resourceVersion=0
           - different value for limit: expected 500, got 100
  ok   "watch": wanted at least 1 time, matched 1 (#3)
  FAIL sequence "fallback": watch-list -> list -> watch
         step 2 "list" never matched after step 1 (request #1 GET /api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=389&watch=true)
  FAIL unexpected request #2 GET /api/v1/namespaces/default/configmaps?limit=100&resourceVersion=0 (status 200)
         closest expectation: "list"
           - different value for limit: expected 500, got 100
"#
        );
    }

    #[test]
    fn out_of_order_and_too_many() {
        let r = verify(
            &set(FALLBACK),
            &recorded(&[
                "GET /api/v1/namespaces/default/configmaps?limit=500&resourceVersion=0",
                "GET /api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=389&watch=true",
                "GET /api/v1/namespaces/default/configmaps?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=390&watch=true",
            ]),
        );
        assert!(!r.satisfied);
        assert_eq!(r.expectations[0].matched, 2);
        assert!(!r.expectations[0].satisfied);
        assert!(r.sequences[0]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("step 2 \"list\" came too early: request #1"));
    }

    #[test]
    fn enforce_message_names_the_difference() {
        let s = set(FALLBACK);
        let r =
            &recorded(&["GET /api/v1/namespaces/default/configmaps?resourceVersion=0&limit=500"])
                [0];
        assert_eq!(
            unexpected_message(&s, r),
            "kubemock: unexpected request GET /api/v1/namespaces/default/configmaps?resourceVersion=0&limit=500; closest expectation \"list\": different order: expected limit, resourceVersion, got resourceVersion, limit"
        );
    }
}
