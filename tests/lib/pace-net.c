/* Paced sends on real sockets (docs/pacing.md):
 * - mctx_publication_interrupt ends a long pacing wait (1 bit/s: hours per
 *   datagram) in another thread: the send returns MCTX_E_INTERRUPTED saying
 *   how many went out, and the receiver got exactly those. The only time
 *   bound is a hang guard;
 * - a live rate change (mctx_publication_set_pacing) lets the rest go out;
 * - a paced stream through an emulated switch port (an ifb on the
 *   receiver's ingress with tbf rate 25mbit burst 3000 limit 12000) gets
 *   every datagram through; the same stream unpaced is printed, not
 *   asserted (how much a burst loses depends on the machine).
 *
 * Root only: a private namespace, a veth into a peer namespace, ifb, tbf.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"
#include "pub-net.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define GROUP "239.62.0.1"
#define PORT_INTERRUPT 46621
#define PORT_PACED 46622
#define PORT_UNPACED 46623
#define PORT_CUTS 46624

/* The stream: frames of 60 datagrams of 1316 bytes at 30 fps,
 * paced at 94% of the emulated switch port. */
#define FRAME_DATAGRAMS 60
#define FRAMES 15
#define SIZE 1316
#define FRAME_NS (1000000000ull / 30)
#define PACING_RATE 23500000ull
#define SWITCH_PORT "tbf rate 25mbit burst 3000 limit 12000"

#define HANG_GUARD_NS (5 * 1000000000ull)
#define QUIET_MS 1500

static char payload[FRAMES * FRAME_DATAGRAMS][SIZE];
static mctx_buf bufs[FRAMES * FRAME_DATAGRAMS];
static mctx_datagram datagrams[FRAMES * FRAME_DATAGRAMS];

static void
datagrams_init(void)
{
  for (int i = 0; i < FRAMES * FRAME_DATAGRAMS; i++) {
    memset(payload[i], 'a' + i % 26, SIZE);
    snprintf(payload[i], 8, "%06d", i);
    bufs[i] = (mctx_buf){payload[i], SIZE};
    datagrams[i] = (mctx_datagram){&bufs[i], 1};
  }
}

static mctx_publication *
open_paced(uint16_t port, uint64_t rate, const char *itf)
{
  mctx_publication_config cfg;
  cfg_init(&cfg, GROUP, port);
  cfg_interface(&cfg, itf);
  /* One datagram per system call: GSO would hand tbf 60 at once. */
  cfg.gso = false;
  cfg.pacing_rate_bps = rate;
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  return pub;
}

/* Distinct datagrams of the stream read until QUIET_MS of silence. */
static int
count_received(int fd, int expected)
{
  static bool seen[FRAMES * FRAME_DATAGRAMS];
  memset(seen, 0, sizeof seen);
  int distinct = 0;
  received r;
  for (int reads = 0; reads < 4 * expected && recv_within(fd, QUIET_MS, &r);
       reads++) {
    int n = atoi(r.data);
    CHECK(r.len == SIZE && n >= 0 && n < expected &&
              memcmp(r.data, payload[n], SIZE) == 0,
          "datagram \"%.6s\" (%zu bytes) is not one of the stream", r.data,
          r.len);
    if (!seen[n])
      distinct++;
    seen[n] = true;
  }
  return distinct;
}

typedef struct {
  mctx_publication *pub;
  size_t count;
  size_t sent;
  int rc;
  mctx_error err;
  uint64_t returned_ns;
} batch_call;

static void *
send_batch_thread(void *arg)
{
  batch_call *c = arg;
  c->rc = mctx_publication_send_batch(c->pub, datagrams, c->count, &c->sent,
                                      &c->err);
  c->returned_ns = mctx_monotonic_ns();
  return NULL;
}

static void
test_interrupt_and_live_rate(int receiver)
{
  mctx_publication *pub = open_paced(PORT_INTERRUPT, 1, "lo");
  batch_call c = {.pub = pub, .count = 4};
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, send_batch_thread, &c) == 0,
        "pthread_create");
  /* Let it reach the wait: at 1 bit/s at most the burst leaves at once. */
  nanosleep(&(struct timespec){.tv_nsec = 200000000}, NULL);
  uint64_t interrupted_at = mctx_monotonic_ns();
  mctx_publication_interrupt(pub);
  uint64_t deadline = interrupted_at + HANG_GUARD_NS;
  while (c.returned_ns == 0 && mctx_monotonic_ns() < deadline)
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  CHECK(__atomic_load_n(&c.returned_ns, __ATOMIC_ACQUIRE) != 0,
        "the paced send did not return within 5 s of the interrupt");
  pthread_join(thread, NULL);
  CHECK_ERR(c.rc, c.err, MCTX_E_INTERRUPTED, MCTX_SUBJECT_PACING);
  CHECK(c.sent >= 1 && c.sent <= 2, "%zu of 4 left before the interrupt",
        c.sent);
  printf("interrupted: %s (%zu sent)\n", c.err.message, c.sent);

  /* Interrupted stays interrupted until cleared. */
  size_t sent = 0;
  mctx_error err;
  int rc = mctx_publication_send_batch(pub, datagrams + c.sent, 4 - c.sent,
                                       &sent, &err);
  CHECK_RC(rc, err, MCTX_E_INTERRUPTED);
  CHECK(sent == 0, "%zu sent while interrupted", sent);

  /* A live rate change: the rest goes out at 100 Mbit/s. */
  mctx_publication_clear_interrupt(pub);
  rc = mctx_publication_set_pacing(pub, 100000000, 2, &err);
  CHECK_OK(rc, err);
  CHECK(mctx_publication_get_config(pub)->pacing_rate_bps == 100000000,
        "config copy not updated");
  rc = mctx_publication_set_pacing(pub, 100000000, 0, &err);
  CHECK_ERR(rc, err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_PACING);
  rc = mctx_publication_send_batch(pub, datagrams + c.sent, 4 - c.sent, &sent,
                                   &err);
  CHECK_OK(rc, err);
  CHECK(sent == 4 - c.sent, "%zu of %zu sent", sent, 4 - c.sent);
  int got = count_received(receiver, 4);
  CHECK(got == 4, "receiver got %d of 4", got);

  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  CHECK(m.paced_packets == 4 && m.packets_sent == 4,
        "paced_packets %llu, packets_sent %llu, want 4",
        (unsigned long long) m.paced_packets,
        (unsigned long long) m.packets_sent);
  printf("live rate change: the rest went out; lateness max %llu ns\n",
         (unsigned long long) m.pacing_late_max_ns);
  mctx_publication_close(pub);
}

/* A rate too high for one wait per datagram: the pacer falls behind and
 * cuts the batch into groups of up to the burst, due together. With GSO
 * allowed on the publication they still leave as datagrams of their own,
 * so that a queue on the way (a shaping qdisc, a switch port emulated with
 * tbf) never takes a packet of several (docs/pacing.md). */
static void
test_paced_cuts_plain(int receiver)
{
  int total = FRAMES * FRAME_DATAGRAMS;
  mctx_publication_config cfg;
  cfg_init(&cfg, GROUP, PORT_CUTS);
  cfg_interface(&cfg, "lo");
  cfg.pacing_rate_bps = 10000000000ull;
  cfg.pacing_burst = 8;
  mctx_publication *pub;
  mctx_error err;
  CHECK_OK(mctx_publication_open(&cfg, &pub, &err), err);
  size_t next = 0;
  for (int tries = 0; next < (size_t) total && tries < 1000; tries++) {
    size_t sent = 0;
    int rc = mctx_publication_send_batch(pub, datagrams + next, total - next,
                                         &sent, &err);
    next += sent;
    CHECK(rc == MCTX_OK || mctx_error_is_transient(rc), "paced cuts: %s",
          err.message);
  }
  int got = count_received(receiver, total);
  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  printf("paced cuts at 10 Gbit/s, burst 8: %d of %d arrived, %llu GSO "
         "packets\n",
         got, total, (unsigned long long) atomic_load(&pub->gso_calls));
  CHECK(next == (size_t) total && got == total,
        "paced cuts: %zu sent, %d of %d arrived", next, got, total);
  CHECK(m.paced_packets == (uint64_t) total, "%llu of %d left paced",
        (unsigned long long) m.paced_packets, total);
  CHECK(atomic_load(&pub->gso_calls) == 0,
        "paced cuts went out as %llu GSO packets",
        (unsigned long long) atomic_load(&pub->gso_calls));
  mctx_publication_close(pub);
}

/* FRAMES frames, each handed over at once at its frame time. */
static void
send_stream(mctx_publication *pub)
{
  uint64_t start = mctx_monotonic_ns();
  for (int f = 0; f < FRAMES; f++) {
    uint64_t at = start + f * FRAME_NS;
    struct timespec ts = {.tv_sec = at / 1000000000ull,
                          .tv_nsec = at % 1000000000ull};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    size_t next = f * FRAME_DATAGRAMS, end = next + FRAME_DATAGRAMS;
    for (int tries = 0; next < end && tries < 100000; tries++) {
      size_t sent = 0;
      mctx_error err;
      int rc = mctx_publication_send_batch(pub, datagrams + next, end - next,
                                           &sent, &err);
      next += sent;
      if (rc == MCTX_OK)
        break;
      /* Unpaced, tbf refuses what does not fit: that is the loss. */
      CHECK(mctx_error_is_transient(rc), "frame %d: %s", f, err.message);
      next++;
    }
  }
}

static void
test_switch_buffer(int paced_receiver, int unpaced_receiver)
{
  int total = FRAMES * FRAME_DATAGRAMS;

  mctx_publication *unpaced = open_paced(PORT_UNPACED, 0, "pca");
  send_stream(unpaced);
  int unpaced_got = count_received(unpaced_receiver, total);
  printf("unpaced (not asserted): %d of %d arrived\n", unpaced_got, total);
  mctx_publication_close(unpaced);

  mctx_publication *paced = open_paced(PORT_PACED, PACING_RATE, "pca");
  send_stream(paced);
  int got = count_received(paced_receiver, total);
  mctx_metrics m;
  mctx_publication_metrics_snapshot(paced, &m);
  printf("paced at %llu bit/s: %d of %d arrived; lateness mean %.1f us, "
         "recent max %.1f us\n",
         PACING_RATE, got, total,
         m.paced_packets ? m.pacing_late_ns_sum / 1e3 / m.paced_packets : 0.0,
         m.pacing_late_max_ns / 1e3);
  CHECK(m.paced_packets == (uint64_t) total, "%llu of %d left paced",
        (unsigned long long) m.paced_packets, total);
  CHECK(got == total, "paced: the receiver got %d of %d", got, total);
  mctx_publication_close(paced);
}

int
main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  testnet_private_netns_or_skip();
  datagrams_init();

  testnet_sh_ok("ip link set lo up");
  int lo_receiver = recv_socket(NULL, AF_INET, PORT_INTERRUPT);
  mcast_join_v4(lo_receiver, GROUP, testnet_ifindex("lo"));
  test_interrupt_and_live_rate(lo_receiver);
  close(lo_receiver);
  int cuts_receiver = recv_socket(NULL, AF_INET, PORT_CUTS);
  mcast_join_v4(cuts_receiver, GROUP, testnet_ifindex("lo"));
  test_paced_cuts_plain(cuts_receiver);
  close(cuts_receiver);

  /* The emulated switch port: everything arriving on the peer's veth goes
   * through an ifb whose tbf has a switch port's rate and a shallow
   * buffer. */
  const char *ns = testnet_peer_create("pc");
  testnet_veth("pca", ns, "pcb");
  testnet_sh_ok("ip addr add 10.62.0.1/24 dev pca");
  testnet_sh_ok("ip -n %s addr add 10.62.0.2/24 dev pcb", ns);
  if (testnet_sh("ip -n %s link add pcifb type ifb", ns) != 0)
    testnet_skip("cannot create an ifb device (ifb module missing?)");
  testnet_sh_ok("ip -n %s link set pcifb up", ns);
  if (testnet_sh("tc -n %s qdisc add dev pcifb root " SWITCH_PORT, ns) != 0)
    testnet_skip("cannot add a tbf qdisc (sch_tbf missing?)");
  testnet_sh_ok("tc -n %s qdisc add dev pcb ingress", ns);
  testnet_sh_ok("tc -n %s filter add dev pcb parent ffff: protocol all u32 "
                "match u32 0 0 action mirred egress redirect dev pcifb",
                ns);

  uint32_t peer_index = testnet_ifindex_in(ns, "pcb");
  int paced_receiver = recv_socket(ns, AF_INET, PORT_PACED);
  mcast_join_v4(paced_receiver, GROUP, peer_index);
  int unpaced_receiver = recv_socket(ns, AF_INET, PORT_UNPACED);
  mcast_join_v4(unpaced_receiver, GROUP, peer_index);
  test_switch_buffer(paced_receiver, unpaced_receiver);
  testnet_sh("tc -n %s -s qdisc show dev pcifb", ns);

  close(paced_receiver);
  close(unpaced_receiver);
  printf("PASS\n");
  return 0;
}
