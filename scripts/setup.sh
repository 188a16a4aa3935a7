#!/usr/bin/env bash
# Prepares a Debian machine for building and testing the PMU firmware and PDC tools:
#   1. installs every Debian package the build, the tests and the benchmarks need;
#   2. fetches the lwIP and mbedTLS sources from Debian's source packages, verifies
#      them and unpacks them into a cache outside the repository;
#   3. installs the live view's front-end packages (pdc/view/package-lock.json) with
#      npm into the same cache;
#   4. unpacks Debian's chrony package into the cache, for its chronyd only: the NTP
#      server the SNTP tests start (installed as a package it would replace the
#      machine's own time service and discipline its clock, which the tests must never do).
# Idempotent and quiet when everything is already there. Uses sudo when not root.
#
# Environment:
#   PMU_DEPS_DIR   where the unpacked third-party sources live
#                  (default: ${XDG_CACHE_HOME:-$HOME/.cache}/pmu-deps)
#   PMU_SETUP_SKIP_APT=1   do not install packages (for machines set up by hand)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/deps.env
. "$here/deps.env"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and sudo is not installed; run as root"
  SUDO=(sudo)
fi

# --- Debian packages -------------------------------------------------------
packages=(
  # build
  build-essential cmake ninja-build pkg-config clang lld libclang-rt-14-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libssl-dev openssl
  # third-party sources
  dpkg-dev xz-utils
  # system tests: namespaces, TAP, ping, captures, independent peers; python3-websockets
  # is also the DevTools client (tests/system/cdp.py) that drives chromium for the view
  iproute2 iputils-ping tshark python3 python3-websockets procps coreutils
  python3-cryptography python3-cryptography-vectors openssl
  # the PTP grandmaster beside the device (pmu-netns --ptp): linuxptp's ptp4l; the
  # libraries of chrony's chronyd, the NTP server beside it (pmu-netns --ntp, below)
  linuxptp libcap2 libedit2 libgnutls30 libnettle8 libseccomp2
  # the board image: cross toolchain with newlib(-nano), and QEMU to run it
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
  # pdc's live view (Boost.Beast) and archive (SQLite, PostgreSQL), the browser that
  # tests the view, the PostgreSQL 15 server the archive tests start
  libboost-dev libsqlite3-dev sqlite3 libpq-dev postgresql chromium
)
# npm for the page's charting library: the machine's own when it has one, Debian's (npm
# 9.2 on Node.js 18) otherwise; Debian's npm would conflict with a Node.js from elsewhere.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${PMU_SETUP_SKIP_APT:-0}" != 1 ] && [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no instead of prompting.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | "${SUDO[@]}" debconf-set-selections
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- deb-src entries ---------------------------------------------------------
# apt-get source needs deb-src lines. When the machine has none, derive them from the
# machine's own deb entries (same archive, same suites), so no archive address is ever
# written by this project.
ensure_deb_src() {
  if apt-cache showsrc "$LWIP_SRC_PKG" 2>/dev/null | grep -q "^Version: $LWIP_SRC_VERSION\$"; then
    return
  fi
  local out=/etc/apt/sources.list.d/pmu-deb-src.sources tmp
  tmp=$(mktemp)
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    [ "$f" = "$out" ] && continue
    # deb822: keep each stanza whose Types include deb, turned into deb-src.
    awk 'BEGIN{RS=""; ORS="\n\n"} /(^|\n)Types:[^\n]*(^| )deb( |\n|$)/ {
           sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$tmp"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$tmp.list"
  done
  shopt -u nullglob
  if [ -s "$tmp" ]; then
    "${SUDO[@]}" install -m 0644 "$tmp" "$out"
  elif [ -s "$tmp.list" ]; then
    "${SUDO[@]}" install -m 0644 "$tmp.list" /etc/apt/sources.list.d/pmu-deb-src.list
  else
    die "no Debian package sources configured on this machine"
  fi
  rm -f "$tmp" "$tmp.list"
  log "added deb-src entries derived from the system's deb entries"
  "${SUDO[@]}" apt-get update -qq
}

# --- third-party sources ---------------------------------------------------
deps_dir=${PMU_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmu-deps}
mkdir -p "$deps_dir"

# fetch_source PKG VERSION DIRNAME DSC_SHA256
fetch_source() {
  local pkg=$1 version=$2 dir=$3 dsc_sha=$4
  local stamp="$deps_dir/$dir/.pmu-fetched"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$dsc_sha" ]; then
    return
  fi
  ensure_deb_src
  local work
  work=$(mktemp -d "$deps_dir/.fetch.XXXXXX")
  log "fetching Debian source package $pkg $version"
  # apt verifies every file against the signed archive index; the pinned .dsc hash
  # below additionally makes sure it is exactly the release this project is built on,
  # and dpkg-source checks every tarball against the .dsc.
  (cd "$work" && apt-get source -qq --download-only "$pkg=$version" >/dev/null 2>&1) ||
    die "apt-get source $pkg=$version failed (is the package still in the archive?)"
  local dsc="$work/${pkg}_${version}.dsc"
  [ -f "$dsc" ] || die "$pkg: no .dsc downloaded"
  echo "$dsc_sha  $dsc" | sha256sum -c --quiet - || die "$pkg: .dsc checksum mismatch"
  # (dpkg-source notes that it cannot check the uploader's OpenPGP signature without
  # Debian's keyring; the archive signature apt checked covers the same files.)
  (cd "$work" && dpkg-source -q -x "$(basename "$dsc")" "$dir" >"$work/dpkg-source.log" 2>&1) || {
    cat "$work/dpkg-source.log" >&2
    die "$pkg: dpkg-source could not unpack or verify the source package"
  }
  rm -rf "${deps_dir:?}/$dir"
  mv "$work/$dir" "$deps_dir/$dir"
  rm -rf "$work"
  echo "$dsc_sha" >"$stamp"
  log "$pkg $version unpacked in $deps_dir/$dir"
}

fetch_source "$LWIP_SRC_PKG" "$LWIP_SRC_VERSION" "$LWIP_DIRNAME" "$LWIP_DSC_SHA256"
fetch_source "$MBEDTLS_SRC_PKG" "$MBEDTLS_SRC_VERSION" "$MBEDTLS_DIRNAME" "$MBEDTLS_DSC_SHA256"

# --- front-end packages ------------------------------------------------------
# The view's charting library (compiled into pdc), at the version
# pdc/view/package-lock.json pins: npm ci checks every package against the integrity
# hash that lock file records, and installs nothing the lock does not name. It needs npm
# 8.10 or later (lockfile version 3, --omit-lockfile-registry-resolved); uPlot asks
# nothing of Node.js itself.
NPM_MIN=8.10
fetch_npm() {
  local src="$here/../pdc/view" dir="$deps_dir/npm-view" want work
  want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ -f "$dir/.pmu-fetched" ] && [ "$(cat "$dir/.pmu-fetched")" = "$want" ]; then
    return
  fi
  command -v npm >/dev/null || die "npm is not installed (apt-get install npm)"
  local have
  have=$(npm --version)
  [ "$(printf '%s\n' "$NPM_MIN" "$have" | sort -V | head -n1)" = "$NPM_MIN" ] ||
    die "npm $have is older than $NPM_MIN, which pdc/view/package-lock.json needs (Debian 12's npm is 9.2)"
  work=$(mktemp -d "$deps_dir/.npm.XXXXXX")
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  log "installing the view's front-end packages with npm ci"
  # No install scripts: uPlot is files to embed, nothing to build.
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund \
      --omit-lockfile-registry-resolved >"$work/npm.log" 2>&1) || {
    cat "$work/npm.log" >&2
    die "npm ci failed for pdc/view/package-lock.json"
  }
  rm -rf "${dir:?}"
  mv "$work" "$dir"
  echo "$want" >"$dir/.pmu-fetched"
  log "front-end packages installed in $dir"
}
fetch_npm

# --- chronyd, unpacked, never installed ---------------------------------------------
# apt-get download checks the .deb against the archive's signed index, as apt-get
# install would; dpkg-deb -x unpacks it without running its maintainer scripts (no
# service, no user, nothing in /etc). pmu-netns --ntp runs the binary from here.
fetch_chrony() {
  local dir="$deps_dir/chrony" version work
  version=$(apt-cache policy chrony 2>/dev/null | sed -n 's/^ *Candidate: //p')
  if { [ -z "$version" ] || [ "$version" = "(none)" ]; } && [ "${PMU_SETUP_SKIP_APT:-0}" != 1 ]; then
    "${SUDO[@]}" apt-get update -qq  # a machine whose package lists were never fetched
    version=$(apt-cache policy chrony 2>/dev/null | sed -n 's/^ *Candidate: //p')
  fi
  [ -n "$version" ] && [ "$version" != "(none)" ] || die "no chrony package in the machine's archive"
  if [ -x "$dir/usr/sbin/chronyd" ] && [ "$(cat "$dir/.pmu-fetched" 2>/dev/null)" = "$version" ]; then
    return
  fi
  work=$(mktemp -d "$deps_dir/.chrony.XXXXXX")
  (cd "$work" && apt-get download -qq "chrony=$version" >/dev/null 2>&1) || die "apt-get download chrony=$version failed"
  dpkg-deb -x "$work"/chrony_*.deb "$work/root" || die "could not unpack the chrony package"
  rm -rf "${dir:?}"
  mv "$work/root" "$dir"
  rm -rf "$work"
  echo "$version" >"$dir/.pmu-fetched"
  log "chronyd $version unpacked in $dir (not installed)"
}
fetch_chrony

# Let callers (test.sh, run.sh, CMake presets) find the sources.
echo "$deps_dir"
