/* Two threads sending on one publication (single sends and batches) while a
 * third takes snapshots of the publication and of its context: every
 * snapshot keeps send_calls == packets_sent + send_errors and bytes ==
 * packets * size, no counter goes backwards, and the final counts are what
 * the senders were told. On loopback in a private network namespace, with
 * a real receiver. Small and bounded: it is also the suite ThreadSanitizer
 * runs (scripts/test.sh), where it shows a data race on the send path.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mctx.h>
#include <mcast-recv.h>
#include <testnet.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK TESTNET_CHECK
#define U(x) ((unsigned long long) (x))

#define GROUP "239.1.77.9"
#define PORT 47709

enum {
  SENDERS = 2,
  ROUNDS = 2000, /* per sender: one single send and one batch each */
  BATCH = 8,
  SIZE = 200,
  MAX_SNAPSHOTS = 1000000 /* bounds the reader even if a sender hung */
};

typedef struct sender {
  pthread_t thread;
  mctx_publication *pub;
  char fill;
  uint64_t attempts; /* datagrams tried: sent, plus the one that failed */
  uint64_t sent;
} sender;

static atomic_int senders_done;

static void *
send_loop(void *arg)
{
  sender *s = arg;
  char payload[BATCH][SIZE];
  mctx_buf bufs[BATCH];
  mctx_datagram datagrams[BATCH];

  memset(payload, s->fill, sizeof payload);
  for (int i = 0; i < BATCH; i++) {
    bufs[i] = (mctx_buf){payload[i], SIZE};
    datagrams[i] = (mctx_datagram){&bufs[i], 1};
  }
  for (int round = 0; round < ROUNDS; round++) {
    int rc = mctx_publication_send(s->pub, payload[0], SIZE, NULL, NULL);
    CHECK(rc == MCTX_OK || mctx_error_is_transient(rc), "send: %s",
          mctx_code_name(rc));
    s->attempts++;
    s->sent += rc == MCTX_OK;

    size_t sent = 0;
    rc = mctx_publication_send_batch(s->pub, datagrams, BATCH, &sent, NULL);
    CHECK(rc == MCTX_OK || mctx_error_is_transient(rc), "batch: %s",
          mctx_code_name(rc));
    s->attempts += sent + (rc != MCTX_OK);
    s->sent += sent;
    if (rc != MCTX_OK)
      usleep(100); /* let the receiver drain lo */
  }
  atomic_fetch_add(&senders_done, 1);
  return NULL;
}

static void
check_coherent(const mctx_metrics *m, const mctx_metrics *before,
               const char *what)
{
  CHECK(m->send_calls == m->packets_sent + m->send_errors,
        "%s: send_calls %llu != packets %llu + errors %llu", what,
        U(m->send_calls), U(m->packets_sent), U(m->send_errors));
  CHECK(m->bytes_sent == m->packets_sent * SIZE,
        "%s: bytes %llu for %llu "
        "packets",
        what, U(m->bytes_sent), U(m->packets_sent));
  CHECK(m->would_block <= m->send_errors,
        "%s: would_block %llu > errors "
        "%llu",
        what, U(m->would_block), U(m->send_errors));
  CHECK(m->send_calls >= before->send_calls &&
            m->packets_sent >= before->packets_sent &&
            m->send_errors >= before->send_errors,
        "%s: a counter went backwards", what);
}

/* Drains the receiver meanwhile, so that lo's queue empties. */
static void *
receive_loop(void *arg)
{
  int fd = *(int *) arg;
  static char buf[2048];
  unsigned long *got = calloc(1, sizeof *got);
  CHECK(got != NULL, "calloc");
  while (mcast_recv_within(fd, buf, sizeof buf, 0, NULL, 0, NULL, 2000) >= 0)
    (*got)++;
  return got;
}

int
main(void)
{
  testnet_private_netns_or_skip();

  int rx = mcast_recv_socket(NULL, AF_INET, GROUP, PORT);
  mcast_join_v4(rx, GROUP, testnet_ifindex("lo"));
  int big = 8 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  pthread_t receiver;
  CHECK(pthread_create(&receiver, NULL, receive_loop, &rx) == 0,
        "pthread_create");

  mctx_context *ctx = NULL;
  mctx_publication_config cfg;
  mctx_publication_id id;
  mctx_error err;
  CHECK(mctx_context_new(&ctx) == MCTX_OK, "context");
  CHECK(mctx_publication_config_init_group(&cfg, GROUP, PORT, &err) == MCTX_OK,
        "config: %s", err.message);
  CHECK(mctx_interface_parse("lo", &cfg.interface, &err) == MCTX_OK,
        "interface: %s", err.message);
  CHECK(mctx_context_add(ctx, &cfg, &id, &err) == MCTX_OK, "add: %s",
        err.message);
  mctx_publication *pub = mctx_context_get(ctx, id);
  CHECK(pub != NULL, "get");

  sender senders[SENDERS];
  for (int i = 0; i < SENDERS; i++) {
    senders[i] = (sender){.pub = pub, .fill = (char) ('a' + i)};
    CHECK(pthread_create(&senders[i].thread, NULL, send_loop, &senders[i]) == 0,
          "pthread_create");
  }

  mctx_metrics last_pub = {0}, last_ctx = {0}, m;
  unsigned long snapshots = 0;
  while (atomic_load(&senders_done) < SENDERS && snapshots < MAX_SNAPSHOTS) {
    mctx_publication_metrics_snapshot(pub, &m);
    check_coherent(&m, &last_pub, "publication");
    last_pub = m;
    mctx_context_metrics_snapshot(ctx, &m);
    check_coherent(&m, &last_ctx, "context");
    last_ctx = m;
    snapshots++;
  }
  for (int i = 0; i < SENDERS; i++)
    pthread_join(senders[i].thread, NULL);

  uint64_t attempts = 0, sent = 0;
  for (int i = 0; i < SENDERS; i++) {
    attempts += senders[i].attempts;
    sent += senders[i].sent;
  }
  mctx_publication_metrics_snapshot(pub, &m);
  check_coherent(&m, &last_pub, "publication, at the end");
  CHECK(m.send_calls == attempts && m.packets_sent == sent,
        "publication counted %llu calls %llu sent, the senders %llu and %llu",
        U(m.send_calls), U(m.packets_sent), U(attempts), U(sent));
  mctx_context_metrics_snapshot(ctx, &m);
  check_coherent(&m, &last_ctx, "context, at the end");
  CHECK(m.send_calls == attempts && m.packets_sent == sent,
        "context counted %llu calls %llu sent", U(m.send_calls),
        U(m.packets_sent));

  void *result;
  pthread_join(receiver, &result);
  unsigned long got = *(unsigned long *) result;
  free(result);
  CHECK(got > 0 && got <= sent, "received %lu of %llu sent", got, U(sent));
  printf("metrics-threads: %llu datagrams sent of %llu tried, %lu received, "
         "%lu snapshots during the sends\n",
         U(sent), U(attempts), got, snapshots);
  mctx_context_free(ctx);
  close(rx);
  return 0;
}
