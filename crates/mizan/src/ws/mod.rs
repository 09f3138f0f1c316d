//! The WebSocket channel at `{base}/ws/` (spec/PROTOCOL.md §16): calls of
//! `websocket = true` functions, context subscriptions that receive the invalidations every
//! mutation publishes (over HTTP or WebSocket, on this instance or, with a [`RedisBus`],
//! on any other), custom channels with their own authorization, and heartbeats.
//!
//! Turn it on with [`Builder::websocket`](crate::Builder::websocket):
//!
//! ```no_run
//! # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)] struct Note { text: String }
//! static NOTES: mizan::ws::Channel<Note> = mizan::ws::Channel::new("notes");
//!
//! let api = mizan::Mizan::builder()
//!     .websocket(mizan::ws::WebSocket::new().channel(&NOTES, |who| who.is_some()))
//!     .build();
//! ```
//!
//! Pushes carry invalidations, never data: a client refetches with its own credentials.

mod bus;
mod channel;
mod config;
mod connection;
mod deliver;
mod hub;
mod message;
mod publish;
#[cfg(feature = "redis")]
mod redis_bus;
mod subscribe;
mod upgrade;

pub use bus::{Bus, BusEvent, InProcessBus};
pub use channel::Channel;
pub use config::WebSocket;
#[cfg(feature = "redis")]
pub use redis_bus::RedisBus;

pub(crate) use hub::Hub;
pub(crate) use upgrade::handle;
