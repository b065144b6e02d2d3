/* A full socket buffer on Windows is MCTX_E_WOULD_BLOCK (WSAEWOULDBLOCK),
 * transient, with errno's EWOULDBLOCK; the batch path stops where it hit
 * it. Needs a loopback that holds datagrams back: scripts/test-wine.sh
 * puts a slow token bucket on lo in its private namespace and says so in
 * MCTX_WINE_SLOW_LO; without it the test skips (Linux delivers loopback
 * datagrams at once, so the buffer never fills).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "wintest.h"
#include "expect-error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
  const char *slow = getenv("MCTX_WINE_SLOW_LO");
  if (slow == NULL || strcmp(slow, "1") != 0)
    testnet_skip("loopback is not shaped (MCTX_WINE_SLOW_LO unset): it "
                 "never holds datagrams back, so the buffer cannot fill");

  mctx_publication_config cfg;
  wintest_config(&cfg, "239.255.77.9", 46420, "127.0.0.1");
  cfg.send_buffer_size = 4096;
  mctx_publication *pub;
  mctx_error err;
  EXPECT_OK(mctx_publication_open(&cfg, &pub, &err), &err);

  static char payload[1400];
  int rc = MCTX_OK, sends = 0;
  for (; sends < 1000 && rc == MCTX_OK; sends++)
    rc = mctx_publication_send(pub, payload, sizeof payload, NULL, &err);
  EXPECT_ERROR(rc, &err, MCTX_E_WOULD_BLOCK, MCTX_SUBJECT_SOCKET);
  TESTNET_CHECK(err.sys_errno == EWOULDBLOCK && mctx_error_is_transient(rc),
                "errno %d", err.sys_errno);
  TESTNET_CHECK(mctx_publication_send(pub, payload, sizeof payload, NULL,
                                      NULL) == MCTX_E_WOULD_BLOCK,
                "without an mctx_error");

  mctx_buf buf = {payload, sizeof payload};
  mctx_datagram dgs[100];
  for (int i = 0; i < 100; i++)
    dgs[i] = (mctx_datagram){&buf, 1};
  size_t sent = 999;
  EXPECT_ERROR(mctx_publication_send_batch(pub, dgs, 100, &sent, &err), &err,
               MCTX_E_WOULD_BLOCK, MCTX_SUBJECT_SOCKET);
  TESTNET_CHECK(sent < 100, "sent %u of 100 into a full buffer",
                (unsigned) sent);

  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(m.would_block >= 3, "would_block counted %llu",
                (unsigned long long) m.would_block);
  mctx_publication_close(pub);
  printf("ok: would block after %d sends\n", sends);
  return 0;
}
