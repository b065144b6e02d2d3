/* mctxsink metrics: `mctx-metrics` element messages from a timer, the
 * `send-stats` structure, and Heimdall JSONL rows.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A sample is the sender's counters at one moment compared with the
 * previous sample: libmctx's publication snapshots (lock-free, never split
 * across a send; those of publications replaced by a live change kept) and
 * the atomic packets-dropped. Samples are taken
 * by a thread of the element's own every metrics-interval, and once more at
 * the end of a stream (EOS, or stop() without an EOS before it): the final
 * sample. The streaming thread does nothing for them, except at EOS.
 *
 * Each sample is posted as one element message and, with metrics-file set,
 * appended as one JSONL row, so the two always agree.
 *
 * Locks, always taken in this order: post_lock (a sample is taken, posted
 * and written before the next one, so messages arrive in order and none
 * follows a final one), then sample_lock (the stream's state; the
 * send-stats property takes only this one, so a bus sync handler may read
 * it), then the object lock (inside gst_mctx_sender_snapshot and the last
 * sample).
 * wait_lock guards only the timer's sleep; set_property takes it under the
 * object lock, so the timer never holds it while taking another.
 */

#include "gstmctxsinkmetrics.h"
#include "gstmctxsinkdebug.h"

#include <stdatomic.h>
#include <string.h>

#ifdef HAVE_MCTX_JSONL
#include <mctx-jsonl.h>
#else
typedef struct _MctxJsonlWriter MctxJsonlWriter;
#endif

#define GST_CAT_DEFAULT gst_mctx_sink_debug

#define DEFAULT_METRICS_INTERVAL GST_SECOND
#define DEFAULT_METRICS_FILE     NULL
#define DEFAULT_METRICS_NODE_ID  NULL
#define DEFAULT_METRICS_FLAGS    NULL

#define METRICS_STRUCTURE_NAME "mctx-metrics"
#define STATS_STRUCTURE_NAME   "mctx-stats"

/* One sample: counters now, and the differences since the previous one. */
typedef struct
{
  mctx_metrics counters;
  guint64 dropped;
  guint64 taken_ns;             /* monotonic */
  gdouble taken_at;             /* wall clock, Unix seconds */
  guint64 interval_ns;
  guint64 packets_delta, bytes_delta, calls_delta, errors_delta;
  guint64 would_block_delta, dropped_delta;
  guint64 paced_delta, late_sum_delta;
  guint64 queue_drops_delta;
  gchar qdisc[MCTX_QDISC_KIND_MAX];
  gchar qdisc_interface[MCTX_INTERFACE_NAME_MAX];
} Sample;

struct _GstMctxSinkMetrics
{
  GstBaseSink *owner;
  GstMctxSender *sender;

  /* Settings, under the object lock; interval is also read by the timer. */
  _Atomic guint64 interval;
  gchar *file;
  gchar *node_id;
  gchar *flags;

  /* The timer thread, between begin and end. */
  GMutex wait_lock;
  GCond wake;
  gboolean quit;
  gboolean interval_changed;
  GThread *thread;              /* the state-change thread only */

  GMutex post_lock;
  MctxJsonlWriter *writer;
  gboolean write_failed;        /* warned once; no more rows */

  GMutex sample_lock;
  gboolean running;             /* between begin and end */
  gboolean finished;            /* the final sample of this stream is out */
  Sample previous;              /* the last sample posted, or the baseline */
  gboolean have_posted;         /* previous is a posted sample */
  guint64 queue_warned_ns;      /* monotonic time of the last queue-drops
                                   warning, 0 none */
  GstClockTime running_time;    /* of the last rendered buffer seen */
  gchar *group;
  gint port;
  gchar *source;
  /* The destinations' legs at the last sample: a GstValueArray of
   * GstStructures, unset without legs. */
  GValue legs;
};

/* ------------------------------------------------------------------------ */
/* Properties                                                               */
/* ------------------------------------------------------------------------ */

void
gst_mctx_sink_metrics_install_properties (GObjectClass * gobject_class,
    guint first)
{
  /**
   * GstMctxSink:metrics-interval:
   *
   * How often (nanoseconds) an `mctx-metrics` element message is posted
   * while PAUSED or PLAYING; 0 posts only the final one. Values between 1
   * and 10 ms are refused (they would flood the bus). Applies at once,
   * also while playing.
   */
  g_object_class_install_property (gobject_class,
      first + GST_MCTX_SINK_METRICS_PROP_INTERVAL,
      g_param_spec_uint64 ("metrics-interval", "Metrics interval",
          "Post an 'mctx-metrics' element message every this many "
          "nanoseconds while PAUSED or PLAYING (0: only the final one at EOS "
          "or stop; at least 10000000 otherwise)", 0, G_MAXUINT64,
          DEFAULT_METRICS_INTERVAL, G_PARAM_READWRITE |
          GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS));
  /**
   * GstMctxSink:metrics-file:
   *
   * A Heimdall JSONL file (heimdall-jsonl-v1, artifact mctx-network) that
   * every metrics message is appended to as one row. Opened, locked and
   * checked at start.
   */
  g_object_class_install_property (gobject_class,
      first + GST_MCTX_SINK_METRICS_PROP_FILE,
      g_param_spec_string ("metrics-file", "Metrics file",
          "Append every metrics sample as a Heimdall heimdall-jsonl-v1 row "
          "(artifact mctx-network) to this file; NULL: no file",
          DEFAULT_METRICS_FILE, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstMctxSink:metrics-node-id:
   *
   * The `node_id` of the metrics-file header.
   */
  g_object_class_install_property (gobject_class,
      first + GST_MCTX_SINK_METRICS_PROP_NODE_ID,
      g_param_spec_string ("metrics-node-id", "Metrics node id",
          "node_id of the metrics-file header; NULL: the file's parent "
          "directory name, else its stem", DEFAULT_METRICS_NODE_ID,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstMctxSink:metrics-flags:
   *
   * A JSON object of extra metrics-file header flags, merged with the
   * element's own (which win).
   */
  g_object_class_install_property (gobject_class,
      first + GST_MCTX_SINK_METRICS_PROP_FLAGS,
      g_param_spec_string ("metrics-flags", "Metrics flags",
          "A JSON object of extra metrics-file header flags; the element's "
          "own flags win on a conflict", DEFAULT_METRICS_FLAGS,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));
}

GstMctxSinkMetrics *
gst_mctx_sink_metrics_new (GstBaseSink * owner, GstMctxSender * sender)
{
  GstMctxSinkMetrics *m = g_new0 (GstMctxSinkMetrics, 1);

  m->owner = owner;
  m->sender = sender;
  atomic_init (&m->interval, DEFAULT_METRICS_INTERVAL);
  m->file = g_strdup (DEFAULT_METRICS_FILE);
  m->node_id = g_strdup (DEFAULT_METRICS_NODE_ID);
  m->flags = g_strdup (DEFAULT_METRICS_FLAGS);
  g_mutex_init (&m->wait_lock);
  g_cond_init (&m->wake);
  g_mutex_init (&m->post_lock);
  g_mutex_init (&m->sample_lock);
  m->running_time = GST_CLOCK_TIME_NONE;
  m->group = g_strdup ("");
  m->source = g_strdup ("");
  return m;
}

void
gst_mctx_sink_metrics_free (GstMctxSinkMetrics * m)
{
  if (m == NULL)
    return;
  g_warn_if_fail (m->thread == NULL);
#ifdef HAVE_MCTX_JSONL
  mctx_jsonl_writer_close (m->writer);
#endif
  g_free (m->file);
  g_free (m->node_id);
  g_free (m->flags);
  g_free (m->group);
  g_free (m->source);
  if (G_IS_VALUE (&m->legs))
    g_value_unset (&m->legs);
  g_mutex_clear (&m->wait_lock);
  g_cond_clear (&m->wake);
  g_mutex_clear (&m->post_lock);
  g_mutex_clear (&m->sample_lock);
  g_free (m);
}

void
gst_mctx_sink_metrics_set_property (GstMctxSinkMetrics * m, guint which,
    const GValue * value, GParamSpec * pspec)
{

  switch (which) {
    case GST_MCTX_SINK_METRICS_PROP_INTERVAL:
      /* Live: the timer starts counting the new interval at once. */
      atomic_store (&m->interval, g_value_get_uint64 (value));
      g_mutex_lock (&m->wait_lock);
      m->interval_changed = TRUE;
      g_cond_signal (&m->wake);
      g_mutex_unlock (&m->wait_lock);
      break;
    case GST_MCTX_SINK_METRICS_PROP_FILE:
      g_free (m->file);
      m->file = g_value_dup_string (value);
      break;
    case GST_MCTX_SINK_METRICS_PROP_NODE_ID:
      g_free (m->node_id);
      m->node_id = g_value_dup_string (value);
      break;
    case GST_MCTX_SINK_METRICS_PROP_FLAGS:
      g_free (m->flags);
      m->flags = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (m->owner, which, pspec);
      break;
  }
}

void
gst_mctx_sink_metrics_get_property (GstMctxSinkMetrics * m, guint which,
    GValue * value)
{

  switch (which) {
    case GST_MCTX_SINK_METRICS_PROP_INTERVAL:
      g_value_set_uint64 (value, atomic_load (&m->interval));
      break;
    case GST_MCTX_SINK_METRICS_PROP_FILE:
      g_value_set_string (value, m->file);
      break;
    case GST_MCTX_SINK_METRICS_PROP_NODE_ID:
      g_value_set_string (value, m->node_id);
      break;
    case GST_MCTX_SINK_METRICS_PROP_FLAGS:
      g_value_set_string (value, m->flags);
      break;
    default:
      break;
  }
}

/* ------------------------------------------------------------------------ */
/* Samples                                                                  */
/* ------------------------------------------------------------------------ */

static guint64
grown (guint64 now, guint64 before)
{
  return now >= before ? now - before : 0;
}

static gdouble
per_second (guint64 count, guint64 interval_ns)
{
  return interval_ns > 0 ? (gdouble) count *GST_SECOND / interval_ns : 0.0;
}

/* The running time of the buffer basesink rendered last (its last-sample),
 * or NONE. Reading it costs the streaming thread nothing. */
static GstClockTime
last_rendered_running_time (GstMctxSinkMetrics * m)
{
  GstSample *sample = gst_base_sink_get_last_sample (GST_BASE_SINK (m->owner));
  GstClockTime ts, rt = GST_CLOCK_TIME_NONE;
  const GstSegment *segment;
  GstBuffer *buffer;

  if (sample == NULL)
    return GST_CLOCK_TIME_NONE;
  buffer = gst_sample_get_buffer (sample);
  if (buffer == NULL && gst_sample_get_buffer_list (sample) != NULL) {
    GstBufferList *list = gst_sample_get_buffer_list (sample);
    guint n = gst_buffer_list_length (list);
    buffer = n > 0 ? gst_buffer_list_get (list, n - 1) : NULL;
  }
  segment = gst_sample_get_segment (sample);
  if (buffer != NULL && segment != NULL && segment->format == GST_FORMAT_TIME) {
    ts = GST_BUFFER_PTS_IS_VALID (buffer) ? GST_BUFFER_PTS (buffer)
        : GST_BUFFER_DTS (buffer);
    if (GST_CLOCK_TIME_IS_VALID (ts))
      rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
  }
  gst_sample_unref (sample);
  return rt;
}

/* Called with sample_lock: m->legs becomes one structure per leg (and
 * stats is freed). */
static void
take_legs (GstMctxSinkMetrics * m, GArray * stats)
{
  if (G_IS_VALUE (&m->legs))
    g_value_unset (&m->legs);
  if (stats == NULL)
    return;
  if (stats->len > 0) {
    g_value_init (&m->legs, GST_TYPE_ARRAY);
    for (guint i = 0; i < stats->len; i++) {
      const GstMctxSinkLegStats *st =
          &g_array_index (stats, GstMctxSinkLegStats, i);
      GValue v = G_VALUE_INIT;

      g_value_init (&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed (&v, gst_structure_new ("mctx-leg",
              "destination", G_TYPE_STRING, st->destination,
              "open", G_TYPE_BOOLEAN, st->open,
              "stalled", G_TYPE_BOOLEAN, st->stalled,
              "packets-sent", G_TYPE_UINT64,
              (guint64) st->counters.packets_sent, "bytes-sent", G_TYPE_UINT64,
              (guint64) st->counters.bytes_sent, "packets-dropped",
              G_TYPE_UINT64, st->dropped, "send-errors", G_TYPE_UINT64,
              (guint64) st->counters.send_errors, NULL));
      gst_value_array_append_and_take_value (&m->legs, &v);
    }
  }
  gst_mctx_sink_legs_stats_free (stats);
}

/* Called with sample_lock. Reads the counters now and subtracts the
 * previous sample's. */
static void
take_sample (GstMctxSinkMetrics * m, Sample * s)
{
  const Sample *p = &m->previous;
  GstMctxSenderCounters now;
  GstClockTime rt;

  gst_mctx_sender_snapshot (m->sender, &now);
  s->counters = now.counters;
  s->dropped = now.dropped;
  take_legs (m, now.legs);
  /* Where the datagrams go, which a live change may have moved. */
  if (g_strcmp0 (m->group, now.group) != 0) {
    g_free (m->group);
    m->group = g_strdup (now.group);
  }
  if (g_strcmp0 (m->source, now.source) != 0) {
    g_free (m->source);
    m->source = g_strdup (now.source);
  }
  m->port = now.port;
  s->taken_ns = mctx_monotonic_ns ();
  s->taken_at = mctx_unix_time_secs ();
  s->interval_ns = grown (s->taken_ns, p->taken_ns);
  s->packets_delta = grown (s->counters.packets_sent, p->counters.packets_sent);
  s->bytes_delta = grown (s->counters.bytes_sent, p->counters.bytes_sent);
  s->calls_delta = grown (s->counters.send_calls, p->counters.send_calls);
  s->errors_delta = grown (s->counters.send_errors, p->counters.send_errors);
  s->would_block_delta = grown (s->counters.would_block,
      p->counters.would_block);
  s->dropped_delta = grown (s->dropped, p->dropped);
  s->paced_delta = grown (s->counters.paced_packets, p->counters.paced_packets);
  s->late_sum_delta = grown (s->counters.pacing_late_ns_sum,
      p->counters.pacing_late_ns_sum);
  s->queue_drops_delta = grown (s->counters.queue_drops,
      p->counters.queue_drops);
  g_strlcpy (s->qdisc, now.qdisc, sizeof s->qdisc);
  g_strlcpy (s->qdisc_interface, now.qdisc_interface,
      sizeof s->qdisc_interface);

  /* basesink forgets its last buffer when it goes to READY: keep the last
   * one seen. */
  rt = last_rendered_running_time (m);
  if (GST_CLOCK_TIME_IS_VALID (rt))
    m->running_time = rt;
}

/* Called with sample_lock. The fields of both the message and stats. */
static GstStructure *
sample_structure (GstMctxSinkMetrics * m, const gchar * name,
    const Sample * s, gboolean final)
{
  GstStructure *st = gst_structure_new (name,
      "packets-sent", G_TYPE_UINT64, (guint64) s->counters.packets_sent,
      "bytes-sent", G_TYPE_UINT64, (guint64) s->counters.bytes_sent,
      "send-calls", G_TYPE_UINT64, (guint64) s->counters.send_calls,
      "send-errors", G_TYPE_UINT64, (guint64) s->counters.send_errors,
      "would-block", G_TYPE_UINT64, (guint64) s->counters.would_block,
      "packets-dropped", G_TYPE_UINT64, s->dropped,
      "paced-packets", G_TYPE_UINT64, (guint64) s->counters.paced_packets,
      "pacing-late-mean-us", G_TYPE_DOUBLE, s->paced_delta ?
      s->late_sum_delta / 1e3 / s->paced_delta : 0.0,
      "pacing-late-max-us", G_TYPE_DOUBLE,
      s->counters.pacing_late_max_ns / 1e3,
      "queue-drops", G_TYPE_UINT64, (guint64) s->counters.queue_drops,
      "qdisc", G_TYPE_STRING, s->qdisc,
      "interval", G_TYPE_UINT64, s->interval_ns,
      "packets-per-sec", G_TYPE_DOUBLE,
      per_second (s->packets_delta, s->interval_ns),
      "bytes-per-sec", G_TYPE_DOUBLE,
      per_second (s->bytes_delta, s->interval_ns),
      "running-time", G_TYPE_UINT64, (guint64) m->running_time,
      "group", G_TYPE_STRING, m->group,
      "port", G_TYPE_INT, m->port,
      "source", G_TYPE_STRING, m->source,
      "final", G_TYPE_BOOLEAN, final, NULL);

  if (G_IS_VALUE (&m->legs))
    gst_structure_set_value (st, "legs", &m->legs);
  return st;
}

#ifdef HAVE_MCTX_JSONL
/* The destinations' legs (the mctx-leg structures) as JSON objects. */
static JsonArray *
legs_rows (const GValue * legs)
{
  static const gchar *const counters[] = { "packets-sent", "bytes-sent",
    "packets-dropped", "send-errors", NULL
  };
  JsonArray *rows = json_array_new ();

  for (guint i = 0; i < gst_value_array_get_size (legs); i++) {
    const GstStructure *leg =
        gst_value_get_structure (gst_value_array_get_value (legs, i));
    JsonObject *o = json_object_new ();
    gboolean stalled = FALSE;

    json_object_set_string_member (o, "destination",
        gst_structure_get_string (leg, "destination"));
    gst_structure_get_boolean (leg, "stalled", &stalled);
    json_object_set_boolean_member (o, "stalled", stalled);
    for (guint k = 0; counters[k]; k++) {
      guint64 v = 0;
      gchar *name = g_strdelimit (g_strconcat (counters[k], "_total", NULL),
          "-", '_');

      gst_structure_get_uint64 (leg, counters[k], &v);
      mctx_jsonl_row_set_uint (o, name, v);
      g_free (name);
    }
    json_array_add_object_element (rows, o);
  }
  return rows;
}

/* The mctx-network row of a sample: mctx-send's fields for one publication
 * (active 1, added 1 before the baseline, none removed) plus the element's
 * packets_dropped. */
static JsonObject *
sample_row (const Sample * s, const GValue * legs)
{
  gdouble secs = (gdouble) s->interval_ns / GST_SECOND;
  JsonObject *row = mctx_jsonl_row_new (s->taken_at, secs);

  mctx_jsonl_row_set_uint (row, "active_publications", 1);
  mctx_jsonl_row_set_uint (row, "publications_added_total", 1);
  mctx_jsonl_row_set_uint (row, "publications_added_delta", 0);
  mctx_jsonl_row_set_uint (row, "publications_removed_total", 0);
  mctx_jsonl_row_set_uint (row, "publications_removed_delta", 0);
  mctx_jsonl_row_set_counter (row, "send_calls", NULL,
      s->counters.send_calls, s->calls_delta, secs);
  mctx_jsonl_row_set_counter (row, "packets_sent", "packets",
      s->counters.packets_sent, s->packets_delta, secs);
  mctx_jsonl_row_set_counter (row, "bytes_sent", "bytes",
      s->counters.bytes_sent, s->bytes_delta, secs);
  mctx_jsonl_row_set_counter (row, "send_errors", NULL,
      s->counters.send_errors, s->errors_delta, secs);
  mctx_jsonl_row_set_counter (row, "would_block", NULL,
      s->counters.would_block, s->would_block_delta, secs);
  mctx_jsonl_row_set_counter (row, "packets_dropped", NULL,
      s->dropped, s->dropped_delta, secs);
  mctx_jsonl_row_set_pacing (row, s->counters.paced_packets, s->paced_delta,
      s->late_sum_delta, s->counters.pacing_late_max_ns);
  if (G_IS_VALUE (legs))
    json_object_set_array_member (row, "legs", legs_rows (legs));
  mctx_jsonl_row_set_queue_drops (row, s->counters.queue_drops,
      s->queue_drops_delta, secs, s->qdisc);
  return row;
}
#endif

/* Called with sample_lock. Whether the egress qdisc dropped more than the
 * socket reported (every send error counted as one of its drops): losses
 * no send result showed. At most once a second. */
static gboolean
should_warn_queue_drops (GstMctxSinkMetrics * m, const Sample * s)
{
  /* Each refusal the socket reported is at most one qdisc drop (a GSO
   * packet refused whole is one); drops beyond those went unreported. */
  if (s->queue_drops_delta <= s->errors_delta)
    return FALSE;
  if (m->queue_warned_ns != 0 && s->taken_ns - m->queue_warned_ns < GST_SECOND)
    return FALSE;
  m->queue_warned_ns = s->taken_ns;
  return TRUE;
}

/* Without any lock: a bus sync handler may read send-stats. */
static void
warn_queue_drops (GstMctxSinkMetrics * m, const Sample * s)
{
  GST_ELEMENT_WARNING (m->owner, RESOURCE, WRITE,
      ("qdisc %s on interface %s dropped %" G_GUINT64_FORMAT " packets "
          "that no send failure reported",
          s->qdisc[0] ? s->qdisc : "(unknown)",
          s->qdisc_interface[0] ? s->qdisc_interface : "(unknown)",
          s->queue_drops_delta),
      ("%" G_GUINT64_FORMAT " in the last %.1f s, %" G_GUINT64_FORMAT
          " since start. These are the interface's counters: other senders "
          "on it count too (queue-drops in mctx-metrics). A shaper or AQM "
          "(tbf, htb, fq_codel) drops without telling the socket: pace the "
          "stream below its rate",
          s->queue_drops_delta, (gdouble) s->interval_ns / GST_SECOND,
          (guint64) s->counters.queue_drops));
}

/* Takes a sample, posts it and writes its row, unless the element is not
 * running or this stream's final sample is already out. */
static void
post_sample (GstMctxSinkMetrics * m, gboolean final)
{
  GstStructure *structure;
  Sample s;
  gboolean warn;
#ifdef HAVE_MCTX_JSONL
  JsonObject *row = NULL;
  GError *error = NULL;
#endif

  g_mutex_lock (&m->post_lock);
  g_mutex_lock (&m->sample_lock);
  if (!m->running || m->finished) {
    g_mutex_unlock (&m->sample_lock);
    g_mutex_unlock (&m->post_lock);
    return;
  }
  take_sample (m, &s);
  structure = sample_structure (m, METRICS_STRUCTURE_NAME, &s, final);
#ifdef HAVE_MCTX_JSONL
  if (m->writer != NULL && !m->write_failed)
    row = sample_row (&s, &m->legs);
#endif
  warn = should_warn_queue_drops (m, &s);
  m->previous = s;
  m->have_posted = TRUE;
  if (final)
    m->finished = TRUE;
  g_mutex_unlock (&m->sample_lock);

  if (warn)
    warn_queue_drops (m, &s);
  GST_LOG_OBJECT (m->owner, "posting %" GST_PTR_FORMAT, structure);
  gst_element_post_message (GST_ELEMENT (m->owner),
      gst_message_new_element (GST_OBJECT (m->owner), structure));

#ifdef HAVE_MCTX_JSONL
  if (row != NULL && !mctx_jsonl_writer_append_row (m->writer, row, &error)) {
    m->write_failed = TRUE;
    GST_ELEMENT_WARNING (m->owner, RESOURCE, WRITE,
        ("Could not append to metrics-file: %s; no more rows are written",
            error->message), (NULL));
    g_error_free (error);
  }
  if (row != NULL)
    json_object_unref (row);
#endif
  g_mutex_unlock (&m->post_lock);
}

/* The interval messages are posted while the element is, or is becoming,
 * PAUSED or PLAYING: a sink that waits for its first buffer to preroll is
 * still in READY, and a stalled stream must still report. */
static gboolean
wants_interval_messages (GstMctxSinkMetrics * m)
{
  gboolean yes;

  GST_OBJECT_LOCK (m->owner);
  yes = GST_STATE_TARGET (m->owner) >= GST_STATE_PAUSED;
  GST_OBJECT_UNLOCK (m->owner);
  return yes;
}

/* The timer: wakes every metrics-interval on the monotonic clock. A tick
 * that comes late (a slow sync handler) is not made up for. */
static gpointer
timer_loop (gpointer data)
{
  GstMctxSinkMetrics *m = data;
  gint64 due = 0;

  g_mutex_lock (&m->wait_lock);
  m->interval_changed = TRUE;
  while (!m->quit) {
    guint64 interval = atomic_load (&m->interval);
    gint64 step = (gint64) MIN (interval / 1000, (guint64) G_MAXINT64 / 4);
    gint64 now = g_get_monotonic_time ();

    if (interval > 0 && step == 0)
      step = 1;
    if (m->interval_changed) {
      m->interval_changed = FALSE;
      due = now + step;
    }
    if (interval == 0) {
      g_cond_wait (&m->wake, &m->wait_lock);
      continue;
    }
    if (now < due) {
      g_cond_wait_until (&m->wake, &m->wait_lock, due);
      continue;
    }
    due += step;
    if (due <= now)
      due = now + step;

    g_mutex_unlock (&m->wait_lock);
    if (wants_interval_messages (m))
      post_sample (m, FALSE);
    g_mutex_lock (&m->wait_lock);
  }
  g_mutex_unlock (&m->wait_lock);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* send-stats                                                               */
/* ------------------------------------------------------------------------ */

GstStructure *
gst_mctx_sink_metrics_get_send_stats (GstMctxSinkMetrics * m)
{
  GstStructure *stats;
  Sample s;

  g_mutex_lock (&m->sample_lock);
  if (m->running) {
    /* Live counters; interval and rates since the previous message. */
    take_sample (m, &s);
  } else if (m->have_posted) {
    /* Stopped: what the final message said. */
    s = m->previous;
  } else {
    GstMctxSenderCounters now;

    memset (&s, 0, sizeof s);
    gst_mctx_sender_snapshot (m->sender, &now);
    s.counters = now.counters;
    s.dropped = now.dropped;
    take_legs (m, now.legs);
  }
  stats = sample_structure (m, STATS_STRUCTURE_NAME, &s, m->finished);
  g_mutex_unlock (&m->sample_lock);
  return stats;
}

/* ------------------------------------------------------------------------ */
/* The file                                                                 */
/* ------------------------------------------------------------------------ */

void
gst_mctx_sink_metrics_copy_settings (GstMctxSinkMetrics * m,
    GstMctxSinkSettings * settings)
{

  settings->metrics_interval = atomic_load (&m->interval);
  settings->metrics_file = g_strdup (m->file);
  settings->metrics_node_id = g_strdup (m->node_id);
  settings->metrics_flags = g_strdup (m->flags);
}

#ifdef HAVE_MCTX_JSONL
/* Labels of the run, as mctx-send's built-in flags for what the element
 * does: it does not pace (upstream and the clock do) and sends buffer lists
 * as batches. */
static JsonObject *
builtin_flags (const GstMctxSinkSettings * s)
{
  JsonObject *f = json_object_new ();

  json_object_set_string_member (f, "transport",
      s->raw ? "raw-ip-multicast" : "udp-multicast");
  json_object_set_string_member (f, "role", "sender");
  json_object_set_string_member (f, "multicast_group",
      gst_mctx_sink_is_set (s->group) ? s->group : "default");
  json_object_set_int_member (f, "multicast_port", s->port);
  json_object_set_string_member (f, "multicast_source",
      gst_mctx_sink_is_set (s->source_addr) ? s->source_addr : "default");
  json_object_set_string_member (f, "multicast_interface",
      gst_mctx_sink_is_set (s->interface) ? s->interface : "default");
  json_object_set_string_member (f, "pacing", "none");
  json_object_set_boolean_member (f, "batch_send_enabled", TRUE);
  /* Raw datagrams never go out as GSO sends. */
  json_object_set_boolean_member (f, "gso_enabled",
      s->gso != MCTX_GSO_OFF && !s->raw);
  json_object_set_string_member (f, "gso_mode",
      s->raw ? "off" : mctx_gso_mode_name ((mctx_gso_mode) s->gso));
  json_object_set_boolean_member (f, "loopback_enabled", s->loop);
  /* -1: left as it is (the kernel's default on the element's own socket,
   * the caller's value on `socket`, each datagram's own in raw mode), which
   * the element does not know when it writes the header. */
  json_object_set_int_member (f, "ttl_or_hops", s->ttl);
  if (s->source_port > 0)
    json_object_set_int_member (f, "multicast_source_port", s->source_port);
  return f;
}
#endif

gboolean
gst_mctx_sink_metrics_open (GstMctxSinkMetrics * m,
    const GstMctxSinkSettings * settings)
{
  gchar *file, *node_id, *flags;
  gboolean ok = FALSE;
#ifdef HAVE_MCTX_JSONL
  JsonObject *builtin, *merged = NULL, *header = NULL;
  MctxJsonlWriter *writer = NULL;
  GError *error = NULL;
  gchar *node = NULL;
#endif

  file = g_strdup (settings->metrics_file);
  node_id = g_strstrip (g_strdup (settings->metrics_node_id ?
          settings->metrics_node_id : ""));
  flags = g_strdup (settings->metrics_flags);

#ifdef HAVE_MCTX_JSONL
  /* Checked also without a file: a setting is never silently ignored. */
  builtin = builtin_flags (settings);
  merged = mctx_jsonl_flags_merge (builtin, flags, &error);
  json_object_unref (builtin);
  if (merged == NULL)
    goto bad_flags;
  if (!gst_mctx_sink_is_set (file)) {
    ok = TRUE;
    goto done;
  }

  node = gst_mctx_sink_is_set (node_id) ? g_strdup (node_id)
      : mctx_jsonl_infer_node_id (file);
  /* created_at becomes the first row's ts when the header is written. */
  header = mctx_jsonl_header_new (MCTX_JSONL_NETWORK_ARTIFACT_TYPE,
      MCTX_JSONL_PRODUCER_MCTXSINK, node, mctx_unix_time_secs (), merged);
  writer = mctx_jsonl_writer_open (file, header, &error);
  if (writer == NULL)
    goto bad_file;

  if (mctx_jsonl_writer_get_warning (writer) != NULL)
    GST_ELEMENT_WARNING (m->owner, RESOURCE, OPEN_WRITE,
        ("metrics-file: %s", mctx_jsonl_writer_get_warning (writer)), (NULL));
  GST_INFO_OBJECT (m->owner, "metrics rows go to %s (node_id %s)", file, node);
  g_mutex_lock (&m->post_lock);
  mctx_jsonl_writer_close (m->writer);
  m->writer = writer;
  m->write_failed = FALSE;
  g_mutex_unlock (&m->post_lock);
  ok = TRUE;
  goto done;

bad_flags:
  {
    GST_ELEMENT_ERROR (m->owner, RESOURCE, SETTINGS,
        ("metrics-flags is not usable: %s", error->message), (NULL));
    goto done;
  }
bad_file:
  {
    GST_ELEMENT_ERROR (m->owner, RESOURCE, OPEN_WRITE,
        ("Cannot write metrics-file '%.1024s%s': %s", file,
            strlen (file) > 1024 ? "..." : "", error->message),
        ("MctxJsonlError %d", error->code));
    goto done;
  }
done:
  {
    g_clear_error (&error);
    if (header != NULL)
      json_object_unref (header);
    if (merged != NULL)
      json_object_unref (merged);
    g_free (node);
  }
#else
  if (gst_mctx_sink_is_set (file) || gst_mctx_sink_is_set (flags)) {
    GST_ELEMENT_ERROR (m->owner, RESOURCE, SETTINGS,
        ("metrics-file and metrics-flags need mctx built with json-glib "
            "(meson -Djsonl=enabled)"), (NULL));
  } else {
    ok = TRUE;
  }
#endif
  g_free (file);
  g_free (node_id);
  g_free (flags);
  return ok;
}

void
gst_mctx_sink_metrics_abort (GstMctxSinkMetrics * m)
{

  g_mutex_lock (&m->post_lock);
#ifdef HAVE_MCTX_JSONL
  mctx_jsonl_writer_close (m->writer);
#endif
  m->writer = NULL;
  g_mutex_unlock (&m->post_lock);
}

/* ------------------------------------------------------------------------ */
/* A stream's life                                                          */
/* ------------------------------------------------------------------------ */

void
gst_mctx_sink_metrics_begin (GstMctxSinkMetrics * m)
{
  GstMctxSenderCounters now;

  gst_mctx_sender_snapshot (m->sender, &now);
  g_mutex_lock (&m->sample_lock);
  take_legs (m, now.legs);
  g_free (m->group);
  g_free (m->source);
  m->group = g_strdup (now.group);
  m->source = g_strdup (now.source);
  m->port = now.port;
  m->running_time = GST_CLOCK_TIME_NONE;
  memset (&m->previous, 0, sizeof m->previous);
  m->previous.counters = now.counters;
  m->previous.dropped = now.dropped;
  m->previous.taken_ns = mctx_monotonic_ns ();
  m->have_posted = FALSE;
  m->finished = FALSE;
  m->queue_warned_ns = 0;
  m->running = TRUE;
  g_mutex_unlock (&m->sample_lock);

  g_mutex_lock (&m->wait_lock);
  m->quit = FALSE;
  g_mutex_unlock (&m->wait_lock);
  m->thread = g_thread_new ("mctxsink-metrics", timer_loop, m);
}

void
gst_mctx_sink_metrics_end (GstMctxSinkMetrics * m)
{
  GThread *thread = m->thread;

  m->thread = NULL;
  if (thread != NULL) {
    g_mutex_lock (&m->wait_lock);
    m->quit = TRUE;
    g_cond_signal (&m->wake);
    g_mutex_unlock (&m->wait_lock);
    g_thread_join (thread);
  }

  post_sample (m, TRUE);

  g_mutex_lock (&m->sample_lock);
  m->running = FALSE;
  g_mutex_unlock (&m->sample_lock);
  gst_mctx_sink_metrics_abort (m);
}

void
gst_mctx_sink_metrics_event (GstMctxSinkMetrics * m, GstEvent * event)
{

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      post_sample (m, TRUE);
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&m->sample_lock);
      if (m->finished)
        GST_DEBUG_OBJECT (m->owner, "a new stream: metrics messages again");
      m->finished = FALSE;
      g_mutex_unlock (&m->sample_lock);
      break;
    default:
      break;
  }
}
