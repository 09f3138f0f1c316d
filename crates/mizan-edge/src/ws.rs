//! WebSocket (and any `Upgrade`) passthrough: the handshake goes to an origin, then bytes
//! are copied both ways.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::uri::PathAndQuery;
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use crate::body::{self, Body};
use crate::metrics::inc;
use crate::origin::OutBody;
use crate::proxy::Shared;

/// Forwards an upgrade request and, on `101`, joins the two upgraded connections.
pub(crate) async fn pass(
    shared: Arc<Shared>,
    mut request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Body> {
    let client_upgrade = hyper::upgrade::on(&mut request);
    let (mut parts, _body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    // Keep the handshake's own hop-by-hop fields; drop what a client may not set.
    let upgrade = parts.headers.get(header::UPGRADE).cloned();
    crate::proxy::strip_hop_by_hop(&mut parts.headers);
    parts
        .headers
        .remove(mizan_protocol::invalidation::HEADER_NAME);
    for name in [
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-for",
        "forwarded",
        "x-original-url",
        "x-rewrite-url",
        "x-host",
    ] {
        parts.headers.remove(name);
    }
    if let Ok(v) = HeaderValue::from_str(&peer.ip().to_string()) {
        parts.headers.insert("x-forwarded-for", v);
    }
    parts
        .headers
        .insert("x-forwarded-proto", HeaderValue::from_static("http"));
    if let Some(upgrade) = upgrade {
        parts.headers.insert(header::UPGRADE, upgrade);
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    let Ok(mut response) = shared
        .origins
        .send(
            &parts,
            &path_and_query,
            OutBody::Replayable(Bytes::new()),
            &shared.metrics,
        )
        .await
    else {
        let mut r = Response::new(body::full(
            r#"{"error":"bad_gateway","message":"no origin answered"}"#,
        ));
        *r.status_mut() = StatusCode::BAD_GATEWAY;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return r;
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let (mut head, incoming) = response.into_parts();
        crate::proxy::strip_hop_by_hop(&mut head.headers);
        return Response::from_parts(head, body::incoming(incoming));
    }
    inc(&shared.metrics.websocket_upgrades);
    let origin_upgrade = hyper::upgrade::on(&mut response);
    tokio::spawn(async move {
        let (Ok(client), Ok(origin)) = tokio::join!(client_upgrade, origin_upgrade) else {
            tracing::debug!("a WebSocket upgrade did not complete");
            return;
        };
        let mut client = TokioIo::new(client);
        let mut origin = TokioIo::new(origin);
        let _ = tokio::io::copy_bidirectional(&mut client, &mut origin).await;
    });
    let (head, _) = response.into_parts();
    Response::from_parts(head, body::empty())
}
