/* mctx_raw_publication_sendv: a datagram given in several buffers, its header cut
 * across them, leaves exactly as the same datagram in one buffer would
 * (captured on the far end of a veth, byte for byte): IPv4 as given and
 * with a TTL override (header with options too), IPv6 on the link layer
 * with a hop-limit override, IPv6 through the kernel with the base header
 * cut 20 + 20 and the first buffer after it starting mid-buffer. A stream
 * alternating local and far IPv6 sources takes the right way each time.
 * Bad buffer arrays are refused and counted like any refused datagram.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cuts d into buffers at the given offsets (ascending, within len). */
static size_t
cut(const uint8_t *d, size_t len, const size_t *at, size_t n_at, mctx_buf *bufs)
{
  size_t from = 0, n = 0;
  for (size_t i = 0; i <= n_at; i++) {
    size_t to = i < n_at ? at[i] : len;
    bufs[n++] = (mctx_buf){.base = (void *) (d + from), .len = to - from};
    from = to;
  }
  return n;
}

static void
sendv_ok(mctx_raw_publication *pub, const mctx_buf *bufs, size_t nbufs,
         size_t len, mctx_raw_path path, const char *label)
{
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_publication_sendv(pub, bufs, nbufs, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "%s: %s (%s)", label, err.message,
                mctx_code_name(rc));
  TESTNET_CHECK(report.path == path, "%s: path %d, expected %d", label,
                report.path, path);
  TESTNET_CHECK(report.bytes_sent == len, "%s: %zu bytes reported, %zu sent",
                label, report.bytes_sent, len);
}

static void
expect_exact(int cap, const char *marker, const uint8_t *d, size_t len)
{
  uint8_t got[2048];
  int n = rawtest_capture_find(cap, marker, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0, "'%s' never reached rv1", marker);
  TESTNET_CHECK((size_t) n == len && memcmp(got, d, len) == 0,
                "'%s': captured %d bytes differ from the %zu sent", marker, n,
                len);
}

static void
expect_metrics(mctx_raw_publication *pub, uint64_t calls, uint64_t sent,
               uint64_t bytes, uint64_t errors, const char *label)
{
  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(m.send_calls == calls && m.packets_sent == sent &&
                    m.bytes_sent == bytes && m.send_errors == errors,
                "%s: metrics calls %llu sent %llu bytes %llu errors %llu, "
                "expected %llu %llu %llu %llu",
                label, (unsigned long long) m.send_calls,
                (unsigned long long) m.packets_sent,
                (unsigned long long) m.bytes_sent,
                (unsigned long long) m.send_errors, (unsigned long long) calls,
                (unsigned long long) sent, (unsigned long long) bytes,
                (unsigned long long) errors);
}

/* The same datagram with 4 bytes of NOP options: IHL 6, 24-byte header. */
static size_t
with_options(uint8_t *out, const uint8_t *d, size_t len)
{
  memcpy(out, d, 20);
  memset(out + 20, 0x01, 4);
  memcpy(out + 24, d + 20, len - 20);
  out[0] = 0x46;
  size_t total = len + 4;
  out[2] = (uint8_t) (total >> 8);
  out[3] = (uint8_t) total;
  uint16_t c = ipbuild_ipv4_header_checksum(out, 24);
  out[10] = (uint8_t) (c >> 8);
  out[11] = (uint8_t) c;
  return total;
}

static void
ipv4_cases(int cap)
{
  uint8_t d[256], copy[256], got[2048];
  mctx_buf bufs[8];

  /* As given, the header cut after 3 bytes. */
  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV4, NULL, "rv0", -1);
  const char *m1 = "mctx-sendv-v4-3";
  size_t len = rawtest_ipv4_udp(d, "198.51.100.7", "239.77.9.1", 3, 0x1111,
                                4000, 5004, m1, strlen(m1));
  size_t n = cut(d, len, (const size_t[]){3}, 1, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV4_HDRINCL, m1);
  expect_exact(cap, m1, d, len);
  printf("ok IPv4 in 3 + %zu bytes: byte for byte\n", len - 3);
  expect_metrics(pub, 1, 1, len, 0, "IPv4 as given");
  mctx_raw_publication_close(pub);

  /* TTL override: header cut 3 + 10 + 7 | payload cut in two, and an
   * empty buffer among them. */
  pub = rawtest_open(MCTX_FAMILY_IPV4, NULL, "rv0", 9);
  const char *m2 = "mctx-sendv-v4-ttl";
  len = rawtest_ipv4_udp(d, "198.51.100.8", "239.77.9.2", 1, 0x2222, 4000, 5004,
                         m2, strlen(m2));
  memcpy(copy, d, len);
  n = cut(d, len, (const size_t[]){3, 13, 20, 20, 31}, 5, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV4_HDRINCL, m2);
  int got_len = rawtest_capture_find(cap, m2, got, sizeof got, 3000);
  TESTNET_CHECK(got_len >= 0 && (size_t) got_len == len,
                "TTL-overridden datagram: captured %d bytes, sent %zu", got_len,
                len);
  TESTNET_CHECK(got[8] == 9, "TTL on the wire %u, expected 9", got[8]);
  TESTNET_CHECK(((got[10] << 8) | got[11]) ==
                    ipbuild_ipv4_header_checksum(got, 20),
                "header checksum wrong after the override");
  TESTNET_CHECK(memcmp(got, d, 8) == 0 && got[9] == d[9] &&
                    memcmp(got + 12, d + 12, len - 12) == 0,
                "bytes other than TTL and checksum changed");
  TESTNET_CHECK(memcmp(copy, d, len) == 0, "the caller's buffers changed");
  printf("ok IPv4 in 3 + 10 + 7 + 0 + 11 + %zu bytes, TTL 1 -> 9: only TTL "
         "and checksum differ\n",
         len - 31);

  /* A 24-byte header (options) cut 22 + rest, TTL override: the patched
   * copy covers the whole header. */
  const char *m3 = "mctx-sendv-v4-options";
  uint8_t plain[256];
  size_t plain_len = rawtest_ipv4_udp(plain, "198.51.100.9", "239.77.9.3", 2,
                                      0x3333, 4000, 5004, m3, strlen(m3));
  len = with_options(d, plain, plain_len);
  n = cut(d, len, (const size_t[]){22}, 1, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV4_HDRINCL, m3);
  got_len = rawtest_capture_find(cap, m3, got, sizeof got, 3000);
  TESTNET_CHECK(got_len >= 0 && (size_t) got_len == len,
                "datagram with options: captured %d bytes, sent %zu", got_len,
                len);
  TESTNET_CHECK(got[0] == 0x46 && got[8] == 9, "IHL/TTL 0x%02x %u", got[0],
                got[8]);
  TESTNET_CHECK(((got[10] << 8) | got[11]) ==
                    ipbuild_ipv4_header_checksum(got, 24),
                "checksum of the 24-byte header wrong");
  TESTNET_CHECK(memcmp(got + 12, d + 12, len - 12) == 0,
                "options, addresses or payload changed");
  printf("ok IPv4 with options (IHL 6) in 22 + %zu bytes, TTL override\n",
         len - 22);

  /* Same TTL as the override: as given. */
  len = rawtest_ipv4_udp(d, "198.51.100.8", "239.77.9.2", 9, 0x4444, 4000, 5004,
                         "mctx-sendv-v4-same", 18);
  n = cut(d, len, (const size_t[]){8, 9}, 2, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV4_HDRINCL, "same TTL");
  expect_exact(cap, "mctx-sendv-v4-same", d, len);
  printf("ok IPv4 with the override's TTL, cut around it: byte for byte\n");
  mctx_raw_publication_close(pub);
}

static void
ipv6_link_layer(int cap)
{
  uint8_t d[256], copy[256], got[2048];
  mctx_buf bufs[8];
  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV6, NULL, "rv0", -1);

  const char *m1 = "mctx-sendv-v6-far";
  size_t len = rawtest_ipv6_udp(d, "2001:db8:77::7", "ff3e::77:9", 0xb8,
                                0x12345, 5, true, 4000, 5006, m1, strlen(m1));
  size_t n = cut(d, len, (const size_t[]){20, 40}, 2, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV6_LINK_LAYER, m1);
  expect_exact(cap, m1, d, len);
  printf("ok IPv6 far source in 20 + 20 + %zu bytes: byte for byte\n",
         len - 40);
  mctx_raw_publication_close(pub);

  pub = rawtest_open(MCTX_FAMILY_IPV6, NULL, "rv0", 17);
  const char *m2 = "mctx-sendv-v6-hops";
  len = rawtest_ipv6_udp(d, "2001:db8:77::8", "ff3e::77:a", 0x04, 0xfedcb, 1,
                         false, 4000, 5006, m2, strlen(m2));
  memcpy(copy, d, len);
  n = cut(d, len, (const size_t[]){1, 20, 39, 45}, 4, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV6_LINK_LAYER, m2);
  int got_len = rawtest_capture_find(cap, m2, got, sizeof got, 3000);
  TESTNET_CHECK(got_len >= 0 && (size_t) got_len == len,
                "hop-limit datagram: captured %d bytes, sent %zu", got_len,
                len);
  TESTNET_CHECK(got[7] == 17, "hop limit %u on the wire, expected 17", got[7]);
  TESTNET_CHECK(memcmp(got, d, 7) == 0 && memcmp(got + 8, d + 8, len - 8) == 0,
                "bytes other than the hop limit changed");
  TESTNET_CHECK(memcmp(copy, d, len) == 0, "the caller's buffers changed");
  printf("ok IPv6 far source in 1 + 19 + 19 + 6 + %zu bytes, hop limit "
         "1 -> 17: only the hop limit differs\n",
         len - 45);
  expect_metrics(pub, 1, 1, len, 0, "IPv6 hop-limit override");
  mctx_raw_publication_close(pub);
}

static void
ipv6_kernel_header(const rawtest_pair *pair, int cap)
{
  uint8_t d[256], got[2048], buf[256];
  mctx_buf bufs[8];
  const uint16_t port = 5036;
  int remote = mcast_receiver(pair->peer, "ff15::77:9", port, pair->peer_index,
                              NULL, NULL);
  mctx_raw_publication *pub =
      rawtest_open(MCTX_FAMILY_IPV6, "fd77::1", NULL, -1);
  char from[64];
  uint16_t from_port;

  /* The base header 20 + 20, UDP header and payload apart. */
  const char *m1 = "mctx-sendv-v6-local";
  size_t len = rawtest_ipv6_udp(d, "fd77::1", "ff15::77:9", 0x28, 0x54321, 4,
                                false, 4037, port, m1, strlen(m1));
  size_t n = cut(d, len, (const size_t[]){20, 40, 48}, 3, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV6_KERNEL_HEADER, m1);
  int got_len = (int) mcast_recv_within(remote, buf, sizeof buf, 0, from,
                                        sizeof from, &from_port, 3000);
  TESTNET_CHECK(got_len == (int) strlen(m1) &&
                    memcmp(buf, m1, strlen(m1)) == 0 &&
                    strcmp(from, "fd77::1") == 0 && from_port == 4037,
                "peer receiver got %d bytes from [%s]", got_len,
                got_len >= 0 ? from : "-");
  got_len = rawtest_capture_find(cap, m1, got, sizeof got, 3000);
  TESTNET_CHECK(got_len >= 0 && (size_t) got_len == len,
                "captured %d bytes, sent %zu", got_len, len);
  TESTNET_CHECK(memcmp(got + 40, d + 40, len - 40) == 0,
                "transport header or payload changed");
  TESTNET_CHECK(memcmp(got + 8, d + 8, 32) == 0 && got[7] == 4,
                "addresses or hop limit changed");
  printf("ok IPv6 local source in 20 + 20 + 8 + %zu bytes: the peer's "
         "receiver got it from [%s]:%u, transport bytes exact\n",
         len - 48, from, from_port);

  /* The base header ends inside a buffer: 30 + 14 + rest. */
  const char *m2 = "mctx-sendv-v6-mid";
  len = rawtest_ipv6_udp(d, "fd77::1", "ff15::77:9", 0, 0, 4, true, 4037, port,
                         m2, strlen(m2));
  n = cut(d, len, (const size_t[]){30, 44}, 2, bufs);
  sendv_ok(pub, bufs, n, len, MCTX_RAW_PATH_IPV6_KERNEL_HEADER, m2);
  got_len = rawtest_capture_find(cap, m2, got, sizeof got, 3000);
  TESTNET_CHECK(got_len >= 0 && (size_t) got_len == len &&
                    memcmp(got + 40, d + 40, len - 40) == 0,
                "header ending mid-buffer: captured %d bytes, sent %zu",
                got_len, len);
  printf("ok IPv6 local source in 30 + 14 + %zu bytes (destination "
         "options kept)\n",
         len - 44);

  /* One publication, sources alternating: local, far, local. */
  const char *sources[] = {"fd77::1", "2001:db8:77::5", "fd77::1"};
  const mctx_raw_path paths[] = {MCTX_RAW_PATH_IPV6_KERNEL_HEADER,
                                 MCTX_RAW_PATH_IPV6_LINK_LAYER,
                                 MCTX_RAW_PATH_IPV6_KERNEL_HEADER};
  for (int i = 0; i < 3; i++) {
    char marker[32];
    snprintf(marker, sizeof marker, "mctx-sendv-alt-%d", i);
    len = rawtest_ipv6_udp(d, sources[i], "ff15::77:9", 0, 0, 4, false, 4037,
                           port, marker, strlen(marker));
    n = cut(d, len, (const size_t[]){10}, 1, bufs);
    sendv_ok(pub, bufs, n, len, paths[i], marker);
    got_len = rawtest_capture_find(cap, marker, got, sizeof got, 3000);
    TESTNET_CHECK(got_len >= 0 && memcmp(got + 8, d + 8, 16) == 0,
                  "%s: source on the wire changed", marker);
  }
  printf("ok local, far, local source on one publication: kernel, link, "
         "kernel way\n");
  mctx_raw_publication_close(pub);
  close(remote);
}

static void
expect_refused(mctx_raw_publication *pub, const mctx_buf *bufs, size_t nbufs,
               int code, mctx_subject subject, const char *label)
{
  mctx_error err;
  int rc = mctx_raw_publication_sendv(pub, bufs, nbufs, NULL, &err);
  TESTNET_CHECK(rc == code, "%s: got %s (%s), expected %s", label,
                mctx_code_name(rc), err.message, mctx_code_name(code));
  TESTNET_CHECK(err.subject == subject, "%s: subject %s, expected %s", label,
                mctx_subject_name(err.subject), mctx_subject_name(subject));
  printf("ok %s: %s\n", label, err.message);
}

static void
refused(void)
{
  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV4, NULL, "rv0", -1);
  uint8_t d[256];
  size_t len = rawtest_ipv4_udp(d, "198.51.100.7", "239.77.9.9", 3, 1, 4000,
                                5004, "x", 1);
  mctx_buf bufs[4];

  expect_refused(pub, NULL, 2, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT,
                 "buffer array NULL");
  expect_refused(pub, bufs, 0, MCTX_E_INVALID_RAW_DATAGRAM,
                 MCTX_SUBJECT_DATAGRAM, "no buffers");
  bufs[0] = (mctx_buf){.base = d, .len = 10};
  bufs[1] = (mctx_buf){.base = NULL, .len = len - 10};
  expect_refused(pub, bufs, 2, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT,
                 "NULL buffer");
  /* Checks on a header gathered from buffers: a version, a length. */
  bufs[0] = (mctx_buf){.base = d, .len = 2};
  bufs[1] = (mctx_buf){.base = d + 2, .len = len - 3};
  expect_refused(pub, bufs, 2, MCTX_E_INVALID_RAW_DATAGRAM,
                 MCTX_SUBJECT_DATAGRAM, "IPv4 one byte short, in two buffers");
  bufs[0] = (mctx_buf){.base = d, .len = 5};
  bufs[1] = (mctx_buf){.base = d + 5, .len = 5};
  expect_refused(pub, bufs, 2, MCTX_E_INVALID_RAW_DATAGRAM,
                 MCTX_SUBJECT_DATAGRAM,
                 "IPv4 header cut short, in two buffers");

  /* Longer than any IP datagram: refused by the length checks. */
  static uint8_t big[70000];
  memcpy(big, d, 20);
  bufs[0] = (mctx_buf){.base = big, .len = 20};
  bufs[1] = (mctx_buf){.base = big + 20, .len = sizeof big - 20};
  expect_refused(pub, bufs, 2, MCTX_E_INVALID_RAW_DATAGRAM,
                 MCTX_SUBJECT_DATAGRAM, "70000 bytes in two buffers");

  /* More buffers than one system call takes. */
  size_t many = (size_t) IOV_MAX + 1;
  mctx_buf *lots = calloc(many, sizeof *lots);
  TESTNET_CHECK(lots != NULL, "no memory");
  lots[0] = (mctx_buf){.base = d, .len = len};
  char text[64];
  snprintf(text, sizeof text, "in %zu buffers; at most %d", many, IOV_MAX - 1);
  expect_refused(pub, lots, many, MCTX_E_INVALID_ARGUMENT,
                 MCTX_SUBJECT_ARGUMENT, "too many buffers");
  free(lots);

  expect_metrics(pub, 7, 0, 0, 7, "every refusal counted");
  mctx_raw_publication_close(pub);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  int cap = rawtest_capture_open(pair.peer, "rv1");
  ipv4_cases(cap);
  ipv6_link_layer(cap);
  ipv6_kernel_header(&pair, cap);
  refused();
  printf("PASS\n");
  return 0;
}
