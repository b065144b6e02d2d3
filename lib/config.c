/* Publication config: defaults, mctx-core's with_bind_addr, validation and
 * equality.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Validation runs in mctx-core's order (destination port, group, source port,
 * source address, interface) so a config with several faults reports the same
 * first fault as mctx-core would; our own checks (ttl range for IPv4, dscp,
 * send buffer) come last.
 */
#include "mctx-private.h"

#include <string.h>

void
mctx_publication_config_init(mctx_publication_config *cfg)
{
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->group.family = MCTX_FAMILY_UNSPEC;
  cfg->source_addr.family = MCTX_FAMILY_UNSPEC;
  cfg->interface.kind = MCTX_INTERFACE_NONE;
  cfg->ttl = 1;
  cfg->loopback = true;
  cfg->dscp = -1;
  cfg->send_buffer_size = 0;
  cfg->report_local_drops = true;
  cfg->gso = MCTX_GSO_AUTO;
  cfg->pacing_rate_bps = 0;
  cfg->pacing_burst = MCTX__PACING_BURST_DEFAULT;
}

int
mctx_publication_config_init_group(mctx_publication_config *cfg,
                                   const char *group, uint16_t dst_port,
                                   mctx_error *err)
{
  if (cfg == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no config given");
  mctx_publication_config_init(cfg);
  int rc = mctx_ip_parse(group, &cfg->group, err);
  if (rc != MCTX_OK)
    return rc;
  cfg->dst_port = dst_port;
  return mctx__ok(err);
}

void
mctx_publication_config_set_bind(mctx_publication_config *cfg,
                                 const mctx_endpoint *ep)
{
  if (cfg == NULL || ep == NULL)
    return;
  /* The scope is not part of the source address: as in mctx-core it selects
   * the outgoing interface instead, overriding any earlier choice. */
  cfg->source_addr = ep->ip;
  cfg->source_addr.scope_id = 0;
  cfg->has_source_port = true;
  cfg->source_port = ep->port;
  if (ep->ip.family == MCTX_FAMILY_IPV6 && ep->ip.scope_id != 0) {
    memset(&cfg->interface, 0, sizeof cfg->interface);
    cfg->interface.kind = MCTX_INTERFACE_INDEX;
    cfg->interface.index = ep->ip.scope_id;
  }
}

static const char *
family_name(mctx_family family)
{
  return family == MCTX_FAMILY_IPV4   ? "IPv4"
         : family == MCTX_FAMILY_IPV6 ? "IPv6"
                                      : "of no family";
}

static int
validate_source(const mctx_publication_config *cfg, const char *group_text,
                mctx_error *err)
{
  const mctx_ip *src = &cfg->source_addr;
  if (src->family == MCTX_FAMILY_UNSPEC)
    return MCTX_OK;
  char text[MCTX_IP_STRLEN];
  mctx_ip_format(src, text, sizeof text);
  if (src->family != MCTX_FAMILY_IPV4 && src->family != MCTX_FAMILY_IPV6)
    return mctx__fail(
        err, MCTX_E_INVALID_SOURCE_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
        "source address has an unknown family (%d)", (int) src->family);
  if (mctx_ip_is_multicast(src))
    return mctx__fail(err, MCTX_E_INVALID_SOURCE_ADDRESS,
                      MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "source address %s is multicast", text);
  if (mctx_ip_is_unspecified(src))
    return mctx__fail(err, MCTX_E_INVALID_SOURCE_ADDRESS,
                      MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "source address %s is unspecified", text);
  if (src->family != cfg->group.family)
    return mctx__fail(
        err, MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH, MCTX_SUBJECT_SOURCE_ADDRESS,
        0, "source address %s is %s but group %s is %s", text,
        family_name(src->family), group_text, family_name(cfg->group.family));
  return MCTX_OK;
}

static int
validate_interface_address(const mctx_publication_config *cfg,
                           const char *group_text, mctx_error *err)
{
  const mctx_ip *addr = &cfg->interface.address;
  char text[MCTX_IP_STRLEN];
  mctx_ip_format(addr, text, sizeof text);
  if (addr->family != MCTX_FAMILY_IPV4 && addr->family != MCTX_FAMILY_IPV6)
    return mctx__fail(err, MCTX_E_INVALID_INTERFACE_ADDRESS,
                      MCTX_SUBJECT_INTERFACE, 0, "interface address is %s",
                      text);
  /* A foreign-family address cannot be multicast "for this group", so its
   * family is what is wrong with it. */
  if (addr->family != cfg->group.family)
    return mctx__fail(
        err, MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH, MCTX_SUBJECT_INTERFACE,
        0, "interface address %s is %s but group %s is %s", text,
        family_name(addr->family), group_text, family_name(cfg->group.family));
  if (mctx_ip_is_multicast(addr))
    return mctx__fail(err, MCTX_E_INVALID_INTERFACE_ADDRESS,
                      MCTX_SUBJECT_INTERFACE, 0,
                      "interface address %s is multicast", text);
  if (mctx_ip_is_unspecified(addr))
    return mctx__fail(err, MCTX_E_INVALID_INTERFACE_ADDRESS,
                      MCTX_SUBJECT_INTERFACE, 0,
                      "interface address %s is unspecified", text);
  return MCTX_OK;
}

static int
validate_interface(const mctx_publication_config *cfg, const char *group_text,
                   mctx_error *err)
{
  const mctx_interface *itf = &cfg->interface;
  switch (itf->kind) {
    case MCTX_INTERFACE_NONE:
      return MCTX_OK;
    case MCTX_INTERFACE_ADDRESS:
      return validate_interface_address(cfg, group_text, err);
    case MCTX_INTERFACE_INDEX:
      /* Unlike mctx-core (IPv6 only), an index is fine for IPv4 groups too:
     * IPv4 selects it with ip_mreqn. */
      if (itf->index == 0)
        return mctx__fail(err, MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
                          MCTX_SUBJECT_INTERFACE, 0,
                          "interface index 0 is not valid (must be > 0)");
      return MCTX_OK;
    case MCTX_INTERFACE_NAME:
      return mctx__interface_name_check(itf->name, sizeof itf->name, err);
    default:
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_INTERFACE, 0,
                        "interface kind %d is not valid", (int) itf->kind);
  }
}

/* Ours, beyond mctx-core: values the kernel would refuse later with a less
 * helpful error. */
static int
validate_options(const mctx_publication_config *cfg, mctx_error *err)
{
  if (cfg->group.family == MCTX_FAMILY_IPV4 && cfg->ttl > 255 &&
      cfg->ttl != MCTX_TTL_UNCHANGED)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL, 0,
                      "ttl %u is not valid for IPv4 (0..255)",
                      (unsigned) cfg->ttl);
  if (cfg->dscp < -1 || cfg->dscp > 63)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP, 0,
                      "dscp %d is not valid (0..63, or -1 to leave it)",
                      cfg->dscp);
  if (cfg->send_buffer_size < 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT,
                      MCTX_SUBJECT_SEND_BUFFER_SIZE, 0,
                      "send buffer size %d is not valid (0 leaves it as is)",
                      cfg->send_buffer_size);
  if (mctx_gso_mode_name(cfg->gso) == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "gso %d is not valid (auto, on or off)", (int) cfg->gso);
  return mctx__pacing_check(cfg->pacing_rate_bps, cfg->pacing_burst, err);
}

const char *
mctx_gso_mode_name(mctx_gso_mode mode)
{
  switch (mode) {
    case MCTX_GSO_OFF:
      return "off";
    case MCTX_GSO_ON:
      return "on";
    case MCTX_GSO_AUTO:
      return "auto";
  }
  return NULL;
}

int
mctx_gso_mode_parse(const char *text, mctx_gso_mode *out, mctx_error *err)
{
  static const struct {
    const char *text;
    mctx_gso_mode mode;
  } names[] = {{"auto", MCTX_GSO_AUTO}, {"on", MCTX_GSO_ON},
               {"off", MCTX_GSO_OFF},   {"true", MCTX_GSO_ON},
               {"false", MCTX_GSO_OFF}, {"1", MCTX_GSO_ON},
               {"0", MCTX_GSO_OFF}};
  if (text == NULL || out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "text and out must not be NULL");
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(text, names[i].text) == 0) {
      *out = names[i].mode;
      return mctx__ok(err);
    }
  return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                    "gso '" MCTX__VALUE_FMT "' is not auto, on or off",
                    MCTX__VALUE(text));
}

int
mctx_publication_config_validate(const mctx_publication_config *cfg,
                                 mctx_error *err)
{
  if (cfg == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no config given");

  if (cfg->dst_port == 0)
    return mctx__fail(err, MCTX_E_INVALID_DESTINATION_PORT,
                      MCTX_SUBJECT_DESTINATION_PORT, 0,
                      "destination port 0 is not valid (1..65535)");

  char group_text[MCTX_IP_STRLEN];
  mctx_ip_format(&cfg->group, group_text, sizeof group_text);
  if (cfg->group.family == MCTX_FAMILY_UNSPEC)
    return mctx__fail(err, MCTX_E_INVALID_MULTICAST_GROUP, MCTX_SUBJECT_GROUP,
                      0, "group is not set (unspecified)");
  if (!mctx_ip_is_multicast(&cfg->group))
    return mctx__fail(err, MCTX_E_INVALID_MULTICAST_GROUP, MCTX_SUBJECT_GROUP,
                      0, "group %s is not a multicast address", group_text);

  if (cfg->has_source_port && cfg->source_port == 0)
    return mctx__fail(err, MCTX_E_INVALID_SOURCE_PORT, MCTX_SUBJECT_SOURCE_PORT,
                      0, "source port 0 is not valid (1..65535)");

  int rc = validate_source(cfg, group_text, err);
  if (rc != MCTX_OK)
    return rc;
  rc = validate_interface(cfg, group_text, err);
  if (rc != MCTX_OK)
    return rc;
  rc = validate_options(cfg, err);
  if (rc != MCTX_OK)
    return rc;
  return mctx__ok(err);
}

static bool
interface_equal(const mctx_interface *a, const mctx_interface *b)
{
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
    case MCTX_INTERFACE_ADDRESS:
      return mctx_ip_equal(&a->address, &b->address);
    case MCTX_INTERFACE_INDEX:
      return a->index == b->index;
    case MCTX_INTERFACE_NAME:
      return strncmp(a->name, b->name, sizeof a->name) == 0;
    default:
      return true;
  }
}

bool
mctx_publication_config_equal(const mctx_publication_config *a,
                              const mctx_publication_config *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  /* A source port that is not used does not distinguish configs, as with
   * mctx-core's Option<u16>. */
  bool same_source_port =
      a->has_source_port == b->has_source_port &&
      (!a->has_source_port || a->source_port == b->source_port);
  return mctx_ip_equal(&a->group, &b->group) && a->dst_port == b->dst_port &&
         mctx_ip_equal(&a->source_addr, &b->source_addr) && same_source_port &&
         interface_equal(&a->interface, &b->interface) && a->ttl == b->ttl &&
         a->loopback == b->loopback && a->dscp == b->dscp &&
         a->send_buffer_size == b->send_buffer_size &&
         a->report_local_drops == b->report_local_drops && a->gso == b->gso &&
         a->pacing_rate_bps == b->pacing_rate_bps &&
         a->pacing_burst == b->pacing_burst;
}
