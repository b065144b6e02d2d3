/* The portable half of socket setup: the plan computed from a config
 * (interface resolution, mctx-core's IPv6 interface rules, bind address,
 * destination scope) and the checks of a caller's socket against it. Every
 * platform's socket.c applies the plan with its own system calls.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"
#include "mctx-net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

const char *
mctx__ip_text(const mctx_ip *ip, char *buf)
{
  return mctx_ip_format(ip, buf, MCTX_IP_STRLEN);
}

/* "3 (eth0)" or "3" when the name is gone. */
const char *
mctx__index_text(uint32_t index, char *buf, size_t size)
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
plan_ipv4(const mctx_publication_config *cfg, mctx__socket_plan *plan,
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
plan_ipv6(const mctx_publication_config *cfg, mctx__socket_plan *plan,
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
      return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_GROUP, 0,
                        "interface %u, the zone of group %s, does not "
                        "exist",
                        (unsigned) zone, mctx__ip_text(&cfg->group, a));
    if (explicit_index != 0 && explicit_index != zone)
      return mctx__fail(
          err, MCTX_E_IPV6_GROUP_ZONE_MISMATCH, MCTX_SUBJECT_GROUP, 0,
          "group %s is on interface %s but the outgoing "
          "interface is %s",
          mctx__ip_text(&cfg->group, a), mctx__index_text(zone, b, sizeof b),
          mctx__index_text(explicit_index, c, sizeof c));
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
          return mctx__fail(err, MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH,
                            MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                            "source %s is on interface %s but the outgoing "
                            "interface is %s",
                            mctx__ip_text(source, a),
                            mctx__index_text(source->scope_id, b, sizeof b),
                            mctx__index_text(explicit_index, c, sizeof c));
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
    return mctx__fail(err, MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH,
                      MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "source %s is on interface %s but the outgoing "
                      "interface is %s",
                      mctx__ip_text(source, a),
                      mctx__index_text(source_index, b, sizeof b),
                      mctx__index_text(explicit_index, c, sizeof c));

  /* 4. Effective index X. */
  uint32_t index = explicit_index != 0 ? explicit_index : source_index;
  plan->interface_index = index;

  /* 5.-7. Auto-bind: the source, else the interface address. */
  const mctx_ip *bind_ip = source != NULL ? source : itf_addr;
  if (bind_ip != NULL || cfg->has_source_port) {
    plan->bind = true;
    plan->bind_to.ip.family = MCTX_FAMILY_IPV6;
    plan->bind_role = source != NULL || itf_addr == NULL ? "source address"
                                                         : "interface address";
    plan->bind_subject = source != NULL     ? MCTX_SUBJECT_SOURCE_ADDRESS
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
                            "link-local address %s",
                            mctx__ip_text(bind_ip, a));
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

int
mctx__socket_plan_make(const mctx_publication_config *cfg,
                       mctx__socket_plan *plan, mctx_error *err)
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
int
mctx__socket_check_scope(const mctx_publication_config *cfg,
                         const mctx__socket_plan *plan, mctx_error *err)
{
  char text[MCTX_IP_STRLEN];
  if (!plan->scoped_without_interface)
    return MCTX_OK;
  return mctx__fail(err, MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE,
                    MCTX_SUBJECT_INTERFACE, 0,
                    "group %s is %s-local: set an interface (or a source "
                    "address whose interface is used)",
                    mctx__ip_text(&cfg->group, text),
                    mctx_ipv6_multicast_scope(&cfg->group) == 1 ? "interface"
                                                                : "link");
}

/* ---- checks of caller sockets ------------------------------------------ */

/* A caller's socket that is already bound is left as it is when its address
 * satisfies what the config asks for (unspecified or equal address, port 0 or
 * equal, IPv6 scope 0 or equal); it cannot be re-bound. */
static int
mctx__socket_check_bound(const mctx_endpoint *bound, const mctx_endpoint *want,
                         mctx_error *err)
{
  bool address_ok =
      mctx_ip_is_unspecified(&want->ip) || same_address(&want->ip, &bound->ip);
  bool port_ok = want->port == 0 || want->port == bound->port;
  bool scope_ok =
      want->ip.scope_id == 0 || want->ip.scope_id == bound->ip.scope_id;
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

static const char *
family_text(mctx_family family)
{
  return family == MCTX_FAMILY_IPV4 ? "IPv4" : "IPv6";
}

/* Section 4: the socket's bound address against the config. When
 * getsockname fails the checks are skipped, as mctx-core does. Sets *bound
 * to the address when the socket is bound (not unspecified:0). */
static int
mctx__socket_check_existing(int fd, const mctx_publication_config *cfg,
                            bool *is_bound, mctx_endpoint *bound,
                            mctx_error *err)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char want[MCTX_ENDPOINT_STRLEN], have[MCTX_ENDPOINT_STRLEN];

  *is_bound = false;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *) &ss, &len) != 0)
    return MCTX_OK;

  if (mctx__endpoint_from_sockaddr((struct sockaddr *) &ss, bound) != 0)
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH,
                      MCTX_SUBJECT_SOCKET, 0,
                      "socket has address family %d, not %s like group %s",
                      (int) ss.ss_family, family_text(cfg->group.family),
                      mctx__ip_text(&cfg->group, want));
  if (bound->ip.family != cfg->group.family)
    return mctx__fail(
        err, MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH, MCTX_SUBJECT_SOCKET, 0,
        "socket is %s but group %s is %s", family_text(bound->ip.family),
        mctx__ip_text(&cfg->group, want), family_text(cfg->group.family));

  if (mctx_ip_is_unspecified(&bound->ip) && bound->port == 0)
    return MCTX_OK;
  *is_bound = true;

  if (cfg->source_addr.family != MCTX_FAMILY_UNSPEC &&
      !same_address(&cfg->source_addr, &bound->ip))
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH,
                      MCTX_SUBJECT_SOCKET, 0,
                      "socket is bound to address %s, expected %s",
                      mctx__ip_text(&bound->ip, have),
                      mctx__ip_text(&cfg->source_addr, want));
  if (cfg->has_source_port && cfg->source_port != bound->port)
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_PORT_MISMATCH,
                      MCTX_SUBJECT_SOCKET, 0,
                      "socket is bound to port %u, expected %u",
                      (unsigned) bound->port, (unsigned) cfg->source_port);
  return MCTX_OK;
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
#ifdef IPPROTO_UDPLITE
  if (type == SOCK_DGRAM && protocol == IPPROTO_UDPLITE)
    return "a UDP-Lite socket";
#endif
  if (type == SOCK_DGRAM &&
      (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
    return "an ICMP (ping) socket";
  return "a socket of another type";
}

int
mctx__socket_check_kind(int domain, int type, int protocol,
                        const mctx_publication_config *cfg, mctx_error *err)
{
  char group[MCTX_IP_STRLEN];
  bool udp = (domain == AF_INET || domain == AF_INET6) && type == SOCK_DGRAM &&
             (protocol == IPPROTO_UDP || protocol == 0);
  if (!udp)
    return mctx__fail(
        err, MCTX_E_EXISTING_SOCKET_NOT_UDP, MCTX_SUBJECT_SOCKET, 0,
        "the socket is %s, not UDP (domain %d, type %d, "
        "protocol %d)",
        socket_kind_text(domain, type, protocol), domain, type, protocol);
  mctx_family family = domain == AF_INET ? MCTX_FAMILY_IPV4 : MCTX_FAMILY_IPV6;
  if (family != cfg->group.family)
    return mctx__fail(
        err, MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH, MCTX_SUBJECT_SOCKET, 0,
        "the socket is UDP over %s but group %s is %s", family_text(family),
        mctx__ip_text(&cfg->group, group), family_text(cfg->group.family));
  return MCTX_OK;
}

int
mctx__socket_adopt_plan(const mctx_publication_config *cfg, int fd,
                        mctx__socket_plan *plan, bool *is_bound,
                        mctx_error *err)
{
  mctx_endpoint bound;
  if (fd < 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "socket %d is not a valid descriptor", fd);
  int rc = mctx__socket_check_existing(fd, cfg, is_bound, &bound, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_plan_make(cfg, plan, err);
  if (rc == MCTX_OK && plan->bind && *is_bound)
    rc = mctx__socket_check_bound(&bound, &plan->bind_to, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_check_scope(cfg, plan, err);
  return rc;
}
