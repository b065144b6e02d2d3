/* mctxsink: one multicast UDP datagram per buffer, through libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */

/**
 * SECTION:element-mctxsink
 * @title: mctxsink
 * @see_also: udpsink, multiudpsink, udpsrc
 *
 * mctxsink sends every buffer it receives as one UDP datagram to an IPv4 or
 * IPv6 multicast group, from exactly the source and through exactly the
 * interface it is told. A #GstBufferList goes out in as few system calls as
 * the kernel allows: runs of datagrams of one size as UDP GSO sends (one
 * sendmsg each, see `gso`), the rest together through sendmmsg. A buffer
 * made of several memories is sent without copying it.
 * All socket work is done by libmctx: the element validates and resolves its
 * settings through it, opens one connected, non-blocking socket when it
 * starts, and closes it when it stops.
 *
 * ## How it differs from udpsink
 *
 * - **A real outgoing interface.** `interface` (a name such as `eth0`, a local
 *   address or an interface index) sets IP_MULTICAST_IF / IPV6_MULTICAST_IF on
 *   the sending socket. udpsink's `multicast-iface` only names the interface
 *   used to join a group, and the datagrams follow the routing table.
 * - **Errors instead of silence.** A bad setting (a group that is not a
 *   multicast address, an interface that does not exist, a source that is not
 *   an address of this host, a caller socket bound elsewhere…) makes the
 *   element fail to start with an error that names the property and the value.
 *   Nothing falls back to a default. While streaming, send errors are counted
 *   and reported as warnings (at most one a second per kind of error, saying
 *   how many happened). The socket has IP_RECVERR / IPV6_RECVERR set, so
 *   datagrams that the local queue (a qdisc) drops come back as ENOBUFS
 *   instead of vanishing.
 * - **No join on the sending side.** udpsink joins the group it sends to
 *   (`auto-multicast`); mctxsink never does: a sender has no business being a
 *   member.
 * - **Source and interface are kept apart.** `source-addr` is the exact source
 *   address of the datagrams (the S of a source-specific (S,G) channel);
 *   `interface` is the link they leave by. Either may be set without the
 *   other; for IPv6 libmctx checks that they agree.
 *
 * ## Examples
 *
 * IPv4, a test video as RTP/JPEG to a group on the loopback interface (never
 * leaves the machine):
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
 *
 * IPv6 source-specific multicast: the receivers join (fd00::1, ff3e::8000:1234),
 * so the datagrams must come from exactly fd00::1, out of eth0:
 * |[
 * gst-launch-1.0 audiotestsrc ! audioconvert ! rtpL16pay ! \
 *     mctxsink group=ff3e::8000:1234 port=5004 source-addr=fd00::1 interface=eth0
 * ]|
 *
 * IPv6 link-local scope (ff32::/16 needs an interface, and a link-local
 * source; the scope of `source-addr` names the interface too):
 * |[
 * gst-launch-1.0 videotestsrc ! jpegenc ! rtpjpegpay ! \
 *     mctxsink group=ff32::8000:1 port=5004 source-addr=fe80::1%eth0
 * ]|
 *
 * The same settings as a URI (`gst-launch-1.0 ... ! mctxsink` can be replaced
 * by any element that accepts `mctx://` URIs, or used with
 * gst_element_make_from_uri()):
 * |[
 * mctx://[fd00::1]@[ff3e::8000:1234]:5004?interface=eth0&ttl=8
 * ]|
 * `mctx://[source@]group:port?property=value&...`: IPv6 addresses in
 * brackets, a zone written `%25` (`[fe80::1%25eth0]`). The query takes
 * source-port, interface, ttl, loop, qos-dscp, buffer-size, block, gso,
 * gather and gather-latency, and nothing else (any other key, raw, the
 * metrics properties and basesink's included, is refused with a
 * #GST_URI_ERROR that names it). Setting a URI resets source-addr and all
 * of these to their defaults first, so that the URI says the whole
 * configuration; get_uri writes every one that is not at its default, so a
 * URI read back sets the same.
 *
 * ## Raw mode
 *
 * With `raw=true` every buffer is one complete IPv4 or IPv6 datagram (IP
 * header, transport header, payload) to a multicast group, and it leaves as
 * given, its source address included, also when that source is not an
 * address of this host. This is what an AMT gateway (RFC 7450) needs to put
 * tunnelled (S,G) traffic on its LAN so that SSM receivers accept it. It
 * needs CAP_NET_RAW (root, or `setcap cap_net_raw+ep`); without it the
 * element fails to start with a #GST_RESOURCE_ERROR_NOT_AUTHORIZED error
 * saying "raw mode needs CAP_NET_RAW".
 *
 * `interface` (name, address or index) and/or `source-addr` (a local
 * address, never written into the datagrams: it only selects the egress)
 * choose the link; one of them is required. `group` and `port` are not used;
 * `source-port`, `qos-dscp`, `buffer-size` and `socket` do not apply and are
 * refused at start when set. `ttl` overrides each datagram's TTL / hop limit
 * (the IPv4 header checksum is recomputed) unless it is -1, so set ttl=-1 to
 * keep them as given: the default, 1, applies here too. `loop` applies
 * (except to IPv6 datagrams with a foreign source, which are injected on the
 * link and never loop back). ttl and loop are taken at start in raw mode.
 *
 * The family of the datagrams is that of `source-addr` or of an interface
 * given as an address; with an interface given by name or index the element
 * opens an IPv4 and an IPv6 raw publication at start (so a missing privilege
 * shows there) and sends each datagram by its IP version (an interface
 * without an IPv4 address, or without IPv6, gets only the other one, with a
 * warning). IPv4 datagrams go out through an IP_HDRINCL socket; IPv6 ones
 * with a local source through a raw IPv6 socket (the kernel writes the base
 * header, the flow label is lost), with a foreign source byte for byte over
 * AF_PACKET (Ethernet links only). See docs/raw.md.
 *
 * A datagram that fails libmctx's checks (not version 4 or 6, lengths that
 * do not match the buffer, a family the element does not send, and above
 * all a destination that is not multicast: nothing else is ever sent) is
 * dropped, counted in packets-dropped and send-errors, and warned about
 * like any send error; the stream goes on. A buffer of several memories is
 * sent from its mappings without a copy; a #GstBufferList is sent datagram
 * by datagram. When a raw
 * socket is full, block=true retries after the same short backoff as for
 * ENOBUFS (raw sockets have no descriptor to wait on); block=false drops.
 * stats counts the raw publications' datagrams.
 *
 * Re-emitting captured multicast datagrams on a LAN (the
 * `examples/gst/raw-replay` program reads a pcap file and pushes each IP
 * datagram into `appsrc ! mctxsink raw=true`):
 * |[
 * raw-replay capture.pcap interface=eth1 ttl=-1
 * ]|
 * and from an application, whose appsrc pushes one datagram per buffer:
 * |[
 * appsrc name=tunnel format=time ! mctxsink raw=true interface=eth1 ttl=-1
 * ]|
 *
 * ## Properties
 *
 * - `group`: the IPv4 or IPv6 multicast group. Required.
 * - `port` (1..65535, default 5004): the destination UDP port.
 * - `source-addr`: the exact local address to send from; it must be an
 *   address of this host. Unset: the kernel chooses.
 * - `source-port` (0..65535, default 0): a fixed source port; 0 lets the
 *   kernel pick one.
 * - `interface`: the outgoing interface, as a name (`eth0`), a local address
 *   or an index. Unset: the routing table decides.
 * - `ttl` (-1..255, default 1): the multicast TTL / hop limit. -1 leaves it
 *   as it is: the kernel's default (1 on Linux) on a socket the element
 *   opens, the caller's own value on a `socket` given to it, each
 *   datagram's own in raw mode.
 * - `loop` (default true): whether local receivers get a copy
 *   (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP).
 * - `qos-dscp` (-1..63, default -1): the DiffServ code point; -1 leaves it.
 * - `buffer-size` (default 0): SO_SNDBUF in bytes; 0 keeps the system default.
 * - `block` (default true): when the socket cannot take a datagram, wait until
 *   it can (nothing is lost; a slow link slows the pipeline down). false drops
 *   the datagram and counts it in packets-dropped.
 * - `socket`: a #GSocket to send with instead of a new one. It is checked like
 *   libmctx checks any caller socket (family, bound address and port against
 *   the settings). The element uses a duplicate of its descriptor, which it
 *   closes when it stops; the caller keeps (and closes) the #GSocket. Since a
 *   duplicate shares the socket, the caller's socket ends up non-blocking and
 *   connected to the group.
 * - `raw` (default false): every buffer is a complete IPv4 or IPv6 multicast
 *   datagram, sent as given (see "Raw mode" above). Needs CAP_NET_RAW.
 * - `gso` (default true): send a batch's runs of equal-sized datagrams
 *   (buffer lists, gathered buffers) as UDP GSO sends where the kernel has
 *   it: one system call and one trip through the stack per run, split into
 *   the same datagrams further down. Set it to false when the egress has a
 *   shaping qdisc: tbf with a burst smaller than a batch splits a GSO packet
 *   itself and drops the segments that do not fit without telling the
 *   sender, so they are lost even with block=true. Without GSO each
 *   datagram is its own packet, every drop comes back as ENOBUFS and
 *   block=true sends it again. No effect in raw mode.
 * - `gather` (1..64, default 1): send up to this many single buffers
 *   together, as one batch (one system call with UDP GSO), instead of one
 *   system call each. 1 (the default) sends every buffer as it arrives.
 *   A buffer then waits until the batch is full, its first buffer has waited
 *   `gather-latency`, a buffer list or EOS arrives, a buffer with a
 *   timestamp arrives while `sync` is true (basesink may wait on the clock
 *   for it, so what waits goes out first), or the element stops (what the
 *   socket cannot take at that moment is dropped and counted). For streams
 *   that push single buffers faster than one system call each can send
 *   (MPEG-TS over UDP at high rates, with sync=false or buffers without
 *   timestamps: with sync=true and timestamps every buffer is sent before
 *   the next one's clock wait, so nothing is gathered); a stream slower than
 *   the batch fills gains nothing and each datagram is delayed by up to
 *   `gather-latency`.
 * - `gather-latency` (guint64 nanoseconds, 0..1 s, default 1 ms): the
 *   longest a gathered buffer waits for the ones after it.
 * - `metrics-interval` (guint64 nanoseconds, default 1 second): post an
 *   `mctx-metrics` element message this often (see "Metrics" below); 0 posts
 *   only the final one. Applies at once, also while running.
 * - `metrics-file`: append every metrics message as a Heimdall JSONL row
 *   (`heimdall-jsonl-v1`, artifact `mctx-network`) to this file. Unset: none.
 * - `metrics-node-id`: the `node_id` of the file's header. Unset: the name of
 *   the file's parent directory, else the file's stem, else `unknown`.
 * - `metrics-flags`: a JSON object of extra header flags, merged with the
 *   element's own (which win on a conflict).
 * - `stats` (read-only): a #GstStructure named `mctx-stats` with the same
 *   fields as the `mctx-metrics` message, counters since the element last
 *   started (kept after it stops). Every buffer the element renders ends up
 *   in exactly one of packets-sent and packets-dropped. Its `interval` and
 *   rates run from the previous message to the moment stats is read; after
 *   stop they are the final message's; `final` is whether this stream's
 *   final message is out.
 *
 * group, port, source-addr, source-port, interface, buffer-size, socket, raw,
 * gso, gather, gather-latency, metrics-file, metrics-node-id and
 * metrics-flags take effect when the element starts (NULL to READY: the socket is open
 * from READY on); changing them
 * while it is not in the NULL state is refused with a warning. ttl, loop,
 * qos-dscp and metrics-interval apply at once, also while running; block is
 * read for every buffer.
 *
 * ## Metrics
 *
 * While the element is PAUSED or PLAYING (or on its way there: a sink still
 * waiting for its first buffer reports too), it posts an element message
 * named `mctx-metrics` every #GstMctxSink:metrics-interval, also when no
 * buffer arrives (a stalled stream reports zero rates). The messages come from
 * a thread of the element's own, not from the streaming thread, and cost the
 * send path nothing: the counters are libmctx's lock-free snapshots and one
 * atomic. The structure contains these fields:
 *
 * * #guint64 `packets-sent`: datagrams sent since the element started.
 * * #guint64 `bytes-sent`: their bytes (UDP payload; in raw mode the whole IP
 *   datagram).
 * * #guint64 `send-calls`: datagrams tried (sent + failed attempts).
 * * #guint64 `send-errors`: failed attempts, would-blocks and ENOBUFS that
 *   were retried included.
 * * #guint64 `would-block`: attempts that found the socket buffer full.
 * * #guint64 `packets-dropped`: buffers the element gave up on (send errors,
 *   a full socket with `block=false`, a buffer it could not read).
 * * #guint64 `interval`: nanoseconds since the previous message (the first
 *   one: since the element started), on the monotonic clock.
 * * #gdouble `packets-per-sec`: packets-sent over that interval.
 * * #gdouble `bytes-per-sec`: bytes-sent over that interval.
 * * #GstClockTime `running-time`: the running time of the last buffer
 *   rendered (from basesink's last-sample, so %GST_CLOCK_TIME_NONE when
 *   #GstBaseSink:enable-last-sample is off, when no buffer had a timestamp,
 *   or before the first buffer).
 * * #gchararray `group`: the group sent to.
 * * #gint `port`: the destination port.
 * * #gchararray `source`: the effective source address, the one the kernel
 *   chose when `source-addr` is not set (in raw mode `group` and `source`
 *   are empty and `port` is 0: each datagram carries its own).
 * * #gboolean `final`: %TRUE on the last message of a stream.
 *
 * Every stream gets exactly one final message: at EOS (posted before the EOS
 * message reaches the bus, with every buffer counted), or, when the element
 * stops (READY to NULL) without an EOS first, at stop. After the final message
 * no other is posted until a new stream begins (a STREAM_START or FLUSH_STOP
 * event), so a final message at EOS is not followed by another at stop.
 *
 * With `metrics-file` set, each message is also appended to that file as one
 * row of a Heimdall `heimdall-jsonl-v1` file (producer `mctx/mctxsink`, the
 * fields of mctx-send's rows plus `packets_dropped_total`, `_delta` and
 * `_per_sec`), see docs/metrics.md. The file is opened, locked and checked at
 * start: a metrics-flags that is not a JSON object, or a file that belongs to
 * another run (another header), or that another writer holds, fails the start
 * with an error that says why.
 *
 * |[
 * gst-launch-1.0 -m audiotestsrc num-buffers=100 ! audioconvert ! rtpL16pay ! \
 *     mctxsink group=239.255.12.44 port=5006 interface=lo \
 *     metrics-interval=500000000
 * ]|
 * prints a `mctx-metrics` message every half second and a final one before
 * the EOS. examples/gst/metrics-watch.c is an application that reads them.
 *
 * ## Full socket, send errors
 *
 * When the socket buffer is full, with `block=true` the streaming thread waits
 * until the socket is writable, in a wait that a state change or a flush
 * interrupts at once. After a pause, the datagram that was waiting is sent
 * when the pipeline plays again, so pausing loses nothing. A datagram refused
 * with ENOBUFS (the local queue of a slow link is full) is sent again after a
 * short backoff (1 ms doubling up to 20 ms) that is interrupted the same way.
 * When the queue has refused every datagram for more than a second (a link
 * that is down or shaped to a standstill), a #GST_MESSAGE_WARNING says so,
 * again at most once a second while it lasts; the element keeps resending.
 * With `block=false` both are dropped and counted.
 *
 * Other send errors (ENETUNREACH, EPERM from a firewall, EMSGSIZE for a buffer
 * larger than the path allows, ...) lose that datagram: it is counted in
 * packets-dropped and send-errors, a #GST_MESSAGE_WARNING saying how many
 * datagrams failed with that error is posted at most once a second per error
 * (failures not reported yet are reported at EOS and when the element stops),
 * and the stream goes on.
 */

#include "gstmctxsink.h"
#include "gstmctxsender.h"
#include "gstmctxsinkdebug.h"
#include "gstmctxsinkgather.h"
#include "gstmctxsinkmetrics.h"

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
#define DEFAULT_GSO             TRUE
#define DEFAULT_GATHER          1
#define DEFAULT_GATHER_LATENCY  (1 * GST_MSECOND)
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
  PROP_SEND_STATS,
  PROP_GATHER,
  PROP_GATHER_LATENCY,
  PROP_GSO,
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
   * Send a batch's runs of equal-sized datagrams as UDP GSO sends; FALSE
   * sends each as its own packet, for an egress whose shaping qdisc drops
   * GSO segments silently.
   */
  g_object_class_install_property (gobject_class, PROP_GSO,
      g_param_spec_boolean ("gso", "GSO",
          "Send runs of equal-sized datagrams of a batch as UDP GSO sends "
          "where the kernel has it; false sends each as its own packet, so "
          "that a shaping qdisc (tbf) that drops one reports it (ENOBUFS) "
          "instead of losing GSO segments silently", DEFAULT_GSO, AT_START));
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
  basesink_class->prepare = GST_DEBUG_FUNCPTR (gst_mctx_sink_prepare);
}

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
  s->gso = DEFAULT_GSO;
  s->gather = DEFAULT_GATHER;
  s->gather_latency = DEFAULT_GATHER_LATENCY;

  sink->sender = gst_mctx_sender_new (GST_BASE_SINK (sink), &sink->settings);
  gst_mctx_sender_set_block (sink->sender, DEFAULT_BLOCK);
  sink->metrics = gst_mctx_sink_metrics_new (GST_BASE_SINK (sink),
      sink->sender);
}

static void
gst_mctx_sink_finalize (GObject * object)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);

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
    case PROP_GSO:
      s->gso = g_value_get_boolean (value);
      break;
    case PROP_GATHER:
      s->gather = g_value_get_uint (value);
      break;
    case PROP_GATHER_LATENCY:
      s->gather_latency = g_value_get_uint64 (value);
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
    case PROP_GSO:
      g_value_set_boolean (value, s->gso);
      break;
    case PROP_GATHER:
      g_value_set_uint (value, s->gather);
      break;
    case PROP_GATHER_LATENCY:
      g_value_set_uint64 (value, s->gather_latency);
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

/* The settings are copied in one section under the object lock, which also
 * marks the element as running: from then on the start-time settings are
 * refused, so none changes between this copy and the publication it opens;
 * a live one set meanwhile is staged and applied at the first buffer. */
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

  if (sink->gathering == NULL
      || !gst_mctx_sink_gather_pending (sink->gathering)
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
    gst_mctx_sender_count_dropped (sink->sender,
        gst_buffer_list_length (list));
  gst_mctx_sink_gather_unlock (sink->gathering);
  return ret;
}
