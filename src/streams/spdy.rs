//! `kubectl port-forward` (1.30+): SPDY/3.1 tunnelled inside a WebSocket
//! (`SPDY/3.1+portforward.k8s.io`, `apiserver/pkg/util/proxy/streamtunnel.go`
//! and client-go `tools/portforward/tunneling_connection.go`), served as
//! the kubelet's SPDY port-forward handler does
//! (`cri-streaming/pkg/streaming/portforward/httpstream.go`).
//!
//! Only the part of SPDY/3.1 (`moby/spdystream/spdy`) that port-forward
//! uses: SYN_STREAM (headers `streamType` error|data, `port`,
//! `requestID`) answered by SYN_REPLY, DATA with FIN, RST_STREAM, PING
//! echoed, SETTINGS/WINDOW_UPDATE ignored, GOAWAY. Header blocks are
//! zlib with the SPDY/3 dictionary (read), stored blocks (written).

use super::exec::{close, Prepared};
use super::script::Listener;
use super::Streams;
use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use futures::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// The tunnelling subprotocol kubectl offers.
pub const TUNNEL_PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// The SPDY/3 header-compression dictionary (`spdy/dictionary.go`).
const DICTIONARY: &[u8] = include_bytes!("spdy_dictionary.bin");

/// Largest frame accepted (SPDY's 24-bit length allows 16 MiB).
const MAX_FRAME: usize = 1 << 24;

const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
const FLAG_FIN: u8 = 1;

/// A frame as read.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A new stream and its headers (names lower-case).
    SynStream {
        /// Stream id.
        id: u32,
        /// FIN flag.
        fin: bool,
        /// Headers.
        headers: Vec<(String, String)>,
    },
    /// Data.
    Data {
        /// Stream id.
        id: u32,
        /// FIN flag.
        fin: bool,
        /// Bytes.
        data: Vec<u8>,
    },
    /// The client reset a stream.
    Rst(u32),
    /// A ping to echo.
    Ping(u32),
    /// The client is going away.
    GoAway,
    /// Anything else (SETTINGS, WINDOW_UPDATE, HEADERS...).
    Other,
}

/// One connection's framer: the header (de)compression contexts.
pub struct Framer {
    inflate: Decompress,
    deflate: Compress,
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            inflate: Decompress::new(true),
            deflate: Compress::new(Compression::none(), true),
        }
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl Framer {
    /// Takes one whole frame off the front of `buf` (`Ok(None)`: need more).
    pub fn next(&mut self, buf: &mut Vec<u8>) -> Result<Option<Frame>, String> {
        if buf.len() < 8 {
            return Ok(None);
        }
        let len = ((buf[5] as usize) << 16) | ((buf[6] as usize) << 8) | buf[7] as usize;
        if len > MAX_FRAME {
            return Err("frame too large".into());
        }
        if buf.len() < 8 + len {
            return Ok(None);
        }
        let frame: Vec<u8> = buf.drain(..8 + len).collect();
        let flags = frame[4];
        let payload = &frame[8..];
        if frame[0] & 0x80 == 0 {
            return Ok(Some(Frame::Data {
                id: be32(&frame[..4]) & 0x7fff_ffff,
                fin: flags & FLAG_FIN != 0,
                data: payload.to_vec(),
            }));
        }
        let kind = u16::from_be_bytes([frame[2], frame[3]]);
        Ok(Some(match kind {
            SYN_STREAM if payload.len() >= 10 => Frame::SynStream {
                id: be32(payload) & 0x7fff_ffff,
                fin: flags & FLAG_FIN != 0,
                headers: self.headers(&payload[10..])?,
            },
            RST_STREAM if payload.len() >= 8 => Frame::Rst(be32(payload) & 0x7fff_ffff),
            PING if payload.len() >= 4 => Frame::Ping(be32(payload)),
            GOAWAY => Frame::GoAway,
            SYN_STREAM | RST_STREAM | PING => return Err("short control frame".into()),
            _ => Frame::Other,
        }))
    }

    /// Inflates a header block (the context spans the connection).
    fn headers(&mut self, block: &[u8]) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::with_capacity(block.len() * 4 + 64);
        let mut input = block;
        loop {
            if out.capacity() - out.len() < 256 {
                out.reserve(out.len() + 1024);
            }
            let before = self.inflate.total_in();
            match self
                .inflate
                .decompress_vec(input, &mut out, FlushDecompress::Sync)
            {
                Ok(Status::StreamEnd) => break,
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.inflate
                        .set_dictionary(DICTIONARY)
                        .map_err(|e| e.to_string())?;
                }
                Err(e) => return Err(format!("header block: {e}")),
            }
            let used = (self.inflate.total_in() - before) as usize;
            input = &input[used..];
            if input.is_empty() && out.capacity() > out.len() {
                break;
            }
            if out.len() > 1 << 20 {
                return Err("header block too large".into());
            }
        }
        parse_block(&out)
    }

    fn header_block(&mut self, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut raw = Vec::new();
        raw.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        for (k, v) in headers {
            raw.extend_from_slice(&(k.len() as u32).to_be_bytes());
            raw.extend_from_slice(k.as_bytes());
            raw.extend_from_slice(&(v.len() as u32).to_be_bytes());
            raw.extend_from_slice(v.as_bytes());
        }
        let mut out = Vec::with_capacity(raw.len() + 64);
        let _ = self
            .deflate
            .compress_vec(&raw, &mut out, FlushCompress::Sync);
        out
    }

    /// SYN_REPLY for a stream, no headers.
    pub fn syn_reply(&mut self, id: u32) -> Vec<u8> {
        let block = self.header_block(&[]);
        let mut payload = id.to_be_bytes().to_vec();
        payload.extend_from_slice(&block);
        control(SYN_REPLY, 0, &payload)
    }
}

fn control(kind: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80, 3];
    f.extend_from_slice(&kind.to_be_bytes());
    f.push(flags);
    let len = payload.len() as u32;
    f.extend_from_slice(&len.to_be_bytes()[1..]);
    f.extend_from_slice(payload);
    f
}

/// A DATA frame.
pub fn data(id: u32, fin: bool, bytes: &[u8]) -> Vec<u8> {
    let mut f = id.to_be_bytes().to_vec();
    f.push(if fin { FLAG_FIN } else { 0 });
    f.extend_from_slice(&(bytes.len() as u32).to_be_bytes()[1..]);
    f.extend_from_slice(bytes);
    f
}

/// A PING answer.
pub fn ping(id: u32) -> Vec<u8> {
    control(PING, 0, &id.to_be_bytes())
}

fn parse_block(b: &[u8]) -> Result<Vec<(String, String)>, String> {
    let bad = || "malformed header block".to_string();
    let mut pos = 0;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let s = b.get(pos..pos + n).ok_or_else(bad)?;
        pos += n;
        Ok(s)
    };
    let count = be32(take(4)?) as usize;
    let mut out = Vec::new();
    for _ in 0..count.min(1024) {
        let n = be32(take(4)?) as usize;
        let name = String::from_utf8_lossy(take(n)?).to_ascii_lowercase();
        let n = be32(take(4)?) as usize;
        let value = String::from_utf8_lossy(take(n)?).into_owned();
        out.push((name, value));
    }
    Ok(out)
}

/// One request's pair of streams.
#[derive(Default)]
struct Pair {
    error: Option<u32>,
    data: Option<u32>,
    port: u16,
    input: Option<mpsc::Sender<Bytes>>,
}

/// What listener tasks send back: data for a stream, or its end.
enum Back {
    Data(u32, Bytes),
    /// The listener ended: FIN on the data stream and the error stream.
    End(u32, Option<u32>),
    /// An error text on the error stream, then FIN on both.
    Error(u32, Option<u32>, String),
}

/// A tunnelled SPDY port-forward session.
pub(crate) async fn run<S>(ws: S, p: &Prepared, streams: &Arc<Streams>)
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures::Sink<Message>
        + Unpin,
{
    let (sink, source) = ws.split();
    session(sink, source, p, streams).await
}

/// The remote-command protocols the kubelet serves over SPDY
/// (`cri-streaming/.../remotecommand/constants.go`
/// `SupportedStreamingProtocols`: v5 is WebSocket-only).
pub const EXEC_PROTOCOLS: [&str; 4] = [
    "v4.channel.k8s.io",
    "v3.channel.k8s.io",
    "v2.channel.k8s.io",
    "channel.k8s.io",
];

/// The remote-command protocol for a SPDY exec (`httpstream.Handshake`:
/// the first the client offers that the kubelet serves). Exit statuses
/// are the kubelet's (v4: JSON; older: text); SPDY half-closes streams
/// itself, so `close_signal` stays off.
pub fn negotiate_exec(offered: &[String]) -> Option<super::channel::Protocol> {
    offered.iter().find_map(|o| {
        EXEC_PROTOCOLS.iter().find(|n| *n == o)?;
        super::channel::EXEC_PROTOCOLS
            .iter()
            .find(|p| p.name == o && !p.base64)
            .map(|p| super::channel::Protocol {
                json_status: p.name == "v4.channel.k8s.io",
                close_signal: false,
                ..*p
            })
    })
}

/// The two halves of a raw upgraded connection as message sink/stream.
#[allow(clippy::type_complexity)]
fn raw_halves<IO>(
    io: IO,
) -> (
    std::pin::Pin<Box<dyn futures::Sink<Message, Error = std::io::Error> + Send>>,
    std::pin::Pin<
        Box<
            dyn futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
                + Send,
        >,
    >,
)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (r, w) = tokio::io::split(io);
    let source = futures::stream::unfold(r, |mut r| async move {
        let mut b = vec![0u8; 32 * 1024];
        match r.read(&mut b).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                b.truncate(n);
                Some((Ok(Message::Binary(b.into())), r))
            }
        }
    });
    let sink = futures::sink::unfold(w, |mut w, m: Message| async move {
        if let Message::Binary(b) = m {
            w.write_all(&b).await?;
        }
        Ok::<_, std::io::Error>(w)
    });
    (Box::pin(sink), Box::pin(source))
}

/// Exec and attach over plain SPDY/3.1 (`KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`,
/// client-go before 1.30; `cri-streaming/.../remotecommand/httpstream.go`):
/// the client opens an error stream and one per requested stream
/// (`streamType` stdin, stdout, stderr, resize); the server answers each,
/// runs the process once all are there, writes the status on the error
/// stream and half-closes its streams.
pub(crate) async fn run_exec_raw<IO>(io: IO, p: &Prepared, streams: &Arc<Streams>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    use super::process::{Outcome, Output};
    let (mut sink, mut source) = raw_halves(io);
    let mut framer = Framer::default();
    let mut buf: Vec<u8> = Vec::new();
    let expected = 1
        + usize::from(p.opts.stdin)
        + usize::from(p.opts.stdout)
        + usize::from(p.opts.stderr)
        + usize::from(p.opts.tty);
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut early: Vec<Frame> = Vec::new();
    let send = |f: Vec<u8>| Message::Binary(f.into());
    // Phase 1: the client's streams (bounded wait).
    let collected = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while ids.len() < expected {
            match source.next().await {
                Some(Ok(Message::Binary(b))) => buf.extend_from_slice(&b),
                _ => return false,
            }
            loop {
                match framer.next(&mut buf) {
                    Ok(Some(Frame::SynStream { id, headers, .. })) => {
                        if sink.send(send(framer.syn_reply(id))).await.is_err() {
                            return false;
                        }
                        let t = headers
                            .iter()
                            .find(|(n, _)| n == "streamtype")
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default();
                        ids.insert(t, id);
                    }
                    Ok(Some(Frame::Ping(id))) => {
                        if sink.send(send(ping(id))).await.is_err() {
                            return false;
                        }
                    }
                    Ok(Some(f)) => early.push(f),
                    Ok(None) => break,
                    Err(_) => return false,
                }
            }
        }
        true
    })
    .await;
    if collected != Ok(true) {
        return;
    }
    let id = |t: &str| ids.get(t).copied();
    let (stdin_id, stdout_id, stderr_id, error_id, resize_id) = (
        id("stdin"),
        id("stdout"),
        id("stderr"),
        id("error"),
        id("resize"),
    );
    let started = super::exec::start(p, streams);
    let mut process = started.process;
    let mut stdin_tx = started.stdin;
    let mut out_rx = started.out;
    let size_tx = started.size;
    let shutdown = super::stopped(p.shutdown.clone());
    tokio::pin!(shutdown);
    let mut outcome: Option<Outcome> = None;
    let mut out_open = true;
    let mut pending: Vec<Frame> = early;
    let mut pending_stdin: Option<Bytes> = None;
    let mut stdin_fin = false;
    loop {
        if outcome.is_some() && !out_open {
            break;
        }
        // Frames already read are handled before reading more (but not
        // while a stdin chunk waits for room: output keeps flowing).
        let frame = if pending_stdin.is_some() {
            None
        } else if !pending.is_empty() {
            Some(pending.remove(0))
        } else {
            match framer.next(&mut buf) {
                Ok(f) => f,
                Err(_) => return,
            }
        };
        if let Some(frame) = frame {
            match frame {
                Frame::Data { id, fin, data } if Some(id) == stdin_id => {
                    if stdin_tx.is_some() && !data.is_empty() {
                        pending_stdin = Some(Bytes::from(data));
                    }
                    stdin_fin |= fin;
                }
                Frame::Data { id, data, .. } if Some(id) == resize_id => {
                    for v in serde_json::Deserializer::from_slice(&data)
                        .into_iter::<serde_json::Value>()
                        .flatten()
                    {
                        let w = v.get("Width").and_then(|x| x.as_u64()).unwrap_or(0) as u16;
                        let h = v.get("Height").and_then(|x| x.as_u64()).unwrap_or(0) as u16;
                        let _ = size_tx.send(Some((w, h)));
                    }
                }
                Frame::Rst(id) if Some(id) == stdin_id => stdin_tx = None,
                Frame::Ping(id) if sink.send(send(ping(id))).await.is_err() => return,
                Frame::GoAway => return,
                _ => {}
            }
            continue;
        }
        if stdin_tx.is_none() {
            pending_stdin = None;
        }
        if pending_stdin.is_none() && stdin_fin {
            stdin_tx = None;
        }
        let reserve_tx = if pending_stdin.is_some() {
            stdin_tx.clone()
        } else {
            None
        };
        tokio::select! {
            permit = async { match &reserve_tx { Some(t) => t.reserve().await, None => std::future::pending().await } }, if reserve_tx.is_some() => {
                match permit {
                    Ok(permit) => permit.send(pending_stdin.take().unwrap_or_default()),
                    Err(_) => { pending_stdin = None; stdin_tx = None; }
                }
            }
            m = source.next(), if pending_stdin.is_none() => match m {
                Some(Ok(Message::Binary(b))) => buf.extend_from_slice(&b),
                _ => return,
            },
            o = out_rx.recv(), if out_open => match o {
                Some(o) => {
                    let (sid, d) = match o {
                        Output::Stdout(d) => (stdout_id, d),
                        Output::Stderr(d) if p.opts.tty => (stdout_id, d),
                        Output::Stderr(d) => (stderr_id, d),
                    };
                    let d = if p.opts.tty { crlf(&d) } else { d.to_vec() };
                    if let Some(sid) = sid {
                        if sink.send(send(data(sid, false, &d))).await.is_err() {
                            return;
                        }
                    }
                }
                None => out_open = false,
            },
            r = &mut process, if outcome.is_none() => outcome = Some(r),
            _ = &mut shutdown => return,
        }
    }
    let outcome = outcome.unwrap_or(Outcome::Exit(0));
    if let (Some(status), Some(eid)) = (super::exec::status_for(p, &outcome, started.seq), error_id)
    {
        let bytes = if p.proto.json_status {
            super::errors::status_json(&status)
        } else {
            super::errors::v1_text(&status).into_bytes()
        };
        if sink.send(send(data(eid, false, &bytes))).await.is_err() {
            return;
        }
    }
    for sid in [stdout_id, stderr_id, error_id].into_iter().flatten() {
        if sink.send(send(data(sid, true, &[]))).await.is_err() {
            return;
        }
    }
    // The client closes the connection once it has read everything
    // (bounded wait).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(_)) = source.next().await {}
    })
    .await;
}

fn crlf(d: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(d.len() + 8);
    for &b in d {
        if b == b'\n' {
            v.push(b'\r');
        }
        v.push(b);
    }
    v
}

/// Plain SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version:
/// portforward.k8s.io`: kubectl's fallback and client-go before 1.30): the
/// same session over the raw upgraded connection, each read a message.
pub(crate) async fn run_raw<IO>(io: IO, p: &Prepared, streams: &Arc<Streams>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sink, source) = raw_halves(io);
    session(sink, source, p, streams).await
}

async fn session<Si, St>(mut sink: Si, mut source: St, p: &Prepared, streams: &Arc<Streams>)
where
    Si: futures::Sink<Message> + Unpin,
    St: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut framer = Framer::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut pairs: HashMap<String, Pair> = HashMap::new();
    let mut by_stream: HashMap<u32, String> = HashMap::new();
    let (back_tx, mut back_rx) = mpsc::channel::<Back>(32);
    let mut tasks = tokio::task::JoinSet::new();
    let shutdown = super::stopped(p.shutdown.clone());
    tokio::pin!(shutdown);
    let send = |f: Vec<u8>| Message::Binary(f.into());
    'session: loop {
        tokio::select! {
            msg = source.next() => {
                match msg {
                    Some(Ok(Message::Binary(b))) => buf.extend_from_slice(&b),
                    Some(Ok(Message::Ping(_))) => { let _ = sink.flush().await; continue; }
                    Some(Ok(Message::Text(_))) => {
                        close(&mut sink, CloseCode::Unsupported, "binary frames only").await;
                        break;
                    }
                    Some(Ok(_)) => continue,
                    None | Some(Err(_)) => break,
                }
                loop {
                    let frame = match framer.next(&mut buf) {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(why) => {
                            tracing::debug!("spdy: {why}");
                            close(&mut sink, CloseCode::Protocol, "spdy protocol error").await;
                            break 'session;
                        }
                    };
                    match frame {
                        Frame::SynStream { id, headers, .. } => {
                            let h = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
                            if sink.send(send(framer.syn_reply(id))).await.is_err() {
                                break 'session;
                            }
                            let req = h("requestid");
                            let port: u16 = h("port").parse().unwrap_or(0);
                            let pair = pairs.entry(req.clone()).or_default();
                            pair.port = port;
                            match h("streamtype").as_str() {
                                "error" => pair.error = Some(id),
                                "data" => pair.data = Some(id),
                                _ => {}
                            }
                            by_stream.insert(id, req.clone());
                            if let (Some(data_id), None) = (pair.data, pair.input.as_ref()) {
                                let (in_tx, in_rx) = mpsc::channel::<Bytes>(16);
                                pair.input = Some(in_tx);
                                let back = back_tx.clone();
                                let error_id = pair.error;
                                match super::portforward::listener_for(streams, &p.pod, port) {
                                    Some(l) => { tasks.spawn(serve(l, data_id, error_id, in_rx, back)); }
                                    None => {
                                        let text = super::portforward::refused(port, &p.pod.uid);
                                        let _ = back.send(Back::Error(data_id, error_id, text)).await;
                                    }
                                }
                            }
                        }
                        Frame::Data { id, fin, data } => {
                            if let Some(pair) = by_stream.get(&id).and_then(|r| pairs.get_mut(r)) {
                                if pair.data == Some(id) {
                                    if let Some(tx) = &pair.input {
                                        if !data.is_empty() {
                                            let _ = tx.send(Bytes::from(data)).await;
                                        }
                                    }
                                    if fin {
                                        pair.input = None;
                                    }
                                }
                            }
                        }
                        Frame::Rst(id) => {
                            if let Some(pair) = by_stream.get(&id).and_then(|r| pairs.get_mut(r)) {
                                pair.input = None;
                            }
                        }
                        Frame::Ping(id) => {
                            if sink.send(send(ping(id))).await.is_err() {
                                break 'session;
                            }
                        }
                        Frame::GoAway => break 'session,
                        Frame::Other => {}
                    }
                }
            }
            b = back_rx.recv() => {
                let frames = match b {
                    Some(Back::Data(id, d)) => vec![data(id, false, &d)],
                    Some(Back::End(id, err)) => {
                        let mut v = vec![data(id, true, &[])];
                        if let Some(e) = err { v.push(data(e, true, &[])); }
                        v
                    }
                    Some(Back::Error(id, err, text)) => {
                        let mut v = Vec::new();
                        if let Some(e) = err { v.push(data(e, false, text.as_bytes())); v.push(data(e, true, &[])); }
                        v.push(data(id, true, &[]));
                        v
                    }
                    None => continue,
                };
                for f in frames {
                    if sink.send(send(f)).await.is_err() {
                        break 'session;
                    }
                }
            }
            _ = &mut shutdown => {
                close(&mut sink, CloseCode::Away, "").await;
                break;
            }
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

async fn serve(
    l: Listener,
    data_id: u32,
    error_id: Option<u32>,
    input: mpsc::Receiver<Bytes>,
    back: mpsc::Sender<Back>,
) {
    let (out_tx, mut out_rx) = mpsc::channel::<(u8, Bytes)>(16);
    let listener = super::portforward::serve_port(l, 0, input, out_tx);
    let forward = async {
        while let Some((ch, d)) = out_rx.recv().await {
            let msg = if ch == 0 {
                Back::Data(data_id, d)
            } else {
                Back::Error(data_id, error_id, String::from_utf8_lossy(&d).into_owned())
            };
            if back.send(msg).await.is_err() {
                return;
            }
        }
    };
    tokio::join!(listener, forward);
    let _ = back.send(Back::End(data_id, error_id)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_is_spdy3s() {
        assert_eq!(DICTIONARY.len(), 1423);
        assert_eq!(&DICTIONARY[4..11], b"options");
    }

    #[test]
    fn frames_round_trip_through_a_dictionary_compressor() {
        // A client-side compressor with the dictionary, as spdystream's.
        let mut c = Compress::new(Compression::default(), true);
        c.set_dictionary(DICTIONARY).unwrap();
        let mut raw = Vec::new();
        let hs = [("streamtype", "data"), ("port", "80"), ("requestid", "0")];
        raw.extend_from_slice(&(hs.len() as u32).to_be_bytes());
        for (k, v) in hs {
            raw.extend_from_slice(&(k.len() as u32).to_be_bytes());
            raw.extend_from_slice(k.as_bytes());
            raw.extend_from_slice(&(v.len() as u32).to_be_bytes());
            raw.extend_from_slice(v.as_bytes());
        }
        let mut block = Vec::with_capacity(512);
        c.compress_vec(&raw, &mut block, FlushCompress::Sync)
            .unwrap();
        let mut payload = 3u32.to_be_bytes().to_vec();
        payload.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        payload.extend_from_slice(&block);
        let mut buf = control(SYN_STREAM, 0, &payload);
        buf.extend_from_slice(&data(3, true, b"hi"));
        buf.extend_from_slice(&ping(7));
        let mut f = Framer::default();
        assert_eq!(
            f.next(&mut buf).unwrap(),
            Some(Frame::SynStream {
                id: 3,
                fin: false,
                headers: hs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
        );
        assert_eq!(
            f.next(&mut buf).unwrap(),
            Some(Frame::Data {
                id: 3,
                fin: true,
                data: b"hi".to_vec()
            })
        );
        assert_eq!(f.next(&mut buf).unwrap(), Some(Frame::Ping(7)));
        assert_eq!(f.next(&mut buf).unwrap(), None);
        // Our SYN_REPLY inflates with a plain zlib reader.
        let reply = f.syn_reply(3);
        let mut d = Decompress::new(true);
        let mut out = Vec::with_capacity(64);
        d.decompress_vec(&reply[12..], &mut out, FlushDecompress::Sync)
            .unwrap();
        assert_eq!(out, vec![0, 0, 0, 0]);
        // Garbage is an error, not a panic.
        let mut bad = control(SYN_STREAM, 0, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        assert!(Framer::default().next(&mut bad).is_err());
    }
}
