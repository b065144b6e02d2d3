#!/usr/bin/env bash
# A test video as RTP/JPEG to an IPv4 multicast group through mctxsink, and a
# udpsrc receiver that saves the JPEG frames it gets. By default everything
# stays on this host (interface lo). On a network, for SSM, e.g.:
#   GROUP=232.1.1.1 SOURCE=10.0.0.1 IFACE=eth0 ./rtp-jpeg-ipv4.sh
# Needs GST_PLUGIN_PATH=<build>/gst (or `meson devenv -C <build>`).
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
GROUP=${GROUP:-239.255.12.42}
PORT=${PORT:-5004}
IFACE=${IFACE:-lo}
SOURCE=${SOURCE:-127.0.0.1}
FRAMES=${FRAMES:-90}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Receiver: joins the group on IFACE; -e and SIGINT end it cleanly.
timeout -s INT $((FRAMES / 30 + 4)) gst-launch-1.0 -q -e \
  udpsrc address="$GROUP" port="$PORT" multicast-iface="$IFACE" \
    caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=JPEG,payload=26" ! \
  rtpjpegdepay ! multifilesink location="$out/frame-%05d.jpg" &
receiver=$!
sleep 1

# Sender.
gst-launch-1.0 -q \
  videotestsrc num-buffers="$FRAMES" ! \
  video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! \
  jpegenc ! rtpjpegpay ! \
  mctxsink group="$GROUP" port="$PORT" interface="$IFACE" source-addr="$SOURCE"

wait "$receiver" || true
echo "rtp-jpeg-ipv4: sent $FRAMES frames to $GROUP:$PORT via $IFACE from $SOURCE;" \
  "received $(find "$out" -name 'frame-*.jpg' | wc -l) JPEG frames"
