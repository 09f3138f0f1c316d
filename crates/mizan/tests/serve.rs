//! `mizan::serve` over real TCP: every deadline cuts off the client it is for, the
//! connection cap holds without letting abusers starve others, and graceful shutdown ends
//! the server.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(configure: impl FnOnce(mizan::Server) -> mizan::Server) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let router = Router::new().route("/", get(|| async { "hello" }));
    let server = configure(mizan::serve(listener, router));
    let addr = server.local_addr().expect("addr");
    tokio::spawn(async move { server.await });
    addr
}

async fn request(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 1024];
    let n = stream.read(&mut buf).await.expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn serves_requests() {
    let addr = start(|s| s).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let response = request(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("hello"), "{response}");
}

#[tokio::test]
async fn a_slow_request_head_is_cut_off() {
    let addr = start(|s| s.header_read_timeout(Duration::from_millis(200))).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: te")
        .await
        .expect("write");
    // A slowloris client never finishes its head; the server must close on it. Without
    // the deadline this read would wait forever (and the outer timeout would fail).
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server kept a half-sent request open");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}

#[tokio::test]
async fn the_connection_cap_holds_further_connections_back() {
    let addr = start(|s| s.max_connections(1)).await;
    let mut first = TcpStream::connect(addr).await.expect("connect");
    assert!(request(&mut first).await.contains("200 OK"));

    let mut second = TcpStream::connect(addr).await.expect("connect");
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 1024];
    let waited = tokio::time::timeout(Duration::from_millis(300), second.read(&mut buf)).await;
    assert!(
        waited.is_err(),
        "a second connection was served while the cap was full"
    );

    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(20), second.read(&mut buf))
        .await
        .expect("served once the first connection closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("200 OK"));
}

#[tokio::test]
async fn graceful_shutdown_ends_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = mizan::serve(listener, Router::new()).with_graceful_shutdown(async move {
        let _ = rx.await;
    });
    let handle = tokio::spawn(async move { server.await });
    let _ = tx.send(());
    let ended = tokio::time::timeout(Duration::from_secs(20), handle).await;
    assert!(matches!(ended, Ok(Ok(Ok(())))));
}

// --- Deadlines -------------------------------------------------------------------------
//
// Deadlines in these tests are a few hundred milliseconds; assertions allow seconds, so a
// loaded machine cannot make them flaky, while a missing deadline (an endless wait) still
// fails them through the outer timeouts.

const SHORT: Duration = Duration::from_millis(250);
const OUTER: Duration = Duration::from_secs(20);

fn deadline_router() -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/echo", post(|body: String| async move { body }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "too late"
            }),
        )
}

async fn start_with(
    configure: impl FnOnce(mizan::Server) -> mizan::Server,
) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = configure(mizan::serve(listener, deadline_router()));
    let addr = server.local_addr().expect("addr");
    tokio::spawn(async move { server.await });
    addr
}

/// Reads until the server closes the connection; how long that took, and what was sent.
async fn until_closed(stream: &mut TcpStream) -> (Duration, String) {
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(OUTER, async {
        // A reset instead of a FIN also counts as closed.
        let _ = stream.read_to_end(&mut buf).await;
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    (
        started.elapsed(),
        String::from_utf8_lossy(&buf).into_owned(),
    )
}

/// Writes `bytes` one at a time, `gap` apart, until the server stops taking them.
fn trickle(mut stream: TcpStream, bytes: &'static [u8], gap: Duration) {
    tokio::spawn(async move {
        for b in bytes.iter().cycle() {
            if stream.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
    });
}

/// One `GET /` on a fresh connection: how long until `200 OK` arrived.
async fn served_in(addr: std::net::SocketAddr) -> Duration {
    let started = Instant::now();
    let served = tokio::time::timeout(OUTER, async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        request(&mut stream).await
    })
    .await
    .expect("a normal client was not served");
    assert!(served.starts_with("HTTP/1.1 200 OK"), "{served}");
    started.elapsed()
}

fn error_code(response: &str) -> String {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect(response);
    json["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_silent_socket_is_closed_and_frees_its_slot() {
    let addr = start_with(|s| s.max_connections(1).first_byte_timeout(SHORT)).await;
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    // The reproduction: with one slot, a silent socket used to block the next
    // request forever.
    let waited = served_in(addr).await;
    assert!(waited < SHORT + Duration::from_secs(3), "{waited:?}");
    let (_, sent) = until_closed(&mut silent).await;
    assert!(sent.is_empty(), "{sent}");
}

#[tokio::test]
async fn a_trickled_http2_preface_is_cut_off() {
    let addr = start_with(|s| s.first_byte_timeout(SHORT).idle_timeout(None)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"PRI * HTTP/2.0\r\n")
        .await
        .expect("write");
    let (took, _) = until_closed(&mut stream).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn an_idle_http1_connection_is_closed() {
    let addr = start_with(|s| {
        s.idle_timeout(SHORT)
            .header_read_timeout(Duration::from_secs(30))
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    assert!(request(&mut stream).await.contains("200 OK"));
    // Kept alive, then idle: closed after the idle timeout, long before the head timeout.
    let (took, _) = until_closed(&mut stream).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed() {
    let addr = start_with(|s| s.idle_timeout(SHORT)).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    let connection = tokio::spawn(connection);
    let req = http::Request::get(format!("http://{addr}/"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    let res = send.send_request(req).await.expect("response");
    assert_eq!(res.status(), 200);
    drop(res);

    let started = Instant::now();
    let ended = tokio::time::timeout(OUTER, connection).await;
    assert!(ended.is_ok(), "the server kept an idle HTTP/2 connection");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_http2_peer_that_stops_answering_pings_is_closed() {
    let addr = start_with(|s| {
        s.idle_timeout(None)
            .http2_keep_alive_interval(SHORT)
            .http2_keep_alive_timeout(SHORT)
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The preface and an empty SETTINGS frame, then nothing: no acks, no pongs.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .expect("write");
    let (took, _) = until_closed(&mut stream).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn a_trickled_body_gets_408() {
    let addr = start_with(|s| s.body_read_timeout(SHORT)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\nab")
        .await
        .expect("write");
    // A byte every 50 ms: always some progress, never the whole body.
    let (mut reader, writer) = stream.into_split();
    tokio::spawn(async move {
        let mut writer = writer;
        while writer.write_all(b"x").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(OUTER, async {
        let _ = reader.read_to_end(&mut buf).await;
    })
    .await;
    assert!(read.is_ok(), "a trickled body kept its connection");
    let response = String::from_utf8_lossy(&buf);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.to_ascii_lowercase().contains("connection: close"));
    assert_eq!(error_code(&response), "body_timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_slow_handler_gets_503() {
    let addr = start_with(|s| s.request_timeout(SHORT)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(OUTER, stream.read(&mut buf))
        .await
        .expect("the slow handler was never cut off")
        .expect("read");
    let response = String::from_utf8_lossy(&buf[..n]);
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert_eq!(error_code(&response), "timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The connection stays usable.
    assert!(request(&mut stream).await.contains("200 OK"));
}

#[tokio::test]
async fn abusive_clients_do_not_starve_a_normal_one() {
    const CAP: usize = 4;
    let addr = start_with(|s| {
        s.max_connections(CAP)
            .first_byte_timeout(SHORT)
            .header_read_timeout(SHORT)
            .body_read_timeout(SHORT)
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..2 * CAP {
        silent.push(TcpStream::connect(addr).await.expect("connect"));
    }
    for _ in 0..2 {
        let slow_head = TcpStream::connect(addr).await.expect("connect");
        trickle(
            slow_head,
            b"GET / HTTP/1.1\r\nX-Slow: ",
            Duration::from_millis(50),
        );
        let mut slow_body = TcpStream::connect(addr).await.expect("connect");
        slow_body
            .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n")
            .await
            .expect("write");
        trickle(slow_body, b"x", Duration::from_millis(50));
    }
    // 12 abusers ahead of us in the backlog, 4 slots, each abuser holding one for about
    // one deadline: three rounds of SHORT, then we are served.
    let waited = served_in(addr).await;
    let rounds = (2 * CAP + 4).div_ceil(CAP) as u32;
    assert!(
        waited < SHORT * rounds + Duration::from_secs(3),
        "served after {waited:?}"
    );
    drop(silent);
}
