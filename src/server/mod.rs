//! Running kubemock: binding the listener, TLS, the kubeconfig, fixtures,
//! the default namespaces, and graceful shutdown. [`MockServer`] is the
//! in-process handle (in the spirit of wiremock-rs); `kubemock serve` is a
//! thin command-line front over the same [`MockServerBuilder`].

pub mod fixtures;
pub mod kubeconfig;
pub mod tls;

use crate::api::{ApiState, ResponseBody};
use crate::http::{router, HttpConfig};
use crate::profile::{parse_feature_gates, Profile};
use crate::registry::Registry;
use crate::store::{Store, StoreConfig};
use anyhow::{anyhow, Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The namespaces a fresh cluster has.
pub const DEFAULT_NAMESPACES: [&str; 4] =
    ["default", "kube-node-lease", "kube-public", "kube-system"];

/// How the server speaks on the wire.
#[derive(Debug, Clone)]
pub enum TlsMode {
    /// A CA and leaf generated at start (the default).
    Generated,
    /// A certificate chain and key from PEM files.
    Files {
        /// Chain, leaf first.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// Plain HTTP; authentication off.
    InsecureHttp,
}

/// Options of a server, shared by [`MockServer::builder`] and `kubemock serve`.
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    listen: SocketAddr,
    token: Option<String>,
    tls: TlsMode,
    kubeconfig_path: Option<PathBuf>,
    fixtures: Vec<PathBuf>,
    emulate_version: Option<String>,
    feature_gates: Option<String>,
    watch_history: usize,
    record: crate::record::RecorderConfig,
    expectations: Vec<crate::record::ExpectationFile>,
    connection_timeouts: crate::http::limits::ConnectionTimeouts,
    cluster: ClusterOptions,
    scripts: crate::streams::Script,
    auth: crate::auth::AuthOptions,
    faults: Vec<crate::faults::FaultPlan>,
    no_fault_layer: bool,
    paused_fault_clock: bool,
}

/// The cluster options of a builder (`--controllers`, `--nodes`, ...),
/// checked at start.
#[derive(Debug, Clone, Default)]
struct ClusterOptions {
    controllers: Option<String>,
    nodes: Option<usize>,
    seed: Option<u64>,
    time_scale: Option<f64>,
    lifecycle_file: Option<PathBuf>,
    lifecycle: Option<crate::cluster::Lifecycle>,
    pod_cidr: Option<String>,
    node_cidr: Option<String>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            tls: TlsMode::Generated,
            kubeconfig_path: None,
            fixtures: Vec::new(),
            emulate_version: None,
            feature_gates: None,
            watch_history: StoreConfig::default().history_limit,
            record: crate::record::RecorderConfig::default(),
            expectations: Vec::new(),
            connection_timeouts: Default::default(),
            cluster: ClusterOptions::default(),
            scripts: crate::streams::Script::default(),
            auth: crate::auth::AuthOptions::default(),
            faults: Vec::new(),
            no_fault_layer: false,
            paused_fault_clock: false,
        }
    }
}

impl MockServerBuilder {
    /// Address to bind (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// The bearer token to require (default: random per start).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
    /// TLS mode (default: generated CA and leaf).
    pub fn tls(mut self, tls: TlsMode) -> Self {
        self.tls = tls;
        self
    }
    /// Where to write the kubeconfig (default: a temporary directory owned
    /// by the server for in-process use; `kubemock serve` picks its own).
    pub fn kubeconfig_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.kubeconfig_path = Some(path.into());
        self
    }
    /// A fixture file or directory to preload (repeatable).
    pub fn fixtures(mut self, path: impl Into<PathBuf>) -> Self {
        self.fixtures.push(path.into());
        self
    }
    /// The Kubernetes version to emulate (`1.31`..`1.37`; default the newest,
    /// 1.37, which behaves as 1.36 where the spec says nothing else).
    pub fn emulate_version(mut self, version: impl Into<String>) -> Self {
        self.emulate_version = Some(version.into());
        self
    }
    /// Feature gates, kube-apiserver syntax (`WatchList=false`).
    pub fn feature_gates(mut self, spec: impl Into<String>) -> Self {
        self.feature_gates = Some(spec.into());
        self
    }
    /// Events kept per resource for watches from an old resourceVersion.
    pub fn watch_history(mut self, events: usize) -> Self {
        self.watch_history = events;
        self
    }

    /// Also append every request, as a JSON line, to this file
    /// (`--record FILE`).
    pub fn record_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.record.file = Some(path.into());
        self
    }
    /// Requests kept in memory (`--record-limit N`, default 10000).
    pub fn record_limit(mut self, limit: usize) -> Self {
        self.record.limit = limit;
        self
    }
    /// Answer requests no expectation matches with a 400 Status whose
    /// message carries the diff (`--enforce-expectations`).
    pub fn enforce_expectations(mut self, on: bool) -> Self {
        self.record.enforce = on;
        self
    }
    /// Expectations in force from the start (`--expect FILE`).
    pub fn expectations(mut self, file: crate::record::ExpectationFile) -> Self {
        self.expectations.push(file);
        self
    }

    /// Connection timeouts (default kube-apiserver's: headers within 32 s,
    /// idle keep-alive connections closed after 90 s). Tests use short ones.
    pub fn connection_timeouts(
        mut self,
        timeouts: crate::http::limits::ConnectionTimeouts,
    ) -> Self {
        self.connection_timeouts = timeouts;
        self
    }

    /// Controllers to run: `all` (the default), `none` (a bare
    /// kube-apiserver) or a comma-separated list (`--controllers`).
    pub fn controllers(mut self, spec: impl Into<String>) -> Self {
        self.cluster.controllers = Some(spec.into());
        self
    }
    /// Nodes to register (`--nodes`, default 1).
    pub fn nodes(mut self, n: usize) -> Self {
        self.cluster.nodes = Some(n);
        self
    }
    /// Seed of every controller jitter (`--seed`, default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.cluster.seed = Some(seed);
        self
    }
    /// Multiplies every controller delay and grace period (`--time-scale`).
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.cluster.time_scale = Some(scale);
        self
    }
    /// A lifecycle file over the embedded one (`--lifecycle FILE`).
    pub fn lifecycle_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cluster.lifecycle_file = Some(path.into());
        self
    }
    /// The lifecycle itself (e.g. [`crate::cluster::Lifecycle::immediate`]).
    pub fn lifecycle(mut self, lifecycle: crate::cluster::Lifecycle) -> Self {
        self.cluster.lifecycle = Some(lifecycle);
        self
    }
    /// Pod addresses (`--pod-cidr`, default 10.244.0.0/16; a /24 per node).
    pub fn pod_cidr(mut self, cidr: impl Into<String>) -> Self {
        self.cluster.pod_cidr = Some(cidr.into());
        self
    }
    /// Node addresses (`--node-cidr`, default 172.18.0.0/16).
    pub fn node_cidr(mut self, cidr: impl Into<String>) -> Self {
        self.cluster.node_cidr = Some(cidr.into());
        self
    }

    /// The cluster settings, checked (before anything binds).
    fn cluster_config(&self) -> Result<crate::cluster::ClusterConfig> {
        let o = &self.cluster;
        let mut c = crate::cluster::ClusterConfig::default();
        if let Some(spec) = &o.controllers {
            c.controllers = crate::cluster::parse_controllers(spec)
                .map_err(|e| anyhow!("--controllers: {e}"))?;
        }
        if let Some(n) = o.nodes {
            c.nodes = n;
        }
        if let Some(seed) = o.seed {
            c.seed = seed;
        }
        if let Some(scale) = o.time_scale {
            if !(scale.is_finite() && scale >= 0.0) {
                return Err(anyhow!("--time-scale: {scale} is not a number >= 0"));
            }
            c.time_scale = scale;
        }
        if let Some(l) = &o.lifecycle {
            c.lifecycle = l.clone();
        }
        if let Some(path) = &o.lifecycle_file {
            c.lifecycle =
                crate::cluster::Lifecycle::read(path).map_err(|e| anyhow!("--lifecycle {e}"))?;
        }
        for (flag, v, slot) in [
            ("--pod-cidr", &o.pod_cidr, &mut c.pod_cidr),
            ("--node-cidr", &o.node_cidr, &mut c.node_cidr),
        ] {
            if let Some(v) = v {
                crate::cluster::parse_cidr(v).map_err(|e| anyhow!("{flag}: {e}"))?;
                *slot = v.clone();
            }
        }
        Ok(c)
    }

    /// The process script: what containers do for exec, attach, logs and
    /// port-forward (`--scripts FILE`).
    pub fn scripts(mut self, script: crate::streams::Script) -> Self {
        self.scripts = script;
        self
    }
    /// Static bearer tokens in kube-apiserver's CSV format
    /// (`--token-auth-file`: `token,user,uid,"group1,group2"`).
    pub fn token_auth_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.auth.token_auth_file = Some(path.into());
        self
    }
    /// Whether requests without credentials run as `system:anonymous`
    /// (`--anonymous-auth`, default true as kube-apiserver) or get 401.
    pub fn anonymous_auth(mut self, on: bool) -> Self {
        self.auth.anonymous = on;
        self
    }
    /// `--authorization-mode` (default RBAC).
    pub fn authorization_mode(mut self, mode: crate::auth::AuthorizationMode) -> Self {
        self.auth.mode = mode;
        self
    }
    /// An extra user with a client-certificate kubeconfig written next to
    /// the admin one (`--user NAME:GROUP,...`); see
    /// [`MockServer::user_kubeconfig_path`].
    pub fn user(mut self, user: crate::auth::UserSpec) -> Self {
        self.auth.users.push(user);
        self
    }

    /// A fault plan in force from the start (`--faults FILE`, repeatable:
    /// the rules of every plan, in order; the first plan's seed).
    pub fn faults(mut self, plan: crate::faults::FaultPlan) -> Self {
        self.faults.push(plan);
        self
    }

    /// Runs the fault plan's delays on a paused clock that only moves with
    /// [`MockServer::advance_fault_clock`] (Rust tests). Without it they run
    /// on real time under the time scale (`--time-scale`, as the
    /// controllers).
    pub fn paused_fault_clock(mut self) -> Self {
        self.paused_fault_clock = true;
        self
    }

    /// Leaves the fault layer (and its control API) out of the router: the
    /// baseline of the bench's "empty plan costs nothing" rows.
    #[doc(hidden)]
    pub fn without_fault_layer(mut self) -> Self {
        self.no_fault_layer = true;
        self
    }

    /// Starts the server: binds, loads fixtures, writes the kubeconfig.
    pub async fn start(self) -> Result<MockServer> {
        let mut cluster_config = self.cluster_config()?;
        let profile = match &self.emulate_version {
            Some(v) => Profile::find(v).ok_or_else(|| {
                anyhow!(
                    "unknown --emulate-version {v:?}; supported: {}",
                    Profile::names().join(", ")
                )
            })?,
            None => Profile::latest(),
        };
        let gate_override = match &self.feature_gates {
            Some(spec) => parse_feature_gates(spec).map_err(|e| anyhow!("--feature-gates: {e}"))?,
            None => None,
        };
        let fixtures = fixtures::read(&self.fixtures)?;
        let insecure = matches!(self.tls, TlsMode::InsecureHttp);
        let tls = match &self.tls {
            TlsMode::Generated => Some(tls::TlsMaterial::generate()?),
            TlsMode::Files { cert, key } => Some(tls::TlsMaterial::from_files(cert, key)?),
            TlsMode::InsecureHttp => None,
        };
        let acceptor = match &tls {
            Some(m) => Some(tokio_rustls::TlsAcceptor::from(m.server_config()?)),
            None => None,
        };
        let token = if insecure {
            None
        } else {
            Some(self.token.clone().unwrap_or_else(random_token))
        };

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let store = Arc::new(Store::new(StoreConfig {
            history_limit: self.watch_history.max(1),
            ..StoreConfig::default()
        }));
        let state = Arc::new(ApiState {
            registry: RwLock::new(Registry::builtin()),
            store,
            profile,
            gates: profile.gates(gate_override),
            defaults: Mutex::new(crate::api::objects::defaults::DefaultsContext {
                creation_timestamp_null: profile.creation_timestamp_null,
                ..Default::default()
            }),
            server_address: RwLock::new(String::new()),
            shutdown: shutdown_rx.clone(),
        });
        crate::streams::install(
            &state,
            Arc::new(crate::streams::Streams::new(self.scripts.clone())),
        );
        if insecure && !self.auth.users.is_empty() {
            return Err(anyhow!(
                "--user needs TLS (client certificates); drop --insecure-http"
            ));
        }
        let auth = Arc::new(crate::auth::Auth::new(
            Arc::clone(&state),
            token.as_deref(),
            &self.auth,
        )?);
        for ns in DEFAULT_NAMESPACES {
            let obj = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            fixtures::create(&state, &obj)
                .await
                .map_err(|e| anyhow!("creating namespace {ns}: {e}"))?;
        }
        crate::auth::policy::bootstrap(&state).await?;
        fixtures::apply(&state, &fixtures).await?;
        state.store.start_history();
        cluster_config.ca_pem = tls.as_ref().map(|m| m.ca_pem.clone()).unwrap_or_default();
        let cluster =
            crate::cluster::start(Arc::clone(&state), cluster_config, shutdown_rx.clone());
        cluster.wait_started(&state).await;
        crate::auth::policy::spawn_aggregation(Arc::clone(&state));

        let listener = TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("binding {}", self.listen))?;
        let addr = listener.local_addr()?;
        let host = match addr {
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
            SocketAddr::V4(a) => a.to_string(),
        };
        if let Ok(mut a) = state.server_address.write() {
            *a = host.clone();
        }
        let url = format!("{}://{host}", if tls.is_some() { "https" } else { "http" });
        let recorder = Arc::new(
            crate::record::Recorder::new(self.record.clone())
                .with_context(|| format!("opening --record file {:?}", self.record.file))?,
        );
        for f in self.expectations.iter().cloned() {
            recorder
                .add_expectations(f)
                .map_err(|e| anyhow!("expectations: {e}"))?;
        }
        let scale = self.cluster.time_scale.unwrap_or(1.0);
        let clock = if self.paused_fault_clock {
            crate::faults::FaultClock::paused(scale)
        } else {
            crate::faults::FaultClock::real(scale)
        };
        let faults = Arc::new(
            crate::faults::Faults::new(
                Some(Arc::clone(&recorder)),
                Some(Arc::clone(&state.store)),
                shutdown_rx.clone(),
            )
            .with_clock(clock),
        );
        if !self.faults.is_empty() {
            let plan = crate::faults::FaultPlan::merge(self.faults.clone())
                .map_err(|e| anyhow!("--faults: {e}"))?;
            faults.set_plan(plan);
        }
        let restarts = Arc::new(crate::faults::Restarts::default());
        let control = Arc::new(crate::http::record::Control {
            recorder: Arc::clone(&recorder),
            fixtures: fixtures.clone(),
            shutdown: shutdown_rx.clone(),
        });
        let app = router(
            Arc::clone(&state),
            HttpConfig {
                token: token.clone(),
                control: Some(control),
                auth: Some(Arc::clone(&auth)),
                faults: (!self.no_fault_layer)
                    .then(|| (Arc::clone(&faults), Arc::clone(&restarts))),
            },
        );
        let serve = tokio::spawn(accept_loop(
            listener,
            acceptor,
            app,
            shutdown_rx,
            self.connection_timeouts,
            Arc::clone(&restarts),
        ));

        let kubeconfig = kubeconfig::render(
            &url,
            tls.as_ref().map(|m| m.ca_pem.as_str()),
            token.as_deref(),
        );
        let (kubeconfig_path, tempdir) = match self.kubeconfig_path {
            Some(p) => (p, None),
            None => {
                let dir = tempfile::Builder::new().prefix("kubemock-").tempdir()?;
                (dir.path().join("kubeconfig"), Some(dir))
            }
        };
        kubeconfig::write_atomic(&kubeconfig_path, &kubeconfig)?;
        let mut user_kubeconfigs = Vec::new();
        if let Some(m) = &tls {
            for u in &self.auth.users {
                let (cert, key) = m.client_ca.issue(&u.name, &u.groups)?;
                let text = kubeconfig::render_client_cert(&url, &m.ca_pem, &cert, &key);
                let path = kubeconfig::user_path(&kubeconfig_path, &u.name);
                kubeconfig::write_atomic(&path, &text)?;
                user_kubeconfigs.push((u.name.clone(), path));
            }
        }
        Ok(MockServer {
            url,
            addr,
            kubeconfig,
            kubeconfig_path,
            token,
            ca_pem: tls.map(|m| m.ca_pem),
            state,
            shutdown: shutdown_tx,
            serve: Some(serve),
            _tempdir: tempdir,
            recorder,
            verify_on_drop: false,
            cluster,
            auth,
            user_kubeconfigs,
            faults,
            restarts,
        })
    }
}

fn random_token() -> String {
    let bytes: [u8; 24] = rand::random();
    hex::encode(bytes)
}

/// A running kubemock. Dropping it stops the server.
#[derive(Debug)]
pub struct MockServer {
    url: String,
    addr: SocketAddr,
    kubeconfig: String,
    kubeconfig_path: PathBuf,
    token: Option<String>,
    ca_pem: Option<String>,
    state: Arc<ApiState>,
    shutdown: watch::Sender<bool>,
    serve: Option<JoinHandle<()>>,
    _tempdir: Option<tempfile::TempDir>,
    recorder: Arc<crate::record::Recorder>,
    verify_on_drop: bool,
    cluster: crate::cluster::Cluster,
    auth: Arc<crate::auth::Auth>,
    user_kubeconfigs: Vec<(String, PathBuf)>,
    faults: Arc<crate::faults::Faults>,
    restarts: Arc<crate::faults::Restarts>,
}

impl MockServer {
    /// Starts a server with the defaults (TLS, random token, 127.0.0.1:0).
    ///
    /// # Panics
    /// If the server cannot start (no free port, bad TLS setup): a test
    /// helper fails loudly. Use [`MockServer::builder`] for a `Result`.
    pub async fn start() -> MockServer {
        match MockServer::builder().start().await {
            Ok(s) => s,
            Err(e) => panic!("kubemock failed to start: {e:#}"),
        }
    }

    /// A builder with every option of `kubemock serve`.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }
    /// The kubeconfig text.
    pub fn kubeconfig(&self) -> &str {
        &self.kubeconfig
    }
    /// Where the kubeconfig was written.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }
    /// The bearer token (`None` with `--insecure-http`).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
    /// The CA certificate (PEM) clients must trust (`None` for plain http).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }
    /// The API state (registry, store, profile).
    pub fn state(&self) -> &Arc<ApiState> {
        &self.state
    }

    /// Exec, attach, port-forward and log state (script, live sessions).
    pub fn streams(&self) -> Arc<crate::streams::Streams> {
        crate::streams::for_state(&self.state)
    }
    /// Authentication and authorization (the ServiceAccount token signer,
    /// the authorizer).
    pub fn auth(&self) -> &Arc<crate::auth::Auth> {
        &self.auth
    }
    /// The client-certificate kubeconfig written for a `--user`.
    pub fn user_kubeconfig_path(&self, name: &str) -> Option<&Path> {
        self.user_kubeconfigs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_path())
    }

    /// The recording and expectations of this server.
    pub fn recorder(&self) -> &Arc<crate::record::Recorder> {
        &self.recorder
    }
    /// Every recorded request so far, in arrival order.
    pub fn recording(&self) -> Vec<crate::record::RecordedRequest> {
        self.recorder.requests()
    }
    /// Clears the recording (as `DELETE /kubemock/v1/recording`).
    pub fn clear_recording(&self) {
        self.recorder.clear();
    }
    /// Adds an expectation; like wiremock-rs, the server verifies its
    /// expectations when dropped and panics with the report if they are
    /// not satisfied.
    pub fn expect(&mut self, expectation: crate::record::Expectation) {
        self.expect_file(crate::record::ExpectationFile {
            expectations: vec![expectation],
            ..Default::default()
        });
    }
    /// Adds a whole expectation file (sequences, `unexpected: fail`);
    /// verified on drop as [`MockServer::expect`].
    ///
    /// # Panics
    /// If a sequence names an unknown expectation (a test bug).
    pub fn expect_file(&mut self, file: crate::record::ExpectationFile) {
        if let Err(e) = self.recorder.add_expectations(file) {
            panic!("kubemock expectations: {e}");
        }
        self.verify_on_drop = true;
    }
    /// Checks the recording against the expectations. Print the report
    /// (`Display`) for the diff in words.
    pub fn verify(&self) -> crate::record::Report {
        self.recorder.verify()
    }
    /// Removes the expectations (and turns off verify-on-drop).
    pub fn reset_expectations(&mut self) {
        self.recorder.clear_expectations();
        self.verify_on_drop = false;
    }

    /// Holds every controller before its next step (a timing window
    /// opened on purpose) until [`MockServer::resume_controllers`].
    pub fn pause_controllers(&self) {
        self.cluster.pause();
    }
    /// Lets the controllers go on.
    pub fn resume_controllers(&self) {
        self.cluster.resume();
    }
    /// Moves the cluster's clock forward (CronJobs due in that time run
    /// now); see [`crate::cluster::Cluster::advance_clock`].
    pub fn advance_clock(&self, by: Duration) {
        self.cluster.advance_clock(by);
    }
    /// The cluster's time (the wall clock under `--time-scale`, plus
    /// [`MockServer::advance_clock`]).
    pub fn cluster_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.cluster.now()
    }
    /// The controllers running (names of `--controllers`).
    pub fn controllers(&self) -> &[&'static str] {
        self.cluster.controllers()
    }

    /// The fault plan in force and its counters.
    pub fn faults(&self) -> &Arc<crate::faults::Faults> {
        &self.faults
    }
    /// Moves the paused fault clock forward
    /// ([`MockServerBuilder::paused_fault_clock`]); false when the clock is
    /// real time.
    pub fn advance_fault_clock(&self, d: Duration) -> bool {
        self.faults.clock().advance(d)
    }
    /// Replaces the fault plan (as `PUT /kubemock/v1/faults`).
    pub fn set_faults(&self, plan: crate::faults::FaultPlan) {
        self.faults.set_plan(plan);
    }
    /// Restarts the server on the same address and returns once it accepts
    /// again: new connections are refused for `downtime`; `graceful` lets
    /// requests finish and ends watches cleanly, `crash` drops every
    /// connection. The store survives.
    pub async fn restart(&self, downtime: Duration, mode: crate::faults::RestartMode) {
        let id = self.restarts.request(downtime, mode);
        self.restarts.wait_done(id).await;
    }

    /// Stops accepting, ends open watches, and waits (up to 5 s) for
    /// in-flight requests.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(h) = self.serve.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), h).await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(h) = self.serve.take() {
            h.abort();
        }
        if self.verify_on_drop && !std::thread::panicking() {
            let report = self.recorder.verify();
            if !report.satisfied {
                panic!("kubemock expectations not satisfied:\n{report}");
            }
        }
    }
}

/// Accepts connections until shutdown, then waits (up to 5 s) for the
/// open ones to finish. Accept errors (EMFILE at the fd limit, ...) are
/// retried after a sleep that doubles from 5 ms to 1 s, as Go's
/// `Server.Serve` does, instead of spinning (UNVERIFIED: from the Go source).
async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    app: axum::Router,
    mut shutdown: watch::Receiver<bool>,
    timeouts: crate::http::limits::ConnectionTimeouts,
    restarts: Arc<crate::faults::Restarts>,
) {
    // Every connection task holds a sender; all dropped = all finished.
    let (open_tx, mut open_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut backoff: Option<Duration> = None;
    let mut listener = listener;
    // Connections stop on this (server shutdown or a graceful restart);
    // a crash restart aborts their tasks.
    let mut conn_stop = watch::channel(false).0;
    // Abort handles of the connection tasks (pruned as they finish); a
    // plain `tokio::spawn` so that aborting this loop leaves them to end
    // gracefully.
    let mut conns: Vec<tokio::task::AbortHandle> = Vec::new();
    let mut prune_at = 64;
    let mut asked = restarts.subscribe();
    loop {
        enum Next {
            Accepted(std::io::Result<(tokio::net::TcpStream, SocketAddr)>),
            Stop,
            Restart(crate::faults::restart::Restart),
            Nothing,
        }
        let next = tokio::select! {
            r = listener.accept() => Next::Accepted(r),
            _ = shutdown.wait_for(|v| *v) => Next::Stop,
            Ok(()) = asked.changed() => match *asked.borrow_and_update() {
                Some(r) => Next::Restart(r),
                None => Next::Nothing,
            },
        };
        let accepted = match next {
            Next::Accepted(r) => r,
            Next::Stop => break,
            Next::Nothing => continue,
            Next::Restart(r) => {
                let Ok(addr) = listener.local_addr() else {
                    continue;
                };
                drop(listener);
                match r.mode {
                    crate::faults::RestartMode::Graceful => {
                        let _ = conn_stop.send(true);
                    }
                    crate::faults::RestartMode::Crash => {
                        for c in conns.drain(..) {
                            c.abort();
                        }
                    }
                }
                conn_stop = watch::channel(false).0;
                tokio::select! {
                    _ = tokio::time::sleep(r.downtime) => {}
                    _ = shutdown.wait_for(|v| *v) => return,
                }
                listener = match rebind(addr, &mut shutdown).await {
                    Some(l) => l,
                    None => return,
                };
                restarts.mark_done(r.id);
                continue;
            }
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = None;
                stream
            }
            Err(e) => {
                let delay = crate::http::limits::next_accept_backoff(backoff);
                backoff = Some(delay);
                tracing::warn!("http: Accept error: {e}; retrying in {delay:?}");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.wait_for(|v| *v) => break,
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (app, acceptor, stop) = (app.clone(), acceptor.clone(), conn_stop.subscribe());
        let open = open_tx.clone();
        let task = tokio::spawn(async move {
            crate::http::conn::serve(stream, acceptor, app, timeouts, stop).await;
            drop(open);
        });
        conns.push(task.abort_handle());
        if conns.len() >= prune_at {
            conns.retain(|c| !c.is_finished());
            prune_at = (conns.len() * 2).max(64);
        }
    }
    let _ = conn_stop.send(true);
    drop(listener);
    drop(open_tx);
    let _ = tokio::time::timeout(Duration::from_secs(5), open_rx.recv()).await;
}

/// Binds `addr` again after a restart's downtime, retrying (the port may
/// linger) until it works or the server stops.
async fn rebind(addr: SocketAddr, shutdown: &mut watch::Receiver<bool>) -> Option<TcpListener> {
    let mut delay = Duration::from_millis(5);
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return Some(l),
            Err(e) => {
                tracing::warn!("restart: binding {addr} again: {e}; retrying in {delay:?}");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.wait_for(|v| *v) => return None,
                }
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// Reads a response body fully (for in-process API calls).
pub fn full_body(body: ResponseBody) -> Option<bytes::Bytes> {
    match body {
        ResponseBody::Full(b) => Some(b),
        ResponseBody::Stream(_) => None,
    }
}
