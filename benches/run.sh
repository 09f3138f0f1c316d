#!/usr/bin/env bash
# The context benchmark: a Mizan context GET of three functions against a hand-written
# axum handler doing the same work, side by side in one run. See benches/README.md.
#
#   bash benches/run.sh
#
# Settings (environment variables):
#   ROUNDS=5          rounds; each round measures every server (the order rotates)
#   DURATION=10s      measured load per server and round
#   WARMUP=3s         unmeasured load before each measurement
#   CONNECTIONS=32    open connections (wrk -c)
#   THREADS=1         load-generator threads (wrk -t)
#   SERVER_CPU=0      CPU the server is pinned to (taskset -c)
#   CLIENT_CPU=1      CPU wrk is pinned to
#   PORT=3900         the server's port
#   PROJECT=3         the `project` parameter of the request
#   SERVERS="mizan baseline"
#                     servers to measure; add `baseline-value` (the baseline building its
#                     body through serde_json::Value, as Mizan once did) to see what that costs
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-3900}
PROJECT=${PROJECT:-3}
SERVERS=${SERVERS:-mizan baseline}

[[ " $SERVERS " == *" mizan "* && " $SERVERS " == *" baseline "* ]] ||
    { echo "run.sh: SERVERS must include mizan and baseline" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN="$HERE/target/release/ctx-bench"
URL="http://127.0.0.1:$PORT/api/mizan/ctx/bench/?project=$PROJECT"
RESULTS="$HERE/results"
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

# --- tools -----------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    say "installing wrk…"
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get install -y wrk >/dev/null 2>&1 ||
        { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; } ||
        die "cannot install wrk; install it (or put it on PATH) and run again"
fi
for tool in curl taskset cargo; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

# --- build -----------------------------------------------------------------------------
say "building (release)…"
(cd "$HERE" && cargo build --release --quiet)

# --- servers ---------------------------------------------------------------------------
start() { # start <server>: the server, pinned, on $PORT
    if curl -s -o /dev/null "$URL"; then
        die "something already answers on port $PORT; set PORT"
    fi
    taskset -c "$SERVER_CPU" "$BIN" "$1" "$PORT" 2>"$WORK/$1.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if curl -sf -o /dev/null "$URL"; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || die "$1 exited: $(cat "$WORK/$1.log")"
        sleep 0.05
    done
    die "$1 did not answer on $URL"
}

stop() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

kib() { # kib <field>: a /proc/<server>/status field, in KiB
    awk -v f="$1:" '$1 == f { print $2 }' "/proc/$SERVER_PID/status"
}

TICKS=$(getconf CLK_TCK)
cpu_ticks() { # the server's CPU time so far (user + system, every thread), in clock ticks
    # /proc/<pid>/stat: fields 14 and 15 after the `(comm)` field, which has no spaces here.
    awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"
}

# --- the bodies must be byte-identical, the headers that matter equal -------------------
say "checking that the servers answer the same…"
for server in $SERVERS; do
    start "$server"
    curl -sf -D "$WORK/$server.head" -o "$WORK/$server.body" "$URL"
    grep -iE '^(content-type|etag|cache-control):' "$WORK/$server.head" | tr -d '\r' |
        tr '[:upper:]' '[:lower:]' | sort >"$WORK/$server.headers"
    stop
done
for server in $SERVERS; do
    cmp -s "$WORK/mizan.body" "$WORK/$server.body" ||
        die "the bodies of mizan and $server differ: $(diff <(head -c 300 "$WORK/mizan.body") <(head -c 300 "$WORK/$server.body"))"
    diff -u "$WORK/mizan.headers" "$WORK/$server.headers" >&2 || die "the headers of mizan and $server differ"
done
[[ $(wc -l <"$WORK/mizan.headers") -eq 3 ]] || die "expected content-type, etag and cache-control"
BODY_BYTES=$(wc -c <"$WORK/mizan.body")
say "  identical: $BODY_BYTES bytes; $(tr '\n' ' ' <"$WORK/mizan.headers")"

# --- load ------------------------------------------------------------------------------
to_ms() { # to_ms 850.00us|2.63ms|1.02s -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
        printf "%.3f", n
    }'
}

measure() { # measure <server> <round>: one line of $WORK/rounds.tsv
    local server=$1 round=$2 out idle
    start "$server"
    idle=$(kib VmRSS)
    taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$URL" >/dev/null
    local cpu0 cpu1
    cpu0=$(cpu_ticks)
    out=$(taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$URL")
    cpu1=$(cpu_ticks)
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        die "$server: errors under load:"$'\n'"$out"
    fi
    local rps p50 p99 hwm requests cpu
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    requests=$(awk '/ requests in / { print $1 }' <<<"$out")
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$requests" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t * 1e6 / n }')
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    hwm=$(kib VmHWM)
    stop
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$round" "$rps" "$p50" "$p99" "$hwm" "$idle" "$cpu" \
        >>"$WORK/rounds.tsv"
    say "  round $round $(printf '%-14s' "$server") $(printf '%9.0f' "$rps") req/s  p50 ${p50} ms  p99 ${p99} ms  CPU ${cpu} µs/req  peak RSS $((hwm / 1024)) MiB"
}

say "measuring: $ROUNDS rounds × $DURATION per server (warm-up $WARMUP), wrk -t$THREADS -c$CONNECTIONS"
: >"$WORK/rounds.tsv"
read -ra order <<<"$SERVERS"
for round in $(seq "$ROUNDS"); do
    # Each round starts with the next server, so that no server always runs first.
    for i in "${!order[@]}"; do
        measure "${order[(i + round - 1) % ${#order[@]}]}" "$round"
    done
done

# --- report ----------------------------------------------------------------------------
# rounds.tsv: server, round, req/s, p50 (ms), p99 (ms), peak RSS (KiB), idle RSS (KiB),
# server CPU (µs per request).
# medians.tsv: server, then the medians over rounds of every measure, in the same order.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for server in $SERVERS; do
    printf '%s' "$server"
    for column in 3 4 5 6 7 8; do
        printf '\t%s' "$(awk -F'\t' -v s="$server" -v c="$column" '$1 == s { print $c }' "$WORK/rounds.tsv" |
            median)"
    done
    printf '\n'
done >"$WORK/medians.tsv"
paired() { # paired <column>: the median over rounds of mizan / baseline in the same round
    awk -F'\t' -v c="$1" '$1 == "mizan" { m[$2] = $c } $1 == "baseline" { b[$2] = $c }
        END { for (r in m) if (r in b) print m[r] / b[r] }' "$WORK/rounds.tsv" | median |
        awk '{ printf "%.3f", $1 }'
}
of_medians() { # of_medians <column of medians.tsv>: median mizan / median baseline
    awk -F'\t' -v c="$1" '{ v[$1] = $c } END { printf "%.3f", v["mizan"] / v["baseline"] }' "$WORK/medians.tsv"
}
# The ratios compare the two servers within each round (same machine weather), then take
# the median over rounds: on a shared machine that is steadier than a ratio of medians.
rps_ratio=$(paired 3)
p50_ratio=$(paired 4)
p99_ratio=$(paired 5)
hwm_ratio=$(paired 6)
cpu_ratio=$(paired 8)
rps_of_medians=$(of_medians 2)
p99_of_medians=$(of_medians 4)
per_cpu=$(awk -v c="$cpu_ratio" 'BEGIN { printf "%.3f", 1 / c }')
verdict=$(awk -v r="$rps_ratio" 'BEGIN { print (r >= 0.9 ? "meets" : "misses") }')

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
COMMIT=$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$HERE/.." diff --quiet HEAD -- crates/mizan crates/mizan-macros 2>/dev/null; then
    COMMIT="$COMMIT+modified"
fi
{
    echo "## Context GET: Mizan vs hand-written axum"
    echo
    echo "\`GET /api/mizan/ctx/bench/?project=$PROJECT\` (3 functions, $BODY_BYTES-byte identical JSON body)."
    echo "Median of $ROUNDS rounds; each round: $WARMUP warm-up, then $DURATION of \`wrk -t$THREADS -c$CONNECTIONS --latency\`;"
    echo "server pinned to CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU."
    echo
    echo "| server | req/s | p50 | p99 | CPU / request | peak RSS | idle RSS |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %.0f | %.2f ms | %.2f ms | %.1f µs | %.1f MiB | %.1f MiB |\n", $1, $2, $3, $4, $7, $5 / 1024, $6 / 1024 }' \
        "$WORK/medians.tsv"
    echo "| **mizan / baseline** | **$rps_ratio×** | $p50_ratio× | **$p99_ratio×** | $cpu_ratio× | $hwm_ratio× | |"
    echo
    echo "- Throughput target (mizan ≥ 0.9× baseline): **$verdict** ($rps_ratio×)."
    echo "- Ratios are medians over rounds of mizan / baseline within a round; the ratios of the medians"
    echo "  above are $rps_of_medians× (req/s) and $p99_of_medians× (p99)."
    echo "- Requests per CPU-second of the server, mizan / baseline: $per_cpu×."
    echo
    echo "<details><summary>every round</summary>"
    echo
    echo "| round | server | req/s | p50 | p99 | CPU / request | peak RSS |"
    echo "|---:|---|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %.0f | %.2f ms | %.2f ms | %.1f µs | %.1f MiB |\n", $2, $1, $3, $4, $5, $8, $6 / 1024 }' "$WORK/rounds.tsv"
    echo
    echo "</details>"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), mizan @ $COMMIT, $(nproc) CPUs${CPU:+ ($CPU)}, $(uname -sr), $(rustc --version)."
} >"$WORK/table.md"

mkdir -p "$RESULTS"
cp "$WORK/table.md" "$RESULTS/latest.md"
echo
cat "$WORK/table.md"
say ""
say "written to benches/results/latest.md"
