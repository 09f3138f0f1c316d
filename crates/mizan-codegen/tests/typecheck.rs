//! The generated code of every fixture, for every target, type-checks with
//! `tsc --noEmit --strict` against the real `@mizan/runtime`, `@mizan/react`, `@mizan/vue`
//! and `@mizan/svelte` (packages/*/src/index.ts), together with the fixture's
//! `<name>.usage.ts` (React), `<name>.usage.vue` (checked by `vue-tsc`) and
//! `<name>.usage.svelte` (checked by `svelte-check`) when there are: code using the hooks as
//! an app would, with `@ts-expect-error` lines for what must not compile.
//!
//! The files go to `target/codegen-typecheck/<fixture>/`; the test needs Node.js and the
//! repository's `npm install` (TypeScript, vue-tsc, svelte-check), as CI has.

use std::path::{Path, PathBuf};
use std::process::Command;

use mizan_codegen::{Options, Target, generate, parse};

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
        let options = Options::new(&format!("{name}.json"), "src/mizan").with_targets(&Target::ALL);
        let output = generate(&doc, &options).expect("generates");
        let dir = out.join(name);
        output.write_to(&dir).expect("writable");
        let usage = fixtures.join(format!("{name}.usage.ts"));
        if usage.exists() {
            std::fs::copy(&usage, dir.join("usage.ts")).expect("copied");
        }
        for (ext, file) in [("vue", "Usage.vue"), ("svelte", "Usage.svelte")] {
            let usage = fixtures.join(format!("{name}.usage.{ext}"));
            if usage.exists() {
                std::fs::copy(&usage, dir.join(file)).expect("copied");
            }
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
                "@mizan/runtime/ws": [json_path(&root.join("packages/runtime/src/ws.ts"))],
                "@mizan/react": [json_path(&root.join("packages/react/src/index.ts"))],
                "@mizan/vue": [json_path(&root.join("packages/vue/src/index.ts"))],
                "@mizan/svelte": [json_path(&root.join("packages/svelte/src/index.ts"))],
                "@mizan/runtime/form": [json_path(&root.join("packages/runtime/src/form.ts"))],
                "@mizan/react/form": [json_path(&root.join("packages/react/src/form.ts"))],
                "@mizan/vue/form": [json_path(&root.join("packages/vue/src/form.ts"))],
                "@mizan/svelte/form": [json_path(&root.join("packages/svelte/src/form.svelte.ts"))],
            },
        },
        "include": ["*/*.ts"],
    });
    std::fs::write(
        out.join("tsconfig.json"),
        serde_json::to_string_pretty(&tsconfig).expect("JSON"),
    )
    .expect("writable");
    let mut svelte = tsconfig.clone();
    svelte["include"] = serde_json::json!(["*/*.svelte"]);
    std::fs::write(
        out.join("tsconfig.svelte.json"),
        serde_json::to_string_pretty(&svelte).expect("JSON"),
    )
    .expect("writable");
    let mut vue = tsconfig;
    vue["include"] = serde_json::json!(["*/*.vue"]);
    std::fs::write(
        out.join("tsconfig.vue.json"),
        serde_json::to_string_pretty(&vue).expect("JSON"),
    )
    .expect("writable");

    let npx = if cfg!(windows) { "npx.cmd" } else { "npx" };
    let tsconfig = out.join("tsconfig.json");
    let tsconfig_vue = out.join("tsconfig.vue.json");
    let tsconfig_svelte = out.join("tsconfig.svelte.json");
    let ts6 = root.join("scripts/ts6.cjs");
    let checks: [(&str, Vec<&std::ffi::OsStr>); 3] = [
        (
            npx,
            vec![
                "--no".as_ref(),
                "--".as_ref(),
                "tsc".as_ref(),
                "-p".as_ref(),
                tsconfig.as_os_str(),
            ],
        ),
        (
            "node",
            vec![
                ts6.as_os_str(),
                "vue-tsc".as_ref(),
                "-p".as_ref(),
                tsconfig_vue.as_os_str(),
            ],
        ),
        (
            "node",
            vec![
                ts6.as_os_str(),
                "svelte-check".as_ref(),
                "--workspace".as_ref(),
                out.as_os_str(),
                "--tsconfig".as_ref(),
                tsconfig_svelte.as_os_str(),
                "--fail-on-warnings".as_ref(),
                "--output".as_ref(),
                "human".as_ref(),
            ],
        ),
    ];
    for (program, args) in checks {
        let result = Command::new(program)
            .args(&args)
            .current_dir(&root)
            .output();
        let result = match result {
            Ok(r) => r,
            Err(e) => panic!(
                "cannot run `{program}` ({e}): this test needs Node.js and `npm install` at the repository root"
            ),
        };
        assert!(
            result.status.success(),
            "{program} {args:?} found errors in the generated code of {checked:?} (in {}):\n{}{}",
            out.display(),
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    }
}
