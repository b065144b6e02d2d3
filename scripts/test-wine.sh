#!/usr/bin/env bash
# The Windows step of scripts/test.sh: cross-builds libmctx, mctx-send.exe,
# mctx-raw-send.exe and tests/win32 with mingw-w64
# (cross/x86_64-w64-mingw32.txt) and runs the tests under wine, then checks
# that the datagrams of mctx-send.exe and mctx-raw-send.exe reach a Linux
# socket on lo. As root it runs inside a private network namespace (lo
# only, with the IPv6 multicast route, and a slow token bucket on lo for
# the would-block test); otherwise those tests skip.
#
# Usage: scripts/test-wine.sh [BUILD_DIR]   (default build-ci-win)
# Writes BUILD_DIR/wine-results.txt, one line per test: "PASS name",
# "FAIL name" or "SKIP name: reason"; prints them and a closing
# "wine: N passed, N failed, N skipped". Exits non-zero on a failure.
#
# SPDX-License-Identifier: BSD-2-Clause
set -uo pipefail

cd "$(dirname "$0")/.."

if [ "${1:-}" = "--inner" ]; then
  inner=1
  shift
else
  inner=0
fi
dir=${1:-build-ci-win}
results=$dir/wine-results.txt

# One result line, printed and recorded.
record() {
  echo "$*" | tee -a "$results"
}

summarize() {
  local passed failed skipped
  passed=$(grep -c '^PASS' "$results" || true)
  failed=$(grep -c '^FAIL' "$results" || true)
  skipped=$(grep -c '^SKIP' "$results" || true)
  echo "wine: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
}

# ---- inside the namespace (or not): wine runs ------------------------------
if [ "$inner" -eq 1 ]; then
  in_netns=${MCTX_WINE_NETNS:-0}
  if [ "$in_netns" = 1 ]; then
    ip link set lo up
    ip -6 route add local ff00::/8 dev lo table local 2>/dev/null || true
  fi

  # One prefix per run, created fresh (wineboot takes a while the first
  # time) and removed at the end with its wineserver.
  WINEPREFIX=$(mktemp -d /tmp/mctx-wine.XXXXXX)
  export WINEPREFIX WINEDEBUG=-all WINEARCH=win64
  # No Mono / Gecko install prompts: the tests are console programs.
  export WINEDLLOVERRIDES="mscoree=d;mshtml=d"
  WINEPATH=$(realpath "$dir/lib")
  export WINEPATH
  unset DISPLAY WAYLAND_DISPLAY
  trap 'wineserver -k >/dev/null 2>&1; rm -rf "$WINEPREFIX"' EXIT
  if ! timeout 300 wineboot -i >"$dir/wineboot.log" 2>&1; then
    record "FAIL wineboot (see $dir/wineboot.log)"
    exit 1
  fi

  # Runs one Windows program; exit 0 passes, 77 skips (its "SKIP:" line is
  # the reason), anything else fails and shows its output.
  run_exe() {
    local name=$1 exe=$2 log="$dir/wine-$1.log"
    timeout 120 wine "$exe" >"$log" 2>&1
    local rc=$?
    case $rc in
      0) record "PASS $name" ;;
      77) record "SKIP $name: $(grep -m1 '^SKIP:' "$log" | sed 's/^SKIP: //' | tr -d '\r')" ;;
      *) record "FAIL $name (exit $rc)"; sed 's/^/    /' "$log" ;;
    esac
  }

  for exe in "$dir"/tests/win32/*.exe; do
    name=$(basename "$exe" .exe)
    [ "$name" = test-win-would-block ] && continue
    run_exe "$name" "$exe"
  done

  # A Windows program's datagram received by a Linux socket joined to
  # 239.255.0.1:5004 on lo: the payload "hi" from 127.0.0.1.
  to_linux_lo() {
    local name=$1 recv_log="$dir/lo-receive.log" receiver send_rc received
    shift
    "$dir/lo-receive" 239.255.0.1 5004 10000 >"$recv_log" 2>&1 &
    receiver=$!
    for _ in $(seq 100); do
      grep -q '^ready' "$recv_log" 2>/dev/null && break
      sleep 0.1
    done
    timeout 60 wine "$@" >"$dir/wine-$name.log" 2>&1
    send_rc=$?
    wait "$receiver"
    received=$(sed -n 2p "$recv_log")
    case $send_rc:$received in
      "0:hi from 127.0.0.1:"*) record "PASS $name" ;;
      *)
        record "FAIL $name (exit $send_rc; Linux socket: ${received:-nothing})"
        sed 's/^/    /' "$dir/wine-$name.log" ;;
    esac
  }

  # The issue's check.
  to_linux_lo mctx-send.exe-to-linux-lo "$dir/examples/mctx-send.exe" \
    239.255.0.1 5004 hi --interface 127.0.0.1
  # Raw sockets under wine are Linux's: CAP_NET_RAW.
  if [ "$(id -u)" -eq 0 ]; then
    to_linux_lo mctx-raw-send.exe-to-linux-lo \
      "$dir/examples/mctx-raw-send.exe" 239.255.0.1 5004 hi \
      --source 127.0.0.1 --interface 127.0.0.1
  else
    record "SKIP mctx-raw-send.exe-to-linux-lo: raw sockets need root under wine"
  fi

  # Would-block needs datagrams held back on lo: a token bucket of 8 kbit/s
  # in the private namespace only, last, since it slows lo for everyone.
  if [ "$in_netns" = 1 ] && tc qdisc add dev lo root tbf rate 8kbit \
      burst 1600 limit 10000000 2>/dev/null; then
    MCTX_WINE_SLOW_LO=1 run_exe test-win-would-block \
      "$dir/tests/win32/test-win-would-block.exe"
    tc qdisc del dev lo root 2>/dev/null
  else
    run_exe test-win-would-block "$dir/tests/win32/test-win-would-block.exe"
  fi
  exit 0
fi

# ---- outside: build, then the inner part --------------------------------
mkdir -p "$dir"
: >"$results"

for tool in x86_64-w64-mingw32-gcc wine wineboot wineserver; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    record "SKIP windows: $tool is not installed (scripts/setup.sh installs mingw-w64 and wine)"
    summarize
    exit 0
  fi
done

options=(--cross-file cross/x86_64-w64-mingw32.txt -Dgst=disabled
         -Djsonl=disabled -Dbench=false -Dtests=true -Dwerror=true)
echo "=== $dir: cross build (${options[*]})"
if [ -f "$dir/build.ninja" ]; then
  meson setup --reconfigure "$dir" "${options[@]}" >/dev/null
else
  meson setup "$dir" "${options[@]}"
fi
if [ $? -ne 0 ] || ! ninja -C "$dir" \
    || ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
         -o "$dir/lo-receive" tests/win32/lo-receive.c; then
  record "FAIL windows-build"
  summarize
  exit 1
fi

echo "=== $dir: wine"
start=$(date +%s)
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
  MCTX_WINE_NETNS=1 unshare -n bash "$0" --inner "$dir"
else
  echo "(not root: no private namespace; the IPv6 and would-block tests skip)"
  MCTX_WINE_NETNS=0 bash "$0" --inner "$dir"
fi
echo "wine step: $(( $(date +%s) - start )) s"
summarize
