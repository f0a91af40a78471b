#!/bin/sh
# Runs compose on docker/compose.yml under a fixed project name, with whichever compose
# exists: Debian's docker-compose 1.29, else the `docker compose` plugin.
# Legacy builder on purpose: BuildKit/buildx is not installed on these machines.
set -eu
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
dir=$(cd "$(dirname "$0")" && pwd)
if command -v docker-compose >/dev/null 2>&1; then
  exec docker-compose -p tea-test-hosts -f "$dir/compose.yml" "$@"
fi
if docker compose version >/dev/null 2>&1; then
  exec docker compose -p tea-test-hosts -f "$dir/compose.yml" "$@"
fi
echo "compose.sh: neither docker-compose nor 'docker compose' found: apt-get install -y docker-compose" >&2
exit 1
