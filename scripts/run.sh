#!/usr/bin/env bash
# Set up everything on a fresh machine and run TelegramVault (SQLite under ./data by default).
# With nothing configured at all (no .env, no settings in the environment, no arguments) it runs
# the offline demo instead; anything configured runs the service, which stops with the
# configuration report when the configuration is incomplete.
set -euo pipefail

# Keys only a real deployment sets: any of them in the environment means "run the service".
DEPLOYMENT_KEYS=(SECRET_KEY TELEGRAM_API_ID TELEGRAM_API_HASH TELEGRAM_SESSION_STRING BOT_TOKEN
                 BOT_ADMIN_IDS DATABASE_URL)
DEMO_NOTICE="No .env found: running the offline demo (nothing leaves this machine). Copy .env.example to .env to run the real service."

# Succeeds when nothing at all is configured (run from the checkout's root).
wants_demo() {
  [ "$#" -eq 0 ] && [ ! -e .env ] && ! configured_in_environment
}

configured_in_environment() {
  local key
  for key in "${DEPLOYMENT_KEYS[@]}"; do
    [ -n "${!key:-}" ] && return 0
  done
  return 1
}

main() {
  cd "$(dirname "$0")/.."
  source scripts/_venv.sh
  if wants_demo "$@"; then
    echo "$DEMO_NOTICE"
    ensure_venv
    exec .venv/bin/telegramvault demo
  fi
  ensure_venv
  exec .venv/bin/telegramvault run "$@"
}

# Sourcing the script (the tests do) defines the functions without running anything.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
