/* Publications over veth pairs into peer namespaces: SSM receivers see the
 * configured source (and a receiver joined for another source of the same
 * host sees nothing), interface selection by name, address and index, TTL /
 * hop limit and DSCP on the wire, loopback, IPv6 source/interface mismatch,
 * would-block on a full socket buffer and local drops reported as ENOBUFS.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "pub-net.h"

#include <stdlib.h>

static mctx_publication *
open_ok(const mctx_publication_config *cfg)
{
  mctx_publication *pub;
  mctx_error err;
  int rc = mctx_publication_open(cfg, &pub, &err);
  CHECK_OK(rc, err);
  return pub;
}

static void
test_ssm_ipv4(void)
{
  const char *ns = testnet_peer_create("ssm4");
  testnet_veth("s4a", ns, "s4b");
  testnet_sh_ok("ip addr add 10.46.0.1/24 dev s4a");
  testnet_sh_ok("ip addr add 10.46.0.2/24 dev s4a");
  testnet_sh_ok("ip -n %s addr add 10.46.0.9/24 dev s4b", ns);

  const uint16_t port = 46301;
  int from_1 = recv_socket(ns, AF_INET, port);
  int from_2 = recv_socket(ns, AF_INET, port);
  mcast_join_ssm_v4(from_1, "232.1.46.1", "10.46.0.1", "10.46.0.9");
  mcast_join_ssm_v4(from_2, "232.1.46.1", "10.46.0.2", "10.46.0.9");

  mctx_publication_config cfg;
  cfg_init(&cfg, "232.1.46.1", port);
  cfg_source(&cfg, "10.46.0.1");
  cfg_interface(&cfg, "s4a");
  cfg.ttl = 7;
  cfg.dscp = 46;
  mctx_publication *pub = open_ok(&cfg);
  received r;
  send_text(pub, "ssm from .1", NULL);
  expect_datagram(from_1, "ssm from .1", &r);
  CHECK(strcmp(r.from, "10.46.0.1") == 0, "source seen %s", r.from);
  CHECK(r.ttl == 7, "TTL seen %d", r.ttl);
  CHECK(r.tos == 46 << 2, "TOS seen 0x%x", (unsigned) r.tos);
  expect_silence(from_2, "joined for 10.46.0.2");
  mctx_publication_close(pub);

  /* The other source reaches the other receiver only. */
  cfg_source(&cfg, "10.46.0.2");
  cfg_interface(&cfg, "10.46.0.2");
  cfg.dscp = -1;
  pub = open_ok(&cfg);
  send_text(pub, "ssm from .2", NULL);
  expect_datagram(from_2, "ssm from .2", &r);
  CHECK(strcmp(r.from, "10.46.0.2") == 0, "source seen %s", r.from);
  CHECK(r.tos == 0, "TOS left as is: 0x%x", (unsigned) r.tos);
  expect_silence(from_1, "joined for 10.46.0.1");
  mctx_publication_close(pub);
  close(from_1);
  close(from_2);
}

static void
test_ssm_ipv6(void)
{
  const char *ns = testnet_peer_create("ssm6");
  testnet_veth("s6a", ns, "s6b");
  testnet_sh_ok("ip addr add fd00:46::1/64 dev s6a nodad");
  testnet_sh_ok("ip addr add fd00:46::2/64 dev s6a nodad");
  testnet_sh_ok("ip addr add fe80::46:1/64 dev s6a nodad");
  testnet_sh_ok("ip -n %s addr add fd00:46::9/64 dev s6b nodad", ns);
  uint32_t peer_if = testnet_ifindex_in(ns, "s6b");
  uint32_t local_if = testnet_ifindex("s6a");

  /* ff3e:: with a ULA source, no interface: the source's interface is used,
   * the destination has no scope id. */
  const uint16_t port = 46302;
  int from_1 = recv_socket(ns, AF_INET6, port);
  int from_2 = recv_socket(ns, AF_INET6, port);
  mcast_join_ssm_v6(from_1, "ff3e::8000:4601", "fd00:46::1", peer_if);
  mcast_join_ssm_v6(from_2, "ff3e::8000:4601", "fd00:46::2", peer_if);

  mctx_publication_config cfg;
  cfg_init(&cfg, "ff3e::8000:4601", port);
  cfg_source(&cfg, "fd00:46::1");
  cfg.ttl = 5;
  cfg.dscp = 10;
  mctx_publication *pub = open_ok(&cfg);
  CHECK(mctx_publication_get_interface_index(pub) == local_if,
        "interface index %u, source is on %u",
        mctx_publication_get_interface_index(pub), local_if);
  mctx_send_report report;
  send_text(pub, "ssm6 from ::1", &report);
  CHECK(report.destination.ip.scope_id == 0, "no scope id for ff3e");
  received r;
  expect_datagram(from_1, "ssm6 from ::1", &r);
  CHECK(strcmp(r.from, "fd00:46::1") == 0, "source seen %s", r.from);
  CHECK(r.ttl == 5, "hop limit seen %d", r.ttl);
  CHECK(r.tos == 10 << 2, "traffic class seen 0x%x", (unsigned) r.tos);
  expect_silence(from_2, "joined for fd00:46::2");

  /* Live hop limit. */
  mctx_error err;
  int rc = mctx_publication_set_ttl(pub, 33, &err);
  CHECK_OK(rc, err);
  send_text(pub, "hops 33", NULL);
  expect_datagram(from_1, "hops 33", &r);
  CHECK(r.ttl == 33, "hop limit seen %d", r.ttl);
  rc = mctx_publication_set_ttl(pub, 256, &err);
  CHECK_ERR(rc, err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_TTL);
  mctx_publication_close(pub);

  cfg_source(&cfg, "fd00:46::2");
  cfg_interface(&cfg, "s6a");
  cfg.dscp = -1;
  pub = open_ok(&cfg);
  send_text(pub, "ssm6 from ::2", NULL);
  expect_datagram(from_2, "ssm6 from ::2", &r);
  CHECK(strcmp(r.from, "fd00:46::2") == 0, "source seen %s", r.from);
  expect_silence(from_1, "joined for fd00:46::1");
  mctx_publication_close(pub);
  close(from_1);
  close(from_2);

  /* ff32:: from a link-local source: the scope id is the interface. */
  const uint16_t port_ll = 46303;
  int ll = recv_socket(ns, AF_INET6, port_ll);
  mcast_join_ssm_v6(ll, "ff32::8000:4602", "fe80::46:1", peer_if);
  cfg_init(&cfg, "ff32::8000:4602", port_ll);
  cfg_source(&cfg, "fe80::46:1");
  cfg_interface(&cfg, "s6a");
  pub = open_ok(&cfg);
  mctx_endpoint dest, local;
  mctx_publication_get_destination(pub, &dest);
  CHECK(dest.ip.scope_id == local_if, "ff32 scope id %u", dest.ip.scope_id);
  rc = mctx_publication_get_local(pub, &local, &err);
  CHECK(rc == MCTX_OK && local.ip.scope_id == local_if, "bound with scope");
  send_text(pub, "link-local", NULL);
  expect_datagram(ll, "link-local", &r);
  CHECK(strcmp(r.from, "fe80::46:1") == 0, "source seen %s", r.from);
  mctx_publication_close(pub);

  /* Same with the source given as fe80::46:1%s6a and no interface. */
  cfg_init(&cfg, "ff32::8000:4602", port_ll);
  rc = mctx_ip_parse("fe80::46:1%s6a", &cfg.source_addr, &err);
  CHECK_OK(rc, err);
  pub = open_ok(&cfg);
  send_text(pub, "zoned source", NULL);
  expect_datagram(ll, "zoned source", &r);
  mctx_publication_close(pub);

  /* A link-local source without any interface is found by its address. */
  cfg_init(&cfg, "ff32::8000:4602", port_ll);
  cfg_source(&cfg, "fe80::46:1");
  pub = open_ok(&cfg);
  CHECK(mctx_publication_get_interface_index(pub) == local_if, "found");
  send_text(pub, "found link-local", NULL);
  expect_datagram(ll, "found link-local", &r);
  mctx_publication_close(pub);
  close(ll);

  /* Source on s6a, interface lo: refused, naming both. */
  cfg_init(&cfg, "ff3e::8000:4601", port);
  cfg_source(&cfg, "fd00:46::1");
  cfg_interface(&cfg, "lo");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH,
            MCTX_SUBJECT_SOURCE_ADDRESS);
  cfg_init(&cfg, "ff32::8000:4602", port_ll);
  rc = mctx_ip_parse("fe80::46:1%s6a", &cfg.source_addr, &err);
  CHECK_OK(rc, err);
  cfg_interface(&cfg, "lo");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH,
            MCTX_SUBJECT_SOURCE_ADDRESS);

  /* Not local. */
  cfg_init(&cfg, "ff3e::8000:4601", port);
  cfg_source(&cfg, "fd00:46::77");
  rc = mctx_publication_open(&cfg, &pub, &err);
  CHECK_ERR(rc, err, MCTX_E_INTERFACE_DISCOVERY_FAILED,
            MCTX_SUBJECT_SOURCE_ADDRESS);
}

/* Two links, one receiver behind each: only the chosen one hears. */
static void
test_interface_selection(void)
{
  const char *na = testnet_peer_create("ifa");
  const char *nb = testnet_peer_create("ifb");
  testnet_veth("i1a", na, "i1b");
  testnet_veth("i2a", nb, "i2b");
  testnet_sh_ok("ip addr add 10.47.1.1/24 dev i1a");
  testnet_sh_ok("ip addr add 10.47.2.1/24 dev i2a");
  testnet_sh_ok("ip addr add fd00:47:1::1/64 dev i1a nodad");
  testnet_sh_ok("ip addr add fd00:47:2::1/64 dev i2a nodad");
  testnet_sh_ok("ip -n %s addr add 10.47.1.9/24 dev i1b", na);
  testnet_sh_ok("ip -n %s addr add 10.47.2.9/24 dev i2b", nb);

  const uint16_t port = 46304;
  int ra = recv_socket(na, AF_INET, port);
  int rb = recv_socket(nb, AF_INET, port);
  mcast_join_v4(ra, "239.47.0.1", testnet_ifindex_in(na, "i1b"));
  mcast_join_v4(rb, "239.47.0.1", testnet_ifindex_in(nb, "i2b"));
  int ra6 = recv_socket(na, AF_INET6, port);
  int rb6 = recv_socket(nb, AF_INET6, port);
  mcast_join_v6(ra6, "ff15::4701", testnet_ifindex_in(na, "i1b"));
  mcast_join_v6(rb6, "ff15::4701", testnet_ifindex_in(nb, "i2b"));
  /* A receiver on this host, joined on link 1, for the loopback option. */
  int here = recv_socket(NULL, AF_INET, port);
  mcast_join_v4(here, "239.47.0.1", testnet_ifindex("i1a"));

  struct {
    const char *group;
    const char *itf;
    bool use_index;
    int hear, silent;
    const char *from;
  } cases[] = {
      {"239.47.0.1", "i1a", false, ra, rb, "10.47.1.1"},
      {"239.47.0.1", "i2a", false, rb, ra, "10.47.2.1"},
      {"239.47.0.1", "10.47.2.1", false, rb, ra, "10.47.2.1"},
      {"239.47.0.1", "10.47.1.1", false, ra, rb, "10.47.1.1"},
      {"239.47.0.1", "i1a", true, ra, rb, "10.47.1.1"},
      {"239.47.0.1", "i2a", true, rb, ra, "10.47.2.1"},
      {"ff15::4701", "i2a", false, rb6, ra6, "fd00:47:2::1"},
      {"ff15::4701", "i1a", true, ra6, rb6, "fd00:47:1::1"},
      {"ff15::4701", "fd00:47:2::1", false, rb6, ra6, "fd00:47:2::1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mctx_publication_config cfg;
    cfg_init(&cfg, cases[i].group, port);
    if (cases[i].use_index) {
      cfg.interface.kind = MCTX_INTERFACE_INDEX;
      cfg.interface.index = testnet_ifindex(cases[i].itf);
    } else {
      cfg_interface(&cfg, cases[i].itf);
    }
    mctx_publication *pub = open_ok(&cfg);
    char payload[64];
    snprintf(payload, sizeof payload, "case %zu via %s%s", i, cases[i].itf,
             cases[i].use_index ? " (index)" : "");
    send_text(pub, payload, NULL);
    received r;
    expect_datagram(cases[i].hear, payload, &r);
    CHECK(strcmp(r.from, cases[i].from) == 0, "case %zu: source %s", i, r.from);
    expect_silence(cases[i].silent, payload);
    mctx_publication_close(pub);
  }

  /* Loopback decides whether this host's receiver gets a copy; the link
   * gets the datagram either way. */
  mctx_publication_config cfg;
  cfg_init(&cfg, "239.47.0.1", port);
  cfg_interface(&cfg, "i1a");
  mctx_publication *pub = open_ok(&cfg);
  drain_receiver(here);
  send_text(pub, "looped", NULL);
  expect_datagram(ra, "looped", NULL);
  expect_datagram(here, "looped", NULL);
  mctx_error err;
  int rc = mctx_publication_set_loopback(pub, false, &err);
  CHECK_OK(rc, err);
  send_text(pub, "not looped", NULL);
  expect_datagram(ra, "not looped", NULL);
  expect_silence(here, "loopback off");
  mctx_publication_close(pub);

  cfg.loopback = false;
  pub = open_ok(&cfg);
  send_text(pub, "off from the start", NULL);
  expect_datagram(ra, "off from the start", NULL);
  expect_silence(here, "loopback off in the config");
  mctx_publication_close(pub);

  close(ra);
  close(rb);
  close(ra6);
  close(rb6);
  close(here);
}

/* A token bucket of 8 kbit/s holds the datagrams in the queue, where they
 * count against the socket's send buffer: the buffer fills and the next send
 * would block. A send that fails for another reason is told apart. */
static void
test_would_block(void)
{
  const char *ns = testnet_peer_create("wb");
  testnet_veth("wba", ns, "wbb");
  testnet_sh_ok("ip addr add 10.48.0.1/24 dev wba");
  if (testnet_sh("tc qdisc add dev wba root tbf rate 8kbit burst 1600 "
                 "limit 10000000") != 0)
    testnet_skip("cannot add a tbf qdisc (sch_tbf missing?)");

  mctx_publication_config cfg;
  cfg_init(&cfg, "239.48.0.1", 46305);
  cfg_interface(&cfg, "wba");
  cfg.send_buffer_size = 4096;
  mctx_publication *pub = open_ok(&cfg);

  static char payload[1400];
  mctx_error err;
  int rc = MCTX_OK;
  int sends = 0;
  for (; sends < 1000 && rc == MCTX_OK; sends++)
    rc = mctx_publication_send(pub, payload, sizeof payload, NULL, &err);
  CHECK_RC(rc, err, MCTX_E_WOULD_BLOCK);
  CHECK(err.sys_errno == EAGAIN && err.subject == MCTX_SUBJECT_SOCKET &&
            mctx_error_is_transient(rc),
        "errno %d subject %s", err.sys_errno, mctx_subject_name(err.subject));

  /* The hot path needs no mctx_error. */
  rc = mctx_publication_send(pub, payload, sizeof payload, NULL, NULL);
  CHECK(rc == MCTX_E_WOULD_BLOCK, "without err: %s", mctx_code_name(rc));

  /* The batch path stops at the same wall and says where. */
  mctx_buf buf = {payload, sizeof payload};
  mctx_datagram dgs[100];
  for (int i = 0; i < 100; i++)
    dgs[i] = (mctx_datagram){&buf, 1};
  size_t sent = 999;
  rc = mctx_publication_send_batch(pub, dgs, 100, &sent, &err);
  CHECK_RC(rc, err, MCTX_E_WOULD_BLOCK);
  CHECK(sent < 100, "sent %zu of 100 into a full buffer", sent);

  /* Another failure is SEND_FAILED, not a would-block. */
  static char huge[70000];
  rc = mctx_publication_send(pub, huge, sizeof huge, NULL, &err);
  CHECK_RC(rc, err, MCTX_E_SEND_FAILED);

  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  CHECK(m.would_block == 3 && m.send_errors == 4 &&
            m.send_calls == m.packets_sent + m.send_errors,
        "would_block %llu errors %llu calls %llu packets %llu",
        (unsigned long long) m.would_block, (unsigned long long) m.send_errors,
        (unsigned long long) m.send_calls, (unsigned long long) m.packets_sent);
  mctx_publication_close(pub);
}

/* A queue of one datagram drops the rest. With report_local_drops (the
 * default: IP_RECVERR) those drops come back as MCTX_E_QUEUE_FULL (ENOBUFS);
 * without, the kernel
 * reports success. */
static void
test_local_drops(void)
{
  const char *ns = testnet_peer_create("drop");
  testnet_veth("dra", ns, "drb");
  testnet_sh_ok("ip addr add 10.49.0.1/24 dev dra");
  if (testnet_sh("tc qdisc add dev dra root tbf rate 8kbit burst 1600 "
                 "limit 1600") != 0)
    testnet_skip("cannot add a tbf qdisc (sch_tbf missing?)");

  static char payload[1400];
  for (int report = 1; report >= 0; report--) {
    mctx_publication_config cfg;
    cfg_init(&cfg, "239.49.0.1", 46306);
    cfg_interface(&cfg, "dra");
    cfg.send_buffer_size = 1 << 20;
    cfg.report_local_drops = report;
    mctx_publication *pub = open_ok(&cfg);
    int enobufs = 0, ok = 0;
    for (int i = 0; i < 50; i++) {
      mctx_error err;
      int rc = mctx_publication_send(pub, payload, sizeof payload, NULL, &err);
      if (rc == MCTX_OK)
        ok++;
      else if (rc == MCTX_E_QUEUE_FULL && err.sys_errno == ENOBUFS)
        enobufs++;
      else
        CHECK(false, "unexpected %s: %s", mctx_code_name(rc), err.message);
    }
    if (report)
      CHECK(enobufs > 0, "IP_RECVERR set: %d ENOBUFS of 50", enobufs);
    else
      CHECK(ok == 50, "without IP_RECVERR drops are silent: %d ok", ok);
    CHECK(mctx_publication_drain_errors(pub) >= 0, "drain");
    mctx_publication_close(pub);
  }
}

int
main(void)
{
  testnet_private_netns_or_skip();
  test_ssm_ipv4();
  test_ssm_ipv6();
  test_interface_selection();
  test_would_block();
  test_local_drops();
  printf("pub-veth: all passed\n");
  return 0;
}
