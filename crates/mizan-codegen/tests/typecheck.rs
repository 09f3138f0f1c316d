//! The generated code of every fixture type-checks with `tsc --noEmit --strict` against the
//! real `@mizan/runtime` and `@mizan/react` (packages/*/src/index.ts), together with the
//! fixture's `<name>.usage.ts` when there is one (code using the hooks as an app would,
//! with `@ts-expect-error` lines for what must not compile).
//!
//! The files go to `target/codegen-typecheck/<fixture>/`; the test needs Node.js and the
//! repository's `npm install` (TypeScript), as CI has.

use std::path::{Path, PathBuf};
use std::process::Command;

use mizan_codegen::{Options, generate, parse};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// `path` as a string for tsconfig.json (forward slashes).
fn json_path(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

#[test]
fn generated_code_type_checks_against_the_packages() {
    let root = repo_root();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let out = root.join("target/codegen-typecheck");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("target/codegen-typecheck");

    let mut checked = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        if name.starts_with("error-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable fixture");
        let doc = parse(&text).expect("parses");
        let output =
            generate(&doc, &Options::new(&format!("{name}.json"), "src/mizan")).expect("generates");
        let dir = out.join(name);
        output.write_to(&dir).expect("writable");
        let usage = fixtures.join(format!("{name}.usage.ts"));
        if usage.exists() {
            std::fs::copy(&usage, dir.join("usage.ts")).expect("copied");
        }
        checked.push(name.to_owned());
    }
    assert!(checked.len() >= 3, "{checked:?}");

    let tsconfig = serde_json::json!({
        "extends": json_path(&root.join("tsconfig.base.json")),
        "compilerOptions": {
            "strict": true,
            "noEmit": true,
            "noUnusedLocals": true,
            "paths": {
                "@mizan/runtime": [json_path(&root.join("packages/runtime/src/index.ts"))],
                "@mizan/react": [json_path(&root.join("packages/react/src/index.ts"))],
            },
        },
        "include": ["*/*.ts"],
    });
    std::fs::write(
        out.join("tsconfig.json"),
        serde_json::to_string_pretty(&tsconfig).expect("JSON"),
    )
    .expect("writable");

    let npx = if cfg!(windows) { "npx.cmd" } else { "npx" };
    let result = Command::new(npx)
        .args(["--no", "--", "tsc", "-p"])
        .arg(&out)
        .args(["--noEmit", "--strict"])
        .current_dir(&root)
        .output();
    let result = match result {
        Ok(r) => r,
        Err(e) => panic!(
            "cannot run `{npx} tsc` ({e}): this test needs Node.js and `npm install` at the repository root"
        ),
    };
    assert!(
        result.status.success(),
        "tsc found errors in the generated code of {checked:?} (in {}):\n{}{}",
        out.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}
