//! `GET {base}/ws/`: the upgrade, after the Origin check and the caller's identity.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};

use super::connection;
use crate::auth::Csrf;
use crate::error::Error;
use crate::router::{Shared, identify};

/// The initial read buffer of a connection.
const READ_BUFFER: usize = 4 << 10;

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    match upgrade(shared, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn upgrade(shared: Arc<Shared>, request: Request) -> Result<Response, Error> {
    let Some(hub) = shared.ws.clone() else {
        return Err(Error::not_found(
            "the WebSocket channel is not enabled (mizan::Builder::websocket)",
        ));
    };
    let (mut parts, _) = request.into_parts();
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .map_err(|rejection| {
            Error::new(
                rejection.status(),
                "upgrade_required",
                format!("{}: connect with a WebSocket client", rejection.body_text()),
            )
        })?;
    // Cross-site WebSocket hijacking: a page elsewhere must not open a socket with the
    // user's cookie.
    Csrf::check_websocket_origin(shared.csrf.as_ref(), &parts)?;
    let identity = identify(&shared, &parts).await?;
    let config = &hub.config;
    Ok(upgrade
        .max_message_size(config.max_message)
        .max_frame_size(config.max_message)
        // Every message is written out at once; what waits for a slow client is bounded by
        // the connection's queue (`write_queue`), not by a buffer here.
        .write_buffer_size(0)
        // Idle connections are the common case: a small read buffer (tungstenite's default is
        // 128 KiB per connection) that grows for a large message as it arrives.
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| connection::run(shared, hub, socket, identity)))
}
