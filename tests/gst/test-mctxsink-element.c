/* mctxsink: properties, start errors, URIs, refused changes, caller sockets
 * and descriptor hygiene.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * As root the test runs in a private network namespace; otherwise in the
 * current one, where it only ever sends through lo.
 */
#include "mctxsink-test.h"

#include <gst/check/gstharness.h>
#include "testnet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static GstElement *
new_sink (void)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);

  fail_unless (sink != NULL, "mctxsink not found (GST_PLUGIN_PATH?)");
  return sink;
}

static void
check_int_pspec (GObjectClass * klass, const char *name, gint min, gint max,
    gint def)
{
  GParamSpec *p = g_object_class_find_property (klass, name);
  GParamSpecInt *ip;

  fail_unless (p != NULL, "no property %s", name);
  fail_unless (G_IS_PARAM_SPEC_INT (p), "%s is not an int", name);
  ip = G_PARAM_SPEC_INT (p);
  fail_unless_equals_int (ip->minimum, min);
  fail_unless_equals_int (ip->maximum, max);
  fail_unless_equals_int (ip->default_value, def);
  fail_unless (p->flags & G_PARAM_READWRITE);
}

GST_START_TEST (test_property_defaults_and_ranges)
{
  GstElement *sink = new_sink ();
  GObjectClass *klass = G_OBJECT_GET_CLASS (sink);
  gchar *group, *source, *itf;
  gint port, source_port, ttl, dscp, bufsize;
  gboolean loop, block, gso;
  GSocket *socket;
  GParamSpec *p;
  GstStructure *stats;
  const char *fields[] = { "packets-sent", "bytes-sent", "send-calls",
    "send-errors", "would-block", "packets-dropped"
  };

  g_object_get (sink, "group", &group, "port", &port, "source-addr", &source,
      "source-port", &source_port, "interface", &itf, "ttl", &ttl, "loop",
      &loop, "qos-dscp", &dscp, "buffer-size", &bufsize, "block", &block,
      "socket", &socket, "send-stats", &stats, "gso", &gso, NULL);
  fail_unless (group == NULL);
  fail_unless_equals_int (gso, 2);      /* auto (MCTX_GSO_AUTO) */
  fail_unless_equals_int (port, 5004);
  fail_unless (source == NULL);
  fail_unless_equals_int (source_port, 0);
  fail_unless (itf == NULL);
  fail_unless_equals_int (ttl, 1);
  fail_unless (loop == TRUE);
  fail_unless_equals_int (dscp, -1);
  fail_unless_equals_int (bufsize, 0);
  fail_unless (block == TRUE);
  fail_unless (socket == NULL);
  fail_unless (stats != NULL);
  fail_unless_equals_string (gst_structure_get_name (stats), "mctx-stats");
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    guint64 v = 1;
    fail_unless (gst_structure_get_uint64 (stats, fields[i], &v), "%s",
        fields[i]);
    fail_unless_equals_uint64 (v, 0);
  }
  gst_structure_free (stats);

  /* Declared wide, so that the element sees a bad value and refuses it by
   * name (test_out_of_range_refused_at_start). */
  check_int_pspec (klass, "port", G_MININT, G_MAXINT, 5004);
  check_int_pspec (klass, "source-port", G_MININT, G_MAXINT, 0);
  check_int_pspec (klass, "ttl", G_MININT, G_MAXINT, 1);
  check_int_pspec (klass, "qos-dscp", G_MININT, G_MAXINT, -1);
  check_int_pspec (klass, "buffer-size", G_MININT, G_MAXINT, 0);

  p = g_object_class_find_property (klass, "send-stats");
  fail_unless (p && (p->flags & G_PARAM_READABLE)
      && !(p->flags & G_PARAM_WRITABLE));
  fail_unless (p->value_type == GST_TYPE_STRUCTURE);
  p = g_object_class_find_property (klass, "socket");
  fail_unless (p && p->value_type == G_TYPE_SOCKET);
  for (guint i = 0; i < 4; i++) {
    const char *strings[] = { "group", "source-addr", "interface", NULL };
    if (strings[i] == NULL)
      break;
    p = g_object_class_find_property (klass, strings[i]);
    fail_unless (p && p->value_type == G_TYPE_STRING, "%s", strings[i]);
  }

  /* Out of range: kept until start, which refuses it by name. */
  g_object_set (sink, "ttl", 256, "port", 0, "qos-dscp", 64, NULL);
  g_object_get (sink, "ttl", &ttl, "port", &port, "qos-dscp", &dscp, NULL);
  fail_unless_equals_int (ttl, 256);
  fail_unless_equals_int (port, 0);
  fail_unless_equals_int (dscp, 64);

  /* Within range: kept as given. */
  g_object_set (sink, "ttl", -1, "qos-dscp", 63, "port", 65535, NULL);
  g_object_get (sink, "ttl", &ttl, "port", &port, "qos-dscp", &dscp, NULL);
  fail_unless_equals_int (ttl, -1);
  fail_unless_equals_int (port, 65535);
  fail_unless_equals_int (dscp, 63);

  fail_unless_equals_string (gst_element_class_get_metadata
      (GST_ELEMENT_GET_CLASS (sink), GST_ELEMENT_METADATA_KLASS),
      "Sink/Network");
  gst_object_unref (sink);
}

GST_END_TEST;

/* Each bad configuration: the error names the value (and the property),
 * word for word as docs/mctxsink.md's "Errors at start" table quotes it. */
GST_START_TEST (test_bad_settings_name_the_value)
{
  static const struct
  {
    const char *props;
    const char *expect[3];
    const char *text;
  } cases[] = {
    {"group=notanaddress", {"group", "'notanaddress'", NULL},
        "group 'notanaddress' is not an IP address"},
    {"group=10.1.2.3", {"group '10.1.2.3' is not a multicast address", NULL},
        "group '10.1.2.3' is not a multicast address"},
    {"group=239.255.0.1 interface=nosuch0",
          {"interface 'nosuch0' does not exist", NULL},
        "interface 'nosuch0' does not exist"},
    {"group=239.255.0.1 interface=averyveryverylongname0",
          {"interface", "'averyveryverylongname0'", NULL},
        "interface 'averyveryverylongname0' is not an interface name, local "
          "address or index: interface name 'averyveryverylongname0' is too "
          "long (at most 15 bytes)"},
    {"group=239.255.0.1 interface=224.0.0.1", {"interface", "'224.0.0.1'",
            NULL}, "interface '224.0.0.1' is not a unicast address"},
    {"group=239.255.0.1 interface=::1", {"interface '::1'", "239.255.0.1",
            NULL}, "interface '::1' and group '239.255.0.1' are not of the "
        "same address family"},
    {"group=239.255.0.1 interface=10.99.99.99", {"interface",
            "10.99.99.99", NULL}, "interface '10.99.99.99' is not usable: "
        "interface address 10.99.99.99 is not an address of this host "
        "(IP_MULTICAST_IF: Cannot assign requested address)"},
    {"group=239.255.0.1 interface=9999", {"interface '9999' does not exist",
            NULL}, "interface '9999' does not exist"},
    {"group=239.255.0.1 source-addr=nonsense", {"source-addr",
            "'nonsense'", NULL}, "source-addr 'nonsense' is not an IP address"},
    {"group=239.255.0.1 source-addr=239.255.0.2", {"source-addr",
            "'239.255.0.2'", NULL}, "source-addr '239.255.0.2' is not a "
        "unicast address: datagrams cannot come from it"},
    {"group=239.255.0.1 source-addr=0.0.0.0", {"source-addr", "'0.0.0.0'",
            NULL}, "source-addr '0.0.0.0' is not a unicast address: "
        "datagrams cannot come from it"},
    {"group=239.255.0.1 source-addr=::1", {"source-addr '::1'",
            "239.255.0.1", NULL}, "source-addr '::1' and group "
        "'239.255.0.1' are not of the same address family"},
    {"group=239.255.0.1 source-addr=10.99.99.99", {"source-addr",
            "'10.99.99.99'", NULL}, "source-addr '10.99.99.99' is not "
        "usable: source address 10.99.99.99 is not an address of this host "
        "(bind: Cannot assign requested address)"},
    {"group=ff3e::8000:1 source-addr=fd99::1", {"source-addr", "fd99::1",
            NULL}, "source-addr 'fd99::1' is not usable: source address "
        "fd99::1 is not assigned to any interface"},
    /* With an interface too, the source is still the value blamed. */
    {"group=ff3e::1 interface=lo source-addr=fd99::1", {"source-addr",
            "fd99::1", NULL}, "source-addr 'fd99::1' is not usable: source "
        "address fd99::1 is not assigned to any interface"},
    {"group=ff3e::1 interface=fd99::2 source-addr=::1", {"interface",
            "fd99::2", NULL}, "interface 'fd99::2' is not usable: interface "
        "address fd99::2 is not assigned to any interface"},
    {"group=ff3e::8000:1 interface=0", {"interface '0'", NULL},
        "interface '0' is not a valid interface index"},
    {"group=ff32::8000:1", {"group 'ff32::8000:1'", "interface", NULL},
        "group 'ff32::8000:1' is interface- or link-local: set the interface "
        "property (or a link-local source-addr with its zone, like "
        "fe80::1%eth0)"},
    {"group=ff12::1 interface=lo source-addr=fe80::1%lo", {"source-addr",
            NULL}, "source-addr 'fe80::1%lo' is not usable: source address "
        "fe80::1 is not an address of interface lo (bind: Cannot assign "
        "requested address)"},
    {"group=239.255.0.1 metrics-flags=[1,2]", {"metrics-flags", NULL},
        "metrics-flags is not usable: flags must be a JSON object, not an "
        "array: [1,2]"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *text = mst_start_error (cases[i].props);

    fail_unless (text != NULL, "'%s' started", cases[i].props);
    for (guint j = 0; cases[i].expect[j]; j++)
      fail_unless (strstr (text, cases[i].expect[j]) != NULL,
          "error for '%s' is \"%s\", without \"%s\"", cases[i].props, text,
          cases[i].expect[j]);
    fail_unless_equals_string (text, cases[i].text);
    GST_INFO ("%s -> %s", cases[i].props, text);
    g_free (text);
  }
}

GST_END_TEST;

/* The rows of the table that need a setup: a source port in use, an IPv6
 * source on another interface, no route for the group, a metrics-file of
 * another run or held by another writer. */
GST_START_TEST (test_bad_settings_needing_a_setup)
{
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  gchar *props, *text, *want;

  /* A port this process holds on 127.0.0.1. */
  memset (&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (fd >= 0 && bind (fd, (struct sockaddr *) &sin, sizeof sin) == 0);
  fail_unless (getsockname (fd, (struct sockaddr *) &sin, &len) == 0);
  props = g_strdup_printf ("group=239.255.0.1 interface=lo "
      "source-addr=127.0.0.1 source-port=%u", ntohs (sin.sin_port));
  want = g_strdup_printf ("Cannot send from source-addr '127.0.0.1' "
      "source-port %u: Address already in use", ntohs (sin.sin_port));
  text = mst_start_error (props);
  fail_unless_equals_string (text, want);
  g_free (text);
  g_free (want);
  g_free (props);
  close (fd);

  {
    gchar *dir = g_dir_make_tmp ("mctxsink-element-XXXXXX", NULL);
    gchar *path = g_build_filename (dir, "network.jsonl", NULL);
    GstElement *holder = new_sink ();

    fail_unless (dir != NULL);
    props = g_strdup_printf ("group=239.255.0.1 port=5610 interface=lo "
        "metrics-file=%s metrics-node-id=sender-0001", path);
    mst_set_props (holder, props);
    fail_unless (gst_element_set_state (holder, GST_STATE_PAUSED) !=
        GST_STATE_CHANGE_FAILURE);
    text = mst_start_error (props);
    want = g_strdup_printf ("Cannot write metrics-file '%s': '%s' is locked "
        "by another writer (only one may append at a time)", path, path);
    fail_unless_equals_string (text, want);
    g_free (text);
    g_free (want);
    g_free (props);
    gst_element_set_state (holder, GST_STATE_NULL);
    gst_object_unref (holder);

    props = g_strdup_printf ("group=239.255.0.1 port=5610 interface=lo "
        "metrics-file=%s metrics-node-id=other", path);
    text = mst_start_error (props);
    want = g_strdup_printf ("Cannot write metrics-file '%s': '%s' line 1: the "
        "existing header does not match: \"node_id\" is \"sender-0001\" in "
        "the file but \"other\" was asked for", path, path);
    fail_unless_equals_string (text, want);
    g_free (text);
    g_free (want);
    g_free (props);
    fail_unless (g_unlink (path) == 0 && g_rmdir (dir) == 0);
    g_free (path);
    g_free (dir);
  }

  /* Interfaces and routes are changed only in the private namespace. */
  if (geteuid () != 0)
    return;

  testnet_sh_ok ("ip link add errel0 type veth peer name errel1");
  text = mst_start_error ("group=ff3e::1 interface=errel0 source-addr=::1");
  fail_unless_equals_string (text,
      "source-addr '::1' is not on interface 'errel0'");
  g_free (text);
  testnet_sh_ok ("ip link del errel0");

  testnet_sh_ok ("ip -6 route del local ff00::/8 dev lo table local");
  text = mst_start_error ("group=ff31::8000:1234 port=5600 interface=lo");
  testnet_sh_ok ("ip -6 route add local ff00::/8 dev lo table local");
  want = g_strdup_printf ("Cannot send to group 'ff31::8000:1234' port 5600 "
      "(interface 'lo'): connect to [ff31::8000:1234%%%u]:5600 failed: "
      "Network is unreachable (no route for the group out of interface "
      "%u (lo); for IPv6 multicast on lo add one: ip -6 route add local "
      "ff00::/8 dev lo table local)", testnet_ifindex ("lo"),
      testnet_ifindex ("lo"));
  fail_unless_equals_string (text, want);
  g_free (text);
  g_free (want);
}

GST_END_TEST;

GST_START_TEST (test_good_settings_start)
{
  const char *good[] = {
    "group=239.255.0.1 interface=lo",
    "group=239.255.0.1 interface=127.0.0.1 source-addr=127.0.0.1",
    "group=239.255.0.1 interface=1 ttl=-1 qos-dscp=46 buffer-size=65536",
    "group=239.255.0.1 interface=lo source-addr=127.0.0.1 source-port=45999",
    "group=ff31::8000:1 interface=lo source-addr=::1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
    gchar *text;

    /* IPv6 multicast on lo needs the route testnet adds in the private
     * namespace (root only); the current namespace may lack it. */
    if (strchr (good[i], ':') && geteuid () != 0)
      continue;
    text = mst_start_error (good[i]);
    fail_unless (text == NULL, "'%s' failed: %s", good[i], text);
  }
}

GST_END_TEST;

static void
check_uri_round_trip (const char *uri)
{
  GstElement *sink = new_sink ();
  GError *err = NULL;
  gchar *back;

  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), uri, &err),
      "%s: %s", uri, err ? err->message : "?");
  back = gst_uri_handler_get_uri (GST_URI_HANDLER (sink));
  fail_unless_equals_string (back, uri);
  g_free (back);
  gst_object_unref (sink);
}

/* Every key the query takes, with a value that is not its default, as
 * get_uri writes it. */
static const struct
{
  const char *key;
  const char *value;
} uri_keys[] = {
  {"source-port", "7000"},
  {"interface", "lo"},
  {"ttl", "-1"},
  {"loop", "false"},
  {"qos-dscp", "46"},
  {"buffer-size", "65536"},
  {"block", "false"},
  {"gso", "off"},
  {"gather", "16"},
  {"gather-latency", "2000000"},
};

static gchar *
property_text (GstElement * sink, const char *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
      name);
  GValue value = G_VALUE_INIT;
  gchar *text;

  fail_unless (pspec != NULL, "no property %s", name);
  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (sink), name, &value);
  text = G_VALUE_HOLDS_STRING (&value) ? g_value_dup_string (&value)
      : gst_value_serialize (&value);
  g_value_unset (&value);
  return text;
}

static gboolean
property_is_default (GstElement * sink, const char *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
      name);
  GValue value = G_VALUE_INIT;
  gboolean is_default;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (sink), name, &value);
  is_default = g_param_value_defaults (pspec, &value);
  g_value_unset (&value);
  return is_default;
}

/* What a URI describes, as text: group, port, source-addr and the query's
 * properties (g_free). */
static gchar *
uri_settings (GstElement * sink)
{
  GString *all = g_string_new (NULL);
  const char *names[] = { "group", "port", "source-addr" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    gchar *text = property_text (sink, names[i]);
    g_string_append_printf (all, "%s=%s\n", names[i], text);
    g_free (text);
  }
  for (guint i = 0; i < G_N_ELEMENTS (uri_keys); i++) {
    gchar *text = property_text (sink, uri_keys[i].key);
    g_string_append_printf (all, "%s=%s\n", uri_keys[i].key, text);
    g_free (text);
  }
  return g_string_free (all, FALSE);
}

/* URIs a fuzzer or a careless user writes. Each is refused at set time with
 * a message that does not repeat a long URI whole, or accepted; an
 * accepted one's get_uri is accepted again, gives the same settings and is
 * its own get_uri. */
GST_START_TEST (test_uri_nasty)
{
  const char *refused[] = {
    "mctx://[&[]",
    "mctx://notanaddress:5004",
    "mctx://[]:5004",
    "mctx://[ff3e::1]]:5004",
    "mctx://%5B::1%5D:5004",
    "mctx://[ff02::1%25nosuch0]:5004",
    "mctx://[ff02::1%lo]:5004",
    "mctx://239.1.1.1%2500:5004",
    "mctx://239.1.1.1%00:5004",
    "mctx://a@b@239.1.1.1",
    "mctx://host.example@239.1.1.1:5004",
    "mctx://239.1.1.1: 5004",
    "mctx://239.1.1.1:5004?interface=%00",
    "mctx://239.1.1.1:5004?%zz=1",
    "mctx://",
    "mctx://?",
    "mctx://:5004",
  };
  const char *accepted[] = {
    "mctx://[ff02::1%25lo]:5004",
    "mctx://%32%33%39.1.1.1:5000",
    "mctx://[239.1.1.1]:5000",
    "MCTX://239.1.1.1",
    "mctx://[::ffff:239.1.1.1]:5000",
    "mctx://239.1.1.1:5000/",
    "mctx://239.1.1.1:5000?interface=%26%3D%20x%25",
    "mctx://239.1.1.1:5000?ttl=3&ttl=4",
    "mctx://[ff3e::1]:5000?&&loop=0&",
    "mctx://::1@[ff3e::1]:5000",
    "mctx://239.1.1.1:5000?interface=",
  };
  const struct
  {
    const char *head;
    char fill;
    const char *tail;
  } huge_uris[] = {
    {"mctx://", 'x', ":5004?interface=yyy&ttl=z"},
    {"mctx://239.1.1.1:5004?interface=yyy&ttl=", '9', ""},
    {"mctx://239.1.1.1:5004?", 'k', "=1"},
    {"mctx://239.1.1.1:5004?ttl", 'k', ""},
    {"xmctx://", 'x', ""},
  };
  GError *err = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    GstElement *sink = new_sink ();
    fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), refused[i],
            &err), "accepted %s", refused[i]);
    fail_unless (err != NULL);
    GST_INFO ("%s -> %s", refused[i], err->message);
    g_clear_error (&err);
    gst_object_unref (sink);
  }

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++) {
    GstElement *sink = new_sink (), *again = new_sink ();
    gchar *uri, *uri_again, *settings, *settings_again;

    fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), accepted[i],
            &err), "%s: %s", accepted[i], err ? err->message : "?");
    uri = gst_uri_handler_get_uri (GST_URI_HANDLER (sink));
    fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (again), uri,
            &err), "%s gave %s: %s", accepted[i], uri,
        err ? err->message : "?");
    settings = uri_settings (sink);
    settings_again = uri_settings (again);
    fail_unless_equals_string (settings_again, settings);
    uri_again = gst_uri_handler_get_uri (GST_URI_HANDLER (again));
    fail_unless_equals_string (uri_again, uri);
    g_free (uri);
    g_free (uri_again);
    g_free (settings);
    g_free (settings_again);
    gst_object_unref (sink);
    gst_object_unref (again);
  }

  /* A host that is not an address is named, and a 1 MB URI is not
   * repeated whole. */
  {
    GstElement *sink = new_sink ();

    fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (sink),
            "mctx://notanaddress:5004", &err));
    fail_unless (strstr (err->message, "'notanaddress'") != NULL, "%s",
        err->message);
    g_clear_error (&err);
    /* head, 1 MB of one character, tail. */
    for (guint i = 0; i < G_N_ELEMENTS (huge_uris); i++) {
      gchar *filler = g_strnfill (1 << 20, huge_uris[i].fill);
      gchar *uri = g_strconcat (huge_uris[i].head, filler, huge_uris[i].tail,
          NULL);

      fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), uri, &err));
      fail_unless (strlen (err->message) < 512, "%zu bytes: %.100s...",
          strlen (err->message), err->message);
      g_clear_error (&err);
      g_free (uri);
      g_free (filler);
    }
    gst_object_unref (sink);
  }
}

GST_END_TEST;

/* Each key alone and all of them together: set_uri sets the property,
 * get_uri gives the same URI back, and a URI without them sets every one
 * back to its default. */
GST_START_TEST (test_uri_every_key_round_trips)
{
  GString *all = g_string_new ("mctx://239.255.0.1:5004");
  GstElement *sink;
  GError *err = NULL;
  gchar *uri, *back;

  for (guint i = 0; i < G_N_ELEMENTS (uri_keys); i++) {
    uri = g_strdup_printf ("mctx://239.255.0.1:5004?%s=%s", uri_keys[i].key,
        uri_keys[i].value);
    sink = new_sink ();
    fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), uri, &err),
        "%s: %s", uri, err ? err->message : "?");
    back = property_text (sink, uri_keys[i].key);
    fail_unless_equals_string (back, uri_keys[i].value);
    g_free (back);
    back = gst_uri_handler_get_uri (GST_URI_HANDLER (sink));
    fail_unless_equals_string (back, uri);
    g_free (back);
    gst_object_unref (sink);
    g_free (uri);
    g_string_append_printf (all, "%c%s=%s", i == 0 ? '?' : '&',
        uri_keys[i].key, uri_keys[i].value);
  }

  check_uri_round_trip (all->str);

  sink = new_sink ();
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), all->str,
          &err), "%s", err ? err->message : "?");
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink),
          "mctx://239.255.0.1:5004", &err), "%s", err ? err->message : "?");
  for (guint i = 0; i < G_N_ELEMENTS (uri_keys); i++)
    fail_unless (property_is_default (sink, uri_keys[i].key),
        "%s was not reset by a URI without it", uri_keys[i].key);
  gst_object_unref (sink);
  g_string_free (all, TRUE);
}

GST_END_TEST;

/* Any other key is refused, with an error that names it, and changes
 * nothing: mctxsink's own properties that are not about where and how
 * datagrams go, the ones the URI writes before the query, basesink's and
 * GstObject's. */
GST_START_TEST (test_uri_refuses_other_keys)
{
  const char *refused[] = {
    "raw", "metrics-interval", "metrics-file", "metrics-node-id",
    "metrics-flags", "group", "port", "source-addr", "socket", "stats",
    "send-stats",
    "sync", "max-lateness", "enable-last-sample", "name", "parent", "nosuch",
  };
  GstElement *sink = new_sink ();
  GError *err = NULL;
  gchar *uri, *quoted;

  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink),
          "mctx://239.255.0.1:5004?ttl=3", &err));
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    uri = g_strdup_printf ("mctx://239.255.0.2:6000?%s=1", refused[i]);
    fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), uri, &err),
        "accepted %s", uri);
    fail_unless (g_error_matches (err, GST_URI_ERROR, GST_URI_ERROR_BAD_URI),
        "%s: %s", uri, err ? err->message : "no error");
    quoted = g_strdup_printf ("'%s'", refused[i]);
    fail_unless (strstr (err->message, quoted) != NULL,
        "the error for %s does not name it: %s", refused[i], err->message);
    GST_INFO ("%s -> %s", uri, err->message);
    g_free (quoted);
    g_clear_error (&err);
    g_free (uri);
  }
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (sink));
  fail_unless_equals_string (uri, "mctx://239.255.0.1:5004?ttl=3");
  g_free (uri);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_uri)
{
  GstElement *sink;
  GError *err = NULL;
  gchar *s, *uri;
  gint port, ttl, dscp;
  gboolean loop, block;
  const char *bad[] = {
    "udp://239.255.0.1:5004",
    "mctx://ff3e::1:5004",
    "mctx://239.255.0.1:0",
    "mctx://239.255.0.1:70000",
    "mctx://239.255.0.1:port",
    "mctx://[ff3e::1:5004",
    "mctx://239.255.0.1:5004/path",
    "mctx://239.255.0.1:5004?nosuch=1",
    "mctx://239.255.0.1:5004?ttl=300",
    "mctx://239.255.0.1:5004?ttl=many",
    "mctx://239.255.0.1:5004?ttl",
    "mctx://239.255.0.1:5004?socket=3",
    "mctx://239.255.0.1:5004?stats=x",
    "mctx://@239.255.0.1:5004",
  };

  check_uri_round_trip ("mctx://239.255.0.1:5004");
  check_uri_round_trip ("mctx://10.0.0.1@232.1.1.1:5004?interface=eth0&ttl=8"
      "&loop=false");
  check_uri_round_trip ("mctx://[fd00::1]@[ff3e::8000:1234]:6000?"
      "source-port=7000&interface=v0&ttl=-1&qos-dscp=46&buffer-size=65536"
      "&block=false");
  check_uri_round_trip ("mctx://[fe80::1%25lo]@[ff32::1]:5004");

  sink = new_sink ();
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink),
          "mctx://[fd00::1]@[ff3e::8000:1234]:6000?interface=7&ttl=9"
          "&loop=0&qos-dscp=10&block=false", &err));
  g_object_get (sink, "group", &s, "port", &port, "ttl", &ttl, "loop", &loop,
      "qos-dscp", &dscp, "block", &block, NULL);
  fail_unless_equals_string (s, "ff3e::8000:1234");
  g_free (s);
  fail_unless_equals_int (port, 6000);
  fail_unless_equals_int (ttl, 9);
  fail_unless (!loop);
  fail_unless_equals_int (dscp, 10);
  fail_unless (!block);
  g_object_get (sink, "source-addr", &s, NULL);
  fail_unless_equals_string (s, "fd00::1");
  g_free (s);
  g_object_get (sink, "interface", &s, NULL);
  fail_unless_equals_string (s, "7");
  g_free (s);

  /* A new URI says everything: what it leaves out is back to default. */
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (sink),
          "mctx://239.255.0.1", &err));
  g_object_get (sink, "source-addr", &s, "port", &port, "ttl", &ttl, "block",
      &block, NULL);
  fail_unless (s == NULL);
  fail_unless_equals_int (port, 5004);
  fail_unless_equals_int (ttl, 1);
  fail_unless (block);
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (sink));
  fail_unless_equals_string (uri, "mctx://239.255.0.1:5004");
  g_free (uri);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (sink), bad[i], &err),
        "accepted %s", bad[i]);
    fail_unless (err != NULL);
    GST_INFO ("%s -> %s", bad[i], err->message);
    g_clear_error (&err);
  }
  /* A refused URI changes nothing. */
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (sink));
  fail_unless_equals_string (uri, "mctx://239.255.0.1:5004");
  g_free (uri);
  gst_object_unref (sink);

  /* Found by URI like any sink. */
  sink = gst_element_make_from_uri (GST_URI_SINK,
      "mctx://127.0.0.1@239.255.0.1:5010?interface=lo", NULL, &err);
  fail_unless (sink != NULL, "make_from_uri: %s", err ? err->message : "?");
  g_object_get (sink, "interface", &s, NULL);
  fail_unless_equals_string (s, "lo");
  g_free (s);
  gst_object_unref (sink);
}

GST_END_TEST;

static int
sockopt_int (int fd, int level, int name)
{
  int v = -1;
  socklen_t len = sizeof v;

  fail_unless (getsockopt (fd, level, name, &v, &len) == 0);
  return v;
}

static void
push_one (GstHarness * h)
{
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              16, NULL)), GST_FLOW_OK);
}

/* Start-time settings are refused while running; ttl, loop and qos-dscp
 * apply at the next buffer (seen on the caller's socket, which the element
 * shares), through gst-check's harness. */
GST_START_TEST (test_running_changes)
{
  GstElement *sink = new_sink ();
  GstHarness *h;
  GSocket *socket;
  GError *err = NULL;
  gint size;
  int fd, fds_before;
  const char *refused[] = { "buffer-size", "socket", "gso", "raw", "gather",
    "metrics-file"
  };
  gboolean gso;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, &err);
  fail_unless (socket != NULL);
  fd = g_socket_get_fd (socket);
  fds_before = mst_count_fds ();

  g_object_set (sink, "group", "239.255.0.1", "port", 5020, "interface", "lo",
      "socket", socket, NULL);
  gst_object_ref (sink);
  h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  push_one (h);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
        refused[i]);
    GValue v = G_VALUE_INIT;

    fail_unless (p->flags & GST_PARAM_MUTABLE_READY, "%s", refused[i]);
    g_value_init (&v, p->value_type);
    if (p->value_type == G_TYPE_STRING)
      g_value_set_string (&v, "/nonexistent/file");
    else if (p->value_type == G_TYPE_INT)
      g_value_set_int (&v, 6000);
    else if (p->value_type == G_TYPE_UINT)
      g_value_set_uint (&v, 8);
    else if (p->value_type == G_TYPE_BOOLEAN)
      g_value_set_boolean (&v, !g_value_get_boolean
          (g_param_spec_get_default_value (p)));
    ASSERT_WARNING (g_object_set_property (G_OBJECT (sink), refused[i], &v));
    g_value_unset (&v);
  }
  g_object_get (sink, "buffer-size", &size, "gso", &gso, NULL);
  fail_unless_equals_int (size, 0);
  fail_unless (gso);
  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (sink),
          "mctx://239.255.0.2:5000", &err));
  fail_unless (g_error_matches (err, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE));
  g_clear_error (&err);

  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_MULTICAST_TTL), 1);
  g_object_set (sink, "ttl", 7, "loop", FALSE, "qos-dscp", 46, NULL);
  /* Staged for the streaming thread: nothing changes before a buffer. */
  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_MULTICAST_TTL), 1);
  push_one (h);
  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_MULTICAST_TTL), 7);
  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_MULTICAST_LOOP), 0);
  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_TOS) >> 2, 46);
  g_object_set (sink, "ttl", -1, NULL);
  push_one (h);
  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_MULTICAST_TTL), 1);

  gst_harness_teardown (h);
  /* The duplicate is closed, the caller's socket is still theirs. */
  fail_unless_equals_int (mst_count_fds (), fds_before);
  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_MULTICAST_TTL), 1);

  /* ttl=-1 leaves the caller's own TTL on its socket. */
  {
    int five = 5;
    fail_unless (setsockopt (fd, IPPROTO_IP, IP_MULTICAST_TTL, &five,
            sizeof five) == 0);
  }
  fail_if (gst_element_set_state (sink, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (sockopt_int (fd, IPPROTO_IP, IP_MULTICAST_TTL), 5);
  fail_unless (gst_element_set_state (sink, GST_STATE_NULL) ==
      GST_STATE_CHANGE_SUCCESS);

  /* Stopped: the same changes are accepted again. */
  g_object_set (sink, "buffer-size", 65536, "socket", NULL, NULL);
  gst_object_unref (sink);
  g_object_unref (socket);
}

GST_END_TEST;

/* A caller socket bound elsewhere than the settings say is refused, and the
 * caller keeps a working socket. */
GST_START_TEST (test_socket_mismatch)
{
  GstElement *sink = new_sink ();
  GstBus *bus = gst_bus_new ();
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocket *socket;
  GError *err = NULL;
  GstMessage *msg;
  int fds_before;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, &err);
  fail_unless (g_socket_bind (socket, addr, FALSE, &err));
  fds_before = mst_count_fds ();

  gst_element_set_bus (sink, bus);
  g_object_set (sink, "group", "239.255.0.1", "interface", "lo",
      "source-addr", "127.0.0.2", "socket", socket, NULL);
  fail_unless (gst_element_set_state (sink, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  GST_INFO ("%s", err->message);
  fail_unless (strstr (err->message, "socket") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "127.0.0.2") != NULL, "%s", err->message);
  fail_unless_equals_string (err->message, "The socket property does not "
      "fit the settings (group '239.255.0.1', source-addr '127.0.0.2', "
      "source-port 0): socket is bound to address 127.0.0.1, expected "
      "127.0.0.2");
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);
  fail_unless_equals_int (mst_count_fds (), fds_before);
  fail_unless (g_socket_get_fd (socket) >= 0);
  fail_unless (fcntl (g_socket_get_fd (socket), F_GETFD) >= 0);

  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  g_object_unref (socket);
  g_object_unref (addr);
  g_object_unref (lo);
}

GST_END_TEST;

/* A 10 MB value is not repeated whole by the error that names it. */
GST_START_TEST (test_long_values_are_cut)
{
  const char *props[] = { "group=%s", "group=239.255.0.1 source-addr=%s",
    "group=239.255.0.1 interface=%s", "group=ff02::1%%%s",
    "group=239.255.0.1 interface=lo metrics-flags=%s",
    "group=239.255.0.1 interface=lo metrics-file=/tmp/%s",
  };
  gchar *huge = g_strnfill (10 << 20, 'x');

  for (guint i = 0; i < G_N_ELEMENTS (props); i++) {
    gchar *p = g_strdup_printf (props[i], huge);
    gchar *text = mst_start_error (p);

    fail_unless (text != NULL, "%.40s... started", props[i]);
    /* A path may be shown up to 1024 bytes. */
    fail_unless (strlen (text) < 4096, "%zu bytes: %.200s", strlen (text),
        text);
    fail_unless (strstr (text, "xxx...") != NULL, "%.200s", text);
    GST_INFO ("%s", text);
    g_free (text);
    g_free (p);
  }
  g_free (huge);
}

GST_END_TEST;

/* A zone on group names the interface: used when interface is not set,
 * refused when it names another or none. Root: IPv6 multicast on lo needs
 * the route of the private namespace. */
GST_START_TEST (test_group_zone)
{
  guint lo = testnet_ifindex ("lo");
  gchar *text, *want;
  MstSender tx;
  char got[64];
  int fd;

  if (geteuid () != 0)
    return;
  testnet_sh_ok ("ip link add errz0 type veth peer name errz1");
  text = mst_start_error ("group=ff02::8000:1234%lo interface=errz0");
  want = g_strdup_printf ("group 'ff02::8000:1234%%lo' and interface "
      "'errz0' name different interfaces: group ff02::8000:1234%%%u is on "
      "interface %u (lo) but the outgoing interface is %u (errz0)", lo, lo,
      testnet_ifindex ("errz0"));
  fail_unless_equals_string (text, want);
  g_free (text);
  g_free (want);
  testnet_sh_ok ("ip link del errz0");

  text = mst_start_error ("group=ff02::1%9999");
  fail_unless_equals_string (text, "group 'ff02::1%9999' names an interface "
      "that does not exist: interface 9999, the zone of group ff02::1%9999, "
      "does not exist");
  g_free (text);

  fd = mcast_recv_socket (NULL, AF_INET6, NULL, 5621);
  mcast_join_v6 (fd, "ff02::8000:1234", lo);
  mst_sender_start (&tx, "group=ff02::8000:1234%lo port=5621");
  mst_sender_push (&tx, gst_buffer_new_wrapped (g_strdup ("zoned"), 5));
  mst_sender_finish (&tx);
  fail_unless_equals_int (mcast_recv_within (fd, got, sizeof got, 0, NULL, 0,
          NULL, 3000), 5);
  fail_unless (memcmp (got, "zoned", 5) == 0);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 1);
  mst_sender_free (&tx);
  close (fd);
}

GST_END_TEST;

/* Starts a sink with group 239.255.0.1 and source-port 5031 on a socket
 * made from fd; returns the error's text (g_free). The socket must be left
 * as it was: unbound, no bind for the source port happened (getsockname of
 * an unbound raw socket gives its protocol as the port: unbound_port). */
static gchar *
start_on_foreign_socket (int fd, guint16 unbound_port)
{
  GstElement *sink = new_sink ();
  GstBus *bus = gst_bus_new ();
  GError *err = NULL;
  GSocket *socket = g_socket_new_from_fd (fd, &err);
  GstMessage *msg;
  gchar *text;
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;

  fail_unless (socket != NULL, "%s", err ? err->message : "?");
  gst_element_set_bus (sink, bus);
  g_object_set (sink, "group", "239.255.0.1", "interface", "lo",
      "source-port", 5031, "socket", socket, NULL);
  fail_unless (gst_element_set_state (sink, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  text = g_strdup (err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);

  fail_unless (getsockname (fd, (struct sockaddr *) &sin, &len) == 0);
  fail_unless_equals_int (ntohs (sin.sin_port), unbound_port);
  fail_unless (sin.sin_addr.s_addr == htonl (INADDR_ANY));

  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  g_object_unref (socket);
  return text;
}

/* A socket property that is not UDP (TCP; raw, whose first 8 payload bytes
 * would become the UDP header) is refused by what it is, untouched. */
GST_START_TEST (test_socket_not_udp)
{
  gchar *text;
  int fd;

  fd = socket (AF_INET, SOCK_STREAM, 0);
  fail_unless (fd >= 0);
  text = start_on_foreign_socket (fd, 0);
  fail_unless_equals_string (text, "The socket property is not a UDP "
      "socket: the socket is a TCP socket, not UDP (domain 2, type 1, "
      "protocol 6)");
  g_free (text);

  fd = socket (AF_INET, SOCK_RAW, IPPROTO_UDP);
  if (fd < 0) {
    GST_INFO ("no raw socket (%s): raw case not checked", g_strerror (errno));
    return;
  }
  text = start_on_foreign_socket (fd, IPPROTO_UDP);
  fail_unless_equals_string (text, "The socket property is not a UDP "
      "socket: the socket is a raw socket, not UDP (domain 2, type 3, "
      "protocol 17)");
  g_free (text);
}

GST_END_TEST;

/* 200 NULL -> PLAYING -> NULL cycles, each sending a datagram on lo. */
GST_START_TEST (test_state_cycles_leak_no_fd)
{
  GstElement *pipeline;
  GError *err = NULL;
  int before = -1, after;

  pipeline = gst_parse_launch ("fakesrc num-buffers=1 sizetype=fixed "
      "sizemax=32 ! mctxsink group=239.255.0.1 port=5030 interface=lo "
      "source-addr=127.0.0.1 sync=false", &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");

  /* One cycle first, so GStreamer's own lazily opened descriptors (clock,
   * thread pools) are not counted. */
  for (int i = 0; i <= 200; i++) {
    if (i == 1)
      before = mst_count_fds ();
    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    fail_if (gst_element_get_state (pipeline, NULL, NULL, 5 * GST_SECOND) ==
        GST_STATE_CHANGE_FAILURE);
    fail_unless (gst_element_set_state (pipeline, GST_STATE_NULL) ==
        GST_STATE_CHANGE_SUCCESS);
  }
  after = mst_count_fds ();
  fail_unless_equals_int (after, before);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
mctxsink_element_suite (void)
{
  Suite *s = suite_create ("mctxsink-element");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_property_defaults_and_ranges);
  tcase_add_test (tc, test_bad_settings_name_the_value);
  tcase_add_test (tc, test_bad_settings_needing_a_setup);
  tcase_add_test (tc, test_good_settings_start);
  tcase_add_test (tc, test_uri);
  tcase_add_test (tc, test_uri_every_key_round_trips);
  tcase_add_test (tc, test_uri_refuses_other_keys);
  tcase_add_test (tc, test_uri_nasty);
  tcase_add_test (tc, test_running_changes);
  tcase_add_test (tc, test_socket_mismatch);
  tcase_add_test (tc, test_socket_not_udp);
  tcase_add_test (tc, test_group_zone);
  tcase_add_test (tc, test_long_values_are_cut);
  tcase_add_test (tc, test_state_cycles_leak_no_fd);
  return s;
}

int
main (int argc, char **argv)
{
  return mst_main_private_netns (&argc, &argv, mctxsink_element_suite,
      "mctxsink-element", __FILE__);
}
