#!/usr/bin/env bash
# Starts a local anvil chain in the foreground with instant mining.
#
#   ANVIL_HOST, ANVIL_PORT, ANVIL_CHAIN_ID  where and what (see lib.sh)
#   ANVIL_STATE  a file to load the chain from and save it to on exit (optional)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_tools
if port_in_use "$ANVIL_HOST" "$ANVIL_PORT"; then
  die "$ANVIL_HOST:$ANVIL_PORT is already in use; stop what runs there or set ANVIL_PORT"
fi
args=(--host "$ANVIL_HOST" --port "$ANVIL_PORT" --chain-id "$ANVIL_CHAIN_ID" --silent)
if [ -n "${ANVIL_STATE:-}" ]; then
  mkdir -p "$(dirname "$ANVIL_STATE")"
  args+=(--state "$ANVIL_STATE")
fi
exec "$BIN/anvil" "${args[@]}" "$@"
