#!/usr/bin/env bash
# `make test`: installs what is missing, starts DynamoDB Local on a free port, runs the unit and
# integration tests, then the black-box tests against `cargo lambda watch`, then checks that a
# logout survives a restart of the whole stack. Every process it starts is stopped, pass or fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

begin_run test

ensure_tools
ensure_moto
cd "$ROOT"
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -q -- -D warnings
log "validating template.yaml (cfn-lint, sam validate --lint)"
bash "$ROOT/infra/sam.sh" validate
log "building"
cargo build --workspace --all-targets -q

DDB_PORT="$(free_port)"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
log "DynamoDB Local on 127.0.0.1:$DDB_PORT"
start_dynamodb "$DDB_PORT" "$RUN/dynamodb.pid" "$RUN/data"

log "unit and integration tests (SES against moto_server, which the tests start)"
MOTO_SERVER="$MOTO_VENV/bin/moto_server" cargo test --workspace --exclude blackbox

API_PORT="$(free_port)"
# Tests claim client addresses through X-Forwarded-For, so each has rate-limit buckets of its own.
export RUST_LOG=info TRUST_PROXY_HEADERS=true
# Mail goes over SMTP to maildev, fed by the stream relay, as under `make serve`.
SMTP_PORT="$(free_port)" MAILDEV_WEB_PORT="$(free_port)"
export MAIL_TRANSPORT=smtp SMTP_HOST=127.0.0.1 SMTP_PORT SMTP_TLS=none
export MAILDEV_URL="http://127.0.0.1:$MAILDEV_WEB_PORT" MAILDEV_BIN MAILDEV_DIR="$RUN/maildev"
throwaway_settings blackbox
export GATEHOUSE_URL="http://127.0.0.1:$API_PORT" GATEHOUSE_CLI="$ROOT/target/debug/gatehouse"
export PUBLIC_URL="$GATEHOUSE_URL" GATEHOUSE_LOGS="$RUN/watch.log $RUN/relay.log"
log "maildev: SMTP on 127.0.0.1:$SMTP_PORT, API on $MAILDEV_URL"
start_maildev "$SMTP_PORT" "$MAILDEV_WEB_PORT" "$RUN/maildev.pid" "$MAILDEV_DIR"
log "black-box tests against cargo lambda watch on $GATEHOUSE_URL"
start_functions "$API_PORT" "$RUN"
cargo test -p blackbox -- --skip smtp_outage
log "black-box: the SMTP server down, then back (the test starts maildev again itself)"
stop_pidfile "$RUN/maildev.pid"
cargo test -p blackbox smtp_outage
start_maildev "$SMTP_PORT" "$MAILDEV_WEB_PORT" "$RUN/maildev.pid" "$MAILDEV_DIR"

log "a logout survives a restart of the whole stack"
email="restart-$(date +%s%N)@example.com"
as_client=(-H "X-Forwarded-For: 192.0.2.77")
token="$(signup "$GATEHOUSE_URL" "$email" "Secret1234!" "${as_client[@]}")"
curl -sf -X POST "$GATEHOUSE_URL/api/v1/auth/logout" -H "Authorization: Bearer $token" >/dev/null
stop_functions "$RUN"
stop_pidfile "$RUN/dynamodb.pid"
start_dynamodb "$DDB_PORT" "$RUN/dynamodb.pid" "$RUN/data"
start_functions "$API_PORT" "$RUN"
passed=0 failed=0
check() { # name, expected, actual
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); log "FAIL $1: expected $2, got $3"; fi
}
check "revoked token after restart" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$GATEHOUSE_URL/api/v1/auth/me" -H "Authorization: Bearer $token")"
check "login after restart" 200 "$(curl -s "${as_client[@]}" -o /dev/null -w '%{http_code}' -X POST "$GATEHOUSE_URL/api/v1/auth/token" -d "username=$email&password=Secret1234!")"
echo "restart: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

log "schemathesis against the OpenAPI document (${FUZZ_SECONDS:-120} s), rate limits raised"
stop_functions "$RUN"
raise_rate_limits
start_functions "$API_PORT" "$RUN"
bash "$ROOT/infra/fuzz.sh" "$GATEHOUSE_URL" "$RUN"
