/* mctxsink's legs: the same datagrams to several destinations
 * (gstmctxsinklegs.c), for SMPTE ST 2022-7 and dual-stack sending.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Each leg is one mctx:// URI of the `destinations` property: its own
 * publication (source, group, port, interface, ttl, qos-dscp), counters
 * and stall state. The sender (gstmctxsender.c) hands every datagram it
 * sends to its own publication to the legs too.
 *
 * Threads: send() and stop() are called by the sender's sending thread
 * (start() before any send); set_destinations(), set_timeout(), unlock()
 * and snapshot() from any thread.
 */
#ifndef GST_MCTX_SINK_LEGS_H
#define GST_MCTX_SINK_LEGS_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

#include <mctx.h>

G_BEGIN_DECLS

typedef struct _GstMctxSinkLegs GstMctxSinkLegs;

#define GST_MCTX_SINK_LEG_TIMEOUT_DEFAULT (20 * GST_MSECOND)

/* One leg's counters since it was added (or since start). */
typedef struct
{
  gchar *destination;           /* the URI as given */
  gboolean open;
  gboolean stalled;
  mctx_metrics counters;
  guint64 dropped;
} GstMctxSinkLegStats;

GstMctxSinkLegs *gst_mctx_sink_legs_new (GstBaseSink * owner);
void gst_mctx_sink_legs_free (GstMctxSinkLegs * l);

/* The destinations property: comma-separated mctx:// URIs (NULL or empty:
 * none), or a GstValueArray of them transformed to a string. While running, the change applies at the next send. FALSE, with
 * error, when a URI is not valid (nothing changes then). */
gboolean gst_mctx_sink_legs_set_destinations (GstMctxSinkLegs * l,
    const gchar * destinations, GError ** error);
gchar *gst_mctx_sink_legs_get_destinations (GstMctxSinkLegs * l);

/* leg-timeout: how long, in all, a leg may hold the stream when block=true
 * before it is stalled. */
void gst_mctx_sink_legs_set_timeout (GstMctxSinkLegs * l, GstClockTime t);
GstClockTime gst_mctx_sink_legs_get_timeout (GstMctxSinkLegs * l);

/* Opens every leg; one that cannot be opened is warned about and retried
 * at most once a second. Returns how many opened; *n_legs: how many there
 * are. */
guint gst_mctx_sink_legs_start (GstMctxSinkLegs * l, guint * n_legs);
void gst_mctx_sink_legs_stop (GstMctxSinkLegs * l);

/* Whether any leg is configured (the sender then needs no group). */
gboolean gst_mctx_sink_legs_any (GstMctxSinkLegs * l);

/* Whether sends must go through the legs: legs are running, or a change
 * of destinations waits for the next send (a removal too). */
gboolean gst_mctx_sink_legs_in_use (GstMctxSinkLegs * l);

/* pacing-rate and pacing-burst, for every leg's publication (at open; a
 * change applies at the next send). Any thread. */
void gst_mctx_sink_legs_set_pacing (GstMctxSinkLegs * l, guint64 rate,
    guint burst);

/* Sends datagrams to every leg, and to own (the element's publication,
 * named own_name in warnings; NULL: no group) as one more leg, first, so
 * that with pacing its schedule paces them all; its drops are counted
 * here, in the totals of snapshot(). may_wait: block=true and the caller
 * may wait (each leg then waits at most what is left of its leg-timeout);
 * otherwise a datagram a leg's socket cannot take now is dropped for that
 * leg. Returns how many of the datagrams every leg is done with (each
 * sent or counted as dropped, per leg): count, or fewer when a pacing
 * wait was interrupted (unlock), the rest then being no leg's yet. */
gsize gst_mctx_sink_legs_send (GstMctxSinkLegs * l, mctx_publication * own,
    const gchar * own_name, const mctx_datagram * datagrams, gsize count,
    gboolean may_wait);

/* Counts count datagrams as dropped for every leg (and the own one when
 * own): given up on after an interrupted send. */
void gst_mctx_sink_legs_drop (GstMctxSinkLegs * l, gboolean own, gsize count);

/* Interrupts a leg's wait (and pacing wait), now and until unlock_stop. */
void gst_mctx_sink_legs_unlock (GstMctxSinkLegs * l);
void gst_mctx_sink_legs_unlock_stop (GstMctxSinkLegs * l);

/* Every leg's counters (free with gst_mctx_sink_legs_stats_free), and the
 * totals of all legs, those removed included, added to *totals and
 * *dropped. */
GArray *gst_mctx_sink_legs_snapshot (GstMctxSinkLegs * l,
    mctx_metrics * totals, guint64 * dropped);
void gst_mctx_sink_legs_stats_free (GArray * stats);

/* One destination as set now, for the session description (sdp-file):
 * where its URI sends, and the source it sends from while its leg is
 * open (the kernel's choice when the URI names none). */
typedef struct
{
  gchar *group;
  gint port;
  gchar *source_addr;           /* as the URI names it; NULL: none */
  gchar *interface;             /* NULL: none */
  gint ttl;                     /* -1: the kernel's default */
  gboolean loop;
  gchar *source;                /* the effective source; NULL: not open */
} GstMctxSinkLegPlace;

/* The destinations as set now, a change not yet applied included, in
 * their order: an array of GstMctxSinkLegPlace (g_array_unref frees). */
GArray *gst_mctx_sink_legs_describe (GstMctxSinkLegs * l);

G_END_DECLS

#endif /* GST_MCTX_SINK_LEGS_H */
