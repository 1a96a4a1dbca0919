#!/usr/bin/env bash
# End-to-end test of the anvil scripts on real anvil chains on free ports:
#   1. deploy.sh deploys and wires everything (checked on chain with cast),
#   2. TIMEBANK_ADMIN starts a two-step transfer to another platform admin,
#   3. the dev key is refused on a chain that is not a local anvil chain, and so are zero
#      delays; with them set, the governor is the timelock with its delay,
#   4. anvil.sh refuses a port that is taken, with a clear message.
# Prints "anvil-scripts: N passed, 0 failed" or exits non-zero at the first failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_tools
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { echo "not ok - $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_anvil() { # port chain-id
  ANVIL_PORT="$1" ANVIL_CHAIN_ID="$2" "$ROOT/anvil-scripts/anvil.sh" >"$work/anvil-$1.log" 2>&1 &
  pids+=($!)
  wait_for_rpc "http://127.0.0.1:$1" 20 || fail "anvil on port $1 did not start"
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
call() { "$BIN/cast" call --rpc-url "$rpc" "$@"; }
same() { [ "$(echo "$1" | tr A-F a-f)" = "$(echo "$2" | tr A-F a-f)" ]; }

# 1. deploy and wire
port="$(free_port)"
rpc="http://127.0.0.1:$port"
start_anvil "$port" 31337
out="$work/deployment.json"
RPC_URL="$rpc" TIMEBANK_DEPLOYMENTS="$out" "$ROOT/anvil-scripts/deploy.sh" >/dev/null 2>"$work/deploy.err" \
  || fail "deploy.sh failed: $(cat "$work/deploy.err")"
coin="$(field "$out" timeCoin)"
ledger="$(field "$out" serviceLedger)"
access="$(field "$out" access)"
same "$(call "$(field "$out" identityRegistry)" 'timeCoin()(address)')" "$coin" \
  || fail "IdentityRegistry is not wired to TimeCoin"
ledger_role="$("$BIN/cast" keccak 'timebank.role.ledger')"
[ "$(call "$access" 'hasRole(bytes32,address)(bool)' "$ledger_role" "$ledger")" = "true" ] \
  || fail "ServiceLedger does not hold the ledger role"
same "$(call "$coin" "monitor()(address)")" "$(field "$out" supervisionDesk)" || fail "TimeCoin does not report to the SupervisionDesk"
monitor_role="$("$BIN/cast" keccak "timebank.role.monitor")"
[ "$(call "$access" "hasRole(bytes32,address)(bool)" "$monitor_role" "$(field "$out" supervisionDesk)")" = "true" ] || fail "the desk does not hold the monitor role"
same "$(call "$access" 'defaultAdmin()(address)')" "$(field "$out" admin)" || fail "wrong admin"
governor_role="$("$BIN/cast" keccak 'timebank.role.governor')"
[ "$(call "$access" 'hasRole(bytes32,address)(bool)' "$governor_role" "$(field "$out" timelock)")" = "true" ] \
  || fail "the timelock is not the governor"
[ "$(call "$access" 'hasRole(bytes32,address)(bool)' "$governor_role" "$(field "$out" admin)")" = "false" ] \
  || fail "the deployer kept the governor role"
same "$(call "$coin" 'trustedForwarder()(address)')" "$(field "$out" forwarder)" \
  || fail "TimeCoin does not trust the forwarder"
[ "$(field "$out" chainId)" = "31337" ] || fail "wrong chain id in deployment file"
pass "deploy.sh deploys and wires the contracts"

# 2. a different platform admin gets a pending two-step transfer
next_admin="0x00000000000000000000000000000000000a11ce"
RPC_URL="$rpc" TIMEBANK_ADMIN="$next_admin" TIMEBANK_DEPLOYMENTS="$work/second.json" \
  "$ROOT/anvil-scripts/deploy.sh" >/dev/null 2>"$work/deploy2.err" || fail "second deploy failed"
pending="$(call "$(field "$work/second.json" access)" 'pendingDefaultAdmin()(address,uint48)' | head -1)"
same "$pending" "$next_admin" || fail "admin transfer to TIMEBANK_ADMIN not pending (got $pending)"
pass "TIMEBANK_ADMIN starts a two-step admin transfer"

# 3. the public dev key is refused outside a local anvil chain id
port2="$(free_port)"
start_anvil "$port2" 7
if RPC_URL="http://127.0.0.1:$port2" "$ROOT/anvil-scripts/deploy.sh" >/dev/null 2>"$work/deploy3.err"; then
  fail "deploy.sh used the dev key on chain 7"
fi
grep -q "set DEPLOYER_KEY" "$work/deploy3.err" || fail "unclear refusal: $(cat "$work/deploy3.err")"
pass "the dev key is refused on a non-local chain"
# A real key (here one anvil funds on chain 7) with no delays: refused, saying which.
if RPC_URL="http://127.0.0.1:$port2" DEPLOYER_KEY="$ANVIL_DEV_KEY" TIMEBANK_DEPLOYMENTS="$work/seven.json" \
  "$ROOT/anvil-scripts/deploy.sh" >/dev/null 2>"$work/deploy4.err"; then
  fail "deploy.sh deployed with zero delays on chain 7"
fi
grep -q "TIMEBANK_ADMIN_DELAY must be set above 0" "$work/deploy4.err" \
  || fail "unclear refusal of zero delays: $(cat "$work/deploy4.err")"
RPC_URL="http://127.0.0.1:$port2" DEPLOYER_KEY="$ANVIL_DEV_KEY" TIMEBANK_DEPLOYMENTS="$work/seven.json" \
  TIMEBANK_ADMIN_DELAY=259200 TIMEBANK_GOVERNANCE_DELAY=172800 TIMEBANK_BRANCH_KEY_DELAY=86400 \
  "$ROOT/anvil-scripts/deploy.sh" >/dev/null 2>"$work/deploy5.err" \
  || fail "deploy with delays failed: $(cat "$work/deploy5.err")"
rpc="http://127.0.0.1:$port2"
[ "$(call "$(field "$work/seven.json" timelock)" 'getMinDelay()(uint256)' | cut -d" " -f1)" = "172800" ] \
  || fail "the timelock's delay is not TIMEBANK_GOVERNANCE_DELAY"
[ "$(call "$(field "$work/seven.json" access)" 'branchKeyDelay()(uint48)' | cut -d" " -f1)" = "86400" ] \
  || fail "the branch key delay is not TIMEBANK_BRANCH_KEY_DELAY"
[ "$(call "$(field "$work/seven.json" access)" 'defaultAdminDelay()(uint48)' | cut -d" " -f1)" = "259200" ] \
  || fail "the admin delay is not TIMEBANK_ADMIN_DELAY"
pass "zero delays are refused on a non-local chain; set delays are in force"

# 4. a taken port is reported clearly
if ANVIL_PORT="$port" "$ROOT/anvil-scripts/anvil.sh" >/dev/null 2>"$work/busy.err"; then
  fail "anvil.sh started on a taken port"
fi
grep -q "already in use" "$work/busy.err" || fail "unclear busy-port message: $(cat "$work/busy.err")"
pass "anvil.sh reports a taken port"

echo "anvil-scripts: $passed passed, 0 failed"
