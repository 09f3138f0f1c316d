//! [`WebSocket`]: the channel's limits, its bus and its custom channels.

use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::bus::{Bus, InProcessBus};
use super::channel::{Channel, ChannelRule};
use crate::auth::Identity;

/// The WebSocket channel's configuration, for
/// [`Builder::websocket`](crate::Builder::websocket).
///
/// The defaults: messages up to 64 KiB (larger ones close the connection with 1009), 64
/// queued outgoing messages per connection (a client that stops reading is disconnected),
/// a 60 s idle timeout with a server ping every 20 s, 256 subscriptions and 16 calls in
/// flight per connection, and the in-process bus.
#[derive(Clone)]
pub struct WebSocket {
    pub(crate) max_message: usize,
    pub(crate) write_queue: usize,
    pub(crate) send_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) heartbeat: Duration,
    pub(crate) max_subscriptions: usize,
    pub(crate) max_calls: usize,
    pub(crate) bus: Arc<dyn Bus>,
    pub(crate) channels: Vec<ChannelRule>,
    /// Mistakes in the channel list (a name given twice, `client_publish` for a channel
    /// that was not added, an invalid name): `build()` fails with them.
    pub(crate) problems: Vec<String>,
}

impl WebSocket {
    /// The defaults above.
    pub fn new() -> Self {
        Self {
            max_message: 64 << 10,
            write_queue: 64,
            send_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            heartbeat: Duration::from_secs(20),
            max_subscriptions: 256,
            max_calls: 16,
            bus: Arc::new(InProcessBus::new()),
            channels: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The largest message (and frame) a client may send, in bytes; a larger one closes the
    /// connection with code 1009.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message = bytes;
        self
    }

    /// How many outgoing messages may wait for a client; a client that lets more pile up
    /// (it stopped reading) is disconnected, so its memory stays bounded.
    #[must_use]
    pub fn write_queue(mut self, messages: usize) -> Self {
        self.write_queue = messages.max(1);
        self
    }

    /// A connection that receives nothing (no message, no pong) for this long is closed
    /// with 1001. Servers ping every [`heartbeat`](Self::heartbeat).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How often the server pings each connection (default 20 s).
    #[must_use]
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every.max(Duration::from_millis(10));
        self
    }

    /// The most subscriptions (contexts and channels) one connection may hold.
    #[must_use]
    pub fn max_subscriptions(mut self, count: usize) -> Self {
        self.max_subscriptions = count;
        self
    }

    /// The most calls one connection may have running at once.
    #[must_use]
    pub fn max_calls(mut self, count: usize) -> Self {
        self.max_calls = count.max(1);
        self
    }

    /// Carries invalidations and channel messages between instances (default: this
    /// process only). With several instances use [`RedisBus`](super::RedisBus).
    #[must_use]
    pub fn bus(mut self, bus: impl Bus) -> Self {
        self.bus = Arc::new(bus);
        self
    }

    /// Serves a custom channel; `subscribe` decides who may subscribe (refused: 401 for an
    /// anonymous caller, 403 otherwise). Only the server publishes, with
    /// [`Cx::publish`](crate::Cx::publish), unless [`client_publish`](Self::client_publish)
    /// allows clients too.
    #[must_use]
    pub fn channel<T>(
        mut self,
        channel: &Channel<T>,
        subscribe: impl Fn(Option<&Identity>) -> bool + Send + Sync + 'static,
    ) -> Self
    where
        T: Serialize + DeserializeOwned + JsonSchema + 'static,
    {
        let name = channel.name();
        if !crate::valid_name(name) {
            self.problems.push(format!(
                "channel name {name:?} is not a wire name ([A-Za-z0-9_-]{{1,64}})"
            ));
        } else if self.channels.iter().any(|c| c.name == name) {
            self.problems
                .push(format!("channel `{name}` is added twice"));
        } else {
            self.channels
                .push(ChannelRule::new(channel, Arc::new(subscribe)));
        }
        self
    }

    /// Lets clients publish on a channel added with [`channel`](Self::channel), when
    /// `publish` accepts them. Their payload must decode as the channel's type.
    #[must_use]
    pub fn client_publish<T>(
        mut self,
        channel: &Channel<T>,
        publish: impl Fn(Option<&Identity>) -> bool + Send + Sync + 'static,
    ) -> Self {
        match self.channels.iter_mut().find(|c| c.name == channel.name()) {
            Some(rule) => rule.publish = Some(Arc::new(publish)),
            None => self.problems.push(format!(
                "client_publish names channel `{}`, which was not added with .channel() before it",
                channel.name()
            )),
        }
        self
    }
}

impl Default for WebSocket {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("max_message", &self.max_message)
            .field("write_queue", &self.write_queue)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_subscriptions", &self.max_subscriptions)
            .field(
                "channels",
                &self.channels.iter().map(|c| c.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
