#!/usr/bin/env bash
# The context benchmark: a Mizan context GET of three functions against a hand-written
# axum handler doing the same work, in two configurations (no subscriber; an INFO
# `tracing_subscriber::fmt` subscriber), with tRPC v11 under Node and Bun as peers, side
# by side in one run. See benches/README.md.
#
#   bash benches/run.sh
#
# Settings (environment variables):
#   ROUNDS=5          rounds; each round measures every server of both configurations
#   DURATION=10s      measured load per server and round
#   WARMUP=3s         unmeasured load before each measurement
#   CONNECTIONS=32    open connections (wrk -c)
#   THREADS=1         load-generator threads (wrk -t)
#   TIMEOUT=10s       wrk's per-request timeout; a timed-out request stops the run
#   SERVER_CPU=0      CPU the server is pinned to (taskset -c)
#   CLIENT_CPU=1      CPU wrk is pinned to
#   PORT=3900         the server's port
#   PROJECT=3         the `project` parameter of the request
#   SILENT="mizan baseline trpc-node trpc-bun"
#                     servers measured without a tracing subscriber; also available:
#                     baseline-value (the baseline building its body through
#                     serde_json::Value, as Mizan once did)
#   INFO="mizan baseline baseline-trace"
#                     servers measured with `--log info` (an INFO fmt subscriber);
#                     also available: baseline-trace-info (TraceLayer at INFO); empty
#                     skips the configuration
#   LOG_FILE=/dev/null  where the `info` servers write their log while measured
#   MIN_CPU_SHARE=0.90  a round in which a compared server got less of its CPU than this
#                     (CPU time / wall time of the measured interval) is discarded
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
TIMEOUT=${TIMEOUT:-10s}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-3900}
PROJECT=${PROJECT:-3}
SILENT=${SILENT-mizan baseline trpc-node trpc-bun}
INFO=${INFO-mizan baseline baseline-trace}
LOG_FILE=${LOG_FILE:-/dev/null}
MIN_CPU_SHARE=${MIN_CPU_SHARE:-0.90}

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

[[ " $SILENT " == *" mizan "* && " $SILENT " == *" baseline "* ]] ||
    die "SILENT must include mizan and baseline"
[[ -z "${INFO// /}" || (" $INFO " == *" mizan "* && " $INFO " == *" baseline "*) ]] ||
    die "INFO must include mizan and baseline (or be empty)"
for server in $INFO; do
    [[ $server != trpc-* ]] || die "INFO: $server has no logging configuration; measure it in SILENT"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRPC="$HERE/trpc"
CTX_URL="http://127.0.0.1:$PORT/api/mizan/ctx/bench/?project=$PROJECT"
# httpBatchLink's GET for the three procedures: input {"0":{"project":3},"1":…,"2":…}.
TRPC_INPUT="%7B%220%22%3A%7B%22project%22%3A$PROJECT%7D%2C%221%22%3A%7B%22project%22%3A$PROJECT%7D%2C%222%22%3A%7B%22project%22%3A$PROJECT%7D%7D"
TRPC_URL="http://127.0.0.1:$PORT/fn_a,fn_b,fn_c?batch=1&input=$TRPC_INPUT"
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

# Every measurement is an entry `<configuration>:<server>`, e.g. `info:mizan`.
ENTRIES=()
for server in $SILENT; do ENTRIES+=("silent:$server"); done
for server in $INFO; do ENTRIES+=("info:$server"); done
uses_trpc() { [[ " $SILENT " == *" trpc-"* ]]; }

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
if uses_trpc; then
    for tool in node npm; do
        command -v "$tool" >/dev/null || die "$tool is required for the tRPC servers (or drop them from SILENT)"
    done
    # Installed from benches/trpc/package-lock.json (exact versions), not from the root
    # npm workspace; again whenever the lock file is newer than the install.
    if [[ ! -f "$TRPC/node_modules/.package-lock.json" ||
        "$TRPC/package-lock.json" -nt "$TRPC/node_modules/.package-lock.json" ]]; then
        say "installing the tRPC servers' npm dependencies…"
        (cd "$TRPC" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
    BUN="$TRPC/node_modules/.bin/bun"
    [[ " $SILENT " != *" trpc-bun "* ]] || "$BUN" --version >/dev/null ||
        die "bun (npm package bun) does not run: $BUN"
fi

# --- build -----------------------------------------------------------------------------
# Ask cargo where the binary is: CARGO_TARGET_DIR (or a config's build.target-dir) moves it.
say "building (release)…"
BIN=$(cd "$HERE" && cargo build --release --quiet --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\/ctx-bench\)".*/\1/p' | tail -n 1)
[[ -n "$BIN" && -x "$BIN" ]] || die "cargo did not report the ctx-bench executable"
say "  $BIN"

# --- servers ---------------------------------------------------------------------------
url_of() { # url_of <server>: the URL it answers the benchmark's request on
    if [[ $1 == trpc-* ]]; then echo "$TRPC_URL"; else echo "$CTX_URL"; fi
}

start() { # start <entry> [log]: the server, pinned, on $PORT; its stdout (the log) to [log]
    local config=${1%%:*} server=${1#*:} log=${2:-$LOG_FILE} url
    url=$(url_of "$server")
    if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
        die "something already answers on port $PORT; set PORT"
    fi
    local cmd
    case $server in
        # NODE_ENV=production, as deployed.
        trpc-node) cmd=(env NODE_ENV=production node "$TRPC/server.mjs" "$PORT") ;;
        trpc-bun) cmd=(env NODE_ENV=production "$BUN" "$TRPC/server.mjs" "$PORT") ;;
        *)
            cmd=("$BIN" "$server" "$PORT")
            if [[ $config == info ]]; then cmd+=(--log info); fi
            ;;
    esac
    taskset -c "$SERVER_CPU" "${cmd[@]}" >"$log" 2>"$WORK/server.err" &
    SERVER_PID=$!
    for _ in $(seq 200); do
        if curl -sf -o /dev/null "$url"; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || die "$1 exited: $(cat "$WORK/server.err")"
        sleep 0.05
    done
    die "$1 did not answer on $url"
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
    # /proc/<pid>/stat: utime and stime are fields 14 and 15; cut up to the `(comm) `
    # field first, which may hold spaces, so they are fields 12 and 13 of the rest.
    sed 's/.*) //' "/proc/$SERVER_PID/stat" | awk '{ print $12 + $13 }'
}
now() { date +%s.%N; }

# --- the answers must be equal ----------------------------------------------------------
# Every Rust server, in both configurations: the same bytes and the same headers as
# silent mizan. The tRPC servers: per procedure, the same result as parsed JSON.
say "checking that the servers answer the same…"
start silent:mizan
curl -sf -D "$WORK/ref.head" -o "$WORK/ref.body" "$CTX_URL"
stop
headers() { grep -iE '^(content-type|etag|cache-control):' "$1" | tr -d '\r' | tr '[:upper:]' '[:lower:]' | sort; }
headers "$WORK/ref.head" >"$WORK/ref.headers"
[[ $(wc -l <"$WORK/ref.headers") -eq 3 ]] || die "expected content-type, etag and cache-control from mizan"
BODY_BYTES=$(wc -c <"$WORK/ref.body")
LOG_NOTES=""
for entry in "${ENTRIES[@]}"; do
    config=${entry%%:*} server=${entry#*:}
    start "$entry" "$WORK/check.log"
    if [[ $server == trpc-* ]]; then
        curl -sf -o "$WORK/trpc.body" "$TRPC_URL" || die "$entry: the batch GET failed"
        node "$TRPC/check.mjs" "$WORK/ref.body" "$WORK/trpc.body" >/dev/null ||
            die "$entry does not answer the same results as mizan"
        say "  $entry: fn_a, fn_b, fn_c equal to mizan's (as JSON); $(wc -c <"$WORK/trpc.body")-byte batch body"
    else
        before=$(wc -c <"$WORK/check.log")
        curl -sf -D "$WORK/head" -o "$WORK/body" "$CTX_URL"
        sleep 0.1 # let the log line of that request reach the file
        per_request=$(($(wc -c <"$WORK/check.log") - before))
        cmp -s "$WORK/ref.body" "$WORK/body" ||
            die "the bodies of silent:mizan and $entry differ: $(diff <(head -c 300 "$WORK/ref.body") <(head -c 300 "$WORK/body"))"
        diff -u "$WORK/ref.headers" <(headers "$WORK/head") >&2 || die "the headers of silent:mizan and $entry differ"
        if [[ $config == info ]]; then
            grep -q 'INFO.*ctx-bench listening' "$WORK/check.log" ||
                die "$entry: no INFO line in its log; is the subscriber installed?"
            LOG_NOTES+="${LOG_NOTES:+, }$server $per_request"
            say "  $entry: identical; logs $per_request bytes per request at INFO"
        else
            [[ ! -s "$WORK/check.log" ]] || die "$entry logs without a subscriber: $(head -c 300 "$WORK/check.log")"
            say "  $entry: identical"
        fi
    fi
    stop
done
say "  $BODY_BYTES-byte body; $(tr '\n' ' ' <"$WORK/ref.headers")"

# --- load ------------------------------------------------------------------------------
to_ms() { # to_ms 850.00us|2.63ms|1.02s -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
        printf "%.3f", n
    }'
}

measure() { # measure <entry> <round>: one line of $WORK/rounds.tsv
    local entry=$1 round=$2 config=${1%%:*} server=${1#*:} url out idle
    url=$(url_of "$server")
    start "$entry"
    idle=$(kib VmRSS)
    taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout "$TIMEOUT" "$url" >/dev/null
    local cpu0 cpu1 t0 t1
    cpu0=$(cpu_ticks) t0=$(now)
    out=$(taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency "$url")
    cpu1=$(cpu_ticks) t1=$(now)
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        die "$entry: errors under load:"$'\n'"$out"
    fi
    local rps p50 p99 hwm requests cpu share
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    requests=$(awk '/ requests in / { print $1 }' <<<"$out")
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$requests" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t * 1e6 / n }')
    # The share of one CPU the server got: its CPU time over the wall time of the interval.
    share=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$TICKS" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.3f", (b - a) / t / (e - s) }')
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    hwm=$(kib VmHWM)
    stop
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$server" "$round" "$rps" "$p50" "$p99" \
        "$hwm" "$idle" "$cpu" "$share" >>"$WORK/rounds.tsv"
    say "  round $round $(printf '%-21s' "$entry") $(printf '%7.0f' "$rps") req/s  p50 ${p50} ms  p99 ${p99} ms  CPU ${cpu} µs/req  share $share  peak RSS $((hwm / 1024)) MiB"
}

rotate() { # rotate <n> <words…>: the words, starting with the n-th (0-based, modulo)
    local n=$1
    shift
    local words=("$@") i
    for i in "${!words[@]}"; do printf '%s\n' "${words[(i + n) % ${#words[@]}]}"; done
}

say "measuring: $ROUNDS rounds × $DURATION per server (warm-up $WARMUP), wrk -t$THREADS -c$CONNECTIONS"
: >"$WORK/rounds.tsv"
read -ra silent_entries <<<"$(printf 'silent:%s ' $SILENT)"
read -ra info_entries <<<"$(if [[ -n "${INFO// /}" ]]; then printf 'info:%s ' $INFO; fi)"
for round in $(seq "$ROUNDS"); do
    # A configuration's servers run one after another (close in time, so a round compares
    # them in the same weather); each round starts with the next server and alternates
    # which configuration goes first, so that no server always runs first.
    first=(${silent_entries[@]+"${silent_entries[@]}"}) second=(${info_entries[@]+"${info_entries[@]}"})
    if ((round % 2 == 0)); then
        first=(${info_entries[@]+"${info_entries[@]}"}) second=(${silent_entries[@]+"${silent_entries[@]}"})
    fi
    for group in first second; do
        declare -n entries=$group
        ((${#entries[@]})) || continue
        while read -r entry; do measure "$entry" "$round"; done < <(rotate $((round - 1)) "${entries[@]}")
        unset -n entries
    done
done

# --- report ----------------------------------------------------------------------------
# rounds.tsv: configuration, server, round, req/s, p50 (ms), p99 (ms), peak RSS (KiB),
# idle RSS (KiB), server CPU (µs per request), server CPU share.
R="$WORK/rounds.tsv"
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
kept() { # kept <config> <server>: the rounds in which it got at least MIN_CPU_SHARE
    awk -F'\t' -v c="$1" -v s="$2" -v m="$MIN_CPU_SHARE" '$1 == c && $2 == s && $10 >= m { print $3 }' "$R"
}
cell() { # cell <config> <server> <column> <printf format> [divisor]: the median over its
    # kept rounds, divided (over every round, in italics, when none was kept)
    local rounds value mark=""
    rounds=$(kept "$1" "$2" | tr '\n' ' ')
    if [[ -z ${rounds// /} ]]; then rounds=$(seq "$ROUNDS" | tr '\n' ' ') mark="_"; fi
    value=$(awk -F'\t' -v c="$1" -v s="$2" -v col="$3" -v keep=" $rounds" \
        '$1 == c && $2 == s && index(keep, " " $3 " ") { print $col }' "$R" | median)
    if [[ -z $value ]]; then echo "—"; else awk -v v="$value" -v d="${5:-1}" -v f="$mark$4$mark" 'BEGIN { printf f, v / d }'; fi
}
share_cell() { # share_cell <config> <server>: its median CPU share over all rounds, and the kept count
    local all kept_n
    all=$(awk -F'\t' -v c="$1" -v s="$2" '$1 == c && $2 == s { n++ } END { print n + 0 }' "$R")
    ((all)) || { echo "—"; return; }
    kept_n=$(kept "$1" "$2" | wc -l)
    awk -F'\t' -v c="$1" -v s="$2" '$1 == c && $2 == s { print $10 }' "$R" | median |
        awk -v k="$kept_n" -v n="$all" '{ printf "%.0f %% (%d/%d)", $1 * 100, k, n }'
}
# A ratio a / b compares two servers within a round (same weather), over the rounds in
# which both got at least MIN_CPU_SHARE, then takes the median: one disturbed round does
# not decide it.
pair_rounds() { # pair_rounds <config> <a> <b>: rounds in which both were undisturbed
    sort <(kept "$1" "$2") <(kept "$1" "$3") | uniq -d
}
ratio() { # ratio <config> <a> <b> <column> (over every round, in italics, when none was kept)
    local rounds mark=""
    rounds=$(pair_rounds "$1" "$2" "$3" | tr '\n' ' ')
    if [[ -z ${rounds// /} ]]; then rounds=$(seq "$ROUNDS" | tr '\n' ' ') mark="_"; fi
    awk -F'\t' -v c="$1" -v a="$2" -v b="$3" -v col="$4" -v keep=" $rounds" '
        $1 == c && index(keep, " " $3 " ") { if ($2 == a) x[$3] = $col; if ($2 == b) y[$3] = $col }
        END { for (r in x) if (r in y && y[r] > 0) print x[r] / y[r] }' "$R" | median |
        awk -v m="$mark" '{ printf "%s%.3f×%s", m, $1, m }' | { read -r v || true; echo "${v:-—}"; }
}
in_config() { [[ " $(if [[ $1 == silent ]]; then echo "$SILENT"; else echo "$INFO"; fi) " == *" $2 "* ]]; }
CONFIGS=(silent)
if [[ -n "${INFO// /}" ]]; then CONFIGS+=(info); fi
label() {
    case $1 in
        mizan) echo "mizan" ;;
        baseline) echo "baseline (hand-written axum)" ;;
        baseline-trace) echo "baseline + TraceLayer" ;;
        baseline-trace-info) echo "baseline + TraceLayer at INFO" ;;
        baseline-value) echo "baseline-value" ;;
        trpc-node) echo "tRPC v11, Node" ;;
        trpc-bun) echo "tRPC v11, Bun" ;;
        *) echo "$1" ;;
    esac
}
row() { # row <server>: its medians in every configuration
    local server=$1 config
    printf '| %s |' "$(label "$server")"
    for config in "${CONFIGS[@]}"; do
        if in_config "$config" "$server"; then
            printf ' %s | %s | %s | %s | %s |' "$(cell "$config" "$server" 4 '%.0f')" \
                "$(cell "$config" "$server" 6 '%.2f ms')" "$(cell "$config" "$server" 9 '%.1f µs')" \
                "$(cell "$config" "$server" 7 '%.1f MiB' 1024)" \
                "$(share_cell "$config" "$server")"
        else
            printf ' — | | | | |'
        fi
    done
    printf '\n'
}
ratio_row() { # ratio_row <a> <b> <label>: a / b in every configuration that has both
    local config
    printf '| %s |' "$3"
    for config in "${CONFIGS[@]}"; do
        if in_config "$config" "$1" && in_config "$config" "$2"; then
            printf ' %s | %s | %s | %s | %s of %s rounds |' "$(ratio "$config" "$1" "$2" 4)" "$(ratio "$config" "$1" "$2" 6)" \
                "$(ratio "$config" "$1" "$2" 9)" "$(ratio "$config" "$1" "$2" 7)" \
                "$(pair_rounds "$config" "$1" "$2" | wc -l)" "$ROUNDS"
        else
            printf ' — | | | | |'
        fi
    done
    printf '\n'
}
verdict() { # verdict <config>: the target, mizan against baseline
    local rps p99 n
    rps=$(ratio "$1" mizan baseline 4 | tr -d '_×')
    p99=$(ratio "$1" mizan baseline 6 | tr -d '_×')
    n=$(pair_rounds "$1" mizan baseline | wc -l)
    awk -v r="$rps" -v p="$p99" -v n="$n" 'BEGIN {
        v = (r >= 0.9 && p <= 1.1) ? "meets" : "misses"
        detail = sprintf("req/s %.3f× %s 0.90×, p99 %.3f× %s 1.10×", r, r >= 0.9 ? "≥" : "<", p, p <= 1.1 ? "≤" : ">")
        if (n == 0) printf "undecided: every round was disturbed (over all of them: %s)", detail
        else printf "**%s** (%s)", v, detail
    }'
}

SERVERS_ALL=$(printf '%s\n' $SILENT $INFO | awk '!seen[$0]++' | tr '\n' ' ')
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
COMMIT=$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$HERE/.." diff --quiet HEAD -- crates/mizan crates/mizan-macros 2>/dev/null; then
    COMMIT="$COMMIT+modified"
fi
{
    echo "## Context GET: Mizan vs hand-written axum vs tRPC"
    echo
    echo "\`GET /api/mizan/ctx/bench/?project=$PROJECT\` (3 functions, $BODY_BYTES-byte identical JSON body; tRPC: the"
    echo "\`httpBatchLink\` GET of \`fn_a,fn_b,fn_c\`, results equal as JSON). Median over undisturbed rounds"
    echo "(server got ≥ $MIN_CPU_SHARE of its CPU) of $ROUNDS; each round: $WARMUP warm-up, then $DURATION of"
    echo "\`wrk -t$THREADS -c$CONNECTIONS --latency\`; server pinned to CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU."
    if [[ ${#CONFIGS[@]} -eq 2 ]]; then
        echo "**silent**: no tracing subscriber. **info**: \`tracing_subscriber::fmt\` with \`EnvFilter::new(\"info\")\`,"
        echo "writing to $LOG_FILE${LOG_NOTES:+ (bytes logged per request: $LOG_NOTES)}."
    else
        echo "**silent**: no tracing subscriber."
    fi
    echo
    printf '| server |'
    for config in "${CONFIGS[@]}"; do printf ' %s req/s | p99 | CPU / req | peak RSS | CPU share (kept) |' "$config"; done
    printf '\n|---|'
    for config in "${CONFIGS[@]}"; do printf -- '---:|---:|---:|---:|---:|'; done
    printf '\n'
    for server in $SERVERS_ALL; do row "$server"; done
    ratio_row mizan baseline "**mizan / baseline**"
    for server in $SERVERS_ALL; do
        case $server in
            mizan | baseline) ;;
            trpc-*) ratio_row "$server" mizan "$(label "$server") / mizan" ;;
            *) ratio_row "$server" baseline "$(label "$server") / baseline" ;;
        esac
    done
    echo
    echo "Target: mizan ≥ 0.90× the baseline's req/s and ≤ 1.10× its p99, in both configurations."
    for config in "${CONFIGS[@]}"; do
        discarded=$((ROUNDS - $(pair_rounds "$config" mizan baseline | wc -l)))
        echo "- $config: $(verdict "$config"); $discarded of $ROUNDS rounds discarded as disturbed."
    done
    if [[ ${#CONFIGS[@]} -eq 2 ]]; then
        verdicts=$(verdict silent; echo; verdict info)
        if grep -q '^\*\*misses' <<<"$verdicts"; then overall=misses
        elif grep -q '^undecided' <<<"$verdicts"; then overall=undecided
        else overall=meets; fi
        echo "- Overall: **$overall**."
    fi
    echo "- Ratio rows are medians over the rounds in which both servers were undisturbed of the"
    echo "  within-round ratio; CPU share is the median over all rounds, (kept/measured) rounds."
    echo "  _Italics_: no round was undisturbed, so the figure is over every round and decides nothing."
    echo
    echo "<details><summary>every round</summary>"
    echo
    echo "| round | configuration | server | req/s | p50 | p99 | CPU / request | CPU share | peak RSS |"
    echo "|---:|---|---|---:|---:|---:|---:|---:|---:|"
    sort -t$'\t' -k3,3n -k1,1r "$R" | awk -F'\t' -v m="$MIN_CPU_SHARE" '{
        printf "| %s | %s | %s | %.0f | %.2f ms | %.2f ms | %.1f µs | %.0f %%%s | %.1f MiB |\n",
            $3, $1, $2, $4, $5, $6, $9, $10 * 100, ($10 < m ? " (discarded)" : ""), $7 / 1024 }'
    echo
    echo "</details>"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), mizan @ $COMMIT, $(nproc) CPUs${CPU:+ ($CPU)}, $(uname -sr), $(rustc --version)$(
        if uses_trpc; then
            printf ', node %s' "$(node --version)"
            [[ " $SILENT " != *" trpc-bun "* ]] || printf ', bun %s' "$("$BUN" --version)"
        fi
    )."
} >"$WORK/table.md"

mkdir -p "$RESULTS"
cp "$WORK/table.md" "$RESULTS/latest.md"
echo
cat "$WORK/table.md"
say ""
say "written to benches/results/latest.md"
