/* Result codes: names, generic descriptions, and filling mctx_error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct code_info {
  int code;
  const char *name;
  const char *description;
} code_info;

#define CODE(c, d) \
  {                \
    c, #c, d       \
  }

static const code_info codes[] = {
    CODE(MCTX_OK, "success"),
    CODE(MCTX_E_INVALID_ARGUMENT, "invalid argument"),
    CODE(MCTX_E_NO_MEMORY, "out of memory"),
    CODE(MCTX_E_INVALID_DESTINATION_PORT, "invalid destination port"),
    CODE(MCTX_E_INVALID_MULTICAST_GROUP, "invalid multicast group"),
    CODE(MCTX_E_INVALID_SOURCE_PORT, "invalid source port"),
    CODE(MCTX_E_INVALID_SOURCE_ADDRESS, "invalid source address"),
    CODE(MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH,
         "source address family does not match the group"),
    CODE(MCTX_E_INVALID_INTERFACE_ADDRESS, "invalid interface address"),
    CODE(MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
         "outgoing interface family does not match the group"),
    CODE(MCTX_E_INVALID_IPV6_INTERFACE_INDEX, "invalid interface index"),
    CODE(MCTX_E_INVALID_INTERFACE_NAME, "invalid interface name"),
    CODE(MCTX_E_INTERFACE_NOT_FOUND, "interface not found"),
    CODE(MCTX_E_INTERFACE_DISCOVERY_FAILED, "interface discovery failed"),
    CODE(MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH,
         "IPv6 source address is on another interface"),
    CODE(MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE,
         "scoped IPv6 multicast group requires an interface"),
    CODE(MCTX_E_IPV6_GROUP_ZONE_MISMATCH,
         "the group's zone names another interface than the interface"),
    CODE(MCTX_E_DUPLICATE_PUBLICATION, "duplicate publication"),
    CODE(MCTX_E_PUBLICATION_NOT_FOUND, "publication not found"),
    CODE(MCTX_E_SOCKET_CREATE_FAILED, "socket creation failed"),
    CODE(MCTX_E_SOCKET_OPTION_FAILED, "socket option failed"),
    CODE(MCTX_E_SOCKET_BIND_FAILED, "socket bind failed"),
    CODE(MCTX_E_SOCKET_CONNECT_FAILED, "socket connect failed"),
    CODE(MCTX_E_SOCKET_LOCAL_ADDR_FAILED, "socket local address lookup failed"),
    CODE(MCTX_E_SEND_FAILED, "send failed"),
    CODE(MCTX_E_WOULD_BLOCK, "send would block"),
    CODE(MCTX_E_QUEUE_FULL, "local queue full"),
    CODE(MCTX_E_INTERRUPTED, "paced send interrupted"),
    CODE(MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH,
         "existing socket family does not match the group"),
    CODE(MCTX_E_EXISTING_SOCKET_PORT_MISMATCH,
         "existing socket is bound to another port"),
    CODE(MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH,
         "existing socket is bound to another address"),
    CODE(MCTX_E_EXISTING_SOCKET_NOT_UDP, "existing socket is not a UDP socket"),
    CODE(MCTX_E_RAW_INTERFACE_REQUIRED, "raw sending requires an interface"),
    CODE(MCTX_E_INVALID_RAW_BIND_ADDRESS, "invalid raw bind address"),
    CODE(MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH,
         "raw bind address family mismatch"),
    CODE(MCTX_E_RAW_PERMISSION_DENIED, "raw sockets need CAP_NET_RAW"),
    CODE(MCTX_E_INVALID_RAW_DATAGRAM, "invalid raw IP datagram"),
    CODE(MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
         "raw datagram destination is not multicast"),
    CODE(MCTX_E_RAW_UNSUPPORTED_LINK_TYPE,
         "unsupported link type for raw sending"),
    CODE(MCTX_E_RAW_UNSUPPORTED, "raw sending is not supported here"),
};

#undef CODE

static const code_info *
find_code(int code)
{
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (codes[i].code == code)
      return &codes[i];
  return NULL;
}

const char *
mctx_strerror(int code)
{
  const code_info *info = find_code(code);
  return info ? info->description : "unknown error";
}

const char *
mctx_code_name(int code)
{
  const code_info *info = find_code(code);
  return info ? info->name : "MCTX_E_UNKNOWN";
}

static const char *const subject_names[] = {
    "MCTX_SUBJECT_NONE",
    "MCTX_SUBJECT_GROUP",
    "MCTX_SUBJECT_DESTINATION_PORT",
    "MCTX_SUBJECT_SOURCE_ADDRESS",
    "MCTX_SUBJECT_SOURCE_PORT",
    "MCTX_SUBJECT_INTERFACE",
    "MCTX_SUBJECT_TTL",
    "MCTX_SUBJECT_LOOPBACK",
    "MCTX_SUBJECT_DSCP",
    "MCTX_SUBJECT_SEND_BUFFER_SIZE",
    "MCTX_SUBJECT_FAMILY",
    "MCTX_SUBJECT_SOCKET",
    "MCTX_SUBJECT_DATAGRAM",
    "MCTX_SUBJECT_PUBLICATION",
    "MCTX_SUBJECT_ARGUMENT",
    "MCTX_SUBJECT_PACING",
};

_Static_assert(sizeof subject_names / sizeof subject_names[0] ==
                   MCTX_SUBJECT_PACING + 1,
               "every mctx_subject has a name");

const char *
mctx_subject_name(mctx_subject subject)
{
  if ((unsigned) subject >= sizeof subject_names / sizeof subject_names[0])
    return "MCTX_SUBJECT_UNKNOWN";
  return subject_names[subject];
}

bool
mctx_error_is_transient(int code)
{
  return code == MCTX_E_WOULD_BLOCK || code == MCTX_E_QUEUE_FULL;
}

static bool
value_too_long(const char *text)
{
  return strnlen(text, MCTX_ERROR_VALUE_MAX + 1) > MCTX_ERROR_VALUE_MAX;
}

int
mctx__value_len(const char *text)
{
  return value_too_long(text) ? MCTX_ERROR_VALUE_MAX - 3 : (int) strlen(text);
}

const char *
mctx__value_more(const char *text)
{
  return value_too_long(text) ? "..." : "";
}

int
mctx__fail(mctx_error *err, int code, mctx_subject subject, int sys_errno,
           const char *fmt, ...)
{
  if (err == NULL)
    return code;
  err->code = code;
  err->subject = subject;
  err->sys_errno = sys_errno;
  va_list ap;
  va_start(ap, fmt);
  /* Truncation is acceptable: the message is for humans and always
   * NUL-terminated. */
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

int
mctx__fail_text(mctx_error *err, int code, mctx_subject subject, int sys_errno,
                const char *text, size_t size)
{
  if (err == NULL)
    return code;
  err->code = code;
  err->subject = subject;
  err->sys_errno = sys_errno;
  if (size > sizeof err->message)
    size = sizeof err->message;
  memcpy(err->message, text, size);
  err->message[sizeof err->message - 1] = '\0';
  return code;
}

/* The failures a busy sender meets at packet rate have their own codes and
 * fixed texts: a caller may pass an mctx_error on every send. */
static const char WOULD_BLOCK_TEXT[] =
    "send would block: the socket buffer is full";
static const char QUEUE_FULL_TEXT[] =
    "send failed: the local queue is full (No buffer space available)";

int
mctx__send_transient(mctx_error *err, int e)
{
  if (e == EAGAIN || e == EWOULDBLOCK)
    return mctx__fail_text(err, MCTX_E_WOULD_BLOCK, MCTX_SUBJECT_SOCKET, e,
                           WOULD_BLOCK_TEXT, sizeof WOULD_BLOCK_TEXT);
  if (e == ENOBUFS)
    return mctx__fail_text(err, MCTX_E_QUEUE_FULL, MCTX_SUBJECT_SOCKET, e,
                           QUEUE_FULL_TEXT, sizeof QUEUE_FULL_TEXT);
  return MCTX_OK;
}

int
mctx__ok(mctx_error *err)
{
  if (err != NULL) {
    err->code = MCTX_OK;
    err->subject = MCTX_SUBJECT_NONE;
    err->sys_errno = 0;
    err->message[0] = '\0';
  }
  return MCTX_OK;
}
