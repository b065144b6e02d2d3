#!/usr/bin/env bash
# The Debian packages as a user gets them: builds them from a clean clone of
# the source tree's HEAD (dpkg-buildpackage -us -uc -b), checks them with
# lintian, installs them and checks what a user does with them with no
# environment (gst-inspect-1.0 finds mctxsink, the README's hello program
# compiles with pkg-config and runs, mctx-send sends on lo, /usr/bin/python3
# imports mctx), then purges
# them and checks that nothing is left. The packages are purged whatever
# happens, so the machine is left as it was found.
#
# Usage: MCTX_PACKAGE_TEST=1 package-test.sh <source dir>. Needs root (it
# installs packages): skips otherwise, without MCTX_PACKAGE_TEST=1, and when
# anything it would install is already there.
# Exit status: 0 passed, 1 failed, 77 skipped.
#
# SPDX-License-Identifier: BSD-2-Clause
set -uo pipefail

SKIP=77
PACKAGES=(libmctx1 libmctx-jsonl0 libmctx-dev gstreamer1.0-mctx mctx-tools python3-mctx)

skip() {
  echo "SKIP: $*"
  exit "$SKIP"
}

fail() {
  echo "FAIL: $*"
  exit 1
}

src=${1:?usage: package-test.sh <source dir>}

[ "${MCTX_PACKAGE_TEST-}" = 1 ] \
  || skip "set MCTX_PACKAGE_TEST=1 to build, install and purge the Debian packages (scripts/test.sh does)"
[ "$(id -u)" -eq 0 ] || skip "needs root to install and purge the Debian packages"
for tool in dpkg-buildpackage dh lintian apt-get git gst-inspect-1.0 pkg-config cc; do
  command -v "$tool" >/dev/null 2>&1 \
    || skip "$tool is not installed (scripts/setup.sh installs it)"
done
git -C "$src" rev-parse --verify -q HEAD >/dev/null \
  || skip "$src is not a git checkout: the packages are built from a clone of HEAD"

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=/usr/lib/$multiarch
plugin=$libdir/gstreamer-1.0/libgstmctx.so
pymodule=/usr/lib/python3/dist-packages/mctx
# Counts a fresh context's publications: 0 when the module imports.
python_check=(/usr/bin/python3 -c "import mctx; print(mctx.Context().publication_count())")

# Prints the first of PACKAGES that dpkg knows (installed, half-installed,
# or only its configuration files left) with its status; fails if none.
known_to_dpkg() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    case $status in
      "" | "un "*) ;;
      *) echo "$pkg (${status// /})"; return 0 ;;
    esac
  done
  return 1
}

# What is already there is someone's: neither replace nor purge it.
known=$(known_to_dpkg) && skip "package $known is on this machine; the test would replace and purge it"
for path in "$plugin" "$libdir"/libmctx.so* "$libdir"/libmctx-jsonl.so* \
    /usr/include/mctx.h /usr/bin/mctx-send /usr/bin/mctx-raw-send "$pymodule"; do
  [ -e "$path" ] && skip "$path exists outside the packages (a meson install into /usr?)"
done

work=$(mktemp -d /tmp/mctx-pkg-test.XXXXXX)
installed=no

# dpkg, waiting up to two minutes for a lock held by another apt or dpkg.
dpkg_waiting() {
  local log=$work/dpkg.log try
  for try in $(seq 60); do
    if dpkg "$@" >"$log" 2>&1; then
      return 0
    fi
    grep -q 'lock' "$log" || break
    sleep 2
  done
  cat "$log"
  return 1
}

cleanup() {
  local purged=yes
  trap - EXIT INT TERM
  if [ "$installed" = yes ]; then
    echo "--- purging ${PACKAGES[*]}"
    dpkg_waiting --purge "${PACKAGES[@]}" || purged=no
  fi
  rm -rf "$work"
  [ "$purged" = yes ] || { echo "FAIL: could not purge the packages"; exit 1; }
}
# meson kills a test's whole process group half a second after its
# SIGTERM (timeout, ^C): too soon for dpkg, or even to remove the build, so
# on a signal both run in a session of its own, which survives that.
on_signal() {
  local purge=:
  trap - EXIT INT TERM
  [ -n "$bounded_pid" ] && kill -TERM -- "-$bounded_pid" 2>/dev/null
  if [ "$installed" = yes ]; then
    echo "--- interrupted: purging ${PACKAGES[*]} in the background"
    purge="dpkg_waiting --purge ${PACKAGES[*]}"
  fi
  setsid -f bash -c "work=$work; $(declare -f dpkg_waiting)
    $purge; rm -rf \"\$work\"" </dev/null >/dev/null 2>&1
  exit 1
}
trap cleanup EXIT
trap on_signal INT TERM

# Runs a command for at most $1 seconds, so that this script fails and
# purges before meson's own timeout. timeout(1) puts the command in a
# process group of its own, which on_signal stops; waiting on a background
# job lets the signal's trap run at once.
bounded_pid=
bounded() {
  local seconds=$1 status
  shift
  timeout "$seconds" "$@" &
  bounded_pid=$!
  wait "$bounded_pid"
  status=$?
  bounded_pid=
  return "$status"
}

# A user's shell: no GStreamer or loader variables, a home with no
# registry cache, so GStreamer scans its plugin directory afresh.
mkdir -p "$work/home"
user_vars=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8)
user_env=(env -i "${user_vars[@]}")

echo "--- cloning $(git -C "$src" rev-parse --short HEAD) into $work/mctx"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] \
  || echo "note: uncommitted changes in $src are not in the packages"
git clone -q --no-hardlinks "$src" "$work/mctx" || fail "git clone $src failed"

echo "--- dpkg-buildpackage -us -uc -b"
start=$(date +%s)
if ! bounded 480 env -i -C "$work/mctx" "${user_vars[@]}" dpkg-buildpackage -us -uc -b -Jauto \
    >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log"
  fail "dpkg-buildpackage failed (last lines above)"
fi
echo "built in $(($(date +%s) - start)) s; the suite during the build:"
grep -E '^(Ok|Fail|Skipped|Timeout): ' "$work/build.log"

changes=("$work"/mctx_*.changes)
[ -f "${changes[0]}" ] || fail "no .changes file next to the clone"
debs=()
for pkg in "${PACKAGES[@]}"; do
  deb=("$work/${pkg}"_*.deb)
  [ -f "${deb[0]}" ] || fail "package $pkg was not built"
  debs+=("${deb[0]}")
done

echo "--- lintian --fail-on error,warning"
lintian_ok=yes
bounded 180 lintian --fail-on error,warning --display-info "${changes[0]}" >"$work/lintian.txt" 2>&1 \
  || lintian_ok=no
grep -v 'running with root privileges' "$work/lintian.txt"
[ "$lintian_ok" = yes ] || fail "lintian reports errors or warnings (above)"

echo "--- installing ${PACKAGES[*]}"
# dpkg, not apt: every dependency is a build dependency, so already here,
# and nothing else gets installed that the purge would leave behind.
installed=yes
dpkg_waiting --install "${debs[@]}" || fail "installing the packages failed"
dpkg-query -L "${PACKAGES[@]}" | sort -u >"$work/files"

echo "--- gst-inspect-1.0 mctxsink (no environment)"
"${user_env[@]}" gst-inspect-1.0 mctxsink >"$work/inspect.txt" 2>&1 \
  || { cat "$work/inspect.txt"; fail "gst-inspect-1.0 does not find mctxsink"; }
loaded=$(awk '$1 == "Filename" { print $2; exit }' "$work/inspect.txt")
# On a merged /usr, GStreamer may name /lib/... for /usr/lib/...
[ "$(realpath "$loaded")" = "$(realpath "$plugin")" ] \
  || fail "mctxsink is loaded from '$loaded', not from $plugin"
echo "mctxsink found in $loaded"

echo "--- pkg-config and the README's hello program"
libs=$("${user_env[@]}" pkg-config --libs mctx) || fail "pkg-config --libs mctx failed"
libs=${libs%" "}  # pkg-config ends the line with a space
[ "$libs" = "-lmctx" ] || fail "pkg-config --libs mctx: '$libs', expected '-lmctx'"
"${user_env[@]}" pkg-config --libs mctx-jsonl >/dev/null || fail "pkg-config --libs mctx-jsonl failed"
awk '/^### libmctx in C/ { section = 1 }
     section && /^```c/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$work/mctx/README.md" >"$work/hello.c"
[ -s "$work/hello.c" ] || fail "no C program under '### libmctx in C' in README.md"
(cd "$work" && "${user_env[@]}" sh -c 'cc -o hello hello.c $(pkg-config --cflags --libs mctx)') \
  || fail "hello.c does not compile against the installed libmctx"
linked=$(ldd "$work/hello" | awk '$1 == "libmctx.so.1" { print $3 }')
[ -n "$linked" ] && [ "$(realpath "$linked")" = "$(realpath "$libdir/libmctx.so.1")" ] \
  || fail "hello does not load $libdir/libmctx.so.1: $(ldd "$work/hello" | grep mctx)"
# It sends one datagram out of lo (the program sets the interface).
out=$("${user_env[@]}" "$work/hello" 2>&1) || fail "hello failed: $out"
[ "$out" = "sent 5 bytes" ] || fail "hello printed '$out', expected 'sent 5 bytes'"
echo "$out"

echo "--- mctx-send"
[ "$("${user_env[@]}" sh -c 'command -v mctx-send')" = /usr/bin/mctx-send ] \
  || fail "mctx-send is not /usr/bin/mctx-send on the PATH"
"${user_env[@]}" mctx-send --help >"$work/help.txt" 2>&1 || fail "mctx-send --help failed"
grep -q '^usage: mctx-send ' "$work/help.txt" || fail "mctx-send --help prints no usage line"
out=$("${user_env[@]}" mctx-send 239.255.0.17 5017 hello --interface lo 2>&1) \
  || fail "mctx-send on lo failed: $out"
# The send line, then the queue-drops summary (docs/gso.md).
[ "$(printf '%s\n' "$out" | head -n 1)" = \
  "sent 5 bytes to 239.255.0.17:5017 from 127.0.0.1" ] \
  && printf '%s\n' "$out" | grep -q '^queue-drops 0 (qdisc noqueue on interface lo' \
  || fail "mctx-send printed '$out'"
echo "$out"
for page in mctx-send mctx-raw-send; do
  grep -qx "/usr/share/man/man1/$page.1.gz" "$work/files" || fail "mctx-tools has no manual page for $page"
done

echo "--- python3 -c 'import mctx' (no environment)"
out=$(cd "$work/home" && "${user_env[@]}" "${python_check[@]}" 2>&1) \
  || fail "/usr/bin/python3 cannot use the installed mctx module: $out"
[ "$out" = 0 ] || fail "mctx.Context().publication_count() printed '$out', expected '0'"
where=$(cd "$work/home" && "${user_env[@]}" /usr/bin/python3 -c 'import mctx; print(mctx.__file__)' 2>&1)
[ "$where" = "$pymodule/__init__.py" ] || fail "mctx is imported from '$where', not from $pymodule"
echo "publication_count() = $out, mctx from $pymodule"

echo "--- purge"
# On failure the cleanup tries once more.
dpkg_waiting --purge "${PACKAGES[@]}" || fail "purging the packages failed"
installed=no
known=$(known_to_dpkg) && fail "package $known is still known to dpkg after the purge"
left=0
while read -r path; do
  # Directories such as /usr/lib/<triplet> are shared with other packages.
  if [ ! -d "$path" ] && { [ -e "$path" ] || [ -L "$path" ]; }; then
    echo "left behind: $path"
    left=$((left + 1))
  fi
  case $path in /usr/share/doc/*/copyright)
    [ -d "$(dirname "$path")" ] && { echo "left behind: $(dirname "$path")"; left=$((left + 1)); } ;;
  esac
done <"$work/files"
[ "$left" -eq 0 ] || fail "$left files of the packages are still there"
# dh_python3's postinst byte-compiles into __pycache__, which no package lists.
[ -e "$pymodule" ] && fail "$pymodule is still there after the purge: $(find "$pymodule" | head -n 5)"
(cd "$work/home" && "${user_env[@]}" "${python_check[@]}" >/dev/null 2>&1) \
  && fail "/usr/bin/python3 still imports mctx after the purge"
ldconfig -p | grep -q 'libmctx' && fail "ldconfig still lists libmctx after the purge"
rm -rf "$work/home/.cache"
"${user_env[@]}" gst-inspect-1.0 mctxsink >/dev/null 2>&1 \
  && fail "gst-inspect-1.0 still finds mctxsink after the purge"

echo "packages built, lintian clean, installed, used and purged"
