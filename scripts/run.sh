#!/usr/bin/env bash
# Set up on first use, then serve the site. Safe and quick to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
mkdir -p var
"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py seed_demo
"$PY" manage.py ensure_admin
if [ -n "${REDIS_URL:-}" ]; then
  # Tasks go through Redis: start a worker beside the web server, stopped with it.
  "$PY" -m celery -A vivold worker --loglevel INFO --concurrency 2 &
  worker=$!
  trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
fi
echo "Vivold is at http://127.0.0.1:${PORT}/ (admin: http://127.0.0.1:${PORT}/admin/)"
"$PY" manage.py runserver "127.0.0.1:${PORT}"
