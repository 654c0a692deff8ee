//! Kubernetes API semantics, without HTTP framework types: a request comes in
//! as an [`ApiRequest`] (method, path, query, headers, body) and leaves as an
//! [`ApiResponse`] (status, headers, bytes or a stream).
//!
//! The path of a resource request: resolve the path through the registry,
//! negotiate the output (406), decode options (400), default and validate
//! (422) in the profile's order, run the verb against the store, encode.
//! Every failure is an [`error::ApiError`], rendered like a success.

pub mod continue_token;
pub mod crd;
pub mod decode;
pub mod discovery;
pub mod encode;
pub mod error;
mod handler;
pub mod managed_fields;
pub mod negotiate;
pub mod objects;
pub mod openapi;
pub mod options;
pub mod patch;
pub mod protobuf;
pub mod query;
pub mod request_info;
mod resource;
pub mod selector;
pub mod table;
pub mod unknown_fields;
mod verbs;

pub use handler::{handle, render_error};

use crate::profile::{FeatureGates, Profile};
use crate::registry::Registry;
use crate::store::Store;
use bytes::Bytes;
use futures::stream::BoxStream;
use http::{HeaderMap, Method};
use objects::defaults::DefaultsContext;
use std::sync::{Arc, Mutex, RwLock};

/// The shared state every request reads: registry, store, profile.
#[derive(Debug)]
pub struct ApiState {
    /// Served resources (built-ins; CRDs add to it at run time).
    pub registry: RwLock<Registry>,
    /// The objects.
    pub store: Arc<Store>,
    /// The emulated Kubernetes version.
    pub profile: &'static Profile,
    /// Feature gates in force.
    pub gates: FeatureGates,
    /// State for defaulting (cluster IPs handed out...).
    pub defaults: Mutex<DefaultsContext>,
    /// `host:port` clients reach the server at (for `/api`).
    pub server_address: RwLock<String>,
    /// Ends open watches when the server shuts down.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl ApiState {
    /// Reads the registry (a poisoned lock still holds a consistent registry:
    /// writers replace whole entries).
    pub fn registry(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// One HTTP request, as the API layer sees it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Method.
    pub method: Method,
    /// Path without the query.
    pub path: String,
    /// The query.
    pub query: query::RawQuery,
    /// Headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl ApiRequest {
    /// A header as a string, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The body of a response.
pub enum ResponseBody {
    /// Bytes written at once.
    Full(Bytes),
    /// A watch stream: chunks written as they come; the headers are flushed
    /// before the first one.
    Stream(BoxStream<'static, Bytes>),
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseBody::Full(b) => f.debug_tuple("Full").field(&b.len()).finish(),
            ResponseBody::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// One HTTP response.
#[derive(Debug)]
pub struct ApiResponse {
    /// Status code.
    pub status: u16,
    /// Headers (Content-Type included).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: ResponseBody,
}

impl ApiResponse {
    /// A full response.
    pub fn full(status: u16, content_type: &str, body: impl Into<Bytes>) -> ApiResponse {
        ApiResponse {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: ResponseBody::Full(body.into()),
        }
    }

    /// A bare status with no body and no Content-Type, as Go writes
    /// `w.WriteHeader(code)` alone (kube-openapi's 406).
    pub fn empty(status: u16) -> ApiResponse {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: ResponseBody::Full(Bytes::new()),
        }
    }

    /// `404 page not found`, as Go's `http.NotFound` writes it.
    pub fn page_not_found() -> ApiResponse {
        let mut r = ApiResponse::full(404, "text/plain; charset=utf-8", "404 page not found\n");
        r.headers
            .push(("X-Content-Type-Options".into(), "nosniff".into()));
        r
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> ApiResponse {
        self.headers.push((name.into(), value.into()));
        self
    }
}
