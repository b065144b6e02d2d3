/* Raw datagrams: config defaults and validation, and the checks every
 * datagram passes before anything is sent. Portable: no system call here.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Config validation follows mctx-core's raw config validation in its order;
 * our own checks (family value, TTL range, a family that can be inferred)
 * come last. Datagram checks are mctx-core's, in its strict multicast mode
 * unless the config asks for any destination (or raw-ip's stricter checks);
 * a source that no host can have (multicast, unspecified, the IPv4
 * broadcast address) is refused in every mode, as receivers would drop it.
 * They read the header alone (d below holds at least the first
 * min(len, MCTX__RAW_HEAD_MAX) bytes of a len-byte datagram), so a datagram
 * in several buffers needs no gathering.
 */
#include "mctx-private.h"

#include <string.h>

#define IPV4_MIN_HEADER 20
#define IPV6_HEADER 40

void
mctx_raw_config_init(mctx_raw_config *cfg)
{
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->family = MCTX_FAMILY_UNSPEC;
  cfg->bind_addr.family = MCTX_FAMILY_UNSPEC;
  cfg->interface.kind = MCTX_INTERFACE_NONE;
  cfg->ttl = -1;
  cfg->loopback = true;
}

static const char *
family_name(mctx_family family)
{
  return family == MCTX_FAMILY_IPV4   ? "IPv4"
         : family == MCTX_FAMILY_IPV6 ? "IPv6"
                                      : "unspecified";
}

static bool
family_is_ip(mctx_family family)
{
  return family == MCTX_FAMILY_IPV4 || family == MCTX_FAMILY_IPV6;
}

static int
validate_bind(const mctx_raw_config *cfg, mctx_error *err)
{
  const mctx_ip *bind = &cfg->bind_addr;
  if (bind->family == MCTX_FAMILY_UNSPEC)
    return MCTX_OK;
  char text[MCTX_IP_STRLEN];
  mctx_ip_format(bind, text, sizeof text);
  if (!family_is_ip(bind->family))
    return mctx__fail(
        err, MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
        "raw bind address has family %d, not IPv4 or IPv6", (int) bind->family);
  if (mctx_ip_is_multicast(bind))
    return mctx__fail(err, MCTX_E_INVALID_RAW_BIND_ADDRESS,
                      MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "raw bind address %s is a multicast address", text);
  if (mctx_ip_is_unspecified(bind))
    return mctx__fail(err, MCTX_E_INVALID_RAW_BIND_ADDRESS,
                      MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "raw bind address %s is unspecified; give an address "
                      "of the outgoing interface",
                      text);
  if (cfg->family != MCTX_FAMILY_UNSPEC && bind->family != cfg->family)
    return mctx__fail(err, MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH,
                      MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "raw bind address %s is %s but the raw publication "
                      "is %s",
                      text, family_name(bind->family),
                      family_name(cfg->family));
  return MCTX_OK;
}

static int
validate_interface(const mctx_raw_config *cfg, mctx_error *err)
{
  const mctx_interface *itf = &cfg->interface;
  switch (itf->kind) {
    case MCTX_INTERFACE_NONE:
      return MCTX_OK;
    case MCTX_INTERFACE_ADDRESS: {
      const mctx_ip *addr = &itf->address;
      char text[MCTX_IP_STRLEN];
      mctx_ip_format(addr, text, sizeof text);
      if (!family_is_ip(addr->family) || mctx_ip_is_multicast(addr) ||
          mctx_ip_is_unspecified(addr))
        return mctx__fail(
            err, MCTX_E_INVALID_INTERFACE_ADDRESS, MCTX_SUBJECT_INTERFACE, 0,
            "interface address %s is not a unicast address", text);
      if (cfg->family != MCTX_FAMILY_UNSPEC && addr->family != cfg->family)
        return mctx__fail(err, MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
                          MCTX_SUBJECT_INTERFACE, 0,
                          "interface address %s is %s but the raw publication "
                          "is %s",
                          text, family_name(addr->family),
                          family_name(cfg->family));
      if (cfg->bind_addr.family != MCTX_FAMILY_UNSPEC &&
          addr->family != cfg->bind_addr.family) {
        char bind_text[MCTX_IP_STRLEN];
        mctx_ip_format(&cfg->bind_addr, bind_text, sizeof bind_text);
        return mctx__fail(err, MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
                          MCTX_SUBJECT_INTERFACE, 0,
                          "interface address %s is %s but the raw bind "
                          "address %s is %s",
                          text, family_name(addr->family), bind_text,
                          family_name(cfg->bind_addr.family));
      }
      return MCTX_OK;
    }
    case MCTX_INTERFACE_INDEX:
      if (itf->index == 0)
        return mctx__fail(err, MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
                          MCTX_SUBJECT_INTERFACE, 0,
                          "interface index 0 is not valid (indexes start at "
                          "1)");
      return MCTX_OK;
    case MCTX_INTERFACE_NAME:
      return mctx__interface_name_check(itf->name, sizeof itf->name, err);
    default:
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_INTERFACE, 0,
                        "interface kind %d is not valid", (int) itf->kind);
  }
}

/* mctx-core's rules: the kernel picks the egress, so nothing may pin it,
 * the family must be known up front, and no TTL override is offered. */
static int
validate_route_selected(const mctx_raw_config *cfg, mctx_error *err)
{
  const char *why = cfg->bind_addr.family != MCTX_FAMILY_UNSPEC
                        ? "takes no bind address"
                    : cfg->interface.kind != MCTX_INTERFACE_NONE
                        ? "takes no outgoing interface"
                    : cfg->family == MCTX_FAMILY_UNSPEC
                        ? "needs the family set to IPv4 or IPv6"
                    : cfg->ttl != -1 ? "offers no TTL override (ttl -1)"
                                     : NULL;
  if (why != NULL)
    return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_ARGUMENT, 0,
                      "route-selected raw egress %s", why);
  return mctx__ok(err);
}

int
mctx_raw_config_validate(const mctx_raw_config *cfg, mctx_error *err)
{
  if (cfg == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no raw config given");
  if (cfg->family != MCTX_FAMILY_UNSPEC && !family_is_ip(cfg->family))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_FAMILY, 0,
                      "raw family %d is not valid (4, 6 or unspecified)",
                      (int) cfg->family);
  if (cfg->validation > MCTX_RAW_VALIDATION_IP_DATAGRAM)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "raw validation mode %d is not valid",
                      (int) cfg->validation);

  if (cfg->egress == MCTX_RAW_EGRESS_ROUTE_SELECTED)
    return validate_route_selected(cfg, err);
  if (cfg->egress != MCTX_RAW_EGRESS_EXPLICIT)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "raw egress mode %d is not valid", (int) cfg->egress);

  if (cfg->bind_addr.family == MCTX_FAMILY_UNSPEC &&
      cfg->interface.kind == MCTX_INTERFACE_NONE)
    return mctx__fail(err, MCTX_E_RAW_INTERFACE_REQUIRED,
                      MCTX_SUBJECT_INTERFACE, 0,
                      "a raw publication needs a bind address or an "
                      "outgoing interface");

  int rc = validate_bind(cfg, err);
  if (rc != MCTX_OK)
    return rc;
  rc = validate_interface(cfg, err);
  if (rc != MCTX_OK)
    return rc;

  if (cfg->ttl < -1 || cfg->ttl > 255)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL, 0,
                      "raw TTL override %d is outside 0..255 (-1 for none)",
                      cfg->ttl);

  /* A name or an index alone does not say which family the datagrams are,
   * and the sockets to open depend on it. */
  if (cfg->family == MCTX_FAMILY_UNSPEC &&
      cfg->bind_addr.family == MCTX_FAMILY_UNSPEC &&
      cfg->interface.kind != MCTX_INTERFACE_ADDRESS) {
    char itf_text[MCTX_IP_STRLEN];
    mctx_interface_format(&cfg->interface, itf_text, sizeof itf_text);
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_FAMILY, 0,
                      "the raw family cannot be inferred from interface %s; "
                      "set it to IPv4 or IPv6",
                      itf_text);
  }
  return mctx__ok(err);
}

static uint16_t
read_be16(const uint8_t *p)
{
  return (uint16_t) ((p[0] << 8) | p[1]);
}

static int
check_ipv4(const uint8_t *d, size_t len, mctx_raw_datagram_info *info,
           mctx_error *err)
{
  if (len < IPV4_MIN_HEADER)
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0,
                      "IPv4 datagram of %zu bytes is shorter than the "
                      "20-byte minimum header",
                      len);
  size_t header_len = (size_t) (d[0] & 0x0f) * 4;
  if (header_len < IPV4_MIN_HEADER)
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0, "IPv4 header length %zu (IHL %u) is below 20 bytes",
                      header_len, (unsigned) (d[0] & 0x0f));
  if (header_len > len)
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0,
                      "IPv4 header length %zu exceeds the datagram's %zu "
                      "bytes",
                      header_len, len);
  size_t total = read_be16(d + 2);
  if (total != len)
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0,
                      "IPv4 total length field %zu does not match the "
                      "datagram's %zu bytes",
                      total, len);
  info->family = MCTX_FAMILY_IPV4;
  info->source.family = MCTX_FAMILY_IPV4;
  memcpy(info->source.bytes, d + 12, 4);
  info->destination.family = MCTX_FAMILY_IPV4;
  memcpy(info->destination.bytes, d + 16, 4);
  info->protocol = d[9];
  info->header_len = header_len;
  return MCTX_OK;
}

static int
check_ipv6(const uint8_t *d, size_t len, mctx_raw_datagram_info *info,
           mctx_error *err)
{
  if (len < IPV6_HEADER)
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0,
                      "IPv6 datagram of %zu bytes is shorter than the "
                      "40-byte header",
                      len);
  size_t payload = read_be16(d + 4);
  if (IPV6_HEADER + payload != len)
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0,
                      "IPv6 payload length field %zu plus the 40-byte header "
                      "does not match the datagram's %zu bytes",
                      payload, len);
  info->family = MCTX_FAMILY_IPV6;
  info->source.family = MCTX_FAMILY_IPV6;
  memcpy(info->source.bytes, d + 8, 16);
  info->destination.family = MCTX_FAMILY_IPV6;
  memcpy(info->destination.bytes, d + 24, 16);
  info->protocol = d[6];
  info->header_len = IPV6_HEADER;
  return MCTX_OK;
}

/* Ones' complement sum of the header, its checksum field included: 0xffff
 * when the checksum is right. */
static bool
ipv4_header_checksum_ok(const uint8_t *header, size_t header_len)
{
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header_len; i += 2)
    sum += read_be16(header + i);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

static bool
is_ipv4_broadcast(const mctx_ip *ip)
{
  return ip->family == MCTX_FAMILY_IPV4 && ip->bytes[0] == 255 &&
         ip->bytes[1] == 255 && ip->bytes[2] == 255 && ip->bytes[3] == 255;
}

/* No host sends from these, and receivers drop what claims to. */
static int
check_source(const mctx_raw_datagram_info *info, mctx_error *err)
{
  const char *what = mctx_ip_is_multicast(&info->source)     ? "a multicast"
                     : mctx_ip_is_unspecified(&info->source) ? "the unspecified"
                     : is_ipv4_broadcast(&info->source)      ? "the broadcast"
                                                             : NULL;
  if (what == NULL)
    return MCTX_OK;
  char text[MCTX_IP_STRLEN];
  mctx_ip_format(&info->source, text, sizeof text);
  return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                    "raw datagram source %s is %s address; a datagram's "
                    "source must be a unicast address",
                    text, what);
}

static int
check_destination(const mctx_raw_datagram_info *info, mctx_raw_validation mode,
                  mctx_error *err)
{
  if (mctx_ip_is_multicast(&info->destination))
    return MCTX_OK;
  char text[MCTX_IP_STRLEN];
  mctx_ip_format(&info->destination, text, sizeof text);
  if (mode == MCTX_RAW_VALIDATION_STRICT_MULTICAST)
    return mctx__fail(err, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                      MCTX_SUBJECT_DATAGRAM, 0,
                      "raw datagram destination %s is not a multicast "
                      "address; raw datagrams go to multicast groups only",
                      text);
  if (mctx_ip_is_unspecified(&info->destination) ||
      is_ipv4_broadcast(&info->destination))
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0,
                      "raw datagram destination %s is neither a multicast "
                      "nor a unicast address",
                      text);
  return MCTX_OK;
}

/* The checks read only the header: the first MCTX__RAW_HEAD_MAX bytes at
 * most, so a datagram given in several buffers is checked without being
 * gathered (posix/raw.c). */
int
mctx__raw_datagram_check_head(const uint8_t *head, size_t len,
                              mctx_raw_validation mode,
                              mctx_raw_datagram_info *info, mctx_error *err)
{
  if (len == 0)
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0, "raw datagram is empty");

  mctx_raw_datagram_info found;
  memset(&found, 0, sizeof found);
  unsigned version = head[0] >> 4;
  int rc;
  if (version == 4)
    rc = check_ipv4(head, len, &found, err);
  else if (version == 6)
    rc = check_ipv6(head, len, &found, err);
  else
    rc = mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                    "IP version %u is not supported (only 4 and 6)", version);
  if (rc != MCTX_OK)
    return rc;
  rc = check_source(&found, err);
  if (rc != MCTX_OK)
    return rc;
  rc = check_destination(&found, mode, err);
  if (rc != MCTX_OK)
    return rc;
  if (mode == MCTX_RAW_VALIDATION_IP_DATAGRAM && version == 4 &&
      !ipv4_header_checksum_ok(head, found.header_len))
    return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                      0, "IPv4 header checksum 0x%04x is not valid",
                      (unsigned) read_be16(head + 10));
  if (info != NULL)
    *info = found;
  return mctx__ok(err);
}

int
mctx_raw_datagram_check_mode(const void *datagram, size_t len,
                             mctx_raw_validation mode,
                             mctx_raw_datagram_info *info, mctx_error *err)
{
  if (datagram == NULL && len != 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no raw datagram given (NULL with length %zu)", len);
  if (mode < MCTX_RAW_VALIDATION_STRICT_MULTICAST ||
      mode > MCTX_RAW_VALIDATION_IP_DATAGRAM)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "raw validation mode %d is not valid", (int) mode);
  return mctx__raw_datagram_check_head(datagram, len, mode, info, err);
}

int
mctx_raw_datagram_check(const void *datagram, size_t len,
                        mctx_raw_datagram_info *info, mctx_error *err)
{
  return mctx_raw_datagram_check_mode(
      datagram, len, MCTX_RAW_VALIDATION_STRICT_MULTICAST, info, err);
}

mctx_family
mctx__raw_family(const mctx_raw_config *cfg)
{
  if (cfg->family != MCTX_FAMILY_UNSPEC)
    return cfg->family;
  if (cfg->bind_addr.family != MCTX_FAMILY_UNSPEC)
    return cfg->bind_addr.family;
  return cfg->interface.address.family; /* validation made it an address */
}

/* As mctx-core selects the egress: the interface and the bind address, when
 * both are given, must name the same interface. */
int
mctx__raw_egress(const mctx_raw_config *cfg, uint32_t *ifindex, mctx_ip *egress,
                 mctx_error *err)
{
  mctx_family family = mctx__raw_family(cfg);
  uint32_t itf_index = 0, bind_index = 0;
  int rc;

  if (cfg->interface.kind != MCTX_INTERFACE_NONE) {
    rc = mctx__iface_resolve(&cfg->interface, &itf_index, err);
    if (rc != MCTX_OK)
      return rc;
  }
  if (cfg->bind_addr.family != MCTX_FAMILY_UNSPEC) {
    rc = mctx__iface_index_of_addr(&cfg->bind_addr, &bind_index, err);
    if (rc != MCTX_OK)
      return rc;
  }
  if (itf_index != 0 && bind_index != 0 && itf_index != bind_index) {
    char bind_text[MCTX_IP_STRLEN], itf_text[MCTX_IP_STRLEN];
    mctx_ip_format(&cfg->bind_addr, bind_text, sizeof bind_text);
    mctx_interface_format(&cfg->interface, itf_text, sizeof itf_text);
    int code = family == MCTX_FAMILY_IPV4
                   ? MCTX_E_INTERFACE_DISCOVERY_FAILED
                   : MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH;
    return mctx__fail(err, code, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "raw bind address %s is on interface index %u but "
                      "the outgoing interface %s is index %u",
                      bind_text, (unsigned) bind_index, itf_text,
                      (unsigned) itf_index);
  }
  *ifindex = itf_index != 0 ? itf_index : bind_index;
  *egress = cfg->bind_addr;
  if (family == MCTX_FAMILY_IPV4 && egress->family == MCTX_FAMILY_UNSPEC) {
    if (cfg->interface.kind == MCTX_INTERFACE_ADDRESS)
      *egress = cfg->interface.address;
    else
      return mctx__iface_first_ipv4(*ifindex, egress, err);
  }
  return MCTX_OK;
}

const char *
mctx_raw_capability_name(mctx_raw_capability cap)
{
  switch (cap) {
    case MCTX_RAW_CAPABILITY_FULL_DATAGRAM:
      return "full-datagram";
    case MCTX_RAW_CAPABILITY_KERNEL_REBUILT_IPV6_HEADER:
      return "kernel-rebuilt-ipv6-header";
    case MCTX_RAW_CAPABILITY_UNSUPPORTED:
    default:
      return "unsupported";
  }
}
