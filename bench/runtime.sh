#!/usr/bin/env bash
# Messages/s through seamline-runtime's publish (confirmed) → RabbitMQ → consume (acknowledged), with and without
# schema validation, the library pinned to one core. Usage: AMQP_URL=amqp://… bench/runtime.sh [MESSAGES] [IN_FLIGHT] [ROUNDS] [HANDLER_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${AMQP_URL:=amqp://guest:guest@127.0.0.1:5672/%2f}"
cargo build --release -q -p seamline-runtime --example throughput
bin="${CARGO_TARGET_DIR:-target}/release/examples/throughput"
taskset -c 0 "$bin" "$AMQP_URL" "${1:-20000}" "${2:-64}" "${3:-3}" "${4:-0}"
