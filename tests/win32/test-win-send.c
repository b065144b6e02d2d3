/* Real sends on Windows (under wine): a publication on loopback, received
 * by a Winsock socket joined to the group on 127.0.0.1. Bytes, the source
 * seen on the wire, every send path, the interface selectors, contexts and
 * caller sockets.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "wintest.h"
#include "expect-error.h"

#include <stdio.h>
#include <string.h>

#define WAIT_MS 3000

static void
expect_datagram(SOCKET r, const char *want, const mctx_endpoint *from_want)
{
  char buf[2048], from[MCTX_ENDPOINT_STRLEN], expected[MCTX_ENDPOINT_STRLEN];
  int n = wintest_receive(r, buf, sizeof buf, WAIT_MS, from, sizeof from);
  TESTNET_CHECK(n >= 0, "'%s' not received within %d ms", want, WAIT_MS);
  TESTNET_CHECK((size_t) n == strlen(want) && memcmp(buf, want, n) == 0,
                "received '%.*s', want '%s'", n, buf, want);
  mctx_endpoint_format(from_want, expected, sizeof expected);
  TESTNET_CHECK(strcmp(from, expected) == 0, "from %s, want %s", from,
                expected);
}

/* Opened before the test starts Winsock for its receiver: a publication
 * outside a context starts Winsock itself. */
static mctx_publication *
open_before_winsock(void)
{
  mctx_publication_config cfg;
  wintest_config(&cfg, "239.255.77.1", 46401, "127.0.0.1");
  mctx_publication *pub;
  mctx_error err;
  EXPECT_OK(mctx_publication_open(&cfg, &pub, &err), &err);
  return pub;
}

static void
test_send_paths(mctx_publication *pub)
{
  SOCKET r = wintest_receiver("239.255.77.1", 46401, 0);
  mctx_error err;
  mctx_send_report report;
  EXPECT_OK(mctx_publication_send(pub, "hello", 5, &report, &err), &err);
  TESTNET_CHECK(report.bytes_sent == 5, "bytes %u",
                (unsigned) report.bytes_sent);
  char text[MCTX_IP_STRLEN];
  mctx_ip_format(&report.local.ip, text, sizeof text);
  TESTNET_CHECK(strcmp(text, "127.0.0.1") == 0, "local %s", text);
  expect_datagram(r, "hello", &report.local);

  mctx_buf bufs[2] = {{"gath", 4}, {"ered", 4}};
  EXPECT_OK(mctx_publication_sendv(pub, bufs, 2, &report, &err), &err);
  expect_datagram(r, "gathered", &report.local);

  mctx_buf one = {"one", 3}, two = {"two", 3},
           three[2] = {{"th", 2}, {"ree", 3}};
  mctx_datagram dgs[3] = {{&one, 1}, {&two, 1}, {three, 2}};
  size_t sent = 0;
  EXPECT_OK(mctx_publication_send_batch(pub, dgs, 3, &sent, &err), &err);
  TESTNET_CHECK(sent == 3, "batch sent %u", (unsigned) sent);
  expect_datagram(r, "one", &report.local);
  expect_datagram(r, "two", &report.local);
  expect_datagram(r, "three", &report.local);

  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  TESTNET_CHECK(m.packets_sent == 5 && m.bytes_sent == 5 + 8 + 3 + 3 + 5 &&
                    m.send_errors == 0 && m.send_calls == 5,
                "metrics: %llu packets, %llu bytes, %llu calls",
                (unsigned long long) m.packets_sent,
                (unsigned long long) m.bytes_sent,
                (unsigned long long) m.send_calls);

  /* Too big for UDP: a send failure, not a transient one. */
  static char huge[70000];
  int rc = mctx_publication_send(pub, huge, sizeof huge, NULL, &err);
  TESTNET_CHECK(rc == MCTX_E_SEND_FAILED && !mctx_error_is_transient(rc),
                "huge: %s (%s)", mctx_code_name(rc), err.message);
  closesocket(r);
  mctx_publication_close(pub);
}

/* The interface by name (wine names Linux's lo "lo") and by index: the
 * datagram still leaves from 127.0.0.1. */
static void
test_interface_selectors(void)
{
  uint32_t lo = 0;
  mctx_error err;
  EXPECT_OK(mctx_interface_name_to_index("lo", &lo, &err), &err);
  char index_text[16];
  snprintf(index_text, sizeof index_text, "%u", (unsigned) lo);
  const char *selectors[] = {"lo", index_text};
  for (int i = 0; i < 2; i++) {
    uint16_t port = (uint16_t) (46402 + i);
    SOCKET r = wintest_receiver("239.255.77.2", port, 0);
    mctx_publication_config cfg;
    wintest_config(&cfg, "239.255.77.2", port, selectors[i]);
    mctx_publication *pub;
    EXPECT_OK(mctx_publication_open(&cfg, &pub, &err), &err);
    mctx_send_report report;
    EXPECT_OK(mctx_publication_send(pub, "by-selector", 11, &report, &err),
              &err);
    expect_datagram(r, "by-selector", &report.local);
    mctx_publication_close(pub);
    closesocket(r);
  }
}

/* A context owns Winsock too; a caller's socket is checked and adopted. */
static void
test_context_and_caller_socket(void)
{
  mctx_context *ctx;
  TESTNET_CHECK(mctx_context_new(&ctx) == MCTX_OK, "context");
  SOCKET r = wintest_receiver("239.255.77.3", 46404, 0);

  mctx_publication_config cfg;
  wintest_config(&cfg, "239.255.77.3", 46404, "127.0.0.1");
  mctx_error err;
  mctx_publication_id id;
  EXPECT_OK(mctx_context_add(ctx, &cfg, &id, &err), &err);
  mctx_send_report report;
  EXPECT_OK(mctx_context_send(ctx, id, "ctx", 3, &report, &err), &err);
  expect_datagram(r, "ctx", &report.local);
  /* The same config again is a duplicate. */
  mctx_publication_id again;
  EXPECT_ERROR(mctx_context_add(ctx, &cfg, &again, &err), &err,
               MCTX_E_DUPLICATE_PUBLICATION, MCTX_SUBJECT_PUBLICATION);

  /* A caller's socket bound to 127.0.0.1:46405, as the config asks. */
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(46405)};
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  TESTNET_CHECK(bind(s, (struct sockaddr *) &local, sizeof local) == 0,
                "bind: %d", WSAGetLastError());
  mctx_publication_config own;
  wintest_config(&own, "239.255.77.3", 46404, "127.0.0.1");
  own.has_source_port = true;
  own.source_port = 46406;
  mctx_publication_id own_id;
  EXPECT_ERROR(mctx_context_add_with_socket(ctx, &own, (int) s, &own_id, &err),
               &err, MCTX_E_EXISTING_SOCKET_PORT_MISMATCH, MCTX_SUBJECT_SOCKET);
  own.source_port = 46405;
  EXPECT_OK(mctx_context_add_with_socket(ctx, &own, (int) s, &own_id, &err),
            &err);
  EXPECT_OK(mctx_context_send(ctx, own_id, "own", 3, &report, &err), &err);
  TESTNET_CHECK(report.local.port == 46405, "local port %u",
                (unsigned) report.local.port);
  expect_datagram(r, "own", &report.local);

  mctx_context_free(ctx);
  closesocket(r);
}

int
main(void)
{
  mctx_publication *pub = open_before_winsock();
  wintest_start();
  test_send_paths(pub);
  test_interface_selectors();
  test_context_and_caller_socket();
  WSACleanup();
  printf("ok\n");
  return 0;
}
