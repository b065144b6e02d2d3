/* Counters through real sends on loopback in a private network namespace,
 * checked against what a receiving socket got.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mctx.h>
#include <mcast-recv.h>
#include <testnet.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK TESTNET_CHECK

#define GROUP "239.1.77.1"
#define PORT 47701
#define PORT_B 47702

static int
receiver(uint16_t port)
{
  int fd = mcast_recv_socket(NULL, AF_INET, GROUP, port);
  mcast_join_v4(fd, GROUP, testnet_ifindex("lo"));
  return fd;
}

/* Reads datagrams until `want` arrived or 2 s of silence; returns the count
 * and adds their sizes to *bytes. */
static unsigned
receive(int fd, unsigned want, uint64_t *bytes)
{
  static char buf[65536];
  unsigned got = 0;
  while (got < want) {
    ssize_t n = mcast_recv_within(fd, buf, sizeof buf, 0, NULL, 0, NULL, 2000);
    if (n < 0)
      break;
    *bytes += (uint64_t) n;
    got++;
  }
  return got;
}

static mctx_publication_id
add(mctx_context *ctx, uint16_t port)
{
  mctx_publication_config cfg;
  mctx_error err;
  mctx_publication_id id = 0;

  CHECK(mctx_publication_config_init_group(&cfg, GROUP, port, &err) == MCTX_OK,
        "config: %s", err.message);
  CHECK(mctx_interface_parse("127.0.0.1", &cfg.interface, &err) == MCTX_OK,
        "interface: %s", err.message);
  CHECK(mctx_context_add(ctx, &cfg, &id, &err) == MCTX_OK, "add: %s",
        err.message);
  return id;
}

#define U(x) ((unsigned long long) (x))

int
main(void)
{
  testnet_private_netns_or_skip();

  int rx = receiver(PORT), rx_b = receiver(PORT_B);
  mctx_context *ctx = NULL;
  mctx_metrics cm;
  mctx_metrics pm;
  mctx_metrics_delta d;
  mctx_error err;
  char payload[1000];
  uint64_t received_bytes = 0;

  memset(payload, 'm', sizeof payload);
  CHECK(mctx_context_new(&ctx) == MCTX_OK, "context");
  mctx_publication_id id = add(ctx, PORT);

  /* Baseline right after the add, as mctx-send does. */
  mctx_sampler cs;
  mctx_sampler_init(&cs);
  mctx_context_metrics_snapshot(ctx, &cm);
  CHECK(!mctx_sampler_sample(&cs, &cm, NULL), "first sample");
  CHECK(cm.publications_added == 1 && cm.active_publications == 1 &&
            cm.publications_removed == 0 && cm.send_calls == 0,
        "after one add: added %llu active %llu", U(cm.publications_added),
        U(cm.active_publications));

  mctx_publication *pub = mctx_context_get(ctx, id);
  CHECK(pub != NULL, "get");
  mctx_sampler ps;
  mctx_sampler_init(&ps);
  mctx_publication_metrics_snapshot(pub, &pm);
  CHECK(!mctx_sampler_sample(&ps, &pm, NULL), "first publication sample");

  /* 20 single sends of 100 bytes through the context. */
  for (int i = 0; i < 20; i++)
    CHECK(mctx_context_send(ctx, id, payload, 100, NULL, &err) == MCTX_OK,
          "send %d: %s", i, err.message);
  CHECK(receive(rx, 20, &received_bytes) == 20, "receiver missed datagrams");

  /* A batch of 4 datagrams, 10+20+30+40 bytes, on the publication. */
  mctx_buf bufs[4];
  mctx_datagram dgrams[4];
  for (int i = 0; i < 4; i++) {
    bufs[i].base = payload;
    bufs[i].len = (size_t) (i + 1) * 10;
    dgrams[i].bufs = &bufs[i];
    dgrams[i].nbufs = 1;
  }
  size_t sent = 0;
  CHECK(mctx_publication_send_batch(pub, dgrams, 4, &sent, &err) == MCTX_OK &&
            sent == 4,
        "batch: sent %zu: %s", sent, err.message);
  CHECK(receive(rx, 4, &received_bytes) == 4,
        "receiver missed batch datagrams");

  /* A datagram too large for UDP fails in the kernel (EMSGSIZE). */
  static char huge[70000];
  CHECK(mctx_publication_send(pub, huge, sizeof huge, NULL, &err) ==
            MCTX_E_SEND_FAILED,
        "70000-byte datagram did not fail: %s", err.message);

  mctx_publication_metrics_snapshot(pub, &pm);
  CHECK(received_bytes == 2100, "receiver got %llu bytes", U(received_bytes));
  CHECK(pm.send_calls == 25 && pm.packets_sent == 24 && pm.bytes_sent == 2100 &&
            pm.send_errors == 1 && pm.would_block == 0,
        "publication counters calls %llu packets %llu bytes %llu errors %llu "
        "would_block %llu",
        U(pm.send_calls), U(pm.packets_sent), U(pm.bytes_sent),
        U(pm.send_errors), U(pm.would_block));
  CHECK(pm.send_calls == pm.packets_sent + pm.send_errors, "calls identity");

  CHECK(mctx_sampler_sample(&ps, &pm, &d), "second publication sample");
  CHECK(d.send_calls == 25 && d.packets_sent == 24 && d.bytes_sent == 2100 &&
            d.send_errors == 1,
        "publication delta calls %llu", U(d.send_calls));

  /* A second publication, send_all to both, then remove the first: its
   * sends stay in the context totals. */
  mctx_publication_id id_b = add(ctx, PORT_B);
  size_t reached = 0;
  CHECK(mctx_context_send_all(ctx, payload, 50, NULL, 0, &reached, &err) ==
                MCTX_OK &&
            reached == 2,
        "send_all reached %zu: %s", reached, err.message);
  uint64_t bytes_b = 0;
  CHECK(receive(rx, 1, &received_bytes) == 1 &&
            receive(rx_b, 1, &bytes_b) == 1 && bytes_b == 50,
        "send_all datagrams not received");
  CHECK(mctx_context_remove(ctx, id) == MCTX_OK, "remove");

  mctx_context_metrics_snapshot(ctx, &cm);
  CHECK(cm.publications_added == 2 && cm.publications_removed == 1 &&
            cm.active_publications == 1,
        "added %llu removed %llu active %llu", U(cm.publications_added),
        U(cm.publications_removed), U(cm.active_publications));
  CHECK(cm.send_calls == 27 && cm.packets_sent == 26 && cm.bytes_sent == 2200 &&
            cm.send_errors == 1,
        "context totals calls %llu packets %llu bytes %llu errors %llu",
        U(cm.send_calls), U(cm.packets_sent), U(cm.bytes_sent),
        U(cm.send_errors));

  CHECK(mctx_sampler_sample(&cs, &cm, &d), "second sample");
  CHECK(d.publications_added == 1 && d.publications_removed == 1 &&
            d.send_calls == 27 && d.bytes_sent == 2200,
        "context delta added %llu removed %llu calls %llu",
        U(d.publications_added), U(d.publications_removed), U(d.send_calls));

  /* take counts as removed too */
  mctx_publication *taken = NULL;
  CHECK(mctx_context_take(ctx, id_b, &taken) == MCTX_OK, "take");
  mctx_context_metrics_snapshot(ctx, &cm);
  CHECK(cm.publications_removed == 2 && cm.active_publications == 0 &&
            cm.send_calls == 27,
        "after take: removed %llu active %llu calls %llu",
        U(cm.publications_removed), U(cm.active_publications),
        U(cm.send_calls));
  mctx_publication_close(taken);

  mctx_context_free(ctx);
  close(rx);
  close(rx_b);
  printf("PASS: metrics-send\n");
  return 0;
}
