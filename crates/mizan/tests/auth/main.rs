//! Mizan's own `Auth` through the real router: bearer JWTs against session cookies, the
//! session's life (sign-in, fixation, sign-out, revocation, bogus cookies), CSRF, and
//! what private responses say to caches.

mod csrf;
mod jwt;
mod mwt;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
use mizan_test_redis as redis_server;
mod sessions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::BodyExt;
use mizan::auth::{Algorithm, Auth, Csrf, DecodingKey, Jwt, Sessions, User, Users};
use mizan::{BoxFuture, Cx, Identity, Mizan, Result};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The HS256 secret of the tests' JWTs.
pub(crate) const SECRET: &[u8] = b"the test secret, thirty-two bytes or more";
/// The RSA key pair of the tests' RS256 JWTs (kid `rsa-1`).
pub(crate) const RSA_PRIVATE: &[u8] = include_bytes!("keys/rsa-private.pem");
pub(crate) const RSA_PUBLIC: &[u8] = include_bytes!("keys/rsa-public.pem");

mizan::context!(pub(crate) ME = "me");

/// The user table: id → (staff, session key).
#[derive(Clone, Default)]
pub(crate) struct Table(pub(crate) Arc<Mutex<HashMap<String, (bool, String)>>>);

impl Table {
    pub(crate) fn with_demo_users() -> Self {
        let table = Self::default();
        {
            let mut users = table.0.lock().expect("lock");
            users.insert("alice".into(), (true, "alice-key-1".into()));
            users.insert("bob".into(), (false, "bob-key-1".into()));
        }
        table
    }

    /// "Sign out everywhere": a new session key.
    pub(crate) fn rotate(&self, id: &str) {
        if let Some(user) = self.0.lock().expect("lock").get_mut(id) {
            user.1.push('+');
        }
    }
}

impl Users for Table {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<User>>> {
        let found = self.0.lock().expect("lock").get(id).cloned();
        Box::pin(async move {
            Ok(found.map(|(staff, key)| {
                let mut identity = Identity::user(id);
                identity.staff = staff;
                User::new(identity, key)
            }))
        })
    }
}

/// Signs in as `username` (the password check is the app's; the tests skip it).
#[mizan::client]
pub(crate) async fn login(cx: &Cx, username: String) -> Result<String> {
    Ok(cx.login(&username).await?.id)
}

#[mizan::client]
pub(crate) async fn logout(cx: &Cx) -> Result<()> {
    cx.logout().await
}

/// Who is asking: a private context.
#[mizan::client(context = ME, private)]
pub(crate) async fn whoami(cx: &Cx) -> Result<Option<String>> {
    Ok(cx.identity().map(|i| i.id.clone()))
}

/// A mutation for signed-in users.
#[mizan::client(auth = true, affects = [ME])]
pub(crate) async fn touch(cx: &Cx) -> Result<String> {
    Ok(cx.user()?.id.clone())
}

/// A form route for signed-in users.
#[mizan::client(route = "/rename", methods = [POST], auth = true, affects = [ME])]
pub(crate) async fn rename(cx: &Cx, name: String) -> Result<String> {
    Ok(format!("{} is now {name}", cx.user()?.id))
}

/// A server-rendered page with a form: its CSRF field.
#[mizan::client(route = "/form", methods = [GET])]
pub(crate) async fn form_page(cx: &Cx) -> Result<String> {
    Ok(cx.csrf_field())
}

/// Stores something in an anonymous session (a cart), as an attacker would to plant a
/// session id before the victim signs in.
#[mizan::client]
pub(crate) async fn plant(#[extract] session: tower_sessions::Session) -> Result<()> {
    session
        .insert("cart", 1)
        .await
        .map_err(|e| mizan::Error::internal(e.to_string()))
}

pub(crate) fn jwt() -> Jwt {
    Jwt::hs256(SECRET)
        .key(
            "rsa-1",
            DecodingKey::from_rsa_pem(RSA_PUBLIC).expect("the test public key"),
            Algorithm::RS256,
        )
        .issuer("https://id.test")
        .audience("todos")
}

/// The app over plain HTTP at `site.test` (Secure cookies off, as in local development).
pub(crate) fn app(table: &Table) -> Router {
    let auth = Auth::new()
        .sessions(Sessions::memory().secure(false), table.clone())
        .jwt(jwt())
        .csrf(Csrf::new().https(false).trust("https://*.trusted.test"));
    app_with(auth)
}

pub(crate) fn app_with(auth: Auth) -> Router {
    Mizan::builder()
        .functions(mizan::functions![
            login, logout, whoami, touch, rename, form_page, plant
        ])
        .auth(auth)
        .build()
        .expect("the auth test graph is valid")
        .router()
}

/// One reply, read whole.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The value a `Set-Cookie` gives cookie `name` (`Some("")` when it clears it).
    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let first = c.split(';').next()?;
                let (k, v) = first.split_once('=')?;
                (k.trim() == name).then(|| v.trim().to_owned())
            })
    }

    /// The whole `Set-Cookie` line of cookie `name`.
    pub(crate) fn cookie_line(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

pub(crate) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response: Response<Body> = app.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a body").to_bytes().to_vec();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A browser of one origin: its cookies, sent back as a browser would, with the headers
/// a same-origin `fetch` adds.
pub(crate) struct Browser {
    pub(crate) app: Router,
    pub(crate) cookies: HashMap<String, String>,
}

impl Browser {
    pub(crate) fn new(app: &Router) -> Self {
        Self {
            app: app.clone(),
            cookies: HashMap::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        let mut pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.sort();
        pairs.join("; ")
    }

    fn keep(&mut self, reply: &Reply) {
        for line in reply
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let Some((k, v)) = line.split(';').next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let cleared = line.to_ascii_lowercase().contains("max-age=0") || v.is_empty();
            if cleared {
                self.cookies.remove(k.trim());
            } else {
                self.cookies
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }

    /// A request with this browser's cookies and `extra` headers; cookies it sets are kept.
    pub(crate) async fn request(
        &mut self,
        method: &str,
        uri: &str,
        body: Option<(&str, String)>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "site.test");
        if !self.cookies.is_empty() {
            builder = builder.header("cookie", self.cookie_header());
        }
        for (k, v) in extra {
            builder = builder.header(*k, *v);
        }
        let body = match body {
            Some((content_type, text)) => {
                builder = builder.header("content-type", content_type);
                Body::from(text)
            }
            None => Body::empty(),
        };
        let reply = send(&self.app, builder.body(body).expect("request")).await;
        self.keep(&reply);
        reply
    }

    /// A same-origin script's call: JSON, `Sec-Fetch-Site: same-origin`, the CSRF header
    /// from the cookie.
    pub(crate) async fn call(&mut self, function: &str, args: Value) -> Reply {
        let token = self.cookies.get("mizan-csrf").cloned().unwrap_or_default();
        let mut extra = vec![
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://site.test"),
        ];
        if !token.is_empty() {
            extra.push(("x-mizan-csrf", token.as_str()));
        }
        let uri = format!("/api/mizan/call/{function}/");
        self.request(
            "POST",
            &uri,
            Some(("application/json", args.to_string())),
            &extra,
        )
        .await
    }

    pub(crate) async fn login(&mut self, user: &str) -> Reply {
        let reply = self.call("login", json!({ "username": user })).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login as {user}: {:?}",
            reply.json()
        );
        reply
    }

    pub(crate) async fn me(&mut self) -> Reply {
        self.request("GET", "/api/mizan/ctx/me/", None, &[]).await
    }
}

/// The `whoami` of a `me` context reply.
pub(crate) fn who(reply: &Reply) -> Value {
    reply.json()["whoami"].clone()
}
