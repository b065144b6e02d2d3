/* mctxsink settings as values: what start() and a live change work from
 * (gstmctxsinksettings.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef GST_MCTX_SINK_SETTINGS_H
#define GST_MCTX_SINK_SETTINGS_H

#include <gst/gst.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* The element's settings. The element keeps one under its object lock (the
 * property values); start() and the sender work on copies. */
typedef struct
{
  gchar *group;
  gint port;
  gchar *source_addr;
  gint source_port;
  gchar *interface;
  gint ttl;
  gboolean loop;
  gint qos_dscp;
  gint buffer_size;
  GSocket *socket;
  gboolean have_socket;         /* socket != NULL, for the error texts */
  gboolean raw;                 /* complete IP datagrams (gstmctxsinkraw.c) */
  gint raw_validation;          /* mctx_raw_validation of raw publications */
  gint gso;                     /* UDP GSO for batches: an mctx_gso_mode
                                   (libmctx cfg->gso), GstMctxSinkGso */
  guint64 pacing_rate;          /* bits/s on the wire; 0: not paced */
  guint pacing_burst;           /* back to back after a late buffer */
  guint gather;                 /* single buffers per gathered batch; 1: off */
  GstClockTime gather_latency;  /* the longest a gathered buffer waits */
  gchar *sdp_file;              /* gstmctxsinksdp.c: the SDP written */
  gboolean announce;            /* gstmctxsinksdp.c: SAP announcements */
  /* gstmctxsinkmetrics.c's settings, copied in by it at start. */
  guint64 metrics_interval;
  gchar *metrics_file;
  gchar *metrics_node_id;
  gchar *metrics_flags;
} GstMctxSinkSettings;

/* Whether a string setting is set (not NULL, not empty). */
gboolean gst_mctx_sink_is_set (const gchar * s);

/* A value as a message repeats it (g_free): whole when it is at most
 * GST_MCTX_SINK_VALUE_MAX bytes, else its start (cut at a character) and
 * "...", so that a 10 MB value is not echoed whole. NULL stays NULL. */
#define GST_MCTX_SINK_VALUE_MAX 64
gchar *gst_mctx_sink_excerpt (const gchar * value);

/* dst becomes a deep copy of src (strings duplicated, socket referenced);
 * what dst held is released first. */
void gst_mctx_sink_settings_copy (GstMctxSinkSettings * dst,
    const GstMctxSinkSettings * src);

/* Releases what s holds and leaves the pointers NULL. */
void gst_mctx_sink_settings_clear (GstMctxSinkSettings * s);

/* Numbers are declared wider than they may be, so that the element sees a
 * bad value instead of GObject keeping the default in silence. NULL when
 * value is valid for property (or property has no range), else the text
 * that names property, value and valid range (g_free). */
gchar *gst_mctx_sink_settings_range_refusal (const gchar * property,
    gint64 value);

/* start(): the first setting out of its range, as an element error naming
 * property, value and range. FALSE when one was posted. */
gboolean gst_mctx_sink_settings_check_ranges (const GstMctxSinkSettings * s,
    GstElement * element);

G_END_DECLS

#endif /* GST_MCTX_SINK_SETTINGS_H */
