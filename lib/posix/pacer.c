/* Pacing's system call: the interruptible wait until a datagram is due (docs/pacing.md).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * On Linux the wait is FUTEX_WAIT_BITSET on the publication's interrupt
 * word: an absolute CLOCK_MONOTONIC deadline like clock_nanosleep with
 * TIMER_ABSTIME, which mctx_publication_interrupt ends at once with one
 * FUTEX_WAKE, and which costs nothing when nobody interrupts (no
 * descriptor, no extra system call per wait). Elsewhere the wait is
 * clock_nanosleep in slices of at most SLICE_NS, looking at the word
 * between them.
 *
 * A normal thread's timer slack (50 us) lets the kernel end its sleeps up
 * to that much late, to batch timer interrupts: on Linux a paced call
 * lowers the calling thread's slack to WAIT_TIMER_SLACK_NS before its first
 * sleep and puts back what it was when it returns (docs/pacing.md), two
 * system calls per call rather than per sleep. A real-time thread has no
 * slack.
 */
#include "mctx-private.h"

#include <errno.h>
#include <limits.h>
#include <time.h>

#if defined(__linux__)
#  include <linux/futex.h>
#  include <sys/prctl.h>
#  include <sys/syscall.h>
#  include <unistd.h>
#  define WAIT_TIMER_SLACK_NS 1000ul
#else
#  define SLICE_NS 5000000ull
#endif

static struct timespec
timespec_of(uint64_t ns)
{
  struct timespec ts = {.tv_sec = (time_t) (ns / 1000000000ull),
                        .tv_nsec = (long) (ns % 1000000000ull)};
  return ts;
}

unsigned long
mctx__pacer_slack_lower(void)
{
#if defined(__linux__)
  int was = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  if (was <= 0 || (unsigned long) was <= WAIT_TIMER_SLACK_NS)
    return 0;
  if (prctl(PR_SET_TIMERSLACK, WAIT_TIMER_SLACK_NS, 0, 0, 0) != 0)
    return 0;
  return (unsigned long) was;
#else
  return 0;
#endif
}

void
mctx__pacer_slack_restore(unsigned long was)
{
#if defined(__linux__)
  if (was != 0)
    prctl(PR_SET_TIMERSLACK, was, 0, 0, 0);
#else
  (void) was;
#endif
}

int
mctx__pacer_wait(_Atomic uint32_t *interrupted, uint64_t due_ns)
{
  for (;;) {
    if (atomic_load_explicit(interrupted, memory_order_acquire) != 0)
      return MCTX_E_INTERRUPTED;
#if defined(__linux__)
    struct timespec until = timespec_of(due_ns);
    /* Sleeps only while the word is still 0: an interrupt between the
     * load above and the call makes it return EAGAIN at once. */
    long r = syscall(SYS_futex, (uint32_t *) interrupted,
                     FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0u, &until, NULL,
                     FUTEX_BITSET_MATCH_ANY);
    if (r < 0 && errno == ETIMEDOUT)
      return MCTX_OK;
      /* Woken, EAGAIN or EINTR: look at the word and the clock again. */
#else
    uint64_t now = mctx_monotonic_ns();
    if (now >= due_ns)
      return MCTX_OK;
    struct timespec until =
        timespec_of(due_ns - now > SLICE_NS ? now + SLICE_NS : due_ns);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
#endif
    if (mctx_monotonic_ns() >= due_ns)
      return atomic_load_explicit(interrupted, memory_order_acquire) != 0
                 ? MCTX_E_INTERRUPTED
                 : MCTX_OK;
  }
}

void
mctx__pacer_wake(_Atomic uint32_t *interrupted)
{
#if defined(__linux__)
  syscall(SYS_futex, (uint32_t *) interrupted, FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
          INT_MAX, NULL, NULL, 0);
#else
  (void) interrupted; /* the sleeper looks at the word every slice */
#endif
}
