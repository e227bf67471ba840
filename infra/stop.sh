#!/usr/bin/env bash
# `make stop`: ends what `make serve` started, by the PIDs it recorded.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stop_pidfile "$LOCAL/run/relay.pid"
stop_pidfile "$LOCAL/run/watch.pid"
stop_pidfile "$LOCAL/run/maildev.pid"
stop_pidfile "$LOCAL/run/dynamodb.pid"
