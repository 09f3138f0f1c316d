//! Pushed invalidations, calls, private subscriptions, guards and custom channels.

use serde_json::json;

use crate::{ask, config, connect, http_call, next, send, serve, silent, subscribe};

#[tokio::test]
async fn a_mutation_over_http_is_pushed_to_the_subscribers_it_hits() {
    let addr = serve(config()).await;
    let mut bob = connect(addr, Some("bob-token")).await;
    assert_eq!(
        subscribe(&mut bob, "s1", "todos", json!({"project": 1})).await,
        json!({"type": "subscribed", "id": "s1"})
    );
    let mut other = connect(addr, None).await;
    subscribe(&mut other, "s1", "todos", json!({"project": 2})).await;

    let answer = http_call(
        addr,
        "alice-token",
        "add_todo",
        json!({"project": 1, "title": "a"}),
    )
    .await;
    assert_eq!(answer["result"], json!("a"));
    assert_eq!(
        next(&mut bob).await,
        json!({"type": "invalidate", "source": "add_todo",
               "invalidate": [{"context": "todos", "params": {"project": 1}}]})
    );
    assert!(silent(&mut other, 200).await, "project 2 is not hit");
}

#[tokio::test]
async fn a_websocket_call_answers_with_its_result_and_pushes_to_others() {
    let addr = serve(config()).await;
    let mut alice = connect(addr, Some("alice-token")).await;
    let mut bob = connect(addr, Some("bob-token")).await;
    let subscribed = subscribe(&mut bob, "t", "todos", json!({"project": 3})).await;
    assert_eq!(subscribed["type"], json!("subscribed"));
    let reply = ask(
        &mut alice,
        json!({"type": "call", "id": "c1", "fn": "add_todo", "args": {"project": 3, "title": "b"}}),
    )
    .await;
    assert_eq!(
        reply,
        json!({"type": "result", "id": "c1", "result": "b",
               "invalidate": [{"context": "todos", "params": {"project": 3}}]})
    );
    assert_eq!(next(&mut bob).await["source"], json!("add_todo"));

    // Only `websocket = true` functions; guards and arguments as over HTTP.
    let refused = ask(
        &mut alice,
        json!({"type": "call", "id": "c2", "fn": "not_live"}),
    )
    .await;
    assert_eq!(refused["id"], json!("c2"));
    assert_eq!(refused["error"]["code"], json!("not_found"));
    let mut anonymous = connect(addr, None).await;
    let guarded = ask(
        &mut anonymous,
        json!({"type": "call", "id": "c3", "fn": "add_todo", "args": {"project": 3, "title": "b"}}),
    )
    .await;
    assert_eq!(guarded["error"]["code"], json!("unauthorized"));
    let bad = ask(
        &mut alice,
        json!({"type": "call", "id": "c4", "fn": "add_todo", "args": {"project": "3", "title": "b", "x": 1}}),
    )
    .await;
    assert_eq!(bad["error"]["code"], json!("bad_request"));
    assert!(bad["error"]["fields"]["x"].is_array(), "{bad}");
}

#[tokio::test]
async fn a_private_context_hears_only_its_own_identity() {
    let addr = serve(config()).await;
    let mut alice = connect(addr, Some("alice-token")).await;
    let mut bob = connect(addr, Some("bob-token")).await;
    subscribe(&mut alice, "m", "mine", json!({})).await;
    subscribe(&mut bob, "m", "mine", json!({})).await;
    http_call(addr, "alice-token", "add_note", json!({})).await;
    assert_eq!(next(&mut alice).await["invalidate"], json!(["mine"]));
    assert!(
        silent(&mut bob, 200).await,
        "bob never hears of alice's private data"
    );
}

#[tokio::test]
async fn subscriptions_pass_the_guards_and_the_parameter_checks() {
    let addr = serve(config()).await;
    let mut anonymous = connect(addr, None).await;
    let refused = subscribe(&mut anonymous, "m", "mine", json!({})).await;
    assert_eq!(
        refused,
        json!({"type": "error", "id": "m",
               "error": {"code": "unauthorized", "message": "authentication required"}})
    );
    let unknown = subscribe(&mut anonymous, "u", "nope", json!({})).await;
    assert_eq!(unknown["error"]["code"], json!("not_found"));
    let missing = subscribe(&mut anonymous, "p", "todos", json!({"project": "1"})).await;
    assert!(
        missing["error"]["fields"]["project"].is_array(),
        "{missing}"
    );
    let extra = subscribe(&mut anonymous, "p", "todos", json!({"zzz": 1})).await;
    assert!(extra["error"]["fields"]["params.zzz"].is_array(), "{extra}");
    // A refused subscription hears nothing.
    http_call(addr, "alice-token", "add_note", json!({})).await;
    assert!(silent(&mut anonymous, 200).await);
}

#[tokio::test]
async fn custom_channels_authorize_subscribers_and_publishers() {
    let addr = serve(config()).await;
    let mut bob = connect(addr, Some("bob-token")).await;
    let mut alice = connect(addr, Some("alice-token")).await;
    let mut anonymous = connect(addr, None).await;
    for ws in [&mut bob, &mut alice] {
        assert_eq!(
            ask(
                ws,
                json!({"type": "subscribe", "id": "n", "channel": "notes"})
            )
            .await["type"],
            json!("subscribed")
        );
    }
    let refused = ask(
        &mut anonymous,
        json!({"type": "subscribe", "id": "n", "channel": "notes"}),
    )
    .await;
    assert_eq!(refused["error"]["code"], json!("unauthorized"));

    // The server publishes with cx.publish …
    let reply = ask(
        &mut alice,
        json!({"type": "call", "id": "c", "fn": "shout", "args": {"count": 1, "size": 2}}),
    )
    .await;
    let message = json!({"type": "message", "channel": "notes", "payload": {"text": "xx"}});
    let alice_got = [reply, next(&mut alice).await];
    assert!(alice_got.contains(&message), "{alice_got:?}");
    assert!(
        alice_got.iter().any(|m| m["type"] == "result"),
        "{alice_got:?}"
    );
    assert_eq!(next(&mut bob).await, message);

    // … and alice may, bob may not, and payloads must decode as the channel's type.
    let denied = ask(
        &mut bob,
        json!({"type": "publish", "id": "p", "channel": "notes", "payload": {"text": "b"}}),
    )
    .await;
    assert_eq!(denied["error"]["code"], json!("forbidden"));
    let malformed = ask(
        &mut alice,
        json!({"type": "publish", "id": "p", "channel": "notes", "payload": {"text": 5}}),
    )
    .await;
    assert!(
        malformed["error"]["fields"]["payload.text"].is_array(),
        "{malformed}"
    );
    send(
        &mut alice,
        json!({"type": "publish", "id": "p", "channel": "notes", "payload": {"text": "hi"}}),
    )
    .await;
    let expected = json!({"type": "message", "channel": "notes", "payload": {"text": "hi"}});
    assert_eq!(next(&mut bob).await, expected);
}

#[tokio::test]
async fn unsubscribing_stops_the_pushes_and_pings_are_answered() {
    let addr = serve(config()).await;
    let mut bob = connect(addr, Some("bob-token")).await;
    subscribe(&mut bob, "s", "todos", json!({"project": 1})).await;
    assert_eq!(
        ask(&mut bob, json!({"type": "unsubscribe", "id": "s"})).await,
        json!({"type": "unsubscribed", "id": "s"})
    );
    http_call(
        addr,
        "alice-token",
        "add_todo",
        json!({"project": 1, "title": "a"}),
    )
    .await;
    assert!(silent(&mut bob, 200).await);
    assert_eq!(
        ask(&mut bob, json!({"type": "ping"})).await,
        json!({"type": "pong"})
    );
}
