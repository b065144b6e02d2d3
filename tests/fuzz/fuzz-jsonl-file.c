/* libFuzzer target: the check of an existing heimdall-jsonl-v1 file
 * (mctx_jsonl_writer_open: line splitting, strict JSON, depth and length
 * limits, header and row rules, the repair of a cut-short last line), then
 * one appended row. The input is the file's content.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mctx-jsonl.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gchar *dir, *path;
static JsonObject *header;

static void
remove_scratch(void)
{
  unlink(path);
  rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  dir = g_dir_make_tmp("mctx-fuzz-jsonl-XXXXXX", NULL);
  if (dir == NULL)
    abort();
  path = g_build_filename(dir, "network.jsonl", NULL);
  atexit(remove_scratch); /* libFuzzer exits normally at -max_total_time */
  /* The header of the seed corpus, so that inputs get past line 1. */
  header = mctx_jsonl_header_new(MCTX_JSONL_NETWORK_ARTIFACT_TYPE, "mctx/fuzz",
                                 "fuzz", 1.0, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, data, size) != (ssize_t) size)
    abort();
  close(fd);

  MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, NULL);
  if (w != NULL) {
    JsonObject *row = mctx_jsonl_row_new(2.0, 1.0);
    if (!mctx_jsonl_writer_append_row(w, row, NULL))
      abort(); /* an accepted file must take a row */
    json_object_unref(row);
    mctx_jsonl_writer_close(w);
    /* What the writer left must pass its own check. */
    w = mctx_jsonl_writer_open(path, header, NULL);
    if (w == NULL || mctx_jsonl_writer_get_warning(w) != NULL)
      abort();
    mctx_jsonl_writer_close(w);
  }
  return 0;
}
