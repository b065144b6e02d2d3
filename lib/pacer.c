/* Pacing: the due-time arithmetic of a publication's schedule, the paced
 * send loops, and the lateness counters (docs/pacing.md).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Portable: the clock and the wait are in pacer_posix.c, and the schedule
 * functions take the time as an argument, so that tests drive them with a
 * clock of their own. A datagram is due one wire time (its payload plus UDP
 * and IP headers, in bits, over the rate) after the one before it. A sender
 * that is behind its schedule does not send its backlog at line rate: the
 * due time is pulled forward to no earlier than burst - 1 wire times before
 * now, so at most burst datagrams leave back to back.
 */
#include "mctx-private.h"

#define NS_PER_SEC 1000000000ull
#define UDP_HEADER 8u
#define IPV4_HEADER 20u
#define IPV6_HEADER 40u

int
mctx__pacing_check(uint64_t rate_bps, uint32_t burst, mctx_error *err)
{
  if (rate_bps != 0 && burst == 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_PACING, 0,
                      "pacing burst 0 is not valid (at least 1 datagram "
                      "must leave at a time)");
  return MCTX_OK;
}

void
mctx__pacer_init(mctx__pacer *p, uint64_t rate_bps, uint32_t burst,
                 unsigned header_bytes)
{
  *p = (mctx__pacer){.rate_bps = rate_bps,
                     .burst = burst ? burst : 1,
                     .header_bytes = header_bytes};
}

/* bits at the rate, as whole nanoseconds and the remainder in 1/rate ns. */
static uint64_t
bits_ns(uint64_t bits, uint64_t rate_bps, uint64_t *frac)
{
  /* bits <= (PAYLOAD_MAX + 48) * 8, so bits * 1e9 stays below 2^64. */
  uint64_t scaled = bits * NS_PER_SEC;
  if (frac != NULL)
    *frac = scaled % rate_bps;
  return scaled / rate_bps;
}

void
mctx__pacer_set(mctx__pacer *p, uint64_t rate_bps, uint32_t burst)
{
  p->burst = burst ? burst : 1;
  if (rate_bps == p->rate_bps)
    return;
  p->rate_bps = rate_bps;
  if (rate_bps == 0 || p->last_bits == 0)
    return;
  /* A slow rate may have put the next due time far ahead: count the last
   * datagram's wire time again at the new rate. */
  p->next_due_ns =
      p->last_due_ns + bits_ns(p->last_bits, rate_bps, &p->next_due_frac);
}

/* The largest UDP payload counted: larger datagrams fail to send anyway,
 * and the bound keeps bits * 1e9 within 64 bits. */
#define PAYLOAD_MAX 65535u

static uint64_t
wire_bits(const mctx__pacer *p, size_t payload)
{
  if (payload > PAYLOAD_MAX)
    payload = PAYLOAD_MAX;
  return ((uint64_t) payload + p->header_bytes) * 8u;
}

uint64_t
mctx__pacer_wire_ns(const mctx__pacer *p, size_t payload)
{
  return p->rate_bps ? bits_ns(wire_bits(p, payload), p->rate_bps, NULL) : 0;
}

void
mctx__pacer_begin(mctx__pacer *p, uint64_t now_ns)
{
  p->ideal_due_ns = p->next_due_ns > now_ns ? p->next_due_ns : now_ns;
}

size_t
mctx__datagram_size(const mctx_datagram *d)
{
  size_t n = 0;
  for (size_t i = 0; i < d->nbufs; i++)
    n += d->bufs[i].len;
  return n;
}

size_t
mctx__pacer_take(mctx__pacer *p, const mctx_datagram *datagrams,
                 const size_t *payload, size_t count, uint64_t now_ns,
                 uint64_t *wait_until_ns, mctx__pacing_lateness *late)
{
  size_t k;
  for (k = 0; k < count; k++) {
    size_t size = payload ? payload[k] : mctx__datagram_size(&datagrams[k]);
    uint64_t bits = wire_bits(p, size);
    uint64_t frac = 0;
    uint64_t wire = bits_ns(bits, p->rate_bps, &frac);
    /* At 1 bit/s a wire time is hours: keep burst - 1 of them in range. */
    uint64_t ahead = wire != 0 && p->burst - 1 > UINT64_MAX / wire
                         ? UINT64_MAX
                         : (uint64_t) (p->burst - 1) * wire;
    uint64_t earliest = now_ns > ahead ? now_ns - ahead : 0;
    uint64_t due = p->next_due_ns;
    if (due < earliest) {
      due = earliest;
      p->next_due_frac = 0;
    }
    if (due > now_ns) {
      if (k == 0 && wait_until_ns != NULL)
        *wait_until_ns = due;
      break;
    }
    if (late != NULL) {
      uint64_t l = now_ns > p->ideal_due_ns ? now_ns - p->ideal_due_ns : 0;
      late->departures++;
      late->sum_ns += l;
      if (l > late->max_ns)
        late->max_ns = l;
    }
    p->ideal_due_ns += wire;
    p->last_due_ns = due;
    p->last_bits = bits;
    p->next_due_frac += frac;
    p->next_due_ns = due + wire + p->next_due_frac / p->rate_bps;
    p->next_due_frac %= p->rate_bps;
  }
  return k;
}

/* ---- the publication's side ------------------------------------------- */

bool
mctx__pacing_on(const mctx_publication *pub)
{
  return atomic_load_explicit(&pub->pacing_rate_bps, memory_order_relaxed) != 0;
}

/* The sending thread takes a rate or burst the setter stored. */
static void
pacer_sync(mctx_publication *pub)
{
  uint64_t rate =
      atomic_load_explicit(&pub->pacing_rate_bps, memory_order_relaxed);
  uint32_t burst =
      atomic_load_explicit(&pub->pacing_burst, memory_order_relaxed);
  if (rate != pub->pacer.rate_bps || burst != pub->pacer.burst)
    mctx__pacer_set(&pub->pacer, rate, burst);
}

static void
store_relaxed(_Atomic uint64_t *v, uint64_t n)
{
  atomic_store_explicit(v, n, memory_order_relaxed);
}

static uint64_t
load_relaxed(const _Atomic uint64_t *v)
{
  return atomic_load_explicit((_Atomic uint64_t *) v, memory_order_relaxed);
}

/* Only the sending thread writes these: plain read-modify-write is enough,
 * atomic because snapshots read them meanwhile. */
static void
record_lateness(mctx_publication *pub, const mctx__pacing_lateness *late,
                uint64_t now_ns)
{
  if (late->departures == 0)
    return;
  store_relaxed(&pub->paced_packets,
                load_relaxed(&pub->paced_packets) + late->departures);
  store_relaxed(&pub->pacing_late_sum_ns,
                load_relaxed(&pub->pacing_late_sum_ns) + late->sum_ns);
  uint64_t second = now_ns / NS_PER_SEC;
  uint64_t was = load_relaxed(&pub->pacing_late_second);
  if (second != was) {
    store_relaxed(&pub->pacing_late_max_prev_ns,
                  second == was + 1 ? load_relaxed(&pub->pacing_late_max_ns)
                                    : 0);
    store_relaxed(&pub->pacing_late_max_ns, 0);
    store_relaxed(&pub->pacing_late_second, second);
  }
  if (late->max_ns > load_relaxed(&pub->pacing_late_max_ns))
    store_relaxed(&pub->pacing_late_max_ns, late->max_ns);
}

void
mctx__pacing_read(const mctx_publication *pub, mctx_metrics *out)
{
  out->paced_packets = load_relaxed(&pub->paced_packets);
  out->pacing_late_ns_sum = load_relaxed(&pub->pacing_late_sum_ns);
  uint64_t second = out->captured_mono_ns / NS_PER_SEC;
  uint64_t at = load_relaxed(&pub->pacing_late_second);
  uint64_t max = 0;
  if (second <= at + 1)
    max = load_relaxed(&pub->pacing_late_max_ns);
  if (second <= at) {
    uint64_t prev = load_relaxed(&pub->pacing_late_max_prev_ns);
    max = prev > max ? prev : max;
  }
  out->pacing_late_max_ns = max;
}

int
mctx__pace_one(mctx_publication *pub, size_t payload, mctx_error *err)
{
  mctx__pacing_lateness late = {0};
  uint64_t now = mctx_monotonic_ns();
  uint64_t due = now;

  pacer_sync(pub);
  if (pub->pacer.rate_bps == 0) /* turned off since mctx__pacing_on */
    return MCTX_OK;
  mctx__pacer_begin(&pub->pacer, now);
  while (mctx__pacer_take(&pub->pacer, NULL, &payload, 1, now, &due, &late) ==
         0) {
    if (mctx__pacer_wait(&pub->interrupted, due) != MCTX_OK)
      return mctx__fail(err, MCTX_E_INTERRUPTED, MCTX_SUBJECT_PACING, 0,
                        "paced send interrupted before the datagram was "
                        "due; nothing was sent");
    now = mctx_monotonic_ns();
  }
  record_lateness(pub, &late, now);
  return MCTX_OK;
}

int
mctx__paced_batch(mctx_publication *pub, const mctx_datagram *datagrams,
                  size_t count, size_t *sent, mctx_error *err)
{
  mctx__pacing_lateness late = {0};
  uint64_t now = mctx_monotonic_ns();
  size_t done = 0;
  int rc = MCTX_OK;

  pacer_sync(pub);
  if (pub->pacer.rate_bps == 0) /* turned off since mctx__pacing_on */
    return mctx__send_batch_now(pub, datagrams, count, sent, err);
  mctx__pacer_begin(&pub->pacer, now);
  while (done < count) {
    uint64_t due = now;
    size_t k = mctx__pacer_take(&pub->pacer, datagrams + done, NULL,
                                count - done, now, &due, &late);
    if (k == 0) {
      if (mctx__pacer_wait(&pub->interrupted, due) != MCTX_OK) {
        rc = mctx__fail(err, MCTX_E_INTERRUPTED, MCTX_SUBJECT_PACING, 0,
                        "paced send interrupted after %zu of %zu datagrams",
                        done, count);
        break;
      }
    } else {
      size_t n = 0;
      rc = mctx__send_batch_now(pub, datagrams + done, k, &n, err);
      done += n;
      if (rc != MCTX_OK)
        break;
    }
    now = mctx_monotonic_ns();
  }
  record_lateness(pub, &late, now);
  *sent = done;
  return rc == MCTX_OK ? mctx__ok(err) : rc;
}

/* ---- one schedule for several publications ----------------------------- */

/* The sends of one cut to every publication still going; a publication
 * that fails is out for the rest of the call. */
static void
send_cut(mctx_publication *const *pubs, size_t npubs, const mctx_datagram *cut,
         size_t k, mctx_send_result *results, mctx_error *errs)
{
  for (size_t i = 0; i < npubs; i++) {
    size_t n = 0;
    if (results[i].code != MCTX_OK)
      continue;
    results[i].code = mctx__send_batch_now(pubs[i], cut, k, &n,
                                           errs != NULL ? &errs[i] : NULL);
    results[i].sent += n;
  }
}

static bool
any_going(const mctx_send_result *results, size_t npubs)
{
  for (size_t i = 0; i < npubs; i++) {
    if (results[i].code == MCTX_OK)
      return true;
  }
  return false;
}

int
mctx__paced_batch_all(mctx_publication *leader, mctx_publication *const *pubs,
                      size_t npubs, const mctx_datagram *datagrams,
                      size_t count, mctx_send_result *results, mctx_error *errs)
{
  mctx__pacing_lateness late = {0};
  uint64_t now = mctx_monotonic_ns();
  size_t done = 0;

  for (size_t i = 0; i < npubs; i++)
    results[i] = (mctx_send_result){MCTX_OK, 0};
  pacer_sync(leader);
  mctx__pacer_begin(&leader->pacer, now);
  while (done < count && any_going(results, npubs)) {
    uint64_t due = now;
    /* Pacing turned off since mctx__pacing_on: one cut, at once. */
    size_t k = leader->pacer.rate_bps == 0
                   ? count - done
                   : mctx__pacer_take(&leader->pacer, datagrams + done, NULL,
                                      count - done, now, &due, &late);
    if (k > 0) {
      send_cut(pubs, npubs, datagrams + done, k, results, errs);
      done += k;
    } else if (mctx__pacer_wait(&leader->interrupted, due) != MCTX_OK) {
      for (size_t i = 0; i < npubs; i++) {
        if (results[i].code == MCTX_OK)
          results[i].code = mctx__fail(
              errs != NULL ? &errs[i] : NULL, MCTX_E_INTERRUPTED,
              MCTX_SUBJECT_PACING, 0,
              "paced send interrupted after %zu of %zu datagrams", done, count);
      }
      break;
    }
    now = mctx_monotonic_ns();
  }
  record_lateness(leader, &late, now);
  for (size_t i = 0; i < npubs; i++) {
    if (results[i].code != MCTX_OK)
      return results[i].code;
  }
  return MCTX_OK;
}
