//! The request filters kube-apiserver wraps every handler in, each an axum
//! middleware: Audit-Id (`WithAuditInit`), authentication and authorization
//! (`crate::auth`: 401 `Unauthorized`, 403 `Forbidden`), `Cache-Control: no-cache,
//! private` (`WithCacheControl`) and gzip of large responses
//! (`WithCompression`, above 128 KiB).

use super::HttpConfig;
use crate::api::encode::json_line;
use crate::meta::Status;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{ACCEPT_ENCODING, AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use std::io::Write;
use std::sync::Arc;

/// Responses at least this large are gzipped when the client accepts it
/// (`responsewriters.defaultGzipThresholdBytes`).
pub const GZIP_THRESHOLD: usize = 128 * 1024;

/// Echoes the request's `Audit-ID`, or assigns a fresh UUID.
pub async fn audit_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("audit-id")
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or(HeaderValue::from_static("unknown"))
        });
    let mut resp = next.run(req).await;
    resp.headers_mut().insert("audit-id", id);
    resp
}

/// `Cache-Control: no-cache, private` unless the handler set one
/// (aggregated discovery sets `public`).
pub async fn cache_control(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if !resp.headers().contains_key(CACHE_CONTROL) {
        resp.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    }
    resp
}

/// Whether `Authorization` carries exactly `Bearer <token>`.
pub fn bearer_matches(header: Option<&HeaderValue>, token: &str) -> bool {
    let Some(value) = header.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    let presented = parts.next().unwrap_or("").trim();
    scheme.eq_ignore_ascii_case("bearer") && !presented.is_empty() && presented == token
}

/// The 401 every unauthenticated request gets.
pub fn unauthorized() -> Response {
    let status = Status::failure(
        401,
        crate::meta::status::reason::UNAUTHORIZED,
        "Unauthorized",
    );
    let mut resp = Response::new(Body::from(json_line(&status.to_value())));
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// `WithAuthentication`, `WithImpersonation` and `WithAuthorization`:
/// the `auth` filter when configured (it puts the user on the request);
/// else only the bearer token is checked (when set).
pub async fn authenticate(
    State(config): State<Arc<HttpConfig>>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(auth) = &config.auth {
        return crate::auth::filter(Arc::clone(auth), req, next).await;
    }
    if let Some(token) = &config.token {
        if !bearer_matches(req.headers().get(AUTHORIZATION), token) {
            return unauthorized();
        }
    }
    next.run(req).await
}

fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut it = enc.split(';');
            let name = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    == Some(0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !q_zero
        })
}

/// Gzips complete bodies of at least [`GZIP_THRESHOLD`] bytes when the
/// client sent `Accept-Encoding: gzip`. Streams (watches) are left alone.
pub async fn gzip(req: Request, next: Next) -> Response {
    let wants = accepts_gzip(&req);
    let resp = next.run(req).await;
    if !wants || resp.headers().contains_key(CONTENT_ENCODING) {
        return resp;
    }
    // Only complete bodies of a known size are gzipped, so the read below is
    // bounded by that size (a response kubemock built, never a client's body).
    let size = http_body::Body::size_hint(resp.body())
        .exact()
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    if size < GZIP_THRESHOLD {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, size).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = enc.write_all(&bytes).and_then(|_| enc.finish());
    match compressed {
        Ok(out) => {
            parts
                .headers
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts.headers.remove(http::header::CONTENT_LENGTH);
            parts.headers.append(
                http::header::VARY,
                HeaderValue::from_static("Accept-Encoding"),
            );
            Response::from_parts(parts, Body::from(out))
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert!(bearer_matches(Some(&h("Bearer abc")), "abc"));
        assert!(bearer_matches(Some(&h("bearer abc")), "abc"));
        assert!(!bearer_matches(Some(&h("Bearer abcd")), "abc"));
        assert!(!bearer_matches(Some(&h("Basic abc")), "abc"));
        assert!(!bearer_matches(Some(&h("Bearer ")), ""));
        assert!(!bearer_matches(None, "abc"));
    }
}
