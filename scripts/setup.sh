#!/usr/bin/env bash
# Installs the Debian packages mctx needs to build, test and run its demo.
# Idempotent: does nothing when everything is there, and refreshes the package
# index only when something is missing. Uses sudo when not run as root.
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail

# One list for everything: build, GStreamer element, metrics, tests, bench,
# and the Debian packages (debian/, built and checked by tests/pkg).
# The media recipes (docs/recipes.md, tests/recipes) need x264enc (-ugly),
# mpegtsmux and tsdemux (-bad), avdec_h264 (-libav), ffmpeg and python3.
# The Python module and its tests (docs/python.md) need python3-dev and
# python3-pytest; its PyGObject recipes python3-gi and gir1.2-gstreamer-1.0.
# libc6-dev is named because --no-install-recommends leaves it out of gcc.
# mingw-w64, wine and wine64: the Windows cross build and its tests
# (scripts/test-wine.sh).
PACKAGES=(
  meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-tools
  libjson-glib-dev
  gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav ffmpeg
  python3
  iproute2 libcap2-bin tcpdump
  valgrind
  python3-dev python3-pytest python3-gi gir1.2-gstreamer-1.0
  build-essential debhelper dh-python dpkg-dev help2man lintian git
  clang libclang-rt-dev
  clang-format indent
  mingw-w64 wine wine64
)

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: this script installs Debian packages with apt-get; on another" >&2
  echo "setup: system install the equivalents of: ${PACKAGES[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: missing packages (${missing[*]}) and no sudo: run this as root" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
