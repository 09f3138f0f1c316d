//! `tracing` spans per request and per function, with name, context, status and
//! duration, read structurally (not from a formatter's text), and nothing above DEBUG
//! per request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

use crate::app;
use crate::support::get;

/// A closed span: its name, level and every field recorded on it.
#[derive(Clone, Debug)]
struct Closed {
    name: &'static str,
    level: Level,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture {
    open: Arc<Mutex<BTreeMap<u64, Closed>>>,
    closed: Arc<Mutex<Vec<Closed>>>,
    events: Arc<Mutex<Vec<(Level, String)>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let span = Closed {
            name: attrs.metadata().name(),
            level: *attrs.metadata().level(),
            fields,
        };
        self.open.lock().expect("lock").insert(id.into_u64(), span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(span) = self.open.lock().expect("lock").get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.remove("message").unwrap_or_default();
        self.events
            .lock()
            .expect("lock")
            .push((*event.metadata().level(), message));
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        if let Some(span) = self.open.lock().expect("lock").remove(&id.into_u64()) {
            self.closed.lock().expect("lock").push(span);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_request_and_function_has_a_span_with_status_and_duration() {
    // Built first: start-up warnings about the test API are not what is measured here.
    let app = app();
    // One request first, under a subscriber that takes everything, so every Mizan callsite
    // is registered before the capturing subscriber is (Mizan builds its DEBUG spans only
    // when something can record them): installing it then recomputes their interest. (A
    // callsite registered for the first time by another test's thread while this one
    // installs its subscriber can otherwise keep a cached "never".)
    {
        let everything = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::sink)
            .finish();
        let _warm = tracing::subscriber::set_default(everything);
        let _ = get(&app, "/api/mizan/ctx/todos/?project=404").await;
    }
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(capture.clone()));

    let _ = get(&app, "/api/mizan/ctx/todos/?project=404").await;

    let closed = capture.closed.lock().expect("lock").clone();
    let function = closed
        .iter()
        .find(|s| {
            s.name == "mizan.fn"
                && s.fields.get("function").map(String::as_str) == Some("project_info")
        })
        .unwrap_or_else(|| panic!("no span for project_info in {closed:#?}"));
    assert_eq!(function.fields["context"], "todos");
    assert_eq!(function.fields["status"], "404");
    assert!(
        function.fields["duration_ms"]
            .parse::<f64>()
            .is_ok_and(|d| d >= 0.0)
    );
    let request = closed
        .iter()
        .find(|s| s.name == "mizan.ctx")
        .unwrap_or_else(|| panic!("no request span in {closed:#?}"));
    assert_eq!(request.fields["context"], "todos");
    assert_eq!(request.fields["status"], "404");
    assert!(request.fields.contains_key("duration_ms"));
    // A production subscriber at INFO sees nothing per request: spans and events are DEBUG.
    assert!(
        closed.iter().all(|s| s.level == Level::DEBUG),
        "{closed:#?}"
    );
    let events = capture.events.lock().expect("lock").clone();
    assert!(
        events.iter().all(|(level, _)| *level >= Level::DEBUG),
        "{events:#?}"
    );
}
