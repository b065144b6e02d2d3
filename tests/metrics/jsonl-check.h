/* Checks shared by the libmctx-jsonl tests: reading and writing whole files,
 * and an open that must be refused without changing the file.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef JSONL_CHECK_H
#define JSONL_CHECK_H

#include <mctx-jsonl.h>

/* The file's content (fails the test when it cannot be read). Free with
 * g_free(). */
gchar *read_file(const gchar *path);

/* Replaces the file's content with text. */
void write_file(const gchar *path, const gchar *text);

/* Replaces the file's content with len bytes (NULs too). */
void write_bytes(const gchar *path, const gchar *bytes, gsize len);

/* error is code in MCTX_JSONL_ERROR and its message contains needle. */
void check_error(GError *error, gint code, const gchar *needle);

/* Opening path under header fails with code and needle, and the file (if
 * any) is byte for byte as before. */
void expect_open_refused(const gchar *path, JsonObject *header, gint code,
                         const gchar *needle);

/* before, then depth '[' and depth ']', then after: JSON nested as deep as
 * no parser that recurses survives. Free with g_free(). */
gchar *nested_arrays(const gchar *before, guint depth, const gchar *after);

#endif /* JSONL_CHECK_H */
