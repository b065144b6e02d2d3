#!/usr/bin/env bash
# Checks the code style (scripts/format.sh --check), then runs every test
# twice: in a build with warnings as errors (build-ci/), then
# in one with AddressSanitizer and UBSan (build-ci-asan/); then libmctx's own
# suites (addr, pub, gso, metrics: the threaded ones) a third time under
# ThreadSanitizer (build-ci-tsan/, without the element: GLib and GStreamer
# are not instrumented, see docs/testing.md); then, when clang is installed,
# each libFuzzer target for a short time (tests/fuzz/smoke.sh,
# build-ci-fuzz/, about 15 s a target); then the Windows step
# (scripts/test-wine.sh: a mingw-w64 cross build, build-ci-win/, whose tests
# run under wine). Prints the summaries, then one closing line
# "N passed, N failed, N skipped" over all of it (a fuzz target counts as one
# test), and exits non-zero on any failure. Privileged tests (network
# namespaces, raw sockets) run as root and are skipped otherwise; so is the
# Debian package test, which runs in the first build only.
#
# SPDX-License-Identifier: BSD-2-Clause
set -uo pipefail

cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1

failed_steps=()

# Configures dir with the given options (again, if it exists) and builds it.
build() {
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
  else
    meson setup "$dir" "$@" || return 1
  fi
  ninja -C "$dir"
}

# Builds and tests one configuration; a failed build counts as a failure.
run_suite() {
  local dir=$1
  shift
  echo "=== $dir: build ($*)"
  if ! build "$dir" "$@"; then
    failed_steps+=("$dir: build failed")
    return
  fi
  echo "=== $dir: meson test"
  # The log of an earlier run must not be counted if this one cannot start.
  rm -f "$dir/meson-logs/testlog.json"
  if ! meson test -C "$dir" --print-errorlogs "${test_args[@]+"${test_args[@]}"}"; then
    failed_steps+=("$dir: tests failed")
  fi
}

# One style per kind of code (scripts/format.sh): a diff fails the run.
echo "=== format: scripts/format.sh --check"
if ! bash scripts/format.sh --check; then
  failed_steps+=("format: run 'bash scripts/format.sh' and commit the result")
fi

# The Debian package test (tests/pkg, root only) builds, installs and purges
# the packages: once is enough, in the plain build.
test_args=()
export MCTX_PACKAGE_TEST=1
run_suite build-ci -Dwerror=true
unset MCTX_PACKAGE_TEST
test_args=(--no-suite pkg)

export ASAN_OPTIONS="halt_on_error=1:print_stacktrace=1:abort_on_error=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# GStreamer scans plugins in a forked gst-plugin-scanner, which is not built
# with ASan and so cannot load the instrumented plugin (it blacklists it);
# scanning in the test process itself works.
export GST_REGISTRY_FORK=no
run_suite build-ci-asan -Dwerror=true -Db_sanitize=address,undefined

echo "=== build-ci-fuzz: libFuzzer smoke run"
rm -f build-ci-fuzz/fuzz-results
bash tests/fuzz/smoke.sh
fuzz_status=$?
[ $fuzz_status -eq 0 ] || [ $fuzz_status -eq 77 ] \
  || failed_steps+=("build-ci-fuzz: fuzzing found a problem")

unset ASAN_OPTIONS UBSAN_OPTIONS GST_REGISTRY_FORK
# ThreadSanitizer: a report fails the test (exit status 66). The suppressions
# file names what is not ours (json-glib, GLib, used by the JSONL tests).
test_args=(--suite addr --suite pub --suite gso --suite metrics)
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
run_suite build-ci-tsan -Dwerror=true -Db_sanitize=thread -Dgst=disabled \
  -Dbench=false
unset TSAN_OPTIONS

echo "=== build-ci-win: Windows (mingw-w64, wine)"
if ! bash scripts/test-wine.sh build-ci-win; then
  failed_steps+=("build-ci-win: Windows step failed")
fi

# testlog.json holds one JSON object per test, with its "result".
count() {
  local result_re=$1 total=0 dir n
  for dir in build-ci build-ci-asan build-ci-tsan; do
    [ -f "$dir/meson-logs/testlog.json" ] || continue
    n=$(grep -oE '"result": *"[A-Z]+"' "$dir/meson-logs/testlog.json" \
        | grep -cE "\"($result_re)\"" || true)
    total=$((total + n))
  done
  echo "$total"
}

# The Windows step writes "PASS name", "FAIL name", "SKIP name: why".
count_wine() {
  local log=build-ci-win/wine-results.txt
  [ -f "$log" ] || { echo 0; return; }
  grep -c "^$1" "$log" || true
}

passed=$(( $(count 'OK|EXPECTEDFAIL') + $(count_wine PASS) ))
failed=$(( $(count 'FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS') + $(count_wine FAIL) ))
skipped=$(( $(count 'SKIP') + $(count_wine SKIP) ))

# One line "<target> OK|FAIL" per fuzz target; no clang: one skip.
if [ -f build-ci-fuzz/fuzz-results ]; then
  passed=$((passed + $(grep -c ' OK$' build-ci-fuzz/fuzz-results)))
  failed=$((failed + $(grep -c ' FAIL$' build-ci-fuzz/fuzz-results)))
elif [ $fuzz_status -eq 77 ]; then
  skipped=$((skipped + 1))
fi

echo
echo "=== summary"
for dir in build-ci build-ci-asan build-ci-tsan; do
  log="$dir/meson-logs/testlog.json"
  [ -f "$log" ] || { echo "$dir: no test log"; continue; }
  grep -oE '"name": *"[^"]*"|"result": *"[A-Z]+"' "$log" \
    | sed -E 's/"[a-z]+": *"([^"]*)"/\1/' | paste - - \
    | awk -F '\t' -v dir="$dir" '$2 != "OK" { printf "%s: %-40s %s\n", dir, $1, $2 }'
done
[ -f build-ci-fuzz/fuzz-results ] \
  && grep ' FAIL$' build-ci-fuzz/fuzz-results | sed 's/^/build-ci-fuzz: fuzz-/'

[ -f build-ci-win/wine-results.txt ] \
  && grep -v '^PASS' build-ci-win/wine-results.txt | sed 's/^/build-ci-win: /'
for step in "${failed_steps[@]+"${failed_steps[@]}"}"; do
  echo "$step"
done
# A build that failed ran no tests, and the format check is no meson test:
# count each so the total cannot look clean.
for step in "${failed_steps[@]+"${failed_steps[@]}"}"; do
  case $step in *"build failed"|format:*) failed=$((failed + 1)) ;; esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ ${#failed_steps[@]} -eq 0 ]
