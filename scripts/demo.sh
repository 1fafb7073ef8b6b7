#!/usr/bin/env bash
# Quick start: install, migrate the embedded SQLite database in instance/, load demo data, serve on
# http://127.0.0.1:5000 . Demo passwords are for this demo only (see README).
source "$(dirname "$0")/_env.sh"
ensure_venv ""
export FLASK_APP=evalsys
flask --app evalsys db upgrade
flask --app evalsys demo
echo "evalsys: http://127.0.0.1:5000  (Ctrl+C to stop)"
exec flask --app evalsys run --host 127.0.0.1 --port 5000
