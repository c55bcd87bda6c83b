# Sourced by the other scripts: make sure .venv exists with the project installed.
# Usage: ensure_venv [extras]   e.g. ensure_venv dev
set -euo pipefail

pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "TelegramVault needs Python 3.11 or newer (none found on PATH)." >&2
  return 1
}

ensure_venv() {
  local extras="${1:-}" spec="."
  [ -n "$extras" ] && spec=".[${extras}]"
  if [ ! -x .venv/bin/python ]; then
    "$(pick_python)" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  # Re-install only when pyproject.toml changed since the last install (fast repeat runs).
  local stamp=".venv/.installed-${extras:-base}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e "$spec"
    touch "$stamp"
  fi
}
