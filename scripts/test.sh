#!/usr/bin/env bash
# Set up everything on a fresh machine and run the whole test suite (SQLite and PostgreSQL).
# PostgreSQL is expected at 127.0.0.1:5432 (override with TEST_POSTGRES_URL); without it the
# PostgreSQL tests are skipped locally and fail in CI (CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv dev
# Two workers: the suite is mostly waiting on SQLite and PostgreSQL, and the machines have 2 cores.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" "$@"
