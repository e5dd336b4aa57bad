#!/usr/bin/env bash
# The registry at scale (1,000 services × 20 versions × 3 environments by default) on SQLite and, when
# DATABASE_URL names a PostgreSQL server, on a fresh PostgreSQL database: can-i-deploy, every page and API route
# one request at a time, then a bounded HTTP load on loopback;
# then can-i-deploy and the server's memory while hostile clients are connected (slow headers, anonymous 16 MiB
# publishes; crates/seamline-registry/examples/hostile_load.rs, on SQLite).
# Usage: bench/registry.sh [SERVICES] [VERSIONS] [ENVS] [SECONDS] [CLIENTS]
#        bench/registry.sh large    # 1,000 services × 2,000 versions × 3 environments, the pages' goal
# Past 20 versions a service, the older ones are added by SQL (see registry_bench.rs); the large size takes
# about 3 GB of disk per database and seeds in a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = large ]; then
  set -- 1000 2000 3 20 8
fi
args=("${1:-1000}" "${2:-20}" "${3:-3}" "${4:-20}" "${5:-8}")
cargo build --release -q -p seamline-registry --example registry_bench
bench="${CARGO_TARGET_DIR:-target}/release/examples/registry_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== SQLite"
"$bench" "sqlite:$work/registry.db" "${args[@]}"

if [ -n "${DATABASE_URL:-}" ]; then
  echo
  echo "== PostgreSQL"
  name="seam_bench_$$"
  psql "$DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
  "$bench" "${DATABASE_URL%/*}/$name" "${args[@]}"
  psql "$DATABASE_URL" -q -c "DROP DATABASE $name WITH (FORCE)"
fi

echo
echo "== Hostile load (SQLite): 900 slow-header clients and 96 anonymous 16 MiB publishers, 20 s"
cargo build --release -q -p seamline-registry --example hostile_load
"${CARGO_TARGET_DIR:-target}/release/examples/hostile_load" "sqlite:$work/hostile.db" 200 900 96 20
