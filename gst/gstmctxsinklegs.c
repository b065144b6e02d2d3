/* mctxsink's legs: every datagram to each destination, one publication
 * per leg, a leg that cannot keep up isolated from the others.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A leg may make the stream wait (block=true) for at most leg-timeout in
 * all; then it is stalled: its datagrams are dropped and counted for it
 * without waiting, and it is tried again, without waiting, on every send,
 * so it resumes by itself once its queue takes datagrams again. A dead leg
 * costs the others one timeout, not one per buffer.
 *
 * The array of legs is changed only by the sending thread (start, a live
 * change of destinations applied at the next send, stop), under lock so
 * that snapshot() may read it from any thread; the sending thread reads it
 * without the lock.
 */
#include "gstmctxsinklegs.h"
#include "gstmctxsender.h"
#include "gstmctxsink.h"
#include "gstmctxsinkdebug.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#define GST_CAT_DEFAULT gst_mctx_sink_debug

#define BACKOFF_MIN (1 * GST_MSECOND)
#define REOPEN_INTERVAL_US G_USEC_PER_SEC

typedef struct
{
  gchar *uri;
  GstMctxSinkSettings settings;
  mctx_publication *pub;        /* NULL: not open, retried */
  gint64 next_open_us;
  /* Waited in all since the leg last took a whole send without a wait. */
  GstClockTime held;
  gboolean stalled;             /* atomic reads by snapshot() */
  _Atomic guint64 dropped;
  gint64 warned_us;             /* the last send-error warning */
  guint64 errors_pending;
} Leg;

struct _GstMctxSinkLegs
{
  GstBaseSink *owner;
  GMutex lock;
  /* lock: the property value, and whether it changed since applied. */
  gchar *destinations;
  gint staged;                  /* atomic too: read by every send */
  gboolean running;
  gint n_legs;                  /* atomic: legs->len while running */
  GPtrArray *legs;              /* Leg *; see the top of the file */
  /* lock: the counters of legs removed while running. */
  mctx_metrics retired;
  guint64 retired_dropped;
  _Atomic guint64 timeout;
  GstPoll *poll;
  /* The sending thread's: the open legs and their publications, rebuilt
   * when open_changed, and the one pass's results and errors. */
  GPtrArray *open_legs;
  GPtrArray *open_pubs;
  GArray *results;
  GArray *errors;
  gboolean open_changed;
};

/* ------------------------------------------------------------------------ */

static void
leg_free (Leg * leg)
{
  if (leg == NULL)
    return;                     /* moved to the new array (apply_destinations) */
  mctx_publication_close (leg->pub);
  gst_mctx_sink_settings_clear (&leg->settings);
  g_free (leg->uri);
  g_free (leg);
}

GstMctxSinkLegs *
gst_mctx_sink_legs_new (GstBaseSink * owner)
{
  GstMctxSinkLegs *l = g_new0 (GstMctxSinkLegs, 1);

  l->owner = owner;
  g_mutex_init (&l->lock);
  l->legs = g_ptr_array_new_with_free_func ((GDestroyNotify) leg_free);
  atomic_init (&l->timeout, GST_MCTX_SINK_LEG_TIMEOUT_DEFAULT);
  l->poll = gst_poll_new (TRUE);
  l->open_legs = g_ptr_array_new ();
  l->open_pubs = g_ptr_array_new ();
  l->results = g_array_new (FALSE, TRUE, sizeof (mctx_send_result));
  l->errors = g_array_new (FALSE, TRUE, sizeof (mctx_error));
  return l;
}

void
gst_mctx_sink_legs_free (GstMctxSinkLegs * l)
{
  g_ptr_array_unref (l->legs);
  g_ptr_array_unref (l->open_legs);
  g_ptr_array_unref (l->open_pubs);
  g_array_unref (l->results);
  g_array_unref (l->errors);
  g_free (l->destinations);
  if (l->poll)
    gst_poll_free (l->poll);
  g_mutex_clear (&l->lock);
  g_free (l);
}

/* The URIs of a destinations value, trimmed, empty ones left out. */
static gchar **
split_destinations (const gchar * destinations)
{
  gchar **parts = g_strsplit (destinations ? destinations : "", ",", -1);
  GPtrArray *uris = g_ptr_array_new ();

  for (guint i = 0; parts[i]; i++) {
    g_strstrip (parts[i]);
    if (parts[i][0] != '\0')
      g_ptr_array_add (uris, g_strdup (parts[i]));
  }
  g_ptr_array_add (uris, NULL);
  g_strfreev (parts);
  return (gchar **) g_ptr_array_free (uris, FALSE);
}

static Leg *
leg_new (GstMctxSinkLegs * l, const gchar * uri, GError ** error)
{
  Leg *leg = g_new0 (Leg, 1);

  if (!gst_mctx_sink_uri_to_settings (G_OBJECT (l->owner), uri,
          &leg->settings, error)) {
    g_free (leg);
    return NULL;
  }
  leg->uri = g_strdup (uri);
  atomic_init (&leg->dropped, 0);
  return leg;
}

gboolean
gst_mctx_sink_legs_set_destinations (GstMctxSinkLegs * l,
    const gchar * destinations, GError ** error)
{
  gchar **uris = split_destinations (destinations);

  /* Checked here, so that a bad URI is refused when it is set. */
  for (guint i = 0; uris[i]; i++) {
    Leg *leg = leg_new (l, uris[i], error);
    if (leg == NULL) {
      g_strfreev (uris);
      return FALSE;
    }
    leg_free (leg);
  }
  g_mutex_lock (&l->lock);
  g_free (l->destinations);
  l->destinations = g_strjoinv (",", uris);
  g_atomic_int_set (&l->staged, TRUE);
  g_mutex_unlock (&l->lock);
  g_strfreev (uris);
  return TRUE;
}

gchar *
gst_mctx_sink_legs_get_destinations (GstMctxSinkLegs * l)
{
  gchar *d;

  g_mutex_lock (&l->lock);
  d = g_strdup (l->destinations ? l->destinations : "");
  g_mutex_unlock (&l->lock);
  return d;
}

void
gst_mctx_sink_legs_set_timeout (GstMctxSinkLegs * l, GstClockTime t)
{
  atomic_store (&l->timeout, t);
}

GstClockTime
gst_mctx_sink_legs_get_timeout (GstMctxSinkLegs * l)
{
  return atomic_load (&l->timeout);
}

gboolean
gst_mctx_sink_legs_any (GstMctxSinkLegs * l)
{
  gboolean any;

  /* Read for every send without a group: no lock then. */
  if (G_LIKELY (!g_atomic_int_get (&l->staged)))
    return g_atomic_int_get (&l->n_legs) > 0;
  /* A change the next send applies. */
  g_mutex_lock (&l->lock);
  any = gst_mctx_sink_is_set (l->destinations);
  g_mutex_unlock (&l->lock);
  return any;
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */
/* ------------------------------------------------------------------------ */

/* Tries to open the leg; a failure is warned about (at start, when added,
 * and at most once a second after) and retried a second later. */
static gboolean
leg_open (GstMctxSinkLegs * l, Leg * leg)
{
  mctx_publication *pub = NULL;
  mctx_error err = { 0 };
  const gchar *bad = NULL;
  int rc;

  leg->next_open_us = g_get_monotonic_time () + REOPEN_INTERVAL_US;
  rc = gst_mctx_sender_open_udp (&leg->settings, &pub, &bad, &err);
  if (rc != MCTX_OK) {
    GST_ELEMENT_WARNING (l->owner, RESOURCE, OPEN_WRITE,
        ("Cannot open the destination %s: %s%s%s; its datagrams are dropped "
            "and it is tried again every second", leg->uri,
            bad ? bad : "", bad ? " is not valid: " : "", err.message),
        ("%s", mctx_code_name (rc)));
    return FALSE;
  }
  g_mutex_lock (&l->lock);
  leg->pub = pub;
  g_mutex_unlock (&l->lock);
  GST_INFO_OBJECT (l->owner, "leg %s open", leg->uri);
  return TRUE;
}

static void
add_counters (mctx_metrics * to, const mctx_metrics * m)
{
  to->send_calls += m->send_calls;
  to->packets_sent += m->packets_sent;
  to->bytes_sent += m->bytes_sent;
  to->send_errors += m->send_errors;
  to->would_block += m->would_block;
}

static void
retire (GstMctxSinkLegs * l, Leg * leg)
{
  mctx_metrics m = { 0 };

  if (leg->pub)
    mctx_publication_metrics_snapshot (leg->pub, &m);
  add_counters (&l->retired, &m);
  l->retired_dropped += atomic_load (&leg->dropped);
}

guint
gst_mctx_sink_legs_start (GstMctxSinkLegs * l, guint * n_legs)
{
  gchar **uris;
  guint opened = 0;

  g_mutex_lock (&l->lock);
  uris = split_destinations (l->destinations);
  g_atomic_int_set (&l->staged, FALSE);
  memset (&l->retired, 0, sizeof l->retired);
  l->retired_dropped = 0;
  g_mutex_unlock (&l->lock);
  gst_poll_set_flushing (l->poll, FALSE);

  for (guint i = 0; uris[i]; i++) {
    Leg *leg = leg_new (l, uris[i], NULL);
    if (leg == NULL)
      continue;                 /* refused when set */
    if (leg_open (l, leg))
      opened++;
    g_mutex_lock (&l->lock);
    g_ptr_array_add (l->legs, leg);
    g_mutex_unlock (&l->lock);
  }
  g_mutex_lock (&l->lock);
  l->running = TRUE;
  g_atomic_int_set (&l->n_legs, l->legs->len);
  l->open_changed = TRUE;
  *n_legs = l->legs->len;
  g_mutex_unlock (&l->lock);
  g_strfreev (uris);
  return opened;
}

void
gst_mctx_sink_legs_stop (GstMctxSinkLegs * l)
{
  GPtrArray *old;

  g_mutex_lock (&l->lock);
  for (guint i = 0; i < l->legs->len; i++)
    retire (l, g_ptr_array_index (l->legs, i));
  old = l->legs;
  l->legs = g_ptr_array_new_with_free_func ((GDestroyNotify) leg_free);
  l->running = FALSE;
  g_atomic_int_set (&l->n_legs, 0);
  g_ptr_array_set_size (l->open_legs, 0);
  g_ptr_array_set_size (l->open_pubs, 0);
  g_mutex_unlock (&l->lock);
  g_ptr_array_unref (old);
}

/* The sending thread: destinations changed while running. Legs that stay
 * keep their publication and counters; new ones are opened; removed ones
 * are closed, their counters kept in the totals. */
static void
apply_destinations (GstMctxSinkLegs * l)
{
  GPtrArray *now = g_ptr_array_new_with_free_func ((GDestroyNotify) leg_free);
  GPtrArray *old = l->legs;
  /* old stays readable by snapshot() until swapped: moves are marked. */
  gboolean *moved = g_new0 (gboolean, old->len + 1);
  gchar **uris;

  g_mutex_lock (&l->lock);
  uris = split_destinations (l->destinations);
  g_atomic_int_set (&l->staged, FALSE);
  g_mutex_unlock (&l->lock);

  for (guint i = 0; uris[i]; i++) {
    Leg *leg = NULL;
    for (guint j = 0; j < old->len && leg == NULL; j++) {
      Leg *o = g_ptr_array_index (old, j);
      if (!moved[j] && g_str_equal (o->uri, uris[i])) {
        leg = o;
        moved[j] = TRUE;
      }
    }
    if (leg == NULL) {
      leg = leg_new (l, uris[i], NULL);
      if (leg == NULL)
        continue;
      leg_open (l, leg);
      GST_INFO_OBJECT (l->owner, "leg %s added", leg->uri);
    }
    g_ptr_array_add (now, leg);
  }

  g_mutex_lock (&l->lock);
  for (guint j = 0; j < old->len; j++) {
    Leg *o = g_ptr_array_index (old, j);
    if (!moved[j]) {
      GST_INFO_OBJECT (l->owner, "leg %s removed", o->uri);
      retire (l, o);
    }
  }
  l->legs = now;
  l->open_changed = TRUE;
  g_atomic_int_set (&l->n_legs, now->len);
  g_mutex_unlock (&l->lock);
  for (guint j = 0; j < old->len; j++) {
    if (moved[j])
      old->pdata[j] = NULL;     /* now in the new array */
  }
  g_ptr_array_unref (old);
  g_free (moved);
  g_strfreev (uris);
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

void
gst_mctx_sink_legs_unlock (GstMctxSinkLegs * l)
{
  gst_poll_set_flushing (l->poll, TRUE);
}

void
gst_mctx_sink_legs_unlock_stop (GstMctxSinkLegs * l)
{
  gst_poll_set_flushing (l->poll, FALSE);
}

/* Waits for the leg's socket to take datagrams again (writable, or a
 * backoff after ENOBUFS), at most limit; FALSE when interrupted. */
static gboolean
leg_wait (GstMctxSinkLegs * l, Leg * leg, int rc, GstClockTime limit)
{
  GstPollFD pfd = GST_POLL_FD_INIT;
  gint res;

  mctx_publication_drain_errors (leg->pub);
  if (rc == MCTX_E_WOULD_BLOCK) {
    pfd.fd = mctx_publication_get_fd (leg->pub);
    gst_poll_add_fd (l->poll, &pfd);
    gst_poll_fd_ctl_write (l->poll, &pfd, TRUE);
  } else {
    limit = MIN (limit, BACKOFF_MIN);
  }
  do {
    res = gst_poll_wait (l->poll, limit);
  } while (res < 0 && errno == EINTR);
  if (pfd.fd >= 0)
    gst_poll_remove_fd (l->poll, &pfd);
  return !(res < 0 && errno == EBUSY);
}

/* A failed send that is not a full queue, warned about at most once a
 * second per leg. */
static void
leg_send_error (GstMctxSinkLegs * l, Leg * leg, const mctx_error * err)
{
  gint64 now = g_get_monotonic_time ();

  leg->errors_pending++;
  if (leg->warned_us != 0 && now - leg->warned_us < G_USEC_PER_SEC)
    return;
  GST_ELEMENT_WARNING (l->owner, RESOURCE, WRITE,
      ("%" G_GUINT64_FORMAT " datagram(s) to destination %s failed: %s",
          leg->errors_pending, leg->uri, err->message),
      ("errno %d; dropped and counted in the leg's packets-dropped; the "
          "other legs go on", err->sys_errno));
  leg->errors_pending = 0;
  leg->warned_us = now;
}

/* The leg took a whole send without waiting: its budget is whole again. */
static void
leg_took_all (GstMctxSinkLegs * l, Leg * leg)
{
  leg->held = 0;
  if (G_UNLIKELY (g_atomic_int_get (&leg->stalled))) {
    g_atomic_int_set (&leg->stalled, FALSE);
    GST_INFO_OBJECT (l->owner, "leg %s resumed", leg->uri);
  }
}

/* The rest of a leg's send once its try in the one pass over all legs
 * stopped at datagram next with rc (err): waits within the leg's budget,
 * resends, or drops for this leg. */
static void
leg_send_rest (GstMctxSinkLegs * l, Leg * leg,
    const mctx_datagram * datagrams, gsize count, gsize next, int rc,
    mctx_error * err, gboolean may_wait, GstClockTime timeout)
{
  gboolean waited = FALSE;

  while (rc != MCTX_OK || next < count) {
    size_t sent = 0;

    if (rc != MCTX_OK && !mctx_error_is_transient (rc)) {
      GST_DEBUG_OBJECT (l->owner, "leg %s: %s", leg->uri, err->message);
      leg_send_error (l, leg, err);
      atomic_fetch_add (&leg->dropped, 1);
      next++;
    } else if (rc != MCTX_OK) {
      gint64 t0 = g_get_monotonic_time ();
      gboolean go_on;

      if (!may_wait || g_atomic_int_get (&leg->stalled)
          || leg->held >= timeout)
        goto drop_rest;
      go_on = leg_wait (l, leg, rc, timeout - leg->held);
      leg->held += (g_get_monotonic_time () - t0) * GST_USECOND;
      waited = TRUE;
      if (!go_on)
        goto drop_rest;
      if (leg->held >= timeout) {
        g_atomic_int_set (&leg->stalled, TRUE);
        GST_ELEMENT_WARNING (l->owner, RESOURCE, WRITE,
            ("The destination %s held the stream for %" GST_TIME_FORMAT
                " (leg-timeout): its datagrams are dropped until it takes "
                "them again", leg->uri, GST_TIME_ARGS (leg->held)),
            ("%s; the other legs go on", mctx_code_name (rc)));
        goto drop_rest;
      }
    }
    if (next >= count)
      break;
    if (count - next == 1) {
      rc = mctx_publication_sendv (leg->pub, datagrams[next].bufs,
          datagrams[next].nbufs, NULL, err);
      sent = rc == MCTX_OK;
    } else {
      rc = mctx_publication_send_batch (leg->pub, &datagrams[next],
          count - next, &sent, err);
    }
    next += sent;
  }
  if (!waited)
    leg_took_all (l, leg);
  return;

drop_rest:
  /* Stalled, not allowed to wait, or interrupted: dropped for this leg. */
  atomic_fetch_add (&leg->dropped, count - next);
}

/* The publications of the open legs, for the one pass: rebuilt when a leg
 * opens, closes, or the legs change. */
static void
gather_open_legs (GstMctxSinkLegs * l)
{
  g_ptr_array_set_size (l->open_pubs, 0);
  g_ptr_array_set_size (l->open_legs, 0);
  for (guint i = 0; i < l->legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->legs, i);
    if (leg->pub) {
      g_ptr_array_add (l->open_pubs, leg->pub);
      g_ptr_array_add (l->open_legs, leg);
    }
  }
  g_array_set_size (l->results, l->open_pubs->len);
  g_array_set_size (l->errors, l->open_pubs->len);
  l->open_changed = FALSE;
}

void
gst_mctx_sink_legs_send (GstMctxSinkLegs * l,
    const mctx_datagram * datagrams, gsize count, gboolean may_wait)
{
  GstClockTime timeout = atomic_load (&l->timeout);
  gint64 now_us = 0;
  int rc;

  if (G_UNLIKELY (g_atomic_int_get (&l->staged)))
    apply_destinations (l);
  /* Legs that are not open: dropped for them, reopened once a second. */
  for (guint i = 0; i < l->legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->legs, i);
    if (G_LIKELY (leg->pub != NULL))
      continue;
    if (now_us == 0)
      now_us = g_get_monotonic_time ();
    if (now_us >= leg->next_open_us && leg_open (l, leg))
      l->open_changed = TRUE;
    else
      atomic_fetch_add (&leg->dropped, count);
  }
  if (G_UNLIKELY (l->open_changed))
    gather_open_legs (l);
  if (l->open_pubs->len == 0)
    return;

  /* One pass: every leg gets its batch before any leg waits. */
  rc = mctx_publications_send_batch ((mctx_publication * const *)
      l->open_pubs->pdata, l->open_pubs->len, datagrams, count,
      (mctx_send_result *) l->results->data, (mctx_error *) l->errors->data);
  for (guint i = 0; i < l->open_legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->open_legs, i);
    const mctx_send_result *r = &g_array_index (l->results,
        mctx_send_result, i);

    if (G_LIKELY (rc == MCTX_OK || r->code == MCTX_OK))
      leg_took_all (l, leg);
    else
      leg_send_rest (l, leg, datagrams, count, r->sent, r->code,
          &g_array_index (l->errors, mctx_error, i), may_wait, timeout);
  }
}

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

static void
stats_clear (GstMctxSinkLegStats * st)
{
  g_free (st->destination);
}

GArray *
gst_mctx_sink_legs_snapshot (GstMctxSinkLegs * l, mctx_metrics * totals,
    guint64 * dropped)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (GstMctxSinkLegStats));

  g_array_set_clear_func (out, (GDestroyNotify) stats_clear);
  g_mutex_lock (&l->lock);
  add_counters (totals, &l->retired);
  *dropped += l->retired_dropped;
  for (guint i = 0; i < l->legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->legs, i);
    GstMctxSinkLegStats st = { 0 };

    st.destination = g_strdup (leg->uri);
    st.open = leg->pub != NULL;
    st.stalled = g_atomic_int_get (&leg->stalled);
    if (leg->pub)
      mctx_publication_metrics_snapshot (leg->pub, &st.counters);
    st.dropped = atomic_load (&leg->dropped);
    add_counters (totals, &st.counters);
    *dropped += st.dropped;
    g_array_append_val (out, st);
  }
  g_mutex_unlock (&l->lock);
  return out;
}

void
gst_mctx_sink_legs_stats_free (GArray * stats)
{
  g_array_unref (stats);
}

/* ------------------------------------------------------------------------ */
/* The session description                                                  */
/* ------------------------------------------------------------------------ */

static void
leg_place_clear (GstMctxSinkLegPlace * place)
{
  g_free (place->group);
  g_free (place->source_addr);
  g_free (place->interface);
  g_free (place->source);
}

GArray *
gst_mctx_sink_legs_describe (GstMctxSinkLegs * l)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (GstMctxSinkLegPlace));
  GPtrArray *sources = g_ptr_array_new_with_free_func (g_free);
  gchar **uris;

  g_array_set_clear_func (out, (GDestroyNotify) leg_place_clear);
  /* The value set, not the legs applied: a live change is described when
   * it is made; the legs open by then name their effective source. */
  g_mutex_lock (&l->lock);
  uris = split_destinations (l->destinations);
  for (guint i = 0; uris[i]; i++) {
    gchar *source = NULL;

    for (guint j = 0; j < l->legs->len && source == NULL; j++) {
      Leg *leg = g_ptr_array_index (l->legs, j);
      mctx_ip source_ip, group_ip;
      uint16_t port;
      char text[MCTX_IP_STRLEN];

      if (leg->pub != NULL && g_str_equal (leg->uri, uris[i])
          && mctx_publication_get_announce_tuple (leg->pub, &source_ip,
              &group_ip, &port, NULL) == MCTX_OK)
        source = g_strdup (mctx_ip_format (&source_ip, text, sizeof text));
    }
    g_ptr_array_add (sources, source);
  }
  g_mutex_unlock (&l->lock);

  for (guint i = 0; uris[i]; i++) {
    GstMctxSinkSettings settings = { 0 };
    GstMctxSinkLegPlace place = { 0 };

    if (!gst_mctx_sink_uri_to_settings (G_OBJECT (l->owner), uris[i],
            &settings, NULL))
      continue;                 /* refused when set */
    place.group = g_steal_pointer (&settings.group);
    place.port = settings.port;
    place.source_addr = gst_mctx_sink_is_set (settings.source_addr) ?
        g_steal_pointer (&settings.source_addr) : NULL;
    place.interface = gst_mctx_sink_is_set (settings.interface) ?
        g_steal_pointer (&settings.interface) : NULL;
    place.ttl = settings.ttl;
    place.loop = settings.loop;
    place.source = g_steal_pointer (&sources->pdata[i]);
    g_array_append_val (out, place);
    gst_mctx_sink_settings_clear (&settings);
  }
  g_ptr_array_unref (sources);
  g_strfreev (uris);
  return out;
}
