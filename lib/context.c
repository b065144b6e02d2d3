/* The context: owns publications, hands out ids, sends to them.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Threading: the owning thread adds, removes and sends; any thread may take
 * a metrics snapshot at any time. The mutex therefore guards only what a
 * snapshot reads (the list, the add/remove counts and the totals of
 * publications that left); list changes take it, reads on the owning thread
 * and every send do not.
 */
#include "mctx-private.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Send totals of publications removed or taken, so the context's totals
 * survive their removal. */
typedef struct retired_totals {
  uint64_t send_calls;
  uint64_t packets_sent;
  uint64_t bytes_sent;
  uint64_t send_errors;
  uint64_t would_block;
  uint64_t paced_packets;
  uint64_t pacing_late_ns_sum;
} retired_totals;

struct mctx_context {
  pthread_mutex_t lock;
  mctx_publication **pubs;
  size_t count;
  size_t capacity;
  mctx_publication_id next_id; /* starts at 1, never reused */
  uint64_t added;
  uint64_t removed;
  retired_totals retired;
};

int
mctx_context_new(mctx_context **out)
{
  if (out == NULL)
    return MCTX_E_INVALID_ARGUMENT;
  *out = NULL;
  mctx_context *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL)
    return MCTX_E_NO_MEMORY;
  if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
    free(ctx);
    return MCTX_E_NO_MEMORY;
  }
  /* The context owns the platform's socket library (Winsock) for its
   * life; its publications each hold a reference of their own too. */
  int rc = mctx__platform_acquire(NULL);
  if (rc != MCTX_OK) {
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
    return rc;
  }
  ctx->next_id = 1;
  *out = ctx;
  return MCTX_OK;
}

void
mctx_context_free(mctx_context *ctx)
{
  if (ctx == NULL)
    return;
  for (size_t i = 0; i < ctx->count; i++)
    mctx_publication_close(ctx->pubs[i]);
  free(ctx->pubs);
  pthread_mutex_destroy(&ctx->lock);
  mctx__platform_release();
  free(ctx);
}

static size_t
find_index(const mctx_context *ctx, mctx_publication_id id)
{
  for (size_t i = 0; i < ctx->count; i++)
    if (ctx->pubs[i]->id == id)
      return i;
  return (size_t) -1;
}

static bool
is_duplicate(const mctx_context *ctx, const mctx_publication_config *cfg)
{
  for (size_t i = 0; i < ctx->count; i++)
    if (mctx_publication_config_equal(&ctx->pubs[i]->config, cfg))
      return true;
  return false;
}

/* Grows the list before the publication exists, so adopting it cannot fail
 * halfway (a caller's socket must not end up owned by nobody). */
static int
reserve_one(mctx_context *ctx, mctx_error *err)
{
  if (ctx->count < ctx->capacity)
    return MCTX_OK;
  size_t capacity = ctx->capacity ? ctx->capacity * 2 : 8;
  pthread_mutex_lock(&ctx->lock);
  mctx_publication **pubs = realloc(ctx->pubs, capacity * sizeof *pubs);
  if (pubs != NULL) {
    ctx->pubs = pubs;
    ctx->capacity = capacity;
  }
  pthread_mutex_unlock(&ctx->lock);
  if (pubs == NULL)
    return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, 0,
                      "no memory for %zu publications", capacity);
  return MCTX_OK;
}

static int
add_common(mctx_context *ctx, const mctx_publication_config *cfg, int fd,
           mctx_publication_id *id, mctx_error *err)
{
  if (id != NULL)
    *id = 0;
  if (ctx == NULL || cfg == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "context and config must not be NULL");
  if (is_duplicate(ctx, cfg)) {
    char group[MCTX_ENDPOINT_STRLEN];
    mctx_endpoint ep = {cfg->group, cfg->dst_port};
    return mctx__fail(err, MCTX_E_DUPLICATE_PUBLICATION,
                      MCTX_SUBJECT_PUBLICATION, 0,
                      "a publication to %s with the same settings exists",
                      mctx_endpoint_format(&ep, group, sizeof group));
  }
  int rc = reserve_one(ctx, err);
  if (rc != MCTX_OK)
    return rc;

  mctx_publication *pub;
  rc = fd < 0 ? mctx_publication_open(cfg, &pub, err)
              : mctx_publication_open_with_socket(cfg, fd, &pub, err);
  if (rc != MCTX_OK)
    return rc;

  /* Ids are consumed by successful adds only. */
  pthread_mutex_lock(&ctx->lock);
  mctx__publication_set_id(pub, ctx->next_id++);
  ctx->pubs[ctx->count++] = pub;
  ctx->added++;
  pthread_mutex_unlock(&ctx->lock);
  if (id != NULL)
    *id = pub->id;
  return MCTX_OK;
}

int
mctx_context_add(mctx_context *ctx, const mctx_publication_config *cfg,
                 mctx_publication_id *id, mctx_error *err)
{
  return add_common(ctx, cfg, -1, id, err);
}

int
mctx_context_add_with_socket(mctx_context *ctx,
                             const mctx_publication_config *cfg, int fd,
                             mctx_publication_id *id, mctx_error *err)
{
  if (fd < 0) {
    if (id != NULL)
      *id = 0;
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "socket %d is not a valid descriptor", fd);
  }
  return add_common(ctx, cfg, fd, id, err);
}

size_t
mctx_context_count(const mctx_context *ctx)
{
  return ctx != NULL ? ctx->count : 0;
}

bool
mctx_context_contains(const mctx_context *ctx, mctx_publication_id id)
{
  return ctx != NULL && find_index(ctx, id) != (size_t) -1;
}

mctx_publication *
mctx_context_get(mctx_context *ctx, mctx_publication_id id)
{
  if (ctx == NULL)
    return NULL;
  size_t i = find_index(ctx, id);
  return i != (size_t) -1 ? ctx->pubs[i] : NULL;
}

mctx_publication *
mctx_context_at(mctx_context *ctx, size_t index)
{
  if (ctx == NULL || index >= ctx->count)
    return NULL;
  return ctx->pubs[index];
}

/* Unlinks by swap-remove (as mctx-core) and keeps its send totals. */
static mctx_publication *
detach(mctx_context *ctx, size_t i)
{
  mctx_publication *pub = ctx->pubs[i];
  mctx_metrics m;
  pthread_mutex_lock(&ctx->lock);
  mctx__metrics_read_counters(&pub->metrics, &m);
  ctx->retired.send_calls += m.send_calls;
  ctx->retired.packets_sent += m.packets_sent;
  ctx->retired.bytes_sent += m.bytes_sent;
  ctx->retired.send_errors += m.send_errors;
  ctx->retired.would_block += m.would_block;
  mctx__pacing_read(pub, &m);
  ctx->retired.paced_packets += m.paced_packets;
  ctx->retired.pacing_late_ns_sum += m.pacing_late_ns_sum;
  ctx->pubs[i] = ctx->pubs[ctx->count - 1];
  ctx->count--;
  ctx->removed++;
  pthread_mutex_unlock(&ctx->lock);
  return pub;
}

int
mctx_context_take(mctx_context *ctx, mctx_publication_id id,
                  mctx_publication **out)
{
  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || out == NULL)
    return MCTX_E_INVALID_ARGUMENT;
  size_t i = find_index(ctx, id);
  if (i == (size_t) -1)
    return MCTX_E_PUBLICATION_NOT_FOUND;
  /* The publication keeps its id: it is how the caller knows it. */
  *out = detach(ctx, i);
  return MCTX_OK;
}

int
mctx_context_remove(mctx_context *ctx, mctx_publication_id id)
{
  if (ctx == NULL)
    return MCTX_E_INVALID_ARGUMENT;
  size_t i = find_index(ctx, id);
  if (i == (size_t) -1)
    return MCTX_E_PUBLICATION_NOT_FOUND;
  mctx_publication_close(detach(ctx, i));
  return MCTX_OK;
}

static int
not_found(mctx_publication_id id, mctx_error *err)
{
  return mctx__fail(err, MCTX_E_PUBLICATION_NOT_FOUND, MCTX_SUBJECT_PUBLICATION,
                    0, "no publication with id %llu", (unsigned long long) id);
}

int
mctx_context_send(mctx_context *ctx, mctx_publication_id id, const void *data,
                  size_t len, mctx_send_report *report, mctx_error *err)
{
  if (ctx == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "context must not be NULL");
  mctx_publication *pub = mctx_context_get(ctx, id);
  if (pub == NULL)
    return not_found(id, err);
  return mctx_publication_send(pub, data, len, report, err);
}

int
mctx_context_send_all(mctx_context *ctx, const void *data, size_t len,
                      mctx_send_report *reports, size_t max_reports,
                      size_t *sent, mctx_error *err)
{
  if (sent != NULL)
    *sent = 0;
  if (ctx == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "context must not be NULL");
  for (size_t i = 0; i < ctx->count; i++) {
    mctx_send_report *report =
        reports != NULL && i < max_reports ? &reports[i] : NULL;
    int rc = mctx_publication_send(ctx->pubs[i], data, len, report, err);
    if (rc != MCTX_OK)
      return rc;
    if (sent != NULL)
      *sent = i + 1;
  }
  return mctx__ok(err);
}

void
mctx_context_metrics_snapshot(const mctx_context *ctx, mctx_metrics *out)
{
  if (out == NULL)
    return;
  memset(out, 0, sizeof *out);
  out->captured_mono_ns = mctx_monotonic_ns();
  if (ctx != NULL) {
    /* The context is never a const object; only this read path is const. */
    mctx_context *c = (mctx_context *) (uintptr_t) ctx;
    pthread_mutex_lock(&c->lock);
    out->publications_added = c->added;
    out->publications_removed = c->removed;
    out->active_publications = c->count;
    out->send_calls = c->retired.send_calls;
    out->packets_sent = c->retired.packets_sent;
    out->bytes_sent = c->retired.bytes_sent;
    out->send_errors = c->retired.send_errors;
    out->would_block = c->retired.would_block;
    out->paced_packets = c->retired.paced_packets;
    out->pacing_late_ns_sum = c->retired.pacing_late_ns_sum;
    for (size_t i = 0; i < c->count; i++) {
      mctx_metrics m;
      mctx__metrics_read_counters(&c->pubs[i]->metrics, &m);
      m.captured_mono_ns = out->captured_mono_ns;
      mctx__pacing_read(c->pubs[i], &m);
      out->paced_packets += m.paced_packets;
      out->pacing_late_ns_sum += m.pacing_late_ns_sum;
      if (m.pacing_late_max_ns > out->pacing_late_max_ns)
        out->pacing_late_max_ns = m.pacing_late_max_ns;
      out->send_calls += m.send_calls;
      out->packets_sent += m.packets_sent;
      out->bytes_sent += m.bytes_sent;
      out->send_errors += m.send_errors;
      out->would_block += m.would_block;
    }
    pthread_mutex_unlock(&c->lock);
  }
  out->captured_at = mctx_unix_time_secs();
}
