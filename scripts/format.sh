#!/usr/bin/env bash
# Formats mctx's C code, or with --check lists what is not formatted and
# exits 1 (CI runs the check). Two styles, one per kind of code:
#
# - GStreamer code (gst/, tests/gst/, examples/gst/): GStreamer's own style,
#   GNU indent with the options of GStreamer's gst-indent, run twice because
#   indent is not idempotent in one pass. Like GStreamer, only .c files.
# - Everything else (lib/, examples/, tests/, bench/): libmctx's style,
#   clang-format with the repository's .clang-format (libuv-like `f(x)`).
#
# Both tools come from Debian (indent, clang-format); their output can change
# between versions, so the check is meant for the versions scripts/setup.sh
# installs on Debian 12.
#
# SPDX-License-Identifier: BSD-2-Clause
set -euo pipefail

cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in indent clang-format; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "format: '$tool' is not installed (scripts/setup.sh installs it)" >&2
    exit 2
  fi
done

# gst_indent IN OUT
gst_indent() {
  local opts=(--braces-on-if-line --case-brace-indentation0 --case-indentation2
    --braces-after-struct-decl-line --line-length80 --no-tabs --cuddle-else
    --dont-line-up-parentheses --continuation-indentation4 --honour-newlines
    --tab-size8 --indent-level2 --leave-preprocessor-space)
  indent "${opts[@]}" -st "$1" > "$2.once"
  indent "${opts[@]}" -st "$2.once" > "$2"
}

is_gstreamer_code() {
  case $1 in
    gst/*|tests/gst/*|examples/gst/*) return 0 ;;
    *) return 1 ;;
  esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

unformatted=0
while IFS= read -r file; do
  out="$tmp/out"
  if is_gstreamer_code "$file"; then
    case $file in *.c) ;; *) continue ;; esac
    gst_indent "$file" "$out"
  else
    clang-format --style=file "$file" > "$out"
  fi
  if ! cmp -s "$file" "$out"; then
    if $check; then
      echo "not formatted: $file"
      diff -u "$file" "$out" | head -20 || true
      unformatted=$((unformatted + 1))
    else
      cat "$out" > "$file"
    fi
  fi
done < <(git ls-files -- '*.c' '*.h')

if $check && [ "$unformatted" -gt 0 ]; then
  echo "format: $unformatted file(s) need 'bash scripts/format.sh'" >&2
  exit 1
fi
