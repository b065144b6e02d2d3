/* mctxsink's sender: the one way from buffers to the socket
 * (gstmctxsender.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The sender owns the publication (UDP, or raw), the wait for a writable
 * socket and its interruption, the ENOBUFS back-off, the send-error
 * warnings, the packets-dropped counter and the mapping of buffers into
 * datagrams. The element (gstmctxsink.c) is GObject and GstBaseSink glue
 * around it; the gathering and the metrics use it, and never the element.
 *
 * Threads: gst_mctx_sender_send() and gst_mctx_sender_render() are called
 * by one thread at a time: the streaming thread, or whoever holds the
 * gathering lock (gstmctxsinkgather.c), which serialises the flusher thread
 * with the streaming thread. start() and stop() run on the state-change
 * thread while no send runs. unlock(), unlock_stop(), stage(), set_block()
 * and snapshot() may be called from any thread at any time.
 */
#ifndef GST_MCTX_SENDER_H
#define GST_MCTX_SENDER_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

#include <mctx.h>

#include "gstmctxsinklegs.h"
#include "gstmctxsinksettings.h"

G_BEGIN_DECLS

typedef struct _GstMctxSender GstMctxSender;

/* Datagrams made from buffers: every memory mapped for reading, the
 * mctx_bufs pointing into the mappings. The arrays grow on demand and are
 * kept, so that a batch reused from one send to the next allocates
 * nothing. Datagrams [0, first) are done (sent or dropped), [first, n) wait
 * to be sent. */
typedef struct
{
  mctx_datagram *datagrams;
  gsize n;
  gsize first;
  gsize datagrams_alloc;
  GstMapInfo *maps;
  mctx_buf *bufs;
  gsize maps_used;
  gsize maps_alloc;
} GstMctxSenderBatch;

/* Room for ndatagrams datagrams of nmaps memories in all, ahead of time. */
void gst_mctx_sender_batch_reserve (GstMctxSenderBatch * b, gsize ndatagrams,
    gsize nmaps);

/* Maps every memory of buffer and appends it as one datagram. FALSE when a
 * memory cannot be mapped: nothing of buffer stays mapped or appended. */
gboolean gst_mctx_sender_batch_add (GstMctxSenderBatch * b,
    GstBuffer * buffer);

/* Unmaps everything and empties the batch (the arrays are kept). */
void gst_mctx_sender_batch_release (GstMctxSenderBatch * b);

/* release, and frees the arrays. */
void gst_mctx_sender_batch_clear (GstMctxSenderBatch * b);

/* How a send treats a datagram the socket cannot take now (would block, or
 * ENOBUFS) when block is true. */
typedef enum
{
  /* Wait (streaming thread, preroll lock held): a state change or flush
   * interrupts the wait, and after a pause the datagram goes out. */
  GST_MCTX_SENDER_WAIT,
  /* Stop there and return GST_FLOW_OK; the rest stays in the batch (the
   * gathering flusher thread). */
  GST_MCTX_SENDER_NO_WAIT,
  /* Drop and count it, as with block=false (the last send at stop); with
   * pacing, send what is due and drop and count the rest. */
  GST_MCTX_SENDER_LAST,
} GstMctxSenderMode;

/* What the metrics read: every publication's counters since start (those
 * replaced by a live change included), the datagrams given up on, and
 * where the datagrams go now (empty and 0 in raw mode or without a
 * group). */
typedef struct
{
  mctx_metrics counters;
  guint64 dropped;
  gchar group[MCTX_IP_STRLEN];
  gint port;
  gchar source[MCTX_IP_STRLEN];
  /* GstMctxSinkLegStats of each leg of destinations (their counters are in
   * the totals above too); free with gst_mctx_sink_legs_stats_free. */
  GArray *legs;
  /* The egress interface's root qdisc (UDP publications): its kind ("" when
   * unknown), the interface's name, and counters.queue_drops, its drops
   * since start, INTERFACE-WIDE (other senders' drops count too). */
  gchar qdisc[MCTX_QDISC_KIND_MAX];
  gchar qdisc_interface[MCTX_INTERFACE_NAME_MAX];
} GstMctxSenderCounters;

/* owner posts the messages, and its object lock guards settings (the
 * element's property values, which live changes are read from) and what
 * snapshot() reads. */
GstMctxSender *gst_mctx_sender_new (GstBaseSink * owner,
    GstMctxSinkSettings * settings);
void gst_mctx_sender_free (GstMctxSender * s);

/* Opens the publication the settings (a copy start() took) ask for, after
 * the checks that need no socket; with no group set (and raw off), opens
 * none: the first buffer then needs one. On failure posts the element error
 * naming the property and value, and returns FALSE. Counters start at 0. */
gboolean gst_mctx_sender_start (GstMctxSender * s,
    const GstMctxSinkSettings * settings);

/* Reports the send errors not yet warned about and closes the publication;
 * the counters stay readable. */
void gst_mctx_sender_stop (GstMctxSender * s);

/* Interrupts a wait for the socket, now and until unlock_stop. */
void gst_mctx_sender_unlock (GstMctxSender * s);
void gst_mctx_sender_unlock_stop (GstMctxSender * s);

/* With the owner's object lock: a live setting changed. The next send
 * applies it before its first datagram: it opens and checks the new
 * publication before it closes the old one, or warns (naming property and
 * value) and goes on with the old one. */
void gst_mctx_sender_stage (GstMctxSender * s);

/* block: wait for a full socket (TRUE) or drop and count (FALSE). */
void gst_mctx_sender_set_block (GstMctxSender * s, gboolean block);
gboolean gst_mctx_sender_get_block (GstMctxSender * s);

/* The one way to the socket: sends the batch's datagrams [first, n) in
 * order, advancing first. Every datagram ends up sent (counted by libmctx)
 * or dropped (counted in packets-dropped), except, in NO_WAIT mode, those
 * left from first on. */
GstFlowReturn gst_mctx_sender_send (GstMctxSender * s,
    GstMctxSenderBatch * b, GstMctxSenderMode mode);

/* render / render_list: buffer, or every buffer of list, mapped and sent
 * through gst_mctx_sender_send() in WAIT mode, as one batch (a list never
 * goes to two destinations). */
GstFlowReturn gst_mctx_sender_render (GstMctxSender * s, GstBuffer * buffer,
    GstBufferList * list);

/* Counts datagrams given up on outside a send. */
void gst_mctx_sender_count_dropped (GstMctxSender * s, guint64 n);

/* Warns now about the send errors counted since the last warning (EOS). */
void gst_mctx_sender_report_errors (GstMctxSender * s);

/* The legs of the destinations property (gstmctxsinklegs.c). */
GstMctxSinkLegs *gst_mctx_sender_get_legs (GstMctxSender * s);

/* Builds the libmctx config from settings (a group set), validates it and
 * opens the publication; a setting libmctx could not parse is named in
 * *bad (the legs open theirs with it too). */
int gst_mctx_sender_open_udp (const GstMctxSinkSettings * s,
    mctx_publication ** pub, const gchar ** bad, mctx_error * err);

/* Any thread; takes the owner's object lock. */
void gst_mctx_sender_snapshot (GstMctxSender * s, GstMctxSenderCounters * out);

G_END_DECLS

#endif /* GST_MCTX_SENDER_H */
