//! `mizan::serve` over real TCP: slow request heads are cut off, the connection cap
//! holds, and graceful shutdown ends the server.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
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
