//! `mizan edge`: runs the caching proxy of `mizan-edge`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

/// The flags of `mizan edge`.
#[derive(Args)]
pub(crate) struct EdgeArgs {
    /// An origin (`http://host:port`); repeat it for several, used round-robin.
    #[arg(long = "origin", required = true, value_name = "URL")]
    origins: Vec<String>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// The edge manifest (`mizan manifest`); without it the edge is a generic RFC 9111
    /// shared cache.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// The Redis URL of the origins' invalidation bus.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// The bus's pub/sub channel.
    #[arg(long, default_value = mizan_edge::DEFAULT_BUS_CHANNEL, value_name = "NAME")]
    bus_channel: String,
    /// The cache's bound in bytes.
    #[arg(long, default_value_t = mizan_edge::DEFAULT_CACHE_BYTES, value_name = "N")]
    cache_bytes: u64,
    /// Serve Prometheus text at `GET /metrics` on this address.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
}

/// Runs the edge until the process is stopped.
pub(crate) fn run(args: EdgeArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MIZAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let mwt_keys = match std::env::var("MIZAN_MWT_KEYS") {
        Ok(text) if !text.trim().is_empty() => Some(mizan_edge::parse_mwt_keys(&text)?),
        _ => None,
    };
    let mut config = mizan_edge::EdgeConfig::new(args.origins);
    config.listen = args.listen;
    config.manifest = args.manifest;
    config.redis = args.redis;
    config.bus_channel = args.bus_channel;
    config.cache_bytes = args.cache_bytes;
    config.metrics = args.metrics;
    config.mwt_keys = mwt_keys;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let edge = mizan_edge::start(config).await?;
        #[allow(clippy::print_stdout)]
        {
            use std::io::Write as _;
            println!("mizan edge listening on http://{}", edge.addr());
            let _ = std::io::stdout().flush();
        }
        if let Some(addr) = edge.metrics_addr() {
            tracing::info!("metrics on http://{addr}/metrics");
        }
        tokio::select! {
            () = edge.wait() => {}
            _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
