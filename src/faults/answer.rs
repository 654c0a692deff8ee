//! The answers of `error:` rules, written as kube-apiserver writes them.
//!
//! Most are `Status` objects through the same negotiated error writer the
//! API layer uses (`responsewriters.ErrorNegotiated`: JSON, YAML, pretty or
//! protobuf as the client asked). Four are written by filters in front of
//! the handlers, with their own bytes:
//!
//! - 429 from priority and fairness (`filters/priority-and-fairness.go`
//!   `tooManyRequests`): `http.Error` plain text
//!   `Too many requests, please try again later.\n`, `Retry-After`,
//!   `X-Content-Type-Options: nosniff` and the
//!   `X-Kubernetes-PF-FlowSchema-UID` / `X-Kubernetes-PF-PriorityLevel-UID`
//!   headers;
//! - 503 from the wait-group filter during shutdown (`filters/waitgroup.go`
//!   `waitGroupWriteRetryAfterToResponse`): a JSON Status `apiserver is
//!   shutting down`, `Retry-After: 1`, `nosniff`, and two newlines
//!   (`fmt.Fprintln` of the encoder's output, which ends in one);
//! - 504 from the timeout filter (`filters/timeout.go`): the Status encoded
//!   by `encoding/json` (no `kind`/`apiVersion`: the error's TypeMeta is
//!   empty), no Content-Type set (Go sniffs `text/plain; charset=utf-8`);
//! - 410 on a watch: a 200 stream holding one ERROR event, as the watch
//!   cache answers a resourceVersion older than its window.
//!
//! UNVERIFIED: these four are read from the Kubernetes 1.36 source, not
//! recorded (the golden recordings hold no 429, 503 or fault-made 504).

use super::plan::{ErrorDetail, ErrorShape};
use crate::api::error::ApiError;
use crate::api::{ApiRequest, ApiResponse};
use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};

/// The flow schema and priority level UIDs in the APF headers: fixed,
/// shaped like the UIDs of the bootstrap `global-default` objects.
pub const PF_FLOW_SCHEMA_UID: &str = "5e1a4b8c-5f0e-4a34-9d4c-3d0b7f2c9a11";
/// See [`PF_FLOW_SCHEMA_UID`].
pub const PF_PRIORITY_LEVEL_UID: &str = "8c2f7a6e-1d3b-4e5f-a7b9-0c1d2e3f4a52";

/// The APF rejection body (`http.Error` appends the newline).
pub const APF_TEXT: &str = "Too many requests, please try again later.\n";

/// What an answer needs to know about the request.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Kubernetes verb (`list`, `watch`...), if the path is a resource's.
    pub verb: Option<&'static str>,
    /// API group.
    pub group: String,
    /// Plural resource.
    pub resource: String,
    /// Object name from the path.
    pub name: String,
    /// Namespace from the path.
    pub namespace: String,
    /// The user the request was authenticated as.
    pub user: String,
    /// `resourceVersion` as sent.
    pub resource_version: String,
    /// The store's current resourceVersion.
    pub current_rv: u64,
    /// The client accepts protobuf (for a watch ERROR frame).
    pub protobuf: bool,
}

/// The Status a code stands for (messages as kube-apiserver writes them,
/// unless the plan gives one).
pub fn status_error(d: &ErrorDetail, ctx: &Context) -> ApiError {
    let msg = d.message.clone();
    match d.code {
        401 => {
            let mut e = ApiError::unauthorized();
            if let Some(m) = msg {
                e.status.message = m;
            }
            e
        }
        403 => {
            let why = msg.unwrap_or_else(|| forbidden_reason(ctx));
            crate::auth::error::new_forbidden(&ctx.group, &ctx.resource, &ctx.name, &why)
        }
        409 => ApiError::conflict(
            &ctx.group,
            &ctx.resource,
            &ctx.name,
            msg.as_deref().unwrap_or(
                "the object has been modified; please apply your changes to the latest version and try again",
            ),
        ),
        410 => ApiError::expired(msg.unwrap_or_else(|| too_old(ctx))),
        429 => ApiError::too_many_requests(
            msg.unwrap_or_else(|| "storage is (re)initializing".into()),
            d.retry_after.unwrap_or(1),
        ),
        503 => {
            let mut e =
                ApiError::service_unavailable(msg.unwrap_or_else(|| "apiserver is shutting down".into()));
            e.retry_after = Some(d.retry_after.unwrap_or(1));
            e
        }
        504 => ApiError::timeout(
            msg.as_deref()
                .unwrap_or("request did not complete within the allotted timeout"),
            d.retry_after.unwrap_or(0),
        ),
        // 500 and anything the plan check let through.
        _ => ApiError::internal(msg.unwrap_or_else(|| "etcdserver: request timed out".into())),
    }
}

/// `too old resource version: REQUESTED (OLDEST)`: the watch cache's
/// message; the current revision stands in for the oldest one kept.
fn too_old(ctx: &Context) -> String {
    let requested = ctx.resource_version.parse::<u64>().unwrap_or(0);
    format!(
        "too old resource version: {requested} ({})",
        ctx.current_rv.max(requested + 1)
    )
}

/// RBAC's reason, as `authorizer` words it for a denied request.
fn forbidden_reason(ctx: &Context) -> String {
    let verb = ctx.verb.unwrap_or("get");
    let scope = if ctx.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{}\"", ctx.namespace)
    };
    format!(
        "User \"{}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
        ctx.user, ctx.resource, ctx.group
    )
}

/// The response for an `error:` rule.
pub fn error_response(d: &ErrorDetail, ctx: &Context, api_req: &ApiRequest) -> Response {
    match d.code {
        429 if d.shape != Some(ErrorShape::Status) => {
            let mut r = text_response(429, APF_TEXT.as_bytes().to_vec());
            let h = r.headers_mut();
            h.insert("Retry-After", HeaderValue::from(d.retry_after.unwrap_or(1)));
            h.insert(
                "X-Kubernetes-PF-FlowSchema-UID",
                HeaderValue::from_static(PF_FLOW_SCHEMA_UID),
            );
            h.insert(
                "X-Kubernetes-PF-PriorityLevel-UID",
                HeaderValue::from_static(PF_PRIORITY_LEVEL_UID),
            );
            if let Some(m) = &d.message {
                *r.body_mut() = Body::from(format!("{m}\n"));
            }
            r
        }
        503 => {
            let e = status_error(d, ctx);
            let mut body = crate::api::encode::json_line(&e.status.to_value());
            body.push(b'\n');
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            let h = r.headers_mut();
            h.insert("Retry-After", HeaderValue::from(e.retry_after.unwrap_or(1)));
            h.insert("Content-Type", HeaderValue::from_static("application/json"));
            h.insert(
                "X-Content-Type-Options",
                HeaderValue::from_static("nosniff"),
            );
            r
        }
        504 => {
            let e = status_error(d, ctx);
            let mut v = e.status.to_value();
            if let Some(o) = v.as_object_mut() {
                o.shift_remove("kind");
                o.shift_remove("apiVersion");
            }
            let mut r = text_response(504, crate::api::encode::json_line(&v));
            // Go sniffs the type; `http.Error`'s nosniff is not set here.
            r.headers_mut().remove("X-Content-Type-Options");
            r
        }
        410 if ctx.verb == Some("watch") => {
            let e = status_error(d, ctx);
            watch_error_stream(&e, ctx.protobuf)
        }
        _ => {
            let e = status_error(d, ctx);
            crate::http::into_response(crate::api::render_error(api_req, &e))
        }
    }
}

/// One ERROR event line (or protobuf frame) for a Status.
pub fn watch_error_event(e: &ApiError, protobuf: bool) -> bytes::Bytes {
    let v = e.status.to_value();
    if protobuf {
        if let Ok(frame) = crate::api::protobuf::watch_frame("ERROR", &v) {
            return bytes::Bytes::from(frame);
        }
    }
    let mut line = Vec::with_capacity(256);
    line.extend_from_slice(b"{\"type\":\"ERROR\",\"object\":");
    crate::api::encode::write_compact(&mut line, &v);
    line.extend_from_slice(b"}\n");
    bytes::Bytes::from(line)
}

fn watch_error_stream(e: &ApiError, protobuf: bool) -> Response {
    let event = watch_error_event(e, protobuf);
    let ct = if protobuf {
        "application/vnd.kubernetes.protobuf;stream=watch"
    } else {
        "application/json"
    };
    let resp = ApiResponse {
        status: 200,
        headers: vec![("Content-Type".into(), ct.into())],
        body: crate::api::ResponseBody::Stream(Box::pin(futures::stream::iter([event]))),
    };
    crate::http::into_response(resp)
}

/// A plain-text answer as Go's `http.Error` writes it.
fn text_response(code: u16, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        "Content-Type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(code: u16) -> ErrorDetail {
        ErrorDetail {
            code,
            message: None,
            retry_after: None,
            shape: None,
        }
    }

    fn ctx() -> Context {
        Context {
            verb: Some("list"),
            resource: "configmaps".into(),
            namespace: "ns".into(),
            name: "cm".into(),
            user: "alice".into(),
            resource_version: "12".into(),
            current_rv: 40,
            ..Context::default()
        }
    }

    fn body(e: &ApiError) -> String {
        String::from_utf8(crate::api::encode::json_line(&e.status.to_value())).expect("utf8")
    }

    #[test]
    fn statuses_are_written_as_apimachinery_writes_them() {
        let c = ctx();
        assert_eq!(
            body(&status_error(&detail(429), &c)),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"storage is (re)initializing\",\"reason\":\"TooManyRequests\",\"details\":{\"retryAfterSeconds\":1},\"code\":429}\n"
        );
        assert_eq!(
            body(&status_error(&detail(410), &c)),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 12 (40)\",\"reason\":\"Expired\",\"code\":410}\n"
        );
        assert_eq!(
            body(&status_error(&detail(504), &c)),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Timeout: request did not complete within the allotted timeout\",\"reason\":\"Timeout\",\"details\":{},\"code\":504}\n"
        );
        assert_eq!(
            body(&status_error(&detail(409), &c)),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Operation cannot be fulfilled on configmaps \\\"cm\\\": the object has been modified; please apply your changes to the latest version and try again\",\"reason\":\"Conflict\",\"details\":{\"name\":\"cm\",\"kind\":\"configmaps\"},\"code\":409}\n"
        );
        assert_eq!(
            body(&status_error(&detail(403), &c)),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"configmaps \\\"cm\\\" is forbidden: User \\\"alice\\\" cannot list resource \\\"configmaps\\\" in API group \\\"\\\" in the namespace \\\"ns\\\"\",\"reason\":\"Forbidden\",\"details\":{\"name\":\"cm\",\"kind\":\"configmaps\"},\"code\":403}\n"
        );
        assert_eq!(
            body(&status_error(&detail(503), &c)),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"apiserver is shutting down\",\"reason\":\"ServiceUnavailable\",\"code\":503}\n"
        );
    }

    #[test]
    fn a_watch_error_event_is_one_line() {
        let e = status_error(&detail(410), &ctx());
        assert_eq!(
            watch_error_event(&e, false),
            "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 12 (40)\",\"reason\":\"Expired\",\"code\":410}}\n"
        );
    }
}
