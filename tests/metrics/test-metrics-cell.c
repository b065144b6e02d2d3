/* The seqlock counter cell under four concurrent writers and a reader: every
 * snapshot the reader takes must be one the writers could have left, never
 * half of one record.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"
#include <testnet.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define CHECK TESTNET_CHECK

enum {
  WRITERS = 4,
  /* Writers keep going until READS_WANTED of the reader's snapshots have
   * seen the counters move (so reads and writes interleaved), at most
   * MAX_RECORDS records each. */
  READS_WANTED = 5000,
  MAX_RECORDS = 2000000,
  DATAGRAM_SIZE = 1316,
  MAX_READS = 50000000 /* bounds the reader even if a writer hung */
};

static mctx_metrics_cell cell;
static atomic_int writers_started, writers_done;
static atomic_ulong reads_during_writes; /* that saw progress */
static unsigned records_done[WRITERS];

/* Three kinds of record, each keeping send_calls == packets + errors and
 * bytes == packets * DATAGRAM_SIZE: a sent datagram, a would-block, and a
 * batch of five of which the last failed. */
static void *
writer(void *arg)
{
  unsigned *done = arg;
  unsigned i;

  /* Start together, so that all four contend for the cell. */
  atomic_fetch_add(&writers_started, 1);
  for (unsigned wait = 0;
       atomic_load(&writers_started) < WRITERS && wait < 100000000; wait++)
    ;
  for (i = 0; i < MAX_RECORDS &&
              atomic_load_explicit(&reads_during_writes, memory_order_relaxed) <
                  READS_WANTED;
       i++) {
    /* A little work between records, as the send system call is in
     * real use, so that readers get between the writers. */
    for (volatile int spin = 0; spin < 50; spin++)
      ;
    if (i % 7 == 3)
      mctx__metrics_record(&cell, 1, 0, 0, 1, 1);
    else if (i % 11 == 5)
      mctx__metrics_record(&cell, 5, 4, 4 * DATAGRAM_SIZE, 1, 0);
    else
      mctx__metrics_record(&cell, 1, 1, DATAGRAM_SIZE, 0, 0);
  }
  *done = i;
  atomic_fetch_add(&writers_done, 1);
  return NULL;
}

static void
check_coherent(const mctx_metrics *m)
{
  CHECK(m->send_calls == m->packets_sent + m->send_errors,
        "torn snapshot: send_calls %llu != packets %llu + errors %llu",
        (unsigned long long) m->send_calls,
        (unsigned long long) m->packets_sent,
        (unsigned long long) m->send_errors);
  CHECK(m->bytes_sent == m->packets_sent * DATAGRAM_SIZE,
        "torn snapshot: bytes %llu != packets %llu * %d",
        (unsigned long long) m->bytes_sent,
        (unsigned long long) m->packets_sent, DATAGRAM_SIZE);
  CHECK(m->would_block <= m->send_errors, "would_block %llu > errors %llu",
        (unsigned long long) m->would_block,
        (unsigned long long) m->send_errors);
}

int
main(void)
{
  pthread_t threads[WRITERS];
  mctx_metrics m, previous;
  unsigned long reads = 0, moving_reads = 0;

  mctx__metrics_cell_init(&cell);
  mctx__metrics_read(&cell, &previous);
  CHECK(previous.send_calls == 0 && previous.bytes_sent == 0,
        "a new cell is not zero");
  CHECK(previous.captured_at > 0.0 && previous.captured_mono_ns > 0,
        "a read does not fill the timestamps");

  for (int i = 0; i < WRITERS; i++)
    CHECK(pthread_create(&threads[i], NULL, writer, &records_done[i]) == 0,
          "pthread_create");

  for (unsigned wait = 0;
       atomic_load(&writers_started) < WRITERS && wait < 100000000; wait++)
    ;
  while (atomic_load(&writers_done) < WRITERS && reads < MAX_READS) {
    mctx__metrics_read(&cell, &m);
    check_coherent(&m);
    CHECK(m.send_calls >= previous.send_calls &&
              m.packets_sent >= previous.packets_sent &&
              m.would_block >= previous.would_block,
          "counters went backwards");
    if (m.send_calls != previous.send_calls)
      atomic_store_explicit(&reads_during_writes, ++moving_reads,
                            memory_order_relaxed);
    previous = m;
    reads++;
  }
  for (int i = 0; i < WRITERS; i++)
    pthread_join(threads[i], NULL);

  /* What the writers did, counted by hand. */
  uint64_t calls = 0, packets = 0, errors = 0, would_block = 0;
  for (int w = 0; w < WRITERS; w++) {
    for (unsigned i = 0; i < records_done[w]; i++) {
      if (i % 7 == 3) {
        calls += 1;
        errors += 1;
        would_block += 1;
      } else if (i % 11 == 5) {
        calls += 5;
        packets += 4;
        errors += 1;
      } else {
        calls += 1;
        packets += 1;
      }
    }
  }
  mctx__metrics_read(&cell, &m);
  check_coherent(&m);
  CHECK(m.send_calls == calls, "send_calls %llu, expected %llu",
        (unsigned long long) m.send_calls, (unsigned long long) (calls));
  CHECK(m.packets_sent == packets, "packets_sent %llu, expected %llu",
        (unsigned long long) m.packets_sent, (unsigned long long) (packets));
  CHECK(m.send_errors == errors, "send_errors lost updates");
  CHECK(m.would_block == would_block, "would_block lost updates");

  printf("PASS: metrics-cell (%lu coherent reads during writes, %lu saw "
         "progress; records per writer %u %u %u %u)\n",
         reads, moving_reads, records_done[0], records_done[1], records_done[2],
         records_done[3]);
  return 0;
}
