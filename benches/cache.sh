#!/usr/bin/env bash
# The origin cache benchmark: a cached context GET (memory, Redis) against the uncached
# context and the hand-written axum handler, and purge latency in Redis with 1,000 and
# 1,000,000 cached keys against a SCAN purge, side by side in one run. See
# benches/README.md.
#
#   bash benches/cache.sh
#
# Settings (environment variables):
#   ROUNDS=5            rounds of the GET comparison
#   REQUESTS=20000      measured requests per server and round
#   KEYS=1000,1000000   cached keys in Redis for the purge comparison
#   PURGES=300          purge calls per size
set -euo pipefail

ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-20000}
KEYS=${KEYS:-1000,1000000}
PURGES=${PURGES:-300}

say() { printf '%s\n' "$*" >&2; }
die() { say "cache.sh: $*"; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in cargo redis-server; do
    command -v "$tool" >/dev/null || die "$tool is required (Debian: apt-get install redis-server)"
done

# Ask cargo where the binary is: CARGO_TARGET_DIR (or a config's build.target-dir) moves it.
say "building (release)…"
BIN=$(cd "$HERE" && cargo build --release --quiet --bin cache-bench --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\/cache-bench\)".*/\1/p' | tail -n 1)
[[ -n "$BIN" && -x "$BIN" ]] || die "cargo did not report the cache-bench executable"

say "measuring: $ROUNDS rounds × $REQUESTS requests per server; purges with $KEYS keys…"
mkdir -p "$HERE/results"
COMMIT=$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    "$BIN" --rounds "$ROUNDS" --requests "$REQUESTS" --keys "$KEYS" --purges "$PURGES"
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), mizan @ $COMMIT, $(nproc) CPUs, $(redis-server --version | awk '{ print $3 }'), $(rustc --version)."
} >"$HERE/results/cache-latest.md"
echo
cat "$HERE/results/cache-latest.md"
say "written to benches/results/cache-latest.md"
