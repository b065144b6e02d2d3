#!/usr/bin/env bash
# The main demo: installs what is missing, builds into build/, and streams
# over multicast on this host only (loopback), receiving it back in the same
# run. With the GStreamer element built, a test video goes as RTP through
# mctxsink and comes back through udpsrc (examples/gst/mctx-demo); otherwise
# mctx-send sends a few datagrams to a udpsrc receiver. Needs no root.
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail

cd "$(dirname "$0")/.."

bash scripts/setup.sh

if [ ! -f build/build.ninja ]; then
  # Only what the demo runs: the tests are for scripts/test.sh.
  meson setup build -Dtests=false -Dbench=false
  echo "demo: build/ is configured without tests and benchmarks; to build and"
  echo "demo: run them there: meson configure build -Dtests=true -Dbench=true"
fi
ninja -C build

demo=build/examples/gst/mctx-demo
if [ -x "$demo" ]; then
  # The plugin is found in the build tree, no install needed.
  export GST_PLUGIN_PATH="$PWD/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  exec "$demo" "$@"
fi

# Without the element: mctx-send to a receiver joined on loopback.
group=239.255.77.1
port=5977
count=5
echo "demo: the GStreamer demo ($demo) is not built; sending $count datagrams"
echo "demo: with mctx-send to $group:$port on loopback, received by udpsrc"

received=$(mktemp)
trap 'rm -f "$received"' EXIT
timeout 10 gst-launch-1.0 -q udpsrc address=$group port=$port multicast-iface=lo \
  num-buffers=$count ! fdsink fd=1 >"$received" &
receiver=$!
# udpsrc joins the group when it starts; give it a moment before sending.
sleep 1

build/examples/mctx-send $group $port "hello from mctx " $count 100 \
  --interface 127.0.0.1

wait "$receiver" || true
echo "demo: udpsrc received $(wc -c <"$received") bytes: $(tr -d '\n' <"$received")"
