/* Pacing: the due-time arithmetic of a publication's schedule, the paced
 * send loops, and the lateness counters (docs/pacing.md).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Portable: the clock and the wait are in pacer_posix.c, and the schedule
 * functions take the time as an argument, so that tests drive them with a
 * clock of their own. A datagram is due one wire time (its payload plus UDP
 * and IP headers, in bits, over the rate) after the one before it. A sender
 * that is behind its schedule does not send its backlog at line rate: at
 * most burst datagrams leave back to back, and a group that leaves behind
 * schedule makes the next wait a little less than the group's wire time,
 * so the pacer catches up 1/32 faster than the rate and the stream keeps
 * real time. A buffer handed over after the sender was idle starts the
 * schedule again instead (nothing to catch up: the source was late, not
 * the pacer).
 *
 * The wait sleeps until a little before the due time (the wake-up cost it
 * learns from its own sleeps) and busy-polls the clock for the rest, for
 * at most MCTX__PACER_WAKE_COST_MAX_NS + MCTX__PACER_SPIN_NS and only with
 * a datagram due: an idle paced sender sleeps.
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
  p->group_not_before_ns = 0;
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

/* How far behind now the schedule may be: burst - 1 wire times (those
 * leave back to back at once), or, while catching up, the catch-up limit.
 * At 1 bit/s a wire time is hours: keep it in range. */
static uint64_t
earliest_due(const mctx__pacer *p, uint64_t wire, uint64_t now_ns,
             bool catching_up)
{
  uint64_t ahead = wire != 0 && p->burst - 1 > UINT64_MAX / wire
                       ? UINT64_MAX
                       : (uint64_t) (p->burst - 1) * wire;
  if (catching_up && ahead < MCTX__PACER_CATCHUP_NS)
    ahead = MCTX__PACER_CATCHUP_NS;
  return now_ns > ahead ? now_ns - ahead : 0;
}

void
mctx__pacer_begin(mctx__pacer *p, uint64_t now_ns)
{
  /* Came straight back (within one wire time of the last group, or before
   * a catching-up pacer would let the next group go): the source was
   * waiting for the pacer, so the pacer keeps its schedule. A restart
   * there would let a burst follow a group that just left. */
  uint64_t wire = p->last_bits ? bits_ns(p->last_bits, p->rate_bps, NULL) : 0;
  bool idle = p->last_sent_ns == 0 || (now_ns >= p->last_sent_ns + wire &&
                                       now_ns >= p->group_not_before_ns);
  if (!idle) {
    p->ideal_due_ns = p->next_due_ns;
    p->restart_ns = 0;
    return;
  }
  p->ideal_due_ns = p->next_due_ns > now_ns ? p->next_due_ns : now_ns;
  p->restart_ns = now_ns;
  p->group_not_before_ns = 0;
}

size_t
mctx__datagram_size(const mctx_datagram *d)
{
  size_t n = 0;
  for (size_t i = 0; i < d->nbufs; i++)
    n += d->bufs[i].len;
  return n;
}

/* How many may leave together from a group whose first is due at due:
 * burst, but while catching up a small debt one at a time (groups of one
 * spaced 31/32 of a wire time catch up as well, and keep the gaps even);
 * a group more for every MCTX__PACER_GROUP_DEBT_WIRES wire times behind,
 * for a machine that cannot wake up once per datagram. */
static size_t
group_limit(const mctx__pacer *p, uint64_t due, uint64_t wire, uint64_t now_ns)
{
  if (due >= now_ns || due <= p->restart_ns || wire == 0)
    return p->burst;
  uint64_t more = (now_ns - due) / (wire * MCTX__PACER_GROUP_DEBT_WIRES);
  return more + 1 < p->burst ? (size_t) more + 1 : p->burst;
}

size_t
mctx__pacer_take(mctx__pacer *p, const mctx_datagram *datagrams,
                 const size_t *payload, size_t count, uint64_t now_ns,
                 uint64_t *wait_until_ns, mctx__pacing_lateness *late)
{
  size_t k, limit = p->burst;
  uint64_t group_wire = 0, group_at = now_ns, first_due = now_ns;
  for (k = 0; k < count; k++) {
    size_t size = payload ? payload[k] : mctx__datagram_size(&datagrams[k]);
    uint64_t bits = wire_bits(p, size);
    uint64_t frac = 0;
    uint64_t wire = bits_ns(bits, p->rate_bps, &frac);
    /* A debt from before an idle sender's call is forgiven but for the
     * burst; one run up inside a call is caught up. */
    uint64_t earliest =
        earliest_due(p, wire, now_ns, p->next_due_ns >= p->restart_ns);
    uint64_t due = p->next_due_ns;
    if (due < earliest) {
      due = earliest;
      p->next_due_frac = 0;
    }
    uint64_t may_leave =
        k == 0 && p->group_not_before_ns > due ? p->group_not_before_ns : due;
    if (k == 0)
      limit = group_limit(p, due, wire, now_ns);
    if (may_leave > now_ns || k == limit) {
      if (k == 0 && wait_until_ns != NULL)
        *wait_until_ns = may_leave;
      break;
    }
    if (k == 0) {
      group_at = may_leave;
      first_due = due;
    }
    group_wire += wire;
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
  if (k > 0) {
    p->last_sent_ns = now_ns;
    /* Behind (this group left late on the kept schedule, or the next is
     * due already; the burst an idle sender's call may start with does not
     * count): the next group waits the group's wire time less
     * 1/MCTX__PACER_CATCHUP_SHARE, so the pacer catches up that much
     * faster than the rate and no faster (a switch port paced just below
     * its rate has little room). Counted from when the group could leave,
     * so a wake-up's lateness does not add up, but from no earlier than a
     * quarter of its wire time before now, so a stall's debt never becomes
     * groups back to back (nor, at 23.5 Mbit/s and burst 2, more than 6
     * datagrams in 2 ms). */
    uint64_t absorbed = group_wire / 4;
    uint64_t from = group_at + absorbed < now_ns ? now_ns - absorbed : group_at;
    bool behind =
        (p->next_due_ns <= now_ns && p->next_due_ns > p->restart_ns) ||
        (first_due < now_ns && first_due > p->restart_ns);
    p->group_not_before_ns =
        behind ? from + group_wire - group_wire / MCTX__PACER_CATCHUP_SHARE : 0;
  }
  return k;
}

uint64_t
mctx__pacer_sleep_until(const mctx__pacer *p, uint64_t now_ns, uint64_t due_ns)
{
  if (due_ns <= now_ns ||
      due_ns - now_ns <= p->wake_cost_ns + MCTX__PACER_SPIN_NS)
    return 0;
  return due_ns - p->wake_cost_ns;
}

void
mctx__pacer_woke(mctx__pacer *p, uint64_t asked_ns, uint64_t woke_ns)
{
  uint64_t late = woke_ns > asked_ns ? woke_ns - asked_ns : 0;
  if (late > MCTX__PACER_WAKE_COST_MAX_NS)
    late = MCTX__PACER_WAKE_COST_MAX_NS;
  /* Down fast, up slowly: a low quantile of the wake-ups' lateness, so
   * that most wake-ups come just before the due time and few come early
   * enough to busy-poll for long. */
  if (late < p->wake_cost_ns)
    p->wake_cost_ns -= (p->wake_cost_ns - late) / 2;
  else
    p->wake_cost_ns += (late - p->wake_cost_ns) / 16;
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

static void
cpu_relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __builtin_ia32_pause();
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* The timer slack of one paced call: lowered before its first sleep, put
 * back when the call returns, not around every sleep. */
typedef struct {
  bool lowered;
  unsigned long was;
} call_slack;

static void
call_slack_end(call_slack *slack)
{
  if (slack->lowered)
    mctx__pacer_slack_restore(slack->was);
}

/* Until due: sleeps to the wake-up cost before it, busy-polls the rest.
 * MCTX_OK at due, MCTX_E_INTERRUPTED at once on an interrupt. */
static int
wait_due(mctx_publication *pub, uint64_t due_ns, call_slack *slack)
{
  for (;;) {
    uint64_t now = mctx_monotonic_ns();
    uint64_t until = mctx__pacer_sleep_until(&pub->pacer, now, due_ns);
    if (until == 0)
      break;
    if (!slack->lowered) {
      slack->was = mctx__pacer_slack_lower();
      slack->lowered = true;
    }
    if (mctx__pacer_wait(&pub->interrupted, until) != MCTX_OK)
      return MCTX_E_INTERRUPTED;
    mctx__pacer_woke(&pub->pacer, until, mctx_monotonic_ns());
  }
  while (mctx_monotonic_ns() < due_ns) {
    if (atomic_load_explicit(&pub->interrupted, memory_order_relaxed) != 0)
      return MCTX_E_INTERRUPTED;
    cpu_relax();
  }
  return atomic_load_explicit(&pub->interrupted, memory_order_acquire) != 0
             ? MCTX_E_INTERRUPTED
             : MCTX_OK;
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
  call_slack slack = {0};
  while (mctx__pacer_take(&pub->pacer, NULL, &payload, 1, now, &due, &late) ==
         0) {
    if (wait_due(pub, due, &slack) != MCTX_OK) {
      call_slack_end(&slack);
      return mctx__fail(err, MCTX_E_INTERRUPTED, MCTX_SUBJECT_PACING, 0,
                        "paced send interrupted before the datagram was "
                        "due; nothing was sent");
    }
    now = mctx_monotonic_ns();
  }
  call_slack_end(&slack);
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
  call_slack slack = {0};

  pacer_sync(pub);
  if (pub->pacer.rate_bps == 0) /* turned off since mctx__pacing_on */
    return mctx__send_batch_now(pub, datagrams, count, false, sent, err);
  mctx__pacer_begin(&pub->pacer, now);
  while (done < count) {
    uint64_t due = now;
    size_t k = mctx__pacer_take(&pub->pacer, datagrams + done, NULL,
                                count - done, now, &due, &late);
    if (k == 0) {
      if (wait_due(pub, due, &slack) != MCTX_OK) {
        rc = mctx__fail(err, MCTX_E_INTERRUPTED, MCTX_SUBJECT_PACING, 0,
                        "paced send interrupted after %zu of %zu datagrams",
                        done, count);
        break;
      }
    } else {
      size_t n = 0;
      rc = mctx__send_batch_now(pub, datagrams + done, k, true, &n, err);
      done += n;
      if (rc != MCTX_OK)
        break;
    }
    now = mctx_monotonic_ns();
  }
  call_slack_end(&slack);
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
    results[i].code = mctx__send_batch_now(pubs[i], cut, k, true, &n,
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
  call_slack slack = {0};

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
    } else if (wait_due(leader, due, &slack) != MCTX_OK) {
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
  call_slack_end(&slack);
  record_lateness(leader, &late, now);
  for (size_t i = 0; i < npubs; i++) {
    if (results[i].code != MCTX_OK)
      return results[i].code;
  }
  return MCTX_OK;
}
