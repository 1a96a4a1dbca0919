#!/usr/bin/env bash
# Deploys and wires the timebank contracts on the chain at RPC_URL and writes their addresses
# to contracts/deployments/<chain id>.json (or TIMEBANK_DEPLOYMENTS, a path relative to
# contracts/ or absolute). See contracts/script/Deploy.s.sol for TIMEBANK_ADMIN,
# TIMEBANK_GUARDIAN and the delays (TIMEBANK_ADMIN_DELAY, TIMEBANK_GOVERNANCE_DELAY,
# TIMEBANK_BRANCH_KEY_DELAY), which must be set above 0 on any chain but a local anvil chain.
#
#   DEPLOYER_KEY  the deploying account's key; defaults to anvil's public dev key, which is
#                 accepted only on chain id 31337
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_tools
wait_for_rpc "$RPC_URL" 20 || die "no JSON-RPC node answers at $RPC_URL (start one with \`make anvil\`)"
chain_id="$("$BIN/cast" chain-id --rpc-url "$RPC_URL")"
if [ -z "${DEPLOYER_KEY:-}" ]; then
  [ "$chain_id" = "31337" ] || die "chain $chain_id is not a local anvil chain: set DEPLOYER_KEY"
  DEPLOYER_KEY="$ANVIL_DEV_KEY"
fi
cd "$ROOT/contracts"
dest="${TIMEBANK_DEPLOYMENTS:-deployments/$chain_id.json}"
# forge may write only under contracts/deployments (foundry.toml fs_permissions): write there,
# then move the file where it was asked for.
staging="deployments/.staging-$$.json"
trap 'rm -f "$staging"' EXIT
# The key reaches the script through the environment, never on a command line others can read.
if ! log="$(DEPLOYER_KEY="$DEPLOYER_KEY" TIMEBANK_DEPLOYMENTS="$staging" "$BIN/forge" script \
  script/Deploy.s.sol:Deploy --rpc-url "$RPC_URL" --broadcast --slow -q 2>&1)"; then
  reason="$(printf '%s\n' "$log" | grep -oE 'TIMEBANK_[A-Z_]+ must be set[^"]*' | head -1)"
  die "deployment failed${reason:+: $reason} (rerun: cd contracts && forge script script/Deploy.s.sol --rpc-url $RPC_URL -vvv)"
fi
mkdir -p "$(dirname "$dest")"
mv "$staging" "$dest"
echo "deployed timebank on chain $chain_id; addresses in $(realpath "$dest")" >&2
cat "$dest"
