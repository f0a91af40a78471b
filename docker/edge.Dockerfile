# A minimal edge device for the e2e suite: Dropbear as the SSH server and BusyBox as the only
# userland (/bin/sh is BusyBox ash; no bash, no coreutils, no perl, no Node, no apt). tea
# ships its standalone binary (dist/tea-linux-x64) to it.
#
# Made from Debian's packages in a build stage, then copied onto `scratch`: the busybox-static
# binary with one link per applet, dropbear with the shared libraries it links, and glibc's
# libstdc++/libgcc_s, which the standalone tea binary (a Node executable) needs, as a glibc
# device that runs such programs has them. Nothing else.
#
# Targets: `edge` (no sftp-server: Dropbear's sftp subsystem exits 127, the usual BusyBox
# device) and `edge-sftp` (the same plus /usr/lib/sftp-server, as OpenWrt's
# openssh-sftp-server package adds). Keys are not in the image: the entrypoint installs them
# from a mount at start (docker/up.sh makes them; Dropbear needs its own key format).
# Legacy builder (no BuildKit here): no COPY --chmod, no heredocs.
FROM debian:bookworm-slim AS edge-build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends busybox-static dropbear-bin openssh-sftp-server libstdc++6 libgcc-s1 \
 && rm -rf /var/lib/apt/lists/*
COPY edge/entrypoint.sh /edge-entrypoint.sh
# /rootfs becomes the image. Libraries: whatever ldd says dropbear and the sftp-server need,
# plus the C++ runtime for the tea binary, copied with their real names and SONAME links.
RUN set -eu; R=/rootfs; \
    mkdir -p $R/bin $R/sbin $R/usr/bin $R/usr/sbin $R/usr/lib $R/lib64 $R/lib/x86_64-linux-gnu \
      $R/etc/dropbear $R/home/tea/.ssh $R/tmp $R/root $R/var/log/tea-sshd $R/run $R/proc $R/sys $R/dev; \
    cp /bin/busybox $R/bin/busybox; \
    for applet in $(/bin/busybox --list-full); do \
      [ -e "$R/$applet" ] || ln -s /bin/busybox "$R/$applet"; \
    done; \
    cp /usr/sbin/dropbear $R/usr/sbin/dropbear; \
    libs=$( (ldd /usr/sbin/dropbear; ldd /usr/lib/openssh/sftp-server; \
             ls /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/x86_64-linux-gnu/libm.so.6 \
                /lib/x86_64-linux-gnu/libdl.so.2 /lib/x86_64-linux-gnu/libpthread.so.0) \
           | grep -o '/[^ ]*\.so[^ ]*' | sort -u); \
    for lib in $libs; do cp -L "$lib" "$R/lib/x86_64-linux-gnu/$(basename "$lib")"; done; \
    ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 $R/lib64/ld-linux-x86-64.so.2; \
    printf 'root:x:0:0:root:/root:/bin/sh\ntea:x:1000:1000:tea:/home/tea:/bin/sh\n' >$R/etc/passwd; \
    printf 'root:x:0:\ntea:x:1000:\n' >$R/etc/group; \
    printf 'root:*:19000:0:99999:7:::\ntea:*:19000:0:99999:7:::\n' >$R/etc/shadow; \
    printf '/bin/sh\n/bin/ash\n' >$R/etc/shells; \
    echo tea-edge >$R/etc/hostname; \
    cp /edge-entrypoint.sh $R/usr/sbin/tea-edge-entrypoint; \
    chmod 755 $R/usr/sbin/tea-edge-entrypoint; \
    chmod 640 $R/etc/shadow; chmod 1777 $R/tmp; chmod 700 $R/root $R/home/tea/.ssh; \
    chown -R 1000:1000 $R/home/tea; \
    mkdir -p /rootfs-sftp/usr/lib; cp /usr/lib/openssh/sftp-server /rootfs-sftp/usr/lib/sftp-server

FROM scratch AS edge
COPY --from=edge-build /rootfs/ /
ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin
EXPOSE 22
ENTRYPOINT ["/usr/sbin/tea-edge-entrypoint"]

FROM edge AS edge-sftp
COPY --from=edge-build /rootfs-sftp/ /
