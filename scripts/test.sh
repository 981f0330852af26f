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
# real Ray (without its dashboard) gets a venv of its own; SLIPWAY_PYTHON is the main one
slipway_ensure_python test/python-requirements-ray.txt && export SLIPWAY_RAY_PYTHON=$SLIPWAY_PYTHON || { slipway_log "could not create the Ray venv"; exit 2; }
slipway_ensure_python || { slipway_log "could not create the Python venv"; exit 2; }
slipway_ensure_node_modules || exit 2
node --version >&2

# A real Docker Engine and Kubernetes for the tests that need them (first run builds the
# Kubernetes binaries from Debian's source package, ~9 min; later runs start it in ~25 s).
# SLIPWAY_NO_K8S=1 skips it on machines that cannot run it (those tests then say they skipped).
if [ "${SLIPWAY_NO_K8S:-}" != 1 ]; then
  phase "local Docker Engine + Kubernetes (test/k8s/local-cluster.sh)"
  export SLIPWAY_K8S_BASE=${SLIPWAY_K8S_BASE:-/tmp/slipway-k8s-$$}
  trap 'BASE=$SLIPWAY_K8S_BASE bash test/k8s/local-cluster.sh down >/dev/null 2>&1; rm -rf "$SLIPWAY_K8S_BASE"' EXIT
  if BASE=$SLIPWAY_K8S_BASE bash test/k8s/local-cluster.sh up >"$SLIPWAY_CACHE/local-cluster.log" 2>&1; then
    export SLIPWAY_KUBECONFIG=$SLIPWAY_K8S_BASE/kubeconfig DOCKER_HOST=unix://$SLIPWAY_K8S_BASE/docker.sock
  else
    tail -20 "$SLIPWAY_CACHE/local-cluster.log" >&2
    slipway_log "could not start the local cluster (log: $SLIPWAY_CACHE/local-cluster.log); SLIPWAY_NO_K8S=1 runs without it"
    exit 2
  fi
fi

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
