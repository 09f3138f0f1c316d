//! `tracing` spans per request and per function, with name, context, status and
//! duration.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::app;
use crate::support::get;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_request_and_function_has_a_span_with_status_and_duration() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let _ = get(&app(), "/api/mizan/ctx/todos/?project=404").await;

    let text = String::from_utf8_lossy(&buffer.0.lock().map(|b| b.clone()).unwrap_or_default())
        .into_owned();
    let fn_line = text
        .lines()
        .find(|l| l.contains("function=\"project_info\"") && l.contains("mizan function finished"))
        .unwrap_or_else(|| panic!("no span for project_info in:\n{text}"));
    assert!(fn_line.contains("context=\"todos\""), "{fn_line}");
    assert!(fn_line.contains("status=404"), "{fn_line}");
    assert!(fn_line.contains("duration_ms="), "{fn_line}");
    let request_line = text
        .lines()
        .find(|l| l.contains("mizan context"))
        .unwrap_or_else(|| panic!("no request event in:\n{text}"));
    assert!(
        request_line.contains("mizan.ctx{context=todos status=404 duration_ms="),
        "{request_line}"
    );
}
