#!/bin/sh
# Makes the Dockerfile's base image `debian:bookworm-slim` offline when it is absent:
# no container registry is reachable here, but Debian's package mirror is. debootstrap a
# minbase bookworm from the mirror this machine's apt already uses, then `docker import`
# it under the FROM name, so docker/Dockerfile stays a standard one.
set -eu

IMAGE=${BASE_IMAGE:-debian:bookworm-slim}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "make-base-image: $IMAGE already present"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || {
  echo "make-base-image: $IMAGE is absent and debootstrap is missing: apt-get install -y debootstrap" >&2
  exit 1
}

# The mirror is read from this machine's apt configuration (deb822 or one-line format),
# never hard-coded: whichever mirror apt reaches, debootstrap reaches too.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -v -- '-security' | head -n 1 || true)
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}bookworm[[:space:]].*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | head -n 1 || true)
fi
[ -n "$mirror" ] || { echo "make-base-image: no Debian mirror found in /etc/apt" >&2; exit 1; }

t0=$(date +%s)
root=$(mktemp -d /tmp/tea-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "make-base-image: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2; rm -f "$root.log"; exit 1
}
rm -f "$root.log"
# Give the image the same apt sources as this machine (adds bookworm-updates/-security).
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
fi
# Slim it like the real -slim image: no apt lists or caches in the base layer.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
echo "make-base-image: imported $IMAGE in $(($(date +%s) - t0))s"
