#!/usr/bin/env bash
# `make timing`: median latency of the cases that must not tell accounts apart (login with an
# unknown email, a wrong password, a locked account; reset request for a known and an unknown
# email), over 30 requests each, against a local stack of its own. It prints; it asserts nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

begin_run timing

ensure_tools
cd "$ROOT"
cargo build --bins -q
DDB_PORT="$(free_port)" API_PORT="$(free_port)"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" RUST_LOG=warn TRUST_PROXY_HEADERS=true
throwaway_settings timing
start_dynamodb "$DDB_PORT" "$RUN/dynamodb.pid"
start_functions "$API_PORT" "$RUN"
python3 "$ROOT/infra/enumeration_timing.py" "http://127.0.0.1:$API_PORT"
