/* A batch through a shaping qdisc. tbf splits a GSO packet larger than its
 * burst into segments inside the qdisc, drops those that do not fit its
 * limit and reports success when any was queued: the sender learns nothing
 * (docs/gso.md, "Shaping qdiscs"). With config.gso = false the batch path
 * never builds a GSO packet: every drop comes back as ENOBUFS and a caller
 * that retries like a blocking caller does gets every datagram through.
 * That is asserted. What the same batch does with GSO on is printed, not
 * asserted: it documents a kernel behaviour a future kernel may change.
 *
 * Root only: a private namespace, a veth into a peer namespace, tbf.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"
#include "pub-net.h"

#include <stdlib.h>
#include <time.h>

#define GROUP "239.61.0.1"
#define PORT_GSO_OFF 46611
#define PORT_GSO_ON 46612
#define COUNT 40
#define SIZE 1000

/* The reviewer's shaping: 1600 bytes of burst (smaller than any GSO packet
 * of two 1000-byte datagrams) and 3000 bytes of queue. The rate only sets
 * how long the test takes: 40 kB at 1 Mbit/s is a third of a second. */
#define TBF "tbf rate 1mbit burst 1600 limit 3000"

/* Bounds of the retry loop and of the receiver's wait. */
#define RETRY_DEADLINE_MS 20000
#define RETRY_MAX 200000
#define QUIET_MS 1500

static char payload[COUNT][SIZE];
static mctx_buf bufs[COUNT];
static mctx_datagram datagrams[COUNT];

static uint64_t
now_ms(void)
{
  return mctx_monotonic_ns() / 1000000u;
}

static void
batch_init(void)
{
  for (int i = 0; i < COUNT; i++) {
    memset(payload[i], 'a' + i % 26, SIZE);
    snprintf(payload[i], 8, "%06d", i); /* "000017" and its NUL */
    bufs[i].base = payload[i];
    bufs[i].len = SIZE;
    datagrams[i].bufs = &bufs[i];
    datagrams[i].nbufs = 1;
  }
}

static mctx_publication *
open_on_link(uint16_t port, bool gso)
{
  mctx_publication_config cfg;
  cfg_init(&cfg, GROUP, port);
  cfg_interface(&cfg, "gsa");
  cfg.gso = gso;
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  return pub;
}

/* Reads until the link has been quiet for QUIET_MS; counts each datagram of
 * the batch by its number. Returns the number of distinct datagrams; a
 * datagram seen twice or one that is not of the batch fails. */
static int
receive_batch(int fd)
{
  bool seen[COUNT] = {false};
  int distinct = 0;
  received r;
  for (int reads = 0; reads < 10 * COUNT && recv_within(fd, QUIET_MS, &r);
       reads++) {
    CHECK(r.len == SIZE, "datagram of %zu bytes, sent %d", r.len, SIZE);
    int n = atoi(r.data);
    CHECK(n >= 0 && n < COUNT && memcmp(r.data, payload[n], SIZE) == 0,
          "datagram \"%.6s\" is not one of the batch", r.data);
    CHECK(!seen[n], "datagram %d arrived twice", n);
    seen[n] = true;
    distinct++;
  }
  return distinct;
}

/* What a blocking caller does: resend from *sent; on would-block wait for
 * the socket to be writable, on MCTX_E_QUEUE_FULL (ENOBUFS: the qdisc is
 * full) back off 1 ms. */
static void
test_gso_off_delivers_everything(int receiver)
{
  mctx_publication *pub = open_on_link(PORT_GSO_OFF, false);
  size_t next = 0;
  int retries = 0, would_block = 0, no_buffers = 0;
  uint64_t deadline = now_ms() + RETRY_DEADLINE_MS;
  mctx_error err;

  while (next < COUNT) {
    CHECK(retries < RETRY_MAX && now_ms() < deadline,
          "%zu of %d sent after %d retries", next, COUNT, retries);
    size_t sent;
    int rc = mctx_publication_send_batch(pub, datagrams + next, COUNT - next,
                                         &sent, &err);
    next += sent;
    if (rc == MCTX_OK)
      break;
    retries++;
    if (rc == MCTX_E_WOULD_BLOCK) {
      would_block++;
      struct pollfd p = {.fd = mctx_publication_get_fd(pub), .events = POLLOUT};
      poll(&p, 1, 100);
      continue;
    }
    CHECK(rc == MCTX_E_QUEUE_FULL && err.sys_errno == ENOBUFS &&
              err.subject == MCTX_SUBJECT_SOCKET && mctx_error_is_transient(rc),
          "datagram %zu: %s (%s)", next, mctx_code_name(rc), err.message);
    no_buffers++;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  }

  CHECK(atomic_load(&pub->gso_calls) == 0,
        "gso=false but %llu GSO calls went out",
        (unsigned long long) atomic_load(&pub->gso_calls));
  CHECK(no_buffers + would_block > 0,
        "the tbf queue never filled: the test shows nothing");
  int got = receive_batch(receiver);
  printf("gso=false: %d datagrams sent with %d retries (%d ENOBUFS, %d "
         "would-block), receiver got %d\n",
         COUNT, retries, no_buffers, would_block, got);
  CHECK(got == COUNT, "receiver got %d of %d", got, COUNT);
  mctx_publication_close(pub);
}

/* Known limitation, printed: the same batch sent once with GSO on. */
static void
show_gso_on(int receiver)
{
  mctx_publication *pub = open_on_link(PORT_GSO_ON, true);
  size_t sent;
  mctx_error err;
  int rc = mctx_publication_send_batch(pub, datagrams, COUNT, &sent, &err);
  uint64_t calls = atomic_load(&pub->gso_calls);
  int got = receive_batch(receiver);
  printf("gso=true (known limitation, not asserted): the call returned %s "
         "with %zu of %d sent in %llu GSO calls; receiver got %d\n",
         mctx_code_name(rc), sent, COUNT, (unsigned long long) calls, got);
  if (rc == MCTX_OK && sent == COUNT && got < COUNT)
    printf("gso=true: %d datagrams dropped by tbf without an error, as "
           "docs/gso.md describes\n",
           COUNT - got);
  else
    printf("gso=true: the kernel no longer loses silently here; update "
           "docs/gso.md \"Shaping qdiscs\"\n");
  testnet_sh("tc -s qdisc show dev gsa");
  mctx_publication_close(pub);
}

int
main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  testnet_private_netns_or_skip();
  const char *ns = testnet_peer_create("gs");
  testnet_veth("gsa", ns, "gsb");
  testnet_sh_ok("ip addr add 10.61.0.1/24 dev gsa");
  testnet_sh_ok("ip -n %s addr add 10.61.0.2/24 dev gsb", ns);
  if (testnet_sh("tc qdisc add dev gsa root " TBF) != 0)
    testnet_skip("cannot add a tbf qdisc (sch_tbf missing?)");
  batch_init();

  uint32_t peer_index = testnet_ifindex_in(ns, "gsb");
  int off_receiver = recv_socket(ns, AF_INET, PORT_GSO_OFF);
  mcast_join_v4(off_receiver, GROUP, peer_index);
  int on_receiver = recv_socket(ns, AF_INET, PORT_GSO_ON);
  mcast_join_v4(on_receiver, GROUP, peer_index);

  test_gso_off_delivers_everything(off_receiver);
  show_gso_on(on_receiver);

  close(off_receiver);
  close(on_receiver);
  printf("PASS\n");
  return 0;
}
