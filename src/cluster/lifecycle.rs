//! The lifecycle as data: the stages the controllers play and their delays
//! (`lifecycle.yaml`, embedded; `--lifecycle FILE` overrides it). In the
//! spirit of KWOK's `Stage` resources (kustomize/stage/pod/general), reduced
//! to what kubemock's controllers need: a delay and a seeded jitter per step.
//!
//! A malformed file stops start-up with `file:line: reason`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The embedded default lifecycle.
pub const DEFAULT_LIFECYCLE: &str = include_str!("lifecycle.yaml");

/// Every stage a controller asks for, with what it is.
pub const STAGES: &[(&str, &str)] = &[
    ("pod-schedule", "scheduler binds a pending pod"),
    (
        "pod-create",
        "kubelet accepts a bound pod (ContainerCreating)",
    ),
    (
        "pod-start",
        "kubelet starts the containers (Running, Ready)",
    ),
    (
        "pod-complete",
        "containers of a run-to-completion pod finish",
    ),
    ("pod-stop", "containers exit after SIGTERM"),
    ("node-lease-renew", "kubelet renews its node Lease"),
    (
        "namespace-finalize",
        "namespace controller deletes the content",
    ),
    ("workload-sync", "workload and endpoint controllers sync"),
];

/// One step's timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    /// Fixed part.
    pub delay: Duration,
    /// Upper bound of the seeded random part.
    pub jitter: Duration,
}

/// The stages by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    stages: BTreeMap<&'static str, Stage>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        match Lifecycle::parse("lifecycle.yaml", DEFAULT_LIFECYCLE, None) {
            Ok(l) => l,
            // Guarded by a unit test: the embedded file always parses.
            Err(e) => panic!("embedded lifecycle: {e}"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    #[serde(default)]
    stages: Vec<FileStage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStage {
    name: String,
    #[serde(default)]
    delay: Option<String>,
    #[serde(default)]
    jitter: Option<String>,
}

/// A lifecycle file's error, `file:line: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct LifecycleError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The first line holding `needle` (1 when none does).
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(1)
}

impl Lifecycle {
    /// Reads a lifecycle file over the defaults.
    pub fn read(path: &std::path::Path) -> Result<Lifecycle, LifecycleError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LifecycleError {
            file: file.clone(),
            line: 0,
            reason: e.to_string(),
        })?;
        Lifecycle::parse(&file, &text, Some(Lifecycle::default()))
    }

    /// Parses `text` (named `file` in errors); stages it leaves out come
    /// from `base` (or are an error when there is no base).
    pub fn parse(
        file: &str,
        text: &str,
        base: Option<Lifecycle>,
    ) -> Result<Lifecycle, LifecycleError> {
        let err = |line: usize, reason: String| LifecycleError {
            file: file.to_string(),
            line,
            reason,
        };
        let doc: FileDoc = serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(1);
            err(line, e.to_string())
        })?;
        if doc.api_version != "kubemock.io/v1alpha1" {
            return Err(err(
                line_of(text, "apiVersion"),
                format!(
                    "apiVersion must be kubemock.io/v1alpha1, not {:?}",
                    doc.api_version
                ),
            ));
        }
        if doc.kind != "Lifecycle" {
            return Err(err(
                line_of(text, "kind"),
                format!("kind must be Lifecycle, not {:?}", doc.kind),
            ));
        }
        let mut stages = base.map(|b| b.stages).unwrap_or_default();
        let mut seen = Vec::new();
        for s in &doc.stages {
            let line = line_of(text, &format!("name: {}", s.name));
            let Some((name, _)) = STAGES.iter().find(|(n, _)| *n == s.name) else {
                let known: Vec<&str> = STAGES.iter().map(|(n, _)| *n).collect();
                return Err(err(
                    line,
                    format!("unknown stage {:?}; known: {}", s.name, known.join(", ")),
                ));
            };
            if seen.contains(name) {
                return Err(err(line, format!("stage {name:?} given twice")));
            }
            seen.push(*name);
            let parse = |field: &str, v: &Option<String>| -> Result<Duration, LifecycleError> {
                match v {
                    None => Ok(Duration::ZERO),
                    Some(v) => crate::api::query::parse_go_duration(v).map_err(|e| {
                        let l = text
                            .lines()
                            .enumerate()
                            .skip(line.saturating_sub(1))
                            .find(|(_, l)| l.contains(field) && l.contains(v.as_str()))
                            .map(|(i, _)| i + 1)
                            .unwrap_or(line);
                        err(l, format!("stage {name}: {field} {v:?}: {e}"))
                    }),
                }
            };
            let delay = parse("delay", &s.delay)?;
            let jitter = parse("jitter", &s.jitter)?;
            stages.insert(*name, Stage { delay, jitter });
        }
        if let Some((missing, _)) = STAGES.iter().find(|(n, _)| !stages.contains_key(n)) {
            return Err(err(1, format!("stage {missing:?} is missing")));
        }
        Ok(Lifecycle { stages })
    }

    /// One stage's timing.
    pub fn stage(&self, name: &str) -> Stage {
        self.stages.get(name).copied().unwrap_or(Stage {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
        })
    }

    /// Every stage with no delay and no jitter (for benchmarks).
    pub fn immediate() -> Lifecycle {
        let mut l = Lifecycle::default();
        for s in l.stages.values_mut() {
            *s = Stage {
                delay: Duration::ZERO,
                jitter: Duration::ZERO,
            };
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_names_every_stage() {
        let l = Lifecycle::parse("lifecycle.yaml", DEFAULT_LIFECYCLE, None).unwrap();
        for (name, _) in STAGES {
            assert!(l.stages.contains_key(name), "{name}");
        }
        assert_eq!(l.stage("pod-start").delay, Duration::from_millis(20));
    }

    #[test]
    fn an_override_changes_only_the_stages_it_names() {
        let text = "apiVersion: kubemock.io/v1alpha1\nkind: Lifecycle\nstages:\n- name: pod-start\n  delay: 1s\n";
        let l = Lifecycle::parse("f.yaml", text, Some(Lifecycle::default())).unwrap();
        assert_eq!(l.stage("pod-start").delay, Duration::from_secs(1));
        assert_eq!(l.stage("pod-create").delay, Duration::from_millis(5));
    }

    #[test]
    fn bad_files_say_where_and_why() {
        let cases = [
            ("apiVersion: kubemock.io/v1alpha1\nkind: Lifecycle\nstages:\n- name: pod-start\n  delay: soon\n", 5, "delay"),
            ("apiVersion: kubemock.io/v1alpha1\nkind: Lifecycle\nstages:\n- name: pod-warp\n", 4, "unknown stage"),
            ("apiVersion: kubemock.io/v1alpha1\nkind: Stage\n", 2, "kind must be Lifecycle"),
            ("apiVersion: kubemock.io/v1alpha1\nkind: Lifecycle\nstages:\n- name: pod-start\n  dealy: 1s\n", 5, "unknown field"),
            ("apiVersion: kubemock.io/v1alpha1\nkind: Lifecycle\nstages: [\n", 4, ""),
        ];
        for (text, line, reason) in cases {
            let e = Lifecycle::parse("f.yaml", text, Some(Lifecycle::default())).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.reason.contains(reason), "{text}: {e}");
            assert!(
                e.to_string().starts_with(&format!("f.yaml:{line}: ")),
                "{e}"
            );
        }
    }
}
