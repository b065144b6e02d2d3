/* Raw IPv6, both ways:
 *  - a source that is no address of this host goes out on the link byte for
 *    byte: traffic class, flow label and an extension header preserved;
 *  - a local source goes through the kernel and reaches a receiver joined
 *    to the group on the other side (and one on this host), which sees that
 *    source.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
send_ok(mctx_raw_publication *pub, const uint8_t *d, size_t len,
        mctx_raw_path path, uint32_t ifindex)
{
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "send: %s (%s)", err.message,
                mctx_code_name(rc));
  TESTNET_CHECK(report.path == path, "path %d, expected %d", report.path, path);
  TESTNET_CHECK(report.interface_index == ifindex, "interface index %u",
                report.interface_index);
  TESTNET_CHECK(report.bytes_sent == len, "bytes %zu", report.bytes_sent);
  TESTNET_CHECK(report.datagram.family == MCTX_FAMILY_IPV6, "family");
}

static void
link_layer_way(const rawtest_pair *pair, int cap)
{
  uint8_t d[256], got[2048];
  /* Loopback stays on (the default): this way cannot loop back, and that
   * must not make it fail. */
  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV6, NULL, "rv0", -1);

  const char *marker = "mctx-raw-v6-nonlocal";
  size_t len =
      rawtest_ipv6_udp(d, "2001:db8:77::7", "ff3e::77:1", 0xb8, 0x12345, 5,
                       true, 4000, 5006, marker, strlen(marker));
  send_ok(pub, d, len, MCTX_RAW_PATH_IPV6_LINK_LAYER, pair->local_index);
  int n = rawtest_capture_find(cap, marker, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0, "the datagram never reached rv1");
  TESTNET_CHECK((size_t) n == len && memcmp(got, d, len) == 0,
                "captured %d bytes differ from the %zu sent", n, len);
  printf("ok non-local source, traffic class 0xb8, flow label 0x12345, "
         "destination options: byte for byte\n");
  mctx_raw_publication_close(pub);

  /* Hop-limit override: only byte 7 changes (IPv6 has no header checksum). */
  pub = rawtest_open(MCTX_FAMILY_IPV6, NULL, "rv0", 17);
  const char *marker2 = "mctx-raw-v6-hops";
  len = rawtest_ipv6_udp(d, "2001:db8:77::8", "ff3e::77:2", 0x04, 0xfedcb, 1,
                         false, 4000, 5006, marker2, strlen(marker2));
  send_ok(pub, d, len, MCTX_RAW_PATH_IPV6_LINK_LAYER, pair->local_index);
  n = rawtest_capture_find(cap, marker2, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0 && (size_t) n == len, "hop-limit datagram lost");
  TESTNET_CHECK(got[7] == 17, "hop limit %u on the wire, expected 17", got[7]);
  TESTNET_CHECK(memcmp(got, d, 7) == 0 && memcmp(got + 8, d + 8, len - 8) == 0,
                "bytes other than the hop limit changed");
  TESTNET_CHECK(d[7] == 1, "the caller's datagram was modified");
  printf("ok hop-limit override 1 -> 17, everything else as given\n");

  /* The largest datagram the checks pass (40 + 65535 bytes) goes through
   * the override copy and is refused by the link for its size. */
  static uint8_t big[40 + 65535];
  memcpy(big, d, 40);
  big[4] = big[5] = 0xff;
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, big, sizeof big, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_SEND_FAILED &&
                    err.subject == MCTX_SUBJECT_DATAGRAM,
                "largest datagram: %s %s: %s", mctx_code_name(rc),
                mctx_subject_name(err.subject), err.message);
  printf("ok %s\n", err.message);

  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(m.send_calls == 2 && m.packets_sent == 1 &&
                    m.bytes_sent == len && m.send_errors == 1,
                "metrics after one send and one failure");
  mctx_raw_publication_close(pub);
}

static void
kernel_header_way(const rawtest_pair *pair, int cap)
{
  uint8_t d[256], got[2048], buf[256];
  const uint16_t port = 5016;
  int remote = mcast_receiver(pair->peer, "ff15::77:3", port, pair->peer_index,
                              NULL, NULL);
  int local =
      mcast_receiver(NULL, "ff15::77:3", port, pair->local_index, NULL, NULL);

  /* Egress chosen by the bind address; the datagram's source is local. */
  mctx_raw_publication *pub =
      rawtest_open(MCTX_FAMILY_IPV6, "fd77::1", NULL, -1);
  const char *marker = "mctx-raw-v6-local";
  size_t len = rawtest_ipv6_udp(d, "fd77::1", "ff15::77:3", 0x28, 0x54321, 4,
                                false, 4017, port, marker, strlen(marker));
  send_ok(pub, d, len, MCTX_RAW_PATH_IPV6_KERNEL_HEADER, pair->local_index);

  char from[64];
  uint16_t from_port;
  int n = (int) mcast_recv_within(remote, buf, sizeof buf, 0, from, sizeof from,
                                  &from_port, 3000);
  TESTNET_CHECK(n == (int) strlen(marker) &&
                    memcmp(buf, marker, (size_t) n) == 0,
                "peer receiver got %d bytes", n);
  TESTNET_CHECK(strcmp(from, "fd77::1") == 0 && from_port == 4017,
                "peer receiver saw sender [%s]:%u", from, from_port);
  printf("ok local source: peer receiver got it from [%s]:%u\n", from,
         from_port);

  n = (int) mcast_recv_within(local, buf, sizeof buf, 0, from, sizeof from,
                              &from_port, 3000);
  TESTNET_CHECK(n == (int) strlen(marker) && strcmp(from, "fd77::1") == 0,
                "local receiver got %d bytes from %s (loopback on)", n,
                n >= 0 ? from : "-");
  printf("ok local source: receiver on this host got its copy\n");

  /* What the kernel kept: transport header and payload, traffic class and
   * hop limit; it chose the flow label itself. */
  n = rawtest_capture_find(cap, marker, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0 && (size_t) n == len, "captured %d bytes, sent %zu", n,
                len);
  TESTNET_CHECK(memcmp(got + 40, d + 40, len - 40) == 0,
                "transport header or payload changed");
  unsigned tclass = ((got[0] & 0x0f) << 4) | (got[1] >> 4);
  TESTNET_CHECK(tclass == 0x28, "traffic class 0x%02x on the wire", tclass);
  TESTNET_CHECK(got[7] == 4, "hop limit %u on the wire", got[7]);
  TESTNET_CHECK(memcmp(got + 8, d + 8, 32) == 0, "addresses changed");
  printf("ok local source: traffic class and hop limit kept\n");
  mctx_raw_publication_close(pub);
  close(remote);
  close(local);
}

static void
unsupported_link(void)
{
  /* lo is no Ethernet: a far source cannot be injected there; a local one
   * still can (the kernel way). */
  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV6, NULL, "lo", -1);
  uint8_t d[256];
  size_t len = rawtest_ipv6_udp(d, "2001:db8:77::9", "ff15::77:4", 0, 0, 1,
                                false, 4000, 5026, "x", 1);
  mctx_error err;
  int rc = mctx_raw_publication_send(pub, d, len, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_RAW_UNSUPPORTED_LINK_TYPE, "got %s: %s",
                mctx_code_name(rc), err.message);
  TESTNET_CHECK(err.subject == MCTX_SUBJECT_INTERFACE, "subject %s: %s",
                mctx_subject_name(err.subject), err.message);
  printf("ok %s\n", err.message);

  int recv_fd = mcast_receiver(NULL, "ff15::77:4", 5026, 1, NULL, NULL);
  len = rawtest_ipv6_udp(d, "::1", "ff15::77:4", 0, 0, 1, false, 4000, 5026,
                         "lo-ok", 5);
  send_ok(pub, d, len, MCTX_RAW_PATH_IPV6_KERNEL_HEADER, 1);
  uint8_t buf[64];
  char from[64];
  uint16_t from_port;
  int n = (int) mcast_recv_within(recv_fd, buf, sizeof buf, 0, from,
                                  sizeof from, &from_port, 3000);
  TESTNET_CHECK(n == 5 && strcmp(from, "::1") == 0, "on lo: %d from %s", n,
                n >= 0 ? from : "-");
  printf("ok local source ::1 on lo reaches a receiver on this host\n");

  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(m.send_calls == 2 && m.packets_sent == 1 && m.send_errors == 1,
                "metrics: an unsupported link counts as a send error");
  mctx_raw_publication_close(pub);
  close(recv_fd);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  int cap = rawtest_capture_open(pair.peer, "rv1");
  link_layer_way(&pair, cap);
  kernel_header_way(&pair, cap);
  unsupported_link();
  printf("PASS\n");
  return 0;
}
