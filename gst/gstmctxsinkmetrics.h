/* mctxsink metrics: the periodic `mctx-metrics` element messages, the
 * `send-stats` structure and the Heimdall JSONL rows (gstmctxsinkmetrics.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Nothing here runs on the streaming thread's send path: a timer thread of
 * the element's own reads libmctx's lock-free snapshots and the element's
 * atomic packets-dropped counter.
 */
#ifndef GST_MCTX_SINK_METRICS_H
#define GST_MCTX_SINK_METRICS_H

#include "gstmctxsender.h"

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

typedef struct _GstMctxSinkMetrics GstMctxSinkMetrics;

/* init / finalize. owner gets the messages; sender is counted. */
GstMctxSinkMetrics *gst_mctx_sink_metrics_new (GstBaseSink * owner,
    GstMctxSender * sender);
void gst_mctx_sink_metrics_free (GstMctxSinkMetrics * m);

/* set_property / get_property of one of the properties above (which is the
 * id minus first), called with the owner's object lock held. */
void gst_mctx_sink_metrics_set_property (GstMctxSinkMetrics * m, guint which,
    const GValue * value, GParamSpec * pspec);
void gst_mctx_sink_metrics_get_property (GstMctxSinkMetrics * m, guint which,
    GValue * value);

/* With the owner's object lock, as start() copies every setting at once:
 * metrics-interval, and metrics-file, metrics-node-id and metrics-flags
 * duplicated (settings_clear frees them). */
void gst_mctx_sink_metrics_copy_settings (GstMctxSinkMetrics * m,
    GstMctxSinkSettings * settings);

/* start(), before the publication is opened: checks the settings'
 * metrics-flags and opens (creates, locks, checks) their metrics-file. On
 * failure posts the GST_ELEMENT_ERROR that says why and returns FALSE. */
gboolean gst_mctx_sink_metrics_open (GstMctxSinkMetrics * m,
    const GstMctxSinkSettings * settings);

/* start(), when it fails after gst_mctx_sink_metrics_open() succeeded:
 * releases the file. Harmless when nothing is open. */
void gst_mctx_sink_metrics_abort (GstMctxSinkMetrics * m);

/* start(), once the sender started: takes the baseline and starts the
 * timer. */
void gst_mctx_sink_metrics_begin (GstMctxSinkMetrics * m);

/* stop(), before the sender stops: stops the timer, posts
 * the final message (unless this stream already had one) and closes the
 * file. */
void gst_mctx_sink_metrics_end (GstMctxSinkMetrics * m);

/* event(), for every event, before it is chained up: EOS posts the final
 * message; STREAM_START and FLUSH_STOP after a final one begin a new
 * stream. */
void gst_mctx_sink_metrics_event (GstMctxSinkMetrics * m, GstEvent * event);

/* The `send-stats` structure (the fields of the mctx-metrics message, see
 * the element's documentation). Any thread. */
GstStructure *gst_mctx_sink_metrics_get_send_stats (GstMctxSinkMetrics * m);

G_END_DECLS

#endif /* GST_MCTX_SINK_METRICS_H */
