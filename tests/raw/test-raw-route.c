/* Route-selected raw egress (IPv4): no interface, no bind address; each
 * datagram leaves by the interface the routing table gives its group, and
 * a route changed mid-stream takes the next datagram the new way. Two veths
 * into the same peer namespace, captured on both.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

static void
send_and_expect(mctx_raw_publication *pub, int want, int other, int seq,
                const char *where)
{
  char marker[48];
  snprintf(marker, sizeof marker, "mctx-raw-route-%02d;", seq);
  uint8_t d[256];
  size_t len = rawtest_ipv4_udp(d, "198.51.100.7", "232.77.8.1", 3,
                                (uint16_t) (0x100 + seq), 4000, 5004, marker,
                                strlen(marker));
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "send %d: %s", seq, err.message);
  TESTNET_CHECK(report.interface_index == 0,
                "route-selected report names index %u", report.interface_index);
  rawtest_expect_only_on(want, other, d, len, marker, where);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  testnet_veth("rw0", pair.peer, "rw1");
  testnet_sh_ok("ip addr add 10.78.0.1/24 dev rw0");
  testnet_sh_ok("ip route add 232.77.8.0/24 dev rv0");
  int cap_v = rawtest_capture_open(pair.peer, "rv1");
  int cap_w = rawtest_capture_open(pair.peer, "rw1");

  mctx_raw_publication *pub = rawtest_open_routed(MCTX_FAMILY_IPV4);

  for (int seq = 0; seq < 3; seq++)
    send_and_expect(pub, cap_v, cap_w, seq, "rv1");
  printf("ok 3 datagrams by the route via rv0\n");
  testnet_sh_ok("ip route replace 232.77.8.0/24 dev rw0");
  for (int seq = 3; seq < 6; seq++)
    send_and_expect(pub, cap_w, cap_v, seq, "rw1");
  printf("ok route changed mid-stream: the next 3 via rw0\n");
  testnet_sh_ok("ip route del 232.77.8.0/24");
  uint8_t d[256];
  size_t len = rawtest_ipv4_udp(d, "198.51.100.7", "232.77.8.1", 3, 7, 4000,
                                5004, "x", 1);
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_SEND_FAILED, "no route: %s", mctx_code_name(rc));
  printf("ok no route: %s\n", err.message);
  mctx_raw_publication_close(pub);

  /* The config rules of route-selected egress. */
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  cfg.family = MCTX_FAMILY_IPV4;
  cfg.egress = MCTX_RAW_EGRESS_ROUTE_SELECTED;
  cfg.ttl = 4;
  rc = mctx_raw_publication_open(&cfg, &pub, &err);
  TESTNET_CHECK(rc == MCTX_E_RAW_UNSUPPORTED, "ttl override: %s",
                mctx_code_name(rc));
  printf("ok %s\n", err.message);
  cfg.ttl = -1;
  TESTNET_CHECK(mctx_interface_parse("rv0", &cfg.interface, &err) == MCTX_OK,
                "%s", err.message);
  rc = mctx_raw_publication_open(&cfg, &pub, &err);
  TESTNET_CHECK(rc == MCTX_E_RAW_UNSUPPORTED, "with interface: %s",
                mctx_code_name(rc));
  printf("ok %s\nPASS\n", err.message);
  return 0;
}
