#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-ci-fuzz/ and runs each for
# a short time (FUZZ_SECONDS, 15 by default) from its seed corpus in
# tests/fuzz/corpus/. New inputs go to a scratch copy, never into the tree.
# Writes one line "<target> OK|FAIL" per target to build-ci-fuzz/fuzz-results
# (scripts/test.sh counts them) and exits non-zero when a target found
# something or the build failed. A crashing input is kept in
# build-ci-fuzz/fuzz-artifacts/. Without clang it prints why and exits 77.
#
# SPDX-License-Identifier: BSD-2-Clause
set -uo pipefail

cd "$(dirname "$0")/../.."

dir=build-ci-fuzz
seconds=${FUZZ_SECONDS:-15}
targets=(jsonl-file jsonl-flags raw-datagram addr uri)

if ! command -v clang >/dev/null; then
  echo "fuzz: SKIP: clang is not installed (libFuzzer needs it)"
  exit 77
fi
probe=$(mktemp -d)
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
      { (void) d; (void) n; return 0; }' >"$probe/probe.c"
if ! clang -fsanitize=fuzzer "$probe/probe.c" -o "$probe/probe" 2>/dev/null; then
  rm -rf "$probe"
  echo "fuzz: SKIP: clang cannot link -fsanitize=fuzzer (install libclang-rt-dev)"
  exit 77
fi
rm -rf "$probe"

options=(-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
         -Ddefault_library=static -Dtests=false -Dbench=false -Dgst=auto
         -Dwerror=true)
mkdir -p "$dir"
results=$dir/fuzz-results
: >"$results"
if [ -f "$dir/build.ninja" ]; then
  CC=clang meson setup --reconfigure "$dir" "${options[@]}" >/dev/null
else
  CC=clang meson setup "$dir" "${options[@]}" >/dev/null
fi
if [ $? -ne 0 ] || ! ninja -C "$dir" >/dev/null; then
  echo "fuzz: the clang build in $dir failed"
  echo "build FAIL" >>"$results"
  exit 1
fi

artifacts=$dir/fuzz-artifacts
mkdir -p "$artifacts"
status=0
for target in "${targets[@]}"; do
  binary=$dir/tests/fuzz/fuzz-$target
  if [ ! -x "$binary" ]; then
    # jsonl-* need json-glib, uri GStreamer; a build without them has no
    # such target.
    echo "fuzz-$target: not built, skipped"
    continue
  fi
  scratch=$(mktemp -d)
  dict=()
  case $target in jsonl-*) dict=(-dict=tests/fuzz/json.dict) ;; esac
  # -timeout: one input may take 10 s at most; -rss_limit_mb bounds memory.
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
       -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
       "${dict[@]}" "$scratch" "tests/fuzz/corpus/$target" \
       >"$dir/fuzz-$target.log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' \
             "$dir/fuzz-$target.log" | grep -oE '[0-9]+$')
    echo "fuzz-$target: OK (${runs:-?} runs in ${seconds} s)"
    echo "$target OK" >>"$results"
  else
    echo "fuzz-$target: FAIL (log: $dir/fuzz-$target.log; input kept in" \
         "$artifacts/)"
    grep -E 'ERROR|SUMMARY|runtime error' "$dir/fuzz-$target.log" | head -5
    echo "$target FAIL" >>"$results"
    status=1
  fi
  rm -rf "$scratch"
done
exit $status
