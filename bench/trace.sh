#!/usr/bin/env bash
# Trace ingest and diagnosis on about 1.3M spans of OTLP/JSON lines (the collector's file-exporter layout), next to
# serde_json alone parsing the same file into `Value`s (the raw-parse baseline), and the trace readers alone. Each
# of seam's two is run on one core (one reading thread, pinned with taskset to one CPU: the per-core figure) and on
# all cores (one parsing thread per core, and each sweep's requests analysed on one thread per core). hyperfine
# medians, spans per second, GNU time peak RSS. Then peak RSS
# against file size and --window, to show that memory follows the window, not the file.
#
# The programs are seamline-trace's examples: generate_traces writes what `seam trace generate` writes,
# diagnose_json does what `seam trace diagnose --format json` does (read, join, diagnose, write the JSON report),
# so the benchmark builds nothing but seamline-trace.
#
# Usage: bench/trace.sh [WORK_DIR]       (needs about 2 GB free; hyperfine, GNU time, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
RUNS="${RUNS:-3}"

cargo build --release -q -p seamline-trace --example generate_traces --example raw_parse --example read_only \
  --example diagnose_json
BIN="${CARGO_TARGET_DIR:-target}/release/examples"
CORES=$(nproc)
echo "machine: $CORES cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# 75,000 checkouts: one in ten loses inventory-service's publish (the seed's incident), the rest are healthy.
[ -s "$WORK/faulty.jsonl" ] || "$BIN/generate_traces" "$WORK/faulty.jsonl" 75000 missing-publish 4
[ -s "$WORK/healthy.jsonl" ] || "$BIN/generate_traces" "$WORK/healthy.jsonl" 75000
head -n 18750 "$WORK/healthy.jsonl" > "$WORK/healthy-quarter.jsonl"

spans() { grep -o '"spanId"' "$1" | wc -l; }
median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
peak_mb() { /usr/bin/time -f '%M' "$@" >/dev/null 2>"$WORK/time" || true; echo $(( $(tail -n 1 "$WORK/time") / 1024 )); }
one_core="taskset -c 0"

file="$WORK/faulty.jsonl"
n=$(spans "$file")
declare -A cmd=(
  [raw]="$one_core $BIN/raw_parse $file"
  [read1]="$one_core $BIN/read_only $file 1"
  [readN]="$BIN/read_only $file 0"
  [seam1]="$one_core $BIN/diagnose_json $file 1"
  [seamN]="$BIN/diagnose_json $file 0"
)
declare -A t mb
for k in raw read1 readN seam1 seamN; do
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/$k.json" "${cmd[$k]}" >/dev/null 2>&1
  t[$k]=$(median "$WORK/$k.json")
  # shellcheck disable=SC2086
  mb[$k]=$(peak_mb ${cmd[$k]})
done
echo "load average at the end of the timed runs: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$n" "$(stat -c %s "$file")" "$CORES" \
  "${t[raw]}" "${t[read1]}" "${t[readN]}" "${t[seam1]}" "${t[seamN]}" \
  "${mb[raw]}" "${mb[read1]}" "${mb[readN]}" "${mb[seam1]}" "${mb[seamN]}" <<'PY'
import sys
n, size, cores = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
raw, read1, readn, seam1, seamn = map(float, sys.argv[4:9])
mb = sys.argv[9:14]
print(f"\n{n:,} spans, {size / 1e6:.0f} MB of OTLP/JSON lines\n")
print("| what | cores | median | spans/s | MB/s | peak RSS | time / serde_json |")
print("|---|---|---|---|---|---|---|")
rows = [("serde_json alone (`Value` per line)", "1", raw, mb[0]),
        ("seam readers alone", "1", read1, mb[1]),
        ("seam readers alone", f"all ({cores})", readn, mb[2]),
        ("read, join, diagnose 7,500 failing checkouts, write JSON", "1", seam1, mb[3]),
        ("read, join, diagnose 7,500 failing checkouts, write JSON", f"all ({cores})", seamn, mb[4])]
for name, c, t, m in rows:
    print(f"| {name} | {c} | {t:.2f} s | {n / t / 1e3:,.0f}k | {size / t / 1e6:.0f} | {m} MB | {t / raw:.2f}× |")
print(f"\nall cores against one: readers {read1 / readn:.2f}×, diagnosis {seam1 / seamn:.2f}× on {cores} cores")
PY

echo
echo "| input | --window | spans | peak RSS (1 core) | peak RSS (all cores) |"
echo "|---|---|---|---|---|"
for input in healthy-quarter healthy; do
  echo "| $input | 30s (default) | $(spans "$WORK/$input.jsonl") | $(peak_mb "$BIN/diagnose_json" "$WORK/$input.jsonl" 1) MB | $(peak_mb "$BIN/diagnose_json" "$WORK/$input.jsonl" 0) MB |"
done
for window in 5 120; do
  echo "| healthy | ${window}s | $(spans "$WORK/healthy.jsonl") | $(peak_mb "$BIN/diagnose_json" "$WORK/healthy.jsonl" 1 "$window") MB | $(peak_mb "$BIN/diagnose_json" "$WORK/healthy.jsonl" 0 "$window") MB |"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
