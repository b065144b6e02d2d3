/* mctxsink: the GstURIHandler interface,
 * mctx://[source@]group:port?property=value&...
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "gstmctxsink.h"

#include <mctx.h>
#include <string.h>

#define MCTX_URI_PREFIX "mctx://"

/* The properties a URI describes besides group, port and source-addr: the
 * only keys its query takes, in the order get_uri writes them. set_uri
 * resets them to their defaults, so that a URI always says the whole
 * configuration, and get_uri writes each that is not at its default, so that
 * every URI round-trips. Not here: raw (a raw sink sends no group or port),
 * socket (an object), the metrics properties (reporting, not where or how
 * datagrams go) and basesink's. */
static const gchar *const query_properties[] = {
  "source-port", "interface", "ttl", "loop", "qos-dscp", "buffer-size",
  "block", "gso", "gather", "gather-latency", NULL
};

static gboolean
is_query_property (const gchar * name)
{
  return g_strv_contains (query_properties, name);
}

static GstURIType
gst_mctx_sink_uri_get_type (G_GNUC_UNUSED GType type)
{
  return GST_URI_SINK;
}

static const gchar *const *
gst_mctx_sink_uri_get_protocols (G_GNUC_UNUSED GType type)
{
  static const gchar *const protocols[] = { "mctx", NULL };

  return protocols;
}

/* IPv6 addresses go in brackets; a zone's '%' is written "%25". */
static void
append_host (GString * uri, const gchar * address)
{
  gchar *escaped = g_uri_escape_string (address, ":.[]", FALSE);

  if (strchr (address, ':'))
    g_string_append_printf (uri, "[%s]", escaped);
  else
    g_string_append (uri, escaped);
  g_free (escaped);
}

static gchar *
gst_mctx_sink_uri_get_uri (GstURIHandler * handler)
{
  GObject *object = G_OBJECT (handler);
  gchar *group = NULL, *source = NULL;
  GString *uri;
  gint port;
  gchar sep = '?';

  g_object_get (object, "group", &group, "port", &port, "source-addr",
      &source, NULL);
  if (group == NULL || *group == '\0') {
    g_free (group);
    g_free (source);
    return NULL;
  }

  uri = g_string_new (MCTX_URI_PREFIX);
  if (source && *source) {
    append_host (uri, source);
    g_string_append_c (uri, '@');
  }
  append_host (uri, group);
  g_string_append_printf (uri, ":%d", port);

  for (guint i = 0; query_properties[i]; i++) {
    GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
        (object), query_properties[i]);
    GValue value = G_VALUE_INIT;
    gchar *text, *escaped;

    g_value_init (&value, pspec->value_type);
    g_object_get_property (object, pspec->name, &value);
    if (g_param_value_defaults (pspec, &value)) {
      g_value_unset (&value);
      continue;
    }
    if (G_VALUE_HOLDS_STRING (&value))
      text = g_value_dup_string (&value);
    else
      text = gst_value_serialize (&value);
    escaped = g_uri_escape_string (text, NULL, FALSE);
    g_string_append_printf (uri, "%c%s=%s", sep, pspec->name, escaped);
    sep = '&';
    g_free (escaped);
    g_free (text);
    g_value_unset (&value);
  }

  g_free (group);
  g_free (source);
  return g_string_free (uri, FALSE);
}

/* A host as written in the URI: "[v6]" or "v4", percent-decoded. */
static gchar *
parse_host (const gchar * text, gsize len)
{
  gchar *raw, *host;

  if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
    text++;
    len -= 2;
  } else if (memchr (text, '[', len) || memchr (text, ']', len)) {
    return NULL;
  }
  if (len == 0)
    return NULL;
  raw = g_strndup (text, len);
  host = g_uri_unescape_string (raw, NULL);
  g_free (raw);
  return host;
}

typedef struct
{
  gchar *group;
  gchar *source;
  gint port;
  GParamSpec **pspecs;          /* query properties, applied in order */
  GValue *values;
  guint n_query;
} ParsedUri;

static void
parsed_uri_clear (ParsedUri * p)
{
  g_free (p->group);
  g_free (p->source);
  for (guint i = 0; i < p->n_query; i++)
    g_value_unset (&p->values[i]);
  g_free (p->pspecs);
  g_free (p->values);
}

/* "group:port", "[group]:port", "group" or "[group]". */
static gboolean
parse_group_port (const gchar * text, ParsedUri * p)
{
  const gchar *end = text + strlen (text), *port = NULL, *host_end = end;
  guint64 value;

  if (text[0] == '[') {
    const gchar *close = strchr (text, ']');
    if (close == NULL || (close[1] != '\0' && close[1] != ':'))
      return FALSE;
    host_end = close + 1;
    if (close[1] == ':')
      port = close + 2;
  } else {
    const gchar *colon = strchr (text, ':');
    if (colon && strchr (colon + 1, ':'))
      return FALSE;             /* an IPv6 address without brackets */
    if (colon) {
      host_end = colon;
      port = colon + 1;
    }
  }

  p->group = parse_host (text, host_end - text);
  if (p->group == NULL)
    return FALSE;
  p->port = 5004;
  if (port) {
    if (!g_ascii_string_to_unsigned (port, 10, 1, 65535, &value, NULL))
      return FALSE;
    p->port = (gint) value;
  }
  return TRUE;
}

/* The element's own ranges, narrower than the declared ones. */
static gboolean
in_range (const gchar * key, const GValue * value)
{
  gchar *refusal;

  if (!G_VALUE_HOLDS_INT (value))
    return TRUE;
  refusal = gst_mctx_sink_settings_range_refusal (key, g_value_get_int (value));
  g_free (refusal);
  return refusal == NULL;
}

static gboolean
parse_query (GObject * object, const gchar * query, ParsedUri * p,
    GError ** error)
{
  gchar **items = g_strsplit (query, "&", -1);
  guint n = g_strv_length (items);
  gboolean ok = FALSE;
  gchar *key = NULL, *text = NULL, *shown = NULL;

  p->pspecs = g_new0 (GParamSpec *, n);
  p->values = g_new0 (GValue, n);

  for (guint i = 0; i < n; i++) {
    const gchar *eq = strchr (items[i], '=');
    gchar *raw_key;
    GParamSpec *pspec;
    GValue *value = &p->values[p->n_query];

    if (items[i][0] == '\0')
      continue;
    if (eq == NULL) {
      key = g_strdup (items[i]);
      goto no_value;
    }
    raw_key = g_strndup (items[i], eq - items[i]);
    key = g_uri_unescape_string (raw_key, NULL);
    g_free (raw_key);
    text = g_uri_unescape_string (eq + 1, NULL);
    if (key == NULL || text == NULL)
      goto bad_escape;

    if (!is_query_property (key))
      goto unknown_property;
    pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), key);

    g_value_init (value, pspec->value_type);
    if (G_VALUE_HOLDS_STRING (value))
      g_value_set_string (value, text);
    else if (!gst_value_deserialize_with_pspec (value, text, pspec))
      goto bad_value;
    if (g_param_value_validate (pspec, value) || !in_range (key, value))
      goto bad_value;
    p->pspecs[p->n_query++] = pspec;
    g_clear_pointer (&key, g_free);
    g_clear_pointer (&text, g_free);
  }
  ok = TRUE;
  goto done;

no_value:
  shown = gst_mctx_sink_excerpt (key);
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
      "'%s' in the URI's query has no value (write property=value)", shown);
  goto done;
bad_escape:
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
      "bad percent-encoding in the URI's query");
  goto done;
unknown_property:
  {
    gchar *allowed = g_strjoinv (", ", (gchar **) query_properties);

    shown = gst_mctx_sink_excerpt (key);
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "'%s' in the URI's query is not a property mctxsink takes from a "
        "URI (those are %s; group, port and source-addr are written before "
        "the query)", shown, allowed);
    g_free (allowed);
    goto done;
  }
bad_value:
  /* The GValue at n_query was initialised but not counted: clear it. */
  g_value_unset (&p->values[p->n_query]);
  shown = gst_mctx_sink_excerpt (text);
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
      "'%s' is not a valid value for %s", shown, key);
  goto done;
done:
  g_free (shown);
  g_free (key);
  g_free (text);
  g_strfreev (items);
  return ok;
}

/* A host must be an IP address when the URI is set, not only when the
 * element starts: a URI accepted is one get_uri can write back. A zone
 * must name an existing interface, as for the group property. */
static gboolean
check_address (const gchar * what, const gchar * host, GError ** error)
{
  mctx_ip ip;
  mctx_error err;

  if (mctx_ip_parse (host, &ip, &err) == MCTX_OK)
    return TRUE;
  /* libmctx's message names the host, cut to an excerpt. */
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
      "the URI's %s is not usable: %s", what, err.message);
  return FALSE;
}

static gboolean
parse_uri (GObject * object, const gchar * uri, ParsedUri * p, GError ** error)
{
  const gchar *rest, *query;
  gchar *authority = NULL, *at, *hostport, *shown = NULL;
  gboolean ok = FALSE;

  if (g_ascii_strncasecmp (uri, MCTX_URI_PREFIX, strlen (MCTX_URI_PREFIX)))
    goto not_mctx;
  rest = uri + strlen (MCTX_URI_PREFIX);
  query = strchr (rest, '?');
  authority = query ? g_strndup (rest, query - rest) : g_strdup (rest);
  if (g_str_has_suffix (authority, "/"))
    authority[strlen (authority) - 1] = '\0';
  if (strchr (authority, '/'))
    goto bad_authority;

  at = strchr (authority, '@');
  hostport = authority;
  if (at) {
    p->source = parse_host (authority, at - authority);
    if (p->source == NULL)
      goto bad_authority;
    hostport = at + 1;
  }
  if (!parse_group_port (hostport, p))
    goto bad_authority;
  if (p->source && !check_address ("source", p->source, error))
    goto done;
  if (!check_address ("group", p->group, error))
    goto done;

  if (query && !parse_query (object, query + 1, p, error))
    goto done;
  ok = TRUE;
  goto done;

not_mctx:
  shown = gst_mctx_sink_excerpt (uri);
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
      "'%s' is not an mctx:// URI", shown);
  goto done;
bad_authority:
  shown = gst_mctx_sink_excerpt (uri);
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
      "'%s' is not of the form mctx://[source@]group:port?property=value "
      "(IPv6 addresses in brackets, a zone as %%25)", shown);
  goto done;
done:
  g_free (shown);
  g_free (authority);
  return ok;
}

static gboolean
gst_mctx_sink_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  GstMctxSink *sink = GST_MCTX_SINK (handler);
  GObject *object = G_OBJECT (handler);
  ParsedUri parsed = { 0 };
  gboolean started;

  GST_OBJECT_LOCK (sink);
  started = sink->running;
  GST_OBJECT_UNLOCK (sink);
  if (started)
    goto running;

  if (!parse_uri (object, uri, &parsed, error))
    goto failed;

  g_object_freeze_notify (object);
  for (guint i = 0; query_properties[i]; i++) {
    GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
        (object), query_properties[i]);
    g_object_set_property (object, pspec->name,
        g_param_spec_get_default_value (pspec));
  }
  g_object_set (object, "group", parsed.group, "port", parsed.port,
      "source-addr", parsed.source, NULL);
  for (guint i = 0; i < parsed.n_query; i++)
    g_object_set_property (object, parsed.pspecs[i]->name, &parsed.values[i]);
  g_object_thaw_notify (object);

  parsed_uri_clear (&parsed);
  return TRUE;

running:
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
      "Cannot change the URI of %s while it is running",
      GST_OBJECT_NAME (sink));
  return FALSE;
failed:
  parsed_uri_clear (&parsed);
  return FALSE;
}

/* A setting of the URI's query into settings; the keys are those of
 * query_properties. */
static void
settings_take_value (GstMctxSinkSettings * s, const gchar * key,
    const GValue * value)
{
  if (g_str_equal (key, "source-port"))
    s->source_port = g_value_get_int (value);
  else if (g_str_equal (key, "interface"))
    g_free (s->interface), s->interface = g_value_dup_string (value);
  else if (g_str_equal (key, "ttl"))
    s->ttl = g_value_get_int (value);
  else if (g_str_equal (key, "loop"))
    s->loop = g_value_get_boolean (value);
  else if (g_str_equal (key, "qos-dscp"))
    s->qos_dscp = g_value_get_int (value);
  else if (g_str_equal (key, "buffer-size"))
    s->buffer_size = g_value_get_int (value);
  else if (g_str_equal (key, "gso"))
    s->gso = g_value_get_enum (value);
  /* block, gather and gather-latency are the element's, not a leg's. */
}

gboolean
gst_mctx_sink_uri_to_settings (GObject * object, const gchar * uri,
    GstMctxSinkSettings * out, GError ** error)
{
  ParsedUri parsed = { 0 };

  if (!parse_uri (object, uri, &parsed, error)) {
    parsed_uri_clear (&parsed);
    return FALSE;
  }
  gst_mctx_sink_settings_clear (out);
  memset (out, 0, sizeof *out);
  for (guint i = 0; query_properties[i]; i++) {
    GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
        (object), query_properties[i]);
    settings_take_value (out, pspec->name,
        g_param_spec_get_default_value (pspec));
  }
  out->group = g_steal_pointer (&parsed.group);
  out->port = parsed.port;
  out->source_addr = g_steal_pointer (&parsed.source);
  for (guint i = 0; i < parsed.n_query; i++)
    settings_take_value (out, parsed.pspecs[i]->name, &parsed.values[i]);
  parsed_uri_clear (&parsed);
  return TRUE;
}

void
gst_mctx_sink_uri_handler_init (gpointer g_iface,
    G_GNUC_UNUSED gpointer iface_data)
{
  GstURIHandlerInterface *iface = (GstURIHandlerInterface *) g_iface;

  iface->get_type = gst_mctx_sink_uri_get_type;
  iface->get_protocols = gst_mctx_sink_uri_get_protocols;
  iface->get_uri = gst_mctx_sink_uri_get_uri;
  iface->set_uri = gst_mctx_sink_uri_set_uri;
}
