/* SPDX-License-Identifier: BSD-2-Clause */
#include "jsonl-check.h"

#include <testnet.h>

#include <string.h>

#define CHECK TESTNET_CHECK

gchar *
read_file(const gchar *path)
{
  gchar *text = NULL;
  GError *error = NULL;
  CHECK(g_file_get_contents(path, &text, NULL, &error), "reading %s: %s", path,
        error ? error->message : "?");
  return text;
}

void
write_bytes(const gchar *path, const gchar *bytes, gsize len)
{
  GError *error = NULL;
  CHECK(g_file_set_contents(path, bytes, (gssize) len, &error),
        "writing %s: %s", path, error ? error->message : "?");
}

void
write_file(const gchar *path, const gchar *text)
{
  write_bytes(path, text, strlen(text));
}

void
check_error(GError *error, gint code, const gchar *needle)
{
  CHECK(error != NULL, "expected an error containing '%s'", needle);
  CHECK(error->domain == MCTX_JSONL_ERROR && error->code == code,
        "error code %d, expected %d (%s)", error->code, code, error->message);
  CHECK(strstr(error->message, needle) != NULL,
        "error '%s' does not mention '%s'", error->message, needle);
}

void
expect_open_refused(const gchar *path, JsonObject *header, gint code,
                    const gchar *needle)
{
  GError *error = NULL;
  gsize before_len = 0, after_len = 0;
  gchar *before = NULL, *after = NULL;

  if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
    CHECK(g_file_get_contents(path, &before, &before_len, NULL), "reading %s",
          path);
  MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, &error);
  CHECK(w == NULL, "open of %s should fail with '%s'", path, needle);
  check_error(error, code, needle);
  g_error_free(error);
  if (before != NULL) {
    CHECK(g_file_get_contents(path, &after, &after_len, NULL), "reading %s",
          path);
    CHECK(before_len == after_len && memcmp(before, after, after_len) == 0,
          "a refused open changed the file");
    g_free(after);
    g_free(before);
  }
}

gchar *
nested_arrays(const gchar *before, guint depth, const gchar *after)
{
  GString *s = g_string_new(before);
  for (guint i = 0; i < depth; i++)
    g_string_append_c(s, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c(s, ']');
  g_string_append(s, after);
  return g_string_free(s, FALSE);
}
