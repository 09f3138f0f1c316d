//! One connection's subscriptions, and which bus events reach it.

use mizan_protocol::Params;

use super::bus::BusEvent;
use super::message::reply;
use crate::registry::HashMap;

/// What a subscription watches.
#[derive(Debug)]
pub(crate) enum Watch {
    /// The instance of `context` with `params`.
    Context {
        context: String,
        params: Params,
        /// A private context: only invalidations produced by this connection's own
        /// identity reach it.
        private: bool,
    },
    /// A custom channel.
    Channel(String),
}

/// The subscriptions of one connection, by the id the client gave them.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    by_id: HashMap<String, Watch>,
}

impl Subscriptions {
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    pub(crate) fn insert(&mut self, id: String, watch: Watch) {
        self.by_id.insert(id, watch);
    }

    pub(crate) fn remove(&mut self, id: &str) {
        self.by_id.remove(id);
    }

    /// The message `event` sends to this connection, if any: the items of an invalidation
    /// that hit one of its context subscriptions (PROTOCOL.md §4.3: the kernel's rule), a
    /// message of a channel it joined, or a resync when it holds any subscription.
    /// `me` is the connection's identity id.
    pub(crate) fn deliver(&self, event: &BusEvent, me: Option<&str>) -> Option<String> {
        match event {
            BusEvent::Invalidate {
                source,
                caller,
                invalidate,
            } => {
                let hit: Vec<_> = invalidate
                    .iter()
                    .filter(|item| {
                        self.by_id.values().any(|watch| match watch {
                            Watch::Context {
                                context,
                                params,
                                private,
                            } => {
                                (!*private || caller.as_deref() == me) && item.hits(context, params)
                            }
                            Watch::Channel(_) => false,
                        })
                    })
                    .collect();
                (!hit.is_empty()).then(|| reply::invalidate(source, &hit))
            }
            BusEvent::Message { channel, payload } => self
                .by_id
                .values()
                .any(|w| matches!(w, Watch::Channel(c) if c == channel))
                .then(|| reply::message(channel, payload)),
            BusEvent::Resync => (!self.by_id.is_empty()).then(reply::resync),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::invalidation::Invalidation;

    fn params(value: serde_json::Value) -> Params {
        serde_json::from_value(value).expect("params")
    }

    fn subs(private: bool) -> Subscriptions {
        let mut s = Subscriptions::default();
        s.insert(
            "1".into(),
            Watch::Context {
                context: "todos".into(),
                params: params(json!({"project": 3})),
                private,
            },
        );
        s.insert("2".into(), Watch::Channel("chat".into()));
        s
    }

    fn invalidate(caller: Option<&str>, list: Vec<Invalidation>) -> BusEvent {
        BusEvent::Invalidate {
            source: "add_todo".into(),
            caller: caller.map(str::to_owned),
            invalidate: list,
        }
    }

    #[test]
    fn only_items_that_hit_a_subscription_are_sent() {
        let event = invalidate(
            None,
            vec![
                Invalidation::scoped("todos", params(json!({"project": 4}))),
                Invalidation::scoped("todos", params(json!({"project": 3}))),
                Invalidation::Context("projects".into()),
            ],
        );
        let sent = subs(false).deliver(&event, Some("bob")).expect("a push");
        let sent: serde_json::Value = serde_json::from_str(&sent).expect("JSON");
        assert_eq!(
            sent,
            json!({"type": "invalidate", "source": "add_todo",
                   "invalidate": [{"context": "todos", "params": {"project": 3}}]})
        );
        let miss = invalidate(None, vec![Invalidation::Context("projects".into())]);
        assert_eq!(subs(false).deliver(&miss, Some("bob")), None);
    }

    #[test]
    fn a_private_subscription_hears_only_its_own_identity() {
        let event = invalidate(Some("alice"), vec![Invalidation::Context("todos".into())]);
        assert_eq!(subs(true).deliver(&event, Some("bob")), None);
        assert!(subs(true).deliver(&event, Some("alice")).is_some());
        assert!(subs(false).deliver(&event, Some("bob")).is_some());
    }

    #[test]
    fn channel_messages_and_resyncs() {
        let message = BusEvent::Message {
            channel: "chat".into(),
            payload: json!({"text": "hi"}),
        };
        assert!(subs(false).deliver(&message, None).is_some());
        let other = BusEvent::Message {
            channel: "news".into(),
            payload: json!(1),
        };
        assert_eq!(subs(false).deliver(&other, None), None);
        assert!(subs(false).deliver(&BusEvent::Resync, None).is_some());
        assert_eq!(
            Subscriptions::default().deliver(&BusEvent::Resync, None),
            None
        );
    }
}
