#!/usr/bin/env bash
# npm test: installs what the tests need (Node 24, code-server, Chromium, a Python venv: once,
# into ~/.cache/slipway), builds, and runs every layer: checks, unit, integration in real
# VS Code, end-to-end UI. Ends with one line "N passed, N failed, N skipped" over all layers.
# Layers to run: SLIPWAY_LAYERS="unit integration e2e" (default: all).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
T0=$(date +%s)
phase() { slipway_log "[$(( $(date +%s) - T0 ))s] $*"; }

phase "setting up (cached in $SLIPWAY_CACHE)"
slipway_ensure_node || exit 2
slipway_ensure_chromium || exit 2
slipway_ensure_vscode || { slipway_log "could not install code-server"; exit 2; }
slipway_ensure_python || { slipway_log "could not create the Python venv"; exit 2; }
slipway_ensure_node_modules || exit 2
node --version >&2

rm -rf test-results && mkdir -p test-results
LAYERS=${SLIPWAY_LAYERS:-checks unit integration e2e}
status=0
for layer in $LAYERS; do
  case $layer in
    checks)
      phase "checks: build, typecheck, lint"
      if npm run -s build && npm run -s typecheck && npm run -s lint; then echo '{"passed":1,"failed":0,"skipped":0}' > test-results/checks.json
      else echo '{"passed":0,"failed":1,"skipped":0,"failures":["build, typecheck or lint"]}' > test-results/checks.json; status=1; fi ;;
    unit) phase "unit tests (Node)"; node scripts/run-unit.mjs || status=1 ;;
    integration) phase "integration tests (real VS Code extension host)"; node test/integration/run.mjs || status=1 ;;
    e2e) phase "end-to-end UI tests (.vsix in code-server, Chromium)"; node test/e2e/run.mjs || status=1 ;;
    *) slipway_log "unknown layer '$layer'"; exit 2 ;;
  esac
done
phase "done"
node scripts/summary.mjs $LAYERS || status=1
exit $status
