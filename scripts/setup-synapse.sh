#!/usr/bin/env bash
# Installs the real Synapse used by the end-to-end tests into a cached, project-local venv:
#   ${XDG_CACHE_HOME:-~/.cache}/redlight/synapse-venv-<versions>  (override with REDLIGHT_SYNAPSE_VENV)
# It lives outside the checkout so that fresh clones (CI) reuse it.
# Idempotent: a stamp file records the pinned versions; a venv that already has exactly them
# is left alone. Non-interactive (CI runs it as root). Progress goes to stderr; the venv's
# python path is the only thing printed on stdout.
set -euo pipefail

readonly SYNAPSE_VERSION="1.163.2"
readonly ANTISPAM_VERSION="0.5.1"

log() { printf '[setup-synapse] %s\n' "$*" >&2; }

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${REDLIGHT_SYNAPSE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/redlight/synapse-venv-$SYNAPSE_VERSION-$ANTISPAM_VERSION}"
python="${PYTHON:-python3}"
stamp="$venv/.redlight-synapse-stamp"
wanted="matrix-synapse==$SYNAPSE_VERSION synapse-http-antispam==$ANTISPAM_VERSION"

# The stamp alone could outlive a damaged venv, so also ask the venv's own metadata.
venv_is_current() {
  [[ -x "$venv/bin/python" && -f "$stamp" ]] || return 1
  [[ "$(cat "$stamp")" == "$wanted" ]] || return 1
  "$venv/bin/python" - "$SYNAPSE_VERSION" "$ANTISPAM_VERSION" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
ok = version("matrix-synapse") == sys.argv[1] and version("synapse-http-antispam") == sys.argv[2]
sys.exit(0 if ok else 1)
EOF
}

mkdir -p "$(dirname "$venv")"

# Two test runs starting at once must not both build the venv: serialise on a lock file.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$venv.lock"
  flock 9
fi

if venv_is_current; then
  log "venv up to date ($wanted) at $venv"
  echo "$venv/bin/python"
  exit 0
fi

"$python" - <<'EOF' || { log "need Python >= 3.10 (found $("$python" --version 2>&1))"; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 10) else 1)
EOF

started=$(date +%s)
log "building venv at $venv with $("$python" --version 2>&1) ($wanted)"
rm -rf "$venv"
"$python" -m venv "$venv"
log "installing packages from PyPI (a cold install takes about 20 s)"
"$venv/bin/python" -m pip install --no-input --disable-pip-version-check --quiet \
  "matrix-synapse==$SYNAPSE_VERSION" "synapse-http-antispam==$ANTISPAM_VERSION" >&2

# Fail here, not in the first test, if the module cannot be imported.
"$venv/bin/python" -c 'import synapse.app.homeserver, synapse_http_antispam' >&2
printf '%s' "$wanted" >"$stamp"
log "done in $(($(date +%s) - started)) s"
echo "$venv/bin/python"
