/* Route-selected raw egress, IPv6: no interface, no bind address; each
 * datagram leaves by the interface a route gives its group, far sources
 * byte for byte on the link, local sources through the kernel. Two veths
 * into the same peer namespace, captured on both:
 *  - a route changed mid-stream takes the next datagrams the new way (the
 *    route event forgets the cached lookup);
 *  - without a table-local route the main table decides; without any route
 *    the send fails naming the group, counted, and recovers with a route;
 *  - the routed link deleted: the send fails, counted;
 *  - batches; link-local groups need an interface.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GROUP "ff3e::77:1"

static uint32_t rw0_index;

/* Longer than the millisecond between two reads of the route events, so
 * a route change made before is seen by the next send. */
static void
let_events_be_read(void)
{
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
}

static size_t
build(uint8_t *d, bool local_source, int seq, char *marker, size_t size)
{
  snprintf(marker, size, "mctx-raw-route6-%02d;", seq);
  /* Flow label 0, as the kernel way writes it (auto_flowlabels off), so
   * both ways arrive byte for byte. */
  return rawtest_ipv6_udp(d, local_source ? "fd77::1" : "2001:db8:77::7", GROUP,
                          0x20, 0, 9, false, 4000, 5004, marker,
                          strlen(marker));
}

static void
send_and_expect(mctx_raw_publication *pub, int seq, int want, int other,
                uint32_t ifindex, const char *where)
{
  char marker[48];
  uint8_t d[256];
  bool local_source = seq % 2 == 1;
  size_t len = build(d, local_source, seq, marker, sizeof marker);
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "send %d: %s (%s)", seq, err.message,
                mctx_code_name(rc));
  TESTNET_CHECK(report.interface_index == ifindex,
                "send %d: report names index %u, the route %u", seq,
                report.interface_index, ifindex);
  mctx_raw_path path = local_source ? MCTX_RAW_PATH_IPV6_KERNEL_HEADER
                                    : MCTX_RAW_PATH_IPV6_LINK_LAYER;
  TESTNET_CHECK(report.path == path, "send %d: path %d", seq, report.path);
  rawtest_expect_only_on(want, other, d, len, marker, where);
}

static uint64_t
send_errors(const mctx_raw_publication *pub)
{
  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(pub, &m);
  return m.send_errors;
}

/* The send fails (MCTX_E_SEND_FAILED), and is counted. */
static void
expect_failure(mctx_raw_publication *pub, int seq, const char *what,
               int want_errno)
{
  char marker[48];
  uint8_t d[256];
  size_t len = build(d, false, seq, marker, sizeof marker);
  uint64_t before = send_errors(pub);
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_SEND_FAILED, "%s: %s (%s)", what,
                mctx_code_name(rc), err.message);
  TESTNET_CHECK(want_errno == 0 || err.sys_errno == want_errno,
                "%s: errno %d (%s)", what, err.sys_errno, err.message);
  TESTNET_CHECK(send_errors(pub) == before + 1, "%s: not counted", what);
  printf("ok %s: %s\n", what, err.message);
}

static void
batch(mctx_raw_publication *pub, int cap_v)
{
  enum { COUNT = 12, FIRST = 40 };
  static uint8_t d[COUNT][256];
  mctx_buf bufs[COUNT];
  mctx_datagram list[COUNT];
  char markers[COUNT][48];
  for (int i = 0; i < COUNT; i++) {
    bufs[i] = (mctx_buf){d[i], build(d[i], i % 4 == 3, FIRST + i, markers[i],
                                     sizeof markers[i])};
    list[i] = (mctx_datagram){.bufs = &bufs[i], .nbufs = 1};
  }
  size_t sent = 0;
  mctx_error err;
  int rc = mctx_raw_publication_send_batch(pub, list, COUNT, &sent, &err);
  TESTNET_CHECK(rc == MCTX_OK && sent == COUNT, "batch: %zu sent: %s", sent,
                err.message);
  for (int i = 0; i < COUNT; i++)
    rawtest_expect_only_on(cap_v, -1, d[i], bufs[i].len, markers[i], "rv1");
  printf("ok a batch of %d, both ways mixed, arrived in order\n", COUNT);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  testnet_veth("rw0", pair.peer, "rw1");
  testnet_sh_ok("ip addr add fd78::1/64 dev rw0 nodad");
  testnet_sh_ok("sysctl -qw net.ipv6.auto_flowlabels=0");
  testnet_wait_ipv6_ready(pair.peer, 3000);
  rw0_index = testnet_ifindex("rw0");
  testnet_sh_ok("ip -6 route add ff3e::/16 dev rv0 table local");
  int cap_v = rawtest_capture_open(pair.peer, "rv1");
  int cap_w = rawtest_capture_open(pair.peer, "rw1");

  mctx_raw_publication *pub = rawtest_open_routed(MCTX_FAMILY_IPV6);

  int seq = 0;
  for (; seq < 4; seq++)
    send_and_expect(pub, seq, cap_v, cap_w, pair.local_index, "rv1");
  printf("ok 4 datagrams (far and local sources) by the route via rv0\n");

  testnet_sh_ok("ip -6 route replace ff3e::/16 dev rw0 table local");
  let_events_be_read();
  for (; seq < 8; seq++)
    send_and_expect(pub, seq, cap_w, cap_v, rw0_index, "rw1");
  printf("ok route changed mid-stream: the next 4 via rw0\n");

  /* Only the automatic ff00::/8 routes in the local table: the main
   * table's route decides. */
  testnet_sh_ok("ip -6 route del ff3e::/16 table local");
  testnet_sh_ok("ip -6 route add ff3e::/16 dev rv0");
  let_events_be_read();
  for (; seq < 10; seq++)
    send_and_expect(pub, seq, cap_v, cap_w, pair.local_index, "rv1");
  printf("ok a main-table route picks rv0\n");

  testnet_sh_ok("ip -6 route del ff3e::/16");
  let_events_be_read();
  expect_failure(pub, seq++, "no route", ENETUNREACH);
  expect_failure(pub, seq++, "still no route (remembered)", ENETUNREACH);
  testnet_sh_ok("ip -6 route add ff3e::/16 dev rw0 table local");
  let_events_be_read();
  send_and_expect(pub, seq++, cap_w, cap_v, rw0_index, "rw1");
  printf("ok a route added: sent again\n");

  /* The link of the route goes, its routes with it; a send right after
   * (the event perhaps not read yet) fails as well. */
  close(cap_w);
  testnet_sh_ok("ip link del rw0");
  expect_failure(pub, seq++, "routed link deleted", 0);
  let_events_be_read();
  expect_failure(pub, seq++, "routed link deleted, event read", ENETUNREACH);
  testnet_sh_ok("ip -6 route add ff3e::/16 dev rv0 table local");
  let_events_be_read();
  send_and_expect(pub, seq++, cap_v, -1, pair.local_index, "rv1");
  printf("ok recovered on rv0\n");
  batch(pub, cap_v);

  /* A link-local group names no route. */
  uint8_t d[256];
  size_t len = rawtest_ipv6_udp(d, "2001:db8:77::7", "ff02::77", 0, 0, 1, false,
                                4000, 5004, "x", 1);
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE,
                "ff02::77: %s", mctx_code_name(rc));
  printf("ok %s\n", err.message);
  mctx_raw_publication_close(pub);
  printf("PASS\n");
  return 0;
}
