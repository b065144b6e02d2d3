/* mctxsink's session description: the sdp-file and the SAP announcer
 * (gstmctxsinksdp.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libmctx writes the session part of the SDP (o=, s=, c=, t=, the source
 * filter) and frames the SAP packets; this file adds the media part from
 * the caps, writes the file and runs the announcer.
 *
 * Threads: start() and stop() run on the state-change thread, set_caps()
 * on the streaming thread (serialised with them by basesink), set_legs()
 * on the thread that set destinations (a lock serialises it with the
 * others); the announcer sends from a thread of its own, never the
 * streaming thread.
 */
#ifndef GST_MCTX_SINK_SDP_H
#define GST_MCTX_SINK_SDP_H

#include <gst/gst.h>

#include "gstmctxsinksettings.h"

G_BEGIN_DECLS

typedef struct _GstMctxSinkSdp GstMctxSinkSdp;

/* One place the stream goes (a leg): the element's own group, or one of
 * its destinations. Strings owned (gst_mctx_sink_sdp_legs_new clears
 * them). */
typedef struct
{
  gchar *group;
  gint port;
  gchar *source;                /* the effective source (the kernel's choice
                                   when none was named); NULL: not known,
                                   the leg is not open */
  gboolean source_given;        /* source-addr (or the URI) named it */
  gchar *interface;             /* NULL: none */
  gint ttl;                     /* -1: the kernel's default, 1 */
  gboolean loop;
} GstMctxSinkSdpLeg;

/* An empty array of GstMctxSinkSdpLeg that frees what its legs own. */
GArray *gst_mctx_sink_sdp_legs_new (void);

/* owner posts the errors. */
GstMctxSinkSdp *gst_mctx_sink_sdp_new (GstElement * owner);
void gst_mctx_sink_sdp_free (GstMctxSinkSdp * sdp);

/* Whether the settings ask for a session description at all (sdp-file or
 * announce). */
gboolean gst_mctx_sink_sdp_wanted (const GstMctxSinkSettings * settings);

/* After the sender started, with legs (the own group first, then the
 * destinations): checks that sdp-file can be written (a file made and
 * removed next to it) and, with announce, opens the SAP publication (the
 * SAP group of the scope of the first leg whose source is known, from that
 * source, through that leg's interface, with its ttl and loop) and starts
 * the announcer's thread, which announces from the first set_caps on. On
 * failure posts the element error naming the property and value, and
 * returns FALSE. A no-op when nothing is wanted. */
gboolean gst_mctx_sink_sdp_start (GstMctxSinkSdp * sdp,
    const GstMctxSinkSettings * settings, GArray * legs);

/* The caps became known or changed: builds the SDP of caps and legs (where
 * the stream goes now), writes sdp-file atomically (temporary file and
 * rename) and hands the SDP to the announcer. Caps that have no SDP form
 * (neither RTP nor MPEG-TS), or a file that cannot be written, post an
 * element error naming them and return FALSE. */
gboolean gst_mctx_sink_sdp_set_caps (GstMctxSinkSdp * sdp, GstCaps * caps,
    GArray * legs);

/* Any thread: the legs changed (destinations set while running). Once the
 * caps are known, the SDP of the last caps and legs replaces the file and
 * the announcement; a description that cannot be made is warned about and
 * the last one stays. */
void gst_mctx_sink_sdp_set_legs (GstMctxSinkSdp * sdp, GArray * legs);

/* Sends the SAP deletion (when something was announced), stops the
 * announcer's thread and closes its publication. The file stays. */
void gst_mctx_sink_sdp_stop (GstMctxSinkSdp * sdp);

/* The SDP for caps and legs (g_free), or NULL with error set: what
 * set_caps writes. One leg: the session's c= and source filter. Several:
 * RFC 7104 duplication, a session-level a=group:DUP and one m= per leg,
 * each with its c=, source filter (when its source is known) and a=mid. */
gchar *gst_mctx_sink_sdp_build (GstCaps * caps,
    const GstMctxSinkSdpLeg * legs, guint n_legs, guint64 session_id,
    guint64 session_version, GError ** error);

G_END_DECLS

#endif /* GST_MCTX_SINK_SDP_H */
