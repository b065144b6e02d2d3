/* Raw batches on the wire: lists of datagrams arrive complete and in order
 * at the far end of a veth, across runs of different ways (IPv6 sources of
 * this host and far ones interleaved, several next headers), with a TTL
 * override; a refused datagram in the middle stops the batch right there.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

#define COUNT 100

static uint8_t storage[COUNT][160];
static mctx_buf bufs[COUNT][2];
static mctx_datagram datagrams[COUNT];

/* Each datagram in two buffers cut inside the header, as a GstBuffer of
 * several memories would be. */
static void
as_datagram(size_t i, size_t len)
{
  bufs[i][0] = (mctx_buf){storage[i], 7};
  bufs[i][1] = (mctx_buf){storage[i] + 7, len - 7};
  datagrams[i] = (mctx_datagram){bufs[i], 2};
}

static void
expect_in_order(int cap, const char *prefix, size_t count)
{
  uint8_t got[2048];
  for (size_t i = 0; i < count; i++) {
    char marker[48];
    snprintf(marker, sizeof marker, "%s-%03zu;", prefix, i);
    int n = rawtest_capture_find(cap, marker, got, sizeof got, 3000);
    TESTNET_CHECK(n > 0, "%s missing or out of order", marker);
  }
  printf("ok %s: %zu datagrams complete and in order\n", prefix, count);
}

static void
send_all(mctx_raw_publication *pub, size_t count)
{
  size_t sent = 99999;
  mctx_error err;
  int rc = mctx_raw_publication_send_batch(pub, datagrams, count, &sent, &err);
  TESTNET_CHECK(rc == MCTX_OK && sent == count, "batch: %s, %zu of %zu",
                err.message, sent, count);
  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(m.packets_sent >= count, "packets_sent %llu",
                (unsigned long long) m.packets_sent);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  int cap = rawtest_capture_open(pair.peer, "rv1");
  char payload[48];

  /* IPv4, far source, TTL override 7 (a patched header per datagram). */
  mctx_raw_publication *pub = rawtest_open(MCTX_FAMILY_IPV4, NULL, "rv0", 7);
  for (size_t i = 0; i < COUNT; i++) {
    snprintf(payload, sizeof payload, "mctx-raw-batch4-%03zu;", i);
    as_datagram(i, rawtest_ipv4_udp(storage[i], "198.51.100.7", "232.77.7.1", 1,
                                    (uint16_t) (i + 1), 4000, 5004, payload,
                                    strlen(payload)));
  }
  send_all(pub, COUNT);
  expect_in_order(cap, "mctx-raw-batch4", COUNT);

  /* A refused datagram (unicast destination) at index 40: 40 go out. */
  storage[40][16] = 10;
  size_t sent = 0;
  mctx_error err;
  int rc = mctx_raw_publication_send_batch(pub, datagrams, COUNT, &sent, &err);
  TESTNET_CHECK(rc == MCTX_E_INVALID_RAW_MULTICAST_DESTINATION && sent == 40,
                "refused in the middle: %s, sent %zu", mctx_code_name(rc),
                sent);
  expect_in_order(cap, "mctx-raw-batch4", 40);
  printf("ok refused datagram 40 stops the batch: %s\n", err.message);
  mctx_raw_publication_close(pub);

  /* IPv6: runs of 10 alternate between a source of this host (kernel way)
   * and a far one (link layer); the local runs alternate UDP with a
   * destination-options header (another next header, another socket). */
  pub = rawtest_open(MCTX_FAMILY_IPV6, NULL, "rv0", -1);
  for (size_t i = 0; i < COUNT; i++) {
    snprintf(payload, sizeof payload, "mctx-raw-batch6-%03zu;", i);
    bool local = (i / 10) % 2 == 0;
    bool opts = local && (i / 20) % 2 == 1;
    as_datagram(i,
                rawtest_ipv6_udp(storage[i], local ? "fd77::1" : "2001:db8::7",
                                 "ff3e::77:7", 0, 0, 3, opts, 4000, 5004,
                                 payload, strlen(payload)));
  }
  send_all(pub, COUNT);
  expect_in_order(cap, "mctx-raw-batch6", COUNT);
  mctx_raw_publication_close(pub);

  printf("PASS\n");
  return 0;
}
