#!/usr/bin/env bash
# Static checks: ruff (lint and format), mypy strict on core and services, import contracts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv dev
.venv/bin/ruff check --no-cache .
.venv/bin/ruff format --no-cache --check .
.venv/bin/mypy
.venv/bin/lint-imports
