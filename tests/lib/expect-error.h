/* Assertions on libmctx results: the code and the message naming the value.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_TEST_EXPECT_ERROR_H
#define MCTX_TEST_EXPECT_ERROR_H

#include "mctx.h"
#include "testnet.h"

#include <string.h>

/* rc and err->code must both be `code`, and err->message must contain
 * `needle` (the bad value, as a user would look for it). */
#define EXPECT_ERROR(rc, err, code, needle) \
  expect_error_at (__FILE__, __LINE__, (rc), (err), (code), (needle))

static inline void
expect_error_at (const char *file, int line, int rc, const mctx_error *err,
    int code, const char *needle)
{
  if (rc != code || err->code != code)
    testnet_fail (file, line, "code", "expected %s, got rc %s / err %s (\"%s\")",
        mctx_code_name (code), mctx_code_name (rc), mctx_code_name (err->code),
        err->message);
  if (strstr (err->message, needle) == NULL)
    testnet_fail (file, line, "message", "\"%s\" does not contain \"%s\"",
        err->message, needle);
}

/* rc is MCTX_OK and err was reset. */
#define EXPECT_OK(rc, err) \
  expect_ok_at (__FILE__, __LINE__, (rc), (err))

static inline void
expect_ok_at (const char *file, int line, int rc, const mctx_error *err)
{
  if (rc != MCTX_OK || err->code != MCTX_OK || err->message[0] != '\0')
    testnet_fail (file, line, "ok", "expected MCTX_OK, got %s / %s (\"%s\")",
        mctx_code_name (rc), mctx_code_name (err->code), err->message);
}

/* Parses an address the test knows is valid; fails the test otherwise. */
static inline mctx_ip
ip_of (const char *text)
{
  mctx_ip ip;
  mctx_error err;
  TESTNET_CHECK (mctx_ip_parse (text, &ip, &err) == MCTX_OK, "parse %s: %s",
      text, err.message);
  return ip;
}

#endif
