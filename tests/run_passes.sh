#!/usr/bin/env bash
# The SQLite and PostgreSQL passes of `make test`, side by side. Each run has its own databases,
# Redis databases (tests/support/redis_claims.py), workers and private redis-servers, so the two do
# not meet. The SQLite pass prints as it goes; the PostgreSQL pass writes var/test-logs/postgresql.log,
# printed when both are done. The script fails when either pass failed.
#
# What runs where (docs/architecture.md, Tests): unit, integration and contract tests on SQLite; the
# integration tests again on PostgreSQL, except the simulators' own (tests/integration/simulator: no
# database), and the failover suite on PostgreSQL, the production database. `make failover` runs the
# failover suite on both databases with its big parameters. Without PostgreSQL (a fresh user machine),
# the failover suite runs on SQLite instead, so `make test` never leaves it out.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
LOGS=var/test-logs
mkdir -p "$LOGS"

postgres_up() {
  "$PY" -c "from tests.support.databases import postgres_available as a; raise SystemExit(0 if a() else 1)"
}

sqlite_pass() {
  "$PY" -m pytest tests/unit tests/integration tests/contract -q -p no:cacheprovider || return 1
  if ! postgres_up; then
    "$PY" -m pytest tests/failover -q -p no:cacheprovider
  fi
}

postgres_pass() {
  if ! postgres_up; then
    echo "PostgreSQL does not answer at ${ORGONAUT_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}: PostgreSQL pass not run (the failover suite runs on SQLite)"
    return 0
  fi
  ORGONAUT_TEST_DB=postgresql "$PY" -m pytest tests/integration tests/failover -q -p no:cacheprovider \
    --ignore=tests/integration/simulator
}

echo "SQLite pass (unit, integration, contract) and PostgreSQL pass (integration, failover) side by side;"
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
