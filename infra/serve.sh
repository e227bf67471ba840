#!/usr/bin/env bash
# `make serve`: DynamoDB Local (persisted under .local/data) + the functions under
# `cargo lambda watch` at http://localhost:8000/api/v1/..., in the foreground until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

load_dotenv() { # .env fills in what the environment does not already set
  [ -f "$ROOT/.env" ] || return 0
  local line key
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    key="${line%%=*}"; key="${key// /}"
    [ -z "${!key+x}" ] && export "$key=${line#*=}"
  done <"$ROOT/.env"
}

ensure_tools
load_dotenv
export APP_ENV="${APP_ENV:-dev}" TABLE_NAME="${TABLE_NAME:-gatehouse}" RUST_LOG="${RUST_LOG:-info}"
DYNAMODB_PORT="${DYNAMODB_PORT:-8001}"
API_PORT="${API_PORT:-8000}"
# Pages served on this address call the API same-origin (the CSRF check's own origin).
export PUBLIC_URL="${PUBLIC_URL:-http://localhost:$API_PORT}"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
# Mail goes to maildev: SMTP on 127.0.0.1, the inbox at http://localhost:$MAILDEV_WEB_PORT.
MAILDEV_WEB_PORT="${MAILDEV_WEB_PORT:-1080}"
export MAIL_TRANSPORT="${MAIL_TRANSPORT:-smtp}" SMTP_HOST="${SMTP_HOST:-127.0.0.1}" SMTP_PORT="${SMTP_PORT:-1025}"
export SMTP_TLS="${SMTP_TLS:-none}" PUBLIC_URL="${PUBLIC_URL:-http://localhost:$API_PORT}"

RUN="$LOCAL/run"
mkdir -p "$RUN"
stop_all() {
  stop_pidfile "$RUN/relay.pid"
  stop_pidfile "$RUN/watch.pid"
  stop_pidfile "$RUN/maildev.pid"
  stop_pidfile "$RUN/dynamodb.pid"
}
stop_all
cleanup() {
  trap - EXIT INT TERM
  log "stopping"
  stop_all
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building the functions"
(cd "$ROOT" && cargo build --bins -q)
export PUBLIC_URL="${PUBLIC_URL:-http://localhost:$API_PORT}"
# The key set: a file under .local/, generated on first run, unless another source is set.
if [ -z "${KEY_SET_SECRET_ID:-}" ] && [ -z "${SECRET_KEY:-}" ]; then
  export KEY_SET_FILE="${KEY_SET_FILE:-$LOCAL/key-set.json}"
  case "$KEY_SET_FILE" in /*) ;; *) KEY_SET_FILE="$ROOT/$KEY_SET_FILE" ;; esac
  if [ ! -f "$KEY_SET_FILE" ]; then
    "$ROOT/target/debug/gatehouse" keys generate --algorithm "${JWT_ALGORITHM:-EdDSA}" --out "$KEY_SET_FILE"
  fi
fi
log "starting DynamoDB Local on 127.0.0.1:$DYNAMODB_PORT (data in .local/data)"
start_dynamodb "$DYNAMODB_PORT" "$RUN/dynamodb.pid" "$LOCAL/data"
if [ "$MAIL_TRANSPORT" = smtp ] && [[ "$SMTP_HOST" =~ ^(127\.0\.0\.1|localhost)$ ]]; then
  log "starting maildev: SMTP on 127.0.0.1:$SMTP_PORT, inbox at http://localhost:$MAILDEV_WEB_PORT"
  start_maildev "$SMTP_PORT" "$MAILDEV_WEB_PORT" "$RUN/maildev.pid" "$LOCAL/mail"
fi
log "starting cargo lambda watch on 127.0.0.1:$API_PORT"
# --disable-cors: CORS is the functions' own (CORS_ALLOWED_ORIGINS), as on AWS; cargo-lambda's
# layer would otherwise echo any origin with credentials.
(cd "$ROOT" && exec cargo-lambda lambda watch --disable-cors --invoke-address 127.0.0.1 --invoke-port "$API_PORT") &
echo $! >"$RUN/watch.pid"
wait_for_port "$API_PORT" 120 "cargo lambda watch"
create_table "$API_PORT" >/dev/null || die "could not create table $TABLE_NAME"
start_relay "$API_PORT" "$RUN/relay.pid" "$RUN/relay.log"
log "ready: http://localhost:$API_PORT/api/v1/auth/... (table $TABLE_NAME), mail ($MAIL_TRANSPORT) at http://localhost:$MAILDEV_WEB_PORT. Ctrl-C or \`make stop\` ends it."
wait "$(cat "$RUN/watch.pid")"
