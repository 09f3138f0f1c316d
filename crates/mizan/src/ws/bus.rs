//! The invalidation bus: every invalidation and channel message is published here, and
//! every connection of every instance listens.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::invalidation::Invalidation;

/// How many events a slow connection may fall behind before it is told to refetch
/// everything (`{"type":"resync"}`) instead.
pub(crate) const BACKLOG: usize = 1024;

/// One event on the bus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BusEvent {
    /// A successful call (or a query at run time) invalidated these.
    Invalidate {
        /// The function (or context) that produced the list.
        source: String,
        /// The caller's identity id: an invalidation of a private context reaches only the
        /// connections of this identity. `None` for an anonymous caller.
        caller: Option<String>,
        /// The normalized list.
        invalidate: Vec<Invalidation>,
    },
    /// A message on a custom channel.
    Message {
        /// The channel's name.
        channel: String,
        /// The payload, as the channel's type serialized it.
        payload: Value,
    },
    /// Events may have been lost (the bus reconnected to Redis): every connection tells its
    /// client to refetch what it shows.
    Resync,
}

/// Carries events to every connection of every instance. [`InProcessBus`] (the default)
/// reaches the connections of this process; [`RedisBus`](super::RedisBus) (feature
/// `redis`) those of every process sharing a Redis.
pub trait Bus: Send + Sync + 'static {
    /// Publishes an event without waiting (called from the request path); a bus that
    /// cannot deliver it logs why.
    fn publish(&self, event: BusEvent);

    /// A receiver of every event published from now on, by any instance.
    fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>>;
}

/// The default bus: the connections of this process only.
#[derive(Clone, Debug)]
pub struct InProcessBus {
    sender: broadcast::Sender<Arc<BusEvent>>,
}

impl InProcessBus {
    /// A bus for one process.
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus for InProcessBus {
    fn publish(&self, event: BusEvent) {
        // No receiver (no connection) is not an error.
        let _ = self.sender.send(Arc::new(event));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.sender.subscribe()
    }
}
