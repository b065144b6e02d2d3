/* mctxsink: a GStreamer sink that sends each buffer as one multicast UDP
 * datagram through libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef GST_MCTX_SINK_H
#define GST_MCTX_SINK_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <gio/gio.h>

#include <stdatomic.h>

#include <mctx.h>

G_BEGIN_DECLS

#define GST_TYPE_MCTX_SINK (gst_mctx_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstMctxSink, gst_mctx_sink, GST, MCTX_SINK, GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (mctxsink);

/* Send errors are reported per errno, at most once a second each; this many
 * different errnos are tracked at a time (the oldest slot is reused). */
#define GST_MCTX_SINK_ERROR_KINDS 8

/* gstmctxsinkmetrics.c: messages, stats and the metrics file. */
typedef struct _GstMctxSinkMetrics GstMctxSinkMetrics;

/* Memories mapped for sending and the mctx_bufs that point into them, kept
 * from one send to the next and grown on demand, so that sending allocates
 * nothing (the streaming thread's, and the gathering's under its lock). */
typedef struct
{
  GstMapInfo *maps;
  mctx_buf *bufs;
  gsize alloc;
} GstMctxSinkMaps;

/* Grows m to room for n (at least twice what it had) and points
 * datagrams[0 .. ndatagrams), whose bufs lie back to back from bufs[0], at
 * the new array. Mapped entries move by value, which is all a GstMapInfo
 * needs: gst_memory_unmap() reads the copy's memory and flags, and nothing
 * keeps its address. */
void gst_mctx_sink_maps_grow (GstMctxSinkMaps * m, gsize n,
    mctx_datagram * datagrams, gsize ndatagrams);

static inline void
gst_mctx_sink_maps_reserve (GstMctxSinkMaps * m, gsize n,
    mctx_datagram * datagrams, gsize ndatagrams)
{
  if (G_UNLIKELY (n > m->alloc))
    gst_mctx_sink_maps_grow (m, n, datagrams, ndatagrams);
}

void gst_mctx_sink_maps_clear (GstMctxSinkMaps * m);

typedef struct
{
  int sys_errno;                /* the kind; 0 for a failure without errno */
  int code;                     /* the mctx_code of the last one */
  guint64 pending;              /* errors since the last warning */
  gint64 last_warning_us;       /* monotonic; 0: never warned */
} GstMctxSinkErrorKind;

struct _GstMctxSink
{
  GstBaseSink parent;

  /* Settings; the object lock protects them. */
  gchar *group;
  gint port;
  gchar *source_addr;
  gint source_port;
  gchar *interface;
  gint ttl;
  gboolean loop;
  gint qos_dscp;
  gint buffer_size;
  gint block;                   /* gboolean, read atomically by render */
  GSocket *socket;
  gboolean raw;                 /* complete IP datagrams (gstmctxsinkraw.c) */
  gboolean gso;                 /* UDP GSO for batches (libmctx cfg->gso) */
  guint gather;                 /* single buffers per gathered batch; 1: off */
  GstClockTime gather_latency;  /* the longest a gathered buffer waits */

  /* From the moment start() copied the settings until it returns: start-time
   * settings are refused then as while started, so none changes unnoticed. */
  gboolean starting;
  /* Between start() and stop(). pub changes under the object lock, so that
   * other threads (stats, live ttl/loop/qos-dscp) can use it under that lock;
   * the streaming thread uses it without the lock. */
  gboolean started;
  mctx_publication *pub;
  struct _GstMctxSinkRaw *raw_pub;      /* instead of pub when raw */
  /* gstmctxsinkgather.c, when gather > 1; set at start, freed at stop. */
  struct _GstMctxSinkGather *gathering;
  char destination[MCTX_ENDPOINT_STRLEN];

  /* Waits for writability (and the ENOBUFS backoff); unlock() flushes it. */
  GstPoll *poll;
  GstPollFD pollfd;
  GstClockTime backoff;

  /* Streaming thread only: mappings and gather arrays, grown on demand and
   * reused, so that a buffer or a list costs no allocation. */
  GstMctxSinkMaps maps;
  mctx_datagram *datagrams;
  gsize datagrams_alloc;

  GstMctxSinkErrorKind error_kinds[GST_MCTX_SINK_ERROR_KINDS];
  /* A local queue that keeps refusing (ENOBUFS) with block=true: monotonic
   * microseconds since it began refusing (0: it is not), and of the last
   * warning about it. gst_mctx_sink_send()'s callers only. */
  gint64 enobufs_since_us;
  gint64 enobufs_warned_us;

  /* Counters. The library counts what it sends; the element counts what it
   * gave up on. last_metrics keeps the library's counters after stop(). */
  _Atomic guint64 packets_dropped;
  mctx_metrics last_metrics;

  GstMctxSinkMetrics *metrics;
};

/* How gst_mctx_sink_send() treats a datagram the socket cannot take now
 * (would block, or ENOBUFS) when block is true. */
typedef enum
{
  /* Wait (streaming thread, preroll lock held): a state change or flush
   * interrupts the wait, and after a pause the datagram goes out. */
  GST_MCTX_SINK_SEND_WAIT,
  /* Stop there and return GST_FLOW_OK: *done says how many were sent or
   * dropped; the caller keeps the rest (the gathering flusher thread). */
  GST_MCTX_SINK_SEND_NO_WAIT,
  /* Drop and count it, as with block=false (the last send at stop). */
  GST_MCTX_SINK_SEND_LAST,
} GstMctxSinkSendMode;

/* Sends count datagrams in order, in batches. Every datagram ends up sent
 * (counted by libmctx) or dropped (counted in packets-dropped), except, in
 * NO_WAIT mode, those from *done on. done may be NULL. Not thread-safe: one
 * caller at a time (the gathering lock serialises them when gathering). */
GstFlowReturn gst_mctx_sink_send (GstMctxSink * sink,
    const mctx_datagram * datagrams, gsize count, GstMctxSinkSendMode mode,
    gsize * done);

/* Counts datagrams the element gave up on in packets-dropped. */
void gst_mctx_sink_count_dropped (GstMctxSink * sink, guint64 n);

/* The publication's counters (UDP or raw); after stop(), those it had when
 * it stopped. Any thread; takes the object lock. */
void gst_mctx_sink_snapshot (GstMctxSink * sink, mctx_metrics * out);

/* gstmctxsinkmetrics.c: the `stats` structure (the fields of the
 * mctx-metrics message, see the element's documentation). Any thread. */
GstStructure *gst_mctx_sink_get_stats (GstMctxSink * sink);

/* gstmctxsinkuri.c: the GstURIHandler interface ("mctx://"). */
void gst_mctx_sink_uri_handler_init (gpointer g_iface, G_GNUC_UNUSED gpointer iface_data);

/* gstmctxsinkerror.c: posts the GST_ELEMENT_ERROR for a configuration that
 * libmctx refused (rc, err), naming the property and value at fault. The
 * settings are those start() used. */
typedef struct
{
  const gchar *group;
  gint port;
  const gchar *source_addr;
  gint source_port;
  const gchar *interface;
  gint ttl;
  gboolean loop;
  gint qos_dscp;
  gint buffer_size;
  gboolean have_socket;
  gboolean raw;
  gboolean gso;
  guint gather;
  GstClockTime gather_latency;
  /* gstmctxsinkmetrics.c's start-time settings (strings owned). */
  const gchar *metrics_file;
  const gchar *metrics_node_id;
  const gchar *metrics_flags;
} GstMctxSinkSettings;

/* Whether a string setting is set (not NULL, not empty). */
gboolean gst_mctx_sink_is_set (const gchar * s);

/* Parses source-addr into source and interface into iface, each when set
 * (UDP and raw mode alike). On failure posts the error that names the
 * property and returns FALSE. */
gboolean gst_mctx_sink_parse_egress (GstMctxSink * sink,
    const GstMctxSinkSettings * s, mctx_ip * source, mctx_interface * iface);

/* Posts the error for a setting that libmctx could not parse. */
void gst_mctx_sink_post_parse_error (GstMctxSink * sink,
    const gchar * property, const gchar * value, int rc,
    const mctx_error * err);

void gst_mctx_sink_post_config_error (GstMctxSink * sink,
    const GstMctxSinkSettings * settings, int rc, const mctx_error * err);

G_END_DECLS

#endif /* GST_MCTX_SINK_H */
