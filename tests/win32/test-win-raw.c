/* Raw publications on Windows: IPv4 with IP_HDRINCL sends a complete
 * UDP-in-IPv4 datagram that a socket on loopback receives with the
 * datagram's own source; IPv6 is refused with the reason.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "wintest.h"
#include "expect-error.h"
#include "ipbuild.h"

#include <stdio.h>
#include <string.h>

int
main(void)
{
  mctx_raw_config cfg;
  mctx_error err;
  mctx_raw_publication *pub;

  /* IPv6: refused at open, before any socket. */
  mctx_raw_config_init(&cfg);
  TESTNET_CHECK(mctx_interface_parse("::1", &cfg.interface, &err) == MCTX_OK,
                "parse");
  EXPECT_ERROR(mctx_raw_publication_open(&cfg, &pub, &err), &err,
               MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_FAMILY);
  TESTNET_CHECK(strstr(err.message, "IPV6_HDRINCL") != NULL, "reason: %s",
                err.message);

  /* IPv4 out of 127.0.0.1. */
  mctx_raw_config_init(&cfg);
  TESTNET_CHECK(mctx_interface_parse("127.0.0.1", &cfg.interface, &err) ==
                    MCTX_OK,
                "parse");
  int rc = mctx_raw_publication_open(&cfg, &pub, &err);
  if (rc == MCTX_E_RAW_PERMISSION_DENIED)
    testnet_skip("%s", err.message);
  EXPECT_OK(rc, &err);

  wintest_start();
  SOCKET r = wintest_receiver("239.255.77.5", 46430, 0);
  const uint8_t src[4] = {127, 0, 0, 1}, dst[4] = {239, 255, 77, 5};
  ipbuild_udp udp = {46431, 46430, "raw", 3};
  uint8_t datagram[64];
  size_t len = ipbuild_udp4(datagram, src, dst, 1, 7, &udp);
  mctx_raw_send_report report;
  EXPECT_OK(mctx_raw_publication_send(pub, datagram, len, &report, &err), &err);
  TESTNET_CHECK(report.bytes_sent == len &&
                    report.path == MCTX_RAW_PATH_IPV4_HDRINCL,
                "report");
  char buf[64], from[MCTX_ENDPOINT_STRLEN];
  int n = wintest_receive(r, buf, sizeof buf, 3000, from, sizeof from);
  TESTNET_CHECK(n == 3 && memcmp(buf, "raw", 3) == 0, "received %d bytes", n);
  TESTNET_CHECK(strcmp(from, "127.0.0.1:46431") == 0, "from %s", from);
  mctx_raw_publication_close(pub);
  closesocket(r);
  WSACleanup();
  printf("ok\n");
  return 0;
}
