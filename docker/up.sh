#!/bin/sh
# Brings up the e2e test hosts: keys (docker/.keys/, gitignored, made once and reused),
# images, containers, then waits until every host accepts a real key login and writes
# docker/.keys/hosts.json for the fixture's docker backend (test/harness/docker-hosts.ts).
# Needs a Docker engine (start-dockerd.sh) and the base image (make-base-image.sh).
set -eu
export DOCKER_BUILDKIT=0
cd "$(dirname "$0")"
t0=$(date +%s)
KEYS=$(pwd)/.keys
WAIT=${TEA_HOSTS_WAIT:-60}

# name:port:has Node (ports overridable, as in compose.yml)
HOSTS="host1:${TEA_HOST1_PORT:-22221}:true host2:${TEA_HOST2_PORT:-22222}:true host3:${TEA_HOST3_PORT:-22223}:true bare:${TEA_BARE_PORT:-22224}:false"

keygen() { ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1"; }

mkdir -p "$KEYS"
chmod 700 "$KEYS"
[ -f "$KEYS/client_ed25519" ] || keygen "$KEYS/client_ed25519" tea-e2e-client
: >"$KEYS/known_hosts.new"
for entry in $HOSTS; do
  name=${entry%%:*}; rest=${entry#*:}; port=${rest%%:*}
  mkdir -p "$KEYS/$name" "$KEYS/logs/$name"
  [ -f "$KEYS/$name/ssh_host_ed25519_key" ] || keygen "$KEYS/$name/ssh_host_ed25519_key" "tea-$name"
  cp "$KEYS/client_ed25519.pub" "$KEYS/$name/authorized_keys"
  : >"$KEYS/logs/$name/sshd.log" # fresh log per bring-up
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$KEYS/$name/ssh_host_ed25519_key.pub")" >>"$KEYS/known_hosts.new"
done
mv "$KEYS/known_hosts.new" "$KEYS/known_hosts"
rm -f "$KEYS/hosts.json" # only valid once the hosts answer

echo "up: building images"
docker build -q --target bare -t tea-test-host:bare . >/dev/null
docker build -q --target node -t tea-test-host:node . >/dev/null
t_build=$(date +%s)
echo "up: images built in $((t_build - t0))s; starting containers"
./compose.sh up -d --no-build --force-recreate --remove-orphans

for entry in $HOSTS; do
  name=${entry%%:*}; rest=${entry#*:}; port=${rest%%:*}
  i=0
  until ssh -q -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=yes \
      -o UserKnownHostsFile="$KEYS/known_hosts" -o IdentitiesOnly=yes -i "$KEYS/client_ed25519" \
      -p "$port" tea@127.0.0.1 true </dev/null 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt "$WAIT" ]; then
      echo "up: $name (port $port) refused a key login for ${WAIT}s; its log:" >&2
      cat "$KEYS/logs/$name/sshd.log" >&2 || true
      docker logs "tea-$name" >&2 || true
      exit 1
    fi
    sleep 1
  done
done

# hosts.json: what the fixture's docker backend reads. `node`: the host has Node (18).
{
  printf '{\n  "backend": "docker",\n  "clientKeyPath": "%s",\n  "knownHostsPath": "%s",\n  "smallWorkdir": "/srv/tea-small",\n  "hosts": [' \
    "$KEYS/client_ed25519" "$KEYS/known_hosts"
  sep=''
  for entry in $HOSTS; do
    name=${entry%%:*}; rest=${entry#*:}; port=${rest%%:*}; node=${rest#*:}
    key=$(cut -d' ' -f1,2 "$KEYS/$name/ssh_host_ed25519_key.pub")
    printf '%s\n    {"name": "%s", "host": "127.0.0.1", "port": %s, "user": "tea", "container": "tea-%s", "node": %s, "hostPublicKey": "%s", "logPath": "%s"}' \
      "$sep" "$name" "$port" "$name" "$node" "$key" "$KEYS/logs/$name/sshd.log"
    sep=','
  done
  printf '\n  ]\n}\n'
} >"$KEYS/hosts.json.new"
mv "$KEYS/hosts.json.new" "$KEYS/hosts.json"
echo "up: 4 hosts answer; wrote $KEYS/hosts.json ($(($(date +%s) - t0))s in all)"
