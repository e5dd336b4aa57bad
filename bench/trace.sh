#!/usr/bin/env bash
# `seam trace diagnose` on about 1.3M spans of OTLP/JSON lines (the collector's file-exporter layout), next to
# serde_json alone parsing the same file into `Value`s, and the trace readers alone. One run; hyperfine medians,
# spans per second (all three are single-threaded: per core), GNU time peak RSS. Then peak RSS against file
# size and --window, to show that memory follows the window, not the file.
#
# Usage: bench/trace.sh [WORK_DIR]       (needs about 3 GB free; hyperfine and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
RUNS="${RUNS:-3}"

cargo build --release -q -p seamline-cli
cargo build --release -q -p seamline-trace --example raw_parse --example read_only
TARGET="${CARGO_TARGET_DIR:-target}/release"
SEAM="$TARGET/seam"

# 75,000 checkouts: one in ten loses inventory-service's publish (the seed's incident), the rest are healthy.
[ -s "$WORK/faulty.jsonl" ] || "$SEAM" trace generate --checkouts 75000 --fault missing-publish --faulty-per-40 4 -o "$WORK/faulty.jsonl"
[ -s "$WORK/healthy.jsonl" ] || "$SEAM" trace generate --checkouts 75000 -o "$WORK/healthy.jsonl"
head -n 18750 "$WORK/healthy.jsonl" > "$WORK/healthy-quarter.jsonl"

spans() { grep -o '"spanId"' "$1" | wc -l; }
median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
peak_mb() { /usr/bin/time -f '%M' "$@" >/dev/null 2>"$WORK/time" || true; echo $(( $(tail -n 1 "$WORK/time") / 1024 )); }

file="$WORK/faulty.jsonl"
n=$(spans "$file")
hyperfine --style none --runs "$RUNS" --export-json "$WORK/raw.json" "$TARGET/examples/raw_parse $file" >/dev/null
hyperfine --style none --runs "$RUNS" --export-json "$WORK/read.json" "$TARGET/examples/read_only $file" >/dev/null
hyperfine --style none --runs "$RUNS" --ignore-failure --export-json "$WORK/seam.json" "$SEAM trace diagnose $file --format json" >/dev/null
raw=$(median "$WORK/raw.json"); read=$(median "$WORK/read.json"); seam=$(median "$WORK/seam.json")
raw_mb=$(peak_mb "$TARGET/examples/raw_parse" "$file")
read_mb=$(peak_mb "$TARGET/examples/read_only" "$file")
seam_mb=$(peak_mb "$SEAM" trace diagnose "$file" --format json)
python3 - "$n" "$(stat -c %s "$file")" "$raw" "$read" "$seam" "$raw_mb" "$read_mb" "$seam_mb" <<'PY'
import sys
n, size, raw, read, seam = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:6])
raw_mb, read_mb, seam_mb = sys.argv[6:9]
print(f"{n:,} spans, {size / 1e6:.0f} MB of OTLP/JSON lines\n")
print("| what | median | spans/s | MB/s | peak RSS | time / serde_json |")
print("|---|---|---|---|---|---|")
for name, t, mb in [("serde_json alone (`Value` per line)", raw, raw_mb), ("seam readers alone", read, read_mb),
                    ("`seam trace diagnose --format json`", seam, seam_mb)]:
    print(f"| {name} | {t:.2f} s | {n / t / 1e3:,.0f}k | {size / t / 1e6:.0f} | {mb} MB | {t / raw:.2f}× |")
PY

echo
echo "| input | --window | spans | peak RSS |"
echo "|---|---|---|---|"
for input in healthy-quarter healthy; do
  echo "| $input | 30s (default) | $(spans "$WORK/$input.jsonl") | $(peak_mb "$SEAM" trace diagnose "$WORK/$input.jsonl") MB |"
done
for window in 5s 120s; do
  echo "| healthy | $window | $(spans "$WORK/healthy.jsonl") | $(peak_mb "$SEAM" trace diagnose "$WORK/healthy.jsonl" --window "$window") MB |"
done
