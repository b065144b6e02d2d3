/* Pacing's wait on Windows: until a datagram is due (docs/pacing.md).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Windows has no absolute-deadline sleep on a monotonic clock that another
 * thread can end, so the wait sleeps in slices of at most SLICE_MS and looks
 * at the publication's interrupt word between them: an interrupt takes
 * effect within one slice. Sleep's granularity is the system timer's (often
 * 1 ms with timeBeginPeriod, 15.6 ms without), so pacing is coarse here;
 * docs/platforms.md says so.
 */
#include "mctx-private.h"

#include <windows.h>

#define SLICE_MS 1u

unsigned long
mctx__pacer_slack_lower(void)
{
  return 0; /* no per-thread timer slack */
}

void
mctx__pacer_slack_restore(unsigned long was)
{
  (void) was;
}

int
mctx__pacer_wait(_Atomic uint32_t *interrupted, uint64_t due_ns)
{
  for (;;) {
    if (atomic_load_explicit(interrupted, memory_order_acquire) != 0)
      return MCTX_E_INTERRUPTED;
    uint64_t now = mctx_monotonic_ns();
    if (now >= due_ns)
      return MCTX_OK;
    uint64_t left_ms = (due_ns - now) / 1000000u;
    Sleep(left_ms < SLICE_MS ? (left_ms == 0 ? 0 : (DWORD) left_ms) : SLICE_MS);
  }
}

void
mctx__pacer_wake(_Atomic uint32_t *interrupted)
{
  (void) interrupted; /* the sleeper looks at the word every slice */
}
