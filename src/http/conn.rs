//! One client connection, served as Go's `net/http` server (with the
//! settings of kube-apiserver's `secure_serving.go`) serves it:
//!
//! - **Timeouts** (`conn.serve`, `readRequest`): the TLS handshake and the
//!   first request's headers must arrive within `ReadHeaderTimeout` of the
//!   accept; a keep-alive connection with no request in flight is closed
//!   after `IdleTimeout`; once the first byte of a later request arrives its
//!   headers must follow within `ReadHeaderTimeout`. An expired connection is
//!   closed without an answer, as Go does. HTTP/2 connections with no open
//!   stream get GOAWAY after `IdleTimeout` (`http2.Server.IdleTimeout`).
//!   Requests in flight (watches included) and upgraded connections are
//!   never timed out (kube-apiserver sets no `ReadTimeout`/`WriteTimeout`).
//! - **Unread request bodies** (`chunkWriter.writeHeader`): when a handler
//!   answered without reading the whole body (an early 401, 404, 405 or
//!   413), up to `maxPostHandlerReadBytes` (256 KiB) of the rest is
//!   discarded before the answer, so the connection stays usable; if more
//!   is left (or a declared length says so, or the client sent
//!   `Expect: 100-continue`) the answer carries `Connection: close` and the
//!   socket is half-closed and drained for `rstAvoidanceDelay` (500 ms) so
//!   the client reads the answer before any reset (`closeWriteAndWait`).
//! - **Parser limits**: `MaxHeaderBytes` (1 MiB + Go's 4 KiB slack) for the
//!   request head, HTTP/2 settings of kube-apiserver (100 streams, 256 KiB
//!   frames and stream windows).
//!
//! - **Unparsable requests**: hyper's bare automatic answers (400, 414,
//!   431 with no body) are replaced on the wire by Go's plain-text ones
//!   (`431 Request Header Fields Too Large`, `Connection: close`).
//!
//! Differences left (hyper's, not Go's): an HTTP/1 request line whose target
//! is longer than 65,534 bytes (the `http` crate's URI limit) is refused with
//! 414 `414 URI Too Long` (Go accepts up to the 1 MiB header limit and has
//! no 414); more than [`limits::MAX_HEADERS`] headers get 431 (Go has no
//! count limit, only the byte limit).
//! The discard of an unread body is bounded by `ReadHeaderTimeout` (Go
//! waits as long as the client keeps the connection open).
//!
//! UNVERIFIED: all of the above is taken from the Go and Kubernetes source.

use super::limits::{self, ConnectionTimeouts};
use axum::body::Body;
use bytes::Bytes;
use http::header::{CONNECTION, EXPECT};
use http::{HeaderValue, Request, Response, StatusCode, Version};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// The hyper connection builder with kube-apiserver's limits.
pub fn builder() -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .max_headers(limits::MAX_HEADERS)
        .max_buf_size(limits::HEADER_READ_LIMIT)
        // Timeouts are this module's (hyper's would also cut idle
        // keep-alive connections at the header timeout).
        .header_read_timeout(None);
    b.http2()
        .max_concurrent_streams(limits::H2_MAX_CONCURRENT_STREAMS)
        .initial_stream_window_size(limits::H2_STREAM_BUFFER)
        .initial_connection_window_size(limits::H2_CONNECTION_BUFFER)
        .max_frame_size(limits::H2_STREAM_BUFFER)
        .max_header_list_size(limits::H2_MAX_HEADER_LIST_SIZE);
    b
}

/// Serves one accepted connection until it ends, expires, or the server
/// shuts down (then gracefully).
pub async fn serve(
    stream: TcpStream,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    app: axum::Router,
    timeouts: ConnectionTimeouts,
    shutdown: watch::Receiver<bool>,
) {
    let reset = Arc::new(AtomicBool::new(false));
    let stream = Resettable {
        inner: stream,
        reset: Arc::clone(&reset),
    };
    let Some(acceptor) = acceptor else {
        let state = Arc::new(ConnState::new(timeouts, false, reset));
        return run(
            Guarded::new(stream, Arc::clone(&state)),
            app,
            state,
            shutdown,
            None,
        )
        .await;
    };
    let tls = match tokio::time::timeout(timeouts.read_header, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!("TLS handshake: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!("TLS handshake: timed out");
            return;
        }
    };
    // The client certificate's user (CN, O), for the authentication filter.
    let peer = crate::server::tls::peer_user(tls.get_ref().1);
    if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
        // HTTP/2: coalesce the frames of many streams (watchers).
        let state = Arc::new(ConnState::new(timeouts, true, reset));
        let io = Guarded::new(super::cork::Corked::new(tls), Arc::clone(&state));
        run(io, app, state, shutdown, peer).await
    } else {
        let state = Arc::new(ConnState::new(timeouts, false, reset));
        run(
            Guarded::new(tls, Arc::clone(&state)),
            app,
            state,
            shutdown,
            peer,
        )
        .await
    }
}

async fn run<I>(
    io: Guarded<I>,
    app: axum::Router,
    state: Arc<ConnState>,
    mut shutdown: watch::Receiver<bool>,
    peer: Option<crate::auth::UserInfo>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = builder();
    let service = ConnService {
        app,
        state: Arc::clone(&state),
        peer,
        shutdown: shutdown.clone(),
    };
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            // The connection first: a fault's cut comes after what it let out.
            biased;
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!("connection: {e}");
                }
                return;
            }
            _ = shutdown.wait_for(|v| *v), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = state.aborted() => {
                tracing::debug!("connection: cut by a fault");
                return;
            }
            why = state.expired(), if !closing => {
                if why == Expired::Idle && state.is_h2() {
                    // GOAWAY, then the connection ends by itself.
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                } else {
                    tracing::debug!("connection: {why:?} timeout");
                    return;
                }
            }
        }
    }
}

/// Which timeout closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// `ReadHeaderTimeout`: headers (or the TLS handshake) too slow.
    Header,
    /// `IdleTimeout`: no request for too long.
    Idle,
}

#[derive(Debug)]
struct Clock {
    /// Requests whose response has not ended.
    active: usize,
    /// When the connection was accepted or its last response ended.
    idle_since: Instant,
    /// Whether a request was served (the first one is timed from the accept).
    served: bool,
    /// First byte of the next request, read while idle.
    first_byte: Option<Instant>,
    h2: bool,
    upgraded: bool,
}

/// What a connection's IO, service and watchdog share.
#[derive(Debug)]
pub struct ConnState {
    timeouts: ConnectionTimeouts,
    clock: Mutex<Clock>,
    changed: Notify,
    /// Idle and waiting for the first byte of a request (cheap check on reads).
    awaiting_byte: AtomicBool,
    /// A response left request body unread: half-close and drain on close.
    linger: AtomicBool,
    /// A fault asked to cut the connection.
    abort: Notify,
    cut: AtomicBool,
    /// The cut is a reset (SO_LINGER 0 on close), shared with [`Resettable`].
    reset: Arc<AtomicBool>,
}

impl ConnState {
    fn new(timeouts: ConnectionTimeouts, h2: bool, reset: Arc<AtomicBool>) -> ConnState {
        ConnState {
            timeouts,
            clock: Mutex::new(Clock {
                active: 0,
                idle_since: Instant::now(),
                served: false,
                first_byte: None,
                h2,
                upgraded: false,
            }),
            changed: Notify::new(),
            awaiting_byte: AtomicBool::new(true),
            linger: AtomicBool::new(false),
            abort: Notify::new(),
            cut: AtomicBool::new(false),
            reset,
        }
    }

    /// Cuts the connection (a fault): the serving loop drops it, with a
    /// TCP reset when `reset`.
    fn cut(&self, reset: bool) {
        if reset {
            self.reset.store(true, Ordering::Relaxed);
        }
        self.cut.store(true, Ordering::Release);
        self.abort.notify_one();
    }

    /// Resolves once [`ConnState::cut`] was called.
    async fn aborted(&self) {
        loop {
            let n = self.abort.notified();
            if self.cut.load(Ordering::Acquire) {
                return;
            }
            n.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Clock> {
        self.clock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_h2(&self) -> bool {
        self.lock().h2
    }

    /// When the connection expires if nothing changes, and why.
    fn deadline(&self) -> Option<(Instant, Expired)> {
        let c = self.lock();
        let t = &self.timeouts;
        if c.active > 0 || c.upgraded {
            return None;
        }
        if c.h2 {
            return Some((c.idle_since + t.idle, Expired::Idle));
        }
        if !c.served {
            return Some((c.idle_since + t.read_header, Expired::Header));
        }
        Some(match c.first_byte {
            Some(at) => (at + t.read_header, Expired::Header),
            None => (c.idle_since + t.idle, Expired::Idle),
        })
    }

    /// Resolves when a timeout expires.
    async fn expired(&self) -> Expired {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.deadline() {
                None => changed.await,
                Some((at, why)) => {
                    if at <= Instant::now() {
                        return why;
                    }
                    tokio::select! {
                        _ = changed => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
            }
        }
    }

    fn saw_byte(&self) {
        let mut c = self.lock();
        if c.active == 0 && c.first_byte.is_none() {
            c.first_byte = Some(Instant::now());
        }
        self.awaiting_byte.store(false, Ordering::Relaxed);
        drop(c);
        self.changed.notify_one();
    }

    fn request_started(self: &Arc<Self>) -> ActiveGuard {
        let mut c = self.lock();
        c.active += 1;
        c.served = true;
        c.first_byte = None;
        self.awaiting_byte.store(false, Ordering::Relaxed);
        drop(c);
        self.changed.notify_one();
        ActiveGuard(Arc::clone(self))
    }

    fn set_h2(&self) {
        self.lock().h2 = true;
    }

    fn set_upgraded(&self) {
        self.lock().upgraded = true;
        self.changed.notify_one();
    }
}

/// A request in flight; dropped when its response body ends.
#[derive(Debug)]
struct ActiveGuard(Arc<ConnState>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        let s = &self.0;
        let mut c = s.lock();
        c.active = c.active.saturating_sub(1);
        if c.active == 0 {
            c.idle_since = Instant::now();
            c.first_byte = None;
            s.awaiting_byte.store(true, Ordering::Relaxed);
        }
        drop(c);
        s.changed.notify_one();
    }
}

/// The per-connection service: the router, with the request body held
/// where it can be drained after the answer, and the response body
/// tracked until it ends.
#[derive(Clone)]
struct ConnService {
    app: axum::Router,
    state: Arc<ConnState>,
    /// The TLS client certificate's user, put on every request.
    peer: Option<crate::auth::UserInfo>,
    /// The connection's stop signal: streamed bodies end cleanly on it.
    shutdown: watch::Receiver<bool>,
}

/// How long a cut after the headers waits for what went out to be written.
const CUT_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

/// Asks the connection to cut itself (a fault plan's drop, reset or
/// stall): put on a response as an extension by `crate::faults::layer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortConnection {
    /// With a TCP reset (SO_LINGER 0) instead of a plain close.
    pub reset: bool,
    /// `None`: before the response head; `Some(n)`: after the head and `n`
    /// bytes of the body.
    pub after_bytes: Option<u64>,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<Tracked>;
    type Error = std::convert::Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<Response<Tracked>, std::convert::Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let guard = self.state.request_started();
        let mut req = req;
        if let Some(p) = &self.peer {
            req.extensions_mut()
                .insert(crate::auth::PeerCertificate(p.clone()));
        }
        let app = self.app.clone();
        let state = Arc::clone(&self.state);
        let shutdown = self.shutdown.clone();
        Box::pin(async move {
            let h1 = req.version() < Version::HTTP_2;
            if !h1 {
                state.set_h2();
            }
            let expects_continue = req
                .headers()
                .get(EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
            let (parts, body) = req.into_parts();
            let (body, slot) = if http_body::Body::is_end_stream(&body) {
                (Body::new(body), None)
            } else {
                let slot = Arc::new(Slot(Mutex::new(SlotInner {
                    body: Some(body),
                    eof: false,
                })));
                (Body::new(Proxy(Arc::clone(&slot))), Some(slot))
            };
            let mut resp = match app.oneshot(Request::from_parts(parts, body)).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
                state.set_upgraded();
            }
            if let (Some(slot), true) = (slot, h1) {
                let keep = settle(&slot, expects_continue, state.timeouts.read_header).await;
                if !keep {
                    resp.headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                    state.linger.store(true, Ordering::Relaxed);
                }
            }
            let cut = resp.extensions().get::<AbortConnection>().copied();
            if let Some(AbortConnection {
                reset,
                after_bytes: None,
            }) = cut
            {
                // Nothing goes out: the serving loop drops the connection.
                state.cut(reset);
                std::future::pending::<()>().await;
            }
            // A streamed body (a watch) ends cleanly when the connection is
            // told to stop, as a real server's watches end on shutdown.
            let end: Option<Pin<Box<dyn Future<Output = ()> + Send>>> =
                match http_body::Body::size_hint(resp.body()).exact() {
                    Some(_) => None,
                    None => {
                        let mut rx = shutdown;
                        Some(Box::pin(async move {
                            let _ = rx.wait_for(|v| *v).await;
                        }))
                    }
                };
            Ok(resp.map(|inner| Tracked {
                inner,
                guard: Some(guard),
                cut: cut.and_then(|c| Some((c.after_bytes?, c.reset, Arc::clone(&state)))),
                cut_grace: None,
                end,
            }))
        })
    }
}

/// What is left of an HTTP/1 request body after the handler answered:
/// nothing (keep the connection), or up to 256 KiB discarded (keep it), or
/// more (close it). Returns whether the connection can be reused.
async fn settle(slot: &Slot, expects_continue: bool, bound: std::time::Duration) -> bool {
    let body = {
        let mut s = slot.lock();
        if s.eof {
            return true;
        }
        match s.body.take() {
            Some(b) => b,
            None => return true,
        }
    };
    if http_body::Body::is_end_stream(&body) {
        return true;
    }
    if expects_continue {
        // The 100 Continue was never sent or the body not finished: Go
        // does not reuse the connection.
        return false;
    }
    let max = limits::MAX_POST_HANDLER_READ_BYTES;
    if http_body::Body::size_hint(&body).lower() >= max {
        return false;
    }
    let discard = async move {
        let mut body = body;
        let mut read = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Some(d) = frame.data_ref() {
                read += d.len() as u64;
                if read > max {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(bound, discard).await.unwrap_or(false)
}

#[derive(Debug)]
struct SlotInner {
    body: Option<Incoming>,
    eof: bool,
}

/// The request body, shared by the handler's [`Proxy`] and [`settle`].
#[derive(Debug)]
struct Slot(Mutex<SlotInner>);

impl Slot {
    fn lock(&self) -> MutexGuard<'_, SlotInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The handler's view of the request body.
struct Proxy(Arc<Slot>);

impl http_body::Body for Proxy {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let mut s = self.0.lock();
        let Some(body) = s.body.as_mut() else {
            return Poll::Ready(None);
        };
        let r = Pin::new(body).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) {
            s.eof = true;
            s.body = None;
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.0
            .lock()
            .body
            .as_ref()
            .is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.0
            .lock()
            .body
            .as_ref()
            .map_or(SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}

/// A response body that marks its request finished when it ends (or is
/// dropped), so idle time is counted from the end of the last response.
pub struct Tracked {
    inner: Body,
    guard: Option<ActiveGuard>,
    /// A fault's cut: body bytes still let out, reset, the connection.
    cut: Option<(u64, bool, Arc<ConnState>)>,
    /// Started once the cut point is reached: what went out is flushed
    /// (an HTTP/2 connection writes from its own task) before the cut.
    cut_grace: Option<Pin<Box<Sleep>>>,
    /// Ends a streamed body cleanly when the connection stops.
    end: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Some((left, reset, state)) = &mut this.cut {
            if *left == 0 {
                // What was let out is written (hyper flushes on Pending);
                // then the serving loop drops the connection.
                let grace = this
                    .cut_grace
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(CUT_GRACE)));
                if grace.as_mut().poll(cx).is_ready() {
                    state.cut(*reset);
                }
                return Poll::Pending;
            }
            let r = ready!(Pin::new(&mut this.inner).poll_frame(cx));
            return Poll::Ready(match r {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(mut data) => {
                        let n = (data.len() as u64).min(*left);
                        *left -= n;
                        data.truncate(n as usize);
                        Some(Ok(Frame::data(data)))
                    }
                    Err(frame) => Some(Ok(frame)),
                },
                Some(Err(e)) => Some(Err(e)),
                None => {
                    // The body ended before the cut point: cut now, without
                    // ending the response properly.
                    state.cut(*reset);
                    return Poll::Pending;
                }
            });
        }
        let r = Pin::new(&mut this.inner).poll_frame(cx);
        if r.is_pending() {
            if let Some(end) = this.end.as_mut() {
                if end.as_mut().poll(cx).is_ready() {
                    this.end = None;
                    this.guard = None;
                    return Poll::Ready(None);
                }
            }
        }
        if matches!(r, Poll::Ready(None)) {
            this.guard = None;
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.cut.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        if self.cut.is_some() {
            // Cut short: no length promised.
            return SizeHint::default();
        }
        self.inner.size_hint()
    }
}

/// The accepted socket: on drop after a fault's reset, `SO_LINGER` 0 makes
/// the close a TCP RST instead of a FIN.
struct Resettable {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for Resettable {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Relaxed) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for Resettable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Resettable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// hyper's automatic answers to requests it cannot parse (status line
/// start) and the text Go's `conn.serve` writes instead: a plain-text body
/// and `Connection: close`. Go sends 431 for a head over `MaxHeaderBytes`
/// and 400 for a malformed request; it has no URI limit of its own (a
/// target over hyper's 65,534 bytes gets a 414 in Go's style).
const PARSE_ERROR_ANSWERS: [(&[u8], &str); 3] = [
    (b"HTTP/1.1 400 ", "400 Bad Request"),
    (b"HTTP/1.1 414 ", "414 URI Too Long"),
    (b"HTTP/1.1 431 ", "431 Request Header Fields Too Large"),
];

/// Go's answer for `text` (`"HTTP/1.1 " + publicErr + errorHeaders + publicErr`).
fn go_parse_error_answer(text: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n{text}"
    )
    .into_bytes()
}

/// Go's answer in place of `head` when `head` is one of hyper's automatic
/// parse-error answers: a bare head with only `connection: close`,
/// `content-length: 0` and `date` (every answer of the router carries
/// `audit-id` as well).
fn replace_parse_error_answer(head: &[u8]) -> Option<Vec<u8>> {
    if head.len() > 256 || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let (_, text) = PARSE_ERROR_ANSWERS
        .iter()
        .find(|(prefix, _)| head.starts_with(prefix))?;
    let text_head = std::str::from_utf8(head).ok()?;
    let bare =
        text_head.trim_end().lines().skip(1).all(|l| {
            l == "content-length: 0" || l == "connection: close" || l.starts_with("date: ")
        });
    bare.then(|| go_parse_error_answer(text))
}

/// Reads discarded per turn while lingering, before yielding.
const LINGER_READS_PER_TURN: usize = 64;

/// The connection's stream: notes the first byte of a request read while
/// idle, and on shutdown after a response that left body unread, drains
/// what the client still sends for [`limits::RST_AVOIDANCE_DELAY`].
struct Guarded<T> {
    inner: T,
    state: Arc<ConnState>,
    shut: bool,
    linger: Option<Pin<Box<Sleep>>>,
    /// Go's answer being written in place of hyper's: bytes, how many are
    /// written, and the length of hyper's write to report once done.
    rewrite: Option<(Vec<u8>, usize, usize)>,
}

impl<T> Guarded<T> {
    fn new(inner: T, state: Arc<ConnState>) -> Guarded<T> {
        Guarded {
            inner,
            state,
            shut: false,
            linger: None,
            rewrite: None,
        }
    }

    /// Go's answer if `head` is hyper's parse-error answer on an HTTP/1
    /// connection with no request in flight.
    fn parse_error_answer(&self, head: &[u8]) -> Option<Vec<u8>> {
        let answer = replace_parse_error_answer(head)?;
        let c = self.state.lock();
        (c.active == 0 && !c.h2).then_some(answer)
    }
}

impl<T: AsyncWrite + Unpin> Guarded<T> {
    /// Writes the pending replacement; `Ready(n)` with hyper's length once
    /// all of it is out.
    fn poll_rewrite(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some((bytes, written, _)) = self.rewrite.as_mut() {
            if *written == bytes.len() {
                let (_, _, reported) = self.rewrite.take().unwrap_or_default();
                return Poll::Ready(Ok(reported));
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(0))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before && self.state.awaiting_byte.load(Ordering::Relaxed) {
            self.state.saw_byte();
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rewrite.is_none() {
            if let Some(answer) = this.parse_error_answer(buf) {
                this.rewrite = Some((answer, 0, buf.len()));
            }
        }
        if this.rewrite.is_some() {
            return this.poll_rewrite(cx);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rewrite.is_none() {
            let mut parts = bufs.iter().filter(|b| !b.is_empty());
            if let (Some(head), None) = (parts.next(), parts.next()) {
                if let Some(answer) = this.parse_error_answer(head) {
                    this.rewrite = Some((answer, 0, head.len()));
                }
            }
        }
        if this.rewrite.is_some() {
            return this.poll_rewrite(cx);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.shut {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.shut = true;
            if this.state.linger.load(Ordering::Relaxed) {
                this.linger = Some(Box::pin(tokio::time::sleep(limits::RST_AVOIDANCE_DELAY)));
            }
        }
        let Some(delay) = this.linger.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 8192];
        for _ in 0..LINGER_READS_PER_TURN {
            if delay.as_mut().poll(cx).is_ready() {
                this.linger = None;
                return Poll::Ready(Ok(()));
            }
            let mut rb = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) if !rb.filled().is_empty() => continue,
                Poll::Ready(_) => {
                    // EOF or error: the client is done.
                    this.linger = None;
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn timeouts() -> ConnectionTimeouts {
        ConnectionTimeouts {
            read_header: Duration::from_secs(3),
            idle: Duration::from_secs(9),
        }
    }

    #[test]
    fn hyper_parse_error_answers_become_go_text() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 09:00:00 GMT\r\n\r\n";
        let go = replace_parse_error_answer(hyper).expect("replaced");
        assert_eq!(
            String::from_utf8(go).expect("utf8"),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"
        );
        // A router answer (more headers) is left alone.
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\naudit-id: x\r\n\r\n";
        assert_eq!(replace_parse_error_answer(ours), None);
        assert_eq!(replace_parse_error_answer(b"HTTP/1.1 200 OK\r\n\r\n"), None);
    }

    fn kind(s: &ConnState) -> Option<Expired> {
        s.deadline().map(|d| d.1)
    }

    #[tokio::test]
    async fn deadlines_follow_go() {
        let s = Arc::new(ConnState::new(timeouts(), false, Default::default()));
        let t0 = Instant::now();
        // Fresh: headers within ReadHeaderTimeout of the accept, even after
        // the first byte.
        s.saw_byte();
        let (at, why) = s.deadline().expect("deadline");
        assert_eq!(why, Expired::Header);
        assert!(at <= t0 + Duration::from_secs(3));
        // In flight: none.
        let g = s.request_started();
        assert_eq!(s.deadline(), None);
        let g2 = s.request_started();
        drop(g);
        assert_eq!(s.deadline(), None);
        drop(g2);
        // Idle keep-alive: IdleTimeout, until a byte of the next request.
        let (at, why) = s.deadline().expect("deadline");
        assert_eq!(why, Expired::Idle);
        assert!(at > Instant::now() + Duration::from_secs(8));
        s.saw_byte();
        let (at, why) = s.deadline().expect("deadline");
        assert_eq!(why, Expired::Header);
        assert!(at <= Instant::now() + Duration::from_secs(3));
        // HTTP/2: only idleness counts; upgraded: nothing.
        let h2 = Arc::new(ConnState::new(timeouts(), true, Default::default()));
        assert_eq!(kind(&h2), Some(Expired::Idle));
        h2.set_upgraded();
        assert_eq!(kind(&h2), None);
    }

    #[tokio::test]
    async fn expiry_resolves() {
        let s = Arc::new(ConnState::new(
            ConnectionTimeouts {
                read_header: Duration::from_millis(20),
                idle: Duration::from_millis(20),
            },
            false,
            Default::default(),
        ));
        assert_eq!(s.expired().await, Expired::Header);
        drop(s.request_started());
        assert_eq!(s.expired().await, Expired::Idle);
    }
}
