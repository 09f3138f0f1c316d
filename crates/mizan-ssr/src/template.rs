//! Server-rendered components in minijinja templates (the seed's "template backend"): a
//! template calls `ssr(props)` where a component goes; [`Ssr::render_template`] renders the
//! template, renders every component it asked for concurrently on the pool, and puts the
//! markup in place.

use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use minijinja::value::{Kwargs, Object, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use crate::{RenderInput, Ssr, SsrError};

/// The template variable that carries a render's collector.
const COLLECTOR: &str = "__mizan_ssr";

/// The components one template render asked for, in order.
#[derive(Debug, Default)]
struct Collector {
    calls: Mutex<Vec<RenderInput>>,
    /// a marker unique to this render, so no template text can forge a placeholder
    nonce: u64,
}

impl Object for Collector {}

impl Ssr {
    /// Adds the `ssr(props, url="/")` function to `env`: in a template rendered by
    /// [`Ssr::render_template`], `{{ ssr({"title": title}) }}` puts the server bundle's
    /// markup for those props there (`input.props`; `input.url` is `url`). Outside
    /// `render_template` the function is an error.
    pub fn install(env: &mut Environment<'_>) {
        env.add_function("ssr", ssr_function);
    }

    /// Renders template `name` of `env` (prepared with [`Ssr::install`]) with `context`,
    /// then every component it embedded, concurrently; a component whose render falls back
    /// leaves its place empty (the browser renders it, as a page's fallback does).
    ///
    /// # Errors
    /// The template's error ([`SsrError::Template`]), or in strict mode a failed render.
    pub async fn render_template(
        &self,
        env: &Environment<'_>,
        name: &str,
        context: Value,
    ) -> Result<String, SsrError> {
        let collector = Arc::new(Collector {
            calls: Mutex::default(),
            nonce: nonce(),
        });
        let template = env.get_template(name).map_err(template_error)?;
        let with_collector = minijinja::context! {
            __mizan_ssr => Value::from_dyn_object(Arc::clone(&collector)),
            ..context
        };
        let text = template.render(with_collector).map_err(template_error)?;
        let calls = collector
            .calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default();
        let rendered = join_all(calls.into_iter().map(|input| self.render(input))).await;
        let mut out = text;
        for (i, result) in rendered.into_iter().enumerate() {
            let html = result?.html;
            out = out.replacen(&placeholder(collector.nonce, i), &html, 1);
        }
        Ok(out)
    }
}

// minijinja hands a function its arguments by value.
#[allow(clippy::needless_pass_by_value)]
fn ssr_function(state: &State<'_, '_>, props: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let url: Option<String> = kwargs.get("url")?;
    kwargs.assert_all_used()?;
    let collector = state.lookup(COLLECTOR).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            "ssr() works in templates rendered by Ssr::render_template",
        )
    })?;
    let collector = collector
        .downcast_object_ref::<Collector>()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "`__mizan_ssr` is reserved for Ssr::render_template",
            )
        })?;
    let props: Json = serde_json::to_value(&props)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("ssr(): props: {e}")))?;
    let Json::Object(props) = props else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "ssr(): props must be a map",
        ));
    };
    let mut input = RenderInput::new(url.unwrap_or_else(|| "/".to_owned()));
    input.props = props;
    let mut calls = collector
        .calls
        .lock()
        .map_err(|_| Error::new(ErrorKind::InvalidOperation, "ssr(): poisoned"))?;
    let index = calls.len();
    calls.push(input);
    Ok(Value::from_safe_string(placeholder(collector.nonce, index)))
}

fn placeholder(nonce: u64, index: usize) -> String {
    format!("\u{1}mizan-ssr-{nonce:016x}-{index}\u{1}")
}

fn nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[allow(clippy::needless_pass_by_value)] // a `map_err` callback
fn template_error(e: Error) -> SsrError {
    SsrError::Template(e.to_string())
}
