/* An interface deleted mid-stream and created again under the same name
 * with the same address (a VPN or VLAN coming back, a USB NIC replugged):
 * a publication given the interface by name or by address follows it and
 * the stream resumes by itself, from the same source address and port
 * (from its new address when it comes back with another, IPv4); a
 * publication given an index does not (the index names the interface that
 * is gone) and nothing goes out of another interface. Every datagram is
 * sent or counted as a send error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "pub-net.h"
#include "mctx-private.h"

#include <stdlib.h>
#include <time.h>

/* Sends are paced by the test (not timed): one every SEND_GAP_MS, for at
 * most MAX_SENDS while the interface is away and while it comes back. The
 * follow looks at most once a second, so 400 sends (4 s) see it. */
#define SEND_GAP_MS 10
#define GONE_SENDS 30
#define MAX_SENDS 400

typedef enum { BY_NAME, BY_ADDRESS, BY_INDEX, BY_NAME_CALLER_SOCKET } by;

static const char *
by_text(by how)
{
  switch (how) {
    case BY_NAME:
      return "by name";
    case BY_ADDRESS:
      return "by address";
    case BY_INDEX:
      return "by index";
    default:
      return "by name, caller's socket";
  }
}

static void
sleep_ms(int ms)
{
  struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The link and the peer's address; the local end's address is added by
 * the caller (IPv4 or IPv6). */
typedef struct veth_link {
  const char *ns;
  const char *local_if;
  const char *peer_if;
  bool v6;
  const char *addr4; /* the local end's IPv4 address */
} veth_link;

static void
link_create(const veth_link *l)
{
  testnet_veth(l->local_if, l->ns, l->peer_if);
  if (l->v6) {
    testnet_sh_ok("ip addr add fd00:78::1/64 dev %s nodad", l->local_if);
    testnet_sh_ok("ip addr add fe80::78:1/64 dev %s nodad", l->local_if);
    testnet_sh_ok("ip -n %s addr add fd00:78::9/64 dev %s nodad", l->ns,
                  l->peer_if);
    testnet_wait_ipv6_ready(l->ns, 3000);
  } else {
    testnet_sh_ok("ip addr add %s/24 dev %s", l->addr4, l->local_if);
    testnet_sh_ok("ip -n %s addr add 10.78.0.9/24 dev %s", l->ns, l->peer_if);
  }
}

/* The receiver joins again on the peer's new interface, as a receiver
 * whose interface came back does. */
static void
receiver_join(const veth_link *l, int fd, const char *group)
{
  uint32_t peer = testnet_ifindex_in(l->ns, l->peer_if);
  CHECK(peer != 0, "peer interface %s in %s", l->peer_if, l->ns);
  if (l->v6)
    mcast_join_v6(fd, group, peer);
  else
    mcast_join_v4(fd, group, peer);
}

typedef struct tally {
  uint64_t sent, failed;
} tally;

/* One numbered datagram; counts what the call said. */
static int
send_numbered(mctx_publication *pub, unsigned n, tally *t, int *sys_errno)
{
  char text[32];
  snprintf(text, sizeof text, "follow %u", n);
  mctx_error err;
  int rc = mctx_publication_send(pub, text, strlen(text), NULL, &err);
  if (rc == MCTX_OK) {
    t->sent++;
  } else {
    CHECK(rc == MCTX_E_SEND_FAILED, "send %u: %s: %s", n, mctx_code_name(rc),
          err.message);
    t->failed++;
    *sys_errno = err.sys_errno;
  }
  return rc;
}

/* The counters agree with what the calls said: every datagram is sent or
 * counted as a send error. */
static void
check_counted(const mctx_publication *pub, const tally *t, const char *when)
{
  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  CHECK(m.packets_sent == t->sent && m.send_errors == t->failed,
        "%s: metrics say %llu sent and %llu errors, the calls %llu and %llu",
        when, (unsigned long long) m.packets_sent,
        (unsigned long long) m.send_errors, (unsigned long long) t->sent,
        (unsigned long long) t->failed);
}

static mctx_publication *
open_by(const veth_link *l, by how, const char *group, uint16_t port)
{
  mctx_publication_config cfg;
  cfg_init(&cfg, group, port);
  char text[32];
  switch (how) {
    case BY_NAME:
    case BY_NAME_CALLER_SOCKET:
      cfg_interface(&cfg, l->local_if);
      break;
    case BY_ADDRESS:
      cfg_interface(&cfg, l->v6 ? "fd00:78::1" : "10.78.0.1");
      break;
    case BY_INDEX:
      snprintf(text, sizeof text, "%u",
               (unsigned) testnet_ifindex(l->local_if));
      cfg_interface(&cfg, text);
      CHECK(cfg.interface.kind == MCTX_INTERFACE_INDEX, "%s is an index", text);
      break;
  }
  mctx_publication *pub;
  mctx_error err;
  int rc;
  if (how == BY_NAME_CALLER_SOCKET) {
    int fd = socket(l->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0, "socket: %s", strerror(errno));
    rc = mctx_publication_open_with_socket(&cfg, fd, &pub, &err);
  } else {
    rc = mctx_publication_open(&cfg, &pub, &err);
  }
  CHECK_OK(rc, err);
  return pub;
}

/* new_address: the interface comes back with another IPv4 address (the
 * source the kernel picked from the old one is dropped). */
static void
run(const char *tag, bool v6, by how, const char *group, uint16_t port,
    bool new_address)
{
  const char *ns = testnet_peer_create(tag);
  char local_if[16], peer_if[16];
  snprintf(local_if, sizeof local_if, "%sa", tag);
  snprintf(peer_if, sizeof peer_if, "%sb", tag);
  veth_link l = {ns, local_if, peer_if, v6, "10.78.0.1"};
  link_create(&l);
  uint32_t first_index = testnet_ifindex(local_if);

  int rx = recv_socket(ns, v6 ? AF_INET6 : AF_INET, port);
  receiver_join(&l, rx, group);
  mctx_publication *pub = open_by(&l, how, group, port);
  tally t = {0, 0};
  int sys_errno = 0;
  unsigned n = 0;

  /* The stream flows. */
  received before;
  CHECK(send_numbered(pub, n++, &t, &sys_errno) == MCTX_OK, "%s: first send",
        by_text(how));
  expect_datagram(rx, "follow 0", &before);

  /* Gone: every send fails, and is counted. */
  testnet_sh_ok("ip link del %s", local_if);
  for (int i = 0; i < GONE_SENDS; i++, n++) {
    CHECK(send_numbered(pub, n, &t, &sys_errno) != MCTX_OK,
          "%s: send %u went out with the interface gone", by_text(how), n);
    sleep_ms(SEND_GAP_MS);
  }
  printf("%s %s: interface gone: %llu sends failed, errno %s\n",
         v6 ? "IPv6" : "IPv4", by_text(how), (unsigned long long) t.failed,
         strerror(sys_errno));
  check_counted(pub, &t, "interface gone");

  /* Back under the same name and address, with a new index. */
  if (new_address)
    l.addr4 = "10.78.0.5";
  link_create(&l);
  receiver_join(&l, rx, group);
  uint32_t new_index = testnet_ifindex(local_if);
  CHECK(new_index != first_index, "the recreated interface has index %u too",
        (unsigned) new_index);
  uint64_t failed_while_gone = t.failed;
  int back_errno = 0;
  bool resumed = false;
  for (int i = 0; i < MAX_SENDS && !resumed; i++, n++) {
    resumed = send_numbered(pub, n, &t, &back_errno) == MCTX_OK;
    if (!resumed)
      sleep_ms(SEND_GAP_MS);
  }
  printf("%s %s%s: interface back: %s after %llu more failed sends "
         "(errno %s)\n",
         v6 ? "IPv6" : "IPv4", by_text(how), new_address ? ", new address" : "",
         resumed ? "resumed" : "not resumed",
         (unsigned long long) (t.failed - failed_while_gone),
         back_errno ? strerror(back_errno) : "none");
  check_counted(pub, &t, "interface back");

  if (how == BY_INDEX) {
    /* The index is gone for good: no follow, no other interface. */
    CHECK(!resumed, "by index: a send went out after the interface with "
                    "that index was deleted");
    CHECK(atomic_load(&pub->follows) == 0, "by index: followed");
    CHECK(mctx_publication_get_interface_index(pub) == first_index,
          "by index: the index changed");
    expect_silence(rx, "by index: the recreated interface carried the stream");
  } else {
    CHECK(resumed, "%s: the stream did not resume within %d sends",
          by_text(how), MAX_SENDS);
    CHECK(atomic_load(&pub->follows) == 1, "%s: followed %llu times",
          by_text(how), (unsigned long long) atomic_load(&pub->follows));
    char text[32];
    snprintf(text, sizeof text, "follow %u", n - 1);
    received after;
    expect_datagram(rx, text, &after);
    /* One stream for receivers: the same source address and port (the
     * interface's new address, when it has another). */
    const char *from = new_address ? l.addr4 : before.from;
    CHECK(strcmp(after.from, from) == 0 && after.from_port == before.from_port,
          "%s: the stream came from %s port %u, then from %s port %u",
          by_text(how), from, (unsigned) before.from_port, after.from,
          (unsigned) after.from_port);
    if (how != BY_ADDRESS || v6)
      CHECK(mctx_publication_get_interface_index(pub) == new_index,
            "%s: interface index %u, the new one is %u", by_text(how),
            (unsigned) mctx_publication_get_interface_index(pub),
            (unsigned) new_index);
    /* A scoped group's destination names the new interface. */
    mctx_endpoint dest;
    mctx_publication_get_destination(pub, &dest);
    if (v6 && mctx_ipv6_multicast_scope(&dest.ip) == 2)
      CHECK(dest.ip.scope_id == new_index, "destination scope %u, want %u",
            (unsigned) dest.ip.scope_id, (unsigned) new_index);
    /* And it keeps flowing. */
    for (int i = 0; i < 5; i++, n++) {
      CHECK(send_numbered(pub, n, &t, &sys_errno) == MCTX_OK,
            "%s: send %u after the follow", by_text(how), n);
      snprintf(text, sizeof text, "follow %u", n);
      expect_datagram(rx, text, NULL);
    }
    /* The queue statistics read the new interface. */
    mctx_queue_stats q;
    CHECK(mctx_publication_queue_stats(pub, &q) == MCTX_OK, "queue stats");
    CHECK(q.interface_index == new_index, "queue stats of interface %u",
          (unsigned) q.interface_index);
    check_counted(pub, &t, "after the follow");
  }
  mctx_publication_close(pub);
  close(rx);
  testnet_sh("ip link del %s", local_if);
}

int
main(void)
{
  testnet_private_netns_or_skip();
  run("fn4", false, BY_NAME, "232.1.78.1", 47801, false);
  run("fa4", false, BY_ADDRESS, "232.1.78.2", 47802, false);
  run("fi4", false, BY_INDEX, "232.1.78.3", 47803, false);
  run("fc4", false, BY_NAME_CALLER_SOCKET, "232.1.78.4", 47804, false);
  run("fr4", false, BY_NAME, "232.1.78.5", 47808, true);
  run("fn6", true, BY_NAME, "ff02::78:1", 47805, false);
  run("fa6", true, BY_ADDRESS, "ff3e::8000:7802", 47806, false);
  run("fi6", true, BY_INDEX, "ff3e::8000:7803", 47807, false);
  printf("iface-follow: all passed\n");
  return 0;
}
