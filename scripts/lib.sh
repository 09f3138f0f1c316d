# Shared by scripts/run and scripts/test: install what is missing.

# Runs a command as root (directly, or through sudo).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are not installed yet.
need_debian() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    command -v apt-get >/dev/null || { echo "please install: ${missing[*]}" >&2; exit 1; }
    as_root apt-get install -y "${missing[@]}" || { as_root apt-get update && as_root apt-get install -y "${missing[@]}"; }
  fi
}

need_rust() {
  command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs" >&2; exit 1; }
}

# Node.js and the npm packages of the workspace (package-lock.json).
need_node_packages() {
  command -v node >/dev/null || need_debian nodejs npm
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

# A free TCP port on 127.0.0.1 (the kernel's choice; free when asked).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# `random_hex N`: N random bytes in hex (for secrets).
random_hex() {
  node -e "console.log(require('crypto').randomBytes(${1:-32}).toString('hex'))"
}

# `cargo_executable MANIFEST PACKAGE [TARGET]`: builds PACKAGE of the workspace at MANIFEST
# and prints its executable's path as cargo reports it (CARGO_TARGET_DIR and the like
# honoured: no path spelled out here).
cargo_executable() {
  local manifest="$1" package="$2" target="${3:-$2}"
  cargo build --locked --quiet --manifest-path "$manifest" -p "$package" --bin "$target" \
      --message-format=json-render-diagnostics \
    | node -e '
        const want = process.argv[1]; let out = "";
        process.stdin.on("data", (d) => (out += d)).on("end", () => {
          for (const line of out.split("\n")) {
            if (!line.startsWith("{")) continue;
            const m = JSON.parse(line);
            if (m.reason === "compiler-artifact" && m.target?.name === want && m.executable) {
              console.log(m.executable); return;
            }
          }
          console.error(`cargo reported no executable for ${want}`); process.exit(1);
        });' "$target"
}

# The directory of PostgreSQL's server programs (initdb, pg_ctl): pg_config's, else the
# newest of Debian's /usr/lib/postgresql/<version>/bin; installs Debian's `postgresql`
# when there is none.
postgres_bin_dir() {
  local dir
  dir="$(pg_config --bindir 2>/dev/null || true)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    need_debian postgresql >&2
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  fi
  [ -x "$dir/initdb" ] || { echo "no initdb found after installing postgresql" >&2; return 1; }
  echo "$dir"
}
