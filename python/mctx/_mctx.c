/* mctx._mctx: the CPython binding of libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Context, Publication and SendReport follow mctx-core-py (the Python
 * bindings of the Rust crate), so code moves across; send_batch and
 * metrics_snapshot go beyond it. The exception classes and AsyncPublication
 * are plain Python (mctx/_errors.py, mctx/aio.py): this file only hands
 * libmctx's code, subject, errno and message to mctx._errors.make_error.
 *
 * Threads: libmctx serves a context from one thread at a time. Sends run
 * without the GIL, so while one runs, a second thread that uses the same
 * context (or the same taken publication) gets a RuntimeError instead of
 * racing it, as mctx-core-py's re-entrant borrow does. Metrics snapshots
 * are safe from any thread and are never refused.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "mctx.h"

/* mctx._errors.make_error, which picks the exception class for a code. */
static PyObject *make_error;

static PyTypeObject ContextType;
static PyTypeObject PublicationType;
static PyTypeObject SendReportType;

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Raises the exception for code with err's details; a batch passes how many
 * datagrams went out before the failure (sent >= 0), others -1. */
static PyObject *
raise_mctx_error(int code, const mctx_error *err, Py_ssize_t sent)
{
  /* A message quotes at most MCTX_ERROR_VALUE_MAX bytes of a caller's value
   * and may cut a UTF-8 sequence in two. */
  PyObject *message =
      PyUnicode_DecodeUTF8(err->message, strlen(err->message), "replace");
  if (message == NULL)
    return NULL;
  PyObject *sent_obj =
      sent >= 0 ? PyLong_FromSsize_t(sent) : Py_NewRef(Py_None);
  if (sent_obj == NULL) {
    Py_DECREF(message);
    return NULL;
  }
  PyObject *exc = PyObject_CallFunction(make_error, "isNiN", code,
                                        mctx_subject_name(err->subject),
                                        message, err->sys_errno, sent_obj);
  if (exc != NULL) {
    PyErr_SetObject((PyObject *) Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}

/* Raises an error the binding finds itself, worded as libmctx would. */
static PyObject *
raise_error(int code, mctx_subject subject, const char *fmt, ...)
{
  mctx_error err = {.code = code, .subject = subject};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err.message, sizeof err.message, fmt, ap);
  va_end(ap);
  return raise_mctx_error(code, &err, -1);
}

static PyObject *
raise_not_found(mctx_publication_id id)
{
  return raise_error(MCTX_E_PUBLICATION_NOT_FOUND, MCTX_SUBJECT_PUBLICATION,
                     "no publication with id %llu", (unsigned long long) id);
}

/* Marks a context (or a taken publication) as used by this thread for a
 * call that releases the GIL. Runs with the GIL held, so test and set are
 * one step for every other Python thread. */
static int
enter(int *busy)
{
  if (*busy) {
    PyErr_SetString(PyExc_RuntimeError,
                    "the context is in use by another thread "
                    "(libmctx serves a context from one thread at a time)");
    return -1;
  }
  *busy = 1;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Conversions                                                              */
/* ------------------------------------------------------------------------ */

/* The address without its scope id (that one is a property of its own). */
static PyObject *
ip_to_str(const mctx_ip *ip)
{
  mctx_ip bare = *ip;
  char buf[MCTX_IP_STRLEN];
  bare.scope_id = 0;
  return PyUnicode_FromString(mctx_ip_format(&bare, buf, sizeof buf));
}

static PyObject *
ip_or_none(const mctx_ip *ip)
{
  if (ip->family == MCTX_FAMILY_UNSPEC)
    Py_RETURN_NONE;
  return ip_to_str(ip);
}

static PyObject *
endpoint_to_tuple(const mctx_endpoint *ep)
{
  return Py_BuildValue("(NH)", ip_to_str(&ep->ip), ep->port);
}

/* IPv6 addresses have a scope id (0 when none); IPv4 ones None. */
static PyObject *
scope_id_or_none(const mctx_ip *ip)
{
  if (ip->family != MCTX_FAMILY_IPV6)
    Py_RETURN_NONE;
  return PyLong_FromUnsignedLong(ip->scope_id);
}

/* An int argument in [min, max], or None (gives *is_none). Out of range is
 * code with subject, worded as libmctx words a bad value ("destination port
 * 0 is not valid (1..65535)"); not an int is a TypeError. */
static int
int_arg(PyObject *obj, const char *name, long long min, long long max, int code,
        mctx_subject subject, long long *out, bool *is_none)
{
  if (is_none != NULL)
    *is_none = obj == NULL || obj == Py_None;
  if (obj == NULL || obj == Py_None) {
    if (is_none != NULL)
      return 0;
    PyErr_Format(PyExc_TypeError, "%s must be an int, not None", name);
    return -1;
  }
  if (!PyLong_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", name,
                 Py_TYPE(obj)->tp_name);
    return -1;
  }
  int overflow = 0;
  long long value = PyLong_AsLongLongAndOverflow(obj, &overflow);
  if (value == -1 && PyErr_Occurred())
    return -1;
  if (overflow != 0 || value < min || value > max) {
    PyObject *text = PyObject_Str(obj);
    if (text == NULL)
      return -1;
    raise_error(code, subject, "%s %.40s is not valid (%lld..%lld)", name,
                PyUnicode_AsUTF8(text), min, max);
    Py_DECREF(text);
    return -1;
  }
  *out = value;
  return 0;
}

static PyObject *
metrics_to_dict(const mctx_metrics *m, bool of_context)
{
  PyObject *dict = Py_BuildValue(
      "{s:K,s:K,s:K,s:K,s:K,s:d,s:K}", "send_calls",
      (unsigned long long) m->send_calls, "packets_sent",
      (unsigned long long) m->packets_sent, "bytes_sent",
      (unsigned long long) m->bytes_sent, "send_errors",
      (unsigned long long) m->send_errors, "would_block",
      (unsigned long long) m->would_block, "captured_at", m->captured_at,
      "captured_mono_ns", (unsigned long long) m->captured_mono_ns);
  if (dict == NULL || !of_context)
    return dict;
  PyObject *extra = Py_BuildValue(
      "{s:K,s:K,s:K}", "publications_added",
      (unsigned long long) m->publications_added, "publications_removed",
      (unsigned long long) m->publications_removed, "active_publications",
      (unsigned long long) m->active_publications);
  if (extra == NULL || PyDict_Update(dict, extra) < 0) {
    Py_XDECREF(extra);
    Py_DECREF(dict);
    return NULL;
  }
  Py_DECREF(extra);
  return dict;
}

/* ------------------------------------------------------------------------ */
/* SendReport                                                               */
/* ------------------------------------------------------------------------ */

typedef struct {
  PyObject_HEAD mctx_send_report report;
} SendReportObject;

/* One object per send; the strings are made when asked for. */
static PyObject *
send_report_new(const mctx_send_report *report)
{
  SendReportObject *self = PyObject_New(SendReportObject, &SendReportType);
  if (self != NULL)
    self->report = *report;
  return (PyObject *) self;
}

enum report_field {
  REPORT_PUBLICATION_ID,
  REPORT_DESTINATION,
  REPORT_DESTINATION_ADDR,
  REPORT_DESTINATION_PORT,
  REPORT_DESTINATION_SCOPE_ID,
  REPORT_LOCAL_ADDR,
  REPORT_LOCAL_SCOPE_ID,
  REPORT_SOURCE_ADDR,
  REPORT_BYTES_SENT,
};

static PyObject *
send_report_get(SendReportObject *self, void *closure)
{
  const mctx_send_report *r = &self->report;
  bool has_local = r->local.ip.family != MCTX_FAMILY_UNSPEC;
  switch ((enum report_field)(intptr_t) closure) {
    case REPORT_PUBLICATION_ID:
      return PyLong_FromUnsignedLongLong(r->publication_id);
    case REPORT_DESTINATION:
      return endpoint_to_tuple(&r->destination);
    case REPORT_DESTINATION_ADDR:
      return ip_to_str(&r->destination.ip);
    case REPORT_DESTINATION_PORT:
      return PyLong_FromLong(r->destination.port);
    case REPORT_DESTINATION_SCOPE_ID:
      return scope_id_or_none(&r->destination.ip);
    case REPORT_LOCAL_ADDR:
      if (!has_local)
        Py_RETURN_NONE;
      return endpoint_to_tuple(&r->local);
    case REPORT_LOCAL_SCOPE_ID:
      return scope_id_or_none(&r->local.ip);
    case REPORT_SOURCE_ADDR:
      return ip_or_none(&r->local.ip);
    case REPORT_BYTES_SENT:
      return PyLong_FromSize_t(r->bytes_sent);
  }
  Py_RETURN_NONE;
}

static PyObject *
send_report_repr(SendReportObject *self)
{
  char dst[MCTX_ENDPOINT_STRLEN], local[MCTX_ENDPOINT_STRLEN];
  return PyUnicode_FromFormat(
      "SendReport(publication_id=%llu, destination='%s', local='%s', "
      "bytes_sent=%zu)",
      (unsigned long long) self->report.publication_id,
      mctx_endpoint_format(&self->report.destination, dst, sizeof dst),
      mctx_endpoint_format(&self->report.local, local, sizeof local),
      self->report.bytes_sent);
}

#define REPORT_GETTER(name, field, doc)                                  \
  {                                                                      \
    name, (getter) send_report_get, NULL, doc, (void *) (intptr_t) field \
  }

static PyGetSetDef send_report_getset[] = {
    REPORT_GETTER("publication_id", REPORT_PUBLICATION_ID,
                  "Id of the publication that sent."),
    REPORT_GETTER("destination", REPORT_DESTINATION,
                  "(address, port) the datagram went to."),
    REPORT_GETTER("destination_addr", REPORT_DESTINATION_ADDR,
                  "The destination address (the group)."),
    REPORT_GETTER("destination_port", REPORT_DESTINATION_PORT,
                  "The destination UDP port."),
    REPORT_GETTER("destination_scope_id", REPORT_DESTINATION_SCOPE_ID,
                  "IPv6 scope id used (0 when none); None for IPv4."),
    REPORT_GETTER("local_addr", REPORT_LOCAL_ADDR,
                  "(address, port) of the socket, or None."),
    REPORT_GETTER("local_scope_id", REPORT_LOCAL_SCOPE_ID,
                  "IPv6 scope id of the local address; None for IPv4."),
    REPORT_GETTER("source_addr", REPORT_SOURCE_ADDR,
                  "The source address receivers see, or None."),
    REPORT_GETTER("bytes_sent", REPORT_BYTES_SENT, "Bytes of the datagram."),
    {0},
};

static PyTypeObject SendReportType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mctx.SendReport",
    .tp_basicsize = sizeof(SendReportObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "What one successful send did (returned by send()).",
    .tp_repr = (reprfunc) send_report_repr,
    .tp_getset = send_report_getset,
};

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

static PyObject *
send_one(mctx_publication *pub, int *busy, PyObject *payload)
{
  Py_buffer view;
  if (PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE) < 0)
    return NULL;
  if (enter(busy) < 0) {
    PyBuffer_Release(&view);
    return NULL;
  }
  mctx_send_report report;
  mctx_error err;
  int rc;
  Py_BEGIN_ALLOW_THREADS rc =
      mctx_publication_send(pub, view.buf, (size_t) view.len, &report, &err);
  Py_END_ALLOW_THREADS *busy = 0;
  PyBuffer_Release(&view);
  if (rc != MCTX_OK)
    return raise_mctx_error(rc, &err, -1);
  return send_report_new(&report);
}

/* The payloads' own memory goes to the kernel: one view per payload, held
 * while the batch runs, and the iovec-like arrays point into them. */
static PyObject *
send_batch(mctx_publication *pub, int *busy, PyObject *payloads)
{
  PyObject *seq = PySequence_Fast(
      payloads, "send_batch takes an iterable of bytes-like objects");
  if (seq == NULL)
    return NULL;
  Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
  PyObject **items = PySequence_Fast_ITEMS(seq);
  /* One block per batch: the views, then the datagrams, then the buffers. */
  size_t each = sizeof(Py_buffer) + sizeof(mctx_datagram) + sizeof(mctx_buf);
  void *block = PyMem_Malloc(count > 0 ? (size_t) count * each : 1);
  if (block == NULL) {
    Py_DECREF(seq);
    return PyErr_NoMemory();
  }
  Py_buffer *views = block;
  mctx_datagram *datagrams = (mctx_datagram *) (views + count);
  mctx_buf *bufs = (mctx_buf *) (datagrams + count);

  Py_ssize_t held = 0;
  PyObject *result = NULL;
  for (; held < count; held++) {
    if (PyObject_GetBuffer(items[held], &views[held], PyBUF_SIMPLE) < 0)
      goto out;
    bufs[held] = (mctx_buf){views[held].buf, (size_t) views[held].len};
    datagrams[held] = (mctx_datagram){&bufs[held], 1};
  }
  if (enter(busy) < 0)
    goto out;
  size_t sent = 0;
  mctx_error err;
  int rc;
  Py_BEGIN_ALLOW_THREADS rc =
      mctx_publication_send_batch(pub, datagrams, (size_t) count, &sent, &err);
  Py_END_ALLOW_THREADS *busy = 0;
  if (rc != MCTX_OK)
    raise_mctx_error(rc, &err, (Py_ssize_t) sent);
  else
    result = PyLong_FromSize_t(sent);
out:
  for (Py_ssize_t i = 0; i < held; i++)
    PyBuffer_Release(&views[i]);
  PyMem_Free(block);
  Py_DECREF(seq);
  return result;
}

/* ------------------------------------------------------------------------ */
/* Context                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
  PyObject_HEAD mctx_context *ctx;
  int busy;
} ContextObject;

static PyObject *
context_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[] = {NULL};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, ":Context", kwlist))
    return NULL;
  ContextObject *self = (ContextObject *) type->tp_alloc(type, 0);
  if (self == NULL)
    return NULL;
  if (mctx_context_new(&self->ctx) != MCTX_OK) {
    Py_DECREF(self);
    return PyErr_NoMemory();
  }
  return (PyObject *) self;
}

static void
context_dealloc(ContextObject *self)
{
  mctx_context_free(self->ctx);
  Py_TYPE(self)->tp_free((PyObject *) self);
}

/* Fills cfg from add_publication's arguments, as mctx-core-py reads them. */
static int
config_from_args(mctx_publication_config *cfg, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[] = {
      "group",    "dst_port",  "source",           "source_port",
      "bind",     "interface", "interface_index",  "ttl",
      "loopback", "dscp",      "send_buffer_size", "gso",
      NULL};
  const char *group, *source = NULL, *bind = NULL, *interface = NULL;
  PyObject *dst_port, *source_port = Py_None, *interface_index = Py_None;
  PyObject *ttl = NULL, *dscp = Py_None, *send_buffer_size = Py_None;
  PyObject *gso = Py_None;
  int loopback = 1;
  if (!PyArg_ParseTupleAndKeywords(
          args, kwargs, "sO|zOzzOOp$OOO:add_publication", kwlist, &group,
          &dst_port, &source, &source_port, &bind, &interface, &interface_index,
          &ttl, &loopback, &dscp, &send_buffer_size, &gso))
    return -1;

  mctx_error err;
  long long value;
  bool none;
  int rc = mctx_publication_config_init_group(cfg, group, 0, &err);
  if (rc != MCTX_OK)
    return raise_mctx_error(rc, &err, -1), -1;
  if (int_arg(dst_port, "destination port", 1, UINT16_MAX,
              MCTX_E_INVALID_DESTINATION_PORT, MCTX_SUBJECT_DESTINATION_PORT,
              &value, NULL) < 0)
    return -1;
  cfg->dst_port = (uint16_t) value;

  if (bind != NULL && (source != NULL || source_port != Py_None))
    return raise_error(MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_SOURCE_ADDRESS,
                       "bind cannot be combined with source or source_port"),
           -1;
  if (bind != NULL) {
    mctx_endpoint ep;
    rc = mctx_endpoint_parse(bind, &ep, &err);
    if (rc != MCTX_OK)
      return raise_mctx_error(rc, &err, -1), -1;
    mctx_publication_config_set_bind(cfg, &ep);
  }
  if (source != NULL) {
    rc = mctx_ip_parse(source, &cfg->source_addr, &err);
    if (rc != MCTX_OK)
      return raise_mctx_error(rc, &err, -1), -1;
  }
  if (int_arg(source_port, "source port", 1, UINT16_MAX,
              MCTX_E_INVALID_SOURCE_PORT, MCTX_SUBJECT_SOURCE_PORT, &value,
              &none) < 0)
    return -1;
  if (!none) {
    cfg->has_source_port = true;
    cfg->source_port = (uint16_t) value;
  }

  if (interface != NULL && interface_index != Py_None)
    return raise_error(MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_INTERFACE,
                       "interface cannot be combined with interface_index"),
           -1;
  if (interface != NULL) {
    rc = mctx_interface_parse(interface, &cfg->interface, &err);
    if (rc != MCTX_OK)
      return raise_mctx_error(rc, &err, -1), -1;
  }
  if (int_arg(interface_index, "interface index", 0, UINT32_MAX,
              MCTX_E_INVALID_IPV6_INTERFACE_INDEX, MCTX_SUBJECT_INTERFACE,
              &value, &none) < 0)
    return -1;
  if (!none) {
    cfg->interface.kind = MCTX_INTERFACE_INDEX;
    cfg->interface.index = (uint32_t) value;
  }

  /* None leaves the kernel's TTL. */
  if (int_arg(ttl, "ttl", 0, UINT32_MAX - 1, MCTX_E_INVALID_ARGUMENT,
              MCTX_SUBJECT_TTL, &value, &none) < 0)
    return -1;
  if (ttl != NULL)
    cfg->ttl = none ? MCTX_TTL_UNCHANGED : (uint32_t) value;
  cfg->loopback = loopback;
  if (int_arg(dscp, "dscp", 0, 63, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP,
              &value, &none) < 0)
    return -1;
  cfg->dscp = none ? -1 : (int) value;
  if (int_arg(send_buffer_size, "send buffer size", 0, INT32_MAX,
              MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_SEND_BUFFER_SIZE, &value,
              &none) < 0)
    return -1;
  cfg->send_buffer_size = none ? 0 : (int) value;
  /* None keeps libmctx's default (auto); True and False are on and off, as
   * when gso was a switch; a string is parsed as mctx_gso_mode_parse. */
  if (PyUnicode_Check(gso)) {
    const char *text = PyUnicode_AsUTF8(gso);
    if (text == NULL)
      return -1;
    rc = mctx_gso_mode_parse(text, &cfg->gso, &err);
    if (rc != MCTX_OK)
      return raise_mctx_error(rc, &err, -1), -1;
  } else if (gso != Py_None) {
    int on = PyObject_IsTrue(gso);
    if (on < 0)
      return -1;
    cfg->gso = on ? MCTX_GSO_ON : MCTX_GSO_OFF;
  }
  return 0;
}

static PyObject *
context_add_publication(ContextObject *self, PyObject *args, PyObject *kwargs)
{
  mctx_publication_config cfg;
  if (config_from_args(&cfg, args, kwargs) < 0)
    return NULL;
  if (enter(&self->busy) < 0)
    return NULL;
  mctx_publication_id id = 0;
  mctx_error err;
  int rc = mctx_context_add(self->ctx, &cfg, &id, &err);
  self->busy = 0;
  if (rc != MCTX_OK)
    return raise_mctx_error(rc, &err, -1);
  return PyLong_FromUnsignedLongLong(id);
}

static int
id_arg(PyObject *obj, mctx_publication_id *id)
{
  *id = PyLong_AsUnsignedLongLong(obj);
  if (*id == (mctx_publication_id) -1 && PyErr_Occurred()) {
    if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
      /* A negative or huge id names no publication. */
      PyErr_Clear();
      *id = 0;
      return 0;
    }
    return -1;
  }
  return 0;
}

/* The owned publication with that id, or NULL with PublicationNotFoundError. */
static mctx_publication *
context_lookup(ContextObject *self, PyObject *id_obj, mctx_publication_id *id)
{
  if (id_arg(id_obj, id) < 0)
    return NULL;
  mctx_publication *pub = mctx_context_get(self->ctx, *id);
  if (pub == NULL)
    raise_not_found(*id);
  return pub;
}

static PyObject *publication_wrap(ContextObject *owner, mctx_publication *owned,
                                  mctx_publication_id id);

static PyObject *
context_get_publication(ContextObject *self, PyObject *id_obj)
{
  mctx_publication_id id;
  if (context_lookup(self, id_obj, &id) == NULL)
    return NULL;
  return publication_wrap(self, NULL, id);
}

static PyObject *
context_take_publication(ContextObject *self, PyObject *id_obj)
{
  mctx_publication_id id;
  if (context_lookup(self, id_obj, &id) == NULL || enter(&self->busy) < 0)
    return NULL;
  mctx_publication *pub = NULL;
  int rc = mctx_context_take(self->ctx, id, &pub);
  self->busy = 0;
  if (rc != MCTX_OK)
    return raise_not_found(id);
  PyObject *wrapped = publication_wrap(NULL, pub, id);
  if (wrapped == NULL)
    mctx_publication_close(pub);
  return wrapped;
}

static PyObject *
context_remove_publication(ContextObject *self, PyObject *id_obj)
{
  mctx_publication_id id;
  if (id_arg(id_obj, &id) < 0 || enter(&self->busy) < 0)
    return NULL;
  int rc = mctx_context_remove(self->ctx, id);
  self->busy = 0;
  return PyBool_FromLong(rc == MCTX_OK);
}

static PyObject *
context_contains_publication(ContextObject *self, PyObject *id_obj)
{
  mctx_publication_id id;
  if (id_arg(id_obj, &id) < 0)
    return NULL;
  return PyBool_FromLong(mctx_context_contains(self->ctx, id));
}

static PyObject *
context_publication_count(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
  return PyLong_FromSize_t(mctx_context_count(self->ctx));
}

static PyObject *
context_send(ContextObject *self, PyObject *args)
{
  PyObject *id_obj, *payload;
  mctx_publication_id id;
  if (!PyArg_ParseTuple(args, "OO:send", &id_obj, &payload))
    return NULL;
  mctx_publication *pub = context_lookup(self, id_obj, &id);
  return pub == NULL ? NULL : send_one(pub, &self->busy, payload);
}

static PyObject *
context_send_batch(ContextObject *self, PyObject *args)
{
  PyObject *id_obj, *payloads;
  mctx_publication_id id;
  if (!PyArg_ParseTuple(args, "OO:send_batch", &id_obj, &payloads))
    return NULL;
  mctx_publication *pub = context_lookup(self, id_obj, &id);
  return pub == NULL ? NULL : send_batch(pub, &self->busy, payloads);
}

static PyObject *
context_metrics_snapshot(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
  mctx_metrics m;
  mctx_context_metrics_snapshot(self->ctx, &m);
  return metrics_to_dict(&m, true);
}

static PyObject *
context_repr(ContextObject *self)
{
  return PyUnicode_FromFormat("Context(publication_count=%zu)",
                              mctx_context_count(self->ctx));
}

static PyMethodDef context_methods[] = {
    {"add_publication", (PyCFunction) (void (*)(void)) context_add_publication,
     METH_VARARGS | METH_KEYWORDS,
     "add_publication(group, dst_port, source=None, source_port=None, "
     "bind=None, interface=None, interface_index=None, ttl=1, loopback=True, "
     "*, dscp=None, send_buffer_size=None, gso=None)\n--\n\n"
     "Opens a publication owned by the context and returns its id."},
    {"get_publication", (PyCFunction) context_get_publication, METH_O,
     "get_publication(id)\n--\n\nThe publication with that id (still owned "
     "by the context)."},
    {"take_publication", (PyCFunction) context_take_publication, METH_O,
     "take_publication(id)\n--\n\nRemoves the publication from the context "
     "and hands it over (its socket stays open)."},
    {"remove_publication", (PyCFunction) context_remove_publication, METH_O,
     "remove_publication(id)\n--\n\nCloses the publication; False when there "
     "was none with that id."},
    {"contains_publication", (PyCFunction) context_contains_publication, METH_O,
     "contains_publication(id)\n--\n\nWhether the context owns that id."},
    {"publication_count", (PyCFunction) context_publication_count, METH_NOARGS,
     "publication_count()\n--\n\nHow many publications the context owns."},
    {"send", (PyCFunction) context_send, METH_VARARGS,
     "send(publication_id, payload)\n--\n\nSends one datagram; returns a "
     "SendReport."},
    {"send_batch", (PyCFunction) context_send_batch, METH_VARARGS,
     "send_batch(publication_id, payloads)\n--\n\nSends each bytes-like "
     "payload as one datagram, without copying; returns how many went out."},
    {"metrics_snapshot", (PyCFunction) context_metrics_snapshot, METH_NOARGS,
     "metrics_snapshot()\n--\n\nThe context's counters as a dict."},
    {0},
};

static PyTypeObject ContextType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mctx.Context",
    .tp_basicsize = sizeof(ContextObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Context()\n--\n\nOwns publications and hands out their ids "
              "(from 1, never reused).",
    .tp_new = context_new,
    .tp_dealloc = (destructor) context_dealloc,
    .tp_repr = (reprfunc) context_repr,
    .tp_methods = context_methods,
};

/* ------------------------------------------------------------------------ */
/* Publication                                                              */
/* ------------------------------------------------------------------------ */

/* Either a view of a publication a context owns (owner set: looked up by id
 * on each use, so one removed meanwhile raises PublicationNotFoundError), or
 * one taken out of its context (owned set). */
typedef struct {
  PyObject_HEAD ContextObject *owner;
  mctx_publication *owned;
  mctx_publication_id id;
  int busy;
} PublicationObject;

static PyObject *
publication_wrap(ContextObject *owner, mctx_publication *owned,
                 mctx_publication_id id)
{
  PublicationObject *self = PyObject_New(PublicationObject, &PublicationType);
  if (self == NULL)
    return NULL;
  self->owner = (ContextObject *) Py_XNewRef(owner);
  self->owned = owned;
  self->id = id;
  self->busy = 0;
  return (PyObject *) self;
}

static void
publication_dealloc(PublicationObject *self)
{
  Py_XDECREF(self->owner);
  mctx_publication_close(self->owned);
  PyObject_Free(self);
}

static mctx_publication *
publication_get(PublicationObject *self)
{
  mctx_publication *pub = self->owned;
  if (pub == NULL && self->owner != NULL)
    pub = mctx_context_get(self->owner->ctx, self->id);
  if (pub == NULL)
    raise_not_found(self->id);
  return pub;
}

static int *
publication_busy(PublicationObject *self)
{
  return self->owner != NULL ? &self->owner->busy : &self->busy;
}

enum publication_field {
  PUB_ID,
  PUB_GROUP,
  PUB_DST_PORT,
  PUB_FAMILY,
  PUB_CONFIGURED_SOURCE_ADDR,
  PUB_SOURCE_PORT,
  PUB_OUTGOING_INTERFACE,
  PUB_OUTGOING_INTERFACE_INDEX,
  PUB_TTL,
  PUB_LOOPBACK,
  PUB_DESTINATION,
  PUB_DESTINATION_SCOPE_ID,
};

static PyObject *
publication_field(PublicationObject *self, void *closure)
{
  mctx_publication *pub = publication_get(self);
  if (pub == NULL)
    return NULL;
  const mctx_publication_config *cfg = mctx_publication_get_config(pub);
  mctx_endpoint dst;
  uint32_t index;
  switch ((enum publication_field)(intptr_t) closure) {
    case PUB_ID:
      return PyLong_FromUnsignedLongLong(self->id);
    case PUB_GROUP:
      return ip_to_str(&cfg->group);
    case PUB_DST_PORT:
      return PyLong_FromLong(cfg->dst_port);
    case PUB_FAMILY:
      return PyUnicode_FromString(
          cfg->group.family == MCTX_FAMILY_IPV6 ? "ipv6" : "ipv4");
    case PUB_CONFIGURED_SOURCE_ADDR:
      return ip_or_none(&cfg->source_addr);
    case PUB_SOURCE_PORT:
      if (!cfg->has_source_port)
        Py_RETURN_NONE;
      return PyLong_FromLong(cfg->source_port);
    case PUB_OUTGOING_INTERFACE:
      if (cfg->interface.kind == MCTX_INTERFACE_ADDRESS)
        return ip_to_str(&cfg->interface.address);
      if (cfg->interface.kind == MCTX_INTERFACE_NAME)
        return PyUnicode_FromString(cfg->interface.name);
      Py_RETURN_NONE;
    case PUB_OUTGOING_INTERFACE_INDEX:
      /* The index in use, also when the interface was given otherwise. */
      index = mctx_publication_get_interface_index(pub);
      if (index == 0 && cfg->interface.kind == MCTX_INTERFACE_INDEX)
        index = cfg->interface.index;
      if (index == 0)
        Py_RETURN_NONE;
      return PyLong_FromUnsignedLong(index);
    case PUB_TTL:
      if (cfg->ttl == MCTX_TTL_UNCHANGED)
        Py_RETURN_NONE;
      return PyLong_FromUnsignedLong(cfg->ttl);
    case PUB_LOOPBACK:
      return PyBool_FromLong(cfg->loopback);
    case PUB_DESTINATION:
      mctx_publication_get_destination(pub, &dst);
      return endpoint_to_tuple(&dst);
    case PUB_DESTINATION_SCOPE_ID:
      mctx_publication_get_destination(pub, &dst);
      return scope_id_or_none(&dst.ip);
  }
  Py_RETURN_NONE;
}

static int
publication_local(PublicationObject *self, mctx_endpoint *local)
{
  mctx_publication *pub = publication_get(self);
  if (pub == NULL)
    return -1;
  mctx_error err;
  int rc = mctx_publication_get_local(pub, local, &err);
  if (rc != MCTX_OK)
    return raise_mctx_error(rc, &err, -1), -1;
  return 0;
}

static PyObject *
publication_local_addr(PublicationObject *self, PyObject *Py_UNUSED(ignored))
{
  mctx_endpoint local;
  if (publication_local(self, &local) < 0)
    return NULL;
  return endpoint_to_tuple(&local);
}

static PyObject *
publication_local_scope_id(PublicationObject *self,
                           PyObject *Py_UNUSED(ignored))
{
  mctx_endpoint local;
  if (publication_local(self, &local) < 0)
    return NULL;
  return scope_id_or_none(&local.ip);
}

static PyObject *
publication_source_addr(PublicationObject *self, PyObject *Py_UNUSED(ignored))
{
  mctx_endpoint local;
  if (publication_local(self, &local) < 0)
    return NULL;
  return ip_to_str(&local.ip);
}

static PyObject *
publication_announce_tuple(PublicationObject *self,
                           PyObject *Py_UNUSED(ignored))
{
  mctx_publication *pub = publication_get(self);
  if (pub == NULL)
    return NULL;
  mctx_ip source, group;
  uint16_t port;
  mctx_error err;
  int rc =
      mctx_publication_get_announce_tuple(pub, &source, &group, &port, &err);
  if (rc != MCTX_OK)
    return raise_mctx_error(rc, &err, -1);
  return Py_BuildValue("(NNH)", ip_to_str(&source), ip_to_str(&group), port);
}

static PyObject *
publication_send(PublicationObject *self, PyObject *payload)
{
  mctx_publication *pub = publication_get(self);
  return pub == NULL ? NULL : send_one(pub, publication_busy(self), payload);
}

static PyObject *
publication_send_batch(PublicationObject *self, PyObject *payloads)
{
  mctx_publication *pub = publication_get(self);
  return pub == NULL ? NULL : send_batch(pub, publication_busy(self), payloads);
}

static PyObject *
publication_fileno(PublicationObject *self, PyObject *Py_UNUSED(ignored))
{
  mctx_publication *pub = publication_get(self);
  return pub == NULL ? NULL : PyLong_FromLong(mctx_publication_get_fd(pub));
}

static PyObject *
publication_metrics_snapshot(PublicationObject *self,
                             PyObject *Py_UNUSED(ignored))
{
  mctx_publication *pub = publication_get(self);
  if (pub == NULL)
    return NULL;
  mctx_metrics m;
  mctx_publication_metrics_snapshot(pub, &m);
  return metrics_to_dict(&m, false);
}

/* Closes the publication: a context's is removed from it. */
static PyObject *
publication_remove(PublicationObject *self, PyObject *Py_UNUSED(ignored))
{
  if (publication_get(self) == NULL || enter(publication_busy(self)) < 0)
    return NULL;
  if (self->owner != NULL) {
    mctx_context_remove(self->owner->ctx, self->id);
    self->owner->busy = 0;
    Py_CLEAR(self->owner);
  } else {
    mctx_publication_close(self->owned);
    self->owned = NULL;
    self->busy = 0;
  }
  Py_RETURN_NONE;
}

static PyObject *
publication_repr(PublicationObject *self)
{
  mctx_publication *pub = self->owned;
  if (pub == NULL && self->owner != NULL)
    pub = mctx_context_get(self->owner->ctx, self->id);
  if (pub == NULL)
    return PyUnicode_FromFormat("Publication(id=%llu, removed)",
                                (unsigned long long) self->id);
  const mctx_publication_config *cfg = mctx_publication_get_config(pub);
  char group[MCTX_IP_STRLEN];
  return PyUnicode_FromFormat("Publication(id=%llu, group='%s', dst_port=%u)",
                              (unsigned long long) self->id,
                              mctx_ip_format(&cfg->group, group, sizeof group),
                              (unsigned) cfg->dst_port);
}

#define PUB_GETTER(name, field, doc)                                       \
  {                                                                        \
    name, (getter) publication_field, NULL, doc, (void *) (intptr_t) field \
  }

static PyGetSetDef publication_getset[] = {
    PUB_GETTER("id", PUB_ID, "The id the context gave it."),
    PUB_GETTER("group", PUB_GROUP, "The multicast group."),
    PUB_GETTER("dst_port", PUB_DST_PORT, "The destination UDP port."),
    PUB_GETTER("family", PUB_FAMILY, "'ipv4' or 'ipv6'."),
    PUB_GETTER("configured_source_addr", PUB_CONFIGURED_SOURCE_ADDR,
               "The source address asked for, or None."),
    PUB_GETTER("source_port", PUB_SOURCE_PORT,
               "The source port asked for, or None."),
    PUB_GETTER("outgoing_interface", PUB_OUTGOING_INTERFACE,
               "The interface as given by address or name, or None."),
    PUB_GETTER("outgoing_interface_index", PUB_OUTGOING_INTERFACE_INDEX,
               "The index of the outgoing interface in use, or None."),
    PUB_GETTER("ttl", PUB_TTL, "TTL / hop limit (None: the kernel's)."),
    PUB_GETTER("loopback", PUB_LOOPBACK, "Whether local receivers get a copy."),
    PUB_GETTER("destination", PUB_DESTINATION,
               "(address, port) the socket is connected to."),
    PUB_GETTER("destination_scope_id", PUB_DESTINATION_SCOPE_ID,
               "IPv6 scope id of the destination (0 when none); None for "
               "IPv4."),
    {0},
};

static PyMethodDef publication_methods[] = {
    {"local_addr", (PyCFunction) publication_local_addr, METH_NOARGS,
     "local_addr()\n--\n\n(address, port) of the socket."},
    {"local_scope_id", (PyCFunction) publication_local_scope_id, METH_NOARGS,
     "local_scope_id()\n--\n\nIPv6 scope id of the local address; None for "
     "IPv4."},
    {"source_addr", (PyCFunction) publication_source_addr, METH_NOARGS,
     "source_addr()\n--\n\nThe source address receivers see."},
    {"announce_tuple", (PyCFunction) publication_announce_tuple, METH_NOARGS,
     "announce_tuple()\n--\n\n(source, group, port)."},
    {"send", (PyCFunction) publication_send, METH_O,
     "send(payload)\n--\n\nSends one datagram; returns a SendReport."},
    {"send_batch", (PyCFunction) publication_send_batch, METH_O,
     "send_batch(payloads)\n--\n\nSends each bytes-like payload as one "
     "datagram, without copying; returns how many went out."},
    {"fileno", (PyCFunction) publication_fileno, METH_NOARGS,
     "fileno()\n--\n\nThe socket, to wait for writability (do not close "
     "it)."},
    {"metrics_snapshot", (PyCFunction) publication_metrics_snapshot,
     METH_NOARGS,
     "metrics_snapshot()\n--\n\nThe publication's counters as a dict."},
    {"remove", (PyCFunction) publication_remove, METH_NOARGS,
     "remove()\n--\n\nCloses the publication (removing it from its "
     "context)."},
    {0},
};

static PyTypeObject PublicationType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mctx.Publication",
    .tp_basicsize = sizeof(PublicationObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A connected, non-blocking multicast sender "
              "(Context.get_publication / take_publication).",
    .tp_dealloc = (destructor) publication_dealloc,
    .tp_repr = (reprfunc) publication_repr,
    .tp_methods = publication_methods,
    .tp_getset = publication_getset,
};

/* ------------------------------------------------------------------------ */
/* Module                                                                   */
/* ------------------------------------------------------------------------ */

/* Every code libmctx names becomes a constant (E_INTERFACE_NOT_FOUND, ...),
 * so Python compares err.code as C compares mctx_error.code. */
static int
add_code_constants(PyObject *module)
{
  static const char prefix[] = "MCTX_";
  for (int code = -1; code > -100; code--) {
    const char *name = mctx_code_name(code);
    if (strcmp(name, "MCTX_E_UNKNOWN") == 0)
      continue;
    if (PyModule_AddIntConstant(module, name + sizeof prefix - 1, code) < 0)
      return -1;
  }
  return 0;
}

static struct PyModuleDef mctx_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mctx._mctx",
    .m_doc = "libmctx, the multicast sender core, for Python.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__mctx(void)
{
  if (PyType_Ready(&SendReportType) < 0 || PyType_Ready(&ContextType) < 0 ||
      PyType_Ready(&PublicationType) < 0)
    return NULL;
  PyObject *errors = PyImport_ImportModule("mctx._errors");
  if (errors == NULL)
    return NULL;
  Py_XSETREF(make_error, PyObject_GetAttrString(errors, "make_error"));
  Py_DECREF(errors);
  if (make_error == NULL)
    return NULL;

  PyObject *module = PyModule_Create(&mctx_module);
  if (module == NULL)
    return NULL;
  if (PyModule_AddObjectRef(module, "Context", (PyObject *) &ContextType) < 0 ||
      PyModule_AddObjectRef(module, "Publication",
                            (PyObject *) &PublicationType) < 0 ||
      PyModule_AddObjectRef(module, "SendReport",
                            (PyObject *) &SendReportType) < 0 ||
      add_code_constants(module) < 0 ||
      PyModule_AddStringConstant(
          module, "libmctx_version",
          Py_STRINGIFY(MCTX_VERSION_MAJOR) "." Py_STRINGIFY(
              MCTX_VERSION_MINOR) "." Py_STRINGIFY(MCTX_VERSION_PATCH)) < 0) {
    Py_DECREF(module);
    return NULL;
  }
  return module;
}
