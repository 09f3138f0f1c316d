//! Snapshots of the generated code, one per fixture in `tests/fixtures/*.json`: the files
//! of every target (Stage 1, then react.ts, vue.ts, svelte.ts), or the error for fixtures named `error-*`. A snapshot without a fixture fails
//! the suite (`cargo insta test --unreferenced=reject` without cargo-insta), and so does
//! a fixture whose outcome does not match its name.

use std::path::{Path, PathBuf};

use mizan_codegen::{Options, Target, files, generate, parse};

/// Every fixture: (name, path), sorted.
fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p
                .file_stem()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, p)
        })
        .collect();
    out.sort();
    out
}

fn options(name: &str) -> Options {
    Options::new(&format!("{name}.json"), "src/mizan").with_targets(&Target::ALL)
}

/// The fixture's files concatenated, or its error.
fn render(name: &str, path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).expect("a readable fixture");
    let doc = parse(&text).map_err(|e| e.to_string())?;
    let output = generate(&doc, &options(name)).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for file in &output.files {
        out.push_str(&format!("==> {} <==\n{}\n", file.name, file.contents));
    }
    Ok(out)
}

#[test]
fn every_fixture_matches_its_snapshot() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 6, "fixtures are missing: {fixtures:?}");
    for (name, path) in fixtures {
        let rendered = match render(&name, &path) {
            Ok(files) => {
                assert!(!name.starts_with("error-"), "{name} should fail");
                files
            }
            Err(e) => {
                assert!(name.starts_with("error-"), "{name} failed: {e}");
                e
            }
        };
        insta::assert_snapshot!(name, rendered);
    }
}

#[test]
fn no_snapshot_is_orphaned() {
    let names: Vec<String> = fixtures().into_iter().map(|(n, _)| n).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(&dir).expect("tests/snapshots") {
        let file = entry.expect("a directory entry").file_name();
        let file = file.to_string_lossy();
        if file.ends_with(".snap.new") || file.ends_with(".pending-snap") {
            continue;
        }
        let fixture = file
            .strip_prefix("codegen__")
            .and_then(|f| f.strip_suffix(".snap"));
        assert!(
            fixture.is_some_and(|f| names.iter().any(|n| n == f)),
            "tests/snapshots/{file} belongs to no fixture in tests/fixtures: delete it"
        );
    }
}

#[test]
fn generation_is_deterministic_and_independent_of_key_order() {
    for (name, path) in fixtures() {
        if name.starts_with("error-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable fixture");
        let first = generate(&parse(&text).expect("parses"), &options(&name)).expect("generates");
        let second = generate(&parse(&text).expect("parses"), &options(&name)).expect("generates");
        assert_eq!(first, second, "{name}");
        // The same document with its members in reverse order, on one line.
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let reversed = reverse_keys(value).to_string();
        let third =
            generate(&parse(&reversed).expect("parses"), &options(&name)).expect("generates");
        assert_eq!(first, third, "{name}");
        assert_eq!(
            first.files.iter().map(|f| f.name).collect::<Vec<_>>(),
            files(&Target::ALL)
        );
    }
}

fn reverse_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .rev()
                    .map(|(k, v)| (k, reverse_keys(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(reverse_keys).collect())
        }
        other => other,
    }
}

#[test]
fn every_file_starts_with_the_generated_header() {
    let (name, path) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "todos")
        .expect("the todos fixture");
    let text = std::fs::read_to_string(path).expect("a readable fixture");
    let output = generate(&parse(&text).expect("parses"), &options(&name)).expect("generates");
    for file in &output.files {
        assert!(
            file.contents.starts_with(
                "// Generated by `mizan codegen`: do not edit.\n\
                 // From: todos.json (format \"mizan-schema\", version 1; protocol 1)\n\
                 // Regenerate: mizan codegen todos.json --out src/mizan --target react --target vue --target svelte\n"
            ),
            "{}",
            file.name
        );
    }
}

#[test]
fn check_reports_stale_and_missing_files_as_a_diff() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/todos.json"),
    )
    .expect("the todos fixture");
    let output = generate(&parse(&text).expect("parses"), &options("todos")).expect("generates");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("codegen-check");
    let _ = std::fs::remove_dir_all(&dir);

    let diff = output
        .diff(&dir)
        .expect("readable")
        .expect("missing files are stale");
    assert!(diff.contains("+export interface Todo {"), "{diff}");

    assert_eq!(
        output.write_to(&dir).expect("writable"),
        files(&Target::ALL)
    );
    assert_eq!(output.diff(&dir).expect("readable"), None);
    assert!(
        output.write_to(&dir).expect("writable").is_empty(),
        "up-to-date files are not rewritten"
    );

    let protocol = dir.join("protocol.ts");
    let edited = std::fs::read_to_string(&protocol)
        .expect("written")
        .replace("addTodo: defineCall", "addTodos: defineCall");
    std::fs::write(&protocol, edited).expect("writable");
    let diff = output.diff(&dir).expect("readable").expect("stale");
    let shown = protocol.display().to_string().replace('\\', "/");
    assert!(
        diff.starts_with(&format!("--- a/{shown}\n+++ b/{shown}\n@@ ")),
        "{diff}"
    );
    assert!(diff.contains("\n-  addTodos: defineCall<AddTodoArgs, T.Todo>(\"add_todo\"),\n+  addTodo: defineCall<AddTodoArgs, T.Todo>(\"add_todo\"),\n"), "{diff}");
    assert!(!diff.contains("types.ts"), "{diff}");
}

#[test]
fn each_target_writes_stage_1_and_its_own_file() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/todos.json"),
    )
    .expect("the todos fixture");
    let doc = parse(&text).expect("parses");
    let all = generate(&doc, &options("todos")).expect("generates");
    for target in Target::ALL {
        let one = generate(
            &doc,
            &Options::new("todos.json", "src/mizan").with_targets(&[target]),
        )
        .expect("generates");
        let names: Vec<&str> = one.files.iter().map(|f| f.name).collect();
        assert_eq!(names, ["types.ts", "protocol.ts", target.file()]);
        // the same code as with every target, but for the command in the header
        let body = |s: &str| s.lines().skip(3).collect::<Vec<_>>().join("\n");
        assert_eq!(
            body(one.get(target.file()).expect("its file")),
            body(all.get(target.file()).expect("its file"))
        );
    }
}
