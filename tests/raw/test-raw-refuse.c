/* Every malformed datagram, and every datagram to a unicast address, is
 * refused with its code, counted as a send error, and nothing reaches the
 * wire. A valid datagram sent last shows the capture would have seen it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

#define MARKER "mctx-raw-refused"

static mctx_raw_publication *
open_family(mctx_family family)
{
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  mctx_error err;
  TESTNET_CHECK(mctx_interface_parse("rv0", &cfg.interface, &err) == MCTX_OK,
                "%s", err.message);
  cfg.family = family;
  mctx_raw_publication *pub;
  int rc = mctx_raw_publication_open(&cfg, &pub, &err);
  TESTNET_CHECK(rc == MCTX_OK, "open: %s (%s)", err.message,
                mctx_code_name(rc));
  return pub;
}

static int refused;

static void
refuse(mctx_raw_publication *pub, const uint8_t *d, size_t len, int code,
       mctx_subject subject, const char *label)
{
  mctx_error err;
  mctx_raw_send_report report;
  memset(&report, 0x5a, sizeof report);
  int rc = mctx_raw_publication_send(pub, d, len, &report, &err);
  TESTNET_CHECK(rc == code, "%s: got %s (%s), expected %s", label,
                mctx_code_name(rc), err.message, mctx_code_name(code));
  TESTNET_CHECK(err.subject == subject, "%s: subject %s, expected %s", label,
                mctx_subject_name(err.subject), mctx_subject_name(subject));
  refused++;
  printf("ok refused %s: %s\n", label, err.message);
}

static void
expect_errors(const mctx_raw_publication *pub, uint64_t errors)
{
  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(
      m.send_calls == errors && m.send_errors == errors &&
          m.packets_sent == 0 && m.bytes_sent == 0 && m.would_block == 0,
      "metrics: calls %llu errors %llu sent %llu, expected %llu "
      "errors and nothing sent",
      (unsigned long long) m.send_calls, (unsigned long long) m.send_errors,
      (unsigned long long) m.packets_sent, (unsigned long long) errors);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  int cap = rawtest_capture_open(pair.peer, "rv1");
  mctx_raw_publication *v4 = open_family(MCTX_FAMILY_IPV4);
  mctx_raw_publication *v6 = open_family(MCTX_FAMILY_IPV6);
  const size_t mlen = strlen(MARKER);
  uint8_t good4[128], good6[128], d[128];
  size_t n4 = rawtest_ipv4_udp(good4, "198.51.100.7", "239.77.5.1", 1, 9, 4000,
                               5005, MARKER, mlen);
  size_t n6 = rawtest_ipv6_udp(good6, "2001:db8:77::7", "ff3e::77:5", 0, 0, 1,
                               false, 4000, 5005, MARKER, mlen);

  refuse(v4, good4, 0, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "empty");
  refuse(v4, good4, n4 - 3, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv4 truncated");
  refuse(v4, good4, 12, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv4 truncated header");
  memcpy(d, good4, n4);
  d[3] ^= 0x10;
  refuse(v4, d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv4 wrong total length");
  memcpy(d, good4, n4);
  d[0] = 0x44;
  refuse(v4, d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv4 IHL 4");
  memcpy(d, good4, n4);
  d[0] = 0x55;
  refuse(v4, d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "version 5");
  size_t nu4 = rawtest_ipv4_udp(d, "198.51.100.7", "10.77.0.2", 1, 9, 4000,
                                5005, MARKER, mlen);
  refuse(v4, d, nu4, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
         MCTX_SUBJECT_DATAGRAM, "IPv4 unicast destination");
  refuse(v4, good6, n6, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv6 datagram, IPv4 publication");
  expect_errors(v4, (uint64_t) refused);

  int v4_refused = refused;
  refuse(v6, good6, n6 - 1, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv6 truncated");
  refuse(v6, good6, 30, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv6 truncated header");
  memcpy(d, good6, n6);
  d[5] += 2;
  refuse(v6, d, n6, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv6 wrong payload length");
  size_t nu6 = rawtest_ipv6_udp(d, "2001:db8:77::7", "fd77::2", 0, 0, 1, false,
                                4000, 5005, MARKER, mlen);
  refuse(v6, d, nu6, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
         MCTX_SUBJECT_DATAGRAM, "IPv6 unicast destination (link-layer way)");
  nu6 = rawtest_ipv6_udp(d, "fd77::1", "fd77::2", 0, 0, 1, false, 4000, 5005,
                         MARKER, mlen);
  refuse(v6, d, nu6, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
         MCTX_SUBJECT_DATAGRAM, "IPv6 unicast destination (kernel way)");
  refuse(v6, good4, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
         "IPv4 datagram, IPv6 publication");
  expect_errors(v6, (uint64_t) (refused - v4_refused));

  uint8_t got[2048];
  int n = rawtest_capture_find(cap, MARKER, got, sizeof got, 500);
  TESTNET_CHECK(n < 0, "a refused datagram of %d bytes reached the wire", n);
  printf("ok nothing of the %d refused datagrams reached rv1\n", refused);

  /* The capture does see what is sent. */
  mctx_error err;
  TESTNET_CHECK(mctx_raw_publication_send(v4, good4, n4, NULL, &err) == MCTX_OK,
                "%s", err.message);
  TESTNET_CHECK(mctx_raw_publication_send(v6, good6, n6, NULL, &err) == MCTX_OK,
                "%s", err.message);
  n = rawtest_capture_find(cap, MARKER, got, sizeof got, 3000);
  TESTNET_CHECK(n > 0, "the valid datagram was not captured");
  n = rawtest_capture_find(cap, MARKER, got, sizeof got, 3000);
  TESTNET_CHECK(n > 0, "the second valid datagram was not captured");
  printf("ok the valid datagrams sent afterwards were captured\n");

  mctx_raw_publication_close(v4);
  mctx_raw_publication_close(v6);
  printf("PASS\n");
  return 0;
}
