#!/usr/bin/env bash
# Raw audio (a test tone) as RTP L16 to an IPv4 multicast group through
# mctxsink; a udpsrc receiver writes what it gets to a WAV file. By default
# everything stays on this host (interface lo). On a network, e.g.:
#   GROUP=232.1.1.2 SOURCE=10.0.0.1 IFACE=eth0 ./rtp-l16-audio.sh
# Needs GST_PLUGIN_PATH=<build>/gst (or `meson devenv -C <build>`).
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail
GROUP=${GROUP:-239.255.12.43}
PORT=${PORT:-5008}
IFACE=${IFACE:-lo}
SOURCE=${SOURCE:-127.0.0.1}
SECONDS_OF_AUDIO=${SECONDS_OF_AUDIO:-3}
WAV=${WAV:-$(mktemp --suffix=.wav)}

CAPS="application/x-rtp,media=audio,clock-rate=48000,encoding-name=L16,channels=2,payload=96"

timeout -s INT $((SECONDS_OF_AUDIO + 3)) gst-launch-1.0 -q -e \
  udpsrc address="$GROUP" port="$PORT" multicast-iface="$IFACE" caps="$CAPS" ! \
  rtpjitterbuffer ! rtpL16depay ! audioconvert ! wavenc ! filesink location="$WAV" &
receiver=$!
sleep 1

# 48 kHz stereo, 1024 samples a buffer: 47 buffers a second.
gst-launch-1.0 -q \
  audiotestsrc num-buffers=$((SECONDS_OF_AUDIO * 47)) samplesperbuffer=1024 ! \
  audio/x-raw,rate=48000,channels=2 ! audioconvert ! rtpL16pay pt=96 ! \
  mctxsink group="$GROUP" port="$PORT" interface="$IFACE" source-addr="$SOURCE"

wait "$receiver" || true
echo "rtp-l16-audio: sent ${SECONDS_OF_AUDIO}s of audio to $GROUP:$PORT via $IFACE;" \
  "the receiver wrote $(stat -c %s "$WAV") bytes to $WAV"
