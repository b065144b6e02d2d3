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
  /* Guards the rest: set_legs() comes from any thread. */
  GMutex lock;
  /* From start() to stop(). */
  gchar *path;
  guint64 session_id;
  guint64 session_version;
  GstCaps *caps;                /* the last caps described */
  gchar *last;                  /* the SDP last written and announced */
  GstCaps *refused;             /* caps already refused: basesink offers
                                   them again, the error is posted once */
  Announcer *announcer;
};

static void
leg_clear (GstMctxSinkSdpLeg * leg)
{
  g_free (leg->group);
  g_free (leg->source);
  g_free (leg->interface);
}

GArray *
gst_mctx_sink_sdp_legs_new (void)
{
  GArray *legs = g_array_new (FALSE, TRUE, sizeof (GstMctxSinkSdpLeg));

  g_array_set_clear_func (legs, (GDestroyNotify) leg_clear);
  return legs;
}

GstMctxSinkSdp *
gst_mctx_sink_sdp_new (GstElement * owner)
{
  GstMctxSinkSdp *sdp = g_new0 (GstMctxSinkSdp, 1);

  sdp->owner = owner;
  g_mutex_init (&sdp->lock);
  return sdp;
}

void
gst_mctx_sink_sdp_free (GstMctxSinkSdp * sdp)
{
  if (sdp == NULL)
    return;
  gst_mctx_sink_sdp_stop (sdp);
  g_mutex_clear (&sdp->lock);
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

/* The session's view of a leg: its group, its source when known, its
 * TTL. */
static gboolean
leg_session (const GstMctxSinkSdpLeg * leg, mctx_sdp_session * s,
    GError ** error)
{
  mctx_sdp_session_init (s);
  if (!parse_ip ("group", leg->group, &s->group, error))
    return FALSE;
  if (gst_mctx_sink_is_set (leg->source)
      && !parse_ip ("source", leg->source, &s->source, error))
    return FALSE;
  /* A source the kernel chose is named in o= only: an any-source receiver
   * needs no filter, and one that the routing of another day would make
   * wrong. An SSM group always gets it. */
  s->any_source = !leg->source_given;
  /* The kernel's default TTL on a new socket is 1. */
  s->ttl = leg->ttl < 0 ? 1 : (guint) leg->ttl;
  s->name = SESSION_NAME;
  return TRUE;
}

static gboolean
session_refused (const mctx_error * err, GError ** error)
{
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "%s", err->message);
  return FALSE;
}

static gchar *
build_one (GstCaps * caps, const GstMctxSinkSdpLeg * leg, mctx_sdp_session * s,
    GError ** error)
{
  char session[MCTX_SDP_SESSION_MAX];
  mctx_error err;
  gchar *media, *text;

  if (mctx_sdp_format_session (s, session, sizeof session, NULL,
          &err) != MCTX_OK) {
    session_refused (&err, error);
    return NULL;
  }
  media = media_from_caps (caps, leg->port, error);
  if (media == NULL)
    return NULL;
  text = g_strconcat (session, media, NULL);
  g_free (media);
  return text;
}

/* RFC 7104: the session part names the legs in a=group:DUP; each leg's
 * media section is the caps' m= line, then the leg's c=, source filter and
 * a=mid, then the caps' attributes. o= names the first source known. */
static gchar *
build_dup (GstCaps * caps, const GstMctxSinkSdpLeg * legs, guint n_legs,
    mctx_sdp_session * sessions, GError ** error)
{
  gsize size = MCTX_SDP_SESSION_MAX + 8 * (gsize) n_legs;
  gchar *session = g_malloc (size);
  const mctx_sdp_session *origin = &sessions[0];
  GString *text = g_string_new (NULL);
  mctx_error err;

  for (guint i = 0; i < n_legs; i++) {
    if (sessions[i].source.family != MCTX_FAMILY_UNSPEC) {
      origin = &sessions[i];
      break;
    }
  }
  if (mctx_sdp_format_dup_session (origin, n_legs, session, size, NULL,
          &err) != MCTX_OK) {
    session_refused (&err, error);
    goto failed;
  }
  g_string_append (text, session);
  for (guint i = 0; i < n_legs; i++) {
    char lines[MCTX_SDP_SESSION_MAX];
    gchar *media = media_from_caps (caps, legs[i].port, error);
    const gchar *rest;

    if (media == NULL)
      goto failed;
    if (mctx_sdp_format_dup_leg (&sessions[i], i, lines, sizeof lines, NULL,
            &err) != MCTX_OK) {
      g_free (media);
      session_refused (&err, error);
      goto failed;
    }
    /* media starts with its m= line. */
    rest = strstr (media, "\r\n");
    rest = rest ? rest + 2 : media + strlen (media);
    g_string_append_len (text, media, rest - media);
    g_string_append (text, lines);
    g_string_append (text, rest);
    g_free (media);
  }
  g_free (session);
  return g_string_free (text, FALSE);

failed:
  g_free (session);
  g_string_free (text, TRUE);
  return NULL;
}

gchar *
gst_mctx_sink_sdp_build (GstCaps * caps, const GstMctxSinkSdpLeg * legs,
    guint n_legs, guint64 session_id, guint64 session_version, GError ** error)
{
  mctx_sdp_session *sessions;
  gchar *text = NULL;

  if (n_legs == 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "the stream goes nowhere (no group, no destinations)");
    return NULL;
  }
  sessions = g_new0 (mctx_sdp_session, n_legs);
  for (guint i = 0; i < n_legs; i++) {
    if (!leg_session (&legs[i], &sessions[i], error))
      goto done;
    sessions[i].session_id = session_id;
    sessions[i].session_version = session_version;
  }
  if (n_legs == 1)
    text = build_one (caps, &legs[0], &sessions[0], error);
  else
    text = build_dup (caps, legs, n_legs, sessions, error);
done:
  g_free (sessions);
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

/* The SAP publication of leg: to the SAP group of its scope, from its
 * source, through its interface, with its ttl and loop. */
static gboolean
announcer_config (const GstMctxSinkSdpLeg * leg,
    mctx_publication_config * cfg, mctx_ip * origin, const gchar ** bad,
    mctx_error * err)
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
  if (gst_mctx_sink_is_set (leg->interface)
      && mctx_interface_parse (leg->interface, &cfg->interface, err) != MCTX_OK)
    return FALSE;
  cfg->ttl = leg->ttl < 0 ? MCTX_TTL_UNCHANGED : (uint32_t) leg->ttl;
  cfg->loopback = leg->loop;
  return TRUE;
}

static Announcer *
announcer_start (GstElement * owner, const GstMctxSinkSdpLeg * leg)
{
  Announcer *a;
  mctx_publication_config cfg;
  mctx_publication *pub;
  mctx_ip origin;
  mctx_error err;
  const gchar *bad;
  char sap_group[MCTX_IP_STRLEN];

  if (!announcer_config (leg, &cfg, &origin, &bad, &err)) {
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

/* The first leg whose source is known (it is open): the SAP origin and
 * the o= address. NULL when none is. */
static const GstMctxSinkSdpLeg *
first_known_source (GArray * legs)
{
  for (guint i = 0; i < legs->len; i++) {
    const GstMctxSinkSdpLeg *leg = &g_array_index (legs, GstMctxSinkSdpLeg, i);

    if (gst_mctx_sink_is_set (leg->source))
      return leg;
  }
  return NULL;
}

gboolean
gst_mctx_sink_sdp_start (GstMctxSinkSdp * sdp,
    const GstMctxSinkSettings * settings, GArray * legs)
{
  GError *error = NULL;
  Announcer *announcer = NULL;

  if (!gst_mctx_sink_sdp_wanted (settings))
    return TRUE;
  if (settings->raw || legs->len == 0) {
    GST_ELEMENT_ERROR (sdp->owner, RESOURCE, SETTINGS,
        ("%s needs a group or destinations at start, and raw=false",
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
    const GstMctxSinkSdpLeg *origin = first_known_source (legs);

    /* The sender opened at least one leg, or start failed before. */
    g_return_val_if_fail (origin != NULL, FALSE);
    announcer = announcer_start (sdp->owner, origin);
    if (announcer == NULL)
      return FALSE;
  }
  g_mutex_lock (&sdp->lock);
  sdp->announcer = announcer;
  sdp->path = gst_mctx_sink_is_set (settings->sdp_file) ?
      g_strdup (settings->sdp_file) : NULL;
  sdp->session_id = (guint64) g_get_real_time () / G_USEC_PER_SEC
      + NTP_UNIX_OFFSET;
  sdp->session_version = 1;
  g_mutex_unlock (&sdp->lock);
  return TRUE;
}

/* With the lock: describes caps and legs, writes the file and announces
 * when the description changed. FALSE with error set when there is no
 * description; FALSE with error unset when the file could not be written
 * (the element error is posted). */
static gboolean
describe (GstMctxSinkSdp * sdp, GstCaps * caps, GArray * legs, GError ** error)
{
  gchar *text;

  text = gst_mctx_sink_sdp_build (caps, (GstMctxSinkSdpLeg *) legs->data,
      legs->len, sdp->session_id, sdp->session_version, error);
  if (text == NULL)
    return FALSE;
  if (sdp->last != NULL && strcmp (text, sdp->last) == 0) {
    g_free (text);
    return TRUE;
  }
  /* A changed description is a new version of the same session. */
  if (sdp->last != NULL) {
    g_free (text);
    sdp->session_version++;
    text = gst_mctx_sink_sdp_build (caps, (GstMctxSinkSdpLeg *) legs->data,
        legs->len, sdp->session_id, sdp->session_version, NULL);
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

gboolean
gst_mctx_sink_sdp_set_caps (GstMctxSinkSdp * sdp, GstCaps * caps, GArray * legs)
{
  GError *error = NULL;
  gboolean ok = TRUE;

  g_mutex_lock (&sdp->lock);
  if (sdp->path == NULL && sdp->announcer == NULL)
    goto done;
  if (sdp->refused != NULL && gst_caps_is_equal (caps, sdp->refused)) {
    ok = FALSE;
    goto done;
  }
  ok = describe (sdp, caps, legs, &error);
  if (error != NULL) {
    GST_ELEMENT_ERROR (sdp->owner, STREAM, FORMAT,
        ("Could not describe the stream (%s): %s",
            sdp->path ? "sdp-file" : "announce", error->message), (NULL));
    g_error_free (error);
    gst_caps_replace (&sdp->refused, caps);
    goto done;
  }
  gst_caps_replace (&sdp->caps, caps);
done:
  g_mutex_unlock (&sdp->lock);
  return ok;
}

void
gst_mctx_sink_sdp_set_legs (GstMctxSinkSdp * sdp, GArray * legs)
{
  GError *error = NULL;

  g_mutex_lock (&sdp->lock);
  /* Before the caps, set_caps describes the legs of its time. */
  if (sdp->caps != NULL && !describe (sdp, sdp->caps, legs, &error)
      && error != NULL) {
    GST_ELEMENT_WARNING (sdp->owner, RESOURCE, SETTINGS,
        ("Could not describe the new destinations (%s): %s; the last "
            "description stays", sdp->path ? "sdp-file" : "announce",
            error->message), (NULL));
    g_error_free (error);
  }
  g_mutex_unlock (&sdp->lock);
}

void
gst_mctx_sink_sdp_stop (GstMctxSinkSdp * sdp)
{
  g_mutex_lock (&sdp->lock);
  if (sdp->announcer != NULL)
    announcer_stop (sdp->announcer);
  sdp->announcer = NULL;
  g_clear_pointer (&sdp->path, g_free);
  g_clear_pointer (&sdp->last, g_free);
  gst_caps_replace (&sdp->caps, NULL);
  gst_caps_replace (&sdp->refused, NULL);
  g_mutex_unlock (&sdp->lock);
}
