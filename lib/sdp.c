/* libmctx: the session part of an SDP (RFC 8866, source filters RFC 4570)
 * and SAP packets (RFC 2974). No system call: the caller sends the packets
 * through a publication of its own.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Seconds from the NTP epoch (1900) to the Unix epoch (1970): RFC 8866
 * suggests an NTP timestamp as sess-id. */
#define NTP_UNIX_OFFSET 2208988800ULL

#define SAP_VERSION 1
#define SAP_HEADER_LEN 4

void
mctx_sdp_session_init(mctx_sdp_session *s)
{
  if (s == NULL)
    return;
  memset(s, 0, sizeof *s);
  s->ttl = 1;
}

int
mctx_sdp_session_from_publication(mctx_sdp_session *s,
                                  const mctx_publication *pub, mctx_error *err)
{
  uint16_t port;

  if (s == NULL || pub == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "session and publication must not be NULL");
  mctx_sdp_session_init(s);
  int rc = mctx_publication_get_announce_tuple(pub, &s->source, &s->group,
                                               &port, err);
  if (rc != MCTX_OK)
    return rc;
  uint32_t ttl = mctx_publication_get_config(pub)->ttl;
  s->ttl = ttl == MCTX_TTL_UNCHANGED ? 1 : ttl;
  return mctx__ok(err);
}

/* An address as an SDP writes it: no IPv6 zone. */
static const char *
sdp_address(const mctx_ip *ip, char *buf, size_t size)
{
  mctx_ip plain = *ip;

  plain.scope_id = 0;
  return mctx_ip_format(&plain, buf, size);
}

static const char *
sdp_addrtype(const mctx_ip *ip)
{
  return ip->family == MCTX_FAMILY_IPV6 ? "IP6" : "IP4";
}

/* need_source: refuse an SSM group without a source (its receivers must
 * join (S,G)); a media section of a leg that is not open yet may lack it. */
static int
check_session(const mctx_sdp_session *s, bool need_source, mctx_error *err)
{
  char text[MCTX_IP_STRLEN];

  if (!mctx_ip_is_multicast(&s->group))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_GROUP, 0,
                      "group %s is not a multicast address",
                      mctx_ip_format(&s->group, text, sizeof text));
  if (s->source.family == MCTX_FAMILY_UNSPEC) {
    if (need_source && mctx_ip_is_ssm_group(&s->group))
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT,
                        MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                        "SSM group %s needs a source in its SDP",
                        mctx_ip_format(&s->group, text, sizeof text));
  } else if (s->source.family != s->group.family ||
             mctx_ip_is_multicast(&s->source) ||
             mctx_ip_is_unspecified(&s->source)) {
    return mctx__fail(
        err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_SOURCE_ADDRESS, 0,
        "source %s cannot send to group %s",
        mctx_ip_format(&s->source, text, sizeof text),
        mctx_ip_format(&s->group, (char[MCTX_IP_STRLEN]){0}, MCTX_IP_STRLEN));
  }
  if (s->ttl > 255)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL, 0,
                      "ttl %u is out of range 0..255", (unsigned) s->ttl);
  if (s->name != NULL && strpbrk(s->name, "\r\n") != NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "session name '" MCTX__VALUE_FMT "' has a line break",
                      MCTX__VALUE(s->name));
  return MCTX_OK;
}

/* Text appended to a caller's buffer; a line that does not fit marks the
 * whole text too long, reported once at the end. */
typedef struct {
  char *buf;
  size_t size;
  size_t len;
  bool overflow;
} sdp_text;

static void append(sdp_text *t, const char *fmt, ...) MCTX_PRINTF(2, 3);

static void
append(sdp_text *t, const char *fmt, ...)
{
  va_list ap;

  if (t->overflow)
    return;
  va_start(ap, fmt);
  int n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t) n >= t->size - t->len)
    t->overflow = true;
  else
    t->len += (size_t) n;
}

static int
finish(sdp_text *t, size_t *len, mctx_error *err)
{
  if (t->overflow) {
    if (t->size > 0)
      t->buf[0] = '\0';
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "a buffer of %zu bytes is too small for the session "
                      "description",
                      t->size);
  }
  if (len != NULL)
    *len = t->len;
  return mctx__ok(err);
}

/* v=, o= and s=. */
static void
append_origin(sdp_text *t, const mctx_sdp_session *s)
{
  char source[MCTX_IP_STRLEN];

  if (s->source.family != MCTX_FAMILY_UNSPEC)
    sdp_address(&s->source, source, sizeof source);
  else
    snprintf(source, sizeof source, "%s",
             s->group.family == MCTX_FAMILY_IPV6 ? "::" : "0.0.0.0");
  uint64_t id = s->session_id != 0
                    ? s->session_id
                    : (uint64_t) mctx_unix_time_secs() + NTP_UNIX_OFFSET;
  uint64_t version = s->session_version != 0 ? s->session_version : id;
  append(t,
         "v=0\r\n"
         "o=- %llu %llu IN %s %s\r\n"
         "s=%s\r\n",
         (unsigned long long) id, (unsigned long long) version,
         sdp_addrtype(&s->group), source,
         s->name != NULL && s->name[0] != '\0' ? s->name : "-");
}

static void
append_connection(sdp_text *t, const mctx_sdp_session *s)
{
  char group[MCTX_IP_STRLEN];

  sdp_address(&s->group, group, sizeof group);
  if (s->group.family == MCTX_FAMILY_IPV6)
    append(t, "c=IN IP6 %s\r\n", group);
  else
    append(t, "c=IN IP4 %s/%u\r\n", group, (unsigned) s->ttl);
}

static void
append_source_filter(sdp_text *t, const mctx_sdp_session *s)
{
  char group[MCTX_IP_STRLEN], source[MCTX_IP_STRLEN];

  if (s->source.family == MCTX_FAMILY_UNSPEC ||
      (s->any_source && !mctx_ip_is_ssm_group(&s->group)))
    return;
  append(t, "a=source-filter: incl IN %s %s %s\r\n", sdp_addrtype(&s->group),
         sdp_address(&s->group, group, sizeof group),
         sdp_address(&s->source, source, sizeof source));
}

int
mctx_sdp_format_session(const mctx_sdp_session *s, char *buf, size_t size,
                        size_t *len, mctx_error *err)
{
  if (s == NULL || buf == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "session and buffer must not be NULL");
  int rc = check_session(s, true, err);
  if (rc != MCTX_OK)
    return rc;

  sdp_text t = {.buf = buf, .size = size};
  append_origin(&t, s);
  append_connection(&t, s);
  append(&t, "t=0 0\r\n");
  append_source_filter(&t, s);
  return finish(&t, len, err);
}

int
mctx_sdp_format_dup_session(const mctx_sdp_session *first, size_t n_legs,
                            char *buf, size_t size, size_t *len,
                            mctx_error *err)
{
  if (first == NULL || buf == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "session and buffer must not be NULL");
  if (n_legs == 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "a=group:DUP needs at least one leg");
  int rc = check_session(first, false, err);
  if (rc != MCTX_OK)
    return rc;

  sdp_text t = {.buf = buf, .size = size};
  append_origin(&t, first);
  append(&t, "t=0 0\r\na=group:DUP");
  for (size_t i = 0; i < n_legs; i++)
    append(&t, " " MCTX_SDP_DUP_MID_PREFIX "%zu", i + 1);
  append(&t, "\r\n");
  return finish(&t, len, err);
}

int
mctx_sdp_format_dup_leg(const mctx_sdp_session *leg, size_t index, char *buf,
                        size_t size, size_t *len, mctx_error *err)
{
  if (leg == NULL || buf == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "leg and buffer must not be NULL");
  int rc = check_session(leg, false, err);
  if (rc != MCTX_OK)
    return rc;

  sdp_text t = {.buf = buf, .size = size};
  append_connection(&t, leg);
  append_source_filter(&t, leg);
  append(&t, "a=mid:" MCTX_SDP_DUP_MID_PREFIX "%zu\r\n", index + 1);
  return finish(&t, len, err);
}

int
mctx_sap_group(const mctx_ip *group, mctx_ip *sap_group, mctx_error *err)
{
  char text[MCTX_IP_STRLEN];

  if (group == NULL || sap_group == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "group and sap_group must not be NULL");
  if (!mctx_ip_is_multicast(group))
    return mctx__fail(err, MCTX_E_INVALID_MULTICAST_GROUP, MCTX_SUBJECT_GROUP,
                      0, "group %s is not a multicast address",
                      mctx_ip_format(group, text, sizeof text));

  mctx_ip out = {.family = group->family};
  const uint8_t *b = group->bytes;
  if (group->family == MCTX_FAMILY_IPV6) {
    /* ff0X::2:7ffe, X the group's scope. */
    out.bytes[0] = 0xff;
    out.bytes[1] = (uint8_t) mctx_ipv6_multicast_scope(group);
    out.bytes[13] = 0x02;
    out.bytes[14] = 0x7f;
    out.bytes[15] = 0xfe;
    out.scope_id = group->scope_id;
  } else if (b[0] == 239 && b[1] == 255) {
    memcpy(out.bytes, (uint8_t[]){239, 255, 255, 255}, 4);
  } else if (b[0] == 239 && (b[1] & 0xfc) == 192) {
    memcpy(out.bytes, (uint8_t[]){239, 195, 255, 255}, 4);
  } else if (b[0] == 239 || (b[0] == 224 && b[1] == 0 && b[2] == 0)) {
    return mctx__fail(err, MCTX_E_INVALID_MULTICAST_GROUP, MCTX_SUBJECT_GROUP,
                      0,
                      "group %s is in a scope with no known SAP group (SAP "
                      "knows the global scope, 239.255.0.0/16 and "
                      "239.192.0.0/14)",
                      mctx_ip_format(group, text, sizeof text));
  } else {
    memcpy(out.bytes, (uint8_t[]){224, 2, 127, 254}, 4);
  }
  *sap_group = out;
  return mctx__ok(err);
}

uint16_t
mctx_sap_message_id_hash(const void *payload, size_t len)
{
  /* FNV-1a, folded to 16 bits. */
  const uint8_t *p = payload;
  uint32_t h = 2166136261u;

  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  uint16_t folded = (uint16_t) ((h >> 16) ^ (h & 0xffff));
  return folded != 0 ? folded : 1;
}

static double
clamp_interval(double secs)
{
  if (secs < MCTX_SAP_MIN_INTERVAL_SECS)
    return MCTX_SAP_MIN_INTERVAL_SECS;
  if (secs > MCTX_SAP_MAX_INTERVAL_SECS)
    return MCTX_SAP_MAX_INTERVAL_SECS;
  return secs;
}

double
mctx_sap_interval_secs(size_t packet_size, unsigned announcements,
                       uint32_t bandwidth_limit, double jitter)
{
  double limit =
      bandwidth_limit != 0 ? bandwidth_limit : MCTX_SAP_BANDWIDTH_LIMIT;
  double ads = announcements != 0 ? announcements : 1;
  double interval = clamp_interval(8.0 * ads * (double) packet_size / limit);

  if (!(jitter >= 0.0))
    jitter = 0.0;
  if (jitter > 1.0)
    jitter = 1.0;
  /* RFC 2974's offset, rand(interval * 2/3) - interval/3, may not take the
   * announcer out of its bounds: a lone announcer never comes back sooner
   * than 5 s, a crowded group never waits longer than 300 s. */
  return clamp_interval(interval + interval * 2.0 / 3.0 * jitter -
                        interval / 3.0);
}

int
mctx_sap_packet_build(mctx_sap_message_type type, uint16_t message_id_hash,
                      const mctx_ip *origin, const void *payload,
                      size_t payload_len, void *buf, size_t size, size_t *len,
                      mctx_error *err)
{
  static const char payload_type[] = MCTX_SAP_PAYLOAD_TYPE;
  uint8_t *out = buf;

  if (origin == NULL || payload == NULL || buf == NULL || len == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "origin, payload, buf and len must not be NULL");
  if (origin->family != MCTX_FAMILY_IPV4 && origin->family != MCTX_FAMILY_IPV6)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_SOURCE_ADDRESS,
                      0, "a SAP packet needs an IPv4 or IPv6 origin");
  if (payload_len == 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "a SAP packet needs a payload");
  size_t origin_len = origin->family == MCTX_FAMILY_IPV6 ? 16 : 4;
  size_t need = SAP_HEADER_LEN + origin_len + sizeof payload_type + payload_len;
  if (size < need)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "a buffer of %zu bytes is too small for a SAP packet "
                      "of %zu",
                      size, need);

  /* V=1 (3 bits), A, R=0, T, E=0, C=0 */
  out[0] = (uint8_t) (SAP_VERSION << 5 |
                      (origin->family == MCTX_FAMILY_IPV6 ? 0x10 : 0) |
                      (type == MCTX_SAP_DELETE ? 0x04 : 0));
  out[1] = 0; /* authentication length */
  out[2] = (uint8_t) (message_id_hash >> 8);
  out[3] = (uint8_t) message_id_hash;
  memcpy(out + SAP_HEADER_LEN, origin->bytes, origin_len);
  memcpy(out + SAP_HEADER_LEN + origin_len, payload_type, sizeof payload_type);
  memcpy(out + SAP_HEADER_LEN + origin_len + sizeof payload_type, payload,
         payload_len);
  *len = need;
  return mctx__ok(err);
}

static int
sap_malformed(mctx_error *err, const char *what)
{
  return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DATAGRAM, 0,
                    "not a SAP packet: %s", what);
}

int
mctx_sap_packet_parse(const void *packet, size_t len, mctx_sap_packet *out,
                      mctx_error *err)
{
  const uint8_t *p = packet;

  if (packet == NULL || out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "packet and out must not be NULL");
  if (len < SAP_HEADER_LEN)
    return sap_malformed(err, "shorter than its header");
  memset(out, 0, sizeof *out);
  out->version = p[0] >> 5;
  if (out->version != SAP_VERSION)
    return sap_malformed(err, "version is not 1");
  bool ipv6 = (p[0] & 0x10) != 0;
  out->type = (p[0] & 0x04) ? MCTX_SAP_DELETE : MCTX_SAP_ANNOUNCE;
  out->encrypted = (p[0] & 0x02) != 0;
  out->compressed = (p[0] & 0x01) != 0;
  out->message_id_hash = (uint16_t) (p[2] << 8 | p[3]);
  size_t origin_len = ipv6 ? 16 : 4;
  size_t at = SAP_HEADER_LEN + origin_len + 4u * p[1];
  if (len < at)
    return sap_malformed(err, "shorter than its origin and authentication");
  out->origin.family = ipv6 ? MCTX_FAMILY_IPV6 : MCTX_FAMILY_IPV4;
  memcpy(out->origin.bytes, p + SAP_HEADER_LEN, origin_len);

  /* The payload type is optional: an SDP starting "v=0" has none. */
  out->payload_type = "";
  if (!(len - at >= 3 && memcmp(p + at, "v=0", 3) == 0) && !out->encrypted &&
      !out->compressed) {
    const uint8_t *nul = memchr(p + at, '\0', len - at);
    if (nul == NULL)
      return sap_malformed(err, "its payload type has no NUL");
    out->payload_type = (const char *) (p + at);
    at = (size_t) (nul - p) + 1;
  }
  out->payload = p + at;
  out->payload_len = len - at;
  return mctx__ok(err);
}
