/* libFuzzer target: flags text (metrics-flags, MCTX_METRICS_FLAGS_JSON)
 * through the strict JSON check, json-glib and the serialiser. The input,
 * cut at its first NUL, is the flags text.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mctx-jsonl.h>

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  gchar *text = g_strndup((const gchar *) data, size);
  JsonObject *flags = mctx_jsonl_flags_merge(NULL, text, NULL);

  if (flags != NULL) {
    /* Accepted flags make a valid header whose line reads back the same. */
    JsonObject *header =
        mctx_jsonl_header_new("mctx-network", "mctx/fuzz", "fuzz", 1.0, flags);
    if (!mctx_jsonl_header_validate(header, NULL))
      abort();
    gchar *line = mctx_jsonl_to_string(flags);
    JsonObject *again = mctx_jsonl_flags_merge(NULL, line, NULL);
    if (again == NULL)
      abort(); /* the serialiser wrote what the check refuses */
    gchar *line_again = mctx_jsonl_to_string(again);
    if (g_strcmp0(line, line_again) != 0)
      abort();
    g_free(line_again);
    json_object_unref(again);
    g_free(line);
    json_object_unref(header);
    json_object_unref(flags);
  }
  g_free(text);
  return 0;
}
