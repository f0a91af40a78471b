#!/bin/sh
# Starts Debian's dockerd in the background when no Docker engine answers, then waits
# for it. These machines boot no services (no systemd), so CI must start its own engine.
# Idempotent: does nothing when `docker info` already works.
set -eu

LOG=${DOCKERD_LOG:-/tmp/tea-dockerd.log}
# Written only when this script started the engine, so stop-dockerd.sh stops only that one.
PIDFILE=${DOCKERD_PIDFILE:-/tmp/tea-dockerd.pid}
TIMEOUT=${DOCKERD_TIMEOUT:-60}

if docker info >/dev/null 2>&1; then
  echo "start-dockerd: a Docker engine already answers"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd not found; install it with: apt-get install -y docker.io" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "start-dockerd: no engine answers and starting dockerd needs root" >&2
  exit 1
fi

# setsid + nohup: the engine must outlive this script and the CI stage that ran it.
# dockerd starts its own containerd when none is given.
echo "start-dockerd: starting dockerd (log: $LOG)"
setsid nohup dockerd >"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"

i=0
until docker info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt "$((TIMEOUT * 5))" ]; then
    echo "start-dockerd: dockerd did not answer within ${TIMEOUT}s; last log lines:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  sleep 0.2
done
echo "start-dockerd: dockerd ready after $((i / 5))s"
