#!/bin/sh
# `npm run demo`: installs dependencies and builds when needed, then runs the demo.
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -x dist/tea ] || npm run build
exec node scripts/demo.mjs "$@"
