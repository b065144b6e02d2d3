/* Addresses, endpoints and interface selectors: parsing, formatting, tests.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Nothing here touches the network; the only system lookup is the name of an
 * IPv6 scope ("fe80::1%eth0"), with mctx__iface_name_to_index. Interface
 * discovery (posix/iface.c, win32/iface.c) builds on this file.
 */
#include "mctx-private.h"
#include "mctx-net.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Longest address text inet_pton may accept, plus room to notice overlong
 * input rather than silently truncating it. */
#define ADDRESS_TEXT_MAX 64

static size_t
family_length(mctx_family family)
{
  switch (family) {
    case MCTX_FAMILY_IPV4:
      return 4;
    case MCTX_FAMILY_IPV6:
      return 16;
    default:
      return 0;
  }
}

/* Decimal digits only (no sign, no spaces, no hex), at most `max`. */
static bool
parse_decimal(const char *text, size_t len, uint32_t max, uint32_t *out)
{
  if (len == 0 || len > 10)
    return false;
  uint64_t value = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    value = value * 10 + (uint64_t) (text[i] - '0');
  }
  if (value > max)
    return false;
  *out = (uint32_t) value;
  return true;
}

static bool
is_all_digits(const char *text)
{
  if (*text == '\0')
    return false;
  for (; *text != '\0'; text++)
    if (*text < '0' || *text > '9')
      return false;
  return true;
}

int
mctx__interface_name_check(const char *name, size_t size, mctx_error *err)
{
  if (name == NULL)
    return mctx__fail(err, MCTX_E_INVALID_INTERFACE_NAME,
                      MCTX_SUBJECT_INTERFACE, 0, "interface name is missing");
  size_t limit =
      size < MCTX_INTERFACE_NAME_MAX ? size : MCTX_INTERFACE_NAME_MAX;
  size_t len = strnlen(name, limit);
  if (len == 0)
    return mctx__fail(err, MCTX_E_INVALID_INTERFACE_NAME,
                      MCTX_SUBJECT_INTERFACE, 0, "interface name is empty");
  if (len == limit)
    return mctx__fail(
        err, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE, 0,
        "interface name '%.*s' is too long (at most %d bytes)",
        (int) strnlen(name, size), name, MCTX_INTERFACE_NAME_MAX - 1);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) name[i];
    if (isspace(c) || c == '/' || c == ':' || !isprint(c))
      return mctx__fail(err, MCTX_E_INVALID_INTERFACE_NAME,
                        MCTX_SUBJECT_INTERFACE, 0,
                        "interface name '%s' contains a character not "
                        "allowed in interface names",
                        name);
  }
  return MCTX_OK;
}

/* The scope after '%': a number is taken as the index itself, a name must be
 * an existing interface. */
static int
parse_scope(const char *text, const char *scope, uint32_t *scope_id,
            mctx_error *err)
{
  if (*scope == '\0')
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "'" MCTX__VALUE_FMT "' has an empty scope after '%%'",
                      MCTX__VALUE(text));
  if (is_all_digits(scope)) {
    if (!parse_decimal(scope, strlen(scope), UINT32_MAX, scope_id))
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "scope '" MCTX__VALUE_FMT "' of '" MCTX__VALUE_FMT
                        "' is not a valid interface index",
                        MCTX__VALUE(scope), MCTX__VALUE(text));
    return MCTX_OK;
  }
  int rc = mctx__interface_name_check(scope, strlen(scope) + 1, NULL);
  if (rc == MCTX_OK && (*scope_id = mctx__iface_name_to_index(scope)) == 0)
    return mctx__fail(
        err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE, 0,
        "interface '%s' (the scope of '" MCTX__VALUE_FMT "') does not exist",
        scope, MCTX__VALUE(text));
  if (rc != MCTX_OK)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "scope '" MCTX__VALUE_FMT "' of '" MCTX__VALUE_FMT
                      "' is not a valid interface name",
                      MCTX__VALUE(scope), MCTX__VALUE(text));
  return MCTX_OK;
}

int
mctx_ip_parse(const char *text, mctx_ip *out, mctx_error *err)
{
  if (text == NULL || out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no address text or result given");

  const char *percent = strchr(text, '%');
  size_t addr_len = percent ? (size_t) (percent - text) : strlen(text);
  char addr_text[ADDRESS_TEXT_MAX];
  if (addr_len >= sizeof addr_text)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "'" MCTX__VALUE_FMT "' is not an IPv4 or IPv6 address",
                      MCTX__VALUE(text));
  memcpy(addr_text, text, addr_len);
  addr_text[addr_len] = '\0';

  mctx_ip ip;
  memset(&ip, 0, sizeof ip);
  if (inet_pton(AF_INET, addr_text, ip.bytes) == 1) {
    if (percent != NULL)
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "'" MCTX__VALUE_FMT "': a scope is only allowed on "
                        "IPv6 addresses",
                        MCTX__VALUE(text));
    ip.family = MCTX_FAMILY_IPV4;
  } else if (inet_pton(AF_INET6, addr_text, ip.bytes) == 1) {
    ip.family = MCTX_FAMILY_IPV6;
    if (percent != NULL) {
      int rc = parse_scope(text, percent + 1, &ip.scope_id, err);
      if (rc != MCTX_OK)
        return rc;
    }
  } else {
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "'" MCTX__VALUE_FMT "' is not an IPv4 or IPv6 address",
                      MCTX__VALUE(text));
  }

  *out = ip;
  return mctx__ok(err);
}

static int
parse_port(const char *text, const char *port_text, uint16_t *port,
           mctx_error *err)
{
  uint32_t value;
  if (!parse_decimal(port_text, strlen(port_text), 65535, &value))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "port '" MCTX__VALUE_FMT "' of '" MCTX__VALUE_FMT
                      "' is not a number in 0..65535",
                      MCTX__VALUE(port_text), MCTX__VALUE(text));
  *port = (uint16_t) value;
  return MCTX_OK;
}

int
mctx_endpoint_parse(const char *text, mctx_endpoint *out, mctx_error *err)
{
  if (text == NULL || out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no endpoint text or result given");

  char host[ADDRESS_TEXT_MAX];
  const char *port_text;
  bool bracketed = text[0] == '[';

  if (bracketed) {
    const char *close = strchr(text, ']');
    if (close == NULL || close[1] != ':')
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "'" MCTX__VALUE_FMT "' is not an endpoint like "
                        "[ff3e::1]:5000",
                        MCTX__VALUE(text));
    size_t len = (size_t) (close - text - 1);
    if (len >= sizeof host)
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "'" MCTX__VALUE_FMT "' is not an endpoint like "
                        "[ff3e::1]:5000",
                        MCTX__VALUE(text));
    memcpy(host, text + 1, len);
    host[len] = '\0';
    port_text = close + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (colon == NULL)
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "'" MCTX__VALUE_FMT "' has no port (expected "
                        "ADDRESS:PORT)",
                        MCTX__VALUE(text));
    size_t len = (size_t) (colon - text);
    if (memchr(text, ':', len) != NULL)
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "'" MCTX__VALUE_FMT "': an IPv6 endpoint needs "
                        "brackets, like [ff3e::1]:5000",
                        MCTX__VALUE(text));
    if (len >= sizeof host)
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "'" MCTX__VALUE_FMT "' is not an endpoint like "
                        "239.1.2.3:5000",
                        MCTX__VALUE(text));
    memcpy(host, text, len);
    host[len] = '\0';
    port_text = colon + 1;
  }

  mctx_endpoint ep;
  memset(&ep, 0, sizeof ep);
  int rc = mctx_ip_parse(host, &ep.ip, err);
  if (rc != MCTX_OK)
    return rc;
  if (bracketed && ep.ip.family != MCTX_FAMILY_IPV6)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "'" MCTX__VALUE_FMT "': brackets are only for IPv6 "
                      "addresses",
                      MCTX__VALUE(text));
  rc = parse_port(text, port_text, &ep.port, err);
  if (rc != MCTX_OK)
    return rc;

  *out = ep;
  return mctx__ok(err);
}

char *
mctx_ip_format(const mctx_ip *ip, char *buf, size_t size)
{
  if (buf == NULL || size == 0)
    return buf;
  char text[INET6_ADDRSTRLEN];
  if (ip == NULL || ip->family == MCTX_FAMILY_UNSPEC) {
    snprintf(buf, size, "unspecified");
  } else if (ip->family == MCTX_FAMILY_IPV4) {
    inet_ntop(AF_INET, ip->bytes, text, sizeof text);
    snprintf(buf, size, "%s", text);
  } else if (ip->family == MCTX_FAMILY_IPV6) {
    inet_ntop(AF_INET6, ip->bytes, text, sizeof text);
    if (ip->scope_id != 0)
      snprintf(buf, size, "%s%%%u", text, (unsigned) ip->scope_id);
    else
      snprintf(buf, size, "%s", text);
  } else {
    snprintf(buf, size, "invalid-family-%d", (int) ip->family);
  }
  return buf;
}

char *
mctx_endpoint_format(const mctx_endpoint *ep, char *buf, size_t size)
{
  if (buf == NULL || size == 0)
    return buf;
  if (ep == NULL) {
    snprintf(buf, size, "unspecified");
    return buf;
  }
  char ip_text[MCTX_IP_STRLEN];
  mctx_ip_format(&ep->ip, ip_text, sizeof ip_text);
  if (ep->ip.family == MCTX_FAMILY_IPV6)
    snprintf(buf, size, "[%s]:%u", ip_text, (unsigned) ep->port);
  else
    snprintf(buf, size, "%s:%u", ip_text, (unsigned) ep->port);
  return buf;
}

bool
mctx_ip_equal(const mctx_ip *a, const mctx_ip *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->family != b->family)
    return false;
  /* Only the bytes of the family count: callers may leave the rest of a
   * hand-filled IPv4 address uninitialised. */
  if (memcmp(a->bytes, b->bytes, family_length(a->family)) != 0)
    return false;
  return a->family != MCTX_FAMILY_IPV6 || a->scope_id == b->scope_id;
}

bool
mctx_ip_is_multicast(const mctx_ip *ip)
{
  if (ip == NULL)
    return false;
  if (ip->family == MCTX_FAMILY_IPV4)
    return (ip->bytes[0] & 0xf0) == 0xe0;
  if (ip->family == MCTX_FAMILY_IPV6)
    return ip->bytes[0] == 0xff;
  return false;
}

bool
mctx_ip_is_unspecified(const mctx_ip *ip)
{
  if (ip == NULL)
    return false;
  size_t len = family_length(ip->family);
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    if (ip->bytes[i] != 0)
      return false;
  return true;
}

bool
mctx_ip_is_link_local_unicast(const mctx_ip *ip)
{
  return ip != NULL && ip->family == MCTX_FAMILY_IPV6 && ip->bytes[0] == 0xfe &&
         (ip->bytes[1] & 0xc0) == 0x80;
}

bool
mctx_ipv4_is_ssm_group(const mctx_ip *ip)
{
  return ip != NULL && ip->family == MCTX_FAMILY_IPV4 && ip->bytes[0] == 232;
}

bool
mctx_ipv6_is_ssm_group(const mctx_ip *ip)
{
  return ip != NULL && ip->family == MCTX_FAMILY_IPV6 && ip->bytes[0] == 0xff &&
         (ip->bytes[1] & 0xf0) == 0x30 && ip->bytes[2] == 0 &&
         ip->bytes[3] == 0;
}

bool
mctx_ip_is_ssm_group(const mctx_ip *ip)
{
  return mctx_ipv4_is_ssm_group(ip) || mctx_ipv6_is_ssm_group(ip);
}

int
mctx_ipv6_multicast_scope(const mctx_ip *ip)
{
  if (ip == NULL || ip->family != MCTX_FAMILY_IPV6 || ip->bytes[0] != 0xff)
    return -1;
  return ip->bytes[1] & 0x0f;
}

int
mctx_interface_parse(const char *text, mctx_interface *out, mctx_error *err)
{
  if (text == NULL || out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no interface text or result given");

  mctx_interface itf;
  memset(&itf, 0, sizeof itf);

  if (is_all_digits(text)) {
    /* "0" parses as index 0 so that validation reports it, as it would for
     * a hand-built config. */
    if (!parse_decimal(text, strlen(text), UINT32_MAX, &itf.index))
      return mctx__fail(err, MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
                        MCTX_SUBJECT_INTERFACE, 0,
                        "interface index " MCTX__VALUE_FMT " is out of range",
                        MCTX__VALUE(text));
    itf.kind = MCTX_INTERFACE_INDEX;
  } else {
    /* Interface names never contain ':' or '%', so such text must be an
     * address; its parse error is the one worth reporting. */
    bool looks_like_address = strpbrk(text, ":%") != NULL;
    int rc = mctx_ip_parse(text, &itf.address, looks_like_address ? err : NULL);
    if (rc == MCTX_OK) {
      itf.kind = MCTX_INTERFACE_ADDRESS;
    } else if (looks_like_address) {
      return rc;
    } else {
      rc = mctx__interface_name_check(text, strlen(text) + 1, err);
      if (rc != MCTX_OK)
        return rc;
      itf.kind = MCTX_INTERFACE_NAME;
      memcpy(itf.name, text, strlen(text) + 1);
    }
  }

  *out = itf;
  return mctx__ok(err);
}

char *
mctx_interface_format(const mctx_interface *itf, char *buf, size_t size)
{
  if (buf == NULL || size == 0)
    return buf;
  if (itf == NULL) {
    snprintf(buf, size, "default");
    return buf;
  }
  switch (itf->kind) {
    case MCTX_INTERFACE_NONE:
      snprintf(buf, size, "default");
      break;
    case MCTX_INTERFACE_ADDRESS:
      mctx_ip_format(&itf->address, buf, size);
      break;
    case MCTX_INTERFACE_INDEX:
      snprintf(buf, size, "%u", (unsigned) itf->index);
      break;
    case MCTX_INTERFACE_NAME:
      snprintf(buf, size, "%.*s", (int) strnlen(itf->name, sizeof itf->name),
               itf->name);
      break;
    default:
      snprintf(buf, size, "invalid-kind-%d", (int) itf->kind);
      break;
  }
  return buf;
}
