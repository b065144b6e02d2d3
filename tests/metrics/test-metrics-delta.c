/* Deltas, rates, clocks and the context sampler's first sample.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mctx.h>
#include <testnet.h>

#include <stdio.h>
#include <string.h>

#define CHECK TESTNET_CHECK

static mctx_metrics
context_snapshot(double at, uint64_t mono, uint64_t scale)
{
  mctx_metrics m;
  memset(&m, 0, sizeof m);
  m.publications_added = 2 * scale;
  m.publications_removed = 1 * scale;
  m.active_publications = 1;
  m.send_calls = 100 * scale;
  m.packets_sent = 90 * scale;
  m.bytes_sent = 9000 * scale;
  m.send_errors = 10 * scale;
  m.would_block = 4 * scale;
  m.captured_at = at;
  m.captured_mono_ns = mono;
  return m;
}

static void
test_context_delta(void)
{
  mctx_metrics earlier = context_snapshot(123.0, 1000, 1);
  mctx_metrics later = context_snapshot(125.5, 3000, 3);
  mctx_metrics_delta d;

  CHECK(mctx_metrics_diff(&later, &earlier, 2.0, &d) == MCTX_OK,
        "delta refused");
  CHECK(d.interval_secs == 2.0, "caller interval %f not used", d.interval_secs);
  CHECK(d.publications_added == 4 && d.publications_removed == 2,
        "publication deltas %llu/%llu",
        (unsigned long long) d.publications_added,
        (unsigned long long) d.publications_removed);
  CHECK(d.send_calls == 200 && d.packets_sent == 180 && d.bytes_sent == 18000 &&
            d.send_errors == 20 && d.would_block == 8,
        "counter deltas wrong");
  CHECK(mctx_metrics_rate(d.packets_sent, d.interval_secs) == 90.0,
        "packets per second");

  /* A negative interval: the snapshots' wall-clock difference. */
  CHECK(mctx_metrics_diff(&later, &earlier, -1.0, &d) == MCTX_OK,
        "wall-clock delta refused");
  CHECK(d.interval_secs == 2.5, "wall interval %f, expected 2.5",
        d.interval_secs);

  /* The same snapshot twice: all zero, interval 0, rates 0. */
  CHECK(mctx_metrics_diff(&later, &later, -1.0, &d) == MCTX_OK,
        "self delta refused");
  CHECK(d.interval_secs == 0.0 && d.send_calls == 0, "self delta not zero");
  CHECK(mctx_metrics_rate(d.send_calls, d.interval_secs) == 0.0, "rate");

  /* Earlier taken after later: refused on either clock. */
  CHECK(mctx_metrics_diff(&earlier, &later, -1.0, &d) ==
            MCTX_E_INVALID_ARGUMENT,
        "swapped snapshots accepted");
  mctx_metrics same_counts = later;
  same_counts.captured_at = 100.0;
  same_counts.captured_mono_ns = 500;
  CHECK(mctx_metrics_diff(&same_counts, &later, 1.0, &d) ==
            MCTX_E_INVALID_ARGUMENT,
        "a later monotonic time in 'earlier' accepted with an explicit "
        "interval");

  /* Any counter going backwards is refused. */
  size_t offsets[] = {
      offsetof(mctx_metrics, publications_added),
      offsetof(mctx_metrics, publications_removed),
      offsetof(mctx_metrics, send_calls),
      offsetof(mctx_metrics, packets_sent),
      offsetof(mctx_metrics, bytes_sent),
      offsetof(mctx_metrics, send_errors),
      offsetof(mctx_metrics, would_block),
  };
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    mctx_metrics back = later;
    *(uint64_t *) ((char *) &back + offsets[i]) = 0;
    CHECK(mctx_metrics_diff(&back, &earlier, 1.0, &d) ==
              MCTX_E_INVALID_ARGUMENT,
          "counter at offset %zu went backwards unnoticed", offsets[i]);
  }
  /* The gauge is no counter: fewer active publications is fine. */
  mctx_metrics fewer = later;
  fewer.active_publications = 0;
  CHECK(mctx_metrics_diff(&fewer, &earlier, 1.0, &d) == MCTX_OK,
        "a falling gauge refused");

  CHECK(mctx_metrics_diff(NULL, &earlier, 1.0, &d) == MCTX_E_INVALID_ARGUMENT,
        "NULL accepted");
}

static void
test_publication_delta(void)
{
  mctx_metrics a = {.send_calls = 10,
                    .packets_sent = 9,
                    .bytes_sent = 900,
                    .send_errors = 1,
                    .would_block = 1,
                    .captured_at = 50.0,
                    .captured_mono_ns = 10};
  mctx_metrics b = {.send_calls = 30,
                    .packets_sent = 27,
                    .bytes_sent = 2700,
                    .send_errors = 3,
                    .would_block = 2,
                    .captured_at = 54.0,
                    .captured_mono_ns = 20};
  mctx_metrics_delta d;

  memset(&d, 0xff, sizeof d);
  CHECK(mctx_metrics_diff(&b, &a, -1.0, &d) == MCTX_OK,
        "publication delta refused");
  CHECK(d.interval_secs == 4.0 && d.send_calls == 20 && d.packets_sent == 18 &&
            d.bytes_sent == 1800 && d.send_errors == 2 && d.would_block == 1,
        "publication delta wrong");
  CHECK(d.publications_added == 0 && d.publications_removed == 0,
        "a publication delta has no publication counts");
  CHECK(mctx_metrics_rate(d.bytes_sent, d.interval_secs) == 450.0, "rate");
  b.bytes_sent = 100;
  CHECK(mctx_metrics_diff(&b, &a, 1.0, &d) == MCTX_E_INVALID_ARGUMENT,
        "bytes going backwards accepted");
}

static void
test_rates_and_clocks(void)
{
  CHECK(mctx_metrics_rate(10, 4.0) == 2.5, "10/4");
  CHECK(mctx_metrics_rate(10, 0.0) == 0.0, "rate over 0 s must be 0.0");
  CHECK(mctx_metrics_rate(10, -1.0) == 0.0, "rate over <0 s must be 0.0");

  double now = mctx_unix_time_secs();
  CHECK(now > 1.5e9 && now < 1.0e10, "unix time %f is not a plausible now",
        now);
  uint64_t t0 = mctx_monotonic_ns(), t1 = mctx_monotonic_ns();
  CHECK(t0 > 0 && t1 >= t0, "monotonic clock went backwards");
}

static void
test_context_sampler(void)
{
  mctx_context *ctx = NULL;
  mctx_sampler s;
  mctx_metrics now;
  mctx_metrics_delta d;

  CHECK(mctx_context_new(&ctx) == MCTX_OK, "mctx_context_new");
  mctx_sampler_init(&s);
  mctx_context_metrics_snapshot(ctx, &now);
  CHECK(!mctx_sampler_sample(&s, &now, &d),
        "the first sample must not give a delta");
  CHECK(now.captured_at > 0.0 && now.captured_mono_ns > 0, "now not filled");
  uint64_t first_mono = now.captured_mono_ns;
  mctx_context_metrics_snapshot(ctx, &now);
  CHECK(mctx_sampler_sample(&s, &now, &d),
        "the second sample must give a delta");
  CHECK(now.captured_mono_ns >= first_mono, "monotonic time went back");
  CHECK(d.interval_secs == (double) (now.captured_mono_ns - first_mono) / 1e9,
        "the interval is not the monotonic difference");
  CHECK(d.send_calls == 0 && d.publications_added == 0, "idle context moved");
  /* A NULL delta is fine. */
  mctx_context_metrics_snapshot(ctx, &now);
  CHECK(mctx_sampler_sample(&s, &now, NULL), "third sample");

  mctx_context_metrics_snapshot(ctx, &now);
  CHECK(now.active_publications == 0 && now.publications_added == 0 &&
            now.send_calls == 0,
        "a new context has counts");
  mctx_context_free(ctx);
}

int
main(void)
{
  test_context_delta();
  test_publication_delta();
  test_rates_and_clocks();
  test_context_sampler();
  printf("PASS: metrics-delta\n");
  return 0;
}
