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
 * on the streaming thread (serialised with them by basesink); the
 * announcer sends from a thread of its own, never the streaming thread.
 */
#ifndef GST_MCTX_SINK_SDP_H
#define GST_MCTX_SINK_SDP_H

#include <gst/gst.h>

#include "gstmctxsinksettings.h"

G_BEGIN_DECLS

typedef struct _GstMctxSinkSdp GstMctxSinkSdp;

/* Where the stream goes, as the sender opened it: the group, the port and
 * the effective source (what the kernel chose when source-addr is unset),
 * as texts; source_given says whether source-addr named it. */
typedef struct
{
  const gchar *group;
  gint port;
  const gchar *source;
  gboolean source_given;
} GstMctxSinkSdpLeg;

/* owner posts the errors. */
GstMctxSinkSdp *gst_mctx_sink_sdp_new (GstElement * owner);
void gst_mctx_sink_sdp_free (GstMctxSinkSdp * sdp);

/* Whether the settings ask for a session description at all (sdp-file or
 * announce). */
gboolean gst_mctx_sink_sdp_wanted (const GstMctxSinkSettings * settings);

/* After the sender started: checks that sdp-file can be written (a file
 * made and removed next to it) and, with announce, opens the SAP
 * publication (the SAP group of leg's scope, from leg's source, through
 * the settings' interface, with their ttl and loop) and starts the
 * announcer's thread, which announces from the first set_caps on. On
 * failure posts the element error naming the property and value, and
 * returns FALSE. A no-op when nothing is wanted. */
gboolean gst_mctx_sink_sdp_start (GstMctxSinkSdp * sdp,
    const GstMctxSinkSettings * settings, const GstMctxSinkSdpLeg * leg);

/* The caps became known or changed: builds the SDP of legs (n_legs, where
 * the stream goes now), writes sdp-file atomically (temporary file and
 * rename) and hands the SDP to the announcer. Caps that have no SDP form
 * (neither RTP nor MPEG-TS), or a file that cannot be written, post an
 * element error naming them and return FALSE. */
gboolean gst_mctx_sink_sdp_set_caps (GstMctxSinkSdp * sdp, GstCaps * caps,
    const GstMctxSinkSdpLeg * legs, guint n_legs);

/* Sends the SAP deletion (when something was announced), stops the
 * announcer's thread and closes its publication. The file stays. */
void gst_mctx_sink_sdp_stop (GstMctxSinkSdp * sdp);

/* The SDP for caps and legs (g_free), or NULL with error set: what
 * set_caps writes. One leg until the element has several destinations
 * (issue 19): then one m= per leg and a=group:DUP. */
gchar *gst_mctx_sink_sdp_build (GstCaps * caps,
    const GstMctxSinkSdpLeg * legs, guint n_legs, guint ttl,
    guint64 session_id, guint64 session_version, GError ** error);

G_END_DECLS

#endif /* GST_MCTX_SINK_SDP_H */
