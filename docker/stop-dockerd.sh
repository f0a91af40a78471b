#!/bin/sh
# Stops the dockerd that start-dockerd.sh started (and only that one: an engine someone
# else runs is left alone). Waits for it, so its containerd is gone too.
set -eu
PIDFILE=${DOCKERD_PIDFILE:-/tmp/tea-dockerd.pid}
[ -f "$PIDFILE" ] || { echo "stop-dockerd: no dockerd started by start-dockerd.sh"; exit 0; }
pid=$(cat "$PIDFILE")
rm -f "$PIDFILE"
if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
  echo "stop-dockerd: pid $pid is not a dockerd any more"
  exit 0
fi
kill -TERM "$pid"
i=0
while [ -e "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
  i=$((i + 1))
  if [ "$i" -gt 150 ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
  sleep 0.2
done
echo "stop-dockerd: stopped dockerd $pid"
