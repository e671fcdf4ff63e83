#!/usr/bin/env bash
# The root file system of one function's image, as functions/image/Containerfile copies
# it: the static binary, the CA certificates, a non-root user, a writable /tmp and, for
# the dialog function, the default scenario module.
#
#   functions/image/rootfs.sh BINARY OUT_DIR [SCENARIO_WASM]
set -euo pipefail
binary=$1 out=$2 scenario=${3:-}
certs=/etc/ssl/certs/ca-certificates.crt
[ -f "$certs" ] || { echo "$certs is missing: install Debian's ca-certificates" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/rootfs/etc/ssl/certs" "$out/rootfs/usr/local/bin" "$out/rootfs/tmp"
chmod 1777 "$out/rootfs/tmp"
printf 'root:x:0:0::/:/sbin/nologin\nsva:x:10001:10001:sales voice assistant:/tmp:/sbin/nologin\n' \
  >"$out/rootfs/etc/passwd"
printf 'root:x:0:\nsva:x:10001:\n' >"$out/rootfs/etc/group"
cp "$certs" "$out/rootfs/etc/ssl/certs/ca-certificates.crt"
install -m 0755 "$binary" "$out/rootfs/usr/local/bin/sva-function"
if [ -n "$scenario" ]; then
  mkdir -p "$out/rootfs/opt/sva/scenarios"
  install -m 0644 "$scenario" "$out/rootfs/opt/sva/scenarios/$(basename "$scenario")"
fi
echo "rootfs of $(basename "$binary") in $out/rootfs"
