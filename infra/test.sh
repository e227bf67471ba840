#!/usr/bin/env bash
# `make test`: installs what is missing, starts DynamoDB Local and moto (Secrets Manager, SES) on
# free ports, runs the unit and integration tests, then the black-box tests against `cargo lambda
# watch` with the key set in Secrets Manager and mail over SMTP to maildev (fed by the stream
# relay), has PyJWT verify a token from the JWKS, checks that a logout survives a restart of the
# whole stack, then runs the browser tests of the pages and the fuzz run. Every process it starts
# is stopped, pass or fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

begin_run test

ensure_tools
ensure_browser_tests
ensure_test_venv
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

# moto's server mode stands in for AWS Secrets Manager and SES (no local engine exists).
MOTO_PORT="$(free_port)"
export SECRETS_MANAGER_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
log "moto (Secrets Manager) on 127.0.0.1:$MOTO_PORT"
start_moto "$MOTO_PORT" "$RUN/moto.pid"

log "unit and integration tests (SES against a moto_server the mail tests start)"
MOTO_SERVER="$TEST_VENV/bin/moto_server" cargo test --workspace --exclude blackbox

API_PORT="$(free_port)"
# Tests claim client addresses through X-Forwarded-For, so each has rate-limit buckets of its own.
# Debug builds on a loaded 2-core machine can be slow: the black-box stack gets a roomy request
# deadline (the fault-injection tests hold small deadlines to account in process).
export RUST_LOG=info TRUST_PROXY_HEADERS=true REQUEST_DEADLINE_MS=15000
# Mail goes over SMTP to maildev, fed by the stream relay, as under `make serve`.
SMTP_PORT="$(free_port)" MAILDEV_WEB_PORT="$(free_port)"
export MAIL_TRANSPORT=smtp SMTP_HOST=127.0.0.1 SMTP_PORT SMTP_TLS=none
export MAILDEV_URL="http://127.0.0.1:$MAILDEV_WEB_PORT" MAILDEV_BIN MAILDEV_DIR="$RUN/maildev"
throwaway_settings blackbox
export GATEHOUSE_URL="http://127.0.0.1:$API_PORT" GATEHOUSE_CLI="$ROOT/target/debug/gatehouse"
# The black-box tests compute TOTP codes with pyotp, an implementation independent of ours.
export TEST_PYTHON="$TEST_VENV/bin/python"
# The page origins the black-box tests play: the API's own (as make serve sets it) and one
# cross-origin app allowed by CORS; anything else is an evil site.
export PUBLIC_URL="$GATEHOUSE_URL" CORS_ALLOWED_ORIGINS="https://app.example.test"
export GATEHOUSE_LOGS="$RUN/watch.log $RUN/relay.log"

log "a missing key set secret stops a function at start-up with one line"
set +e
KEY_SET_FILE='' KEY_SET_SECRET_ID="gatehouse/test/missing" "$ROOT/target/debug/auth" >/dev/null 2>"$RUN/missing.err"
status=$?
set -e
lines="$(wc -l <"$RUN/missing.err")"
if [ "$status" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q "gatehouse/test/missing.*ResourceNotFoundException" "$RUN/missing.err"; then
  cat "$RUN/missing.err" >&2
  die "expected exit 1 and one line naming the missing secret (got exit $status, $lines lines)"
fi
cat "$RUN/missing.err" >&2

# The stack reads its key set from Secrets Manager, as on AWS; the seed rotates it there.
secret="gatehouse/test/key-set-$(date +%s)"
create_secret "$SECRETS_MANAGER_ENDPOINT" "$secret" "$KEY_SET_FILE"
unset KEY_SET_FILE
export KEY_SET_SECRET_ID="$secret"
log "maildev: SMTP on 127.0.0.1:$SMTP_PORT, API on $MAILDEV_URL"
start_maildev "$SMTP_PORT" "$MAILDEV_WEB_PORT" "$RUN/maildev.pid" "$MAILDEV_DIR"
log "black-box tests against cargo lambda watch on $GATEHOUSE_URL (key set: Secrets Manager secret $secret)"
start_functions "$API_PORT" "$RUN"
cargo test -p blackbox -- --skip smtp_outage
log "black-box: the SMTP server down, then back (the test starts maildev again itself)"
stop_pidfile "$RUN/maildev.pid"
cargo test -p blackbox smtp_outage
start_maildev "$SMTP_PORT" "$MAILDEV_WEB_PORT" "$RUN/maildev.pid" "$MAILDEV_DIR"

log "PyJWT verifies a fresh access token from the published JWKS alone"
token="$(signup "$GATEHOUSE_URL" "pyjwt-$(date +%s%N)@example.com" "Secret1234!" -H "X-Forwarded-For: 192.0.2.78")"
"$TEST_VENV/bin/python" "$ROOT/infra/verify_jwks.py" "$GATEHOUSE_URL" "$token" "$PUBLIC_URL" gatehouse

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

# A browser has no X-Forwarded-For: every page shares one client address, so limits are raised.
stop_functions "$RUN"
raise_rate_limits
start_functions "$API_PORT" "$RUN"
log "browser tests: the pages in headless Chromium, rate limits raised"
bash "$ROOT/infra/browser.sh" "$RUN/browser"

log "schemathesis against the OpenAPI document (${FUZZ_SECONDS:-120} s), rate limits raised"
bash "$ROOT/infra/fuzz.sh" "$GATEHOUSE_URL" "$RUN"
