#!/usr/bin/env bash
# Builds the .vsix: production bundles, then vsce. Usage: npm run package [-- OUT.vsix]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
slipway_ensure_node
slipway_ensure_node_modules
node esbuild.mjs --production
out=${1:-slipway-$(node -p 'require("./package.json").version').vsix}
# the bundles carry their JS dependencies; .vscodeignore lets only the native modules in
# the native modules shipped (onnxruntime, DuckDB) are the Linux x64 builds
npx vsce package --target "${SLIPWAY_VSIX_TARGET:-linux-x64}" --allow-missing-repository --no-rewrite-relative-links -o "$out"
