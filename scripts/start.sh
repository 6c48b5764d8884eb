#!/bin/sh
# Container start-up: bring the database to the current schema and knowledge base once, then serve.
# Migrations and seeding run here, not in each worker, so several workers can share one PostgreSQL.
set -eu
ceplan migrate
ceplan seed
exec ceplan serve --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --workers "${WORKERS:-1}"
