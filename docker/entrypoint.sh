#!/bin/sh
# Installs this container's keys from the read-only mount (docker/.keys/<host>, made by
# up.sh) with the owners and modes sshd demands, whatever uid owns them on the machine,
# then runs sshd in the foreground, logging to a file the fixture reads through a mount.
set -eu
install -m 600 /tea-keys/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key
install -m 644 /tea-keys/ssh_host_ed25519_key.pub /etc/ssh/ssh_host_ed25519_key.pub
install -o tea -g tea -m 600 /tea-keys/authorized_keys /home/tea/.ssh/authorized_keys
mkdir -p /run/sshd /var/log/tea-sshd
# sshd would create its log 0600; made world-readable first so a non-root user reads it.
touch /var/log/tea-sshd/sshd.log && chmod 644 /var/log/tea-sshd/sshd.log
exec /usr/sbin/sshd -D -E /var/log/tea-sshd/sshd.log
