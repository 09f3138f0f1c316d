//! One WebSocket connection: reads requests, answers them, delivers bus events, pings,
//! and enforces the limits (message size, a bounded outgoing queue, idle time, calls in
//! flight).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket as Socket};
use futures_util::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::Hub;
use super::deliver::Subscriptions;
use super::message::{ClientMessage, reply};
use super::subscribe::{self, Caller};
use crate::auth::Identity;
use crate::error::Error;
use crate::router::Shared;

/// Close codes (RFC 6455 §7.4.1).
pub(crate) mod close {
    /// The server goes away or the connection was idle too long.
    pub(crate) const GOING_AWAY: u16 = 1001;
    /// A binary message: the protocol is JSON text.
    pub(crate) const UNSUPPORTED: u16 = 1003;
    /// A message over the size limit.
    pub(crate) const TOO_BIG: u16 = 1009;
}

/// Why the loop stopped.
enum End {
    /// The client left, or the server closed with a close frame already queued.
    Done,
    /// The client stopped reading: its queue is full. Nothing more is sent.
    Stalled,
}

/// Serves one connection until it ends.
pub(crate) async fn run(
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    socket: Socket,
    identity: Option<Identity>,
) {
    let (sink, mut stream) = socket.split();
    let (out, queue) = mpsc::channel::<Message>(hub.config.write_queue);
    let writer = tokio::spawn(write(sink, queue, hub.config.send_timeout));
    let mut events = hub.bus().subscribe();
    let mut subs = Subscriptions::default();
    let caller = Caller { identity };
    let mut calls: JoinSet<String> = JoinSet::new();
    let mut heartbeat = tokio::time::interval(hub.config.heartbeat);
    heartbeat.reset();
    let mut last_seen = Instant::now();

    let send = |message: Message| match out.try_send(message) {
        Ok(()) => Ok(()),
        Err(_) => Err(End::Stalled),
    };
    let text = |t: String| Message::Text(t.into());
    let end: End = loop {
        let step: Result<(), End> = tokio::select! {
            frame = stream.next() => match frame {
                None | Some(Ok(Message::Close(_))) => break End::Done,
                Some(Err(error)) => {
                    if too_big(error) {
                        let _ = send(closing(close::TOO_BIG, "message too big"));
                    }
                    break End::Done;
                }
                Some(Ok(Message::Binary(_))) => {
                    let _ = send(closing(close::UNSUPPORTED, "messages are JSON text"));
                    break End::Done;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                    last_seen = Instant::now();
                    Ok(())
                }
                Some(Ok(Message::Text(frame))) => {
                    last_seen = Instant::now();
                    match ClientMessage::parse(&frame) {
                        Err(bad) => send(text(reply::error(bad.id.as_deref(), &bad.error))),
                        Ok(ClientMessage::Call { id, function, args }) => {
                            if calls.len() >= hub.config.max_calls {
                                send(text(reply::error(Some(&id), &too_many_calls(hub.config.max_calls))))
                            } else {
                                calls.spawn(subscribe::call(
                                    Arc::clone(&shared),
                                    caller.identity.clone(),
                                    id,
                                    function,
                                    args,
                                ));
                                Ok(())
                            }
                        }
                        Ok(message) => {
                            let answer = handle(&shared, &hub, &mut subs, &caller, message).await;
                            send(text(answer))
                        }
                    }
                }
            },
            Some(done) = calls.join_next(), if !calls.is_empty() => match done {
                Ok(answer) => send(text(answer)),
                Err(error) => {
                    tracing::error!(%error, "a WebSocket call task failed");
                    Ok(())
                }
            },
            event = events.recv() => match event {
                Ok(event) => match subs.deliver(&event, caller.id()) {
                    Some(message) => send(text(message)),
                    None => Ok(()),
                },
                // This connection fell behind the bus: what it missed is unknown, so its
                // client refetches everything it shows.
                Err(RecvError::Lagged(_)) => send(text(reply::resync())),
                Err(RecvError::Closed) => break End::Done,
            },
            _ = heartbeat.tick() => {
                if last_seen.elapsed() >= hub.config.idle_timeout {
                    let _ = send(closing(close::GOING_AWAY, "idle timeout"));
                    break End::Done;
                }
                send(Message::Ping(Default::default()))
            }
        };
        if let Err(end) = step {
            break end;
        }
    };
    drop(out);
    if matches!(end, End::Stalled) {
        tracing::debug!("a WebSocket client stopped reading; disconnected");
        writer.abort();
        return;
    }
    // The closing handshake: keep reading (and dropping) until the client's close frame, so
    // that the socket is not dropped under frames it is still sending (a reset would destroy
    // the close frame on its way to the client).
    let _ = tokio::time::timeout(LINGER, async {
        while let Some(Ok(frame)) = stream.next().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// How long a closing connection waits for the client's close frame.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// Answers a request other than a call.
async fn handle(
    shared: &Shared,
    hub: &Hub,
    subs: &mut Subscriptions,
    caller: &Caller,
    message: ClientMessage,
) -> String {
    let (id, result) = match message {
        ClientMessage::SubscribeContext {
            id,
            context,
            params,
        } => (
            id.clone(),
            subscribe::context(shared, hub, subs, caller, id, &context, params).await,
        ),
        ClientMessage::SubscribeChannel { id, channel } => (
            id.clone(),
            subscribe::channel(hub, subs, caller, id, &channel),
        ),
        ClientMessage::Unsubscribe { id } => {
            subs.remove(&id);
            (id.clone(), Ok(reply::unsubscribed(&id)))
        }
        ClientMessage::Publish {
            id,
            channel,
            payload,
        } => {
            let result = subscribe::publish(hub, caller, &id, &channel, payload);
            (id, result)
        }
        ClientMessage::Ping => return reply::pong(),
        ClientMessage::Call { id, .. } => (
            id,
            Err(Error::internal("calls are run by the connection loop")),
        ),
    };
    result.unwrap_or_else(|error| reply::error(Some(&id), &error))
}

fn too_many_calls(max: usize) -> Error {
    Error::new(
        http::StatusCode::TOO_MANY_REQUESTS,
        "too_many_calls",
        format!("a connection runs at most {max} calls at once"),
    )
}

fn closing(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Whether a read failed because a message or frame was over the size limit.
fn too_big(error: axum::Error) -> bool {
    let inner = error.into_inner();
    matches!(
        inner.downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(_))
    )
}

/// Sends the queued messages; a send that does not finish in time (the client stopped
/// reading and the socket buffer is full) ends the connection.
async fn write(
    mut sink: SplitSink<Socket, Message>,
    mut queue: mpsc::Receiver<Message>,
    timeout: std::time::Duration,
) {
    while let Some(message) = queue.recv().await {
        let last = matches!(message, Message::Close(_));
        match tokio::time::timeout(timeout, sink.send(message)).await {
            Ok(Ok(())) if !last => {}
            _ => return,
        }
    }
    let _ = tokio::time::timeout(timeout, sink.close()).await;
}
