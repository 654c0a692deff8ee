//! `pods/exec` and `pods/attach` (and the checks `pods/portforward`
//! shares): validation in the real server's order, the WebSocket upgrade,
//! and one session: demultiplexing stdin/resize/close frames, running the
//! process, writing its output and the exit status on the error channel,
//! with the script's stream faults applied.
//!
//! Order of checks, as kube-apiserver + kubelet: pod exists (404), the
//! container is valid (400 Status), the pod has a node (400 Status), the
//! request is an upgrade (400 "Upgrade request required"), at least one
//! stream is requested (kubelet, 400 plain text), the container runs
//! (kubelet, 500 plain text), a subprotocol matches (403).

use super::channel::{self, Incoming, Protocol};
use super::process::{self, Ctx, Io, Outcome, Output};
use super::script::{ExecRule, Faults};
use super::{errors, Kind, PodView, Reject, SessionGuard, Streams};
use crate::api::{ApiRequest, ApiState};
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use sha2::Digest;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Largest client message accepted (bigger ones end the session with close
/// code 1009).
pub const MAX_MESSAGE: usize = 4 << 20;

/// How long a write may wait for a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The stream options of exec and attach (`PodExecOptions`).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The command (exec).
    pub command: Vec<String>,
    /// Stdin requested.
    pub stdin: bool,
    /// Stdout requested.
    pub stdout: bool,
    /// Stderr requested (off with a TTY, as the kubelet bypasses it).
    pub stderr: bool,
    /// A terminal.
    pub tty: bool,
}

impl Options {
    /// Reads the query (`command` repeated; booleans as apimachinery reads
    /// them).
    pub fn from_query(q: &crate::api::query::RawQuery) -> Options {
        let b = |k: &str| q.get_bool(k).unwrap_or(false);
        let tty = b("tty");
        Options {
            command: q
                .get_all("command")
                .into_iter()
                .map(str::to_string)
                .collect(),
            stdin: b("stdin"),
            stdout: b("stdout"),
            // `NewOptions`: "Access to exec with tty and stderr is not
            // supported, bypassing stderr".
            stderr: b("stderr") && !tty,
            tty,
        }
    }
}

/// A request that passed every check and is ready to upgrade.
#[derive(Debug)]
pub struct Prepared {
    pub(crate) kind: Kind,
    pub(crate) proto: Protocol,
    pub(crate) opts: Options,
    pub(crate) pod: PodView,
    pub(crate) container: String,
    pub(crate) ports: Vec<u16>,
    key: String,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Plain SPDY/3.1 rather than WebSocket.
    pub(crate) spdy: bool,
}

fn header_values<'a>(req: &'a ApiRequest, name: &str) -> Vec<&'a str> {
    req.headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// Runs the checks of a stream request.
pub fn prepare(
    state: &Arc<ApiState>,
    streams: &Arc<Streams>,
    req: &ApiRequest,
    ns: &str,
    name: &str,
    kind: Kind,
) -> Result<Prepared, Reject> {
    let pod = PodView::get(state, ns, name)?;
    let container = match kind {
        Kind::PortForward => String::new(),
        _ => pod.validate_container(req.query.get("container"))?,
    };
    if !pod.has_host() {
        return Err(errors::no_host(name).into());
    }
    let upgrade = req.header("upgrade").unwrap_or("");
    let connection_upgrade = header_values(req, "connection")
        .iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    if upgrade.to_ascii_lowercase().starts_with("spdy/") && connection_upgrade {
        let portforward_v1 = header_values(req, "x-stream-protocol-version")
            .iter()
            .flat_map(|v| v.split(','))
            .any(|v| v.trim() == "portforward.k8s.io");
        if kind == Kind::PortForward && upgrade.eq_ignore_ascii_case("SPDY/3.1") && portforward_v1 {
            return Ok(Prepared {
                kind,
                proto: channel::SPDY_PORTFORWARD,
                opts: Options::default(),
                pod,
                container,
                ports: Vec::new(),
                key: String::new(),
                shutdown: state.shutdown.clone(),
                spdy: true,
            });
        }
        if kind != Kind::PortForward && upgrade.eq_ignore_ascii_case("SPDY/3.1") {
            // `httpstream.Handshake`, as the kubelet runs it.
            let values = header_values(req, "x-stream-protocol-version");
            if values.is_empty() {
                return Err(Reject::Text(
                    400,
                    errors::spdy_protocol_header_missing(req.headers.keys_len()),
                ));
            }
            let offered: Vec<String> = values
                .iter()
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if offered.is_empty() {
                return Err(Reject::Text(
                    400,
                    errors::spdy_protocol_header_empty(&values),
                ));
            }
            let Some(proto) = super::spdy::negotiate_exec(&offered) else {
                return Err(Reject::Text(
                    403,
                    errors::spdy_protocol_unnegotiable(&offered, &super::spdy::EXEC_PROTOCOLS),
                ));
            };
            let opts = Options::from_query(&req.query);
            if !opts.stdin && !opts.stdout && !opts.stderr {
                return Err(Reject::Text(400, errors::NO_STREAMS.to_string()));
            }
            if !pod.container_running(&container) {
                return Err(Reject::Text(500, errors::container_not_found(&container)));
            }
            return Ok(Prepared {
                kind,
                proto,
                opts,
                pod,
                container,
                ports: Vec::new(),
                key: String::new(),
                shutdown: state.shutdown.clone(),
                spdy: true,
            });
        }
        return Err(errors::spdy_unsupported().into());
    }
    if !upgrade.eq_ignore_ascii_case("websocket") || !connection_upgrade {
        return Err(errors::upgrade_required().into());
    }
    let key = req.header("sec-websocket-key").unwrap_or("").to_string();
    if key.is_empty() || req.header("sec-websocket-version") != Some("13") {
        // x/net/websocket: a bad handshake is a 400 with no body.
        return Err(Reject::Text(400, String::new()));
    }
    let table = match kind {
        Kind::PortForward => channel::PORTFORWARD_PROTOCOLS,
        _ => channel::EXEC_PROTOCOLS,
    };
    let offered = channel::offered(&header_values(req, "sec-websocket-protocol"));
    let proto = channel::negotiate(&offered, table).ok_or_else(|| {
        let names: Vec<&str> = table.iter().map(|p| p.name).collect();
        tracing::debug!("{}", errors::protocols_not_supported(&offered, &names));
        Reject::Text(403, String::new())
    })?;
    let mut opts = Options::default();
    let mut ports = Vec::new();
    match kind {
        // The SPDY tunnel names its ports in stream headers.
        Kind::PortForward if proto.name == super::spdy::TUNNEL_PROTOCOL => {}
        Kind::PortForward => {
            ports =
                super::portforward::parse_ports(&req.query).map_err(|t| Reject::Text(400, t))?;
        }
        _ => {
            opts = Options::from_query(&req.query);
            if !opts.stdin && !opts.stdout && !opts.stderr {
                return Err(Reject::Text(400, errors::NO_STREAMS.to_string()));
            }
            if !pod.container_running(&container) {
                return Err(Reject::Text(500, errors::container_not_found(&container)));
            }
        }
    }
    if streams.live_sessions() >= streams.max_sessions {
        return Err(errors::too_many_sessions().into());
    }
    Ok(Prepared {
        kind,
        proto,
        opts,
        pod,
        container,
        ports,
        key,
        shutdown: state.shutdown.clone(),
        spdy: false,
    })
}

impl Prepared {
    /// Answers 101 and runs the session on the upgraded connection.
    pub fn upgrade(self, streams: Arc<Streams>, req: &mut Request) -> Response {
        let Some(guard) = streams.enter() else {
            let api_req = ApiRequest {
                method: req.method().clone(),
                path: req.uri().path().to_string(),
                query: crate::api::query::RawQuery::parse(req.uri().query().unwrap_or("")),
                headers: req.headers().clone(),
                body: Bytes::new(),
            };
            return crate::http::into_response(crate::api::render_error(
                &api_req,
                &errors::too_many_sessions(),
            ));
        };
        let on_upgrade = hyper::upgrade::on(req);
        if self.spdy {
            let mut resp = Response::new(axum::body::Body::empty());
            *resp.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
            let h = resp.headers_mut();
            h.insert(
                http::header::UPGRADE,
                http::HeaderValue::from_static("SPDY/3.1"),
            );
            h.insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("Upgrade"),
            );
            h.insert(
                "X-Stream-Protocol-Version",
                http::HeaderValue::from_static(self.proto.name),
            );
            tokio::spawn(async move {
                let _guard: SessionGuard = guard;
                if let Ok(upgraded) = on_upgrade.await {
                    let io = TokioIo::new(upgraded);
                    if self.kind == Kind::PortForward {
                        super::spdy::run_raw(io, &self, &streams).await;
                    } else {
                        super::spdy::run_exec_raw(io, &self, &streams).await;
                    }
                }
            });
            return resp;
        }
        let accept =
            tokio_tungstenite::tungstenite::handshake::derive_accept_key(self.key.as_bytes());
        let mut resp = Response::new(axum::body::Body::empty());
        *resp.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
        let h = resp.headers_mut();
        h.insert(
            http::header::UPGRADE,
            http::HeaderValue::from_static("websocket"),
        );
        h.insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("Upgrade"),
        );
        if let Ok(v) = http::HeaderValue::from_str(&accept) {
            h.insert(http::header::SEC_WEBSOCKET_ACCEPT, v);
        }
        if !self.proto.name.is_empty() {
            h.insert(
                http::header::SEC_WEBSOCKET_PROTOCOL,
                http::HeaderValue::from_static(self.proto.name),
            );
        }
        tokio::spawn(async move {
            let _guard: SessionGuard = guard;
            let upgraded = match on_upgrade.await {
                Ok(u) => u,
                Err(e) => {
                    tracing::debug!("stream upgrade: {e}");
                    return;
                }
            };
            let mut config = WebSocketConfig::default();
            config.max_message_size = Some(MAX_MESSAGE);
            config.max_frame_size = Some(MAX_MESSAGE);
            let ws = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            match self.kind {
                Kind::PortForward if self.proto.name == super::spdy::TUNNEL_PROTOCOL => {
                    super::spdy::run(ws, &self, &streams).await
                }
                Kind::PortForward => super::portforward::run(ws, &self, &streams).await,
                _ => run(ws, self, &streams).await,
            }
        });
        resp
    }
}

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Sends one channel frame (with the write timeout).
pub(crate) async fn send_frame<S>(sink: &mut S, proto: &Protocol, ch: u8, data: &[u8]) -> bool
where
    S: futures::Sink<Message> + Unpin,
{
    let (text, bytes) = channel::encode(proto, ch, data);
    let msg = if text {
        Message::Text(String::from_utf8_lossy(&bytes).into_owned().into())
    } else {
        Message::Binary(bytes.into())
    };
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, sink.send(msg)).await,
        Ok(Ok(()))
    )
}

/// Sends a close frame and waits briefly for the client's.
pub(crate) async fn close<S>(sink: &mut S, code: CloseCode, reason: &str)
where
    S: futures::Sink<Message> + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.to_string().into(),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        sink.send(Message::Close(Some(frame))),
    )
    .await;
}

/// The rule answering a command, and the faults in force.
fn lookup(
    streams: &Streams,
    pod: &PodView,
    container: &str,
    argv: &[String],
) -> (Option<ExecRule>, Faults, Vec<(String, String)>) {
    let script = streams.script();
    let mut faults = Faults::default();
    let mut env = Vec::new();
    let mut rule = None;
    for e in script.entries_for(&pod.namespace, &pod.name, &pod.labels, container) {
        faults = faults.merged(&e.faults);
        env.extend(e.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        if rule.is_none() {
            rule = e.exec.iter().find(|r| r.matcher.matches(argv)).cloned();
        }
    }
    if let Some(r) = &rule {
        faults = faults.merged(&r.faults);
    }
    (rule, faults, env)
}

/// A deterministic exec id (what containerd names the exec process by).
fn exec_id(pod: &PodView, container: &str, seq: u64) -> String {
    let mut h = sha2::Sha256::new();
    h.update(format!("{}/{}/{}", pod.uid, container, seq).as_bytes());
    hex::encode(h.finalize())
}

/// Output framing with the faults that touch it.
struct Writer<'a> {
    proto: &'a Protocol,
    tty: bool,
    stdout: bool,
    stderr: bool,
    chunk: usize,
    reset_after: Option<usize>,
    written: usize,
}

enum Wrote {
    Ok,
    /// The client is gone, or the reset fault fired.
    Stop,
}

impl Writer<'_> {
    async fn write<S>(&mut self, sink: &mut S, out: Output) -> Wrote
    where
        S: futures::Sink<Message> + Unpin,
    {
        let (ch, data) = match out {
            Output::Stdout(d) => (1u8, d),
            Output::Stderr(d) if self.tty => (1u8, d),
            Output::Stderr(d) => (2u8, d),
        };
        if (ch == 1 && !self.stdout) || (ch == 2 && !self.stderr) {
            return Wrote::Ok;
        }
        let data: Bytes = if self.tty {
            // The terminal's onlcr: "\n" becomes "\r\n".
            let mut v = Vec::with_capacity(data.len() + 8);
            for &b in data.iter() {
                if b == b'\n' {
                    v.push(b'\r');
                }
                v.push(b);
            }
            v.into()
        } else {
            data
        };
        for piece in data.chunks(self.chunk.max(1)) {
            let piece = match self.reset_after {
                Some(limit) if self.written + piece.len() >= limit => {
                    let n = limit - self.written;
                    if n > 0 {
                        send_frame(sink, self.proto, ch, &piece[..n]).await;
                    }
                    return Wrote::Stop;
                }
                _ => piece,
            };
            if !send_frame(sink, self.proto, ch, piece).await {
                return Wrote::Stop;
            }
            self.written += piece.len();
        }
        Wrote::Ok
    }
}

/// How the session loop ended.
enum End {
    /// The process ended; write the status and close.
    Done(Outcome),
    /// The client left or broke the protocol (close code to send, if any).
    Client(Option<(CloseCode, &'static str)>),
    /// A fault cut the connection.
    Cut,
    /// The server is shutting down.
    Shutdown,
}

/// A process started for a session: its streams and what to report.
pub(crate) struct Started {
    /// The process; resolves to how it ended.
    pub process: futures::future::BoxFuture<'static, Outcome>,
    /// Stdin (`None` when not requested).
    pub stdin: Option<mpsc::Sender<Bytes>>,
    /// Output.
    pub out: mpsc::Receiver<Output>,
    /// Terminal size updates.
    pub size: watch::Sender<Option<(u16, u16)>>,
    /// Faults in force.
    pub faults: Faults,
    /// Session number (for the exec id).
    pub seq: u64,
}

/// Starts the process of an exec or attach.
pub(crate) fn start(p: &Prepared, streams: &Arc<Streams>) -> Started {
    let argv = match p.kind {
        Kind::Attach => Vec::new(),
        _ => p.opts.command.clone(),
    };
    let (rule, faults, extra_env) = lookup(streams, &p.pod, &p.container, &argv);
    let seq = streams.sessions_started();
    let ctx = Ctx {
        pod: p.pod.name.clone(),
        env: p.pod.env(&p.container, &extra_env, p.opts.tty),
        fs: streams.fs_for(&p.pod, &p.container),
    };
    if !faults.names().is_empty() {
        tracing::info!(
            pod = %p.pod.name, container = %p.container, faults = ?faults.names(),
            "exec stream faults injected"
        );
    }
    let (stdin_tx, stdin_rx) = mpsc::channel::<Bytes>(16);
    let stdin = p.opts.stdin.then_some(stdin_tx);
    let (out_tx, out_rx) = mpsc::channel::<Output>(16);
    let (size_tx, size_rx) = watch::channel(None);
    let mut io = Io {
        stdin: stdin_rx,
        out: out_tx,
        size: size_rx,
        tty: p.opts.tty,
    };
    if let Some(extra) = &faults.extra_stderr {
        let _ = io
            .out
            .try_send(Output::Stderr(Bytes::from(extra.clone().into_bytes())));
    }
    let kind = p.kind;
    let stdin_requested = p.opts.stdin;
    let follow = if kind == Kind::Attach {
        streams
            .script()
            .entries_for(&p.pod.namespace, &p.pod.name, &p.pod.labels, &p.container)
            .find_map(|e| e.logs.clone())
    } else {
        None
    };
    let process = Box::pin(async move {
        match (kind, rule) {
            (Kind::Attach, _) => attach(follow, stdin_requested, &mut io).await,
            (_, Some(rule)) => process::run_rule(&rule, &mut io).await,
            (_, None) => process::run_builtin(&ctx, &argv, &mut io).await,
        }
    });
    Started {
        process,
        stdin,
        out: out_rx,
        size: size_tx,
        faults,
        seq,
    }
}

async fn run(ws: Ws, p: Prepared, streams: &Arc<Streams>) {
    let (mut sink, mut source) = ws.split();
    let proto = p.proto;
    let Started {
        process,
        stdin: mut stdin_tx,
        out: mut out_rx,
        size: size_tx,
        faults,
        seq,
    } = start(&p, streams);
    let mut process = process;

    // The connection is established: an empty frame on the lowest
    // writable channel (`createWebSocketStreams`).
    let first = if p.opts.stdout {
        1
    } else if p.opts.stderr {
        2
    } else {
        3
    };
    if !send_frame(&mut sink, &proto, first, b"").await {
        return;
    }
    if let Some(id) = faults.unknown_stream {
        if !send_frame(&mut sink, &proto, id, b"kubemock: unknown-stream fault\n").await {
            return;
        }
    }

    let mut writer = Writer {
        proto: &proto,
        tty: p.opts.tty,
        stdout: p.opts.stdout,
        stderr: p.opts.stderr,
        chunk: faults.chunk_size.unwrap_or(usize::MAX),
        reset_after: faults.reset_after_bytes,
        written: 0,
    };
    let shutdown = super::stopped(p.shutdown.clone());
    tokio::pin!(shutdown);
    let mut pending: Option<Bytes> = None;
    let mut outcome: Option<Outcome> = None;
    let mut out_open = true;
    let end = loop {
        if outcome.is_some() && !out_open {
            break End::Done(outcome.take().unwrap_or(Outcome::Exit(0)));
        }
        // A clone, so the branch does not borrow `stdin_tx` (which the
        // other branches may drop to signal EOF).
        let reserve_tx = if pending.is_some() {
            stdin_tx.clone()
        } else {
            None
        };
        tokio::select! {
            permit = async { match &reserve_tx { Some(t) => t.reserve().await, None => std::future::pending().await } }, if reserve_tx.is_some() => {
                match permit {
                    Ok(permit) => permit.send(pending.take().unwrap_or_default()),
                    Err(_) => { pending = None; stdin_tx = None; }
                }
            }
            msg = source.next(), if pending.is_none() => {
                let data = match msg {
                    Some(Ok(Message::Binary(b))) => b.to_vec(),
                    Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
                    Some(Ok(Message::Ping(_))) => { let _ = sink.flush().await; continue; }
                    Some(Ok(Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => break End::Client(None),
                    Some(Err(e)) => break End::Client(close_for(&e)),
                };
                match channel::decode(&proto, &data) {
                    Incoming::Data(0, d) => {
                        if stdin_tx.is_some() && !d.is_empty() {
                            pending = Some(d.into());
                        }
                    }
                    Incoming::Close(0) => stdin_tx = None,
                    Incoming::Data(4, d) => {
                        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&d) {
                            let w = v.get("Width").and_then(|x| x.as_u64()).unwrap_or(0) as u16;
                            let h = v.get("Height").and_then(|x| x.as_u64()).unwrap_or(0) as u16;
                            let _ = size_tx.send(Some((w, h)));
                        }
                    }
                    Incoming::Data(..) | Incoming::Close(_) | Incoming::Empty => {}
                    Incoming::Invalid(why) => break End::Client(Some((CloseCode::Protocol, why))),
                }
            }
            o = out_rx.recv(), if out_open => match o {
                Some(o) => if let Wrote::Stop = writer.write(&mut sink, o).await { break End::Cut },
                None => out_open = false,
            },
            r = &mut process, if outcome.is_none() => {
                outcome = Some(r);
            }
            _ = &mut shutdown => break End::Shutdown,
        }
    };
    match end {
        End::Done(outcome) => {
            if !faults.no_exit_status {
                if let Some(status) = status_for(&p, &outcome, seq) {
                    let bytes = if proto.json_status {
                        errors::status_json(&status)
                    } else {
                        errors::v1_text(&status).into_bytes()
                    };
                    if !send_frame(&mut sink, &proto, 3, &bytes).await {
                        return;
                    }
                }
            }
            if let Some(ms) = faults.close_delay_ms {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            if faults.no_close_frame {
                return;
            }
            close(&mut sink, CloseCode::Normal, "").await;
            // Let the client answer the close (bounded).
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(m)) = source.next().await {
                    if m.is_close() {
                        break;
                    }
                }
            })
            .await;
        }
        End::Client(Some((code, why))) => close(&mut sink, code, why).await,
        End::Client(None) | End::Cut => {}
        End::Shutdown => close(&mut sink, CloseCode::Away, "").await,
    }
}

/// The close code for a read error (oversized: 1009; protocol: 1002).
fn close_for(e: &tokio_tungstenite::tungstenite::Error) -> Option<(CloseCode, &'static str)> {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Capacity(_) => Some((CloseCode::Size, "message too big")),
        Error::Protocol(_) | Error::Utf8(_) => Some((CloseCode::Protocol, "protocol error")),
        _ => None,
    }
}

/// The status written on the error channel (`None`: nothing, as v1–v3
/// write nothing on success).
pub(crate) fn status_for(p: &Prepared, outcome: &Outcome, seq: u64) -> Option<crate::meta::Status> {
    let v5 = p.proto.close_signal;
    match outcome {
        Outcome::Exit(0) => p.proto.json_status.then(errors::success_status),
        Outcome::Exit(n) => Some(errors::exit_status(*n, &p.opts.command, v5)),
        Outcome::NotFound(cmd) => Some(errors::executable_not_found(
            &exec_id(&p.pod, &p.container, seq),
            cmd,
        )),
        Outcome::Gone => None,
    }
}

/// `attach`: the main process's output (the log's follow lines) and, with
/// stdin, its echo. It ends at stdin EOF (stdin requested), after the
/// follow lines when the script says the container exits
/// (`endAfterFollow`), or else when the client leaves.
async fn attach(logs: Option<super::script::LogScript>, stdin: bool, io: &mut Io) -> Outcome {
    let logs = logs.unwrap_or_default();
    let out = io.out.clone();
    let lines = async {
        for l in &logs.follow {
            for _ in 0..l.repeat {
                if l.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(l.delay_ms)).await;
                }
                let line = Bytes::from(format!("{}\n", l.text));
                if out.send(Output::Stdout(line)).await.is_err() {
                    return;
                }
            }
        }
    };
    let echo = async {
        while let Some(c) = io.stdin.recv().await {
            if io.out.send(Output::Stdout(c)).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(lines, echo);
    if stdin || logs.end_after_follow {
        return Outcome::Exit(0);
    }
    // The main process keeps running: the session ends when the client
    // leaves (or the server stops).
    std::future::pending::<()>().await;
    Outcome::Gone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_the_kubelet() {
        let q = crate::api::query::RawQuery::parse(
            "command=sh&command=-c&command=exit%203&stdout=true&stderr=true&tty=true",
        );
        let o = Options::from_query(&q);
        assert_eq!(o.command, vec!["sh", "-c", "exit 3"]);
        assert!(o.stdout && o.tty && !o.stderr && !o.stdin);
    }

    #[test]
    fn exit_status_json() {
        let s = errors::exit_status(3, &["sh".into(), "-c".into(), "exit 3".into()], false);
        assert_eq!(
            String::from_utf8(errors::status_json(&s)).unwrap(),
            r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#
        );
        assert_eq!(
            String::from_utf8(errors::status_json(&errors::success_status())).unwrap(),
            r#"{"metadata":{},"status":"Success"}"#
        );
    }
}
