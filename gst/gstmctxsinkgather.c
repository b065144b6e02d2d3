/* mctxsink gathering: single buffers that arrive faster than one system call
 * each can send them go out together, as one batch send (UDP GSO).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * render() keeps each buffer (a reference, its memories mapped for reading)
 * in arrays allocated at start. The streaming thread sends the batch when it
 * holds `gather` buffers, before a buffer list, at EOS and before the sink
 * waits on the clock; a flusher thread sends it when its first buffer has
 * waited gather-latency (the stream stalled), without waiting for a full
 * socket (it tries again a little later). stop() sends what is left without
 * waiting, and counts what the socket refused as dropped.
 *
 * One mutex serialises every send while gathering, since both threads send
 * through the same socket, poll and error bookkeeping. The streaming thread
 * takes it once per buffer; the flusher only wakes once per latency budget
 * (and is signalled only when it sleeps with nothing pending).
 */
#include "gstmctxsinkgather.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_mctx_sink_gather_debug);
#define GST_CAT_DEFAULT gst_mctx_sink_gather_debug

/* After the flusher found the socket full: the next try. */
#define RETRY_US 1000

struct _GstMctxSinkGather
{
  GstMctxSink *sink;            /* owns this */
  guint max;
  gint64 latency_us;

  GMutex lock;
  GCond cond;
  GThread *flusher;
  gboolean quit;
  gboolean flusher_idle;        /* sleeps until signalled */
  gint64 deadline_us;           /* monotonic: the pending ones go out then */

  /* Buffers [0, first) are sent or dropped, [first, n) pending; all of
   * [0, n) stay referenced and mapped until the whole batch is done. */
  guint first;
  guint n;
  gint pending;                 /* atomic n - first, for the hint */
  GstBuffer **buffers;          /* max */
  mctx_datagram *datagrams;     /* max */
  GstMctxSinkMaps maps;         /* one per memory */
  gsize maps_used;
};

/* Called with the lock. Unmaps and unrefs the batch once it is all done. */
static void
release_done (GstMctxSinkGather * g)
{
  if (g->first < g->n)
    return;
  for (gsize i = 0; i < g->maps_used; i++)
    gst_memory_unmap (g->maps.maps[i].memory, &g->maps.maps[i]);
  for (guint i = 0; i < g->n; i++)
    gst_buffer_unref (g->buffers[i]);
  g->first = g->n = 0;
  g->maps_used = 0;
  g_atomic_int_set (&g->pending, 0);
}

/* Called with the lock. */
static GstFlowReturn
flush_locked (GstMctxSinkGather * g, GstMctxSinkSendMode mode)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize done = 0;

  if (g->first < g->n) {
    ret = gst_mctx_sink_send (g->sink, &g->datagrams[g->first],
        g->n - g->first, mode, &done);
    g->first += done;
    g_atomic_int_set (&g->pending, g->n - g->first);
  }
  release_done (g);
  return ret;
}

static gpointer
flusher_thread (gpointer data)
{
  GstMctxSinkGather *g = data;

  g_mutex_lock (&g->lock);
  while (!g->quit) {
    gint64 now;

    if (g->first == g->n) {
      g->flusher_idle = TRUE;
      g_cond_wait (&g->cond, &g->lock);
      g->flusher_idle = FALSE;
      continue;
    }
    now = g_get_monotonic_time ();
    if (now < g->deadline_us) {
      g_cond_wait_until (&g->cond, &g->lock, g->deadline_us);
      continue;
    }
    GST_LOG_OBJECT (g->sink, "latency budget spent: sending %u gathered "
        "buffer(s)", g->n - g->first);
    flush_locked (g, GST_MCTX_SINK_SEND_NO_WAIT);
    if (g->first < g->n)
      g->deadline_us = now + RETRY_US;
  }
  g_mutex_unlock (&g->lock);
  return NULL;
}

GstMctxSinkGather *
gst_mctx_sink_gather_new (GstMctxSink * sink, guint max, GstClockTime latency)
{
  GstMctxSinkGather *g = g_new0 (GstMctxSinkGather, 1);

  GST_DEBUG_CATEGORY_INIT (gst_mctx_sink_gather_debug, "mctxsink", 0,
      "multicast sink on libmctx");
  g->sink = sink;
  g->max = max;
  g->latency_us = (gint64) (latency / GST_USECOND);
  g_mutex_init (&g->lock);
  g_cond_init (&g->cond);
  g->buffers = g_new (GstBuffer *, max);
  g->datagrams = g_new (mctx_datagram, max);
  /* One memory per buffer is the usual case; more grow the arrays once. */
  gst_mctx_sink_maps_reserve (&g->maps, max, NULL, 0);
  g->flusher = g_thread_new ("mctxsink-gather", flusher_thread, g);
  GST_INFO_OBJECT (sink, "gathering up to %u buffers for at most %"
      GST_TIME_FORMAT, max, GST_TIME_ARGS (latency));
  return g;
}

void
gst_mctx_sink_gather_free (GstMctxSinkGather * g)
{
  if (g == NULL)
    return;
  g_mutex_lock (&g->lock);
  g->quit = TRUE;
  g_cond_signal (&g->cond);
  g_mutex_unlock (&g->lock);
  g_thread_join (g->flusher);

  if (g->first < g->n)
    GST_DEBUG_OBJECT (g->sink, "stopping: sending the %u gathered buffer(s) "
        "left", g->n - g->first);
  flush_locked (g, GST_MCTX_SINK_SEND_LAST);
  g_mutex_clear (&g->lock);
  g_cond_clear (&g->cond);
  g_free (g->buffers);
  g_free (g->datagrams);
  gst_mctx_sink_maps_clear (&g->maps);
  g_free (g);
}

GstFlowReturn
gst_mctx_sink_gather_add (GstMctxSinkGather * g, GstBuffer * buffer)
{
  guint nmem = gst_buffer_n_memory (buffer);
  GstFlowReturn ret = GST_FLOW_OK;
  gsize at;
  guint i;

  g_mutex_lock (&g->lock);
  /* The batch's datagrams (the sent ones too: still mapped) point into the
   * arrays, back to back from the start. */
  gst_mctx_sink_maps_reserve (&g->maps, g->maps_used + nmem, g->datagrams,
      g->n);
  at = g->maps_used;
  for (i = 0; i < nmem; i++) {
    GstMapInfo *map = &g->maps.maps[at + i];

    if (G_UNLIKELY (!gst_memory_map (gst_buffer_peek_memory (buffer, i), map,
                GST_MAP_READ)))
      goto map_failed;
    g->maps.bufs[at + i].base = map->data;
    g->maps.bufs[at + i].len = map->size;
  }
  g->maps_used += nmem;
  g->datagrams[g->n].bufs = &g->maps.bufs[at];
  g->datagrams[g->n].nbufs = nmem;
  g->buffers[g->n] = gst_buffer_ref (buffer);
  g->n++;
  g_atomic_int_set (&g->pending, g->n - g->first);

  if (g->n - g->first == 1) {
    /* The first of a batch starts the budget. */
    g->deadline_us = g_get_monotonic_time () + g->latency_us;
    if (g->flusher_idle)
      g_cond_signal (&g->cond);
  }
  if (g->n == g->max)
    ret = flush_locked (g, GST_MCTX_SINK_SEND_WAIT);
  g_mutex_unlock (&g->lock);
  return ret;

map_failed:
  {
    for (guint j = 0; j < i; j++)
      gst_memory_unmap (g->maps.maps[at + j].memory, &g->maps.maps[at + j]);
    g_mutex_unlock (&g->lock);
    gst_mctx_sink_count_dropped (g->sink, 1);
    GST_ELEMENT_ERROR (g->sink, RESOURCE, READ, ("Could not read a buffer"),
        ("mapping memory %u of %u failed", i, nmem));
    return GST_FLOW_ERROR;
  }
}

gboolean
gst_mctx_sink_gather_pending (GstMctxSinkGather * g)
{
  return g_atomic_int_get (&g->pending) > 0;
}

GstFlowReturn
gst_mctx_sink_gather_flush (GstMctxSinkGather * g)
{
  GstFlowReturn ret;

  g_mutex_lock (&g->lock);
  ret = flush_locked (g, GST_MCTX_SINK_SEND_WAIT);
  g_mutex_unlock (&g->lock);
  return ret;
}

GstFlowReturn
gst_mctx_sink_gather_lock_flushed (GstMctxSinkGather * g)
{
  g_mutex_lock (&g->lock);
  return flush_locked (g, GST_MCTX_SINK_SEND_WAIT);
}

void
gst_mctx_sink_gather_unlock (GstMctxSinkGather * g)
{
  g_mutex_unlock (&g->lock);
}
