#!/usr/bin/env bash
# The edge benchmark: `mizan edge` against Debian nginx `proxy_cache` in front of the same
# origin, side by side in one run. See benches/README.md ("mizan edge").
#
#   bash benches/edge.sh
#   ROUNDS=1 DURATION=3s bash benches/edge.sh     # a quick look
#
# Rows:
#   1. hit throughput and p99: GET /static/1 (public, max-age=300) through nginx proxy_cache
#      and through mizan edge in generic mode (no manifest);
#   2. the cost of MWT verification on hits: mizan edge with a manifest, public-context hits
#      against per-user-context hits, both carrying a user's session cookie and MWT (200 users);
#   3. origin load: a 95 % GET / 5 % mutation mix (public and per-user contexts of 20 items,
#      every mutation purging one item of both) straight to the origin and through the edge:
#      requests the origin served per 1,000 client requests.
#
# Settings (environment variables):
ROUNDS=${ROUNDS:-3}          # rounds per row; the table shows the median round
DURATION=${DURATION:-10s}    # measured time per round
WARMUP=${WARMUP:-2s}         # unmeasured run before each measurement
CONNS=${CONNS:-64}           # wrk connections
USERS=${USERS:-200}          # users of the MWT and mix rows
PROXY_CPU=${PROXY_CPU:-1}    # the proxy (nginx: one worker; edge: its runtime) runs on this CPU
LOAD_CPU=${LOAD_CPU:-0}      # wrk and the origin run on this CPU
set -euo pipefail

say() { printf '%s\n' "$*" >&2; }
die() { say "edge.sh: $*"; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
source "$ROOT/scripts/lib.sh"
need_debian nginx wrk
for tool in cargo curl taskset; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

say "building (release)…"
cargo_exe() { # workspace dir, package, binary
    (cd "$1" && cargo build --release --quiet -p "$2" --bin "$3" --message-format=json-render-diagnostics |
        sed -n "s/.*\"executable\":\"\([^\"]*\/$3\)\".*/\1/p" | tail -n 1)
}
BENCH=$(cargo_exe "$HERE" edge-bench edge-bench)
MIZAN=${MIZAN_BIN:-$(cargo_exe "$ROOT" mizan-cli mizan)}
[[ -x "$BENCH" && -x "$MIZAN" ]] || die "cargo did not report the executables"

WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    die "nothing answers on port $1"
}
# Waits for `mizan edge listening on` in $1 (the edge's stdout).
wait_edge() {
    for _ in $(seq 300); do
        grep -q '^mizan edge listening on http://' "$1" && return 0
        sleep 0.1
    done
    die "mizan edge did not start: $(cat "$2")"
}

export MIZAN_MWT_KEYS="bench=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export EDGE_BENCH_LUA="$HERE/edge-bench/lua"
"$BENCH" tokens "$USERS" >"$WORK/tokens"
"$BENCH" manifest >"$WORK/manifest.json"
export EDGE_BENCH_TOKENS="$WORK/tokens"

ORIGIN=$(free_port); NGINX=$(free_port); GENERIC=$(free_port); MANIFEST=$(free_port)
taskset -c "$LOAD_CPU" "$BENCH" origin "127.0.0.1:$ORIGIN" >"$WORK/origin.out" &
PIDS+=($!)
wait_port "$ORIGIN"

mkdir -p "$WORK/nginx/cache" "$WORK/nginx/tmp"
chmod -R a+rwx "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  proxy_cache_path $WORK/nginx/cache levels=1:2 keys_zone=bench:16m max_size=256m inactive=600m;
  upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      proxy_cache_revalidate on;
    }
  }
}
EOF
taskset -c "$PROXY_CPU" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx.log" &
PIDS+=($!)
wait_port "$NGINX"

taskset -c "$PROXY_CPU" "$MIZAN" edge --origin "http://127.0.0.1:$ORIGIN" --listen "127.0.0.1:$GENERIC" \
    >"$WORK/generic.out" 2>"$WORK/generic.log" &
PIDS+=($!)
wait_edge "$WORK/generic.out" "$WORK/generic.log"
taskset -c "$PROXY_CPU" "$MIZAN" edge --origin "http://127.0.0.1:$ORIGIN" --listen "127.0.0.1:$MANIFEST" \
    --manifest "$WORK/manifest.json" >"$WORK/manifest.out" 2>"$WORK/manifest.log" &
PIDS+=($!)
wait_edge "$WORK/manifest.out" "$WORK/manifest.log"

served() { curl -s "http://127.0.0.1:$ORIGIN/__stats" | sed 's/.*"served":\([0-9]*\).*/\1/'; }

# run NAME URL LUA [ENV=VALUE…]: one warm-up and one measured wrk run; appends
# "NAME requests duration_us p50_us p99_us errors non2xx origin_served" to $WORK/runs.
run() {
    local name=$1 url=$2 lua=$3
    shift 3
    env "$@" taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$EDGE_BENCH_LUA/$lua" "$url" >/dev/null
    local before after line
    before=$(served)
    line=$(env "$@" taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" -s "$EDGE_BENCH_LUA/$lua" "$url" | grep '^RESULT')
    after=$(served)
    [[ -n "$line" ]] || die "wrk printed no result for $name"
    say "  $name: $line origin=$((after - before))"
    echo "$name $(sed 's/RESULT //; s/[a-z0-9_]*=//g' <<<"$line") $((after - before)) $ROUND" >>"$WORK/runs"
}

# Every row is checked before it is measured: the proxies answer what the origin answers.
check_same() {
    local a b
    a=$(curl -s "$1") b=$(curl -s "$2")
    [[ "$a" == "$b" && -n "$a" ]] || die "$1 and $2 answer differently"
}
check_same "http://127.0.0.1:$ORIGIN/static/1" "http://127.0.0.1:$NGINX/static/1"
check_same "http://127.0.0.1:$ORIGIN/static/1" "http://127.0.0.1:$GENERIC/static/1"
cookie=$(head -n 1 "$WORK/tokens")
for _ in 1 2; do
    me=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$MANIFEST/api/mizan/ctx/me/?item=1")
done
[[ "$me" == *'"user":"u0"'* ]] || die "the per-user context through the edge answers $me"

say "measuring: $ROUNDS rounds × $DURATION, $CONNS connections, proxy on CPU $PROXY_CPU, wrk and origin on CPU $LOAD_CPU…"
for round in $(seq "$ROUNDS"); do
    say "round $round"
    ROUND=$round
    # Fresh tokens: an MWT lives 300 s (+ 60 s leeway), a run longer than that.
    "$BENCH" tokens "$USERS" >"$WORK/tokens"
    run nginx "http://127.0.0.1:$NGINX/static/1" plain.lua
    run generic "http://127.0.0.1:$GENERIC/static/1" plain.lua
    run public "http://127.0.0.1:$MANIFEST" tokens.lua EDGE_BENCH_PATH=/api/mizan/ctx/pub/ EDGE_BENCH_ITEMS=10
    run user "http://127.0.0.1:$MANIFEST" tokens.lua EDGE_BENCH_PATH=/api/mizan/ctx/me/ EDGE_BENCH_ITEMS=10
    run mix-origin "http://127.0.0.1:$ORIGIN" mix.lua EDGE_BENCH_ITEMS=20
    run mix-edge "http://127.0.0.1:$MANIFEST" mix.lua EDGE_BENCH_ITEMS=20
done

mkdir -p "$HERE/results"
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 - "$WORK/runs" "$DURATION" "$CONNS" "$ROUNDS" >"$HERE/results/edge-latest.md" <<'PY'
import statistics, sys
runs, duration, conns, rounds = sys.argv[1:]
rows, by_round = {}, {}
for line in open(runs):
    name, req, dur, p50, p99, err, non2xx, served, rnd = line.split()
    r = dict(rps=int(req) / (int(dur) / 1e6), p50=int(p50) / 1e3, p99=int(p99) / 1e3,
             err=int(err), non2xx=int(non2xx), req=int(req), served=int(served))
    rows.setdefault(name, []).append(r)
    by_round.setdefault(rnd, {})[name] = r
def med(name, key):
    return statistics.median(r[key] for r in rows[name])
def ratio(a, b, key="rps"):
    """The median over rounds of a's value over b's in the same round."""
    return statistics.median(x[a][key] / x[b][key] for x in by_round.values() if a in x and b in x)
def errs(name):
    return sum(r["err"] + r["non2xx"] for r in rows[name])
def per_k(name):
    return 1000 * sum(r["served"] for r in rows[name]) / max(1, sum(r["req"] for r in rows[name]))
print(f"Median of {rounds} rounds of {duration}, wrk with {conns} connections; ratios are medians of "
      "the ratios within each round (the rows of a round run back to back).\n")
print("| row | requests/s | p50 ms | p99 ms | errors + non-2xx | origin requests per 1,000 |")
print("|---|---:|---:|---:|---:|---:|")
labels = {
    "nginx": "static hit, nginx proxy_cache",
    "generic": "static hit, mizan edge (generic)",
    "public": "public context hit, edge + manifest",
    "user": "per-user context hit (MWT verified), edge + manifest",
    "mix-origin": "95/5 mix, straight to the origin",
    "mix-edge": "95/5 mix, through the edge",
}
for name, label in labels.items():
    if name in rows:
        print(f"| {label} | {med(name, 'rps'):,.0f} | {med(name, 'p50'):.2f} | {med(name, 'p99'):.2f} | "
              f"{errs(name)} | {per_k(name):,.1f} |")
print()
print(f"- hit throughput, edge / nginx: **{ratio('generic', 'nginx'):.2f}×** "
      f"(p99 {ratio('generic', 'nginx', 'p99'):.2f}× nginx's)")
u = ratio('user', 'public')
print(f"- MWT verification on hits: per-user hits reach {u:.2f}× the public hits' throughput "
      f"(cost **{100 * (1 - u):.1f} %**; p99 {ratio('user', 'public', 'p99'):.2f}×)")
o, e = per_k('mix-origin'), per_k('mix-edge')
print(f"- origin load of the 95/5 mix: **{e / o:.3f}×** with the edge ({e:.1f} instead of "
      f"{o:.1f} origin requests per 1,000 client requests); client throughput "
      f"{ratio('mix-edge', 'mix-origin'):.2f}× the origin's alone")
PY
{
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), mizan @ $COMMIT, $(nproc) CPUs, $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), $(rustc --version)."
} >>"$HERE/results/edge-latest.md"
echo
cat "$HERE/results/edge-latest.md"
say "written to benches/results/edge-latest.md"
