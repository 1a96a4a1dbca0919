#!/usr/bin/env bash
# Fuzzes the gateway's HTTP API from its own OpenAPI description: Schemathesis generates
# requests for every operation (valid and invalid), sends them as a signed-in supervisor to a
# gateway over a real anvil chain and a real database, and fails on any 5xx or a response that
# does not match the schema.
#   VENV      where Schemathesis is installed (requirements-test.txt)
#   EXAMPLES  examples per operation (default 40)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"
examples="${EXAMPLES:-40}"
work="$(mktemp -d)"
target_pid=""
cleanup() {
  [ -n "$target_pid" ] && kill "$target_pid" 2>/dev/null && wait "$target_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet --locked -p timebank-gateway --example api_target
"$root/target/debug/examples/api_target" >"$work/target.out" 2>"$work/target.log" &
target_pid=$!
for _ in $(seq 1 600); do
  grep -q '^TOKEN=' "$work/target.out" 2>/dev/null && break
  kill -0 "$target_pid" 2>/dev/null || { cat "$work/target.log" >&2; echo "api-fuzz: the target stopped" >&2; exit 1; }
  sleep 0.1
done
url="$(sed -n 's/^URL=//p' "$work/target.out")"
token="$(sed -n 's/^TOKEN=//p' "$work/target.out")"
[ -n "$token" ] || { cat "$work/target.log" >&2; echo "api-fuzz: the target did not start" >&2; exit 1; }
echo "api-fuzz: $url, $examples examples per operation"

# The live stream never ends and logout would end the session the run uses: both are covered
# by the gateway's own tests instead.
"$venv/bin/schemathesis" run "$url/openapi.json" \
  --url "$url" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /v1/events --exclude-path /v1/auth/logout \
  --max-examples "$examples" \
  --seed 7 \
  --no-color
