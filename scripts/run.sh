#!/usr/bin/env bash
# Set up everything on a fresh machine and run TelegramVault (SQLite under ./data by default).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv
exec .venv/bin/telegramvault run "$@"
