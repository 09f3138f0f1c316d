//! Two instances sharing a real Redis: a mutation on one reaches a client of the other.

use mizan::ws::RedisBus;
use serde_json::json;

use crate::redis_server::Redis;
use crate::{config, connect, http_call, next, serve, subscribe};

#[tokio::test]
async fn a_mutation_on_one_instance_reaches_a_client_of_the_other() {
    let redis = Redis::start();
    let channel = format!(
        "mizan-test:bus:{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let bus = |url: String, channel: String| async move {
        RedisBus::connect_on(&url, &channel).await.expect("Redis")
    };
    let one = serve(config().bus(bus(redis.url.clone(), channel.clone()).await)).await;
    let two = serve(config().bus(bus(redis.url.clone(), channel.clone()).await)).await;
    let mut bob = connect(two, Some("bob-token")).await;
    subscribe(&mut bob, "s", "todos", json!({"project": 7})).await;
    let mut notes = connect(two, Some("bob-token")).await;
    crate::ask(
        &mut notes,
        json!({"type": "subscribe", "id": "n", "channel": "notes"}),
    )
    .await;

    http_call(
        one,
        "alice-token",
        "add_todo",
        json!({"project": 7, "title": "a"}),
    )
    .await;
    assert_eq!(
        next(&mut bob).await,
        json!({"type": "invalidate", "source": "add_todo",
               "invalidate": [{"context": "todos", "params": {"project": 7}}]})
    );
    http_call(one, "alice-token", "shout", json!({"count": 1, "size": 1})).await;
    assert_eq!(next(&mut notes).await["payload"], json!({"text": "x"}));
}
