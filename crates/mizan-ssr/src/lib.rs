//! Server-side rendering for Mizan.
//!
//! A pool of persistent JavaScript workers (`@mizan/ssr-worker` on Bun or Node) renders the
//! application's React, Vue or Svelte pages; the Rust side preloads the contexts a page needs
//! (through the application's own Mizan router: same guards, same cache), sends them with the
//! render call, and embeds them in the page, keyed as `@mizan/runtime` keys its entries, so
//! the browser hydrates without a request for them.
//!
//! Built around deadlines, recovery and fallback: every render has a deadline (2 s by
//! default) after which the worker is killed and replaced; crashed workers are restarted with
//! backoff; a circuit breaker turns SSR off for a while after repeated failures; workers are
//! recycled after N renders or above a memory limit, the replacement started first. Whatever
//! goes wrong, the page is still served: as its HTML shell and the preloaded data, rendered in
//! the browser (`X-Mizan-SSR: fallback`). Strict mode (development, tests) makes a failed
//! render an error with the JavaScript stack instead.
//!
//! ```no_run
//! # async fn run(api: mizan::Mizan) -> Result<(), Box<dyn std::error::Error>> {
//! use axum::routing::get;
//! use mizan_ssr::{Page, Ssr, SsrConfig};
//!
//! let ssr = Ssr::start(
//!     SsrConfig::new("web/dist-server/entry-server.js").shell("web/dist/index.html"),
//! )
//! .await?
//! .preloading(&api);
//! let app = axum::Router::new()
//!     .route("/", get(ssr.page(|_request| Page::new().preload("projects", mizan::params! {}))))
//!     .merge(api.router());
//! # Ok(()) }
//! ```
//!
//! The wire between the Rust side and the workers is written in `spec/SSR.md`; the guide is
//! `docs/ssr.md`.

mod breaker;
mod config;
mod error;
mod frame;
mod metrics;
mod page;
mod pool;
mod shell;
#[cfg(feature = "minijinja")]
mod template;
mod worker;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

pub use config::{BreakerConfig, Runtime, SsrConfig};
pub use error::{FallbackReason, SsrError, StartError};
pub use metrics::SsrMetrics;
pub use page::Page;

use page::Preloader;
use pool::Pool;
use shell::ShellFile;

/// The codecs the shared test vectors (spec/vectors/ssr-frame.json, page-data.json) check.
/// Not part of the API.
#[doc(hidden)]
pub mod __vectors {
    use serde_json::Value;

    /// Encodes one frame.
    pub async fn encode_frame(message: &Value, blob: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = crate::frame::write(&mut out, message, blob).await;
        out
    }

    /// Decodes one frame, or names its error kind (`too_large`, `not_json`, `closed`).
    pub async fn decode_frame(mut bytes: &[u8]) -> Result<(Value, Vec<u8>), String> {
        use crate::frame::FrameError;
        crate::frame::read(&mut bytes)
            .await
            .map(|f| (f.message, f.blob))
            .map_err(|e| {
                match e {
                    FrameError::TooLarge(..) => "too_large",
                    FrameError::NotJson(_) => "not_json",
                    FrameError::Closed | FrameError::Io(_) => "closed",
                }
                .to_owned()
            })
    }

    /// The page data script.
    pub fn page_data_script(data: &Value) -> String {
        crate::shell::data_script(data)
    }
}

/// The response header that says how a page was made: `rendered` or `fallback`.
pub const SSR_HEADER: &str = "x-mizan-ssr";

/// A running SSR pool (cheap to clone: clones share it). Dropping the last clone stops the
/// workers.
#[derive(Debug, Clone)]
pub struct Ssr {
    pool: Arc<Pool>,
    shell: Option<Arc<ShellFile>>,
    preloader: Option<Preloader>,
}

/// What one render produced: the markup and head tags, or nothing and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rendered {
    /// the markup for the page's outlet (empty for a fallback)
    pub html: String,
    /// tags for the page's `<head>` (empty for a fallback)
    pub head: String,
    /// `Some(reason)` when nothing was rendered and the browser must render the page
    pub fallback: Option<FallbackReason>,
}

/// What the worker receives for one render (spec/SSR.md `render`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RenderInput {
    /// the page's path and query
    pub url: String,
    /// the page component's props
    pub props: serde_json::Map<String, Value>,
    /// who the page is for, or `Null`
    pub identity: Value,
    /// the preloaded contexts (entry key → hydration entry)
    pub data: Value,
}

impl RenderInput {
    /// An input for `url` with no props, identity or data.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            data: json!({}),
            ..Self::default()
        }
    }
}

impl Ssr {
    /// Starts the pool: the first worker before returning (so a broken bundle or a missing
    /// runtime is an error at start-up, with the JavaScript error), the others in the
    /// background.
    ///
    /// # Errors
    /// A missing bundle, shell, runtime or worker script, a shell without its markers, or a
    /// first worker that does not start.
    pub async fn start(config: SsrConfig) -> Result<Self, SsrError> {
        let shell = match &config.shell {
            Some(path) => Some(Arc::new(ShellFile::load(path)?)),
            None => None,
        };
        let pool = Pool::start(config).await?;
        Ok(Self {
            pool,
            shell,
            preloader: None,
        })
    }

    /// Runs [`Page::preload`]s against `api` (its router, at its base path).
    #[must_use]
    pub fn preloading(mut self, api: &mizan::Mizan) -> Self {
        self.preloader = Some(Preloader {
            router: api.router(),
            base: api.schema().base_path.clone(),
        });
        self
    }

    /// Renders one input. A failure is a fallback ([`Rendered::fallback`]), logged and
    /// counted; in strict mode it is an error instead.
    ///
    /// # Errors
    /// Only in strict mode: [`SsrError::Render`] with the JavaScript error and stack.
    pub async fn render(&self, input: RenderInput) -> Result<Rendered, SsrError> {
        let url = input.url.clone();
        let params = json!({
            "url": input.url,
            "props": input.props,
            "identity": input.identity,
            "data": input.data,
        });
        match self.pool.render(params).await {
            Ok(markup) => Ok(Rendered {
                html: markup.html,
                head: markup.head,
                fallback: None,
            }),
            Err(failure) => {
                self.pool.counters.fallback(failure.reason);
                if self.pool.config.strict {
                    return Err(SsrError::Render {
                        reason: failure.reason,
                        message: failure.message,
                        stack: failure.stack,
                    });
                }
                tracing::warn!(
                    reason = failure.reason.as_str(),
                    url,
                    stack = failure.stack,
                    "SSR fallback: {}",
                    failure.message
                );
                Ok(Rendered {
                    html: String::new(),
                    head: String::new(),
                    fallback: Some(failure.reason),
                })
            }
        }
    }

    /// The whole page for a request: runs the preloads, renders, and assembles the shell.
    /// `200` with `X-Mizan-SSR: rendered` and `Cache-Control: private, no-cache` (the page
    /// holds its caller's data), or the fallback: the shell with the preloaded data and no
    /// markup, `X-Mizan-SSR: fallback`, `Cache-Control: no-store`. In strict mode a failed
    /// render is a `500` page with the JavaScript stack.
    pub async fn render_page(&self, parts: &Parts, page: Page) -> Response {
        let Some(shell) = &self.shell else {
            return plain_error(
                "Ssr::render_page needs an HTML shell: SsrConfig::shell(\"…/index.html\")",
            );
        };
        let data = match (&self.preloader, page.preloads.is_empty()) {
            (_, true) => json!({}),
            (Some(preloader), false) => preloader.run(parts, &page.preloads).await,
            (None, false) => {
                return plain_error(
                    "Page::preload needs the Mizan API: Ssr::start(…).await?.preloading(&api)",
                );
            }
        };
        let url = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let input = RenderInput {
            url,
            props: page.props,
            identity: page.identity,
            data,
        };
        let data = input.data.clone();
        let rendered = match self.render(input).await {
            Ok(rendered) => rendered,
            Err(e) => return strict_error(&e),
        };
        let html = shell.get().assemble(&rendered.head, &data, &rendered.html);
        let (how, cache) = match rendered.fallback {
            None => ("rendered", "private, no-cache"),
            Some(_) => ("fallback", "no-store"),
        };
        let mut response = (StatusCode::OK, html).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        h.insert(SSR_HEADER, HeaderValue::from_static(how));
        response
    }

    /// An axum handler serving a page: `get(ssr.page(|request| Page::new()…))`. `page` gets
    /// the request head and says what the page needs.
    pub fn page<F>(
        &self,
        page: F,
    ) -> impl Fn(Request) -> Pin<Box<dyn Future<Output = Response> + Send>> + Clone + Send + Sync + 'static
    where
        F: Fn(&Parts) -> Page + Clone + Send + Sync + 'static,
    {
        let ssr = self.clone();
        move |request: Request| {
            let ssr = ssr.clone();
            let page = page.clone();
            Box::pin(async move {
                let (parts, _) = request.into_parts();
                let wanted = page(&parts);
                ssr.render_page(&parts, wanted).await
            })
        }
    }

    /// The pool's counters.
    pub fn metrics(&self) -> SsrMetrics {
        self.pool.metrics()
    }

    /// How many workers the pool runs.
    pub fn workers(&self) -> usize {
        self.pool.size()
    }

    /// The process ids of the ready workers (diagnostics and fault tests).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.pool.pids()
    }
}

/// A 500 page for a configuration mistake.
fn plain_error(message: &'static str) -> Response {
    tracing::error!("{message}");
    (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
}

/// Strict mode's 500 page: the error and the JavaScript stack, escaped.
fn strict_error(error: &SsrError) -> Response {
    let text = error
        .to_string()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>SSR error</title><h1>Server-side rendering failed</h1><pre>{text}</pre>"
    );
    let mut response = (StatusCode::INTERNAL_SERVER_ERROR, Body::from(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
