/* A strict RFC 8259 syntax check with a nesting limit, run on every line
 * before json-glib parses it (internal to libmctx-jsonl).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_JSONL_STRICT_H
#define MCTX_JSONL_STRICT_H

#include <stddef.h>

typedef enum {
  JSONL_STRICT_OK,
  /* The text stops before its value is complete: what a write cut short
   * leaves behind. */
  JSONL_STRICT_INCOMPLETE,
  /* Not JSON (a NUL byte, a comment, text after the value, ...). */
  JSONL_STRICT_INVALID,
  /* Objects and arrays nested deeper than the limit. */
  JSONL_STRICT_TOO_DEEP
} jsonl_strict_result;

/* What jsonl_strict_check() found wrong and where: offset is the byte
 * (from 0) where the problem was seen; why is a static text. */
typedef struct {
  size_t offset;
  const char *why;
} jsonl_strict_problem;

/* Checks that text[0..len) is exactly one JSON value (RFC 8259: UTF-8,
 * the grammar of section 2-7, whitespace around it) whose objects and arrays
 * nest at most max_depth deep (the outermost counts as 1); max_depth must be
 * at most JSONL_STRICT_DEPTH_CAP. Never recurses. problem may be NULL. */
#define JSONL_STRICT_DEPTH_CAP 256
jsonl_strict_result jsonl_strict_check(const char *text, size_t len,
                                       unsigned max_depth,
                                       jsonl_strict_problem *problem);

#endif /* MCTX_JSONL_STRICT_H */
