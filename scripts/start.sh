#!/usr/bin/env bash
# npm start: builds the extension and opens it in real VS Code (code-server on 127.0.0.1) on
# examples/churn, or on the folder given: npm start -- /path/to/project. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
slipway_ensure_node
slipway_ensure_node_modules
slipway_ensure_vscode
folder=$(cd "${1:-examples/churn}" && pwd)
port=${SLIPWAY_PORT:-8080}
state="$SLIPWAY_CACHE/dev-vscode"
mkdir -p "$state/user-data/User" "$state/extensions"
[ -f "$state/user-data/User/settings.json" ] || echo '{ "telemetry.telemetryLevel": "off", "update.mode": "none", "extensions.autoCheckUpdates": false, "workbench.startupEditor": "none" }' > "$state/user-data/User/settings.json"
vsix="$state/slipway-dev.vsix"
bash scripts/package.sh "$vsix" >/dev/null
"$VSCODE_DIR/node_modules/.bin/code-server" --user-data-dir "$state/user-data" --extensions-dir "$state/extensions" --force --install-extension "$vsix" >/dev/null
slipway_log "Slipway is running in VS Code: http://127.0.0.1:$port/?folder=$folder  (Ctrl-C stops it)"
exec "$VSCODE_DIR/node_modules/.bin/code-server" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
  --disable-getting-started-override --user-data-dir "$state/user-data" --extensions-dir "$state/extensions" "$folder"
