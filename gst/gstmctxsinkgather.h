/* mctxsink gathering (gather > 1): single buffers wait, mapped, until a
 * batch is full, the latency budget is spent or something needs them out,
 * and then leave in one batch send (gstmctxsinkgather.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef GST_MCTX_SINK_GATHER_H
#define GST_MCTX_SINK_GATHER_H

#include "gstmctxsender.h"

G_BEGIN_DECLS

typedef struct _GstMctxSinkGather GstMctxSinkGather;

/* start(): room for max buffers, and the flusher thread that sends a batch
 * whose first buffer has waited latency through sender. element gets the
 * error for a buffer that cannot be read. */
GstMctxSinkGather *gst_mctx_sink_gather_new (GstMctxSender * sender,
    GstElement * element, guint max, GstClockTime latency);

/* stop(), after the streaming thread left: stops the flusher, then sends
 * what is still pending without waiting (what the socket cannot take is
 * dropped and counted), so that every buffer is counted. NULL is fine. */
void gst_mctx_sink_gather_free (GstMctxSinkGather * g);

/* render(): keeps buffer (a reference, its memories mapped) and sends the
 * batch when it is full. Streaming thread, preroll lock held. A buffer that
 * cannot be mapped is dropped, counted, and GST_FLOW_ERROR posted. */
GstFlowReturn gst_mctx_sink_gather_add (GstMctxSinkGather * g,
    GstBuffer * buffer);

/* Whether buffers are pending (a hint: the flusher may be sending them). */
gboolean gst_mctx_sink_gather_pending (GstMctxSinkGather * g);

/* Streaming thread, preroll lock held: sends the pending buffers now,
 * waiting for the socket as render does (EOS, before a clock wait). */
GstFlowReturn gst_mctx_sink_gather_flush (GstMctxSinkGather * g);

/* Around any other send of the streaming thread (a buffer list): takes the
 * gathering lock, so the flusher does not send at the same time, and sends
 * the pending buffers first, so order is kept. unlock releases it. */
GstFlowReturn gst_mctx_sink_gather_lock_flushed (GstMctxSinkGather * g);
void gst_mctx_sink_gather_unlock (GstMctxSinkGather * g);

G_END_DECLS

#endif /* GST_MCTX_SINK_GATHER_H */
