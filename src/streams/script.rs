//! Process scripts: what a container does when exec'd, what it logs, and
//! what listens on its ports, as data (a YAML file, `serve --scripts FILE`).
//!
//! ```yaml
//! containers:                       # entries, consulted in order
//!   - match:                        # every key optional; all must hold
//!       namespace: default
//!       pod: "speaker-*"            # glob on the pod name
//!       labels: {app: metallb}
//!       container: frr
//!     env: {ROLE: speaker}          # added to the pod's env for `env`
//!     files: {/etc/frr/frr.conf: "router bgp 64512\n"}
//!     logs:
//!       lines: ["started", "ready"]
//!       previous: ["crashed"]       # logs of the previous instance
//!       follow: [{text: "tick", delayMs: 100, repeat: 3}]
//!     ports:
//!       - {port: 7, echo: true}
//!       - {port: 80, http: {status: 200, body: "hello\n"}}
//!       - {port: 5432, tcp: "127.0.0.1:5432"}   # opt-in host address
//!     faults: {unknownStream: 1}    # for every exec into these containers
//!     exec:                         # first matching rule answers
//!       - command: [vtysh, -c, "show bgp summary json"]   # exact argv
//!         stdout: '{"ipv4Unicast":{}}'
//!       - glob: "vtysh *"           # or regex: "^vtysh .*"
//!         output: [{stderr: "% Unknown command\n", delayMs: 10}]
//!         exit: 1
//!         stdin: echo               # echo | consume | ignore (default)
//!     process:                      # the main process (read by the kubelet)
//!       exitCodes: [1, 0]           # run 1 exits 1, run 2 (a restart) 0; the last repeats
//!       afterMs: 200                # each run lasts this long (scaled;
//!                                   # default: the pod-complete stage)
//!       # or runsForever: true      # never exits
//! ```
//!
//! `process` applies to pods whose restartPolicy is Never or OnFailure:
//! without it their containers exit 0 (or the pod's `kubemock.io/exit-code`
//! annotation) after the lifecycle's `pod-complete` delay.
//!
//! A command no rule matches runs as a built-in (`builtins.rs`) or gets the
//! container runtime's "executable file not found". Errors name the file,
//! the line and the reason.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A loaded script file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Entries, consulted in order.
    #[serde(default)]
    pub containers: Vec<Entry>,
}

/// One entry: a selector and what the selected containers do.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Which containers.
    #[serde(default, rename = "match")]
    pub selector: Selector,
    /// Extra environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Files of the virtual filesystem at container start.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// The container's log.
    #[serde(default)]
    pub logs: Option<LogScript>,
    /// Listeners per port (port-forward).
    #[serde(default)]
    pub ports: Vec<PortRule>,
    /// Faults for every exec into these containers.
    #[serde(default)]
    pub faults: Faults,
    /// Exec rules.
    #[serde(default)]
    pub exec: Vec<ExecRule>,
    /// Whether and how the container's main process exits.
    #[serde(default)]
    pub process: Option<ProcessScript>,
}

/// How a container's main process ends (the kubelet reads it for pods
/// whose restartPolicy is Never or OnFailure).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProcessScript {
    /// Exit code of each run (the first run, then each restart); the last
    /// one repeats. Empty: 0.
    #[serde(default)]
    pub exit_codes: Vec<i32>,
    /// How long a run lasts, in milliseconds (under the time scale).
    pub after_ms: Option<u64>,
    /// The process never exits.
    #[serde(default)]
    pub runs_forever: bool,
}

impl ProcessScript {
    /// The exit code of run `restarts + 1`.
    pub fn exit_code(&self, restarts: usize) -> i32 {
        self.exit_codes
            .get(restarts)
            .or(self.exit_codes.last())
            .copied()
            .unwrap_or(0)
    }

    fn check(&self) -> Result<(), String> {
        if let Some(c) = self.exit_codes.iter().find(|c| !(0..=255).contains(*c)) {
            return Err(format!("process.exitCodes: {c} is not in 0..255"));
        }
        if self.runs_forever && (!self.exit_codes.is_empty() || self.after_ms.is_some()) {
            return Err("process: runsForever excludes exitCodes and afterMs".into());
        }
        Ok(())
    }
}

/// Selects containers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Namespace, exact.
    pub namespace: Option<String>,
    /// Pod name, a glob (`*`, `?`).
    pub pod: Option<String>,
    /// Labels the pod must carry.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Container name, exact.
    pub container: Option<String>,
}

impl Selector {
    /// Whether the selector holds for a container of a pod.
    pub fn matches(
        &self,
        namespace: &str,
        pod: &str,
        labels: &serde_json::Map<String, serde_json::Value>,
        container: &str,
    ) -> bool {
        self.namespace.as_deref().is_none_or(|n| n == namespace)
            && self.pod.as_deref().is_none_or(|g| glob_match(g, pod))
            && self.container.as_deref().is_none_or(|c| c == container)
            && self
                .labels
                .iter()
                .all(|(k, v)| labels.get(k).and_then(|x| x.as_str()) == Some(v.as_str()))
    }
}

/// A container's log.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogScript {
    /// Lines written at container start.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Lines of the previous instance (`previous=true`); absent: none.
    pub previous: Option<Vec<String>>,
    /// Lines written while a client follows (`follow=true`).
    #[serde(default)]
    pub follow: Vec<FollowLine>,
    /// End the followed stream after the follow lines (as a container
    /// that exits); default: stay open until the client leaves.
    #[serde(default, rename = "endAfterFollow")]
    pub end_after_follow: bool,
}

/// A followed log line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowLine {
    /// The text (one line; a newline is added).
    pub text: String,
    /// Delay before each repetition.
    #[serde(default, rename = "delayMs")]
    pub delay_ms: u64,
    /// How many times (default 1).
    #[serde(default = "one")]
    pub repeat: u64,
}

fn one() -> u64 {
    1
}

/// A listener on a pod port.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawPortRule")]
pub struct PortRule {
    /// The port.
    pub port: u16,
    /// What answers.
    pub listener: Listener,
}

/// What answers on a port.
#[derive(Debug, Clone, PartialEq)]
pub enum Listener {
    /// Writes back what it reads.
    Echo,
    /// Reads one HTTP request and answers with a fixed response.
    Http {
        /// Status code.
        status: u16,
        /// Body.
        body: String,
    },
    /// Connects to this host address (opt-in).
    Tcp(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPortRule {
    port: u16,
    #[serde(default)]
    echo: bool,
    http: Option<RawHttp>,
    tcp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    body: String,
}

fn ok() -> u16 {
    200
}

impl TryFrom<RawPortRule> for PortRule {
    type Error = String;
    fn try_from(r: RawPortRule) -> Result<PortRule, String> {
        let mut l = Vec::new();
        if r.echo {
            l.push(Listener::Echo);
        }
        if let Some(h) = r.http {
            l.push(Listener::Http {
                status: h.status,
                body: h.body,
            });
        }
        if let Some(t) = r.tcp {
            if t.parse::<std::net::SocketAddr>().is_err() {
                return Err(format!(
                    "port {}: tcp {t:?} is not a host:port address",
                    r.port
                ));
            }
            l.push(Listener::Tcp(t));
        }
        if r.port == 0 {
            return Err("port must be 1..65535".into());
        }
        match l.len() {
            1 => Ok(PortRule {
                port: r.port,
                listener: l.remove(0),
            }),
            _ => Err(format!(
                "port {}: exactly one of echo, http, tcp is required",
                r.port
            )),
        }
    }
}

/// How an exec rule matches the command.
#[derive(Debug, Clone)]
pub enum CommandMatch {
    /// The argv, exactly.
    Exact(Vec<String>),
    /// A glob over the argv joined by spaces.
    Glob(String),
    /// A regex over the argv joined by spaces.
    Regex(regex::Regex),
}

impl CommandMatch {
    /// Whether the argv matches.
    pub fn matches(&self, argv: &[String]) -> bool {
        match self {
            CommandMatch::Exact(a) => a.as_slice() == argv,
            CommandMatch::Glob(g) => glob_match(g, &argv.join(" ")),
            CommandMatch::Regex(r) => r.is_match(&argv.join(" ")),
        }
    }
}

/// What the process does with its stdin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StdinMode {
    /// Never reads it.
    #[default]
    Ignore,
    /// Copies it to stdout until EOF, then writes its output.
    Echo,
    /// Reads it to EOF, then writes its output.
    Consume,
}

/// One piece of output.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Stderr rather than stdout.
    pub stderr: bool,
    /// The bytes.
    pub data: String,
    /// Wait before writing.
    pub delay: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChunk {
    stdout: Option<String>,
    stderr: Option<String>,
    #[serde(default, rename = "delayMs")]
    delay_ms: u64,
}

impl TryFrom<RawChunk> for Chunk {
    type Error = String;
    fn try_from(r: RawChunk) -> Result<Chunk, String> {
        let delay = Duration::from_millis(r.delay_ms);
        match (r.stdout, r.stderr) {
            (Some(d), None) => Ok(Chunk {
                stderr: false,
                data: d,
                delay,
            }),
            (None, Some(d)) => Ok(Chunk {
                stderr: true,
                data: d,
                delay,
            }),
            _ => Err("an output chunk needs exactly one of stdout, stderr".into()),
        }
    }
}

/// An exec rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawExecRule")]
pub struct ExecRule {
    /// Which commands.
    pub matcher: CommandMatch,
    /// Output, in order.
    pub output: Vec<Chunk>,
    /// Exit code.
    pub exit: i32,
    /// What happens to stdin.
    pub stdin: StdinMode,
    /// Faults of this rule (added to the entry's).
    pub faults: Faults,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExecRule {
    command: Option<Vec<String>>,
    glob: Option<String>,
    regex: Option<String>,
    #[serde(default)]
    output: Vec<RawChunk>,
    stdout: Option<String>,
    stderr: Option<String>,
    #[serde(default)]
    exit: i32,
    #[serde(default)]
    stdin: StdinMode,
    #[serde(default)]
    faults: Faults,
}

impl TryFrom<RawExecRule> for ExecRule {
    type Error = String;
    fn try_from(r: RawExecRule) -> Result<ExecRule, String> {
        let matcher = match (r.command, r.glob, r.regex) {
            (Some(c), None, None) if !c.is_empty() => CommandMatch::Exact(c),
            (None, Some(g), None) => CommandMatch::Glob(g),
            (None, None, Some(re)) => CommandMatch::Regex(
                regex::Regex::new(&re).map_err(|e| format!("regex {re:?}: {e}"))?,
            ),
            _ => {
                return Err(
                    "an exec rule needs exactly one of command (a non-empty list), glob, regex"
                        .into(),
                )
            }
        };
        if !(0..=255).contains(&r.exit) {
            return Err(format!("exit {} is not in 0..255", r.exit));
        }
        let mut output = r
            .output
            .into_iter()
            .map(Chunk::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(s) = r.stdout {
            output.push(Chunk {
                stderr: false,
                data: s,
                delay: Duration::ZERO,
            });
        }
        if let Some(s) = r.stderr {
            output.push(Chunk {
                stderr: true,
                data: s,
                delay: Duration::ZERO,
            });
        }
        r.faults.check()?;
        Ok(ExecRule {
            matcher,
            output,
            exit: r.exit,
            stdin: r.stdin,
            faults: r.faults,
        })
    }
}

/// Stream faults, deterministic (no randomness).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Faults {
    /// Send a frame on this stream id before the output (kubectl logs
    /// "Unknown stream, discarding message" on stderr when it did not open
    /// it: MetalLB's failure).
    pub unknown_stream: Option<u8>,
    /// Extra text written on stderr before the output.
    pub extra_stderr: Option<String>,
    /// Close without writing the exit status.
    #[serde(default)]
    pub no_exit_status: bool,
    /// Drop the connection (no close frame, no status) after this many
    /// output bytes.
    pub reset_after_bytes: Option<usize>,
    /// Split output into frames of at most this many bytes (1: one byte a
    /// frame).
    pub chunk_size: Option<usize>,
    /// Wait this long before the close frame.
    pub close_delay_ms: Option<u64>,
    /// End the connection without a close frame (after the status).
    #[serde(default)]
    pub no_close_frame: bool,
}

impl Faults {
    fn check(&self) -> Result<(), String> {
        if self.chunk_size == Some(0) {
            return Err("faults.chunkSize must be at least 1".into());
        }
        Ok(())
    }

    /// `self` with `other`'s settings added (other wins where both set).
    pub fn merged(&self, other: &Faults) -> Faults {
        Faults {
            unknown_stream: other.unknown_stream.or(self.unknown_stream),
            extra_stderr: other
                .extra_stderr
                .clone()
                .or_else(|| self.extra_stderr.clone()),
            no_exit_status: self.no_exit_status || other.no_exit_status,
            reset_after_bytes: other.reset_after_bytes.or(self.reset_after_bytes),
            chunk_size: other.chunk_size.or(self.chunk_size),
            close_delay_ms: other.close_delay_ms.or(self.close_delay_ms),
            no_close_frame: self.no_close_frame || other.no_close_frame,
        }
    }

    /// The names of the faults in force (for logs and the recording).
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.unknown_stream.is_some() {
            v.push("unknownStream");
        }
        if self.extra_stderr.is_some() {
            v.push("extraStderr");
        }
        if self.no_exit_status {
            v.push("noExitStatus");
        }
        if self.reset_after_bytes.is_some() {
            v.push("resetAfterBytes");
        }
        if self.chunk_size.is_some() {
            v.push("chunkSize");
        }
        if self.close_delay_ms.is_some() {
            v.push("closeDelayMs");
        }
        if self.no_close_frame {
            v.push("noCloseFrame");
        }
        v
    }
}

impl Script {
    /// Parses a script; errors read `FILE:LINE: reason`.
    pub fn parse(text: &str, file: &str) -> Result<Script, String> {
        let script: Script = serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(1);
            // serde_yaml appends " at line L column C"; the prefix says it.
            let msg = e.to_string();
            let msg = match msg.find(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            format!("{file}:{line}: {msg}")
        })?;
        for (i, e) in script.containers.iter().enumerate() {
            e.faults
                .check()
                .map_err(|m| format!("{file}:1: containers[{i}]: {m}"))?;
        }
        // A bad `process` names the line of its `process:` key.
        let mut process_lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("process:"))
            .map(|(n, _)| n + 1);
        for (i, e) in script.containers.iter().enumerate() {
            let Some(p) = &e.process else { continue };
            let line = process_lines.next().unwrap_or(1);
            p.check()
                .map_err(|m| format!("{file}:{line}: containers[{i}]: {m}"))?;
        }
        Ok(script)
    }

    /// Reads and parses a script file.
    pub fn load(path: &Path) -> Result<Script, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Script::parse(&text, &path.display().to_string())
    }

    /// The entries selecting a container, in order.
    pub fn entries_for<'a>(
        &'a self,
        namespace: &'a str,
        pod: &'a str,
        labels: &'a serde_json::Map<String, serde_json::Value>,
        container: &'a str,
    ) -> impl Iterator<Item = &'a Entry> + 'a {
        self.containers
            .iter()
            .filter(move |e| e.selector.matches(namespace, pod, labels, container))
    }
}

/// A glob: `*` any run, `?` one character, everything else literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("speaker-*", "speaker-abc"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "acd"));
        assert!(glob_match("vtysh *json*", "vtysh -c show bgp json"));
    }

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
containers:
  - match: {namespace: default, pod: "speaker-*", labels: {app: metallb}, container: frr}
    env: {ROLE: speaker}
    files: {/etc/frr/frr.conf: "router bgp 64512\n"}
    logs:
      lines: ["started", "ready"]
      previous: ["crashed"]
      follow: [{text: "tick", delayMs: 100, repeat: 3}]
    ports:
      - {port: 7, echo: true}
      - {port: 80, http: {status: 200, body: "hello\n"}}
    faults: {unknownStream: 1}
    exec:
      - command: [vtysh, -c, "show bgp summary json"]
        stdout: '{"ipv4Unicast":{}}'
      - glob: "vtysh *"
        output: [{stderr: "% Unknown command\n", delayMs: 10}]
        exit: 1
        stdin: echo
"#;
        let s = Script::parse(text, "s.yaml").unwrap();
        let e = &s.containers[0];
        assert_eq!(e.exec.len(), 2);
        assert_eq!(e.faults.unknown_stream, Some(1));
        assert_eq!(
            e.ports[1].listener,
            Listener::Http {
                status: 200,
                body: "hello\n".into()
            }
        );
        let argv: Vec<String> = ["vtysh", "-c", "x"].iter().map(|s| s.to_string()).collect();
        assert!(!e.exec[0].matcher.matches(&argv));
        assert!(e.exec[1].matcher.matches(&argv));
        let labels = serde_json::json!({"app": "metallb"});
        let labels = labels.as_object().unwrap();
        assert_eq!(
            s.entries_for("default", "speaker-1", labels, "frr").count(),
            1
        );
        assert_eq!(
            s.entries_for("default", "speaker-1", labels, "other")
                .count(),
            0
        );
    }

    #[test]
    fn bad_files_name_file_line_and_reason() {
        let cases = [
            (
                "containers:\n  - exec:\n      - glob: a\n        regex: b\n",
                "s.yaml:3:",
                "exactly one of",
            ),
            (
                "containers:\n  - exec:\n      - regex: \"(\"\n",
                "s.yaml:3:",
                "regex",
            ),
            (
                "containers:\n  - bogus: 1\n",
                "s.yaml:2:",
                "unknown field `bogus`",
            ),
            (
                "containers:\n  - ports:\n      - {port: 1, echo: true, tcp: \"x\"}\n",
                "s.yaml:3:",
                "tcp",
            ),
            (
                "containers:\n  - exec:\n      - command: [a]\n        exit: 300\n",
                "s.yaml:3:",
                "exit 300",
            ),
            (
                "containers:\n  - faults: {chunkSize: 0}\n",
                "s.yaml:1:",
                "chunkSize",
            ),
            ("containers: [\n", "s.yaml:2:", "expected"),
            (
                "containers:\n  - exec: []\n  - process: {exitCodes: [1, 256]}\n",
                "s.yaml:3:",
                "256 is not in 0..255",
            ),
            (
                "containers:\n  - process: {runsForever: true, afterMs: 5}\n",
                "s.yaml:2:",
                "runsForever excludes",
            ),
            (
                "containers:\n  - process: {exitCode: 1}\n",
                "s.yaml:2:",
                "unknown field `exitCode`",
            ),
        ];
        for (text, loc, reason) in cases {
            let e = Script::parse(text, "s.yaml").unwrap_err();
            assert!(e.starts_with(loc), "{text:?}: {e}");
            assert!(e.contains(reason), "{text:?}: {e}");
        }
    }
}
