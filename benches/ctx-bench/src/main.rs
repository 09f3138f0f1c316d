//! `ctx-bench <mizan|baseline> [port]`: serves one of the two servers of the context
//! benchmark on `127.0.0.1:<port>` (default 3900) with `mizan::serve`, so that only the
//! framework layer differs between them. `benches/run.sh` drives it.
//!
//! `ctx-bench baseline-value [port]` is a diagnostic third server: the baseline building
//! its body through `serde_json::Value`, as Mizan did before it kept results as JSON text
//! (see `benches/README.md`).

mod baseline;
mod mizan_app;
mod work;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

const USAGE: &str = "usage: ctx-bench <mizan|baseline|baseline-value> [port]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let port = match args.next().map(|p| p.parse::<u16>()) {
        None => 3900,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("invalid port: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let data = Arc::new(work::Data::new());
    let router = match which.as_str() {
        "mizan" => match mizan_app::router(data) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
        "baseline" => baseline::router(data),
        "baseline-value" => baseline::router_via_value(data),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    // The default multi-thread runtime: one worker per CPU the process may run on
    // (`taskset -c 0` gives one), the same for both servers.
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
    let served = runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        eprintln!("ctx-bench {which} listening on http://127.0.0.1:{port}");
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
