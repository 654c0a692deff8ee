//! The fault layer: one tower layer, inside authentication (so an
//! injected 429 is answered where priority and fairness answers it, with
//! Audit-Id and Cache-Control from the outer filters) and outside the
//! expectations' canned responses and the API.
//!
//! With no rule in force it costs one atomic load: the inner service's
//! future is returned as it is (no box, no middleware plumbing). Otherwise the first rule
//! that fires acts: a delay first, then an error answer, a cut connection
//! (through [`crate::http::conn::AbortConnection`]), a stall, or a watch
//! body wrapped with [`super::stream`]. The fault goes on the response as a
//! [`FaultNote`] for the recording.

use super::answer::{self, Context};
use super::stream::{self, StreamFaults};
use super::{FaultKind, Faults, RequestInfo};
use crate::http::conn::AbortConnection;
use crate::record::{FaultNote, RecordedRequest};
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use futures::future::{BoxFuture, Either};
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use tower::{Layer, Service, ServiceExt};

/// The fault layer (`Router::layer(FaultLayer::new(faults))`).
#[derive(Debug, Clone)]
pub struct FaultLayer(Arc<Faults>);

impl FaultLayer {
    /// A layer applying `faults`' plan.
    pub fn new(faults: Arc<Faults>) -> FaultLayer {
        FaultLayer(faults)
    }
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;
    fn layer(&self, inner: S) -> FaultService<S> {
        FaultService {
            inner,
            faults: Arc::clone(&self.0),
        }
    }
}

/// The service of [`FaultLayer`].
#[derive(Debug, Clone)]
pub struct FaultService<S> {
    inner: S,
    faults: Arc<Faults>,
}

impl<S> Service<Request> for FaultService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if !self.faults.active() || req.uri().path().starts_with("/kubemock/") {
            return Either::Left(self.inner.call(req));
        }
        // Decided here, synchronously: a request no rule fires on goes
        // straight through too.
        let (fired, rec) = match req.extensions().get::<RecordedRequest>() {
            Some(r) => (self.faults.decide(r), None),
            None => {
                let r = recorded(&req);
                (self.faults.decide(&r), Some(r))
            }
        };
        let Some(fired) = fired else {
            return Either::Left(self.inner.call(req));
        };
        // The ready service goes with the request; a clone stays.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let f = Arc::clone(&self.faults);
        Either::Right(Box::pin(async move {
            Ok(apply(f, req, rec, fired, inner).await)
        }))
    }
}

async fn run<S>(inner: S, req: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    match inner.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// Applies the fault plan to a request (a rule is in force).
async fn apply<S>(
    f: Arc<Faults>,
    req: Request,
    built: Option<RecordedRequest>,
    fired: super::Fired,
    next: S,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let fallback;
    let rec = match (&built, req.extensions().get::<RecordedRequest>()) {
        (Some(r), _) | (None, Some(r)) => r,
        (None, None) => {
            fallback = recorded(&req);
            &fallback
        }
    };
    let info = RequestInfo::of(rec);
    let ctx = context(&req, rec, &info, &f);
    let note = FaultNote {
        rule: fired.rule.clone(),
        action: fired.action.clone(),
    };
    if let Some(d) = fired.delay {
        tokio::select! {
            _ = f.clock().sleep(d) => {}
            _ = f.stopped() => {}
        }
    }
    let mut resp = match fired.kind {
        FaultKind::None => run(next, req).await,
        FaultKind::Error(d) => {
            let api_req = crate::api::ApiRequest {
                method: req.method().clone(),
                path: req.uri().path().to_string(),
                query: crate::api::query::RawQuery::parse(req.uri().query().unwrap_or("")),
                headers: req.headers().clone(),
                body: bytes::Bytes::new(),
            };
            answer::error_response(&d, &ctx, &api_req)
        }
        FaultKind::Cut {
            reset,
            after_bytes: None,
        } => cut_now(reset),
        FaultKind::Cut {
            reset,
            after_bytes: Some(n),
        } => {
            let mut r = run(next, req).await;
            r.extensions_mut().insert(AbortConnection {
                reset,
                after_bytes: Some(n),
            });
            r
        }
        FaultKind::Stall(d) => {
            match d {
                Some(d) => {
                    tokio::select! {
                        _ = f.clock().sleep(d) => {}
                        _ = f.stopped() => {}
                    }
                }
                None => f.stopped().await,
            }
            cut_now(false)
        }
        FaultKind::Watch(w) => {
            let error_event = w.error.as_ref().map(|e| {
                let err = answer::status_error(&e.detail(), &ctx);
                answer::watch_error_event(&err, ctx.protobuf)
            });
            let watch_list = rec
                .params
                .iter()
                .any(|(k, v)| k == "sendInitialEvents" && crate::api::query::parse_bool(v));
            let r = run(next, req).await;
            if r.status() == http::StatusCode::OK {
                stream::wrap(
                    r,
                    StreamFaults {
                        faults: w,
                        error_event,
                        watch_list,
                        clock: f.clock().clone(),
                    },
                    f.stopped(),
                )
            } else {
                r
            }
        }
    };
    resp.extensions_mut().insert(note);
    resp
}

/// The request as the recording sees it (when the recording layer is off).
fn recorded(req: &Request) -> RecordedRequest {
    let target = req.uri().path_and_query().map_or_else(
        || req.uri().path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    RecordedRequest::new(req.method().as_str(), &target, headers_of(req))
}

/// A response that is never sent: the connection is cut before the head.
fn cut_now(reset: bool) -> Response {
    let mut r = Response::new(Body::empty());
    r.extensions_mut().insert(AbortConnection {
        reset,
        after_bytes: None,
    });
    r
}

fn headers_of(req: &Request) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn context(req: &Request, rec: &RecordedRequest, info: &RequestInfo, f: &Faults) -> Context {
    let rp = info.resource.clone().unwrap_or_default();
    let param = |k: &str| {
        rec.params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Context {
        verb: info.verb,
        group: rp.group,
        resource: rp.resource,
        name: rp.name.unwrap_or_default(),
        namespace: rp.namespace.unwrap_or_default(),
        user: req
            .extensions()
            .get::<crate::auth::UserInfo>()
            .map_or_else(|| "system:anonymous".to_string(), |u| u.name.clone()),
        resource_version: param("resourceVersion"),
        current_rv: f.current_rv(),
        protobuf: rec
            .header("accept")
            .is_some_and(|a| a.contains("application/vnd.kubernetes.protobuf")),
    }
}
