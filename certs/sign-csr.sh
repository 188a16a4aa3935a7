#!/usr/bin/env bash
# sign-csr.sh --device|--operator CSR_FILE [PKI_DIR] > CERT
#
# Signs a certificate signing request with the development CA (make-dev-pki.sh):
#   --device    a device's CSR (the console's `cert csr`): server certificate whose
#               subjectAltName is the CSR's common name, localhost, 127.0.0.1 and the
#               addresses in PMU_DEVICE_IPV4 / PMU_DEVICE_IPV6 (defaults 192.0.2.2 and
#               2001:db8::2). The CA decides the names; the CSR only proposes its CN.
#   --operator  an operator's CSR: client certificate (its CN must be on the device's
#               tls.allowed_clients list to be let in).
# The certificate is written to standard output, PEM. It is valid from an hour ago
# (as public CAs backdate), so a device whose clock lags a little still installs it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kind=${1:-}
csr=${2:-}
pki=${3:-$here/out}
case "$kind" in --device|--operator) ;; *) echo "usage: sign-csr.sh --device|--operator CSR [PKI_DIR]" >&2; exit 2 ;; esac
[ -f "$csr" ] || { echo "sign-csr: no CSR file '$csr'" >&2; exit 2; }
[ -f "$pki/ca/ca.key" ] || { echo "sign-csr: no CA in $pki (run make-dev-pki.sh)" >&2; exit 2; }
# The CA's configuration only for `openssl ca`: its $ENV:: variables are set there.
openssl req -in "$csr" -noout -verify 2>/dev/null || { echo "sign-csr: the CSR's signature does not verify" >&2; exit 1; }
cn=$(openssl req -in "$csr" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
[ -n "$cn" ] || { echo "sign-csr: the CSR has no common name" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$kind" = --device ]; then
  san="DNS:$cn,DNS:localhost,IP:${PMU_DEVICE_IPV4:-192.0.2.2},IP:${PMU_DEVICE_IPV6:-2001:db8::2},IP:127.0.0.1"
  ext=ext_device
else
  san=none
  ext=ext_operator
fi
OPENSSL_CONF=$here/openssl-ca.cnf PMU_CA_DIR=$pki/ca PMU_SAN=$san openssl ca -batch -notext -in "$csr" -out "$tmp/cert.pem" -extensions "$ext" \
  -startdate "$(date -u -d '1 hour ago' +%Y%m%d%H%M%SZ)" -days "${PMU_DEVICE_DAYS:-825}" -subj "/O=PMU lab/CN=$cn" >/dev/null 2>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
cat "$tmp/cert.pem"
echo "sign-csr: signed '$cn' ($kind)" >&2
