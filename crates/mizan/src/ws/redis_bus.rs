//! The bus over Redis pub/sub (feature `redis`): a mutation on one instance reaches the
//! subscribers connected to every other.
//!
//! Every event is published to one Redis channel as JSON; every instance subscribes to it
//! and hands what arrives (its own events included) to its connections, so all instances
//! see the events in the same order. After the subscription was lost and re-established,
//! each connection is told to resync (what was published meanwhile is unknown).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tokio::sync::{broadcast, mpsc};

use super::bus::{BACKLOG, Bus, BusEvent};

/// How many events may wait for Redis before new ones are dropped (and logged).
const OUTBOX: usize = 4096;

/// The bus shared by every instance connected to one Redis. Create it inside the tokio
/// runtime: it runs a publisher and a subscriber task.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let bus = mizan::ws::RedisBus::connect("redis://127.0.0.1:6379/").await?;
/// let ws = mizan::ws::WebSocket::new().bus(bus);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBus {
    outbox: mpsc::Sender<BusEvent>,
    local: broadcast::Sender<Arc<BusEvent>>,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus").finish_non_exhaustive()
    }
}

impl RedisBus {
    /// Connects to the Redis at `url` on the channel `mizan:bus`.
    pub async fn connect(url: &str) -> redis::RedisResult<Self> {
        Self::connect_on(url, "mizan:bus").await
    }

    /// Connects on a channel of your choice (one per application sharing a Redis).
    pub async fn connect_on(url: &str, channel: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let publisher = ConnectionManager::new_with_config(client.clone(), config).await?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        let (outbox, queue) = mpsc::channel(OUTBOX);
        let local = broadcast::channel(BACKLOG).0;
        tokio::spawn(publish(publisher, queue, channel.to_owned()));
        tokio::spawn(listen(client, pubsub, channel.to_owned(), local.clone()));
        Ok(Self { outbox, local })
    }
}

impl Bus for RedisBus {
    fn publish(&self, event: BusEvent) {
        if self.outbox.try_send(event).is_err() {
            tracing::error!("the Redis bus is not keeping up; an event was dropped");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.local.subscribe()
    }
}

async fn publish(
    mut redis: ConnectionManager,
    mut queue: mpsc::Receiver<BusEvent>,
    channel: String,
) {
    while let Some(event) = queue.recv().await {
        let Ok(text) = serde_json::to_string(&event) else {
            continue;
        };
        if let Err(error) = redis.publish::<_, _, ()>(&channel, text).await {
            tracing::error!(%error, "publishing on the Redis bus failed; an event was lost");
        }
    }
}

async fn listen(
    client: redis::Client,
    mut pubsub: redis::aio::PubSub,
    channel: String,
    local: broadcast::Sender<Arc<BusEvent>>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Ok(text) = message.get_payload::<String>() else {
                    continue;
                };
                match serde_json::from_str::<BusEvent>(&text) {
                    Ok(event) => {
                        let _ = local.send(Arc::new(event));
                    }
                    Err(error) => tracing::warn!(%error, "an unreadable event on the Redis bus"),
                }
            }
        }
        // The subscription was lost: reconnect with backoff, then make every client
        // refetch what it shows, since events may have been missed meanwhile.
        tracing::warn!("the Redis bus subscription was lost; reconnecting");
        let mut delay = Duration::from_millis(100);
        pubsub = loop {
            tokio::time::sleep(delay).await;
            if let Ok(mut p) = client.get_async_pubsub().await
                && p.subscribe(&channel).await.is_ok()
            {
                break p;
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        };
        let _ = local.send(Arc::new(BusEvent::Resync));
    }
}
