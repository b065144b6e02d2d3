/* mctxsink metrics: the periodic `mctx-metrics` element messages, the
 * `stats` structure and the Heimdall JSONL rows (gstmctxsinkmetrics.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Nothing here runs on the streaming thread's send path: a timer thread of
 * the element's own reads libmctx's lock-free snapshots and the element's
 * atomic packets-dropped counter.
 */
#ifndef GST_MCTX_SINK_METRICS_H
#define GST_MCTX_SINK_METRICS_H

#include "gstmctxsink.h"

G_BEGIN_DECLS

/* Property ids are first, first + 1, ... in this order. */
enum
{
  GST_MCTX_SINK_METRICS_PROP_INTERVAL,
  GST_MCTX_SINK_METRICS_PROP_FILE,
  GST_MCTX_SINK_METRICS_PROP_NODE_ID,
  GST_MCTX_SINK_METRICS_PROP_FLAGS,
  GST_MCTX_SINK_METRICS_N_PROPS
};

/* class_init: installs metrics-interval, metrics-file, metrics-node-id and
 * metrics-flags with the ids first .. first + 3. */
void gst_mctx_sink_metrics_install_properties (GObjectClass * gobject_class,
    guint first);

/* init / finalize. */
GstMctxSinkMetrics *gst_mctx_sink_metrics_new (void);
void gst_mctx_sink_metrics_free (GstMctxSinkMetrics * m);

/* set_property / get_property of one of the properties above (which is the
 * id minus first), called with the object lock held. */
void gst_mctx_sink_metrics_set_property (GstMctxSink * sink, guint which,
    const GValue * value, GParamSpec * pspec);
void gst_mctx_sink_metrics_get_property (GstMctxSink * sink, guint which,
    GValue * value);

/* start(), with the object lock, as it copies every setting at once:
 * duplicates metrics-file, metrics-node-id and metrics-flags into settings
 * (clear_settings frees them). */
void gst_mctx_sink_metrics_copy_settings (GstMctxSink * sink,
    GstMctxSinkSettings * settings);

/* start(), before the publication is opened: checks the settings'
 * metrics-flags and opens (creates, locks, checks) their metrics-file. On
 * failure posts the GST_ELEMENT_ERROR that says why and returns FALSE. */
gboolean gst_mctx_sink_metrics_open (GstMctxSink * sink,
    const GstMctxSinkSettings * settings);

/* start(), when it fails after gst_mctx_sink_metrics_open() succeeded:
 * releases the file. Harmless when nothing is open. */
void gst_mctx_sink_metrics_abort (GstMctxSink * sink);

/* start(), once sink->pub is set: takes the baseline and starts the timer. */
void gst_mctx_sink_metrics_begin (GstMctxSink * sink,
    const GstMctxSinkSettings * settings);

/* stop(), first thing, while sink->pub is still open: stops the timer, posts
 * the final message (unless this stream already had one) and closes the
 * file. */
void gst_mctx_sink_metrics_end (GstMctxSink * sink);

/* event(), for every event, before it is chained up: EOS posts the final
 * message; STREAM_START and FLUSH_STOP after a final one begin a new
 * stream. */
void gst_mctx_sink_metrics_event (GstMctxSink * sink, GstEvent * event);

G_END_DECLS

#endif /* GST_MCTX_SINK_METRICS_H */
