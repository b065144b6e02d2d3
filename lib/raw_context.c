/* Raw contexts: raw publications under ids, as mctx-core's RawContext.
 * Portable: the publications do the system calls.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Ids only grow, so the entries stay sorted by id when appended and a
 * lookup is a binary search. No lock: a raw context, like its
 * publications, is used by one thread at a time.
 */
#include "mctx-private.h"

#include <stdlib.h>
#include <string.h>

typedef struct raw_entry {
  mctx_publication_id id;
  mctx_raw_publication *pub;
} raw_entry;

struct mctx_raw_context {
  raw_entry *entries;
  size_t count;
  size_t capacity;
  mctx_publication_id next_id; /* starts at 1, never reused */
};

int
mctx_raw_context_new(mctx_raw_context **out)
{
  if (out == NULL)
    return MCTX_E_INVALID_ARGUMENT;
  *out = calloc(1, sizeof **out);
  if (*out == NULL)
    return MCTX_E_NO_MEMORY;
  (*out)->next_id = 1;
  return MCTX_OK;
}

void
mctx_raw_context_free(mctx_raw_context *ctx)
{
  if (ctx == NULL)
    return;
  for (size_t i = 0; i < ctx->count; i++)
    mctx_raw_publication_close(ctx->entries[i].pub);
  free(ctx->entries);
  free(ctx);
}

static raw_entry *
find(const mctx_raw_context *ctx, mctx_publication_id id)
{
  if (ctx == NULL)
    return NULL;
  size_t lo = 0, hi = ctx->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ctx->entries[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < ctx->count && ctx->entries[lo].id == id ? &ctx->entries[lo]
                                                      : NULL;
}

static int
not_found(mctx_publication_id id, mctx_error *err)
{
  return mctx__fail(err, MCTX_E_PUBLICATION_NOT_FOUND, MCTX_SUBJECT_PUBLICATION,
                    0, "no raw publication with id %llu in this context",
                    (unsigned long long) id);
}

int
mctx_raw_context_add(mctx_raw_context *ctx, const mctx_raw_config *cfg,
                     mctx_publication_id *id, mctx_error *err)
{
  if (ctx == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no raw context given");
  if (ctx->count == ctx->capacity) {
    size_t capacity = ctx->capacity ? ctx->capacity * 2 : 4;
    raw_entry *grown = realloc(ctx->entries, capacity * sizeof *grown);
    if (grown == NULL)
      return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, 0,
                        "out of memory growing a raw context");
    ctx->entries = grown;
    ctx->capacity = capacity;
  }
  mctx_raw_publication *pub;
  int rc = mctx_raw_publication_open(cfg, &pub, err);
  if (rc != MCTX_OK)
    return rc;
  ctx->entries[ctx->count++] = (raw_entry){ctx->next_id, pub};
  if (id != NULL)
    *id = ctx->next_id;
  ctx->next_id++;
  return MCTX_OK;
}

size_t
mctx_raw_context_count(const mctx_raw_context *ctx)
{
  return ctx != NULL ? ctx->count : 0;
}

bool
mctx_raw_context_contains(const mctx_raw_context *ctx, mctx_publication_id id)
{
  return find(ctx, id) != NULL;
}

mctx_raw_publication *
mctx_raw_context_get(mctx_raw_context *ctx, mctx_publication_id id)
{
  raw_entry *entry = find(ctx, id);
  return entry != NULL ? entry->pub : NULL;
}

int
mctx_raw_context_take(mctx_raw_context *ctx, mctx_publication_id id,
                      mctx_raw_publication **out)
{
  raw_entry *entry = find(ctx, id);
  if (out != NULL)
    *out = NULL;
  if (entry == NULL)
    return MCTX_E_PUBLICATION_NOT_FOUND;
  mctx_raw_publication *pub = entry->pub;
  size_t index = (size_t) (entry - ctx->entries);
  memmove(entry, entry + 1, (ctx->count - index - 1) * sizeof *entry);
  ctx->count--;
  if (out != NULL)
    *out = pub;
  else
    mctx_raw_publication_close(pub);
  return MCTX_OK;
}

int
mctx_raw_context_remove(mctx_raw_context *ctx, mctx_publication_id id)
{
  mctx_raw_publication *pub;
  int rc = mctx_raw_context_take(ctx, id, &pub);
  mctx_raw_publication_close(pub);
  return rc;
}

int
mctx_raw_context_replace(mctx_raw_context *ctx, mctx_publication_id id,
                         const mctx_raw_config *cfg, mctx_error *err)
{
  raw_entry *entry = find(ctx, id);
  if (entry == NULL)
    return not_found(id, err);
  /* Opened first: on failure the old publication keeps sending. */
  mctx_raw_publication *fresh;
  int rc = mctx_raw_publication_open(cfg, &fresh, err);
  if (rc != MCTX_OK)
    return rc;
  mctx_raw_publication_close(entry->pub);
  entry->pub = fresh;
  return MCTX_OK;
}

int
mctx_raw_context_sendv(mctx_raw_context *ctx, mctx_publication_id id,
                       const mctx_buf *bufs, size_t nbufs,
                       mctx_raw_send_report *report, mctx_error *err)
{
  raw_entry *entry = find(ctx, id);
  if (entry == NULL)
    return not_found(id, err);
  return mctx_raw_publication_sendv(entry->pub, bufs, nbufs, report, err);
}

int
mctx_raw_context_send(mctx_raw_context *ctx, mctx_publication_id id,
                      const void *datagram, size_t len,
                      mctx_raw_send_report *report, mctx_error *err)
{
  mctx_buf buf = {.base = (void *) datagram, .len = len};
  return mctx_raw_context_sendv(ctx, id, &buf, 1, report, err);
}
