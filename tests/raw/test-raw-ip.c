/* raw-ip and the any-destination mode on the wire: an ICMPv4
 * fragmentation-needed and an ICMPv6 packet-too-big (what an AMT relay must
 * send) arrive byte for byte at the far end of a veth, and a unicast
 * destination leaves only when the publication's mode asks for it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static size_t
icmp4_frag_needed(uint8_t *out, const char *src, const char *dst, uint16_t mtu,
                  const uint8_t *invoking, size_t inv_len)
{
  uint8_t s[4], d[4];
  TESTNET_CHECK(inet_pton(AF_INET, src, s) == 1 &&
                    inet_pton(AF_INET, dst, d) == 1,
                "addresses");
  return ipbuild_icmp4_frag_needed(out, s, d, 0x5151, mtu, invoking, inv_len);
}

static size_t
icmp6_packet_too_big(uint8_t *out, const char *src, const char *dst,
                     uint32_t mtu, const uint8_t *invoking, size_t inv_len)
{
  uint8_t s[16], d[16];
  TESTNET_CHECK(inet_pton(AF_INET6, src, s) == 1 &&
                    inet_pton(AF_INET6, dst, d) == 1,
                "addresses");
  return ipbuild_icmp6_packet_too_big(out, s, d, mtu, invoking, inv_len);
}

static void
send_ok(mctx_raw_publication *pub, const uint8_t *d, size_t len,
        mctx_raw_path path)
{
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "send: %s (%s)", err.message,
                mctx_code_name(rc));
  TESTNET_CHECK(report.path == path && report.bytes_sent == len,
                "path %d, %zu bytes", report.path, report.bytes_sent);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  int cap = rawtest_capture_open(pair.peer, "rv1");
  uint8_t inv[256], d[512], got[2048];

  /* 1. ICMPv4 fragmentation-needed, raw-ip mode. */
  const char *marker1 = "mctx-raw-ip-frag-needed";
  size_t inv_len = rawtest_ipv4_udp(inv, "10.77.0.2", "10.99.0.5", 60, 0x77,
                                    4000, 5004, marker1, strlen(marker1));
  size_t len =
      icmp4_frag_needed(d, "10.77.0.1", "10.77.0.2", 1280, inv, inv_len);
  mctx_raw_publication *strict = rawtest_open_validated(
      MCTX_FAMILY_IPV4, "rv0", MCTX_RAW_VALIDATION_STRICT_MULTICAST);
  mctx_error err;
  int rc = mctx_raw_publication_send(strict, d, len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                "strict mode sent a unicast datagram: %s", mctx_code_name(rc));
  printf("ok strict mode refuses the unicast ICMP: %s\n", err.message);

  mctx_raw_publication *ip4 = rawtest_open_validated(
      MCTX_FAMILY_IPV4, "rv0", MCTX_RAW_VALIDATION_IP_DATAGRAM);
  send_ok(ip4, d, len, MCTX_RAW_PATH_IPV4_HDRINCL);
  int n = rawtest_capture_find(cap, marker1, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0, "the frag-needed never reached rv1");
  TESTNET_CHECK((size_t) n == len && memcmp(got, d, len) == 0,
                "captured %d bytes differ from the %zu sent", n, len);
  printf("ok ICMPv4 frag-needed (MTU 1280): %zu bytes byte for byte\n", len);
  /* Only one copy went: the strict publication's refusal sent nothing. */
  n = rawtest_capture_find(cap, marker1, got, sizeof got, 300);
  TESTNET_CHECK(n < 0, "a second copy of the frag-needed arrived");

  /* A broken header checksum is refused in raw-ip mode, before the wire. */
  d[10] ^= 0xff;
  rc = mctx_raw_publication_send(ip4, d, len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_INVALID_RAW_DATAGRAM, "bad checksum: %s",
                mctx_code_name(rc));
  printf("ok raw-ip refuses a bad header checksum: %s\n", err.message);
  mctx_raw_publication_close(ip4);

  /* 2. Any-destination mode: a unicast UDP datagram from a far source. */
  const char *marker2 = "mctx-raw-any-unicast";
  len = rawtest_ipv4_udp(d, "198.51.100.7", "10.77.0.2", 5, 0x2222, 4000, 5004,
                         marker2, strlen(marker2));
  rc = mctx_raw_publication_send(strict, d, len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                "strict mode sent unicast UDP: %s", mctx_code_name(rc));
  n = rawtest_capture_find(cap, marker2, got, sizeof got, 300);
  TESTNET_CHECK(n < 0, "strict mode's refused datagram arrived");
  mctx_raw_publication *any = rawtest_open_validated(
      MCTX_FAMILY_IPV4, "rv0", MCTX_RAW_VALIDATION_ANY_DESTINATION);
  send_ok(any, d, len, MCTX_RAW_PATH_IPV4_HDRINCL);
  n = rawtest_capture_find(cap, marker2, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0 && (size_t) n == len && memcmp(got, d, len) == 0,
                "any-destination unicast: captured %d bytes of %zu", n, len);
  printf("ok any destination: unicast to 10.77.0.2 only when asked\n");
  mctx_raw_publication_close(any);
  mctx_raw_publication_close(strict);

  /* 3. ICMPv6 packet-too-big from this host's address: the kernel builds
   * the base header and computes the ICMPv6 checksum, which equals ours. */
  const char *marker3 = "mctx-raw-ip-ptb";
  inv_len = rawtest_ipv6_udp(inv, "fd77::2", "ff3e::77:9", 0, 0, 8, false, 4000,
                             5004, marker3, strlen(marker3));
  len = icmp6_packet_too_big(d, "fd77::1", "fd77::2", 1280, inv, inv_len);
  mctx_raw_publication *ip6 = rawtest_open_validated(
      MCTX_FAMILY_IPV6, "rv0", MCTX_RAW_VALIDATION_IP_DATAGRAM);
  send_ok(ip6, d, len, MCTX_RAW_PATH_IPV6_KERNEL_HEADER);
  n = rawtest_capture_find(cap, marker3, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0, "the packet-too-big never reached rv1");
  /* The flow label is the kernel's (docs/raw.md); all else is ours. */
  TESTNET_CHECK((size_t) n == len && got[0] == d[0] &&
                    (got[1] & 0xf0) == (d[1] & 0xf0) &&
                    memcmp(got + 4, d + 4, len - 4) == 0,
                "captured %d bytes differ from the %zu sent", n, len);
  printf("ok ICMPv6 packet-too-big (MTU 1280): %zu bytes, checksum 0x%02x%02x"
         " as sent\n",
         len, got[42], got[43]);

  /* Above the link MTU (1500) the kernel way fragments: the first
   * fragment carries a fragment header the caller never wrote. */
  const char *marker4 = "mctx-raw-ip-big";
  static uint8_t big_payload[2000], big[2100];
  memset(big_payload, 'b', sizeof big_payload);
  memcpy(big_payload, marker4, strlen(marker4));
  len = rawtest_ipv6_udp(big, "fd77::1", "ff3e::77:9", 0, 0, 8, false, 4000,
                         5004, big_payload, sizeof big_payload);
  send_ok(ip6, big, len, MCTX_RAW_PATH_IPV6_KERNEL_HEADER);
  n = rawtest_capture_find(cap, marker4, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0 && (size_t) n < len && got[6] == 44,
                "the %zu-byte datagram: %d bytes, next header %u", len, n,
                n >= 7 ? got[6] : 0);
  printf("ok %zu bytes above the MTU: kernel-fragmented (first fragment "
         "%d bytes)\n",
         len, n);

  /* A unicast destination with a far source cannot take the link-layer
   * way (no neighbour lookup): refused, not sent elsewhere. */
  uint8_t far[256];
  size_t far_len = rawtest_ipv6_udp(far, "2001:db8::7", "fd77::2", 0, 0, 8,
                                    false, 4000, 5004, "x", 1);
  rc = mctx_raw_publication_send(ip6, far, far_len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_RAW_UNSUPPORTED, "far-source IPv6 unicast: %s",
                mctx_code_name(rc));
  printf("ok far-source IPv6 unicast refused: %s\n", err.message);
  mctx_raw_publication_close(ip6);

  printf("PASS\n");
  return 0;
}
