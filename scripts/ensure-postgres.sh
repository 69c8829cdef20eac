#!/usr/bin/env bash
# Make sure a local PostgreSQL answers, then print the DATABASE_URL the tests should use.
# Starts the cluster if it is down; installs the server from Debian's packages if it is missing.
set -euo pipefail
say() { echo "$*" >&2; }
HOST=127.0.0.1
PORT=${PGPORT:-5432}

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "PostgreSQL is not installed: installing it (Debian packages)."
  bash "$(dirname "$0")/install-system-deps.sh" >&2
fi
if ! pg_isready -q -h "$HOST" -p "$PORT"; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  say "Starting PostgreSQL cluster $version/main."
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || pg_ctlcluster "$version" main start >&2
  for _ in $(seq 1 30); do pg_isready -q -h "$HOST" -p "$PORT" && break; sleep 1; done
fi
# Prefer the superuser over TCP (trust on this kind of machine); otherwise create a password role.
if psql -h "$HOST" -p "$PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  echo "postgres://postgres@$HOST:$PORT/holdtrack"
  exit 0
fi
say "Creating role 'holdtrack' for the tests."
su postgres -c "psql -Atqc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='holdtrack') THEN CREATE ROLE holdtrack LOGIN SUPERUSER PASSWORD 'holdtrack'; END IF; END\\\$\\\$;\"" >&2
echo "postgres://holdtrack:holdtrack@$HOST:$PORT/holdtrack"
