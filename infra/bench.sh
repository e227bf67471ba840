#!/usr/bin/env bash
# `make bench`: release builds of the functions under cargo lambda watch over an in-memory
# DynamoDB Local, driven by the bench client (bench/). It prints a table and writes bench/results.json
# (read by `make cost`); it asserts nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

begin_run bench

ensure_tools
cd "$ROOT"
log "building release binaries"
cargo build --release --bins -q
export PROFILE=release WATCH_FLAGS=--release
DDB_PORT="$(free_port)" API_PORT="$(free_port)"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" RUST_LOG=warn INVITE_ACCEPTANCE_MODE=token
export GATEHOUSE_URL="http://127.0.0.1:$API_PORT"
throwaway_settings bench
raise_rate_limits
start_dynamodb "$DDB_PORT" "$RUN/dynamodb.pid"
start_functions "$API_PORT" "$RUN"
log "running the bench against $GATEHOUSE_URL"
"$ROOT/target/release/bench"
