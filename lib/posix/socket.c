/* Socket setup in mctx-core's order, for new and caller-provided sockets.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * First a plan is computed from the config (interface resolution, the IPv6
 * interface rules mctx-core applies, bind address, destination scope) and,
 * for a caller's socket, its bound address is checked against it; then
 * it is applied to the socket in mctx-core's order: non-blocking,
 * IPV6_V6ONLY (new IPv6 sockets only), bind, multicast interface, loopback,
 * TTL / hops, our extras (DSCP, SO_SNDBUF, IP_RECVERR), connect. The group is
 * never joined: a sender that joins makes the kernel build a route per
 * packet and receive its own traffic.
 */
#include "mctx-private.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- applying --------------------------------------------------------------- */

/* subject: the setting the option carries out. */
static int
option_failed(mctx_error *err, mctx_subject subject, const char *option,
              const char *value)
{
  int e = errno;
  return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, subject, e,
                    "%s %s failed: %s", option, value, strerror(e));
}

static int
set_int_option(int fd, int level, int name, int value, const char *option,
               mctx_subject subject, mctx_error *err)
{
  if (setsockopt(fd, level, name, &value, sizeof value) == 0)
    return MCTX_OK;
  char text[16];
  snprintf(text, sizeof text, "%d", value);
  return option_failed(err, subject, option, text);
}

static int
set_non_blocking(int fd, mctx_error *err)
{
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return option_failed(err, MCTX_SUBJECT_SOCKET, "O_NONBLOCK", "on");
  return MCTX_OK;
}

/* EADDRNOTAVAIL from bind: the address is not on this host (on that link,
 * for a link-local one), or, for IPv6, it is there but still tentative. */
static int
bind_address_not_available(const mctx__socket_plan *plan, mctx_error *err)
{
  const mctx_ip *ip = &plan->bind_to.ip;
  char text[MCTX_IP_STRLEN], where[48], name[IF_NAMESIZE];
  uint32_t index;
  if (mctx__iface_index_of_addr(ip, &index, NULL) != MCTX_OK) {
    if (ip->scope_id != 0) {
      mctx_ip unscoped = *ip;
      unscoped.scope_id = 0;
      if (if_indextoname(ip->scope_id, name) != NULL)
        snprintf(where, sizeof where, "%s", name);
      else
        snprintf(where, sizeof where, "index %u", (unsigned) ip->scope_id);
      return mctx__fail(
          err, MCTX_E_SOCKET_BIND_FAILED, plan->bind_subject, EADDRNOTAVAIL,
          "%s %s is not an address of interface %s (bind: %s)", plan->bind_role,
          mctx__ip_text(&unscoped, text), where, strerror(EADDRNOTAVAIL));
    }
    return mctx__fail(
        err, MCTX_E_SOCKET_BIND_FAILED, plan->bind_subject, EADDRNOTAVAIL,
        "%s %s is not an address of this host (bind: %s)", plan->bind_role,
        mctx__ip_text(ip, text), strerror(EADDRNOTAVAIL));
  }
  return mctx__fail(
      err, MCTX_E_SOCKET_BIND_FAILED, plan->bind_subject, EADDRNOTAVAIL,
      "%s %s cannot be used yet (bind: %s): duplicate address "
      "detection has not finished (is interface %s up?) or "
      "found the address in use",
      plan->bind_role, mctx__ip_text(ip, text), strerror(EADDRNOTAVAIL),
      mctx__index_text(index, where, sizeof where));
}

static int
bind_endpoint(int fd, const mctx__socket_plan *plan, mctx_error *err)
{
  const mctx_endpoint *ep = &plan->bind_to;
  struct sockaddr_storage ss;
  unsigned len = mctx__sockaddr_from_endpoint(ep, &ss);
  if (bind(fd, (struct sockaddr *) &ss, len) == 0)
    return MCTX_OK;
  int e = errno;
  if (e == EADDRNOTAVAIL && !mctx_ip_is_unspecified(&ep->ip))
    return bind_address_not_available(plan, err);
  char text[MCTX_ENDPOINT_STRLEN];
  /* In use: the address and port together, which the port decides. */
  mctx_subject subject = e == EADDRINUSE && ep->port != 0
                             ? MCTX_SUBJECT_SOURCE_PORT
                             : plan->bind_subject;
  return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, subject, e,
                    "bind to %s failed: %s",
                    mctx_endpoint_format(ep, text, sizeof text), strerror(e));
}

static int
set_multicast_interface(int fd, const mctx_publication_config *cfg,
                        const mctx__socket_plan *plan, mctx_error *err)
{
  char text[MCTX_IP_STRLEN];
  if (plan->family == MCTX_FAMILY_IPV6) {
    if (plan->interface_index == 0)
      return MCTX_OK;
    int index = (int) plan->interface_index;
    return set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, index,
                          "IPV6_MULTICAST_IF", MCTX_SUBJECT_INTERFACE, err);
  }
  if (plan->v4_if_by_address) {
    struct in_addr addr;
    memcpy(&addr, cfg->interface.address.bytes, 4);
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &addr, sizeof addr) != 0) {
      int e = errno;
      if (e == EADDRNOTAVAIL)
        return mctx__fail(
            err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_INTERFACE, e,
            "interface address %s is not an address of this "
            "host (IP_MULTICAST_IF: %s)",
            mctx__ip_text(&cfg->interface.address, text), strerror(e));
      return option_failed(err, MCTX_SUBJECT_INTERFACE, "IP_MULTICAST_IF",
                           mctx__ip_text(&cfg->interface.address, text));
    }
  } else if (plan->interface_index != 0) {
    struct ip_mreqn mreqn;
    memset(&mreqn, 0, sizeof mreqn);
    mreqn.imr_ifindex = (int) plan->interface_index;
    /* The kernel's own pick for an unbound socket fails on lo (127.0.0.1 is
     * host-scoped, so datagrams left from 0.0.0.0); naming the interface's
     * first address gives what it picks elsewhere, and the source a
     * receiver sees is a real one. A bound source wins over it anyway. */
    mctx_ip first;
    bool unbound = cfg->source_addr.family == MCTX_FAMILY_UNSPEC ||
                   mctx_ip_is_unspecified(&cfg->source_addr);
    if (unbound &&
        mctx__iface_first_ipv4(plan->interface_index, &first, NULL) == MCTX_OK)
      memcpy(&mreqn.imr_address, first.bytes, 4);
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreqn, sizeof mreqn) != 0)
      return option_failed(
          err, MCTX_SUBJECT_INTERFACE, "IP_MULTICAST_IF",
          mctx__index_text(plan->interface_index, text, sizeof text));
  }
  return MCTX_OK;
}

int
mctx__socket_set_ttl(int fd, mctx_family family, uint32_t ttl, mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  const char *option = v6 ? "IPV6_MULTICAST_HOPS" : "IP_MULTICAST_TTL";
  /* -1 is Linux's "back to the default" for both options. */
  int value = ttl == MCTX_TTL_UNCHANGED ? -1 : (int) ttl;
  /* The kernel would read a huge value as -1 ("route default") for IPv6. */
  if (ttl > 255 && ttl != MCTX_TTL_UNCHANGED) {
    errno = EINVAL;
    char text[16];
    snprintf(text, sizeof text, "%u", (unsigned) ttl);
    return option_failed(err, MCTX_SUBJECT_TTL, option, text);
  }
  return set_int_option(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                        v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, value,
                        option, MCTX_SUBJECT_TTL, err);
}

int
mctx__socket_set_loopback(int fd, mctx_family family, bool on, mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  return set_int_option(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                        v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP,
                        on ? 1 : 0,
                        v6 ? "IPV6_MULTICAST_LOOP" : "IP_MULTICAST_LOOP",
                        MCTX_SUBJECT_LOOPBACK, err);
}

int
mctx__socket_set_dscp(int fd, mctx_family family, int dscp, mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  int tos = dscp < 0 ? 0 : dscp << 2;
  return set_int_option(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                        v6 ? IPV6_TCLASS : IP_TOS, tos,
                        v6 ? "IPV6_TCLASS" : "IP_TOS", MCTX_SUBJECT_DSCP, err);
}

static int
set_extras(int fd, const mctx_publication_config *cfg, mctx_family family,
           mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  int rc;
  if (cfg->dscp >= 0) {
    rc = mctx__socket_set_dscp(fd, family, cfg->dscp, err);
    if (rc != MCTX_OK)
      return rc;
  }
  if (cfg->send_buffer_size > 0) {
    rc = set_int_option(fd, SOL_SOCKET, SO_SNDBUF, cfg->send_buffer_size,
                        "SO_SNDBUF", MCTX_SUBJECT_SEND_BUFFER_SIZE, err);
    if (rc != MCTX_OK)
      return rc;
  }
  if (cfg->report_local_drops) {
    rc = set_int_option(
        fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVERR : IP_RECVERR, 1,
        v6 ? "IPV6_RECVERR" : "IP_RECVERR", MCTX_SUBJECT_SOCKET, err);
    if (rc != MCTX_OK)
      return rc;
  }
  return MCTX_OK;
}

/* What ENETUNREACH from connect means for a multicast group: the routing
 * table has no route for it out of the interface chosen (or at all, when
 * none is). IPv6 multicast on lo is the case users meet: Linux adds the
 * ff00::/8 route of every other interface when it comes up, not lo's. */
static void
explain_unreachable(int fd, const mctx__socket_plan *plan, char *buf,
                    size_t size)
{
  char where[48], name[IF_NAMESIZE];
  if (plan->interface_index == 0) {
    if (plan->v4_if_by_address)
      snprintf(buf, size,
               "no route for the group out of the interface "
               "address");
    else
      snprintf(buf, size,
               "no route for the group and no interface is set: "
               "set one, or add a route for the group");
    return;
  }
  mctx__index_text(plan->interface_index, where, sizeof where);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  bool have_flags = false;
  if (if_indextoname(plan->interface_index, name) != NULL) {
    memcpy(ifr.ifr_name, name, sizeof name);
    have_flags = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  }
  if (have_flags && !(ifr.ifr_flags & IFF_UP))
    snprintf(buf, size,
             "no route for the group out of interface %s, which "
             "is down",
             where);
  else if (have_flags && (ifr.ifr_flags & IFF_LOOPBACK) &&
           plan->family == MCTX_FAMILY_IPV6)
    snprintf(buf, size,
             "no route for the group out of interface %s; for "
             "IPv6 multicast on lo add one: ip -6 route add local ff00::/8 "
             "dev %s table local",
             where, name);
  else
    snprintf(buf, size, "no route for the group out of interface %s", where);
}

/* Everything after bind, in mctx-core's order, then connect. */
static int
configure_and_connect(int fd, const mctx_publication_config *cfg,
                      const mctx__socket_plan *plan, mctx_error *err)
{
  char text[MCTX_ENDPOINT_STRLEN];
  int rc = set_multicast_interface(fd, cfg, plan, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_set_loopback(fd, plan->family, cfg->loopback, err);
  if (rc == MCTX_OK && cfg->ttl != MCTX_TTL_UNCHANGED)
    rc = mctx__socket_set_ttl(fd, plan->family, cfg->ttl, err);
  if (rc == MCTX_OK)
    rc = set_extras(fd, cfg, plan->family, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_check_scope(cfg, plan, err);
  if (rc != MCTX_OK)
    return rc;

  struct sockaddr_storage ss;
  unsigned len = mctx__sockaddr_from_endpoint(&plan->destination, &ss);
  if (connect(fd, (struct sockaddr *) &ss, len) != 0) {
    int e = errno;
    char why[224] = "";
    if (e == ENETUNREACH)
      explain_unreachable(fd, plan, why, sizeof why);
    return mctx__fail(
        err, MCTX_E_SOCKET_CONNECT_FAILED, MCTX_SUBJECT_GROUP, e,
        "connect to %s failed: %s%s%s%s",
        mctx_endpoint_format(&plan->destination, text, sizeof text),
        strerror(e), why[0] ? " (" : "", why, why[0] ? ")" : "");
  }
  return MCTX_OK;
}

static void
fill_setup(int fd, const mctx__socket_plan *plan, mctx__socket_setup *out)
{
  out->fd = fd;
  out->destination = plan->destination;
  out->interface_index = plan->interface_index;
  /* Cached now and never written again, so sending threads read it without
   * a lock. On a connected socket it does not fail; if it did, reports
   * carry no local address and mctx_publication_get_local asks each time. */
  out->has_local = mctx__socket_local(fd, &out->local, NULL) == MCTX_OK;
}

int
mctx__socket_open(const mctx_publication_config *cfg, mctx__socket_setup *out,
                  mctx_error *err)
{
  mctx__socket_plan plan;
  int rc = mctx__socket_plan_make(cfg, &plan, err);
  if (rc != MCTX_OK)
    return rc;

  bool v6 = plan.family == MCTX_FAMILY_IPV6;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET, e,
                      "socket(%s, SOCK_DGRAM) failed: %s",
                      v6 ? "AF_INET6" : "AF_INET", strerror(e));
  }

  rc = set_non_blocking(fd, err);
  if (rc == MCTX_OK && v6)
    rc = set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY",
                        MCTX_SUBJECT_SOCKET, err);
  if (rc == MCTX_OK && plan.bind)
    rc = bind_endpoint(fd, &plan, err);
  if (rc == MCTX_OK)
    rc = configure_and_connect(fd, cfg, &plan, err);
  if (rc != MCTX_OK) {
    close(fd);
    return rc;
  }
  fill_setup(fd, &plan, out);
  return MCTX_OK;
}

static int
socket_int_option(int fd, int name, int *value)
{
  socklen_t len = sizeof *value;
  *value = -1;
  return getsockopt(fd, SOL_SOCKET, name, value, &len);
}

/* The caller's descriptor is a UDP socket of the group's family, asked of
 * the kernel (SO_DOMAIN, SO_TYPE, SO_PROTOCOL) before anything else reads
 * or changes it. */
static int
check_socket_kind(int fd, const mctx_publication_config *cfg, mctx_error *err)
{
  int domain, type, protocol;
  if (socket_int_option(fd, SO_DOMAIN, &domain) != 0 ||
      socket_int_option(fd, SO_TYPE, &type) != 0 ||
      socket_int_option(fd, SO_PROTOCOL, &protocol) != 0) {
    int e = errno;
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_NOT_UDP, MCTX_SUBJECT_SOCKET,
                      e, "descriptor %d is not a usable socket: %s", fd,
                      e == ENOTSOCK ? "it is not a socket" : strerror(e));
  }
  return mctx__socket_check_kind(domain, type, protocol, cfg, err);
}

int
mctx__socket_adopt(const mctx_publication_config *cfg, int fd,
                   mctx__socket_setup *out, mctx_error *err)
{
  bool is_bound;
  mctx__socket_plan plan;
  /* What the socket is comes first: nothing else reads or changes it
   * before (fd < 0 never gets here: it opens a new socket). */
  int rc = check_socket_kind(fd, cfg, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_adopt_plan(cfg, fd, &plan, &is_bound, err);
  if (rc != MCTX_OK)
    return rc;

  /* From here on the socket changes. A failure puts O_NONBLOCK back; a
   * bind, the options set and a failed connect cannot be undone. */
  int flags = fcntl(fd, F_GETFL);
  rc = set_non_blocking(fd, err);
  if (rc == MCTX_OK && plan.bind && !is_bound)
    rc = bind_endpoint(fd, &plan, err);
  if (rc == MCTX_OK)
    rc = configure_and_connect(fd, cfg, &plan, err);
  if (rc != MCTX_OK) {
    if (flags >= 0 && !(flags & O_NONBLOCK))
      (void) fcntl(fd, F_SETFL, flags);
    return rc;
  }
  fill_setup(fd, &plan, out);
  return MCTX_OK;
}

int
mctx__socket_follow(int fd, const mctx_publication_config *cfg,
                    const mctx__socket_plan *plan, mctx_endpoint *local,
                    mctx_error *err)
{
  mctx_endpoint before, kept;
  int rc = mctx__socket_local(fd, &before, err);
  if (rc != MCTX_OK)
    return rc;
  /* Disconnecting (AF_UNSPEC) forgets what connect derived from the old
   * interface: the source address it picked (an address bound on purpose
   * stays), the device an IPv6 scoped group bound the socket to, the
   * cached route. An unlocked port goes too, and is taken back. */
  struct sockaddr unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sa_family = AF_UNSPEC;
  if (connect(fd, &unspec, sizeof unspec) != 0)
    return option_failed(err, MCTX_SUBJECT_INTERFACE, "connect", "AF_UNSPEC");
  rc = mctx__socket_local(fd, &kept, err);
  if (rc != MCTX_OK)
    return rc;
  if (kept.port == 0) {
    /* The same source port, so that receivers see one stream; the kernel
     * kept a bound address, whose link (for a link-local one) is the new
     * interface now. A port taken meanwhile: connect picks another. */
    mctx_endpoint want = kept;
    want.port = before.port;
    if (mctx_ip_is_link_local_unicast(&want.ip))
      want.ip.scope_id = plan->interface_index;
    struct sockaddr_storage ss;
    unsigned len = mctx__sockaddr_from_endpoint(&want, &ss);
    if (bind(fd, (struct sockaddr *) &ss, len) != 0 && errno != EADDRINUSE) {
      int e = errno;
      char text[MCTX_ENDPOINT_STRLEN];
      return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, MCTX_SUBJECT_SOCKET, e,
                        "bind to %s failed: %s",
                        mctx_endpoint_format(&want, text, sizeof text),
                        strerror(e));
    }
  }
  rc = configure_and_connect(fd, cfg, plan, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_local(fd, local, err);
  return rc;
}

int
mctx__socket_local(int fd, mctx_endpoint *out, mctx_error *err)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *) &ss, &len) != 0) {
    int e = errno;
    return mctx__fail(err, MCTX_E_SOCKET_LOCAL_ADDR_FAILED, MCTX_SUBJECT_SOCKET,
                      e, "getsockname failed: %s", strerror(e));
  }
  if (mctx__endpoint_from_sockaddr((struct sockaddr *) &ss, out) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_LOCAL_ADDR_FAILED, MCTX_SUBJECT_SOCKET,
                      0, "socket has address family %d, not IPv4 or IPv6",
                      (int) ss.ss_family);
  return MCTX_OK;
}

void
mctx__socket_close(int fd)
{
  if (fd >= 0)
    close(fd);
}

int
mctx_socket_dup(int fd, int *out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "out must not be NULL");
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0)
    return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET,
                      errno, "could not duplicate the socket: %s",
                      strerror(errno));
  *out = copy;
  return mctx__ok(err);
}

void
mctx_socket_close(int fd)
{
  mctx__socket_close(fd);
}
