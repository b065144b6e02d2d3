/* mctxsink's sender: publications, waits, send errors, the dropped count,
 * and the mapping of buffers into datagrams.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A plain struct, not a GObject: it has one owner (the element), no
 * properties, signals or references of its own, and its life is the
 * element's; a GObject would add a type and reference counting that nothing
 * uses. Its instance stays private to this file.
 *
 * Everything follows one path, gst_mctx_sender_send(): a live change staged
 * by set_property is applied there, before the first datagram of a send,
 * so a batch (a buffer list, a gathered batch) never goes to two
 * destinations, and nothing is sent twice or lost across the change.
 */
#include "gstmctxsender.h"
#include "gstmctxsinkdebug.h"
#include "gstmctxsinkerror.h"
#include "gstmctxsinklegs.h"
#include "gstmctxsinkraw.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#define GST_CAT_DEFAULT gst_mctx_sink_debug

/* Send errors are reported per errno, at most once a second each; this many
 * different errnos are tracked at a time (the oldest slot is reused). */
#define ERROR_KINDS 8

#define BACKOFF_MIN (1 * GST_MSECOND)
#define BACKOFF_MAX (20 * GST_MSECOND)

/* ttl=-1: leave the socket's TTL as it is (set live: back to the kernel's
 * default). */
#define TTL_FROM_PROPERTY(ttl) ((ttl) < 0 ? MCTX_TTL_UNCHANGED : (uint32_t) (ttl))

/* The largest datagram each kind of publication can carry: a UDP payload
 * over IPv4 or IPv6 without jumbograms, a whole IP datagram in raw mode. */
#define UDP4_MAX 65507
#define UDP6_MAX 65527
#define RAW_MAX 65535

typedef struct
{
  int sys_errno;                /* the kind; 0 for a failure without errno */
  int code;                     /* the mctx_code of the last one */
  guint64 pending;              /* errors since the last warning */
  gint64 last_warning_us;       /* monotonic; 0: never warned */
  gsize size;                   /* bytes of the last datagram that failed */
  /* libmctx's text of the last one: it names the check that refused a raw
   * datagram. */
  char message[MCTX_ERROR_MESSAGE_MAX];
} ErrorKind;

struct _GstMctxSender
{
  GstBaseSink *owner;
  /* The element's property values, under the owner's object lock. */
  GstMctxSinkSettings *settings;
  gint staged;                  /* atomic: settings changed, not applied */
  gint block;                   /* atomic gboolean, read for every send */

  /* The publication changes under the owner's object lock, so that
   * snapshot() may read it from any thread; the sending thread reads it
   * without the lock. */
  mctx_publication *pub;
  GstMctxSinkRaw *raw_pub;      /* instead of pub when raw */
  gsize max_datagram;
  /* Counters of the publications closed since start (replaced live, or at
   * stop), and where the datagrams go now; object lock. */
  mctx_metrics retired;
  gchar group_text[MCTX_IP_STRLEN];
  gchar source_text[MCTX_IP_STRLEN];
  gint port;

  /* The sending thread's: the settings pub was opened with, for what a
   * live change changes. */
  GstMctxSinkSettings current;
  char destination[MCTX_ENDPOINT_STRLEN];

  /* Between unlock() and unlock_stop(), under the owner's object lock:
   * pacing waits of every publication taken meanwhile fail at once. */
  gboolean unlocked;

  /* Waits for writability (and the ENOBUFS backoff); unlock() flushes it. */
  GstPoll *poll;
  GstPollFD pollfd;
  GstClockTime backoff;

  /* render(): mappings reused from one buffer or list to the next. */
  GstMctxSenderBatch scratch;

  ErrorKind error_kinds[ERROR_KINDS];
  /* A local queue that keeps refusing (ENOBUFS) with block=true: monotonic
   * microseconds since it began refusing (0: it is not), and of the last
   * warning about it. */
  gint64 enobufs_since_us;
  gint64 enobufs_warned_us;

  /* The library counts what it sends; the element what it gave up on. */
  _Atomic guint64 packets_dropped;

  /* The destinations property: more publications sent the same datagrams. */
  GstMctxSinkLegs *legs;
};

/* ------------------------------------------------------------------------ */
/* Batches                                                                  */
/* ------------------------------------------------------------------------ */

void
gst_mctx_sender_batch_reserve (GstMctxSenderBatch * b, gsize ndatagrams,
    gsize nmaps)
{
  gsize at = 0;

  if (G_UNLIKELY (ndatagrams > b->datagrams_alloc)) {
    b->datagrams_alloc = MAX (ndatagrams, 2 * b->datagrams_alloc);
    b->datagrams = g_renew (mctx_datagram, b->datagrams, b->datagrams_alloc);
  }
  if (G_LIKELY (nmaps <= b->maps_alloc))
    return;
  /* Mapped entries move by value, which is all a GstMapInfo needs:
   * gst_memory_unmap() reads the copy's memory and flags, and nothing keeps
   * its address. The datagrams already made point at the new array. */
  b->maps_alloc = MAX (nmaps, 2 * b->maps_alloc);
  b->maps = g_renew (GstMapInfo, b->maps, b->maps_alloc);
  b->bufs = g_renew (mctx_buf, b->bufs, b->maps_alloc);
  for (gsize i = 0; i < b->n; i++) {
    b->datagrams[i].bufs = &b->bufs[at];
    at += b->datagrams[i].nbufs;
  }
}

/* Inline in render()'s loop: a call per buffer costs about as much as the
 * bookkeeping itself. */
static inline gboolean
batch_add (GstMctxSenderBatch * b, GstBuffer * buffer)
{
  guint nmem = gst_buffer_n_memory (buffer);
  gsize at = b->maps_used;
  guint i;

  /* render() reserved the list's room: only more memories grow it. */
  if (G_UNLIKELY (b->n + 1 > b->datagrams_alloc || at + nmem > b->maps_alloc))
    gst_mctx_sender_batch_reserve (b, b->n + 1, at + nmem);
  for (i = 0; i < nmem; i++) {
    GstMapInfo *map = &b->maps[at + i];

    if (G_UNLIKELY (!gst_memory_map (gst_buffer_peek_memory (buffer, i), map,
                GST_MAP_READ)))
      goto map_failed;
    b->bufs[at + i].base = map->data;
    b->bufs[at + i].len = map->size;
  }
  b->maps_used += nmem;
  b->datagrams[b->n].bufs = &b->bufs[at];
  b->datagrams[b->n].nbufs = nmem;
  b->n++;
  return TRUE;

map_failed:
  {
    while (i-- > 0)
      gst_memory_unmap (b->maps[at + i].memory, &b->maps[at + i]);
    return FALSE;
  }
}

gboolean
gst_mctx_sender_batch_add (GstMctxSenderBatch * b, GstBuffer * buffer)
{
  return batch_add (b, buffer);
}

void
gst_mctx_sender_batch_release (GstMctxSenderBatch * b)
{
  for (GstMapInfo * map = b->maps, *end = map + b->maps_used; map < end; map++)
    gst_memory_unmap (map->memory, map);
  b->n = b->first = b->maps_used = 0;
}

void
gst_mctx_sender_batch_clear (GstMctxSenderBatch * b)
{
  gst_mctx_sender_batch_release (b);
  g_clear_pointer (&b->datagrams, g_free);
  g_clear_pointer (&b->maps, g_free);
  g_clear_pointer (&b->bufs, g_free);
  b->datagrams_alloc = b->maps_alloc = 0;
}

/* ------------------------------------------------------------------------ */
/* Life                                                                     */
/* ------------------------------------------------------------------------ */

GstMctxSender *
gst_mctx_sender_new (GstBaseSink * owner, GstMctxSinkSettings * settings)
{
  GstMctxSender *s = g_new0 (GstMctxSender, 1);

  s->owner = owner;
  s->settings = settings;
  s->block = TRUE;
  s->poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&s->pollfd);
  atomic_init (&s->packets_dropped, 0);
  s->legs = gst_mctx_sink_legs_new (owner);
  return s;
}

void
gst_mctx_sender_free (GstMctxSender * s)
{
  if (s->poll)
    gst_poll_free (s->poll);
  gst_mctx_sender_batch_clear (&s->scratch);
  gst_mctx_sink_settings_clear (&s->current);
  gst_mctx_sink_legs_free (s->legs);
  g_free (s);
}

/* ------------------------------------------------------------------------ */
/* Opening publications                                                     */
/* ------------------------------------------------------------------------ */

/* Parses source-addr and interface, each when set. On failure returns the
 * libmctx result and names the property in *bad. */
static int
parse_egress (const GstMctxSinkSettings * s, mctx_ip * source,
    mctx_interface * iface, const gchar ** bad, mctx_error * err)
{
  int rc = MCTX_OK;

  if (gst_mctx_sink_is_set (s->source_addr)) {
    *bad = "source-addr";
    rc = mctx_ip_parse (s->source_addr, source, err);
  }
  if (rc == MCTX_OK && gst_mctx_sink_is_set (s->interface)) {
    *bad = "interface";
    rc = mctx_interface_parse (s->interface, iface, err);
  }
  if (rc == MCTX_OK)
    *bad = NULL;
  return rc;
}

static const gchar *
setting_text (const GstMctxSinkSettings * s, const gchar * property)
{
  if (g_strcmp0 (property, "group") == 0)
    return s->group;
  if (g_strcmp0 (property, "source-addr") == 0)
    return s->source_addr;
  return s->interface;
}

/* Opens the publication on a duplicate of the caller's socket, which stays
 * the caller's. */
static int
open_with_caller_socket (const mctx_publication_config * cfg, GSocket * socket,
    mctx_publication ** pub, mctx_error * err)
{
  int fd;
  int rc = mctx_socket_dup (g_socket_get_fd (socket), &fd, err);

  if (rc != MCTX_OK)
    return rc;
  rc = mctx_publication_open_with_socket (cfg, fd, pub, err);
  if (rc != MCTX_OK)
    mctx_socket_close (fd);
  return rc;
}

/* Builds the libmctx config from the settings (group set), validates it
 * and opens the publication. A setting libmctx could not parse is named in
 * *bad; NULL for any other failure. */
static int
open_udp (const GstMctxSinkSettings * s, mctx_publication ** pub,
    const gchar ** bad, mctx_error * err)
{
  mctx_publication_config cfg;
  int rc;

  mctx_publication_config_init (&cfg);
  *bad = "group";
  rc = mctx_ip_parse (s->group, &cfg.group, err);
  if (rc != MCTX_OK)
    return rc;
  rc = parse_egress (s, &cfg.source_addr, &cfg.interface, bad, err);
  if (rc != MCTX_OK)
    return rc;

  cfg.dst_port = (uint16_t) s->port;
  if (s->source_port > 0) {
    cfg.has_source_port = true;
    cfg.source_port = (uint16_t) s->source_port;
  }
  cfg.ttl = TTL_FROM_PROPERTY (s->ttl);
  cfg.loopback = s->loop;
  cfg.dscp = s->qos_dscp;
  cfg.send_buffer_size = s->buffer_size;
  cfg.report_local_drops = true;
  cfg.gso = s->gso;
  cfg.pacing_rate_bps = s->pacing_rate;
  cfg.pacing_burst = s->pacing_burst;

  rc = mctx_publication_config_validate (&cfg, err);
  if (rc != MCTX_OK)
    return rc;
  if (s->socket)
    return open_with_caller_socket (&cfg, s->socket, pub, err);
  return mctx_publication_open (&cfg, pub, err);
}

int
gst_mctx_sender_open_udp (const GstMctxSinkSettings * s,
    mctx_publication ** pub, const gchar ** bad, mctx_error * err)
{
  return open_udp (s, pub, bad, err);
}

GstMctxSinkLegs *
gst_mctx_sender_get_legs (GstMctxSender * s)
{
  return s->legs;
}

/* Called with the object lock: pub becomes the publication sent to (the
 * old one's counters are kept in retired). */
static void
take_publication (GstMctxSender * s, mctx_publication * pub)
{
  mctx_endpoint destination;
  mctx_ip source_ip, group_ip;
  uint16_t port;

  if (s->pub) {
    mctx_metrics old;

    mctx_publication_metrics_snapshot (s->pub, &old);
    s->retired.send_calls += old.send_calls;
    s->retired.packets_sent += old.packets_sent;
    s->retired.bytes_sent += old.bytes_sent;
    s->retired.send_errors += old.send_errors;
    s->retired.would_block += old.would_block;
    s->retired.paced_packets += old.paced_packets;
    s->retired.pacing_late_ns_sum += old.pacing_late_ns_sum;
    s->retired.queue_drops += old.queue_drops;
    s->retired.captured_at = old.captured_at;
    s->retired.captured_mono_ns = old.captured_mono_ns;
  }
  s->pub = pub;
  /* unlock() came before this publication: its waits must fail too. */
  if (s->unlocked)
    mctx_publication_interrupt (pub);
  mctx_publication_get_destination (pub, &destination);
  mctx_endpoint_format (&destination, s->destination, sizeof s->destination);
  s->max_datagram = destination.ip.family == MCTX_FAMILY_IPV6 ? UDP6_MAX :
      UDP4_MAX;
  /* The effective source: the one the kernel chose when none was set. */
  if (mctx_publication_get_announce_tuple (pub, &source_ip, &group_ip, &port,
          NULL) == MCTX_OK) {
    mctx_ip_format (&group_ip, s->group_text, sizeof s->group_text);
    mctx_ip_format (&source_ip, s->source_text, sizeof s->source_text);
    s->port = port;
  }
}

/* The sending thread, with no send running: the wait follows pub. */
static void
poll_publication (GstMctxSender * s, mctx_publication * old)
{
  if (old)
    gst_poll_remove_fd (s->poll, &s->pollfd);
  gst_poll_fd_init (&s->pollfd);
  if (s->pub) {
    s->pollfd.fd = mctx_publication_get_fd (s->pub);
    gst_poll_add_fd (s->poll, &s->pollfd);
    gst_poll_fd_ctl_write (s->poll, &s->pollfd, TRUE);
  }
}

static void
log_publication (GstMctxSender * s)
{
  mctx_endpoint local;
  char local_text[MCTX_ENDPOINT_STRLEN] = "unknown";

  if (mctx_publication_get_local (s->pub, &local, NULL) == MCTX_OK)
    mctx_endpoint_format (&local, local_text, sizeof local_text);
  GST_INFO_OBJECT (s->owner, "sending to %s from %s, interface index %u",
      s->destination, local_text,
      mctx_publication_get_interface_index (s->pub));
}

static gboolean
start_raw (GstMctxSender * s, const GstMctxSinkSettings * settings)
{
  mctx_ip source = { 0 };
  mctx_interface iface = { 0 };
  mctx_error err = { 0 };
  const gchar *bad = NULL;
  GstMctxSinkRaw *raw;
  int rc;

  rc = parse_egress (settings, &source, &iface, &bad, &err);
  if (rc != MCTX_OK) {
    gst_mctx_sink_post_parse_error ((GstMctxSink *) s->owner, bad,
        setting_text (settings, bad), rc, &err);
    return FALSE;
  }
  raw = gst_mctx_sink_raw_open (GST_ELEMENT (s->owner), settings, &source,
      &iface, s->destination, sizeof s->destination);
  if (raw == NULL)
    return FALSE;
  GST_OBJECT_LOCK (s->owner);
  s->raw_pub = raw;
  s->max_datagram = RAW_MAX;
  GST_OBJECT_UNLOCK (s->owner);
  return TRUE;
}

/* The destinations' legs: one that cannot open only warns (it is retried)
 * unless none opened and there is no group either. */
static gboolean
start_legs (GstMctxSender * s, const GstMctxSinkSettings * settings)
{
  guint n_legs = 0, opened = gst_mctx_sink_legs_start (s->legs, &n_legs);

  if (n_legs == 0 || opened > 0 || gst_mctx_sink_is_set (settings->group))
    return TRUE;
  GST_ELEMENT_ERROR (s->owner, RESOURCE, OPEN_WRITE,
      ("None of the %u destinations could be opened (see the warnings)",
          n_legs), ("no group set either: nowhere to send"));
  gst_mctx_sink_legs_stop (s->legs);
  return FALSE;
}

/* A raw datagram carries its own addresses: there is no leg to send it
 * to, and ignoring destinations would hide a mistake. */
static gboolean
refuse_raw_with_legs (GstMctxSender * s)
{
  gchar *destinations = gst_mctx_sink_legs_get_destinations (s->legs);
  gboolean set = gst_mctx_sink_is_set (destinations);

  g_free (destinations);
  if (!set)
    return TRUE;
  GST_ELEMENT_ERROR (s->owner, RESOURCE, SETTINGS,
      ("raw=true and destinations cannot be combined: a raw datagram "
          "carries its own addresses; unset destinations or raw"),
      ("raw mode sends each datagram to the destination in its IP header"));
  return FALSE;
}

gboolean
gst_mctx_sender_start (GstMctxSender * s, const GstMctxSinkSettings * settings)
{
  mctx_publication *pub = NULL;
  mctx_error err = { 0 };
  const gchar *bad = NULL;
  int rc;

  GST_OBJECT_LOCK (s->owner);
  memset (&s->retired, 0, sizeof s->retired);
  s->group_text[0] = s->source_text[0] = '\0';
  s->port = 0;
  /* Like the poll's flushing below: an unlock() without its unlock_stop()
   * must not interrupt the new publication's pacing. */
  s->unlocked = FALSE;
  GST_OBJECT_UNLOCK (s->owner);
  g_strlcpy (s->destination, "(no group set)", sizeof s->destination);
  /* A live setting changed since start() copied them stays staged: the
   * first send compares it with current and applies it. */
  gst_mctx_sink_settings_copy (&s->current, settings);
  s->backoff = BACKOFF_MIN;
  memset (s->error_kinds, 0, sizeof s->error_kinds);
  s->enobufs_since_us = s->enobufs_warned_us = 0;
  atomic_store (&s->packets_dropped, 0);
  /* A flush-start without its flush-stop must not leave waits failing. */
  gst_poll_set_flushing (s->poll, FALSE);

  if (settings->raw && !refuse_raw_with_legs (s))
    return FALSE;
  if (settings->raw)
    return start_raw (s, settings);
  gst_mctx_sink_legs_set_pacing (s->legs, settings->pacing_rate,
      settings->pacing_burst);
  if (!start_legs (s, settings))
    return FALSE;
  /* gst-check's harness starts a sink before the test sets it up: the
   * group may come later, while playing (see gst_mctx_sender_send). */
  if (!gst_mctx_sink_is_set (settings->group)) {
    GST_INFO_OBJECT (s->owner, "started without a group: set 'group' before "
        "the first buffer");
    return TRUE;
  }

  rc = open_udp (settings, &pub, &bad, &err);
  if (rc != MCTX_OK)
    goto refused;
  GST_OBJECT_LOCK (s->owner);
  take_publication (s, pub);
  GST_OBJECT_UNLOCK (s->owner);
  poll_publication (s, NULL);
  log_publication (s);
  return TRUE;

refused:
  {
    if (bad)
      gst_mctx_sink_post_parse_error ((GstMctxSink *) s->owner, bad,
          setting_text (settings, bad), rc, &err);
    else
      gst_mctx_sink_post_config_error ((GstMctxSink *) s->owner, settings,
          rc, &err);
    return FALSE;
  }
}

void
gst_mctx_sender_stop (GstMctxSender * s)
{
  mctx_publication *pub;
  GstMctxSinkRaw *raw;
  mctx_metrics last;

  gst_mctx_sender_report_errors (s);

  GST_OBJECT_LOCK (s->owner);
  pub = s->pub;
  raw = s->raw_pub;
  if (raw) {
    gst_mctx_sink_raw_metrics (raw, &last);
    s->retired = last;
  } else if (pub) {
    /* Folds its counters into retired. */
    take_publication (s, pub);
  }
  s->pub = NULL;
  s->raw_pub = NULL;
  GST_OBJECT_UNLOCK (s->owner);

  if (pub) {
    gst_poll_remove_fd (s->poll, &s->pollfd);
    gst_poll_fd_init (&s->pollfd);
  }
  if (pub || raw)
    GST_INFO_OBJECT (s->owner, "stopped sending to %s", s->destination);
  mctx_publication_close (pub);
  gst_mctx_sink_raw_close (raw);
  gst_mctx_sink_legs_stop (s->legs);
  gst_mctx_sink_settings_clear (&s->current);
}

/* Interrupts a pacing wait (libmctx) or a wait for writability (poll). */
void
gst_mctx_sender_unlock (GstMctxSender * s)
{
  GST_OBJECT_LOCK (s->owner);
  s->unlocked = TRUE;
  mctx_publication_interrupt (s->pub);
  GST_OBJECT_UNLOCK (s->owner);
  gst_poll_set_flushing (s->poll, TRUE);
  gst_mctx_sink_legs_unlock (s->legs);
}

void
gst_mctx_sender_unlock_stop (GstMctxSender * s)
{
  GST_OBJECT_LOCK (s->owner);
  s->unlocked = FALSE;
  mctx_publication_clear_interrupt (s->pub);
  GST_OBJECT_UNLOCK (s->owner);
  gst_poll_set_flushing (s->poll, FALSE);
  gst_mctx_sink_legs_unlock_stop (s->legs);
}

void
gst_mctx_sender_set_block (GstMctxSender * s, gboolean block)
{
  g_atomic_int_set (&s->block, block);
}

gboolean
gst_mctx_sender_get_block (GstMctxSender * s)
{
  return g_atomic_int_get (&s->block);
}

void
gst_mctx_sender_count_dropped (GstMctxSender * s, guint64 n)
{
  atomic_fetch_add (&s->packets_dropped, n);
}

void
gst_mctx_sender_snapshot (GstMctxSender * s, GstMctxSenderCounters * out)
{
  mctx_metrics now = { 0 };
  mctx_queue_stats queue = { 0 };

  GST_OBJECT_LOCK (s->owner);
  if (s->pub) {
    mctx_publication_metrics_snapshot (s->pub, &now);
    mctx_publication_queue_stats (s->pub, &queue);
  } else if (s->raw_pub)
    gst_mctx_sink_raw_metrics (s->raw_pub, &now);
  out->counters.send_calls = s->retired.send_calls + now.send_calls;
  out->counters.packets_sent = s->retired.packets_sent + now.packets_sent;
  out->counters.bytes_sent = s->retired.bytes_sent + now.bytes_sent;
  out->counters.send_errors = s->retired.send_errors + now.send_errors;
  out->counters.would_block = s->retired.would_block + now.would_block;
  out->counters.paced_packets = s->retired.paced_packets + now.paced_packets;
  out->counters.pacing_late_ns_sum = s->retired.pacing_late_ns_sum +
      now.pacing_late_ns_sum;
  out->counters.pacing_late_max_ns = now.pacing_late_max_ns;
  out->counters.queue_drops = s->retired.queue_drops + queue.drops;
  g_strlcpy (out->qdisc, queue.qdisc, sizeof out->qdisc);
  g_strlcpy (out->qdisc_interface, queue.interface_name,
      sizeof out->qdisc_interface);
  out->counters.captured_at = MAX (s->retired.captured_at, now.captured_at);
  out->counters.captured_mono_ns = MAX (s->retired.captured_mono_ns,
      now.captured_mono_ns);
  g_strlcpy (out->group, s->group_text, sizeof out->group);
  g_strlcpy (out->source, s->source_text, sizeof out->source);
  out->port = s->port;
  GST_OBJECT_UNLOCK (s->owner);
  out->dropped = atomic_load (&s->packets_dropped);
  out->legs = gst_mctx_sink_legs_snapshot (s->legs, &out->counters,
      &out->dropped);
}

/* ------------------------------------------------------------------------ */
/* Live changes                                                             */
/* ------------------------------------------------------------------------ */

void
gst_mctx_sender_stage (GstMctxSender * s)
{
  g_atomic_int_set (&s->staged, TRUE);
}

/* Appends "name=value" to changes when the live setting differs; says
 * whether it does. */
static gboolean
note_change (GString * changes, const gchar * name, gboolean differs,
    const gchar * format, ...)
G_GNUC_PRINTF (4, 5);

     static gboolean
         note_change (GString * changes, const gchar * name, gboolean differs,
    const gchar * format, ...)
{
  va_list ap;

  if (!differs)
    return FALSE;
  g_string_append_printf (changes, "%s%s=", changes->len ? ", " : "", name);
  va_start (ap, format);
  g_string_append_vprintf (changes, format, ap);
  va_end (ap);
  return TRUE;
}

#define OR_UNSET(str) (gst_mctx_sink_is_set (str) ? (str) : "(not set)")

/* The live settings that differ between was and now, as "name=value, ...";
 * *where: whether one of them needs a new publication. */
static GString *
describe_changes (const GstMctxSinkSettings * was,
    const GstMctxSinkSettings * now, gboolean * where)
{
  GString *c = g_string_new (NULL);
  gboolean w = FALSE;

  w |= note_change (c, "group", g_strcmp0 (was->group, now->group) != 0,
      "%s", OR_UNSET (now->group));
  w |= note_change (c, "port", was->port != now->port, "%d", now->port);
  w |= note_change (c, "source-addr", g_strcmp0 (was->source_addr,
          now->source_addr) != 0, "%s", OR_UNSET (now->source_addr));
  w |= note_change (c, "source-port", was->source_port != now->source_port,
      "%d", now->source_port);
  w |= note_change (c, "interface", g_strcmp0 (was->interface,
          now->interface) != 0, "%s", OR_UNSET (now->interface));
  note_change (c, "ttl", was->ttl != now->ttl, "%d", now->ttl);
  note_change (c, "loop", was->loop != now->loop, "%s",
      now->loop ? "true" : "false");
  note_change (c, "qos-dscp", was->qos_dscp != now->qos_dscp, "%d",
      now->qos_dscp);
  note_change (c, "pacing-rate", was->pacing_rate != now->pacing_rate,
      "%" G_GUINT64_FORMAT, now->pacing_rate);
  note_change (c, "pacing-burst", was->pacing_burst != now->pacing_burst,
      "%u", now->pacing_burst);
  *where = w;
  return c;
}

/* ttl, loop, qos-dscp and pacing on the running publication. */
static int
set_socket_options (GstMctxSender * s, const GstMctxSinkSettings * now,
    mctx_error * err)
{
  const GstMctxSinkSettings *was = &s->current;
  int rc = MCTX_OK;

  if (was->ttl != now->ttl)
    rc = mctx_publication_set_ttl (s->pub, TTL_FROM_PROPERTY (now->ttl), err);
  if (rc == MCTX_OK && was->loop != now->loop)
    rc = mctx_publication_set_loopback (s->pub, now->loop, err);
  if (rc == MCTX_OK && was->qos_dscp != now->qos_dscp)
    rc = mctx_publication_set_dscp (s->pub, now->qos_dscp, err);
  if (rc == MCTX_OK && (was->pacing_rate != now->pacing_rate
          || was->pacing_burst != now->pacing_burst))
    rc = mctx_publication_set_pacing (s->pub, now->pacing_rate,
        now->pacing_burst, err);
  return rc;
}

/* A refused change: the property values go back to those in use (unless
 * newer ones came meanwhile), so that they read what is sent. */
static void
restore_settings (GstMctxSender * s)
{
  GstMctxSinkSettings *live = s->settings;
  const GstMctxSinkSettings *was = &s->current;

  GST_OBJECT_LOCK (s->owner);
  if (!g_atomic_int_get (&s->staged)) {
    g_free (live->group);
    live->group = g_strdup (was->group);
    live->port = was->port;
    g_free (live->source_addr);
    live->source_addr = g_strdup (was->source_addr);
    live->source_port = was->source_port;
    g_free (live->interface);
    live->interface = g_strdup (was->interface);
    live->ttl = was->ttl;
    live->loop = was->loop;
    live->qos_dscp = was->qos_dscp;
    live->pacing_rate = was->pacing_rate;
    live->pacing_burst = was->pacing_burst;
  }
  GST_OBJECT_UNLOCK (s->owner);
}

/* Opens the publication now asks for; the old one goes only once the new
 * one is open. */
static int
replace_publication (GstMctxSender * s, const GstMctxSinkSettings * now,
    gchar ** why)
{
  mctx_publication *pub = NULL, *old = s->pub;
  mctx_error err = { 0 };
  const gchar *bad = NULL;
  int rc;

  if (!gst_mctx_sink_is_set (now->group)) {
    *why = g_strdup ("no group is set");
    return MCTX_E_INVALID_ARGUMENT;
  }
  rc = open_udp (now, &pub, &bad, &err);
  if (rc != MCTX_OK) {
    gchar *value = bad ? gst_mctx_sink_excerpt (setting_text (now, bad)) : NULL;

    *why = bad ? g_strdup_printf ("%s '%s' is not valid: %s", bad, value,
        err.message) : g_strdup (err.message);
    g_free (value);
    return rc;
  }
  /* Errors not yet warned about were the old destination's. */
  gst_mctx_sender_report_errors (s);
  GST_OBJECT_LOCK (s->owner);
  take_publication (s, pub);
  GST_OBJECT_UNLOCK (s->owner);
  poll_publication (s, old);
  mctx_publication_close (old);
  log_publication (s);
  return MCTX_OK;
}

/* The sending thread, before the first datagram of a send. */
static void
apply_staged (GstMctxSender * s)
{
  GstMctxSinkSettings now = { 0 };
  gboolean where = FALSE;
  gchar *why = NULL;
  GString *changes;
  mctx_error err = { 0 };
  int rc = MCTX_OK;

  GST_OBJECT_LOCK (s->owner);
  g_atomic_int_set (&s->staged, FALSE);
  gst_mctx_sink_settings_copy (&now, s->settings);
  GST_OBJECT_UNLOCK (s->owner);

  changes = describe_changes (&s->current, &now, &where);
  if (changes->len == 0)
    goto done;
  if (s->current.pacing_rate != now.pacing_rate
      || s->current.pacing_burst != now.pacing_burst)
    gst_mctx_sink_legs_set_pacing (s->legs, now.pacing_rate, now.pacing_burst);
  GST_DEBUG_OBJECT (s->owner, "applying %s", changes->str);

  if (s->raw_pub) {
    rc = MCTX_E_RAW_UNSUPPORTED;
    why = g_strdup ("raw mode takes its settings when it starts; the new "
        "values apply at the next start");
  } else if (where || s->pub == NULL) {
    rc = replace_publication (s, &now, &why);
  } else {
    rc = set_socket_options (s, &now, &err);
    if (rc != MCTX_OK)
      why = g_strdup (err.message);
  }

  if (rc == MCTX_OK) {
    gst_mctx_sink_settings_copy (&s->current, &now);
  } else if (s->pub == NULL && !gst_mctx_sink_is_set (now.group)) {
    /* Still no group: the buffer says so. */
    gst_mctx_sink_settings_copy (&s->current, &now);
  } else {
    GST_ELEMENT_WARNING (s->owner, RESOURCE, SETTINGS,
        ("Could not change %s while running: %s; the stream goes on "
            "unchanged to %s", changes->str, why, s->destination),
        ("%s", mctx_code_name (rc)));
    restore_settings (s);
  }

done:
  g_free (why);
  g_string_free (changes, TRUE);
  gst_mctx_sink_settings_clear (&now);
}

/* ------------------------------------------------------------------------ */
/* Send errors                                                              */
/* ------------------------------------------------------------------------ */

/* ENODEV or ENETUNREACH with an interface set: most likely it is gone (or
 * down); says whether libmctx follows it when it comes back. */
static void
interface_hint (GstMctxSender * s, int sys_errno, gchar * buf, gsize size)
{
  mctx_interface itf;

  buf[0] = '\0';
  if ((sys_errno != ENODEV && sys_errno != ENETUNREACH) || s->raw_pub
      || s->current.interface == NULL
      || mctx_interface_parse (s->current.interface, &itf, NULL) != MCTX_OK)
    return;
  g_snprintf (buf, size, "; interface %s is gone or down: %s",
      s->current.interface, itf.kind == MCTX_INTERFACE_INDEX ?
      "given as an index, it is not followed when it is created again "
      "(restart the element then)" :
      "given by name or address, it is followed when it comes back");
}

static void
post_error_warning (GstMctxSender * s, ErrorKind * kind)
{
  gchar hint[192];

  /* IP_RECVERR queued each failure on the socket's error queue too: it is
   * emptied here, once per warning (at most once a second per error), not
   * once per datagram; wait_socket() empties it before every wait too. The
   * kernel bounds the queue by the receive buffer in between. */
  if (s->pub)
    mctx_publication_drain_errors (s->pub);
  if (kind->sys_errno == EMSGSIZE)
    GST_ELEMENT_WARNING (s->owner, RESOURCE, WRITE,
        ("%" G_GUINT64_FORMAT " datagram(s) to %s failed: %s: the last was "
            "%" G_GSIZE_FORMAT " bytes, and at most %" G_GSIZE_FORMAT " fit "
            "in one datagram; packetize the stream upstream (a payloader "
            "such as rtpmp2tpay, or an RTP payloader's mtu property)",
            kind->pending, s->destination, g_strerror (EMSGSIZE), kind->size,
            s->max_datagram),
        ("errno %d; the datagrams were dropped and counted in "
            "packets-dropped; at most one warning a second per error",
            kind->sys_errno));
  else {
    interface_hint (s, kind->sys_errno, hint, sizeof hint);
    GST_ELEMENT_WARNING (s->owner, RESOURCE, WRITE,
        ("%" G_GUINT64_FORMAT " datagram(s) to %s failed: %s%s",
            kind->pending, s->destination,
            kind->sys_errno ? g_strerror (kind->sys_errno) :
            kind->message[0] ? kind->message : mctx_strerror (kind->code),
            hint), ("errno %d; the datagrams were dropped and counted in "
            "packets-dropped; at most one warning a second per error",
            kind->sys_errno));
  }
  kind->pending = 0;
}

/* Counts one failed send and warns about it, at most once a second per
 * errno (the warning says how many happened since the previous one). */
static void
note_send_error (GstMctxSender * s, const mctx_error * err, int code,
    const mctx_datagram * datagram)
{
  ErrorKind *kind = NULL, *oldest = &s->error_kinds[0];
  int sys_errno = err->sys_errno;
  gint64 now;

  for (guint i = 0; i < ERROR_KINDS; i++) {
    ErrorKind *k = &s->error_kinds[i];
    /* Without an errno (a raw datagram refused by the checks), the code
     * is the kind. */
    if (k->sys_errno == sys_errno && k->last_warning_us != 0
        && (sys_errno != 0 || k->code == code)) {
      kind = k;
      break;
    }
    if (k->last_warning_us < oldest->last_warning_us)
      oldest = k;
  }
  if (kind == NULL) {
    kind = oldest;
    if (kind->pending > 0)
      post_error_warning (s, kind);
    memset (kind, 0, sizeof *kind);
    kind->sys_errno = sys_errno;
  }

  kind->pending++;
  kind->code = code;
  kind->size = 0;
  for (gsize i = 0; i < datagram->nbufs; i++)
    kind->size += datagram->bufs[i].len;
  g_strlcpy (kind->message, err->message, sizeof kind->message);
  now = g_get_monotonic_time ();
  if (kind->last_warning_us == 0
      || now - kind->last_warning_us >= G_USEC_PER_SEC) {
    post_error_warning (s, kind);
    kind->last_warning_us = now;
  }
}

/* block=true, and the local queue refused a datagram with ENOBUFS: it is
 * sent again later, but a queue that has refused everything for more than a
 * second (a link down, or shaped to a standstill) is worth a warning, at
 * most one a second. Any datagram that goes out ends it (see
 * gst_mctx_sender_send()). */
static void
note_enobufs (GstMctxSender * s)
{
  gint64 now = g_get_monotonic_time ();
  gint64 since = s->enobufs_since_us;

  if (since == 0) {
    s->enobufs_since_us = now;
    return;
  }
  if (now - since <= G_USEC_PER_SEC
      || now - s->enobufs_warned_us < G_USEC_PER_SEC)
    return;
  s->enobufs_warned_us = now;
  GST_ELEMENT_WARNING (s->owner, RESOURCE, WRITE,
      ("The local queue to %s has refused every datagram for %.1f s (%s); "
          "still resending (block=true)", s->destination,
          (now - since) / (gdouble) G_USEC_PER_SEC, g_strerror (ENOBUFS)),
      ("ENOBUFS from the qdisc of the outgoing interface: a link that is "
          "down or shaped to a standstill, or a queue limit below one "
          "datagram; block=false would drop and count instead"));
}

void
gst_mctx_sender_report_errors (GstMctxSender * s)
{
  for (guint i = 0; i < ERROR_KINDS; i++) {
    if (s->error_kinds[i].pending > 0)
      post_error_warning (s, &s->error_kinds[i]);
  }
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum
{
  WAIT_DONE,                    /* writable, or the backoff passed */
  WAIT_INTERRUPTED,             /* unlock(): a state change or a flush */
  WAIT_FAILED,
} WaitResult;

/* Waits until the socket is writable (backoff NONE) or the backoff time has
 * passed, whichever is asked; unlock() interrupts either at once. The error
 * queue is drained first: a pending error makes poll() return at once. */
static WaitResult
wait_socket (GstMctxSender * s, GstClockTime backoff)
{
  gboolean for_write = !GST_CLOCK_TIME_IS_VALID (backoff);
  gint res;

  if (s->pub) {
    mctx_publication_drain_errors (s->pub);
    gst_poll_fd_ctl_write (s->poll, &s->pollfd, for_write);
  }
  do {
    res = gst_poll_wait (s->poll, backoff);
  } while (res < 0 && (errno == EINTR || errno == EAGAIN));

  if (res >= 0)
    return WAIT_DONE;
  if (errno == EBUSY)
    return WAIT_INTERRUPTED;
  GST_ERROR_OBJECT (s->owner, "waiting on the socket failed: %s",
      g_strerror (errno));
  return WAIT_FAILED;
}

/* block=true, WAIT mode: the local queue refused a datagram (ENOBUFS), or
 * a raw socket is full (raw sockets have no descriptor to wait on). Waits
 * the backoff, 1 ms doubling up to 20 ms, which unlock() interrupts; the
 * caller then sends again. Any datagram that goes out resets it. */
static WaitResult
back_off (GstMctxSender * s, int rc)
{
  WaitResult waited;

  GST_LOG_OBJECT (s->owner, "%s, retrying in %" GST_TIME_FORMAT,
      rc == MCTX_E_WOULD_BLOCK ? "raw socket full" :
      "local queue full (ENOBUFS)", GST_TIME_ARGS (s->backoff));
  if (rc == MCTX_E_QUEUE_FULL)
    note_enobufs (s);
  waited = wait_socket (s, s->backoff);
  s->backoff = MIN (s->backoff * 2, BACKOFF_MAX);
  return waited;
}

/* One try from datagrams[0]: *sent of count went out. */
static inline int
send_some (GstMctxSender * s, const mctx_datagram * datagrams, gsize count,
    size_t *sent, mctx_error * err)
{
  int rc;

  if (s->raw_pub) {
    return gst_mctx_sink_raw_send (s->raw_pub, datagrams, count, sent, err);
  } else if (count == 1) {
    rc = mctx_publication_sendv (s->pub, datagrams->bufs, datagrams->nbufs,
        NULL, err);
  } else {
    return mctx_publication_send_batch (s->pub, datagrams, count, sent, err);
  }
  *sent = rc == MCTX_OK ? 1 : 0;
  return rc;
}

/* The rest of a send once a try did not send everything: next datagrams
 * are out, rc and err say why the try stopped (MCTX_OK when a raw
 * publication sent a run of one IP version of several). */
static GstFlowReturn
send_rest (GstMctxSender * s, const mctx_datagram * datagrams, gsize count,
    GstMctxSenderMode mode, gsize * done, gsize next, int rc, mctx_error * err)
{
  gboolean block = g_atomic_int_get (&s->block);
  GstFlowReturn ret = GST_FLOW_OK;

  for (;;) {
    WaitResult waited = WAIT_DONE;
    size_t sent = 0;

    if (rc == MCTX_OK) {
      /* nothing to handle */
    } else if (rc == MCTX_E_INTERRUPTED && mode == GST_MCTX_SENDER_WAIT) {
      /* unlock() during a pacing wait: as for any wait. */
      waited = WAIT_INTERRUPTED;
    } else if (rc == MCTX_E_INTERRUPTED && mode == GST_MCTX_SENDER_NO_WAIT) {
      GST_LOG_OBJECT (s->owner, "pacing wait interrupted, %" G_GSIZE_FORMAT
          " datagram(s) left for later", count - next);
      break;
    } else if (rc == MCTX_E_INTERRUPTED) {
      GST_DEBUG_OBJECT (s->owner, "pacing wait interrupted at stop, "
          "dropping %" G_GSIZE_FORMAT " datagram(s)", count - next);
      atomic_fetch_add (&s->packets_dropped, count - next);
      next = count;
    } else if (block && mode == GST_MCTX_SENDER_NO_WAIT
        && mctx_error_is_transient (rc)) {
      GST_LOG_OBJECT (s->owner, "socket full, %" G_GSIZE_FORMAT
          " datagram(s) left for later", count - next);
      if (rc == MCTX_E_QUEUE_FULL)
        note_enobufs (s);
      break;
    } else if (rc == MCTX_E_WOULD_BLOCK && block && s->pub
        && mode == GST_MCTX_SENDER_WAIT) {
      GST_LOG_OBJECT (s->owner, "socket full, waiting until writable");
      waited = wait_socket (s, GST_CLOCK_TIME_NONE);
    } else if (block && mode == GST_MCTX_SENDER_WAIT
        && mctx_error_is_transient (rc)) {
      waited = back_off (s, rc);
    } else if (rc == MCTX_E_WOULD_BLOCK) {
      GST_LOG_OBJECT (s->owner, "socket full, dropping a datagram");
      atomic_fetch_add (&s->packets_dropped, 1);
      next++;
    } else {
      GST_DEBUG_OBJECT (s->owner, "send failed: %s", err->message);
      atomic_fetch_add (&s->packets_dropped, 1);
      note_send_error (s, err, rc, &datagrams[next]);
      next++;
    }

    if (waited == WAIT_INTERRUPTED) {
      GST_DEBUG_OBJECT (s->owner, "wait interrupted, waiting for preroll");
      ret = gst_base_sink_wait_preroll (s->owner);
      if (ret != GST_FLOW_OK)
        break;
    } else if (waited == WAIT_FAILED) {
      GST_ELEMENT_ERROR (s->owner, RESOURCE, WRITE,
          ("Could not wait until the socket to %s can send",
              s->destination), ("%s", g_strerror (errno)));
      ret = GST_FLOW_ERROR;
      break;
    }

    if (next >= count)
      break;
    rc = send_some (s, &datagrams[next], count - next, &sent, err);
    next += sent;
    if (sent > 0) {
      s->backoff = BACKOFF_MIN;
      s->enobufs_since_us = 0;
    }
  }

  /* Given up on: counted, so that sent + dropped stays what was rendered. */
  if (ret != GST_FLOW_OK) {
    atomic_fetch_add (&s->packets_dropped, count - next);
    next = count;
  }
  *done = next;
  return ret;
}

/* With destinations: the group's publication (when set) is one more leg,
 * first (it leads the pacing), under the legs' rules: one pass, each leg
 * waiting at most leg-timeout in all. Fewer than count come back only when
 * a pacing wait was interrupted (unlock): WAIT mode then waits for the
 * preroll and goes on, NO_WAIT leaves the rest in the batch, and LAST (or
 * a flush) drops it for every leg. */
static GstFlowReturn
send_legs (GstMctxSender * s, const mctx_datagram * datagrams, gsize count,
    GstMctxSenderMode mode, gsize * done)
{
  gboolean may_wait = mode != GST_MCTX_SENDER_LAST
      && g_atomic_int_get (&s->block);
  GstFlowReturn ret = GST_FLOW_OK;
  gsize next = 0;

  for (;;) {
    next += gst_mctx_sink_legs_send (s->legs, s->pub, s->destination,
        &datagrams[next], count - next, may_wait);
    if (next >= count || mode == GST_MCTX_SENDER_NO_WAIT)
      break;
    if (mode == GST_MCTX_SENDER_WAIT) {
      GST_DEBUG_OBJECT (s->owner, "pacing wait interrupted, waiting for "
          "preroll");
      ret = gst_base_sink_wait_preroll (s->owner);
      if (ret == GST_FLOW_OK)
        continue;
    }
    gst_mctx_sink_legs_drop (s->legs, s->pub != NULL, count - next);
    next = count;
    break;
  }
  *done = next;
  return ret;
}

/* The first try is all that most calls make; everything else, waits and
 * errors, is in send_rest(). A datagram that waited across a pause is sent
 * when the pipeline plays again (WAIT mode). */
GstFlowReturn
gst_mctx_sender_send (GstMctxSender * s, GstMctxSenderBatch * b,
    GstMctxSenderMode mode)
{
  const mctx_datagram *datagrams = &b->datagrams[b->first];
  gsize count = b->n - b->first, done = 0;
  /* libmctx fills it in whenever a call fails; it is read only then. */
  mctx_error err;
  size_t sent = 0;
  GstFlowReturn ret;
  int rc;

  if (G_UNLIKELY (count == 0))
    return GST_FLOW_OK;
  if (G_UNLIKELY (g_atomic_int_get (&s->staged)))
    apply_staged (s);
  if (G_UNLIKELY (s->pub == NULL && s->raw_pub == NULL
          && !gst_mctx_sink_legs_any (s->legs)))
    goto no_group;
  /* The last send at stop does not wait for pacing: what is due goes out,
   * the rest is dropped and counted. */
  if (G_UNLIKELY (mode == GST_MCTX_SENDER_LAST)) {
    mctx_publication_interrupt (s->pub);
    gst_mctx_sink_legs_unlock (s->legs);
  }
  if (s->raw_pub == NULL && gst_mctx_sink_legs_in_use (s->legs)) {
    ret = send_legs (s, datagrams, count, mode, &done);
    b->first += done;
    return ret;
  }

  rc = send_some (s, datagrams, count, &sent, &err);
  if (G_LIKELY (rc == MCTX_OK && sent == count)) {
    s->backoff = BACKOFF_MIN;
    s->enobufs_since_us = 0;
    b->first += count;
    return GST_FLOW_OK;
  }
  if (sent > 0) {
    s->backoff = BACKOFF_MIN;
    s->enobufs_since_us = 0;
  }
  ret = send_rest (s, datagrams, count, mode, &done, sent, rc, &err);
  b->first += done;
  return ret;

no_group:
  {
    atomic_fetch_add (&s->packets_dropped, count);
    b->first = b->n;
    GST_ELEMENT_ERROR (s->owner, RESOURCE, SETTINGS,
        ("No group set: set the 'group' property to an IPv4 or IPv6 "
            "multicast address"), ("a buffer arrived with nowhere to go; "
            "it was dropped and counted in packets-dropped"));
    return GST_FLOW_ERROR;
  }
}

GstFlowReturn
gst_mctx_sender_render (GstMctxSender * s, GstBuffer * buffer,
    GstBufferList * list)
{
  GstMctxSenderBatch *b = &s->scratch;
  guint count = list ? gst_buffer_list_length (list) : 1;
  GstFlowReturn ret;
  guint i;

  /* One memory per buffer is the usual case; more grow the arrays once. */
  if (G_UNLIKELY (count > b->datagrams_alloc || count > b->maps_alloc))
    gst_mctx_sender_batch_reserve (b, count, count);
  for (i = 0; i < count; i++) {
    if (G_UNLIKELY (!batch_add (b,
                list ? gst_buffer_list_get (list, i) : buffer)))
      goto map_failed;
  }
  ret = gst_mctx_sender_send (s, b, GST_MCTX_SENDER_WAIT);
  gst_mctx_sender_batch_release (b);
  return ret;

map_failed:
  {
    gst_mctx_sender_batch_release (b);
    atomic_fetch_add (&s->packets_dropped, count);
    GST_ELEMENT_ERROR (s->owner, RESOURCE, READ, ("Could not read a buffer"),
        ("mapping buffer %u of %u failed", i, count));
    return GST_FLOW_ERROR;
  }
}
