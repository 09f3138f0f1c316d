//! `mizan`: lint Mizan schema documents, generate TypeScript from them, export OpenAPI and
//! the edge manifest.
//!
//! Your own binary exports the document (`cargo run -- mizan schema --out schema.json`,
//! see `mizan::cli`); this tool works on the file, whichever backend wrote it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

mod commands;
mod edge;

/// Lint Mizan schema documents, generate TypeScript from them, export OpenAPI and the edge
/// manifest.
#[derive(Parser)]
#[command(name = "mizan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint the function graph of a schema document, and with --manifest an edge manifest
    /// (its JSON Schema, consistency, and that the document derives it): exit 1 on errors.
    Check {
        /// The schema document (JSON).
        schema: PathBuf,
        /// An edge manifest (JSON) to check as well.
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Print the edge manifest (spec/EDGE_MANIFEST.md) of a schema document, with `mwt`
    /// null: the MWT key ids are the server's (`<your binary> mizan manifest` fills them).
    Manifest {
        /// The schema document (JSON).
        schema: PathBuf,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Generate TypeScript from a schema document: types.ts and protocol.ts (Stage 1,
    /// framework-free) and, per --target, react.ts, vue.ts or svelte.ts (Stage 2).
    Codegen {
        /// The schema document (JSON).
        schema: PathBuf,
        /// The directory of the generated files (created when missing).
        #[arg(long)]
        out: PathBuf,
        /// Write nothing; exit 1 with a diff when the files in --out are not what would be
        /// generated.
        #[arg(long)]
        check: bool,
        /// The framework of the Stage 2 file: react (the default), vue or svelte; repeat it
        /// for several.
        #[arg(long = "target", value_name = "FRAMEWORK")]
        targets: Vec<mizan_codegen::Target>,
    },
    /// Run the caching proxy in front of Mizan origins (generic RFC 9111 mode without
    /// --manifest).
    Edge(edge::EdgeArgs),
    /// Print the OpenAPI 3.1 document of a schema document.
    Openapi {
        /// The schema document (JSON).
        schema: PathBuf,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("mizan: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { schema, manifest } => {
            let doc = commands::read(&schema)?;
            let (report, mut ok) = commands::check(&doc);
            #[allow(clippy::print_stdout)]
            {
                print!("{report}");
            }
            if let Some(path) = manifest {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let (report, manifest_ok) =
                    commands::check_manifest(&doc, &path.display().to_string(), &text);
                #[allow(clippy::print_stdout)]
                {
                    print!("{report}");
                }
                ok &= manifest_ok;
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Codegen {
            schema,
            out,
            check,
            targets,
        } => {
            let report = commands::codegen(&schema, &out, check, &targets)?;
            #[allow(clippy::print_stdout, clippy::print_stderr)]
            {
                print!("{}", report.stdout);
                eprint!("{}", report.stderr);
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Edge(args) => edge::run(args),
        Command::Manifest { schema, out } => {
            let doc = commands::read(&schema)?;
            let text = commands::manifest(&doc);
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                #[allow(clippy::print_stdout)]
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi { schema, out } => {
            let doc = commands::read(&schema)?;
            let text = commands::openapi(&doc)?;
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                #[allow(clippy::print_stdout)]
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
