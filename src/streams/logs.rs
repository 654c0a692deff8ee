//! `pods/log`: a container's log from its process script, with the
//! options and errors of `pkg/registry/core/pod/rest/log.go`
//! (`ValidatePodLogOptions`, `LogLocation`) and the kubelet
//! (`validateContainerLogStatus`; timestamps as
//! `kuberuntime/logs.timeFormatOut`, RFC 3339 with nine fraction digits).
//!
//! The log is the script's `logs.lines` (written at container start, so
//! stamped with the container's `startedAt`), `logs.previous` for
//! `previous=true`, and `logs.follow` streamed while a client follows.

use super::script::LogScript;
use super::{errors, PodView};
use crate::api::error::{ApiError, Result};
use crate::api::query::RawQuery;
use crate::api::{ApiResponse, ApiState, ResponseBody};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// `PodLogOptions` as read from the query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogOptions {
    /// Container name.
    pub container: Option<String>,
    /// Stream until the container ends or the client leaves.
    pub follow: bool,
    /// The previous instance's log.
    pub previous: bool,
    /// Prefix lines with their timestamp.
    pub timestamps: bool,
    /// Only the last N lines.
    pub tail_lines: Option<i64>,
    /// At most N bytes.
    pub limit_bytes: Option<i64>,
    /// Only lines newer than N seconds.
    pub since_seconds: Option<i64>,
    /// Only lines at or after this time.
    pub since_time: Option<DateTime<Utc>>,
}

impl LogOptions {
    /// Decodes the query (400 on a value that does not parse).
    pub fn decode(q: &RawQuery) -> Result<LogOptions> {
        let int = |k: &str| -> Result<Option<i64>> {
            q.get_i64(k)
                .map_err(|_| errors::bad_log_option(k, q.get(k).unwrap_or("")))
        };
        let since_time = match q.get("sinceTime") {
            None | Some("") => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|_| errors::bad_log_option("sinceTime", t))?
                    .with_timezone(&Utc),
            ),
        };
        Ok(LogOptions {
            container: q
                .get("container")
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            follow: q.get_bool("follow").unwrap_or(false),
            previous: q.get_bool("previous").unwrap_or(false),
            timestamps: q.get_bool("timestamps").unwrap_or(false),
            tail_lines: int("tailLines")?,
            limit_bytes: int("limitBytes")?,
            since_seconds: int("sinceSeconds")?,
            since_time,
        })
    }

    /// `ValidatePodLogOptions` (422, `PodLogOptions`).
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = self.tail_lines.filter(|n| *n < 0) {
            return Err(errors::invalid_log_options(
                "tailLines",
                &n.to_string(),
                "must be greater than or equal to 0",
            ));
        }
        if let Some(n) = self.limit_bytes.filter(|n| *n < 1) {
            return Err(errors::invalid_log_options(
                "limitBytes",
                &n.to_string(),
                "must be greater than 0",
            ));
        }
        if self.since_seconds.is_some() && self.since_time.is_some() {
            let mut e = ApiError::invalid(
                "",
                "PodLogOptions",
                "",
                vec![crate::api::error::cause(
                    "FieldValueForbidden",
                    "",
                    "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                )],
            );
            e.status.message = "PodLogOptions \"\" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified".into();
            return Err(e);
        }
        if let Some(n) = self.since_seconds.filter(|n| *n < 1) {
            return Err(errors::invalid_log_options(
                "sinceSeconds",
                &n.to_string(),
                "must be greater than 0",
            ));
        }
        Ok(())
    }
}

/// `timeFormatOut`.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

fn parse_time(v: Option<&serde_json::Value>) -> Option<DateTime<Utc>> {
    v.and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// When the container started: its `startedAt`, the pod's `startTime`, or
/// its creation.
fn started_at(pod: &PodView, container: &str) -> DateTime<Utc> {
    pod.container_status(container)
        .and_then(|s| parse_time(s.pointer("/state/running/startedAt")))
        .or_else(|| parse_time(pod.object.pointer("/status/startTime")))
        .or_else(|| parse_time(pod.object.pointer("/metadata/creationTimestamp")))
        .unwrap_or_else(Utc::now)
}

/// The lines a request selects (before `limitBytes`).
pub fn select(lines: &[(DateTime<Utc>, String)], o: &LogOptions, now: DateTime<Utc>) -> Vec<u8> {
    let since = o
        .since_time
        .or_else(|| o.since_seconds.map(|s| now - chrono::Duration::seconds(s)));
    let kept: Vec<&(DateTime<Utc>, String)> = lines
        .iter()
        .filter(|(t, _)| since.is_none_or(|s| *t >= s))
        .collect();
    let start = match o.tail_lines {
        Some(n) => kept.len().saturating_sub(n as usize),
        None => 0,
    };
    let mut out = Vec::new();
    for (t, l) in &kept[start..] {
        out.extend_from_slice(render(t, l, o.timestamps).as_bytes());
    }
    out
}

fn render(t: &DateTime<Utc>, line: &str, timestamps: bool) -> String {
    if timestamps {
        format!("{} {line}\n", format_time(t))
    } else {
        format!("{line}\n")
    }
}

/// GET `pods/NAME/log`.
pub fn serve(state: &Arc<ApiState>, ns: &str, name: &str, q: &RawQuery) -> Result<ApiResponse> {
    let o = LogOptions::decode(q)?;
    o.validate()?;
    let pod = PodView::get(state, ns, name)?;
    let container = pod.validate_container(o.container.as_deref())?;
    if !pod.has_host() {
        // `LogLocation` returns no location: an empty log.
        return Ok(ApiResponse::full(200, "text/plain", Bytes::new()));
    }
    let streams = super::for_state(state);
    let script: LogScript = streams
        .script()
        .entries_for(&pod.namespace, &pod.name, &pod.labels, &container)
        .find_map(|e| e.logs.clone())
        .unwrap_or_default();
    let base = started_at(&pod, &container);
    let now = Utc::now();
    let lines: Vec<(DateTime<Utc>, String)> = if o.previous {
        match &script.previous {
            Some(p) => p.iter().map(|l| (base, l.clone())).collect(),
            None => return Err(errors::previous_not_found(&container, &pod.name)),
        }
    } else {
        let started = pod.phase() != "Pending"
            && pod
                .container_status(&container)
                .is_none_or(|s| s.pointer("/state/waiting").is_none());
        if !started {
            return Err(errors::container_waiting(&container, &pod.name));
        }
        script.lines.iter().map(|l| (base, l.clone())).collect()
    };
    let mut head = select(&lines, &o, now);
    let limit = o.limit_bytes.map(|n| n as usize);
    if let Some(l) = limit {
        head.truncate(l);
    }
    let running = pod.container_running(&container);
    if !o.follow || o.previous || !running || limit.is_some_and(|l| head.len() >= l) {
        return Ok(ApiResponse::full(200, "text/plain", head));
    }
    let Some(guard) = streams.enter() else {
        return Err(errors::too_many_sessions());
    };
    Ok(ApiResponse {
        status: 200,
        headers: vec![("Content-Type".into(), "text/plain".into())],
        body: ResponseBody::Stream(follow_stream(
            head,
            script,
            o,
            limit,
            state.shutdown.clone(),
            guard,
        )),
    })
}

/// The followed log: what was there, then the follow lines as they come.
fn follow_stream(
    head: Vec<u8>,
    script: LogScript,
    o: LogOptions,
    limit: Option<usize>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    guard: super::SessionGuard,
) -> futures::stream::BoxStream<'static, Bytes> {
    struct St {
        script: LogScript,
        o: LogOptions,
        idx: usize,
        rep: u64,
        sent: usize,
        limit: Option<usize>,
        shutdown: tokio::sync::watch::Receiver<bool>,
        head: Option<Bytes>,
        _guard: super::SessionGuard,
    }
    let st = St {
        sent: head.len(),
        head: (!head.is_empty()).then(|| Bytes::from(head)),
        script,
        o,
        idx: 0,
        rep: 0,
        limit,
        shutdown,
        _guard: guard,
    };
    Box::pin(futures::stream::unfold(st, |mut st| async move {
        if let Some(h) = st.head.take() {
            return Some((h, st));
        }
        // Batch the follow lines that are due now into one chunk.
        let mut chunk = Vec::new();
        while let Some(line) = st.script.follow.get(st.idx) {
            if st.rep >= line.repeat {
                st.idx += 1;
                st.rep = 0;
                continue;
            }
            if line.delay_ms > 0 {
                if !chunk.is_empty() {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(line.delay_ms)) => {}
                    _ = super::stopped(st.shutdown.clone()) => return None,
                }
            }
            st.rep += 1;
            chunk.extend_from_slice(render(&Utc::now(), &line.text, st.o.timestamps).as_bytes());
            if chunk.len() >= 64 * 1024 || line.delay_ms > 0 {
                break;
            }
        }
        if chunk.is_empty() {
            if st.script.end_after_follow {
                return None;
            }
            // The container keeps running: hold the stream until the
            // client leaves or the server stops.
            super::stopped(st.shutdown.clone()).await;
            return None;
        }
        if let Some(l) = st.limit {
            let room = l.saturating_sub(st.sent);
            if room == 0 {
                return None;
            }
            chunk.truncate(room);
        }
        st.sent += chunk.len();
        Some((Bytes::from(chunk), st))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_selection() {
        let q = RawQuery::parse("tailLines=2&timestamps=true&limitBytes=100");
        let o = LogOptions::decode(&q).unwrap();
        o.validate().unwrap();
        let t = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let lines: Vec<_> = ["a", "b", "c"].iter().map(|l| (t, l.to_string())).collect();
        assert_eq!(
            String::from_utf8(select(&lines, &o, t)).unwrap(),
            "2025-01-01T00:00:00.000000000Z b\n2025-01-01T00:00:00.000000000Z c\n"
        );
        let bad = LogOptions::decode(&RawQuery::parse("tailLines=-1")).unwrap();
        let e = bad.validate().unwrap_err();
        assert_eq!(e.code(), 422);
        assert!(
            e.status
                .message
                .contains("tailLines: Invalid value: -1: must be greater than or equal to 0"),
            "{}",
            e.status.message
        );
        assert_eq!(
            LogOptions::decode(&RawQuery::parse("tailLines=x"))
                .unwrap_err()
                .code(),
            400
        );
        let both = LogOptions::decode(&RawQuery::parse(
            "sinceSeconds=1&sinceTime=2025-01-01T00:00:00Z",
        ))
        .unwrap();
        assert_eq!(both.validate().unwrap_err().code(), 422);
        let since = LogOptions::decode(&RawQuery::parse("sinceSeconds=10")).unwrap();
        assert!(select(&lines, &since, t + chrono::Duration::seconds(60)).is_empty());
    }
}
