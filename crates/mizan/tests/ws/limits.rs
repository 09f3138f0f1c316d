//! The limits and the security checks: message size, a client that never reads, idle
//! connections, the subscription cap, Origin, malformed and binary messages.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::{ask, config, connect, next, serve, subscribe, try_connect};

/// The close frame the server ends with (pings and other messages skipped).
async fn close_code(ws: &mut crate::Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => return None,
            Err(_) => panic!("the server did not close within 5 s"),
        }
    }
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    let addr = serve(config().max_message_size(1024)).await;
    let mut ws = connect(addr, None).await;
    let big = json!({"type": "ping", "pad": "x".repeat(2048)}).to_string();
    ws.send(Message::text(big)).await.expect("sends");
    assert_eq!(close_code(&mut ws).await, Some(1009));
}

#[tokio::test]
async fn binary_and_malformed_messages() {
    let addr = serve(config()).await;
    let mut ws = connect(addr, None).await;
    let bad = ask(&mut ws, json!(["not", "an", "object"])).await;
    assert_eq!(bad["type"], json!("error"));
    assert_eq!(bad["id"], json!(null));
    assert_eq!(bad["error"]["code"], json!("bad_request"));
    ws.send(Message::text("{\"type\":\"ping\",\"type\":\"ping\"}"))
        .await
        .expect("sends");
    let duplicate = next(&mut ws).await;
    assert!(
        duplicate["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("duplicate key")),
        "{duplicate}"
    );
    let unknown = ask(&mut ws, json!({"type": "shout", "id": "1"})).await;
    assert_eq!(unknown["id"], json!("1"));
    assert!(unknown["error"]["fields"]["type"].is_array());
    let long_id = ask(
        &mut ws,
        json!({"type": "unsubscribe", "id": "x".repeat(65)}),
    )
    .await;
    assert!(long_id["error"]["fields"]["id"].is_array());
    ws.send(Message::binary(vec![1, 2, 3]))
        .await
        .expect("sends");
    assert_eq!(
        close_code(&mut ws).await,
        Some(u16::from(CloseCode::Unsupported))
    );
}

#[tokio::test]
async fn a_client_that_never_reads_is_disconnected() {
    let addr = serve(config().write_queue(8)).await;
    let mut slow = connect(addr, Some("bob-token")).await;
    let reply = ask(
        &mut slow,
        json!({"type": "subscribe", "id": "n", "channel": "notes"}),
    )
    .await;
    assert_eq!(reply["type"], json!("subscribed"));
    // 400 messages of 64 KiB: far more than the socket buffers and the queue hold.
    let mut alice = connect(addr, Some("alice-token")).await;
    let done = ask(
        &mut alice,
        json!({"type": "call", "id": "c", "fn": "shout", "args": {"count": 400, "size": 65536}}),
    )
    .await;
    assert_eq!(done["type"], json!("result"), "{done}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Reading now: what was buffered arrives, then the connection ends early.
    let mut received = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), slow.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => received += 1,
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the stalled connection was not closed"),
        }
    }
    assert!(
        received < 400,
        "the server stopped sending ({received} of 400 arrived)"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_with_1001() {
    let addr = serve(
        config()
            .heartbeat(Duration::from_millis(50))
            .idle_timeout(Duration::from_millis(300)),
    )
    .await;
    let mut ws = connect(addr, None).await;
    // Not reading: the pings go unanswered.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(close_code(&mut ws).await, Some(1001));
}

#[tokio::test]
async fn the_subscription_cap_holds() {
    let addr = serve(config().max_subscriptions(2)).await;
    let mut ws = connect(addr, None).await;
    subscribe(&mut ws, "1", "todos", json!({"project": 1})).await;
    let again = subscribe(&mut ws, "1", "todos", json!({"project": 2})).await;
    assert!(
        again["error"]["fields"]["id"].is_array(),
        "ids are unique: {again}"
    );
    subscribe(&mut ws, "2", "todos", json!({"project": 2})).await;
    let third = subscribe(&mut ws, "3", "todos", json!({"project": 3})).await;
    assert_eq!(third["error"]["code"], json!("too_many_subscriptions"));
}

#[tokio::test]
async fn an_evil_origin_is_refused_before_the_upgrade() {
    let addr = serve(config()).await;
    let refused = try_connect(addr, Some("bob-token"), Some("https://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("expected a 403, got {:?}", other.map(|_| ())),
    }
    let own = format!("http://{addr}");
    assert!(
        try_connect(addr, None, Some(&own)).await.is_ok(),
        "the site's own origin"
    );
    let bad_token = try_connect(addr, Some("forged"), None).await;
    assert!(matches!(
        bad_token,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401
    ));
}
