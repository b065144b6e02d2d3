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
  MCTX_E_INVALID_ARGUMENT = -1, /* NULL pointer, unparsable string, ... */
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
  MCTX_E_INVALID_INTERFACE_NAME = -18, /* ours: empty or too long */

  /* Resolution at publication creation */
  MCTX_E_INTERFACE_NOT_FOUND = -20, /* ours: name/index does not exist */
  MCTX_E_INTERFACE_DISCOVERY_FAILED =
      -21, /* address not local, ambiguous, ... */
  MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH = -22,
  MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE = -23,
  MCTX_E_IPV6_GROUP_ZONE_MISMATCH = -24, /* ours: the group's zone and the
                                               interface differ */

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
  MCTX_E_WOULD_BLOCK = -46, /* transient: the socket buffer is full; nothing
                                was queued. Wait for writability, resend. */
  MCTX_E_QUEUE_FULL = -47,  /* transient: the local queue (a qdisc) refused
                                the datagram (ENOBUFS); nothing was sent.
                                Resend later or drop. */
  MCTX_E_INTERRUPTED = -48, /* not transient: a paced send stopped waiting
                                because mctx_publication_interrupt was
                                called; the datagrams from *sent on did not
                                go out. Sending again fails the same way
                                until mctx_publication_clear_interrupt. */

  /* Caller-provided sockets */
  MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH = -50,
  MCTX_E_EXISTING_SOCKET_PORT_MISMATCH = -51,
  MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH = -52,
  MCTX_E_EXISTING_SOCKET_NOT_UDP = -53, /* ours: raw, TCP, UDP-Lite, a
                                               Unix socket, not a socket */

  /* Raw IP datagrams (their socket, bind and send failures use the codes
   * above) */
  MCTX_E_RAW_INTERFACE_REQUIRED = -60,
  MCTX_E_INVALID_RAW_BIND_ADDRESS = -61,
  MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH = -62,
  MCTX_E_RAW_PERMISSION_DENIED = -63, /* ours: CAP_NET_RAW missing */
  MCTX_E_INVALID_RAW_DATAGRAM = -67,
  MCTX_E_INVALID_RAW_MULTICAST_DESTINATION = -68,
  MCTX_E_RAW_UNSUPPORTED_LINK_TYPE = -69,
  MCTX_E_RAW_UNSUPPORTED = -70
} mctx_code;

/* What an error is about: the setting, argument or object a caller maps it
 * to (a property, a command-line option). Compare it, never the message. */
typedef enum mctx_subject {
  MCTX_SUBJECT_NONE = 0, /* no single setting (out of memory, ...) */
  MCTX_SUBJECT_GROUP,    /* the multicast group (UDP), or the raw
                                     datagram's destination */
  MCTX_SUBJECT_DESTINATION_PORT,
  MCTX_SUBJECT_SOURCE_ADDRESS, /* UDP source_addr, raw bind_addr */
  MCTX_SUBJECT_SOURCE_PORT,
  MCTX_SUBJECT_INTERFACE, /* the outgoing interface, however given */
  MCTX_SUBJECT_TTL,
  MCTX_SUBJECT_LOOPBACK,
  MCTX_SUBJECT_DSCP,
  MCTX_SUBJECT_SEND_BUFFER_SIZE,
  MCTX_SUBJECT_FAMILY,      /* the raw config's family */
  MCTX_SUBJECT_SOCKET,      /* the socket itself: creating, connecting,
                                     a caller's socket, a send */
  MCTX_SUBJECT_DATAGRAM,    /* a datagram given to a send */
  MCTX_SUBJECT_PUBLICATION, /* a publication id or handle */
  MCTX_SUBJECT_ARGUMENT,    /* another argument: a NULL pointer, text
                                     that is not an address, ... */
  MCTX_SUBJECT_PACING       /* pacing_rate_bps / pacing_burst */
} mctx_subject;

#define MCTX_ERROR_MESSAGE_MAX 256

/* The most bytes of a caller's value a message repeats; a longer value is
 * cut and ends in "...". */
#define MCTX_ERROR_VALUE_MAX 64

/* Details of a failure. Filled by any function taking one, when not NULL. */
typedef struct mctx_error {
  int code;             /* an mctx_code; MCTX_OK when the call succeeded */
  mctx_subject subject; /* what it is about; MCTX_SUBJECT_NONE when OK */
  int sys_errno;        /* errno of the failing system call, 0 if none */
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
  MCTX_INTERFACE_NONE = 0, /* let the routing table decide */
  MCTX_INTERFACE_ADDRESS,  /* a local IPv4 or IPv6 address */
  MCTX_INTERFACE_INDEX,    /* an interface index (> 0) */
  MCTX_INTERFACE_NAME      /* an interface name ("eth0") */
} mctx_interface_kind;

#define MCTX_INTERFACE_NAME_MAX 16 /* IFNAMSIZ, NUL included */

typedef struct mctx_interface {
  mctx_interface_kind kind;
  mctx_ip address;                    /* MCTX_INTERFACE_ADDRESS */
  uint32_t index;                     /* MCTX_INTERFACE_INDEX */
  char name[MCTX_INTERFACE_NAME_MAX]; /* MCTX_INTERFACE_NAME */
} mctx_interface;

/* An interface given by NAME or ADDRESS is followed: when it is deleted and
 * created again (a VPN, a VLAN, a replugged NIC), a send that fails with
 * ENODEV, ENXIO, ENETUNREACH or EADDRNOTAVAIL looks it up again (at most
 * once a second; successful sends never look), and once it is back under a
 * new index the publication's socket moves there, keeping its source
 * port. An INDEX is never followed: sends keep failing (each counted). Raw
 * publications do not follow. */

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
  MCTX_GSO_OFF = 0, /* never: every datagram through sendmmsg */
  MCTX_GSO_ON = 1,  /* wherever the kernel and device take it, whatever
                         the qdisc (a shaper such as tbf then splits GSO
                         packets and drops segments without telling) */
  MCTX_GSO_AUTO = 2 /* the default: only while the egress interface's
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
  mctx_ip group;            /* IPv4 or IPv6 multicast group */
  uint16_t dst_port;        /* destination UDP port, 1..65535 */
  mctx_ip source_addr;      /* exact local source; UNSPEC = not set */
  bool has_source_port;     /* bind a fixed source port */
  uint16_t source_port;     /* 1..65535 when has_source_port */
  mctx_interface interface; /* outgoing interface; NONE = routing decides */
  uint32_t ttl;             /* IPv4 TTL / IPv6 hop limit; default 1;
                                 MCTX_TTL_UNCHANGED leaves the socket's */
  bool loopback;            /* IP(V6)_MULTICAST_LOOP; default true */

  /* Ours, beyond mctx-core. Defaults keep the kernel's behaviour except
   * report_local_drops, which makes drops at the local queue visible. */
  int dscp;                /* 0..63, -1 (default) = leave as is */
  int send_buffer_size;    /* SO_SNDBUF bytes, 0 (default) = leave */
  bool report_local_drops; /* IP_RECVERR/IPV6_RECVERR; default true:
                                 qdisc drops come back as ENOBUFS */
  mctx_gso_mode gso;       /* UDP GSO in mctx_publication_send_batch;
                                 default MCTX_GSO_AUTO: only where the egress
                                 qdisc keeps or drops a GSO packet whole */
  /* Pacing (docs/pacing.md): each datagram gets a due time, the previous
   * one's plus its wire size (payload + UDP and IP headers) in bits over
   * the rate, and does not leave before it. Settable while open
   * (mctx_publication_set_pacing). */
  uint64_t pacing_rate_bps; /* bits per second on the wire; 0 (default)
                                 = no pacing, every send leaves at once */
  uint32_t pacing_burst;    /* datagrams that may leave back to back once
                                 the sender is behind its schedule (a late
                                 buffer); default 2, at least 1 */
  uint32_t reserved_u32;    /* zero */
  void *reserved[2];        /* zero (mctx_publication_config_init) */
} mctx_publication_config;

/* A ttl that leaves the socket's TTL / hop limit as it is: the kernel's
 * default on a socket we create, the caller's value on a caller's socket.
 * Given to mctx_publication_set_ttl it restores the kernel default. */
#define MCTX_TTL_UNCHANGED UINT32_MAX

/* Fills defaults: no group, port 0, no source, no interface, ttl 1,
 * loopback on, dscp -1, send_buffer_size 0, report_local_drops on,
 * gso MCTX_GSO_AUTO, pacing_rate_bps 0 (off), pacing_burst 2, reserved
 * zero. NULL is ignored. */
MCTX_API void mctx_publication_config_init(mctx_publication_config *cfg);

/* Convenience: init, then the group parsed from text (as mctx_ip_parse)
 * and the port set. The port is checked by validation, not here. */
MCTX_API int mctx_publication_config_init_group(mctx_publication_config *cfg,
                                                const char *group,
                                                uint16_t dst_port,
                                                mctx_error *err);

/* Applies mctx-core's with_bind_addr: sets source_addr and source_port from
 * ep (port 0 sets has_source_port with 0, which validation then refuses); an
 * IPv6 endpoint with a scope id also sets the interface to that index. */
MCTX_API void mctx_publication_config_set_bind(mctx_publication_config *cfg,
                                               const mctx_endpoint *ep);

/* Checks the config without touching the system, in mctx-core's order:
 * destination port, group, source port, source address (and its family),
 * interface (address, family, index, name syntax). */
MCTX_API int
mctx_publication_config_validate(const mctx_publication_config *cfg,
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
  mctx_endpoint destination; /* with the IPv6 scope id actually used */
  mctx_endpoint local;       /* the socket's local address (cached) */
  size_t bytes_sent;
} mctx_send_report;

/* Creates a ready, connected, non-blocking publication outside any context
 * (its id is 0). Validates, resolves interfaces and sets the socket up in
 * mctx-core's order. Never joins the group. */
MCTX_API int mctx_publication_open(const mctx_publication_config *cfg,
                                   mctx_publication **out, mctx_error *err);

/* Same on a caller-provided UDP socket: first checks that fd is a UDP
 * socket (SO_DOMAIN AF_INET or AF_INET6 of the group's family, SO_TYPE
 * SOCK_DGRAM, SO_PROTOCOL UDP), else MCTX_E_EXISTING_SOCKET_NOT_UDP (or
 * MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH) with subject MCTX_SUBJECT_SOCKET
 * naming what it is; then its bound address or port against the config (as
 * mctx-core does), then applies the same options. On success the publication owns fd; on failure the caller still
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
MCTX_API int
mctx_publication_open_with_socket(const mctx_publication_config *cfg, int fd,
                                  mctx_publication **out, mctx_error *err);

/* Duplicates a socket, not inherited by child processes, so that a caller
 * who keeps its own socket can give mctx_publication_open_with_socket the
 * copy (POSIX: fcntl F_DUPFD_CLOEXEC; Windows: WSADuplicateSocketW). The
 * copy is the caller's until a publication takes it; close it with
 * mctx_socket_close. MCTX_E_SOCKET_CREATE_FAILED (subject
 * MCTX_SUBJECT_SOCKET, sys_errno set) when the system refuses. */
MCTX_API int mctx_socket_dup(int fd, int *out, mctx_error *err);

/* Closes a socket of this API's kind (close, or closesocket on Windows):
 * for a copy from mctx_socket_dup that no publication took. */
MCTX_API void mctx_socket_close(int fd);

/* Closes the socket and frees. NULL is fine. */
MCTX_API void mctx_publication_close(mctx_publication *pub);

/* Splits into parts: the caller gets the fd (still configured and connected)
 * and a copy of the config; pub is freed. Any of the out pointers may be
 * NULL, except fd. */
MCTX_API void mctx_publication_into_parts(mctx_publication *pub, int *fd,
                                          mctx_publication_config *cfg,
                                          mctx_publication_id *id);

/* The id a context gave the publication; 0 outside a context or for NULL. */
MCTX_API mctx_publication_id
mctx_publication_get_id(const mctx_publication *pub);

/* The publication's config as in effect (live setters update it). Valid as
 * long as pub; NULL for NULL. */
MCTX_API const mctx_publication_config *
mctx_publication_get_config(const mctx_publication *pub);

/* Borrows the socket for an event loop (poll for writability after
 * MCTX_E_WOULD_BLOCK). Do not close, rebind or reconnect it. On Windows
 * every fd of this API is a SOCKET held in an int (as GLib's
 * g_socket_get_fd does; only a handle's low 32 bits are significant):
 * cast it with (SOCKET) (intptr_t) fd. */
MCTX_API int mctx_publication_get_fd(const mctx_publication *pub);

/* The connected destination, with the IPv6 scope id used (a followed
 * interface changes a link-local group's scope id). */
MCTX_API void mctx_publication_get_destination(const mctx_publication *pub,
                                               mctx_endpoint *out);

/* The interface index used for IPV6_MULTICAST_IF / ip_mreqn, 0 if none (an
 * IPv4 interface given by address). A followed interface changes it. */
MCTX_API uint32_t
mctx_publication_get_interface_index(const mctx_publication *pub);

/* The socket's local address (getsockname at open, cached; asked again on
 * each call only if that failed, which it does not on a connected socket;
 * read again when a followed interface moved the socket). */
MCTX_API int mctx_publication_get_local(const mctx_publication *pub,
                                        mctx_endpoint *out, mctx_error *err);

/* The announce tuple: effective source IP (getsockname), group, port. */
MCTX_API int mctx_publication_get_announce_tuple(const mctx_publication *pub,
                                                 mctx_ip *source,
                                                 mctx_ip *group, uint16_t *port,
                                                 mctx_error *err);

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

/* Pacing (docs/pacing.md). With a pacing rate, send, sendv and send_batch
 * wait in the caller's thread until each datagram is due (an absolute
 * CLOCK_MONOTONIC deadline; on Linux a futex wait, so that
 * mctx_publication_interrupt wakes it at once) and a batch groups only
 * datagrams that are due together. The schedule is the publication's: it
 * runs across calls, so a buffer handed over early waits for the previous
 * one's datagrams to have left, and one handed over late sends at most
 * pacing_burst datagrams back to back before going on at the rate.
 * Paced sends on one publication must come from one thread at a time (the
 * schedule is not shared); any thread may call the functions below.
 *
 * Sets the rate (bits/s on the wire, 0 = off) and burst (>= 1) while open;
 * the next datagram is due one wire time at the new rate after the last
 * one's due time. MCTX_E_INVALID_ARGUMENT for burst 0 with a rate. */
MCTX_API int mctx_publication_set_pacing(mctx_publication *pub,
                                         uint64_t rate_bps, uint32_t burst,
                                         mctx_error *err);

/* Makes every paced wait on pub return MCTX_E_INTERRUPTED at once: the one
 * running in another thread now, and every later one until
 * mctx_publication_clear_interrupt. Unpaced sends are not affected. Any
 * thread, any time; async-signal-safe on Linux. NULL is ignored. */
MCTX_API void mctx_publication_interrupt(mctx_publication *pub);
MCTX_API void mctx_publication_clear_interrupt(mctx_publication *pub);
/* What mctx_publications_send_batch did for one publication: the code and
 * *sent mctx_publication_send_batch gave it. */
typedef struct mctx_send_result {
  int code;
  size_t sent;
} mctx_send_result;

/* Sends the same count datagrams to each of npubs publications, in order,
 * one mctx_publication_send_batch each (several destinations of one stream:
 * SMPTE ST 2022-7 legs, an IPv4 and an IPv6 group). The datagrams' buffers
 * are shared by every send, never copied. results (npubs entries) gets each
 * publication's code and count sent; errs, when not NULL, npubs entries
 * filled as the err of that send. A publication that fails does not stop
 * the others.
 * Pacing: when one of them has a pacing rate, the first that has one
 * paces them all with its schedule (and counts the lateness): the batch
 * is cut where its due times part, and each cut goes to every publication
 * before the wait for the next, so a datagram leaves all of them together.
 * The other publications' own rates are not applied in this call (their
 * schedules stay where they were). Its interrupt stops the waits: every
 * publication still going gets MCTX_E_INTERRUPTED, sent counting the cuts
 * before. Without any pacing, nothing changes: one send_batch each.
 * Returns MCTX_OK when every publication sent everything,
 * otherwise the code of the first one that did not (results say which);
 * MCTX_E_INVALID_ARGUMENT, with no send, for NULL pubs, results or
 * publication, or NULL datagrams with count > 0. */
MCTX_API int
mctx_publications_send_batch(mctx_publication *const *pubs, size_t npubs,
                             const mctx_datagram *datagrams, size_t count,
                             mctx_send_result *results, mctx_error *errs);

/* Reads and discards pending entries of the socket's error queue (filled
 * with IP_RECVERR), so it never grows. Returns how many were drained. */
MCTX_API int mctx_publication_drain_errors(mctx_publication *pub);

/* ------------------------------------------------------------------------ */
/* Context                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct mctx_context mctx_context;

/* Creates an empty context into *out. MCTX_E_INVALID_ARGUMENT for a NULL
 * out, MCTX_E_NO_MEMORY. A context is used by one thread at a time, except
 * for metrics snapshots, which any thread may take. On Windows the context
 * keeps Winsock started (WSAStartup) until it is freed, as each publication
 * does for itself; when Winsock cannot start: MCTX_E_SOCKET_CREATE_FAILED. */
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
 * publication's leaves those 0. */
typedef struct mctx_metrics {
  uint64_t send_calls;
  uint64_t packets_sent;
  uint64_t bytes_sent;
  uint64_t send_errors;
  uint64_t would_block;
  uint64_t publications_added;   /* contexts only */
  uint64_t publications_removed; /* contexts only; take counts as removed */
  uint64_t active_publications;  /* contexts only; a gauge */
  double captured_at;            /* wall clock, Unix seconds */
  uint64_t captured_mono_ns;     /* monotonic clock */
  /* Pacing (publications with a pacing rate, and a context's sums of them;
   * 0 otherwise). A departure's lateness is how long after its due time it
   * left, the due time counted from no earlier than the send call: a
   * machine that cannot keep the rate shows growing lateness. */
  uint64_t paced_packets;      /* datagrams that left paced */
  uint64_t pacing_late_ns_sum; /* their lateness, summed */
  uint64_t pacing_late_max_ns; /* largest lateness in the last 1 to 2
                                     seconds: a gauge */
  uint64_t queue_drops;        /* UDP publications only (0 otherwise):
                                     drops of the egress interface's root
                                     qdisc since the publication opened, read
                                     at snapshot time. INTERFACE-WIDE: other
                                     senders' drops on that interface count
                                     too; includes drops the socket never
                                     saw (fq_codel, shapers). 0 when no
                                     interface is known. */
} mctx_metrics;

/* Differences between two snapshots; no gauge but pacing_late_max_ns. */
typedef struct mctx_metrics_delta {
  double interval_secs;
  uint64_t publications_added;   /* 0 between publication snapshots */
  uint64_t publications_removed; /* 0 between publication snapshots */
  uint64_t send_calls;
  uint64_t packets_sent;
  uint64_t bytes_sent;
  uint64_t send_errors;
  uint64_t would_block;
  uint64_t paced_packets;
  uint64_t pacing_late_ns_sum;
  uint64_t pacing_late_max_ns; /* later's gauge */
  uint64_t queue_drops;        /* interface-wide, see mctx_metrics */
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
  uint32_t interface_index;        /* 0: no interface known (routing chose) */
  char qdisc[MCTX_QDISC_KIND_MAX]; /* "" when unknown */
  bool gso_whole;                  /* the qdisc keeps GSO packets whole */
  bool gso_active;                 /* the batch path builds GSO packets now */
  uint64_t drops;
  uint64_t overlimits;
  uint64_t requeues;
  uint64_t backlog;                             /* bytes queued now (a gauge) */
  char interface_name[MCTX_INTERFACE_NAME_MAX]; /* "" when none or gone */
  uint64_t reserved[2];
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
/* Session descriptions (SDP, RFC 8866) and announcements (SAP, RFC 2974)   */
/* ------------------------------------------------------------------------ */

/* What the session-level lines of an SDP say about a stream: where it goes
 * and where it comes from. The media part (m=, a=rtpmap, ...) is the
 * caller's: it knows the encoding. Plain struct: mctx_sdp_session_init. */
typedef struct mctx_sdp_session {
  mctx_ip group;            /* c= and the source filter's destination */
  mctx_ip source;           /* o= address and a=source-filter's source;
                                UNSPEC: not known (refused for an SSM
                                group, whose receivers need it) */
  bool any_source;          /* an ASM stream whose receivers need no
                                filter: source only in o=, no
                                a=source-filter. Ignored for an SSM group */
  uint32_t ttl;             /* IPv4 c= TTL, 0..255; IPv6 c= has none */
  uint64_t session_id;      /* o= sess-id; 0: the NTP time now */
  uint64_t session_version; /* o= sess-version; 0: the session id */
  const char *name;         /* s=; NULL or "": "-". Read during the call
                                only; CR and LF are refused */
  void *reserved[4];        /* zero (mctx_sdp_session_init) */
} mctx_sdp_session;

/* Longest session part mctx_sdp_format_session writes, NUL included, with
 * a name of at most 256 bytes. */
#define MCTX_SDP_SESSION_MAX 1024

/* Fills defaults: no group, no source, ttl 1, ids 0 (time-based), no name,
 * reserved zero. NULL is ignored. */
MCTX_API void mctx_sdp_session_init(mctx_sdp_session *s);

/* init, then group, source (the effective one: what the kernel chose when
 * the config named none, from mctx_publication_get_announce_tuple) and ttl
 * (MCTX_TTL_UNCHANGED becomes 1, the kernel's default) of pub. */
MCTX_API int mctx_sdp_session_from_publication(mctx_sdp_session *s,
                                               const mctx_publication *pub,
                                               mctx_error *err);

/* Writes the session part of an SDP, CRLF line ends, into buf:
 *   v=0
 *   o=- <sess-id> <sess-version> IN IP4|IP6 <source>
 *   s=<name>
 *   c=IN IP4 <group>/<ttl>   or   c=IN IP6 <group>
 *   t=0 0
 *   a=source-filter: incl IN IP4|IP6 <group> <source>
 * the last when the source is known and any_source is false (always for an
 * SSM group).
 * Addresses are written without an IPv6 zone (an SDP has none). With no
 * source, o= carries the unspecified address of the group's family.
 * *len (may be NULL) gets the length without the NUL. Refuses
 * (MCTX_E_INVALID_ARGUMENT with the subject named) a group that is not
 * multicast, a source of another family or multicast, an SSM group without
 * a source, a ttl above 255, a name with CR or LF, and a buf too small
 * (MCTX_SDP_SESSION_MAX always fits). */
MCTX_API int mctx_sdp_format_session(const mctx_sdp_session *s, char *buf,
                                     size_t size, size_t *len, mctx_error *err);

/* The mid of leg i (from 1) of a description of several destinations:
 * "leg1", "leg2", ... */
#define MCTX_SDP_DUP_MID_PREFIX "leg"

/* The session part of an SDP of one stream sent to several destinations,
 * byte for byte (SMPTE ST 2022-7 legs, dual-stack; RFC 7104 duplication):
 *   v=0
 *   o=- <sess-id> <sess-version> IN IP4|IP6 <first's source>
 *   s=<name>
 *   t=0 0
 *   a=group:DUP leg1 leg2 ... leg<n_legs>
 * with no c=: each media section has its own (mctx_sdp_format_dup_leg).
 * first is the first leg (o= takes its source, or the unspecified address
 * of its family when it has none). Refuses what mctx_sdp_format_session
 * refuses, except an SSM group without a source, and n_legs 0.
 * MCTX_SDP_SESSION_MAX + 8 * n_legs bytes always fit. */
MCTX_API int mctx_sdp_format_dup_session(const mctx_sdp_session *first,
                                         size_t n_legs, char *buf, size_t size,
                                         size_t *len, mctx_error *err);

/* The lines of leg index (from 0) in its media section, to follow the
 * caller's m= line:
 *   c=IN IP4 <group>/<ttl>   or   c=IN IP6 <group>
 *   a=source-filter: incl IN IP4|IP6 <group> <source>
 *   a=mid:leg<index + 1>
 * the source filter as mctx_sdp_format_session writes it, and none when
 * the leg's source is not known (a leg not open yet: an SSM group is then
 * accepted without one). Refuses what mctx_sdp_format_session refuses
 * otherwise; MCTX_SDP_SESSION_MAX always fits. */
MCTX_API int mctx_sdp_format_dup_leg(const mctx_sdp_session *leg, size_t index,
                                     char *buf, size_t size, size_t *len,
                                     mctx_error *err);

#define MCTX_SAP_PORT 9875
/* The default bandwidth limit of one SAP group, bits per second. */
#define MCTX_SAP_BANDWIDTH_LIMIT 4000
/* The bounds of the interval between two announcements of one session
 * (mctx_sap_interval_secs). */
#define MCTX_SAP_MIN_INTERVAL_SECS 5.0
#define MCTX_SAP_MAX_INTERVAL_SECS 300.0
/* "application/sdp" and its NUL, the payload type of every packet built
 * here. */
#define MCTX_SAP_PAYLOAD_TYPE "application/sdp"

typedef enum mctx_sap_message_type {
  MCTX_SAP_ANNOUNCE = 0,
  MCTX_SAP_DELETE = 1
} mctx_sap_message_type;

/* The SAP group of a stream's scope (RFC 2974 section 3): an IPv4 group in
 * the global scope (224.0.1.0 to 238.255.255.255, SSM's 232/8 included) is
 * announced on 224.2.127.254; an administratively scoped IPv4 group on the
 * last address of its RFC 2365 zone: 239.255.255.255 for the local scope
 * 239.255.0.0/16, 239.195.255.255 for the organization-local scope
 * 239.192.0.0/14; an IPv6 group of scope X (ff0X::, ff1X::, ff3X::) on
 * ff0X::2:7ffe. Other groups have no SAP group known without MZAP: the
 * link-local 224.0.0.0/24, the rest of 239/8
 * (MCTX_E_INVALID_MULTICAST_GROUP, subject MCTX_SUBJECT_GROUP). The IPv6
 * zone (scope id) of group is kept. */
MCTX_API int mctx_sap_group(const mctx_ip *group, mctx_ip *sap_group,
                            mctx_error *err);

/* The message id hash of a payload: 16 bits that change when the payload
 * does, never 0 (a receiver takes 0 for "no hash"). */
MCTX_API uint16_t mctx_sap_message_id_hash(const void *payload, size_t len);

/* The seconds from one announcement to the next: RFC 2974 section 3.1's
 * bandwidth-limited interval, 8 * announcements * packet_size /
 * bandwidth_limit, with its random offset of -1/3 to +1/3 of it, kept
 * within MCTX_SAP_MIN_INTERVAL_SECS and MCTX_SAP_MAX_INTERVAL_SECS
 * (before and after the offset). announcements are those heard in the
 * group, this one included (0 counts as 1); bandwidth_limit 0 means
 * MCTX_SAP_BANDWIDTH_LIMIT. jitter, from 0 to 1, picks the offset (0.5:
 * none); the caller draws it. RFC 2974 makes 300 s the shortest interval;
 * here it is the longest, so that a lone announcer is heard within seconds
 * (as VLC's every 5 s): a listener should not wait minutes for a stream. */
MCTX_API double mctx_sap_interval_secs(size_t packet_size,
                                       unsigned announcements,
                                       uint32_t bandwidth_limit, double jitter);

/* Builds a SAP packet into buf: version 1, the origin's address type, no
 * encryption or compression, no authentication, the message id hash, the
 * originating source (IPv4 or IPv6, no zone), the payload type
 * MCTX_SAP_PAYLOAD_TYPE with its NUL, then the payload (a whole SDP for an
 * announcement; for a deletion RFC 2974 asks for the o= line, a whole SDP
 * works too). *len gets its length. MCTX_E_INVALID_ARGUMENT for an origin
 * that is not IPv4 or IPv6, an empty payload or a buf too small (it needs
 * 20 + 16 + payload_len bytes at most). */
MCTX_API int mctx_sap_packet_build(mctx_sap_message_type type,
                                   uint16_t message_id_hash,
                                   const mctx_ip *origin, const void *payload,
                                   size_t payload_len, void *buf, size_t size,
                                   size_t *len, mctx_error *err);

/* A parsed SAP packet; the pointers point into the packet. */
typedef struct mctx_sap_packet {
  unsigned version;
  mctx_sap_message_type type;
  bool encrypted;
  bool compressed;
  uint16_t message_id_hash;
  mctx_ip origin;
  const char *payload_type; /* "" when the packet has none */
  const uint8_t *payload;
  size_t payload_len;
} mctx_sap_packet;

/* Parses a SAP packet (a receiver's side, and the tests'): the header, the
 * origin, any authentication data skipped, the payload type when there is
 * one (RFC 2974: absent when the payload starts "v=0"). Refuses
 * (MCTX_E_INVALID_ARGUMENT, subject MCTX_SUBJECT_DATAGRAM) a packet that is
 * short, not version 1, or whose payload type has no NUL. */
MCTX_API int mctx_sap_packet_parse(const void *packet, size_t len,
                                   mctx_sap_packet *out, mctx_error *err);

/* ------------------------------------------------------------------------ */
/* Raw IP datagrams (AMT-style re-emission)                                 */
/* ------------------------------------------------------------------------ */

typedef struct mctx_raw_publication mctx_raw_publication;

/* What a raw publication accepts as a datagram's destination (chosen per
 * publication, mctx-core's RawValidationMode plus its raw-ip checks). */
typedef enum mctx_raw_validation {
  MCTX_RAW_VALIDATION_STRICT_MULTICAST = 0, /* default: multicast only */
  MCTX_RAW_VALIDATION_ANY_DESTINATION,      /* unicast too (not broadcast,
                                               not unspecified) */
  MCTX_RAW_VALIDATION_IP_DATAGRAM           /* raw-ip (ICMP from an AMT
                                               relay): any destination as
                                               above, and the IPv4 header
                                               checksum must be valid */
} mctx_raw_validation;

/* How the egress of a raw publication is chosen. */
typedef enum mctx_raw_egress {
  MCTX_RAW_EGRESS_EXPLICIT = 0,  /* default: bind_addr / interface */
  MCTX_RAW_EGRESS_ROUTE_SELECTED /* neither: the kernel's routing table
                                       picks the interface per datagram
                                       (mctx-core's raw-route-egress;
                                       IPv6: a cached route lookup,
                                       docs/raw.md). Needs family set,
                                       ttl -1; Linux only (else
                                       MCTX_E_RAW_UNSUPPORTED) */
} mctx_raw_egress;

typedef struct mctx_raw_config {
  mctx_family family;       /* inner datagram family; UNSPEC = inferred
                                from bind_addr / interface */
  mctx_ip bind_addr;        /* selects and checks the egress; never
                                written into the datagram; UNSPEC = none */
  mctx_interface interface; /* outgoing interface (address, index, name) */
  int ttl;                  /* TTL / hop limit override 0..255; -1 none */
  bool loopback;            /* local receivers get a copy (where the way
                                chosen allows); default true */
  /* Bytes, so that they sit in the padding after loopback and the struct
   * keeps its size on every ABI. */
  uint8_t validation; /* an mctx_raw_validation; default
                                STRICT_MULTICAST */
  uint8_t egress;     /* an mctx_raw_egress; default EXPLICIT */
  void *reserved[4];  /* zero (mctx_raw_config_init) */
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
  uint8_t protocol;  /* IPv4 protocol / IPv6 next header */
  size_t header_len; /* IPv4 IHL*4, IPv6 40 */
} mctx_raw_datagram_info;

/* Checks one complete IP datagram as a raw send does: version 4 or 6, a
 * header that fits, lengths consistent with len, a source that is not
 * multicast, unspecified or the IPv4 broadcast address, a multicast
 * destination (mctx-core's strict multicast mode). MCTX_E_INVALID_RAW_DATAGRAM or
 * MCTX_E_INVALID_RAW_MULTICAST_DESTINATION (subject MCTX_SUBJECT_DATAGRAM)
 * naming the fault. info may be NULL. */
MCTX_API int mctx_raw_datagram_check(const void *datagram, size_t len,
                                     mctx_raw_datagram_info *info,
                                     mctx_error *err);

/* Same, under a validation mode: ANY_DESTINATION also accepts a unicast
 * destination; IP_DATAGRAM in addition verifies the IPv4 header checksum
 * (MCTX_E_INVALID_RAW_DATAGRAM when it is wrong). */
MCTX_API int mctx_raw_datagram_check_mode(const void *datagram, size_t len,
                                          mctx_raw_validation mode,
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
  uint32_t interface_index; /* the egress; route-selected: IPv6 the one
                               the route gave, IPv4 0 (the kernel's) */
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

/* Checks and sends count datagrams, as mctx_raw_publication_sendv each,
 * in as few system calls as the platform allows: on Linux a run of
 * datagrams that take the same way (and, for IPv6 sources of this host,
 * the same next header) leaves in one sendmmsg, up to 32 at a time.
 * *sent gets the number that went out, always set. MCTX_OK when all went;
 * otherwise the code for datagram number *sent, which did not go out: a
 * refused datagram (its check's code) or a send failure (as
 * mctx_publication_send_batch); the caller retries from there, or skips it.
 * Nothing is copied or allocated. Windows: one send per datagram. */
MCTX_API int mctx_raw_publication_send_batch(mctx_raw_publication *pub,
                                             const mctx_datagram *datagrams,
                                             size_t count, size_t *sent,
                                             mctx_error *err);

/* Counters of a raw publication (same meaning as for UDP; a datagram that
 * fails the checks counts as a send error). */
MCTX_API void
mctx_raw_publication_metrics_snapshot(const mctx_raw_publication *pub,
                                      mctx_metrics *out);

/* What this host can do for raw datagrams, answered by opening (and
 * closing at once) the sockets a publication would use. */
typedef enum mctx_raw_capability {
  MCTX_RAW_CAPABILITY_UNSUPPORTED = 0, /* not here, or not permitted */
  MCTX_RAW_CAPABILITY_FULL_DATAGRAM,   /* sent as given, header included */
  MCTX_RAW_CAPABILITY_KERNEL_REBUILT_IPV6_HEADER /* only sources of this
                                           host; the kernel writes the
                                           IPv6 base header (flow label
                                           lost) */
} mctx_raw_capability;

typedef struct mctx_raw_capabilities {
  /* Explicit interface (the only egress libmctx has). */
  mctx_raw_capability ipv4;              /* IP_HDRINCL */
  mctx_raw_capability ipv6_local_source; /* datagram source of this host */
  mctx_raw_capability ipv6_any_source;   /* any other source: link layer,
                                            Ethernet interfaces only */
  /* Route-selected egress (MCTX_RAW_EGRESS_ROUTE_SELECTED), Linux: IPv4
   * as ipv4 (its errno is ipv4_errno); IPv6 FULL_DATAGRAM when both IPv6
   * ways above and the route lookups (netlink) open: each datagram then
   * takes the way of its source, as with an interface. Windows:
   * UNSUPPORTED. */
  mctx_raw_capability ipv4_route_selected;
  mctx_raw_capability ipv6_route_selected;
  /* The errno (Windows: WSA error mapped, see mctx_error.sys_errno) that
   * made a probe fail, 0 when it succeeded or was not tried. */
  int ipv4_errno;
  int ipv6_local_source_errno;
  int ipv6_any_source_errno;
  int ipv6_route_selected_errno;
} mctx_raw_capabilities;

/* Fills out by probing: every field is what a raw publication opened now
 * by this process would do (a missing CAP_NET_RAW shows as UNSUPPORTED
 * with EPERM). MCTX_OK when out is filled, even if nothing is supported;
 * MCTX_E_INVALID_ARGUMENT for NULL. */
MCTX_API int mctx_raw_capabilities_probe(mctx_raw_capabilities *out,
                                         mctx_error *err);

/* "full-datagram", "kernel-rebuilt-ipv6-header", "unsupported"; never
 * NULL. */
MCTX_API const char *mctx_raw_capability_name(mctx_raw_capability cap);

/* A raw context: raw publications under ids (mctx-core's RawContext), so a
 * gateway names its downstream publications and can swap one's config
 * without its users noticing. Ids start at 1 and are never reused. Used by
 * one thread at a time, like its publications. */
typedef struct mctx_raw_context mctx_raw_context;

/* MCTX_E_NO_MEMORY or MCTX_OK; *out NULL on failure. */
MCTX_API int mctx_raw_context_new(mctx_raw_context **out);

/* Closes every publication still in the context and frees it. NULL is
 * fine. */
MCTX_API void mctx_raw_context_free(mctx_raw_context *ctx);

/* Opens a raw publication (as mctx_raw_publication_open) and files it
 * under a new id, written to *id (may be NULL). */
MCTX_API int mctx_raw_context_add(mctx_raw_context *ctx,
                                  const mctx_raw_config *cfg,
                                  mctx_publication_id *id, mctx_error *err);

MCTX_API size_t mctx_raw_context_count(const mctx_raw_context *ctx);
MCTX_API bool mctx_raw_context_contains(const mctx_raw_context *ctx,
                                        mctx_publication_id id);

/* The publication under id, still owned by the context; NULL when
 * unknown. */
MCTX_API mctx_raw_publication *mctx_raw_context_get(mctx_raw_context *ctx,
                                                    mctx_publication_id id);

/* Removes the publication from the context without closing it: *out is
 * the caller's to close. MCTX_E_PUBLICATION_NOT_FOUND when unknown. */
MCTX_API int mctx_raw_context_take(mctx_raw_context *ctx,
                                   mctx_publication_id id,
                                   mctx_raw_publication **out);

/* Closes and forgets. MCTX_E_PUBLICATION_NOT_FOUND when unknown. */
MCTX_API int mctx_raw_context_remove(mctx_raw_context *ctx,
                                     mctx_publication_id id);

/* Swaps the config of the publication under id, keeping the id
 * (mctx-core's replace_publication): the new publication is opened first;
 * if that fails the old one is left untouched and the error returned.
 * Counters start again from zero. MCTX_E_PUBLICATION_NOT_FOUND when
 * unknown. */
MCTX_API int mctx_raw_context_replace(mctx_raw_context *ctx,
                                      mctx_publication_id id,
                                      const mctx_raw_config *cfg,
                                      mctx_error *err);

/* mctx_raw_publication_send / _sendv through the publication under id. */
MCTX_API int mctx_raw_context_send(mctx_raw_context *ctx,
                                   mctx_publication_id id, const void *datagram,
                                   size_t len, mctx_raw_send_report *report,
                                   mctx_error *err);
MCTX_API int mctx_raw_context_sendv(mctx_raw_context *ctx,
                                    mctx_publication_id id,
                                    const mctx_buf *bufs, size_t nbufs,
                                    mctx_raw_send_report *report,
                                    mctx_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MCTX_H */
