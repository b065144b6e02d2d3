/* Runs the code of docs/usage.md (extracted into usage-snippets.h at build
 * time) against receivers on loopback in a private network namespace.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "usage-snippets.h"

#include "cli-recv.h"
#include "testnet.h"

/* A receiver joined on lo; IPv6 ones are IPv6-only. */
static int
lo_receiver(const char *group, uint16_t port)
{
  return mcast_receiver(NULL, group, port, testnet_ifindex("lo"), NULL, NULL);
}

/* Checks one datagram of the gathered sends: the 12-byte header, then "frame". */
static void
expect_gathered(int fd, int count)
{
  for (int i = 0; i < count; i++) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    TESTNET_CHECK(poll(&pfd, 1, 2000) == 1,
                  "gathered datagram %d did not arrive", i + 1);
    uint8_t buf[64];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    TESTNET_CHECK(n == 17 && buf[0] == 0x80 && buf[1] == 96 &&
                      memcmp(buf + 12, "frame", 5) == 0,
                  "gathered datagram %d: %zd bytes, not header + \"frame\"",
                  i + 1, n);
  }
}

int
main(void)
{
  testnet_private_netns_or_skip();
  mctx_error err;

  int quick = lo_receiver("239.255.0.1", 5000);
  TESTNET_CHECK(quick_start() == 0, "quick_start failed");
  /* By name, IPv4 on lo: the kernel picks the source (see cli-send.c). */
  cli_recv_expect(quick, 1, "hello", NULL, 0);

  TESTNET_CHECK(show_validation_error() == 0, "show_validation_error");

  mctx_context *ctx = NULL;
  TESTNET_CHECK(mctx_context_new(&ctx) == MCTX_OK, "mctx_context_new");
  mctx_sampler sampler;
  mctx_sampler_init(&sampler);
  print_metrics(ctx, &sampler);

  int ssm = lo_receiver("232.1.1.1", 5004);
  mctx_publication_id ssm_id;
  TESTNET_CHECK(add_ssm_sender(ctx, &ssm_id, &err) == MCTX_OK,
                "add_ssm_sender: %s", err.message);
  mctx_publication *ssm_pub = mctx_context_get(ctx, ssm_id);
  TESTNET_CHECK(send_waiting(ssm_pub, "ssm", 3, &err) == MCTX_OK,
                "send_waiting: %s", err.message);
  cli_recv_expect(ssm, 1, "ssm", "127.0.0.1", 0);
  TESTNET_CHECK(send_gathered(ssm_pub, &err) == MCTX_OK, "send_gathered: %s",
                err.message);
  expect_gathered(ssm, 4);
  TESTNET_CHECK(send_paced(ssm_pub, &err) == MCTX_OK, "send_paced: %s",
                err.message);
  for (int i = 0; i < 6; i++) {
    struct pollfd pfd = {.fd = ssm, .events = POLLIN};
    uint8_t frame[2048];
    TESTNET_CHECK(poll(&pfd, 1, 2000) == 1 &&
                      recv(ssm, frame, sizeof frame, 0) == 1316,
                  "paced datagram %d of 6 did not arrive whole", i + 1);
  }

  int bound = lo_receiver("239.255.0.3", 5000);
  mctx_publication_id bound_id;
  TESTNET_CHECK(add_bound_sender(ctx, &bound_id, &err) == MCTX_OK,
                "add_bound_sender: %s", err.message);
  TESTNET_CHECK(mctx_context_send(ctx, bound_id, "bound", 5, NULL, &err) ==
                    MCTX_OK,
                "send bound: %s", err.message);
  cli_recv_expect(bound, 1, "bound", "127.0.0.1", 5001);

  int v6 = lo_receiver("ff31::8000:1234", 5000);
  mctx_publication_id v6_id;
  TESTNET_CHECK(add_ipv6_same_host(ctx, &v6_id, &err) == MCTX_OK,
                "add_ipv6_same_host: %s", err.message);
  TESTNET_CHECK(mctx_context_send(ctx, v6_id, "hello-v6", 8, NULL, &err) ==
                    MCTX_OK,
                "send v6: %s", err.message);
  cli_recv_expect(v6, 1, "hello-v6", "::1", 0);

  print_metrics(ctx, &sampler);
  TESTNET_CHECK(hand_over(ctx, v6_id) == 0, "hand_over");
  cli_recv_expect(v6, 1, "parts", "::1", 0);
  TESTNET_CHECK(!mctx_context_contains(ctx, v6_id),
                "taken publication still there");

  int own = lo_receiver("239.255.0.2", 5000);
  mctx_publication *own_pub = NULL;
  TESTNET_CHECK(open_on_own_socket(&own_pub, &err) == MCTX_OK,
                "open_on_own_socket: %s", err.message);
  TESTNET_CHECK(mctx_publication_send(own_pub, "own", 3, NULL, &err) == MCTX_OK,
                "send own: %s", err.message);
  cli_recv_expect(own, 1, "own", "127.0.0.1", 0);
  mctx_publication_close(own_pub);

  mctx_context_free(ctx);
  close(quick);
  close(ssm);
  close(bound);
  close(v6);
  close(own);
  printf("every snippet of docs/usage.md ran against real receivers\n");
  return 0;
}
