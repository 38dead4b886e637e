# Shared helpers for scripts/start, scripts/test and scripts/security. Sourced, not run.
# Everything the project needs is installed from here: a fresh machine has only Python 3.11.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

log() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }

python_311() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 is required" >&2; return 1
}

# Create .venv and install the locked dependencies (hash-checked); quick when nothing changed.
ensure_venv() {
  if [ ! -x "$PY" ]; then
    log "creating virtual environment"
    "$(python_311)" -m venv "$VENV"
  fi
  local stamp="$VENV/.lock-installed"
  local digest
  digest=$(cat requirements/*.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    log "installing locked dependencies"
    "$PY" -m pip install --quiet --disable-pip-version-check "uv==0.13.9" 2>/dev/null \
      || "$PY" -m pip install --quiet --disable-pip-version-check uv
    "$VENV/bin/uv" pip install --quiet --python "$PY" --require-hashes -r requirements/lock.txt
    if [ -f requirements/nodeps.txt ]; then
      "$VENV/bin/uv" pip install --quiet --python "$PY" --no-deps --require-hashes -r requirements/nodeps.txt
    fi
    "$VENV/bin/uv" pip install --quiet --python "$PY" --no-deps -e .
    echo "$digest" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# semgrep in its own venv (.venv-tools/semgrep, git-ignored): its protobuf/click/jsonschema pins
# conflict with the project's. Installed hash-checked from requirements/tools/semgrep.txt (after
# ensure_venv, whose uv it uses); reused while the lock is unchanged. Sets SEMGREP.
SEMGREP_VENV="$ROOT/.venv-tools/semgrep"
ensure_semgrep() {
  local lock="requirements/tools/semgrep.txt"
  local stamp="$SEMGREP_VENV/.lock-installed"
  local digest
  digest=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ ! -x "$SEMGREP_VENV/bin/semgrep" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    log "installing semgrep into $SEMGREP_VENV (isolated tool venv)"
    [ -x "$SEMGREP_VENV/bin/python" ] || "$(python_311)" -m venv "$SEMGREP_VENV"
    "$VENV/bin/uv" pip install --quiet --python "$SEMGREP_VENV/bin/python" --require-hashes -r "$lock"
    echo "$digest" > "$stamp"
  fi
  SEMGREP="$SEMGREP_VENV/bin/semgrep"
}

# Debian packages the platform uses at run time or in tests (root on these machines).
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Package names from scripts/system-packages.txt; with "runtime", without the "# browser-only" ones.
system_packages() {
  local lines
  lines=$(grep -v '^[[:space:]]*#' scripts/system-packages.txt | grep -v '^[[:space:]]*$')
  [ "${1:-}" = runtime ] && lines=$(grep -v 'browser-only' <<<"$lines")
  sed 's/[[:space:]]*#.*//' <<<"$lines"
}

# PostgreSQL on 127.0.0.1:5432 (trust auth on these machines); start it when it is down.
ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    log "starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; return 1; }
}

ensure_redis() {
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null || true
  fi
}

ensure_rabbitmq() {
  if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
    log "starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
  fi
}

project_version() {
  "$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])'
}
