//! `cx.publish(&CHANNEL, &payload)`: a server-side message on a custom channel.

use std::sync::Arc;

use serde::Serialize;

use super::Hub;
use super::bus::BusEvent;
use super::channel::Channel;
use crate::cx::Cx;
use crate::error::{Error, Result};

impl Cx {
    /// Publishes `payload` on `channel` to every subscriber the channel's predicate let in,
    /// on every instance sharing the bus. Fails (500, logged) when the API serves no
    /// WebSocket channel or not this channel, or when the payload does not serialize.
    pub fn publish<T: Serialize>(&self, channel: &Channel<T>, payload: &T) -> Result<()> {
        let hub = self.state::<Arc<Hub>>().map_err(|_| {
            Error::internal(format!(
                "cx.publish on channel `{}`: the API serves no WebSocket channel (mizan::Builder::websocket)",
                channel.name()
            ))
        })?;
        if !hub.channels.contains_key(channel.name()) {
            return Err(Error::internal(format!(
                "cx.publish on channel `{}`, which was not added with WebSocket::channel",
                channel.name()
            )));
        }
        let payload = serde_json::to_value(payload).map_err(Error::internal)?;
        hub.bus().publish(BusEvent::Message {
            channel: channel.name().to_owned(),
            payload,
        });
        Ok(())
    }
}
