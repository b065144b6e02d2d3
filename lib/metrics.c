/* Send counters without a lock on the send path, coherent reads, deltas,
 * rates and samplers. A leaf: publications and contexts take their
 * snapshots with the cell reads below; nothing here knows them.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The counters of a cell are guarded by a sequence number(a seqlock). A
 * writer takes the sequence from even to odd with a compare-and-swap, which
 * both announces "update in progress" to readers and serialises writers from
 * several threads; it then updates the counters and publishes an even value
 * again. A reader copies the counters between two loads of the sequence and
 * retries until both loads saw the same even value, so a snapshot never
 * contains half of one send. The memory orders follow Boehm, "Can seqlocks
 * get along with programming language memory models?" (MSPC 2012).
 */
#include "mctx-private.h"

#include <math.h>
#include <string.h>
#include <time.h>

void
mctx__metrics_cell_init(mctx_metrics_cell *cell)
{
  atomic_init(&cell->seq, 0);
  atomic_init(&cell->send_calls, 0);
  atomic_init(&cell->packets_sent, 0);
  atomic_init(&cell->bytes_sent, 0);
  atomic_init(&cell->send_errors, 0);
  atomic_init(&cell->would_block, 0);
}

/* Writers are serialised by the odd sequence, so a plain load and store is
 * enough; they stay atomic because readers load the same words concurrently. */
static inline void
add_relaxed(_Atomic uint64_t *counter, uint64_t n)
{
  if (n == 0)
    return;
  uint64_t v = atomic_load_explicit(counter, memory_order_relaxed);
  atomic_store_explicit(counter, v + n, memory_order_relaxed);
}

void
mctx__metrics_record(mctx_metrics_cell *cell, uint64_t calls, uint64_t packets,
                     uint64_t bytes, uint64_t errors, uint64_t would_block)
{
  uint64_t seq = atomic_load_explicit(&cell->seq, memory_order_relaxed);
  for (;;) {
    if (seq & 1) {
      /* Another writer holds the cell: it finishes within a few stores. */
      seq = atomic_load_explicit(&cell->seq, memory_order_relaxed);
      continue;
    }
    if (atomic_compare_exchange_weak_explicit(&cell->seq, &seq, seq + 1,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      break;
  }
  /* Keeps the counter stores below from becoming visible before the odd
   * sequence: a reader that sees any of them also sees the sequence move. */
  atomic_thread_fence(memory_order_release);

  add_relaxed(&cell->send_calls, calls);
  add_relaxed(&cell->packets_sent, packets);
  add_relaxed(&cell->bytes_sent, bytes);
  add_relaxed(&cell->send_errors, errors);
  add_relaxed(&cell->would_block, would_block);

  atomic_store_explicit(&cell->seq, seq + 2, memory_order_release);
}

/* C11 declares atomic_load on a non-const pointer; the cell is only read. */
static inline uint64_t
load_relaxed(const _Atomic uint64_t *counter)
{
  return atomic_load_explicit((_Atomic uint64_t *) counter,
                              memory_order_relaxed);
}

void
mctx__metrics_read_counters(const mctx_metrics_cell *cell, mctx_metrics *out)
{
  _Atomic uint64_t *seqp = (_Atomic uint64_t *) &cell->seq;
  uint64_t before, after;
  mctx_metrics m;

  memset(&m, 0, sizeof m);
  do {
    before = atomic_load_explicit(seqp, memory_order_acquire);
    if (before & 1) {
      after = before + 1; /* a writer is inside: try again */
      continue;
    }
    m.send_calls = load_relaxed(&cell->send_calls);
    m.packets_sent = load_relaxed(&cell->packets_sent);
    m.bytes_sent = load_relaxed(&cell->bytes_sent);
    m.send_errors = load_relaxed(&cell->send_errors);
    m.would_block = load_relaxed(&cell->would_block);
    /* Orders the counter loads before the second sequence load. */
    atomic_thread_fence(memory_order_acquire);
    after = atomic_load_explicit(seqp, memory_order_relaxed);
  } while (before != after);
  *out = m;
}

void
mctx__metrics_read(const mctx_metrics_cell *cell, mctx_metrics *out)
{
  if (out == NULL)
    return;
  if (cell == NULL) {
    memset(out, 0, sizeof *out);
    return;
  }
  mctx__metrics_read_counters(cell, out);
  out->captured_at = mctx_unix_time_secs();
  out->captured_mono_ns = mctx_monotonic_ns();
}

/* ---- clocks ---------------------------------------------------------------- */

double
mctx_unix_time_secs(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
    return 0.0; /* before the epoch, as mctx-core */
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

uint64_t
mctx_monotonic_ns(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0;
  return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

/* ---- deltas and rates ------------------------------------------------------ */

/* The interval of a delta: the caller's, or the wall-clock difference when
 * the caller passes a negative one. Fails when earlier was taken after
 * later, on either clock that both snapshots carry. */
static bool
delta_interval(double later_at, uint64_t later_mono, double earlier_at,
               uint64_t earlier_mono, double requested, double *interval)
{
  if (later_mono != 0 && earlier_mono != 0 && earlier_mono > later_mono)
    return false;
  if (requested >= 0.0) {
    if (!isfinite(requested))
      return false;
    *interval = requested;
    return true;
  }
  if (isnan(requested))
    return false;
  double wall = later_at - earlier_at;
  if (!isfinite(wall) || wall < 0.0)
    return false;
  *interval = wall;
  return true;
}

static bool
sub(uint64_t later, uint64_t earlier, uint64_t *out)
{
  if (later < earlier)
    return false;
  *out = later - earlier;
  return true;
}

int
mctx_metrics_diff(const mctx_metrics *later, const mctx_metrics *earlier,
                  double interval_secs, mctx_metrics_delta *out)
{
  mctx_metrics_delta d;

  if (later == NULL || earlier == NULL || out == NULL)
    return MCTX_E_INVALID_ARGUMENT;
  memset(&d, 0, sizeof d);
  if (!delta_interval(later->captured_at, later->captured_mono_ns,
                      earlier->captured_at, earlier->captured_mono_ns,
                      interval_secs, &d.interval_secs) ||
      !sub(later->publications_added, earlier->publications_added,
           &d.publications_added) ||
      !sub(later->publications_removed, earlier->publications_removed,
           &d.publications_removed) ||
      !sub(later->send_calls, earlier->send_calls, &d.send_calls) ||
      !sub(later->packets_sent, earlier->packets_sent, &d.packets_sent) ||
      !sub(later->bytes_sent, earlier->bytes_sent, &d.bytes_sent) ||
      !sub(later->send_errors, earlier->send_errors, &d.send_errors) ||
      !sub(later->would_block, earlier->would_block, &d.would_block) ||
      !sub(later->paced_packets, earlier->paced_packets, &d.paced_packets) ||
      !sub(later->pacing_late_ns_sum, earlier->pacing_late_ns_sum,
           &d.pacing_late_ns_sum) ||
      !sub(later->queue_drops, earlier->queue_drops, &d.queue_drops))
    return MCTX_E_INVALID_ARGUMENT;
  d.pacing_late_max_ns = later->pacing_late_max_ns;
  *out = d;
  return MCTX_OK;
}

double
mctx_metrics_rate(uint64_t count, double interval_secs)
{
  if (!(interval_secs > 0.0))
    return 0.0;
  return (double) count / interval_secs;
}

/* ---- samplers -------------------------------------------------------------- */

static double
mono_interval_secs(uint64_t later_ns, uint64_t earlier_ns)
{
  return later_ns >= earlier_ns ? (double) (later_ns - earlier_ns) / 1e9 : 0.0;
}

void
mctx_sampler_init(mctx_sampler *s)
{
  memset(s, 0, sizeof *s);
}

bool
mctx_sampler_sample(mctx_sampler *s, const mctx_metrics *now,
                    mctx_metrics_delta *delta)
{
  mctx_metrics_delta d;
  bool have_delta = false;

  if (s->has_previous) {
    double secs =
        mono_interval_secs(now->captured_mono_ns, s->previous.captured_mono_ns);
    /* Fails only when the sampler is fed another object: that sample
     * becomes the new baseline, like a first one. */
    have_delta = mctx_metrics_diff(now, &s->previous, secs, &d) == MCTX_OK;
  }
  s->previous = *now;
  s->has_previous = true;
  if (have_delta && delta != NULL)
    *delta = d;
  return have_delta;
}
