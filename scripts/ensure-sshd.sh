#!/bin/sh
# The integration tests start their own OpenSSH sshd processes on loopback, so `npm test`
# needs OpenSSH's sshd and ssh-keygen (not a running service). This checks for them before
# anything is built and, when they are missing:
# - as root with apt-get (and TEA_NO_INSTALL unset), installs openssh-server as .ci/run does
#   (service starts denied, so no system sshd comes up on :22);
# - otherwise stops at once, printing the one command that installs them.
# TEA_SSHD names another sshd binary (default /usr/sbin/sshd).
set -eu
SSHD=${TEA_SSHD:-/usr/sbin/sshd}

have() { [ -x "$SSHD" ] && command -v ssh-keygen >/dev/null 2>&1; }
have && exit 0

install_command() {
  sudo=''; [ "$(id -u)" = 0 ] || sudo='sudo '
  if command -v apt-get >/dev/null 2>&1; then echo "${sudo}apt-get install -y openssh-server"
  elif command -v dnf >/dev/null 2>&1; then echo "${sudo}dnf install -y openssh-server"
  elif command -v apk >/dev/null 2>&1; then echo "${sudo}apk add openssh-server"
  elif command -v pacman >/dev/null 2>&1; then echo "${sudo}pacman -S --noconfirm openssh"
  else echo "install OpenSSH's server (sshd and ssh-keygen) with your system's package manager"
  fi
}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "${TEA_NO_INSTALL:-}" != 1 ]; then
  echo "npm test: OpenSSH's sshd is missing ($SSHD): installing openssh-server with apt-get (the tests start their own sshd; no service is started)"
  POLICY=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod 755 "$POLICY" && made_policy=1
  fi
  status=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client; } || status=$?
  if [ "$made_policy" = 1 ]; then rm -f "$POLICY"; fi
  if [ "$status" = 0 ] && have; then exit 0; fi
  echo "npm test: the install did not provide $SSHD and ssh-keygen${TEA_SSHD:+ (TEA_SSHD=$TEA_SSHD: unset it to use /usr/sbin/sshd)}" >&2
  exit 1
fi

echo "npm test: OpenSSH's sshd is missing ($SSHD${TEA_SSHD:+, from TEA_SSHD}). The integration tests start their own sshd processes on loopback (no service needs to run). Install it, then rerun npm test:" >&2
echo "    $(install_command)" >&2
exit 1
