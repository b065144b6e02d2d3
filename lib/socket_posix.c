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

typedef struct socket_plan {
  mctx_family family;
  bool bind;                    /* bind to bind_to */
  mctx_endpoint bind_to;
  const char *bind_role;        /* whose address bind_to is, for messages */
  mctx_subject bind_subject;    /* the same for mctx_error.subject */
  bool v4_if_by_address;        /* IP_MULTICAST_IF with struct in_addr */
  uint32_t interface_index;     /* ip_mreqn / IPV6_MULTICAST_IF, 0 none */
  mctx_endpoint destination;
  bool scoped_without_interface; /* raised where mctx-core raises it */
} socket_plan;

unsigned
mctx__sockaddr_from_endpoint(const mctx_endpoint *ep,
                             struct sockaddr_storage *ss)
{
  memset(ss, 0, sizeof *ss);
  if (ep->ip.family == MCTX_FAMILY_IPV4) {
    struct sockaddr_in *sin = (struct sockaddr_in *) ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep->port);
    memcpy(&sin->sin_addr, ep->ip.bytes, 4);
    return sizeof *sin;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(ep->port);
  memcpy(&sin6->sin6_addr, ep->ip.bytes, 16);
  sin6->sin6_scope_id = ep->ip.scope_id;
  return sizeof *sin6;
}

int
mctx__endpoint_from_sockaddr(const struct sockaddr *sa, mctx_endpoint *out)
{
  memset(out, 0, sizeof *out);
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;
    out->ip.family = MCTX_FAMILY_IPV4;
    memcpy(out->ip.bytes, &sin->sin_addr, 4);
    out->port = ntohs(sin->sin_port);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;
    out->ip.family = MCTX_FAMILY_IPV6;
    memcpy(out->ip.bytes, &sin6->sin6_addr, 16);
    out->ip.scope_id = sin6->sin6_scope_id;
    out->port = ntohs(sin6->sin6_port);
    return 0;
  }
  return -1;
}

static bool
same_address(const mctx_ip *a, const mctx_ip *b)
{
  size_t n = a->family == MCTX_FAMILY_IPV4 ? 4 : 16;
  return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

static const char *
ip_text(const mctx_ip *ip, char *buf)
{
  return mctx_ip_format(ip, buf, MCTX_IP_STRLEN);
}

/* "3 (eth0)" or "3" when the name is gone. */
static const char *
index_text(uint32_t index, char *buf, size_t size)
{
  char name[IF_NAMESIZE];
  if (if_indextoname(index, name) != NULL)
    snprintf(buf, size, "%u (%s)", (unsigned) index, name);
  else
    snprintf(buf, size, "%u", (unsigned) index);
  return buf;
}

/* ---- planning ------------------------------------------------------------- */

static int
plan_ipv4(const mctx_publication_config *cfg, socket_plan *plan,
          mctx_error *err)
{
  const mctx_interface *itf = &cfg->interface;

  if (cfg->source_addr.family != MCTX_FAMILY_UNSPEC || cfg->has_source_port) {
    plan->bind = true;
    plan->bind_to.ip.family = MCTX_FAMILY_IPV4;
    plan->bind_role = "source address";
    plan->bind_subject = cfg->source_addr.family != MCTX_FAMILY_UNSPEC
                             ? MCTX_SUBJECT_SOURCE_ADDRESS
                             : MCTX_SUBJECT_SOURCE_PORT;
    if (cfg->source_addr.family != MCTX_FAMILY_UNSPEC)
      plan->bind_to.ip = cfg->source_addr;
    plan->bind_to.port = cfg->has_source_port ? cfg->source_port : 0;
  }

  /* mctx-core passes an IPv4 interface address straight to the kernel; an
   * index or a name (ours) goes through ip_mreqn and must exist. */
  if (itf->kind == MCTX_INTERFACE_ADDRESS) {
    plan->v4_if_by_address = true;
  } else if (itf->kind != MCTX_INTERFACE_NONE) {
    int rc = mctx__iface_resolve(itf, &plan->interface_index, err);
    if (rc != MCTX_OK)
      return rc;
  }

  plan->destination.ip = cfg->group;
  plan->destination.ip.scope_id = 0;
  plan->destination.port = cfg->dst_port;
  return MCTX_OK;
}

/* mctx-core's IPv6 interface rules, step by step. An interface name or
 * index is the explicit index E; one that does not exist is an error, not
 * the default route. */
static int
plan_ipv6(const mctx_publication_config *cfg, socket_plan *plan,
          mctx_error *err)
{
  const mctx_interface *itf = &cfg->interface;
  const mctx_ip *source =
      cfg->source_addr.family != MCTX_FAMILY_UNSPEC ? &cfg->source_addr : NULL;
  const mctx_ip *itf_addr =
      itf->kind == MCTX_INTERFACE_ADDRESS ? &itf->address : NULL;
  char a[MCTX_IP_STRLEN], b[48], c[48];
  int rc;

  /* 1. Explicit interface index E. */
  uint32_t explicit_index = 0;
  if (itf->kind != MCTX_INTERFACE_NONE) {
    rc = mctx__iface_resolve(itf, &explicit_index, err);
    if (rc != MCTX_OK)
      return rc;
  }
  /* Ours: a zone on the group (ff02::1%eth0) names the interface; it must
   * exist and agree with an interface given as well. */
  uint32_t zone = cfg->group.scope_id;
  if (zone != 0) {
    if (mctx__iface_index_exists(zone, MCTX_SUBJECT_GROUP, NULL) != MCTX_OK)
      return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_GROUP,
                        0, "interface %u, the zone of group %s, does not "
                        "exist", (unsigned) zone, ip_text(&cfg->group, a));
    if (explicit_index != 0 && explicit_index != zone)
      return mctx__fail(err, MCTX_E_IPV6_GROUP_ZONE_MISMATCH,
                        MCTX_SUBJECT_GROUP, 0,
                        "group %s is on interface %s but the outgoing "
                        "interface is %s", ip_text(&cfg->group, a),
                        index_text(zone, b, sizeof b),
                        index_text(explicit_index, c, sizeof c));
    explicit_index = zone;
  }

  /* 2. The source's own interface SI. */
  uint32_t source_index = 0;
  if (source != NULL) {
    if (itf_addr != NULL && same_address(source, itf_addr)) {
      source_index = explicit_index;
    } else if (mctx_ip_is_link_local_unicast(source)) {
      if (explicit_index != 0) {
        /* Ours: a zone written on the source must agree with E. */
        if (source->scope_id != 0 && source->scope_id != explicit_index)
          return mctx__fail(err, MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                            "source %s is on interface %s but the outgoing "
                            "interface is %s", ip_text(source, a),
                            index_text(source->scope_id, b, sizeof b),
                            index_text(explicit_index, c, sizeof c));
        source_index = explicit_index;
      } else if (source->scope_id != 0) {
        rc = mctx__iface_index_exists(source->scope_id,
                                      MCTX_SUBJECT_SOURCE_ADDRESS, err);
        if (rc != MCTX_OK)
          return rc;
        source_index = source->scope_id;
      } else {
        rc = mctx__iface_index_of_addr(source, &source_index, err);
        if (rc != MCTX_OK)
          return rc;
      }
    } else {
      rc = mctx__iface_index_of_addr(source, &source_index, err);
      if (rc != MCTX_OK)
        return rc;
    }
  }

  /* 3. Mismatch. */
  if (source != NULL && source_index != 0 && explicit_index != 0 &&
      source_index != explicit_index)
    return mctx__fail(err, MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "source %s is on interface %s but the outgoing "
                      "interface is %s", ip_text(source, a),
                      index_text(source_index, b, sizeof b),
                      index_text(explicit_index, c, sizeof c));

  /* 4. Effective index X. */
  uint32_t index = explicit_index != 0 ? explicit_index : source_index;
  plan->interface_index = index;

  /* 5.-7. Auto-bind: the source, else the interface address. */
  const mctx_ip *bind_ip = source != NULL ? source : itf_addr;
  if (bind_ip != NULL || cfg->has_source_port) {
    plan->bind = true;
    plan->bind_to.ip.family = MCTX_FAMILY_IPV6;
    plan->bind_role = source != NULL || itf_addr == NULL
                          ? "source address" : "interface address";
    plan->bind_subject = source != NULL ? MCTX_SUBJECT_SOURCE_ADDRESS
                         : itf_addr != NULL ? MCTX_SUBJECT_INTERFACE
                                            : MCTX_SUBJECT_SOURCE_PORT;
    if (bind_ip != NULL) {
      plan->bind_to.ip = *bind_ip;
      plan->bind_to.ip.scope_id = 0;
      if (mctx_ip_is_link_local_unicast(bind_ip)) {
        if (index == 0)
          return mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED,
                            plan->bind_subject, 0,
                            "failed to determine interface index for "
                            "link-local address %s", ip_text(bind_ip, a));
        plan->bind_to.ip.scope_id = index;
      }
    }
    plan->bind_to.port = cfg->has_source_port ? cfg->source_port : 0;
  }

  /* 9. Destination scope: only interface- and link-local groups keep one. */
  plan->destination.ip = cfg->group;
  plan->destination.ip.scope_id = 0;
  plan->destination.port = cfg->dst_port;
  int scope = mctx_ipv6_multicast_scope(&cfg->group);
  if (scope == 1 || scope == 2) {
    if (index == 0)
      plan->scoped_without_interface = true;
    plan->destination.ip.scope_id = index;
  }
  return MCTX_OK;
}

static int
plan_socket(const mctx_publication_config *cfg, socket_plan *plan,
            mctx_error *err)
{
  memset(plan, 0, sizeof *plan);
  plan->family = cfg->group.family;
  if (plan->family == MCTX_FAMILY_IPV4)
    return plan_ipv4(cfg, plan, err);
  if (plan->family == MCTX_FAMILY_IPV6)
    return plan_ipv6(cfg, plan, err);
  return mctx__fail(err, MCTX_E_INVALID_MULTICAST_GROUP, MCTX_SUBJECT_GROUP, 0,
                    "group is not set");
}

/* mctx-core raises this just before connect; it needs no socket, so a
 * caller's socket is checked for it before anything on it changes. */
static int
check_scope(const mctx_publication_config *cfg, const socket_plan *plan,
            mctx_error *err)
{
  char text[MCTX_IP_STRLEN];
  if (!plan->scoped_without_interface)
    return MCTX_OK;
  return mctx__fail(err, MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE, MCTX_SUBJECT_INTERFACE, 0,
                    "group %s is %s-local: set an interface (or a source "
                    "address whose interface is used)",
                    ip_text(&cfg->group, text),
                    mctx_ipv6_multicast_scope(&cfg->group) == 1
                        ? "interface" : "link");
}

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
bind_address_not_available(const socket_plan *plan, mctx_error *err)
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
      return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, plan->bind_subject,
                        EADDRNOTAVAIL,
                        "%s %s is not an address of interface %s (bind: %s)",
                        plan->bind_role, ip_text(&unscoped, text), where,
                        strerror(EADDRNOTAVAIL));
    }
    return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, plan->bind_subject,
                        EADDRNOTAVAIL,
                      "%s %s is not an address of this host (bind: %s)",
                      plan->bind_role, ip_text(ip, text),
                      strerror(EADDRNOTAVAIL));
  }
  return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, plan->bind_subject,
                        EADDRNOTAVAIL,
                    "%s %s cannot be used yet (bind: %s): duplicate address "
                    "detection has not finished (is interface %s up?) or "
                    "found the address in use", plan->bind_role,
                    ip_text(ip, text), strerror(EADDRNOTAVAIL),
                    index_text(index, where, sizeof where));
}

static int
bind_endpoint(int fd, const socket_plan *plan, mctx_error *err)
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

/* A caller's socket that is already bound is left as it is when its address
 * satisfies what the config asks for (unspecified or equal address, port 0 or
 * equal, IPv6 scope 0 or equal); it cannot be re-bound. */
static int
check_bound(const mctx_endpoint *bound, const mctx_endpoint *want,
            mctx_error *err)
{
  bool address_ok = mctx_ip_is_unspecified(&want->ip) ||
                    same_address(&want->ip, &bound->ip);
  bool port_ok = want->port == 0 || want->port == bound->port;
  bool scope_ok = want->ip.scope_id == 0 ||
                  want->ip.scope_id == bound->ip.scope_id;
  if (address_ok && port_ok && scope_ok)
    return MCTX_OK;
  char have[MCTX_ENDPOINT_STRLEN], need[MCTX_ENDPOINT_STRLEN];
  return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, MCTX_SUBJECT_SOCKET,
                    EADDRINUSE,
                    "socket bound to %s does not satisfy requested bind "
                    "constraints %s",
                    mctx_endpoint_format(bound, have, sizeof have),
                    mctx_endpoint_format(want, need, sizeof need));
}

static int
set_multicast_interface(int fd, const mctx_publication_config *cfg,
                        const socket_plan *plan, mctx_error *err)
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
        return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED,
                          MCTX_SUBJECT_INTERFACE, e,
                          "interface address %s is not an address of this "
                          "host (IP_MULTICAST_IF: %s)",
                          ip_text(&cfg->interface.address, text), strerror(e));
      return option_failed(err, MCTX_SUBJECT_INTERFACE, "IP_MULTICAST_IF",
                           ip_text(&cfg->interface.address, text));
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
      return option_failed(err, MCTX_SUBJECT_INTERFACE, "IP_MULTICAST_IF",
                           index_text(plan->interface_index, text,
                                      sizeof text));
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
                        v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL,
                        value, option, MCTX_SUBJECT_TTL, err);
}

int
mctx__socket_set_loopback(int fd, mctx_family family, bool on, mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  return set_int_option(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                        v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP, on ? 1 : 0,
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
    rc = set_int_option(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                        v6 ? IPV6_RECVERR : IP_RECVERR, 1,
                        v6 ? "IPV6_RECVERR" : "IP_RECVERR",
                        MCTX_SUBJECT_SOCKET, err);
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
explain_unreachable(int fd, const socket_plan *plan, char *buf, size_t size)
{
  char where[48], name[IF_NAMESIZE];
  if (plan->interface_index == 0) {
    if (plan->v4_if_by_address)
      snprintf(buf, size, "no route for the group out of the interface "
               "address");
    else
      snprintf(buf, size, "no route for the group and no interface is set: "
               "set one, or add a route for the group");
    return;
  }
  index_text(plan->interface_index, where, sizeof where);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  bool have_flags = false;
  if (if_indextoname(plan->interface_index, name) != NULL) {
    memcpy(ifr.ifr_name, name, sizeof name);
    have_flags = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  }
  if (have_flags && !(ifr.ifr_flags & IFF_UP))
    snprintf(buf, size, "no route for the group out of interface %s, which "
             "is down", where);
  else if (have_flags && (ifr.ifr_flags & IFF_LOOPBACK) &&
           plan->family == MCTX_FAMILY_IPV6)
    snprintf(buf, size, "no route for the group out of interface %s; for "
             "IPv6 multicast on lo add one: ip -6 route add local ff00::/8 "
             "dev %s table local", where, name);
  else
    snprintf(buf, size, "no route for the group out of interface %s", where);
}

/* Everything after bind, in mctx-core's order, then connect. */
static int
configure_and_connect(int fd, const mctx_publication_config *cfg,
                      const socket_plan *plan, mctx_error *err)
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
    rc = check_scope(cfg, plan, err);
  if (rc != MCTX_OK)
    return rc;

  struct sockaddr_storage ss;
  unsigned len = mctx__sockaddr_from_endpoint(&plan->destination, &ss);
  if (connect(fd, (struct sockaddr *) &ss, len) != 0) {
    int e = errno;
    char why[224] = "";
    if (e == ENETUNREACH)
      explain_unreachable(fd, plan, why, sizeof why);
    return mctx__fail(err, MCTX_E_SOCKET_CONNECT_FAILED, MCTX_SUBJECT_GROUP, e,
                      "connect to %s failed: %s%s%s%s",
                      mctx_endpoint_format(&plan->destination, text,
                                           sizeof text),
                      strerror(e), why[0] ? " (" : "", why,
                      why[0] ? ")" : "");
  }
  return MCTX_OK;
}

static void
fill_setup(int fd, const socket_plan *plan, mctx__socket_setup *out)
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
  socket_plan plan;
  int rc = plan_socket(cfg, &plan, err);
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

static const char *
family_text(mctx_family family)
{
  return family == MCTX_FAMILY_IPV4 ? "IPv4" : "IPv6";
}

static int
socket_int_option(int fd, int name, int *value)
{
  socklen_t len = sizeof *value;
  *value = -1;
  return getsockopt(fd, SOL_SOCKET, name, value, &len);
}

/* What a socket is, for a refusal: "a raw socket", "a TCP socket", ... */
static const char *
socket_kind_text(int domain, int type, int protocol)
{
  if (domain == AF_UNIX)
    return "a Unix-domain socket";
  if (domain != AF_INET && domain != AF_INET6)
    return "a socket of another address family";
  if (type == SOCK_RAW)
    return "a raw socket";
  if (type == SOCK_STREAM && protocol == IPPROTO_TCP)
    return "a TCP socket";
  if (type == SOCK_STREAM)
    return "a stream socket";
  if (type == SOCK_SEQPACKET)
    return "a SCTP (seqpacket) socket";
  if (type == SOCK_DGRAM && protocol == IPPROTO_UDPLITE)
    return "a UDP-Lite socket";
  if (type == SOCK_DGRAM && (protocol == IPPROTO_ICMP ||
                             protocol == IPPROTO_ICMPV6))
    return "an ICMP (ping) socket";
  return "a socket of another type";
}

/* The caller's descriptor is a UDP socket of the group's family. Asked of
 * the kernel before anything else reads or changes it: a raw socket would
 * take the payload as the UDP header, a TCP socket would be bound before
 * connect fails. Linux reports SO_PROTOCOL IPPROTO_UDP for a socket made
 * with protocol 0; 0 is accepted too for kernels that report what the
 * caller passed. */
static int
check_socket_kind(int fd, const mctx_publication_config *cfg, mctx_error *err)
{
  int domain, type, protocol;
  char group[MCTX_IP_STRLEN];
  if (socket_int_option(fd, SO_DOMAIN, &domain) != 0 ||
      socket_int_option(fd, SO_TYPE, &type) != 0 ||
      socket_int_option(fd, SO_PROTOCOL, &protocol) != 0) {
    int e = errno;
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_NOT_UDP, MCTX_SUBJECT_SOCKET,
                      e, "descriptor %d is not a usable socket: %s", fd,
                      e == ENOTSOCK ? "it is not a socket" : strerror(e));
  }
  bool udp = (domain == AF_INET || domain == AF_INET6) &&
             type == SOCK_DGRAM && (protocol == IPPROTO_UDP || protocol == 0);
  if (!udp)
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_NOT_UDP, MCTX_SUBJECT_SOCKET,
                      0, "the socket is %s, not UDP (domain %d, type %d, "
                      "protocol %d)", socket_kind_text(domain, type, protocol),
                      domain, type, protocol);
  mctx_family family = domain == AF_INET ? MCTX_FAMILY_IPV4
                                         : MCTX_FAMILY_IPV6;
  if (family != cfg->group.family)
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH,
                      MCTX_SUBJECT_SOCKET, 0,
                      "the socket is UDP over %s but group %s is %s",
                      family_text(family), ip_text(&cfg->group, group),
                      family_text(cfg->group.family));
  return MCTX_OK;
}

/* Section 4: the socket's bound address against the config. When
 * getsockname fails the checks are skipped, as mctx-core does. Sets *bound
 * to the address when the socket is bound (not unspecified:0). */
static int
check_existing(int fd, const mctx_publication_config *cfg, bool *is_bound,
               mctx_endpoint *bound, mctx_error *err)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char want[MCTX_ENDPOINT_STRLEN], have[MCTX_ENDPOINT_STRLEN];

  *is_bound = false;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *) &ss, &len) != 0)
    return MCTX_OK;

  if (mctx__endpoint_from_sockaddr((struct sockaddr *) &ss, bound) != 0)
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH, MCTX_SUBJECT_SOCKET, 0,
                      "socket has address family %d, not %s like group %s",
                      (int) ss.ss_family, family_text(cfg->group.family),
                      ip_text(&cfg->group, want));
  if (bound->ip.family != cfg->group.family)
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH, MCTX_SUBJECT_SOCKET, 0,
                      "socket is %s but group %s is %s",
                      family_text(bound->ip.family),
                      ip_text(&cfg->group, want),
                      family_text(cfg->group.family));

  if (mctx_ip_is_unspecified(&bound->ip) && bound->port == 0)
    return MCTX_OK;
  *is_bound = true;

  if (cfg->source_addr.family != MCTX_FAMILY_UNSPEC &&
      !same_address(&cfg->source_addr, &bound->ip))
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH, MCTX_SUBJECT_SOCKET, 0,
                      "socket is bound to address %s, expected %s",
                      ip_text(&bound->ip, have),
                      ip_text(&cfg->source_addr, want));
  if (cfg->has_source_port && cfg->source_port != bound->port)
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_PORT_MISMATCH, MCTX_SUBJECT_SOCKET, 0,
                      "socket is bound to port %u, expected %u",
                      (unsigned) bound->port, (unsigned) cfg->source_port);
  return MCTX_OK;
}

int
mctx__socket_adopt(const mctx_publication_config *cfg, int fd,
                   mctx__socket_setup *out, mctx_error *err)
{
  bool is_bound;
  mctx_endpoint bound;
  socket_plan plan;

  if (fd < 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "socket %d is not a valid descriptor", fd);
  /* Everything that only reads comes first, so a refused config leaves the
   * caller's socket as it was. */
  int rc = check_socket_kind(fd, cfg, err);
  if (rc == MCTX_OK)
    rc = check_existing(fd, cfg, &is_bound, &bound, err);
  if (rc == MCTX_OK)
    rc = plan_socket(cfg, &plan, err);
  if (rc == MCTX_OK && plan.bind && is_bound)
    rc = check_bound(&bound, &plan.bind_to, err);
  if (rc == MCTX_OK)
    rc = check_scope(cfg, &plan, err);
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
mctx__socket_local(int fd, mctx_endpoint *out, mctx_error *err)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *) &ss, &len) != 0) {
    int e = errno;
    return mctx__fail(err, MCTX_E_SOCKET_LOCAL_ADDR_FAILED, MCTX_SUBJECT_SOCKET, e,
                      "getsockname failed: %s", strerror(e));
  }
  if (mctx__endpoint_from_sockaddr((struct sockaddr *) &ss, out) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_LOCAL_ADDR_FAILED, MCTX_SUBJECT_SOCKET, 0,
                      "socket has address family %d, not IPv4 or IPv6",
                      (int) ss.ss_family);
  return MCTX_OK;
}

void
mctx__socket_close(int fd)
{
  if (fd >= 0)
    close(fd);
}
