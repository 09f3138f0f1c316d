//! The request path: classify, look up, coalesce, forward, store, purge.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, Request, Response, StatusCode};
use http_cache_semantics::{AfterResponse, BeforeRequest, CacheOptions, CachePolicy};
use hyper::body::Incoming;
use mizan_protocol::cache_key::{self, KeyInput, Scope};
use mizan_protocol::edge_manifest::EdgeScope;
use mizan_protocol::invalidation::{self, Invalidation};
use mizan_protocol::mwt::{self, MwtClaims, MwtKeys};

use crate::body::{self, Body, Read};
use crate::metrics::{Metrics, inc};
use crate::origin::{OriginError, Origins, OutBody};
use crate::policy::{CachePlan, Plan, Policy};
use crate::store::{Entry, Flight, MAX_VARIANTS, Outcome, Slot, Store};

/// The largest body the edge stores (and the largest it buffers to read purges from).
pub(crate) const MAX_STORED_BODY: usize = 8 * 1024 * 1024;

/// Request bodies up to this size are held so a refused connection can be retried.
const MAX_REPLAYABLE_BODY: usize = 1024 * 1024;

/// How long a stale RFC 9111 entry with a validator is kept for revalidation.
const REVALIDATION_WINDOW: Duration = Duration::from_secs(600);

/// The `Via` pseudonym.
const VIA: &str = "1.1 mizan-edge";

/// Everything the request path shares.
pub(crate) struct Shared {
    pub(crate) origins: Origins,
    pub(crate) store: Arc<Store>,
    pub(crate) metrics: Metrics,
    /// `None`: generic RFC 9111 mode.
    pub(crate) policy: ArcSwapOption<Policy>,
    /// Whether the edge runs in manifest mode (fixed at start).
    pub(crate) manifest_mode: bool,
    /// The MWT keys (`MIZAN_MWT_KEYS`).
    pub(crate) mwt: Option<MwtKeys>,
    /// The per-process cache secret.
    pub(crate) secret: [u8; 32],
    /// Set once a response of a public or role context was filed per user: from then on
    /// requests with a token look for their own copy first.
    pub(crate) user_overrides: std::sync::atomic::AtomicBool,
}

const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Headers a client could use to make the origin believe another host, scheme or client
/// address; the edge sets its own.
const FORWARDING: [&str; 11] = [
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-server",
    "x-forwarded-prefix",
    "forwarded",
    "x-original-url",
    "x-rewrite-url",
    "x-host",
    "x-real-ip",
];

/// Removes the hop-by-hop fields, including those `Connection` names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn add_via(headers: &mut HeaderMap) {
    headers.append(header::VIA, HeaderValue::from_static(VIA));
}

/// Prepares a client's request headers for the origin.
fn sanitize_request(headers: &mut HeaderMap, peer: SocketAddr) {
    strip_hop_by_hop(headers);
    headers.remove(invalidation::HEADER_NAME);
    for name in FORWARDING {
        headers.remove(name);
    }
    if let Ok(v) = HeaderValue::from_str(&peer.ip().to_string()) {
        headers.insert("x-forwarded-for", v);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    add_via(headers);
}

/// Prepares an origin's response headers for the client.
fn sanitize_response(headers: &mut HeaderMap) {
    strip_hop_by_hop(headers);
    add_via(headers);
}

/// The origin's response as the client gets it: cleaned of what the edge never passes on,
/// and tagged with what the edge did (`X-Mizan-Edge: miss` or `pass`).
fn to_client(mut head: http::response::Parts, body: Body, how: &'static str) -> Response<Body> {
    sanitize_response(&mut head.headers);
    head.headers
        .insert("x-mizan-edge", HeaderValue::from_static(how));
    Response::from_parts(head, body)
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let text = serde_json::json!({ "error": code, "message": message }).to_string();
    let mut response = Response::new(body::full(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    add_via(response.headers_mut());
    response
}

fn origin_failed(error: &OriginError) -> Response<Body> {
    match error {
        OriginError::Timeout => error_response(
            StatusCode::GATEWAY_TIMEOUT,
            "gateway_timeout",
            "the origin did not answer in time",
        ),
        OriginError::Unavailable(_) => bad_gateway(),
    }
}

fn bad_gateway() -> Response<Body> {
    error_response(StatusCode::BAD_GATEWAY, "bad_gateway", "no origin answered")
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        })
}

fn cache_control_has(headers: &HeaderMap, directive: &str) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| {
            let name = d.split('=').next().unwrap_or("").trim();
            name.eq_ignore_ascii_case(directive)
        })
}

fn cache_control_seconds(headers: &HeaderMap, directive: &str) -> Option<u64> {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|d| {
            let (name, value) = d.split_once('=')?;
            if name.trim().eq_ignore_ascii_case(directive) {
                value.trim().trim_matches('"').parse().ok()
            } else {
                None
            }
        })
}

fn essence(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether `etag` is among the entity tags of an `If-None-Match` value (weak comparison).
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let etag = etag.trim().trim_start_matches("W/");
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// Answers from stored parts: 304 when the client's `If-None-Match` matches.
fn respond_stored(
    status: StatusCode,
    mut headers: HeaderMap,
    body_bytes: Bytes,
    request: &HeaderMap,
    head: bool,
) -> Response<Body> {
    // Never replayed, whatever the stored policy kept.
    headers.remove(header::SET_COOKIE);
    headers.remove(mwt::HEADER_NAME);
    headers.remove(invalidation::HEADER_NAME);
    add_via(&mut headers);
    headers.insert("x-mizan-edge", HeaderValue::from_static("hit"));
    if status == StatusCode::OK
        && let (Some(inm), Some(etag)) = (
            request
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok()),
            headers.get(header::ETAG).and_then(|v| v.to_str().ok()),
        )
        && etag_matches(inm, etag)
    {
        let mut response = Response::new(body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::DATE,
            header::EXPIRES,
            header::VARY,
            header::AGE,
            header::CONTENT_LOCATION,
            header::VIA,
        ] {
            for v in headers.get_all(&name) {
                response.headers_mut().append(name.clone(), v.clone());
            }
        }
        return response;
    }
    let body = if head {
        body::empty()
    } else {
        body::full(body_bytes)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Headers a stored copy keeps: no hop-by-hop fields, no credentials, no purges.
fn storable_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    strip_hop_by_hop(&mut out);
    out.remove(header::SET_COOKIE);
    out.remove(mwt::HEADER_NAME);
    out.remove(invalidation::HEADER_NAME);
    out.remove("x-mizan-edge");
    out
}

impl Shared {
    /// Answers one client request; never fails (errors become 502 or 400 responses).
    pub(crate) async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Body> {
        if is_websocket(request.headers()) {
            return crate::ws::pass(self, request, peer).await;
        }
        let (mut parts, incoming) = request.into_parts();
        let client_body = has_body(&parts.headers);
        sanitize_request(&mut parts.headers, peer);
        let path_and_query = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        if !path_and_query.as_str().starts_with('/') {
            return error_response(StatusCode::BAD_REQUEST, "bad_request", "bad request target");
        }
        // Hand the policy the origin-form target, whatever form the client used.
        parts.uri = http::Uri::from(path_and_query.clone());
        let body = if !client_body {
            OutBody::Replayable(Bytes::new())
        } else if content_length(&parts.headers).is_some_and(|n| n <= MAX_REPLAYABLE_BODY as u64) {
            match body::read_bounded(body::incoming(incoming), MAX_REPLAYABLE_BODY).await {
                Ok(Read::Whole(bytes)) => {
                    // The body is here already: nothing for the origin to continue.
                    parts.headers.remove(header::EXPECT);
                    OutBody::Replayable(bytes)
                }
                Ok(Read::TooLong(rest)) => OutBody::Stream(rest),
                Err(_) => {
                    return error_response(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        "the request body broke off",
                    );
                }
            }
        } else {
            OutBody::Stream(body::incoming(incoming))
        };
        let cacheable_method = parts.method == Method::GET || parts.method == Method::HEAD;
        if !cacheable_method || client_body || parts.headers.contains_key(header::RANGE) {
            return self.pass(parts, path_and_query, body).await;
        }
        if self.manifest_mode {
            let Some(policy) = self.policy.load_full() else {
                return self.pass(parts, path_and_query, body).await;
            };
            match policy.plan(path_and_query.path(), path_and_query.query()) {
                Plan::Pass(reason) => {
                    tracing::trace!(reason, "pass");
                    self.pass(parts, path_and_query, body).await
                }
                Plan::Cache(plan) => self.manifest_cached(&policy, parts, plan).await,
            }
        } else {
            self.generic_cached(parts, path_and_query).await
        }
    }

    /// Forwards without the cache; applies the response's purges first.
    async fn pass(
        &self,
        parts: http::request::Parts,
        path_and_query: PathAndQuery,
        body: OutBody,
    ) -> Response<Body> {
        inc(&self.metrics.passes);
        let response = match self
            .origins
            .send(&parts, &path_and_query, body, &self.metrics)
            .await
        {
            Ok(response) => response,
            Err(e) => return origin_failed(&e),
        };
        let (head, incoming) = response.into_parts();
        let mut body = body::incoming(incoming);
        let undecodable = self.purge_from_headers(&head.headers);
        let policy = self.policy.load_full();
        let function = policy
            .as_ref()
            .and_then(|p| p.body_purges(&parts.method, path_and_query.path()));
        if undecodable && self.manifest_mode {
            // Widen rather than miss: the function's declared contexts, or everything.
            match (&policy, &function) {
                (Some(policy), Some(function)) => {
                    self.purge_contexts(policy, &policy.static_purges(function));
                }
                _ => self.purge_all(),
            }
        }
        if let (Some(policy), Some(function)) = (policy, function) {
            match body::read_bounded(body, MAX_STORED_BODY).await {
                Ok(Read::Whole(bytes)) => {
                    self.purge_from_body(&policy, &function, head.status, &head.headers, &bytes);
                    body = body::full(bytes);
                }
                Ok(Read::TooLong(rest)) => {
                    if head.status.is_success() {
                        self.purge_contexts(&policy, &policy.static_purges(&function));
                    }
                    body = rest;
                }
                Err(_) => return bad_gateway(),
            }
        }
        let safe = matches!(
            parts.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if !safe
            && !self.manifest_mode
            && (head.status.is_success() || head.status.is_redirection())
        {
            self.invalidate_uris(&parts.headers, &path_and_query, &head.headers)
                .await;
        }
        to_client(head, body, "pass")
    }

    /// Applies the response's `X-Mizan-Invalidate`; `true` when a value did not decode
    /// (the caller widens the purge).
    fn purge_from_headers(&self, headers: &HeaderMap) -> bool {
        let mut list = Vec::new();
        let mut undecodable = false;
        for value in headers.get_all(invalidation::HEADER_NAME) {
            match value.to_str().map(invalidation::decode_header) {
                Ok(Ok(items)) => list.extend(items),
                _ => {
                    tracing::warn!("an origin's X-Mizan-Invalidate did not decode");
                    undecodable = true;
                }
            }
        }
        if !list.is_empty() {
            self.purge(&list);
        }
        undecodable
    }

    fn purge_from_body(
        &self,
        policy: &Policy,
        function: &str,
        status: StatusCode,
        headers: &HeaderMap,
        bytes: &[u8],
    ) {
        if essence(headers).as_deref() != Some("application/json") {
            return;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            if status.is_success() {
                self.purge_contexts(policy, &policy.static_purges(function));
            }
            return;
        };
        let Some(items) = value.get("invalidate") else {
            return;
        };
        match serde_json::from_value::<Vec<Invalidation>>(items.clone()) {
            Ok(list) => self.purge(&list),
            Err(_) => {
                tracing::warn!(function, "an origin's invalidate member did not parse");
                self.purge_contexts(policy, &policy.static_purges(function));
            }
        }
    }

    fn purge_contexts(&self, _policy: &Policy, contexts: &[String]) {
        let list: Vec<Invalidation> = contexts
            .iter()
            .map(|c| Invalidation::Context(c.clone()))
            .collect();
        self.purge(&list);
    }

    /// Applies invalidations: bumps the counters they name.
    pub(crate) fn purge(&self, list: &[Invalidation]) {
        let policy = self.policy.load_full();
        for item in list {
            inc(&self.metrics.purges);
            let (context, counters) = match &policy {
                Some(policy) => policy.counters(item),
                None => (item.context().to_owned(), vec!["*".to_owned()]),
            };
            self.store.bump(&context, &counters);
        }
    }

    /// Purges everything (a bus `resync`, a bus reconnect).
    pub(crate) fn purge_all(&self) {
        inc(&self.metrics.purges);
        self.store.purge_all();
    }

    /// RFC 9111 §4.4: a non-error response to an unsafe method invalidates the target URI
    /// and the same-origin `Location` and `Content-Location`.
    async fn invalidate_uris(
        &self,
        request: &HeaderMap,
        target: &PathAndQuery,
        response: &HeaderMap,
    ) {
        let host = request
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut targets = vec![target.as_str().to_owned()];
        for name in [header::LOCATION, header::CONTENT_LOCATION] {
            let Some(value) = response.get(&name).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            let Ok(uri) = value.parse::<http::Uri>() else {
                continue;
            };
            match uri.authority() {
                None if value.starts_with('/') => targets.push(value.to_owned()),
                Some(authority) if authority.as_str().eq_ignore_ascii_case(host) => {
                    if let Some(pq) = uri.path_and_query() {
                        targets.push(pq.as_str().to_owned());
                    }
                }
                _ => {}
            }
        }
        for t in targets {
            inc(&self.metrics.purges);
            self.store.invalidate_uri(&generic_key(host, &t)).await;
        }
    }

    /// RFC 9111 mode: look up, revalidate, coalesce, store.
    async fn generic_cached(
        &self,
        parts: http::request::Parts,
        path_and_query: PathAndQuery,
    ) -> Response<Body> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let key = generic_key(&host, path_and_query.as_str());
        let head = parts.method == Method::HEAD;
        let now = SystemTime::now();
        let mut stale: Option<(Arc<Entry>, http::request::Parts)> = None;
        if let Some(slot) = self.store.cache.get(&key).await {
            for entry in &slot.variants {
                let Some(policy) = &entry.policy else {
                    continue;
                };
                match policy.before_request(&parts, now) {
                    BeforeRequest::Fresh(fresh) => {
                        inc(&self.metrics.hits);
                        return respond_stored(
                            entry.status,
                            with_stored_date(fresh.headers, entry),
                            entry.body.clone(),
                            &parts.headers,
                            head,
                        );
                    }
                    BeforeRequest::Stale {
                        request,
                        matches: true,
                    } if stale.is_none() => stale = Some((entry.clone(), request)),
                    BeforeRequest::Stale { .. } => {}
                }
            }
        }
        if head {
            return self
                .pass(parts, path_and_query, OutBody::Replayable(Bytes::new()))
                .await;
        }
        if let Some((entry, revalidation)) = stale {
            inc(&self.metrics.stale_revalidations);
            return self
                .revalidate(&key, &parts, &path_and_query, &entry, revalidation)
                .await;
        }
        inc(&self.metrics.misses);
        match self.store.flight(&key) {
            Flight::Follower(mut rx) => {
                inc(&self.metrics.coalesced_waits);
                let outcome = wait(&mut rx).await;
                if let Some(entry) = outcome
                    && let Some(policy) = &entry.policy
                    && let BeforeRequest::Fresh(fresh) =
                        policy.before_request(&parts, SystemTime::now())
                {
                    return respond_stored(
                        entry.status,
                        with_stored_date(fresh.headers, &entry),
                        entry.body.clone(),
                        &parts.headers,
                        false,
                    );
                }
                self.generic_fetch(&key, parts, path_and_query, None).await
            }
            Flight::Leader(leader) => {
                self.generic_fetch(&key, parts, path_and_query, Some(leader))
                    .await
            }
        }
    }

    /// Fetches from the origin in RFC 9111 mode and stores what is storable.
    /// Sends a request without a body to an origin: its response, or the answer to give
    /// when no origin answered.
    async fn send_bodiless(
        &self,
        parts: &http::request::Parts,
        path_and_query: &PathAndQuery,
    ) -> Result<Response<Incoming>, Response<Body>> {
        self.origins
            .send(
                parts,
                path_and_query,
                OutBody::Replayable(Bytes::new()),
                &self.metrics,
            )
            .await
            .map_err(|e| origin_failed(&e))
    }

    async fn generic_fetch(
        &self,
        key: &Arc<str>,
        parts: http::request::Parts,
        path_and_query: PathAndQuery,
        leader: Option<crate::store::Leader>,
    ) -> Response<Body> {
        let epoch = self.store.epoch(key);
        // Ask for the full response: the client's own conditions are answered here.
        let mut forwarded = parts.clone();
        for name in [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE] {
            forwarded.headers.remove(name);
        }
        let response = match self.send_bodiless(&forwarded, &path_and_query).await {
            Ok(response) => response,
            Err(failed) => return failed,
        };
        let (head, incoming) = response.into_parts();
        // Generic mode: there is no manifest entry an invalidation could name.
        let _ = self.purge_from_headers(&head.headers);
        let response_time = SystemTime::now();
        let policy = CachePolicy::new_options(
            &forwarded,
            &normalized(&head),
            response_time,
            CacheOptions::default(),
        );
        let worth_storing = !policy.time_to_live(response_time).is_zero()
            || head.headers.contains_key(header::ETAG)
            || head.headers.contains_key(header::LAST_MODIFIED);
        let storable = policy.is_storable()
            && worth_storing
            && valid_age(&head.headers)
            && !head.headers.contains_key(header::SET_COOKIE)
            && !vary_star(&head.headers)
            && head.status != StatusCode::PARTIAL_CONTENT
            && head.status != StatusCode::NOT_MODIFIED;
        if !storable {
            if let Some(leader) = leader {
                leader.finish(None);
            }
            return to_client(head, body::incoming(incoming), "miss");
        }
        let bytes = match body::read_bounded(body::incoming(incoming), MAX_STORED_BODY).await {
            Ok(Read::Whole(bytes)) => bytes,
            Ok(Read::TooLong(rest)) => {
                if let Some(leader) = leader {
                    leader.finish(None);
                }
                return to_client(head, rest, "miss");
            }
            Err(_) => return bad_gateway(),
        };
        let outcome = if self.store.epoch(key) == epoch {
            let entry = self.generic_entry(
                head.status,
                &head.headers,
                &forwarded.headers,
                bytes.clone(),
                policy,
                response_time,
            );
            self.insert_variant(key, entry.clone()).await;
            Some(entry)
        } else {
            None
        };
        if let Some(leader) = leader {
            leader.finish(outcome);
        }
        let mut response = to_client(head, body::full(bytes), "miss");
        if parts.method == Method::HEAD {
            *response.body_mut() = body::empty();
        }
        self.answer_conditional(response, &parts.headers)
    }

    /// Turns a fresh 200 into a 304 when the client's `If-None-Match` matches it.
    fn answer_conditional(&self, response: Response<Body>, request: &HeaderMap) -> Response<Body> {
        if response.status() != StatusCode::OK {
            return response;
        }
        let matches = match (
            request
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok()),
            response
                .headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok()),
        ) {
            (Some(inm), Some(etag)) => etag_matches(inm, etag),
            _ => false,
        };
        if !matches {
            return response;
        }
        let (head, _) = response.into_parts();
        let mut out = Response::new(body::empty());
        *out.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::DATE,
            header::VARY,
            header::VIA,
        ] {
            for v in head.headers.get_all(&name) {
                out.headers_mut().append(name.clone(), v.clone());
            }
        }
        out
    }

    fn generic_entry(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        request: &HeaderMap,
        body: Bytes,
        policy: CachePolicy,
        now: SystemTime,
    ) -> Arc<Entry> {
        let ttl = policy.time_to_live(now);
        let validator =
            headers.contains_key(header::ETAG) || headers.contains_key(header::LAST_MODIFIED);
        let keep = if validator {
            ttl + REVALIDATION_WINDOW
        } else {
            ttl.max(Duration::from_secs(1))
        };
        Arc::new(Entry {
            status,
            headers: storable_headers(headers),
            vary_key: vary_key(headers, request),
            body,
            policy: Some(policy),
            stored: Instant::now(),
            ttl,
            keep,
        })
    }

    /// Adds a variant under `key`, replacing the ones that answer the same requests.
    async fn insert_variant(&self, key: &Arc<str>, entry: Arc<Entry>) {
        inc(&self.metrics.stores);
        let mut variants = vec![entry.clone()];
        if entry.vary_key.is_some()
            && let Some(slot) = self.store.cache.get(key).await
        {
            // Other variants stay; the one this response selects for is replaced.
            for old in &slot.variants {
                if old.vary_key.is_some()
                    && old.vary_key != entry.vary_key
                    && variants.len() < MAX_VARIANTS
                {
                    variants.push(old.clone());
                }
            }
        }
        self.store
            .cache
            .insert(key.clone(), Arc::new(Slot { variants }))
            .await;
    }

    /// Revalidates a stale entry; 304 merges headers into it.
    async fn revalidate(
        &self,
        key: &Arc<str>,
        parts: &http::request::Parts,
        path_and_query: &PathAndQuery,
        entry: &Arc<Entry>,
        revalidation: http::request::Parts,
    ) -> Response<Body> {
        let Some(old_policy) = &entry.policy else {
            return bad_gateway();
        };
        let epoch = self.store.epoch(key);
        let response = match self.send_bodiless(&revalidation, path_and_query).await {
            Ok(response) => response,
            Err(failed) => return failed,
        };
        let (head, incoming) = response.into_parts();
        // Generic mode: there is no manifest entry an invalidation could name.
        let _ = self.purge_from_headers(&head.headers);
        let now = SystemTime::now();
        if head.status == StatusCode::NOT_MODIFIED {
            // A 304 without validators answers the one validator this revalidation sent
            // (the stored entry's), so it refers to that entry (RFC 9111 §4.3.4 leaves it
            // unselected; every browser cache applies it, and refetching costs a round trip).
            let mut not_modified = normalized(&head);
            if !not_modified.headers.contains_key(header::ETAG)
                && !not_modified.headers.contains_key(header::LAST_MODIFIED)
            {
                for name in [header::ETAG, header::LAST_MODIFIED] {
                    if let Some(value) = entry.headers.get(&name) {
                        not_modified.headers.insert(name, value.clone());
                    }
                }
            }
            if let AfterResponse::NotModified(policy, merged) =
                old_policy.after_response(&revalidation, &not_modified, now)
            {
                inc(&self.metrics.not_modified);
                let stored = self.generic_entry(
                    entry.status,
                    &merged.headers,
                    &parts.headers,
                    entry.body.clone(),
                    policy,
                    now,
                );
                if policy_storable(&stored) && self.store.epoch(key) == epoch {
                    self.insert_variant(key, stored.clone()).await;
                }
                return respond_stored(
                    stored.status,
                    merged.headers,
                    stored.body.clone(),
                    &parts.headers,
                    false,
                );
            }
            // A 304 that matches nothing stored: ask again without conditions.
            return self
                .generic_fetch(key, parts.clone(), path_and_query.clone(), None)
                .await;
        }
        let policy = CachePolicy::new_options(
            &revalidation,
            &normalized(&head),
            now,
            CacheOptions::default(),
        );
        let storable = policy.is_storable()
            && !head.headers.contains_key(header::SET_COOKIE)
            && head.status != StatusCode::PARTIAL_CONTENT;
        if !storable {
            // The stored copy is no longer valid.
            self.store.cache.invalidate(&**key).await;
            return to_client(head, body::incoming(incoming), "miss");
        }
        let bytes = match body::read_bounded(body::incoming(incoming), MAX_STORED_BODY).await {
            Ok(Read::Whole(bytes)) => bytes,
            Ok(Read::TooLong(rest)) => {
                self.store.cache.invalidate(&**key).await;
                return to_client(head, rest, "miss");
            }
            Err(_) => return bad_gateway(),
        };
        if self.store.epoch(key) == epoch {
            let entry = self.generic_entry(
                head.status,
                &head.headers,
                &parts.headers,
                bytes.clone(),
                policy,
                now,
            );
            self.insert_variant(key, entry).await;
        }
        self.answer_conditional(to_client(head, body::full(bytes), "miss"), &parts.headers)
    }

    /// Manifest mode: the request's scope, its key, the lookup, the fetch and the store.
    async fn manifest_cached(
        &self,
        policy: &Policy,
        mut parts: http::request::Parts,
        plan: CachePlan,
    ) -> Response<Body> {
        let forward: PathAndQuery = match plan.forward.parse() {
            Ok(pq) => pq,
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "bad request target",
                );
            }
        };
        let credentialed = self.credentialed(policy, &parts.headers);
        // A public entry ignores the token: verify it only when some response of a
        // public or role context was filed per user (X-Mizan-Scope: user), or later when
        // the response needs it.
        let needs_claims = plan.scope != EdgeScope::Public
            || self
                .user_overrides
                .load(std::sync::atomic::Ordering::Relaxed);
        let claims = if needs_claims {
            self.request_claims(policy, &parts.headers)
        } else {
            None
        };
        let request_scope = match plan.scope {
            EdgeScope::Public => None,
            EdgeScope::Roles | EdgeScope::User => match &claims {
                Some(claims) => Some(scope_text(plan.scope, claims)),
                None => {
                    return self
                        .pass(parts, forward, OutBody::Replayable(Bytes::new()))
                        .await;
                }
            },
        };
        let head = parts.method == Method::HEAD;
        let gens = self.store.generations(&plan.context, &plan.reads);
        let key: Arc<str> = self
            .storage_key(&plan, plan.scope, request_scope.as_deref(), &gens)
            .into();
        // A caller with a verified token may have a copy of its own: the origin marked
        // the response `X-Mizan-Scope: user` (EDGE_MANIFEST.md §4.3).
        if plan.scope != EdgeScope::User
            && let Some(claims) = &claims
        {
            let own: Arc<str> = self
                .storage_key(&plan, EdgeScope::User, Some(claims.sub()), &gens)
                .into();
            if let Some(slot) = self.store.cache.get(&own).await
                && let Some(entry) = slot.variants.first()
                && let Some(response) = self.manifest_hit(entry, &parts.headers, head)
            {
                return response;
            }
        }
        // An expired entry with an ETag is revalidated rather than fetched anew.
        let mut stale: Option<Arc<Entry>> = None;
        if let Some(slot) = self.store.cache.get(&key).await
            && let Some(entry) = slot.variants.first()
        {
            if let Some(response) = self.manifest_hit(entry, &parts.headers, head) {
                return response;
            }
            if entry.headers.contains_key(header::ETAG) {
                stale = Some(entry.clone());
            }
        }
        if head {
            return self
                .pass(parts, forward, OutBody::Replayable(Bytes::new()))
                .await;
        }
        inc(&self.metrics.misses);
        let leader = match self.store.flight(&key) {
            Flight::Leader(leader) => Some(leader),
            Flight::Follower(mut rx) => {
                inc(&self.metrics.coalesced_waits);
                if let Some(entry) = wait(&mut rx).await
                    && let Some(response) = self.manifest_hit(&entry, &parts.headers, false)
                {
                    return response;
                }
                None
            }
        };
        parts.uri = http::Uri::from(forward.clone());
        // One encoding per key: ask for the identity encoding.
        parts.headers.remove(header::ACCEPT_ENCODING);
        let client_conditional = parts.headers.contains_key(header::IF_NONE_MATCH)
            || parts.headers.contains_key(header::IF_MODIFIED_SINCE);
        let revalidating = match &stale {
            Some(entry) if !client_conditional => {
                if let Some(etag) = entry.headers.get(header::ETAG) {
                    parts.headers.insert(header::IF_NONE_MATCH, etag.clone());
                }
                inc(&self.metrics.stale_revalidations);
                Some(entry.clone())
            }
            _ => None,
        };
        let response = match self.send_bodiless(&parts, &forward).await {
            Ok(response) => response,
            Err(failed) => return failed,
        };
        let (mut head_parts, incoming) = response.into_parts();
        let mut response_body = body::incoming(incoming);
        let undecodable = self.purge_from_headers(&head_parts.headers);
        if undecodable {
            self.purge_all();
        }
        if let Some(entry) = revalidating
            && head_parts.status == StatusCode::NOT_MODIFIED
        {
            // The origin's ETag is a digest of the body: the stored body is the current
            // one. The 304's fields replace the stored ones; then it is a 200 like any
            // other (the storage rules below still apply to its headers).
            inc(&self.metrics.not_modified);
            let mut merged = entry.headers.clone();
            for name in head_parts.headers.keys() {
                if *name == header::CONTENT_LENGTH || *name == header::TRANSFER_ENCODING {
                    continue;
                }
                merged.remove(name);
                for value in head_parts.headers.get_all(name) {
                    merged.append(name.clone(), value.clone());
                }
            }
            head_parts.headers = merged;
            head_parts.status = entry.status;
            response_body = body::full(entry.body.clone());
        }
        let user_scoped = head_parts
            .headers
            .get_all("x-mizan-scope")
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"user"));
        // Whose copy the response is: the manifest's scope, or the user's when the origin
        // saw a function read the caller.
        let store_as = if user_scoped {
            EdgeScope::User
        } else {
            plan.scope
        };
        let verdict = self.manifest_storable(
            policy,
            &plan,
            store_as,
            &head_parts.headers,
            head_parts.status,
            credentialed,
        );
        // The scope of the token the origin vouched for (MWT.md §6.4).
        let store_scope: Option<Option<String>> = match (verdict, store_as) {
            (false, _) => None,
            (true, EdgeScope::Public) => Some(None),
            (true, scope) => {
                let vouched = match response_token(policy, &head_parts.headers) {
                    Some(token) => self.verify(policy, token),
                    // The origin cleared the token without issuing another: the
                    // response was not computed for the request's token.
                    None if head_parts.headers.contains_key(header::SET_COOKIE) => None,
                    None if needs_claims => claims.clone(),
                    None => self.request_claims(policy, &parts.headers),
                };
                vouched.map(|c| Some(scope_text(scope, &c)))
            }
        };
        let Some(store_scope) = store_scope else {
            if let Some(leader) = leader {
                leader.finish(None);
            }
            return to_client(head_parts, response_body, "miss");
        };
        let bytes = match body::read_bounded(response_body, MAX_STORED_BODY).await {
            Ok(Read::Whole(bytes)) => bytes,
            Ok(Read::TooLong(rest)) => {
                if let Some(leader) = leader {
                    leader.finish(None);
                }
                return to_client(head_parts, rest, "miss");
            }
            Err(_) => return bad_gateway(),
        };
        let ttl = effective_ttl(plan.ttl, &head_parts.headers);
        let mut outcome: Outcome = None;
        // A purge while the response was on its way: it may predate the purge.
        let gens_after = self.store.generations(&plan.context, &plan.reads);
        if ttl > 0 && gens_after == gens {
            let entry = Arc::new(Entry {
                status: head_parts.status,
                headers: storable_headers(&head_parts.headers),
                body: bytes.clone(),
                policy: None,
                vary_key: None,
                stored: Instant::now(),
                ttl: Duration::from_secs(u64::from(ttl)),
                keep: if head_parts.headers.contains_key(header::ETAG) {
                    Duration::from_secs(u64::from(ttl)) + REVALIDATION_WINDOW
                } else {
                    Duration::from_secs(u64::from(ttl))
                },
            });
            if store_as == EdgeScope::User && plan.scope != EdgeScope::User {
                self.user_overrides
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let store_key: Arc<str> = self
                .storage_key(&plan, store_as, store_scope.as_deref(), &gens)
                .into();
            inc(&self.metrics.stores);
            self.store
                .cache
                .insert(
                    store_key.clone(),
                    Arc::new(Slot {
                        variants: vec![entry.clone()],
                    }),
                )
                .await;
            if store_key == key {
                outcome = Some(entry);
            }
        }
        if let Some(leader) = leader {
            leader.finish(outcome);
        }
        to_client(head_parts, body::full(bytes), "miss")
    }

    fn manifest_hit(
        &self,
        entry: &Entry,
        request: &HeaderMap,
        head: bool,
    ) -> Option<Response<Body>> {
        let age = entry.stored.elapsed();
        if age >= entry.ttl {
            return None;
        }
        inc(&self.metrics.hits);
        let mut headers = entry.headers.clone();
        headers.insert(header::AGE, HeaderValue::from(age.as_secs()));
        Some(respond_stored(
            entry.status,
            headers,
            entry.body.clone(),
            request,
            head,
        ))
    }

    fn storage_key(
        &self,
        plan: &CachePlan,
        scope: EdgeScope,
        scope_text: Option<&str>,
        gens: &str,
    ) -> String {
        let scope = match (scope, scope_text) {
            (EdgeScope::Public, _) | (_, None) => Scope::Public,
            (EdgeScope::Roles, Some(text)) => Scope::Roles(text),
            (EdgeScope::User, Some(text)) => Scope::User(text),
        };
        let input = KeyInput {
            version: mizan_protocol::PROTOCOL_VERSION,
            name: &plan.name,
            revs: &[],
            query: &plan.query,
            scope,
        };
        let encoding = cache_key::encoding_with(&input, &plan.revs);
        format!("m:{}:{gens}", cache_key::key_of(&self.secret, &encoding))
    }

    fn credentialed(&self, policy: &Policy, headers: &HeaderMap) -> bool {
        if headers.contains_key(header::AUTHORIZATION) {
            return true;
        }
        let Some(cookie) = &policy.manifest.credentials.session_cookie else {
            return false;
        };
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|pair| pair.split('=').next().unwrap_or("").trim() == cookie)
    }

    fn request_claims(&self, policy: &Policy, headers: &HeaderMap) -> Option<MwtClaims> {
        let header_name = policy
            .manifest
            .mwt
            .as_ref()
            .map_or(mwt::HEADER_NAME, |m| m.header.as_str());
        let tokens: Vec<&str> = headers
            .get_all(header_name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if tokens.len() != headers.get_all(header_name).iter().count() {
            return None;
        }
        let cookies: Vec<&str> = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let token = mwt::presented(&tokens, &cookies)?;
        self.verify(policy, token)
    }

    fn verify(&self, policy: &Policy, token: &str) -> Option<MwtClaims> {
        let keys = policy.keys.as_ref()?;
        match mwt::verify(token, keys, now_secs()) {
            Ok(claims) => Some(claims),
            Err(e) => {
                tracing::debug!(kind = e.kind(), "an MWT did not verify");
                None
            }
        }
    }

    /// The manifest's never-store rules (EDGE_MANIFEST.md §4.4), for a copy of scope
    /// `store_as`.
    fn manifest_storable(
        &self,
        policy: &Policy,
        plan: &CachePlan,
        store_as: EdgeScope,
        headers: &HeaderMap,
        status: StatusCode,
        credentialed: bool,
    ) -> bool {
        if status != StatusCode::OK
            || foreign_set_cookie(headers, policy)
            || headers.contains_key(invalidation::HEADER_NAME)
            || cache_control_has(headers, "no-store")
            || cache_control_has(headers, "no-cache")
            || vary_unsupported(headers)
        {
            return false;
        }
        if essence(headers).as_deref() != Some(plan.content_type.to_ascii_lowercase().as_str()) {
            return false;
        }
        if store_as == EdgeScope::Public {
            if cache_control_has(headers, "private") {
                return false;
            }
            if credentialed && !cache_control_has(headers, "public") {
                return false;
            }
        }
        true
    }
}

/// Whether the response sets a cookie other than the MWT's own: the MWT cookie comes
/// with a token the origin vouched for (MWT.md §6.4) and is never replayed, any other
/// cookie makes the response unstorable.
fn foreign_set_cookie(headers: &HeaderMap, policy: &Policy) -> bool {
    let mwt_cookie = policy.manifest.mwt.as_ref().map(|m| m.cookie.as_str());
    headers.get_all(header::SET_COOKIE).iter().any(|v| {
        let name = v
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .and_then(|pair| pair.split_once('='))
            .map(|(name, _)| name.trim());
        match (name, mwt_cookie) {
            (Some(name), Some(cookie)) => name != cookie,
            _ => true,
        }
    })
}

/// A `Vary` the manifest-mode key does not cover — those responses are not stored at all.
/// It covers `Accept-Encoding` (the edge asks for the identity encoding on cacheable
/// requests) and the credentials: `Cookie`, `Authorization` and the MWT header, which the
/// key replaces by the entry's scope (a Mizan origin names `Authorization, Cookie` on
/// every response of an API whose resolver reads them, PROTOCOL.md §5.2).
fn vary_unsupported(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|v| {
            !v.is_empty()
                && ![
                    "accept-encoding",
                    "cookie",
                    "authorization",
                    mizan_protocol::mwt::HEADER_NAME,
                ]
                .iter()
                .any(|covered| v.eq_ignore_ascii_case(covered))
        })
}

/// RFC 9111 mode: which request a variant answers: the values of the request fields its
/// `Vary` names; `None` without `Vary`.
fn vary_key(response: &HeaderMap, request: &HeaderMap) -> Option<String> {
    let mut names: Vec<String> = response
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for name in names {
        out.push_str(&name);
        out.push('=');
        for v in request.get_all(name.as_str()) {
            out.push_str(&String::from_utf8_lossy(v.as_bytes()));
            out.push('\0');
        }
        out.push('\n');
    }
    Some(out)
}

/// The policy's response headers with the stored `Date` (the policy rewrites it; a cache
/// passes on the origin's, RFC 9110 §6.6.1).
fn with_stored_date(mut headers: HeaderMap, entry: &Entry) -> HeaderMap {
    if let Some(date) = entry.headers.get(header::DATE) {
        headers.insert(header::DATE, date.clone());
    }
    headers
}

/// A copy of a response head whose `Cache-Control` and `Pragma` are lowercase: directive
/// names are case-insensitive (RFC 9111 §5.2), the policy crate compares them as written.
fn normalized(head: &http::response::Parts) -> http::response::Parts {
    let mut copy = Response::new(());
    *copy.status_mut() = head.status;
    *copy.version_mut() = head.version;
    *copy.headers_mut() = head.headers.clone();
    let (mut parts, ()) = copy.into_parts();
    for name in [header::CACHE_CONTROL, header::PRAGMA] {
        let lowered: Vec<HeaderValue> = parts
            .headers
            .get_all(&name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| HeaderValue::from_str(&v.to_ascii_lowercase()).ok())
            .collect();
        if lowered.is_empty() {
            continue;
        }
        parts.headers.remove(&name);
        for v in lowered {
            parts.headers.append(name.clone(), v);
        }
    }
    parts
}

/// Whether `Age` is absent or one field holding a non-negative integer; a response with
/// any other `Age` is taken as stale, so not stored (RFC 9111 §5.1).
fn valid_age(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::AGE).iter();
    match (values.next(), values.next()) {
        (None, _) => true,
        (Some(v), None) => !v.is_empty() && v.as_bytes().iter().all(u8::is_ascii_digit),
        (Some(_), Some(_)) => false,
    }
}

fn vary_star(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim() == "*")
}

fn policy_storable(entry: &Entry) -> bool {
    entry.policy.as_ref().is_some_and(CachePolicy::is_storable)
}

/// The manifest's ttl, capped by the origin's `s-maxage` (or `max-age`).
fn effective_ttl(ttl: u32, headers: &HeaderMap) -> u32 {
    let origin = cache_control_seconds(headers, "s-maxage")
        .or_else(|| cache_control_seconds(headers, "max-age"));
    match origin {
        Some(seconds) => ttl.min(u32::try_from(seconds).unwrap_or(u32::MAX)),
        None => ttl,
    }
}

fn response_token<'h>(policy: &Policy, headers: &'h HeaderMap) -> Option<&'h str> {
    let name = policy
        .manifest
        .mwt
        .as_ref()
        .map_or(mwt::HEADER_NAME, |m| m.header.as_str());
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok().map(str::trim)
}

/// The scope field's value for a verified token: sorted roles as canonical JSON, or the
/// subject.
fn scope_text(scope: EdgeScope, claims: &MwtClaims) -> String {
    match scope {
        EdgeScope::Roles => {
            let mut roles: Vec<&str> = claims.roles().iter().map(String::as_str).collect();
            roles.sort_unstable_by(|a, b| mizan_protocol::utf16_cmp(a, b));
            roles.dedup();
            mizan_protocol::canonical_json(&serde_json::json!(roles))
        }
        EdgeScope::User | EdgeScope::Public => claims.sub().to_owned(),
    }
}

fn generic_key(host: &str, target: &str) -> Arc<str> {
    format!("g:{}:{target}", host.to_ascii_lowercase()).into()
}

/// Waits for the leader's outcome; `None` when it was not storable or the leader gave up.
async fn wait(rx: &mut tokio::sync::watch::Receiver<Option<Outcome>>) -> Outcome {
    loop {
        if let Some(outcome) = rx.borrow_and_update().clone() {
            return outcome;
        }
        if rx.changed().await.is_err() {
            return rx.borrow().clone().flatten();
        }
    }
}
