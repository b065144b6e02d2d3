/* The pacer's schedule with a clock of the test's own (no sleeping, no
 * network): due times from wire sizes and the rate, the burst limit after
 * a late buffer, batches split where the due times part, rate changes,
 * and the lateness it reports.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"
#include "testnet.h"

#include <stdio.h>

#define CHECK TESTNET_CHECK

#define IPV4_UDP_HEADERS 28u
#define IPV6_UDP_HEADERS 48u

static void
check_u64(uint64_t got, uint64_t want, const char *what)
{
  CHECK(got == want, "%s: got %llu, want %llu", what, (unsigned long long) got,
        (unsigned long long) want);
}

/* One datagram of payload bytes, offered at now: how many may leave, and
 * when the first would be due otherwise. */
static size_t
take_sizes(mctx__pacer *p, const size_t *sizes, size_t count, uint64_t now,
           uint64_t *due, mctx__pacing_lateness *late)
{
  return mctx__pacer_take(p, NULL, sizes, count, now, due, late);
}

/* 1316-byte payloads over IPv4 are 1344 bytes (10752 bits) on the wire:
 * at 10.752 Mbit/s exactly one millisecond each. */
static void
test_due_times(void)
{
  mctx__pacer p;
  mctx__pacer_init(&p, 10752000, 1, IPV4_UDP_HEADERS);
  check_u64(mctx__pacer_wire_ns(&p, 1316), 1000000, "wire time of 1316 B");

  size_t size = 1316;
  uint64_t t = 5000000000ull, due = 0;
  mctx__pacer_begin(&p, t);
  CHECK(take_sizes(&p, &size, 1, t, &due, NULL) == 1,
        "the first datagram is due at once");
  for (int i = 1; i <= 5; i++) {
    CHECK(take_sizes(&p, &size, 1, t, &due, NULL) == 0,
          "datagram %d left before it was due", i);
    check_u64(due, t + 1000000, "due time one wire time after the last");
    t = due; /* the clock reaches it exactly */
    CHECK(take_sizes(&p, &size, 1, t, &due, NULL) == 1,
          "datagram %d did not leave when due", i);
  }

  /* IPv6 headers are 20 bytes longer. */
  mctx__pacer_init(&p, 8000000, 1, IPV6_UDP_HEADERS);
  check_u64(mctx__pacer_wire_ns(&p, 952), 1000000, "IPv6: 1000 B at 8 Mbit/s");

  /* The fraction of a nanosecond is not lost: a 1-byte payload is 232 bits
   * on the wire, 77.33 ns at 3 Gbit/s, so three take 232 ns, not 231. */
  mctx__pacer_init(&p, 3000000000ull, 1, IPV4_UDP_HEADERS);
  size = 1;
  t = 1000;
  mctx__pacer_begin(&p, t);
  for (int i = 0; i < 3; i++) {
    while (take_sizes(&p, &size, 1, t, &due, NULL) == 0)
      t = due;
  }
  CHECK(take_sizes(&p, &size, 1, t, &due, NULL) == 0, "fourth too early");
  check_u64(due, 1000 + 232, "three fractional wire times");
  printf("due times: ok\n");
}

/* A buffer that comes late (the schedule far in the past) sends burst
 * datagrams back to back, then one per wire time. */
static void
test_burst_after_late_buffer(void)
{
  size_t sizes[10];
  for (int i = 0; i < 10; i++)
    sizes[i] = 1316;
  for (uint32_t burst = 1; burst <= 4; burst++) {
    mctx__pacer p;
    mctx__pacer_init(&p, 10752000, burst, IPV4_UDP_HEADERS);
    uint64_t t = 1000000000ull, due = 0;
    mctx__pacer_begin(&p, t);
    CHECK(take_sizes(&p, sizes, 1, t, &due, NULL) == 1, "first");
    /* The next buffer comes 50 ms late: 50 datagrams behind. */
    t += 50000000ull;
    mctx__pacer_begin(&p, t);
    size_t k = take_sizes(&p, sizes, 10, t, &due, NULL);
    CHECK(k == burst, "burst %u: %zu left back to back", burst, k);
    /* The rest at the rate. */
    CHECK(take_sizes(&p, sizes + k, 10 - k, t, &due, NULL) == 0,
          "burst %u: more left at once", burst);
    check_u64(due, t + 1000000, "after the burst, one wire time");
  }
  printf("burst after a late buffer: ok\n");
}

/* A list of datagrams splits where due times part: all due together leave
 * as one group, the next group waits. Different sizes give different wire
 * times. */
static void
test_lists_split_by_due_time(void)
{
  mctx__pacer p;
  mctx__pacer_init(&p, 10752000, 3, IPV4_UDP_HEADERS);
  char bytes[4][1316];
  mctx_buf bufs[4][2];
  mctx_datagram d[4];
  for (int i = 0; i < 4; i++) {
    /* Each datagram in two buffers: the pacer sums them. */
    bufs[i][0] = (mctx_buf){bytes[i], 16};
    bufs[i][1] = (mctx_buf){bytes[i] + 16, 1300};
    d[i] = (mctx_datagram){bufs[i], 2};
  }
  uint64_t t = 7000000000ull, due = 0;
  mctx__pacer_begin(&p, t);
  /* Idle before: the burst limit allows three at once. */
  size_t k = mctx__pacer_take(&p, d, NULL, 4, t, &due, NULL);
  CHECK(k == 3, "%zu of 4 left together, want the burst of 3", k);
  CHECK(mctx__pacer_take(&p, d + 3, NULL, 1, t, &due, NULL) == 0,
        "fourth early");
  check_u64(due, t + 1000000, "fourth due one wire time later");

  /* On schedule (no backlog): one per group. */
  t = due;
  size_t sent = 3;
  CHECK(mctx__pacer_take(&p, d + 3, NULL, 1, t, &due, NULL) == 1, "fourth due");
  sent++;
  for (int round = 0; round < 5; round++) {
    CHECK(mctx__pacer_take(&p, d, NULL, 4, t, &due, NULL) == 0, "early");
    t = due;
    CHECK(mctx__pacer_take(&p, d, NULL, 4, t, &due, NULL) == 1,
          "on schedule a group holds one datagram");
  }
  printf("lists split by due time: ok\n");
}

/* A rate change counts the last datagram's wire time again at the new
 * rate: from 1 bit/s (hours per datagram) to a fast rate the next is due
 * soon. */
static void
test_rate_change(void)
{
  mctx__pacer p;
  size_t size = 1316;
  uint64_t t = 1000, due = 0;
  mctx__pacer_init(&p, 1, 1, IPV4_UDP_HEADERS);
  mctx__pacer_begin(&p, t);
  CHECK(take_sizes(&p, &size, 1, t, &due, NULL) == 1, "first");
  CHECK(take_sizes(&p, &size, 1, t, &due, NULL) == 0, "second early");
  check_u64(due, t + 10752ull * 1000000000ull, "10752 s at 1 bit/s");
  mctx__pacer_set(&p, 10752000, 1);
  CHECK(take_sizes(&p, &size, 1, t, &due, NULL) == 0, "second early");
  check_u64(due, t + 1000000, "1 ms at the new rate");
  printf("rate change: ok\n");
}

/* Lateness counts from the call's start (or the schedule, if later): a
 * sender slower than its rate sees it grow; a late buffer does not count
 * as lateness. */
static void
test_lateness(void)
{
  mctx__pacer p;
  size_t size = 1316;
  uint64_t t = 1000000000ull, due = 0;
  mctx__pacing_lateness late = {0};
  mctx__pacer_init(&p, 10752000, 1, IPV4_UDP_HEADERS);
  mctx__pacer_begin(&p, t);
  /* Each departure 1.5 ms after the one before, the rate wants 1 ms. */
  for (int i = 0; i < 4; i++) {
    CHECK(take_sizes(&p, &size, 1, t, &due, &late) == 1, "due");
    t += 1500000;
  }
  check_u64(late.departures, 4, "departures");
  check_u64(late.max_ns, 1500000, "largest lateness (3 x 0.5 ms)");
  check_u64(late.sum_ns, 0 + 500000 + 1000000 + 1500000, "summed lateness");

  /* A late buffer: begin() moves the start, nothing is late. */
  late = (mctx__pacing_lateness){0};
  t += 1000000000ull;
  mctx__pacer_begin(&p, t);
  CHECK(take_sizes(&p, &size, 1, t, &due, &late) == 1, "due");
  check_u64(late.max_ns, 0, "a late buffer is not lateness");
  printf("lateness: ok\n");
}

static void
test_config(void)
{
  mctx_publication_config cfg;
  mctx_error err;
  mctx_publication_config_init(&cfg);
  check_u64(cfg.pacing_rate_bps, 0, "default rate");
  check_u64(cfg.pacing_burst, 2, "default burst");
  CHECK(mctx_publication_config_init_group(&cfg, "239.1.2.3", 5000, &err) ==
            MCTX_OK,
        "%s", err.message);
  cfg.pacing_rate_bps = 1000000;
  cfg.pacing_burst = 0;
  int rc = mctx_publication_config_validate(&cfg, &err);
  CHECK(rc == MCTX_E_INVALID_ARGUMENT && err.subject == MCTX_SUBJECT_PACING,
        "burst 0 accepted: %s", mctx_code_name(rc));
  printf("error text: %s\n", err.message);
  CHECK(!mctx_error_is_transient(MCTX_E_INTERRUPTED),
        "MCTX_E_INTERRUPTED must not be transient");
  printf("config: ok\n");
}

int
main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  test_due_times();
  test_burst_after_late_buffer();
  test_lists_split_by_due_time();
  test_rate_change();
  test_lateness();
  test_config();
  printf("PASS\n");
  return 0;
}
