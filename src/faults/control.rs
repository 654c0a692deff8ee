//! The control API of faults, under `/kubemock/v1/` (behind the same token
//! as everything else, never in discovery):
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/kubemock/v1/faults` | the plan in force and each rule's counts |
//! | PUT, POST | `/kubemock/v1/faults` | replaces the plan (YAML or JSON); a bad plan gets 400 with the rule index, line and reason, and the plan in force is kept |
//! | DELETE | `/kubemock/v1/faults` | removes every rule |
//! | POST | `/kubemock/v1/restart` | `{"downtime": "1s", "mode": "graceful"\|"crash"}`: 202, then the restart |

use super::{Faults, Restarts};
use crate::meta::Status;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;

/// Largest plan accepted.
const MAX_PLAN: u64 = 4 << 20;

/// How long the 202 has to go out before a restart begins.
const RESTART_AFTER: Duration = Duration::from_millis(50);

fn json(code: u16, v: &serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(crate::api::encode::json_line(v)));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert("Content-Type", HeaderValue::from_static("application/json"));
    r
}

fn status(code: u16, reason: &str, message: String) -> Response {
    let mut s = Status::failure(code, reason, message);
    s.code = code;
    json(code, &s.to_value())
}

fn success(code: u16, message: String) -> Response {
    json(
        code,
        &serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Success", "message": message, "code": code
        }),
    )
}

fn not_allowed(path: &str) -> Response {
    status(
        405,
        crate::meta::status::reason::METHOD_NOT_ALLOWED,
        format!("the server does not allow this method on {path}"),
    )
}

async fn body_text(req: Request) -> Result<String, Response> {
    match crate::http::limits::read_body(req.into_body(), MAX_PLAN).await {
        Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Err(_) => Err(status(
            413,
            "RequestEntityTooLarge",
            "fault plan too large".into(),
        )),
    }
}

/// `/kubemock/v1/faults`.
pub async fn faults(f: Arc<Faults>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    match *req.method() {
        Method::GET => json(
            200,
            &serde_json::json!({
                "kind": "FaultPlan",
                "plan": f.plan(),
                "counts": f.counts(),
            }),
        ),
        Method::PUT | Method::POST => {
            let text = match body_text(req).await {
                Ok(t) => t,
                Err(r) => return r,
            };
            match f.replace_from_yaml(&text) {
                Ok(n) => success(200, format!("fault plan replaced: {n} rule(s)")),
                Err(e) => status(
                    400,
                    crate::meta::status::reason::BAD_REQUEST,
                    format!("fault plan refused (the plan in force is kept): {e}"),
                ),
            }
        }
        Method::DELETE => {
            f.clear();
            success(200, "fault plan removed".into())
        }
        _ => not_allowed(&path),
    }
}

/// `/kubemock/v1/restart`: answered 202, then the restart begins.
pub async fn restart(r: Arc<Restarts>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if req.method() != Method::POST {
        return not_allowed(&path);
    }
    let body = match crate::http::limits::read_body(req.into_body(), 64 << 10).await {
        Ok(b) => b,
        Err(_) => {
            return status(
                413,
                "RequestEntityTooLarge",
                "restart body too large".into(),
            )
        }
    };
    let (downtime, mode) = match Restarts::parse_body(&body) {
        Ok(x) => x,
        Err(e) => {
            return status(
                400,
                crate::meta::status::reason::BAD_REQUEST,
                format!("restart: {e}"),
            )
        }
    };
    tokio::spawn(async move {
        tokio::time::sleep(RESTART_AFTER).await;
        r.request(downtime, mode);
    });
    success(
        202,
        format!("restarting ({mode:?}, downtime {downtime:?})").to_lowercase(),
    )
}
