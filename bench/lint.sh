#!/usr/bin/env bash
# `seam lint` against Spectral and Redocly on GitHub's REST API descriptions, in one run, with hyperfine for
# time and /usr/bin/time for peak memory. Prints a Markdown table of medians, ratios and peak RSS.
#
# Usage: bench/lint.sh [BENCH_DIR]      (fetch first with bench/fetch-corpora.sh BENCH_DIR)
# Needs hyperfine and GNU time (Debian packages `hyperfine`, `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH="${1:-${SEAMLINE_BENCH_DIR:-$HOME/.cache/seamline-bench}}"
GEN="$BENCH/corpora/octokit-openapi-23.0.2/generated"
PEERS="$BENCH/peers/node_modules/.bin"
SPECTRAL_RUNS="${SPECTRAL_RUNS:-2}"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

cargo build --release -q -p seamline-cli
SEAM="${CARGO_TARGET_DIR:-target}/release/seam"
OUT="$(mktemp -d)"

peak_mb() { # command... -> peak resident set size in MB
  /usr/bin/time -f '%M' "$@" >/dev/null 2>"$OUT/time" || true
  echo $(( $(tail -n 1 "$OUT/time") / 1024 ))
}

echo "| input | seam median | Redocly median | Spectral median | Redocly / seam | Spectral / seam | seam peak | Redocly peak | Spectral peak |"
echo "|---|---|---|---|---|---|---|---|---|"
for spec in ghes-3.19.json api.github.com.json; do
  file="$GEN/$spec"
  hyperfine --style none --warmup 1 --runs 10 --ignore-failure --export-json "$OUT/seam.json" \
    "$SEAM lint $file --format json" >/dev/null
  hyperfine --style none --warmup 1 --runs 5 --ignore-failure --export-json "$OUT/redocly.json" \
    "$PEERS/redocly lint $file --format stylish" >/dev/null
  hyperfine --style none --runs "$SPECTRAL_RUNS" --ignore-failure --export-json "$OUT/spectral.json" \
    "$PEERS/spectral lint $file --ruleset $BENCH/.spectral.yaml --format json" >/dev/null
  median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
  s=$(median "$OUT/seam.json"); r=$(median "$OUT/redocly.json"); p=$(median "$OUT/spectral.json")
  sm=$(peak_mb "$SEAM" lint "$file" --format json)
  rm_=$(peak_mb "$PEERS/redocly" lint "$file" --format stylish)
  pm=$(peak_mb "$PEERS/spectral" lint "$file" --ruleset "$BENCH/.spectral.yaml" --format json)
  python3 - "$spec" "$s" "$r" "$p" "$sm" "$rm_" "$pm" <<'PY'
import sys
spec, s, r, p, sm, rm, pm = sys.argv[1], *map(float, sys.argv[2:5]), *sys.argv[5:]
print(f"| {spec} | {s:.2f} s | {r:.2f} s | {p:.1f} s | {r/s:.1f}× | {p/s:.0f}× | {sm} MB | {rm} MB | {pm} MB |")
PY
done
rm -rf "$OUT"
