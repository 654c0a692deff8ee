//! Restart as a fault: the server stops serving for a downtime and comes
//! back on the same address with its state (in memory here).
//!
//! - `graceful`: the listener closes (new connections are refused), every
//!   connection is told to stop as on a real shutdown: requests in flight
//!   finish, watch streams end cleanly (the chunked body is terminated),
//!   idle keep-alive connections close, HTTP/2 sends GOAWAY.
//! - `crash`: the listener closes and every connection is dropped at once,
//!   as the kernel closes the sockets of a killed process (FIN, or RST when
//!   unread data is left).
//!
//! The accept loop (`crate::server`) performs restarts; this module holds
//! the requests and their completion, shared by the control API
//! (`POST /kubemock/v1/restart`) and [`crate::MockServer::restart`].
//!
//! UNVERIFIED: that kube-apiserver ends watches cleanly on SIGTERM (the
//! watch cache stops its watchers) is read from the source, not recorded.

use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// How the server goes down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RestartMode {
    /// As on SIGTERM: requests finish, watches end.
    Graceful,
    /// As on a crash: connections dropped.
    Crash,
}

/// One restart asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restart {
    /// Its number (from 1).
    pub id: u64,
    /// How long new connections are refused.
    pub downtime: Duration,
    /// How it goes down.
    pub mode: RestartMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestartBody {
    #[serde(default)]
    downtime: Option<String>,
    #[serde(default)]
    mode: Option<RestartMode>,
}

/// Restarts asked for and done.
#[derive(Debug)]
pub struct Restarts {
    asked: watch::Sender<Option<Restart>>,
    done: watch::Sender<u64>,
    next: AtomicU64,
}

impl Default for Restarts {
    fn default() -> Self {
        Restarts {
            asked: watch::channel(None).0,
            done: watch::channel(0).0,
            next: AtomicU64::new(1),
        }
    }
}

impl Restarts {
    /// Asks for a restart; returns its id at once.
    pub fn request(&self, downtime: Duration, mode: RestartMode) -> u64 {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.asked
            .send_replace(Some(Restart { id, downtime, mode }));
        id
    }

    /// Waits until restart `id` is done (the server accepts again).
    pub async fn wait_done(&self, id: u64) {
        let mut rx = self.done.subscribe();
        let _ = rx.wait_for(|d| *d >= id).await;
    }

    /// The accept loop's view of the requests.
    pub fn subscribe(&self) -> watch::Receiver<Option<Restart>> {
        self.asked.subscribe()
    }

    /// The accept loop finished restart `id`.
    pub fn mark_done(&self, id: u64) {
        self.done.send_modify(|d| *d = (*d).max(id));
    }

    /// Reads `{"downtime": "1s", "mode": "graceful"}` (both optional:
    /// no downtime, graceful).
    ///
    /// # Errors
    /// Not JSON, an unknown field or mode, a bad Go duration.
    pub fn parse_body(body: &[u8]) -> Result<(Duration, RestartMode), String> {
        let b: RestartBody = if body.iter().all(u8::is_ascii_whitespace) {
            RestartBody {
                downtime: None,
                mode: None,
            }
        } else {
            serde_json::from_slice(body).map_err(|e| e.to_string())?
        };
        let downtime = match b.downtime {
            Some(d) => crate::api::query::parse_go_duration(&d)?,
            None => Duration::ZERO,
        };
        Ok((downtime, b.mode.unwrap_or(RestartMode::Graceful)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_parse() {
        assert_eq!(
            Restarts::parse_body(br#"{"downtime":"1s","mode":"crash"}"#),
            Ok((Duration::from_secs(1), RestartMode::Crash))
        );
        assert_eq!(
            Restarts::parse_body(b""),
            Ok((Duration::ZERO, RestartMode::Graceful))
        );
        assert!(Restarts::parse_body(br#"{"mode":"nap"}"#)
            .expect_err("bad mode")
            .contains("unknown variant"));
        assert_eq!(
            Restarts::parse_body(br#"{"downtime":"soon"}"#),
            Err("time: invalid duration \"soon\"".into())
        );
    }
}
