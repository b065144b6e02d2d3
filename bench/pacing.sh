#!/usr/bin/env bash
# Pacing bench (docs/pacing.md): the issue's targets at 23.5 Mbit/s and
# 200 Mbit/s, paced and unpaced from the same run, each target PASS or
# MISS. Run as root from anywhere:   bash bench/pacing.sh [options]
#
# SPDX-License-Identifier: BSD-2-Clause
#
# Builds (default: <source>/build-bench, release) and runs mctx-bench-pacing,
# which makes its own namespaces (a veth into a peer whose ingress goes
# through an ifb with tbf: the emulated switch port; a second veth without
# it) and removes them at exit. All traffic stays inside them. About 30 s
# in all; the machine's load is printed before and after, since on a busy
# machine the sender's wake-ups come late.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bash bench/pacing.sh [options]
  --build DIR     build directory (<source>/build-bench; configured if new)
  --frames N      frames per variant (45: the issue's 2,700 datagrams at 60)
  --burst N       pacing burst (2, the default)
  --element       also the 23.5 Mbit/s run through appsrc ! mctxsink
  --fifo N        the sender at SCHED_FIFO priority N (libmctx never sets it)
  --pin           the sender on CPU 0, the receivers and taps on CPU 1
  --rps           the receiving veths' packets (the port's tbf) handled on
                  CPU 1 (RPS), not in the sender's system call
  --port-burst B  the emulated port's tbf bucket in bytes (3000, the issue's)
  --wire-frames   the sending veths cut GSO packets into frames, as a NIC
                  does (gso_max_segs 1), before the port sees them
  --only RATE     only one rate: 23.5 or 200 (both)
USAGE
}

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-bench
frames=45
burst=2
element=0
only=
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --frames) frames=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --element) element=1; shift ;;
    --fifo) export MCTX_BENCH_PACING_FIFO=$2; shift 2 ;;
    --pin) export MCTX_BENCH_PACING_PIN=1; shift ;;
    --rps) export MCTX_BENCH_PACING_RPS=1; shift ;;
    --port-burst) export MCTX_BENCH_PACING_PORT_BURST=$2; shift 2 ;;
    --wire-frames) export MCTX_BENCH_PACING_WIRE_FRAMES=1; shift ;;
    --only) only=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 1 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "pacing bench: needs root (network namespaces)" >&2
  exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" --buildtype=release >/dev/null
fi
ninja -C "$build" bench/mctx-bench-pacing gst/libgstmctx.so >/dev/null 2>&1 ||
  ninja -C "$build" bench/mctx-bench-pacing >/dev/null
bin=$build/bench/mctx-bench-pacing

start=$(date +%s)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
status=0
# rate's datagrams per frame, pacing rate, switch port (6% above the rate)
runs=()
[ "$only" != 200 ] && runs+=("60 23500000 25mbit")
[ "$only" != 23.5 ] && runs+=("600 200000000 213mbit")
for r in "${runs[@]}"; do
  set -- $r
  echo
  "$bin" "$1" "$2" "$3" "$frames" 0 "$burst" || status=1
done
if [ "$element" = 1 ]; then
  echo
  GST_PLUGIN_PATH=$build/gst "$bin" 60 23500000 25mbit "$frames" 0 "$burst" \
    element || status=1
fi
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $(( $(date +%s) - start )) s"
exit $status
