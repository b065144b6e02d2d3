/* SPDX-License-Identifier: BSD-2-Clause */
#include "mctxsink-test.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int
mst_count_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *e;
  int n = 0;

  fail_unless (dir != NULL, "cannot list /proc/self/fd");
  while ((e = readdir (dir)) != NULL) {
    if (e->d_name[0] != '.')
      n++;
  }
  closedir (dir);
  return n - 1;                 /* the directory's own descriptor */
}

int
mst_udp4_receiver (const char *group, uint16_t port, const char *ifname)
{
  int rcvbuf = 4 << 20;
  uint32_t ifindex = testnet_ifindex (ifname);
  int fd;

  fail_unless (ifindex > 0, "no interface %s", ifname);
  fd = mcast_recv_socket (NULL, AF_INET, group, port);
  /* Root may exceed rmem_max; others get what they get. */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf))
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  mcast_join_v4 (fd, group, ifindex);
  return fd;
}

struct MstCollector
{
  int fd;
  GThread *thread;
  GMutex lock;
  GCond cond;
  GPtrArray *datagrams;
  gboolean stop;
};

static gpointer
collect (gpointer data)
{
  MstCollector *c = data;
  /* One per collector: two collectors run at once in the live tests. */
  guint8 *buf = g_malloc (65536);

  for (;;) {
    ssize_t n;

    g_mutex_lock (&c->lock);
    if (c->stop) {
      g_mutex_unlock (&c->lock);
      break;
    }
    g_mutex_unlock (&c->lock);

    n = mcast_recv_within (c->fd, buf, 65536, 0, NULL, 0, NULL, 50);
    if (n < 0)
      continue;
    g_mutex_lock (&c->lock);
    g_ptr_array_add (c->datagrams, g_bytes_new (buf, n));
    g_cond_broadcast (&c->cond);
    g_mutex_unlock (&c->lock);
  }
  g_free (buf);
  return NULL;
}

MstCollector *
mst_collector_start (int fd)
{
  MstCollector *c = g_new0 (MstCollector, 1);

  c->fd = fd;
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  c->thread = g_thread_new ("collector", collect, c);
  return c;
}

guint
mst_collector_count (MstCollector * c)
{
  guint n;

  g_mutex_lock (&c->lock);
  n = c->datagrams->len;
  g_mutex_unlock (&c->lock);
  return n;
}

GPtrArray *
mst_collector_finish (MstCollector * c, guint count, int timeout_ms)
{
  GPtrArray *result;

  g_mutex_lock (&c->lock);
  while (c->datagrams->len < count) {
    gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
    guint before = c->datagrams->len;

    /* Bounded: gives up after timeout_ms without a new datagram. */
    while (c->datagrams->len == before)
      if (!g_cond_wait_until (&c->cond, &c->lock, deadline))
        break;
    if (c->datagrams->len == before)
      break;
  }
  c->stop = TRUE;
  g_mutex_unlock (&c->lock);
  /* A little longer, to see duplicates or extras. */
  g_usleep (100 * 1000);
  g_thread_join (c->thread);

  result = c->datagrams;
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
  return result;
}

void
mst_set_props (GstElement * e, const char *props)
{
  gchar **items = g_strsplit (props, " ", -1);

  for (guint i = 0; items[i]; i++) {
    gchar *eq = strchr (items[i], '=');
    if (items[i][0] == '\0')
      continue;
    fail_unless (eq != NULL, "bad property setting '%s'", items[i]);
    *eq = '\0';
    fail_unless (g_object_class_find_property (G_OBJECT_GET_CLASS (e),
            items[i]) != NULL, "no property %s", items[i]);
    gst_util_set_object_arg (G_OBJECT (e), items[i], eq + 1);
  }
  g_strfreev (items);
}

/* Pipelines started and not yet freed. A failed assertion (CK_FORK=no)
 * leaves the test's pipeline running; at exit gst-check's gst_deinit() then
 * waits for its streaming thread, which may wait for ever (a sink resending
 * with block=true, appsrc waiting for data), and the test hangs until
 * meson's timeout instead of reporting the failure. */
static GList *live_pipelines;

/* Some tests unref the pipeline themselves rather than mst_sender_free. */
static void
forget_pipeline (G_GNUC_UNUSED gpointer data, GObject * where_the_pipeline_was)
{
  live_pipelines = g_list_remove (live_pipelines, where_the_pipeline_was);
}

static void
stop_live_pipelines (void)
{
  while (live_pipelines) {
    GObject *pipeline = live_pipelines->data;

    live_pipelines = g_list_delete_link (live_pipelines, live_pipelines);
    g_object_weak_unref (pipeline, forget_pipeline, NULL);
    gst_element_set_state (GST_ELEMENT (pipeline), GST_STATE_NULL);
  }
}

void
mst_sender_start (MstSender * s, const char *sink_props)
{
  static gboolean stopper_registered;
  GstStateChangeReturn ret;

  /* Registered after gst_check_init()'s handler, so it runs before it. */
  if (!stopper_registered) {
    atexit (stop_live_pipelines);
    stopper_registered = TRUE;
  }

  s->pipeline = gst_pipeline_new (NULL);
  live_pipelines = g_list_prepend (live_pipelines, s->pipeline);
  g_object_weak_ref (G_OBJECT (s->pipeline), forget_pipeline, NULL);
  s->src = gst_element_factory_make ("appsrc", NULL);
  s->sink = gst_element_factory_make ("mctxsink", NULL);
  fail_unless (s->src && s->sink);
  g_object_set (s->sink, "sync", FALSE, NULL);
  mst_set_props (s->sink, sink_props);
  gst_bin_add_many (GST_BIN (s->pipeline), s->src, s->sink, NULL);
  fail_unless (gst_element_link (s->src, s->sink));
  ret = gst_element_set_state (s->pipeline, GST_STATE_PLAYING);
  fail_unless (ret != GST_STATE_CHANGE_FAILURE, "sender did not start (%s)",
      sink_props);
}

void
mst_sender_push (MstSender * s, GstBuffer * buffer)
{
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (s->src),
          buffer), GST_FLOW_OK);
}

void
mst_sender_push_list (MstSender * s, GstBufferList * list)
{
  fail_unless_equals_int (gst_app_src_push_buffer_list (GST_APP_SRC (s->src),
          list), GST_FLOW_OK);
}

void
mst_sender_finish (MstSender * s)
{
  GstBus *bus = gst_element_get_bus (s->pipeline);
  GstMessage *msg;

  fail_unless_equals_int (gst_app_src_end_of_stream (GST_APP_SRC (s->src)),
      GST_FLOW_OK);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS within 30 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    fail ("sender error: %s", err->message);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
}

void
mst_sender_free (MstSender * s)
{
  gst_element_set_state (s->pipeline, GST_STATE_NULL);
  gst_object_unref (s->pipeline);
  memset (s, 0, sizeof *s);
}

guint64
mst_stat (GstElement * sink, const char *field)
{
  GstStructure *stats = NULL;
  guint64 v = 0;

  g_object_get (sink, "send-stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_get_uint64 (stats, field, &v), "no stat %s",
      field);
  gst_structure_free (stats);
  return v;
}

gchar *
mst_start_error (const char *props)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  GstBus *bus = gst_bus_new ();
  GstStateChangeReturn ret;
  GstMessage *msg;
  gchar *text = NULL;

  fail_unless (sink != NULL, "mctxsink not found (GST_PLUGIN_PATH?)");
  gst_element_set_bus (sink, bus);
  mst_set_props (sink, props);
  ret = gst_element_set_state (sink, GST_STATE_PAUSED);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    GError *err = NULL;

    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "start failed without an error message (%s)",
        props);
    gst_message_parse_error (msg, &err, NULL);
    text = g_strdup (err->message);
    g_error_free (err);
    gst_message_unref (msg);
  }
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  return text;
}

GstBuffer *
mst_buffer_of_strings (const char *first, ...)
{
  GstBuffer *buffer = gst_buffer_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
  {
    gsize len = strlen (s);
    gpointer data = g_malloc (len + 1);

    memcpy (data, s, len);
    gst_buffer_append_memory (buffer,
        gst_memory_new_wrapped (0, data, len, 0, len, data, g_free));
  }
  va_end (ap);
  return buffer;
}

int
mst_main_private_netns (int *argc, char ***argv, Suite * (*make_suite) (void),
    const char *name, const char *file)
{
  if (geteuid () == 0)
    testnet_private_netns_or_skip ();
  gst_check_init (argc, argv);
  return gst_check_run_suite (make_suite (), name, file);
}

double
mst_now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

const char *
mst_veth_link_or_skip (const char *name, const char *tx_if,
    const char *source6, const char *rx_if, const char *receiver6)
{
  const char *peer;

  testnet_private_netns_or_skip ();
  if (system ("command -v tc >/dev/null 2>&1") != 0)
    testnet_skip ("the `tc` command (iproute2) is not installed");

  peer = testnet_peer_create (name);
  testnet_veth (tx_if, peer, rx_if);
  testnet_sh_ok ("ip addr add %s/64 dev %s nodad", source6, tx_if);
  testnet_sh_ok ("ip -n %s addr add %s/64 dev %s nodad", peer, receiver6,
      rx_if);
  return peer;
}

int
mst_ssm_receiver (const char *ns, const char *rx_if, const char *group,
    const char *source, uint16_t port)
{
  uint32_t ifindex = testnet_ifindex_in (ns, rx_if);
  int rcvbuf = 4 << 20;
  int fd;

  fail_unless (ifindex > 0);
  fd = mcast_receiver (ns, group, port, ifindex, NULL, source);
  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  return fd;
}

GstBuffer *
mst_numbered_buffer (int i, gsize size)
{
  guint8 *data = g_malloc (size);

  memset (data, 'a' + i % 26, size);
  g_snprintf ((gchar *) data, size, "%06d", i);
  return gst_buffer_new_wrapped (data, size);
}

void
mst_check_numbered (GPtrArray * got, int count, gsize size)
{
  mst_check_numbered_from (got, 0, count, size);
}

void
mst_check_numbered_from (GPtrArray * got, int first, int count, gsize size)
{
  fail_unless_equals_int (got->len, count);
  for (int i = 0; i < count; i++) {
    gsize len;
    const char *data = g_bytes_get_data (g_ptr_array_index (got, i), &len);
    char head[8];

    g_snprintf (head, sizeof head, "%06d", first + i);
    fail_unless_equals_int (len, size);
    fail_unless (memcmp (data, head, 6) == 0, "datagram %d is %.6s, not %s",
        i, data, head);
  }
}
