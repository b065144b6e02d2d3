/* mctxsink raw mode (raw=true): every buffer is one complete IPv4 or IPv6
 * datagram, put on the wire as given by libmctx raw publications.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A raw publication serves one family. The family is taken from source-addr,
 * else from an interface given as an address; an interface given as a name
 * or an index says nothing about it, so then one publication per family is
 * opened at start (a missing CAP_NET_RAW shows there, not at the first
 * buffer) and each datagram goes to the one of its version nibble.
 */
#include "gstmctxsinkraw.h"
#include "gstmctxsinkdebug.h"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

struct _GstMctxSinkRaw
{
  mctx_raw_publication *pub4;
  mctx_raw_publication *pub6;
};

/* Settings that shape a UDP socket have no meaning for raw publications;
 * refusing them says so instead of ignoring them. */
static const gchar *
udp_only_setting (const GstMctxSinkSettings * s)
{
  if (s->source_port > 0)
    return "source-port";
  if (s->qos_dscp >= 0)
    return "qos-dscp";
  if (s->buffer_size > 0)
    return "buffer-size";
  if (s->have_socket)
    return "socket";
  return NULL;
}

static gboolean
build_raw_config (GstElement * sink, const GstMctxSinkSettings * s,
    const mctx_ip * source, const mctx_interface * iface, mctx_raw_config * cfg)
{
  const gchar *udp_only = udp_only_setting (s);

  mctx_raw_config_init (cfg);
  if (udp_only)
    goto not_raw;
  /* No egress: the routing table picks one per datagram (where libmctx
   * refuses a family, as Windows does IPv6, open_both warns). */
  if (!gst_mctx_sink_is_set (s->source_addr)
      && !gst_mctx_sink_is_set (s->interface)) {
    if (s->ttl != -1)
      goto no_egress;
    cfg->egress = MCTX_RAW_EGRESS_ROUTE_SELECTED;
    cfg->loopback = s->loop;
    cfg->validation = (mctx_raw_validation) s->raw_validation;
    return TRUE;
  }
  if (gst_mctx_sink_is_set (s->source_addr))
    cfg->bind_addr = *source;
  if (gst_mctx_sink_is_set (s->interface))
    cfg->interface = *iface;
  cfg->ttl = s->ttl;
  cfg->loopback = s->loop;
  cfg->validation = (mctx_raw_validation) s->raw_validation;
  return TRUE;

not_raw:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS,
        ("'%s' does not apply in raw mode: the datagrams are sent as given "
            "through raw sockets; leave it at its default", udp_only), (NULL));
    return FALSE;
  }
no_egress:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS,
        ("Raw mode needs an egress: set 'interface' (a name, a local address "
            "or an index) or 'source-addr' (a local address), or ttl=-1 to "
            "let the routing table pick the interface of each datagram "
            "(which allows no ttl override)"), (NULL));
    return FALSE;
  }
}

static gboolean
is_config_error (int rc)
{
  switch (rc) {
    case MCTX_E_INVALID_ARGUMENT:
    case MCTX_E_RAW_INTERFACE_REQUIRED:
    case MCTX_E_INVALID_RAW_BIND_ADDRESS:
    case MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH:
    case MCTX_E_INVALID_INTERFACE_ADDRESS:
    case MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH:
    case MCTX_E_INVALID_IPV6_INTERFACE_INDEX:
    case MCTX_E_INVALID_INTERFACE_NAME:
    case MCTX_E_INTERFACE_NOT_FOUND:
    case MCTX_E_INTERFACE_DISCOVERY_FAILED:
    case MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH:
      return TRUE;
    default:
      return FALSE;
  }
}

static void
post_open_error (GstElement * sink, const GstMctxSinkSettings * s, int rc,
    const mctx_error * err)
{
  gchar *debug = g_strdup_printf ("%s (errno %d%s%s)", mctx_code_name (rc),
      err->sys_errno, err->sys_errno ? ": " : "",
      err->sys_errno ? g_strerror (err->sys_errno) : "");

  if (rc == MCTX_E_RAW_PERMISSION_DENIED)
    GST_ELEMENT_ERROR (sink, RESOURCE, NOT_AUTHORIZED,
        ("raw mode needs CAP_NET_RAW: %s", err->message), ("%s", debug));
  else if (is_config_error (rc))
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS,
        ("Cannot send raw datagrams with interface '%s' and source-addr "
            "'%s': %s", gst_mctx_sink_is_set (s->interface) ? s->interface :
            "(not set)", gst_mctx_sink_is_set (s->source_addr) ?
            s->source_addr : "(not set)", err->message), ("%s", debug));
  else
    GST_ELEMENT_ERROR (sink, RESOURCE, OPEN_WRITE,
        ("Cannot open raw sockets: %s", err->message), ("%s", debug));
  g_free (debug);
}

static int
open_family (const mctx_raw_config * base, mctx_family family,
    mctx_raw_publication ** out, mctx_error * err)
{
  mctx_raw_config cfg = *base;

  cfg.family = family;
  return mctx_raw_publication_open (&cfg, out, err);
}

/* Interface given by name or index: both families. A family the interface
 * cannot serve (no IPv4 address, IPv6 disabled) is left out with a warning,
 * as long as the other one opened; a missing privilege always fails. */
static int
open_both (GstElement * sink, const mctx_raw_config * cfg,
    GstMctxSinkRaw * raw, mctx_error * err)
{
  mctx_error err4 = { 0 }, err6 = { 0 };
  int rc4 = open_family (cfg, MCTX_FAMILY_IPV4, &raw->pub4, &err4);
  int rc6 = rc4 == MCTX_E_RAW_PERMISSION_DENIED ? rc4 :
      open_family (cfg, MCTX_FAMILY_IPV6, &raw->pub6, &err6);

  if (rc4 == MCTX_OK && rc6 == MCTX_OK)
    return MCTX_OK;
  /* The missing privilege is what to fix first, whatever the other family
   * ran into. */
  if (rc6 == MCTX_E_RAW_PERMISSION_DENIED
      && rc4 != MCTX_E_RAW_PERMISSION_DENIED) {
    *err = err6;
    return rc6;
  }
  if (rc4 == MCTX_E_RAW_PERMISSION_DENIED || (rc4 != MCTX_OK && rc6 != MCTX_OK)) {
    *err = err4;
    return rc4;
  }
  GST_ELEMENT_WARNING (sink, RESOURCE, OPEN_WRITE,
      ("Raw mode sends only %s datagrams on this interface; %s ones will be "
          "dropped: %s", rc4 == MCTX_OK ? "IPv4" : "IPv6",
          rc4 == MCTX_OK ? "IPv6" : "IPv4",
          rc4 == MCTX_OK ? err6.message : err4.message),
      ("%s", mctx_code_name (rc4 == MCTX_OK ? rc6 : rc4)));
  return MCTX_OK;
}

GstMctxSinkRaw *
gst_mctx_sink_raw_open (GstElement * sink, const GstMctxSinkSettings * s,
    const mctx_ip * source, const mctx_interface * iface, gchar * describe,
    gsize size)
{
  GstMctxSinkRaw *raw;
  mctx_raw_config cfg;
  mctx_error err = { 0 };
  mctx_family family;
  int rc;

  if (!build_raw_config (sink, s, source, iface, &cfg))
    return NULL;

  family = cfg.bind_addr.family != MCTX_FAMILY_UNSPEC ? cfg.bind_addr.family
      : cfg.interface.kind == MCTX_INTERFACE_ADDRESS ?
      cfg.interface.address.family : MCTX_FAMILY_UNSPEC;

  raw = g_new0 (GstMctxSinkRaw, 1);
  if (family == MCTX_FAMILY_IPV4)
    rc = open_family (&cfg, family, &raw->pub4, &err);
  else if (family == MCTX_FAMILY_IPV6)
    rc = open_family (&cfg, family, &raw->pub6, &err);
  else
    rc = open_both (sink, &cfg, raw, &err);
  if (rc != MCTX_OK)
    goto open_failed;

  g_snprintf (describe, size, "raw %s%s%s via %s",
      raw->pub4 ? "IPv4" : "", raw->pub4 && raw->pub6 ? "/" : "",
      raw->pub6 ? "IPv6" : "", gst_mctx_sink_is_set (s->interface) ?
      s->interface : gst_mctx_sink_is_set (s->source_addr) ?
      s->source_addr : "the routing table");
  GST_INFO_OBJECT (sink, "sending %s, ttl %d, loop %d", describe, cfg.ttl,
      cfg.loopback);
  return raw;

open_failed:
  {
    post_open_error (sink, s, rc, &err);
    gst_mctx_sink_raw_close (raw);
    return NULL;
  }
}

GType
gst_mctx_sink_raw_validation_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MCTX_RAW_VALIDATION_STRICT_MULTICAST, "Multicast destinations only",
        "strict-multicast"},
    {MCTX_RAW_VALIDATION_ANY_DESTINATION, "Unicast destinations too",
        "any-destination"},
    {MCTX_RAW_VALIDATION_IP_DATAGRAM,
          "Any destination, IPv4 header checksum verified (raw-ip)",
        "ip-datagram"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType registered = g_enum_register_static ("GstMctxSinkRawValidation",
        values);
    g_once_init_leave (&type, registered);
  }
  return type;
}

void
gst_mctx_sink_raw_close (GstMctxSinkRaw * raw)
{
  if (raw == NULL)
    return;
  mctx_raw_publication_close (raw->pub4);
  mctx_raw_publication_close (raw->pub6);
  g_free (raw);
}

static guint
datagram_version (const mctx_datagram * d)
{
  for (gsize i = 0; i < d->nbufs; i++)
    if (d->bufs[i].len > 0)
      return ((const guint8 *) d->bufs[i].base)[0] >> 4;
  return 0;
}

/* A buffer of several memories goes to libmctx as they are mapped (its
 * checks read the header across them, the kernel takes them as iovecs); a
 * datagram of any length does too, so that every refusal, too long
 * included, is libmctx's and counted in its send errors. A list goes out
 * as libmctx batches, one per run of datagrams of one IP version (one
 * publication): MCTX_OK with *sent < count when the version changes. */
int
gst_mctx_sink_raw_send (GstMctxSinkRaw * raw, const mctx_datagram * d,
    gsize count, size_t *sent, mctx_error * err)
{
  mctx_raw_publication *pub;
  guint version = count > 0 ? datagram_version (d) : 0;
  gsize run = count > 0 ? 1 : 0;

  while (run < count && datagram_version (&d[run]) == version)
    run++;

  /* The other family's publication (or the only one) refuses the datagram
   * with the reason: a bad version, or a family it does not serve. */
  if (version == 6 && raw->pub6)
    pub = raw->pub6;
  else if (version == 4 && raw->pub4)
    pub = raw->pub4;
  else
    pub = raw->pub4 ? raw->pub4 : raw->pub6;
  return mctx_raw_publication_send_batch (pub, d, run, sent, err);
}

void
gst_mctx_sink_raw_metrics (const GstMctxSinkRaw * raw, mctx_metrics * out)
{
  mctx_metrics m4 = { 0 }, m6 = { 0 };

  if (raw->pub4)
    mctx_raw_publication_metrics_snapshot (raw->pub4, &m4);
  if (raw->pub6)
    mctx_raw_publication_metrics_snapshot (raw->pub6, &m6);
  out->send_calls = m4.send_calls + m6.send_calls;
  out->packets_sent = m4.packets_sent + m6.packets_sent;
  out->bytes_sent = m4.bytes_sent + m6.bytes_sent;
  out->send_errors = m4.send_errors + m6.send_errors;
  out->would_block = m4.would_block + m6.would_block;
  out->captured_at = MAX (m4.captured_at, m6.captured_at);
  out->captured_mono_ns = MAX (m4.captured_mono_ns, m6.captured_mono_ns);
}
