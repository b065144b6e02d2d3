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
#include "gstmctxsinkdebug.h"

#include <string.h>

#define GST_CAT_DEFAULT gst_mctx_sink_debug

/* After the flusher found the socket full: the next try. */
#define RETRY_US 1000

struct _GstMctxSinkGather
{
  GstMctxSender *sender;
  GstElement *element;          /* owns this */
  guint max;
  gint64 latency_us;

  GMutex lock;
  GCond cond;
  GThread *flusher;
  gboolean quit;
  gboolean flusher_idle;        /* sleeps until signalled */
  gint64 deadline_us;           /* monotonic: the pending ones go out then */

  /* Its datagrams [0, first) are sent or dropped, [first, n) pending; all
   * of [0, n) stay referenced and mapped until the whole batch is done. */
  GstMctxSenderBatch batch;
  GstBuffer **buffers;          /* max, one per datagram */
  gint pending;                 /* atomic n - first, for the hint */
};

/* Called with the lock. Unmaps and unrefs the batch once it is all done. */
static void
release_done (GstMctxSinkGather * g)
{
  gsize n = g->batch.n;

  if (g->batch.first < n)
    return;
  gst_mctx_sender_batch_release (&g->batch);
  for (gsize i = 0; i < n; i++)
    gst_buffer_unref (g->buffers[i]);
  g_atomic_int_set (&g->pending, 0);
}

/* Called with the lock. */
static GstFlowReturn
flush_locked (GstMctxSinkGather * g, GstMctxSenderMode mode)
{
  GstFlowReturn ret;

  ret = gst_mctx_sender_send (g->sender, &g->batch, mode);
  g_atomic_int_set (&g->pending, g->batch.n - g->batch.first);
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

    if (g->batch.first == g->batch.n) {
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
    GST_LOG_OBJECT (g->element, "latency budget spent: sending %"
        G_GSIZE_FORMAT " gathered buffer(s)", g->batch.n - g->batch.first);
    flush_locked (g, GST_MCTX_SENDER_NO_WAIT);
    if (g->batch.first < g->batch.n)
      g->deadline_us = now + RETRY_US;
  }
  g_mutex_unlock (&g->lock);
  return NULL;
}

GstMctxSinkGather *
gst_mctx_sink_gather_new (GstMctxSender * sender, GstElement * element,
    guint max, GstClockTime latency)
{
  GstMctxSinkGather *g = g_new0 (GstMctxSinkGather, 1);

  g->sender = sender;
  g->element = element;
  g->max = max;
  g->latency_us = (gint64) (latency / GST_USECOND);
  g_mutex_init (&g->lock);
  g_cond_init (&g->cond);
  g->buffers = g_new (GstBuffer *, max);
  /* One memory per buffer is the usual case; more grow the arrays once. */
  gst_mctx_sender_batch_reserve (&g->batch, max, max);
  g->flusher = g_thread_new ("mctxsink-gather", flusher_thread, g);
  GST_INFO_OBJECT (element, "gathering up to %u buffers for at most %"
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

  if (g->batch.first < g->batch.n)
    GST_DEBUG_OBJECT (g->element, "stopping: sending the %" G_GSIZE_FORMAT
        " gathered buffer(s) left", g->batch.n - g->batch.first);
  flush_locked (g, GST_MCTX_SENDER_LAST);
  g_mutex_clear (&g->lock);
  g_cond_clear (&g->cond);
  g_free (g->buffers);
  gst_mctx_sender_batch_clear (&g->batch);
  g_free (g);
}

GstFlowReturn
gst_mctx_sink_gather_add (GstMctxSinkGather * g, GstBuffer * buffer)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize pending;

  g_mutex_lock (&g->lock);
  if (G_UNLIKELY (!gst_mctx_sender_batch_add (&g->batch, buffer)))
    goto map_failed;
  g->buffers[g->batch.n - 1] = gst_buffer_ref (buffer);
  pending = g->batch.n - g->batch.first;
  g_atomic_int_set (&g->pending, pending);

  if (pending == 1) {
    /* The first of a batch starts the budget. */
    g->deadline_us = g_get_monotonic_time () + g->latency_us;
    if (g->flusher_idle)
      g_cond_signal (&g->cond);
  }
  if (g->batch.n == g->max)
    ret = flush_locked (g, GST_MCTX_SENDER_WAIT);
  g_mutex_unlock (&g->lock);
  return ret;

map_failed:
  {
    g_mutex_unlock (&g->lock);
    gst_mctx_sender_count_dropped (g->sender, 1);
    GST_ELEMENT_ERROR (g->element, RESOURCE, READ,
        ("Could not read a buffer"), ("mapping one of its %u memories "
            "failed", gst_buffer_n_memory (buffer)));
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
  ret = flush_locked (g, GST_MCTX_SENDER_WAIT);
  g_mutex_unlock (&g->lock);
  return ret;
}

GstFlowReturn
gst_mctx_sink_gather_lock_flushed (GstMctxSinkGather * g)
{
  g_mutex_lock (&g->lock);
  return flush_locked (g, GST_MCTX_SENDER_WAIT);
}

void
gst_mctx_sink_gather_unlock (GstMctxSinkGather * g)
{
  g_mutex_unlock (&g->lock);
}
