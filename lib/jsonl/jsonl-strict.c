/* Strict RFC 8259 syntax check for heimdall-jsonl-v1 lines and flags.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Why not json-glib alone: its parser accepts what the readers of
 * heimdall-jsonl-v1 files (serde_json, Python's json) refuse -- it stops at a
 * NUL byte and ignores what follows, skips comments, and takes single-quoted
 * strings and hex numbers -- and it recurses once per nesting level, so a line
 * nested 100,000 deep overflows the stack. This scanner runs first on every
 * line and flags text: it follows the RFC's grammar exactly, keeps its
 * nesting in a fixed array instead of recursing, and refuses anything deeper
 * than the caller's limit, so json-glib only ever sees small, valid input.
 */
#include "jsonl-strict.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
  EXPECT_VALUE,          /* at the start, after ':' and after ',' in [] */
  EXPECT_VALUE_OR_CLOSE, /* after '[' */
  EXPECT_KEY,            /* after ',' in {} */
  EXPECT_KEY_OR_CLOSE,   /* after '{' */
  EXPECT_COLON,
  EXPECT_COMMA_OR_CLOSE,
  EXPECT_END
} scan_state;

typedef struct {
  const unsigned char *start, *p, *end;
  jsonl_strict_problem *problem;
} scanner;

static jsonl_strict_result
fail(scanner *s, jsonl_strict_result result, const unsigned char *at,
     const char *why)
{
  if (s->problem != NULL) {
    s->problem->offset = (size_t) (at - s->start);
    s->problem->why = why;
  }
  return result;
}

static bool
is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

static bool
is_hex(unsigned char c)
{
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Why c cannot start a value or token here, for the error text. */
static const char *
unexpected(unsigned char c)
{
  switch (c) {
    case '\0':
      return "a NUL byte";
    case '\'':
      return "a single quote (JSON strings use double quotes)";
    case '/':
      return "a '/' (comments are not JSON)";
    case '#':
      return "a '#' (comments are not JSON)";
    case ',':
      return "a ',' where a value belongs (a missing or trailing value?)";
    case '}':
    case ']':
      return "a closing bracket that does not match";
    default:
      break;
  }
  if (c < 0x20)
    return "a control character";
  if (c >= 0x80)
    return "a non-ASCII byte outside a string";
  return "an unexpected character";
}

/* One UTF-8 sequence starting at s->p (a byte >= 0x80); RFC 3629's table, so
 * overlong forms, surrogates and code points above U+10FFFF are refused. */
static jsonl_strict_result
scan_utf8(scanner *s)
{
  const unsigned char *at = s->p;
  unsigned char c = *s->p++;
  unsigned char lo = 0x80, hi = 0xBF;
  int more;

  if (c >= 0xC2 && c <= 0xDF) {
    more = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    more = 2;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    more = 3;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return fail(s, JSONL_STRICT_INVALID, at, "a byte that is not UTF-8");
  }
  for (int i = 0; i < more; i++) {
    if (s->p == s->end)
      return fail(s, JSONL_STRICT_INCOMPLETE, s->p,
                  "the text ends inside a UTF-8 character");
    if (*s->p < lo || *s->p > hi)
      return fail(s, JSONL_STRICT_INVALID, at, "a byte that is not UTF-8");
    lo = 0x80;
    hi = 0xBF;
    s->p++;
  }
  return JSONL_STRICT_OK;
}

/* The four hex digits of a \u escape; s->p is after the 'u'. at is the
 * escape's backslash, for the error. */
static jsonl_strict_result
scan_hex4(scanner *s, const unsigned char *at, unsigned *value)
{
  *value = 0;
  for (int i = 0; i < 4; i++, s->p++) {
    if (s->p == s->end)
      return fail(s, JSONL_STRICT_INCOMPLETE, s->p,
                  "the text ends inside a string");
    if (!is_hex(*s->p))
      return fail(s, JSONL_STRICT_INVALID, at,
                  "a \\u escape without four hex digits");
    unsigned c = *s->p;
    *value = *value * 16 + (is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return JSONL_STRICT_OK;
}

/* A \u escape; s->p is after the 'u'. A UTF-16 surrogate must come in a
 * pair: serde_json refuses a lone one, and json-glib mangles it (it drops
 * the characters after it and returns bytes that are not UTF-8). */
static jsonl_strict_result
scan_unicode_escape(scanner *s, const unsigned char *at)
{
  unsigned value, low;
  jsonl_strict_result r = scan_hex4(s, at, &value);

  if (r != JSONL_STRICT_OK)
    return r;
  if (value >= 0xDC00 && value <= 0xDFFF)
    return fail(s, JSONL_STRICT_INVALID, at,
                "a \\u escape of an unpaired UTF-16 surrogate");
  if (value < 0xD800 || value > 0xDBFF)
    return JSONL_STRICT_OK;
  for (const char *next = "\\u"; *next; next++, s->p++) {
    if (s->p == s->end)
      return fail(s, JSONL_STRICT_INCOMPLETE, s->p,
                  "the text ends inside a string");
    if (*s->p != (unsigned char) *next)
      return fail(s, JSONL_STRICT_INVALID, at,
                  "a \\u escape of an unpaired UTF-16 surrogate");
  }
  if ((r = scan_hex4(s, at, &low)) != JSONL_STRICT_OK)
    return r;
  if (low < 0xDC00 || low > 0xDFFF)
    return fail(s, JSONL_STRICT_INVALID, at,
                "a \\u escape of an unpaired UTF-16 surrogate");
  return JSONL_STRICT_OK;
}

/* A string; s->p is on the opening quote. */
static jsonl_strict_result
scan_string(scanner *s)
{
  s->p++;
  while (s->p < s->end) {
    unsigned char c = *s->p;
    if (c == '"') {
      s->p++;
      return JSONL_STRICT_OK;
    }
    if (c == '\\') {
      const unsigned char *at = s->p++;
      if (s->p == s->end)
        break;
      c = *s->p++;
      if (c == 'u') {
        jsonl_strict_result r = scan_unicode_escape(s, at);
        if (r != JSONL_STRICT_OK)
          return r;
      } else if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' &&
                 c != 'n' && c != 'r' && c != 't') {
        return fail(s, JSONL_STRICT_INVALID, at,
                    "an unknown escape in a string");
      }
      continue;
    }
    if (c < 0x20)
      return fail(s, JSONL_STRICT_INVALID, s->p,
                  c == 0 ? "a NUL byte in a string"
                         : "a control character in a string (it must be "
                           "escaped)");
    if (c >= 0x80) {
      jsonl_strict_result r = scan_utf8(s);
      if (r != JSONL_STRICT_OK)
        return r;
      continue;
    }
    s->p++;
  }
  return fail(s, JSONL_STRICT_INCOMPLETE, s->p,
              "the text ends inside a string");
}

/* One or more digits; false when there is none. */
static bool
scan_digits(scanner *s)
{
  const unsigned char *first = s->p;
  while (s->p < s->end && is_digit(*s->p))
    s->p++;
  return s->p > first;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static jsonl_strict_result
scan_number(scanner *s)
{
  const unsigned char *at = s->p;

  if (*s->p == '-')
    s->p++;
  if (s->p == s->end)
    return fail(s, JSONL_STRICT_INCOMPLETE, s->p, "the text ends in a number");
  if (*s->p == '0') {
    s->p++;
    if (s->p < s->end && (*s->p == 'x' || *s->p == 'X'))
      return fail(s, JSONL_STRICT_INVALID, at, "a hex number (not JSON)");
    if (s->p < s->end && is_digit(*s->p))
      return fail(s, JSONL_STRICT_INVALID, at,
                  "a number with a leading zero (not JSON)");
  } else if (!scan_digits(s)) {
    return fail(s, JSONL_STRICT_INVALID, at, "a '-' without digits");
  }
  if (s->p < s->end && *s->p == '.') {
    s->p++;
    if (s->p == s->end)
      return fail(s, JSONL_STRICT_INCOMPLETE, s->p,
                  "the text ends in a number");
    if (!scan_digits(s))
      return fail(s, JSONL_STRICT_INVALID, at,
                  "a number without digits after its '.'");
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
      s->p++;
    if (s->p == s->end)
      return fail(s, JSONL_STRICT_INCOMPLETE, s->p,
                  "the text ends in a number");
    if (!scan_digits(s))
      return fail(s, JSONL_STRICT_INVALID, at,
                  "a number without digits in its exponent");
  }
  return JSONL_STRICT_OK;
}

static jsonl_strict_result
scan_literal(scanner *s, const char *word)
{
  const unsigned char *at = s->p;
  for (const char *w = word; *w; w++, s->p++) {
    if (s->p == s->end)
      return fail(s, JSONL_STRICT_INCOMPLETE, s->p,
                  "the text ends inside true, false or null");
    if (*s->p != (unsigned char) *w)
      return fail(s, JSONL_STRICT_INVALID, at,
                  "a word that is not true, false or null");
  }
  return JSONL_STRICT_OK;
}

jsonl_strict_result
jsonl_strict_check(const char *text, size_t len, unsigned max_depth,
                   jsonl_strict_problem *problem)
{
  /* '{' or '[' per open container; the fixed size is what keeps this
   * scanner free of recursion and allocation. */
  unsigned char open[JSONL_STRICT_DEPTH_CAP];
  unsigned depth = 0;
  scan_state state = EXPECT_VALUE;
  scanner s = {
      .start = (const unsigned char *) text,
      .p = (const unsigned char *) text,
      .end = (const unsigned char *) text + len,
      .problem = problem,
  };
  jsonl_strict_result r;

  if (max_depth > JSONL_STRICT_DEPTH_CAP)
    max_depth = JSONL_STRICT_DEPTH_CAP;
  for (;;) {
    while (s.p < s.end && is_space(*s.p))
      s.p++;
    if (s.p == s.end) {
      if (state == EXPECT_END)
        return JSONL_STRICT_OK;
      return fail(&s, JSONL_STRICT_INCOMPLETE, s.p,
                  s.p == s.start
                      ? "no JSON value"
                      : "the text ends before the value is complete");
    }
    unsigned char c = *s.p;
    bool value_done = false;

    switch (state) {
      case EXPECT_END:
        return fail(&s, JSONL_STRICT_INVALID, s.p,
                    c == '\0'
                        ? "a NUL byte after the JSON value"
                        : "text after the JSON value (one value per line)");
      case EXPECT_COLON:
        if (c != ':')
          return fail(&s, JSONL_STRICT_INVALID, s.p,
                      "a member name without ':'");
        s.p++;
        state = EXPECT_VALUE;
        continue;
      case EXPECT_COMMA_OR_CLOSE:
        if (c == ',') {
          s.p++;
          state = open[depth - 1] == '{' ? EXPECT_KEY : EXPECT_VALUE;
          continue;
        }
        if ((c == '}' && open[depth - 1] == '{') ||
            (c == ']' && open[depth - 1] == '[')) {
          s.p++;
          depth--;
          value_done = true;
          break;
        }
        return fail(&s, JSONL_STRICT_INVALID, s.p,
                    c == '}' || c == ']'
                        ? "a closing bracket that does not match"
                        : "a missing ',' or closing bracket");
      case EXPECT_KEY_OR_CLOSE:
      case EXPECT_KEY:
        if (c == '}' && state == EXPECT_KEY_OR_CLOSE) {
          s.p++;
          depth--;
          value_done = true;
          break;
        }
        if (c != '"')
          return fail(&s, JSONL_STRICT_INVALID, s.p,
                      c == '}'    ? "a trailing ',' in an object"
                      : c == '\'' ? "a single-quoted member name (not JSON)"
                                  : "a member name that is not a double-quoted "
                                    "string");
        if ((r = scan_string(&s)) != JSONL_STRICT_OK)
          return r;
        state = EXPECT_COLON;
        continue;
      case EXPECT_VALUE_OR_CLOSE:
        if (c == ']') {
          s.p++;
          depth--;
          value_done = true;
          break;
        }
        /* fall through */
      case EXPECT_VALUE:
        if (c == '{' || c == '[') {
          if (depth >= max_depth)
            return fail(&s, JSONL_STRICT_TOO_DEEP, s.p,
                        "objects and arrays nested too deep");
          open[depth++] = c;
          s.p++;
          state = c == '{' ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
          continue;
        }
        if (c == ']' && state == EXPECT_VALUE && depth > 0 &&
            open[depth - 1] == '[')
          return fail(&s, JSONL_STRICT_INVALID, s.p,
                      "a trailing ',' in an array");
        if (c == '"')
          r = scan_string(&s);
        else if (c == '-' || is_digit(c))
          r = scan_number(&s);
        else if (c == 't')
          r = scan_literal(&s, "true");
        else if (c == 'f')
          r = scan_literal(&s, "false");
        else if (c == 'n')
          r = scan_literal(&s, "null");
        else
          return fail(&s, JSONL_STRICT_INVALID, s.p, unexpected(c));
        if (r != JSONL_STRICT_OK)
          return r;
        value_done = true;
        break;
    }
    if (value_done)
      state = depth == 0 ? EXPECT_END : EXPECT_COMMA_OR_CLOSE;
  }
}
