/* mctx-bench-gsoauto: what gso = auto costs against gso = on on a noqueue
 * veth, where both build the same GSO packets (auto reads the qdisc at open
 * and on snapshots; the send path reads one cached flag).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Runs in a private network namespace it creates (root only): a veth pair
 * whose far end has no listener, so the datagrams go no further. Alternates
 * auto and on for --rounds rounds of --secs seconds each, batches of 64 x
 * 1316 bytes, a metrics snapshot every second as mctxsink takes one, and
 * prints datagrams/s per mode and what one snapshot costs.
 *
 *   mctx-bench-gsoauto [--rounds N] [--secs S]
 */
#include <mctx.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 64
#define SIZE 1316

static double
run(mctx_gso_mode mode, double secs)
{
  mctx_publication_config cfg;
  mctx_publication *pub = NULL;
  mctx_error err;
  mctx_publication_config_init_group(&cfg, "239.255.77.1", 5000, NULL);
  mctx_interface_parse("bgso0", &cfg.interface, NULL);
  cfg.gso = mode;
  if (mctx_publication_open(&cfg, &pub, &err) != MCTX_OK) {
    fprintf(stderr, "open: %s\n", err.message);
    exit(1);
  }
  static unsigned char payload[BATCH][SIZE];
  mctx_buf bufs[BATCH];
  mctx_datagram d[BATCH];
  for (int i = 0; i < BATCH; i++) {
    bufs[i].base = payload[i];
    bufs[i].len = SIZE;
    d[i].bufs = &bufs[i];
    d[i].nbufs = 1;
  }
  uint64_t start = mctx_monotonic_ns(), end = start + (uint64_t) (secs * 1e9);
  uint64_t next_tick = start + 1000000000ull, sent_total = 0, now;
  mctx_metrics m;
  while ((now = mctx_monotonic_ns()) < end) {
    size_t sent = 0;
    mctx_publication_send_batch(pub, d, BATCH, &sent, NULL);
    sent_total += sent;
    if (now >= next_tick) {
      mctx_publication_metrics_snapshot(pub, &m);
      next_tick += 1000000000ull;
    }
  }
  double rate = sent_total / ((mctx_monotonic_ns() - start) / 1e9);
  mctx_publication_close(pub);
  return rate;
}

int
main(int argc, char **argv)
{
  int rounds = 3;
  double secs = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--rounds") == 0)
      rounds = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--secs") == 0)
      secs = atof(argv[i + 1]);
  }
  if (unshare(CLONE_NEWNET) != 0) {
    perror("unshare (root needed)");
    return 77;
  }
  if (system("ip link add bgso0 type veth peer name bgso1 && "
             "ip link set bgso0 up && ip link set bgso1 up && "
             "ip addr add 10.99.0.1/24 dev bgso0") != 0)
    return 1;

  for (int r = 0; r < rounds; r++) {
    double on = run(MCTX_GSO_ON, secs);
    double au = run(MCTX_GSO_AUTO, secs);
    printf("round=%d gso_on_dps=%.0f gso_auto_dps=%.0f auto_vs_on=%+.1f%%\n", r,
           on, au, 100.0 * (au - on) / on);
  }

  /* One snapshot: the metrics tick's cost, which auto shares with on. */
  mctx_publication_config cfg;
  mctx_publication *pub = NULL;
  mctx_publication_config_init_group(&cfg, "239.255.77.1", 5000, NULL);
  mctx_interface_parse("bgso0", &cfg.interface, NULL);
  mctx_publication_open(&cfg, &pub, NULL);
  mctx_metrics m;
  uint64_t t0 = mctx_monotonic_ns();
  for (int i = 0; i < 1000; i++)
    mctx_publication_metrics_snapshot(pub, &m);
  printf("snapshot_us=%.1f (rtnetlink qdisc read included)\n",
         (mctx_monotonic_ns() - t0) / 1000.0 / 1000);
  mctx_publication_close(pub);
  return 0;
}
