#!/usr/bin/env bash
# Make sure a local redis-server answers, then print the REDIS_URL the Redis test lane should use.
# Starts the server if it is down (no persistence: a test broker); installs it from Debian's packages if missing.
# The lane uses its own database number (HOLDTRACK_TEST_REDIS_DB, default 9) so it never meets another queue.
set -euo pipefail
say() { echo "$*" >&2; }
HOST=127.0.0.1
PORT=${REDIS_PORT:-6379}
DB=${HOLDTRACK_TEST_REDIS_DB:-9}

if ! command -v redis-server >/dev/null 2>&1; then
  say "redis-server is not installed: installing it (Debian packages)."
  bash "$(dirname "$0")/install-system-deps.sh" >&2
fi
if ! redis-cli -h "$HOST" -p "$PORT" ping >/dev/null 2>&1; then
  say "Starting redis-server on $HOST:$PORT."
  redis-server --daemonize yes --bind "$HOST" --port "$PORT" --save "" --appendonly no >&2
  for _ in $(seq 1 30); do redis-cli -h "$HOST" -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
redis-cli -h "$HOST" -p "$PORT" ping >/dev/null
echo "redis://$HOST:$PORT/$DB"
