#!/usr/bin/env bash
# make-dev-pki.sh [OUT_DIR] [--force]
#
# Creates the development PKI with OpenSSL (keys are generated here, never committed):
#
#   OUT/ca/               the development certificate authority (P-256)
#   OUT/device/           what a device is provisioned with: ca.crt, device.crt,
#                         device.key (P-256; subjectAltName: the device's host name,
#                         localhost, its IPv4 and IPv6 addresses and 127.0.0.1)
#   OUT/operator/         an operator's client certificate (CN operator1) and key
#   OUT/fixtures/         what the negative tests need: device certificates that are
#                         expired, not yet valid, issued for another name, self-signed
#                         or issued by another CA; client certificates from another CA,
#                         with a name not on the device's allow list, and expired
#
# Environment (defaults in brackets): PMU_DEVICE_NAME [pmu1], PMU_DEVICE_IPV4
# [192.0.2.2], PMU_DEVICE_IPV6 [2001:db8::2], PMU_OPERATOR_NAME [operator1],
# PMU_DEVICE_DAYS [825], PMU_CA_DAYS [3650].
# Existing output is kept unless --force (the CA would change under existing devices).
# Certificates are valid from an hour before they are made, as public CAs backdate
# theirs: a device whose clock runs a little behind still takes a certificate that was
# signed a moment ago.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/out}
force=0
[ "${2:-}" = "--force" ] && force=1
export OPENSSL_CONF=$here/openssl-ca.cnf

name=${PMU_DEVICE_NAME:-pmu1}
ip4=${PMU_DEVICE_IPV4:-192.0.2.2}
ip6=${PMU_DEVICE_IPV6:-2001:db8::2}
operator=${PMU_OPERATOR_NAME:-operator1}
device_days=${PMU_DEVICE_DAYS:-825}
ca_days=${PMU_CA_DAYS:-3650}
backdated=$(date -u -d '1 hour ago' +%Y%m%d%H%M%SZ)

if [ -f "$out/device/device.crt" ] && [ "$force" = 0 ]; then
  echo "make-dev-pki: $out already holds a PKI (use --force to replace it)" >&2
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"/{ca,device,operator,fixtures}
umask 077

quiet() { "$@" >/dev/null 2>"$out/.openssl.log" || { cat "$out/.openssl.log" >&2; exit 1; }; }

newkey() { quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# new_ca DIR CN
new_ca() {
  local dir=$1 cn=$2
  mkdir -p "$dir/issued"
  : >"$dir/index.txt"
  openssl rand -hex 16 >"$dir/serial"
  newkey "$dir/ca.key"
  # Self-signed through `openssl ca`, which can backdate (OpenSSL 3.0's `req -x509` cannot).
  PMU_CA_DIR=$dir PMU_SAN=none quiet openssl req -new -key "$dir/ca.key" -subj "/O=PMU lab/CN=$cn" -out "$dir/ca.csr"
  PMU_CA_DIR=$dir PMU_SAN=none quiet openssl ca -batch -notext -selfsign -preserveDN -keyfile "$dir/ca.key" \
    -in "$dir/ca.csr" -out "$dir/ca.crt" -extensions ext_ca -startdate "$backdated" -days "$ca_days"
  rm -f "$dir/ca.csr"
}

# issue CA_DIR KEY CN EXT OUT_CRT [SAN] [START END]   (START/END as YYYYMMDDHHMMSSZ)
issue() {
  local ca=$1 key=$2 cn=$3 ext=$4 crt=$5 san=${6:-none} start=${7:-} end=${8:-}
  local csr="$crt.csr"
  PMU_CA_DIR=$ca PMU_SAN=$san quiet openssl req -new -key "$key" -subj "/O=PMU lab/CN=$cn" -out "$csr"
  local dates=(-startdate "$backdated" -days "$device_days")
  [ -n "$start" ] && dates=(-startdate "$start" -enddate "$end")
  PMU_CA_DIR=$ca PMU_SAN=$san quiet openssl ca -batch -notext -in "$csr" -out "$crt" -extensions "$ext" "${dates[@]}"
  rm -f "$csr"
}

device_san="DNS:$name,DNS:localhost,IP:$ip4,IP:$ip6,IP:127.0.0.1"

# The CA, a device and an operator.
new_ca "$out/ca" "PMU development CA"
cp "$out/ca/ca.crt" "$out/device/ca.crt"
newkey "$out/device/device.key"
issue "$out/ca" "$out/device/device.key" "$name" ext_device "$out/device/device.crt" "$device_san"
cp "$out/ca/ca.crt" "$out/operator/ca.crt"
newkey "$out/operator/operator.key"
issue "$out/ca" "$out/operator/operator.key" "$operator" ext_operator "$out/operator/operator.crt"

# Fixtures. Each bad device identity is a directory a device can be provisioned with.
f=$out/fixtures
new_ca "$f/otherca" "Some other CA"
bad_device() {  # bad_device NAME CA_DIR CN SAN [START END]
  local d=$f/device-$1
  mkdir -p "$d"
  cp "$out/ca/ca.crt" "$d/ca.crt"
  newkey "$d/device.key"
  issue "$2" "$d/device.key" "$3" ext_device "$d/device.crt" "$4" "${5:-}" "${6:-}"
}
bad_device expired "$out/ca" "$name" "$device_san" 20200101000000Z 20210101000000Z
bad_device notyet "$out/ca" "$name" "$device_san" 20400101000000Z 20410101000000Z
bad_device wrongname "$out/ca" other-device "DNS:other-device,IP:192.0.2.99"
bad_device otherca "$f/otherca" "$name" "$device_san"
mkdir -p "$f/device-selfsigned"
cp "$out/ca/ca.crt" "$f/device-selfsigned/ca.crt"
newkey "$f/device-selfsigned/device.key"
PMU_CA_DIR=$out/ca PMU_SAN=$device_san quiet openssl req -new -x509 -key "$f/device-selfsigned/device.key" \
  -subj "/O=PMU lab/CN=$name" -days "$device_days" -sha256 -extensions ext_device \
  -out "$f/device-selfsigned/device.crt"

bad_client() {  # bad_client NAME CA_DIR CN [START END]
  local d=$f/client-$1
  mkdir -p "$d"
  newkey "$d/client.key"
  issue "$2" "$d/client.key" "$3" ext_operator "$d/client.crt" none "${4:-}" "${5:-}"
}
bad_client otherca "$f/otherca" "$operator"
bad_client notallowed "$out/ca" intruder
bad_client expired "$out/ca" "$operator" 20200101000000Z 20210101000000Z

rm -f "$out/.openssl.log"
chmod -R go+rX "$out"
echo "make-dev-pki: development PKI in $out (device $name, operator $operator)" >&2
