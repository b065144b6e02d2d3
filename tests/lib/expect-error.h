/* Assertions on libmctx results: the code and the subject.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_TEST_EXPECT_ERROR_H
#define MCTX_TEST_EXPECT_ERROR_H

#include "mctx.h"
#include "testnet.h"

#include <string.h>

/* rc and err->code must both be `code`, err->subject `subject` (what a
 * caller maps the error to), and err->message must say something. The
 * words of the messages are pinned in one place, test-messages.c. */
#define EXPECT_ERROR(rc, err, code, subject) \
  expect_error_at(__FILE__, __LINE__, (rc), (err), (code), (subject))

static inline void
expect_error_at(const char *file, int line, int rc, const mctx_error *err,
                int code, mctx_subject subject)
{
  if (rc != code || err->code != code)
    testnet_fail(file, line, "code", "expected %s, got rc %s / err %s (\"%s\")",
                 mctx_code_name(code), mctx_code_name(rc),
                 mctx_code_name(err->code), err->message);
  if (err->subject != subject)
    testnet_fail(file, line, "subject", "expected %s, got %s (\"%s\")",
                 mctx_subject_name(subject), mctx_subject_name(err->subject),
                 err->message);
  if (err->message[0] == '\0')
    testnet_fail(file, line, "message", "%s without a message",
                 mctx_code_name(code));
}

/* rc is MCTX_OK and err was reset. */
#define EXPECT_OK(rc, err) expect_ok_at(__FILE__, __LINE__, (rc), (err))

static inline void
expect_ok_at(const char *file, int line, int rc, const mctx_error *err)
{
  if (rc != MCTX_OK || err->code != MCTX_OK ||
      err->subject != MCTX_SUBJECT_NONE || err->message[0] != '\0')
    testnet_fail(file, line, "ok", "expected MCTX_OK, got %s / %s (\"%s\")",
                 mctx_code_name(rc), mctx_code_name(err->code), err->message);
}

/* Parses an address the test knows is valid; fails the test otherwise. */
static inline mctx_ip
ip_of(const char *text)
{
  mctx_ip ip;
  mctx_error err;
  TESTNET_CHECK(mctx_ip_parse(text, &ip, &err) == MCTX_OK, "parse %s: %s", text,
                err.message);
  return ip;
}

#endif
