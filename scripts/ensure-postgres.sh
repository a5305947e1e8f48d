#!/usr/bin/env bash
# Make sure PostgreSQL *server binaries* (initdb, pg_ctl, postgres) are installed, so that
# test/support/postgres.ts can start throwaway clusters. Idempotent; a no-op (well under a
# second) when they are already present.
#
# On a fresh Debian/Ubuntu machine (CI runs as root) this installs the distribution's
# `postgresql` package non-interactively. The Debian packaging creates a default cluster
# ("main", port 5432) and normally starts it; we suppress the auto-start while installing
# and stop any default cluster that is running afterwards. Tests never use it.
#
# Environment:
#   REDLIGHT_PG_BINDIR   use the binaries in this directory; install nothing.
set -euo pipefail

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }

# Prints the bin directory of the highest installed server version, if any.
find_bindir() {
  if [[ -n "${REDLIGHT_PG_BINDIR:-}" ]]; then
    [[ -x "$REDLIGHT_PG_BINDIR/initdb" && -x "$REDLIGHT_PG_BINDIR/pg_ctl" ]] && printf '%s\n' "$REDLIGHT_PG_BINDIR"
    return 0
  fi
  local best="" best_ver=-1 dir ver
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]] || continue
    ver="${dir#/usr/lib/postgresql/}"
    ver="${ver%%/*}"
    ver="${ver%%.*}"
    [[ "$ver" =~ ^[0-9]+$ ]] || continue
    if ((ver > best_ver)); then best_ver=$ver best=$dir; fi
  done
  if [[ -z "$best" ]] && command -v pg_config >/dev/null 2>&1; then
    # NB: Debian's libpq-dev ships a pg_config whose --bindir points at the server directory
    # even when no server is installed, so check for initdb rather than trusting it.
    dir="$(pg_config --bindir 2>/dev/null || true)"
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && best=$dir
  fi
  [[ -n "$best" ]] && printf '%s\n' "$best"
  return 0
}

bindir="$(find_bindir)"
if [[ -n "$bindir" ]]; then
  log "PostgreSQL server binaries present: $bindir ($("$bindir/postgres" --version 2>/dev/null || echo '?'))"
  exit 0
fi
if [[ -n "${REDLIGHT_PG_BINDIR:-}" ]]; then
  log "REDLIGHT_PG_BINDIR=$REDLIGHT_PG_BINDIR does not contain initdb and pg_ctl"
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "PostgreSQL server binaries not found and apt-get is unavailable; install PostgreSQL (>= 13)"
  log "and put its bin directory in REDLIGHT_PG_BINDIR, or make 'pg_config --bindir' point at it."
  exit 1
fi

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    log "PostgreSQL server binaries not found; installing them needs root (or sudo)."
    exit 1
  fi
fi

# Keep the package's maintainer scripts from starting the default cluster: invoke-rc.d /
# deb-systemd-invoke consult /usr/sbin/policy-rc.d, and exit status 101 means "action
# forbidden". Only install our own policy if none exists, and always remove it again.
POLICY=/usr/sbin/policy-rc.d
our_policy=0
cleanup() {
  if ((our_policy)); then "${SUDO[@]}" rm -f "$POLICY"; fi
}
trap cleanup EXIT
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\n# temporary, from redlight scripts/ensure-postgres.sh\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  our_policy=1
fi

start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
log "PostgreSQL server binaries not found; running apt-get update"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
log "installing postgresql (apt-get install -y --no-install-recommends postgresql)"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  postgresql >&2
cleanup
our_policy=0

# Belt and braces: if a default cluster got started anyway (e.g. a policy-rc.d that allows
# it), stop it. Tests start their own clusters and must not depend on it.
if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r ver name _port status _rest; do
    if [[ "$status" == online* ]]; then
      log "stopping auto-started default cluster $ver/$name"
      "${SUDO[@]}" pg_ctlcluster "$ver" "$name" stop -m fast >&2 || true
    fi
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
fi

bindir="$(find_bindir)"
if [[ -z "$bindir" ]]; then
  log "installed postgresql but still cannot find initdb/pg_ctl under /usr/lib/postgresql/*/bin"
  exit 1
fi
log "installed $("$bindir/postgres" --version) in $((SECONDS - start)) s: $bindir"
