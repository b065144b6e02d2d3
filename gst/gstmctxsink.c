/* mctxsink: one multicast UDP datagram per buffer, through libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * GObject and GstBaseSink glue: properties, start/stop, the basesink
 * virtual methods. Everything on the way to the socket is the sender's
 * (gstmctxsender.c); docs/architecture.md draws the files of gst/.
 */

/**
 * SECTION:element-mctxsink
 * @title: mctxsink
 * @see_also: udpsink, multiudpsink, udpsrc
 *
 * mctxsink sends every buffer it receives as one UDP datagram to an IPv4 or
 * IPv6 multicast group, from exactly the source (#GstMctxSink:source-addr)
 * and through exactly the interface (#GstMctxSink:interface) it is told. A
 * #GstBufferList goes out in as few system calls as the kernel allows (UDP
 * GSO, sendmmsg); a buffer of several memories is sent without a copy. A
 * bad setting is an error that names the property and the value, never a
 * silent default; the group is never joined. With #GstMctxSink:raw every
 * buffer is a complete IP datagram, sent as given (an AMT gateway's
 * re-emission of (S,G) traffic).
 *
 * #GstMctxSink:pacing-rate spreads the datagrams of each buffer or list at
 * a rate on the wire, so that a frame handed over at once does not
 * overflow a switch port's buffer.
 *
 * The destination (group, port, source-addr, source-port, interface) and
 * ttl, loop, qos-dscp and the pacing may change while playing: the next buffer goes out
 * the new way, nothing is lost or sent twice, and a refused value is a
 * warning while the stream goes on unchanged. The element may start
 * without a group (GstHarness idiom); a buffer with none is an error.
 *
 * Receivers learn the stream from its session description:
 * #GstMctxSink:sdp-file writes the SDP of the caps (RTP, or MPEG-TS in UDP)
 * and rewrites it when they change; #GstMctxSink:announce sends it as SAP
 * announcements (docs/sdp.md).
 *
 * The full reference (every property, every error text, raw mode, the
 * differences from udpsink) is docs/mctxsink.md.
 *
 * ## Examples
 *
 * A test video as RTP/JPEG to a group on the loopback interface:
 * |[
 * gst-launch-1.0 videotestsrc ! jpegenc ! rtpjpegpay ! \
 *     mctxsink group=239.255.12.42 port=5004 interface=lo
 * ]|
 * and to receive it:
 * |[
 * gst-launch-1.0 udpsrc address=239.255.12.42 port=5004 multicast-iface=lo \
 *     caps="application/x-rtp,media=video,encoding-name=JPEG,clock-rate=90000,payload=26" ! \
 *     rtpjpegdepay ! jpegdec ! autovideosink
 * ]|
 * IPv6 source-specific multicast, from exactly fd00::1 out of eth0:
 * |[
 * gst-launch-1.0 audiotestsrc ! audioconvert ! rtpL16pay ! \
 *     mctxsink group=ff3e::8000:1234 port=5004 source-addr=fd00::1 interface=eth0
 * ]|
 * MPEG-TS, packetized first so that no buffer exceeds a datagram:
 * |[
 * gst-launch-1.0 videotestsrc ! x264enc ! mpegtsmux ! rtpmp2tpay ! \
 *     mctxsink group=239.255.12.43 port=5004 interface=lo
 * ]|
 * Complete IP datagrams (needs CAP_NET_RAW):
 * |[
 * appsrc name=tunnel format=time ! mctxsink raw=true interface=eth1 ttl=-1
 * ]|
 * The same settings as a URI: `mctx://[fd00::1]@[ff3e::8000:1234]:5004?interface=eth0&ttl=8`.
 *
 * ## Messages
 *
 * Every #GstMctxSink:metrics-interval while PAUSED or PLAYING, and once
 * more at the end of each stream (EOS, or stop without EOS; `final` is
 * %TRUE then), the element posts an element message named `mctx-metrics`,
 * from a thread of its own; #GstMctxSink:send-stats has the same fields:
 *
 * * #guint64 `packets-sent`, `bytes-sent`: datagrams sent since the element
 *   started, and their bytes (UDP payload; in raw mode the IP datagram).
 * * #guint64 `send-calls`: datagrams tried (sent + failed attempts).
 * * #guint64 `send-errors`: failed attempts, would-blocks and resent
 *   ENOBUFS included.
 * * #guint64 `would-block`: attempts that found the socket buffer full.
 * * #guint64 `packets-dropped`: buffers the element gave up on. Every
 *   rendered buffer is in exactly one of packets-sent and packets-dropped.
 * * #guint64 `interval`: nanoseconds since the previous message.
 * * #gdouble `packets-per-sec`, `bytes-per-sec`: over that interval.
 * * #GstClockTime `running-time`: of the last buffer rendered, or
 *   %GST_CLOCK_TIME_NONE.
 * * #gchararray `group`, #gint `port`, #gchararray `source`: where the
 *   datagrams go now, and the effective source (empty and 0 in raw mode).
 * * #gboolean `final`: the last message of a stream.
 * * #GstValueArray `legs`, only with #GstMctxSink:destinations: one
 *   `mctx-leg` structure per leg (#gchararray `destination`, #gboolean
 *   `open`, `stalled`, #guint64 `packets-sent`, `bytes-sent`,
 *   `packets-dropped`, `send-errors`); the counters above are then the
 *   totals over every leg.
 *
 * Send errors are warnings, at most one a second per error, saying how
 * many datagrams failed; "Message too long" names the buffer's size and
 * the limit. A full socket waits (#GstMctxSink:block) in a wait that a
 * flush or state change interrupts at once.
 */

#include "gstmctxsink.h"
#include "gstmctxsender.h"
#include "gstmctxsinkdebug.h"
#include "gstmctxsinkgather.h"
#include "gstmctxsinkmetrics.h"
#include "gstmctxsinksdp.h"
#include "gstmctxsinkraw.h"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

#define DEFAULT_GROUP           NULL
#define DEFAULT_PORT            5004
#define DEFAULT_SOURCE_ADDR     NULL
#define DEFAULT_SOURCE_PORT     0
#define DEFAULT_INTERFACE       NULL
#define DEFAULT_TTL             1
#define DEFAULT_LOOP            TRUE
#define DEFAULT_QOS_DSCP        (-1)
#define DEFAULT_BUFFER_SIZE     0
#define DEFAULT_BLOCK           TRUE
#define DEFAULT_SOCKET          NULL
#define DEFAULT_RAW             FALSE
#define DEFAULT_RAW_VALIDATION  MCTX_RAW_VALIDATION_STRICT_MULTICAST
#define DEFAULT_GSO             MCTX_GSO_AUTO
#define DEFAULT_PACING_RATE     0
#define DEFAULT_PACING_BURST    2
#define DEFAULT_GATHER          1
#define DEFAULT_GATHER_LATENCY  (1 * GST_MSECOND)
#define DEFAULT_SDP_FILE        NULL
#define DEFAULT_ANNOUNCE        FALSE
/* A GSO call carries at most 64 datagrams (docs/gso.md). */
#define GATHER_MAX              64

/* Set while playing: the streaming thread applies them at the next buffer
 * (gst_mctx_sender_stage). */
#define LIVE (G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING | \
    G_PARAM_STATIC_STRINGS)
/* They shape the socket, which is open from READY on: refused from start()
 * until stop(). */
#define AT_START (G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | \
    G_PARAM_STATIC_STRINGS)

/* The values are libmctx's mctx_gso_mode. "false" and "true" are kept as
 * aliases of off and on, so that gso=false from before the property was
 * an enum still works (gst-launch, mctx:// URIs). */
#define GST_TYPE_MCTX_SINK_GSO (gst_mctx_sink_gso_get_type ())
static GType
gst_mctx_sink_gso_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MCTX_GSO_AUTO, "GSO only where the egress qdisc keeps GSO packets "
          "whole (noqueue, pfifo, bfifo, pfifo_fast, mq of those)", "auto"},
    {MCTX_GSO_ON, "GSO wherever the kernel has it, whatever the qdisc",
        "on"},
    {MCTX_GSO_OFF, "Never GSO: every datagram its own packet", "off"},
    {MCTX_GSO_ON, "Alias of on", "true"},
    {MCTX_GSO_OFF, "Alias of off", "false"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMctxSinkGso", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

enum
{
  PROP_0,
  PROP_GROUP,
  PROP_PORT,
  PROP_SOURCE_ADDR,
  PROP_SOURCE_PORT,
  PROP_INTERFACE,
  PROP_TTL,
  PROP_LOOP,
  PROP_QOS_DSCP,
  PROP_BUFFER_SIZE,
  PROP_BLOCK,
  PROP_SOCKET,
  PROP_RAW,
  PROP_RAW_VALIDATION,
  PROP_SEND_STATS,
  PROP_GATHER,
  PROP_GATHER_LATENCY,
  PROP_GSO,
  PROP_SDP_FILE,
  PROP_ANNOUNCE,
  PROP_PACING_RATE,
  PROP_PACING_BURST,
  PROP_DESTINATIONS,
  PROP_LEG_TIMEOUT,
  /* metrics-interval, metrics-file, metrics-node-id, metrics-flags */
  PROP_METRICS_FIRST,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static void gst_mctx_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_mctx_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_mctx_sink_finalize (GObject * object);

static gboolean gst_mctx_sink_start (GstBaseSink * bsink);
static gboolean gst_mctx_sink_stop (GstBaseSink * bsink);
static gboolean gst_mctx_sink_unlock (GstBaseSink * bsink);
static gboolean gst_mctx_sink_unlock_stop (GstBaseSink * bsink);
static GstFlowReturn gst_mctx_sink_render (GstBaseSink * bsink,
    GstBuffer * buffer);
static GstFlowReturn gst_mctx_sink_render_list (GstBaseSink * bsink,
    GstBufferList * list);
static gboolean gst_mctx_sink_event (GstBaseSink * bsink, GstEvent * event);
static gboolean gst_mctx_sink_set_caps (GstBaseSink * bsink, GstCaps * caps);
static GstFlowReturn gst_mctx_sink_prepare (GstBaseSink * bsink,
    GstBuffer * buffer);

#define gst_mctx_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstMctxSink, gst_mctx_sink, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_mctx_sink_uri_handler_init);
    GST_DEBUG_CATEGORY_INIT (gst_mctx_sink_debug, "mctxsink", 0,
        "multicast sink on libmctx"));
GST_ELEMENT_REGISTER_DEFINE (mctxsink, "mctxsink", GST_RANK_NONE,
    GST_TYPE_MCTX_SINK);

static void
gst_mctx_sink_class_init (GstMctxSinkClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseSinkClass *basesink_class = (GstBaseSinkClass *) klass;

  gobject_class->set_property = gst_mctx_sink_set_property;
  gobject_class->get_property = gst_mctx_sink_get_property;
  gobject_class->finalize = gst_mctx_sink_finalize;

  /**
   * GstMctxSink:group:
   *
   * The IPv4 or IPv6 multicast group to send to. May be set after the
   * element started (gst-check's GstHarness sets up a playing element) and
   * changed while playing: the next buffer goes to the new group.
   */
  g_object_class_install_property (gobject_class, PROP_GROUP,
      g_param_spec_string ("group", "Group",
          "IPv4 or IPv6 multicast group to send to", DEFAULT_GROUP, LIVE));
  /**
   * GstMctxSink:port:
   *
   * The destination UDP port, 1..65535 (a value outside is refused by
   * name, not replaced by the default).
   */
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_int ("port", "Port", "Destination UDP port (1..65535)",
          G_MININT, G_MAXINT, DEFAULT_PORT, LIVE));
  /**
   * GstMctxSink:source-addr:
   *
   * The exact local address the datagrams come from (the S of an SSM
   * channel); it must be an address of this host. Unset: the kernel
   * chooses.
   */
  g_object_class_install_property (gobject_class, PROP_SOURCE_ADDR,
      g_param_spec_string ("source-addr", "Source address",
          "Exact local address to send from (the S of SSM); NULL lets the "
          "kernel choose", DEFAULT_SOURCE_ADDR, LIVE));
  /**
   * GstMctxSink:source-port:
   *
   * A fixed local UDP port, 0..65535; 0 lets the kernel pick one.
   */
  g_object_class_install_property (gobject_class, PROP_SOURCE_PORT,
      g_param_spec_int ("source-port", "Source port",
          "Local UDP port to send from (0..65535); 0 lets the kernel pick one",
          G_MININT, G_MAXINT, DEFAULT_SOURCE_PORT, LIVE));
  /**
   * GstMctxSink:interface:
   *
   * The outgoing interface (IP_MULTICAST_IF / IPV6_MULTICAST_IF): a name,
   * a local address or an index. Unset: the routing table decides.
   */
  g_object_class_install_property (gobject_class, PROP_INTERFACE,
      g_param_spec_string ("interface", "Interface",
          "Outgoing interface: a name, a local address or an index; NULL "
          "lets the routing table decide", DEFAULT_INTERFACE, LIVE));
  /**
   * GstMctxSink:ttl:
   *
   * The multicast TTL / hop limit, -1..255. -1 leaves it as it is: the
   * kernel's default on a new socket, the caller's value on #GstMctxSink:socket,
   * each datagram's own in raw mode.
   */
  g_object_class_install_property (gobject_class, PROP_TTL,
      g_param_spec_int ("ttl", "TTL",
          "Multicast TTL / hop limit (-1..255); -1 leaves it as it is (the "
          "kernel's default on a new socket, the caller's value on 'socket', "
          "each datagram's own in raw mode)", G_MININT, G_MAXINT,
          DEFAULT_TTL, LIVE));
  /**
   * GstMctxSink:loop:
   *
   * Whether receivers on this host get a copy (IP_MULTICAST_LOOP /
   * IPV6_MULTICAST_LOOP).
   */
  g_object_class_install_property (gobject_class, PROP_LOOP,
      g_param_spec_boolean ("loop", "Loop",
          "Deliver a copy to receivers on this host", DEFAULT_LOOP, LIVE));
  /**
   * GstMctxSink:qos-dscp:
   *
   * The DiffServ code point, -1..63; -1 leaves it as it is.
   */
  g_object_class_install_property (gobject_class, PROP_QOS_DSCP,
      g_param_spec_int ("qos-dscp", "QoS DSCP",
          "DiffServ code point (-1..63); -1 leaves it as it is", G_MININT,
          G_MAXINT, DEFAULT_QOS_DSCP, LIVE));
  /**
   * GstMctxSink:buffer-size:
   *
   * The kernel send buffer (SO_SNDBUF) in bytes; 0 keeps the system's
   * default. Negative values are refused.
   */
  g_object_class_install_property (gobject_class, PROP_BUFFER_SIZE,
      g_param_spec_int ("buffer-size", "Buffer size",
          "Kernel send buffer size (SO_SNDBUF) in bytes (0..2147483647); 0 "
          "keeps the system default", G_MININT, G_MAXINT, DEFAULT_BUFFER_SIZE,
          AT_START));
  /**
   * GstMctxSink:block:
   *
   * When the socket cannot take a datagram: wait until it can (TRUE,
   * nothing is lost) or drop it and count it in packets-dropped (FALSE).
   * Read for every buffer.
   */
  g_object_class_install_property (gobject_class, PROP_BLOCK,
      g_param_spec_boolean ("block", "Block",
          "When the socket is full, wait until it can send (true) or drop "
          "the datagram and count it (false)", DEFAULT_BLOCK, LIVE));
  /**
   * GstMctxSink:socket:
   *
   * A UDP #GSocket to send with instead of a new one, checked like any
   * caller socket. The element uses a duplicate of its descriptor; the
   * caller keeps (and closes) the #GSocket.
   */
  g_object_class_install_property (gobject_class, PROP_SOCKET,
      g_param_spec_object ("socket", "Socket",
          "UDP socket to send with (a duplicate of its descriptor is used); "
          "NULL opens a new one", G_TYPE_SOCKET, AT_START));
  /**
   * GstMctxSink:send-stats:
   *
   * A #GstStructure named `mctx-stats` with the fields of the
   * `mctx-metrics` message, counters since the element last started (kept
   * after it stops; a live change keeps counting). GstBaseSink's own
   * #GstBaseSink:stats is left as GStreamer defines it.
   */
  g_object_class_install_property (gobject_class, PROP_SEND_STATS,
      g_param_spec_boxed ("send-stats", "Send statistics",
          "Counters since the last start and the other fields of the "
          "mctx-metrics message: packets-sent, bytes-sent, send-calls, "
          "send-errors, would-block, packets-dropped, interval, "
          "packets-per-sec, bytes-per-sec, running-time, group, port, source, "
          "final",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstMctxSink:raw:
   *
   * Every buffer is one complete IPv4 or IPv6 multicast datagram, sent as
   * given (needs CAP_NET_RAW; group and port are not used).
   */
  g_object_class_install_property (gobject_class, PROP_RAW,
      g_param_spec_boolean ("raw", "Raw",
          "Every buffer is one complete IPv4 or IPv6 multicast datagram, sent "
          "as given (needs CAP_NET_RAW; group and port are not used)",
          DEFAULT_RAW, AT_START));
  /**
   * GstMctxSink:raw-validation:
   *
   * What a raw datagram may be sent to: multicast groups only (default),
   * any unicast or multicast destination, or that with the IPv4 header
   * checksum verified too (raw-ip, for the ICMP an AMT relay sends).
   */
  g_object_class_install_property (gobject_class, PROP_RAW_VALIDATION,
      g_param_spec_enum ("raw-validation", "Raw validation",
          "What a raw datagram may be sent to: multicast only, any "
          "destination, or any destination with the IPv4 header checksum "
          "verified (raw mode only)", GST_TYPE_MCTX_SINK_RAW_VALIDATION,
          DEFAULT_RAW_VALIDATION, AT_START));
  /**
   * GstMctxSink:gather:
   *
   * Up to this many single buffers go out together as one batch (one
   * system call with UDP GSO); 1 sends every buffer as it arrives.
   */
  g_object_class_install_property (gobject_class, PROP_GATHER,
      g_param_spec_uint ("gather", "Gather",
          "Single buffers sent together in one batch (UDP GSO) at most; they "
          "wait until that many arrived, gather-latency passed, a buffer "
          "list, EOS or (sync=true) a timestamped buffer comes, or the "
          "element stops. 1 sends every buffer at once", 1, GATHER_MAX,
          DEFAULT_GATHER, AT_START));
  /**
   * GstMctxSink:gather-latency:
   *
   * With gather > 1: the longest (ns) a buffer waits for the ones after it.
   */
  g_object_class_install_property (gobject_class, PROP_GATHER_LATENCY,
      g_param_spec_uint64 ("gather-latency", "Gather latency",
          "With gather > 1: the longest (ns) a buffer waits for the ones "
          "after it", 0, GST_SECOND, DEFAULT_GATHER_LATENCY, AT_START));
  /**
   * GstMctxSink:gso:
   *
   * When a batch's runs of equal-sized datagrams go out as UDP GSO sends.
   * auto (the default) uses GSO only while the egress interface's root
   * qdisc keeps GSO packets whole, read at start and on every metrics
   * tick; a shaper (tbf, htb), fq_codel or an unknown qdisc gets each
   * datagram as its own packet, so a drop is reported (ENOBUFS) rather
   * than lost silently. on forces GSO, off never uses it.
   */
  g_object_class_install_property (gobject_class, PROP_GSO,
      g_param_spec_enum ("gso", "GSO",
          "When runs of equal-sized datagrams go out as UDP GSO sends: auto "
          "only where the egress qdisc keeps GSO packets whole (a shaper "
          "such as tbf would drop segments silently), on always, off never",
          GST_TYPE_MCTX_SINK_GSO, DEFAULT_GSO, AT_START));
  /**
   * GstMctxSink:sdp-file:
   *
   * Where to write the stream's session description (SDP, RFC 8866) for
   * receivers such as ffmpeg and VLC: written when the caps are known and
   * again when they change, each time as a temporary file renamed over the
   * old one. RTP caps and MPEG-TS (video/mpegts) have an SDP form; other
   * caps are an error. With #GstMctxSink:destinations, every leg (the
   * group first) gets its m= section under a=group:DUP (RFC 7104), and a
   * change of destinations while playing rewrites the file at once. A
   * path where no file can be made is an error at start. NULL writes
   * none. See docs/sdp.md.
   */
  g_object_class_install_property (gobject_class, PROP_SDP_FILE,
      g_param_spec_string ("sdp-file", "SDP file",
          "Write the stream's SDP (RTP or MPEG-TS caps) to this path when "
          "the caps are known, and again when they change (atomically); "
          "NULL writes none", DEFAULT_SDP_FILE, AT_START));
  /**
   * GstMctxSink:announce:
   *
   * Announce the stream's SDP with SAP (RFC 2974) on the SAP group of the
   * group's scope (224.2.127.254, 239.255.255.255, ff0X::2:7ffe, ...),
   * port 9875, from the stream's source and interface with its TTL (with
   * destinations: the first leg's), every 5 s for a lone short SDP and
   * never less often than every 300 s (RFC 2974's bandwidth-limited
   * interval kept within those bounds), from the caps on, and send a
   * deletion at stop.
   */
  g_object_class_install_property (gobject_class, PROP_ANNOUNCE,
      g_param_spec_boolean ("announce", "Announce",
          "Announce the stream's SDP with SAP (RFC 2974) on the SAP group of "
          "its scope, from its source and interface, until it stops",
          DEFAULT_ANNOUNCE, AT_START));
  /**
   * GstMctxSink:pacing-rate:
   *
   * Spread the datagrams at this many bits per second on the wire (UDP
   * payload plus UDP and IP headers), across buffers and inside buffer
   * lists, so that a frame handed over at once does not overflow a
   * switch port's buffer; 0 sends at once. May change while playing.
   * Not used in raw mode. See docs/pacing.md, also for max-bitrate.
   */
  g_object_class_install_property (gobject_class, PROP_PACING_RATE,
      g_param_spec_uint64 ("pacing-rate", "Pacing rate",
          "Spread datagrams at this many bits per second on the wire "
          "(payload and UDP/IP headers); 0 sends at once", 0, G_MAXUINT64,
          DEFAULT_PACING_RATE, LIVE));
  /**
   * GstMctxSink:pacing-burst:
   *
   * With pacing, how many datagrams may leave back to back when the
   * stream is behind its schedule (a late buffer), 1 or more.
   */
  g_object_class_install_property (gobject_class, PROP_PACING_BURST,
      g_param_spec_uint ("pacing-burst", "Pacing burst",
          "With pacing, datagrams that may leave back to back when behind "
          "the schedule (1..4294967295)", 0, G_MAXUINT, DEFAULT_PACING_BURST,
          LIVE));
  /**
   * GstMctxSink:destinations:
   *
   * More destinations, each an mctx:// URI (source, group, port,
   * interface, ttl, qos-dscp), separated by commas: every buffer goes to
   * each of them too, byte for byte (SMPTE ST 2022-7 legs, dual-stack).
   * Changes while playing apply at the next buffer. An application may
   * set a #GstValueArray of strings instead (g_object_set_property() with
   * a GST_TYPE_ARRAY value; Python: Gst.ValueArray): the property is a
   * string, so that gst-launch takes the comma form, and GLib turns the
   * array into one with GStreamer's transform. Reading gives the comma
   * form. With a group set, the element's own group is one more leg, under
   * the same #GstMctxSink:leg-timeout; pacing paces all legs together.
   * Not with #GstMctxSink:raw (start fails naming both).
   */
  g_object_class_install_property (gobject_class, PROP_DESTINATIONS,
      g_param_spec_string ("destinations", "Destinations",
          "Comma-separated mctx:// URIs every buffer is sent to as well "
          "(one leg each: source, group, port, interface, ttl, qos-dscp)",
          NULL, LIVE));
  /**
   * GstMctxSink:leg-timeout:
   *
   * With block=true, how long in all a leg of destinations may make the
   * stream wait before it is stalled (its datagrams dropped and counted
   * for it until its queue takes them again).
   */
  g_object_class_install_property (gobject_class, PROP_LEG_TIMEOUT,
      g_param_spec_uint64 ("leg-timeout", "Leg timeout",
          "With block=true: the longest (ns), in all, a leg of destinations "
          "may hold the stream before its datagrams are dropped for it",
          0, G_MAXUINT64, GST_MCTX_SINK_LEG_TIMEOUT_DEFAULT, LIVE));
  gst_mctx_sink_metrics_install_properties (gobject_class, PROP_METRICS_FIRST);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Multicast UDP sink", "Sink/Network",
      "Sends each buffer as one UDP datagram to an IPv4 or IPv6 multicast "
      "group, from an exact source and interface, through libmctx",
      "mctx developers");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_mctx_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_mctx_sink_stop);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_mctx_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_mctx_sink_unlock_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_mctx_sink_render);
  basesink_class->render_list = GST_DEBUG_FUNCPTR (gst_mctx_sink_render_list);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_mctx_sink_event);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_mctx_sink_set_caps);
  basesink_class->prepare = GST_DEBUG_FUNCPTR (gst_mctx_sink_prepare);
}

static void sdp_destinations_changed (GObject * object, GParamSpec * pspec,
    gpointer user_data);

static void
gst_mctx_sink_init (GstMctxSink * sink)
{
  GstMctxSinkSettings *s = &sink->settings;

  s->group = g_strdup (DEFAULT_GROUP);
  s->port = DEFAULT_PORT;
  s->source_addr = g_strdup (DEFAULT_SOURCE_ADDR);
  s->source_port = DEFAULT_SOURCE_PORT;
  s->interface = g_strdup (DEFAULT_INTERFACE);
  s->ttl = DEFAULT_TTL;
  s->loop = DEFAULT_LOOP;
  s->qos_dscp = DEFAULT_QOS_DSCP;
  s->buffer_size = DEFAULT_BUFFER_SIZE;
  s->socket = DEFAULT_SOCKET;
  s->raw = DEFAULT_RAW;
  s->raw_validation = DEFAULT_RAW_VALIDATION;
  s->gso = DEFAULT_GSO;
  s->pacing_rate = DEFAULT_PACING_RATE;
  s->pacing_burst = DEFAULT_PACING_BURST;
  s->gather = DEFAULT_GATHER;
  s->gather_latency = DEFAULT_GATHER_LATENCY;
  s->sdp_file = g_strdup (DEFAULT_SDP_FILE);
  s->announce = DEFAULT_ANNOUNCE;

  sink->sender = gst_mctx_sender_new (GST_BASE_SINK (sink), &sink->settings);
  gst_mctx_sender_set_block (sink->sender, DEFAULT_BLOCK);
  sink->metrics = gst_mctx_sink_metrics_new (GST_BASE_SINK (sink),
      sink->sender);
  sink->sdp = gst_mctx_sink_sdp_new (GST_ELEMENT (sink));
  /* The SDP follows destinations set while playing, whatever form the
   * value was set in. */
  g_signal_connect (sink, "notify::destinations",
      G_CALLBACK (sdp_destinations_changed), NULL);
}

static void
gst_mctx_sink_finalize (GObject * object)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);

  gst_mctx_sink_sdp_free (sink->sdp);
  gst_mctx_sink_metrics_free (sink->metrics);
  gst_mctx_sender_free (sink->sender);
  gst_mctx_sink_settings_clear (&sink->settings);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                               */
/* ------------------------------------------------------------------------ */

/* The one guard of every property, from its flags: called with the object
 * lock. A property flagged GST_PARAM_MUTABLE_PLAYING changes at any time
 * (the live ones are staged for the streaming thread); one flagged
 * GST_PARAM_MUTABLE_READY shapes the socket, which start() opens as the
 * element goes to READY, so it changes only while the element is not
 * running; say so instead of ignoring the new value. */
static gboolean
is_mutable_now (GstMctxSink * sink, GParamSpec * pspec)
{
  if (!sink->running || (pspec->flags & GST_PARAM_MUTABLE_PLAYING))
    return TRUE;
  GST_WARNING_OBJECT (sink, "refusing to change '%s' while running",
      pspec->name);
  g_warning ("%s: cannot change the '%s' property while the element is "
      "running; set it in the NULL state, before the element starts",
      GST_OBJECT_NAME (sink), pspec->name);
  return FALSE;
}

/* While running, a number out of its range is refused at once, with the
 * text that names it (g_free); stopped, it is kept for start() to refuse.
 * Called with the object lock. */
static gchar *
refuse_out_of_range (GstMctxSink * sink, GParamSpec * pspec,
    const GValue * value)
{
  gint64 number;

  if (!sink->running)
    return NULL;
  if (G_VALUE_HOLDS_INT (value))
    number = g_value_get_int (value);
  else if (G_VALUE_HOLDS_UINT (value))
    number = g_value_get_uint (value);
  else if (G_VALUE_HOLDS_UINT64 (value))
    number = (gint64) MIN (g_value_get_uint64 (value), (guint64) G_MAXINT64);
  else
    return NULL;
  return gst_mctx_sink_settings_range_refusal (pspec->name, number);
}

static void
replace_string (gchar ** s, const GValue * value)
{
  g_free (*s);
  *s = g_value_dup_string (value);
}

static void
gst_mctx_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);
  GstMctxSinkSettings *s = &sink->settings;
  gboolean live = FALSE;
  gchar *refusal;

  /* The legs keep these themselves (gstmctxsinklegs.c). */
  if (prop_id == PROP_DESTINATIONS) {
    GError *error = NULL;
    gboolean raw_running;

    GST_OBJECT_LOCK (sink);
    raw_running = sink->running && s->raw;
    GST_OBJECT_UNLOCK (sink);
    if (raw_running && gst_mctx_sink_is_set (g_value_get_string (value))) {
      GST_ELEMENT_WARNING (sink, RESOURCE, SETTINGS,
          ("raw=true and destinations cannot be combined: a raw datagram "
              "carries its own addresses; destinations stays unset"), (NULL));
      return;
    }
    if (!gst_mctx_sink_legs_set_destinations (gst_mctx_sender_get_legs
            (sink->sender), g_value_get_string (value), &error)) {
      GST_ELEMENT_WARNING (sink, RESOURCE, SETTINGS,
          ("Could not set destinations: %s", error->message), (NULL));
      g_error_free (error);
    }
    return;
  }
  if (prop_id == PROP_LEG_TIMEOUT) {
    gst_mctx_sink_legs_set_timeout (gst_mctx_sender_get_legs (sink->sender),
        g_value_get_uint64 (value));
    return;
  }

  GST_OBJECT_LOCK (sink);
  if (!is_mutable_now (sink, pspec))
    goto done;
  refusal = refuse_out_of_range (sink, pspec, value);
  if (refusal)
    goto out_of_range;

  switch (prop_id) {
    case PROP_GROUP:
      replace_string (&s->group, value);
      live = TRUE;
      break;
    case PROP_PORT:
      s->port = g_value_get_int (value);
      live = TRUE;
      break;
    case PROP_SOURCE_ADDR:
      replace_string (&s->source_addr, value);
      live = TRUE;
      break;
    case PROP_SOURCE_PORT:
      s->source_port = g_value_get_int (value);
      live = TRUE;
      break;
    case PROP_INTERFACE:
      replace_string (&s->interface, value);
      live = TRUE;
      break;
    case PROP_TTL:
      s->ttl = g_value_get_int (value);
      live = TRUE;
      break;
    case PROP_LOOP:
      s->loop = g_value_get_boolean (value);
      live = TRUE;
      break;
    case PROP_QOS_DSCP:
      s->qos_dscp = g_value_get_int (value);
      live = TRUE;
      break;
    case PROP_BUFFER_SIZE:
      s->buffer_size = g_value_get_int (value);
      break;
    case PROP_BLOCK:
      gst_mctx_sender_set_block (sink->sender, g_value_get_boolean (value));
      break;
    case PROP_SOCKET:
      g_clear_object (&s->socket);
      s->socket = g_value_dup_object (value);
      s->have_socket = s->socket != NULL;
      break;
    case PROP_RAW:
      s->raw = g_value_get_boolean (value);
      break;
    case PROP_RAW_VALIDATION:
      s->raw_validation = g_value_get_enum (value);
      break;
    case PROP_GSO:
      s->gso = g_value_get_enum (value);
      break;
    case PROP_PACING_RATE:
      s->pacing_rate = g_value_get_uint64 (value);
      live = TRUE;
      break;
    case PROP_PACING_BURST:
      s->pacing_burst = g_value_get_uint (value);
      live = TRUE;
      break;
    case PROP_GATHER:
      s->gather = g_value_get_uint (value);
      break;
    case PROP_GATHER_LATENCY:
      s->gather_latency = g_value_get_uint64 (value);
      break;
    case PROP_SDP_FILE:
      replace_string (&s->sdp_file, value);
      break;
    case PROP_ANNOUNCE:
      s->announce = g_value_get_boolean (value);
      break;
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_INTERVAL:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FILE:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_NODE_ID:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FLAGS:
      gst_mctx_sink_metrics_set_property (sink->metrics,
          prop_id - PROP_METRICS_FIRST, value, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (live && sink->running)
    gst_mctx_sender_stage (sink->sender);
done:
  GST_OBJECT_UNLOCK (sink);
  return;

out_of_range:
  {
    GST_OBJECT_UNLOCK (sink);
    GST_ELEMENT_WARNING (sink, RESOURCE, SETTINGS,
        ("Could not change %s while running: %s; the stream goes on "
            "unchanged", pspec->name, refusal), (NULL));
    g_free (refusal);
  }
}

static void
gst_mctx_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);
  const GstMctxSinkSettings *s = &sink->settings;

  if (prop_id == PROP_SEND_STATS) {
    g_value_take_boxed (value,
        gst_mctx_sink_metrics_get_send_stats (sink->metrics));
    return;
  }
  if (prop_id == PROP_DESTINATIONS) {
    g_value_take_string (value, gst_mctx_sink_legs_get_destinations
        (gst_mctx_sender_get_legs (sink->sender)));
    return;
  }
  if (prop_id == PROP_LEG_TIMEOUT) {
    g_value_set_uint64 (value, gst_mctx_sink_legs_get_timeout
        (gst_mctx_sender_get_legs (sink->sender)));
    return;
  }

  GST_OBJECT_LOCK (sink);
  switch (prop_id) {
    case PROP_GROUP:
      g_value_set_string (value, s->group);
      break;
    case PROP_PORT:
      g_value_set_int (value, s->port);
      break;
    case PROP_SOURCE_ADDR:
      g_value_set_string (value, s->source_addr);
      break;
    case PROP_SOURCE_PORT:
      g_value_set_int (value, s->source_port);
      break;
    case PROP_INTERFACE:
      g_value_set_string (value, s->interface);
      break;
    case PROP_TTL:
      g_value_set_int (value, s->ttl);
      break;
    case PROP_LOOP:
      g_value_set_boolean (value, s->loop);
      break;
    case PROP_QOS_DSCP:
      g_value_set_int (value, s->qos_dscp);
      break;
    case PROP_BUFFER_SIZE:
      g_value_set_int (value, s->buffer_size);
      break;
    case PROP_BLOCK:
      g_value_set_boolean (value, gst_mctx_sender_get_block (sink->sender));
      break;
    case PROP_SOCKET:
      g_value_set_object (value, s->socket);
      break;
    case PROP_RAW:
      g_value_set_boolean (value, s->raw);
      break;
    case PROP_RAW_VALIDATION:
      g_value_set_enum (value, s->raw_validation);
      break;
    case PROP_GSO:
      g_value_set_enum (value, s->gso);
      break;
    case PROP_PACING_RATE:
      g_value_set_uint64 (value, s->pacing_rate);
      break;
    case PROP_PACING_BURST:
      g_value_set_uint (value, s->pacing_burst);
      break;
    case PROP_GATHER:
      g_value_set_uint (value, s->gather);
      break;
    case PROP_GATHER_LATENCY:
      g_value_set_uint64 (value, s->gather_latency);
      break;
    case PROP_SDP_FILE:
      g_value_set_string (value, s->sdp_file);
      break;
    case PROP_ANNOUNCE:
      g_value_set_boolean (value, s->announce);
      break;
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_INTERVAL:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FILE:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_NODE_ID:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FLAGS:
      gst_mctx_sink_metrics_get_property (sink->metrics,
          prop_id - PROP_METRICS_FIRST, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (sink);
}

/* ------------------------------------------------------------------------ */
/* start / stop                                                             */
/* ------------------------------------------------------------------------ */

/* Where the stream goes now, for the SDP: the element's own group first,
 * as the sender has it (its snapshot: the effective source), when it has
 * one; then each destination, with its effective source once its leg is
 * open, else the source its URI names. */
static GArray *
current_legs (GstMctxSink * sink)
{
  GArray *legs = gst_mctx_sink_sdp_legs_new ();
  GstMctxSenderCounters where;
  GArray *places;

  gst_mctx_sender_snapshot (sink->sender, &where);
  if (where.group[0] != '\0') {
    GstMctxSinkSdpLeg own = { 0 };

    own.group = g_strdup (where.group);
    own.port = where.port;
    own.source = where.source[0] != '\0' ? g_strdup (where.source) : NULL;
    GST_OBJECT_LOCK (sink);
    own.source_given = gst_mctx_sink_is_set (sink->settings.source_addr);
    own.interface = gst_mctx_sink_is_set (sink->settings.interface) ?
        g_strdup (sink->settings.interface) : NULL;
    own.ttl = sink->settings.ttl;
    own.loop = sink->settings.loop;
    GST_OBJECT_UNLOCK (sink);
    g_array_append_val (legs, own);
  }
  places = gst_mctx_sink_legs_describe (gst_mctx_sender_get_legs
      (sink->sender));
  for (guint i = 0; i < places->len; i++) {
    GstMctxSinkLegPlace *place = &g_array_index (places,
        GstMctxSinkLegPlace, i);
    GstMctxSinkSdpLeg leg = { 0 };

    leg.group = g_strdup (place->group);
    leg.port = place->port;
    leg.source = g_strdup (place->source ? place->source : place->source_addr);
    leg.source_given = place->source_addr != NULL;
    leg.interface = g_strdup (place->interface);
    leg.ttl = place->ttl;
    leg.loop = place->loop;
    g_array_append_val (legs, leg);
  }
  g_array_unref (places);
  return legs;
}

static gboolean
sdp_start (GstMctxSink * sink, const GstMctxSinkSettings * settings)
{
  GArray *legs;
  gboolean ok;

  if (!gst_mctx_sink_sdp_wanted (settings))
    return TRUE;
  legs = current_legs (sink);
  ok = gst_mctx_sink_sdp_start (sink->sdp, settings, legs);
  g_array_unref (legs);
  return ok;
}

/* destinations changed (any thread): a running element describes its new
 * legs at once, before the next buffer opens them. */
static void
sdp_destinations_changed (GObject * object, G_GNUC_UNUSED GParamSpec * pspec,
    G_GNUC_UNUSED gpointer user_data)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);
  gboolean running;
  GArray *legs;

  GST_OBJECT_LOCK (sink);
  running = sink->running;
  GST_OBJECT_UNLOCK (sink);
  if (!running)
    return;
  legs = current_legs (sink);
  gst_mctx_sink_sdp_set_legs (sink->sdp, legs);
  g_array_unref (legs);
}

/* The settings are copied in one section under the object lock, which also
 * marks the element as running: from then on the start-time settings are
 * refused, so none changes between this copy and the publication it opens;
 * a live one set meanwhile is staged and applied at the first buffer. */
/* GstBaseSink's max-bitrate holds whole buffers back; pacing spreads the
 * datagrams of each buffer. Both at once wait twice for the same bits. */
static void
warn_pacing_and_max_bitrate (GstMctxSink * sink,
    const GstMctxSinkSettings * settings)
{
  guint64 max_bitrate = gst_base_sink_get_max_bitrate (GST_BASE_SINK (sink));

  if (settings->pacing_rate == 0 || max_bitrate == 0)
    return;
  GST_ELEMENT_WARNING (sink, RESOURCE, SETTINGS,
      ("Both pacing-rate (%" G_GUINT64_FORMAT " bit/s) and max-bitrate (%"
          G_GUINT64_FORMAT " bit/s) are set: they throttle the same stream "
          "twice; set max-bitrate to 0 and use pacing-rate alone",
          settings->pacing_rate, max_bitrate), (NULL));
}

static gboolean
gst_mctx_sink_start (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);
  GstMctxSinkSettings settings = { 0 };

  GST_OBJECT_LOCK (sink);
  sink->running = TRUE;
  gst_mctx_sink_settings_copy (&settings, &sink->settings);
  gst_mctx_sink_metrics_copy_settings (sink->metrics, &settings);
  GST_OBJECT_UNLOCK (sink);

  if (!gst_mctx_sink_settings_check_ranges (&settings, GST_ELEMENT (sink)))
    goto failed;
  if (!gst_mctx_sink_metrics_open (sink->metrics, &settings))
    goto failed;
  if (!gst_mctx_sender_start (sink->sender, &settings))
    goto failed;
  if (!sdp_start (sink, &settings)) {
    gst_mctx_sender_stop (sink->sender);
    goto failed;
  }
  warn_pacing_and_max_bitrate (sink, &settings);

  if (settings.gather > 1)
    sink->gathering = gst_mctx_sink_gather_new (sink->sender,
        GST_ELEMENT (sink), settings.gather, settings.gather_latency);
  gst_mctx_sink_metrics_begin (sink->metrics);
  gst_mctx_sink_settings_clear (&settings);
  return TRUE;

failed:
  {
    GST_OBJECT_LOCK (sink);
    sink->running = FALSE;
    GST_OBJECT_UNLOCK (sink);
    gst_mctx_sink_metrics_abort (sink->metrics);
    gst_mctx_sink_settings_clear (&settings);
    return FALSE;
  }
}

static gboolean
gst_mctx_sink_stop (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);

  /* Gathered buffers go out (or are counted) before the final counts. */
  gst_mctx_sink_gather_free (sink->gathering);
  sink->gathering = NULL;

  /* The final metrics message, while the publication still counts. */
  gst_mctx_sink_metrics_end (sink->metrics);
  gst_mctx_sink_sdp_stop (sink->sdp);
  gst_mctx_sender_stop (sink->sender);

  GST_OBJECT_LOCK (sink);
  sink->running = FALSE;
  GST_OBJECT_UNLOCK (sink);
  return TRUE;
}

static gboolean
gst_mctx_sink_unlock (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);

  GST_LOG_OBJECT (sink, "interrupting any wait");
  gst_mctx_sender_unlock (sink->sender);
  return TRUE;
}

static gboolean
gst_mctx_sink_unlock_stop (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);

  GST_LOG_OBJECT (sink, "waits allowed again");
  gst_mctx_sender_unlock_stop (sink->sender);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

/* Serialized with render: at EOS, the gathered buffers go out and the send
 * errors not yet reported are, so the application sees them before it
 * tears the pipeline down. */
static gboolean
gst_mctx_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    if (sink->gathering)
      gst_mctx_sink_gather_flush (sink->gathering);
    gst_mctx_sender_report_errors (sink->sender);
  }
  gst_mctx_sink_metrics_event (sink->metrics, event);
  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* New caps: the SDP (sdp-file, announce) describes them. */
static gboolean
gst_mctx_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);
  GArray *legs = current_legs (sink);
  gboolean ok;

  ok = gst_mctx_sink_sdp_set_caps (sink->sdp, caps, legs);
  g_array_unref (legs);
  return ok;
}

/* Whether basesink may wait on the clock before it renders buffer: sync is
 * on, the segment is in time and the buffer has a time (basesink's default
 * get_times takes DTS, else PTS). Whether it will, and how long, also
 * depends on the clock, the base time, the latency, render-delay and
 * ts-offset; rather than redo basesink's sums for every buffer, any buffer
 * it may wait for counts. */
static inline gboolean
sink_may_wait (GstBaseSink * bsink, GstBuffer * buffer)
{
  return bsink->segment.format == GST_FORMAT_TIME
      && GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DTS_OR_PTS (buffer))
      && gst_base_sink_get_sync (bsink);
}

/* Before basesink's clock wait: gathered buffers never sit while the sink
 * waits for a later one. */
static GstFlowReturn
gst_mctx_sink_prepare (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstMctxSink *sink = (GstMctxSink *) bsink;

  if (sink->gathering == NULL || !gst_mctx_sink_gather_pending (sink->gathering)
      || !sink_may_wait (bsink, buffer))
    return GST_FLOW_OK;
  GST_LOG_OBJECT (sink, "sending the gathered buffers before a clock wait");
  return gst_mctx_sink_gather_flush (sink->gathering);
}

/* Plain casts on the send path: a checked cast costs more than the rest of
 * the element's work per datagram. */
static GstFlowReturn
gst_mctx_sink_render (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstMctxSink *sink = (GstMctxSink *) bsink;

  if (sink->gathering)
    return gst_mctx_sink_gather_add (sink->gathering, buffer);
  return gst_mctx_sender_render (sink->sender, buffer, NULL);
}

static GstFlowReturn
gst_mctx_sink_render_list (GstBaseSink * bsink, GstBufferList * list)
{
  GstMctxSink *sink = (GstMctxSink *) bsink;
  GstFlowReturn ret;

  if (sink->gathering == NULL)
    return gst_mctx_sender_render (sink->sender, NULL, list);

  /* Gathered single buffers came first. */
  ret = gst_mctx_sink_gather_lock_flushed (sink->gathering);
  if (ret == GST_FLOW_OK)
    ret = gst_mctx_sender_render (sink->sender, NULL, list);
  else
    gst_mctx_sender_count_dropped (sink->sender, gst_buffer_list_length (list));
  gst_mctx_sink_gather_unlock (sink->gathering);
  return ret;
}
