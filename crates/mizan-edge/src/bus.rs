//! The origins' Redis bus: `invalidate` events purge, `resync` and every (re)connection
//! purge everything (an event may have been missed while disconnected).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use mizan_protocol::invalidation::Invalidation;
use serde::Deserialize;

use crate::metrics::inc;
use crate::proxy::Shared;

/// One bus event; other kinds (`message`) are ignored.
#[derive(Deserialize)]
struct Event {
    kind: String,
    #[serde(default)]
    invalidate: Vec<Invalidation>,
}

/// Applies one bus payload.
pub(crate) fn apply(shared: &Shared, payload: &[u8]) {
    inc(&shared.metrics.bus_events);
    match serde_json::from_slice::<Event>(payload) {
        Ok(event) if event.kind == "invalidate" => shared.purge(&event.invalidate),
        Ok(event) if event.kind == "resync" => shared.purge_all(),
        Ok(_) => {}
        Err(e) => {
            // An event that does not parse may have been an invalidation.
            tracing::warn!(error = %e, "a bus event did not parse; purging everything");
            shared.purge_all();
        }
    }
}

/// Subscribes for ever, reconnecting with backoff.
pub(crate) async fn run(shared: Arc<Shared>, client: redis::Client, channel: String) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    inc(&shared.metrics.bus_reconnects);
                    shared.purge_all();
                    tracing::info!(channel, "subscribed to the bus");
                    backoff = Duration::from_millis(100);
                    let mut stream = pubsub.on_message();
                    while let Some(msg) = stream.next().await {
                        apply(&shared, msg.get_payload_bytes());
                    }
                    tracing::warn!("the bus connection closed");
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to the bus"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect to the bus"),
        }
        // Purge again: events published while disconnected are lost.
        shared.purge_all();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
