//! What every connection of an API shares: the limits, the bus and the channels.

use std::collections::BTreeMap;
use std::sync::Arc;

use mizan_protocol::schema::{ChannelDoc, WebSocketDoc};
use schemars::generate::SchemaSettings;

use super::bus::{Bus, BusEvent};
use super::channel::ChannelRule;
use super::config::WebSocket;
use crate::registry::HashMap;
use crate::sink::InvalidationEvent;

/// The WebSocket channel of one built API.
pub(crate) struct Hub {
    pub(crate) config: WebSocket,
    pub(crate) channels: HashMap<&'static str, ChannelRule>,
}

impl Hub {
    pub(crate) fn new(config: WebSocket) -> Self {
        let channels = config
            .channels
            .iter()
            .map(|c| (c.name, c.clone()))
            .collect();
        Self { config, channels }
    }

    pub(crate) fn bus(&self) -> &Arc<dyn Bus> {
        &self.config.bus
    }

    /// Publishes what the sink saw: every invalidation of every request reaches the bus.
    pub(crate) fn on_invalidate(&self, event: &InvalidationEvent<'_>) {
        self.config.bus.publish(BusEvent::Invalidate {
            source: event.source.to_owned(),
            caller: event.caller.map(str::to_owned),
            invalidate: event.invalidations.to_vec(),
        });
    }

    /// The schema document's `websocket` member; the payload types' definitions are added
    /// to `defs` (a name already there keeps its first schema).
    pub(crate) fn describe(&self, defs: &mut BTreeMap<String, serde_json::Value>) -> WebSocketDoc {
        let mut generator = SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator();
        let mut channels = BTreeMap::new();
        for rule in &self.config.channels {
            let payload = (rule.schema)(&mut generator);
            channels.insert(
                rule.name.to_owned(),
                ChannelDoc {
                    payload: payload.to_value(),
                    publish: rule.publish.is_some(),
                },
            );
        }
        for (name, schema) in generator.take_definitions(true) {
            defs.entry(name).or_insert(schema);
        }
        WebSocketDoc { channels }
    }
}
