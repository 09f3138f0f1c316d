//! The commands, as functions from a document to text (snapshot-tested).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use mizan::schema::{Level, SCHEMA_VERSION, SchemaDocument, lint, openapi as to_openapi};

/// Reads and parses a schema document, refusing unknown formats and versions.
pub(crate) fn read(path: &Path) -> anyhow::Result<SchemaDocument> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

pub(crate) fn parse(text: &str) -> anyhow::Result<SchemaDocument> {
    let raw: serde_json::Value = serde_json::from_str(text).context("not JSON")?;
    if raw.get("format").and_then(|f| f.as_str()) != Some("mizan-schema") {
        bail!("not a Mizan schema document (expected \"format\": \"mizan-schema\")");
    }
    match raw.get("version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => bail!(
            "schema document version {v} is not supported; this mizan reads version {SCHEMA_VERSION}"
        ),
        None => bail!("the schema document has no \"version\""),
    }
    serde_json::from_value(raw).context("the schema document does not match its format")
}

/// The lint report and whether it has no errors.
pub(crate) fn check(doc: &SchemaDocument) -> (String, bool) {
    let diagnostics = lint(doc);
    let mut out = String::new();
    for d in &diagnostics {
        let _ = writeln!(out, "{d}");
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    let _ = writeln!(
        out,
        "mizan check: {} functions, {} contexts, {errors} errors, {} warnings",
        doc.functions.len(),
        doc.contexts.len(),
        diagnostics.len() - errors
    );
    (out, errors == 0)
}

/// The OpenAPI document as pretty JSON.
pub(crate) fn openapi(doc: &SchemaDocument) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&to_openapi(doc))? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> SchemaDocument {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        match read(&path) {
            Ok(doc) => doc,
            Err(e) => panic!("{e:#}"),
        }
    }

    #[test]
    fn check_reports_every_rule() {
        let (report, ok) = check(&fixture("broken.json"));
        assert!(!ok);
        insta::assert_snapshot!(report);
    }

    #[test]
    fn check_passes_a_good_graph() {
        let (report, ok) = check(&fixture("shapes.json"));
        assert!(ok, "{report}");
        insta::assert_snapshot!(report);
    }

    #[test]
    fn openapi_of_the_shapes_fixture() {
        let text = openapi(&fixture("shapes.json")).unwrap_or_default();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn unknown_versions_are_refused_clearly() {
        let e = parse(r#"{"format": "mizan-schema", "version": 99}"#).unwrap_err();
        assert!(e.to_string().contains("version 99 is not supported"));
        let e = parse(r#"{"openapi": "3.1.0"}"#).unwrap_err();
        assert!(e.to_string().contains("not a Mizan schema document"));
    }
}
