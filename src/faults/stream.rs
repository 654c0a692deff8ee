//! Stream faults: a wrapper around a watch response body that ends it
//! early (after N events or T, cleanly or abruptly), puts an ERROR event
//! where it ends, withholds or delays the initial-events-end bookmark and
//! the periodic bookmarks, delays every event (order kept) and paces the
//! initial events of a watch-list.
//!
//! The wrapper sits in the fault layer, so the watch verb knows nothing of
//! it and the recording (outside it) counts what the client really got.
//! JSON streams are split into event lines; protobuf streams into
//! length-prefixed frames, where every frame counts as an event (bookmark
//! faults need JSON: protobuf frames are not decoded).
//!
//! A clean end terminates the chunked body (HTTP/1) or ends the stream
//! (HTTP/2), as the server's own timeout does; an abrupt end makes the body
//! fail, so hyper cuts the HTTP/1 connection without the last chunk (or
//! resets the HTTP/2 stream).

use super::clock::{ClockTime, FaultClock};
use super::plan::{EndMode, WatchFaults};
use axum::body::{Body, BodyDataStream};
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use std::collections::VecDeque;

/// How long an abrupt end waits for the frames before it to go out.
pub const FLUSH_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

/// What one piece of the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Event,
    InitialEnd,
    Bookmark,
}

/// How the stream is split into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Lines,
    LengthPrefixed,
}

/// The stream-fault settings of one watch.
#[derive(Debug, Clone)]
pub struct StreamFaults {
    /// What the rule asks.
    pub faults: WatchFaults,
    /// The ERROR event to send where the stream ends.
    pub error_event: Option<Bytes>,
    /// The request is a watch-list (`sendInitialEvents=true`).
    pub watch_list: bool,
    /// The clock the delays run on.
    pub clock: FaultClock,
}

struct State {
    inner: BodyDataStream,
    inner_done: bool,
    framing: Framing,
    buf: Vec<u8>,
    queue: VecDeque<(ClockTime, Bytes)>,
    last_release: ClockTime,
    sent: u64,
    deadline: Option<ClockTime>,
    f: StreamFaults,
    /// Still in the initial events of a watch-list.
    initial: bool,
    ending: bool,
    done: bool,
    stop: futures::future::BoxFuture<'static, ()>,
}

/// The error that cuts a stream abruptly.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("watch stream cut by a fault")
    }
}

impl std::error::Error for Cut {}

/// Wraps a watch response's body with the faults.
pub fn wrap(
    resp: Response,
    f: StreamFaults,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Response {
    let framing = match resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some(ct) if ct.contains("protobuf") => Framing::LengthPrefixed,
        _ => Framing::Lines,
    };
    let now = f.clock.now();
    let (parts, body) = resp.into_parts();
    let state = State {
        inner: body.into_data_stream(),
        inner_done: false,
        framing,
        buf: Vec::new(),
        queue: VecDeque::new(),
        last_release: now,
        sent: 0,
        deadline: f.faults.end_after.map(|d| now + f.clock.scaled(d.0)),
        initial: f.watch_list,
        ending: false,
        done: false,
        f,
        stop: Box::pin(stop),
    };
    let stream = futures::stream::unfold(state, |mut s| async move {
        let item = s.next_item().await?;
        Some((item, s))
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

impl State {
    /// The ERROR event goes at once when no end point is given.
    fn error_at_start(&self) -> bool {
        self.f.faults.end_after_events.is_none() && self.f.faults.end_after.is_none()
    }

    async fn next_item(&mut self) -> Option<Result<Bytes, Cut>> {
        loop {
            if self.done {
                return None;
            }
            if self.ending || (self.error_at_start() && self.f.error_event.is_some()) {
                let end = self.end();
                if matches!(end, Some(Err(_))) {
                    // Let what was sent reach the socket first: an HTTP/2
                    // reset drops the stream's queued frames.
                    tokio::time::sleep(FLUSH_GRACE).await;
                }
                return end;
            }
            let now = self.f.clock.now();
            if let Some((at, _)) = self.queue.front() {
                if *at <= now {
                    let (_, piece) = self.queue.pop_front()?;
                    self.sent += 1;
                    if self
                        .f
                        .faults
                        .end_after_events
                        .is_some_and(|n| self.sent >= n)
                    {
                        self.ending = true;
                    }
                    return Some(Ok(piece));
                }
            }
            if self.inner_done && self.queue.is_empty() {
                // The server ended the stream itself.
                self.done = true;
                return None;
            }
            let next_release = self.queue.front().map(|(at, _)| *at);
            let clock = self.f.clock.clone();
            tokio::select! {
                chunk = self.inner.next(), if !self.inner_done => match chunk {
                    Some(Ok(b)) => self.take(&b),
                    Some(Err(_)) | None => self.inner_done = true,
                },
                _ = sleep_until_opt(&clock, next_release) => {}
                _ = sleep_until_opt(&clock, self.deadline) => self.ending = true,
                _ = self.stop.as_mut() => {
                    self.done = true;
                    return None;
                }
            }
        }
    }

    /// The end: the ERROR event if any, then a clean or abrupt end.
    fn end(&mut self) -> Option<Result<Bytes, Cut>> {
        if let Some(e) = self.f.error_event.take() {
            self.ending = true;
            return Some(Ok(e));
        }
        self.done = true;
        match self.f.faults.end {
            EndMode::Clean => None,
            EndMode::Abrupt => Some(Err(Cut)),
        }
    }

    /// Splits a chunk into pieces and queues each at its release time.
    fn take(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
        loop {
            let len = match self.framing {
                Framing::Lines => match memchr::memchr(b'\n', &self.buf) {
                    Some(i) => i + 1,
                    None => return,
                },
                Framing::LengthPrefixed => {
                    if self.buf.len() < 4 {
                        return;
                    }
                    let n = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                        as usize;
                    if self.buf.len() < 4 + n {
                        return;
                    }
                    4 + n
                }
            };
            let piece = Bytes::from(self.buf.drain(..len).collect::<Vec<u8>>());
            self.queue_piece(piece);
        }
    }

    fn queue_piece(&mut self, piece: Bytes) {
        let kind = match self.framing {
            Framing::LengthPrefixed => Piece::Event,
            Framing::Lines => classify(&piece),
        };
        let w = &self.f.faults;
        let clock = &self.f.clock;
        let now = clock.now();
        let mut at = now;
        match kind {
            Piece::InitialEnd => {
                self.initial = false;
                if let Some(h) = &w.initial_events_end {
                    match h.delay() {
                        Some(d) => at = now + clock.scaled(d),
                        None => return,
                    }
                }
            }
            Piece::Bookmark => {
                if let Some(h) = &w.bookmarks {
                    match h.delay() {
                        Some(d) => at = now + clock.scaled(d),
                        None => return,
                    }
                }
            }
            Piece::Event => {
                if let Some(d) = w.delay_events {
                    at = now + clock.scaled(d.0);
                }
                if self.initial {
                    if let Some(d) = w.slow_initial {
                        at = at.max(self.last_release) + clock.scaled(d.0);
                    }
                }
            }
        }
        // Order is kept: nothing overtakes what came before it.
        at = at.max(self.last_release);
        self.last_release = at;
        self.queue.push_back((at, piece));
    }
}

/// A JSON event line's kind, from its head (`{"type":"BOOKMARK"`).
fn classify(line: &[u8]) -> Piece {
    if !line.starts_with(b"{\"type\":\"BOOKMARK\"") {
        return Piece::Event;
    }
    let needle = b"\"k8s.io/initial-events-end\":\"true\"";
    if memchr::memmem::find(line, needle).is_some() {
        Piece::InitialEnd
    } else {
        Piece::Bookmark
    }
}

async fn sleep_until_opt(clock: &FaultClock, at: Option<ClockTime>) {
    match at {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::plan::{GoDuration, Hold};
    use std::time::Duration;

    const ADDED: &str = "{\"type\":\"ADDED\",\"object\":{}}\n";
    const END: &str = "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n";
    const MARK: &str =
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n";

    async fn run(chunks: Vec<&'static str>, f: StreamFaults) -> (Vec<String>, bool) {
        let body = Body::from_stream(futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::convert::Infallible>(Bytes::from(c))),
        ));
        let resp = wrap(Response::new(body), f, std::future::pending());
        let mut s = resp.into_body().into_data_stream();
        let mut out = Vec::new();
        let mut cut = false;
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => out.push(String::from_utf8(b.to_vec()).expect("utf8")),
                Err(_) => {
                    cut = true;
                    break;
                }
            }
        }
        (out, cut)
    }

    fn faults(w: WatchFaults) -> StreamFaults {
        StreamFaults {
            faults: w,
            error_event: None,
            watch_list: true,
            clock: FaultClock::default(),
        }
    }

    #[tokio::test]
    async fn ends_after_n_events_cleanly_or_abruptly() {
        let all = format!("{ADDED}{ADDED}{ADDED}");
        let all: &'static str = Box::leak(all.into_boxed_str());
        let (out, cut) = run(
            vec![all],
            faults(WatchFaults {
                end_after_events: Some(2),
                ..WatchFaults::default()
            }),
        )
        .await;
        assert_eq!(out, [ADDED, ADDED]);
        assert!(!cut);
        let (out, cut) = run(
            vec![ADDED, ADDED, ADDED],
            faults(WatchFaults {
                end_after_events: Some(1),
                end: EndMode::Abrupt,
                ..WatchFaults::default()
            }),
        )
        .await;
        assert_eq!(out, [ADDED]);
        assert!(cut);
    }

    #[tokio::test]
    async fn the_error_event_goes_first_without_an_end_point() {
        let mut f = faults(WatchFaults {
            error: Some(crate::faults::plan::ErrorSpec::Code(410)),
            ..WatchFaults::default()
        });
        f.error_event = Some(Bytes::from_static(b"ERR\n"));
        let (out, cut) = run(vec![ADDED], f).await;
        assert_eq!(out, ["ERR\n"]);
        assert!(!cut);
    }

    #[tokio::test]
    async fn bookmarks_are_withheld_and_split_lines_rejoined() {
        let (head, tail) = ADDED.split_at(7);
        let (out, _) = run(
            vec![head, tail, END, MARK, ADDED],
            faults(WatchFaults {
                initial_events_end: Some(Hold::Word("withhold".into())),
                bookmarks: Some(Hold::Word("stop".into())),
                ..WatchFaults::default()
            }),
        )
        .await;
        assert_eq!(out, [ADDED, ADDED]);
    }

    #[tokio::test]
    async fn delayed_events_keep_their_order() {
        let start = tokio::time::Instant::now();
        let (out, _) = run(
            vec![ADDED, END, MARK],
            faults(WatchFaults {
                delay_events: Some(GoDuration(Duration::from_millis(200))),
                ..WatchFaults::default()
            }),
        )
        .await;
        assert_eq!(out, [ADDED, END, MARK]);
        assert!(start.elapsed() >= Duration::from_millis(200));
    }
}
