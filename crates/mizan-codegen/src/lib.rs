//! TypeScript code generation from a Mizan schema document (`spec/PROTOCOL.md` §12), in
//! two stages (`docs/client-architecture.md`):
//!
//! - Stage 1, framework-free: `types.ts` (every argument and result type, from the JSON
//!   Schemas) and `protocol.ts` (`ctx.todos(params)` and `call.addTodo` over
//!   `@mizan/runtime`, with the `<Context>Params`, `<Context>Data` and `<Fn>Args` types).
//! - Stage 2, one file per framework [`Target`] (a table in `emit.rs`), with the same names
//!   in each: `useTodos(params, options?)` per context and `useAddTodo(options?)` per
//!   mutation or view-path function — `react.ts` (hooks over `@mizan/react`), `vue.ts`
//!   (composables returning refs, over `@mizan/vue`), `svelte.ts` (Svelte 5 classes over
//!   `@mizan/svelte`). [`Options::targets`] picks which (React by default).
//!
//! ```no_run
//! # fn main() -> Result<(), mizan_codegen::CodegenError> {
//! let text = std::fs::read_to_string("schema.json").unwrap_or_default();
//! let doc = mizan_codegen::parse(&text)?;
//! let output = mizan_codegen::generate(&doc, &mizan_codegen::Options::new("schema.json", "web/src/mizan"))?;
//! output.write_to("web/src/mizan".as_ref())?;
//! # Ok(()) }
//! ```
//!
//! The output depends only on the document and the [`Options`]: running twice gives the
//! same bytes.
//!
//! JSON Schema is mapped as follows: objects to object types (a property not in
//! `required` is optional, `?`), `type: [T, "null"]` and `anyOf`/`oneOf` with `null` to
//! `T | null`, `oneOf`/`anyOf` to unions (serde's tagged enums come out as discriminated
//! unions), `allOf` and `$ref` next to other keywords to intersections, `enum`/`const` to
//! literal types, `additionalProperties` to an index signature, `prefixItems` to tuples,
//! `$ref: "#/$defs/X"` to the named type `X`, integers (64-bit ones included, see the
//! protocol's §11) to `number`; `description`, `format`, `default` and `deprecated` become
//! TSDoc. Validation keywords (`minLength`, `pattern`, `minimum`, …) do not change the type.
//! `not`, `if`/`then`/`else`, `dependentSchemas`, `patternProperties`, `$dynamicRef`,
//! `unevaluated*` with a schema, draft-07 tuples and references outside the document's
//! `$defs` are refused with a [`Problem`] naming the JSON pointer.

use std::path::{Path, PathBuf};

use mizan_protocol::schema::SCHEMA_VERSION;
pub use mizan_protocol::schema::SchemaDocument;
use serde_json::Value;

mod emit;
mod error;
mod forms;
mod names;
mod schema;
mod target;
mod ty;

pub use error::{CodegenError, Problem};
pub use target::{Target, UnknownTarget};

/// The Stage 1 files [`generate`] always writes, first.
pub const STAGE1_FILES: [&str; 2] = ["types.ts", "protocol.ts"];

/// The files [`generate`] writes for `targets`, in order: Stage 1, then one file per target
/// (in the order of [`Target::ALL`]).
pub fn files(targets: &[Target]) -> Vec<&'static str> {
    STAGE1_FILES
        .into_iter()
        .chain(
            Target::ALL
                .into_iter()
                .filter(|t| targets.contains(t))
                .map(Target::file),
        )
        .collect()
}

/// What goes in the header of every generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The schema document, as the header names it (a path as the user wrote it).
    pub source: String,
    /// The command that regenerates the files, as the header shows it.
    pub command: String,
    /// The frameworks to write Stage 2 for (empty: Stage 1 only).
    pub targets: Vec<Target>,
}

impl Options {
    /// Options for `mizan codegen <schema> --out <out>`, with the paths as given (`\` is
    /// written `/`, so the header is the same on every platform).
    pub fn new(schema: &str, out: &str) -> Self {
        let schema = schema.replace('\\', "/");
        let out = out.replace('\\', "/");
        Self {
            command: format!(
                "mizan codegen {} --out {}",
                shell_quote(&schema),
                shell_quote(&out)
            ),
            source: schema,
            targets: vec![Target::React],
        }
    }

    /// The same options for other targets (`--target vue`): the header's command names them
    /// unless they are the default, React alone.
    pub fn with_targets(mut self, targets: &[Target]) -> Self {
        let mut targets = targets.to_vec();
        targets.sort_unstable();
        targets.dedup();
        if targets != [Target::React] {
            for t in &targets {
                self.command.push_str(" --target ");
                self.command.push_str(t.name());
            }
        }
        self.targets = targets;
        self
    }
}

/// `s`, single-quoted when a shell would split or expand it.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The file name, one of [`files`].
    pub name: &'static str,
    /// Its text.
    pub contents: String,
}

/// The generated files, in the order of [`files`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// The files.
    pub files: Vec<GeneratedFile>,
}

impl Output {
    /// The text of the file `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.as_str())
    }

    /// Writes the files into `dir` (created when missing), leaving files whose text is
    /// already right untouched. Returns the names of the files written.
    pub fn write_to(&self, dir: &Path) -> Result<Vec<&'static str>, CodegenError> {
        std::fs::create_dir_all(dir).map_err(|source| CodegenError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let mut written = Vec::new();
        for file in &self.files {
            let path = dir.join(file.name);
            if read_existing(&path)?.as_deref() == Some(file.contents.as_str()) {
                continue;
            }
            std::fs::write(&path, &file.contents)
                .map_err(|source| CodegenError::Io { path, source })?;
            written.push(file.name);
        }
        Ok(written)
    }

    /// Compares the files with those in `dir`: `None` when every file is there with the
    /// same text, else a unified diff from what is there (`a/`) to what would be generated
    /// (`b/`). A missing file counts as empty.
    pub fn diff(&self, dir: &Path) -> Result<Option<String>, CodegenError> {
        let mut out = String::new();
        for file in &self.files {
            let path = dir.join(file.name);
            let existing = read_existing(&path)?;
            if existing.as_deref() == Some(file.contents.as_str()) {
                continue;
            }
            let old = existing.unwrap_or_default();
            let shown = path.display().to_string().replace('\\', "/");
            let diff = similar::TextDiff::from_lines(old.as_str(), file.contents.as_str());
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{shown}"), &format!("b/{shown}"))
                    .to_string(),
            );
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        Ok((!out.is_empty()).then_some(out))
    }
}

/// The text of `path`, `None` when there is no such file.
fn read_existing(path: &Path) -> Result<Option<String>, CodegenError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CodegenError::Io {
            path: PathBuf::from(path),
            source,
        }),
    }
}

/// Parses a schema document, refusing other formats, unknown versions (the protocol's
/// §12) and wire protocols the generated code does not speak.
pub fn parse(text: &str) -> Result<SchemaDocument, CodegenError> {
    let raw: Value = serde_json::from_str(text).map_err(CodegenError::Json)?;
    let found = |key: &str| raw.get(key).map_or("nothing".to_owned(), Value::to_string);
    if raw.get("format").and_then(Value::as_str) != Some("mizan-schema") {
        return Err(CodegenError::UnknownFormat {
            found: found("format"),
        });
    }
    if raw.get("version").and_then(Value::as_u64) != Some(u64::from(SCHEMA_VERSION)) {
        return Err(CodegenError::UnsupportedVersion {
            found: found("version"),
        });
    }
    let doc: SchemaDocument = serde_json::from_value(raw).map_err(CodegenError::Malformed)?;
    if doc.protocol != mizan_protocol::PROTOCOL_VERSION {
        return Err(CodegenError::UnsupportedProtocol {
            found: doc.protocol,
        });
    }
    Ok(doc)
}

/// Generates `types.ts`, `protocol.ts` and the Stage 2 file of each of `options.targets`
/// from `doc`.
///
/// Fails with [`CodegenError::Schema`] listing every JSON Schema construct that has no
/// TypeScript rendering and every pair of names that would collide.
pub fn generate(doc: &SchemaDocument, options: &Options) -> Result<Output, CodegenError> {
    if doc.format != "mizan-schema" {
        return Err(CodegenError::UnknownFormat {
            found: Value::from(doc.format.as_str()).to_string(),
        });
    }
    if doc.version != SCHEMA_VERSION {
        return Err(CodegenError::UnsupportedVersion {
            found: doc.version.to_string(),
        });
    }
    emit::generate(doc, options).map_err(CodegenError::Schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_follow_the_framework_table() {
        assert_eq!(emit::file_names(), files(&Target::ALL));
        assert_eq!(
            files(&[Target::Svelte, Target::React]),
            ["types.ts", "protocol.ts", "react.ts", "svelte.ts"]
        );
        assert_eq!(files(&[]), STAGE1_FILES);
    }

    #[test]
    fn targets_are_named_in_the_command_unless_react_alone() {
        let o = Options::new("s.json", "out");
        assert_eq!(o.targets, [Target::React]);
        assert_eq!(o.command, "mizan codegen s.json --out out");
        let o = Options::new("s.json", "out").with_targets(&[Target::React]);
        assert_eq!(o.command, "mizan codegen s.json --out out");
        let o =
            Options::new("s.json", "out").with_targets(&[Target::Svelte, Target::Vue, Target::Vue]);
        assert_eq!(o.targets, [Target::Vue, Target::Svelte]);
        assert_eq!(
            o.command,
            "mizan codegen s.json --out out --target vue --target svelte"
        );
        assert_eq!("vue".parse::<Target>().ok(), Some(Target::Vue));
        assert_eq!(
            "solid".parse::<Target>().err().map(|e| e.to_string()),
            Some("unknown target \"solid\" (expected react, vue or svelte)".to_owned())
        );
    }

    #[test]
    fn commands_are_quoted_for_a_shell() {
        let o = Options::new("my schema.json", r"web\src\mizan");
        assert_eq!(
            o.command,
            "mizan codegen 'my schema.json' --out web/src/mizan"
        );
        assert_eq!(o.source, "my schema.json");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn unknown_formats_and_versions_are_refused() {
        let e = parse(r#"{"format": "mizan-schema", "version": 99}"#).unwrap_err();
        assert!(matches!(e, CodegenError::UnsupportedVersion { .. }));
        assert_eq!(
            e.to_string(),
            "schema document version 99 is not supported; this mizan reads version 1"
        );
        let e = parse(r#"{"openapi": "3.1.0"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not a Mizan schema document (expected \"format\": \"mizan-schema\", found nothing)"
        );
        assert!(matches!(parse("{"), Err(CodegenError::Json(_))));
        let e = parse(r#"{"format": "mizan-schema", "version": 1}"#).unwrap_err();
        assert!(matches!(e, CodegenError::Malformed(_)), "{e}");
    }
}
