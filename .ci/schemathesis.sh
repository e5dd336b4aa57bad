#!/usr/bin/env bash
# Property-based test of the registry's HTTP API against its own OpenAPI document: schemathesis generates valid
# and invalid requests from /openapi.json and checks every answer against it (status, content type, headers,
# body schema, no 5xx, auth enforced). Usage: .ci/schemathesis.sh PATH/TO/seam
set -euo pipefail

seam=$(realpath "${1:?usage: $0 PATH/TO/seam}")
[ -x "$seam" ] || { echo "$0: $seam is not an executable" >&2; exit 2; }

# The version these flags were written against; 4.x changed the CLI from 3.x, so a bump means reading the
# `schemathesis run --help` again. The venv lives outside the clone and is reused between runs.
version=4.32.5
venv="${SEAMLINE_CACHE:-$HOME/.cache/seamline}/venv-schemathesis"
installed=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true)
if [ "$installed" != "$version" ]; then
  echo "== installing schemathesis $version in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

tmp=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# A token before the server starts, so it never races the server's migration of the fresh database.
token=$("$seam" token create --database "sqlite:$tmp/registry.db" --scope admin --name schemathesis)

# Port 0 lets the OS pick a free port; the server names it on stderr.
"$seam" serve --listen 127.0.0.1:0 --database "sqlite:$tmp/registry.db" 2>"$tmp/serve.log" &
server=$!
addr=
for _ in $(seq 100); do
  addr=$(sed -n 's|^seam serve: listening on http://\([^ ]*\) .*|\1|p' "$tmp/serve.log")
  [ -n "$addr" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "seam serve did not start:" >&2
  cat "$tmp/serve.log" >&2
  exit 1
fi
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://$addr/readyz" && break
  sleep 0.2
done
curl -fsS -o /dev/null "http://$addr/readyz"
echo "== schemathesis $version against http://$addr"

# Every check, every phase (examples, coverage, fuzzing, stateful), a fixed seed so a failure reproduces, and
# a bounded number of cases per operation: a few minutes. Without --max-time the run ends when
# the cases are spent (with it, fuzzing would go on until the budget is); `timeout` only ends a hung run.
# Nothing leaves the loopback: 4.x has no telemetry or upload at all, and NO_PROXY keeps a proxy set for the
# package registries away from 127.0.0.1. It runs in $tmp, so its crash cache (.schemathesis/) stays out of
# the clone; the Hypothesis example database is off, so every run starts from the seed alone. The token is
# masked in the output. One worker: CPython 3.11's AST constructor keeps its recursion depth in shared state,
# and Hypothesis parsing lambda sources on two threads at once fails with "AST constructor recursion depth
# mismatch" (python/cpython#106905), an error in the tool, not in the server.
cd "$tmp"
# One exception: JSON Schema cannot say "a seam.toml that names the service in the path" (422) or "each contract
# path once" (400: `uniqueItems` only compares whole items), so a schema-valid publication may rightly get those.
# Every other answer to valid data, and every other operation, stays strict.
cat >schemathesis.toml <<'EOF'
[[operations]]
include-operation-id = "publishVersion"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]
EOF
status=0
NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost timeout 600 \
  "$venv/bin/schemathesis" --no-color --config-file schemathesis.toml run "http://$addr/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  --seed "${SCHEMATHESIS_SEED:-20261126}" \
  --generation-database none \
  --workers 1 \
  --request-timeout 10 \
  || status=$?

# The server's own log says why, when a case failed with a 5xx.
[ "$status" -eq 0 ] || tail -n 50 "$tmp/serve.log" >&2
exit "$status"
