/* mctxsink raw=true over a veth pair (root only): datagrams given as buffers
 * appear on the far side's wire byte for byte (IPv4 and IPv6 with sources
 * that are not this host's, IPv4 id, IPv6 traffic class, flow label and an
 * extension header), also when a buffer has several memories cut inside
 * the header; a ttl override patches the TTL / hop limit (IPv4 checksum
 * right), in one memory or several; unicast, malformed and too long
 * datagrams never leave (unicast ones leave, in order, as a list, with
 * raw-validation=any-destination), are counted in packets-dropped, send-calls and
 * send-errors and warned about, and the stream goes on; without
 * CAP_NET_RAW the start fails with RESOURCE/NOT_AUTHORIZED; the raw-replay
 * example puts the multicast datagrams of a pcap file on the wire exactly.
 *
 * Capture: an AF_PACKET socket in the peer namespace on rv1 (rawtest.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctxsink-test.h"
#include "rawtest.h"

#include <errno.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_FLAG "--without-cap-net-raw"

#define FAR4 "198.51.100.7"
#define FAR6 "2001:db8::7"
#define GROUP4 "232.1.2.3"
#define GROUP6 "ff3e::8000:1"
#define DATAGRAM_MAX 2048

static rawtest_pair pair;
static const char *replay_program;

typedef struct
{
  guint8 bytes[DATAGRAM_MAX];
  gsize len;
} Datagram;

/* A UDP-in-IPv4 datagram from a far source with a nonzero id; the payload
 * starts with marker and is long enough that no link padding is added. */
static void
far_ipv4 (Datagram * d, const char *dst, const char *marker)
{
  gchar *payload = g_strdup_printf ("%s: re-emitted as captured, padded out",
      marker);

  d->len = rawtest_ipv4_udp (d->bytes, FAR4, dst, 9, 0x4d2a, 4000, 5000,
      payload, strlen (payload));
  g_free (payload);
}

/* UDP-in-IPv6 from a far source with traffic class, flow label and a
 * destination-options header. */
static void
far_ipv6 (Datagram * d, const char *dst, const char *marker)
{
  gchar *payload = g_strdup_printf ("%s: re-emitted as captured", marker);

  d->len = rawtest_ipv6_udp (d->bytes, FAR6, dst, 0xb8, 0x5a5a5, 9, true,
      4000, 5000, payload, strlen (payload));
  g_free (payload);
}

static GstBuffer *
buffer_of (const Datagram * d)
{
  return gst_buffer_new_memdup (d->bytes, d->len);
}

/* The same datagram as two memories, cut inside the header. */
static GstBuffer *
split_buffer_of (const Datagram * d)
{
  GstBuffer *head = gst_buffer_new_memdup (d->bytes, 7);

  return gst_buffer_append (head, gst_buffer_new_memdup (d->bytes + 7,
          d->len - 7));
}

/* The same datagram as three memories: 20 + 20 bytes and the rest (for
 * IPv6 the base header in two halves). */
static GstBuffer *
thirds_buffer_of (const Datagram * d)
{
  GstBuffer *b = gst_buffer_new_memdup (d->bytes, 20);

  b = gst_buffer_append (b, gst_buffer_new_memdup (d->bytes + 20, 20));
  b = gst_buffer_append (b, gst_buffer_new_memdup (d->bytes + 40, d->len - 40));
  fail_unless_equals_int (gst_buffer_n_memory (b), 3);
  return b;
}

/* Captures the datagram carrying marker on rv1 and checks it is d, byte
 * for byte. */
static void
expect_on_wire (int capture, const Datagram * d, const char *marker)
{
  guint8 got[DATAGRAM_MAX];
  int n = rawtest_capture_find (capture, marker, got, sizeof got, 3000);

  fail_unless (n >= 0, "'%s' did not reach the other side", marker);
  fail_unless_equals_int (n, (int) d->len);
  fail_unless (memcmp (got, d->bytes, d->len) == 0,
      "'%s' changed on the way", marker);
}

typedef struct
{
  guint64 failed;               /* datagrams the warnings said failed */
  guint warnings;
  gchar *first_warning;
  gchar *last_warning;
} Outcome;

/* EOS, then collects the sink's warnings until EOS comes out (bounded). */
static void
finish_collecting (MstSender * s, Outcome * o)
{
  GstBus *bus = gst_element_get_bus (s->pipeline);
  gboolean eos = FALSE;

  memset (o, 0, sizeof *o);
  fail_unless_equals_int (gst_app_src_end_of_stream (GST_APP_SRC (s->src)),
      GST_FLOW_OK);
  for (int i = 0; i < 1000 && !eos; i++) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    GError *err = NULL;

    fail_unless (msg != NULL, "no EOS within 30 s");
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &err, NULL);
        fail ("sender error: %s", err->message);
        break;
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning (msg, &err, NULL);
        fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (s->sink));
        fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
                GST_RESOURCE_ERROR_WRITE), "warning %s", err->message);
        GST_INFO ("warning: %s", err->message);
        o->failed += g_ascii_strtoull (err->message, NULL, 10);
        o->warnings++;
        if (o->first_warning == NULL)
          o->first_warning = g_strdup (err->message);
        g_free (o->last_warning);
        o->last_warning = g_strdup (err->message);
        g_error_free (err);
        break;
      default:
        eos = TRUE;
        break;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
}

GST_START_TEST (test_far_sources_exact)
{
  int capture = rawtest_capture_open (pair.peer, "rv1");
  Datagram v4, v6, split, split6, list4, list6;
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *split_buffer;
  MstSender tx;

  far_ipv4 (&v4, GROUP4, "gstraw-v4-far");
  far_ipv6 (&v6, GROUP6, "gstraw-v6-far");
  far_ipv4 (&split, GROUP4, "gstraw-v4-split");
  far_ipv6 (&split6, GROUP6, "gstraw-v6-split");
  far_ipv4 (&list4, GROUP4, "gstraw-v4-list");
  far_ipv6 (&list6, GROUP6, "gstraw-v6-list");

  /* An interface name: both families, each datagram by its version. */
  mst_sender_start (&tx, "raw=true interface=rv0 ttl=-1");
  mst_sender_push (&tx, buffer_of (&v4));
  mst_sender_push (&tx, buffer_of (&v6));
  split_buffer = split_buffer_of (&split);
  fail_unless_equals_int (gst_buffer_n_memory (split_buffer), 2);
  mst_sender_push (&tx, split_buffer);
  mst_sender_push (&tx, thirds_buffer_of (&split6));
  gst_buffer_list_add (list, buffer_of (&list4));
  gst_buffer_list_add (list, buffer_of (&list6));
  mst_sender_push_list (&tx, list);
  mst_sender_finish (&tx);

  expect_on_wire (capture, &v4, "gstraw-v4-far");
  expect_on_wire (capture, &v6, "gstraw-v6-far");
  expect_on_wire (capture, &split, "gstraw-v4-split");
  expect_on_wire (capture, &split6, "gstraw-v6-split");
  expect_on_wire (capture, &list4, "gstraw-v4-list");
  expect_on_wire (capture, &list6, "gstraw-v6-list");

  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 6);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "send-calls"), 6);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "bytes-sent"),
      v4.len + v6.len + split.len + split6.len + list4.len + list6.len);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  mst_sender_free (&tx);
  /* The counters outlive the stop. */
  close (capture);
}

GST_END_TEST;

/* Raw IPv4 into a queue that takes nothing (pfifo limit 0), opened after
 * two seconds: with block=true every datagram arrives. Without IP_RECVERR
 * on the raw IPv4 socket each would have been counted as sent and lost. */
GST_START_TEST (test_raw_ipv4_full_queue_resent)
{
  const int count = 20;
  int capture = rawtest_capture_open (pair.peer, "rv1");
  Datagram d[20];
  gchar marker[32];
  MstSender tx;

  testnet_sh_ok ("tc qdisc replace dev rv0 root pfifo limit 0");
  mst_sender_start (&tx, "raw=true interface=rv0 ttl=-1 block=true");
  for (int i = 0; i < count; i++) {
    g_snprintf (marker, sizeof marker, "gstraw-q%02d", i);
    far_ipv4 (&d[i], GROUP4, marker);
    mst_sender_push (&tx, buffer_of (&d[i]));
  }
  g_usleep (2 * G_USEC_PER_SEC);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 0);
  testnet_sh_ok ("tc qdisc replace dev rv0 root pfifo limit 1000");
  mst_sender_finish (&tx);

  for (int i = 0; i < count; i++) {
    g_snprintf (marker, sizeof marker, "gstraw-q%02d", i);
    expect_on_wire (capture, &d[i], marker);
  }
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  fail_unless (mst_stat (tx.sink, "send-errors") > 0,
      "the full queue was never reported");
  mst_sender_free (&tx);
  testnet_sh ("tc qdisc del dev rv0 root");
  close (capture);
}

GST_END_TEST;

GST_START_TEST (test_family_from_address)
{
  int capture = rawtest_capture_open (pair.peer, "rv1");
  Datagram v4, v6;
  MstSender tx;
  Outcome o;

  far_ipv4 (&v4, GROUP4, "gstraw-v4-bysource");
  far_ipv6 (&v6, GROUP6, "gstraw-refused-v6-to-v4");

  /* source-addr is IPv4: one IPv4 publication, an IPv6 datagram refused. */
  mst_sender_start (&tx, "raw=true source-addr=10.77.0.1 ttl=-1");
  mst_sender_push (&tx, buffer_of (&v6));
  mst_sender_push (&tx, buffer_of (&v4));
  finish_collecting (&tx, &o);

  expect_on_wire (capture, &v4, "gstraw-v4-bysource");
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 1);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 1);
  fail_unless_equals_uint64 (o.failed, 1);
  g_free (o.first_warning);
  g_free (o.last_warning);
  mst_sender_free (&tx);
  close (capture);
}

GST_END_TEST;

/* raw-validation=any-destination: a list of unicast datagrams to the peer's
 * own address (and multicast ones between) goes out as raw batches and
 * arrives complete, in order, byte for byte. */
GST_START_TEST (test_any_destination_list)
{
  int capture = rawtest_capture_open (pair.peer, "rv1");
  enum
  { LIST = 24 };
  static Datagram d[LIST];
  GstBufferList *list = gst_buffer_list_new ();
  MstSender tx;
  gchar marker[48];

  for (int i = 0; i < LIST; i++) {
    g_snprintf (marker, sizeof marker, "gstraw-any-%02d;", i);
    far_ipv4 (&d[i], i % 3 == 2 ? GROUP4 : "10.77.0.2", marker);
    gst_buffer_list_add (list, buffer_of (&d[i]));
  }
  mst_sender_start (&tx,
      "raw=true interface=rv0 ttl=-1 raw-validation=any-destination");
  mst_sender_push_list (&tx, list);
  mst_sender_finish (&tx);
  for (int i = 0; i < LIST; i++) {
    g_snprintf (marker, sizeof marker, "gstraw-any-%02d;", i);
    expect_on_wire (capture, &d[i], marker);
  }
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), LIST);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  mst_sender_free (&tx);
  close (capture);
}

GST_END_TEST;

/* No interface, no source-addr, ttl=-1: the routing table picks the
 * interface of each datagram, IPv4 and IPv6 (a table-local route for the
 * IPv6 group), single buffers and lists; no warning. */
GST_START_TEST (test_route_selected)
{
  int capture = rawtest_capture_open (pair.peer, "rv1");
  Datagram v4, v6, list4, list6;
  GstBufferList *list = gst_buffer_list_new ();
  MstSender tx;
  Outcome o;

  testnet_sh_ok ("ip route replace 232.1.2.0/24 dev rv0");
  testnet_sh_ok ("ip -6 route replace ff3e::8000:0/112 dev rv0 table local");
  far_ipv4 (&v4, GROUP4, "gstraw-v4-routed");
  far_ipv6 (&v6, GROUP6, "gstraw-v6-routed");
  far_ipv4 (&list4, GROUP4, "gstraw-v4-routed-list");
  far_ipv6 (&list6, GROUP6, "gstraw-v6-routed-list");
  mst_sender_start (&tx, "raw=true ttl=-1");
  mst_sender_push (&tx, buffer_of (&v4));
  mst_sender_push (&tx, buffer_of (&v6));
  gst_buffer_list_add (list, buffer_of (&list4));
  gst_buffer_list_add (list, buffer_of (&list6));
  mst_sender_push_list (&tx, list);
  finish_collecting (&tx, &o);
  expect_on_wire (capture, &v4, "gstraw-v4-routed");
  expect_on_wire (capture, &v6, "gstraw-v6-routed");
  expect_on_wire (capture, &list4, "gstraw-v4-routed-list");
  expect_on_wire (capture, &list6, "gstraw-v6-routed-list");
  fail_unless_equals_int (o.warnings, 0);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 4);
  g_free (o.first_warning);
  g_free (o.last_warning);
  mst_sender_free (&tx);
  testnet_sh_ok ("ip route del 232.1.2.0/24");
  testnet_sh_ok ("ip -6 route del ff3e::8000:0/112 table local");
  close (capture);
}

GST_END_TEST;

/* Captures the datagram carrying marker: d with TTL / hop limit 7 (and the
 * IPv4 checksum recomputed), nothing else changed. */
static void
expect_ttl_patched (int capture, const Datagram * d, const char *marker)
{
  guint8 got[DATAGRAM_MAX];
  int n = rawtest_capture_find (capture, marker, got, sizeof got, 3000);

  fail_unless_equals_int (n, (int) d->len);
  if ((d->bytes[0] >> 4) == 4) {
    fail_unless_equals_int (got[8], 7);
    fail_unless_equals_int (GST_READ_UINT16_BE (got + 10),
        ipbuild_ipv4_header_checksum (got, 20));
    fail_unless (memcmp (got, d->bytes, 8) == 0 && got[9] == d->bytes[9]
        && memcmp (got + 12, d->bytes + 12, d->len - 12) == 0,
        "'%s': more than the TTL and checksum changed", marker);
  } else {
    fail_unless_equals_int (got[7], 7);
    fail_unless (memcmp (got, d->bytes, 7) == 0
        && memcmp (got + 8, d->bytes + 8, d->len - 8) == 0,
        "'%s': more than the hop limit changed", marker);
  }
}

GST_START_TEST (test_ttl_override)
{
  int capture = rawtest_capture_open (pair.peer, "rv1");
  Datagram v4, v6, v4s, v6s;
  MstSender tx;

  far_ipv4 (&v4, GROUP4, "gstraw-v4-ttl");
  far_ipv6 (&v6, GROUP6, "gstraw-v6-hops");
  far_ipv4 (&v4s, GROUP4, "gstraw-v4-split-ttl");
  far_ipv6 (&v6s, GROUP6, "gstraw-v6-split-hops");
  mst_sender_start (&tx, "raw=true interface=rv0 ttl=7");
  mst_sender_push (&tx, buffer_of (&v4));
  mst_sender_push (&tx, buffer_of (&v6));
  mst_sender_push (&tx, split_buffer_of (&v4s));
  mst_sender_push (&tx, thirds_buffer_of (&v6s));
  mst_sender_finish (&tx);

  expect_ttl_patched (capture, &v4, "gstraw-v4-ttl");
  expect_ttl_patched (capture, &v6, "gstraw-v6-hops");
  expect_ttl_patched (capture, &v4s, "gstraw-v4-split-ttl");
  expect_ttl_patched (capture, &v6s, "gstraw-v6-split-hops");
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 4);
  mst_sender_free (&tx);
  close (capture);
}

GST_END_TEST;

/* Reads the capture until the datagram carrying "gstraw-after" (sent last)
 * arrives; nothing carrying "gstraw-refused" may come before it. */
static void
expect_only_the_last (int capture)
{
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  guint8 buf[DATAGRAM_MAX];

  for (int frames = 0; frames < 10000; frames++) {
    gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
    struct pollfd pfd = {.fd = capture,.events = POLLIN };
    struct sockaddr_ll from;
    socklen_t flen = sizeof from;
    ssize_t n;

    fail_unless (left > 0 && poll (&pfd, 1, (int) left) == 1,
        "the datagram after the refused ones did not arrive");
    n = recvfrom (capture, buf, sizeof buf, MSG_DONTWAIT,
        (struct sockaddr *) &from, &flen);
    if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
      continue;
    fail_if (memmem (buf, n, "gstraw-refused", 14) != NULL,
        "a refused datagram reached the wire");
    if (memmem (buf, n, "gstraw-after", 12) != NULL)
      return;
  }
  fail ("too many frames on the capture");
}

GST_START_TEST (test_refused_never_leave)
{
  int capture = rawtest_capture_open (pair.peer, "rv1");
  Datagram uni4, uni6, v5, cut, huge, after;
  const guint pushed = 7;
  GstBuffer *too_long;
  MstSender tx;
  Outcome o;

  far_ipv4 (&uni4, "10.77.0.2", "gstraw-refused-unicast4");
  far_ipv6 (&uni6, "fd77::2", "gstraw-refused-unicast6");
  far_ipv4 (&v5, GROUP4, "gstraw-refused-version5");
  v5.bytes[0] = 0x55;
  far_ipv4 (&cut, GROUP4, "gstraw-refused-cut");
  cut.len -= 3;                 /* total length no longer the buffer's */
  /* Longer than any IP datagram, in three memories: libmctx refuses it
   * (and counts it) like any other. */
  far_ipv4 (&huge, GROUP4, "gstraw-refused-too-long");
  too_long = split_buffer_of (&huge);
  too_long = gst_buffer_append (too_long, gst_buffer_new_allocate (NULL,
          70000, NULL));
  fail_unless_equals_int (gst_buffer_n_memory (too_long), 3);
  far_ipv4 (&after, GROUP4, "gstraw-after");

  mst_sender_start (&tx, "raw=true interface=rv0 ttl=-1");
  mst_sender_push (&tx, buffer_of (&uni4));
  mst_sender_push (&tx, buffer_of (&uni6));
  mst_sender_push (&tx, buffer_of (&v5));
  mst_sender_push (&tx, buffer_of (&cut));
  mst_sender_push (&tx, gst_buffer_new ());
  mst_sender_push (&tx, too_long);
  mst_sender_push (&tx, buffer_of (&after));
  finish_collecting (&tx, &o);

  expect_only_the_last (capture);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 1);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), pushed - 1);
  /* The element's documentation: a refused datagram counts in send-errors
   * too, and every datagram in send-calls. */
  fail_unless_equals_uint64 (mst_stat (tx.sink, "send-errors"), pushed - 1);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "send-calls"), pushed);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent")
      + mst_stat (tx.sink, "packets-dropped"), pushed);
  /* Every refused datagram was told about (counts in the warnings). */
  fail_unless (o.warnings >= 1);
  fail_unless_equals_uint64 (o.failed, pushed - 1);
  fail_unless (strstr (o.last_warning, "failed") != NULL, "warning '%s'",
      o.last_warning);
  /* A warning names the check that refused the datagram. */
  fail_unless (strstr (o.first_warning, "failed: raw datagram destination "
          "10.77.0.2 is not a multicast address") != NULL, "warning '%s'",
      o.first_warning);
  g_free (o.first_warning);
  g_free (o.last_warning);
  mst_sender_free (&tx);
  close (capture);
}

GST_END_TEST;

GST_START_TEST (test_start_errors)
{
  gchar *text;

  text = mst_start_error ("raw=true");
  fail_unless (text && strstr (text, "'interface'") && strstr (text,
          "'source-addr'") && strstr (text, "ttl=-1"), "no egress: '%s'", text);
  g_free (text);
  text = mst_start_error ("raw=true interface=nosuch0");
  fail_unless (text && strstr (text, "nosuch0"), "bad interface: '%s'", text);
  g_free (text);
  text = mst_start_error ("raw=true interface=rv0 qos-dscp=10");
  fail_unless (text && strstr (text, "qos-dscp"), "qos-dscp: '%s'", text);
  g_free (text);
  /* group and port are not needed. */
  text = mst_start_error ("raw=true interface=rv0");
  fail_unless (text == NULL, "raw start failed: %s", text);
}

GST_END_TEST;

/* Runs this program again without CAP_NET_RAW (as tests/raw does). */
GST_START_TEST (test_without_cap_net_raw)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  gchar *cmd;
  int status;

  fail_unless (n > 0);
  self[n] = '\0';
  /* The suite runs as root only, where dropping the capability must be
   * tested: without a tool for it that is a failure, not a pass. */
  if (system ("command -v setpriv >/dev/null 2>&1") == 0)
    cmd = g_strdup_printf ("setpriv --inh-caps=-all --bounding-set=-net_raw "
        "'%s' " CHILD_FLAG, self);
  else if (system ("command -v capsh >/dev/null 2>&1") == 0)
    cmd = g_strdup_printf ("capsh --drop=cap_net_raw -- -c \"exec '%s' "
        CHILD_FLAG "\"", self);
  else
    fail ("neither setpriv nor capsh is installed to drop CAP_NET_RAW");
  g_print ("dropping CAP_NET_RAW: %s\n", cmd);
  status = system (cmd);
  fail_unless (status != -1 && WIFEXITED (status), "`%s` did not run", cmd);
  fail_unless_equals_int (WEXITSTATUS (status), 0);
  g_free (cmd);
}

GST_END_TEST;

static void
expect_not_authorized (const char *props)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  TESTNET_CHECK (sink != NULL, "no mctxsink");
  gst_element_set_bus (sink, bus);
  /* Outside a check run: no fail_unless (mst_set_props) here. */
  g_auto (GStrv) items = g_strsplit (props, " ", -1);
  for (guint i = 0; items[i]; i++) {
    gchar **kv = g_strsplit (items[i], "=", 2);
    gst_util_set_object_arg (G_OBJECT (sink), kv[0], kv[1]);
    g_strfreev (kv);
  }
  TESTNET_CHECK (gst_element_set_state (sink, GST_STATE_READY)
      == GST_STATE_CHANGE_FAILURE, "%s: started without CAP_NET_RAW", props);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  TESTNET_CHECK (msg != NULL, "%s: no error message", props);
  gst_message_parse_error (msg, &err, NULL);
  TESTNET_CHECK (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s: error %s %d: %s", props,
      g_quark_to_string (err->domain), err->code, err->message);
  TESTNET_CHECK (g_str_has_prefix (err->message, "raw mode needs CAP_NET_RAW")
      && strstr (err->message, "raw sockets need CAP_NET_RAW"),
      "%s: message '%s'", props, err->message);
  printf ("ok %s: %s\n", props, err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bus);
}

static int
child_without_cap_net_raw (void)
{
  TESTNET_CHECK (!testnet_have_cap_net_raw (),
      "dropping CAP_NET_RAW did not take effect");
  gst_init (NULL, NULL);
  expect_not_authorized ("raw=true interface=rv0");
  expect_not_authorized ("raw=true source-addr=10.77.0.1");
  expect_not_authorized ("raw=true interface=fd77::1");
  /* No IPv4 address there: the privilege is still what is reported. */
  expect_not_authorized ("raw=true interface=gstraw6");
  return 0;
}

/* ---- the raw-replay example ----------------------------------------- */

static void
put32 (GByteArray * a, guint32 v)
{
  g_byte_array_append (a, (const guint8 *) &v, 4);      /* host order */
}

static void
pcap_frame (GByteArray * a, guint32 sec, const guint8 * frame, gsize len)
{
  put32 (a, sec);
  put32 (a, 250000);
  put32 (a, (guint32) len);
  put32 (a, (guint32) len);
  g_byte_array_append (a, frame, len);
}

/* An Ethernet frame around d (padded to 60 bytes like a real link). */
static void
pcap_ether (GByteArray * a, guint32 sec, const guint8 * d, gsize len,
    guint16 ethertype)
{
  guint8 frame[DATAGRAM_MAX] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x07
  };
  gsize flen = MAX (14 + len, 60);

  GST_WRITE_UINT16_BE (frame + 12, ethertype);
  memcpy (frame + 14, d, len);
  pcap_frame (a, sec, frame, flen);
}

static gchar *
write_pcap (guint32 linktype, GByteArray * frames)
{
  GByteArray *file = g_byte_array_new ();
  gchar *path = NULL;
  GError *error = NULL;
  int fd = g_file_open_tmp ("gstraw-XXXXXX.pcap", &path, &error);

  fail_unless (fd >= 0, "temporary file: %s", error ? error->message : "");
  close (fd);
  put32 (file, 0xa1b2c3d4);
  put32 (file, 2 | (4u << 16)); /* version 2.4, host order halves */
  put32 (file, 0);
  put32 (file, 0);
  put32 (file, 65535);
  put32 (file, linktype);
  g_byte_array_append (file, frames->data, frames->len);
  fail_unless (g_file_set_contents (path, (const gchar *) file->data,
          file->len, NULL));
  g_byte_array_unref (file);
  return path;
}

static gchar *
run_replay (const gchar * path)
{
  gchar *argv[] = { (gchar *) replay_program, (gchar *) path,
    (gchar *) "interface=rv0", (gchar *) "sync=false", NULL
  };
  gchar *out = NULL, *errout = NULL;
  GError *error = NULL;
  gint status = 0;

  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
          &out, &errout, &status, &error), "raw-replay: %s",
      error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "raw-replay failed: %s%s", out, errout);
  g_free (errout);
  return out;
}

GST_START_TEST (test_raw_replay_example)
{
  int capture = rawtest_capture_open (pair.peer, "rv1");
  Datagram v4, v6, uni, tiny, v6b, v4b;
  GByteArray *frames = g_byte_array_new ();
  const guint8 arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
  gchar *path, *out;

  /* Built whenever this test is (both need gstreamer-app). */
  fail_unless (replay_program != NULL,
      "the raw-replay example was not passed to the test: is it built?");
  /* Ethernet: IPv4 and IPv6 from far sources, an ARP frame and a unicast
   * datagram that are skipped, and a short datagram padded by the link. */
  far_ipv4 (&v4, GROUP4, "gstraw-replay-v4");
  far_ipv6 (&v6, GROUP6, "gstraw-replay-v6");
  far_ipv4 (&uni, "10.77.0.2", "gstraw-refused-replay");
  tiny.len = rawtest_ipv4_udp (tiny.bytes, FAR4, GROUP4, 4, 0x0101, 4000,
      5000, "tiny", 4);
  pcap_ether (frames, 1, v4.bytes, v4.len, 0x0800);
  pcap_ether (frames, 1, arp, sizeof arp, 0x0806);
  pcap_ether (frames, 1, uni.bytes, uni.len, 0x0800);
  pcap_ether (frames, 2, v6.bytes, v6.len, 0x86dd);
  pcap_ether (frames, 2, tiny.bytes, tiny.len, 0x0800);
  path = write_pcap (1, frames);

  out = run_replay (path);
  fail_unless (strstr (out, "replayed 3 datagrams: 3 sent, 0 dropped; "
          "skipped 1 not IP, 0 truncated, 1 not multicast"), "%s", out);
  g_free (out);
  expect_on_wire (capture, &v4, "gstraw-replay-v4");
  expect_on_wire (capture, &v6, "gstraw-replay-v6");
  expect_on_wire (capture, &tiny, "tiny");
  unlink (path);
  g_free (path);

  /* Raw IP link type: the datagrams as they are. */
  g_byte_array_set_size (frames, 0);
  far_ipv6 (&v6b, GROUP6, "gstraw-replay-rawip-v6");
  far_ipv4 (&v4b, GROUP4, "gstraw-replay-rawip-v4");
  pcap_frame (frames, 3, v6b.bytes, v6b.len);
  pcap_frame (frames, 3, v4b.bytes, v4b.len);
  path = write_pcap (101, frames);
  out = run_replay (path);
  fail_unless (strstr (out, "replayed 2 datagrams: 2 sent"), "%s", out);
  g_free (out);
  expect_on_wire (capture, &v6b, "gstraw-replay-rawip-v6");
  expect_on_wire (capture, &v4b, "gstraw-replay-rawip-v4");
  unlink (path);
  g_free (path);

  g_byte_array_unref (frames);
  close (capture);
}

GST_END_TEST;

static Suite *
mctxsink_raw_suite (void)
{
  Suite *s = suite_create ("mctxsink-raw");
  TCase *tc = tcase_create ("raw");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_far_sources_exact);
  tcase_add_test (tc, test_family_from_address);
  tcase_add_test (tc, test_any_destination_list);
  tcase_add_test (tc, test_route_selected);
  tcase_add_test (tc, test_ttl_override);
  tcase_add_test (tc, test_refused_never_leave);
  tcase_add_test (tc, test_start_errors);
  tcase_add_test (tc, test_without_cap_net_raw);
  tcase_add_test (tc, test_raw_replay_example);
  tcase_add_test (tc, test_raw_ipv4_full_queue_resent);
  return s;
}

int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], CHILD_FLAG) == 0)
    return child_without_cap_net_raw ();
  if (argc > 1)
    replay_program = argv[1];

  /* Private namespace, peer namespace, veth rv0 (here) / rv1 (peer). */
  rawtest_pair_setup (&pair);
  if (!testnet_have_cap_net_raw ())
    testnet_skip ("raw sockets need CAP_NET_RAW");
  /* An interface without an IPv4 address (nothing is sent on it). */
  testnet_sh_ok ("ip link add gstraw6 type veth peer name gstraw6p"
      " && ip link set gstraw6 up && ip link set gstraw6p up");

  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_raw_suite (), "mctxsink-raw", __FILE__);
}
