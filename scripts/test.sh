#!/bin/sh
# `npm test`: build, typecheck, lint, then the unit and integration suites (integration runs on
# real sshd processes this machine starts itself: test/harness/local-sshd.ts).
# Missing sshd is handled first, before anything is built: scripts/ensure-sshd.sh installs
# it (root with apt-get) or stops with the one command to run.
# Extra arguments go to jest, e.g. `npm test -- -t 'pause'`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-sshd.sh
# node_modules from before a dependency was added (eslint) is refreshed from the lock file.
[ -x node_modules/.bin/eslint ] || npm ci --no-audit --no-fund
npm run build
npx tsc --noEmit -p tsconfig.json
# no-floating-promises / no-misused-promises: an unhandled rejection must not end a run (eslint.config.mjs)
npx eslint .
# Every temp file and directory the tests make (os.tmpdir(), mkdtemp) goes under one
# directory of this run, removed at the end: the tests leave nothing in /tmp. It is
# world-writable and sticky like /tmp, since the sshd login users read fixtures there.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/tea-npm-test.XXXXXX")
chmod 1777 "$TMPDIR"
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# jest's transform cache stays in the project (not in the run's TMPDIR): warm across runs.
npx jest --cacheDirectory node_modules/.cache/jest --selectProjects unit integration "$@"
