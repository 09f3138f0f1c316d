//! Handling one request of a connection: subscriptions, publishing, calls. Each answers
//! with the reply text or an error in the protocol's shape.

use std::sync::Arc;

use mizan_protocol::Params;
use serde_json::{Map, Value};

use super::Hub;
use super::bus::BusEvent;
use super::deliver::{Subscriptions, Watch};
use super::message::reply;
use crate::auth::{Guard, Identity};
use crate::cx::Cx;
use crate::error::{Error, Result};
use crate::function::Body;
use crate::router::{Shared, check_known, check_params, invalidations, invoke, unknown_param};

/// The caller of a connection, fixed when it was opened.
pub(crate) struct Caller {
    pub(crate) identity: Option<Identity>,
}

impl Caller {
    fn cx(&self, shared: &Shared) -> Cx {
        Cx::new(shared.state.clone(), None, self.identity.clone())
    }

    pub(crate) fn id(&self) -> Option<&str> {
        self.identity.as_ref().map(|i| i.id.as_str())
    }
}

fn room(hub: &Hub, subs: &Subscriptions, id: &str) -> Result<()> {
    if subs.contains(id) {
        return Err(Error::bad_field(
            "id",
            format!("subscription `{id}` exists; unsubscribe it first"),
        ));
    }
    if subs.len() >= hub.config.max_subscriptions {
        return Err(Error::new(
            http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_subscriptions",
            format!(
                "a connection holds at most {} subscriptions",
                hub.config.max_subscriptions
            ),
        ));
    }
    Ok(())
}

/// Subscribes to the instance of a context: the guards of every function of the context
/// (as its GET), then the parameters (as its GET: known names, admitted types, required
/// ones present).
pub(crate) async fn context(
    shared: &Shared,
    hub: &Hub,
    subs: &mut Subscriptions,
    caller: &Caller,
    id: String,
    context: &str,
    params: Map<String, Value>,
) -> Result<String> {
    let Some(ctx) = shared.registry.contexts.get(context) else {
        return Err(Error::not_found(format!("unknown context `{context}`")));
    };
    let cx = caller.cx(shared);
    for def in &ctx.functions {
        def.guard.check(&cx).await?;
    }
    if let Some(unknown) = params.keys().find(|k| !ctx.params.contains(k.as_str())) {
        return Err(Error::bad_field(
            format!("params.{unknown}"),
            unknown_param(ctx, unknown),
        ));
    }
    let params = Params::from_map(params);
    check_params(ctx, &params)?;
    room(hub, subs, &id)?;
    let private = ctx
        .functions
        .iter()
        .any(|d| d.private || !matches!(d.guard, Guard::Public));
    let reply = reply::subscribed(&id);
    subs.insert(
        id,
        Watch::Context {
            context: context.to_owned(),
            params,
            private,
        },
    );
    Ok(reply)
}

/// Subscribes to a custom channel its predicate lets the caller into.
pub(crate) fn channel(
    hub: &Hub,
    subs: &mut Subscriptions,
    caller: &Caller,
    id: String,
    channel: &str,
) -> Result<String> {
    let Some(rule) = hub.channels.get(channel) else {
        return Err(Error::not_found(format!("unknown channel `{channel}`")));
    };
    rule.check_subscribe(caller.identity.as_ref())?;
    room(hub, subs, &id)?;
    let reply = reply::subscribed(&id);
    subs.insert(id, Watch::Channel(channel.to_owned()));
    Ok(reply)
}

/// Publishes a client's payload on a channel that allows it, once decoded as the channel's
/// type.
pub(crate) fn publish(
    hub: &Hub,
    caller: &Caller,
    id: &str,
    channel: &str,
    payload: Value,
) -> Result<String> {
    let Some(rule) = hub.channels.get(channel) else {
        return Err(Error::not_found(format!("unknown channel `{channel}`")));
    };
    rule.check_publish(caller.identity.as_ref())?;
    let payload = (rule.decode)(payload)?;
    hub.bus().publish(BusEvent::Message {
        channel: channel.to_owned(),
        payload,
    });
    Ok(reply::published(id))
}

/// Runs a call of a `websocket = true` function, as `POST /call/` would (guard, known
/// arguments, decoding, validation, the function, its invalidations through the sink),
/// without the request head: Origin was checked at the upgrade, and CSRF does not apply.
pub(crate) async fn call(
    shared: Arc<Shared>,
    identity: Option<Identity>,
    id: String,
    function: String,
    args: Map<String, Value>,
) -> String {
    let caller = Caller { identity };
    match run_call(&shared, &caller, &id, &function, args).await {
        Ok(text) => text,
        Err(error) => reply::error(Some(&id), &error),
    }
}

async fn run_call(
    shared: &Shared,
    caller: &Caller,
    id: &str,
    function: &str,
    args: Map<String, Value>,
) -> Result<String> {
    let entry = shared
        .registry
        .functions
        .get(function)
        .filter(|e| e.def.websocket)
        .ok_or_else(|| {
            Error::not_found(format!(
                "no function `{function}` callable over the WebSocket (it needs `websocket = true`)"
            ))
        })?;
    let cx = caller.cx(shared);
    entry.def.guard.check(&cx).await?;
    check_known(entry, &args)?;
    let output = invoke(entry.def, cx.clone(), Arc::new(Value::Object(args))).await?;
    let list = invalidations(shared, entry, output.scope.as_ref(), &cx).await;
    match output.body {
        Body::Data(result) => Ok(reply::result(id, &result, &list)),
        Body::View(_) => Err(Error::internal(format!(
            "`{function}` returned an HTTP response over the WebSocket"
        ))),
        // Validate-only calls are HTTP's (`?validate=1`): a WebSocket call always runs.
        Body::Valid => Err(Error::internal(format!(
            "`{function}` answered a validate-only call over the WebSocket"
        ))),
    }
}
