/* mctxsink's legs: every datagram to each destination, one publication
 * per leg, a leg that cannot keep up isolated from the others.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A leg may make the stream wait (block=true) for at most leg-timeout in
 * all; then it is stalled: its datagrams are dropped and counted for it
 * without waiting, and it is tried again, without waiting, on every send,
 * so it resumes by itself once its queue takes datagrams again. A dead leg
 * costs the others one timeout, not one per buffer. The element's own
 * group, when set, is one more leg of the same pass (the sender lends its
 * publication): first, so that with pacing its schedule paces every leg
 * (mctx_publications_send_batch), and under the same leg-timeout.
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
  /* The element's pacing, for every leg's publication; changed: applied
   * by the sending thread at the next send. */
  _Atomic guint64 pacing_rate;
  _Atomic guint pacing_burst;
  gint pacing_changed;          /* atomic */
  gboolean unlocked;            /* lock: between unlock and unlock_stop */
  /* The element's own group as a leg: its publication is the sender's
   * (borrowed for one send), its state and counters are here. */
  Leg own;
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
  atomic_init (&l->pacing_rate, 0);
  atomic_init (&l->pacing_burst, 1);
  atomic_init (&l->own.dropped, 0);
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
  g_free (l->own.uri);
  if (l->poll)
    gst_poll_free (l->poll);
  g_mutex_clear (&l->lock);
  g_free (l);
}

/* The URIs of a destinations value, trimmed, empty ones left out. A
 * GstValueArray reaches the string property through the transform
 * GStreamer registers ("< \"uri\", \"uri\" >"), or through str() of
 * Python's Gst.ValueArray ("<uri,uri>"): the brackets go, and a quoted
 * item is unquoted. A URI has no comma, so the items are the same. */
static gchar **
split_destinations (const gchar * destinations)
{
  gchar *text = g_strstrip (g_strdup (destinations ? destinations : ""));
  gsize len = strlen (text);
  gchar **parts;
  GPtrArray *uris = g_ptr_array_new ();

  if (len >= 2 && text[0] == '<' && text[len - 1] == '>') {
    text[len - 1] = '\0';
    memmove (text, text + 1, len - 1);
  }
  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i]; i++) {
    gchar *part = g_strstrip (parts[i]);
    gsize n = strlen (part);

    if (n >= 2 && part[0] == '"' && part[n - 1] == '"') {
      part[n - 1] = '\0';
      g_ptr_array_add (uris, g_strcompress (part + 1));
    } else if (n > 0) {
      g_ptr_array_add (uris, g_strdup (part));
    }
  }
  g_free (text);
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

void
gst_mctx_sink_legs_set_pacing (GstMctxSinkLegs * l, guint64 rate, guint burst)
{
  atomic_store (&l->pacing_rate, rate);
  atomic_store (&l->pacing_burst, burst);
  g_atomic_int_set (&l->pacing_changed, TRUE);
}

gboolean
gst_mctx_sink_legs_in_use (GstMctxSinkLegs * l)
{
  return g_atomic_int_get (&l->n_legs) > 0 || g_atomic_int_get (&l->staged);
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
  leg->settings.pacing_rate = atomic_load (&l->pacing_rate);
  leg->settings.pacing_burst = atomic_load (&l->pacing_burst);
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
  /* unlock() came before it: its pacing waits must fail too. */
  if (l->unlocked)
    mctx_publication_interrupt (pub);
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
  l->unlocked = FALSE;
  g_mutex_unlock (&l->lock);
  gst_poll_set_flushing (l->poll, FALSE);
  atomic_store (&l->own.dropped, 0);
  l->own.held = 0;
  g_atomic_int_set (&l->own.stalled, FALSE);
  l->own.warned_us = 0;
  l->own.errors_pending = 0;
  g_atomic_int_set (&l->pacing_changed, FALSE);

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
  l->own.pub = NULL;
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

/* Also the legs' pacing waits: a leg leads the pacing when there is no
 * group. */
static void
interrupt_legs (GstMctxSinkLegs * l, gboolean unlocked)
{
  g_mutex_lock (&l->lock);
  l->unlocked = unlocked;
  for (guint i = 0; i < l->legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->legs, i);
    if (unlocked)
      mctx_publication_interrupt (leg->pub);
    else
      mctx_publication_clear_interrupt (leg->pub);
  }
  g_mutex_unlock (&l->lock);
}

void
gst_mctx_sink_legs_unlock (GstMctxSinkLegs * l)
{
  interrupt_legs (l, TRUE);
  gst_poll_set_flushing (l->poll, TRUE);
}

void
gst_mctx_sink_legs_unlock_stop (GstMctxSinkLegs * l)
{
  interrupt_legs (l, FALSE);
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
    l->open_changed = TRUE;     /* back in the one pass */
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
  /* Its retries hold the stream too (a paced leg's retry waits for its
   * schedule): all of this counts against its budget. */
  gint64 start_us = g_get_monotonic_time ();
  GstClockTime held_before = leg->held;
  gboolean waited = FALSE;

  while (rc != MCTX_OK || next < count) {
    size_t sent = 0;

    if (rc == MCTX_E_INTERRUPTED) {
      goto drop_rest;           /* unlock() during its pacing wait */
    } else if (rc != MCTX_OK && !mctx_error_is_transient (rc)) {
      GST_DEBUG_OBJECT (l->owner, "leg %s: %s", leg->uri, err->message);
      leg_send_error (l, leg, err);
      atomic_fetch_add (&leg->dropped, 1);
      next++;
    } else if (rc != MCTX_OK) {
      gboolean go_on;

      leg->held = held_before + (g_get_monotonic_time () - start_us) *
          GST_USECOND;
      if (!may_wait || g_atomic_int_get (&leg->stalled)
          || leg->held >= timeout)
        goto drop_rest;
      go_on = leg_wait (l, leg, rc, timeout - leg->held);
      leg->held = held_before + (g_get_monotonic_time () - start_us) *
          GST_USECOND;
      waited = TRUE;
      if (!go_on)
        goto drop_rest;
      if (leg->held >= timeout) {
        g_atomic_int_set (&leg->stalled, TRUE);
        l->open_changed = TRUE; /* out of the one pass: probed instead */
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
gather_open_legs (GstMctxSinkLegs * l, mctx_publication * own)
{
  g_ptr_array_set_size (l->open_pubs, 0);
  g_ptr_array_set_size (l->open_legs, 0);
  /* First: with pacing, the first paced publication leads. */
  if (own && !g_atomic_int_get (&l->own.stalled)) {
    g_ptr_array_add (l->open_pubs, own);
    g_ptr_array_add (l->open_legs, &l->own);
  }
  for (guint i = 0; i < l->legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->legs, i);
    if (leg->pub && !g_atomic_int_get (&leg->stalled)) {
      g_ptr_array_add (l->open_pubs, leg->pub);
      g_ptr_array_add (l->open_legs, leg);
    }
  }
  g_array_set_size (l->results, l->open_pubs->len);
  g_array_set_size (l->errors, l->open_pubs->len);
  l->open_changed = FALSE;
}

/* Whether leg was in this send's one pass. */
static gboolean
in_pass (GstMctxSinkLegs * l, Leg * leg)
{
  for (guint i = 0; i < l->open_legs->len; i++) {
    if (g_ptr_array_index (l->open_legs, i) == leg)
      return TRUE;
  }
  return FALSE;
}

/* A stalled leg is tried again on every send, without waiting, with its
 * first datagram alone: a refused try then costs one datagram's copy, not
 * a whole batch's (one GSO send copies up to 64 KiB before the queue drops
 * it). Taken, the leg resumes and gets the rest. */
static void
probe_stalled (GstMctxSinkLegs * l, Leg * leg, const mctx_datagram * datagrams,
    gsize count, GstClockTime timeout)
{
  mctx_error err;
  int rc;

  if (count == 0)
    return;
  rc = mctx_publication_sendv (leg->pub, datagrams[0].bufs,
      datagrams[0].nbufs, NULL, &err);
  if (rc == MCTX_OK)
    leg_took_all (l, leg);
  if (rc == MCTX_OK || !(mctx_error_is_transient (rc)
          || rc == MCTX_E_INTERRUPTED))
    leg_send_rest (l, leg, datagrams, count, rc == MCTX_OK ? 1 : 0, rc, &err,
        FALSE, timeout);
  else
    atomic_fetch_add (&leg->dropped, count);
}

/* The sending thread: the element's pacing changed. */
static void
apply_pacing (GstMctxSinkLegs * l)
{
  guint64 rate = atomic_load (&l->pacing_rate);
  guint burst = atomic_load (&l->pacing_burst);

  g_atomic_int_set (&l->pacing_changed, FALSE);
  for (guint i = 0; i < l->legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->legs, i);
    mctx_error err = { 0 };

    leg->settings.pacing_rate = rate;
    leg->settings.pacing_burst = burst;
    if (leg->pub && mctx_publication_set_pacing (leg->pub, rate, burst,
            &err) != MCTX_OK)
      GST_WARNING_OBJECT (l->owner, "leg %s: %s", leg->uri, err.message);
  }
}

gsize
gst_mctx_sink_legs_send (GstMctxSinkLegs * l, mctx_publication * own,
    const gchar * own_name, const mctx_datagram * datagrams, gsize count,
    gboolean may_wait)
{
  GstClockTime timeout = atomic_load (&l->timeout);
  gsize boundary = count;
  gint64 now_us = 0;
  int rc;

  if (G_UNLIKELY (g_atomic_int_get (&l->staged)))
    apply_destinations (l);
  if (G_UNLIKELY (g_atomic_int_get (&l->pacing_changed)))
    apply_pacing (l);
  if (G_UNLIKELY (own != l->own.pub)) {
    g_free (l->own.uri);
    l->own.uri = g_strdup (own_name);
    l->own.pub = own;
    l->open_changed = TRUE;
  }
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
    gather_open_legs (l, own);
  if (l->open_pubs->len == 0)
    goto stalled;

  /* One pass: every leg gets its batch (with pacing, each cut of it)
   * before any leg waits. */
  rc = mctx_publications_send_batch ((mctx_publication * const *)
      l->open_pubs->pdata, l->open_pubs->len, datagrams, count,
      (mctx_send_result *) l->results->data, (mctx_error *) l->errors->data);
  if (G_LIKELY (rc == MCTX_OK)) {
    for (guint i = 0; i < l->open_legs->len; i++)
      leg_took_all (l, g_ptr_array_index (l->open_legs, i));
    goto stalled;
  }
  /* A pacing wait interrupted (unlock): the datagrams from there on are
   * no leg's yet; the caller decides. */
  for (guint i = 0; i < l->open_legs->len; i++) {
    const mctx_send_result *r = &g_array_index (l->results,
        mctx_send_result, i);
    if (r->code == MCTX_E_INTERRUPTED)
      boundary = MIN (boundary, r->sent);
  }
  for (guint i = 0; i < l->open_legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->open_legs, i);
    const mctx_send_result *r = &g_array_index (l->results,
        mctx_send_result, i);

    if (r->code == MCTX_OK || r->sent >= boundary)
      leg_took_all (l, leg);
    else
      leg_send_rest (l, leg, datagrams, boundary, r->sent, r->code,
          &g_array_index (l->errors, mctx_error, i), may_wait, timeout);
  }

stalled:
  /* After the pass: the legs that take datagrams went first. Those that
   * stalled in this very send were done with by it. */
  if (own && g_atomic_int_get (&l->own.stalled) && !in_pass (l, &l->own))
    probe_stalled (l, &l->own, datagrams, boundary, timeout);
  for (guint i = 0; i < l->legs->len; i++) {
    Leg *leg = g_ptr_array_index (l->legs, i);
    if (leg->pub && g_atomic_int_get (&leg->stalled) && !in_pass (l, leg))
      probe_stalled (l, leg, datagrams, boundary, timeout);
  }
  return boundary;
}

void
gst_mctx_sink_legs_drop (GstMctxSinkLegs * l, gboolean own, gsize count)
{
  for (guint i = 0; i < l->legs->len; i++)
    atomic_fetch_add (&((Leg *) g_ptr_array_index (l->legs, i))->dropped,
        count);
  if (own)
    atomic_fetch_add (&l->own.dropped, count);
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
  *dropped += l->retired_dropped + atomic_load (&l->own.dropped);
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
