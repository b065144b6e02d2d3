/* Raw IPv4 on the wire: a datagram with a source that is no address of this
 * host leaves byte for byte, and a TTL override changes only the TTL and the
 * header checksum. Captured on the receiving end of a veth.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

static void
send_ok(mctx_raw_publication *pub, const uint8_t *d, size_t len,
        const rawtest_pair *pair, const char *source)
{
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "send: %s (%s)", err.message,
                mctx_code_name(rc));
  char text[MCTX_IP_STRLEN];
  TESTNET_CHECK(report.path == MCTX_RAW_PATH_IPV4_HDRINCL, "path %d",
                report.path);
  TESTNET_CHECK(report.interface_index == pair->local_index,
                "interface index %u, rv0 is %u", report.interface_index,
                pair->local_index);
  TESTNET_CHECK(report.bytes_sent == len, "bytes %zu", report.bytes_sent);
  TESTNET_CHECK(report.datagram.protocol == 17, "protocol %u",
                report.datagram.protocol);
  mctx_ip_format(&report.datagram.source, text, sizeof text);
  TESTNET_CHECK(strcmp(text, source) == 0, "report source %s", text);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  int cap = rawtest_capture_open(pair.peer, "rv1");
  uint8_t d[256], got[2048];

  /* 1. The AMT case: a far source, a nonzero IP id, left as given. */
  const char *marker1 = "mctx-raw-v4-nonlocal";
  size_t len = rawtest_ipv4_udp(d, "198.51.100.7", "239.77.4.1", 3, 0x1234,
                                4000, 5004, marker1, strlen(marker1));
  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV4, NULL, "rv0", -1);
  send_ok(pub, d, len, &pair, "198.51.100.7");
  int n = rawtest_capture_find(cap, marker1, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0, "the datagram never reached rv1");
  TESTNET_CHECK((size_t) n == len && memcmp(got, d, len) == 0,
                "captured %d bytes differ from the %zu sent", n, len);
  printf("ok non-local source 198.51.100.7, id 0x1234: byte for byte\n");

  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(
      m.send_calls == 1 && m.packets_sent == 1 && m.bytes_sent == len &&
          m.send_errors == 0,
      "metrics %llu %llu %llu %llu", (unsigned long long) m.send_calls,
      (unsigned long long) m.packets_sent, (unsigned long long) m.bytes_sent,
      (unsigned long long) m.send_errors);
  mctx_raw_publication_close(pub);

  /* 2. TTL override, egress chosen by the bind address alone. */
  const char *marker2 = "mctx-raw-v4-ttl";
  len = rawtest_ipv4_udp(d, "198.51.100.8", "239.77.4.2", 1, 0x4321, 4000, 5004,
                         marker2, strlen(marker2));
  pub = rawtest_open(MCTX_FAMILY_IPV4, "10.77.0.1", NULL, 9);
  send_ok(pub, d, len, &pair, "198.51.100.8");
  n = rawtest_capture_find(cap, marker2, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0, "the TTL-overridden datagram never reached rv1");
  TESTNET_CHECK((size_t) n == len, "captured %d bytes, sent %zu", n, len);
  TESTNET_CHECK(got[8] == 9, "TTL on the wire %u, expected 9", got[8]);
  uint16_t wire_check = (uint16_t) ((got[10] << 8) | got[11]);
  uint16_t want_check = ipbuild_ipv4_header_checksum(got, 20);
  TESTNET_CHECK(wire_check == want_check,
                "header checksum 0x%04x, correct is 0x%04x", wire_check,
                want_check);
  TESTNET_CHECK(memcmp(got, d, 8) == 0 && got[9] == d[9] &&
                    memcmp(got + 12, d + 12, len - 12) == 0,
                "bytes other than TTL and checksum changed");
  /* The caller's buffer is never written. */
  TESTNET_CHECK(d[8] == 1, "the caller's datagram was modified");
  printf("ok TTL override 1 -> 9, header checksum 0x%04x correct\n",
         wire_check);

  /* Same TTL as the override: sent as given. */
  d[8] = 9;
  uint16_t c = ipbuild_ipv4_header_checksum(d, 20);
  d[10] = (uint8_t) (c >> 8);
  d[11] = (uint8_t) c;
  send_ok(pub, d, len, &pair, "198.51.100.8");
  n = rawtest_capture_find(cap, marker2, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0 && (size_t) n == len && memcmp(got, d, len) == 0,
                "datagram with TTL equal to the override changed");
  printf("ok TTL equal to the override: byte for byte\n");
  mctx_raw_publication_close(pub);

  printf("PASS\n");
  return 0;
}
