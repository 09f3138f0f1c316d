//! The WebSocket channel over real sockets: pushed invalidations from HTTP and WebSocket
//! calls, calls, private subscriptions, guards, custom channels, the limits and the
//! security checks, and two instances sharing a real Redis (feature `redis`).

mod build;
mod limits;
mod push;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
use mizan_test_redis as redis_server;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mizan::ws::{Channel, WebSocket};
use mizan::{BearerTokens, Cx, Identity, Mizan, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mizan::context!(pub(crate) TODOS = "todos");
mizan::context!(pub(crate) MINE = "mine");

/// A line on the `notes` channel.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Note {
    pub(crate) text: String,
}

pub(crate) static NOTES: Channel<Note> = Channel::new("notes");

#[mizan::client(context = TODOS)]
async fn todo_list(project: i64) -> mizan::Result<Vec<String>> {
    Ok(vec![format!("todo of {project}")])
}

#[mizan::client(context = MINE, auth = true)]
async fn my_notes(cx: &Cx) -> mizan::Result<String> {
    Ok(cx.user()?.id.clone())
}

#[mizan::client(auth = true, websocket = true, affects = [TODOS], affects_params = |a, _| params! { project: a.project })]
async fn add_todo(project: i64, title: String) -> mizan::Result<String> {
    let _ = project;
    Ok(title)
}

#[mizan::client(auth = true, affects = [MINE])]
async fn add_note() -> mizan::Result<()> {
    Ok(())
}

/// Publishes `count` notes of `size` bytes.
#[mizan::client(websocket = true)]
async fn shout(cx: &Cx, count: u32, size: usize) -> mizan::Result<()> {
    for _ in 0..count {
        cx.publish(
            &NOTES,
            &Note {
                text: "x".repeat(size),
            },
        )?;
    }
    Ok(())
}

#[mizan::client(affects = [TODOS])]
async fn not_live() -> mizan::Result<()> {
    Ok(())
}

pub(crate) fn tokens() -> BearerTokens {
    BearerTokens::new()
        .token("alice-token", Identity::user("alice"))
        .token("bob-token", Identity::user("bob"))
}

pub(crate) fn config() -> WebSocket {
    WebSocket::new()
        .channel(&NOTES, |who| who.is_some())
        .client_publish(&NOTES, |who| who.is_some_and(|i| i.id == "alice"))
}

/// Serves an API with the WebSocket channel on a free port.
pub(crate) async fn serve(ws: WebSocket) -> SocketAddr {
    let api = Mizan::builder()
        .functions(mizan::functions![
            todo_list, my_notes, add_todo, add_note, shout, not_live
        ])
        .identity(tokens())
        .websocket(ws)
        .build()
        .expect("the API builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(mizan::serve(listener, api.router()).into_future());
    addr
}

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects as `token`'s user (`None`: anonymous) with an optional `Origin`.
pub(crate) async fn try_connect(
    addr: SocketAddr,
    token: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}/api/mizan/ws/")
        .into_client_request()
        .expect("a request");
    if let Some(token) = token {
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("a header"),
        );
    }
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("a header"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

pub(crate) async fn connect(addr: SocketAddr, token: Option<&str>) -> Ws {
    try_connect(addr, token, None).await.expect("connects")
}

pub(crate) async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string()))
        .await
        .expect("sends");
}

/// The next JSON message (pings skipped); panics after 5 s.
pub(crate) async fn next(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("the connection is open")
            .expect("a frame");
        match frame {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Whether nothing but pings arrives within `ms`.
pub(crate) async fn silent(ws: &mut Ws, ms: u64) -> bool {
    loop {
        match tokio::time::timeout(Duration::from_millis(ms), ws.next()).await {
            Err(_) => return true,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(_) => return false,
        }
    }
}

/// Sends a request and returns the reply (the next message).
pub(crate) async fn ask(ws: &mut Ws, message: Value) -> Value {
    send(ws, message).await;
    next(ws).await
}

pub(crate) async fn subscribe(ws: &mut Ws, id: &str, context: &str, params: Value) -> Value {
    ask(
        ws,
        json!({"type": "subscribe", "id": id, "context": context, "params": params}),
    )
    .await
}

/// `POST /api/mizan/call/{function}/` over HTTP as `token`'s user.
pub(crate) async fn http_call(addr: SocketAddr, token: &str, function: &str, args: Value) -> Value {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let body = args.to_string();
    let request = format!(
        "POST /api/mizan/call/{function}/ HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .expect("writes");
    let mut response = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut response)
        .await
        .expect("reads");
    let text = String::from_utf8_lossy(&response);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or(Value::Null)
}
