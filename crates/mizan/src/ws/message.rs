//! The messages of the WebSocket protocol (spec/PROTOCOL.md §16): what a client sends,
//! parsed strictly, and what the server sends.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::invalidation::Invalidation;

/// The longest request id a client may choose, in bytes.
pub(crate) const MAX_ID: usize = 64;

/// A client's message.
#[derive(Debug, PartialEq)]
pub(crate) enum ClientMessage {
    /// `{"type":"subscribe","id","context","params"?}`.
    SubscribeContext {
        id: String,
        context: String,
        params: Map<String, Value>,
    },
    /// `{"type":"subscribe","id","channel"}`.
    SubscribeChannel { id: String, channel: String },
    /// `{"type":"unsubscribe","id"}`.
    Unsubscribe { id: String },
    /// `{"type":"call","id","fn","args"?}`.
    Call {
        id: String,
        function: String,
        args: Map<String, Value>,
    },
    /// `{"type":"publish","id","channel","payload"}`.
    Publish {
        id: String,
        channel: String,
        payload: Value,
    },
    /// `{"type":"ping"}`.
    Ping,
}

/// A message that could not be parsed: the error, and the request id when one was found
/// (so the client can match the error to its request).
#[derive(Debug)]
pub(crate) struct Malformed {
    pub(crate) id: Option<String>,
    pub(crate) error: Error,
}

impl ClientMessage {
    /// Parses one text frame: a JSON object (no key twice, at any depth) with a known
    /// `type`, exactly the members that type takes.
    pub(crate) fn parse(text: &str) -> std::result::Result<Self, Box<Malformed>> {
        let mut map = crate::router::json_object(text.as_bytes()).map_err(|e| {
            Box::new(Malformed {
                id: None,
                error: if text.trim().is_empty() {
                    Error::bad_request("a message is a JSON object with a `type`")
                } else {
                    e
                },
            })
        })?;
        let Some(Value::String(kind)) = map.remove("type") else {
            return Err(Box::new(Malformed {
                id: None,
                error: Error::bad_field("type", "a message needs a string `type`"),
            }));
        };
        let id = match map.get("id") {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_ID => Some(id.clone()),
            None if kind == "ping" => None,
            _ => {
                return Err(Box::new(Malformed {
                    id: None,
                    error: Error::bad_field(
                        "id",
                        format!("`id` must be a string of 1 to {MAX_ID} bytes"),
                    ),
                }));
            }
        };
        map.remove("id");
        let fail = |error: Error| {
            Box::new(Malformed {
                id: id.clone(),
                error,
            })
        };
        let message = match kind.as_str() {
            "subscribe" => {
                let context = take_name(&mut map, "context").map_err(fail)?;
                let channel = take_name(&mut map, "channel").map_err(fail)?;
                match (context, channel) {
                    (Some(context), None) => ClientMessage::SubscribeContext {
                        id: id.clone().unwrap_or_default(),
                        context,
                        params: take_object(&mut map, "params").map_err(fail)?,
                    },
                    (None, Some(channel)) => ClientMessage::SubscribeChannel {
                        id: id.clone().unwrap_or_default(),
                        channel,
                    },
                    _ => {
                        return Err(fail(Error::bad_request(
                            "a subscribe names exactly one of `context` and `channel`",
                        )));
                    }
                }
            }
            "unsubscribe" => ClientMessage::Unsubscribe {
                id: id.clone().unwrap_or_default(),
            },
            "call" => ClientMessage::Call {
                id: id.clone().unwrap_or_default(),
                function: take_name(&mut map, "fn")
                    .map_err(fail)?
                    .ok_or_else(|| fail(Error::bad_field("fn", "a call names its `fn`")))?,
                args: take_object(&mut map, "args").map_err(fail)?,
            },
            "publish" => ClientMessage::Publish {
                id: id.clone().unwrap_or_default(),
                channel: take_name(&mut map, "channel")
                    .map_err(fail)?
                    .ok_or_else(|| {
                        fail(Error::bad_field("channel", "a publish names its `channel`"))
                    })?,
                payload: map.remove("payload").ok_or_else(|| {
                    fail(Error::bad_field("payload", "a publish carries a `payload`"))
                })?,
            },
            "ping" => ClientMessage::Ping,
            other => {
                return Err(fail(Error::bad_field(
                    "type",
                    format!(
                        "unknown message type `{}`; the types are: subscribe, unsubscribe, call, publish, ping",
                        other.escape_debug()
                    ),
                )));
            }
        };
        if let Some(extra) = map.keys().next() {
            return Err(fail(Error::bad_field(
                extra.clone(),
                format!(
                    "unknown member `{}` in a `{kind}` message",
                    extra.escape_debug()
                ),
            )));
        }
        Ok(message)
    }
}

/// A wire name member (`context`, `channel`, `fn`), if present.
fn take_name(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>> {
    match map.remove(key) {
        None => Ok(None),
        Some(Value::String(name)) if crate::valid_name(&name) => Ok(Some(name)),
        Some(_) => Err(Error::bad_field(
            key,
            format!("`{key}` must be a name ([A-Za-z0-9_-]{{1,64}})"),
        )),
    }
}

/// An object member (`params`, `args`); absent or `null` is `{}`.
fn take_object(map: &mut Map<String, Value>, key: &str) -> Result<Map<String, Value>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(object)) => Ok(object),
        Some(_) => Err(Error::bad_field(
            key,
            format!("`{key}` must be a JSON object"),
        )),
    }
}

/// What the server sends, as JSON text.
pub(crate) mod reply {
    use super::{Error, Invalidation, Value, json};

    pub(crate) fn subscribed(id: &str) -> String {
        json!({"type": "subscribed", "id": id}).to_string()
    }

    pub(crate) fn unsubscribed(id: &str) -> String {
        json!({"type": "unsubscribed", "id": id}).to_string()
    }

    pub(crate) fn published(id: &str) -> String {
        json!({"type": "published", "id": id}).to_string()
    }

    pub(crate) fn pong() -> String {
        r#"{"type":"pong"}"#.to_owned()
    }

    pub(crate) fn resync() -> String {
        r#"{"type":"resync"}"#.to_owned()
    }

    /// `{"type":"result","id","result","invalidate"}`; `result` is JSON text already.
    pub(crate) fn result(id: &str, result: &[u8], invalidate: &[Invalidation]) -> String {
        let head = json!({"type": "result", "id": id, "invalidate": invalidate}).to_string();
        let result = String::from_utf8_lossy(result);
        // `{"id":…,"invalidate":[…],"type":"result"` + `,"result":…}`
        format!("{},\"result\":{result}}}", &head[..head.len() - 1])
    }

    /// `{"type":"error","id","error":{code,message,fields?}}` (`id` null when the message
    /// had none).
    pub(crate) fn error(id: Option<&str>, error: &Error) -> String {
        if error.status().is_server_error() {
            tracing::error!(code = error.code(), error = %error, "mizan WebSocket request failed");
        }
        let mut body = error.to_body();
        if let Value::Object(map) = &mut body {
            map.insert("type".into(), "error".into());
            map.insert("id".into(), id.map_or(Value::Null, Value::from));
        }
        body.to_string()
    }

    /// `{"type":"invalidate","source","invalidate":[…]}`.
    pub(crate) fn invalidate(source: &str, list: &[&Invalidation]) -> String {
        json!({"type": "invalidate", "source": source, "invalidate": list}).to_string()
    }

    /// `{"type":"message","channel","payload"}`.
    pub(crate) fn message(channel: &str, payload: &Value) -> String {
        json!({"type": "message", "channel": channel, "payload": payload}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::ClientMessage;

    /// The request as the vectors write it.
    fn written(message: ClientMessage) -> Value {
        match message {
            ClientMessage::SubscribeContext {
                id,
                context,
                params,
            } => json!({"type": "subscribe", "id": id, "context": context, "params": params}),
            ClientMessage::SubscribeChannel { id, channel } => {
                json!({"type": "subscribe", "id": id, "channel": channel})
            }
            ClientMessage::Unsubscribe { id } => json!({"type": "unsubscribe", "id": id}),
            ClientMessage::Call { id, function, args } => {
                json!({"type": "call", "id": id, "fn": function, "args": args})
            }
            ClientMessage::Publish {
                id,
                channel,
                payload,
            } => json!({"type": "publish", "id": id, "channel": channel, "payload": payload}),
            ClientMessage::Ping => json!({"type": "ping"}),
        }
    }

    #[test]
    fn the_ws_message_vectors_pass() {
        let file: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../spec/vectors/ws-messages.json"
        )))
        .expect("the vectors are JSON");
        let vectors = file["vectors"].as_array().expect("vectors");
        assert!(vectors.len() > 20);
        for v in vectors {
            let what = v["description"].as_str().unwrap_or_default();
            let text = v["text"].as_str().expect("text");
            match ClientMessage::parse(text) {
                Ok(message) => assert_eq!(written(message), v["message"], "{what}"),
                Err(bad) => {
                    let expected = &v["error"];
                    assert!(expected.is_object(), "{what}: refused with {:?}", bad.error);
                    assert_eq!(bad.id.as_deref(), expected["id"].as_str(), "{what}");
                    assert_eq!(bad.error.code(), expected["code"], "{what}");
                    let field = bad.error.fields().and_then(|f| f.keys().next().cloned());
                    assert_eq!(field.as_deref(), expected["field"].as_str(), "{what}");
                }
            }
        }
    }
}
