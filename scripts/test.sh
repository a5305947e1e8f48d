#!/usr/bin/env bash
# `npm test`: installs what the tests need that npm cannot (PostgreSQL and Chromium from
# Debian, Synapse + synapse-http-antispam in a cached venv), then runs every test suite.
# Each install is idempotent and take well under a second once done.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-postgres.sh
bash scripts/ensure-chromium.sh
bash scripts/setup-synapse.sh > /dev/null
exec npx vitest run "$@"
