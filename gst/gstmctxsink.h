/* mctxsink: a GStreamer sink that sends each buffer as one multicast UDP
 * datagram through libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef GST_MCTX_SINK_H
#define GST_MCTX_SINK_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

#include "gstmctxsinksettings.h"

G_BEGIN_DECLS

#define GST_TYPE_MCTX_SINK (gst_mctx_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstMctxSink, gst_mctx_sink, GST, MCTX_SINK, GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (mctxsink);

struct _GstMctxSink
{
  GstBaseSink parent;

  /* The property values; the object lock protects them. */
  GstMctxSinkSettings settings;
  /* From the moment start() copied the settings until stop(): the
   * properties flagged GST_PARAM_MUTABLE_READY are refused then, since the
   * socket they shape is open. Object lock. */
  gboolean running;

  /* gstmctxsender.c: the publication and everything on the way to it. */
  struct _GstMctxSender *sender;
  /* gstmctxsinkgather.c, when gather > 1; set at start, freed at stop. */
  struct _GstMctxSinkGather *gathering;
  /* gstmctxsinkmetrics.c: messages, send-stats and the metrics file. */
  struct _GstMctxSinkMetrics *metrics;
  /* gstmctxsinksdp.c: sdp-file and the SAP announcer. */
  struct _GstMctxSinkSdp *sdp;
};

/* gstmctxsinkuri.c: the GstURIHandler interface ("mctx://"). */
void gst_mctx_sink_uri_handler_init (gpointer g_iface, G_GNUC_UNUSED gpointer iface_data);
/* An mctx:// URI as settings (the query's keys over their defaults); object
 * is an mctxsink, for the properties' specs. FALSE with error set when the
 * URI is not valid. */
gboolean gst_mctx_sink_uri_to_settings (GObject * object, const gchar * uri,
    GstMctxSinkSettings * out, GError ** error);

G_END_DECLS

#endif /* GST_MCTX_SINK_H */
