#!/usr/bin/env bash
# `make timing`: median latency of the cases that must not tell accounts apart (login with an
# unknown email, a wrong password, a locked account; reset request for a known and an unknown
# email), over 30 requests each, against a local stack of its own. It prints; it asserts nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-timing.XXXXXX")"
cleanup() {
  stop_pidfile "$RUN/watch.pid"
  stop_pidfile "$RUN/dynamodb.pid"
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_tools
cd "$ROOT"
cargo build --bins -q
DDB_PORT="$(free_port)" API_PORT="$(free_port)"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" APP_ENV=test RUST_LOG=warn TRUST_PROXY_HEADERS=true
export TABLE_NAME="timing-$(date +%s)"
SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export SECRET_KEY
start_dynamodb "$DDB_PORT" "$RUN/dynamodb.pid"
start_functions "$API_PORT" "$RUN"
python3 "$ROOT/infra/enumeration_timing.py" "http://127.0.0.1:$API_PORT"
