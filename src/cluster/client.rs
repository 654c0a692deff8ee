//! How a controller writes: as a client of the API, through
//! [`crate::api::handle`] (the same path, defaulting, validation, admission,
//! managedFields and watch events as an HTTP client's), with `fieldManager`
//! set to the real component's manager name. Never a side door into the store.

use crate::api::{self, ApiRequest, ApiState};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::Value;
use std::sync::Arc;

/// A failed call: the Status code and the Status (or body) the API answered.
#[derive(Debug, Clone)]
pub struct CallError {
    /// HTTP status code.
    pub code: u16,
    /// The Status object (or the body as a string).
    pub status: Value,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let msg = self
            .status
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("");
        write!(f, "{}: {msg}", self.code)
    }
}

/// A component's API client.
#[derive(Debug, Clone)]
pub struct Client {
    state: Arc<ApiState>,
    manager: &'static str,
    user_agent: String,
}

/// A call's result.
pub type CallResult = Result<Value, CallError>;

impl Client {
    /// A client writing as `manager` (`kube-scheduler`, `kubelet`, ...).
    pub fn new(state: Arc<ApiState>, manager: &'static str) -> Client {
        let user_agent = format!(
            "{manager}/{} (linux/amd64) kubemock",
            state.profile.git_version
        );
        Client {
            state,
            manager,
            user_agent,
        }
    }

    /// The API state (for reads from the store's snapshots).
    pub fn state(&self) -> &Arc<ApiState> {
        &self.state
    }

    /// Sends one request; JSON in, JSON out.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&Value>,
    ) -> CallResult {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let content_type = if method == Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        if let Ok(ua) = HeaderValue::from_str(&self.user_agent) {
            headers.insert(http::header::USER_AGENT, ua);
        }
        let is_write = method != Method::GET;
        let mut q = String::new();
        if is_write && method != Method::DELETE {
            q.push_str("fieldManager=");
            q.push_str(self.manager);
        }
        if !query.is_empty() {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(query);
        }
        let req = ApiRequest {
            method,
            path: path.to_string(),
            query: api::query::RawQuery::parse(&q),
            headers,
            body: body
                .map(|b| serde_json::to_vec(b).unwrap_or_default())
                .unwrap_or_default()
                .into(),
        };
        let resp = api::handle(&self.state, req).await;
        let bytes = crate::server::full_body(resp.body).unwrap_or_default();
        let value: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        if resp.status >= 300 {
            return Err(CallError {
                code: resp.status,
                status: value,
            });
        }
        Ok(value)
    }

    /// GET.
    pub async fn get(&self, path: &str) -> CallResult {
        self.call(Method::GET, path, "", None).await
    }
    /// POST (create).
    pub async fn create(&self, collection: &str, obj: &Value) -> CallResult {
        self.call(Method::POST, collection, "", Some(obj)).await
    }
    /// PUT (update; the object carries its resourceVersion).
    pub async fn update(&self, path: &str, obj: &Value) -> CallResult {
        self.call(Method::PUT, path, "", Some(obj)).await
    }
    /// PUT `{path}/status` with `obj` carrying `status`, only when the
    /// status differs from the stored one (a controller's status sync;
    /// a failed write is retried by the next sync).
    pub async fn write_status(&self, path: &str, obj: &Value, status: Value) {
        if obj.get("status") == Some(&status) {
            return;
        }
        let mut next = obj.clone();
        next["status"] = status;
        let _ = self.update(&format!("{path}/status"), &next).await;
    }

    /// PATCH with a JSON merge patch.
    pub async fn merge_patch(&self, path: &str, patch: &Value) -> CallResult {
        self.call(Method::PATCH, path, "", Some(patch)).await
    }
    /// DELETE with options in the query (`gracePeriodSeconds=0`...) and a
    /// body (preconditions).
    pub async fn delete(&self, path: &str, query: &str, body: Option<&Value>) -> CallResult {
        self.call(Method::DELETE, path, query, body).await
    }
}

/// `/api/v1/namespaces/{ns}/{resource}` or `/apis/{group}/v1/...`.
pub fn collection_path(group_version: &str, namespace: &str, resource: &str) -> String {
    let base = if group_version == "v1" {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group_version}")
    };
    if namespace.is_empty() {
        format!("{base}/{resource}")
    } else {
        format!("{base}/namespaces/{namespace}/{resource}")
    }
}

/// One object's path.
pub fn object_path(group_version: &str, namespace: &str, resource: &str, name: &str) -> String {
    format!(
        "{}/{name}",
        collection_path(group_version, namespace, resource)
    )
}
