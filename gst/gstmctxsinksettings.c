/* mctxsink settings: copies, and the valid ranges of the numeric ones.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The numeric properties are declared with the full range of their type, so
 * that `port=70000` on a gst-launch line reaches the element, which refuses
 * it by name (at start with an error, while running with a warning) instead
 * of GObject printing a warning and the stream going to the default port.
 * The valid ranges live here, in one table, for both.
 */
#include "gstmctxsinksettings.h"

#include <string.h>

/* Below this the metrics messages would flood the bus. */
#define METRICS_INTERVAL_MIN (10 * GST_MSECOND)

typedef struct
{
  const gchar *property;
  gint64 min;
  gint64 max;
  gboolean zero_too;            /* 0 is valid as well (an "off" value) */
  const gchar *valid;           /* the range in words */
} Range;

static const Range ranges[] = {
  {"port", 1, 65535, FALSE, "1..65535"},
  {"source-port", 0, 65535, FALSE, "0..65535 (0: the kernel picks one)"},
  {"ttl", -1, 255, FALSE, "-1..255 (-1: left as it is)"},
  {"qos-dscp", -1, 63, FALSE, "-1..63 (-1: left as it is)"},
  {"pacing-burst", 1, G_MAXUINT32, FALSE, "1..4294967295"},
  {"buffer-size", 0, G_MAXINT, FALSE, "0..2147483647 (0: the system's "
        "default)"},
  {"metrics-interval", METRICS_INTERVAL_MIN, G_MAXINT64, TRUE,
      "0 (only the final message) or 10000000 (10 ms) and more"},
};

gboolean
gst_mctx_sink_is_set (const gchar * s)
{
  return s != NULL && *s != '\0';
}

gchar *
gst_mctx_sink_excerpt (const gchar * value)
{
  const gchar *cut;

  if (value == NULL || strnlen (value, GST_MCTX_SINK_VALUE_MAX + 1) <=
      GST_MCTX_SINK_VALUE_MAX)
    return g_strdup (value);
  cut = value + GST_MCTX_SINK_VALUE_MAX - 3;
  /* Back to the start of a UTF-8 character, if the text is UTF-8. */
  while (cut > value && ((guchar) * cut & 0xc0) == 0x80)
    cut--;
  return g_strdup_printf ("%.*s...", (int) (cut - value), value);
}

void
gst_mctx_sink_settings_copy (GstMctxSinkSettings * dst,
    const GstMctxSinkSettings * src)
{
  GstMctxSinkSettings copy = *src;

  copy.group = g_strdup (src->group);
  copy.source_addr = g_strdup (src->source_addr);
  copy.interface = g_strdup (src->interface);
  copy.socket = src->socket ? g_object_ref (src->socket) : NULL;
  copy.have_socket = src->socket != NULL;
  copy.sdp_file = g_strdup (src->sdp_file);
  copy.metrics_file = g_strdup (src->metrics_file);
  copy.metrics_node_id = g_strdup (src->metrics_node_id);
  copy.metrics_flags = g_strdup (src->metrics_flags);
  gst_mctx_sink_settings_clear (dst);
  *dst = copy;
}

void
gst_mctx_sink_settings_clear (GstMctxSinkSettings * s)
{
  g_clear_pointer (&s->group, g_free);
  g_clear_pointer (&s->source_addr, g_free);
  g_clear_pointer (&s->interface, g_free);
  g_clear_object (&s->socket);
  s->have_socket = FALSE;
  g_clear_pointer (&s->sdp_file, g_free);
  g_clear_pointer (&s->metrics_file, g_free);
  g_clear_pointer (&s->metrics_node_id, g_free);
  g_clear_pointer (&s->metrics_flags, g_free);
}

gchar *
gst_mctx_sink_settings_range_refusal (const gchar * property, gint64 value)
{
  for (guint i = 0; i < G_N_ELEMENTS (ranges); i++) {
    const Range *r = &ranges[i];

    if (g_strcmp0 (r->property, property) != 0)
      continue;
    if ((value >= r->min && value <= r->max) || (r->zero_too && value == 0))
      return NULL;
    return g_strdup_printf ("%s %" G_GINT64_FORMAT " is out of range: valid "
        "values are %s", property, value, r->valid);
  }
  return NULL;
}

gboolean
gst_mctx_sink_settings_check_ranges (const GstMctxSinkSettings * s,
    GstElement * element)
{
  const struct
  {
    const gchar *property;
    gint64 value;
  } values[] = {
    {"port", s->port},
    {"source-port", s->source_port},
    {"ttl", s->ttl},
    {"qos-dscp", s->qos_dscp},
    {"pacing-burst", s->pacing_burst},
    {"buffer-size", s->buffer_size},
    {"metrics-interval", (gint64) MIN (s->metrics_interval,
            (guint64) G_MAXINT64)},
  };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++) {
    gchar *refusal = gst_mctx_sink_settings_range_refusal (values[i].property,
        values[i].value);

    if (refusal == NULL)
      continue;
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS, ("%s", refusal),
        ("nothing is sent with a setting out of range"));
    g_free (refusal);
    return FALSE;
  }
  return TRUE;
}
