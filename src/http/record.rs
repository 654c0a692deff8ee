//! The HTTP side of recording and expectations: the `record` middleware
//! (outermost: every request and its status, watch streams counted event
//! by event until they end), the `expect` middleware (inside
//! authentication: canned responses and enforce mode's 400) and the
//! control API under [`CONTROL_PREFIX`] (behind the same token, never in
//! discovery).
//!
//! What is recorded and how expectations match lives in [`crate::record`];
//! this module only moves requests and bodies.
//!
//! Control API (all JSON; see `openapi/kubemock.yaml`):
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/kubemock/v1/recording` | the recording (`?format=jsonl` for JSON lines) |
//! | DELETE | `/kubemock/v1/recording` | clears it |
//! | POST | `/kubemock/v1/expectations` | adds an expectation file (YAML or JSON) |
//! | GET | `/kubemock/v1/expectations` | the files in force |
//! | DELETE | `/kubemock/v1/expectations` | removes them |
//! | GET | `/kubemock/v1/verification` | the [`Report`](crate::record::Report) (`?format=text`) |
//! | POST | `/kubemock/v1/reset` | empties the store, reloads the fixtures |

use crate::api::ApiState;
use crate::meta::Status;
use crate::record::{
    Decision, ExpectationFile, LiveWatch, RecordedRequest, Recorder, Respond, WatchSummary,
    CONTROL_PREFIX,
};
use crate::server::fixtures::Fixture;
use crate::store::{GroupResource, Mutation};
use axum::body::{Body, BodyDataStream};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, StatusCode};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// Largest expectation file the control API accepts.
const MAX_CONTROL_BODY: u64 = 16 << 20;

/// What the recording middlewares and the control API share.
#[derive(Debug)]
pub struct Control {
    /// The recording and expectations.
    pub recorder: Arc<Recorder>,
    /// Fixtures to reload on reset.
    pub fixtures: Vec<Fixture>,
    /// Ends held scripted watches when the server stops.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// Which expectation's canned response answered (a response extension).
#[derive(Debug, Clone)]
struct RespondedBy(String);

fn is_control(path: &str) -> bool {
    path == CONTROL_PREFIX || path.starts_with("/kubemock/")
}

/// Records every request (outermost layer, so 401s are recorded too).
pub async fn record(State(c): State<Arc<Control>>, mut req: Request, next: Next) -> Response {
    if is_control(req.uri().path()) {
        return next.run(req).await;
    }
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let target = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let mut rec = c.recorder.begin(RecordedRequest::new(
        req.method().as_str(),
        &target,
        headers,
    ));
    req.extensions_mut().insert(rec.clone());
    let resp = next.run(req).await;
    rec.status = resp.status().as_u16();
    rec.responded_by = resp.extensions().get::<RespondedBy>().map(|r| r.0.clone());
    rec.user = resp.extensions().get::<crate::auth::UserInfo>().cloned();
    rec.fault = resp.extensions().get::<crate::record::FaultNote>().cloned();
    if resp
        .extensions()
        .get::<super::conn::AbortConnection>()
        .is_some_and(|a| a.after_bytes.is_none())
    {
        // Cut before the headers: nothing was answered.
        rec.status = 0;
    }
    let streamed = http_body::Body::size_hint(resp.body()).exact().is_none();
    if !streamed {
        c.recorder.record(rec);
        return resp;
    }
    rec.watch = Some(WatchSummary {
        ended: "open".into(),
        ..WatchSummary::default()
    });
    let seq = rec.seq;
    let live = c.recorder.record_open_watch(rec);
    let (parts, body) = resp.into_parts();
    let counted = Counted {
        inner: body.into_data_stream(),
        recorder: Arc::clone(&c.recorder),
        seq,
        live,
        buf: Vec::new(),
        start: Instant::now(),
        done: false,
    };
    Response::from_parts(parts, Body::from_stream(counted))
}

/// A response body that counts watch events by type as they pass and
/// records how the stream ended.
struct Counted {
    inner: BodyDataStream,
    recorder: Arc<Recorder>,
    seq: u64,
    /// The running counts, shared with the recorder while the stream is open.
    live: Arc<LiveWatch>,
    buf: Vec<u8>,
    start: Instant,
    done: bool,
}

impl Counted {
    fn count(&mut self, chunk: &[u8]) {
        // Every event line starts `{"type":"KIND"` (the watch encoder writes
        // `type` first), so the type is read without parsing the object.
        let live = &self.live;
        let tally = |line: &[u8]| {
            if let Some(t) = line
                .strip_prefix(b"{\"type\":\"")
                .and_then(|rest| memchr::memchr(b'"', rest).map(|e| &rest[..e]))
                .and_then(|t| std::str::from_utf8(t).ok())
            {
                live.count(t);
            }
        };
        // Most chunks hold whole lines: they are scanned in place, and only
        // a partial line is buffered across chunks.
        let mut rest = chunk;
        if !self.buf.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.buf.extend_from_slice(&rest[..i]);
                    tally(&self.buf);
                    self.buf.clear();
                    rest = &rest[i + 1..];
                }
                None => {
                    self.buf.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
        while let Some(i) = memchr::memchr(b'\n', rest) {
            tally(&rest[..i]);
            rest = &rest[i + 1..];
        }
        // A stream that is not JSON lines (protobuf) must not grow the
        // buffer without bound.
        if self.buf.len() + rest.len() > 4 << 20 {
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(rest);
        }
    }

    fn finish(&mut self, ended: &str) {
        if self.done {
            return;
        }
        self.done = true;
        let summary = WatchSummary {
            events: self.live.events(),
            ended: ended.to_string(),
            held_ms: Some(self.start.elapsed().as_millis() as u64),
        };
        self.recorder.finish_watch(self.seq, summary);
    }
}

impl Stream for Counted {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.count(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish("error");
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish("server");
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        // Dropped before the end: hyper gave up on the connection.
        self.finish("client");
    }
}

/// Canned responses and enforce mode (inside authentication).
pub async fn expect(State(c): State<Arc<Control>>, req: Request, next: Next) -> Response {
    if is_control(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(rec) = req.extensions().get::<RecordedRequest>() else {
        return next.run(req).await;
    };
    match c.recorder.decide(rec) {
        Decision::Pass => next.run(req).await,
        Decision::Respond { name, respond } => {
            let mut resp = canned(&respond, c.shutdown.clone());
            resp.extensions_mut().insert(RespondedBy(name));
            resp
        }
        Decision::Reject(message) => status_response(Status::failure(
            400,
            crate::meta::status::reason::BAD_REQUEST,
            message,
        )),
    }
}

fn json_response(code: u16, value: &serde_json::Value) -> Response {
    let mut resp = Response::new(Body::from(crate::api::encode::json_line(value)));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn status_response(status: Status) -> Response {
    json_response(status.code, &status.to_value())
}

fn success(message: &str) -> Response {
    json_response(
        200,
        &serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Success", "message": message, "code": 200
        }),
    )
}

/// The response an expectation scripts.
fn canned(r: &Respond, mut shutdown: tokio::sync::watch::Receiver<bool>) -> Response {
    if let Some(events) = &r.watch {
        let lines: Vec<Result<Bytes, std::convert::Infallible>> = events
            .iter()
            .map(|e| Ok(Bytes::from(crate::api::encode::json_line(e))))
            .collect();
        let head = futures::stream::iter(lines);
        let body = if r.hold {
            let held = futures::stream::once(async move {
                let _ = shutdown.wait_for(|v| *v).await;
            })
            .filter_map(|_| async { None });
            Body::from_stream(head.chain(held))
        } else {
            Body::from_stream(head)
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return resp;
    }
    if let Some(body) = &r.body {
        return json_response(r.status, body);
    }
    if r.status >= 400 || r.reason.is_some() || r.message.is_some() {
        let reason = r
            .reason
            .clone()
            .unwrap_or_else(|| Respond::default_reason(r.status).to_string());
        let message = r.message.clone().unwrap_or_default();
        let mut status = Status::failure(r.status, &reason, message);
        status.code = r.status;
        return status_response(status);
    }
    json_response(
        r.status,
        &serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Success", "code": r.status
        }),
    )
}

/// The control API: `/kubemock/v1/<what>`.
pub async fn control(c: Arc<Control>, state: Arc<ApiState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let format = req.uri().query().and_then(|q| {
        crate::api::query::RawQuery::parse(q)
            .get("format")
            .map(str::to_string)
    });
    let what = path
        .strip_prefix(CONTROL_PREFIX)
        .unwrap_or("")
        .trim_matches('/')
        .to_string();
    let method = req.method().clone();
    let not_allowed = || {
        status_response(Status::failure(
            405,
            crate::meta::status::reason::METHOD_NOT_ALLOWED,
            format!("the server does not allow this method on {path}"),
        ))
    };
    match what.as_str() {
        "recording" => match method {
            Method::GET => {
                let items = c.recorder.requests();
                if format.as_deref() == Some("jsonl") {
                    let mut out = Vec::new();
                    for r in &items {
                        crate::api::encode::write_json_line(&mut out, r);
                    }
                    let mut resp = Response::new(Body::from(out));
                    resp.headers_mut().insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/jsonl"),
                    );
                    return resp;
                }
                json_response(
                    200,
                    &serde_json::json!({
                        "kind": "Recording",
                        "dropped": c.recorder.dropped(),
                        "items": items,
                    }),
                )
            }
            Method::DELETE => {
                c.recorder.clear();
                success("recording cleared")
            }
            _ => not_allowed(),
        },
        "expectations" => match method {
            Method::GET => {
                let set = c.recorder.expectations();
                json_response(
                    200,
                    &serde_json::json!({"kind": "ExpectationList", "items": set.files}),
                )
            }
            Method::DELETE => {
                c.recorder.clear_expectations();
                success("expectations removed")
            }
            Method::POST => {
                // Refused on a declared length before anything is buffered.
                let body = match super::limits::read_body(req.into_body(), MAX_CONTROL_BODY).await
                {
                    Ok(b) => b,
                    Err(_) => {
                        return status_response(Status::failure(
                            413,
                            "RequestEntityTooLarge",
                            "expectation file too large",
                        ))
                    }
                };
                let text = String::from_utf8_lossy(&body);
                let file = match parse_expectations(&text) {
                    Ok(f) => f,
                    Err(e) => {
                        return status_response(Status::failure(
                            400,
                            crate::meta::status::reason::BAD_REQUEST,
                            format!("expectations: {e}"),
                        ))
                    }
                };
                let count = file.expectations.len();
                if let Err(e) = c.recorder.add_expectations(file) {
                    return status_response(Status::failure(
                        400,
                        crate::meta::status::reason::BAD_REQUEST,
                        format!("expectations: {e}"),
                    ));
                }
                let mut resp = success(&format!("{count} expectation(s) added"));
                *resp.status_mut() = StatusCode::CREATED;
                resp
            }
            _ => not_allowed(),
        },
        "verification" => match method {
            Method::GET => {
                let report = c.recorder.verify();
                if format.as_deref() == Some("text") {
                    let mut resp = Response::new(Body::from(report.to_string()));
                    resp.headers_mut().insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; charset=utf-8"),
                    );
                    return resp;
                }
                match serde_json::to_value(&report) {
                    Ok(v) => json_response(200, &v),
                    Err(e) => status_response(Status::failure(
                        500,
                        crate::meta::status::reason::INTERNAL_ERROR,
                        format!("encoding the report: {e}"),
                    )),
                }
            }
            _ => not_allowed(),
        },
        "reset" => match method {
            Method::POST => match reset_store(&state, &c.fixtures).await {
                Ok(n) => success(&format!("store reset: {n} object(s) removed, fixtures reloaded")),
                Err(e) => status_response(Status::failure(
                    500,
                    crate::meta::status::reason::INTERNAL_ERROR,
                    format!("reset: {e}"),
                )),
            },
            _ => not_allowed(),
        },
        _ => status_response(Status::failure(
            404,
            crate::meta::status::reason::NOT_FOUND,
            format!(
                "no control endpoint {path}; known: {CONTROL_PREFIX}/recording, {CONTROL_PREFIX}/expectations, {CONTROL_PREFIX}/verification, {CONTROL_PREFIX}/reset"
            ),
        )),
    }
}

/// An expectation file, or a single expectation (a mapping with `path`).
fn parse_expectations(text: &str) -> Result<ExpectationFile, String> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    if value.get("path").is_some() {
        let single = ExpectationFile {
            expectations: vec![serde_yaml::from_value(value).map_err(|e| e.to_string())?],
            ..ExpectationFile::default()
        };
        let text = serde_yaml::to_string(&single).map_err(|e| e.to_string())?;
        return ExpectationFile::from_yaml(&text);
    }
    ExpectationFile::from_yaml(text)
}

/// Removes every object but the default namespaces (watchers see DELETED
/// events), then reloads the fixtures. Returns how many were removed.
async fn reset_store(state: &Arc<ApiState>, fixtures: &[Fixture]) -> anyhow::Result<usize> {
    let mut resources: Vec<GroupResource> = state
        .registry()
        .all()
        .map(|d| GroupResource::new(&d.group, &d.resource))
        .collect();
    resources.sort();
    resources.dedup();
    let mut removed = 0;
    for gr in resources {
        let Ok(snapshot) = state.store.snapshot(&gr, crate::store::ReadAt::Latest) else {
            continue;
        };
        for key in snapshot.objects.keys() {
            if gr.group.is_empty()
                && gr.resource == "namespaces"
                && crate::server::DEFAULT_NAMESPACES.contains(&key.name.as_str())
            {
                continue;
            }
            let outcome = state
                .store
                .mutate::<std::convert::Infallible>(&gr, key, |cur, _| {
                    Ok(if cur.is_some() {
                        Mutation::Delete
                    } else {
                        Mutation::Keep
                    })
                });
            if matches!(outcome, Ok(Some(_))) {
                removed += 1;
            }
        }
    }
    crate::server::fixtures::apply(state, fixtures).await?;
    Ok(removed)
}
