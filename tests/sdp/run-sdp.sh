#!/usr/bin/env bash
# ffmpeg opens the SDP that mctxsink wrote (sdp-file) and decodes the
# stream: H.264 over RTP (frames counted), Opus over RTP (samples counted),
# both over an SSM group (the SDP's a=source-filter), MPEG-TS straight in
# UDP (`m=video PORT udp 33`), and H.264 on two legs (destinations: an SDP
# with a=group:DUP and one m= per leg).
#
# Each case runs the sender twice: once for one buffer, which writes the
# SDP (the caps of the same encoder settings are the same), then, with
# ffmpeg started from that file and joined, for the whole stream (which
# writes the file again: the test checks it says the same). Everything runs
# in a private network namespace (unshare -n) with only its loopback
# interface. Needs root; skips (exit 77) otherwise.
#
# Usage: run-sdp.sh CASE   (h264, opus, ts; each also with -ssm; h264-dup)
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail

case_name=$1

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ -z "${MCTX_SDP_IN_NETNS:-}" ]; then
  [ -n "${MCTX_RECIPES_SANITIZED:-}" ] &&
    skip "gst-launch-1.0 cannot load a plugin built with sanitizers; the plain build runs this test"
  [ "$(id -u)" -eq 0 ] || skip "needs root for a private network namespace (unshare -n)"
  unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n)"
  exec env MCTX_SDP_IN_NETNS=1 unshare -n "$0" "$@"
fi

ip link set lo up
command -v ffmpeg >/dev/null || fail "ffmpeg is missing (bash scripts/setup.sh installs it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mctx-sdp-$case_name.XXXXXX")
ffmpeg_pid=
cleanup() {
  [ -n "$ffmpeg_pid" ] && kill -KILL "$ffmpeg_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

# An -ssm case is its base case sent to an SSM group from 127.0.0.1: the
# SDP must carry the source filter, and ffmpeg joins (S,G) from it. A -dup
# case sends its base case to two groups (its group and one destination).
base=${case_name%-ssm}
base=${base%-dup}
ffmpeg_in=() ffmpeg_out=()
h264_caps='video/x-raw,format=I420,width=320,height=240,framerate=30/1'
h264_enc="x264enc tune=zerolatency key-int-max=30 threads=1"
video_out="-fps_mode passthrough -f rawvideo -pix_fmt yuv420p"
case $base in
  h264)
    low=60 port=5004
    src="videotestsrc num-buffers=@N@ ! $h264_caps ! $h264_enc ! rtph264pay config-interval=-1 pt=96"
    n=30 output=$video_out unit=115200 expect=30 what=frames ;;
  opus)
    low=61 port=5006
    src="audiotestsrc num-buffers=@N@ samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=97"
    # One 20 ms frame more than went in: the encoder's look-ahead (see the
    # Opus recipe of docs/recipes.md).
    n=50 output="-f s16le -ar 48000 -ac 2" unit=4 expect=48960 what=samples ;;
  ts)
    low=62 port=5008
    src="videotestsrc num-buffers=@N@ ! $h264_caps ! $h264_enc ! mpegtsmux alignment=7"
    n=30 output=$video_out unit=115200 expect=30 what=frames
    want_line="m=video $port udp 33" ;;
  *) fail "unknown case '$case_name'" ;;
esac
if [ "$case_name" = "$base-dup" ]; then
  sink="group=239.255.12.$low port=$port interface=lo destinations=mctx://239.255.12.$((low + 10)):$((port + 100))?interface=lo"
  want_line="a=group:DUP leg1 leg2"
  # ffmpeg has no DUP merging: it opens every m= line as a stream of its
  # own (checked below) and decodes the first one, the default mapping.
  # One decoding thread and a frame limit end it at the last frame instead
  # of after a read timeout per stream.
  ffmpeg_in=(-threads 1) ffmpeg_out=(-frames:v "$expect")
elif [ "$base" != "$case_name" ]; then
  group=232.0.12.$low
  sink="group=$group port=$port source-addr=127.0.0.1 interface=lo"
  want_line="a=source-filter: incl IN IP4 $group 127.0.0.1"
else
  sink="group=239.255.12.$low port=$port interface=lo"
fi

send() {
  # shellcheck disable=SC2086
  timeout 60 gst-launch-1.0 -q ${src//@N@/$1} ! mctxsink $sink sdp-file="$work/stream.sdp" \
    >"sender-$1.log" 2>&1 || { cat "sender-$1.log"; fail "the sender of $1 buffers failed"; }
}

send 1
[ -s stream.sdp ] || fail "mctxsink wrote no SDP"
cp stream.sdp receiver.sdp
echo "== the SDP mctxsink wrote"; cat receiver.sdp
if [ -n "${want_line:-}" ]; then
  grep -qxF "$want_line"$'\r' receiver.sdp || fail "the SDP has no line '$want_line'"
fi

igmp_users() {
  awk '/^[0-9]/ { on_lo = ($2 == "lo") } !/^[0-9]/ && on_lo { users += $2 } END { print users + 0 }' /proc/net/igmp
}
base_users=$(igmp_users)
# shellcheck disable=SC2086
ffmpeg -nostdin -loglevel info -protocol_whitelist file,udp,rtp \
  -localaddr 127.0.0.1 -listen_timeout 3 "${ffmpeg_in[@]}" -i receiver.sdp \
  "${ffmpeg_out[@]}" $output -y out.raw \
  >ffmpeg.log 2>&1 &
ffmpeg_pid=$!
for _ in $(seq 100); do
  [ "$(igmp_users)" -gt "$base_users" ] && break
  sleep 0.1
done
[ "$(igmp_users)" -gt "$base_users" ] || { cat ffmpeg.log; fail "ffmpeg did not join within 10 s"; }

send "$n"
# ffmpeg ends by itself some seconds after the last packet (20 s at most).
for _ in $(seq 200); do kill -0 "$ffmpeg_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ffmpeg_pid" 2>/dev/null && { kill -KILL "$ffmpeg_pid"; fail "ffmpeg did not end"; }
wait "$ffmpeg_pid" || true
ffmpeg_pid=

[ -f out.raw ] || { cat ffmpeg.log; fail "ffmpeg decoded nothing"; }
got=$(( $(stat -c %s out.raw) / unit ))
[ "$got" -eq "$expect" ] || { cat ffmpeg.log; fail "ffmpeg decoded $got $what, not $expect"; }
if [ "$case_name" = "$base-dup" ]; then
  grep -q 'Stream #0:1: Video: h264' ffmpeg.log ||
    { cat ffmpeg.log; fail "ffmpeg did not open the second leg's m= line"; }
fi
# The second run described the same stream (o= aside: a new session).
diff <(grep -v '^o=' receiver.sdp) <(grep -v '^o=' stream.sdp) ||
  fail "the second run wrote another SDP"
echo "sdp '$case_name': ffmpeg decoded $got $what"
