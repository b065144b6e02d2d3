/* libmctx-jsonl on a full disk: rows are appended to a file on a 16 KiB
 * tmpfs until the disk is full; a row that does not fit must leave the file
 * exactly as it was (no partial line for the next row to be glued onto),
 * and once there is room again rows go on and the file opens cleanly.
 *
 * Needs root for a private mount namespace and the tmpfs; skipped otherwise.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "jsonl-check.h"

#include <mctx-jsonl.h>
#include <testnet.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define CHECK TESTNET_CHECK

/* Fills the file system holding path: writes until ENOSPC. */
static void
fill_up(const gchar *path)
{
  static const gchar block[512] = {'f'};
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0, "create %s: %s", path, g_strerror(errno));
  for (int i = 0; i < 1000; i++) {
    if (write(fd, block, sizeof block) < 0) {
      CHECK(errno == ENOSPC, "filling %s: %s", path, g_strerror(errno));
      break;
    }
  }
  close(fd);
}

/* A row of about 300 bytes, so that a few fill the last page. */
static JsonObject *
wide_row(double ts)
{
  JsonObject *row = mctx_jsonl_row_new(ts, 1.0);
  gchar *pad = g_strnfill(250, 'r');
  json_object_set_string_member(row, "pad", pad);
  g_free(pad);
  return row;
}

int
main(void)
{
  if (geteuid() != 0)
    testnet_skip("needs root for a private mount namespace and a tmpfs");
  if (unshare(CLONE_NEWNS) != 0)
    testnet_skip("cannot create a mount namespace: %s", g_strerror(errno));
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    testnet_skip("cannot make the mounts private: %s", g_strerror(errno));

  gchar *dir = g_dir_make_tmp("mctx-jsonl-full-XXXXXX", NULL);
  CHECK(dir != NULL, "tmpdir");
  if (mount("tmpfs", dir, "tmpfs", 0, "size=16k") != 0) {
    int errsv = errno;
    rmdir(dir);
    testnet_skip("cannot mount a tmpfs: %s", g_strerror(errsv));
  }
  gchar *path = g_build_filename(dir, "node", "network.jsonl", NULL);
  gchar *filler = g_build_filename(dir, "filler", NULL);
  JsonObject *header =
      mctx_jsonl_header_new("mctx-network", "mctx/test", "node", 1.0, NULL);
  GError *error = NULL;

  MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, &error);
  CHECK(w != NULL, "open: %s", error ? error->message : "?");
  JsonObject *row = wide_row(1.0);
  CHECK(mctx_jsonl_writer_append_row(w, row, &error), "first row: %s",
        error ? error->message : "?");
  json_object_unref(row);
  fill_up(filler);

  /* Rows until one does not fit (the file's last page has room for about
   * a dozen). */
  guint written = 1;
  gboolean full = FALSE;
  for (guint i = 0; i < 200 && !full; i++) {
    gchar *before = read_file(path);
    row = wide_row(2.0 + i);
    if (mctx_jsonl_writer_append_row(w, row, &error)) {
      written++;
    } else {
      full = TRUE;
      gchar *after = read_file(path);
      CHECK(strcmp(before, after) == 0,
            "a failed row changed the file; it "
            "ends in\n%s",
            after + strlen(after) - MIN(strlen(after), 200));
      g_free(after);
      check_error(error, MCTX_JSONL_ERROR_IO,
                  "No space left on device (the "
                  "row was not written)");
      g_clear_error(&error);
    }
    json_object_unref(row);
    g_free(before);
  }
  CHECK(full, "the 16 KiB disk never filled up");

  /* Room again: the next row is a line of its own. */
  CHECK(unlink(filler) == 0, "unlink %s", filler);
  row = wide_row(1000.0);
  CHECK(mctx_jsonl_writer_append_row(w, row, &error), "after freeing: %s",
        error ? error->message : "?");
  json_object_unref(row);
  written++;
  mctx_jsonl_writer_close(w);

  /* The file reads back whole: a header and every written row, and a new
   * writer accepts it with nothing to repair. */
  w = mctx_jsonl_writer_open(path, header, &error);
  CHECK(w != NULL, "reopen: %s", error ? error->message : "?");
  CHECK(mctx_jsonl_writer_get_warning(w) == NULL, "reopen repaired: %s",
        mctx_jsonl_writer_get_warning(w));
  mctx_jsonl_writer_close(w);
  gchar *text = read_file(path);
  gchar **lines = g_strsplit(text, "\n", -1);
  CHECK(g_strv_length(lines) == written + 2, "%u lines for %u rows:\n%s",
        g_strv_length(lines), written, text);
  CHECK(strstr(lines[written], "\"ts\":1000.0}") != NULL, "last row is %s",
        lines[written]);
  g_strfreev(lines);
  g_free(text);

  json_object_unref(header);
  CHECK(umount(dir) == 0, "umount %s: %s", dir, g_strerror(errno));
  rmdir(dir);
  g_free(filler);
  g_free(path);
  g_free(dir);
  printf("PASS: jsonl-full-disk (%u rows, one refused on the full disk)\n",
         written);
  return 0;
}
