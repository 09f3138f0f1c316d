//! `ctx-bench <server> [port] [--log <filter>]`: serves one server of the context
//! benchmark on `127.0.0.1:<port>` (default 3900) with `mizan::serve`, so that only the
//! framework layer differs between them. `benches/run.sh` drives it.
//!
//! Servers: `mizan`, `baseline` (the hand-written axum handler), `baseline-trace` (the
//! baseline behind tower-http's `TraceLayer`). Diagnostic ones: `baseline-value` (the
//! baseline building its body through `serde_json::Value`, as Mizan did before it kept
//! results as JSON text) and `baseline-trace-info` (`TraceLayer` at INFO). See
//! `benches/README.md`.
//!
//! `--log info` installs a `tracing_subscriber::fmt` subscriber writing plain text to
//! standard output, filtered by that `EnvFilter` directive: what a production server
//! runs. Without it no subscriber is installed (the `silent` configuration).

mod baseline;
mod mizan_app;
mod work;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: ctx-bench <mizan|baseline|baseline-trace|baseline-value|baseline-trace-info> \
                     [port] [--log <filter>]";

/// The command line.
struct Args {
    server: String,
    port: u16,
    log: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut server = None;
    let mut port = None;
    let mut log = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--log" => log = Some(args.next().ok_or("--log needs a filter, such as info")?),
            _ if server.is_none() => server = Some(arg),
            _ if port.is_none() => {
                port = Some(
                    arg.parse::<u16>()
                        .map_err(|e| format!("invalid port: {e}"))?,
                );
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Args {
        server: server.ok_or("which server?")?,
        port: port.unwrap_or(3900),
        log,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(filter) = &args.log {
        // As examples/todos sets up its logging, without colours: the output is a file.
        let filter = match EnvFilter::try_new(filter) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("invalid --log filter {filter:?}: {e}");
                return ExitCode::FAILURE;
            }
        };
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .init();
    }
    let data = Arc::new(work::Data::new());
    let router = match args.server.as_str() {
        "mizan" => match mizan_app::router(data) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
        "baseline" => baseline::router(data),
        "baseline-trace" => baseline::router_traced(data),
        "baseline-value" => baseline::router_via_value(data),
        "baseline-trace-info" => baseline::router_traced_info(data),
        _ => {
            eprintln!("unknown server {:?}\n{USAGE}", args.server);
            return ExitCode::FAILURE;
        }
    };
    // The default multi-thread runtime: one worker per CPU the process may run on
    // (`taskset -c 0` gives one), the same for every server.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Args { server, port, .. } = args;
    let served = runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        eprintln!("ctx-bench {server} listening on http://127.0.0.1:{port}");
        // Through the subscriber, if there is one: run.sh checks that this line reached
        // the log, i.e. that the `info` configuration really logs.
        tracing::info!(server, port, "ctx-bench listening");
        mizan::serve(listener, router).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ctx-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
