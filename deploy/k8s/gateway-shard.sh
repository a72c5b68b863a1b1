#!/bin/sh
# Start one pod of the gateway StatefulSet (gateway.yaml) on its own Discord shard: pod <name>-k runs
# shard k of DISCORD_SHARD_COUNT. Reads POD_NAME (the downward API's metadata.name) and
# DISCORD_SHARD_COUNT (which must equal the StatefulSet's replicas); exports DISCORD_SHARD_IDS; then
# replaces itself with `confab run "$@"`, so confab gets the signals (SIGTERM on pod shutdown) directly.
set -eu

fail() {
    echo "gateway-shard: $*" >&2
    exit 2
}

[ -n "${POD_NAME:-}" ] || fail "POD_NAME is not set (env: valueFrom fieldRef metadata.name)"
[ -n "${DISCORD_SHARD_COUNT:-}" ] || fail "DISCORD_SHARD_COUNT is not set (it must equal the replicas)"
ordinal="${POD_NAME##*-}"
case "$ordinal" in
    '' | *[!0-9]*) fail "POD_NAME=$POD_NAME does not end in -<ordinal>: is this pod in a StatefulSet?" ;;
esac
case "$DISCORD_SHARD_COUNT" in
    '' | *[!0-9]*) fail "DISCORD_SHARD_COUNT=$DISCORD_SHARD_COUNT is not a number" ;;
esac
# a pod beyond the shard count would run no shard: scaling the StatefulSet needs DISCORD_SHARD_COUNT too
[ "$ordinal" -lt "$DISCORD_SHARD_COUNT" ] ||
    fail "pod $POD_NAME has ordinal $ordinal but DISCORD_SHARD_COUNT=$DISCORD_SHARD_COUNT: set DISCORD_SHARD_COUNT to the replicas"

export DISCORD_SHARD_IDS="$ordinal"
exec confab run "$@"
