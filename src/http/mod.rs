//! The HTTP layer: turns hyper/axum requests into [`ApiRequest`]s for the API
//! layer and its [`ApiResponse`]s back into HTTP, with the filters
//! kube-apiserver runs around every handler (`DefaultBuildHandlerChain`):
//! Audit-Id, authentication, `Cache-Control`, gzip.

pub mod conn;
pub mod cork;
pub mod filters;
pub mod limits;
pub mod record;

use crate::api::{self, ApiRequest, ApiResponse, ApiState, ResponseBody};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use http::{HeaderName, HeaderValue, StatusCode};
use std::sync::Arc;

/// What the HTTP layer needs besides the API state.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Bearer token required on every request; `None` disables auth.
    pub token: Option<String>,
    /// Recording, expectations and the control API (`None`: none of them).
    pub control: Option<Arc<record::Control>>,
    /// Authentication and authorization (`None`: only `token` is checked).
    pub auth: Option<Arc<crate::auth::Auth>>,
    /// The fault plan and restarts (`None`: no fault layer, no routes).
    pub faults: Option<(Arc<crate::faults::Faults>, Arc<crate::faults::Restarts>)>,
}

/// The router: every path goes to the API layer, wrapped in the filters.
pub fn router(state: Arc<ApiState>, config: HttpConfig) -> Router {
    let control = config.control.clone();
    let faults = config.faults.clone();
    let config = Arc::new(config);
    let mut app = Router::new();
    if let Some((f, r)) = &faults {
        // The faults' control API (more specific than the catch-all below).
        let (f, r) = (Arc::clone(f), Arc::clone(r));
        app = app
            .route(
                &format!("{}/faults", crate::record::CONTROL_PREFIX),
                axum::routing::any(move |req: Request| {
                    crate::faults::control::faults(Arc::clone(&f), req)
                }),
            )
            .route(
                &format!("{}/restart", crate::record::CONTROL_PREFIX),
                axum::routing::any(move |req: Request| {
                    crate::faults::control::restart(Arc::clone(&r), req)
                }),
            );
    }
    if let Some(c) = &control {
        // The control API, before dispatch to the API layer: its prefix is
        // one no Kubernetes path uses, and discovery never lists it.
        let c = Arc::clone(c);
        app = app.route(
            &format!("{}/{{*rest}}", crate::record::CONTROL_PREFIX),
            axum::routing::any(move |State(s): State<Arc<ApiState>>, req: Request| {
                record::control(Arc::clone(&c), s, req)
            }),
        );
    }
    let mut app = app
        .fallback(dispatch)
        .with_state(state)
        .layer(axum::middleware::from_fn(filters::gzip));
    if let Some(c) = &control {
        // Canned responses and enforce mode: after authentication.
        app = app.layer(axum::middleware::from_fn_with_state(
            Arc::clone(c),
            record::expect,
        ));
    }
    if let Some((f, _)) = &faults {
        // Fault plans: after authentication (where priority and fairness
        // answers), before canned responses.
        app = app.layer(crate::faults::layer::FaultLayer::new(Arc::clone(f)));
    }
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            config,
            filters::authenticate,
        ))
        .layer(axum::middleware::from_fn(filters::cache_control))
        .layer(axum::middleware::from_fn(filters::audit_id));
    match control {
        // Outermost, so rejected (401) requests are recorded too.
        Some(c) => app.layer(axum::middleware::from_fn_with_state(c, record::record)),
        None => app,
    }
}

async fn dispatch(State(state): State<Arc<ApiState>>, mut req: Request) -> Response {
    // exec, attach, port-forward: answered (and upgraded) before any body is read.
    if let Some(resp) = crate::streams::try_upgrade(&state, &mut req) {
        return resp;
    }
    let (parts, body) = req.into_parts();
    let mut api_req = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: api::query::RawQuery::parse(parts.uri.query().unwrap_or("")),
        headers: parts.headers,
        body: bytes::Bytes::new(),
    };
    match limits::read_body(body, limits::MAX_REQUEST_BODY_BYTES).await {
        Ok(b) => api_req.body = b,
        Err(e) => {
            let err = match e {
                limits::BodyError::TooLarge => api::error::ApiError::from_status(
                    limits::request_entity_too_large(limits::MAX_REQUEST_BODY_BYTES),
                ),
                // What `limitedReadBody`'s caller does with a read error
                // (`scope.err` → 500 InternalError).
                limits::BodyError::Read(msg) => api::error::ApiError::internal(msg),
            };
            return into_response(api::render_error(&api_req, &err));
        }
    }
    into_response(api::handle(&state, api_req).await)
}

/// An [`ApiResponse`] as an axum response.
pub fn into_response(resp: ApiResponse) -> Response {
    let body = match resp.body {
        ResponseBody::Full(b) => Body::from(b),
        ResponseBody::Stream(s) => {
            use futures::StreamExt;
            Body::from_stream(s.map(Ok::<_, std::convert::Infallible>))
        }
    };
    let mut out = Response::new(body);
    *out.status_mut() =
        StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in resp.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            out.headers_mut().append(n, v);
        }
    }
    out
}
