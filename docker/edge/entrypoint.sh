#!/bin/sh
# The edge device's pid-1 child (BusyBox ash): installs the keys from the read-only mount
# (docker/.keys/<host>, made by up.sh; the host key in Dropbear's format) with the owners and
# modes Dropbear demands, then runs Dropbear in the foreground, logging to a file the
# fixture reads through a mount. -s: keys only; -w: no root login.
set -eu
# (BusyBox here has no `install`.)
cp /tea-keys/dropbear_ed25519_host_key /etc/dropbear/dropbear_ed25519_host_key
chmod 600 /etc/dropbear/dropbear_ed25519_host_key
cp /tea-keys/authorized_keys /home/tea/.ssh/authorized_keys
chown tea:tea /home/tea/.ssh/authorized_keys && chmod 600 /home/tea/.ssh/authorized_keys
touch /var/log/tea-sshd/sshd.log && chmod 644 /var/log/tea-sshd/sshd.log
exec dropbear -F -E -s -w -p 22 -r /etc/dropbear/dropbear_ed25519_host_key -P /run/dropbear.pid 2>>/var/log/tea-sshd/sshd.log
