#!/usr/bin/env bash
# fuzz.sh BASE_URL RUN_DIR: a time-bounded schemathesis run of the API against its own OpenAPI
# document: no 500s, and every status code, content type and body as documented. It signs up and
# logs in first so that authenticated routes are reached too (the stack's rate limits must be
# raised). The routes that end the fuzzer's own session are left to the integration tests.
# The tools run as `python -m`, so a virtualenv copied from another checkout still works (its
# scripts' #! lines name the checkout it was made in).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_schemathesis
url="$1" run_dir="$2"
curl -sf "$url/api/v1/openapi.json" >"$run_dir/openapi.json"
"$FUZZ_VENV/bin/python" -m openapi_spec_validator "$run_dir/openapi.json"
token="$(signup "$url" "fuzz-$(date +%s)@example.com" "FuzzSecret123!")"
cd "$run_dir" # schemathesis writes its report here, not into the watched workspace
SCHEMATHESIS_TELEMETRY=false PYTHONPATH="$ROOT/infra" SCHEMATHESIS_HOOKS=fuzz_hooks \
  "$FUZZ_VENV/bin/python" -m schemathesis.cli run "$url/api/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --header "Authorization: Bearer $token" \
  --exclude-path-regex '^/api/v1/auth/(logout|sessions/\{session_id\}|users/\{user_id\}/sessions.*)$' \
  --max-time "${FUZZ_SECONDS:-120}" --generation-codec utf-8 --generation-database none --no-color
