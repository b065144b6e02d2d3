/* mctxsink: sdp-file and announce. The file written for the caps and
 * rewritten when they change, the errors at start and for caps with no SDP
 * form, and SAP packets caught by a receiver joined to the SAP group
 * (announcement, then the deletion at stop; IPv4 and IPv6), parsed with
 * libmctx.
 * ffmpeg opening the written SDP is tests/sdp/run-sdp.sh.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctxsink-test.h"

#include <mctx.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define H264_CAPS "application/x-rtp,media=video,clock-rate=90000," \
  "encoding-name=H264,payload=96,packetization-mode=(string)1," \
  "profile-level-id=(string)42c01f,sprop-parameter-sets=(string)\"Z0LAH9kA,aMuDyyA=\""
#define TS_CAPS "video/mpegts,systemstream=(boolean)true,packetsize=188"
#define OPUS_CAPS "application/x-rtp,media=audio,clock-rate=48000," \
  "encoding-name=OPUS,payload=97,encoding-params=(string)2," \
  "sprop-stereo=(string)1,ssrc=(uint)1234,timestamp-offset=(uint)5"

static gchar *
temp_dir (void)
{
  gchar *dir = g_dir_make_tmp ("mctxsink-sdp-XXXXXX", NULL);

  fail_unless (dir != NULL);
  return dir;
}

/* A test's SDP file in a directory of its own, and the sink's properties
 * (sink_props, then sdp-file=<path>). */
typedef struct
{
  gchar *dir;
  gchar *path;
  gchar *props;
} SdpFile;

static void
sdp_file_init (SdpFile * f, const gchar * name, const gchar * sink_props)
{
  f->dir = temp_dir ();
  f->path = g_build_filename (f->dir, name, NULL);
  f->props = g_strdup_printf ("%s sdp-file=%s", sink_props, f->path);
}

static void
sdp_file_clear (SdpFile * f)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->props);
  g_free (f->path);
  g_free (f->dir);
}

static gchar *
read_text (const gchar * path)
{
  gchar *text = NULL;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL), "no %s", path);
  return text;
}

static void
set_caps (MstSender * s, const gchar * caps_text)
{
  GstCaps *caps = gst_caps_from_string (caps_text);

  fail_unless (caps != NULL, "%s", caps_text);
  gst_app_src_set_caps (GST_APP_SRC (s->src), caps);
  gst_caps_unref (caps);
}

/* Pushes one buffer and waits (bounded) until it was sent: the caps went
 * through set_caps before it. */
static void
push_and_wait (MstSender * s, guint64 sent_before)
{
  mst_sender_push (s, mst_buffer_of_strings ("rtp", NULL));
  for (int i = 0; i < 500 && mst_stat (s->sink, "packets-sent") <= sent_before;
      i++)
    g_usleep (10000);
  fail_unless (mst_stat (s->sink, "packets-sent") > sent_before,
      "the buffer did not go out");
}

static gchar *
without_origin (const gchar * sdp)
{
  GRegex *re = g_regex_new ("^o=.*\r\n", G_REGEX_MULTILINE, 0, NULL);
  gchar *out = g_regex_replace_literal (re, sdp, -1, 0, "", 0, NULL);

  g_regex_unref (re);
  return out;
}

/* EOS through s, then its pipeline and f's file and directory go. */
static void
finish_and_clear (MstSender * s, SdpFile * f)
{
  mst_sender_finish (s);
  mst_sender_free (s);
  sdp_file_clear (f);
}

/* Starts s with f's properties, gives it caps and one buffer, and returns
 * the SDP it wrote (g_free); *body gets the same without its o= line. */
static gchar *
start_and_read (SdpFile * f, MstSender * s, const gchar * caps, gchar ** body)
{
  gchar *text;

  mst_sender_start (s, f->props);
  set_caps (s, caps);
  push_and_wait (s, 0);
  text = read_text (f->path);
  *body = without_origin (text);
  return text;
}

GST_START_TEST (test_file_follows_caps)
{
  SdpFile f;
  MstSender s;
  gchar *first, *second, *body;
  unsigned long long id1, v1, id2, v2;

  sdp_file_init (&f, "stream.sdp", "group=239.255.12.70 port=5004 "
      "interface=lo");
  mst_sender_start (&s, f.props);
  fail_if (g_file_test (f.path, G_FILE_TEST_EXISTS), "written before caps");
  set_caps (&s, H264_CAPS);
  push_and_wait (&s, 0);
  first = read_text (f.path);
  body = without_origin (first);
  fail_unless_equals_string (body,
      "v=0\r\n"
      "s=mctxsink\r\n"
      "c=IN IP4 239.255.12.70/1\r\n"
      "t=0 0\r\n"
      "m=video 5004 RTP/AVP 96\r\n"
      "a=rtpmap:96 H264/90000\r\n"
      "a=fmtp:96 packetization-mode=1;profile-level-id=42c01f;"
      "sprop-parameter-sets=Z0LAH9kA,aMuDyyA=\r\n");
  g_free (body);
  fail_unless (sscanf (first, "v=0\r\no=- %llu %llu IN IP4 127.0.0.1\r\n",
          &id1, &v1) == 2, "%s", first);

  /* New caps: a new version of the same session, the file replaced. */
  set_caps (&s, OPUS_CAPS);
  push_and_wait (&s, 1);
  second = read_text (f.path);
  body = without_origin (second);
  fail_unless_equals_string (body,
      "v=0\r\n"
      "s=mctxsink\r\n"
      "c=IN IP4 239.255.12.70/1\r\n"
      "t=0 0\r\n"
      "m=audio 5004 RTP/AVP 97\r\n"
      "a=rtpmap:97 OPUS/48000/2\r\n" "a=fmtp:97 sprop-stereo=1\r\n");
  g_free (body);
  fail_unless (sscanf (second, "v=0\r\no=- %llu %llu", &id2, &v2) == 2);
  fail_unless (id2 == id1 && v2 == v1 + 1, "o= %llu %llu after %llu %llu",
      id2, v2, id1, v1);
  /* Nothing but the file is left in the directory (no temporary file). */
  {
    GDir *d = g_dir_open (f.dir, 0, NULL);
    const gchar *name;
    int n = 0;

    while ((name = g_dir_read_name (d)) != NULL) {
      fail_unless_equals_string (name, "stream.sdp");
      n++;
    }
    g_dir_close (d);
    fail_unless_equals_int (n, 1);
  }

  finish_and_clear (&s, &f);
  g_free (first);
  g_free (second);
}

GST_END_TEST;

GST_START_TEST (test_ssm_names_the_source)
{
  SdpFile f;
  MstSender s;
  gchar *text, *body;

  sdp_file_init (&f, "ssm.sdp", "group=232.0.12.70 port=5008 ttl=3 "
      "source-addr=127.0.0.1 interface=lo");
  text = start_and_read (&f, &s, TS_CAPS, &body);
  fail_unless_equals_string (body,
      "v=0\r\n"
      "s=mctxsink\r\n"
      "c=IN IP4 232.0.12.70/3\r\n"
      "t=0 0\r\n"
      "a=source-filter: incl IN IP4 232.0.12.70 127.0.0.1\r\n"
      "m=video 5008 udp 33\r\n" "a=rtpmap:33 MP2T/90000\r\n");
  finish_and_clear (&s, &f);
  g_free (body);
  g_free (text);
}

GST_END_TEST;

GST_START_TEST (test_unwritable_path_fails_at_start)
{
  gchar *dir = temp_dir ();
  gchar *props, *error;

  error = mst_start_error ("group=239.255.12.71 interface=lo "
      "sdp-file=/nonexistent-mctx/dir/x.sdp");
  fail_unless (error != NULL, "started");
  fail_unless (strstr (error, "sdp-file '/nonexistent-mctx/dir/x.sdp'")
      != NULL, "%s", error);
  g_free (error);

  /* A directory where the file should be. */
  props = g_strdup_printf ("group=239.255.12.71 interface=lo sdp-file=%s", dir);
  error = mst_start_error (props);
  fail_unless (error != NULL, "started");
  fail_unless (strstr (error, dir) != NULL && strstr (error, "directory"),
      "%s", error);
  g_free (error);
  g_free (props);

  /* Raw mode opens its socket first: without CAP_NET_RAW that is the
   * error. */
  if (geteuid () == 0) {
    error = mst_start_error ("raw=true interface=lo sdp-file=/tmp/x.sdp");
    fail_unless (error != NULL && strstr (error, "sdp-file needs a group"),
        "%s", error);
    g_free (error);
  }

  error = mst_start_error ("group=239.1.2.3 interface=lo announce=true");
  fail_unless (error != NULL && strstr (error, "announce=true")
      && strstr (error, "239.1.2.3"), "%s", error);
  g_free (error);
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_caps_without_sdp_form_are_refused)
{
  SdpFile f;
  MstSender s;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  sdp_file_init (&f, "raw.sdp", "group=239.255.12.72 interface=lo");
  mst_sender_start (&s, f.props);
  set_caps (&s, "video/x-raw,format=I420,width=8,height=8");
  gst_app_src_push_buffer (GST_APP_SRC (s.src),
      mst_buffer_of_strings ("x", NULL));
  bus = gst_element_get_bus (s.pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "caps video/x-raw") != NULL
      && strstr (err->message, "no SDP form") != NULL, "%s", err->message);
  fail_if (g_file_test (f.path, G_FILE_TEST_EXISTS));
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (bus);
  mst_sender_free (&s);
  sdp_file_clear (&f);
}

GST_END_TEST;

/* Waits (bounded) for a SAP packet of the given type on fd and parses it;
 * the packet stays in buf. */
static void
recv_sap_within (int fd, guint8 * buf, gsize cap, mctx_sap_message_type type,
    mctx_sap_packet * p, gchar * from, gsize from_size, int timeout_ms)
{
  for (int tries = 0; tries < 10; tries++) {
    ssize_t n = mcast_recv_within (fd, buf, cap, 0, from, from_size, NULL,
        timeout_ms);
    mctx_error err;

    fail_unless (n > 0, "no SAP packet within %d ms", timeout_ms);
    fail_unless (mctx_sap_packet_parse (buf, (size_t) n, p, &err) == MCTX_OK,
        "%s", err.message);
    if (p->type == type)
      return;
  }
  fail ("no SAP packet of type %d", type);
}

static void
recv_sap (int fd, guint8 * buf, gsize cap, mctx_sap_message_type type,
    mctx_sap_packet * p, gchar * from, gsize from_size)
{
  recv_sap_within (fd, buf, cap, type, p, from, from_size, 5000);
}

/* announce=true to group from source on lo, caught by a receiver joined
 * to sap_group: the announcement carries the file's SDP, and the deletion
 * at stop its o= line, with the same hash. */
static void
check_sap (const gchar * group, const gchar * source, const gchar * sap_group)
{
  SdpFile f;
  int fd = mcast_receiver (NULL, sap_group, MCTX_SAP_PORT,
      testnet_ifindex ("lo"), "127.0.0.1", NULL);
  guint8 buf[4096];
  gchar from[64], *sink_props;
  mctx_sap_packet p;
  mctx_ip origin;
  MstSender s;
  gchar *sdp, *o_line;
  guint16 hash;

  fail_unless (mctx_ip_parse (source, &origin, NULL) == MCTX_OK);
  sink_props = g_strdup_printf ("group=%s port=5010 source-addr=%s "
      "interface=lo announce=true", group, source);
  sdp_file_init (&f, "sap.sdp", sink_props);
  g_free (sink_props);
  mst_sender_start (&s, f.props);
  set_caps (&s, H264_CAPS);
  push_and_wait (&s, 0);

  recv_sap (fd, buf, sizeof buf, MCTX_SAP_ANNOUNCE, &p, from, sizeof from);
  sdp = read_text (f.path);
  fail_unless_equals_int (p.version, 1);
  fail_if (p.encrypted || p.compressed);
  fail_unless (mctx_ip_equal (&p.origin, &origin));
  fail_unless_equals_string (from, source);
  fail_unless_equals_string (p.payload_type, "application/sdp");
  fail_unless_equals_int (p.payload_len, strlen (sdp));
  fail_unless (memcmp (p.payload, sdp, p.payload_len) == 0,
      "announced\n%.*s\nfile\n%s", (int) p.payload_len, p.payload, sdp);
  hash = p.message_id_hash;
  fail_unless_equals_int (hash, mctx_sap_message_id_hash (sdp, strlen (sdp)));

  mst_sender_finish (&s);
  mst_sender_free (&s);
  recv_sap (fd, buf, sizeof buf, MCTX_SAP_DELETE, &p, from, sizeof from);
  fail_unless_equals_int (p.message_id_hash, hash);
  fail_unless (mctx_ip_equal (&p.origin, &origin));
  o_line = g_strndup ((const gchar *) p.payload, p.payload_len);
  fail_unless (g_str_has_prefix (o_line, "o=- ")
      && strstr (sdp, o_line) != NULL, "deletion '%s'", o_line);

  close (fd);
  sdp_file_clear (&f);
  g_free (o_line);
  g_free (sdp);
}

GST_START_TEST (test_sap_ipv4_local_scope)
{
  check_sap ("239.255.12.73", "127.0.0.1", "239.255.255.255");
}

GST_END_TEST;

GST_START_TEST (test_sap_ipv6_site_scope)
{
  check_sap ("ff15::8000:73", "::1", "ff05::2:7ffe");
}

GST_END_TEST;

/* The media lines of H264_CAPS after a leg's own lines. */
#define H264_MEDIA_ATTRIBUTES "a=rtpmap:96 H264/90000\r\n" \
  "a=fmtp:96 packetization-mode=1;profile-level-id=42c01f;" \
  "sprop-parameter-sets=Z0LAH9kA,aMuDyyA=\r\n"

/* Two IPv4 legs (the element's group and one destination, each with its
 * group, port and ttl), announced: one m= per leg and a=group:DUP in the
 * file; one SAP announcement of that SDP from the first leg, repeated
 * within seconds (the 5 s floor of the interval), and the deletion at
 * stop. */
GST_START_TEST (test_dup_two_ipv4_legs_announced)
{
  SdpFile f;
  MstSender s;
  int fd = mcast_receiver (NULL, "239.255.255.255", MCTX_SAP_PORT,
      testnet_ifindex ("lo"), "127.0.0.1", NULL);
  guint8 buf[4096];
  gchar from[64], *text, *body;
  mctx_sap_packet p;
  guint16 hash;

  sdp_file_init (&f, "dup.sdp", "group=239.255.12.74 port=5012 "
      "source-addr=127.0.0.1 interface=lo announce=true destinations="
      "mctx://127.0.0.1@239.255.12.75:5014?interface=lo&ttl=2");
  text = start_and_read (&f, &s, H264_CAPS, &body);
  fail_unless_equals_string (body,
      "v=0\r\n"
      "s=mctxsink\r\n"
      "t=0 0\r\n"
      "a=group:DUP leg1 leg2\r\n"
      "m=video 5012 RTP/AVP 96\r\n"
      "c=IN IP4 239.255.12.74/1\r\n"
      "a=source-filter: incl IN IP4 239.255.12.74 127.0.0.1\r\n"
      "a=mid:leg1\r\n"
      H264_MEDIA_ATTRIBUTES
      "m=video 5014 RTP/AVP 96\r\n"
      "c=IN IP4 239.255.12.75/2\r\n"
      "a=source-filter: incl IN IP4 239.255.12.75 127.0.0.1\r\n"
      "a=mid:leg2\r\n" H264_MEDIA_ATTRIBUTES);
  fail_unless (g_str_has_prefix (text, "v=0\r\no=- ")
      && strstr (text, " 1 IN IP4 127.0.0.1\r\n") != NULL, "%s", text);

  recv_sap (fd, buf, sizeof buf, MCTX_SAP_ANNOUNCE, &p, from, sizeof from);
  fail_unless_equals_string (from, "127.0.0.1");
  fail_unless (p.payload_len == strlen (text)
      && memcmp (p.payload, text, p.payload_len) == 0,
      "announced\n%.*s", (int) p.payload_len, p.payload);
  hash = p.message_id_hash;
  /* The next announcement of the same SDP comes 5 to 6.7 s later. */
  recv_sap_within (fd, buf, sizeof buf, MCTX_SAP_ANNOUNCE, &p, from,
      sizeof from, 10000);
  fail_unless_equals_int (p.message_id_hash, hash);
  fail_unless (p.payload_len == strlen (text)
      && memcmp (p.payload, text, p.payload_len) == 0);

  mst_sender_finish (&s);
  mst_sender_free (&s);
  recv_sap (fd, buf, sizeof buf, MCTX_SAP_DELETE, &p, from, sizeof from);
  fail_unless_equals_int (p.message_id_hash, hash);
  close (fd);
  sdp_file_clear (&f);
  g_free (body);
  g_free (text);
}

GST_END_TEST;

/* Destinations only, an IPv4 SSM leg and an IPv6 leg: each m= has the
 * c= of its family; o= names the first leg's source. */
GST_START_TEST (test_dup_ipv4_and_ipv6_legs)
{
  SdpFile f;
  MstSender s;
  gchar *text, *body;

  sdp_file_init (&f, "dual.sdp", "destinations="
      "mctx://127.0.0.1@232.0.12.76:5016?interface=lo,"
      "mctx://[::1]@[ff15::8000:76]:5018?interface=lo");
  text = start_and_read (&f, &s, TS_CAPS, &body);
  fail_unless_equals_string (body,
      "v=0\r\n"
      "s=mctxsink\r\n"
      "t=0 0\r\n"
      "a=group:DUP leg1 leg2\r\n"
      "m=video 5016 udp 33\r\n"
      "c=IN IP4 232.0.12.76/1\r\n"
      "a=source-filter: incl IN IP4 232.0.12.76 127.0.0.1\r\n"
      "a=mid:leg1\r\n"
      "a=rtpmap:33 MP2T/90000\r\n"
      "m=video 5018 udp 33\r\n"
      "c=IN IP6 ff15::8000:76\r\n"
      "a=source-filter: incl IN IP6 ff15::8000:76 ::1\r\n"
      "a=mid:leg2\r\n" "a=rtpmap:33 MP2T/90000\r\n");
  fail_unless (strstr (text, " IN IP4 127.0.0.1\r\n") != NULL, "%s", text);
  finish_and_clear (&s, &f);
  g_free (body);
  g_free (text);
}

GST_END_TEST;

static guint64
version_of (const gchar * sdp)
{
  unsigned long long id, version;

  fail_unless (sscanf (sdp, "v=0\r\no=- %llu %llu", &id, &version) == 2,
      "%s", sdp);
  return version;
}

/* Destinations added and removed while playing: the file is rewritten when
 * they are set, a new version each time, and back to one leg's form. */
GST_START_TEST (test_live_legs_rewrite_the_file)
{
  SdpFile f;
  MstSender s;
  gchar *one, *two, *again, *one_body, *body;

  sdp_file_init (&f, "live.sdp", "group=239.255.12.77 port=5020 "
      "source-addr=127.0.0.1 interface=lo");
  one = start_and_read (&f, &s, OPUS_CAPS, &one_body);
  fail_if (strstr (one, "a=group:DUP") != NULL, "%s", one);

  g_object_set (s.sink, "destinations",
      "mctx://127.0.0.1@239.255.12.78:5022?interface=lo", NULL);
  two = read_text (f.path);
  body = without_origin (two);
  fail_unless_equals_string (body,
      "v=0\r\n"
      "s=mctxsink\r\n"
      "t=0 0\r\n"
      "a=group:DUP leg1 leg2\r\n"
      "m=audio 5020 RTP/AVP 97\r\n"
      "c=IN IP4 239.255.12.77/1\r\n"
      "a=source-filter: incl IN IP4 239.255.12.77 127.0.0.1\r\n"
      "a=mid:leg1\r\n"
      "a=rtpmap:97 OPUS/48000/2\r\n"
      "a=fmtp:97 sprop-stereo=1\r\n"
      "m=audio 5022 RTP/AVP 97\r\n"
      "c=IN IP4 239.255.12.78/1\r\n"
      "a=source-filter: incl IN IP4 239.255.12.78 127.0.0.1\r\n"
      "a=mid:leg2\r\n"
      "a=rtpmap:97 OPUS/48000/2\r\n" "a=fmtp:97 sprop-stereo=1\r\n");
  g_free (body);
  fail_unless (version_of (two) == version_of (one) + 1, "%s", two);
  push_and_wait (&s, mst_stat (s.sink, "packets-sent"));

  g_object_set (s.sink, "destinations", "", NULL);
  again = read_text (f.path);
  fail_unless (version_of (again) == version_of (two) + 1, "%s", again);
  body = without_origin (again);
  fail_unless_equals_string (body, one_body);
  g_free (one_body);
  finish_and_clear (&s, &f);
  g_free (body);
  g_free (one);
  g_free (two);
  g_free (again);
}

GST_END_TEST;

static Suite *
mctxsink_sdp_suite (void)
{
  Suite *s = suite_create ("mctxsink-sdp");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_file_follows_caps);
  tcase_add_test (tc, test_ssm_names_the_source);
  tcase_add_test (tc, test_unwritable_path_fails_at_start);
  tcase_add_test (tc, test_caps_without_sdp_form_are_refused);
  tcase_add_test (tc, test_sap_ipv4_local_scope);
  tcase_add_test (tc, test_dup_two_ipv4_legs_announced);
  tcase_add_test (tc, test_live_legs_rewrite_the_file);
  /* IPv6 multicast on lo needs the ff00::/8 route of a private namespace. */
  if (geteuid () == 0) {
    tcase_add_test (tc, test_sap_ipv6_site_scope);
    tcase_add_test (tc, test_dup_ipv4_and_ipv6_legs);
  } else {
    g_print ("SKIP: test_sap_ipv6_site_scope and test_dup_ipv4_and_ipv6_legs "
        "need root (a private network namespace with IPv6 multicast on "
        "lo)\n");
  }
  return s;
}

int
main (int argc, char **argv)
{
  return mst_main_private_netns (&argc, &argv, mctxsink_sdp_suite,
      "mctxsink-sdp", __FILE__);
}
