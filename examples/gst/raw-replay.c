/* raw-replay: puts the multicast IP datagrams of a pcap file back on a link,
 * exactly as captured, through `appsrc ! mctxsink raw=true`. This is what an
 * AMT gateway does with the datagrams it unwraps; here they come from a file.
 *
 *   raw-replay FILE.pcap [MCTXSINK-PROPERTY=VALUE ...]
 *   raw-replay capture.pcap interface=eth1
 *   raw-replay capture.pcap interface=eth1 ttl=8 sync=false
 *
 * The file is a classic pcap (not pcapng; microsecond or nanosecond
 * timestamps, either byte order) of link type Ethernet (VLAN tags skipped),
 * Linux cooked (SLL), or raw IP. Each frame's IPv4 or IPv6 datagram (link
 * padding trimmed) becomes one buffer, timestamped from the capture, so the
 * sink replays them at the captured pace; add sync=false to send them as
 * fast as the link takes them. The TTL / hop limit is kept (ttl=-1) unless a
 * ttl=N argument overrides it. Frames that are not IP, cut short by the
 * capture's snap length, or not to a multicast group are skipped and
 * counted. Needs CAP_NET_RAW (the sink says so otherwise).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_IPV4 228
#define LINKTYPE_IPV6 229
/* Larger than any IP datagram with its link header. */
#define FRAME_MAX (65535 + 40 + 64)

typedef struct
{
  FILE *file;
  gboolean swapped;             /* written on a host of the other byte order */
  gboolean nanoseconds;
  guint32 linktype;
} Pcap;

typedef struct
{
  guint64 replayed, not_ip, truncated, not_multicast;
} Counts;

static guint32
pcap_u32 (const Pcap * p, const guint8 * b)
{
  guint32 v;

  memcpy (&v, b, 4);
  return p->swapped ? GUINT32_SWAP_LE_BE (v) : v;
}

static gboolean
pcap_open (Pcap * p, const char *path, GError ** error)
{
  guint8 h[24];
  guint32 magic;

  memset (p, 0, sizeof *p);
  p->file = fopen (path, "rb");
  if (p->file == NULL || fread (h, 1, sizeof h, p->file) != sizeof h) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "cannot read a pcap header from %s", path);
    return FALSE;
  }
  memcpy (&magic, h, 4);
  p->swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  magic = pcap_u32 (p, h);
  p->nanoseconds = magic == 0xa1b23c4d;
  if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "%s is not a classic pcap file (magic %08x; pcapng is not read: "
        "convert it with `editcap -F pcap`)", path, magic);
    return FALSE;
  }
  p->linktype = pcap_u32 (p, h + 20) & 0xffff;
  if (p->linktype != LINKTYPE_ETHERNET && p->linktype != LINKTYPE_RAW
      && p->linktype != LINKTYPE_LINUX_SLL && p->linktype != LINKTYPE_IPV4
      && p->linktype != LINKTYPE_IPV6) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "%s has link type %u; Ethernet (1), raw IP (101, 228, 229) and "
        "Linux cooked (113) are read", path, p->linktype);
    return FALSE;
  }
  return TRUE;
}

/* Reads the next frame: its length (0 at the end of the file), the captured
 * length on the wire in *wire_len, the time in nanoseconds in *ts. */
static gsize
pcap_next (Pcap * p, guint8 * frame, gsize * wire_len, guint64 * ts)
{
  guint8 r[16];
  guint32 len;

  if (fread (r, 1, sizeof r, p->file) != sizeof r)
    return 0;
  len = pcap_u32 (p, r + 8);
  *wire_len = pcap_u32 (p, r + 12);
  *ts = pcap_u32 (p, r) * GST_SECOND + pcap_u32 (p, r + 4)
      * (p->nanoseconds ? 1 : GST_USECOND);
  if (len == 0 || len > FRAME_MAX || fread (frame, 1, len, p->file) != len)
    return 0;
  return len;
}

/* Finds the IP datagram in a frame: its offset, or -1 when it is not IP. */
static gssize
ip_offset (guint32 linktype, const guint8 * f, gsize len)
{
  gsize off;
  guint type;

  switch (linktype) {
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return 0;
    case LINKTYPE_LINUX_SLL:
      if (len < 16)
        return -1;
      type = GST_READ_UINT16_BE (f + 14);
      off = 16;
      break;
    default:                   /* Ethernet, with any 802.1Q / 802.1ad tags */
      off = 12;
      do {
        if (len < off + 2)
          return -1;
        type = GST_READ_UINT16_BE (f + off);
        off += 2;
        if (type == 0x8100 || type == 0x88a8)
          off += 2;
      } while (type == 0x8100 || type == 0x88a8);
      break;
  }
  return type == 0x0800 || type == 0x86dd ? (gssize) off : -1;
}

/* The datagram's own length (the link may pad it), 0 when not IP or cut. */
static gsize
ip_length (const guint8 * d, gsize avail)
{
  gsize len = 0;

  if (avail >= 20 && d[0] >> 4 == 4)
    len = GST_READ_UINT16_BE (d + 2);
  else if (avail >= 40 && d[0] >> 4 == 6)
    len = 40 + GST_READ_UINT16_BE (d + 4);
  return len <= avail ? len : 0;
}

static gboolean
is_multicast_destination (const guint8 * d)
{
  return d[0] >> 4 == 4 ? (d[16] & 0xf0) == 0xe0 : d[24] == 0xff;
}

/* Pushes every multicast datagram of the file; FALSE when the pipeline
 * stopped taking them (an error, which the bus then tells). */
static gboolean
replay (Pcap * p, GstAppSrc * src, Counts * counts)
{
  guint8 *frame = g_malloc (FRAME_MAX);
  gboolean first = TRUE, ok = TRUE;
  guint64 start = 0, ts;
  gsize len, wire_len;

  while (ok && (len = pcap_next (p, frame, &wire_len, &ts)) > 0) {
    gssize off = ip_offset (p->linktype, frame, len);
    gsize dlen = off < 0 ? 0 : ip_length (frame + off, len - off);
    GstBuffer *buffer;

    if (off < 0 || (dlen == 0 && len == wire_len)) {
      counts->not_ip++;
      continue;
    }
    if (dlen == 0) {
      counts->truncated++;
      continue;
    }
    if (!is_multicast_destination (frame + off)) {
      counts->not_multicast++;
      continue;
    }
    if (first)
      start = ts;
    first = FALSE;
    buffer = gst_buffer_new_memdup (frame + off, dlen);
    GST_BUFFER_PTS (buffer) = ts >= start ? ts - start : 0;
    ok = gst_app_src_push_buffer (src, buffer) == GST_FLOW_OK;
    counts->replayed += ok;
  }
  g_free (frame);
  return ok;
}

/* Returns 0 at EOS, 1 after an error; warnings are shown. */
static int
run_bus (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  int status = -1;

  while (status < 0) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_EOS);
    GError *err = NULL;

    if (msg == NULL) {
      g_printerr ("raw-replay: nothing happened for 60 s, giving up\n");
      status = 1;
      break;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("raw-replay: error: %s\n", err->message);
      status = 1;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (msg, &err, NULL);
      g_printerr ("raw-replay: warning: %s\n", err->message);
    } else {
      status = 0;
    }
    g_clear_error (&err);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return status;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GstElement *pipeline, *src, *sink;
  GstStructure *stats = NULL;
  guint64 sent = 0, dropped = 0;
  Counts counts = { 0 };
  Pcap pcap;
  int status;

  gst_init (&argc, &argv);
  if (argc < 2 || argv[1][0] == '-') {
    g_printerr ("usage: raw-replay FILE.pcap [MCTXSINK-PROPERTY=VALUE ...]\n"
        "  e.g. raw-replay capture.pcap interface=eth1 sync=false\n");
    return 2;
  }
  if (!pcap_open (&pcap, argv[1], &error)) {
    g_printerr ("raw-replay: %s\n", error->message);
    return 1;
  }

  pipeline = gst_pipeline_new ("raw-replay");
  src = gst_element_factory_make ("appsrc", NULL);
  sink = gst_element_factory_make ("mctxsink", NULL);
  if (src == NULL || sink == NULL) {
    g_printerr ("raw-replay: appsrc or mctxsink is missing (GST_PLUGIN_PATH?)"
        "\n");
    return 1;
  }
  g_object_set (src, "format", GST_FORMAT_TIME, "block", TRUE, NULL);
  /* As captured: the datagrams keep their own TTL / hop limit unless a
   * ttl=N argument overrides it. */
  g_object_set (sink, "raw", TRUE, "ttl", -1, NULL);
  for (int i = 2; i < argc; i++) {
    gchar **kv = g_strsplit (argv[i], "=", 2);

    if (kv[0] == NULL || kv[1] == NULL
        || !g_object_class_find_property (G_OBJECT_GET_CLASS (sink), kv[0])) {
      g_printerr ("raw-replay: '%s' is not an mctxsink property=value\n",
          argv[i]);
      return 2;
    }
    gst_util_set_object_arg (G_OBJECT (sink), kv[0], kv[1]);
    g_strfreev (kv);
  }
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  gst_element_link (src, sink);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    run_bus (pipeline);         /* tells the error */
    status = 1;
  } else {
    replay (&pcap, GST_APP_SRC (src), &counts);
    gst_app_src_end_of_stream (GST_APP_SRC (src));
    status = run_bus (pipeline);
  }

  g_object_get (sink, "send-stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "packets-sent", &sent);
  gst_structure_get_uint64 (stats, "packets-dropped", &dropped);
  g_print ("replayed %" G_GUINT64_FORMAT " datagrams: %" G_GUINT64_FORMAT
      " sent, %" G_GUINT64_FORMAT " dropped; skipped %" G_GUINT64_FORMAT
      " not IP, %" G_GUINT64_FORMAT " truncated, %" G_GUINT64_FORMAT
      " not multicast\n", counts.replayed, sent, dropped, counts.not_ip,
      counts.truncated, counts.not_multicast);
  gst_structure_free (stats);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  fclose (pcap.file);
  return status;
}
