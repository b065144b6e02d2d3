/* mctxsink's destinations (root only): the same stream on two legs, over
 * two veth pairs into two receiver namespaces, each leg with its own
 * source and interface (SMPTE ST 2022-7), an IPv4 + IPv6 pair, a leg
 * whose link goes down while the other carries the stream, a leg whose
 * queue refuses everything, legs added and removed while playing, and a
 * leg that cannot open.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define IF_A "mla0"
#define IF_B "mlb0"
#define RX_A "mlra0"
#define RX_B "mlrb0"
#define SRC_A "10.71.1.1"
#define RCV_A "10.71.1.2"
#define SRC_B "10.71.2.1"
#define RCV_B "10.71.2.2"
#define SRC6_B "fd71:2::1"
#define RCV6_B "fd71:2::2"
#define GROUP_A "232.71.1.1"
#define GROUP_B "232.71.2.1"
#define GROUP6_B "ff3e::8000:71"

/* Leg URIs on a port. */
#define LEG_A(port) "mctx://" SRC_A "@" GROUP_A ":" port "?interface=" IF_A
#define LEG_B(port) "mctx://" SRC_B "@" GROUP_B ":" port "?interface=" IF_B

static const char *peer_a, *peer_b;

/* An SSM receiver with a receive buffer that holds a whole test's
 * stream. */
static int
receiver (const char *ns, const char *group, const char *rx_if,
    const char *receiver_addr, const char *source, uint16_t port)
{
  int rcvbuf = 4 << 20;
  int fd = mcast_receiver (ns, group, port, testnet_ifindex_in (ns, rx_if),
      receiver_addr, source);

  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  return fd;
}

static int
receiver_a (uint16_t port)
{
  return receiver (peer_a, GROUP_A, RX_A, RCV_A, SRC_A, port);
}

static int
receiver_b (uint16_t port)
{
  return receiver (peer_b, GROUP_B, RX_B, RCV_B, SRC_B, port);
}

/* The field of leg `index` in send-stats' legs list. */
static guint64
leg_stat (GstElement * sink, guint index, const char *field)
{
  GstStructure *stats = NULL;
  const GValue *legs;
  const GstStructure *leg;
  guint64 v = 0;

  g_object_get (sink, "send-stats", &stats, NULL);
  legs = gst_structure_get_value (stats, "legs");
  fail_unless (legs != NULL, "send-stats has no legs");
  fail_unless (index < gst_value_array_get_size (legs));
  leg = gst_value_get_structure (gst_value_array_get_value (legs, index));
  if (g_str_equal (field, "stalled")) {
    gboolean b = FALSE;
    fail_unless (gst_structure_get_boolean (leg, field, &b));
    v = b;
  } else {
    fail_unless (gst_structure_get_uint64 (leg, field, &v), "no %s", field);
  }
  gst_structure_free (stats);
  return v;
}

/* How many legs send-stats lists. */
static guint
leg_count (GstElement * sink)
{
  GstStructure *stats = NULL;
  const GValue *legs;
  guint n;

  g_object_get (sink, "send-stats", &stats, NULL);
  legs = gst_structure_get_value (stats, "legs");
  n = legs ? gst_value_array_get_size (legs) : 0;
  gst_structure_free (stats);
  return n;
}

/* Waits (bounded) until leg index (added at the next buffer after a
 * change) has sent + dropped `total` datagrams. */
static void
wait_leg_done (GstElement * sink, guint index, guint64 total)
{
  for (int i = 0; i < 500; i++) {
    if (leg_count (sink) > index
        && leg_stat (sink, index, "packets-sent") + leg_stat (sink, index,
            "packets-dropped") >= total)
      return;
    g_usleep (10 * 1000);
  }
  fail ("leg %u did not get through %" G_GUINT64_FORMAT " datagrams", index,
      total);
}

static void
free_two_legs (MstSender * tx, GPtrArray * ga, GPtrArray * gb, int fa, int fb)
{
  mst_sender_free (tx);
  g_ptr_array_unref (ga);
  g_ptr_array_unref (gb);
  close (fa);
  close (fb);
}

static void
push_numbered (MstSender * tx, int first, int count, gsize size)
{
  for (int i = first; i < first + count; i++)
    mst_sender_push (tx, mst_numbered_buffer (i, size));
}

/* Which numbers 0..n-1 arrived, as numbered datagrams of size bytes. */
static void
mark_numbers (GPtrArray * got, gboolean * seen, int n, gsize size)
{
  for (guint i = 0; i < got->len; i++) {
    gsize len;
    const char *data = g_bytes_get_data (g_ptr_array_index (got, i), &len);
    char head[7] = { 0 };
    int number;

    memcpy (head, data, MIN (len, 6));
    number = atoi (head);

    fail_unless_equals_int (len, size);
    fail_unless (number >= 0 && number < n);
    fail_unless (!seen[number], "datagram %d arrived twice on one leg", number);
    seen[number] = TRUE;
  }
}

GST_START_TEST (test_two_legs_byte_identical)
{
  int fa = receiver_a (5901), fb = receiver_b (5901);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const int count = 50;
  const gsize size = 1000;
  gchar *dir = g_dir_make_tmp ("mctx-legs-XXXXXX", NULL);
  gchar *file = g_build_filename (dir, "metrics.jsonl", NULL);
  gchar *props = g_strdup_printf ("metrics-file=%s destinations="
      LEG_A ("5901") "," LEG_B ("5901"), file);
  gchar *text = NULL;
  MstSender tx;
  GPtrArray *ga, *gb;

  mst_sender_start (&tx, props);
  push_numbered (&tx, 0, count, size);
  mst_sender_finish (&tx);
  ga = mst_collector_finish (ca, count, 3000);
  gb = mst_collector_finish (cb, count, 3000);
  mst_check_numbered (ga, count, size);
  mst_check_numbered (gb, count, size);
  for (int i = 0; i < count; i++)
    fail_unless (g_bytes_equal (g_ptr_array_index (ga, i),
            g_ptr_array_index (gb, i)), "datagram %d differs between legs", i);

  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-sent"), count);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 1, "packets-sent"), count);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "bytes-sent"), count * size);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 1, "packets-dropped"), 0);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 2 * count);
  free_two_legs (&tx, ga, gb, fa, fb);

  /* The JSONL rows carry the legs too (the final row: everything sent). */
  if (g_file_get_contents (file, &text, NULL, NULL)) {
    fail_unless (strstr (text, "\"destination\":\"" LEG_A ("5901")
            "\",\"packets_dropped_total\":0,\"packets_sent_total\":50")
        != NULL, "no leg A in %s", text);
    g_free (text);
    g_unlink (file);
  }
  g_rmdir (dir);
  g_free (file);
  g_free (dir);
  g_free (props);
}

GST_END_TEST;

/* The element's own group is one leg, an IPv6 destination the other. */
GST_START_TEST (test_ipv4_and_ipv6_legs)
{
  int fa = receiver_a (5902);
  int fb = mst_ssm_receiver (peer_b, RX_B, GROUP6_B, SRC6_B, 5902);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const int count = 30;
  const gsize size = 700;
  MstSender tx;
  GPtrArray *ga, *gb;

  mst_sender_start (&tx, "group=" GROUP_A " port=5902 source-addr=" SRC_A
      " interface=" IF_A " destinations=mctx://[" SRC6_B "]@[" GROUP6_B
      "]:5902?interface=" IF_B);
  push_numbered (&tx, 0, count, size);
  mst_sender_finish (&tx);
  ga = mst_collector_finish (ca, count, 3000);
  gb = mst_collector_finish (cb, count, 3000);
  mst_check_numbered (ga, count, size);
  mst_check_numbered (gb, count, size);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 2 * count);
  free_two_legs (&tx, ga, gb, fa, fb);
}

GST_END_TEST;

/* Leg A's link is down for the first half, leg B's for the second: a
 * receiver merging both (by sequence number, as an ST 2022-7 receiver
 * does) has every datagram; each leg's drops are what it did not send. */
GST_START_TEST (test_link_down_each_half_merges_whole)
{
  int fa = receiver_a (5903), fb = receiver_b (5903);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const int half = 40;
  const gsize size = 500;
  gboolean seen_a[80] = { 0 }, seen_b[80] = { 0 };
  MstSender tx;
  GPtrArray *ga, *gb;

  mst_sender_start (&tx, "destinations=" LEG_A ("5903") "," LEG_B ("5903"));
  testnet_sh_ok ("ip link set " IF_A " down");
  push_numbered (&tx, 0, half, size);
  wait_leg_done (tx.sink, 0, half);
  wait_leg_done (tx.sink, 1, half);
  testnet_sh_ok ("ip link set " IF_A " up");
  testnet_sh_ok ("ip link set " IF_B " down");
  push_numbered (&tx, half, half, size);
  wait_leg_done (tx.sink, 1, 2 * half);
  mst_sender_finish (&tx);
  testnet_sh_ok ("ip link set " IF_B " up");

  ga = mst_collector_finish (ca, half, 2000);
  gb = mst_collector_finish (cb, half, 2000);
  mark_numbers (ga, seen_a, 2 * half, size);
  mark_numbers (gb, seen_b, 2 * half, size);
  for (int i = 0; i < 2 * half; i++)
    fail_unless (seen_a[i] || seen_b[i], "datagram %d reached neither leg", i);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-dropped"),
      2 * half - ga->len);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 1, "packets-dropped"),
      2 * half - gb->len);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-sent"), ga->len);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 1, "packets-sent"), gb->len);
  free_two_legs (&tx, ga, gb, fa, fb);
}

GST_END_TEST;

/* block=true, and leg A's queue takes nothing: it is stalled after
 * leg-timeout and leg B gets every datagram. */
/* With IF_A's queue taking nothing, props (block=true) streams count
 * datagrams of size bytes; leg B's receiver on port gets them all. */
static void
stream_past_dead_if_a (MstSender * tx, const char *props, uint16_t port,
    int count, gsize size)
{
  int fb = receiver_b (port);
  MstCollector *cb = mst_collector_start (fb);
  GPtrArray *gb;

  testnet_sh_ok ("tc qdisc replace dev " IF_A " root pfifo limit 0");
  mst_sender_start (tx, props);
  push_numbered (tx, 0, count, size);
  mst_sender_finish (tx);
  testnet_sh ("tc qdisc del dev " IF_A " root");
  gb = mst_collector_finish (cb, count, 3000);
  mst_check_numbered (gb, count, size);
  g_ptr_array_unref (gb);
  close (fb);
}

GST_START_TEST (test_refusing_leg_does_not_hold_the_other)
{
  const int count = 200;
  MstSender tx;

  stream_past_dead_if_a (&tx, "block=true gso=false destinations="
      LEG_A ("5904") "," LEG_B ("5904"), 5904, count, 400);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-sent"), 0);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-dropped"), count);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "stalled"), TRUE);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 1, "packets-dropped"), 0);
  mst_sender_free (&tx);
}

GST_END_TEST;

/* Leg A alone, then A and B, then B alone, changed while playing. */
GST_START_TEST (test_legs_added_and_removed_while_playing)
{
  int fa = receiver_a (5905), fb = receiver_b (5905);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const int step = 20;
  const gsize size = 300;
  MstSender tx;
  GPtrArray *ga, *gb;

  mst_sender_start (&tx, "destinations=" LEG_A ("5905"));
  push_numbered (&tx, 0, step, size);
  wait_leg_done (tx.sink, 0, step);
  g_object_set (tx.sink, "destinations", LEG_A ("5905") "," LEG_B ("5905"),
      NULL);
  push_numbered (&tx, step, step, size);
  wait_leg_done (tx.sink, 1, step);
  g_object_set (tx.sink, "destinations", LEG_B ("5905"), NULL);
  push_numbered (&tx, 2 * step, step, size);
  mst_sender_finish (&tx);

  ga = mst_collector_finish (ca, 2 * step, 2000);
  gb = mst_collector_finish (cb, 2 * step, 2000);
  mst_check_numbered_from (ga, 0, 2 * step, size);
  mst_check_numbered_from (gb, step, 2 * step, size);
  /* The totals keep what the removed leg sent. */
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 4 * step);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-sent"), 2 * step);
  free_two_legs (&tx, ga, gb, fa, fb);
}

GST_END_TEST;

/* A leg that cannot open warns and drops for itself; only when every leg
 * fails (and no group is set) does the start fail. */
GST_START_TEST (test_leg_that_cannot_open)
{
  int fb = receiver_b (5906);
  MstCollector *cb = mst_collector_start (fb);
  const int count = 10;
  const gsize size = 200;
  MstSender tx;
  GPtrArray *gb;
  gchar *error;

  mst_sender_start (&tx, "destinations=mctx://232.71.9.9:5906?interface="
      "nosuch0," LEG_B ("5906"));
  push_numbered (&tx, 0, count, size);
  mst_sender_finish (&tx);
  gb = mst_collector_finish (cb, count, 3000);
  mst_check_numbered (gb, count, size);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-dropped"), count);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 1, "packets-sent"), count);
  mst_sender_free (&tx);
  g_ptr_array_unref (gb);
  close (fb);

  error = mst_start_error ("destinations=mctx://232.71.9.9:5906?interface="
      "nosuch0");
  fail_unless_equals_string (error,
      "None of the 1 destinations could be opened (see the warnings)");
  g_free (error);
}

GST_END_TEST;

/* block=true, and the element's own group's queue takes nothing: with
 * destinations it is one more leg, stalled after leg-timeout, and the
 * destination gets every datagram (before, the stream waited for it). */
GST_START_TEST (test_own_group_is_a_leg_too)
{
  const int count = 200;
  MstSender tx;

  stream_past_dead_if_a (&tx, "block=true gso=false group=" GROUP_A
      " port=5910 source-addr=" SRC_A " interface=" IF_A " destinations="
      LEG_B ("5910"), 5910, count, 400);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-sent"), count);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-dropped"), 0);
  /* The totals: what the destination sent, what the own group dropped. */
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), count);
  mst_sender_free (&tx);
}

GST_END_TEST;

/* A stalled leg resumes by itself once its queue takes datagrams again
 * (tried with one datagram per buffer meanwhile). */
GST_START_TEST (test_stalled_leg_resumes)
{
  int fa = receiver_a (5913), fb = receiver_b (5913);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const int half = 50;
  const gsize size = 300;
  MstSender tx;
  GPtrArray *ga, *gb;

  testnet_sh_ok ("tc qdisc replace dev " IF_A " root pfifo limit 0");
  mst_sender_start (&tx, "block=true destinations=" LEG_A ("5913") ","
      LEG_B ("5913"));
  push_numbered (&tx, 0, half, size);
  wait_leg_done (tx.sink, 0, half);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "stalled"), TRUE);
  /* Opened in place: deleting the root qdisc would let the kernel's noop
   * qdisc swallow datagrams unseen for a moment (see mctxsink-gso). */
  testnet_sh_ok ("tc qdisc change dev " IF_A " root pfifo limit 1000");
  push_numbered (&tx, half, half, size);
  mst_sender_finish (&tx);
  ga = mst_collector_finish (ca, half, 3000);
  gb = mst_collector_finish (cb, 2 * half, 3000);
  mst_check_numbered_from (ga, half, half, size);
  mst_check_numbered (gb, 2 * half, size);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "stalled"), FALSE);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-dropped"), half);
  fail_unless_equals_uint64 (leg_stat (tx.sink, 0, "packets-sent"), half);
  free_two_legs (&tx, ga, gb, fa, fb);
  testnet_sh_ok ("tc qdisc del dev " IF_A " root");
}

GST_END_TEST;

/* Buffer lists of ten, paced: every datagram reaches both legs, whether
 * the own group leads the pacing or the first destination does. */
static void
check_paced_legs (const char *props, uint16_t port)
{
  int fa = receiver_a (port), fb = receiver_b (port);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const int count = 100;
  const gsize size = 500;
  MstSender tx;
  GPtrArray *ga, *gb;

  mst_sender_start (&tx, props);
  for (int i = 0; i < count; i += 10) {
    GstBufferList *list = gst_buffer_list_new ();
    for (int j = i; j < i + 10; j++)
      gst_buffer_list_add (list, mst_numbered_buffer (j, size));
    mst_sender_push_list (&tx, list);
  }
  mst_sender_finish (&tx);
  ga = mst_collector_finish (ca, count, 3000);
  gb = mst_collector_finish (cb, count, 3000);
  mst_check_numbered (ga, count, size);
  mst_check_numbered (gb, count, size);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 2 * count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  free_two_legs (&tx, ga, gb, fa, fb);
}

GST_START_TEST (test_paced_legs_get_every_datagram)
{
  /* 500-byte payloads are 4224 bits on the wire: 0.2 ms each. */
  check_paced_legs ("pacing-rate=21120000 group=" GROUP_A " port=5911 "
      "source-addr=" SRC_A " interface=" IF_A " destinations="
      LEG_B ("5911"), 5911);
  check_paced_legs ("pacing-rate=21120000 pacing-burst=4 destinations="
      LEG_A ("5912") "," LEG_B ("5912"), 5912);
}

GST_END_TEST;

/* An application sets destinations as a GstValueArray of strings (what
 * Python's Gst.ValueArray does too); reading it gives the comma form. */
GST_START_TEST (test_destinations_as_value_array)
{
  int fa = receiver_a (5907), fb = receiver_b (5907);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const int count = 20;
  const gsize size = 600;
  GValue array = G_VALUE_INIT, uri = G_VALUE_INIT;
  gchar *read_back = NULL;
  MstSender tx;
  GPtrArray *ga, *gb;

  g_value_init (&array, GST_TYPE_ARRAY);
  g_value_init (&uri, G_TYPE_STRING);
  g_value_set_string (&uri, LEG_A ("5907"));
  gst_value_array_append_value (&array, &uri);
  g_value_set_string (&uri, LEG_B ("5907"));
  gst_value_array_append_value (&array, &uri);

  mst_sender_start (&tx, "");
  g_object_set_property (G_OBJECT (tx.sink), "destinations", &array);
  g_object_get (tx.sink, "destinations", &read_back, NULL);
  fail_unless_equals_string (read_back, LEG_A ("5907") "," LEG_B ("5907"));
  push_numbered (&tx, 0, count, size);
  mst_sender_finish (&tx);
  ga = mst_collector_finish (ca, count, 3000);
  gb = mst_collector_finish (cb, count, 3000);
  mst_check_numbered (ga, count, size);
  mst_check_numbered (gb, count, size);
  free_two_legs (&tx, ga, gb, fa, fb);
  g_value_unset (&uri);
  g_value_unset (&array);
  g_free (read_back);
}

GST_END_TEST;

/* gst-launch-1.0 itself takes the comma-separated string. Not in the
 * sanitizer build: the tool is not built with them and cannot load a
 * plugin that is. */
GST_START_TEST (test_destinations_from_gst_launch)
{
#if defined(__SANITIZE_ADDRESS__)
  g_print ("skipped: gst-launch-1.0 cannot load a sanitized plugin\n");
#else
  int fa = receiver_a (5908), fb = receiver_b (5908);
  MstCollector *ca = mst_collector_start (fa), *cb = mst_collector_start (fb);
  const char *argv[] = { "gst-launch-1.0", "-q", "fakesrc", "num-buffers=20",
    "sizetype=fixed", "sizemax=250", "!", "mctxsink", "sync=false",
    "destinations=" LEG_A ("5908") "," LEG_B ("5908"), NULL
  };
  GError *error = NULL;
  gint status = -1;
  GPtrArray *ga, *gb;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, NULL, NULL, &status, &error), "gst-launch-1.0: %s",
      error ? error->message : "?");
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "gst-launch-1.0 failed (%d)", status);
  ga = mst_collector_finish (ca, 20, 3000);
  gb = mst_collector_finish (cb, 20, 3000);
  fail_unless_equals_int (ga->len, 20);
  fail_unless_equals_int (gb->len, 20);
  fail_unless_equals_int (g_bytes_get_size (g_ptr_array_index (gb, 0)), 250);
  g_ptr_array_unref (ga);
  g_ptr_array_unref (gb);
  close (fa);
  close (fb);
#endif
}

GST_END_TEST;

/* Raw datagrams carry their own addresses: raw with destinations is
 * refused by name, not ignored. */
GST_START_TEST (test_raw_with_destinations_refused)
{
  gchar *error = mst_start_error ("raw=true destinations=" LEG_A ("5909"));

  fail_unless_equals_string (error, "raw=true and destinations cannot be "
      "combined: a raw datagram carries its own addresses; unset "
      "destinations or raw");
  g_free (error);
}

GST_END_TEST;

static Suite *
mctxsink_legs_suite (void)
{
  Suite *s = suite_create ("mctxsink-legs");
  TCase *tc = tcase_create ("legs");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_two_legs_byte_identical);
  tcase_add_test (tc, test_ipv4_and_ipv6_legs);
  tcase_add_test (tc, test_link_down_each_half_merges_whole);
  tcase_add_test (tc, test_refusing_leg_does_not_hold_the_other);
  tcase_add_test (tc, test_legs_added_and_removed_while_playing);
  tcase_add_test (tc, test_leg_that_cannot_open);
  tcase_add_test (tc, test_own_group_is_a_leg_too);
  tcase_add_test (tc, test_stalled_leg_resumes);
  tcase_add_test (tc, test_paced_legs_get_every_datagram);
  tcase_add_test (tc, test_destinations_as_value_array);
  tcase_add_test (tc, test_destinations_from_gst_launch);
  tcase_add_test (tc, test_raw_with_destinations_refused);
  return s;
}

int
main (int argc, char **argv)
{
  peer_a = mst_veth_link_or_skip ("legs-a", IF_A, "fd71:1::1", RX_A,
      "fd71:1::2");
  peer_b = testnet_peer_create ("legs-b");
  testnet_veth (IF_B, peer_b, RX_B);
  testnet_sh_ok ("ip addr add " SRC_A "/24 dev " IF_A);
  testnet_sh_ok ("ip -n %s addr add " RCV_A "/24 dev " RX_A, peer_a);
  testnet_sh_ok ("ip addr add " SRC_B "/24 dev " IF_B);
  testnet_sh_ok ("ip -n %s addr add " RCV_B "/24 dev " RX_B, peer_b);
  testnet_sh_ok ("ip addr add " SRC6_B "/64 dev " IF_B " nodad");
  testnet_sh_ok ("ip -n %s addr add " RCV6_B "/64 dev " RX_B " nodad", peer_b);
  testnet_wait_ipv6_ready (peer_b, 3000);

  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_legs_suite (), "mctxsink-legs",
      __FILE__);
}
