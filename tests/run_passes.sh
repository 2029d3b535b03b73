#!/usr/bin/env bash
# The SQLite and PostgreSQL passes of `make test`, side by side. Each run has its own databases,
# Redis databases (tests/support/redis_claims.py), workers and private redis-servers, so the two do
# not meet; most of a pass's time is spent waiting on workers, so two of them share the two cores well.
# The SQLite pass prints as it goes; the PostgreSQL pass writes var/test-logs/postgresql.log, printed
# when both are done. The script fails when either pass failed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
LOGS=var/test-logs
mkdir -p "$LOGS"

sqlite_pass() {
  "$PY" -m pytest tests/unit tests/integration tests/contract -q -p no:cacheprovider \
    && "$PY" -m pytest tests/failover -q -p no:cacheprovider
}

postgres_pass() {
  if ! "$PY" -c "from tests.support.databases import postgres_available as a; raise SystemExit(0 if a() else 1)"; then
    echo "PostgreSQL does not answer at ${ORGONAUT_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}: PostgreSQL pass not run"
    return 0
  fi
  ORGONAUT_TEST_DB=postgresql "$PY" -m pytest tests/integration tests/failover -q -p no:cacheprovider
}

echo "SQLite pass (unit, integration, contract, failover) and PostgreSQL pass (integration, failover) side by side;"
echo "logs: $LOGS/sqlite.log, $LOGS/postgresql.log"
started=$SECONDS
postgres_pass >"$LOGS/postgresql.log" 2>&1 &
postgres_pid=$!
# The pass in the foreground dies with Ctrl-C; take the background one with it.
trap 'pkill -TERM -P "$postgres_pid" 2>/dev/null; kill "$postgres_pid" 2>/dev/null' INT TERM
sqlite_pass 2>&1 | tee "$LOGS/sqlite.log"
sqlite_status=$?
wait "$postgres_pid"
postgres_status=$?

echo "--- PostgreSQL pass ($LOGS/postgresql.log) ---"
cat "$LOGS/postgresql.log"
echo "--- SQLite pass: exit $sqlite_status; PostgreSQL pass: exit $postgres_status; both took $((SECONDS - started)) s ---"
[[ $sqlite_status -eq 0 && $postgres_status -eq 0 ]]
