#!/usr/bin/env bash
# `make bench`: release builds of the functions under cargo lambda watch over an in-memory
# DynamoDB Local, driven by the bench client (bench/). It prints a table; it asserts nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")"
cleanup() {
  stop_pidfile "$RUN/watch.pid"
  stop_pidfile "$RUN/dynamodb.pid"
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_tools
cd "$ROOT"
log "building release binaries"
cargo build --release --bins -q
export PROFILE=release WATCH_FLAGS=--release
DDB_PORT="$(free_port)" API_PORT="$(free_port)"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" APP_ENV=test RUST_LOG=warn INVITE_ACCEPTANCE_MODE=token
export TABLE_NAME="bench-$(date +%s)" GATEHOUSE_URL="http://127.0.0.1:$API_PORT"
SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export SECRET_KEY
for limit in LOGIN REGISTER RESET RESEND_VERIFICATION; do export "RATE_LIMIT_${limit}_MAX=1000000"; done
start_dynamodb "$DDB_PORT" "$RUN/dynamodb.pid"
start_functions "$API_PORT" "$RUN"
log "running the bench against $GATEHOUSE_URL"
"$ROOT/target/release/bench"
