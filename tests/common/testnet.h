/* Test helpers: private network namespaces, veth peers, skipping.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Network rule: tests send only to loopback, or to veth pairs inside network
 * namespaces created here. testnet_private_netns() moves the whole process
 * into a fresh namespace (no route off the machine exists there); peer
 * namespaces are named "mctxt-<pid>-<name>" and removed at exit.
 */
#ifndef MCTX_TESTNET_H
#define MCTX_TESTNET_H

#include <stdbool.h>
#include <stdint.h>

/* Exit status meson counts as "skipped". */
#define TESTNET_SKIP 77

/* Prints "SKIP: <why>" and exits with TESTNET_SKIP. */
void testnet_skip(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Prints "FAIL: <what>" with file:line and exits 1. */
#define TESTNET_CHECK(cond, ...)                            \
  do {                                                      \
    if (!(cond))                                            \
      testnet_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (0)
void testnet_fail(const char *file, int line, const char *cond, const char *fmt,
                  ...) __attribute__((noreturn, format(printf, 4, 5)));

/* Moves the calling process into a fresh network namespace with lo up.
 * Call before creating threads. Skips the test (exit 77, with the reason) when
 * the process lacks the privilege. Also adds the IPv6 multicast route on lo
 * (`local ff00::/8 dev lo table local`) so IPv6 multicast on lo works. */
void testnet_private_netns_or_skip(void);

/* True when the process could create raw sockets (CAP_NET_RAW). */
bool testnet_have_cap_net_raw(void);

/* Runs a shell command built from fmt (e.g. "ip link add ..."). Returns its
 * exit status; prints the command and status when non-zero. */
int testnet_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Same, but a non-zero status fails the test. */
void testnet_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Creates the named peer namespace "mctxt-<pid>-<name>" (lo up), removed at
 * exit. Returns its full name (static storage per name slot, up to 8). The
 * first call also removes peer namespaces left by test processes that are
 * gone (killed by a timeout, which skips exit handlers). */
const char *testnet_peer_create(const char *name);

/* Creates a veth pair: `local_if` stays in the current namespace, `peer_if`
 * goes into the peer namespace (full name from testnet_peer_create), both up.
 * Addresses are added with testnet_sh ("ip addr add ..." / "ip -n NS ..."). */
void testnet_veth(const char *local_if, const char *peer_ns,
                  const char *peer_if);

/* Creates a socket inside the named namespace (the calling thread enters it
 * for the call only). Returns the fd, or -1 with errno. */
int testnet_socket_in(const char *ns, int domain, int type, int protocol);

/* Waits up to `ms` for IPv6 DAD to finish on all addresses of the current
 * namespace and of ns (NULL: current only), so binds to them work. */
void testnet_wait_ipv6_ready(const char *ns, int ms);

/* Index of an interface in the current namespace (0 if missing). */
uint32_t testnet_ifindex(const char *ifname);
/* Index of an interface inside ns. */
uint32_t testnet_ifindex_in(const char *ns, const char *ifname);

#endif
