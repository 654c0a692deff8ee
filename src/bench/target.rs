//! The server a benchmark drives: a `kubemock serve` child process started
//! by the harness (so its start-up and memory can be measured), or any
//! server named by a kubeconfig (`--against`).

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where and how to reach a server.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `https://host:port`.
    pub url: String,
    /// Bearer token, if any.
    pub token: Option<String>,
    /// CA certificate (PEM) to trust.
    pub ca_pem: Option<Vec<u8>>,
    /// Skip TLS verification (kubeconfig `insecure-skip-tls-verify`).
    pub insecure: bool,
    /// Client certificate and key (PEM, concatenated), if the user has one.
    pub identity_pem: Option<Vec<u8>>,
}

impl Endpoint {
    /// Reads the current context of a kubeconfig.
    pub fn from_kubeconfig(path: &Path) -> Result<Endpoint> {
        Endpoint::from_kubeconfig_context(path, None)
    }

    /// Reads a kubeconfig, using `context` instead of its current context
    /// when given (as `kubectl --context`).
    pub fn from_kubeconfig_context(path: &Path, context: Option<&str>) -> Result<Endpoint> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let doc: serde_yaml::Value = serde_yaml::from_str(&text)?;
        let current = context.unwrap_or_else(|| doc["current-context"].as_str().unwrap_or(""));
        if let Some(name) = context {
            let known = doc["contexts"]
                .as_sequence()
                .is_some_and(|s| s.iter().any(|e| e["name"].as_str() == Some(name)));
            if !known {
                bail!("{}: no context named {name:?}", path.display());
            }
        }
        let find = |list: &str, name: &str| -> serde_yaml::Value {
            doc[list]
                .as_sequence()
                .and_then(|s| {
                    s.iter()
                        .find(|e| e["name"].as_str() == Some(name) || name.is_empty())
                })
                .cloned()
                .unwrap_or_default()
        };
        let ctx = find("contexts", current);
        let cluster_name = ctx["context"]["cluster"].as_str().unwrap_or("");
        let user_name = ctx["context"]["user"].as_str().unwrap_or("");
        let cluster = find("clusters", cluster_name);
        let user = find("users", user_name);
        let url = cluster["cluster"]["server"]
            .as_str()
            .ok_or_else(|| anyhow!("{}: no cluster server", path.display()))?
            .trim_end_matches('/')
            .to_string();
        let ca_pem = match cluster["cluster"]["certificate-authority-data"].as_str() {
            Some(d) => Some(base64::engine::general_purpose::STANDARD.decode(d.trim())?),
            None => match cluster["cluster"]["certificate-authority"].as_str() {
                Some(p) => Some(std::fs::read(p)?),
                None => None,
            },
        };
        let pem = |data: &str, file: &str| -> Result<Option<Vec<u8>>> {
            match user["user"][data].as_str() {
                Some(d) => Ok(Some(
                    base64::engine::general_purpose::STANDARD.decode(d.trim())?,
                )),
                None => match user["user"][file].as_str() {
                    Some(p) => Ok(Some(std::fs::read(p)?)),
                    None => Ok(None),
                },
            }
        };
        let identity_pem = match (
            pem("client-certificate-data", "client-certificate")?,
            pem("client-key-data", "client-key")?,
        ) {
            (Some(mut cert), Some(key)) => {
                cert.push(b'\n');
                cert.extend_from_slice(&key);
                Some(cert)
            }
            _ => None,
        };
        Ok(Endpoint {
            url,
            token: user["user"]["token"].as_str().map(str::to_string),
            ca_pem,
            insecure: cluster["cluster"]["insecure-skip-tls-verify"].as_bool() == Some(true),
            identity_pem,
        })
    }

    /// An HTTP client for this endpoint (HTTP/2 over TLS when offered).
    pub fn client(&self) -> Result<reqwest::Client> {
        let mut b = reqwest::Client::builder().pool_max_idle_per_host(64);
        if let Some(ca) = &self.ca_pem {
            b = b.add_root_certificate(reqwest::Certificate::from_pem(ca)?);
        }
        if self.insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        if let Some(id) = &self.identity_pem {
            b = b.identity(reqwest::Identity::from_pem(id)?);
        }
        Ok(b.build()?)
    }

    /// A GET with the token.
    pub fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::RequestBuilder {
        self.auth(client.get(format!("{}{path}", self.url)))
    }

    /// Adds the bearer token.
    pub fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }
}

/// A `kubemock serve` child process.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    /// How to reach it.
    pub endpoint: Endpoint,
    _dir: tempfile::TempDir,
}

impl Spawned {
    /// Starts `binary serve` and waits for its kubeconfig.
    pub fn start(binary: &Path, extra: &[&str]) -> Result<(Spawned, Duration)> {
        let dir = tempfile::tempdir()?;
        let kc = dir.path().join("kubeconfig");
        let t0 = Instant::now();
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--kubeconfig")
            .arg(&kc)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        loop {
            if kc.exists() {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!("kubemock exited early: {status}");
            }
            if t0.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                bail!("kubemock did not write its kubeconfig within 30 s");
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let startup = t0.elapsed();
        let endpoint = Endpoint::from_kubeconfig(&kc)?;
        Ok((
            Spawned {
                child,
                endpoint,
                _dir: dir,
            },
            startup,
        ))
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the child in bytes (Linux `/proc`), if readable.
    pub fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
}

/// CPU time (user + system, all threads) a process has used so far, in
/// seconds (Linux `/proc/PID/stat`), if readable. Ticks are taken as
/// 1/100 s, the `USER_HZ` of every Linux architecture kubemock builds for.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // Fields 14 (utime) and 15 (stime) are the 12th and 13th after it.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The kubemock binary to spawn: this executable when it is kubemock,
/// else `target/release/kubemock` or `target/debug/kubemock`.
pub fn kubemock_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    if me
        .file_stem()
        .is_some_and(|s| s.to_string_lossy() == "kubemock")
    {
        return Ok(me);
    }
    for p in ["target/release/kubemock", "target/debug/kubemock"] {
        let p = PathBuf::from(p);
        if p.exists() {
            return Ok(p);
        }
    }
    bail!("no kubemock binary found; build it first")
}
