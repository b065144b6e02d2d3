/* The batch path's UDP GSO: runs of equal-size datagrams leave in one
 * sendmsg() and arrive as the original datagrams, each intact and in order,
 * on loopback and over veth into a peer namespace, IPv4 and IPv6. Also: a
 * shorter last datagram, mixed sizes, gathered buffers, jumbo frames, sizes
 * beyond the MTU or the UDP limit, a segment refused by the kernel (resent
 * without loss), and GSO forced off. The internal counters of struct
 * mctx_publication tell whether GSO was used.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"
#include "pub-net.h"

#include <netinet/udp.h>
#include <stdlib.h>

#ifndef UDP_SEGMENT
#  define UDP_SEGMENT 103
#endif

/* ---- batches whose every byte says which datagram it belongs to ---------- */

typedef struct batch {
  size_t count;
  size_t *sizes;
  uint8_t **payloads;
  mctx_buf *bufs;
  mctx_datagram *dgs;
  uint64_t bytes;
  uint8_t *block; /* all payloads, when they were cut from one block */
} batch;

static uint8_t
pattern(uint32_t seq, size_t k)
{
  return (uint8_t) (seq * 31u + (uint32_t) k * 7u + 1u);
}

/* count datagrams of sizes[i] bytes, each given as `pieces` buffers that
 * split its payload; sequence numbers from first_seq on. */
static batch
batch_new(const size_t *sizes, size_t count, uint32_t first_seq, size_t pieces)
{
  batch b = {.count = count};
  b.sizes = calloc(count, sizeof *b.sizes);
  b.payloads = calloc(count, sizeof *b.payloads);
  b.bufs = calloc(count * pieces, sizeof *b.bufs);
  b.dgs = calloc(count, sizeof *b.dgs);
  CHECK(b.sizes && b.payloads && b.bufs && b.dgs, "out of memory");
  for (size_t i = 0; i < count; i++) {
    size_t len = sizes[i];
    uint32_t seq = first_seq + (uint32_t) i;
    b.sizes[i] = len;
    b.payloads[i] = malloc(len > 0 ? len : 1);
    CHECK(b.payloads[i] != NULL, "out of memory");
    for (size_t k = 0; k < len; k++)
      b.payloads[i][k] = pattern(seq, k);
    for (size_t k = 0; k < 4 && k < len; k++)
      b.payloads[i][k] = (uint8_t) (seq >> (24 - 8 * k));
    mctx_buf *p = b.bufs + i * pieces;
    for (size_t j = 0; j < pieces; j++) {
      size_t from = len * j / pieces, to = len * (j + 1) / pieces;
      p[j] = (mctx_buf){b.payloads[i] + from, to - from};
    }
    b.dgs[i] = (mctx_datagram){p, pieces};
    b.bytes += len;
  }
  return b;
}

static batch
batch_uniform(size_t size, size_t count, uint32_t first_seq, size_t pieces)
{
  size_t *sizes = calloc(count, sizeof *sizes);
  CHECK(sizes != NULL, "out of memory");
  for (size_t i = 0; i < count; i++)
    sizes[i] = size;
  batch b = batch_new(sizes, count, first_seq, pieces);
  free(sizes);
  return b;
}

/* count datagrams of size bytes, each as `pieces` buffers, cut from one
 * block back to back (as a source that writes a whole list into one memory
 * makes them), but with a byte of gap before datagram gap_at: the buffers
 * that touch go to the kernel joined, and the gap must still split them. */
static batch
batch_block(size_t size, size_t count, uint32_t first_seq, size_t pieces,
            size_t gap_at)
{
  batch b = batch_uniform(size, count, first_seq, pieces);
  b.block = malloc(size * count + 1);
  CHECK(b.block != NULL, "out of memory");
  uint8_t *at = b.block;
  for (size_t i = 0; i < count; i++) {
    if (i == gap_at)
      *at++ = 0xee;
    memcpy(at, b.payloads[i], size);
    free(b.payloads[i]);
    b.payloads[i] = at;
    for (size_t j = 0; j < pieces; j++)
      b.bufs[i * pieces + j].base = at + (size * j / pieces);
    at += size;
  }
  return b;
}

static void
batch_free(batch *b)
{
  for (size_t i = 0; i < b->count && b->block == NULL; i++)
    free(b->payloads[i]);
  free(b->block);
  free(b->sizes);
  free(b->payloads);
  free(b->bufs);
  free(b->dgs);
}

/* ---- sending and receiving ----------------------------------------------- */

typedef struct gso_counters {
  uint64_t calls;
  unsigned refusals;
  mctx_metrics metrics;
} gso_counters;

static gso_counters
counters_of(mctx_publication *pub)
{
  gso_counters c;
  c.calls = atomic_load(&pub->gso_calls);
  c.refusals = atomic_load(&pub->gso_refusals);
  mctx_publication_metrics_snapshot(pub, &c.metrics);
  return c;
}

/* Sends all of b as a user would: on would-block, wait for writability and
 * go on from the first datagram that did not go out. */
static void
send_all(mctx_publication *pub, const batch *b)
{
  size_t done = 0;
  for (int round = 0; done < b->count; round++) {
    CHECK(round < 1000, "batch stuck at %zu of %zu", done, b->count);
    size_t sent = 0;
    mctx_error err;
    int rc = mctx_publication_send_batch(pub, b->dgs + done, b->count - done,
                                         &sent, &err);
    CHECK(sent <= b->count - done, "sent %zu of %zu", sent, b->count - done);
    done += sent;
    if (rc == MCTX_OK) {
      CHECK(done == b->count, "OK after %zu of %zu", done, b->count);
      break;
    }
    CHECK_RC(rc, err, MCTX_E_WOULD_BLOCK);
    struct pollfd p = {.fd = mctx_publication_get_fd(pub), .events = POLLOUT};
    poll(&p, 1, PUB_WAIT_MS);
  }
}

static uint8_t rbuf[70000];

/* Waits up to ms for one datagram into rbuf. Returns its length or -1. */
static ssize_t
recv_big(int fd, int ms)
{
  return mcast_recv_within(fd, rbuf, sizeof rbuf, MSG_TRUNC, NULL, 0, NULL, ms);
}

/* Every datagram of b, from index `from` on, arrives whole and in order. */
static void
expect_batch_from(int rx, const batch *b, size_t from)
{
  for (size_t i = from; i < b->count; i++) {
    ssize_t n = recv_big(rx, PUB_WAIT_MS);
    CHECK(n >= 0, "datagram %zu of %zu (%zu bytes) missing", i, b->count,
          b->sizes[i]);
    uint32_t seq = n >= 4
                       ? (uint32_t) rbuf[0] << 24 | (uint32_t) rbuf[1] << 16 |
                             (uint32_t) rbuf[2] << 8 | rbuf[3]
                       : 0;
    CHECK((size_t) n == b->sizes[i] &&
              memcmp(rbuf, b->payloads[i], b->sizes[i]) == 0,
          "datagram %zu: got %zd bytes (seq %u), want %zu bytes", i, n, seq,
          b->sizes[i]);
  }
}

static void
expect_batch(int rx, const batch *b)
{
  expect_batch_from(rx, b, 0);
}

static void
expect_nothing_more(int rx, const char *why)
{
  ssize_t n = recv_big(rx, PUB_SILENCE_MS);
  CHECK(n < 0, "%s: an extra datagram of %zd bytes arrived", why, n);
}

/* The batch went out whole, counted per datagram; returns the GSO calls
 * it took. */
static uint64_t
sent_whole(mctx_publication *pub, const gso_counters *before, const batch *b)
{
  gso_counters now = counters_of(pub);
  uint64_t packets = now.metrics.packets_sent - before->metrics.packets_sent;
  uint64_t bytes = now.metrics.bytes_sent - before->metrics.bytes_sent;
  CHECK(packets == b->count && bytes == b->bytes,
        "metrics: %llu datagrams of %llu bytes, want %zu of %llu",
        (unsigned long long) packets, (unsigned long long) bytes, b->count,
        (unsigned long long) b->bytes);
  return now.calls - before->calls;
}

/* Sends b, checks it arrives, and returns the GSO calls it took. */
static uint64_t
roundtrip(mctx_publication *pub, int rx, const batch *b)
{
  gso_counters before = counters_of(pub);
  send_all(pub, b);
  expect_batch(rx, b);
  return sent_whole(pub, &before, b);
}

static mctx_publication *
open_ok(const mctx_publication_config *cfg)
{
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open(cfg, &pub, &err);
  CHECK_OK(rc, err);
  CHECK(atomic_load(&pub->gso_state) == MCTX__GSO_UNPROBED,
        "GSO is probed on the first batch, not at open");
  return pub;
}

/* The batches every path gets: 640 datagrams of 1316 bytes; a run with a
 * shorter last; several runs and single datagrams of mixed sizes; 640
 * datagrams of three buffers each; 64 cut from one block. GSO must carry them unless gso_off. */
static void
standard_batches(mctx_publication *pub, int rx, bool gso_off)
{
  uint32_t seq = 1000;

  batch b = batch_uniform(1316, 640, seq, 1);
  uint64_t calls = roundtrip(pub, rx, &b);
  if (gso_off)
    CHECK(calls == 0, "GSO is off, yet %llu GSO calls",
          (unsigned long long) calls);
  else
    /* 49 segments of 1316 bytes fill 65507 bytes: 14 calls at the least;
     * more only if a call would block and is retried. */
    CHECK(calls >= 14 && calls <= 64, "640 x 1316 bytes took %llu GSO calls",
          (unsigned long long) calls);
  CHECK(gso_off || atomic_load(&pub->gso_state) == MCTX__GSO_ON,
        "GSO on after the first batch");
  batch_free(&b);
  seq += 640;

  /* 48 full and a shorter last: one call. */
  size_t short_last[49];
  for (size_t i = 0; i < 49; i++)
    short_last[i] = i < 48 ? 1316 : 200;
  b = batch_new(short_last, 49, seq, 1);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == (gso_off ? 0u : 1u), "48 + a shorter last took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  seq += 49;

  /* Runs: 10 x 1316 + 1000 (shorter last) | 4 x 1000 + 188 | 19 x 188 |
   * 1316 + 700 | 3 x 1316 + 100 | 50 alone; then sizes that only grow (no
   * run at all), sent through sendmmsg. */
  size_t mixed[64];
  size_t n = 0;
  for (int i = 0; i < 10; i++)
    mixed[n++] = 1316;
  for (int i = 0; i < 5; i++)
    mixed[n++] = 1000;
  for (int i = 0; i < 20; i++)
    mixed[n++] = 188;
  mixed[n++] = 1316;
  mixed[n++] = 700;
  for (int i = 0; i < 3; i++)
    mixed[n++] = 1316;
  mixed[n++] = 100;
  mixed[n++] = 50;
  for (size_t s = 60; n < 64; s += 90)
    mixed[n++] = s;
  b = batch_new(mixed, n, seq, 1);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == (gso_off ? 0u : 5u), "mixed sizes took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  seq += (uint32_t) n;

  /* Gathered datagrams: their iovecs are concatenated in order. */
  b = batch_uniform(1316, 640, seq, 3);
  calls = roundtrip(pub, rx, &b);
  CHECK(gso_off ? calls == 0 : calls >= 14,
        "640 gathered datagrams took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  seq += 640;

  /* Cut from one block, two buffers each, a gap before datagram 30: the
   * same runs as scattered buffers (49 + 15), each datagram intact. */
  b = batch_block(1316, 64, seq, 2, 30);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == (gso_off ? 0u : 2u),
        "64 datagrams from one block took %llu "
        "GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  seq += 64;

  /* Runs of one: a batch of one, and sizes that alternate. */
  size_t alternating[8] = {300, 900, 300, 900, 300, 900, 300, 900};
  b = batch_new(alternating, 1, seq, 2);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == 0, "a single datagram took a GSO call");
  batch_free(&b);
  seq += 1;
  b = batch_new(alternating, 8, seq, 1);
  calls = roundtrip(pub, rx, &b);
  /* 300, then 900 + 300 (shorter last) three times, then 900 alone. */
  CHECK(calls == (gso_off ? 0u : 3u), "alternating sizes took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);

  expect_nothing_more(rx, "after the standard batches");
}

/* ---- loopback -------------------------------------------------------------- */

static void
test_loopback_ipv4(void)
{
  const uint16_t port = 46601;
  int rx = recv_socket(NULL, AF_INET, port);
  mcast_join_v4(rx, "239.255.66.1", testnet_ifindex("lo"));
  mctx_publication_config cfg;
  cfg_init(&cfg, "239.255.66.1", port);
  cfg_interface(&cfg, "127.0.0.1");
  mctx_publication *pub = open_ok(&cfg);
  standard_batches(pub, rx, false);

  /* A datagram beyond the UDP limit inside a batch: the ones before it go
   * out, it is reported (nothing silently lost), the rest go on retry. */
  size_t sizes[11] = {1316, 1316, 1316, 1316, 1316, 70000,
                      1316, 1316, 1316, 1316, 1316};
  batch b = batch_new(sizes, 11, 9000, 1);
  size_t sent = 99;
  mctx_error err;
  int rc = mctx_publication_send_batch(pub, b.dgs, b.count, &sent, &err);
  CHECK_ERR(rc, err, MCTX_E_SEND_FAILED, MCTX_SUBJECT_DATAGRAM);
  CHECK(err.sys_errno == EMSGSIZE, "errno %d", err.sys_errno);
  CHECK(sent == 5, "sent %zu before the 70000-byte datagram", sent);
  rc = mctx_publication_send_batch(pub, b.dgs + 6, 5, &sent, &err);
  CHECK_OK(rc, err);
  CHECK(sent == 5, "sent %zu after it", sent);
  for (size_t i = 0; i < 11; i++) {
    if (i == 5)
      continue;
    ssize_t n = recv_big(rx, PUB_WAIT_MS);
    CHECK(n == 1316 && memcmp(rbuf, b.payloads[i], 1316) == 0,
          "datagram %zu around the oversized one: %zd bytes", i, n);
  }
  expect_nothing_more(rx, "around the oversized datagram");
  batch_free(&b);

  /* 65507 bytes is the IPv4 limit: one such datagram per call, no run. */
  b = batch_uniform(65507, 4, 9100, 1);
  uint64_t calls = roundtrip(pub, rx, &b);
  CHECK(calls == 0, "65507-byte datagrams took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);

  /* A caller's buffer without memory (NULL, 1316 bytes) first in a run:
   * the kernel says EFAULT, nothing goes out and nothing else is touched
   * (the run's iovecs start with it, never joined to what came before). */
  static char good[1316];
  mctx_buf bad_bufs[3] = {{NULL, 1316}, {good, 1316}, {good, 1316}};
  mctx_datagram bad[3] = {
      {&bad_bufs[0], 1}, {&bad_bufs[1], 1}, {&bad_bufs[2], 1}};
  rc = mctx_publication_send_batch(pub, bad, 3, &sent, &err);
  CHECK(rc == MCTX_E_SEND_FAILED && err.sys_errno == EFAULT && sent == 0,
        "a NULL buffer: rc %d, errno %d, sent %zu", rc, err.sys_errno, sent);
  expect_nothing_more(rx, "after the NULL buffer");

  mctx_publication_close(pub);
  close(rx);
}

static void
test_loopback_ipv6(void)
{
  const uint16_t port = 46602;
  const char *group = "ff31::8000:6601";
  int rx = recv_socket(NULL, AF_INET6, port);
  mcast_join_v6(rx, group, testnet_ifindex("lo"));
  mctx_publication_config cfg;
  cfg_init(&cfg, group, port);
  cfg_source(&cfg, "::1");
  cfg_interface(&cfg, "::1");
  mctx_publication *pub = open_ok(&cfg);
  standard_batches(pub, rx, false);

  /* IPv6 allows 65527 bytes per call: 2 x 32763 fit in one. */
  batch b = batch_uniform(32763, 2, 9200, 1);
  uint64_t calls = roundtrip(pub, rx, &b);
  CHECK(calls == 1, "2 x 32763 bytes over IPv6 took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);

  mctx_publication_close(pub);
  close(rx);
}

/* Forced off as the probe would leave it on a kernel without UDP_SEGMENT:
 * the same batches go through sendmmsg. */
static void
test_forced_off(void)
{
  const uint16_t port = 46603;
  int rx = recv_socket(NULL, AF_INET, port);
  mcast_join_v4(rx, "239.255.66.3", testnet_ifindex("lo"));
  mctx_publication_config cfg;
  cfg_init(&cfg, "239.255.66.3", port);
  cfg_interface(&cfg, "lo");
  mctx_publication *pub = open_ok(&cfg);
  atomic_store(&pub->gso_state, MCTX__GSO_OFF);
  standard_batches(pub, rx, true);
  CHECK(atomic_load(&pub->gso_calls) == 0, "no GSO call when off");
  mctx_publication_close(pub);
  close(rx);
}

/* ---- over veth into a peer namespace ------------------------------------ */

static void
test_veth_ipv4(void)
{
  const char *ns = testnet_peer_create("gso4");
  testnet_veth("gso4a", ns, "gso4b");
  testnet_sh_ok("ip addr add 10.66.0.1/24 dev gso4a");
  testnet_sh_ok("ip -n %s addr add 10.66.0.2/24 dev gso4b", ns);
  const uint16_t port = 46604;
  int rx = recv_socket(ns, AF_INET, port);
  mcast_join_v4(rx, "239.255.66.4", testnet_ifindex_in(ns, "gso4b"));

  mctx_publication_config cfg;
  cfg_init(&cfg, "239.255.66.4", port);
  cfg_interface(&cfg, "gso4a");
  cfg.loopback = false;
  mctx_publication *pub = open_ok(&cfg);
  standard_batches(pub, rx, false);
  CHECK(atomic_load(&pub->gso_max_segment) == 1500 - 28,
        "largest segment %u for MTU 1500", atomic_load(&pub->gso_max_segment));

  /* Beyond the MTU: no GSO (the probe read the MTU); the kernel fragments
   * and the receiver reassembles every one. */
  batch b = batch_uniform(2000, 64, 20000, 1);
  uint64_t calls = roundtrip(pub, rx, &b);
  CHECK(calls == 0, "2000 bytes over MTU 1500 took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  mctx_publication_close(pub);

  /* Jumbo frames: 8972 bytes fill MTU 9000; 7 per call (65507 bytes). */
  testnet_sh_ok("ip link set gso4a mtu 9000");
  testnet_sh_ok("ip -n %s link set gso4b mtu 9000", ns);
  pub = open_ok(&cfg);
  b = batch_uniform(8972, 64, 21000, 1);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == 9, "64 x 8972 bytes took %llu GSO calls (9 x 7, 1 alone)",
        (unsigned long long) calls);
  batch_free(&b);

  /* The MTU shrinks under an open publication: the kernel refuses the
   * 4000-byte segments (EINVAL); that call is resent through sendmmsg
   * (fragmented), nothing is lost, and GSO goes on for smaller sizes. */
  testnet_sh_ok("ip link set gso4a mtu 1500");
  testnet_sh_ok("ip -n %s link set gso4b mtu 1500", ns);
  gso_counters before = counters_of(pub);
  b = batch_uniform(4000, 64, 22000, 2);
  calls = roundtrip(pub, rx, &b);
  gso_counters after = counters_of(pub);
  CHECK(calls == 0 && after.refusals - before.refusals == 1,
        "after the MTU shrank: %llu GSO calls, %u refusals",
        (unsigned long long) calls, after.refusals - before.refusals);
  CHECK(atomic_load(&pub->gso_max_segment) < 4000, "largest segment now %u",
        atomic_load(&pub->gso_max_segment));
  CHECK(atomic_load(&pub->gso_state) == MCTX__GSO_ON, "GSO still on");
  CHECK(after.metrics.send_errors == before.metrics.send_errors,
        "a refusal is not a send error");
  batch_free(&b);
  b = batch_uniform(1316, 64, 23000, 1);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == 2, "1316 bytes after the refusal took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  mctx_publication_close(pub);

  /* Runs share one sendmmsg. A refused run behind one that went out in
   * the same call: the kernel stops there (a partial result), the refused
   * run goes out again without GSO and the run after it by GSO; nothing is
   * lost or counted twice. */
  testnet_sh_ok("ip link set gso4a mtu 9000");
  testnet_sh_ok("ip -n %s link set gso4b mtu 9000", ns);
  pub = open_ok(&cfg);
  b = batch_uniform(1316, 2, 24000, 1);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == 1, "the probing batch took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  testnet_sh_ok("ip link set gso4a mtu 1500");
  testnet_sh_ok("ip -n %s link set gso4b mtu 1500", ns);
  size_t around[36];
  for (size_t i = 0; i < 36; i++)
    around[i] = i >= 10 && i < 26 ? 4000 : 1316;
  b = batch_new(around, 36, 24100, 1);
  before = counters_of(pub);
  calls = roundtrip(pub, rx, &b);
  after = counters_of(pub);
  CHECK(calls == 2 && after.refusals - before.refusals == 1,
        "10 x 1316 | 16 x 4000 refused | 10 x 1316: %llu GSO calls, %u "
        "refusals",
        (unsigned long long) calls, after.refusals - before.refusals);
  CHECK(after.metrics.send_errors == before.metrics.send_errors,
        "a refusal is not a send error");
  batch_free(&b);
  expect_nothing_more(rx, "after the veth batches");
  mctx_publication_close(pub);
  close(rx);
}

static void
test_veth_ipv6(void)
{
  const char *ns = testnet_peer_create("gso6");
  testnet_veth("gso6a", ns, "gso6b");
  testnet_sh_ok("ip addr add fd00:66::1/64 dev gso6a nodad");
  testnet_sh_ok("ip -n %s addr add fd00:66::2/64 dev gso6b nodad", ns);
  const uint16_t port = 46605;
  const char *group = "ff15::8000:6605";
  int rx = recv_socket(ns, AF_INET6, port);
  mcast_join_v6(rx, group, testnet_ifindex_in(ns, "gso6b"));

  mctx_publication_config cfg;
  cfg_init(&cfg, group, port);
  cfg_source(&cfg, "fd00:66::1");
  cfg_interface(&cfg, "gso6a");
  cfg.loopback = false;
  mctx_publication *pub = open_ok(&cfg);
  standard_batches(pub, rx, false);
  CHECK(atomic_load(&pub->gso_max_segment) == 1500 - 48,
        "largest segment %u for MTU 1500", atomic_load(&pub->gso_max_segment));
  mctx_publication_close(pub);

  /* MTU 9000: 8952 bytes fill a frame and go by GSO; 8972 do not fit and
   * go fragmented through sendmmsg. */
  testnet_sh_ok("ip link set gso6a mtu 9000");
  testnet_sh_ok("ip -n %s link set gso6b mtu 9000", ns);
  pub = open_ok(&cfg);
  batch b = batch_uniform(8952, 64, 30000, 1);
  uint64_t calls = roundtrip(pub, rx, &b);
  CHECK(calls == 9, "64 x 8952 bytes took %llu GSO calls (9 x 7, 1 alone)",
        (unsigned long long) calls);
  batch_free(&b);
  b = batch_uniform(8972, 64, 31000, 1);
  calls = roundtrip(pub, rx, &b);
  CHECK(calls == 0, "8972 bytes over IPv6 MTU 9000 took %llu GSO calls",
        (unsigned long long) calls);
  batch_free(&b);
  expect_nothing_more(rx, "after the IPv6 veth batches");
  mctx_publication_close(pub);
  close(rx);
}

int
main(void)
{
  testnet_private_netns_or_skip();
  int probe = socket(AF_INET, SOCK_DGRAM, 0);
  int value;
  socklen_t len = sizeof value;
  if (getsockopt(probe, IPPROTO_UDP, UDP_SEGMENT, &value, &len) != 0)
    testnet_skip("this kernel has no UDP GSO (UDP_SEGMENT: %s)",
                 strerror(errno));
  close(probe);

  test_loopback_ipv4();
  test_loopback_ipv6();
  test_forced_off();
  test_veth_ipv4();
  test_veth_ipv6();
  printf("gso-batch: all checks passed\n");
  return 0;
}
