#!/bin/sh
# Builds a small root filesystem tar from Debian's busybox-static package: /bin/busybox, a
# link for each of its applets, and the few files a shell expects. No docker, no registry:
#
#   scripts/busybox-rootfs.sh busybox.tar && step04-overlayfs/mydocker import busybox.tar busybox
set -eu
out=${1:?usage: $0 OUT.tar}
busybox=$(command -v busybox || true)
if [ -z "$busybox" ]; then
    echo "busybox-rootfs.sh: busybox not found; install it with: sudo apt-get install busybox-static" >&2
    exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
    echo "busybox-rootfs.sh: $busybox is linked dynamically and would not run without the host's libraries;" \
        "install busybox-static instead" >&2
    exit 1
fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/etc" "$rootfs/root" \
    "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list-full); do
    [ -e "$rootfs/$applet" ] || ln -s /bin/busybox "$rootfs/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
echo busybox >"$rootfs/etc/hostname"
tar --numeric-owner --owner=0 --group=0 --sort=name -C "$rootfs" -cf "$out" .
echo "$out: $(tar -tf "$out" | wc -l) entries"
