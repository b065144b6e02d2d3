/* libmctx: a portable multicast sender core.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * One header, opaque handles, no global state. Every function that can fail
 * returns an int: MCTX_OK (0) or a negative mctx_code. Functions that can fail
 * for a reason worth explaining also take an optional `mctx_error *` that, when
 * not NULL, receives the code, its subject (the setting it is about), the
 * errno of the failing system call (if any) and a message naming the
 * offending value, e.g. "group 10.1.2.3 is not a multicast address".
 * Programs branch on the code and the subject; the message is for people.
 *
 * The semantics follow the Rust crate mctx-core (see docs/design-decisions.md
 * for where and why we differ).
 *
 * Conventions: getters are mctx_<object>_get_<what>; a function that only
 * reads an object takes it const; a public struct that will grow ends in
 * reserved fields, which its _init function zeroes: always call it (or zero
 * the struct) before setting fields.
 */
#ifndef MCTX_H
#define MCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(MCTX_BUILDING_LIBRARY)
#    define MCTX_API __declspec(dllexport)
#  else
#    define MCTX_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define MCTX_API __attribute__((visibility("default")))
#else
#  define MCTX_API
#endif

#define MCTX_VERSION_MAJOR 0
#define MCTX_VERSION_MINOR 2
#define MCTX_VERSION_PATCH 0

/* ------------------------------------------------------------------------ */
/* Results and errors                                                       */
/* ------------------------------------------------------------------------ */

/* Result codes. 0 is success; every failure is negative and has exactly one
 * meaning. The order of the config codes is mctx-core's validation order. */
typedef enum mctx_code {
  MCTX_OK = 0,

  /* Generic */
  MCTX_E_INVALID_ARGUMENT = -1,     /* NULL pointer, unparsable string, ... */
  MCTX_E_NO_MEMORY = -2,

  /* Publication config validation (mctx_publication_config_validate), in
   * this order */
  MCTX_E_INVALID_DESTINATION_PORT = -10,
  MCTX_E_INVALID_MULTICAST_GROUP = -11,
  MCTX_E_INVALID_SOURCE_PORT = -12,
  MCTX_E_INVALID_SOURCE_ADDRESS = -13,
  MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH = -14,
  MCTX_E_INVALID_INTERFACE_ADDRESS = -15,
  MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH = -16,
  MCTX_E_INVALID_IPV6_INTERFACE_INDEX = -17,
  MCTX_E_INVALID_INTERFACE_NAME = -18,      /* ours: empty or too long */

  /* Resolution at publication creation */
  MCTX_E_INTERFACE_NOT_FOUND = -20,         /* ours: name/index does not exist */
  MCTX_E_INTERFACE_DISCOVERY_FAILED = -21,  /* address not local, ambiguous, ... */
  MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH = -22,
  MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE = -23,

  /* Context */
  MCTX_E_DUPLICATE_PUBLICATION = -30,
  MCTX_E_PUBLICATION_NOT_FOUND = -31,

  /* Operating system (mctx_error.sys_errno holds errno). UDP and raw
   * publications share them. */
  MCTX_E_SOCKET_CREATE_FAILED = -40,
  MCTX_E_SOCKET_OPTION_FAILED = -41,
  MCTX_E_SOCKET_BIND_FAILED = -42,
  MCTX_E_SOCKET_CONNECT_FAILED = -43,
  MCTX_E_SOCKET_LOCAL_ADDR_FAILED = -44,
  MCTX_E_SEND_FAILED = -45,
  MCTX_E_WOULD_BLOCK = -46,  /* transient: the socket buffer is full; nothing
                                was queued. Wait for writability, resend. */
  MCTX_E_QUEUE_FULL = -47,   /* transient: the local queue (a qdisc) refused
                                the datagram (ENOBUFS); nothing was sent.
                                Resend later or drop. */

  /* Caller-provided sockets */
  MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH = -50,
  MCTX_E_EXISTING_SOCKET_PORT_MISMATCH = -51,
  MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH = -52,

  /* Raw IP datagrams (their socket, bind and send failures use the codes
   * above) */
  MCTX_E_RAW_INTERFACE_REQUIRED = -60,
  MCTX_E_INVALID_RAW_BIND_ADDRESS = -61,
  MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH = -62,
  MCTX_E_RAW_PERMISSION_DENIED = -63,       /* ours: CAP_NET_RAW missing */
  MCTX_E_INVALID_RAW_DATAGRAM = -67,
  MCTX_E_INVALID_RAW_MULTICAST_DESTINATION = -68,
  MCTX_E_RAW_UNSUPPORTED_LINK_TYPE = -69,
  MCTX_E_RAW_UNSUPPORTED = -70
} mctx_code;

/* What an error is about: the setting, argument or object a caller maps it
 * to (a property, a command-line option). Compare it, never the message. */
typedef enum mctx_subject {
  MCTX_SUBJECT_NONE = 0,          /* no single setting (out of memory, ...) */
  MCTX_SUBJECT_GROUP,             /* the multicast group (UDP), or the raw
                                     datagram's destination */
  MCTX_SUBJECT_DESTINATION_PORT,
  MCTX_SUBJECT_SOURCE_ADDRESS,    /* UDP source_addr, raw bind_addr */
  MCTX_SUBJECT_SOURCE_PORT,
  MCTX_SUBJECT_INTERFACE,         /* the outgoing interface, however given */
  MCTX_SUBJECT_TTL,
  MCTX_SUBJECT_LOOPBACK,
  MCTX_SUBJECT_DSCP,
  MCTX_SUBJECT_SEND_BUFFER_SIZE,
  MCTX_SUBJECT_FAMILY,            /* the raw config's family */
  MCTX_SUBJECT_SOCKET,            /* the socket itself: creating, connecting,
                                     a caller's socket, a send */
  MCTX_SUBJECT_DATAGRAM,          /* a datagram given to a send */
  MCTX_SUBJECT_PUBLICATION,       /* a publication id or handle */
  MCTX_SUBJECT_ARGUMENT           /* another argument: a NULL pointer, text
                                     that is not an address, ... */
} mctx_subject;

#define MCTX_ERROR_MESSAGE_MAX 256

/* The most bytes of a caller's value a message repeats; a longer value is
 * cut and ends in "...". */
#define MCTX_ERROR_VALUE_MAX 64

/* Details of a failure. Filled by any function taking one, when not NULL. */
typedef struct mctx_error {
  int code;              /* an mctx_code; MCTX_OK when the call succeeded */
  mctx_subject subject;  /* what it is about; MCTX_SUBJECT_NONE when OK */
  int sys_errno;         /* errno of the failing system call, 0 if none */
  char message[MCTX_ERROR_MESSAGE_MAX]; /* for people: names the bad value;
                                           "" when OK. Wording may change
                                           between versions. */
} mctx_error;

/* A short, static, generic description of a code ("interface not found").
 * Never NULL; unknown codes give "unknown error". */
MCTX_API const char *mctx_strerror(int code);

/* The symbolic name of a code ("MCTX_E_INTERFACE_NOT_FOUND"). Never NULL;
 * unknown codes give "MCTX_E_UNKNOWN". */
MCTX_API const char *mctx_code_name(int code);

/* The symbolic name of a subject ("MCTX_SUBJECT_GROUP"). Never NULL;
 * unknown values give "MCTX_SUBJECT_UNKNOWN". */
MCTX_API const char *mctx_subject_name(mctx_subject subject);

/* True for the codes that say "not now" rather than "not so":
 * MCTX_E_WOULD_BLOCK and MCTX_E_QUEUE_FULL. The same send may succeed
 * later; the caller retries it or drops the datagram. */
MCTX_API bool mctx_error_is_transient(int code);

/* ------------------------------------------------------------------------ */
/* Addresses                                                                */
/* ------------------------------------------------------------------------ */

typedef enum mctx_family {
  MCTX_FAMILY_UNSPEC = 0, /* "not set" */
  MCTX_FAMILY_IPV4 = 4,
  MCTX_FAMILY_IPV6 = 6
} mctx_family;

/* An IP address. IPv4 uses bytes[0..3] in network order; IPv6 all 16.
 * scope_id is the IPv6 zone (interface index), 0 when none. */
typedef struct mctx_ip {
  mctx_family family;
  uint8_t bytes[16];
  uint32_t scope_id;
} mctx_ip;

/* An IP address and a UDP port (host byte order). */
typedef struct mctx_endpoint {
  mctx_ip ip;
  uint16_t port;
} mctx_endpoint;

/* Longest text form, scope and port included: "[v6%name]:65535" + NUL. */
#define MCTX_IP_STRLEN 64
#define MCTX_ENDPOINT_STRLEN 80

/* Parses "10.0.0.1", "ff3e::1", "fe80::1%eth0" or "fe80::1%7". A scope is only
 * accepted on IPv6; a named scope must be an existing interface.
 * Returns MCTX_E_INVALID_ARGUMENT (or MCTX_E_INTERFACE_NOT_FOUND for an
 * unknown scope name) with a message quoting the text. */
MCTX_API int mctx_ip_parse(const char *text, mctx_ip *out, mctx_error *err);

/* Parses "10.0.0.1:5000", "[ff3e::1]:5000" or "[fe80::1%eth0]:5000".
 * Port 0 is accepted here (validation decides). */
MCTX_API int mctx_endpoint_parse(const char *text, mctx_endpoint *out,
                                 mctx_error *err);

/* Formats into buf (at least MCTX_IP_STRLEN / MCTX_ENDPOINT_STRLEN bytes).
 * IPv6 scope ids are printed numerically ("fe80::1%7"); an endpoint with an
 * IPv6 address is bracketed ("[ff31::1%1]:5000"). Returns buf. An UNSPEC
 * address formats as "unspecified". */
MCTX_API char *mctx_ip_format(const mctx_ip *ip, char *buf, size_t size);
MCTX_API char *mctx_endpoint_format(const mctx_endpoint *ep, char *buf,
                                    size_t size);

/* Address tests. Equal means same family, bytes and scope id; multicast is
 * 224.0.0.0/4 or ff00::/8; unspecified is 0.0.0.0, :: or an UNSPEC address;
 * link-local unicast is fe80::/10. */
MCTX_API bool mctx_ip_equal(const mctx_ip *a, const mctx_ip *b);
MCTX_API bool mctx_ip_is_multicast(const mctx_ip *ip);
MCTX_API bool mctx_ip_is_unspecified(const mctx_ip *ip);
MCTX_API bool mctx_ip_is_link_local_unicast(const mctx_ip *ip);

/* SSM ranges: IPv4 232.0.0.0/8; IPv6 ff3x::/32 (flags nibble 3 and bytes 2
 * and 3 zero, as mctx-core >= 0.2.4). */
MCTX_API bool mctx_ipv4_is_ssm_group(const mctx_ip *ip);
MCTX_API bool mctx_ipv6_is_ssm_group(const mctx_ip *ip);
MCTX_API bool mctx_ip_is_ssm_group(const mctx_ip *ip);

/* IPv6 multicast scope: the low nibble of byte 1 (1 interface-local,
 * 2 link-local, 3 realm, 4 admin, 5 site, 8 organization, 14 global).
 * Returns -1 when ip is not an IPv6 multicast address. */
MCTX_API int mctx_ipv6_multicast_scope(const mctx_ip *ip);

/* ------------------------------------------------------------------------ */
/* Outgoing interface                                                       */
/* ------------------------------------------------------------------------ */

typedef enum mctx_interface_kind {
  MCTX_INTERFACE_NONE = 0,    /* let the routing table decide */
  MCTX_INTERFACE_ADDRESS,     /* a local IPv4 or IPv6 address */
  MCTX_INTERFACE_INDEX,       /* an interface index (> 0) */
  MCTX_INTERFACE_NAME         /* an interface name ("eth0") */
} mctx_interface_kind;

#define MCTX_INTERFACE_NAME_MAX 16 /* IFNAMSIZ, NUL included */

typedef struct mctx_interface {
  mctx_interface_kind kind;
  mctx_ip address;                     /* MCTX_INTERFACE_ADDRESS */
  uint32_t index;                      /* MCTX_INTERFACE_INDEX */
  char name[MCTX_INTERFACE_NAME_MAX];  /* MCTX_INTERFACE_NAME */
} mctx_interface;

/* Parses an interface given as an address ("10.0.0.1", "fe80::1%eth0"), a
 * decimal index ("7") or a name ("eth0"). Only the syntax is checked here:
 * whether the interface exists is checked when a publication is created. */
MCTX_API int mctx_interface_parse(const char *text, mctx_interface *out,
                                  mctx_error *err);

/* Formats as the address, the index or the name; "default" for NONE. */
MCTX_API char *mctx_interface_format(const mctx_interface *itf, char *buf,
                                     size_t size);

/* Resolves an interface name to its index. MCTX_E_INTERFACE_NOT_FOUND when
 * there is no such interface. */
MCTX_API int mctx_interface_name_to_index(const char *name, uint32_t *index,
                                          mctx_error *err);

/* ------------------------------------------------------------------------ */
/* Publication config                                                       */
/* ------------------------------------------------------------------------ */

/* When mctx_publication_send_batch builds UDP GSO packets (docs/gso.md).
 * OFF and ON equal false and true, so code written when the field was a
 * bool still compiles and means the same. */
typedef enum mctx_gso_mode {
  MCTX_GSO_OFF = 0,   /* never: every datagram through sendmmsg */
  MCTX_GSO_ON = 1,    /* wherever the kernel and device take it, whatever
                         the qdisc (a shaper such as tbf then splits GSO
                         packets and drops segments without telling) */
  MCTX_GSO_AUTO = 2   /* the default: only while the egress interface's
                         root qdisc is one measured to keep or drop a GSO
                         packet whole (noqueue, pfifo_fast, pfifo, bfifo,
                         pfifo_head_drop; mq or htb whose qdiscs below
                         are all of those). Read with
                         rtnetlink at open, at each metrics snapshot or
                         mctx_publication_queue_stats call, and after a run
                         of ENOBUFS; the send path reads a cached flag.
                         Unknown qdisc or no interface known: no GSO. */
} mctx_gso_mode;

/* "auto", "on", "off"; NULL for other values. */
MCTX_API const char *mctx_gso_mode_name(mctx_gso_mode mode);

/* Parses "auto", "on" or "off" (also "true"/"false", "1"/"0").
 * MCTX_E_INVALID_ARGUMENT quoting the text otherwise. */
MCTX_API int mctx_gso_mode_parse(const char *text, mctx_gso_mode *out,
                                 mctx_error *err);

typedef struct mctx_publication_config {
  mctx_ip group;              /* IPv4 or IPv6 multicast group */
  uint16_t dst_port;          /* destination UDP port, 1..65535 */
  mctx_ip source_addr;        /* exact local source; UNSPEC = not set */
  bool has_source_port;       /* bind a fixed source port */
  uint16_t source_port;       /* 1..65535 when has_source_port */
  mctx_interface interface;   /* outgoing interface; NONE = routing decides */
  uint32_t ttl;               /* IPv4 TTL / IPv6 hop limit; default 1;
                                 MCTX_TTL_UNCHANGED leaves the socket's */
  bool loopback;              /* IP(V6)_MULTICAST_LOOP; default true */

  /* Ours, beyond mctx-core. Defaults keep the kernel's behaviour except
   * report_local_drops, which makes drops at the local queue visible. */
  int dscp;                   /* 0..63, -1 (default) = leave as is */
  int send_buffer_size;       /* SO_SNDBUF bytes, 0 (default) = leave */
  bool report_local_drops;    /* IP_RECVERR/IPV6_RECVERR; default true:
                                 qdisc drops come back as ENOBUFS */
  mctx_gso_mode gso;          /* UDP GSO in mctx_publication_send_batch;
                                 default MCTX_GSO_AUTO: only where the egress
                                 qdisc keeps or drops a GSO packet whole */
  void *reserved[4];          /* zero (mctx_publication_config_init) */
} mctx_publication_config;

/* A ttl that leaves the socket's TTL / hop limit as it is: the kernel's
 * default on a socket we create, the caller's value on a caller's socket.
 * Given to mctx_publication_set_ttl it restores the kernel default. */
#define MCTX_TTL_UNCHANGED UINT32_MAX

/* Fills defaults: no group, port 0, no source, no interface, ttl 1,
 * loopback on, dscp -1, send_buffer_size 0, report_local_drops on,
 * gso MCTX_GSO_AUTO,
 * reserved zero. NULL is ignored. */
MCTX_API void mctx_publication_config_init(mctx_publication_config *cfg);

/* Convenience: init, then the group parsed from text (as mctx_ip_parse)
 * and the port set. The port is checked by validation, not here. */
MCTX_API int mctx_publication_config_init_group(mctx_publication_config *cfg,
                                    const char *group, uint16_t dst_port,
                                    mctx_error *err);

/* Applies mctx-core's with_bind_addr: sets source_addr and source_port from
 * ep (port 0 sets has_source_port with 0, which validation then refuses); an
 * IPv6 endpoint with a scope id also sets the interface to that index. */
MCTX_API void mctx_publication_config_set_bind(mctx_publication_config *cfg,
                                   const mctx_endpoint *ep);

/* Checks the config without touching the system, in mctx-core's order:
 * destination port, group, source port, source address (and its family),
 * interface (address, family, index, name syntax). */
MCTX_API int mctx_publication_config_validate(const mctx_publication_config *cfg,
                                  mctx_error *err);

/* True when every setting is equal (how a context detects a duplicate);
 * interfaces compare by kind and the value of that kind. */
MCTX_API bool mctx_publication_config_equal(const mctx_publication_config *a,
                                const mctx_publication_config *b);

/* ------------------------------------------------------------------------ */
/* Publications                                                             */
/* ------------------------------------------------------------------------ */

typedef struct mctx_publication mctx_publication;
typedef uint64_t mctx_publication_id;

/* One buffer of a datagram. Same layout as struct iovec on POSIX, so arrays of
 * it are handed to the kernel without copying. */
typedef struct mctx_buf {
  void *base;
  size_t len;
} mctx_buf;

/* What one successful send did. */
typedef struct mctx_send_report {
  mctx_publication_id publication_id;
  mctx_endpoint destination;   /* with the IPv6 scope id actually used */
  mctx_endpoint local;         /* the socket's local address (cached) */
  size_t bytes_sent;
} mctx_send_report;

/* Creates a ready, connected, non-blocking publication outside any context
 * (its id is 0). Validates, resolves interfaces and sets the socket up in
 * mctx-core's order. Never joins the group. */
MCTX_API int mctx_publication_open(const mctx_publication_config *cfg,
                                   mctx_publication **out, mctx_error *err);

/* Same on a caller-provided UDP socket: checks its family and bound address
 * or port against the config (as mctx-core does), then applies the same
 * options. On success the publication owns fd; on failure the caller still
 * does. IPV6_V6ONLY is left as the caller set it.
 * Every check that needs no change to the socket (config, interfaces, the
 * IPv6 rules, family, bound address and port, a scoped group's interface)
 * runs first: when one fails, the socket is untouched. Past them the socket
 * is set up in mctx-core's order, and a failure there (a refused option, a
 * bind or connect the kernel refuses) leaves what was done before it: the
 * socket may be bound (when it was unbound and the config asks for a
 * source) and may carry the multicast interface, loopback, TTL, DSCP,
 * SO_SNDBUF and IP_RECVERR options (connect comes last, so a failed connect
 * leaves all of them). O_NONBLOCK is put back as it was. */
MCTX_API int mctx_publication_open_with_socket(
    const mctx_publication_config *cfg, int fd, mctx_publication **out,
    mctx_error *err);

/* Closes the socket and frees. NULL is fine. */
MCTX_API void mctx_publication_close(mctx_publication *pub);

/* Splits into parts: the caller gets the fd (still configured and connected)
 * and a copy of the config; pub is freed. Any of the out pointers may be
 * NULL, except fd. */
MCTX_API void mctx_publication_into_parts(mctx_publication *pub, int *fd,
                                          mctx_publication_config *cfg,
                                          mctx_publication_id *id);

/* The id a context gave the publication; 0 outside a context or for NULL. */
MCTX_API mctx_publication_id mctx_publication_get_id(const mctx_publication *pub);

/* The publication's config as in effect (live setters update it). Valid as
 * long as pub; NULL for NULL. */
MCTX_API const mctx_publication_config *
mctx_publication_get_config(const mctx_publication *pub);

/* Borrows the socket for an event loop (poll for writability after
 * MCTX_E_WOULD_BLOCK). Do not close, rebind or reconnect it. */
MCTX_API int mctx_publication_get_fd(const mctx_publication *pub);

/* The connected destination, with the IPv6 scope id used. */
MCTX_API void mctx_publication_get_destination(const mctx_publication *pub,
                                           mctx_endpoint *out);

/* The interface index used for IPV6_MULTICAST_IF / ip_mreqn, 0 if none. */
MCTX_API uint32_t mctx_publication_get_interface_index(const mctx_publication *pub);

/* The socket's local address (getsockname at open, cached; asked again on
 * each call only if that failed, which it does not on a connected socket). */
MCTX_API int mctx_publication_get_local(const mctx_publication *pub,
                                        mctx_endpoint *out, mctx_error *err);

/* The announce tuple: effective source IP (getsockname), group, port. */
MCTX_API int mctx_publication_get_announce_tuple(const mctx_publication *pub,
                                             mctx_ip *source, mctx_ip *group,
                                             uint16_t *port, mctx_error *err);

/* Live changes (the config copy is updated too). */
MCTX_API int mctx_publication_set_ttl(mctx_publication *pub, uint32_t ttl,
                                      mctx_error *err);
MCTX_API int mctx_publication_set_loopback(mctx_publication *pub, bool on,
                                           mctx_error *err);
MCTX_API int mctx_publication_set_dscp(mctx_publication *pub, int dscp,
                                       mctx_error *err);

/* One non-blocking send of one datagram. report may be NULL, and so may
 * err: the send path needs neither. Returns MCTX_OK, or:
 * - MCTX_E_WOULD_BLOCK: the socket buffer is full, nothing was queued:
 *   wait for writability on the fd and send again;
 * - MCTX_E_QUEUE_FULL: the local queue refused the datagram (ENOBUFS, with
 *   report_local_drops): send again later or drop it;
 * - MCTX_E_SEND_FAILED with sys_errno for everything else.
 * mctx_error_is_transient() is true for the first two; their messages are
 * fixed texts, so a busy sender pays nothing for passing err. The same
 * holds for sendv and send_batch. */
MCTX_API int mctx_publication_send(mctx_publication *pub, const void *data,
                                   size_t len, mctx_send_report *report,
                                   mctx_error *err);

/* Same, the datagram given as nbufs buffers (gathered, never copied). */
MCTX_API int mctx_publication_sendv(mctx_publication *pub, const mctx_buf *bufs,
                                    size_t nbufs, mctx_send_report *report,
                                    mctx_error *err);

/* One datagram of a batch. */
typedef struct mctx_datagram {
  const mctx_buf *bufs;
  size_t nbufs;
} mctx_datagram;

/* Sends count datagrams in as few system calls as the platform allows.
 * *sent gets the number of datagrams that went out, always set. Returns
 * MCTX_OK when all went out, otherwise the code for datagram number *sent,
 * which did not go out (MCTX_E_WOULD_BLOCK, MCTX_E_QUEUE_FULL or
 * MCTX_E_SEND_FAILED); the caller decides whether to retry from there or
 * drop it.
 *
 * On Linux, a run of datagrams of one size (the last of the run may be
 * shorter) leaves as ONE sendmsg() with UDP GSO (UDP_SEGMENT): the kernel
 * splits it into the same datagrams, in order, so receivers see no
 * difference. A run holds at most 64 datagrams and 65507 bytes (IPv4) or
 * 65527 bytes (IPv6), and only datagrams that fit the path MTU unfragmented.
 * Other datagrams, and kernels or devices without GSO, go through sendmmsg.
 * Support is probed on the first batch of two or more; a call the kernel
 * refuses (EINVAL, EMSGSIZE, EIO, ...) is resent through sendmmsg, nothing
 * lost, and GSO is not tried again on this publication for that size and
 * larger (after a few refusals, or a refusal that does not depend on the
 * size, not at all). A GSO call is all or nothing: when it would block or
 * fails, *sent counts the datagrams before that run. Exception: a shaping
 * qdisc (tbf) that splits a GSO packet drops the segments that do not fit
 * and reports success; config.gso = MCTX_GSO_AUTO (the default) therefore
 * builds GSO packets only while the egress qdisc keeps them whole, and
 * MCTX_GSO_OFF never: on sendmmsg each drop comes back as ENOBUFS
 * (docs/gso.md, "Shaping qdiscs").
 * Nothing is copied (the buffers are handed to the kernel as iovecs) and
 * nothing allocated. Metrics count every datagram. Details: docs/gso.md. */
MCTX_API int mctx_publication_send_batch(mctx_publication *pub,
                                         const mctx_datagram *datagrams,
                                         size_t count, size_t *sent,
                                         mctx_error *err);

/* Reads and discards pending entries of the socket's error queue (filled
 * with IP_RECVERR), so it never grows. Returns how many were drained. */
MCTX_API int mctx_publication_drain_errors(mctx_publication *pub);

/* ------------------------------------------------------------------------ */
/* Context                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct mctx_context mctx_context;

/* Creates an empty context into *out. MCTX_E_INVALID_ARGUMENT for a NULL
 * out, MCTX_E_NO_MEMORY. A context is used by one thread at a time, except
 * for metrics snapshots, which any thread may take. */
MCTX_API int mctx_context_new(mctx_context **out);

/* Closes every publication still owned. NULL is fine. */
MCTX_API void mctx_context_free(mctx_context *ctx);

/* Opens a publication (as mctx_publication_open) owned by the context and
 * gives it the next id. Ids start at 1 and are never reused. A config equal
 * in every setting to an owned publication's is
 * MCTX_E_DUPLICATE_PUBLICATION. id may be NULL. The _with_socket form opens
 * it on a caller's socket (as mctx_publication_open_with_socket): on success
 * the context owns fd, on failure the caller still does. */
MCTX_API int mctx_context_add(mctx_context *ctx,
                              const mctx_publication_config *cfg,
                              mctx_publication_id *id, mctx_error *err);
MCTX_API int mctx_context_add_with_socket(mctx_context *ctx,
                                          const mctx_publication_config *cfg,
                                          int fd, mctx_publication_id *id,
                                          mctx_error *err);

/* How many publications the context owns (0 for NULL). */
MCTX_API size_t mctx_context_count(const mctx_context *ctx);

/* Whether the context owns a publication with that id. */
MCTX_API bool mctx_context_contains(const mctx_context *ctx,
                                    mctx_publication_id id);

/* Borrowed; valid until removed or taken. NULL when unknown. */
MCTX_API mctx_publication *mctx_context_get(mctx_context *ctx,
                                            mctx_publication_id id);

/* Publications in storage order (removal reorders), for iteration. */
MCTX_API mctx_publication *mctx_context_at(mctx_context *ctx, size_t index);

/* Hands the publication over to the caller, who closes it when done.
 * Counts as removed. */
MCTX_API int mctx_context_take(mctx_context *ctx, mctx_publication_id id,
                               mctx_publication **out);

/* Closes and forgets. MCTX_E_PUBLICATION_NOT_FOUND when unknown. */
MCTX_API int mctx_context_remove(mctx_context *ctx, mctx_publication_id id);

/* mctx_publication_send on the publication with that id. */
MCTX_API int mctx_context_send(mctx_context *ctx, mctx_publication_id id,
                               const void *data, size_t len,
                               mctx_send_report *report, mctx_error *err);

/* Sends data to every publication in storage order and stops at the first
 * error. reports (may be NULL) receives up to max_reports entries; *sent gets
 * how many publications were sent to. */
MCTX_API int mctx_context_send_all(mctx_context *ctx, const void *data,
                                   size_t len, mctx_send_report *reports,
                                   size_t max_reports, size_t *sent,
                                   mctx_error *err);

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

/* Counters since a publication was opened, or over a context's life.
 *
 * Sends: a successful datagram counts send_calls+1, packets_sent+1,
 * bytes_sent+=n. A failed one (would-block included, as mctx-core):
 * send_calls+1, send_errors+1, and would_block+1 if it was a would-block.
 * So send_calls == packets_sent + send_errors. A batch counts each datagram
 * it tried. A snapshot never splits one send.
 *
 * A context's snapshot adds up its publications (those removed or taken
 * included, up to their removal) and fills the publications_* counts; a
 * publication's leaves those 0. reserved is zero. */
typedef struct mctx_metrics {
  uint64_t send_calls;
  uint64_t packets_sent;
  uint64_t bytes_sent;
  uint64_t send_errors;
  uint64_t would_block;
  uint64_t publications_added;    /* contexts only */
  uint64_t publications_removed;  /* contexts only; take counts as removed */
  uint64_t active_publications;   /* contexts only; a gauge */
  double captured_at;             /* wall clock, Unix seconds */
  uint64_t captured_mono_ns;      /* monotonic clock */
  uint64_t queue_drops;           /* UDP publications only (0 otherwise):
                                     drops of the egress interface's root
                                     qdisc since the publication opened, read
                                     at snapshot time. INTERFACE-WIDE: other
                                     senders' drops on that interface count
                                     too; includes drops the socket never
                                     saw (fq_codel, shapers). 0 when no
                                     interface is known. */
  uint64_t reserved[3];
} mctx_metrics;

/* Differences between two snapshots; no gauge. reserved is zero. */
typedef struct mctx_metrics_delta {
  double interval_secs;
  uint64_t publications_added;    /* 0 between publication snapshots */
  uint64_t publications_removed;  /* 0 between publication snapshots */
  uint64_t send_calls;
  uint64_t packets_sent;
  uint64_t bytes_sent;
  uint64_t send_errors;
  uint64_t would_block;
  uint64_t queue_drops;           /* interface-wide, see mctx_metrics */
  uint64_t reserved[3];
} mctx_metrics_delta;

/* Snapshot of a publication's counters into *out. Safe to call from any
 * thread at any time, also while sends run. A NULL pub gives zeros. Also
 * reads the egress qdisc (queue_drops) and refreshes the MCTX_GSO_AUTO
 * decision, as mctx_publication_queue_stats. */
MCTX_API void mctx_publication_metrics_snapshot(const mctx_publication *pub,
                                                mctx_metrics *out);

/* Longest qdisc kind ("pfifo_fast") + NUL, as rtnetlink's TCA_KIND. */
#define MCTX_QDISC_KIND_MAX 16

/* The egress interface's root qdisc as a publication last read it. The
 * counters are the qdisc's own, INTERFACE-WIDE (every sender on the
 * interface), as deltas since the publication opened (backlog: now). */
typedef struct mctx_queue_stats {
  uint32_t interface_index;       /* 0: no interface known (routing chose) */
  char qdisc[MCTX_QDISC_KIND_MAX];/* "" when unknown */
  bool gso_whole;                 /* the qdisc keeps GSO packets whole */
  bool gso_active;                /* the batch path builds GSO packets now */
  uint64_t drops;
  uint64_t overlimits;
  uint64_t requeues;
  uint64_t backlog;               /* bytes queued now (a gauge) */
  uint64_t reserved[4];
} mctx_queue_stats;

/* Reads the egress interface's root qdisc now (rtnetlink, no privilege;
 * Linux only, elsewhere everything stays 0) into *out, and refreshes the
 * MCTX_GSO_AUTO decision with it. Any thread, never on the send path's
 * hot loop: a system call or two. MCTX_E_INVALID_ARGUMENT for NULLs. */
MCTX_API int mctx_publication_queue_stats(mctx_publication *pub,
                                          mctx_queue_stats *out);

/* Snapshot of a context's counters into *out; same guarantees. */
MCTX_API void mctx_context_metrics_snapshot(const mctx_context *ctx,
                                            mctx_metrics *out);

/* later - earlier into *out. interval_secs < 0 means "use the snapshots'
 * wall-clock times". MCTX_E_INVALID_ARGUMENT when a pointer is NULL,
 * earlier was taken after later, or any counter went backwards (the two
 * snapshots are of different objects). */
MCTX_API int mctx_metrics_diff(const mctx_metrics *later,
                                const mctx_metrics *earlier,
                                double interval_secs, mctx_metrics_delta *out);

/* count / interval_secs, 0.0 when interval_secs <= 0. */
MCTX_API double mctx_metrics_rate(uint64_t count, double interval_secs);

/* Remembers the previous snapshot of one publication or context and turns
 * each new one into a delta over the monotonic clock. Plain struct: zero it
 * or call mctx_sampler_init. */
typedef struct mctx_sampler {
  mctx_metrics previous;
  bool has_previous;
} mctx_sampler;

/* Forgets any previous snapshot. */
MCTX_API void mctx_sampler_init(mctx_sampler *s);

/* Feeds the sampler a snapshot the caller took (always of the same
 * publication or context). Returns false on the first one (no delta yet);
 * afterwards true with *delta (may be NULL) filled. A snapshot that cannot
 * follow the previous one (counters went backwards) starts over like a
 * first one. */
MCTX_API bool mctx_sampler_sample(mctx_sampler *s, const mctx_metrics *now,
                                  mctx_metrics_delta *delta);

/* Clocks used by the snapshots, for callers that sample themselves. */
MCTX_API double mctx_unix_time_secs(void);
MCTX_API uint64_t mctx_monotonic_ns(void);

/* ------------------------------------------------------------------------ */
/* Raw IP datagrams (AMT-style re-emission)                                 */
/* ------------------------------------------------------------------------ */

typedef struct mctx_raw_publication mctx_raw_publication;

typedef struct mctx_raw_config {
  mctx_family family;        /* inner datagram family; UNSPEC = inferred
                                from bind_addr / interface */
  mctx_ip bind_addr;         /* selects and checks the egress; never
                                written into the datagram; UNSPEC = none */
  mctx_interface interface;  /* outgoing interface (address, index, name) */
  int ttl;                   /* TTL / hop limit override 0..255; -1 none */
  bool loopback;             /* local receivers get a copy (where the way
                                chosen allows); default true */
  void *reserved[4];         /* zero (mctx_raw_config_init) */
} mctx_raw_config;

/* Fills defaults: family UNSPEC (inferred), no bind address, no interface
 * (set one of the two: the egress must be known), ttl -1 (the datagram's
 * own TTL / hop limit is sent), loopback on, reserved zero. NULL is
 * ignored. */
MCTX_API void mctx_raw_config_init(mctx_raw_config *cfg);

/* Checks the config without touching the system, in mctx-core's order: an
 * egress is given (MCTX_E_RAW_INTERFACE_REQUIRED), the bind address is a
 * usable unicast address of the family, the interface is valid and of the
 * family, ttl is -1..255. */
MCTX_API int mctx_raw_config_validate(const mctx_raw_config *cfg,
                                      mctx_error *err);

/* What the checks of a datagram found. */
typedef struct mctx_raw_datagram_info {
  mctx_family family;
  mctx_ip source;
  mctx_ip destination;
  uint8_t protocol;          /* IPv4 protocol / IPv6 next header */
  size_t header_len;         /* IPv4 IHL*4, IPv6 40 */
} mctx_raw_datagram_info;

/* Checks one complete IP datagram as a raw send does: version 4 or 6, a
 * header that fits, lengths consistent with len, a multicast destination
 * (mctx-core's strict multicast mode). MCTX_E_INVALID_RAW_DATAGRAM or
 * MCTX_E_INVALID_RAW_MULTICAST_DESTINATION (subject MCTX_SUBJECT_DATAGRAM)
 * naming the fault. info may be NULL. */
MCTX_API int mctx_raw_datagram_check(const void *datagram, size_t len,
                                     mctx_raw_datagram_info *info,
                                     mctx_error *err);

/* Validates the config, resolves the egress and opens the sockets the
 * family needs. Without CAP_NET_RAW: MCTX_E_RAW_PERMISSION_DENIED. A raw
 * publication is used by one thread at a time; metrics snapshots may come
 * from any thread. */
MCTX_API int mctx_raw_publication_open(const mctx_raw_config *cfg,
                                       mctx_raw_publication **out,
                                       mctx_error *err);

/* Closes the sockets and frees. NULL is fine. */
MCTX_API void mctx_raw_publication_close(mctx_raw_publication *pub);

/* The config the publication was opened with. Valid as long as pub; NULL
 * for NULL. */
MCTX_API const mctx_raw_config *
mctx_raw_publication_get_config(const mctx_raw_publication *pub);

/* How an IPv6 datagram was (or would be) put on the wire. */
typedef enum mctx_raw_path {
  MCTX_RAW_PATH_IPV4_HDRINCL = 1,   /* IPv4, as given */
  MCTX_RAW_PATH_IPV6_KERNEL_HEADER, /* IPv6, local source: kernel rebuilds
                                       the 40-byte header */
  MCTX_RAW_PATH_IPV6_LINK_LAYER     /* IPv6, non-local source: AF_PACKET,
                                       byte for byte */
} mctx_raw_path;

typedef struct mctx_raw_send_report {
  mctx_raw_datagram_info datagram;
  mctx_raw_path path;
  uint32_t interface_index;
  size_t bytes_sent;
} mctx_raw_send_report;

/* Checks (as mctx_raw_datagram_check) and sends one complete IP datagram.
 * report and err may be NULL. The results are those of
 * mctx_publication_send: MCTX_E_WOULD_BLOCK and MCTX_E_QUEUE_FULL are
 * transient (fixed texts), MCTX_E_SEND_FAILED carries sys_errno; a
 * datagram that fails the checks is refused before any system call. */
MCTX_API int mctx_raw_publication_send(mctx_raw_publication *pub,
                                       const void *datagram, size_t len,
                                       mctx_raw_send_report *report,
                                       mctx_error *err);

/* Same, the datagram given as nbufs buffers (e.g. the memories of a
 * GstBuffer): checked and sent without gathering it into one copy. */
MCTX_API int mctx_raw_publication_sendv(mctx_raw_publication *pub,
                                        const mctx_buf *bufs, size_t nbufs,
                                        mctx_raw_send_report *report,
                                        mctx_error *err);

/* Counters of a raw publication (same meaning as for UDP; a datagram that
 * fails the checks counts as a send error). */
MCTX_API void mctx_raw_publication_metrics_snapshot(
    const mctx_raw_publication *pub, mctx_metrics *out);

#ifdef __cplusplus
}
#endif

#endif /* MCTX_H */
