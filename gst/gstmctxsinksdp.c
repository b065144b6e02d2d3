/* mctxsink's session description: the sdp-file and the SAP announcer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The session part comes from libmctx (mctx_sdp_format_session), the media
 * part from the caps: RTP caps through libgstsdp's
 * gst_sdp_media_set_media_from_caps (the same mapping rtspserver uses:
 * m= from media and payload, a=rtpmap from encoding-name, clock-rate and
 * encoding-params, a=fmtp from the remaining string fields the payloader
 * set, a= from the a-* fields), unpayloaded MPEG-TS as `udp 33`, the form
 * ffmpeg reads. docs/sdp.md has the whole picture.
 */
#include "gstmctxsinksdp.h"
#include "gstmctxsinkdebug.h"

#include <gst/sdp/sdp.h>
#include <glib/gstdio.h>
#include <mctx.h>

#include <errno.h>
#include <string.h>

#define GST_CAT_DEFAULT gst_mctx_sink_debug

/* Seconds from the NTP epoch (1900) to the Unix epoch. */
#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT (2208988800)

#define SESSION_NAME "mctxsink"

typedef struct
{
  GstElement *owner;
  mctx_publication *pub;
  mctx_ip origin;
  gchar sap_group[MCTX_IP_STRLEN];
  GThread *thread;
  GMutex lock;
  GCond cond;
  /* Under lock: the SDP to announce (NULL until the caps are known),
   * whether it changed since the last announcement, and stop(). */
  gchar *sdp;
  gboolean changed;
  gboolean stopping;
} Announcer;

struct _GstMctxSinkSdp
{
  GstElement *owner;
  /* From start() to stop(). */
  gchar *path;
  guint ttl;
  guint64 session_id;
  guint64 session_version;
  gchar *last;                  /* the SDP last written and announced */
  GstCaps *refused;             /* caps already refused: basesink offers
                                   them again, the error is posted once */
  Announcer *announcer;
};

GstMctxSinkSdp *
gst_mctx_sink_sdp_new (GstElement * owner)
{
  GstMctxSinkSdp *sdp = g_new0 (GstMctxSinkSdp, 1);

  sdp->owner = owner;
  return sdp;
}

void
gst_mctx_sink_sdp_free (GstMctxSinkSdp * sdp)
{
  if (sdp == NULL)
    return;
  gst_mctx_sink_sdp_stop (sdp);
  g_free (sdp);
}

gboolean
gst_mctx_sink_sdp_wanted (const GstMctxSinkSettings * settings)
{
  return gst_mctx_sink_is_set (settings->sdp_file) || settings->announce;
}

/* ------------------------------------------------------------------------ */
/* The description                                                          */
/* ------------------------------------------------------------------------ */

static gchar *
media_from_caps (GstCaps * caps, gint port, GError ** error)
{
  const GstStructure *st;
  GstSDPMedia *media = NULL;
  gchar *text = NULL;

  if (caps == NULL || gst_caps_get_size (caps) != 1)
    goto refused;
  st = gst_caps_get_structure (caps, 0);

  /* A transport stream straight in UDP datagrams: protocol "udp" with the
   * static payload type of MP2T, 33. ffmpeg reads the format only as that
   * number (it takes "udp MP2T" for payload type 0, PCMU); the rtpmap
   * names it for readers that go by the name. */
  if (gst_structure_has_name (st, "video/mpegts"))
    return g_strdup_printf ("m=video %d udp 33\r\n"
        "a=rtpmap:33 MP2T/90000\r\n", port);

  if (!gst_structure_has_name (st, "application/x-rtp"))
    goto refused;
  gst_sdp_media_new (&media);
  if (gst_sdp_media_set_media_from_caps (caps, media) != GST_SDP_OK)
    goto refused;
  gst_sdp_media_set_port_info (media, (guint) port, 1);
  gst_sdp_media_set_proto (media, "RTP/AVP");
  text = gst_sdp_media_as_text (media);
  gst_sdp_media_free (media);
  return text;

refused:
  {
    gchar *desc = caps ? gst_caps_to_string (caps) : g_strdup ("(none)");

    if (media)
      gst_sdp_media_free (media);
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "caps %s have no SDP form: sdp-file and announce take RTP "
        "(application/x-rtp with media, payload, clock-rate and "
        "encoding-name) or MPEG-TS (video/mpegts)", desc);
    g_free (desc);
    return NULL;
  }
}

static gboolean
parse_ip (const gchar * what, const gchar * text, mctx_ip * out,
    GError ** error)
{
  mctx_error err;

  if (mctx_ip_parse (text, out, &err) == MCTX_OK)
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "%s: %s", what, err.message);
  return FALSE;
}

gchar *
gst_mctx_sink_sdp_build (GstCaps * caps, const GstMctxSinkSdpLeg * legs,
    guint n_legs, guint ttl, guint64 session_id, guint64 session_version,
    GError ** error)
{
  char session[MCTX_SDP_SESSION_MAX];
  mctx_sdp_session s;
  mctx_error err;
  gchar *media, *text;

  /* Hook for several destinations (issue 19): one m= per leg, each with its
   * c= and source filter and an a=mid, and a session-level
   * "a=group:DUP <mids>" (RFC 7104). Until the element has legs, one. */
  if (n_legs != 1) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NOT_IMPLEMENTED,
        "an SDP of %u destinations (a=group:DUP) is not written yet", n_legs);
    return NULL;
  }

  mctx_sdp_session_init (&s);
  if (!parse_ip ("group", legs[0].group, &s.group, error))
    return NULL;
  if (gst_mctx_sink_is_set (legs[0].source)
      && !parse_ip ("source", legs[0].source, &s.source, error))
    return NULL;
  /* A source the kernel chose is named in o= only: an any-source receiver
   * needs no filter, and one that the routing of another day would make
   * wrong. An SSM group always gets it. */
  s.any_source = !legs[0].source_given;
  s.ttl = ttl;
  s.session_id = session_id;
  s.session_version = session_version;
  s.name = SESSION_NAME;
  if (mctx_sdp_format_session (&s, session, sizeof session, NULL,
          &err) != MCTX_OK) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "%s", err.message);
    return NULL;
  }

  media = media_from_caps (caps, legs[0].port, error);
  if (media == NULL)
    return NULL;
  text = g_strconcat (session, media, NULL);
  g_free (media);
  return text;
}

/* ------------------------------------------------------------------------ */
/* The file                                                                 */
/* ------------------------------------------------------------------------ */

/* Whether a file can be made where path is (the rename of the temporary
 * file needs the same directory), and path is no directory. */
static gboolean
check_writable (const gchar * path, GError ** error)
{
  gchar *dir, *base, *probe;
  gint fd;
  gboolean ok = TRUE;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR, "is a directory");
    return FALSE;
  }
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  probe = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  fd = g_mkstemp (probe);
  if (fd < 0) {
    gint e = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "cannot create a file in %s: %s", dir, g_strerror (e));
    ok = FALSE;
  } else {
    g_close (fd, NULL);
    g_unlink (probe);
  }
  g_free (probe);
  g_free (base);
  g_free (dir);
  return ok;
}

static gboolean
write_file (GstMctxSinkSdp * sdp, const gchar * text)
{
  GError *error = NULL;

  /* CONSISTENT: a temporary file next to it, then rename. */
  if (g_file_set_contents_full (sdp->path, text, -1,
          G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    return TRUE;
  GST_ELEMENT_ERROR (sdp->owner, RESOURCE, OPEN_WRITE,
      ("Could not write sdp-file '%s': %s", sdp->path, error->message), (NULL));
  g_error_free (error);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* The announcer                                                            */
/* ------------------------------------------------------------------------ */

static void
announcer_send (Announcer * a, mctx_sap_message_type type,
    const gchar * payload, gsize len, guint16 hash)
{
  /* header 4, origin 16 at most, payload type 16 */
  gsize size = 4 + 16 + sizeof MCTX_SAP_PAYLOAD_TYPE + len;
  guint8 *packet = g_malloc (size);
  size_t packet_len = 0;
  mctx_error err;

  if (mctx_sap_packet_build (type, hash, &a->origin, payload, len, packet,
          size, &packet_len, &err) != MCTX_OK
      || mctx_publication_send (a->pub, packet, packet_len, NULL,
          &err) != MCTX_OK) {
    GST_ELEMENT_WARNING (a->owner, RESOURCE, WRITE,
        ("Could not send the SAP %s to %s: %s",
            type == MCTX_SAP_DELETE ? "deletion" : "announcement",
            a->sap_group, err.message), (NULL));
  } else {
    GST_DEBUG_OBJECT (a->owner, "SAP %s of %" G_GSIZE_FORMAT " bytes to %s",
        type == MCTX_SAP_DELETE ? "deletion" : "announcement", packet_len,
        a->sap_group);
  }
  g_free (packet);
}

/* The o= line of an SDP, CRLF included: the payload of a deletion. */
static const gchar *
origin_line (const gchar * sdp, gsize * len)
{
  const gchar *o = g_str_has_prefix (sdp, "o=") ? sdp : strstr (sdp, "\no=");
  const gchar *end;

  if (o == NULL) {
    *len = strlen (sdp);
    return sdp;
  }
  if (*o == '\n')
    o++;
  end = strchr (o, '\n');
  *len = end ? (gsize) (end + 1 - o) : strlen (o);
  return o;
}

static gpointer
announcer_run (gpointer data)
{
  Announcer *a = data;
  gint64 next = G_MAXINT64;
  guint16 hash = 0;
  gsize len = 0;

  g_mutex_lock (&a->lock);
  while (!a->stopping) {
    gint64 now = g_get_monotonic_time ();

    if (a->changed || (a->sdp && now >= next)) {
      gsize packet_size;

      a->changed = FALSE;
      len = strlen (a->sdp);
      hash = mctx_sap_message_id_hash (a->sdp, len);
      announcer_send (a, MCTX_SAP_ANNOUNCE, a->sdp, len, hash);
      packet_size = 4 + 16 + sizeof MCTX_SAP_PAYLOAD_TYPE + len;
      next = now + (gint64) (mctx_sap_interval_secs (packet_size, 1, 0,
              g_random_double ()) * G_USEC_PER_SEC);
      continue;
    }
    if (next == G_MAXINT64)
      g_cond_wait (&a->cond, &a->lock);
    else
      g_cond_wait_until (&a->cond, &a->lock, next);
  }
  if (hash != 0) {
    gsize o_len;
    const gchar *o = origin_line (a->sdp, &o_len);

    announcer_send (a, MCTX_SAP_DELETE, o, o_len, hash);
  }
  g_mutex_unlock (&a->lock);
  return NULL;
}

static gboolean
announcer_config (const GstMctxSinkSettings * settings,
    const GstMctxSinkSdpLeg * leg, mctx_publication_config * cfg,
    mctx_ip * origin, const gchar ** bad, mctx_error * err)
{
  mctx_ip group;

  mctx_publication_config_init (cfg);
  *bad = "group";
  if (mctx_ip_parse (leg->group, &group, err) != MCTX_OK
      || mctx_sap_group (&group, &cfg->group, err) != MCTX_OK)
    return FALSE;
  cfg->dst_port = MCTX_SAP_PORT;
  *bad = "source-addr";
  if (mctx_ip_parse (leg->source, origin, err) != MCTX_OK)
    return FALSE;
  cfg->source_addr = *origin;
  origin->scope_id = 0;
  *bad = "interface";
  if (gst_mctx_sink_is_set (settings->interface)
      && mctx_interface_parse (settings->interface, &cfg->interface,
          err) != MCTX_OK)
    return FALSE;
  cfg->ttl = settings->ttl < 0 ? MCTX_TTL_UNCHANGED : (uint32_t) settings->ttl;
  cfg->loopback = settings->loop;
  return TRUE;
}

static Announcer *
announcer_start (GstElement * owner, const GstMctxSinkSettings * settings,
    const GstMctxSinkSdpLeg * leg)
{
  Announcer *a;
  mctx_publication_config cfg;
  mctx_publication *pub;
  mctx_ip origin;
  mctx_error err;
  const gchar *bad;
  char sap_group[MCTX_IP_STRLEN];

  if (!announcer_config (settings, leg, &cfg, &origin, &bad, &err)) {
    GST_ELEMENT_ERROR (owner, RESOURCE, SETTINGS,
        ("Could not announce the stream (announce=true, %s): %s", bad,
            err.message), (NULL));
    return NULL;
  }
  mctx_ip_format (&cfg.group, sap_group, sizeof sap_group);
  if (mctx_publication_open (&cfg, &pub, &err) != MCTX_OK) {
    GST_ELEMENT_ERROR (owner, RESOURCE, OPEN_WRITE,
        ("Could not open the SAP announcement to %s:%d (announce=true): %s",
            sap_group, MCTX_SAP_PORT, err.message), (NULL));
    return NULL;
  }

  a = g_new0 (Announcer, 1);
  a->owner = owner;
  a->pub = pub;
  a->origin = origin;
  g_strlcpy (a->sap_group, sap_group, sizeof a->sap_group);
  g_mutex_init (&a->lock);
  g_cond_init (&a->cond);
  a->thread = g_thread_new ("mctxsink-sap", announcer_run, a);
  GST_INFO_OBJECT (owner, "announcing to %s:%d", sap_group, MCTX_SAP_PORT);
  return a;
}

static void
announcer_update (Announcer * a, const gchar * sdp)
{
  g_mutex_lock (&a->lock);
  g_free (a->sdp);
  a->sdp = g_strdup (sdp);
  a->changed = TRUE;
  g_cond_signal (&a->cond);
  g_mutex_unlock (&a->lock);
}

static void
announcer_stop (Announcer * a)
{
  g_mutex_lock (&a->lock);
  a->stopping = TRUE;
  g_cond_signal (&a->cond);
  g_mutex_unlock (&a->lock);
  g_thread_join (a->thread);
  mctx_publication_close (a->pub);
  g_free (a->sdp);
  g_mutex_clear (&a->lock);
  g_cond_clear (&a->cond);
  g_free (a);
}

/* ------------------------------------------------------------------------ */
/* start, caps, stop                                                        */
/* ------------------------------------------------------------------------ */

gboolean
gst_mctx_sink_sdp_start (GstMctxSinkSdp * sdp,
    const GstMctxSinkSettings * settings, const GstMctxSinkSdpLeg * leg)
{
  GError *error = NULL;

  if (!gst_mctx_sink_sdp_wanted (settings))
    return TRUE;
  if (settings->raw || !gst_mctx_sink_is_set (leg->group)) {
    GST_ELEMENT_ERROR (sdp->owner, RESOURCE, SETTINGS,
        ("%s needs a group at start and raw=false",
            settings->announce ? "announce" : "sdp-file"), (NULL));
    return FALSE;
  }
  if (gst_mctx_sink_is_set (settings->sdp_file)
      && !check_writable (settings->sdp_file, &error)) {
    GST_ELEMENT_ERROR (sdp->owner, RESOURCE, OPEN_WRITE,
        ("Could not write sdp-file '%s': %s", settings->sdp_file,
            error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  if (settings->announce) {
    sdp->announcer = announcer_start (sdp->owner, settings, leg);
    if (sdp->announcer == NULL)
      return FALSE;
  }
  sdp->path = gst_mctx_sink_is_set (settings->sdp_file) ?
      g_strdup (settings->sdp_file) : NULL;
  /* The kernel's default TTL on a new socket is 1. */
  sdp->ttl = settings->ttl < 0 ? 1 : (guint) settings->ttl;
  sdp->session_id = (guint64) g_get_real_time () / G_USEC_PER_SEC
      + NTP_UNIX_OFFSET;
  sdp->session_version = 1;
  return TRUE;
}

gboolean
gst_mctx_sink_sdp_set_caps (GstMctxSinkSdp * sdp, GstCaps * caps,
    const GstMctxSinkSdpLeg * legs, guint n_legs)
{
  GError *error = NULL;
  gchar *text;

  if (sdp->path == NULL && sdp->announcer == NULL)
    return TRUE;
  if (sdp->refused != NULL && gst_caps_is_equal (caps, sdp->refused))
    return FALSE;
  text = gst_mctx_sink_sdp_build (caps, legs, n_legs, sdp->ttl,
      sdp->session_id, sdp->session_version, &error);
  if (text == NULL) {
    GST_ELEMENT_ERROR (sdp->owner, STREAM, FORMAT,
        ("Could not describe the stream (%s): %s",
            sdp->path ? "sdp-file" : "announce", error->message), (NULL));
    g_error_free (error);
    gst_caps_replace (&sdp->refused, caps);
    return FALSE;
  }
  if (sdp->last != NULL && strcmp (text, sdp->last) == 0) {
    g_free (text);
    return TRUE;
  }
  /* A changed description is a new version of the same session. */
  if (sdp->last != NULL) {
    g_free (text);
    sdp->session_version++;
    text = gst_mctx_sink_sdp_build (caps, legs, n_legs, sdp->ttl,
        sdp->session_id, sdp->session_version, NULL);
  }
  GST_DEBUG_OBJECT (sdp->owner, "session description:\n%s", text);
  if (sdp->path != NULL && !write_file (sdp, text)) {
    g_free (text);
    return FALSE;
  }
  if (sdp->announcer != NULL)
    announcer_update (sdp->announcer, text);
  g_free (sdp->last);
  sdp->last = text;
  return TRUE;
}

void
gst_mctx_sink_sdp_stop (GstMctxSinkSdp * sdp)
{
  if (sdp->announcer != NULL)
    announcer_stop (sdp->announcer);
  sdp->announcer = NULL;
  g_clear_pointer (&sdp->path, g_free);
  g_clear_pointer (&sdp->last, g_free);
  gst_caps_replace (&sdp->refused, NULL);
}
