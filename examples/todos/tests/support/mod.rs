//! What the example's tests share: the app's router on a fresh in-memory database, and a
//! browser that keeps its cookies and sends what a same-origin page sends.

#![allow(dead_code, clippy::unwrap_used)]

pub mod postgres;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use example_todos::{app, db};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The app `main` serves (without the React build), on a fresh in-memory database seeded
/// with project 1, its todos 1 and 2, and the demo users.
pub async fn router() -> Router {
    let pool = db::memory().await.unwrap();
    let api = app::builder(pool).build().unwrap();
    app::router(&api, None)
}

/// The app on `db` (prepared here) with `shared` state: one instance of several.
pub async fn router_on(db: db::Db, shared: example_todos::config::Shared) -> Router {
    db::prepare(&db).await.unwrap();
    let api = app::builder_with(db, shared).build().unwrap();
    app::router(&api, None)
}

/// One reply, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    /// The error code of an error reply.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A browser on `http://127.0.0.1:3000`: it keeps the cookies it is given and sends them
/// back, with the headers a same-origin `fetch` or form adds and, for scripts' calls, the
/// CSRF header copied from the `mizan-csrf` cookie (as the generated client does).
pub struct Browser {
    router: Router,
    pub cookies: BTreeMap<String, String>,
    /// The TCP peer, as `mizan::serve` records it (`None`: no address, as with `oneshot`).
    pub peer: Option<SocketAddr>,
}

impl Browser {
    pub fn new(router: &Router) -> Self {
        Self {
            router: router.clone(),
            cookies: BTreeMap::new(),
            peer: None,
        }
    }

    /// The same browser (its cookies) talking to another instance of the app.
    pub fn on(&self, router: &Router) -> Self {
        Self {
            router: router.clone(),
            cookies: self.cookies.clone(),
            peer: self.peer,
        }
    }

    /// A browser at another address.
    pub fn from(router: &Router, peer: &str) -> Self {
        Self {
            peer: Some(peer.parse().unwrap()),
            ..Self::new(router)
        }
    }

    /// A request with the cookies and the same-origin headers; cookies set are kept.
    pub async fn request(
        &mut self,
        method: &str,
        uri: &str,
        body: Option<(&str, String)>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "127.0.0.1:3000")
            .header("sec-fetch-site", "same-origin");
        if method != "GET" {
            builder = builder.header(header::ORIGIN, "http://127.0.0.1:3000");
        }
        if !self.cookies.is_empty() {
            let pairs: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            builder = builder.header(header::COOKIE, pairs.join("; "));
        }
        if let Some(peer) = self.peer {
            builder = builder.extension(ConnectInfo(peer));
        }
        for (k, v) in extra {
            builder = builder.header(*k, *v);
        }
        let body = match body {
            Some((content_type, text)) => {
                builder = builder.header(header::CONTENT_TYPE, content_type);
                Body::from(text)
            }
            None => Body::empty(),
        };
        let reply = send(&self.router, builder.body(body).unwrap()).await;
        self.keep(&reply);
        reply
    }

    fn keep(&mut self, reply: &Reply) {
        for line in reply
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let Some((k, v)) = line.split(';').next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            if v.is_empty() || line.to_ascii_lowercase().contains("max-age=0") {
                self.cookies.remove(k.trim());
            } else {
                self.cookies
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }

    pub async fn get(&mut self, uri: &str) -> Reply {
        self.request("GET", uri, None, &[]).await
    }

    /// A script's call, with `X-Mizan-CSRF` from the `mizan-csrf` cookie when there is one.
    pub async fn call(&mut self, function: &str, args: Value) -> Reply {
        let token = self.cookies.get("mizan-csrf").cloned();
        let extra: Vec<(&str, &str)> = token
            .as_deref()
            .map(|t| ("x-mizan-csrf", t))
            .into_iter()
            .collect();
        let uri = format!("/api/mizan/call/{function}/");
        self.request(
            "POST",
            &uri,
            Some(("application/json", args.to_string())),
            &extra,
        )
        .await
    }

    /// An HTML form's post (`application/x-www-form-urlencoded`), with no CSRF header.
    pub async fn form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        self.request(
            "POST",
            uri,
            Some(("application/x-www-form-urlencoded", body.join("&"))),
            &[],
        )
        .await
    }

    /// Signs in with the demo password of `user` (`<user>-demo`), asserting it worked.
    pub async fn login(&mut self, user: &str) -> Reply {
        let reply = self
            .call(
                "login",
                json!({"username": user, "password": format!("{user}-demo")}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login as {user}: {}",
            reply.text()
        );
        reply
    }

    /// The `me` context's `current_user`.
    pub async fn me(&mut self) -> Value {
        let reply = self.get("/api/mizan/ctx/me/").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()["current_user"].clone()
    }
}

/// Percent-encodes a form value (enough for the tests' values).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
