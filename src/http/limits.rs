//! Request and connection limits of kube-apiserver's HTTP server, as data:
//! the request body limit (`MaxRequestBodyBytes`, enforced by
//! `limitedReadBody` in `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go`),
//! the `http.Server` and `http2.Server` settings of
//! `staging/src/k8s.io/apiserver/pkg/server/secure_serving.go`, and the
//! constants of Go's `net/http` that decide what happens to a body the
//! handler did not read and how accept errors are retried.
//!
//! UNVERIFIED: every value here is taken from the Go source (Kubernetes 1.36,
//! Go 1.24 `net/http`), not from a recording of a real server.

use crate::meta::Status;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::time::Duration;

/// `MaxRequestBodyBytes` (server/config.go: `3 * 1024 * 1024`).
pub const MAX_REQUEST_BODY_BYTES: u64 = 3 * 1024 * 1024;

/// `http.Server.MaxHeaderBytes` (secure_serving.go: `1 << 20`).
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Go reads headers up to `MaxHeaderBytes + 4096` (`initialReadLimitSize`,
/// the "bufio slack").
pub const HEADER_READ_LIMIT: usize = MAX_HEADER_BYTES + 4096;

/// Headers per HTTP/1 request. Go has no count limit (only the byte limit
/// above); hyper needs one and allocates it per parse, so kubemock allows
/// 4096 (Go's byte limit would allow ~200,000 minimal headers). Not Go's.
pub const MAX_HEADERS: usize = 4096;

/// The unread part of a request body Go discards after the handler
/// answered, so the connection can be reused (`maxPostHandlerReadBytes`).
/// More than this, and the response carries `Connection: close`.
pub const MAX_POST_HANDLER_READ_BYTES: u64 = 256 << 10;

/// How long Go keeps a connection half-closed after a response that
/// left request body unread, so the client reads the response before the
/// reset (`rstAvoidanceDelay`).
pub const RST_AVOIDANCE_DELAY: Duration = Duration::from_millis(500);

/// `http.Server.ReadHeaderTimeout` (secure_serving.go: 32 s, "just shy of
/// requestTimeoutUpperBound"). Also the TLS handshake timeout
/// (`tlsHandshakeTimeout` takes the smallest of the read timeouts).
pub const READ_HEADER_TIMEOUT: Duration = Duration::from_secs(32);

/// `http.Server.IdleTimeout` and `http2.Server.IdleTimeout` (90 s,
/// "matches http.DefaultTransport keep-alive timeout").
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// `http2.Server.MaxConcurrentStreams` when `--http2-max-streams-per-connection`
/// is 0 (kube-apiserver's default).
pub const H2_MAX_CONCURRENT_STREAMS: u32 = 100;

/// `http2.Server.MaxUploadBufferPerStream` and `MaxReadFrameSize`
/// (`resourceBody99Percentile`, 256 KiB).
pub const H2_STREAM_BUFFER: u32 = 256 * 1024;

/// `http2.Server.MaxUploadBufferPerConnection`: per-stream buffer × streams.
pub const H2_CONNECTION_BUFFER: u32 = H2_STREAM_BUFFER * H2_MAX_CONCURRENT_STREAMS;

/// SETTINGS_MAX_HEADER_LIST_SIZE Go's http2 server advertises:
/// `MaxHeaderBytes + 32*10` (`http2ServerConn.maxHeaderListSize`).
pub const H2_MAX_HEADER_LIST_SIZE: u32 = MAX_HEADER_BYTES as u32 + 320;

/// First sleep after a temporary accept error (`Server.Serve`: 5 ms,
/// doubled per consecutive error).
pub const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(5);

/// Longest sleep after accept errors (`Server.Serve`: 1 s).
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The connection timeouts a server applies; the defaults are
/// kube-apiserver's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionTimeouts {
    /// From accepting a connection (TLS handshake included), or from the
    /// first byte of a later request, to the end of its headers.
    pub read_header: Duration,
    /// A keep-alive connection with no request in flight is closed after
    /// this long (HTTP/2: with no open stream; the connection gets GOAWAY).
    pub idle: Duration,
}

impl Default for ConnectionTimeouts {
    fn default() -> Self {
        ConnectionTimeouts {
            read_header: READ_HEADER_TIMEOUT,
            idle: IDLE_TIMEOUT,
        }
    }
}

/// The next accept backoff after `previous` (`None`: the first error).
pub fn next_accept_backoff(previous: Option<Duration>) -> Duration {
    match previous {
        None => ACCEPT_BACKOFF_FIRST,
        Some(d) => (d * 2).min(ACCEPT_BACKOFF_MAX),
    }
}

/// `errors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", limit))`.
pub fn request_entity_too_large(limit: u64) -> Status {
    Status::failure(
        413,
        "RequestEntityTooLarge",
        format!("Request entity too large: limit is {limit}"),
    )
}

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// More than the limit (declared or sent).
    TooLarge,
    /// The client's stream failed (reset, bad chunking, gone).
    Read(String),
}

/// Reads a request body as `limitedReadBody` does: a body of exactly
/// `limit` bytes is accepted, one byte more is refused. A declared
/// `Content-Length` over the limit is refused before anything is read
/// (Go reads `limit + 1` bytes first; the answer is the same 413), and a
/// chunked body stops being read at the limit, so nothing larger than
/// `limit` is ever buffered.
pub async fn read_body<B>(body: B, limit: u64) -> Result<Bytes, BodyError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if body.size_hint().lower() > limit {
        return Err(BodyError::TooLarge);
    }
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, cap).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};

    #[test]
    fn backoff_doubles_to_one_second() {
        let mut d = None;
        let mut seen = Vec::new();
        for _ in 0..10 {
            let next = next_accept_backoff(d);
            seen.push(next.as_millis());
            d = Some(next);
        }
        assert_eq!(seen, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    }

    #[test]
    fn too_large_status_text() {
        let s = request_entity_too_large(MAX_REQUEST_BODY_BYTES).to_value();
        assert_eq!(s["code"], 413);
        assert_eq!(s["reason"], "RequestEntityTooLarge");
        assert_eq!(s["message"], "Request entity too large: limit is 3145728");
    }

    #[tokio::test]
    async fn limit_is_inclusive() {
        let exact = Full::new(Bytes::from(vec![b'x'; 10]));
        assert_eq!(read_body(exact, 10).await.map(|b| b.len()).ok(), Some(10));
        let over = Full::new(Bytes::from(vec![b'x'; 11]));
        assert!(matches!(
            read_body(over, 10).await,
            Err(BodyError::TooLarge)
        ));
        // A body of unknown length is cut at the limit.
        let chunks =
            futures::stream::iter((0..4).map(|_| {
                Ok::<_, std::io::Error>(http_body::Frame::data(Bytes::from_static(b"abcd")))
            }));
        assert!(matches!(
            read_body(StreamBody::new(chunks), 10).await,
            Err(BodyError::TooLarge)
        ));
    }
}
