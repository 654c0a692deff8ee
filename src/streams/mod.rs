//! Container streams: `pods/exec`, `pods/attach` and `pods/portforward`
//! over WebSocket, and `pods/log`, as a kube-apiserver in front of a
//! kubelet serves them. The container behind them is a process script
//! (data, [`script`]); the pod must exist, have a node and be Running.
//!
//! Mirrors `pkg/registry/core/pod/rest/subresources.go` and
//! `pkg/registry/core/pod/strategy.go` (`ExecLocation`, `LogLocation`,
//! `validateContainer`), the apiserver's WebSocket translator
//! (`apiserver/pkg/util/proxy`), and the kubelet's streaming server
//! (`cri-streaming/pkg/streaming`). Plain SPDY/3.1 (kubectl's fallback,
//! client-go before 1.30) is served for exec, attach and port-forward, and
//! kubectl's port-forward SPDY-in-WebSocket tunnel too, by [`spdy`]; other
//! SPDY versions get [`errors::spdy_unsupported`].
//!
//! Entry points: [`try_upgrade`] (called by the HTTP layer before a body is
//! read) and [`logs::serve`] (from the `log` subresource).

pub mod channel;
pub mod errors;
pub mod exec;
pub mod logs;
pub mod portforward;
pub mod process;
pub mod script;
pub mod spdy;
mod tar;
pub mod vfs;

use crate::api::error::ApiError;
use crate::api::{ApiRequest, ApiState};
use crate::store::GroupResource;
use axum::extract::Request;
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

pub use script::Script;

/// Default bound on concurrent stream sessions per server (each holds a
/// connection and a task; beyond it, 429 with a Status).
pub const DEFAULT_MAX_SESSIONS: usize = 4096;

/// The streaming state of one server: the script, the containers' files,
/// and the live session count.
#[derive(Debug)]
pub struct Streams {
    script: RwLock<Arc<Script>>,
    files: Mutex<HashMap<String, Arc<Mutex<vfs::Vfs>>>>,
    live: AtomicUsize,
    started: AtomicU64,
    max_sessions: usize,
}

impl Default for Streams {
    fn default() -> Self {
        Streams::new(Script::default())
    }
}

impl Streams {
    /// Streams answering from this script.
    pub fn new(script: Script) -> Streams {
        Streams {
            script: RwLock::new(Arc::new(script)),
            files: Mutex::new(HashMap::new()),
            live: AtomicUsize::new(0),
            started: AtomicU64::new(0),
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }

    /// The script in force.
    pub fn script(&self) -> Arc<Script> {
        Arc::clone(&self.script.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Replaces the script (files already created are kept).
    pub fn set_script(&self, script: Script) {
        *self.script.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(script);
    }

    /// Sessions (exec, attach, port-forward, followed logs) running now:
    /// each holds one task; tests compare it before and after.
    pub fn live_sessions(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Sessions started since the server started.
    pub fn sessions_started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    /// A guard counting one live session, or `None` at the bound.
    pub(crate) fn enter(self: &Arc<Self>) -> Option<SessionGuard> {
        let prev = self.live.fetch_add(1, Ordering::SeqCst);
        if prev >= self.max_sessions {
            self.live.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        self.started.fetch_add(1, Ordering::SeqCst);
        Some(SessionGuard(Arc::clone(self)))
    }

    /// The virtual filesystem of a container (created from the script's
    /// `files` on first use; one per pod uid, so a recreated pod starts
    /// afresh).
    pub(crate) fn fs_for(&self, pod: &PodView, container: &str) -> Arc<Mutex<vfs::Vfs>> {
        let key = format!("{}/{}/{}/{}", pod.namespace, pod.name, pod.uid, container);
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(files.entry(key).or_insert_with(|| {
            let script = self.script();
            let mut all = std::collections::BTreeMap::new();
            for e in script.entries_for(&pod.namespace, &pod.name, &pod.labels, container) {
                for (k, v) in &e.files {
                    all.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            Arc::new(Mutex::new(vfs::Vfs::with_files(all.iter())))
        }))
    }
}

/// Counts one live session; dropping it ends the count.
#[derive(Debug)]
pub(crate) struct SessionGuard(Arc<Streams>);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

type Registry = Mutex<Vec<(Weak<ApiState>, Arc<Streams>)>>;

/// Which [`Streams`] belongs to which server. `ApiState` is the API
/// layer's and has no slot for it; a side table keyed by the state keeps
/// this folder self-contained (dead servers are pruned on every access).
fn registry() -> &'static Registry {
    static R: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    R.get_or_init(|| Mutex::new(Vec::new()))
}

/// Attaches streams to a server's state (the builder calls this).
pub fn install(state: &Arc<ApiState>, streams: Arc<Streams>) {
    let mut r = registry().lock().unwrap_or_else(|p| p.into_inner());
    r.retain(|(w, _)| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), Arc::as_ptr(state)));
    r.push((Arc::downgrade(state), streams));
}

/// The streams of a server (a default, script-less one if none was
/// installed).
pub fn for_state(state: &Arc<ApiState>) -> Arc<Streams> {
    let mut r = registry().lock().unwrap_or_else(|p| p.into_inner());
    r.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, s)) = r
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(state)))
    {
        return Arc::clone(s);
    }
    let s = Arc::new(Streams::default());
    r.push((Arc::downgrade(state), Arc::clone(&s)));
    s
}

/// Resolves when the server shuts down (or its state is gone).
pub(crate) async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// What the streams need of a pod.
#[derive(Debug, Clone)]
pub struct PodView {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// uid.
    pub uid: String,
    /// Labels.
    pub labels: serde_json::Map<String, Value>,
    /// The whole object.
    pub object: Arc<Value>,
}

impl PodView {
    /// Reads a pod from the store (404 as the API answers it).
    pub fn get(state: &ApiState, namespace: &str, name: &str) -> Result<PodView, ApiError> {
        let obj = state
            .store
            .get(&GroupResource::new("", "pods"), namespace, name)
            .ok_or_else(|| ApiError::not_found("", "pods", name))?;
        let meta = obj.get("metadata");
        let s = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        Ok(PodView {
            namespace: namespace.to_string(),
            name: name.to_string(),
            uid: s("uid"),
            labels: meta
                .and_then(|m| m.get("labels"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            object: obj,
        })
    }

    fn containers(&self, key: &str) -> Vec<&Value> {
        self.object
            .pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    /// `validateContainer`: the container to use.
    pub fn validate_container(&self, wanted: Option<&str>) -> Result<String, ApiError> {
        let regular = self.containers("containers");
        let name_of = |c: &&Value| {
            c.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match wanted.filter(|w| !w.is_empty()) {
            None => match regular.len() {
                1 => Ok(name_of(&regular[0])),
                0 => Err(errors::container_required_empty(&self.name)),
                _ => {
                    let all: Vec<String> = self
                        .containers("initContainers")
                        .iter()
                        .chain(regular.iter())
                        .chain(self.containers("ephemeralContainers").iter())
                        .map(name_of)
                        .collect();
                    Err(errors::container_required(&self.name, &all))
                }
            },
            Some(w) => {
                let found = ["initContainers", "containers", "ephemeralContainers"]
                    .iter()
                    .flat_map(|k| self.containers(k))
                    .any(|c| c.get("name").and_then(Value::as_str) == Some(w));
                if found {
                    Ok(w.to_string())
                } else {
                    Err(errors::container_not_valid(w, &self.name))
                }
            }
        }
    }

    /// `spec.nodeName` is set.
    pub fn has_host(&self) -> bool {
        self.object
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty())
    }

    /// The pod phase.
    pub fn phase(&self) -> &str {
        self.object
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The status of a container (`status.containerStatuses[]` and the
    /// init/ephemeral lists), if reported.
    pub fn container_status(&self, container: &str) -> Option<&Value> {
        [
            "containerStatuses",
            "initContainerStatuses",
            "ephemeralContainerStatuses",
        ]
        .iter()
        .filter_map(|k| self.object.pointer(&format!("/status/{k}")))
        .filter_map(Value::as_array)
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(container))
    }

    /// Whether the container runs: the pod is Running and, when the
    /// container's status is reported, its state is `running`.
    pub fn container_running(&self, container: &str) -> bool {
        if self.phase() != "Running" {
            return false;
        }
        match self.container_status(container) {
            Some(s) => s.pointer("/state/running").is_some(),
            None => true,
        }
    }

    /// The container's environment as `env` prints it: PATH, HOSTNAME,
    /// the container's literal `env` values, `extra`, HOME.
    pub fn env(
        &self,
        container: &str,
        extra: &[(String, String)],
        tty: bool,
    ) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "PATH".to_string(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            ),
            ("HOSTNAME".to_string(), self.name.clone()),
        ];
        if tty {
            env.push(("TERM".into(), "xterm".into()));
        }
        let spec = ["containers", "initContainers", "ephemeralContainers"]
            .iter()
            .flat_map(|k| self.containers(k))
            .find(|c| c.get("name").and_then(Value::as_str) == Some(container));
        if let Some(list) = spec.and_then(|c| c.get("env")).and_then(Value::as_array) {
            for e in list {
                if let (Some(n), Some(v)) = (
                    e.get("name").and_then(Value::as_str),
                    e.get("value").and_then(Value::as_str),
                ) {
                    env.push((n.to_string(), v.to_string()));
                }
            }
        }
        env.extend(extra.iter().cloned());
        env.push(("HOME".into(), "/root".into()));
        env
    }
}

/// The streaming subresource a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `pods/exec`.
    Exec,
    /// `pods/attach`.
    Attach,
    /// `pods/portforward`.
    PortForward,
}

/// `/api/v1/namespaces/NS/pods/NAME/{exec,attach,portforward}`.
pub fn parse_path(path: &str) -> Option<(String, String, Kind)> {
    let rest = path.strip_prefix("/api/v1/namespaces/")?;
    let mut it = rest.split('/');
    let (ns, pods, name, sub) = (it.next()?, it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || pods != "pods" || ns.is_empty() || name.is_empty() {
        return None;
    }
    let kind = match sub {
        "exec" => Kind::Exec,
        "attach" => Kind::Attach,
        "portforward" => Kind::PortForward,
        _ => return None,
    };
    Some((ns.to_string(), name.to_string(), kind))
}

/// The HTTP layer's hook: answers `pods/exec`, `pods/attach` and
/// `pods/portforward` (GET and POST; other methods fall through to the
/// API's 405), upgrading to WebSocket when the request asks for it.
pub fn try_upgrade(state: &Arc<ApiState>, req: &mut Request) -> Option<Response> {
    let (ns, name, kind) = parse_path(req.uri().path())?;
    if req.method() != http::Method::GET && req.method() != http::Method::POST {
        return None;
    }
    let api_req = ApiRequest {
        method: req.method().clone(),
        path: req.uri().path().to_string(),
        query: crate::api::query::RawQuery::parse(req.uri().query().unwrap_or("")),
        headers: req.headers().clone(),
        body: bytes::Bytes::new(),
    };
    let streams = for_state(state);
    Some(
        match exec::prepare(state, &streams, &api_req, &ns, &name, kind) {
            Ok(p) => p.upgrade(streams, req),
            Err(Reject::Api(e)) => {
                crate::http::into_response(crate::api::render_error(&api_req, &e))
            }
            Err(Reject::Text(code, text)) => text_response(code, text),
        },
    )
}

/// Why a stream request is refused before the upgrade.
#[derive(Debug)]
pub enum Reject {
    /// A Kubernetes Status (the apiserver's own checks).
    Api(ApiError),
    /// A plain-text answer (the kubelet's, passed through by the proxy).
    Text(u16, String),
}

impl From<ApiError> for Reject {
    fn from(e: ApiError) -> Reject {
        Reject::Api(e)
    }
}

/// A plain-text response (what the kubelet's `http.Error` writes).
pub fn text_response(code: u16, text: String) -> Response {
    let mut r = Response::new(axum::body::Body::from(text));
    *r.status_mut() = http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("/api/v1/namespaces/default/pods/p1/exec"),
            Some(("default".into(), "p1".into(), Kind::Exec))
        );
        assert_eq!(parse_path("/api/v1/namespaces/default/pods/p1/log"), None);
        assert_eq!(
            parse_path("/api/v1/namespaces/default/pods/p1/exec/x"),
            None
        );
        assert_eq!(
            parse_path("/api/v1/namespaces/default/services/p1/exec"),
            None
        );
    }

    #[test]
    fn container_validation_texts() {
        let pod = |spec: Value| PodView {
            namespace: "default".into(),
            name: "p".into(),
            uid: "u".into(),
            labels: Default::default(),
            object: Arc::new(serde_json::json!({"spec": spec})),
        };
        let two = pod(
            serde_json::json!({"initContainers": [{"name": "i"}], "containers": [{"name": "a"}, {"name": "b"}]}),
        );
        let e = two.validate_container(None).unwrap_err();
        assert_eq!(
            e.status.message,
            "a container name must be specified for pod p, choose one of: [i a b]"
        );
        assert_eq!(two.validate_container(Some("b")).unwrap(), "b");
        assert_eq!(
            two.validate_container(Some("z"))
                .unwrap_err()
                .status
                .message,
            "container z is not valid for pod p"
        );
        let one = pod(serde_json::json!({"containers": [{"name": "a"}]}));
        assert_eq!(one.validate_container(None).unwrap(), "a");
    }
}
