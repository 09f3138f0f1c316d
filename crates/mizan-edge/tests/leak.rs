//! Zero cross-user leaks: 100,000 randomized requests (seeded) from 200 users with 3 roles
//! and anonymous callers go through an edge with a manifest of a public, a per-role-set and a
//! per-user context and a per-user route. The origin answers every request with the identity
//! it derives from the request's credentials (session cookie, else bearer token), signed
//! with a secret only the origin and the test hold, and issues, keeps or clears MWTs as
//! `spec/MWT.md` §6.3 says. The requests mix valid tokens with forged, expired, wrong-key,
//! unknown-key, truncated and tampered ones, other users' tokens next to one's own session,
//! ambiguous token transport, duplicate and undeclared parameters, delimiter tricks (`;`,
//! `%2F`, `%23`, `..`, `%00`), bodies on GET, oversized headers and bearer tokens without an
//! MWT. Every body that reaches a client must carry an identity that client is entitled to:
//! the one its own credentials give, or the one of a valid MWT it presented (holding a valid
//! token is holding its scope, §6.4). Hits are counted to show the cache was used.
//!
//! `MIZAN_LEAK_REQUESTS` and `MIZAN_LEAK_SEED` change the number of requests and the seed.

mod edgetest_support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use edgetest_support::{Rng, client, keys, now, respond, send, serve, start_edge};
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use mizan_protocol::Params;
use mizan_protocol::cache_key::key_of;
use mizan_protocol::edge_manifest::{
    EdgeContext, EdgeCredentials, EdgeManifest, EdgeMwt, EdgePurge, EdgeRoute, EdgeScope,
};
use mizan_protocol::mwt::{self, MwtClaims, MwtKeys, MwtRefresh};
use serde_json::{Value, json};

const USERS: usize = 200;
const ROLES: usize = 3;
/// Items per context and profile ids: few, so that entries are shared and hit.
const ITEMS: u64 = 4;
/// The origin's body-signing secret: the edge does not know it, so it cannot make up a body.
const BODY_SECRET: &[u8] = b"the origin signs what it answers";

/// One user: its subject, roles, session id and bearer token, and the tokens the test
/// presents for it (issued once: HMAC in a debug build is not free).
struct User {
    sub: String,
    roles: Vec<String>,
    session: String,
    bearer: String,
    valid: String,
    expired: String,
    forged: String,
    unknown_key: String,
}

/// What the origin and the test both know.
struct World {
    users: Vec<User>,
    sessions: HashMap<String, usize>,
    bearers: HashMap<String, usize>,
    /// Every valid token the test presents, and its user.
    valid: HashMap<String, usize>,
    keys: MwtKeys,
    served: AtomicU64,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        let keys = keys();
        let t = now();
        let mut users = Vec::with_capacity(USERS);
        for i in 0..USERS {
            let claims = |exp| {
                MwtClaims::new(format!("u{i}"), [format!("r{}", i % ROLES)], exp).expect("claims")
            };
            let issue =
                |claims: &MwtClaims, keys: &MwtKeys| mwt::issue(claims, keys).expect("issue");
            users.push(User {
                sub: format!("u{i}"),
                roles: vec![format!("r{}", i % ROLES)],
                session: format!("s{i}x{:016x}", rng.next_u64()),
                bearer: format!("b{i}x{:016x}", rng.next_u64()),
                valid: issue(&claims(t + 300), &keys),
                expired: issue(&claims(t - 3600), &keys),
                forged: issue(&claims(t + 300), &edgetest_support::wrong_keys()),
                unknown_key: issue(&claims(t + 300), &edgetest_support::unknown_keys()),
            });
        }
        let valid = users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.valid.clone(), i))
            .collect();
        let sessions = users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.session.clone(), i))
            .collect();
        let bearers = users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.bearer.clone(), i))
            .collect();
        Self {
            users,
            sessions,
            bearers,
            valid,
            keys,
            served: AtomicU64::new(0),
        }
    }

    /// The caller as the origin authenticates it: the first `sid` cookie, else a bearer
    /// token. The MWT plays no part.
    fn identity(&self, headers: &HeaderMap) -> Option<usize> {
        let sid = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("sid="));
        if let Some(sid) = sid {
            return self.sessions.get(sid).copied();
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))?;
        self.bearers.get(bearer).copied()
    }

    /// What a body of `ctx` says about `user`.
    fn who(&self, ctx: &str, user: Option<usize>) -> String {
        match ctx {
            "pub" => "public".to_owned(),
            "team" => format!(
                "roles:{}",
                user.map(|u| self.users[u].roles.join(","))
                    .unwrap_or_default()
            ),
            _ => format!(
                "user:{}",
                user.map(|u| self.users[u].sub.as_str()).unwrap_or("")
            ),
        }
    }

    /// What a body of `ctx` says for the subject and roles of verified claims.
    fn who_of_claims(ctx: &str, claims: &MwtClaims) -> String {
        match ctx {
            "pub" => "public".to_owned(),
            "team" => format!("roles:{}", claims.roles().join(",")),
            _ => format!("user:{}", claims.sub()),
        }
    }

    fn claims(&self, user: usize, exp: u64) -> MwtClaims {
        MwtClaims::new(
            self.users[user].sub.clone(),
            self.users[user].roles.iter().cloned(),
            exp,
        )
        .expect("valid claims")
    }
}

fn signature(ctx: &str, what: &str, who: &str) -> String {
    key_of(BODY_SECRET, format!("{ctx}|{what}|{who}").as_bytes())
}

/// The origin: contexts `pub`, `team`, `me` under `/api/mizan/ctx/` and the route
/// `/profile/{id}`, matched on the raw path (no decoding, no normalization).
async fn origin(world: Arc<World>, request: Request<Incoming>) -> http::Response<Full<Bytes>> {
    world.served.fetch_add(1, Ordering::Relaxed);
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let headers = request.headers().clone();
    let no_store = || [("cache-control", "no-store".to_owned())];
    let (ctx, what, content_type) = if let Some(name) = path
        .strip_prefix("/api/mizan/ctx/")
        .and_then(|rest| rest.strip_suffix('/'))
        .filter(|name| ["pub", "team", "me"].contains(name))
    {
        let Ok(params) = Params::from_query(&query) else {
            return respond(
                StatusCode::BAD_REQUEST,
                &no_store(),
                "bad parameters".into(),
            );
        };
        if params.as_map().keys().any(|k| k != "item") {
            return respond(
                StatusCode::BAD_REQUEST,
                &no_store(),
                "unknown parameter".into(),
            );
        }
        (name.to_owned(), params.to_query(), "application/json")
    } else if let Some(id) = path
        .strip_prefix("/profile/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
    {
        if !query.is_empty() {
            return respond(StatusCode::BAD_REQUEST, &no_store(), "no query here".into());
        }
        ("profile".to_owned(), id.to_owned(), "text/html")
    } else {
        return respond(StatusCode::NOT_FOUND, &no_store(), "not found".into());
    };
    let user = world.identity(&headers);
    let who = world.who(&ctx, user);
    let body = json!({
        "ctx": ctx, "what": what, "who": who, "sig": signature(&ctx, &what, &who),
    })
    .to_string();
    let mut out = vec![
        ("content-type", content_type.to_owned()),
        (
            "cache-control",
            if ctx == "pub" {
                "public, max-age=60, s-maxage=60"
            } else {
                "private, max-age=60"
            }
            .to_owned(),
        ),
    ];
    if ctx == "me" || ctx == "profile" {
        out.push(("x-mizan-scope", "user".to_owned()));
    }
    // MWT.md §6.3, as the Mizan origin does it (crates/mizan/src/auth/auto.rs).
    let header_tokens: Vec<&str> = headers
        .get_all(mwt::HEADER_NAME)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let cookies: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let presented = mwt::presented(&header_tokens, &cookies);
    let t = now();
    let wanted = user.map(|u| world.claims(u, t + world.keys.lifetime()));
    let issued = match mwt::refresh(presented, wanted.as_ref(), &world.keys, t) {
        MwtRefresh::Keep => None,
        MwtRefresh::Clear => Some((mwt::clear_cookie(false), None)),
        MwtRefresh::Issue(claims) => {
            let token = mwt::issue(&claims, &world.keys).expect("issue");
            Some((
                mwt::set_cookie(&token, claims.exp() - t, false),
                Some(token),
            ))
        }
    };
    if let Some((cookie, token)) = issued {
        out.push(("set-cookie", cookie));
        if let Some(token) = token {
            out.push((mwt::HEADER_NAME, token));
        }
        if ctx == "pub" {
            out[1].1 = "no-store".to_owned();
        }
    }
    respond(StatusCode::OK, &out, body)
}

fn manifest() -> EdgeManifest {
    let context = |path: &str, scope, function: &str| EdgeContext {
        path: path.to_owned(),
        params: vec!["item".to_owned()],
        ttl: Some(60),
        scope,
        revs: BTreeMap::from([(function.to_owned(), 1)]),
        content_type: "application/json".to_owned(),
    };
    EdgeManifest {
        format: "mizan-edge-manifest".to_owned(),
        version: 1,
        protocol: 1,
        base_path: "/api/mizan".to_owned(),
        credentials: EdgeCredentials {
            session_cookie: Some("sid".to_owned()),
            bearer: true,
        },
        mwt: Some(EdgeMwt {
            cookie: mwt::COOKIE_NAME.to_owned(),
            header: "X-Mizan-MWT".to_owned(),
            key_ids: vec!["k1".to_owned()],
            signing_key_id: "k1".to_owned(),
            leeway: 60,
        }),
        contexts: BTreeMap::from([
            (
                "pub".to_owned(),
                context("/api/mizan/ctx/pub/", EdgeScope::Public, "pub_item"),
            ),
            (
                "team".to_owned(),
                context("/api/mizan/ctx/team/", EdgeScope::Roles, "team_item"),
            ),
            (
                "me".to_owned(),
                context("/api/mizan/ctx/me/", EdgeScope::User, "my_item"),
            ),
        ]),
        routes: vec![EdgeRoute {
            function: "profile".to_owned(),
            context: "profile".to_owned(),
            pattern: "/profile/{id}".to_owned(),
            params: Vec::new(),
            ttl: 60,
            scope: EdgeScope::User,
            rev: 1,
            content_type: "text/html".to_owned(),
        }],
        purges: BTreeMap::from([(
            "touch".to_owned(),
            EdgePurge {
                route: None,
                contexts: vec!["pub".to_owned(), "team".to_owned(), "me".to_owned()],
                routes: vec!["profile".to_owned()],
            },
        )]),
    }
}

/// Request targets that try to make the edge key one thing while the origin answers another.
const TRICKS: &[&str] = &[
    "/api/mizan/ctx/me/?item=1&item=2",
    "/api/mizan/ctx/pub/?item=1&item=2",
    "/api/mizan/ctx/me/?item=1&x=2",
    "/api/mizan/ctx/me/?item=01",
    "/api/mizan/ctx/me/?item=%31",
    "/api/mizan/ctx/pub/?item=1.0",
    "/api/mizan/ctx/me;item=1/?item=1",
    "/api/mizan/ctx/pub;/?item=1",
    "/api/mizan/ctx/pub/..%2Fme/?item=1",
    "/api/mizan/ctx/pub%2F..%2Fme/?item=1",
    "/api/mizan/ctx/pub/%2e%2e/me/?item=1",
    "/api/mizan/ctx/pub/../me/?item=1",
    "/api/mizan/ctx/pub/./?item=1",
    "/api/mizan/ctx//pub/?item=1",
    "/api/mizan/ctx/me/%23?item=1",
    "/api/mizan/ctx/me/?item=1%23x",
    "/api/mizan/ctx/me/?item=1%00",
    "/api/mizan/ctx/me%00/?item=1",
    "/api/mizan/ctx/ME/?item=1",
    "/api/mizan/ctx/pub%2F?item=1",
    "/profile/u1;u2",
    "/profile/u1%2Fu2",
    "/profile/u1%2F..%2Fu2",
    "/profile/u1%00",
    "/profile/u1%23",
    "/profile/..%2Fapi%2Fmizan%2Fctx%2Fme%2F",
    "/profile/../api/mizan/ctx/me/?item=1",
    "/profile/u1/",
    "//profile/u1",
    "/PROFILE/u1",
    "/profile/u1?item=1",
];

/// How a request presents an MWT.
#[derive(Clone, Copy, Debug)]
enum Token {
    None,
    Own,
    OtherUsers,
    Forged,
    Expired,
    UnknownKey,
    Truncated,
    Tampered,
    TwoHeaders,
    TwoCookies,
}

/// One generated request and what its sender may see.
struct Case {
    request: Request<Full<Bytes>>,
    /// The context and instance asked for, when the target is not a trick.
    expect: Option<(String, String)>,
    /// The identity the request's credentials give.
    user: Option<usize>,
    /// The claims of a valid MWT it presents.
    claims: Option<MwtClaims>,
    description: String,
}

fn token_for(
    world: &World,
    rng: &mut Rng,
    user: Option<usize>,
    kind: Token,
) -> Vec<(bool, String)> {
    let own = user.unwrap_or_else(|| rng.below(USERS as u64) as usize);
    let other = (own + 1 + rng.below(USERS as u64 - 1) as usize) % USERS;
    let (mine, theirs) = (&world.users[own], &world.users[other]);
    // (as a header?, token)
    let as_header = rng.percent(30);
    match kind {
        Token::None => vec![],
        Token::Own => vec![(as_header, mine.valid.clone())],
        Token::OtherUsers => vec![(as_header, theirs.valid.clone())],
        Token::Forged => vec![(as_header, theirs.forged.clone())],
        Token::Expired => vec![(as_header, rng.pick(&[mine, theirs]).expired.clone())],
        Token::UnknownKey => vec![(as_header, theirs.unknown_key.clone())],
        Token::Truncated => {
            let token = &rng.pick(&[mine, theirs]).valid;
            let cut = 1 + rng.below(token.len() as u64 - 1) as usize;
            vec![(as_header, token[..cut].to_owned())]
        }
        Token::Tampered => {
            // Another user's payload under this user's MAC.
            let m: Vec<&str> = mine.valid.split('.').collect();
            let t: Vec<&str> = theirs.valid.split('.').collect();
            vec![(as_header, format!("{}.{}.{}.{}", m[0], m[1], t[2], m[3]))]
        }
        Token::TwoHeaders => vec![(true, mine.valid.clone()), (true, theirs.valid.clone())],
        Token::TwoCookies => vec![(false, mine.valid.clone()), (false, theirs.valid.clone())],
    }
}

fn generate(world: &World, rng: &mut Rng) -> Case {
    // The caller: a session (70 %), a bearer token (25 %) or nobody (5 %).
    let user = rng.below(USERS as u64) as usize;
    let credential = rng.below(100);
    let (user, session, bearer) = match credential {
        0..70 => (Some(user), true, false),
        70..95 => (Some(user), false, true),
        _ => (None, false, false),
    };
    let kind = match rng.below(100) {
        0..45 => Token::Own,
        45..53 => Token::None,
        53..61 => Token::OtherUsers,
        61..67 => Token::Forged,
        67..72 => Token::Expired,
        72..77 => Token::UnknownKey,
        77..83 => Token::Truncated,
        83..88 => Token::Tampered,
        88..94 => Token::TwoHeaders,
        _ => Token::TwoCookies,
    };
    let kind = if user.is_none() && matches!(kind, Token::Own) {
        Token::None
    } else {
        kind
    };
    let tokens = token_for(world, rng, user, kind);

    let item = rng.below(ITEMS);
    let (target, expect) = match rng.below(100) {
        0..28 => (
            format!("/api/mizan/ctx/me/?item={item}"),
            Some(("me", format!("item={item}"))),
        ),
        28..46 => (
            format!("/api/mizan/ctx/team/?item={item}"),
            Some(("team", format!("item={item}"))),
        ),
        46..64 => (
            format!("/api/mizan/ctx/pub/?item={item}"),
            Some(("pub", format!("item={item}"))),
        ),
        64..67 => (
            "/api/mizan/ctx/pub/".to_owned(),
            Some(("pub", String::new())),
        ),
        67..82 => (
            format!("/profile/u{item}"),
            Some(("profile", format!("u{item}"))),
        ),
        _ => ((*rng.pick(TRICKS)).to_owned(), None),
    };
    let expect = expect.map(|(c, w)| (c.to_owned(), w));

    let mut builder = Request::builder().method(Method::GET).uri(target.as_str());
    let mut cookies = Vec::new();
    if session {
        cookies.push(format!(
            "sid={}",
            world.users[user.expect("a user")].session
        ));
    }
    if rng.percent(10) {
        cookies.push("theme=dark".to_owned());
    }
    for (as_header, token) in &tokens {
        if *as_header {
            builder = builder.header(mwt::HEADER_NAME, token.as_str());
        } else {
            cookies.push(format!("{}={token}", mwt::COOKIE_NAME));
        }
    }
    if bearer {
        builder = builder.header(
            header::AUTHORIZATION,
            format!("Bearer {}", world.users[user.expect("a user")].bearer),
        );
    }
    // Cookies in one field or one field each.
    if rng.percent(50) {
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies.join("; "));
        }
    } else {
        for cookie in &cookies {
            builder = builder.header(header::COOKIE, cookie.as_str());
        }
    }
    let mut extras = Vec::new();
    if rng.percent(2) {
        builder = builder.header("x-padding", "p".repeat(24 * 1024));
        extras.push("oversized header");
    }
    let body = if rng.percent(3) {
        extras.push("body on GET");
        builder = builder.header(header::CONTENT_TYPE, "application/json");
        Bytes::from_static(b"{\"item\":3}")
    } else {
        Bytes::new()
    };
    let request = builder.body(Full::new(body)).expect("a valid request");

    // What the sender may see: its credentials' identity, or a valid token's scope.
    let header_tokens: Vec<&str> = request
        .headers()
        .get_all(mwt::HEADER_NAME)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let cookie_fields: Vec<&str> = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    // The test's own tokens that verify are exactly those it issued valid (the others are
    // checked against `mwt::verify` once, at the start of the test).
    let claims = mwt::presented(&header_tokens, &cookie_fields)
        .and_then(|token| world.valid.get(token))
        .map(|&u| world.claims(u, 0));
    let derived = world.identity(request.headers());
    assert_eq!(
        derived, user,
        "the test derives identities as the origin does"
    );
    let description = format!(
        "GET {target} user={:?} session={session} bearer={bearer} token={kind:?} {}",
        user.map(|u| world.users[u].sub.as_str()),
        extras.join(", ")
    );
    Case {
        request,
        expect,
        user,
        claims,
        description,
    }
}

#[derive(Default)]
struct Tally {
    sent: u64,
    ok: u64,
    hits: u64,
    /// Bodies of the presented MWT's identity rather than the session's or bearer's: the
    /// token is the scope (MWT.md §6.4), so a client holding another user's valid token
    /// sees that user's cached copies, as the token's holder may.
    token_scope: u64,
    leaks: Vec<String>,
    misdirected: Vec<String>,
    server_errors: Vec<String>,
    statuses: BTreeMap<u16, u64>,
}

fn check(
    world: &World,
    case: &Case,
    status: StatusCode,
    headers: &HeaderMap,
    body: &Bytes,
    tally: &mut Tally,
) {
    *tally.statuses.entry(status.as_u16()).or_default() += 1;
    if status.is_server_error() {
        tally
            .server_errors
            .push(format!("{status} for {}", case.description));
        return;
    }
    if status != StatusCode::OK {
        return;
    }
    tally.ok += 1;
    if headers.get("x-mizan-edge").is_some_and(|v| v == "hit") {
        tally.hits += 1;
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        tally.leaks.push(format!(
            "a body the origin never sent for {}: {body:?}",
            case.description
        ));
        return;
    };
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (ctx, what, who, sig) = (field("ctx"), field("what"), field("who"), field("sig"));
    if sig != signature(&ctx, &what, &who) {
        tally.leaks.push(format!(
            "a body not signed by the origin for {}: {value}",
            case.description
        ));
        return;
    }
    let own = world.who(&ctx, case.user);
    if who != own {
        tally.token_scope += 1;
    }
    let mut entitled = vec![own];
    if let Some(claims) = &case.claims {
        entitled.push(World::who_of_claims(&ctx, claims));
    }
    if !entitled.contains(&who) {
        tally.leaks.push(format!(
            "{} received {ctx} {what} of {who} (entitled to {entitled:?}; {} )",
            case.description,
            headers
                .get("x-mizan-edge")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?"),
        ));
    }
    if let Some((want_ctx, want_what)) = &case.expect
        && (ctx != *want_ctx || what != *want_what)
    {
        tally
            .misdirected
            .push(format!("{} received {ctx} {what}", case.description));
    }
    // Never replay one caller's token to another.
    if headers.contains_key(mwt::HEADER_NAME) || headers.contains_key(header::SET_COOKIE) {
        let fresh = headers.get("x-mizan-edge").is_some_and(|v| v == "hit");
        if fresh {
            tally.leaks.push(format!(
                "a hit replays Set-Cookie or X-Mizan-MWT for {}",
                case.description
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_reaches_a_client_it_was_not_meant_for() {
    let requests: u64 = std::env::var("MIZAN_LEAK_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("MIZAN_LEAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6d69_7a61_6e13);
    let world = Arc::new(World::new(&mut Rng::new(seed)));
    let t = now();
    for user in &world.users {
        assert!(mwt::verify(&user.valid, &world.keys, t).is_ok());
        for bad in [&user.expired, &user.forged, &user.unknown_key] {
            assert!(mwt::verify(bad, &world.keys, t).is_err());
        }
    }
    let origin_world = Arc::clone(&world);
    let origin_addr = serve(move |request| origin(Arc::clone(&origin_world), request)).await;
    let (edge, _dir) = start_edge(origin_addr, &manifest(), keys()).await;
    let base = format!("http://{}", edge.addr());

    const WORKERS: u64 = 32;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let world = Arc::clone(&world);
        let base = base.clone();
        let count = requests / WORKERS + u64::from(worker < requests % WORKERS);
        tasks.push(tokio::spawn(async move {
            let http = client(4);
            let mut rng = Rng::new(seed ^ (worker + 1).wrapping_mul(0x9e37_79b9));
            let mut tally = Tally::default();
            for _ in 0..count {
                let mut case = generate(&world, &mut rng);
                let uri = format!("{base}{}", case.request.uri());
                *case.request.uri_mut() = uri.parse().expect("a valid URI");
                let request =
                    std::mem::replace(&mut case.request, Request::new(Full::new(Bytes::new())));
                tally.sent += 1;
                match send(&http, request).await {
                    Ok((status, headers, body)) => {
                        check(&world, &case, status, &headers, &body, &mut tally);
                    }
                    Err(e) => tally
                        .server_errors
                        .push(format!("{e} for {}", case.description)),
                }
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let t = task.await.expect("a worker");
        total.sent += t.sent;
        total.ok += t.ok;
        total.hits += t.hits;
        total.token_scope += t.token_scope;
        total.leaks.extend(t.leaks);
        total.misdirected.extend(t.misdirected);
        total.server_errors.extend(t.server_errors);
        for (status, n) in t.statuses {
            *total.statuses.entry(status).or_default() += n;
        }
    }
    let elapsed = started.elapsed();
    let served = world.served.load(Ordering::Relaxed);
    eprintln!(
        "leak test: {} requests in {:.1} s, statuses {:?}; {} hits ({:.1} % of requests), origin served {} ({:.1} %); {} bodies of the presented token's identity; {} leaks, {} misdirected, {} server errors",
        total.sent,
        elapsed.as_secs_f64(),
        total.statuses,
        total.hits,
        100.0 * total.hits as f64 / total.sent as f64,
        served,
        100.0 * served as f64 / total.sent as f64,
        total.token_scope,
        total.leaks.len(),
        total.misdirected.len(),
        total.server_errors.len(),
    );
    for line in total
        .leaks
        .iter()
        .chain(&total.misdirected)
        .chain(&total.server_errors)
        .take(30)
    {
        eprintln!("  {line}");
    }
    assert!(
        total.leaks.is_empty(),
        "{} responses reached a client they were not meant for",
        total.leaks.len()
    );
    assert!(
        total.misdirected.is_empty(),
        "{} responses answered another resource",
        total.misdirected.len()
    );
    assert!(
        total.server_errors.is_empty(),
        "{} requests failed",
        total.server_errors.len()
    );
    assert_eq!(total.sent, requests);
    // The cache was used: most valid requests hit.
    assert!(
        total.hits * 4 >= total.sent,
        "only {} of {} requests hit the cache",
        total.hits,
        total.sent
    );
    assert!(
        served + total.hits <= total.sent,
        "a hit reached the origin, or the edge asked it twice"
    );
}
