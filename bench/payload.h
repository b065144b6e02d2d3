/* Benchmark datagram layout shared by the senders and the receiver.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Senders that own their memory (the bare loops, gstbench's list source)
 * write a 64-bit big-endian sequence number into the first 8 bytes and the
 * pattern (offset & 0xff) into the rest, so the receiver can tell a lost, a
 * reordered and a corrupted datagram apart. fakesrc-fed pipelines send zeros
 * (filltype=zero), which the receiver checks byte for byte and by size.
 */
#ifndef MCTX_BENCH_PAYLOAD_H
#define MCTX_BENCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BENCH_SEQ_BYTES 8
#define BENCH_MIN_SIZE 16
#define BENCH_MAX_SIZE 65507

static inline void
bench_fill_pattern(uint8_t *datagram, size_t size)
{
  for (size_t i = 0; i < size; i++)
    datagram[i] = (uint8_t) (i & 0xff);
}

static inline void
bench_put_seq(uint8_t *datagram, uint64_t seq)
{
  for (int i = BENCH_SEQ_BYTES - 1; i >= 0; i--) {
    datagram[i] = (uint8_t) (seq & 0xff);
    seq >>= 8;
  }
}

static inline uint64_t
bench_get_seq(const uint8_t *datagram)
{
  uint64_t seq = 0;
  for (int i = 0; i < BENCH_SEQ_BYTES; i++)
    seq = (seq << 8) | datagram[i];
  return seq;
}

static inline double
bench_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

#endif
