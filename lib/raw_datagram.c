/* Raw datagrams: config defaults and validation, and the checks every
 * datagram passes before anything is sent. Portable: no system call here.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Config validation follows mctx-core's raw config validation in its order;
 * our own checks (family value, TTL range, a family that can be inferred)
 * come last. Datagram checks are mctx-core's, always in its strict multicast
 * mode: there
 * is deliberately no way to send a raw datagram to a unicast address.
 * They read the header alone (d below holds at least the first
 * min(len, MCTX__RAW_HEAD_MAX) bytes of a len-byte datagram), so a datagram
 * in several buffers needs no gathering.
 */
#include "mctx-private.h"

#include <string.h>

#define IPV4_MIN_HEADER 20
#define IPV6_HEADER 40

void
mctx_raw_config_init (mctx_raw_config *cfg)
{
  if (cfg == NULL)
    return;
  memset (cfg, 0, sizeof *cfg);
  cfg->family = MCTX_FAMILY_UNSPEC;
  cfg->bind_addr.family = MCTX_FAMILY_UNSPEC;
  cfg->interface.kind = MCTX_INTERFACE_NONE;
  cfg->ttl = -1;
  cfg->loopback = true;
}

static const char *
family_name (mctx_family family)
{
  return family == MCTX_FAMILY_IPV4 ? "IPv4"
         : family == MCTX_FAMILY_IPV6 ? "IPv6"
         : "unspecified";
}

static bool
family_is_ip (mctx_family family)
{
  return family == MCTX_FAMILY_IPV4 || family == MCTX_FAMILY_IPV6;
}

static int
validate_bind (const mctx_raw_config *cfg, mctx_error *err)
{
  const mctx_ip *bind = &cfg->bind_addr;
  if (bind->family == MCTX_FAMILY_UNSPEC)
    return MCTX_OK;
  char text[MCTX_IP_STRLEN];
  mctx_ip_format (bind, text, sizeof text);
  if (!family_is_ip (bind->family))
    return mctx__fail (err, MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                       "raw bind address has family %d, not IPv4 or IPv6",
                       (int) bind->family);
  if (mctx_ip_is_multicast (bind))
    return mctx__fail (err, MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                       "raw bind address %s is a multicast address", text);
  if (mctx_ip_is_unspecified (bind))
    return mctx__fail (err, MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                       "raw bind address %s is unspecified; give an address "
                       "of the outgoing interface",
                       text);
  if (cfg->family != MCTX_FAMILY_UNSPEC && bind->family != cfg->family)
    return mctx__fail (err, MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                       "raw bind address %s is %s but the raw publication "
                       "is %s",
                       text, family_name (bind->family),
                       family_name (cfg->family));
  return MCTX_OK;
}

static int
validate_interface (const mctx_raw_config *cfg, mctx_error *err)
{
  const mctx_interface *itf = &cfg->interface;
  switch (itf->kind) {
  case MCTX_INTERFACE_NONE:
    return MCTX_OK;
  case MCTX_INTERFACE_ADDRESS: {
    const mctx_ip *addr = &itf->address;
    char text[MCTX_IP_STRLEN];
    mctx_ip_format (addr, text, sizeof text);
    if (!family_is_ip (addr->family) || mctx_ip_is_multicast (addr)
        || mctx_ip_is_unspecified (addr))
      return mctx__fail (err, MCTX_E_INVALID_INTERFACE_ADDRESS, MCTX_SUBJECT_INTERFACE, 0,
                         "interface address %s is not a unicast address",
                         text);
    if (cfg->family != MCTX_FAMILY_UNSPEC && addr->family != cfg->family)
      return mctx__fail (err, MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH, MCTX_SUBJECT_INTERFACE, 0,
                         "interface address %s is %s but the raw publication "
                         "is %s",
                         text, family_name (addr->family),
                         family_name (cfg->family));
    if (cfg->bind_addr.family != MCTX_FAMILY_UNSPEC
        && addr->family != cfg->bind_addr.family) {
      char bind_text[MCTX_IP_STRLEN];
      mctx_ip_format (&cfg->bind_addr, bind_text, sizeof bind_text);
      return mctx__fail (err, MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH, MCTX_SUBJECT_INTERFACE, 0,
                         "interface address %s is %s but the raw bind "
                         "address %s is %s",
                         text, family_name (addr->family), bind_text,
                         family_name (cfg->bind_addr.family));
    }
    return MCTX_OK;
  }
  case MCTX_INTERFACE_INDEX:
    if (itf->index == 0)
      return mctx__fail (err, MCTX_E_INVALID_IPV6_INTERFACE_INDEX, MCTX_SUBJECT_INTERFACE, 0,
                         "interface index 0 is not valid (indexes start at "
                         "1)");
    return MCTX_OK;
  case MCTX_INTERFACE_NAME:
    return mctx__interface_name_check (itf->name, sizeof itf->name, err);
  default:
    return mctx__fail (err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_INTERFACE, 0,
                       "interface kind %d is not valid", (int) itf->kind);
  }
}

int
mctx_raw_config_validate (const mctx_raw_config *cfg, mctx_error *err)
{
  if (cfg == NULL)
    return mctx__fail (err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0, "no raw config given");
  if (cfg->family != MCTX_FAMILY_UNSPEC && !family_is_ip (cfg->family))
    return mctx__fail (err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_FAMILY, 0,
                       "raw family %d is not valid (4, 6 or unspecified)",
                       (int) cfg->family);

  if (cfg->bind_addr.family == MCTX_FAMILY_UNSPEC
      && cfg->interface.kind == MCTX_INTERFACE_NONE)
    return mctx__fail (err, MCTX_E_RAW_INTERFACE_REQUIRED, MCTX_SUBJECT_INTERFACE, 0,
                       "a raw publication needs a bind address or an "
                       "outgoing interface");

  int rc = validate_bind (cfg, err);
  if (rc != MCTX_OK)
    return rc;
  rc = validate_interface (cfg, err);
  if (rc != MCTX_OK)
    return rc;

  if (cfg->ttl < -1 || cfg->ttl > 255)
    return mctx__fail (err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL, 0,
                       "raw TTL override %d is outside 0..255 (-1 for none)",
                       cfg->ttl);

  /* A name or an index alone does not say which family the datagrams are,
   * and the sockets to open depend on it. */
  if (cfg->family == MCTX_FAMILY_UNSPEC
      && cfg->bind_addr.family == MCTX_FAMILY_UNSPEC
      && cfg->interface.kind != MCTX_INTERFACE_ADDRESS) {
    char itf_text[MCTX_IP_STRLEN];
    mctx_interface_format (&cfg->interface, itf_text, sizeof itf_text);
    return mctx__fail (err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_FAMILY, 0,
                       "the raw family cannot be inferred from interface %s; "
                       "set it to IPv4 or IPv6",
                       itf_text);
  }
  return mctx__ok (err);
}

static uint16_t
read_be16 (const uint8_t *p)
{
  return (uint16_t) ((p[0] << 8) | p[1]);
}

static int
check_ipv4 (const uint8_t *d, size_t len, mctx_raw_datagram_info *info,
            mctx_error *err)
{
  if (len < IPV4_MIN_HEADER)
    return mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                       "IPv4 datagram of %zu bytes is shorter than the "
                       "20-byte minimum header",
                       len);
  size_t header_len = (size_t) (d[0] & 0x0f) * 4;
  if (header_len < IPV4_MIN_HEADER)
    return mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                       "IPv4 header length %zu (IHL %u) is below 20 bytes",
                       header_len, (unsigned) (d[0] & 0x0f));
  if (header_len > len)
    return mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                       "IPv4 header length %zu exceeds the datagram's %zu "
                       "bytes",
                       header_len, len);
  size_t total = read_be16 (d + 2);
  if (total != len)
    return mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                       "IPv4 total length field %zu does not match the "
                       "datagram's %zu bytes",
                       total, len);
  info->family = MCTX_FAMILY_IPV4;
  info->source.family = MCTX_FAMILY_IPV4;
  memcpy (info->source.bytes, d + 12, 4);
  info->destination.family = MCTX_FAMILY_IPV4;
  memcpy (info->destination.bytes, d + 16, 4);
  info->protocol = d[9];
  info->header_len = header_len;
  return MCTX_OK;
}

static int
check_ipv6 (const uint8_t *d, size_t len, mctx_raw_datagram_info *info,
            mctx_error *err)
{
  if (len < IPV6_HEADER)
    return mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                       "IPv6 datagram of %zu bytes is shorter than the "
                       "40-byte header",
                       len);
  size_t payload = read_be16 (d + 4);
  if (IPV6_HEADER + payload != len)
    return mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                       "IPv6 payload length field %zu plus the 40-byte header "
                       "does not match the datagram's %zu bytes",
                       payload, len);
  info->family = MCTX_FAMILY_IPV6;
  info->source.family = MCTX_FAMILY_IPV6;
  memcpy (info->source.bytes, d + 8, 16);
  info->destination.family = MCTX_FAMILY_IPV6;
  memcpy (info->destination.bytes, d + 24, 16);
  info->protocol = d[6];
  info->header_len = IPV6_HEADER;
  return MCTX_OK;
}

/* The checks read only the header: the first MCTX__RAW_HEAD_MAX bytes at
 * most, so a datagram given in several buffers is checked without being
 * gathered (posix/raw.c). */
int
mctx__raw_datagram_check_head (const uint8_t *head, size_t len,
                               mctx_raw_datagram_info *info, mctx_error *err)
{
  if (len == 0)
    return mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                       "raw datagram is empty");

  mctx_raw_datagram_info found;
  memset (&found, 0, sizeof found);
  unsigned version = head[0] >> 4;
  int rc;
  if (version == 4)
    rc = check_ipv4 (head, len, &found, err);
  else if (version == 6)
    rc = check_ipv6 (head, len, &found, err);
  else
    rc = mctx__fail (err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                     "IP version %u is not supported (only 4 and 6)",
                     version);
  if (rc != MCTX_OK)
    return rc;

  if (!mctx_ip_is_multicast (&found.destination)) {
    char text[MCTX_IP_STRLEN];
    mctx_ip_format (&found.destination, text, sizeof text);
    return mctx__fail (err, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION, MCTX_SUBJECT_DATAGRAM, 0,
                       "raw datagram destination %s is not a multicast "
                       "address; raw datagrams go to multicast groups only",
                       text);
  }
  if (info != NULL)
    *info = found;
  return mctx__ok (err);
}

int
mctx_raw_datagram_check (const void *datagram, size_t len,
                         mctx_raw_datagram_info *info, mctx_error *err)
{
  if (datagram == NULL && len != 0)
    return mctx__fail (err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                       "no raw datagram given (NULL with length %zu)", len);
  return mctx__raw_datagram_check_head (datagram, len, info, err);
}

mctx_family
mctx__raw_family (const mctx_raw_config *cfg)
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
mctx__raw_egress (const mctx_raw_config *cfg, uint32_t *ifindex,
                  mctx_ip *egress, mctx_error *err)
{
  mctx_family family = mctx__raw_family (cfg);
  uint32_t itf_index = 0, bind_index = 0;
  int rc;

  if (cfg->interface.kind != MCTX_INTERFACE_NONE) {
    rc = mctx__iface_resolve (&cfg->interface, &itf_index, err);
    if (rc != MCTX_OK)
      return rc;
  }
  if (cfg->bind_addr.family != MCTX_FAMILY_UNSPEC) {
    rc = mctx__iface_index_of_addr (&cfg->bind_addr, &bind_index, err);
    if (rc != MCTX_OK)
      return rc;
  }
  if (itf_index != 0 && bind_index != 0 && itf_index != bind_index) {
    char bind_text[MCTX_IP_STRLEN], itf_text[MCTX_IP_STRLEN];
    mctx_ip_format (&cfg->bind_addr, bind_text, sizeof bind_text);
    mctx_interface_format (&cfg->interface, itf_text, sizeof itf_text);
    int code = family == MCTX_FAMILY_IPV4
                   ? MCTX_E_INTERFACE_DISCOVERY_FAILED
                   : MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH;
    return mctx__fail (err, code, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
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
      return mctx__iface_first_ipv4 (*ifindex, egress, err);
  }
  return MCTX_OK;
}
