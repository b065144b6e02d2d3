#!/usr/bin/env bash
# Runs one recipe of docs/recipes.md as a user would, from the blocks the
# document shows (extract-recipe.awk): every "receiver" block (stopped with
# Ctrl-C) and "receiver-timeout" block (ends by itself when the stream
# stops) in the background; once they have joined, the "sender" block(s) in
# turn; then the wait for the receiver-timeout ones, Ctrl-C (SIGINT) to the
# others, and the "check" block, whose output must equal the "expect" block
# word for word.
#
# Everything runs in a private network namespace (unshare -n) with only its
# own loopback interface, so the commands can use their literal addresses
# and nothing leaves it. Needs root; skips (exit 77) otherwise.
#
# Usage: run-recipe.sh DOC RECIPE
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail

doc=$(realpath "$1")
recipe=$2
here=$(dirname "$(realpath "$0")")

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ -z "${MCTX_RECIPE_IN_NETNS:-}" ]; then
  [ -n "${MCTX_RECIPES_SANITIZED:-}" ] &&
    skip "gst-launch-1.0 cannot load a plugin built with sanitizers; the plain build runs the recipes"
  [ "$(id -u)" -eq 0 ] || skip "needs root for a private network namespace (unshare -n)"
  unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n)"
  exec env MCTX_RECIPE_IN_NETNS=1 unshare -n "$0" "$@"
fi

ip link set lo up

work=$(mktemp -d "${TMPDIR:-/tmp}/mctx-recipe-$recipe.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/blocks" "$work/logs"
awk -v recipe="$recipe" -v dir="$work/blocks" -f "$here/extract-recipe.awk" "$doc"
shopt -s nullglob
receivers=("$work"/blocks/receiver-[0-9]* "$work"/blocks/receiver-timeout-*)
senders=("$work"/blocks/sender-*)
[ ${#receivers[@]} -gt 0 ] && [ ${#senders[@]} -gt 0 ] &&
  [ -f "$work/blocks/check-1" ] && [ -f "$work/blocks/expect-1" ] ||
  fail "$doc has no complete recipe '$recipe' (receiver, sender, check, expect blocks)"

# Every tool the blocks name must be there: setup.sh installs them.
for element in $(grep -ohP '!\s*\K[a-z][a-z0-9_]*(?![/a-z0-9_])' \
    "${receivers[@]}" "${senders[@]}" | sort -u); do
  gst-inspect-1.0 "$element" >/dev/null 2>&1 ||
    fail "GStreamer element '$element' is missing (bash scripts/setup.sh installs it)"
done
command -v ffmpeg >/dev/null || fail "ffmpeg is missing (bash scripts/setup.sh installs it)"

cd "$work"

# Multicast memberships on lo, summed over the groups (/proc/net/igmp counts
# one user per socket; ffmpeg's RTP input joins with two).
igmp_users() {
  awk '/^[0-9]/ { on_lo = ($2 == "lo") } !/^[0-9]/ && on_lo { users += $2 } END { print users + 0 }' /proc/net/igmp
}

base_users=$(igmp_users)
timeout_pids=()
for block in "${receivers[@]}"; do
  # A process group of its own, so that Ctrl-C reaches the gst-launch-1.0 or
  # ffmpeg inside.
  setsid bash "$block" >"$work/logs/$(basename "$block").log" 2>&1 &
  pids+=($!)
  case $block in *receiver-timeout-*) timeout_pids+=($!) ;; esac
done
# Each receiver joins at least once; give them 10 s at most.
for _ in $(seq 100); do
  [ "$(igmp_users)" -ge $((base_users + ${#receivers[@]})) ] && break
  sleep 0.1
done
[ "$(igmp_users)" -ge $((base_users + ${#receivers[@]})) ] ||
  { tail -n 20 "$work"/logs/*; fail "the receivers did not join within 10 s"; }

for block in "${senders[@]}"; do
  timeout 60 bash "$block" >"$work/logs/$(basename "$block").log" 2>&1 ||
    { tail -n 20 "$work"/logs/*; fail "$(basename "$block") failed: $(cat "$block")"; }
done

# The receiver-timeout ones end by themselves (20 s at most). The others have
# everything once no datagram waits in a socket of this namespace any more
# (the rx_queue column of /proc/net/udp, twice in a row, 10 s at most): a
# udpsrc pushes each buffer downstream before it reads the next, and the EOS
# that Ctrl-C makes follows the last one. Then Ctrl-C, as the document says.
for pid in "${timeout_pids[@]}"; do
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
queued() {
  awk 'FNR > 1 { split($5, q, ":"); if (q[2] != "00000000") n++ } END { print n + 0 }' \
    /proc/net/udp /proc/net/udp6
}
empty=0
for _ in $(seq 50); do
  if [ "$(queued)" -eq 0 ]; then empty=$((empty + 1)); else empty=0; fi
  [ "$empty" -ge 2 ] && break
  sleep 0.2
done
for pid in "${pids[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid" 2>/dev/null || true
done
pids=()

bash "$work/blocks/check-1" >"$work/check.out" 2>&1 || true
if ! diff -u "$work/blocks/expect-1" "$work/check.out"; then
  for log in "$work"/logs/*; do echo "== $(basename "$log")"; tail -n 20 "$log"; done
  fail "recipe '$recipe': the check's output (+) differs from the document's (-)"
fi
echo "recipe '$recipe': $(tr '\n' ' ' <"$work/check.out")"
