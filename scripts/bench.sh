#!/bin/sh
# `npm run bench [-- options]`: installs dependencies when needed, builds dist/tea (the
# client and the basefile every row ships; TEA_SKIP_BUILD=1 reuses an existing one),
# then runs the benchmark (scripts/bench.mjs). Options: bench/README.md or --help.
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ "${TEA_SKIP_BUILD:-}" != 1 ] || [ ! -x dist/tea ]; then npm run build >&2; fi
exec node scripts/bench.mjs "$@"
