//! Request and connection limits as kube-apiserver's (issue 14): the 3 MiB
//! body limit answered with the real 413 before the body is buffered, a
//! pooled keep-alive client that keeps working after an early 401, idle
//! and slowloris connections closed on the server's timeouts, many idle
//! connections that do not stop a normal request, and an accept loop that
//! backs off at the fd limit instead of spinning. Real HTTP over TCP.

use kubemock::http::limits::{ConnectionTimeouts, MAX_REQUEST_BODY_BYTES};
use kubemock::{MockServer, TlsMode};
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: usize = MAX_REQUEST_BODY_BYTES as usize;

async fn plain(timeouts: ConnectionTimeouts) -> MockServer {
    MockServer::builder()
        .tls(TlsMode::InsecureHttp)
        .connection_timeouts(timeouts)
        .start()
        .await
        .expect("start")
}

fn short() -> ConnectionTimeouts {
    ConnectionTimeouts {
        read_header: Duration::from_secs(1),
        idle: Duration::from_secs(2),
    }
}

/// Creates configmap `name` in `default` and returns its JSON.
async fn seed(server: &MockServer, client: &reqwest::Client, name: &str) -> serde_json::Value {
    let url = format!("{}/api/v1/namespaces/default/configmaps", server.url());
    let mut rb = client.post(url).json(&serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name}, "data": {"k": "v"}
    }));
    if let Some(t) = server.token() {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.expect("seed");
    assert_eq!(r.status(), 201, "seeding {name}");
    r.json().await.expect("seed json")
}

/// The stored configmap is still exactly `seeded`.
async fn assert_intact(server: &MockServer, client: &reqwest::Client, seeded: &serde_json::Value) {
    let name = seeded["metadata"]["name"].as_str().expect("name");
    let url = format!(
        "{}/api/v1/namespaces/default/configmaps/{name}",
        server.url()
    );
    let mut rb = client.get(url);
    if let Some(t) = server.token() {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.expect("server answers");
    assert_eq!(r.status(), 200);
    let now: serde_json::Value = r.json().await.expect("json");
    assert_eq!(&now, seeded);
}

/// One response read off a raw connection: status, lower-cased head, body.
struct Raw {
    status: u16,
    head: String,
    body: Vec<u8>,
}

async fn read_response(s: &mut (impl AsyncRead + Unpin)) -> Raw {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.expect("read response");
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head[9..12].parse().expect("status code");
    let len: Option<usize> = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("content-length"));
    let mut body = buf[head_end..].to_vec();
    let Some(len) = len else {
        // Go's plain-text error answers: the body ends with the connection.
        assert!(head.contains("connection: close"), "{head}");
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        return Raw { status, head, body };
    };
    while body.len() < len {
        let n = s.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Raw { status, head, body }
}

fn assert_413(r: &Raw) {
    assert_eq!(r.status, 413, "{}", r.head);
    let status: serde_json::Value = serde_json::from_slice(&r.body).expect("Status JSON");
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "RequestEntityTooLarge");
    assert_eq!(
        status["message"],
        "Request entity too large: limit is 3145728"
    );
    // The rest of the body was never read: the connection is not reused.
    assert!(r.head.contains("connection: close"), "{}", r.head);
}

/// Waits (bounded) until the peer closes; returns when it did.
async fn closed_within(s: &mut TcpStream, bound: Duration) -> Option<Instant> {
    let mut chunk = [0u8; 1024];
    let deadline = Instant::now() + bound;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(Instant::now()),
            Ok(Ok(_)) => {}
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn declared_length_over_the_limit_is_refused_before_the_body() {
    let server = plain(Default::default()).await;
    let client = reqwest::Client::new();
    let seeded = seed(&server, &client, "seed").await;
    let mut s = TcpStream::connect(server.address()).await.expect("connect");
    // Headers only: the answer must come without the body being sent.
    let head = format!(
        "POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        LIMIT + 1
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let r = tokio::time::timeout(Duration::from_secs(20), read_response(&mut s))
        .await
        .expect("413 before the body was sent");
    assert_413(&r);
    // Exactly the limit is accepted (`limitedReadBody` refuses limit + 1).
    let mut exact = serde_json::to_vec(&serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "exact"}
    }))
    .expect("json");
    exact.resize(LIMIT, b' ');
    let r = client
        .post(format!(
            "{}/api/v1/namespaces/default/configmaps",
            server.url()
        ))
        .header("content-type", "application/json")
        .body(exact)
        .send()
        .await
        .expect("exact-limit body");
    assert_eq!(r.status(), 201, "a body of exactly 3 MiB is not refused");
    assert_intact(&server, &client, &seeded).await;
}

#[tokio::test]
async fn chunked_body_is_cut_at_the_limit() {
    let server = plain(Default::default()).await;
    let client = reqwest::Client::new();
    let seeded = seed(&server, &client, "seed").await;
    let s = TcpStream::connect(server.address()).await.expect("connect");
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        let head = "PUT /api/v1/namespaces/default/configmaps/seed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        wr.write_all(head.as_bytes()).await?;
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
        // 8 MiB in all unless the server stops reading first.
        for _ in 0..128 {
            wr.write_all(chunk.as_bytes()).await?;
        }
        wr.write_all(b"0\r\n\r\n").await?;
        Ok::<_, std::io::Error>(())
    });
    let r = tokio::time::timeout(Duration::from_secs(30), read_response(&mut rd))
        .await
        .expect("answer to an endless chunked body");
    assert_413(&r);
    writer.abort();
    assert_intact(&server, &client, &seeded).await;
}

/// A real client (reqwest over TLS with a token) sending 3 MiB + 1 gets
/// the 413 itself, not a broken pipe: the server half-closes and drains
/// before closing.
#[tokio::test]
async fn real_client_reads_the_413() {
    let env = crate::common::start().await;
    let client = crate::common::http_client(&env.server);
    let seeded = seed(&env.server, &client, "seed").await;
    let token = env.server.token().expect("token");
    for _ in 0..3 {
        let r = client
            .post(format!(
                "{}/api/v1/namespaces/default/configmaps",
                env.server.url()
            ))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(vec![b' '; LIMIT + 1])
            .send()
            .await
            .expect("the 413 is read");
        assert_eq!(r.status(), 413);
        let status: serde_json::Value = r.json().await.expect("Status");
        assert_eq!(status["reason"], "RequestEntityTooLarge");
    }
    assert_intact(&env.server, &client, &seeded).await;
}

/// A keep-alive HTTP/1.1 client whose request is refused before its body is
/// read keeps working: a small rest is drained (connection reused), a large
/// one gets `Connection: close` (the client opens a new one).
#[tokio::test]
async fn pooled_client_keeps_working_after_an_early_401() {
    let env = crate::common::start().await;
    let server = &env.server;
    let ca = server.ca_pem().expect("ca");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("ca"))
        .http1_only()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let url = format!("{}/api/v1/namespaces/default/configmaps", server.url());
    let token = server.token().expect("token");
    for (size, closes) in [(100 * 1024, false), (1024 * 1024, true), (10, false)] {
        for _ in 0..3 {
            let r = client
                .post(&url)
                .bearer_auth("wrong")
                .header("content-type", "application/json")
                .body(vec![b' '; size])
                .send()
                .await
                .expect("401 read");
            assert_eq!(r.status(), 401);
            let close = r
                .headers()
                .get("connection")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            assert_eq!(close, closes, "body of {size} bytes");
            r.bytes().await.expect("401 body");
            // The next request on the pool must not hit a dead connection.
            let r = client
                .get(&url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("pooled request after a {size}-byte 401: {e}"));
            assert_eq!(r.status(), 200);
            r.bytes().await.expect("list");
        }
    }
}

#[tokio::test]
async fn slowloris_is_cut_at_the_header_timeout() {
    let t = short();
    let server = plain(t).await;
    let client = reqwest::Client::new();
    let mut s = TcpStream::connect(server.address()).await.expect("connect");
    let start = Instant::now();
    s.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut closed = None;
    let mut lines = 0;
    while start.elapsed() < Duration::from_secs(30) {
        // One header line every 100 ms (the attack), never the blank line.
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut [0u8; 64])).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = Some(start.elapsed());
                break;
            }
            Ok(Ok(_)) => panic!("answer to an unfinished request"),
            Err(_) => {}
        }
        lines += 1;
        if s.write_all(format!("X-Drip-{lines}: y\r\n").as_bytes())
            .await
            .is_err()
        {
            closed = Some(start.elapsed());
            break;
        }
        if lines == 3 {
            // Normal requests are served meanwhile.
            let r = client
                .get(format!("{}/version", server.url()))
                .send()
                .await
                .expect("GET during slowloris");
            assert_eq!(r.status(), 200);
        }
    }
    let closed = closed.expect("slowloris connection closed within 30 s");
    eprintln!(
        "slowloris: closed after {closed:?} ({lines} header lines), read_header timeout {:?}",
        t.read_header
    );
    assert!(closed >= t.read_header, "closed before the header timeout");
}

#[tokio::test]
async fn idle_keep_alive_is_closed_after_the_idle_timeout() {
    let t = short();
    let server = plain(t).await;
    let mut s = TcpStream::connect(server.address()).await.expect("connect");
    // A fresh connection that says nothing: header timeout.
    let fresh_start = Instant::now();
    let mut fresh = TcpStream::connect(server.address()).await.expect("connect");
    // A served keep-alive connection: idle timeout from the end of the answer.
    s.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let r = read_response(&mut s).await;
    assert_eq!(r.status, 200);
    let idle_start = Instant::now();
    // Still open between requests shorter than the idle timeout.
    s.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    assert_eq!(read_response(&mut s).await.status, 200);
    let fresh_closed = closed_within(&mut fresh, Duration::from_secs(30))
        .await
        .expect("silent fresh connection closed");
    let idle_closed = closed_within(&mut s, Duration::from_secs(30))
        .await
        .expect("idle keep-alive connection closed");
    let fresh_after = fresh_closed - fresh_start;
    let idle_after = idle_closed - idle_start;
    eprintln!(
        "silent connection closed after {fresh_after:?} (read_header {:?}); idle keep-alive after {idle_after:?} (idle {:?})",
        t.read_header, t.idle
    );
    assert!(fresh_after >= t.read_header);
    assert!(idle_after >= t.idle);
}

/// The soft fd limit of this process.
fn nofile_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Helper run in a child process by `twenty_thousand_idle_connections`:
/// opens `KUBEMOCK_IDLE_HOLD="ADDR N"` connections, prints `ready N`, and
/// holds them until its stdin closes. Does nothing when run directly.
#[test]
#[ignore = "a helper process of twenty_thousand_idle_connections"]
fn idle_holder() {
    let Ok(spec) = std::env::var("KUBEMOCK_IDLE_HOLD") else {
        return;
    };
    let mut it = spec.split_whitespace();
    let addr: std::net::SocketAddr = it.next().expect("addr").parse().expect("addr");
    let n: usize = it.next().expect("n").parse().expect("n");
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        match std::net::TcpStream::connect(addr) {
            Ok(s) => held.push(s),
            Err(e) => panic!("connection {i}: {e}"),
        }
    }
    println!("ready {}", held.len());
    std::io::stdout().flush().expect("flush");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

#[tokio::test]
async fn twenty_thousand_idle_connections_do_not_stop_a_get() {
    if !std::path::Path::new("/proc/self/limits").exists() {
        eprintln!("skipped: needs Linux /proc");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_kubemock");
    // Long timeouts: opening the connections takes longer than the
    // 32 s header timeout on a slow machine with a debug build.
    let (server, _) = kubemock::bench::target::Spawned::start(
        bin.as_ref(),
        &[
            "--insecure-http",
            "--read-header-timeout",
            "600",
            "--idle-timeout",
            "600",
        ],
    )
    .expect("spawn kubemock serve");
    let addr: std::net::SocketAddr = server
        .endpoint
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    // The server holds one fd per connection plus its own few, and the
    // limit cannot be raised above the hard limit (children inherit ours).
    let limit = nofile_limit().unwrap_or(1024);
    let want = 20_000;
    let n = want.min(limit.saturating_sub(256));
    if n < want {
        eprintln!(
            "idle connections: {n} instead of {want}: the fd limit is {limit} (hard), and the server needs one fd per connection plus its own"
        );
    }
    // Held by two helper processes, so this test binary's fds stay free.
    let t0 = Instant::now();
    let mut holders = Vec::new();
    for part in [n / 2, n - n / 2] {
        let child = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args(["--ignored", "--exact", "limits::idle_holder", "--nocapture"])
            .env("KUBEMOCK_IDLE_HOLD", format!("{addr} {part}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("holder");
        holders.push(child);
    }
    let mut held = 0;
    for h in &mut holders {
        let out = h.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(out).lines().map_while(Result::ok);
        let line = lines
            .find(|l| l.starts_with("ready "))
            .unwrap_or_else(|| panic!("holder failed: {:?}", h.try_wait()));
        held += line[6..].trim().parse::<usize>().expect("count");
        // Keep reading: the holder's test harness prints after we are done.
        std::thread::spawn(move || lines.for_each(drop));
    }
    let opened = t0.elapsed();
    let fds = std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
        .map(|d| d.count())
        .unwrap_or(0);
    let client = server.endpoint.client().expect("client");
    let t1 = Instant::now();
    let r = server
        .endpoint
        .get(&client, "/api/v1/namespaces/default")
        .send()
        .await
        .expect("GET with idle connections open");
    let took = t1.elapsed();
    assert_eq!(r.status(), 200);
    let rss = server.rss_bytes().unwrap_or(0) >> 20;
    eprintln!(
        "idle connections: {held} held (opened in {opened:?}), server fds {fds}, RSS {rss} MiB, a GET took {took:?}"
    );
    assert_eq!(held, n);
    assert!(fds >= n, "server holds {fds} fds for {n} connections");
    // The server closes first, so the TIME_WAIT states are on its side and
    // do not hold this machine's ephemeral ports for later tests.
    drop(server);
    for mut h in holders {
        drop(h.stdin.take());
        let _ = h.wait();
    }
}

/// At the fd limit the accept loop sleeps 5 ms, doubling to 1 s, between
/// attempts (as Go's `Server.Serve`), instead of spinning and logging.
#[tokio::test]
async fn accept_loop_backs_off_at_the_fd_limit() {
    let Some(cpu0) = kubemock::bench::target::cpu_seconds(std::process::id()) else {
        eprintln!("skipped: needs Linux /proc");
        return;
    };
    let _ = cpu0;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("kubeconfig");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 48 && exec \"$0\" serve --insecure-http --kubeconfig \"$1\"")
        .arg(env!("CARGO_BIN_EXE_kubemock"))
        .arg(&kc)
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sh");
    let pid = child.id();
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, String)>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !kc.exists() {
        assert!(Instant::now() < deadline, "kubemock did not start");
        assert!(child.try_wait().expect("wait").is_none(), "kubemock exited");
        std::thread::sleep(Duration::from_millis(5));
    }
    let endpoint = kubemock::bench::target::Endpoint::from_kubeconfig(&kc).expect("kubeconfig");
    let addr: std::net::SocketAddr = endpoint
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    // More connections than the server has fds: the rest wait in the backlog.
    let held: Vec<std::net::TcpStream> = (0..80)
        .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
        .collect();
    // The accept errors logged: the first, then seven more after backoff.
    let mut errors = Vec::new();
    let mut cpu_at_first = None;
    while errors.len() < 8 {
        let (at, line) = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("accept errors logged");
        if line.contains("Accept error") {
            if errors.is_empty() {
                cpu_at_first = kubemock::bench::target::cpu_seconds(pid);
            }
            errors.push(at);
        }
    }
    let cpu =
        kubemock::bench::target::cpu_seconds(pid).unwrap_or(0.0) - cpu_at_first.unwrap_or(0.0);
    let wall = errors[7] - errors[0];
    eprintln!("at the fd limit: 8 accept errors over {wall:?}, server CPU {cpu:.2} s");
    // 5 + 10 + 20 + 40 + 80 + 160 + 320 ms between the first and the eighth.
    assert!(wall >= Duration::from_millis(600), "{wall:?}");
    assert!(cpu < wall.as_secs_f64() * 0.5, "CPU {cpu} s over {wall:?}");
    // Freed fds: the server serves again.
    drop(held);
    let client = endpoint.client().expect("client");
    let served = loop {
        if let Ok(r) = endpoint.get(&client, "/version").send().await {
            break r.status();
        }
        assert!(Instant::now() < deadline, "server did not recover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(served, 200);
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends `head` (a whole request head) on a fresh connection; the answer.
async fn raw_exchange(server: &MockServer, head: &[u8]) -> Raw {
    let mut s = TcpStream::connect(server.address()).await.expect("connect");
    // The server may answer (431, 414) and close before it has read all of
    // an oversized head: a failed write is fine, the answer is what counts.
    let _ = s.write_all(head).await;
    tokio::time::timeout(Duration::from_secs(30), read_response(&mut s))
        .await
        .expect("an answer")
}

fn get_with(target: &str, headers: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n").into_bytes()
}

/// Go reads heads up to 1 MiB (+4 KiB) with any number of headers; what
/// it refuses gets a plain-text answer, never an empty one.
#[tokio::test]
async fn large_heads_are_accepted_or_refused_with_a_body() {
    let server = plain(Default::default()).await;
    // 2,000 headers (hyper's default would refuse more than 100).
    let many: String = (0..2000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let r = raw_exchange(&server, &get_with("/version", &many)).await;
    assert_eq!(r.status, 200, "{}", r.head);
    // A 600 KiB header value: within MaxHeaderBytes.
    let big = format!("X-Big: {}\r\n", "v".repeat(600 * 1024));
    let r = raw_exchange(&server, &get_with("/version", &big)).await;
    assert_eq!(r.status, 200, "{}", r.head);
    // A 60 KiB target.
    let target = format!("/version?x={}", "a".repeat(60 * 1024));
    let r = raw_exchange(&server, &get_with(&target, "")).await;
    assert_eq!(r.status, 200, "{}", r.head);
    // Over the header limit: Go's 431, byte for byte.
    let huge = format!("X-Big: {}\r\n", "v".repeat(1100 * 1024));
    let r = raw_exchange(&server, &get_with("/version", &huge)).await;
    assert_eq!(r.status, 431, "{}", r.head);
    assert_eq!(r.body, b"431 Request Header Fields Too Large");
    assert!(r.head.contains("content-type: text/plain; charset=utf-8"));
    // A target over the `http` crate's 65,534 bytes (Go would serve it):
    // 414 with a body in Go's style.
    let target = format!("/version?x={}", "a".repeat(100 * 1024));
    let r = raw_exchange(&server, &get_with(&target, "")).await;
    assert_eq!(r.status, 414);
    assert_eq!(r.body, b"414 URI Too Long");
    // A malformed request: Go's 400.
    let r = raw_exchange(&server, b"GET /version HTTP/1.1\r\nBad Header\r\n\r\n").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, b"400 Bad Request");
    // The server is fine.
    let r = raw_exchange(&server, &get_with("/version", "")).await;
    assert_eq!(r.status, 200);
}
