//! `pods/portforward` over WebSocket, as the kubelet's streaming server
//! serves it (`cri-streaming/pkg/streaming/portforward/websocket.go`):
//! ports from the `ports` query parameter; per port a data channel (2i)
//! and an error channel (2i+1), each opened by a frame carrying the port
//! as a little-endian uint16. Behind each port, the script's listener:
//! echo, a fixed HTTP response, or (opt-in) a host TCP address.
//!
//! `kubectl port-forward` (1.30+) tunnels SPDY inside a WebSocket
//! (`SPDY/3.1+portforward.k8s.io`), which kubemock does not serve: clients
//! that speak the channel protocol (the Python client's `portforward`,
//! client libraries) work.

use super::channel::{self, Incoming, Protocol};
use super::exec::{close, send_frame, Prepared};
use super::script::Listener;
use super::{errors, Streams};
use crate::api::query::RawQuery;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// `NewV4Options`: the ports (repeated `ports`, each comma-separated).
pub fn parse_ports(q: &RawQuery) -> Result<Vec<u16>, String> {
    let values = q.get_all("ports");
    if values.is_empty() {
        return Err(errors::PORT_REQUIRED.to_string());
    }
    let mut ports = Vec::new();
    for v in values {
        if v.is_empty() {
            return Err("query parameter \"port\" cannot be empty".to_string());
        }
        for p in v.split(',') {
            match p.parse::<u16>() {
                Ok(0) => return Err(format!("port {v:?} must be > 0")),
                Ok(n) => ports.push(n),
                Err(_) => return Err(errors::bad_port(v)),
            }
        }
    }
    Ok(ports)
}

/// The kubelet's error-channel text when nothing listens on a port
/// (UNVERIFIED: containerd's text, shortened).
pub(crate) fn refused(port: u16, uid: &str) -> String {
    format!(
        "error forwarding port {port} to pod {uid}, uid : failed to connect to localhost:{port} inside namespace: connection refused"
    )
}

/// The listener the script puts on a pod port. A port-forward names no
/// container: any entry selecting the pod (namespace, name, labels) may
/// declare the port.
pub(crate) fn listener_for(streams: &Streams, pod: &super::PodView, port: u16) -> Option<Listener> {
    let script = streams.script();
    let found = script
        .containers
        .iter()
        .filter(|e| {
            e.selector
                .namespace
                .as_deref()
                .is_none_or(|n| n == pod.namespace)
                && e.selector
                    .pod
                    .as_deref()
                    .is_none_or(|g| super::script::glob_match(g, &pod.name))
                && e.selector
                    .labels
                    .iter()
                    .all(|(k, v)| pod.labels.get(k).and_then(|x| x.as_str()) == Some(v.as_str()))
        })
        .flat_map(|e| e.ports.iter())
        .find(|r| r.port == port)
        .map(|r| r.listener.clone());
    found
}

/// One port-forward session.
pub(crate) async fn run<S>(ws: S, p: &Prepared, streams: &Arc<Streams>)
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures::Sink<Message>
        + Unpin,
{
    let proto: Protocol = p.proto;
    let (mut sink, mut source) = ws.split();
    // Frames from listeners to the client: (channel, bytes).
    let (out_tx, mut out_rx) = mpsc::channel::<(u8, Bytes)>(32);
    let mut inputs: Vec<Option<mpsc::Sender<Bytes>>> = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, &port) in p.ports.iter().enumerate() {
        let data_ch = (2 * i) as u8;
        let port_bytes = port.to_le_bytes();
        if !send_frame(&mut sink, &proto, data_ch, &port_bytes).await
            || !send_frame(&mut sink, &proto, data_ch + 1, &port_bytes).await
        {
            return;
        }
        let (in_tx, in_rx) = mpsc::channel::<Bytes>(16);
        inputs.push(Some(in_tx));
        let out = out_tx.clone();
        match listener_for(streams, &p.pod, port) {
            Some(l) => {
                tasks.spawn(serve_port(l, data_ch, in_rx, out));
            }
            None => {
                let _ = out
                    .send((data_ch + 1, Bytes::from(refused(port, &p.pod.uid))))
                    .await;
            }
        }
    }
    drop(out_tx);
    let shutdown = super::stopped(p.shutdown.clone());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            msg = source.next() => {
                let data = match msg {
                    Some(Ok(Message::Binary(b))) => b.to_vec(),
                    Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
                    Some(Ok(Message::Ping(_))) => { let _ = sink.flush().await; continue; }
                    Some(Ok(Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                };
                match channel::decode(&proto, &data) {
                    Incoming::Data(ch, d) if ch % 2 == 0 && !d.is_empty() => {
                        if let Some(Some(tx)) = inputs.get((ch / 2) as usize) {
                            // A listener that stopped reading loses input.
                            let _ = tokio::time::timeout(Duration::from_secs(30), tx.send(d.into())).await;
                        }
                    }
                    Incoming::Invalid(why) => {
                        close(&mut sink, CloseCode::Protocol, why).await;
                        break;
                    }
                    _ => {}
                }
            }
            o = out_rx.recv() => match o {
                Some((ch, d)) => if !send_frame(&mut sink, &proto, ch, &d).await { break },
                None => {
                    // Every listener ended (or none exists): the kubelet
                    // keeps the connection until the client closes it.
                    std::future::pending::<()>().await;
                }
            },
            _ = &mut shutdown => {
                close(&mut sink, CloseCode::Away, "").await;
                break;
            }
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

fn reason(code: u16) -> &'static str {
    http::StatusCode::from_u16(code)
        .ok()
        .and_then(|c| c.canonical_reason())
        .unwrap_or("Unknown")
}

pub(crate) async fn serve_port(
    l: Listener,
    ch: u8,
    mut input: mpsc::Receiver<Bytes>,
    out: mpsc::Sender<(u8, Bytes)>,
) {
    match l {
        Listener::Echo => {
            while let Some(d) = input.recv().await {
                if out.send((ch, d)).await.is_err() {
                    return;
                }
            }
        }
        Listener::Http { status, body } => {
            let mut buf: Vec<u8> = Vec::new();
            while let Some(d) = input.recv().await {
                buf.extend_from_slice(&d);
                // One answer per request head (bodies are not expected).
                while let Some(end) = find(&buf, b"\r\n\r\n") {
                    buf.drain(..end + 4);
                    let resp = format!(
                        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
                        reason(status),
                        body.len()
                    );
                    if out.send((ch, Bytes::from(resp))).await.is_err() {
                        return;
                    }
                }
                if buf.len() > 64 * 1024 {
                    return;
                }
            }
        }
        Listener::Tcp(addr) => {
            let conn = match tokio::net::TcpStream::connect(&addr).await {
                Ok(c) => c,
                Err(e) => {
                    let _ = out
                        .send((
                            ch + 1,
                            Bytes::from(format!("failed to connect to {addr}: {e}")),
                        ))
                        .await;
                    return;
                }
            };
            let (mut r, mut w) = conn.into_split();
            let up = async {
                while let Some(d) = input.recv().await {
                    if w.write_all(&d).await.is_err() {
                        break;
                    }
                }
                let _ = w.shutdown().await;
            };
            let down = async {
                let mut b = vec![0u8; 32 * 1024];
                loop {
                    match r.read(&mut b).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if out
                                .send((ch, Bytes::copy_from_slice(&b[..n])))
                                .await
                                .is_err()
                            {
                                break;
                            }
                        }
                    }
                }
            };
            tokio::join!(up, down);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_like_the_kubelet() {
        let q = RawQuery::parse("ports=80,8080&ports=9");
        assert_eq!(parse_ports(&q).unwrap(), vec![80, 8080, 9]);
        assert_eq!(
            parse_ports(&RawQuery::parse("")).unwrap_err(),
            errors::PORT_REQUIRED
        );
        assert!(parse_ports(&RawQuery::parse("ports=x"))
            .unwrap_err()
            .contains("unable to parse"));
        assert!(parse_ports(&RawQuery::parse("ports=0"))
            .unwrap_err()
            .contains("must be > 0"));
    }
}
