#!/usr/bin/env bash
# The root file system of one function's image, as functions/image/Containerfile copies
# it: the static binary, the CA certificates, a non-root user, a writable /tmp and, for
# the dialog function, the default scenario module and, when given, the language model's
# root certificate (GigaChat's «Russian Trusted Root CA», which Debian does not ship) at
# /opt/sva/ca/model.pem — only the model's client trusts it (SVA_LLM_CA_FILE), not the
# system bundle every other connection uses.
#
#   functions/image/rootfs.sh BINARY OUT_DIR [SCENARIO_WASM [MODEL_CA_PEM]]
set -euo pipefail
binary=$1 out=$2 scenario=${3:-} model_ca=${4:-}
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
if [ -n "$model_ca" ]; then
  [ -f "$model_ca" ] || { echo "the model's CA $model_ca is missing" >&2; exit 1; }
  grep -q -- '-----BEGIN CERTIFICATE-----' "$model_ca" ||
    { echo "the model's CA $model_ca is not a PEM certificate (convert a DER .cer: openssl x509 -inform der -in CA.cer -out CA.pem)" >&2; exit 1; }
  mkdir -p "$out/rootfs/opt/sva/ca"
  install -m 0644 "$model_ca" "$out/rootfs/opt/sva/ca/model.pem"
fi
echo "rootfs of $(basename "$binary") in $out/rootfs"
