/* mctxsink while playing: gst-check's harness idiom (a sink set up after it
 * started), live changes of where the datagrams go, refused values, the
 * ranges the element refuses at start, and stats next to send-stats.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * As root the test runs in a private network namespace; otherwise in the
 * current one, where it only ever sends through lo. The harness pushes from
 * the test's thread, so a change set between two pushes takes effect
 * exactly between them.
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <gst/check/gstharness.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GROUP_A "239.255.41.1"
#define GROUP_B "239.255.41.2"
#define SIZE 200

/* A receiver bound to the group's address, so that it gets that group's
 * datagrams only, even beside another receiver on the same port. */
static int
group_receiver (const char *group, uint16_t port)
{
  int rcvbuf = 4 << 20;
  int fd = mcast_recv_socket (NULL, AF_INET, group, port);

  /* A burst of 200 outruns the default buffer; without CAP_NET_ADMIN (the
   * package build's tests) rmem_max bounds the unforced size instead. */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  mcast_join_v4 (fd, group, testnet_ifindex ("lo"));
  return fd;
}

/* The test's own bus on the harness's element, to read its messages. */
static GstBus *
watch (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

/* The text of the next message of this type on bus (g_free), or NULL. */
static gchar *
pop_text (GstBus * bus, GstMessageType type)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, type);
  GError *err = NULL;
  gchar *text;

  if (msg == NULL)
    return NULL;
  if (type == GST_MESSAGE_WARNING)
    gst_message_parse_warning (msg, &err, NULL);
  else
    gst_message_parse_error (msg, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

/* The harness idiom, sending to group:port on lo. */
static GstHarness *
harness_to (const char *group, guint port)
{
  GstHarness *h = gst_harness_new ("mctxsink");

  g_object_set (h->element, "group", group, "port", port, "interface", "lo",
      NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  return h;
}

static void
unwatch (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
}

static void
push_numbered (GstHarness * h, int first, int count)
{
  for (int i = first; i < first + count; i++)
    fail_unless_equals_int (gst_harness_push (h, mst_numbered_buffer (i,
                SIZE)), GST_FLOW_OK);
}

/* gst-check's idiom: the harness starts the sink before the test sets it
 * up. */
GST_START_TEST (test_harness_idiom)
{
  int fd = group_receiver (GROUP_A, 5401);
  MstCollector *c = mst_collector_start (fd);
  GstHarness *h;
  GPtrArray *got;

  h = gst_harness_new ("mctxsink");
  g_object_set (h->element, "group", GROUP_A, "port", 5401, "interface", "lo",
      NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  push_numbered (h, 0, 3);

  got = mst_collector_finish (c, 3, 2000);
  mst_check_numbered (got, 3, SIZE);
  fail_unless_equals_uint64 (mst_stat (h->element, "packets-sent"), 3);
  g_ptr_array_unref (got);
  gst_harness_teardown (h);
  close (fd);
}

GST_END_TEST;

/* A buffer with no group set is an error that names the property. */
GST_START_TEST (test_buffer_without_group)
{
  GstHarness *h = gst_harness_new ("mctxsink");
  GstBus *bus = watch (h);
  gchar *text;

  gst_harness_set_src_caps_str (h, "application/x-test");
  fail_unless_equals_int (gst_harness_push (h, mst_numbered_buffer (0, SIZE)),
      GST_FLOW_ERROR);
  text = pop_text (bus, GST_MESSAGE_ERROR);
  fail_unless_equals_string (text, "No group set: set the 'group' property "
      "to an IPv4 or IPv6 multicast address");
  g_free (text);
  fail_unless_equals_uint64 (mst_stat (h->element, "packets-dropped"), 1);
  fail_unless_equals_uint64 (mst_stat (h->element, "packets-sent"), 0);
  unwatch (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A receiver on each group, on one port. */
typedef struct
{
  int fd_a, fd_b;
  MstCollector *a, *b;
} TwoGroups;

static void
two_groups_open (TwoGroups * g, uint16_t port)
{
  g->fd_a = group_receiver (GROUP_A, port);
  g->fd_b = group_receiver (GROUP_B, port);
  g->a = mst_collector_start (g->fd_a);
  g->b = mst_collector_start (g->fd_b);
}

/* Group A got datagrams 0..on_a-1, group B the on_b after them, each in
 * order and nothing else. */
static void
two_groups_check (TwoGroups * g, int on_a, int on_b)
{
  GPtrArray *got = mst_collector_finish (g->a, on_a, 2000);

  mst_check_numbered (got, on_a, SIZE);
  g_ptr_array_unref (got);
  got = mst_collector_finish (g->b, on_b, 2000);
  mst_check_numbered_from (got, on_a, on_b, SIZE);
  g_ptr_array_unref (got);
  close (g->fd_a);
  close (g->fd_b);
}

/* A channel change: 200 datagrams to one group, then a buffer list and 100
 * single buffers to the other; each datagram reaches exactly one group, in
 * order, and the counters run on across the change. */
GST_START_TEST (test_live_group_change)
{
  GstBufferList *list = gst_buffer_list_new ();
  GstStructure *stats = NULL;
  GstHarness *h;
  TwoGroups g;

  two_groups_open (&g, 5402);
  h = harness_to (GROUP_A, 5402);
  push_numbered (h, 0, 200);

  g_object_set (h->element, "group", GROUP_B, NULL);
  for (int i = 200; i < 300; i++)
    gst_buffer_list_add (list, mst_numbered_buffer (i, SIZE));
  fail_unless_equals_int (gst_pad_push_list (h->srcpad, list), GST_FLOW_OK);
  push_numbered (h, 300, 100);
  two_groups_check (&g, 200, 200);

  fail_unless_equals_uint64 (mst_stat (h->element, "packets-sent"), 400);
  fail_unless_equals_uint64 (mst_stat (h->element, "bytes-sent"), 400 * SIZE);
  fail_unless_equals_uint64 (mst_stat (h->element, "packets-dropped"), 0);
  g_object_get (h->element, "send-stats", &stats, NULL);
  fail_unless_equals_string (gst_structure_get_string (stats, "group"),
      GROUP_B);
  gst_structure_free (stats);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Gathering: a gathered batch goes whole to the destination in force when
 * it is sent. */
GST_START_TEST (test_live_group_change_gathered)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  GstHarness *h;
  TwoGroups g;

  two_groups_open (&g, 5406);
  /* A batch leaves when full (4), never by the latency budget here. */
  g_object_set (sink, "gather", 4, "gather-latency", GST_SECOND, "group",
      GROUP_A, "port", 5406, "interface", "lo", NULL);
  h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  push_numbered (h, 0, 8);
  g_object_set (h->element, "group", GROUP_B, NULL);
  push_numbered (h, 8, 8);
  two_groups_check (&g, 8, 8);
  fail_unless_equals_uint64 (mst_stat (h->element, "packets-sent"), 16);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A value refused while playing: a warning naming the property and value,
 * and the stream goes on where it went, the property reading what is in
 * use. */
GST_START_TEST (test_refused_live_value)
{
  int fd = group_receiver (GROUP_A, 5403);
  MstCollector *c = mst_collector_start (fd);
  GstHarness *h;
  GstBus *bus;
  GPtrArray *got;
  gchar *text, *group;
  gint port;

  h = harness_to (GROUP_A, 5403);
  bus = watch (h);
  push_numbered (h, 0, 10);

  /* Not multicast: libmctx refuses it as the next buffer comes. */
  g_object_set (h->element, "group", "10.1.2.3", NULL);
  push_numbered (h, 10, 10);
  text = pop_text (bus, GST_MESSAGE_WARNING);
  fail_unless (text != NULL, "no warning");
  GST_INFO ("%s", text);
  fail_unless (strstr (text, "group=10.1.2.3") != NULL, "%s", text);
  fail_unless (strstr (text, "the stream goes on unchanged") != NULL, "%s",
      text);
  g_free (text);
  g_object_get (h->element, "group", &group, NULL);
  fail_unless_equals_string (group, GROUP_A);
  g_free (group);

  /* Out of range: refused as it is set. */
  g_object_set (h->element, "port", 70000, NULL);
  text = pop_text (bus, GST_MESSAGE_WARNING);
  fail_unless_equals_string (text, "Could not change port while running: "
      "port 70000 is out of range: valid values are 1..65535; the stream "
      "goes on unchanged");
  g_free (text);
  g_object_get (h->element, "port", &port, NULL);
  fail_unless_equals_int (port, 5403);
  push_numbered (h, 20, 10);

  got = mst_collector_finish (c, 30, 2000);
  mst_check_numbered (got, 30, SIZE);
  g_ptr_array_unref (got);
  fail_if (gst_bus_have_pending (bus) && (text = pop_text (bus,
              GST_MESSAGE_ERROR)) != NULL, "error: %s", text);
  unwatch (h, bus);
  gst_harness_teardown (h);
  close (fd);
}

GST_END_TEST;

/* Each value out of its range fails the start with an error naming
 * property, value and range, and nothing reaches the default port. */
GST_START_TEST (test_out_of_range_refused_at_start)
{
  static const struct
  {
    const char *setting;
    const char *text;
  } cases[] = {
    {"port=70000", "port 70000 is out of range: valid values are 1..65535"},
    {"port=0", "port 0 is out of range: valid values are 1..65535"},
    {"port=-1", "port -1 is out of range: valid values are 1..65535"},
    {"source-port=70000", "source-port 70000 is out of range: valid values "
          "are 0..65535 (0: the kernel picks one)"},
    {"ttl=300", "ttl 300 is out of range: valid values are -1..255 (-1: "
          "left as it is)"},
    {"ttl=-2", "ttl -2 is out of range: valid values are -1..255 (-1: left "
          "as it is)"},
    {"qos-dscp=64", "qos-dscp 64 is out of range: valid values are -1..63 "
          "(-1: left as it is)"},
    {"buffer-size=-1", "buffer-size -1 is out of range: valid values are "
          "0..2147483647 (0: the system's default)"},
    {"metrics-interval=1", "metrics-interval 1 is out of range: valid values "
          "are 0 (only the final message) or 10000000 (10 ms) and more"},
  };
  int fd = group_receiver (GROUP_A, 5004);
  char buf[64];

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *launch = g_strdup_printf ("fakesrc num-buffers=5 sizetype=fixed "
        "sizemax=32 ! mctxsink group=" GROUP_A " interface=lo sync=false %s",
        cases[i].setting);
    GError *err = NULL;
    GstElement *pipeline = gst_parse_launch (launch, &err);
    GstBus *bus = gst_element_get_bus (pipeline);
    gchar *text;

    fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE, "'%s' started", cases[i].setting);
    text = pop_text (bus, GST_MESSAGE_ERROR);
    fail_unless_equals_string (text, cases[i].text);
    g_free (text);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (pipeline);
    g_free (launch);
  }
  fail_unless (mcast_recv_within (fd, buf, sizeof buf, 0, NULL, 0, NULL,
          200) < 0, "a datagram went to the default port");
  close (fd);
}

GST_END_TEST;

/* stats is GstBaseSink's structure; ours is send-stats. */
GST_START_TEST (test_stats_and_send_stats)
{
  GstHarness *h = harness_to (GROUP_A, 5404);
  GstStructure *stats = NULL;
  guint64 rendered = 0, sent = 0;

  push_numbered (h, 0, 3);

  g_object_get (h->element, "stats", &stats, NULL);
  fail_unless_equals_string (gst_structure_get_name (stats),
      "application/x-gst-base-sink-stats");
  fail_unless (gst_structure_get_uint64 (stats, "rendered", &rendered));
  fail_unless_equals_uint64 (rendered, 3);
  gst_structure_free (stats);

  g_object_get (h->element, "send-stats", &stats, NULL);
  fail_unless_equals_string (gst_structure_get_name (stats), "mctx-stats");
  fail_unless (gst_structure_get_uint64 (stats, "packets-sent", &sent));
  fail_unless_equals_uint64 (sent, 3);
  gst_structure_free (stats);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A buffer larger than a datagram: the warning names its size and the
 * limit, and says what to do. */
GST_START_TEST (test_message_too_long_says_what_to_do)
{
  GstHarness *h = harness_to (GROUP_A, 5405);
  GstBus *bus = watch (h);
  gchar *text;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              70000, NULL)), GST_FLOW_OK);
  text = pop_text (bus, GST_MESSAGE_WARNING);
  fail_unless_equals_string (text, "1 datagram(s) to " GROUP_A ":5405 "
      "failed: Message too long: the last was 70000 bytes, and at most 65507 "
      "fit in one datagram; packetize the stream upstream (a payloader such "
      "as rtpmp2tpay, or an RTP payloader's mtu property)");
  g_free (text);
  fail_unless_equals_uint64 (mst_stat (h->element, "packets-dropped"), 1);
  unwatch (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Mutability is data: every writable property of mctxsink's own says when
 * it may change, which gst-inspect-1.0 shows. */
GST_START_TEST (test_every_property_says_when_it_may_change)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  guint n;
  GParamSpec **pspecs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (sink), &n);

  for (guint i = 0; i < n; i++) {
    GParamSpec *p = pspecs[i];

    if (p->owner_type != G_OBJECT_TYPE (sink) || !(p->flags & G_PARAM_WRITABLE))
      continue;
    fail_unless (p->flags & (GST_PARAM_MUTABLE_READY |
            GST_PARAM_MUTABLE_PLAYING), "%s has no mutability flag", p->name);
  }
  g_free (pspecs);
  gst_object_unref (sink);
}

GST_END_TEST;

static Suite *
mctxsink_live_suite (void)
{
  Suite *s = suite_create ("mctxsink-live");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_harness_idiom);
  tcase_add_test (tc, test_buffer_without_group);
  tcase_add_test (tc, test_live_group_change);
  tcase_add_test (tc, test_live_group_change_gathered);
  tcase_add_test (tc, test_refused_live_value);
  tcase_add_test (tc, test_out_of_range_refused_at_start);
  tcase_add_test (tc, test_stats_and_send_stats);
  tcase_add_test (tc, test_message_too_long_says_what_to_do);
  tcase_add_test (tc, test_every_property_says_when_it_may_change);
  return s;
}

int
main (int argc, char **argv)
{
  return mst_main_private_netns (&argc, &argv, mctxsink_live_suite,
      "mctxsink-live", __FILE__);
}
