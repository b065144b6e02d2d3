/* mctx-core's IPv6 rules on Windows, on real sockets: the destination keeps
 * a scope id only for interface- and link-local groups (ff?1, ff?2; Windows
 * refuses wider groups that carry one), such groups need an interface, and
 * a datagram to ff31:: from ::1 out of loopback is received.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "wintest.h"
#include "expect-error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static mctx_publication *
open_or_skip(const char *group, uint16_t port, const char *itf,
             const char *source)
{
  mctx_publication_config cfg;
  wintest_config(&cfg, group, port, itf);
  mctx_error err;
  if (source != NULL)
    TESTNET_CHECK(mctx_ip_parse(source, &cfg.source_addr, &err) == MCTX_OK,
                  "%s", err.message);
  mctx_publication *pub;
  int rc = mctx_publication_open(&cfg, &pub, &err);
  /* Linux's lo has no IPv6 multicast route unless one is added
   * (scripts/test-wine.sh does in its namespace). */
  if (rc == MCTX_E_SOCKET_CONNECT_FAILED && err.sys_errno == ENETUNREACH)
    testnet_skip("no IPv6 multicast route on loopback (%s): run inside "
                 "scripts/test-wine.sh's namespace",
                 err.message);
  EXPECT_OK(rc, &err);
  return pub;
}

int
main(void)
{
  wintest_start();
  uint32_t lo = 0;
  mctx_error err;
  EXPECT_OK(mctx_interface_name_to_index("lo", &lo, &err), &err);

  /* A link-local group without an interface: refused before connect. */
  mctx_publication_config cfg;
  TESTNET_CHECK(mctx_publication_config_init_group(&cfg, "ff02::1", 46410,
                                                   &err) == MCTX_OK,
                "cfg");
  mctx_publication *pub;
  EXPECT_ERROR(mctx_publication_open(&cfg, &pub, &err), &err,
               MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE,
               MCTX_SUBJECT_INTERFACE);

  /* Global scope: no scope id on the destination. */
  pub = open_or_skip("ff3e::8000:4711", 46411, "lo", NULL);
  mctx_endpoint dest;
  mctx_publication_get_destination(pub, &dest);
  TESTNET_CHECK(dest.ip.scope_id == 0, "ff3e:: scope id %u",
                (unsigned) dest.ip.scope_id);
  mctx_publication_close(pub);

  /* Interface-local scope: the interface's index, and a datagram from ::1
   * received on loopback. */
  SOCKET r = wintest_receiver("ff31::8000:4711", 46412, lo);
  pub = open_or_skip("ff31::8000:4711", 46412, "lo", "::1");
  mctx_publication_get_destination(pub, &dest);
  TESTNET_CHECK(dest.ip.scope_id == lo, "ff31:: scope id %u, want %u",
                (unsigned) dest.ip.scope_id, (unsigned) lo);
  mctx_send_report report;
  EXPECT_OK(mctx_publication_send(pub, "six", 3, &report, &err), &err);
  char buf[64], from[MCTX_ENDPOINT_STRLEN];
  int n = wintest_receive(r, buf, sizeof buf, 3000, from, sizeof from);
  TESTNET_CHECK(n == 3 && memcmp(buf, "six", 3) == 0, "received %d bytes", n);
  TESTNET_CHECK(strncmp(from, "[::1]:", 6) == 0, "from %s", from);
  mctx_publication_close(pub);
  closesocket(r);

  /* Link-local scope with an index: kept. */
  pub = open_or_skip("ff12::4711", 46413, "lo", NULL);
  mctx_publication_get_destination(pub, &dest);
  TESTNET_CHECK(dest.ip.scope_id == lo, "ff12:: scope id %u",
                (unsigned) dest.ip.scope_id);
  mctx_publication_close(pub);

  WSACleanup();
  printf("ok\n");
  return 0;
}
