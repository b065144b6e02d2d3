/* libFuzzer target: mctxsink's mctx:// URI handler (gst/gstmctxsinkuri.c),
 * called through the element's GstURIHandler interface directly (not
 * gst_uri_handler_set_uri, whose own check refuses many inputs first, in a
 * message that repeats the URI whole). The input, cut at its first NUL, is
 * set as a URI. An accepted URI must round-trip: its
 * get_uri is accepted by a second element, which then has the same
 * settings and gives the same URI. A refused one's message must not repeat
 * a long input whole.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <gst/gst.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

GST_ELEMENT_REGISTER_DECLARE(mctxsink);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a URI describes: group, port, source-addr and the query's keys. */
static const char *const described[] = {
    "group", "port",   "source-addr",    "source-port", "interface",
    "ttl",   "loop",   "qos-dscp",       "buffer-size", "block",
    "gso",   "gather", "gather-latency",
};

static GstElement *first, *second;

static gboolean
set_uri(GstElement *sink, const gchar *uri, GError **err)
{
  return GST_URI_HANDLER_GET_INTERFACE(sink)->set_uri(GST_URI_HANDLER(sink),
                                                      uri, err);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  /* Only the element linked in here: no plugin scan, no registry file. */
  g_setenv("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv("GST_PLUGIN_PATH_1_0", "", TRUE);
  g_setenv("GST_PLUGIN_PATH", "", TRUE);
  g_setenv("GST_REGISTRY_UPDATE", "no", TRUE);
  gst_init(NULL, NULL);
  if (!GST_ELEMENT_REGISTER(mctxsink, NULL))
    abort();
  first = gst_element_factory_make("mctxsink", NULL);
  second = gst_element_factory_make("mctxsink", NULL);
  if (first == NULL || second == NULL)
    abort();
  return 0;
}

/* GLib's first quark table is allocated by its library constructor and
 * dropped on purpose when the table grows (lock-free readers may still
 * hold it); LeakSanitizer finds it at exit. The check after each input
 * (libFuzzer's -detect_leaks) is what finds an input's leak. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
  return "leak_check_at_exit=0";
}

static gchar *
settings_text(GstElement *sink)
{
  GString *all = g_string_new(NULL);

  for (guint i = 0; i < G_N_ELEMENTS(described); i++) {
    GParamSpec *pspec =
        g_object_class_find_property(G_OBJECT_GET_CLASS(sink), described[i]);
    GValue value = G_VALUE_INIT;
    gchar *text;

    g_value_init(&value, pspec->value_type);
    g_object_get_property(G_OBJECT(sink), described[i], &value);
    text = G_VALUE_HOLDS_STRING(&value) ? g_value_dup_string(&value)
                                        : gst_value_serialize(&value);
    g_string_append_printf(all, "%s=%s\n", described[i], text);
    g_free(text);
    g_value_unset(&value);
  }
  return g_string_free(all, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  gchar *uri = g_strndup((const gchar *) data, size);
  GError *err = NULL;

  if (!set_uri(first, uri, &err)) {
    /* 64 bytes of a value at most, plus the words around it. */
    if (err == NULL || strlen(err->message) > 1024)
      abort();
    g_error_free(err);
    g_free(uri);
    return 0;
  }

  gchar *back = gst_uri_handler_get_uri(GST_URI_HANDLER(first));
  if (back == NULL || !set_uri(second, back, &err))
    abort(); /* accepted, but its own URI is refused */
  gchar *again = gst_uri_handler_get_uri(GST_URI_HANDLER(second));
  gchar *settings = settings_text(first);
  gchar *settings_again = settings_text(second);
  if (strcmp(again, back) != 0 || strcmp(settings, settings_again) != 0)
    abort(); /* the round trip changed something */
  g_free(settings_again);
  g_free(settings);
  g_free(again);
  g_free(back);
  g_free(uri);
  return 0;
}
