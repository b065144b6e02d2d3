/* The capability answers match what sends then do: with CAP_NET_RAW every
 * way is announced, explicit interface and route-selected, and a datagram
 * sent that way arrives at the far end of a veth (the path reported is the
 * announced one). (Without the capability: test-raw-noperm.)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

static void
send_arrives(mctx_raw_publication *pub, const uint8_t *d, size_t len, int cap,
             const char *marker, mctx_raw_path want_path)
{
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "%s: %s (%s)", marker, err.message,
                mctx_code_name(rc));
  TESTNET_CHECK(report.path == want_path, "%s: path %d, announced %d", marker,
                report.path, want_path);
  uint8_t got[2048];
  int n = rawtest_capture_find(cap, marker, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0 && (size_t) n == len, "%s never arrived whole", marker);
  printf("ok %s: sent and arrived as announced\n", marker);
}

static void
send_ipv4(mctx_raw_publication *pub, int cap, const char *group,
          const char *marker)
{
  uint8_t d[256];
  size_t len = rawtest_ipv4_udp(d, "198.51.100.7", group, 2, 0x99, 4000, 5004,
                                marker, strlen(marker));
  send_arrives(pub, d, len, cap, marker, MCTX_RAW_PATH_IPV4_HDRINCL);
}

/* A source of this host (the kernel way), then a far one (link layer). */
static void
send_both_ipv6(mctx_raw_publication *pub, int cap, const char *suffix)
{
  static const struct {
    const char *source, *name;
    mctx_raw_path path;
  } ways[] = {{"fd77::1", "local", MCTX_RAW_PATH_IPV6_KERNEL_HEADER},
              {"2001:db8::7", "any", MCTX_RAW_PATH_IPV6_LINK_LAYER}};
  for (size_t i = 0; i < 2; i++) {
    char marker[64];
    snprintf(marker, sizeof marker, "mctx-raw-caps-v6-%s%s", ways[i].name,
             suffix);
    uint8_t d[256];
    size_t len = rawtest_ipv6_udp(d, ways[i].source, "ff3e::77:6", 0, 0, 2,
                                  false, 4000, 5004, marker, strlen(marker));
    send_arrives(pub, d, len, cap, marker, ways[i].path);
  }
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  int cap = rawtest_capture_open(pair.peer, "rv1");

  mctx_raw_capabilities caps;
  mctx_error err;
  TESTNET_CHECK(mctx_raw_capabilities_probe(&caps, &err) == MCTX_OK, "%s",
                err.message);
  printf("probed: ipv4 %s, ipv6 local %s, ipv6 any %s, route %s/%s\n",
         mctx_raw_capability_name(caps.ipv4),
         mctx_raw_capability_name(caps.ipv6_local_source),
         mctx_raw_capability_name(caps.ipv6_any_source),
         mctx_raw_capability_name(caps.ipv4_route_selected),
         mctx_raw_capability_name(caps.ipv6_route_selected));
  TESTNET_CHECK(caps.ipv4 == MCTX_RAW_CAPABILITY_FULL_DATAGRAM &&
                    caps.ipv4_errno == 0,
                "ipv4 %d", caps.ipv4);
  TESTNET_CHECK(caps.ipv6_local_source ==
                    MCTX_RAW_CAPABILITY_KERNEL_REBUILT_IPV6_HEADER,
                "ipv6 local %d", caps.ipv6_local_source);
  TESTNET_CHECK(caps.ipv6_any_source == MCTX_RAW_CAPABILITY_FULL_DATAGRAM,
                "ipv6 any %d", caps.ipv6_any_source);
  TESTNET_CHECK(caps.ipv4_route_selected == MCTX_RAW_CAPABILITY_FULL_DATAGRAM &&
                    caps.ipv6_route_selected ==
                        MCTX_RAW_CAPABILITY_FULL_DATAGRAM &&
                    caps.ipv6_route_selected_errno == 0,
                "route-selected announced %d %d", caps.ipv4_route_selected,
                caps.ipv6_route_selected);

  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV4, NULL, "rv0", -1);
  send_ipv4(pub, cap, "239.77.6.1", "mctx-raw-caps-v4");
  mctx_raw_publication_close(pub);
  pub = rawtest_open(MCTX_FAMILY_IPV6, NULL, "rv0", -1);
  send_both_ipv6(pub, cap, "");
  mctx_raw_publication_close(pub);

  /* Route-selected sends as announced (test-raw-route and
   * test-raw-route6 follow route changes); IPv6 both ways, as with an
   * interface. */
  testnet_sh_ok("ip route add 232.77.6.0/24 dev rv0");
  testnet_sh_ok("ip -6 route add ff3e::77:0/112 dev rv0 table local");
  pub = rawtest_open_routed(MCTX_FAMILY_IPV4);
  send_ipv4(pub, cap, "232.77.6.1", "mctx-raw-caps-v4-routed");
  mctx_raw_publication_close(pub);
  pub = rawtest_open_routed(MCTX_FAMILY_IPV6);
  send_both_ipv6(pub, cap, "-routed");
  mctx_raw_publication_close(pub);
  printf("PASS\n");
  return 0;
}
