#!/usr/bin/env bash
# Builds the .vsix: production bundles, then vsce. Usage: npm run package [-- OUT.vsix]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
slipway_ensure_node
slipway_ensure_node_modules
node esbuild.mjs --production
out=${1:-slipway-$(node -p 'require("./package.json").version').vsix}
# the bundles carry their dependencies, so node_modules stays out of the package
npx vsce package --no-dependencies --allow-missing-repository --no-rewrite-relative-links -o "$out"
