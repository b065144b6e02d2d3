#!/usr/bin/env bash
# mctx benchmark: udpsink vs mctxsink vs the kernel's limit, in namespaces of
# its own. Run as root from anywhere:   bash bench/run.sh [options]
#
# SPDX-License-Identifier: BSD-2-Clause
#
# Builds a release build (default: <source>/build-bench), creates three network
# namespaces (removed at exit, whatever happens):
#   ifb   "send path only": an ifb device, which drops what it is given
#   tx/rx "realistic": a veth pair, mctx-bench-recv in rx counts and checks
#         every datagram
# and runs every variant once per round, round after round, so that slow
# drifts of a shared machine hit all variants alike. Then callgrind counts
# user-space instructions and heap allocations per datagram in mctxsink.
# All traffic stays inside these namespaces.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run.sh [options]
  --rounds N          rounds (10)
  --duration S        measured seconds per variant and round (0.25)
  --warmup S          seconds before measuring (0.1)
  --sizes "A B"       datagram sizes in bytes (1316; also try "188 1316 8972")
  --families "4 6"    IP families ("4 6")
  --paths "ifb veth"  paths ("ifb veth")
  --variants "..."    any of udpsink-single mctxsink-single
                      mctxsink-single-gather fakesink-single sendsink-single
                      bare-send
                      udpsink-list mctxsink-list fakesink-list
                      mctxsink-list-alloc fakesink-list-alloc
                      sendsink-list-alloc bare-gso (all)
  --gather N          mctxsink-single-gather's gather property (64)
  --list-len N        buffers per list (64)
  --no-pin            let the scheduler place the sender and the receiver
                      (default: sender on CPU 0, receiver on CPU 1)
  --no-callgrind      skip the instruction and allocation counts
  --callgrind-only    only the instruction and allocation counts
  --build-dir DIR     build directory (<source>/build-bench)
  --no-build          use the build directory as it is
  --out DIR           keep raw results here (a new temporary directory)
  --markdown FILE     also write the tables as Markdown
EOF
}

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=10
duration=0.25
warmup=0.1
sizes="1316"
families="4 6"
paths="ifb veth"
variants="udpsink-single mctxsink-single mctxsink-single-gather fakesink-single sendsink-single bare-send udpsink-list mctxsink-list fakesink-list mctxsink-list-alloc fakesink-list-alloc sendsink-list-alloc bare-gso"
gather=64
list_len=64
do_callgrind=1
do_throughput=1
pin=1
build_dir="$src_dir/build-bench"
do_build=1
out_dir=""
markdown=""

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --families) families=$2; shift 2 ;;
    --paths) paths=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --list-len) list_len=$2; shift 2 ;;
    --gather) gather=$2; shift 2 ;;
    --no-callgrind) do_callgrind=0; shift ;;
    --no-pin) pin=0; shift ;;
    --callgrind-only) do_throughput=0; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --out) out_dir=$2; shift 2 ;;
    --markdown) markdown=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root: it creates network namespaces, an ifb device and a veth pair (run: sudo bash bench/run.sh)"
for tool in ip timeout python3 meson ninja; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed"
done
if [ "$do_callgrind" = 1 ] && ! command -v valgrind >/dev/null; then
  echo "bench: valgrind is not installed; skipping the instruction counts" >&2
  do_callgrind=0
fi
case "$rounds" in ''|*[!0-9]*) die "--rounds '$rounds' is not a number" ;; esac
[ "$rounds" -ge 1 ] && [ "$rounds" -le 100 ] || die "--rounds must be 1..100"
# Seconds a sender may take before it is killed: its run plus start-up slack.
sender_limit=$(awk -v d="$duration" -v w="$warmup" \
  'BEGIN { if (d + 0 <= 0 || d + 0 > 600 || w + 0 < 0 || w + 0 > 60) exit 1; printf "%d", d + w + 30 }') ||
  die "--duration must be in (0, 600] s and --warmup in [0, 60] s"

# ---------------------------------------------------------------- build
if [ "$do_build" = 1 ]; then
  if [ ! -f "$build_dir/build.ninja" ]; then
    meson setup "$build_dir" "$src_dir" --buildtype=release -Dtests=false \
      -Dbench=true -Dgst=enabled >/dev/null || die "meson setup failed"
  else
    meson configure "$build_dir" --buildtype=release -Dbench=true >/dev/null
  fi
  ninja -C "$build_dir" >/dev/null || die "the build failed (ninja -C $build_dir)"
fi
recv_bin="$build_dir/bench/mctx-bench-recv"
bare_bin="$build_dir/bench/mctx-bench-bare"
gst_bin="$build_dir/bench/mctx-bench-gst"
for b in "$recv_bin" "$bare_bin" "$gst_bin"; do
  [ -x "$b" ] || die "$b was not built"
done

# GStreamer finds mctxsink in the build tree; a registry of our own keeps the
# user's cache out of it.
export GST_PLUGIN_PATH="$build_dir/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_REGISTRY_1_0="$build_dir/bench/gst-registry.bin"
unset GST_DEBUG
"$gst_bin" --help >/dev/null 2>&1 || true
if [[ " $variants " == *" mctxsink-"* ]] || [ "$do_callgrind" = 1 ]; then
  gst-inspect-1.0 mctxsink >/dev/null 2>&1 ||
    die "mctxsink is not loadable from $build_dir/gst (try: GST_PLUGIN_PATH=$build_dir/gst gst-inspect-1.0 mctxsink)"
fi

if [ -z "$out_dir" ]; then
  out_dir=$(mktemp -d /tmp/mctx-bench.XXXXXX)
else
  mkdir -p "$out_dir"
fi
results="$out_dir/results.tsv"
cg_results="$out_dir/callgrind.tsv"
: >"$results"
: >"$cg_results"
: >"$out_dir/runs.log"

# ---------------------------------------------------------------- network
ns_ifb="mctxbench-$$-ifb"
ns_tx="mctxbench-$$-tx"
ns_rx="mctxbench-$$-rx"
mtu=9020  # 8972-byte payloads fit in IPv4 (28 header bytes) and IPv6 (48)
group4=239.255.201.1
group6=ff15::c9:1
port4=5201
port6=5202
receiver_pid=""

cleanup() {
  set +e
  if [ -n "$receiver_pid" ]; then
    kill "$receiver_pid" 2>/dev/null
    wait "$receiver_pid" 2>/dev/null
  fi
  for ns in "$ns_ifb" "$ns_tx" "$ns_rx"; do
    ip netns del "$ns" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_network() {
  ip netns add "$ns_ifb"
  ip -n "$ns_ifb" link set lo up
  ip -n "$ns_ifb" link add ifb0 type ifb ||
    die "could not create an ifb device (is the ifb module available?)"
  # gso_max_segs 1: GSO batches are split in software before the device, as
  # for a NIC without UDP segmentation offload, instead of being dropped whole.
  ip -n "$ns_ifb" link set ifb0 mtu $mtu gso_max_segs 1 up
  ip -n "$ns_ifb" addr add 10.201.0.1/24 dev ifb0
  ip -n "$ns_ifb" -6 addr add fd00:201::1/64 dev ifb0 nodad
  ip -n "$ns_ifb" route add 224.0.0.0/4 dev ifb0
  ip -n "$ns_ifb" -6 route add ff15::/16 dev ifb0

  ip netns add "$ns_tx"
  ip netns add "$ns_rx"
  ip -n "$ns_tx" link set lo up
  ip -n "$ns_rx" link set lo up
  ip -n "$ns_tx" link add vb0 type veth peer name vb1 netns "$ns_rx"
  ip -n "$ns_tx" link set vb0 mtu $mtu up
  ip -n "$ns_rx" link set vb1 mtu $mtu up
  ip -n "$ns_tx" addr add 10.201.1.1/24 dev vb0
  ip -n "$ns_rx" addr add 10.201.1.2/24 dev vb1
  ip -n "$ns_tx" -6 addr add fd00:201:1::1/64 dev vb0 nodad
  ip -n "$ns_rx" -6 addr add fd00:201:1::2/64 dev vb1 nodad
  ip -n "$ns_tx" route add 224.0.0.0/4 dev vb0
  ip -n "$ns_tx" -6 route add ff15::/16 dev vb0
  ip netns exec "$ns_rx" sh -c 'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done'
}

# ---------------------------------------------------------------- one run
# kv KEY FILE: the value of KEY=... on the last line of FILE that has it.
kv() {
  sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | tail -n 1
}

# run_one ROUND PATH FAMILY SIZE VARIANT: appends one line to $results:
# round path family size variant rate sent received bad late status
run_one() {
  local round=$1 path=$2 family=$3 size=$4 variant=$5
  local ns iface group port check
  if [ "$path" = ifb ]; then ns=$ns_ifb; iface=ifb0; else ns=$ns_tx; iface=vb0; fi
  if [ "$family" = 4 ]; then group=$group4; port=$port4; else group=$group6; port=$port6; fi
  local sender=()
  case "$variant" in
    mctxsink-single-gather)
      sender=("$gst_bin" --sink mctxsink --mode single --set "gather=$gather"); check=zero ;;
    udpsink-single|mctxsink-single|fakesink-single|sendsink-single)
      sender=("$gst_bin" --sink "${variant%-single}" --mode single); check=zero ;;
    udpsink-list|mctxsink-list|fakesink-list)
      sender=("$gst_bin" --sink "${variant%-list}" --mode list --list-len "$list_len"); check=seq ;;
    mctxsink-list-alloc|fakesink-list-alloc|sendsink-list-alloc)
      sender=("$gst_bin" --sink "${variant%-list-alloc}" --mode list-alloc --list-len "$list_len"); check=seq ;;
    bare-send) sender=("$bare_bin" --mode send); check=seq ;;
    bare-gso) sender=("$bare_bin" --mode gso); check=seq ;;
    *) die "unknown variant '$variant'" ;;
  esac
  sender+=(--group "$group" --port "$port" --iface "$iface" --size "$size"
           --duration "$duration" --warmup "$warmup")
  local sout="$out_dir/send.out" serr="$out_dir/send.err"
  local rout="$out_dir/recv.out" rerr="$out_dir/recv.err"
  : >"$rout"

  # fakesink sends nothing: no receiver, and its cost is the same on any path.
  local receive=0
  [ "$path" != veth ] || [[ "$variant" == fakesink-* ]] || receive=1
  if [ "$receive" = 1 ]; then
    ip netns exec "$ns_rx" "${pin_rx[@]}" "$recv_bin" --group "$group" --port "$port" --iface vb1 \
      --size "$size" --check "$check" --idle-ms 100 --max-secs 120 >"$rout" 2>"$rerr" &
    receiver_pid=$!
    local waited=0
    until grep -q '^ready' "$rout"; do
      sleep 0.01
      waited=$((waited + 1))
      if [ $waited -ge 300 ] || ! kill -0 "$receiver_pid" 2>/dev/null; then
        cat "$rerr" >&2
        die "the receiver did not start ($variant, IPv$family, $size bytes)"
      fi
    done
  fi

  local status=ok
  if ! timeout "$sender_limit" ip netns exec "$ns" "${pin_tx[@]}" "${sender[@]}" >"$sout" 2>"$serr"; then
    status=sender-failed
    echo "bench: $variant $path IPv$family $size failed: $(tr '\n' ' ' <"$serr")" >&2
  fi

  local received=- bad=- late=-
  if [ "$receive" = 1 ]; then
    kill -USR1 "$receiver_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$receiver_pid" 2>/dev/null && [ $waited -lt 1500 ]; do
      sleep 0.01
      waited=$((waited + 1))
    done
    kill "$receiver_pid" 2>/dev/null || true
    wait "$receiver_pid" 2>/dev/null || true
    receiver_pid=""
    received=$(kv received "$rout"); received=${received:--}
    local bs bp
    bs=$(kv bad_size "$rout"); bp=$(kv bad_payload "$rout")
    bad=$(( ${bs:-0} + ${bp:-0} ))
    late=$(kv late "$rout"); late=${late:--}
    [ "$received" != - ] || status=receiver-failed
  fi
  # Every run's raw lines, for a closer look at a surprising number.
  { echo "## round $round $path IPv$family $size $variant ($status)"
    cat "$sout" "$serr"
    [ "$receive" = 0 ] || cat "$rout" "$rerr"
  } >>"$out_dir/runs.log"
  local rate sent sink_sent sink_errors
  rate=$(kv rate "$sout"); sent=$(kv sent "$sout"); sink_sent=$(kv sink_sent "$sout")
  # A sink that counted failed sends (mctxsink, sendsink) did not send all
  # it was given: its rate is not a sending rate.
  sink_errors=$(kv sink_errors "$sout")
  [ "${sink_errors:-0}" = 0 ] || [ "$status" != ok ] || status="send-errors:$sink_errors"
  # What left the socket: mctxsink says so itself; for the rest it is what
  # the source handed over.
  [ -z "$sink_sent" ] || sent=$sink_sent
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$path" "$family" \
    "$size" "$variant" "${rate:-0}" "${sent:-0}" "$received" "$bad" "$late" "$status" \
    >>"$results"
  printf '  %-6s IPv%s %5s B %-16s %12s dgram/s' "$path" "$family" "$size" "$variant" "${rate:-0}"
  [ "$receive" = 1 ] && printf '   received %s of %s' "$received" "${sent:-0}"
  [ "$status" = ok ] || printf '   (%s)' "$status"
  printf '\n'
}

# ---------------------------------------------------------------- callgrind
# Names of mctxsink's render and render_list functions, read from the class
# init in gst/ (MCTX_RENDER_FN / MCTX_RENDER_LIST_FN override).
find_vfunc() {
  grep -ho "$1 *= *\(GST_DEBUG_FUNCPTR *( *\)\?[A-Za-z_0-9]*" "$src_dir"/gst/*.c 2>/dev/null |
    sed 's/.*[( =]\([A-Za-z_0-9]*\)$/\1/' | head -n 1
}

# cg_one SINK MODE COUNT WHAT TOGGLE_FN: appends
# sink mode count what ir allocs to $cg_results
cg_one() {
  local sink=$1 mode=$2 count=$3 what=$4 fn=$5
  local cgout="$out_dir/callgrind.$sink.$mode.$count.$what.out"
  # element: count only inside fn (its inclusive cost), and name every
  # function with 24 callers so that allocations made under fn are found.
  local toggle=() within=()
  if [ "$what" = element ]; then
    toggle=(--toggle-collect="$fn" --separate-callers=24)
    within=(--within "$fn")
  fi
  local how=(--mode "$mode")
  [ "$mode" != single-gather ] || how=(--mode single --set "gather=$gather")
  if ! G_SLICE=always-malloc timeout 600 ip netns exec "$ns_ifb" valgrind --tool=callgrind \
      --callgrind-out-file="$cgout" "${toggle[@]}" \
      "$gst_bin" --sink "$sink" "${how[@]}" --list-len "$list_len" --count "$count" \
      --group "$group4" --port "$port4" --iface ifb0 --size 1316 \
      >"$out_dir/cg.out" 2>"$out_dir/cg.err"; then
    echo "bench: callgrind run of $sink $mode failed: $(tail -n 3 "$out_dir/cg.err")" >&2
    return 0
  fi
  local counts
  counts=$(python3 "$src_dir/bench/report.py" --callgrind-file "$cgout" "${within[@]}")
  printf '%s\t%s\t%s\t%s\t%s\n' "$sink" "$mode" "$count" "$what" "$counts" >>"$cg_results"
}

run_callgrind() {
  local render_fn render_list_fn n_single=2000 n_list=$((list_len * 40))
  render_fn=${MCTX_RENDER_FN:-$(find_vfunc 'render')}
  render_list_fn=${MCTX_RENDER_LIST_FN:-$(find_vfunc 'render_list')}
  echo "callgrind: IPv4, 1316 bytes, into the ifb device; N and 2N datagrams"
  echo "  mctxsink render: ${render_fn:-not found}, render_list: ${render_list_fn:-not found}"
  for n in $n_single $((2 * n_single)); do
    for sink in udpsink mctxsink; do
      cg_one "$sink" single "$n" pipeline ""
    done
    [ -z "$render_fn" ] || cg_one mctxsink single "$n" element "$render_fn"
    cg_one mctxsink single-gather "$n" pipeline ""
  done
  for n in $n_list $((2 * n_list)); do
    for sink in udpsink mctxsink; do
      cg_one "$sink" list "$n" pipeline ""
    done
    [ -z "$render_list_fn" ] || cg_one mctxsink list "$n" element "$render_list_fn"
  done
}

# ---------------------------------------------------------------- main
# Sender and receiver on CPUs of their own: left to the scheduler, a
# 2-CPU machine sometimes runs both on one CPU, and a round's ratios then
# say where the scheduler put them rather than what the senders cost.
pin_tx=() pin_rx=() placement="left to the scheduler"
if [ "$pin" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_tx=(taskset -c 0) pin_rx=(taskset -c 1)
  placement="sender on CPU 0, receiver on CPU 1 (--no-pin to change)"
fi
setup_network
start=$(date +%s)
if [ "$do_throughput" = 1 ]; then
  echo "mctx benchmark: $rounds rounds x (${paths}) x IPv(${families}) x (${sizes}) bytes;" \
       "${duration} s per variant; raw results in $out_dir"
  echo "source: $(git -C "$src_dir" describe --always --dirty 2>/dev/null || echo 'not a git checkout')," \
       "$(uname -sr), $(nproc) CPUs, GStreamer $(pkg-config --modversion gstreamer-1.0 2>/dev/null || echo '?')"
  echo "placement: $placement"
  for round in $(seq 1 "$rounds"); do
    echo "round $round of $rounds"
    for path in $paths; do
      for family in $families; do
        for size in $sizes; do
          for variant in $variants; do
            run_one "$round" "$path" "$family" "$size" "$variant"
          done
        done
      done
    done
  done
fi
if [ "$do_callgrind" = 1 ]; then
  run_callgrind
fi
echo "took $(( $(date +%s) - start )) s"
echo
report_args=(--results "$results" --callgrind "$cg_results" --list-len "$list_len")
[ -z "$markdown" ] || report_args+=(--markdown "$markdown")
python3 "$src_dir/bench/report.py" "${report_args[@]}"
