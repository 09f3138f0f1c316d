//! The edge's counters, rendered as Prometheus text at `GET /metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the origin latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Every counter the edge keeps; cheap to bump from any task.
#[derive(Default)]
pub(crate) struct Metrics {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) passes: AtomicU64,
    pub(crate) stale_revalidations: AtomicU64,
    pub(crate) not_modified: AtomicU64,
    pub(crate) stores: AtomicU64,
    pub(crate) purges: AtomicU64,
    pub(crate) origin_requests: AtomicU64,
    pub(crate) origin_errors: AtomicU64,
    pub(crate) coalesced_waits: AtomicU64,
    pub(crate) bus_events: AtomicU64,
    pub(crate) bus_reconnects: AtomicU64,
    pub(crate) reloads: AtomicU64,
    pub(crate) reload_failures: AtomicU64,
    pub(crate) websocket_upgrades: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

/// Bumps a counter by one.
pub(crate) fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// Records one origin round trip (until its response head arrived).
    pub(crate) fn observe_origin(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every counter plus the cache's size.
    pub(crate) fn render(&self, entries: u64, bytes: u64) -> String {
        let mut out = String::with_capacity(4096);
        let counters: [(&str, &str, &AtomicU64); 15] = [
            ("hits", "Requests answered from the cache.", &self.hits),
            (
                "misses",
                "Cacheable requests that went to the origin.",
                &self.misses,
            ),
            (
                "passes",
                "Requests passed to the origin without the cache.",
                &self.passes,
            ),
            (
                "stale_revalidations",
                "Stale entries revalidated with the origin.",
                &self.stale_revalidations,
            ),
            (
                "not_modified",
                "Revalidations the origin answered 304.",
                &self.not_modified,
            ),
            ("stores", "Responses stored.", &self.stores),
            (
                "purges",
                "Purges applied (invalidations, unsafe methods, bus events).",
                &self.purges,
            ),
            (
                "origin_requests",
                "Requests sent to an origin.",
                &self.origin_requests,
            ),
            (
                "origin_errors",
                "Origin requests that failed (refused, broken or timed out).",
                &self.origin_errors,
            ),
            (
                "coalesced_waits",
                "Requests that waited for another request's origin fetch of the same key.",
                &self.coalesced_waits,
            ),
            (
                "bus_events",
                "Events received on the Redis bus.",
                &self.bus_events,
            ),
            (
                "bus_reconnects",
                "Connections made to the Redis bus (each purges everything).",
                &self.bus_reconnects,
            ),
            ("reloads", "Manifest reloads applied.", &self.reloads),
            (
                "reload_failures",
                "Manifest reloads refused (the old manifest kept).",
                &self.reload_failures,
            ),
            (
                "websocket_upgrades",
                "WebSocket connections passed through.",
                &self.websocket_upgrades,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP mizan_edge_{name}_total {help}");
            let _ = writeln!(out, "# TYPE mizan_edge_{name}_total counter");
            let _ = writeln!(
                out,
                "mizan_edge_{name}_total {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP mizan_edge_stored_bytes Bytes held by the cache (bodies and headers)."
        );
        let _ = writeln!(out, "# TYPE mizan_edge_stored_bytes gauge");
        let _ = writeln!(out, "mizan_edge_stored_bytes {bytes}");
        let _ = writeln!(out, "# HELP mizan_edge_entries Entries held by the cache.");
        let _ = writeln!(out, "# TYPE mizan_edge_entries gauge");
        let _ = writeln!(out, "mizan_edge_entries {entries}");
        let _ = writeln!(
            out,
            "# HELP mizan_edge_origin_latency_seconds Time to an origin's response head."
        );
        let _ = writeln!(out, "# TYPE mizan_edge_origin_latency_seconds histogram");
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "mizan_edge_origin_latency_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "mizan_edge_origin_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        #[allow(clippy::cast_precision_loss)]
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "mizan_edge_origin_latency_seconds_sum {sum}");
        let _ = writeln!(out, "mizan_edge_origin_latency_seconds_count {count}");
        out
    }
}
