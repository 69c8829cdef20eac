#!/usr/bin/env bash
# make stack / make stack-stop / scripts/stack.sh status: the distributed scale on one box (docs/deploy.md).
# PostgreSQL and Redis (started by scripts/ensure-*.sh when down), then honcho runs the Procfile: N gunicorn
# workers, M huey workers, the audit chainer. Pid and log files go to $STACK_RUN (under the var dir, never the
# checkout). `start` returns once /healthz answers 200; `stop` is graceful (SIGTERM: gunicorn finishes its
# requests, huey its running tasks; the chainer's batch is one transaction) and waits for every process.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "stack: $*" >&2; }

export HOLDTRACK_VAR_DIR=${HOLDTRACK_VAR_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/holdtrack}
export STACK_RUN=${STACK_RUN:-$HOLDTRACK_VAR_DIR/stack}
export STACK_BIND=${STACK_BIND:-127.0.0.1:8000}
export STACK_WEB_WORKERS=${STACK_WEB_WORKERS:-2}
export STACK_WEB_THREADS=${STACK_WEB_THREADS:-4}
export STACK_HUEY_WORKERS=${STACK_HUEY_WORKERS:-2}
STACK_WAIT=${STACK_WAIT:-120}  # seconds to wait for /healthz, and for the processes to stop
HONCHO_PID=$STACK_RUN/honcho.pid
LOG=$STACK_RUN/stack.log
ROLES=(web worker chainer)  # the Procfile's roles; each writes $STACK_RUN/<role>.pid (tests/core/test_stack.py)

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  if alive "$HONCHO_PID"; then say "already running (pid $(cat "$HONCHO_PID")), log $LOG"; return 0; fi
  mkdir -p "$STACK_RUN"
  rm -f "$STACK_RUN"/*.pid
  # The stack's own database and Redis database number, unless the caller names them.
  local pg
  pg=$(bash scripts/ensure-postgres.sh)
  export DATABASE_URL=${DATABASE_URL:-${pg%/*}/${STACK_DB:-holdtrack}}
  export REDIS_URL=${REDIS_URL:-$(HOLDTRACK_TEST_REDIS_DB=${STACK_REDIS_DB:-0} bash scripts/ensure-redis.sh)}
  local db=${DATABASE_URL##*/}
  if ! psql "${DATABASE_URL%/*}/postgres" -Atqc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    say "creating database $db"
    psql "${DATABASE_URL%/*}/postgres" -qc "create database \"$db\"" >&2
  fi
  export PATH=$PWD/.venv/bin:$PATH
  say "database $DATABASE_URL, queue $REDIS_URL, var $HOLDTRACK_VAR_DIR"
  holdtrack migrate --no-input -v 0
  say "web ${STACK_WEB_WORKERS}x${STACK_WEB_THREADS} at http://$STACK_BIND, $STACK_HUEY_WORKERS task workers, log $LOG"
  # honcho kills what is left 5 s after the first process stops; gunicorn's graceful stop may take 30 s.
  setsid nohup python -c 'import sys, honcho.manager as m; m.KILL_WAIT = 40; from honcho.command import main; sys.argv[0] = "honcho"; main()' \
    start --no-colour -f Procfile -d . >>"$LOG" 2>&1 </dev/null &
  echo $! >"$HONCHO_PID"
  local deadline=$((SECONDS + STACK_WAIT))
  until curl -fsS -o /dev/null "http://$STACK_BIND/healthz" 2>/dev/null; do
    if ! alive "$HONCHO_PID"; then say "the stack exited while starting; last lines of $LOG:"; tail -20 "$LOG" >&2; return 1; fi
    if ((SECONDS > deadline)); then say "/healthz did not answer within ${STACK_WAIT}s"; stop; return 1; fi
    sleep 0.5
  done
  say "healthy: $(curl -fsS "http://$STACK_BIND/healthz")"
  status
}

stop() {
  if ! alive "$HONCHO_PID"; then say "not running"; rm -f "$STACK_RUN"/*.pid; return 0; fi
  local pid
  pid=$(cat "$HONCHO_PID")
  say "stopping (SIGTERM to honcho $pid, which passes it to each process)"
  kill -TERM "$pid"
  local deadline=$((SECONDS + STACK_WAIT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then say "still running after ${STACK_WAIT}s: SIGKILL to its process group"; kill -KILL -- "-$pid"; break; fi
    sleep 0.5
  done
  for role in "${ROLES[@]}"; do
    f=$STACK_RUN/$role.pid
    if alive "$f"; then say "$(basename "$f" .pid) (pid $(cat "$f")) outlived honcho: SIGKILL"; kill -KILL "$(cat "$f")"; fi
  done
  rm -f "$STACK_RUN"/*.pid
  say "stopped"
}

status() {
  local rc=0
  for role in honcho "${ROLES[@]}"; do
    f=$STACK_RUN/$role.pid
    if alive "$f"; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid): stopped"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
