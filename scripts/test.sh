#!/bin/sh
# `npm test`: build, typecheck, lint, then the unit and integration suites (integration runs on
# real sshd processes this machine starts itself: test/harness/local-sshd.ts).
# Missing sshd is handled first, before anything is built: scripts/ensure-sshd.sh installs
# it (root with apt-get) or stops with the one command to run.
# Extra arguments go to jest, e.g. `npm test -- -t 'pause'`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-sshd.sh
[ -d node_modules ] || npm ci
npm run build
npx tsc --noEmit -p tsconfig.json
# no-floating-promises / no-misused-promises: an unhandled rejection must not end a run (eslint.config.mjs)
npx eslint .
exec npx jest --selectProjects unit integration "$@"
