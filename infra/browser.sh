#!/usr/bin/env bash
# browser.sh OUTPUT_DIR: the browser tests (tests/browser) in headless Debian Chromium against the
# stack at $GATEHOUSE_URL, with the admin CLI at $GATEHOUSE_CLI. Screenshots of every page go to
# OUTPUT_DIR and are copied to .local/screenshots, which outlives the run. Ends with pytest's
# "N passed, N failed" line; fails when a test does.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_browser_tests
output="$1"
mkdir -p "$output"
cd "$output" # pytest's cache stays out of the workspace
status=0
BROWSER_OUTPUT="$output/screenshots" SE_AVOID_STATS=true SE_OFFLINE=true \
  "$BROWSER_VENV/bin/python" -m pytest -p no:cacheprovider -q -rf "$ROOT/tests/browser" || status=$?
if compgen -G "$output/screenshots/*.png" >/dev/null; then
  rm -rf "$LOCAL/screenshots" && mkdir -p "$LOCAL/screenshots" && cp "$output"/screenshots/*.png "$LOCAL/screenshots/"
  log "screenshots of the pages: $(cd "$LOCAL/screenshots" && printf "$LOCAL/screenshots/%s " *.png)"
fi
exit "$status"
