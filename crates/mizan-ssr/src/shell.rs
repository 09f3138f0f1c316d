//! The HTML shell a page is assembled in, and the page data script.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::Value;

use crate::error::SsrError;

/// Where the head tags (and the page data) go.
pub(crate) const HEAD: &str = "<!--ssr-head-->";
/// Where the rendered markup goes.
pub(crate) const OUTLET: &str = "<!--ssr-outlet-->";

/// The shell file: parsed at start, and again whenever its modification time changes (the
/// front end was rebuilt: the page must name the new asset files).
#[derive(Debug)]
pub(crate) struct ShellFile {
    path: PathBuf,
    current: Mutex<(Option<SystemTime>, Arc<Shell>)>,
}

impl ShellFile {
    pub(crate) fn load(path: &Path) -> Result<Self, SsrError> {
        let modified = modified(path);
        Ok(Self {
            path: path.to_owned(),
            current: Mutex::new((modified, Arc::new(Shell::load(path)?))),
        })
    }

    /// The shell as the file is now; the previous one (with a warning) when the new file is
    /// unreadable or lacks a marker.
    pub(crate) fn get(&self) -> Arc<Shell> {
        let Ok(mut current) = self.current.lock() else {
            return Arc::new(Shell::empty());
        };
        let now = modified(&self.path);
        if now != current.0 {
            match Shell::load(&self.path) {
                Ok(shell) => *current = (now, Arc::new(shell)),
                Err(e) => {
                    tracing::warn!("kept the previous HTML shell: {e}");
                    current.0 = now;
                }
            }
        }
        Arc::clone(&current.1)
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The shell, split at its two markers.
#[derive(Debug, Clone)]
pub(crate) struct Shell {
    before_head: String,
    before_outlet: String,
    after_outlet: String,
}

impl Shell {
    fn empty() -> Self {
        Self {
            before_head: String::new(),
            before_outlet: String::new(),
            after_outlet: String::new(),
        }
    }

    pub(crate) fn load(path: &Path) -> Result<Self, SsrError> {
        let text = std::fs::read_to_string(path).map_err(|source| SsrError::File {
            what: "the HTML shell",
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|(marker, what)| SsrError::Shell {
            path: path.to_owned(),
            marker,
            what,
        })
    }

    fn parse(text: &str) -> Result<Self, (&'static str, &'static str)> {
        let (before_head, rest) = text
            .split_once(HEAD)
            .ok_or((HEAD, "head tags and the page data (inside <head>)"))?;
        let (before_outlet, after_outlet) = rest.split_once(OUTLET).ok_or((
            OUTLET,
            "rendered markup (inside the element the client hydrates, after the head marker)",
        ))?;
        Ok(Self {
            before_head: before_head.to_owned(),
            before_outlet: before_outlet.to_owned(),
            after_outlet: after_outlet.to_owned(),
        })
    }

    /// The page: head tags and the data script at the head marker, markup at the outlet.
    pub(crate) fn assemble(&self, head: &str, data: &Value, html: &str) -> String {
        let script = data_script(data);
        let mut page = String::with_capacity(
            self.before_head.len()
                + head.len()
                + script.len()
                + self.before_outlet.len()
                + html.len()
                + self.after_outlet.len(),
        );
        for part in [
            &self.before_head,
            head,
            &script,
            &self.before_outlet,
            html,
            &self.after_outlet,
        ] {
            page.push_str(part);
        }
        page
    }
}

/// `<script id="mizan-data" type="application/json">…</script>`: the page data, with every
/// `<` written `\u003c` so that no string in it can close the script (or open a comment).
pub(crate) fn data_script(data: &Value) -> String {
    let json = data.to_string().replace('<', "\\u003c");
    format!("<script id=\"mizan-data\" type=\"application/json\">{json}</script>")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn assembles_at_the_markers_and_no_data_can_close_the_script() {
        let shell = Shell::parse(
            "<html><head><!--ssr-head--></head><body><div id=root><!--ssr-outlet--></div></body></html>",
        )
        .expect("markers");
        let page = shell.assemble(
            "<title>t</title>",
            &json!({"k": "</script><script>alert(1)</script><!--"}),
            "<p>hi</p>",
        );
        assert_eq!(
            page,
            "<html><head><title>t</title><script id=\"mizan-data\" type=\"application/json\">\
             {\"k\":\"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\\u003c!--\"}</script>\
             </head><body><div id=root><p>hi</p></div></body></html>"
        );
        assert_eq!(Shell::parse("<html></html>").err().map(|e| e.0), Some(HEAD));
        assert_eq!(
            Shell::parse("<head><!--ssr-head--></head>")
                .err()
                .map(|e| e.0),
            Some(OUTLET)
        );
    }
}
