#!/bin/sh
# `npm test`: build, typecheck, then the unit and integration suites (integration runs on
# real sshd processes this machine starts itself: test/harness/local-sshd.ts).
# Extra arguments go to jest, e.g. `npm test -- -t 'pause'`.
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
npm run build
npx tsc --noEmit -p tsconfig.json
exec npx jest --selectProjects unit integration "$@"
