/* Publications on loopback, in a private network namespace: IPv4 ASM, IPv6
 * ff31::/16 from ::1 (explicit source and auto-bind), destination scopes,
 * the scoped-group error, live options, batches, metrics of a send.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "pub-net.h"

#include <stdlib.h>

/* MCTX_TTL_UNCHANGED leaves a caller's TTL as the caller set it. */
static void
test_ttl_unchanged_keeps_caller_ttl(void)
{
  const uint16_t port = 46109;
  int rx = recv_socket(NULL, AF_INET, port);
  mcast_join_v4(rx, "239.255.12.35", testnet_ifindex("lo"));

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0, "socket: %s", strerror(errno));
  int seven = 7;
  CHECK(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &seven, sizeof seven) == 0,
        "IP_MULTICAST_TTL 7: %s", strerror(errno));

  mctx_publication_config cfg;
  cfg_init(&cfg, "239.255.12.35", port);
  cfg_interface(&cfg, "127.0.0.1");
  cfg.ttl = MCTX_TTL_UNCHANGED;
  mctx_error err;
  CHECK_OK(mctx_publication_config_validate(&cfg, &err), err);
  mctx_publication *pub;
  int rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  CHECK_OK(rc, err);
  send_text(pub, "caller ttl", NULL);
  received r;
  expect_datagram(rx, "caller ttl", &r);
  CHECK(r.ttl == 7, "the caller's TTL 7 is kept, receiver saw %d", r.ttl);
  mctx_publication_close(pub);
  close(rx);
}

static void
test_ipv4_asm_on_loopback(void)
{
  const uint16_t port = 46101;
  int rx = recv_socket(NULL, AF_INET, port);
  mcast_join_v4(rx, "239.255.12.34", testnet_ifindex("lo"));

  mctx_publication_config cfg;
  cfg_init(&cfg, "239.255.12.34", port);
  cfg_interface(&cfg, "127.0.0.1");
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  CHECK(mctx_publication_get_id(pub) == 0, "a lone publication has id 0");
  CHECK(mctx_publication_get_interface_index(pub) == 0,
        "IPv4 by address sets no index");

  mctx_send_report report;
  send_text(pub, "hello v4", &report);
  received r;
  expect_datagram(rx, "hello v4", &r);
  char a[MCTX_IP_STRLEN], b[MCTX_IP_STRLEN];
  CHECK(strcmp(r.from, "127.0.0.1") == 0, "sender seen as %s", r.from);
  CHECK(r.ttl == 1, "default TTL 1, receiver saw %d", r.ttl);
  CHECK(report.bytes_sent == 8, "bytes_sent %zu", report.bytes_sent);
  CHECK(report.publication_id == 0, "report id");
  CHECK(mctx_ip_equal(&report.destination.ip, &cfg.group) &&
            report.destination.port == port,
        "destination %s", ip_str(&report.destination.ip, a));
  CHECK(strcmp(ip_str(&report.local.ip, a), "127.0.0.1") == 0 &&
            report.local.port == r.from_port,
        "report.local %s:%u, receiver saw %s:%u", a, report.local.port, r.from,
        r.from_port);

  mctx_ip source, group;
  uint16_t tuple_port;
  rc = mctx_publication_get_announce_tuple(pub, &source, &group, &tuple_port,
                                           &err);
  CHECK_OK(rc, err);
  CHECK(strcmp(ip_str(&source, a), "127.0.0.1") == 0 &&
            strcmp(ip_str(&group, b), "239.255.12.34") == 0 &&
            tuple_port == port,
        "announce tuple (%s, %s, %u)", a, b, tuple_port);

  /* Live TTL reaches the wire. */
  rc = mctx_publication_set_ttl(pub, 9, &err);
  CHECK_OK(rc, err);
  CHECK(mctx_publication_get_config(pub)->ttl == 9, "config copy follows");
  send_text(pub, "ttl 9", NULL);
  expect_datagram(rx, "ttl 9", &r);
  CHECK(r.ttl == 9, "receiver saw TTL %d after set_ttl(9)", r.ttl);
  rc = mctx_publication_set_ttl(pub, 300, &err);
  CHECK_ERR(rc, err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_TTL);
  CHECK(mctx_publication_get_config(pub)->ttl == 9, "failed set keeps config");

  /* MCTX_TTL_UNCHANGED on a live publication restores the kernel default. */
  rc = mctx_publication_set_ttl(pub, MCTX_TTL_UNCHANGED, &err);
  CHECK_OK(rc, err);
  send_text(pub, "ttl default", NULL);
  expect_datagram(rx, "ttl default", &r);
  CHECK(r.ttl == 1, "receiver saw TTL %d after set_ttl(UNCHANGED)", r.ttl);

  rc = mctx_publication_set_dscp(pub, 46, &err);
  CHECK_OK(rc, err);
  rc = mctx_publication_set_dscp(pub, 64, &err);
  CHECK_ERR(rc, err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP);

  rc = mctx_publication_set_loopback(pub, false, &err);
  CHECK_OK(rc, err);
  CHECK(!mctx_publication_get_config(pub)->loopback, "config copy follows");
  rc = mctx_publication_set_loopback(pub, true, &err);
  CHECK_OK(rc, err);

  /* A datagram too big for UDP is a send failure, not a would-block. */
  static char huge[70000];
  rc = mctx_publication_send(pub, huge, sizeof huge, NULL, &err);
  CHECK_RC(rc, err, MCTX_E_SEND_FAILED);
  CHECK(err.sys_errno == EMSGSIZE, "sys_errno %d", err.sys_errno);
  CHECK(strstr(err.message, "239.255.12.34:46101") != NULL, "message: %s",
        err.message);

  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  CHECK(m.send_calls == 4 && m.packets_sent == 3 && m.send_errors == 1 &&
            m.would_block == 0 && m.bytes_sent == 8 + 5 + 11,
        "metrics calls %llu packets %llu errors %llu bytes %llu",
        (unsigned long long) m.send_calls, (unsigned long long) m.packets_sent,
        (unsigned long long) m.send_errors, (unsigned long long) m.bytes_sent);

  CHECK(mctx_publication_drain_errors(pub) >= 0, "drain");
  mctx_publication_close(pub);
  close(rx);
}

static void
test_ipv6_ff31_from_loopback(void)
{
  const uint16_t port = 46102;
  const char *group = "ff31::8000:1234";
  uint32_t lo = testnet_ifindex("lo");
  int rx = recv_socket(NULL, AF_INET6, port);
  mcast_join_v6(rx, group, lo);

  /* Source ::1 and interface ::1. */
  mctx_publication_config cfg;
  cfg_init(&cfg, group, port);
  cfg_source(&cfg, "::1");
  cfg_interface(&cfg, "::1");
  cfg.ttl = 4;
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  CHECK(mctx_publication_get_interface_index(pub) == lo, "index %u, lo is %u",
        mctx_publication_get_interface_index(pub), lo);
  mctx_endpoint dest;
  mctx_publication_get_destination(pub, &dest);
  CHECK(dest.ip.scope_id == lo, "ff31 keeps the scope id (%u)",
        dest.ip.scope_id);

  mctx_send_report report;
  send_text(pub, "hello v6", &report);
  received r;
  expect_datagram(rx, "hello v6", &r);
  CHECK(strcmp(r.from, "::1") == 0, "sender seen as %s", r.from);
  CHECK(r.ttl == 4, "hop limit %d", r.ttl);
  CHECK(report.destination.ip.scope_id == lo, "report destination scope");
  char a[MCTX_IP_STRLEN];
  CHECK(strcmp(ip_str(&report.local.ip, a), "::1") == 0, "local %s", a);
  mctx_publication_close(pub);

  /* Only the interface address: auto-bind makes it the source. */
  cfg_init(&cfg, group, port);
  cfg_interface(&cfg, "::1");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  mctx_endpoint local;
  rc = mctx_publication_get_local(pub, &local, &err);
  CHECK_OK(rc, err);
  CHECK(strcmp(ip_str(&local.ip, a), "::1") == 0, "auto-bound to %s", a);
  send_text(pub, "auto-bound", NULL);
  expect_datagram(rx, "auto-bound", &r);
  CHECK(strcmp(r.from, "::1") == 0, "sender seen as %s", r.from);
  mctx_publication_close(pub);

  /* Interface by name: an index, no bind. */
  cfg_init(&cfg, group, port);
  cfg_interface(&cfg, "lo");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  send_text(pub, "by name", NULL);
  expect_datagram(rx, "by name", &r);
  mctx_publication_close(pub);
  close(rx);

  /* Wider scopes carry no scope id, even with a known interface. */
  const uint16_t port3e = 46103;
  rx = recv_socket(NULL, AF_INET6, port3e);
  mcast_join_v6(rx, "ff3e::8000:1234", lo);
  cfg_init(&cfg, "ff3e::8000:1234", port3e);
  cfg_source(&cfg, "::1");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  mctx_publication_get_destination(pub, &dest);
  CHECK(dest.ip.scope_id == 0, "ff3e scope id %u", dest.ip.scope_id);
  CHECK(mctx_publication_get_interface_index(pub) == lo,
        "source ::1 selects lo");
  send_text(pub, "global scope", &report);
  CHECK(report.destination.ip.scope_id == 0, "report scope id");
  expect_datagram(rx, "global scope", &r);
  CHECK(strcmp(r.from, "::1") == 0, "sender seen as %s", r.from);
  mctx_publication_close(pub);
  close(rx);
}

static void
test_scoped_groups_need_an_interface(void)
{
  const char *groups[] = {"ff31::8000:1234", "ff32::8000:1234", "ff02::1:3"};
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
    mctx_publication_config cfg;
    cfg_init(&cfg, groups[i], 46104);
    mctx_publication *pub = (mctx_publication *) &cfg;
    mctx_error err;
    int rc = mctx_publication_open(&cfg, &pub, &err);
    CHECK_ERR(rc, err, MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE,
              MCTX_SUBJECT_INTERFACE);
    CHECK(pub == NULL, "no publication on failure");
  }
}

/* A zone on the group names the interface (ours): used when no interface
 * is given, refused when it contradicts the interface or names none. The
 * destination keeps the scope id only for ff?1/ff?2 groups. */
static void
test_group_zone(void)
{
  const uint16_t port = 46105;
  uint32_t lo = testnet_ifindex("lo");
  testnet_sh_ok("ip link add dz0 type veth peer name dz1"
                " && ip link set dz0 up && ip link set dz1 up");
  uint32_t dz0 = testnet_ifindex("dz0");
  int rx = recv_socket(NULL, AF_INET6, port);
  mcast_join_v6(rx, "ff02::8000:1234", lo);
  mctx_publication_config cfg;
  mctx_publication *pub;
  mctx_error err;
  mctx_endpoint dest;
  received r;

  /* ff02::8000:1234%lo alone: sent on lo, scope id lo. */
  cfg_init(&cfg, "ff02::8000:1234%lo", port);
  int rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  CHECK(mctx_publication_get_interface_index(pub) == lo, "index %u, lo %u",
        mctx_publication_get_interface_index(pub), lo);
  mctx_publication_get_destination(pub, &dest);
  CHECK(dest.ip.scope_id == lo, "ff02 scope id %u", dest.ip.scope_id);
  send_text(pub, "zone lo", NULL);
  expect_datagram(rx, "zone lo", &r);
  mctx_publication_close(pub);

  /* The same interface given twice is fine. */
  cfg_init(&cfg, "ff02::8000:1234%lo", port);
  cfg_interface(&cfg, "lo");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  send_text(pub, "zone and interface lo", NULL);
  expect_datagram(rx, "zone and interface lo", &r);
  mctx_publication_close(pub);

  /* A contradiction names both. */
  cfg_init(&cfg, "ff02::8000:1234%lo", port);
  cfg_interface(&cfg, "dz0");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_IPV6_GROUP_ZONE_MISMATCH, MCTX_SUBJECT_GROUP);
  char want[160];
  snprintf(want, sizeof want,
           "group ff02::8000:1234%%%u is on interface "
           "%u (lo) but the outgoing interface is %u (dz0)",
           lo, lo, dz0);
  CHECK(strcmp(err.message, want) == 0, "message '%s', want '%s'", err.message,
        want);
  expect_silence(rx, "zone lo, interface dz0");

  /* An index that names no interface. */
  cfg_init(&cfg, "ff02::1%9999", port);
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_GROUP);
  CHECK(strcmp(err.message, "interface 9999, the zone of group "
                            "ff02::1%9999, does not exist") == 0,
        "message '%s'", err.message);

  /* A name that names no interface: refused by the parser already. */
  mctx_ip ip;
  rc = mctx_ip_parse("ff02::1%nosuch9", &ip, &err);
  CHECK_ERR(rc, err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);

  /* A wider scope: the zone selects the interface, the destination has
   * no scope id. */
  cfg_init(&cfg, "ff3e::8000:1234%lo", port);
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  CHECK(mctx_publication_get_interface_index(pub) == lo, "ff3e zone index");
  mctx_publication_get_destination(pub, &dest);
  CHECK(dest.ip.scope_id == 0, "ff3e scope id %u", dest.ip.scope_id);
  mctx_publication_close(pub);
  close(rx);
  testnet_sh_ok("ip link del dz0");
}

/* 200 datagrams of three buffers each, through the batch path. */
static void
test_batch_arrives_intact_and_in_order(void)
{
  enum { COUNT = 200 };
  const uint16_t port = 46106;
  int rx = recv_socket(NULL, AF_INET, port);
  mcast_join_v4(rx, "239.255.12.35", testnet_ifindex("lo"));

  mctx_publication_config cfg;
  cfg_init(&cfg, "239.255.12.35", port);
  cfg_interface(&cfg, "lo");
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_OK(rc, err);
  CHECK(mctx_publication_get_interface_index(pub) == testnet_ifindex("lo"),
        "IPv4 by name uses ip_mreqn with lo's index");

  static char heads[COUNT][16];
  static char body[700];
  static mctx_buf bufs[COUNT][3];
  static mctx_datagram dgs[COUNT];
  memset(body, 'x', sizeof body);
  size_t total = 0;
  for (int i = 0; i < COUNT; i++) {
    snprintf(heads[i], sizeof heads[i], "seq %03d|", i);
    bufs[i][0] = (mctx_buf){heads[i], strlen(heads[i])};
    bufs[i][1] = (mctx_buf){body, (size_t) (i % 7) * 100};
    bufs[i][2] = (mctx_buf){(void *) "|end", 4};
    dgs[i] = (mctx_datagram){bufs[i], 3};
    total += bufs[i][0].len + bufs[i][1].len + 4;
  }
  size_t sent = 12345;
  rc = mctx_publication_send_batch(pub, dgs, COUNT, &sent, &err);
  CHECK_OK(rc, err);
  CHECK(sent == COUNT, "sent %zu", sent);

  for (int i = 0; i < COUNT; i++) {
    received r;
    CHECK(recv_within(rx, PUB_WAIT_MS, &r), "datagram %d missing", i);
    size_t want = strlen(heads[i]) + (size_t) (i % 7) * 100 + 4;
    CHECK(r.len == want, "datagram %d: %zu bytes, want %zu", i, r.len, want);
    CHECK(memcmp(r.data, heads[i], strlen(heads[i])) == 0,
          "datagram %d out of order: \"%.8s\"", i, r.data);
    CHECK(memcmp(r.data + r.len - 4, "|end", 4) == 0, "tail of %d", i);
    CHECK(strcmp(r.from, "127.0.0.1") == 0,
          "interface lo by name: datagram %d seen from %s, not lo's address", i,
          r.from);
    for (size_t k = strlen(heads[i]); k < r.len - 4; k++)
      CHECK(r.data[k] == 'x', "body byte %zu of %d", k, i);
  }

  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  CHECK(m.send_calls == COUNT && m.packets_sent == COUNT &&
            m.bytes_sent == total && m.send_errors == 0,
        "batch metrics");

  /* sendv: one gathered datagram. */
  mctx_buf two[2] = {{(void *) "gath", 4}, {(void *) "ered", 4}};
  mctx_send_report report;
  rc = mctx_publication_sendv(pub, two, 2, &report, &err);
  CHECK_OK(rc, err);
  CHECK(report.bytes_sent == 8, "sendv bytes %zu", report.bytes_sent);
  expect_datagram(rx, "gathered", NULL);

  /* An empty batch sends nothing and succeeds. */
  rc = mctx_publication_send_batch(pub, dgs, 0, &sent, &err);
  CHECK(rc == MCTX_OK && sent == 0, "empty batch");
  mctx_publication_close(pub);
  close(rx);
}

/* Both publications of one mctx_publications_send_batch sent and counted
 * all count datagrams. */
static void
check_all_sent(mctx_publication *const *pubs, const mctx_send_result *results,
               size_t count)
{
  for (int p = 0; p < 2; p++) {
    mctx_metrics m;
    CHECK(results[p].code == MCTX_OK && results[p].sent == count,
          "publication %d: code %d, sent %zu", p, results[p].code,
          results[p].sent);
    mctx_publication_metrics_snapshot(pubs[p], &m);
    CHECK(m.packets_sent == count, "publication %d counted %llu", p,
          (unsigned long long) m.packets_sent);
  }
}

/* Two publications on lo to groups[p]:ports[p] (paced at pacing_bps with
 * burst 2 unless 0), each with a receiver joined on lo. */
static void
open_two_on_lo(const char *const groups[2], const uint16_t ports[2],
               uint64_t pacing_bps, mctx_publication *pubs[2], int rx[2])
{
  for (int p = 0; p < 2; p++) {
    rx[p] = recv_socket(NULL, AF_INET, ports[p]);
    mcast_join_v4(rx[p], groups[p], testnet_ifindex("lo"));
    mctx_publication_config cfg;
    mctx_error err;
    cfg_init(&cfg, groups[p], ports[p]);
    cfg_interface(&cfg, "lo");
    cfg.pacing_rate_bps = pacing_bps;
    if (pacing_bps != 0)
      cfg.pacing_burst = 2;
    CHECK_OK(mctx_publication_open(&cfg, &pubs[p], &err), err);
  }
}

static void
close_two(mctx_publication *pubs[2], int rx[2])
{
  for (int p = 0; p < 2; p++) {
    mctx_publication_close(pubs[p]);
    close(rx[p]);
  }
}

/* One batch to two publications in one call: both receivers get the same
 * datagrams, and each publication's result and counters are its own. */
static void
test_one_batch_to_two_publications(void)
{
  enum { COUNT = 20 };
  const char *groups[2] = {"239.255.12.36", "239.255.12.37"};
  const uint16_t ports[2] = {46107, 46108};
  mctx_publication *pubs[2];
  int rx[2];
  mctx_error err;
  open_two_on_lo(groups, ports, 0, pubs, rx);

  static char heads[COUNT][16];
  static mctx_buf bufs[COUNT];
  static mctx_datagram dgs[COUNT];
  for (int i = 0; i < COUNT; i++) {
    snprintf(heads[i], sizeof heads[i], "leg seq %03d", i);
    bufs[i] = (mctx_buf){heads[i], strlen(heads[i])};
    dgs[i] = (mctx_datagram){&bufs[i], 1};
  }
  mctx_send_result results[2];
  mctx_error errs[2];
  int rc = mctx_publications_send_batch(pubs, 2, dgs, COUNT, results, errs);
  CHECK_OK(rc, errs[0]);
  check_all_sent(pubs, results, COUNT);
  for (int i = 0; i < COUNT; i++) {
    expect_datagram(rx[0], heads[i], NULL);
    expect_datagram(rx[1], heads[i], NULL);
  }

  mctx_publication *with_null[2] = {pubs[0], NULL};
  rc = mctx_publications_send_batch(with_null, 2, dgs, COUNT, results, &err);
  CHECK(rc == MCTX_E_INVALID_ARGUMENT, "a NULL publication is refused");
  CHECK(strcmp(err.message, "publication 1 of 2 is NULL") == 0, "message: %s",
        err.message);

  close_two(pubs, rx);
}

/* Two paced publications in one call: one schedule (the first paced one's)
 * cuts the batch and every cut goes to both, so both receivers get every
 * datagram; an interrupted wait stops both at the same cut. */
static void
test_paced_batch_to_two_publications(void)
{
  enum { COUNT = 30 };
  const char *groups[2] = {"239.255.12.38", "239.255.12.39"};
  const uint16_t ports[2] = {46109, 46110};
  mctx_publication *pubs[2];
  int rx[2];
  /* 100-byte payloads are 1024 bits on the wire: 100 us each. */
  open_two_on_lo(groups, ports, 10240000, pubs, rx);

  static char payloads[COUNT][101];
  static mctx_buf bufs[COUNT];
  static mctx_datagram dgs[COUNT];
  for (int i = 0; i < COUNT; i++) {
    char head[16];
    int n = snprintf(head, sizeof head, "paced seq %03d", i);
    memset(payloads[i], 'p', 100);
    memcpy(payloads[i], head, (size_t) n);
    bufs[i] = (mctx_buf){payloads[i], 100};
    dgs[i] = (mctx_datagram){&bufs[i], 1};
  }
  mctx_send_result results[2];
  mctx_error errs[2];
  int rc = mctx_publications_send_batch(pubs, 2, dgs, COUNT, results, errs);
  CHECK_OK(rc, errs[0]);
  check_all_sent(pubs, results, COUNT);
  for (int p = 0; p < 2; p++) {
    mctx_metrics m;
    mctx_publication_metrics_snapshot(pubs[p], &m);
    /* The schedule, and so the lateness, is the first one's. */
    CHECK(m.paced_packets == (p == 0 ? COUNT : 0), "publication %d: %llu paced",
          p, (unsigned long long) m.paced_packets);
  }
  for (int i = 0; i < COUNT; i++) {
    expect_datagram(rx[0], payloads[i], NULL);
    expect_datagram(rx[1], payloads[i], NULL);
  }

  /* Interrupted: the datagrams due now (a burst after a pause) leave
   * both, then neither waits for the rest. */
  mctx_publication_interrupt(pubs[0]);
  usleep(10 * 1000);
  rc = mctx_publications_send_batch(pubs, 2, dgs, COUNT, results, errs);
  CHECK(rc == MCTX_E_INTERRUPTED, "interrupted: %d", rc);
  CHECK(results[0].sent == results[1].sent && results[0].sent == 2,
        "both stop after the burst of 2: %zu, %zu", results[0].sent,
        results[1].sent);
  CHECK(results[1].code == MCTX_E_INTERRUPTED, "the other one: %d",
        results[1].code);
  CHECK(strstr(errs[1].message, "interrupted after 2 of 30") != NULL,
        "message: %s", errs[1].message);

  close_two(pubs, rx);
}

int
main(void)
{
  testnet_private_netns_or_skip();
  test_ipv4_asm_on_loopback();
  test_ttl_unchanged_keeps_caller_ttl();
  test_ipv6_ff31_from_loopback();
  test_scoped_groups_need_an_interface();
  test_group_zone();
  test_batch_arrives_intact_and_in_order();
  test_one_batch_to_two_publications();
  test_paced_batch_to_two_publications();
  printf("pub-loopback: all passed\n");
  return 0;
}
