/* The publication object: life cycle, accessors, live options.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Socket work is in posix/ or win32/ socket.c and send.c; this file holds no
 * system call, so a port to another platform does not touch it.
 */
#include "mctx-private.h"
#include "mctx-net.h"

#include <stdlib.h>
#include <string.h>

/* The interface whose qdisc decides MCTX_GSO_AUTO and counts queue_drops:
 * the one the config names, else the one the routing table picks. */
static uint32_t
egress_index(const mctx_publication *pub)
{
  uint32_t index = pub->interface_index;
  if (index == 0 && pub->config.interface.kind != MCTX_INTERFACE_NONE)
    (void) mctx__iface_resolve(&pub->config.interface, &index, NULL);
  if (index == 0)
    (void) mctx__route_egress(&pub->destination.ip, &index);
  return index;
}

static int
open_common(const mctx_publication_config *cfg, int fd, mctx_publication **out,
            mctx_error *err)
{
  if (out != NULL)
    *out = NULL;
  if (cfg == NULL || out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "config and out must not be NULL");
  int rc = mctx_publication_config_validate(cfg, err);
  if (rc != MCTX_OK)
    return rc;

  mctx_publication *pub = calloc(1, sizeof *pub);
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, 0,
                      "no memory for a publication");

  /* Each publication holds the platform's socket library (Winsock) for as
   * long as it lives, so one opened outside a context works too. */
  rc = mctx__platform_acquire(err);
  if (rc != MCTX_OK) {
    free(pub);
    return rc;
  }
  mctx__socket_setup setup;
  rc = fd < 0 ? mctx__socket_open(cfg, &setup, err)
              : mctx__socket_adopt(cfg, fd, &setup, err);
  if (rc != MCTX_OK) {
    mctx__platform_release();
    free(pub);
    return rc;
  }

  pub->id = 0;
  pub->fd = setup.fd;
  pub->config = *cfg;
  pub->destination = setup.destination;
  pub->interface_index = setup.interface_index;
  pub->has_local = setup.has_local;
  pub->local = setup.local;
  mctx__metrics_cell_init(&pub->metrics);
  /* ON and AUTO probe on the first batch; OFF never builds a GSO call
   * (docs/gso.md, "Shaping qdiscs"). AUTO also needs the qdisc's consent,
   * read here once and then on snapshots. */
  atomic_init(&pub->gso_state,
              cfg->gso != MCTX_GSO_OFF ? MCTX__GSO_UNPROBED : MCTX__GSO_OFF);
  atomic_init(&pub->gso_max_segment, 0);
  atomic_init(&pub->gso_refusals, 0);
  atomic_init(&pub->gso_calls, 0);
  atomic_init(&pub->pacing_rate_bps, cfg->pacing_rate_bps);
  atomic_init(&pub->pacing_burst, cfg->pacing_burst);
  atomic_init(&pub->interrupted, 0);
  mctx__pacer_init(&pub->pacer, cfg->pacing_rate_bps, cfg->pacing_burst,
                   setup.destination.ip.family == MCTX_FAMILY_IPV6 ? 8u + 40u
                                                                   : 8u + 20u);
  atomic_init(&pub->paced_packets, 0);
  atomic_init(&pub->pacing_late_sum_ns, 0);
  atomic_init(&pub->pacing_late_max_ns, 0);
  atomic_init(&pub->pacing_late_max_prev_ns, 0);
  atomic_init(&pub->pacing_late_second, 0);
  atomic_init(&pub->gso_qdisc_whole, false);
  atomic_init(&pub->enobufs_run, 0);
  atomic_init(&pub->follow_last_ns, 0);
  atomic_init(&pub->follows, 0);
  atomic_init(&pub->follow_pending, false);
  pthread_mutex_init(&pub->qdisc_lock, NULL);
  pub->egress_index = egress_index(pub);
  mctx__qdisc_read(pub->egress_index, &pub->qdisc);
  pub->qdisc_base = pub->qdisc;
  atomic_store(&pub->gso_qdisc_whole, pub->qdisc.gso_whole);
  *out = pub;
  return mctx__ok(err);
}

int
mctx_publication_open(const mctx_publication_config *cfg,
                      mctx_publication **out, mctx_error *err)
{
  return open_common(cfg, -1, out, err);
}

int
mctx_publication_open_with_socket(const mctx_publication_config *cfg, int fd,
                                  mctx_publication **out, mctx_error *err)
{
  if (fd < 0) {
    if (out != NULL)
      *out = NULL;
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "socket %d is not a valid descriptor", fd);
  }
  return open_common(cfg, fd, out, err);
}

void
mctx_publication_close(mctx_publication *pub)
{
  if (pub == NULL)
    return;
  mctx__socket_close(pub->fd);
  mctx__platform_release();
  pthread_mutex_destroy(&pub->qdisc_lock);
  free(pub);
}

void
mctx_publication_into_parts(mctx_publication *pub, int *fd,
                            mctx_publication_config *cfg,
                            mctx_publication_id *id)
{
  if (pub == NULL) {
    if (fd != NULL)
      *fd = -1;
    return;
  }
  /* A socket handed out keeps the platform's socket library started (on
   * Windows WSACleanup would close it), so only a closed one releases. */
  if (fd != NULL) {
    *fd = pub->fd;
  } else {
    mctx__socket_close(pub->fd); /* nobody would own it otherwise */
    mctx__platform_release();
  }
  if (cfg != NULL)
    *cfg = pub->config;
  if (id != NULL)
    *id = pub->id;
  pthread_mutex_destroy(&pub->qdisc_lock);
  free(pub);
}

mctx_publication_id
mctx_publication_get_id(const mctx_publication *pub)
{
  return pub != NULL ? pub->id : 0;
}

const mctx_publication_config *
mctx_publication_get_config(const mctx_publication *pub)
{
  return pub != NULL ? &pub->config : NULL;
}

int
mctx_publication_get_fd(const mctx_publication *pub)
{
  return pub != NULL ? pub->fd : -1;
}

void
mctx_publication_get_destination(const mctx_publication *pub,
                                 mctx_endpoint *out)
{
  if (out == NULL)
    return;
  if (pub == NULL) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = pub->destination;
}

uint32_t
mctx_publication_get_interface_index(const mctx_publication *pub)
{
  return pub != NULL ? pub->interface_index : 0;
}

/* The address cached at open is never written again, so threads sending on
 * the publication can read it without a lock. If getsockname failed at open
 * (it does not on a connected socket), each call asks again. */
int
mctx_publication_get_local(const mctx_publication *pub, mctx_endpoint *out,
                           mctx_error *err)
{
  if (pub == NULL || out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication and out must not be NULL");
  if (!pub->has_local)
    return mctx__socket_local(pub->fd, out, err);
  *out = pub->local;
  return mctx__ok(err);
}

int
mctx_publication_get_announce_tuple(const mctx_publication *pub,
                                    mctx_ip *source, mctx_ip *group,
                                    uint16_t *port, mctx_error *err)
{
  mctx_endpoint local;
  int rc = mctx_publication_get_local(pub, &local, err);
  if (rc != MCTX_OK)
    return rc;
  if (source != NULL)
    *source = local.ip;
  if (group != NULL)
    *group = pub->config.group;
  if (port != NULL)
    *port = pub->config.dst_port;
  return MCTX_OK;
}

int
mctx_publication_set_ttl(mctx_publication *pub, uint32_t ttl, mctx_error *err)
{
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication must not be NULL");
  int rc = mctx__socket_set_ttl(pub->fd, pub->config.group.family, ttl, err);
  if (rc != MCTX_OK)
    return rc;
  pub->config.ttl = ttl;
  return mctx__ok(err);
}

int
mctx_publication_set_loopback(mctx_publication *pub, bool on, mctx_error *err)
{
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication must not be NULL");
  int rc =
      mctx__socket_set_loopback(pub->fd, pub->config.group.family, on, err);
  if (rc != MCTX_OK)
    return rc;
  pub->config.loopback = on;
  return mctx__ok(err);
}

/* -1 restores the kernel's default class (0): the socket cannot go back to
 * "never set", but it then sends what it sent before any change. */
int
mctx_publication_set_dscp(mctx_publication *pub, int dscp, mctx_error *err)
{
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication must not be NULL");
  if (dscp < -1 || dscp > 63)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP, 0,
                      "dscp %d is out of range -1..63", dscp);
  int rc = mctx__socket_set_dscp(pub->fd, pub->config.group.family, dscp, err);
  if (rc != MCTX_OK)
    return rc;
  pub->config.dscp = dscp;
  return mctx__ok(err);
}

int
mctx_publication_set_pacing(mctx_publication *pub, uint64_t rate_bps,
                            uint32_t burst, mctx_error *err)
{
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication must not be NULL");
  int rc = mctx__pacing_check(rate_bps, burst, err);
  if (rc != MCTX_OK)
    return rc;
  /* The sending thread picks both up at its next call. */
  atomic_store_explicit(&pub->pacing_burst, burst, memory_order_relaxed);
  atomic_store_explicit(&pub->pacing_rate_bps, rate_bps, memory_order_relaxed);
  pub->config.pacing_rate_bps = rate_bps;
  pub->config.pacing_burst = burst;
  return mctx__ok(err);
}

void
mctx_publication_interrupt(mctx_publication *pub)
{
  if (pub == NULL)
    return;
  atomic_store_explicit(&pub->interrupted, 1, memory_order_release);
  mctx__pacer_wake(&pub->interrupted);
}

void
mctx_publication_clear_interrupt(mctx_publication *pub)
{
  if (pub != NULL)
    atomic_store_explicit(&pub->interrupted, 0, memory_order_release);
}

/* The checks and the pacing choice are the same everywhere; only the
 * unpaced send (mctx__send_batch_now) is the platform's. */
int
mctx_publication_send_batch(mctx_publication *pub,
                            const mctx_datagram *datagrams, size_t count,
                            size_t *sent, mctx_error *err)
{
  if (sent != NULL)
    *sent = 0;
  if (pub == NULL || sent == NULL || (datagrams == NULL && count > 0))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication, datagrams and sent must not be NULL");
  if (mctx__pacing_on(pub))
    return mctx__paced_batch(pub, datagrams, count, sent, err);
  return mctx__send_batch_now(pub, datagrams, count, false, sent, err);
}

void
mctx__publication_set_id(mctx_publication *pub, mctx_publication_id id)
{
  pub->id = id;
}

/* A counter since open: a qdisc replaced meanwhile (its counters restart
 * at 0) leaves what the old one counted in folded. */
static uint64_t
since_open(uint64_t now, uint64_t *base, uint64_t *folded, uint64_t last)
{
  if (now < *base || now < last) {
    *folded += last - *base;
    *base = 0;
  }
  return *folded + (now - *base);
}

void
mctx__publication_qdisc_refresh(mctx_publication *pub, bool wait,
                                mctx_queue_stats *out)
{
  if (wait)
    pthread_mutex_lock(&pub->qdisc_lock);
  else if (pthread_mutex_trylock(&pub->qdisc_lock) != 0)
    return;
  mctx__qdisc_info now;
  mctx__qdisc_read(pub->egress_index, &now);
  atomic_store_explicit(&pub->gso_qdisc_whole, now.gso_whole,
                        memory_order_relaxed);
  atomic_store_explicit(&pub->enobufs_run, 0, memory_order_relaxed);
  mctx__qdisc_info *b = &pub->qdisc_base, *f = &pub->qdisc_folded;
  mctx__qdisc_info last = pub->qdisc;
  if (now.has_stats) {
    uint64_t drops = since_open(now.drops, &b->drops, &f->drops, last.drops);
    uint64_t over = since_open(now.overlimits, &b->overlimits, &f->overlimits,
                               last.overlimits);
    uint64_t requeues =
        since_open(now.requeues, &b->requeues, &f->requeues, last.requeues);
    pub->qdisc = now;
    if (out != NULL) {
      out->drops = drops;
      out->overlimits = over;
      out->requeues = requeues;
      out->backlog = now.backlog;
    }
  } else if (out != NULL) {
    /* Unreadable now (interface gone): what was counted stays. */
    out->drops = last.drops - b->drops + f->drops;
  }
  if (out != NULL) {
    out->interface_index = pub->egress_index;
    memcpy(out->qdisc, now.kind, sizeof out->qdisc);
    out->gso_whole = now.gso_whole;
    int mode = pub->config.gso;
    out->gso_active =
        atomic_load_explicit(&pub->gso_state, memory_order_relaxed) !=
            MCTX__GSO_OFF &&
        (mode == MCTX_GSO_ON || (mode == MCTX_GSO_AUTO && now.gso_whole));
  }
  pthread_mutex_unlock(&pub->qdisc_lock);
}

int
mctx_publication_queue_stats(mctx_publication *pub, mctx_queue_stats *out)
{
  if (pub == NULL || out == NULL)
    return MCTX_E_INVALID_ARGUMENT;
  memset(out, 0, sizeof *out);
  mctx__publication_qdisc_refresh(pub, true, out);
  if (out->interface_index != 0 &&
      if_indextoname(out->interface_index, out->interface_name) == NULL)
    out->interface_name[0] = '\0';
  return MCTX_OK;
}

void
mctx_publication_metrics_snapshot(const mctx_publication *pub,
                                  mctx_metrics *out)
{
  mctx__metrics_read(pub != NULL ? &pub->metrics : NULL, out);
  if (pub == NULL || out == NULL)
    return;
  mctx__pacing_read(pub, out);
  /* A snapshot is the metrics tick: it follows a qdisc changed while
   * streaming. pub is never a const object (publications are allocated),
   * only a const view of one. */
  mctx_queue_stats q;
  memset(&q, 0, sizeof q);
  mctx__publication_qdisc_refresh((mctx_publication *) pub, true, &q);
  out->queue_drops = q.drops;
}
int
mctx_publications_send_batch(mctx_publication *const *pubs, size_t npubs,
                             const mctx_datagram *datagrams, size_t count,
                             mctx_send_result *results, mctx_error *errs)
{
  int first_failure = MCTX_OK;

  if (pubs == NULL || results == NULL || (datagrams == NULL && count > 0))
    return mctx__fail(errs, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publications, results and datagrams must not be NULL");
  for (size_t i = 0; i < npubs; i++) {
    if (pubs[i] == NULL)
      return mctx__fail(errs, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "publication %zu of %zu is NULL", i, npubs);
  }
  for (size_t i = 0; i < npubs; i++) {
    if (mctx__pacing_on(pubs[i]))
      return mctx__paced_batch_all(pubs[i], pubs, npubs, datagrams, count,
                                   results, errs);
  }
  for (size_t i = 0; i < npubs; i++) {
    results[i].code =
        mctx_publication_send_batch(pubs[i], datagrams, count, &results[i].sent,
                                    errs != NULL ? &errs[i] : NULL);
    if (results[i].code != MCTX_OK && first_failure == MCTX_OK)
      first_failure = results[i].code;
  }
  return first_failure;
}
