#!/usr/bin/env bash
# `seam diff` against api-smart-diff and Optic on two releases of GitHub Enterprise Server's REST API description
# (ghes-3.17.json -> ghes-3.18.json), in one run, with hyperfine for time and /usr/bin/time for peak memory.
# Prints a Markdown table of medians, ratios and peak RSS.
#
# Usage: bench/diff.sh [BENCH_DIR]      (fetch first with bench/fetch-corpora.sh BENCH_DIR)
# Needs hyperfine, GNU time and timeout (Debian packages `hyperfine`, `time`, `coreutils`).
#
# Optic runs once, under `timeout $OPTIC_TIMEOUT` (default 400 s), and that single run gives both its time and
# its peak memory; a run cut off by the timeout is reported as "> 400 s".
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH="${1:-${SEAMLINE_BENCH_DIR:-$HOME/.cache/seamline-bench}}"
GEN="$BENCH/corpora/octokit-openapi-23.0.2/generated"
PEERS="$BENCH/peers/node_modules/.bin"
OLD="$GEN/ghes-3.17.json"
NEW="$GEN/ghes-3.18.json"
ASD_RUNS="${ASD_RUNS:-3}"
OPTIC_TIMEOUT="${OPTIC_TIMEOUT:-400}"
# bench/api-smart-diff.mjs loads the library from $SEAMLINE_BENCH_DIR/peers; keep Optic offline and quiet.
export SEAMLINE_BENCH_DIR="$BENCH" OPTIC_TELEMETRY_LEVEL=off NO_UPDATE_NOTIFIER=1

cargo build --release -q -p seamline-cli
SEAM="${CARGO_TARGET_DIR:-target}/release/seam"
OUT="$(mktemp -d)"

peak_mb() { # command... -> peak resident set size in MB
  /usr/bin/time -f '%M' "$@" >/dev/null 2>"$OUT/time" || true
  echo $(( $(tail -n 1 "$OUT/time") / 1024 ))
}
# hyperfine JSON, allowed exit codes -> median in seconds; warns when a run exited otherwise (e.g. out of memory)
median() {
  python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
bad = sorted({c for c in r.get("exit_codes", []) if str(c) not in sys.argv[2].split(",")})
if bad:
    print(f"warning: {r['command']!r} exited with {bad}", file=sys.stderr)
print(r["median"])
PY
}

# seam diff exits 1 when it finds breaking changes.
hyperfine --style none --warmup 1 --runs 10 --ignore-failure --export-json "$OUT/seam.json" \
  "$SEAM diff $OLD $NEW --format json" >/dev/null
hyperfine --style none --runs "$ASD_RUNS" --ignore-failure --export-json "$OUT/asd.json" \
  "node bench/api-smart-diff.mjs $OLD $NEW" >/dev/null
s=$(median "$OUT/seam.json" 0,1); a=$(median "$OUT/asd.json" 0)

# Optic exits 1 when its breaking-change checks fail; 124 is timeout's "timed out".
rc=0
/usr/bin/time -f '%e %M' timeout -k 10 "$OPTIC_TIMEOUT" \
  "$PEERS/optic" diff "$OLD" "$NEW" --validation loose --json >/dev/null 2>"$OUT/optic.log" || rc=$?
read -r o om < <(tail -n 1 "$OUT/optic.log")
om=$(( om / 1024 ))
case "$rc" in
  0|1) optic_state=done ;;
  124|137) optic_state=timeout ;;
  *) optic_state=failed
     echo "warning: optic exited with $rc:" >&2
     tail -n 5 "$OUT/optic.log" >&2 ;;
esac

sm=$(peak_mb "$SEAM" diff "$OLD" "$NEW" --format json)
am=$(peak_mb node bench/api-smart-diff.mjs "$OLD" "$NEW")

echo "| old → new | seam median | api-smart-diff median | Optic | api-smart-diff / seam | Optic / seam | seam peak | api-smart-diff peak | Optic peak |"
echo "|---|---|---|---|---|---|---|---|---|"
python3 - "$(basename "$OLD") → $(basename "$NEW")" "$s" "$a" "$o" "$optic_state" "$OPTIC_TIMEOUT" \
  "$sm" "$am" "$om" <<'PY'
import sys
pair, s, a, o, state, limit, sm, am, om = sys.argv[1], *map(float, sys.argv[2:5]), *sys.argv[5:]
t = lambda x: f"{x:.2f} s" if x < 10 else f"{x:.1f} s"
x = lambda r: f"{r:.1f}×" if r < 100 else f"{r:.0f}×"
if state == "timeout":
    ot, orat, opeak = f"> {limit} s", f"> {x(float(limit) / s)}", f"≥ {om} MB"
elif state == "failed":
    ot, orat, opeak = f"failed after {t(o)}", "–", f"{om} MB"
else:
    ot, orat, opeak = t(o), x(o / s), f"{om} MB"
print(f"| {pair} | {t(s)} | {t(a)} | {ot} | {x(a / s)} | {orat} | {sm} MB | {am} MB | {opeak} |")
PY
rm -rf "$OUT"
