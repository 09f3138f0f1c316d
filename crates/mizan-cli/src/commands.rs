//! The commands, as functions from a document to text (snapshot-tested).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use mizan_protocol::edge_manifest::{EdgeManifest, MANIFEST_SCHEMA, ManifestError};
use mizan_protocol::schema::{
    Diagnostic, Level, SCHEMA_VERSION, SchemaDocument, lint, openapi as to_openapi,
};

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

/// What `mizan codegen` prints, and whether it succeeded.
pub(crate) struct Report {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) ok: bool,
}

/// Generates TypeScript from the document at `schema` into `out`, Stage 2 for `targets`
/// (React when empty); with `check`, writes nothing and fails with a diff when the files in
/// `out` are stale.
pub(crate) fn codegen(
    schema: &Path,
    out: &Path,
    check: bool,
    targets: &[mizan_codegen::Target],
) -> anyhow::Result<Report> {
    let (schema_arg, out_arg) = (schema.to_string_lossy(), out.to_string_lossy());
    let text =
        std::fs::read_to_string(schema).with_context(|| format!("reading {}", schema.display()))?;
    let doc = mizan_codegen::parse(&text).with_context(|| format!("in {}", schema.display()))?;
    let mut options = mizan_codegen::Options::new(&schema_arg, &out_arg);
    if !targets.is_empty() {
        options = options.with_targets(targets);
    }
    let output = mizan_codegen::generate(&doc, &options)
        .with_context(|| format!("in {}", schema.display()))?;
    let shown = out.display();
    if !check {
        let written = output.write_to(out)?;
        let stdout = if written.is_empty() {
            format!("mizan codegen: {shown} is up to date\n")
        } else {
            format!("mizan codegen: wrote {} in {shown}\n", written.join(", "))
        };
        return Ok(Report {
            stdout,
            stderr: String::new(),
            ok: true,
        });
    }
    Ok(match output.diff(out)? {
        None => Report {
            stdout: format!("mizan codegen: {shown} is up to date\n"),
            stderr: String::new(),
            ok: true,
        },
        Some(diff) => Report {
            stdout: diff,
            stderr: format!(
                "mizan codegen: the generated files in {shown} are stale; regenerate them with\n  {}\n",
                options.command
            ),
            ok: false,
        },
    })
}

/// The OpenAPI document as pretty JSON.
pub(crate) fn openapi(doc: &SchemaDocument) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&to_openapi(doc))? + "\n")
}

/// The edge manifest of a document, as pretty JSON. A schema document does not say which
/// MWT keys the origin signs with, so `mwt` is `null`: the server's own `mizan manifest`
/// fills it in.
pub(crate) fn manifest(doc: &SchemaDocument) -> String {
    EdgeManifest::from_schema(doc, None).to_json_pretty()
}

/// Checks the edge manifest `text` (read from `name`): its JSON Schema, its format and
/// version, its consistency (`EdgeManifest::check`), and that it is the manifest `doc`
/// derives (with the file's own `mwt`). The report and whether it has no errors.
pub(crate) fn check_manifest(doc: &SchemaDocument, name: &str, text: &str) -> (String, bool) {
    let diagnostics = manifest_diagnostics(doc, text);
    let mut out = String::new();
    for d in &diagnostics {
        let _ = writeln!(out, "{d}");
    }
    let _ = writeln!(out, "mizan check: {name}: {} errors", diagnostics.len());
    (out, diagnostics.is_empty())
}

fn manifest_diagnostics(doc: &SchemaDocument, text: &str) -> Vec<Diagnostic> {
    let error = |rule, message| vec![Diagnostic::error(rule, message, None)];
    // Not JSON, or another format or version: nothing else is worth saying.
    let parsed = EdgeManifest::parse(text);
    let raw: serde_json::Value = match (&parsed, serde_json::from_str(text)) {
        (
            Err(
                e @ (ManifestError::NotJson(_)
                | ManifestError::Format { .. }
                | ManifestError::Version { .. }),
            ),
            _,
        ) => return error("manifest-format", e.to_string()),
        (_, Ok(v)) => v,
        (_, Err(e)) => return error("manifest-format", e.to_string()),
    };
    let schema: serde_json::Value = match serde_json::from_str(MANIFEST_SCHEMA) {
        Ok(s) => s,
        Err(e) => return error("manifest-schema", format!("the embedded JSON Schema: {e}")),
    };
    let validator = match jsonschema::draft202012::new(&schema) {
        Ok(v) => v,
        Err(e) => return error("manifest-schema", format!("the embedded JSON Schema: {e}")),
    };
    let mut out: Vec<Diagnostic> = validator
        .iter_errors(&raw)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            Diagnostic::error("manifest-schema", format!("{at}: {e}"), None)
        })
        .collect();
    let manifest = match parsed {
        Ok(m) => m,
        Err(e) => {
            out.push(Diagnostic::error("manifest-format", e.to_string(), None));
            return out;
        }
    };
    out.extend(manifest.check());
    let derived = EdgeManifest::from_schema(doc, manifest.mwt.clone());
    let differ = stale_members(&derived, &manifest);
    if !differ.is_empty() {
        out.push(Diagnostic::error(
            "manifest-stale",
            format!(
                "the manifest is not the one the schema document derives ({} differ); regenerate it with `mizan manifest`",
                differ.join(", ")
            ),
            None,
        ));
    }
    out
}

/// The members (`contexts.todos`, `routes`, …) where two manifests differ.
fn stale_members(derived: &EdgeManifest, found: &EdgeManifest) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(derived), serde_json::to_value(found)) else {
        return vec!["everything".to_owned()];
    };
    let mut out = Vec::new();
    for (key, value) in a.as_object().into_iter().flatten() {
        let other = &b[key];
        match (value.as_object(), other.as_object()) {
            (Some(x), Some(y)) if matches!(key.as_str(), "contexts" | "purges") => {
                let names: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                out.extend(
                    names
                        .into_iter()
                        .filter(|n| x.get(*n) != y.get(*n))
                        .map(|n| format!("`{key}.{n}`")),
                );
            }
            _ if value != other => out.push(format!("`{key}`")),
            _ => {}
        }
    }
    out
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
    fn manifest_of_the_edge_fixture() {
        insta::assert_snapshot!(manifest(&fixture("edge.json")));
    }

    #[test]
    fn check_accepts_the_derived_manifest() {
        let doc = fixture("edge.json");
        let (report, ok) = check_manifest(&doc, "edge-manifest.json", &manifest(&doc));
        assert!(ok, "{report}");
        assert_eq!(report, "mizan check: edge-manifest.json: 0 errors\n");
        // With the MWT names a server fills in, too.
        let mut json: serde_json::Value = serde_json::from_str(&manifest(&doc)).unwrap();
        json["mwt"] = serde_json::json!({"cookie": "mizan-mwt", "header": "x-mizan-mwt",
            "key_ids": ["k1", "k2"], "signing_key_id": "k2", "leeway": 60});
        let (report, ok) = check_manifest(&doc, "m.json", &json.to_string());
        assert!(ok, "{report}");
    }

    #[test]
    fn check_reports_a_broken_manifest() {
        let doc = fixture("edge.json");
        let mut json: serde_json::Value = serde_json::from_str(&manifest(&doc)).unwrap();
        json["contexts"]["todos"]["scope"] = "roles".into();
        json["contexts"]["me"]["path"] = "/api/mizan/ctx/you/".into();
        json["purges"]["add_todo"]["contexts"] = serde_json::json!(["todos", "gone"]);
        json["routes"][0]["ttl"] = 0.into();
        json["mwt"] = serde_json::json!({"cookie": "mizan-mwt", "header": "x-mizan-mwt",
            "key_ids": ["k1"], "signing_key_id": "k2", "leeway": 60});
        let (report, ok) = check_manifest(&doc, "broken.json", &json.to_string());
        assert!(!ok);
        insta::assert_snapshot!(report);
    }

    #[test]
    fn check_refuses_other_formats_and_versions() {
        let doc = fixture("edge.json");
        let (report, ok) = check_manifest(&doc, "m.json", "{");
        assert!(!ok);
        assert!(
            report.starts_with("error[manifest-format]: the edge manifest is not JSON"),
            "{report}"
        );
        let mut json: serde_json::Value = serde_json::from_str(&manifest(&doc)).unwrap();
        json["version"] = 2.into();
        let (report, ok) = check_manifest(&doc, "m.json", &json.to_string());
        assert!(!ok);
        assert!(
            report.contains("error[manifest-format]: edge manifest version 2 is not supported; this reader knows version 1"),
            "{report}"
        );
        // Another schema document's manifest is stale.
        let other = manifest(&fixture("shapes.json"));
        let (report, ok) = check_manifest(&doc, "m.json", &other);
        assert!(!ok);
        assert!(report.contains("error[manifest-stale]"), "{report}");
    }

    #[test]
    fn codegen_writes_then_checks() {
        let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shapes.json");
        let out = std::env::temp_dir().join(format!("mizan-cli-codegen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);

        let stale = codegen(&schema, &out, true, &[]).unwrap();
        assert!(!stale.ok);
        assert!(stale.stdout.contains("+++ b/"), "{}", stale.stdout);
        assert!(
            stale.stderr.contains(&format!(
                "are stale; regenerate them with\n  mizan codegen {} --out {}\n",
                schema.display(),
                out.display()
            )),
            "{}",
            stale.stderr
        );
        assert!(!out.exists(), "--check writes nothing");

        let written = codegen(&schema, &out, false, &[]).unwrap();
        assert!(written.ok);
        assert!(
            written
                .stdout
                .contains("wrote types.ts, protocol.ts, react.ts")
        );
        let types = std::fs::read_to_string(out.join("types.ts")).unwrap();
        assert!(types.contains("export interface Shape {"), "{types}");

        let fresh = codegen(&schema, &out, true, &[]).unwrap();
        assert!(fresh.ok, "{}", fresh.stdout);
        assert!(fresh.stdout.ends_with("is up to date\n"));
        assert!(
            codegen(&schema, &out, false, &[])
                .unwrap()
                .stdout
                .ends_with("is up to date\n")
        );
    }

    #[test]
    fn codegen_writes_the_files_of_its_targets() {
        use mizan_codegen::Target;
        let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shapes.json");
        let out = std::env::temp_dir().join(format!("mizan-cli-targets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let written = codegen(&schema, &out, false, &[Target::Svelte, Target::Vue]).unwrap();
        assert_eq!(
            written.stdout,
            format!(
                "mizan codegen: wrote types.ts, protocol.ts, vue.ts, svelte.ts in {}\n",
                out.display()
            )
        );
        assert!(!out.join("react.ts").exists());
        let vue = std::fs::read_to_string(out.join("vue.ts")).unwrap();
        assert!(vue.contains("--target vue --target svelte\n"), "{vue}");
        assert!(vue.contains("from \"@mizan/vue\""), "{vue}");
        assert!(
            codegen(&schema, &out, true, &[Target::Vue, Target::Svelte])
                .unwrap()
                .ok
        );
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn codegen_errors_name_the_document() {
        let dir = std::env::temp_dir().join(format!("mizan-cli-codegen-v2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let schema = dir.join("schema.json");
        std::fs::write(&schema, r#"{"format": "mizan-schema", "version": 2}"#).unwrap();
        let e = codegen(&schema, &dir.join("out"), false, &[])
            .err()
            .unwrap();
        assert_eq!(
            format!("{e:#}"),
            format!(
                "in {}: schema document version 2 is not supported; this mizan reads version 1",
                schema.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unknown_versions_are_refused_clearly() {
        let e = parse(r#"{"format": "mizan-schema", "version": 99}"#).unwrap_err();
        assert!(e.to_string().contains("version 99 is not supported"));
        let e = parse(r#"{"openapi": "3.1.0"}"#).unwrap_err();
        assert!(e.to_string().contains("not a Mizan schema document"));
    }
}
