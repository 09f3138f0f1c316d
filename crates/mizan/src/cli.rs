//! The `mizan` subcommands of your own binary: `cargo run -- mizan schema`.
//!
//! ```no_run
//! let builder = mizan::Mizan::builder();
//! if let Some(code) = mizan::cli::run_if_requested(&builder) {
//!     std::process::exit(code);
//! }
//! // … build and serve as usual
//! ```
//!
//! Commands: `mizan schema [--out FILE]`, `mizan openapi [--out FILE]`, `mizan manifest
//! [--out FILE]` (the edge manifest, spec/EDGE_MANIFEST.md), `mizan check` (the lint of the
//! function graph and the consistency checks of the edge manifest).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

use mizan_protocol::edge_manifest::EdgeManifest;

use crate::builder::Builder;
use crate::schema::{Level, openapi};

/// Runs a `mizan …` command when the process was started with `mizan` as its first
/// argument, returning the exit code (0 ok, 1 lint errors, 2 usage). `None` otherwise:
/// start the server.
pub fn run_if_requested(builder: &Builder) -> Option<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("mizan") {
        return None;
    }
    Some(run(builder, &args[1..]))
}

/// Runs one command (`["schema", "--out", "schema.json"]`) and returns its exit code.
pub fn run(builder: &Builder, args: &[String]) -> i32 {
    let (doc, diagnostics) = builder.inspect();
    let out = match args {
        [_, flag, path] if flag == "--out" => Some(path.as_str()),
        [_] => None,
        _ => return usage(),
    };
    let text = match args.first().map(String::as_str) {
        Some("schema") => serde_json::to_string_pretty(&doc),
        Some("openapi") => serde_json::to_string_pretty(&openapi(&doc)),
        Some("manifest") => {
            serde_json::to_string_pretty(&EdgeManifest::from_schema(&doc, builder.edge_mwt()))
        }
        Some("check") if out.is_none() => {
            let mut diagnostics = diagnostics;
            diagnostics.extend(EdgeManifest::from_schema(&doc, builder.edge_mwt()).check());
            for d in &diagnostics {
                println!("{d}");
            }
            let errors = diagnostics
                .iter()
                .filter(|d| d.level == Level::Error)
                .count();
            let warnings = diagnostics.len() - errors;
            println!(
                "mizan check: {} functions, {} contexts, {errors} errors, {warnings} warnings",
                doc.functions.len(),
                doc.contexts.len()
            );
            return i32::from(errors > 0);
        }
        _ => return usage(),
    };
    let text = match text {
        Ok(t) => t + "\n",
        Err(e) => {
            eprintln!("mizan: {e}");
            return 1;
        }
    };
    let written = match out {
        Some(path) => std::fs::write(path, text),
        None => std::io::stdout().write_all(text.as_bytes()),
    };
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("mizan: {e}");
            1
        }
    }
}

fn usage() -> i32 {
    eprintln!(
        "usage: <your binary> mizan (schema|openapi|manifest) [--out FILE]\n       <your binary> mizan check"
    );
    2
}
