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

# name:port:has Node:kind (ports overridable, as in compose.yml). kind debian: OpenSSH on
# Debian (docker/Dockerfile); edge: Dropbear + BusyBox (docker/edge.Dockerfile), edge-sftp
# the same with an sftp-server.
HOSTS="host1:${TEA_HOST1_PORT:-22221}:true:debian host2:${TEA_HOST2_PORT:-22222}:true:debian host3:${TEA_HOST3_PORT:-22223}:true:debian bare:${TEA_BARE_PORT:-22224}:false:debian edge:${TEA_EDGE_PORT:-22225}:false:edge edge-sftp:${TEA_EDGE_SFTP_PORT:-22226}:false:edge-sftp"

keygen() { ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1"; }
# Dropbear reads only its own key format: made on this machine with Debian's dropbear-bin.
command -v dropbearkey >/dev/null 2>&1 || { echo "up: dropbearkey not found (the edge hosts' keys): apt-get install -y dropbear-bin" >&2; exit 1; }
# "ssh-ed25519 AAAA..." of host $1's key, whichever server it runs.
hostkey() {
  case $2 in
    debian) cut -d' ' -f1,2 "$KEYS/$1/ssh_host_ed25519_key.pub" ;;
    *) dropbearkey -y -f "$KEYS/$1/dropbear_ed25519_host_key" | grep '^ssh-ed25519 ' | cut -d' ' -f1,2 ;;
  esac
}

mkdir -p "$KEYS"
chmod 700 "$KEYS"
[ -f "$KEYS/client_ed25519" ] || keygen "$KEYS/client_ed25519" tea-e2e-client
: >"$KEYS/known_hosts.new"
for entry in $HOSTS; do
  name=${entry%%:*}; rest=${entry#*:}; port=${rest%%:*}; kind=${entry##*:}
  mkdir -p "$KEYS/$name" "$KEYS/logs/$name"
  if [ "$kind" = debian ]; then
    [ -f "$KEYS/$name/ssh_host_ed25519_key" ] || keygen "$KEYS/$name/ssh_host_ed25519_key" "tea-$name"
  else
    [ -f "$KEYS/$name/dropbear_ed25519_host_key" ] || dropbearkey -t ed25519 -f "$KEYS/$name/dropbear_ed25519_host_key" >/dev/null
  fi
  cp "$KEYS/client_ed25519.pub" "$KEYS/$name/authorized_keys"
  : >"$KEYS/logs/$name/sshd.log" # fresh log per bring-up
  echo "[127.0.0.1]:$port $(hostkey "$name" "$kind")" >>"$KEYS/known_hosts.new"
done
mv "$KEYS/known_hosts.new" "$KEYS/known_hosts"
rm -f "$KEYS/hosts.json" # only valid once the hosts answer

echo "up: building images"
docker build -q --target bare -t tea-test-host:bare . >/dev/null
docker build -q --target node -t tea-test-host:node . >/dev/null
docker build -q -f edge.Dockerfile --target edge -t tea-test-host:edge . >/dev/null
docker build -q -f edge.Dockerfile --target edge-sftp -t tea-test-host:edge-sftp . >/dev/null
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
    name=${entry%%:*}; rest=${entry#*:}; port=${rest%%:*}; rest=${rest#*:}; node=${rest%%:*}; kind=${entry##*:}
    key=$(hostkey "$name" "$kind")
    case $kind in
      debian) server=openssh; sftp=internal ;;
      edge) server=dropbear; sftp=none ;;
      *) server=dropbear; sftp=external ;;
    esac
    printf '%s\n    {"name": "%s", "host": "127.0.0.1", "port": %s, "user": "tea", "container": "tea-%s", "node": %s, "kind": "%s", "server": "%s", "sftp": "%s", "hostPublicKey": "%s", "logPath": "%s"}' \
      "$sep" "$name" "$port" "$name" "$node" "${kind%-sftp}" "$server" "$sftp" "$key" "$KEYS/logs/$name/sshd.log"
    sep=','
  done
  printf '\n  ]\n}\n'
} >"$KEYS/hosts.json.new"
mv "$KEYS/hosts.json.new" "$KEYS/hosts.json"
echo "up: $(echo $HOSTS | wc -w) hosts answer; wrote $KEYS/hosts.json ($(($(date +%s) - t0))s in all)"
