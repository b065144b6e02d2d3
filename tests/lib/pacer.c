/* The pacer's schedule with a clock of the test's own (no sleeping, no
 * network): due times from wire sizes and the rate, the burst limit after
 * a late buffer, batches split where the due times part, rate changes,
 * and the lateness it reports.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"
#include "testnet.h"

#include <stdbool.h>
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

/* Sends count datagrams of 1316 B with a clock that jumps to each wait's
 * end (or, once, stalls for stall_ns after datagram stall_after),
 * recording when each left and how many left with it. */
typedef struct {
  uint64_t left_at[400];
  size_t group_of[400];
} departures;

static uint64_t
run_stalled(mctx__pacer *p, uint64_t t, size_t count, size_t stall_after,
            uint64_t stall_ns, departures *d)
{
  size_t sizes[400];
  for (size_t i = 0; i < count; i++)
    sizes[i] = 1316;
  mctx__pacer_begin(p, t);
  size_t done = 0;
  bool stalled = false;
  while (done < count) {
    uint64_t due = 0;
    size_t k = take_sizes(p, sizes + done, count - done, t, &due, NULL);
    if (k == 0) {
      CHECK(due > t, "a wait into the past at datagram %zu", done);
      t = due;
      continue;
    }
    CHECK(k <= p->burst, "%zu back to back, burst %u", k, p->burst);
    for (size_t i = 0; i < k; i++) {
      d->left_at[done + i] = t;
      d->group_of[done + i] = k;
    }
    done += k;
    if (!stalled && done > stall_after) {
      stalled = true;
      t += stall_ns;
    }
  }
  return t;
}

/* A pacer that falls behind inside a call (a stalled thread) keeps its
 * schedule: groups of at most burst (of one while the debt is small),
 * each after 31/32 of the previous
 * group's wire time (it catches up 1/32 faster than the rate, no faster;
 * a quarter of a wire time sooner right after the late group), until the
 * datagrams leave at their first due times again. */
static void
test_catch_up(void)
{
  for (uint32_t burst = 1; burst <= 3; burst++) {
    mctx__pacer p;
    departures d;
    mctx__pacer_init(&p, 10752000, burst, IPV4_UDP_HEADERS);
    uint64_t t0 = 1000000000ull, w = 1000000;
    /* 4.5 ms stalled after the 11th datagram: 4.5 wire times behind. */
    run_stalled(&p, t0, 300, 10, 4500000, &d);
    for (size_t i = 12; i < 300; i++) {
      if (d.left_at[i] == d.left_at[i - 1])
        continue; /* same group */
      uint64_t gap = d.left_at[i] - d.left_at[i - 1];
      uint64_t group_wire = d.group_of[i - 1] * w;
      /* The group after the late one may follow a quarter of its wire time
       * sooner (what absorbs a late wake-up); the rest keep the full
       * spacing, the clock here being exact. */
      uint64_t slack = d.left_at[i - 1] == d.left_at[11] ? group_wire / 4 : 0;
      CHECK(gap >= group_wire - group_wire / 32 - slack,
            "burst %u: datagram %zu left %llu ns after the group of %zu "
            "before it, faster than catching up allows",
            burst, i, (unsigned long long) gap, d.group_of[i - 1]);
    }
    /* The first burst left together: the schedule starts burst - 1 wire
     * times before t0. */
    check_u64(d.left_at[299], t0 + (299 - (burst - 1)) * w,
              "the last datagram leaves on its first schedule");
    check_u64(d.left_at[11], d.left_at[10] + 4500000,
              "the 12th leaves as the stall ends");
    /* A debt under MCTX__PACER_GROUP_DEBT_WIRES wire times is caught up
     * one datagram at a time. */
    for (size_t i = 11; i < 300; i++)
      CHECK(d.group_of[i] == 1, "burst %u: datagram %zu in a group of %zu",
            burst, i, d.group_of[i]);
  }
  /* Behind by 10 wire times: groups of 2 (a datagram more per 8 wire
   * times), then of one. */
  {
    mctx__pacer p;
    departures d;
    mctx__pacer_init(&p, 10752000, 3, IPV4_UDP_HEADERS);
    run_stalled(&p, 1000000000ull, 300, 10, 10000000, &d);
    check_u64(d.group_of[11], 2, "a group of 2 ten wire times behind");
    check_u64(d.group_of[299], 1, "one at a time once caught up");
  }
  printf("catch up after a stall: ok\n");
}

/* Behind by more than MCTX__PACER_CATCHUP_NS, the rest is forgiven: the
 * pacer does not chase a schedule seconds in the past. */
static void
test_catch_up_forgiven(void)
{
  mctx__pacer p;
  departures d;
  mctx__pacer_init(&p, 10752000, 2, IPV4_UDP_HEADERS);
  uint64_t t0 = 1000000000ull, w = 1000000;
  uint64_t end = run_stalled(&p, t0, 100, 10, 1000000000ull, &d);
  uint64_t behind = d.left_at[11] - p.ideal_due_ns;
  (void) end;
  CHECK(d.left_at[11] > t0 + 1000000000ull, "stalled");
  CHECK(p.next_due_ns + MCTX__PACER_CATCHUP_NS + 100 * w >= d.left_at[99],
        "the schedule was kept more than the catch-up limit behind (%llu)",
        (unsigned long long) behind);
  printf("catch-up limit: ok\n");
}

/* Single datagrams handed over one by one, the caller back 10 us after
 * each send: one that left 1.5 ms late does not shift the schedule; the
 * pacer catches up 1/32 faster than the rate until the datagrams leave at
 * their first due times. A caller that was idle starts it again. */
static void
test_straight_back_keeps_schedule(void)
{
  mctx__pacer p;
  size_t size = 1316;
  uint64_t t0 = 1000000000ull, now = t0, due = 0, w = 1000000;
  uint64_t left_at[100];
  mctx__pacer_init(&p, 10752000, 1, IPV4_UDP_HEADERS);
  for (int i = 0; i < 100; i++) {
    mctx__pacer_begin(&p, now);
    while (take_sizes(&p, &size, 1, now, &due, NULL) == 0)
      now = i == 1 ? due + 1500000 : due; /* the second wakes up late */
    left_at[i] = now;
    now += 10000;
  }
  check_u64(left_at[1], t0 + w + 1500000, "second late");
  check_u64(left_at[2], left_at[1] - w / 4 + w - w / 32,
            "the third a quarter of a wire time sooner, less 1/32");
  check_u64(left_at[3], left_at[2] + w - w / 32, "the fourth 1/32 sooner");
  check_u64(left_at[99], t0 + 99 * w, "back on the first schedule");

  /* Idle for 10 ms: the schedule starts again from the call. */
  p.burst = 2;
  now = left_at[99] + 10000000;
  mctx__pacer_begin(&p, now);
  mctx__pacing_lateness late = {0};
  CHECK(take_sizes(&p, &size, 1, now, &due, &late) == 1, "after idle");
  check_u64(late.max_ns, 0, "a source that was idle is not late");
  mctx__pacer_begin(&p, now + 10000);
  CHECK(take_sizes(&p, &size, 1, now + 10000, &due, NULL) == 1,
        "burst 2 after idle, across calls");
  mctx__pacer_begin(&p, now + 20000);
  CHECK(take_sizes(&p, &size, 1, now + 20000, &due, NULL) == 0,
        "then the rate");
  check_u64(due, now + w, "one wire time after the burst");
  printf("a caller straight back keeps the schedule: ok\n");
}

/* A call that ends right after a pair left while the pacer was catching
 * up, and a caller back 1.2 wire times later (more than one datagram's
 * wire time, less than the pair's catching-up spacing): the caller was
 * waiting for the pacer, not idle, so its call gets no fresh burst and the
 * next group still waits 31/32 of the pair's wire time (less the quarter
 * that absorbs a late wake-up). */
static void
test_catch_up_across_calls(void)
{
  mctx__pacer p;
  size_t sizes[20];
  for (size_t i = 0; i < 20; i++)
    sizes[i] = 1316;
  uint64_t t0 = 1000000000ull, due = 0, w = 1000000;
  mctx__pacer_init(&p, 10752000, 2, IPV4_UDP_HEADERS);
  mctx__pacer_begin(&p, t0);
  check_u64(take_sizes(&p, sizes, 20, t0, &due, NULL), 2, "the first burst");
  /* The thread stalls for 20 wire times: 18 behind, so pairs. */
  uint64_t stalled = t0 + 20 * w;
  check_u64(take_sizes(&p, sizes, 18, stalled, &due, NULL), 2,
            "a pair after the stall");
  uint64_t back = stalled + w + w / 5;
  mctx__pacer_begin(&p, back);
  check_u64(take_sizes(&p, sizes, 16, back, &due, NULL), 0,
            "the caller back 1.2 wire times after the pair");
  uint64_t pair = 2 * w;
  CHECK(due >= stalled + pair - pair / 32 - pair / 4,
        "the next group may leave %lld ns after the pair",
        (long long) (due - stalled));
  printf("catching up across calls: ok\n");
}

/* The wait sleeps until the learnt wake-up cost before the due time and
 * busy-polls shorter waits; the cost follows a low quantile of how late
 * sleeps end, capped. */
static void
test_wake_cost(void)
{
  mctx__pacer p;
  mctx__pacer_init(&p, 10752000, 2, IPV4_UDP_HEADERS);
  uint64_t now = 1000000000ull;
  check_u64(mctx__pacer_sleep_until(&p, now, now + MCTX__PACER_SPIN_NS), 0,
            "a wait of the spin's length does not sleep");
  check_u64(mctx__pacer_sleep_until(&p, now, now + 100000), now + 100000,
            "nothing learnt: sleep until due");
  check_u64(mctx__pacer_sleep_until(&p, now, now - 1), 0, "due: no sleep");
  for (int i = 0; i < 200; i++)
    mctx__pacer_woke(&p, now, now + 40000);
  CHECK(p.wake_cost_ns > 35000 && p.wake_cost_ns <= 40000,
        "wake-ups 40 us late: cost %llu", (unsigned long long) p.wake_cost_ns);
  uint64_t cost = p.wake_cost_ns;
  check_u64(mctx__pacer_sleep_until(&p, now, now + 100000), now + 100000 - cost,
            "sleep ends the cost before due");
  check_u64(mctx__pacer_sleep_until(&p, now, now + cost + MCTX__PACER_SPIN_NS),
            0, "a wait within the cost and the spin busy-polls");
  /* A stall (a wake-up 5 ms late) is capped, an early one pulls it down
   * fast. */
  mctx__pacer_woke(&p, now, now + 5000000);
  CHECK(p.wake_cost_ns <= MCTX__PACER_WAKE_COST_MAX_NS, "cost capped: %llu",
        (unsigned long long) p.wake_cost_ns);
  for (int i = 0; i < 200; i++)
    mctx__pacer_woke(&p, now, now + 5000000);
  check_u64(p.wake_cost_ns <= MCTX__PACER_WAKE_COST_MAX_NS, 1,
            "cost stays capped under stalls");
  uint64_t high = p.wake_cost_ns;
  mctx__pacer_woke(&p, now, now + 2000);
  CHECK(p.wake_cost_ns <= (high + 2000) / 2 + 1,
        "an early wake-up halves the distance (%llu)",
        (unsigned long long) p.wake_cost_ns);
  printf("wake-up cost: ok\n");
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
  test_catch_up();
  test_catch_up_forgiven();
  test_straight_back_keeps_schedule();
  test_catch_up_across_calls();
  test_wake_cost();
  test_config();
  printf("PASS\n");
  return 0;
}
