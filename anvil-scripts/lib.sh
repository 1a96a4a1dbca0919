# Shared helpers of the anvil scripts. Source it; it sets ROOT, BIN and the defaults below.
#
#   ANVIL_HOST   (127.0.0.1)   ANVIL_PORT (8545)   ANVIL_CHAIN_ID (31337)
#   RPC_URL      (http://$ANVIL_HOST:$ANVIL_PORT)
#   DEPLOYER_KEY (anvil's first dev account; public, for local chains only)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/node_modules/.bin"
ANVIL_HOST="${ANVIL_HOST:-127.0.0.1}"
ANVIL_PORT="${ANVIL_PORT:-8545}"
ANVIL_CHAIN_ID="${ANVIL_CHAIN_ID:-31337}"
RPC_URL="${RPC_URL:-http://$ANVIL_HOST:$ANVIL_PORT}"
# Anvil's well-known first development key (mnemonic "test test ... junk"). Never use it on a
# real chain: set DEPLOYER_KEY there, from a secret store, not a file in this repository.
ANVIL_DEV_KEY="0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

require_tools() {
  [ -x "$BIN/anvil" ] && [ -x "$BIN/forge" ] && [ -x "$BIN/cast" ] \
    || die "forge/anvil/cast are not installed: run \`make tools\` first"
}

# Succeeds when something listens on host:port.
port_in_use() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Waits up to $2 seconds (default 20) for the JSON-RPC endpoint $1 to answer.
wait_for_rpc() {
  local url="$1" deadline=$((SECONDS + ${2:-20}))
  until "$BIN/cast" chain-id --rpc-url "$url" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
