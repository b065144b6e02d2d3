/* Caller-provided sockets, take and into_parts, and the context: ids,
 * duplicates, remove, send, send_all, totals that survive removal. On
 * loopback in a private network namespace.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "pub-net.h"

#include <stdlib.h>

#define GROUP "239.255.20.1"
#define PORT 46201

static int
udp4_bound(const char *addr, uint16_t port)
{
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0, "socket: %s", strerror(errno));
  if (addr != NULL) {
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, addr, &sin.sin_addr);
    CHECK(bind(fd, (struct sockaddr *) &sin, sizeof sin) == 0, "bind %s: %s",
          addr, strerror(errno));
  }
  return fd;
}

static uint16_t
port_of(int fd)
{
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  CHECK(getsockname(fd, (struct sockaddr *) &sin, &len) == 0, "getsockname");
  return ntohs(sin.sin_port);
}

static bool
fd_open(int fd)
{
  return fcntl(fd, F_GETFD) >= 0;
}

static void
lo_config(mctx_publication_config *cfg)
{
  cfg_init(cfg, GROUP, PORT);
  cfg_interface(cfg, "127.0.0.1");
}

static void
test_caller_sockets(int rx)
{
  mctx_publication_config cfg;
  mctx_publication *pub;
  mctx_error err;
  char text[MCTX_IP_STRLEN];

  /* An IPv6 socket for an IPv4 group. */
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  lo_config(&cfg);
  int rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH,
            MCTX_SUBJECT_SOCKET);
  CHECK(pub == NULL && fd_open(fd), "the caller still owns the socket");
  close(fd);

  /* Bound to 127.0.0.1, config says 127.0.0.2. */
  fd = udp4_bound("127.0.0.1", 0);
  lo_config(&cfg);
  cfg_source(&cfg, "127.0.0.2");
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH,
            MCTX_SUBJECT_SOCKET);
  CHECK(fd_open(fd), "the caller still owns the socket");

  /* Same socket, right address, wrong port. */
  uint16_t port = port_of(fd);
  lo_config(&cfg);
  cfg.has_source_port = true;
  cfg.source_port = (uint16_t) (port + 1);
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_EXISTING_SOCKET_PORT_MISMATCH, MCTX_SUBJECT_SOCKET);

  /* Matching address only: accepted, not re-bound. */
  lo_config(&cfg);
  cfg_source(&cfg, "127.0.0.1");
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_OK(rc, err);
  mctx_endpoint local;
  rc = mctx_publication_get_local(pub, &local, &err);
  CHECK_OK(rc, err);
  CHECK(strcmp(ip_str(&local.ip, text), "127.0.0.1") == 0 && local.port == port,
        "local %s:%u, was 127.0.0.1:%u", text, local.port, (unsigned) port);
  CHECK(mctx_publication_get_fd(pub) == fd, "the publication uses the fd");
  CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "made non-blocking");
  send_text(pub, "caller socket", NULL);
  received r;
  expect_datagram(rx, "caller socket", &r);
  CHECK(r.from_port == port, "sent from port %u", r.from_port);
  mctx_publication_close(pub);
  CHECK(!fd_open(fd), "the publication closed the socket it owned");

  /* Matching port only. */
  fd = udp4_bound("127.0.0.1", 0);
  port = port_of(fd);
  lo_config(&cfg);
  cfg.has_source_port = true;
  cfg.source_port = port;
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_OK(rc, err);
  rc = mctx_publication_get_local(pub, &local, &err);
  CHECK(rc == MCTX_OK && local.port == port, "local port unchanged");
  mctx_publication_close(pub);

  /* Unbound: bound as the config asks. */
  fd = udp4_bound(NULL, 0);
  lo_config(&cfg);
  cfg_source(&cfg, "127.0.0.1");
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_OK(rc, err);
  rc = mctx_publication_get_local(pub, &local, &err);
  CHECK(rc == MCTX_OK && strcmp(ip_str(&local.ip, text), "127.0.0.1") == 0,
        "bound to %s", text);
  send_text(pub, "unbound caller socket", NULL);
  expect_datagram(rx, "unbound caller socket", NULL);
  mctx_publication_close(pub);

  /* A bad config leaves the socket to the caller, untouched by us. */
  fd = udp4_bound(NULL, 0);
  cfg_init(&cfg, GROUP, PORT);
  cfg.dst_port = 0;
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_RC(rc, err, MCTX_E_INVALID_DESTINATION_PORT);
  CHECK(fd_open(fd), "still the caller's");
  close(fd);
}

/* IPv6 caller sockets: V6ONLY is the caller's; an already bound socket that
 * cannot satisfy the auto-bind is refused, naming both addresses. */
static void
test_caller_sockets_ipv6(void)
{
  const uint16_t port = 46202;
  int rx = recv_socket(NULL, AF_INET6, port);
  mcast_join_v6(rx, "ff31::8000:4620", testnet_ifindex("lo"));
  testnet_sh_ok("ip addr add fd00:20::1/128 dev lo nodad");

  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  int zero = 0, v6only = -1;
  socklen_t len = sizeof v6only;
  CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) == 0,
        "V6ONLY 0");
  /* By name: an index, no bind (binding to a specific address would make
   * the kernel itself set V6ONLY). */
  mctx_publication_config cfg;
  cfg_init(&cfg, "ff31::8000:4620", port);
  cfg_interface(&cfg, "lo");
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_OK(rc, err);
  getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
  CHECK(v6only == 0, "IPV6_V6ONLY left as the caller set it (%d)", v6only);
  send_text(pub, "v6 caller socket", NULL);
  expect_datagram(rx, "v6 caller socket", NULL);
  mctx_publication_close(pub);

  /* Unbound, interface address: auto-bound to it. */
  fd = socket(AF_INET6, SOCK_DGRAM, 0);
  cfg_interface(&cfg, "::1");
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_OK(rc, err);
  send_text(pub, "auto-bound caller socket", NULL);
  received r;
  expect_datagram(rx, "auto-bound caller socket", &r);
  CHECK(strcmp(r.from, "::1") == 0, "auto-bound source %s", r.from);
  mctx_publication_close(pub);

  fd = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
  inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
  CHECK(bind(fd, (struct sockaddr *) &sin6, sizeof sin6) == 0, "bind ::1");
  cfg_interface(&cfg, "fd00:20::1");
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_SOCKET_BIND_FAILED, MCTX_SUBJECT_SOCKET);
  CHECK(fd_open(fd), "still the caller's");
  cfg_interface(&cfg, "::1");
  rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_OK(rc, err);
  send_text(pub, "bound v6 caller socket", NULL);
  expect_datagram(rx, "bound v6 caller socket", NULL);
  mctx_publication_close(pub);
  close(rx);
}

static void
test_into_parts(int rx)
{
  mctx_publication_config cfg;
  mctx_publication *pub;
  mctx_error err;
  lo_config(&cfg);
  cfg.ttl = 3;
  int rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);

  int fd = -1;
  mctx_publication_config parts_cfg;
  mctx_publication_id id = 99;
  mctx_publication_into_parts(pub, &fd, &parts_cfg, &id);
  CHECK(fd >= 0 && id == 0 && mctx_publication_config_equal(&cfg, &parts_cfg),
        "parts: fd %d id %llu", fd, (unsigned long long) id);
  /* Still configured and connected: a plain send(2) reaches the group. */
  CHECK(send(fd, "from parts", 10, 0) == 10, "send on the fd: %s",
        strerror(errno));
  received r;
  expect_datagram(rx, "from parts", &r);
  CHECK(r.ttl == 3, "TTL kept: %d", r.ttl);
  close(fd);
}

static void
add_ok(mctx_context *ctx, const mctx_publication_config *cfg,
       mctx_publication_id expect)
{
  mctx_publication_id id = 0;
  mctx_error err;
  int rc = mctx_context_add(ctx, cfg, &id, &err);
  CHECK_OK(rc, err);
  CHECK(id == expect, "id %llu, expected %llu", (unsigned long long) id,
        (unsigned long long) expect);
}

static void
test_context(int rx)
{
  mctx_context *ctx;
  CHECK(mctx_context_new(&ctx) == MCTX_OK, "context");
  mctx_publication_config a, b, c;
  lo_config(&a);
  lo_config(&b);
  b.ttl = 2; /* only the TTL differs: not a duplicate */
  lo_config(&c);
  c.ttl = 3;
  mctx_error err;

  add_ok(ctx, &a, 1);
  add_ok(ctx, &b, 2);
  mctx_publication_id id = 77;
  int rc = mctx_context_add(ctx, &a, &id, &err);
  CHECK_ERR(rc, err, MCTX_E_DUPLICATE_PUBLICATION, MCTX_SUBJECT_PUBLICATION);
  CHECK(id == 0 && mctx_context_count(ctx) == 2, "refused");

  /* A failing add takes no id. */
  mctx_publication_config bad;
  lo_config(&bad);
  cfg_interface(&bad, "nosuch0");
  rc = mctx_context_add(ctx, &bad, &id, &err);
  CHECK_RC(rc, err, MCTX_E_INTERFACE_NOT_FOUND);

  CHECK(mctx_context_contains(ctx, 1) && mctx_context_contains(ctx, 2) &&
            !mctx_context_contains(ctx, 3),
        "contains");
  CHECK(mctx_publication_get_id(mctx_context_get(ctx, 2)) == 2, "get");
  CHECK(mctx_context_get(ctx, 5) == NULL, "get unknown");
  CHECK(mctx_context_at(ctx, 0) != NULL && mctx_context_at(ctx, 2) == NULL,
        "at");

  mctx_send_report report;
  rc = mctx_context_send(ctx, 1, "one", 3, &report, &err);
  CHECK_OK(rc, err);
  CHECK(report.publication_id == 1 && report.bytes_sent == 3, "report");
  expect_datagram(rx, "one", NULL);
  rc = mctx_context_send(ctx, 1, "one", 3, NULL, &err);
  CHECK_OK(rc, err);
  expect_datagram(rx, "one", NULL);
  rc = mctx_context_send(ctx, 42, "x", 1, NULL, &err);
  CHECK_ERR(rc, err, MCTX_E_PUBLICATION_NOT_FOUND, MCTX_SUBJECT_PUBLICATION);

  /* Remove 1; the next id is 3, never 1 again. */
  CHECK(mctx_context_remove(ctx, 1) == MCTX_OK, "remove");
  CHECK(mctx_context_remove(ctx, 1) == MCTX_E_PUBLICATION_NOT_FOUND,
        "remove twice");
  add_ok(ctx, &a, 3);
  add_ok(ctx, &c, 4);

  mctx_metrics m;
  mctx_context_metrics_snapshot(ctx, &m);
  CHECK(m.publications_added == 4 && m.publications_removed == 1 &&
            m.active_publications == 3,
        "counts %llu %llu %llu", (unsigned long long) m.publications_added,
        (unsigned long long) m.publications_removed,
        (unsigned long long) m.active_publications);
  CHECK(m.send_calls == 2 && m.packets_sent == 2 && m.bytes_sent == 6,
        "totals survive removal: calls %llu",
        (unsigned long long) m.send_calls);

  /* send_all in storage order (2, 3, 4 after the swap-remove moved 2). */
  mctx_send_report reports[8];
  size_t sent = 0;
  rc = mctx_context_send_all(ctx, "all", 3, reports, 8, &sent, &err);
  CHECK_OK(rc, err);
  CHECK(sent == 3, "sent to %zu", sent);
  for (size_t i = 0; i < 3; i++) {
    CHECK(reports[i].publication_id ==
              mctx_publication_get_id(mctx_context_at(ctx, i)),
          "report %zu", i);
    expect_datagram(rx, "all", NULL);
  }

  /* Stops at the first error: break the second publication's socket. */
  mctx_publication *second = mctx_context_at(ctx, 1);
  mctx_publication_id second_id = mctx_publication_get_id(second);
  CHECK(shutdown(mctx_publication_get_fd(second), SHUT_WR) == 0, "shutdown");
  rc = mctx_context_send_all(ctx, "stop", 4, reports, 8, &sent, &err);
  CHECK_RC(rc, err, MCTX_E_SEND_FAILED);
  CHECK(err.sys_errno == EPIPE, "errno %d", err.sys_errno);
  CHECK(sent == 1, "sent to %zu before the error", sent);
  expect_datagram(rx, "stop", NULL);
  expect_silence(rx, "send_all went on after an error");

  /* Take the broken one out; the context forgets it, the caller closes it. */
  mctx_publication *taken = NULL;
  CHECK(mctx_context_take(ctx, second_id, &taken) == MCTX_OK && taken, "take");
  CHECK(mctx_publication_get_id(taken) == second_id, "keeps its id");
  CHECK(!mctx_context_contains(ctx, second_id) && mctx_context_count(ctx) == 2,
        "gone from the context");
  mctx_publication *again = taken;
  CHECK(mctx_context_take(ctx, second_id, &again) ==
                MCTX_E_PUBLICATION_NOT_FOUND &&
            again == NULL,
        "take twice");
  mctx_publication_close(mctx_context_get(ctx, 999)); /* NULL: fine */

  /* Take a working one: it keeps sending on its own. */
  mctx_publication_id first_id =
      mctx_publication_get_id(mctx_context_at(ctx, 0));
  mctx_publication *kept;
  CHECK(mctx_context_take(ctx, first_id, &kept) == MCTX_OK, "take");
  send_text(kept, "taken", NULL);
  expect_datagram(rx, "taken", NULL);

  mctx_context_metrics_snapshot(ctx, &m);
  CHECK(m.publications_removed == 3 && m.active_publications == 1,
        "take counts as removed");
  /* 2 + 3 + (1 ok, 1 failed) sends up to the takes; "taken" is not. */
  CHECK(m.send_calls == 7 && m.packets_sent == 6 && m.send_errors == 1,
        "calls %llu packets %llu errors %llu",
        (unsigned long long) m.send_calls, (unsigned long long) m.packets_sent,
        (unsigned long long) m.send_errors);

  mctx_publication_close(kept);
  mctx_publication_close(taken);

  /* add_with_socket: same checks, fd owned on success only. */
  int fd = udp4_bound("127.0.0.1", 0);
  mctx_publication_config d;
  lo_config(&d);
  cfg_source(&d, "127.0.0.2");
  rc = mctx_context_add_with_socket(ctx, &d, fd, &id, &err);
  CHECK_RC(rc, err, MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH);
  CHECK(fd_open(fd), "still the caller's");
  cfg_source(&d, "127.0.0.1");
  rc = mctx_context_add_with_socket(ctx, &d, fd, &id, &err);
  CHECK_OK(rc, err);
  CHECK(id == 5, "id %llu", (unsigned long long) id);
  rc = mctx_context_send(ctx, id, "with socket", 11, NULL, &err);
  CHECK_OK(rc, err);
  expect_datagram(rx, "with socket", NULL);

  mctx_context_free(ctx);
  CHECK(!fd_open(fd), "freeing the context closes what it owns");
}

int
main(void)
{
  testnet_private_netns_or_skip();
  int rx = recv_socket(NULL, AF_INET, PORT);
  mcast_join_v4(rx, GROUP, testnet_ifindex("lo"));
  test_caller_sockets(rx);
  test_caller_sockets_ipv6();
  test_into_parts(rx);
  test_context(rx);
  close(rx);
  printf("pub-context: all passed\n");
  return 0;
}
