#!/usr/bin/env bash
# A test video as RTP/JPEG to an IPv6 source-specific group through
# mctxsink, from exactly SOURCE, out of IFACE; a udpsrc receiver saves the
# frames. On a network, e.g.:
#   GROUP=ff3e::8000:1234 SOURCE=2001:db8::10 IFACE=eth0 ./rtp-jpeg-ipv6-ssm.sh
# (SSM receivers join (SOURCE, GROUP); udpsrc in GStreamer 1.22 joins the
# group for any source, which is enough to see the stream here.)
#
# By default it stays on this host: ff31:: (interface-local SSM) from ::1 on
# lo. IPv6 multicast on lo needs a route most systems lack
# (`ip -6 route add local ff00::/8 dev lo table local`), so the script then
# runs itself in a private network namespace (`unshare -rn`, no root needed
# where user namespaces are enabled) and adds it there.
# Needs GST_PLUGIN_PATH=<build>/gst (or `meson devenv -C <build>`).
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
GROUP=${GROUP:-ff31::8000:1234}
PORT=${PORT:-5006}
IFACE=${IFACE:-lo}
SOURCE=${SOURCE:-::1}
FRAMES=${FRAMES:-90}

if [ "$IFACE" = lo ] && [ -z "${MCTX_IN_NETNS:-}" ] \
    && ! ip -6 route show table local 2>/dev/null | grep -q '^local ff00::/8 dev lo'; then
  exec unshare -rn env MCTX_IN_NETNS=1 bash "$0" "$@"
fi
if [ -n "${MCTX_IN_NETNS:-}" ]; then
  ip link set lo up
  ip -6 route add local ff00::/8 dev lo table local
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

timeout -s INT $((FRAMES / 30 + 4)) gst-launch-1.0 -q -e \
  udpsrc address="$GROUP" port="$PORT" multicast-iface="$IFACE" \
    caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=JPEG,payload=26" ! \
  rtpjpegdepay ! multifilesink location="$out/frame-%05d.jpg" &
receiver=$!
sleep 1

gst-launch-1.0 -q \
  videotestsrc num-buffers="$FRAMES" ! \
  video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! \
  jpegenc ! rtpjpegpay ! \
  mctxsink group="$GROUP" port="$PORT" interface="$IFACE" source-addr="$SOURCE"

wait "$receiver" || true
echo "rtp-jpeg-ipv6-ssm: sent $FRAMES frames to [$GROUP]:$PORT via $IFACE from $SOURCE;" \
  "received $(find "$out" -name 'frame-*.jpg' | wc -l) JPEG frames"
