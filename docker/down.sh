#!/bin/sh
# Stops and removes the e2e test hosts. Keys stay for the next up.sh unless --purge.
set -eu
cd "$(dirname "$0")"
rm -f .keys/hosts.json # the fixture must not find hosts that are gone
if docker info >/dev/null 2>&1; then
  ./compose.sh down --volumes --remove-orphans --timeout 2
else
  echo "down: no Docker engine answers; nothing to stop"
fi
if [ "${1:-}" = "--purge" ]; then
  rm -rf .keys
fi
