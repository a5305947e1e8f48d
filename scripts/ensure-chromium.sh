#!/usr/bin/env bash
# Make sure a Chromium browser is installed for the browser tests (Playwright's
# `playwright-core` drives it; no browser download from npm). Idempotent; a no-op (well
# under a second) when Debian's `chromium` is already present.
#
# Environment:
#   REDLIGHT_CHROMIUM   use this browser binary; install nothing.
set -euo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }

if [[ -n "${REDLIGHT_CHROMIUM:-}" ]]; then
  [[ -x "$REDLIGHT_CHROMIUM" ]] || { log "REDLIGHT_CHROMIUM=$REDLIGHT_CHROMIUM is not executable"; exit 1; }
  exit 0
fi
for bin in chromium chromium-browser; do
  if command -v "$bin" >/dev/null 2>&1; then
    log "present: $(command -v "$bin")"
    exit 0
  fi
done
if [[ "$(id -u)" != 0 ]]; then
  log "chromium is missing; install it (apt-get install chromium) or set REDLIGHT_CHROMIUM"
  exit 1
fi
log "installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
log "installed: $(command -v chromium)"
