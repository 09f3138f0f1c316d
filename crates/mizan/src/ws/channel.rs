//! Custom channels: a typed name, and who may subscribe and publish.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::Identity;
use crate::error::{Error, Result};

/// A custom channel whose messages carry a `T`: declare it once as a static,
/// `static CHAT: Channel<ChatLine> = Channel::new("chat");`, allow it with
/// [`WebSocket::channel`](super::WebSocket::channel), publish with
/// [`Cx::publish`](crate::Cx::publish).
pub struct Channel<T> {
    name: &'static str,
    payload: PhantomData<fn() -> T>,
}

impl<T> Channel<T> {
    /// A channel named `name` (a wire name: `[A-Za-z0-9_-]{1,64}`, checked when the API is
    /// built).
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            payload: PhantomData,
        }
    }

    /// The wire name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Channel({})", self.name)
    }
}

/// Who passes: a predicate of the connection's identity (`None`: anonymous).
pub(crate) type Predicate = Arc<dyn Fn(Option<&Identity>) -> bool + Send + Sync>;

/// A channel as the API serves it.
#[derive(Clone)]
pub(crate) struct ChannelRule {
    pub(crate) name: &'static str,
    pub(crate) subscribe: Predicate,
    /// `None`: only the server publishes.
    pub(crate) publish: Option<Predicate>,
    /// Decodes a client's payload as the channel's type and serializes it back.
    pub(crate) decode: fn(Value) -> Result<Value>,
    pub(crate) schema: fn(&mut SchemaGenerator) -> Schema,
}

impl ChannelRule {
    pub(crate) fn new<T>(channel: &Channel<T>, subscribe: Predicate) -> Self
    where
        T: Serialize + DeserializeOwned + JsonSchema + 'static,
    {
        Self {
            name: channel.name,
            subscribe,
            publish: None,
            decode: decode::<T>,
            schema: |generator| generator.subschema_for::<T>(),
        }
    }

    /// Whether `who` may subscribe: 401 for an anonymous caller who is refused, 403 for an
    /// identified one.
    pub(crate) fn check_subscribe(&self, who: Option<&Identity>) -> Result<()> {
        allowed(&self.subscribe, who)
    }

    /// Whether `who` may publish from a client.
    pub(crate) fn check_publish(&self, who: Option<&Identity>) -> Result<()> {
        match &self.publish {
            Some(predicate) => allowed(predicate, who),
            None => Err(Error::forbidden(format!(
                "clients cannot publish on channel `{}`; only the server does",
                self.name
            ))),
        }
    }
}

fn allowed(predicate: &Predicate, who: Option<&Identity>) -> Result<()> {
    if predicate(who) {
        Ok(())
    } else if who.is_none() {
        Err(Error::unauthorized("authentication required"))
    } else {
        Err(Error::forbidden("permission denied"))
    }
}

/// A payload decoded as `T` (so a client cannot publish what the type does not allow),
/// serialized again.
fn decode<T: Serialize + DeserializeOwned>(payload: Value) -> Result<Value> {
    let value: T = serde_path_to_error::deserialize(payload).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        if path == "." {
            Error::bad_field("payload", message)
        } else {
            Error::bad_field(format!("payload.{path}"), message)
        }
    })?;
    serde_json::to_value(value).map_err(Error::internal)
}
