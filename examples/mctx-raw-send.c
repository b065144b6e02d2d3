/* mctx-raw-send: mctx-core's raw demo (same arguments and behaviour), on libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Builds complete UDP-in-IP datagrams itself (ipbuild.c: valid IPv4 header
 * checksum and UDP checksum) with any source address, the way an AMT gateway
 * holds the datagrams it unwraps, and hands them to a raw publication.
 *
 * Exit status: 0 when every datagram went out, 1 when libmctx refused the
 * configuration or a send failed, 2 when the command line could not be
 * understood.
 */
#include "cli-common.h"
#include "ipbuild.h"

#include <mctx.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "mctx-raw-send"
#define DEFAULT_SOURCE_PORT 4000
#define MAX_DATAGRAM 65535
/* A raw publication has no descriptor to poll: a full socket buffer is
 * retried after a short sleep, this many times at most. */
#define WOULD_BLOCK_RETRIES 5000

enum { EXIT_SEND_FAILED = 1, EXIT_USAGE = CLI_EXIT_USAGE };

typedef struct cli_options {
  const char *group;
  uint16_t port;
  const char *payload;
  uint64_t count;
  uint64_t interval_ms;
  const char *source;
  uint16_t source_port;
  const char *bind;
  const char *interface;
  bool has_interface_index;
  uint32_t interface_index;
  bool has_ttl;
  uint8_t ttl;
  bool no_loopback;
  bool route_selected;
  bool quiet;
  bool help;
  bool capabilities;
} cli_options;

static void
print_usage(FILE *out)
{
  fputs(
      "usage: " PROG
      " <group> <port> <payload> [count] [interval_ms] --source IP [options]\n"
      "\n"
      "Builds a complete UDP-in-IP datagram from --source:--source-port to\n"
      "<group>:<port> carrying <payload> (its bytes, as given) and sends it\n"
      "<count> times (default 1) through a raw publication, waiting "
      "<interval_ms>\n"
      "(default 0) between sends. The source need not be an address of this "
      "host:\n"
      "that is how an AMT gateway (RFC 7450) re-emits datagrams from far "
      "sources.\n"
      "Needs CAP_NET_RAW (root).\n"
      "\n"
      "options:\n"
      "  --source IP            source written into the IP header (required)\n"
      "  --source-port N        UDP source port (1-65535, default 4000)\n"
      "  --bind IP              local address selecting the outgoing "
      "interface;\n"
      "                         never written into the datagram. Default: the\n"
      "                         --source, unless an interface option is given\n"
      "  --interface IP|NAME    outgoing interface: a local address, a name or "
      "an\n"
      "                         index\n"
      "  --interface-index N    outgoing interface by index\n"
      "  --ttl N                TTL / hop limit in the header and as override\n"
      "                         (0-255; default: header 1, no override)\n"
      "  --route-selected       no interface: the routing table picks it per\n"
      "                         datagram (IPv6 multicast needs a route such "
      "as\n"
      "                         ff3e::/16 dev eth1 table local); --ttl then\n"
      "                         sets the header only\n"
      "  --no-loopback          no copy for receivers on this host\n"
      "  --quiet                print nothing per datagram\n"
      "  --capabilities         print what this host can send raw (probed) and "
      "exit\n"
      "  -h, --help             show this text\n"
      "\n"
      "examples (run them in a network namespace with a veth pair):\n"
      "  " PROG
      " 232.1.2.3 5000 hello --source 198.51.100.7 --interface veth0\n"
      "  " PROG " 239.1.2.3 5000 hello 10 100 --source 10.0.0.1 --ttl 4\n"
      "  " PROG
      " ff3e::8000:1 5000 hello --source 2001:db8::7 --interface veth0\n"
      "  " PROG " ff15::1 5000 hello --source fd00::1 --interface veth0\n"
      "\n"
      "notes:\n"
      "  The destination is always the multicast group: raw datagrams cannot "
      "go\n"
      "  anywhere else. An IPv6 datagram whose source is not an address of "
      "this\n"
      "  host is injected on the link (Ethernet only) byte for byte and is "
      "not\n"
      "  looped back; one with a local source goes through the kernel, which\n"
      "  rebuilds the IPv6 header (flow label lost) and loops it back.\n",
      out);
}

#define usage_error(...) \
  cli_usage_error(PROG, "(run " PROG " --help for usage)", __VA_ARGS__)

static int
parse_args(int argc, char **argv, cli_options *o)
{
  memset(o, 0, sizeof *o);
  o->count = 1;
  o->source_port = DEFAULT_SOURCE_PORT;
  const char *positional[5];
  int npos = 0;

  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      o->help = true;
      return 0;
    }
    if (strcmp(arg, "--capabilities") == 0) {
      o->capabilities = true;
      return 0;
    }
    if (strcmp(arg, "--no-loopback") == 0) {
      o->no_loopback = true;
      continue;
    }
    if (strcmp(arg, "--route-selected") == 0) {
      o->route_selected = true;
      continue;
    }
    if (strcmp(arg, "--quiet") == 0) {
      o->quiet = true;
      continue;
    }
    if (arg[0] == '-' && arg[1] == '-') {
      const char *value = i + 1 < argc ? argv[i + 1] : NULL;
      uint64_t n;
      const char **text_option = strcmp (arg, "--source") == 0 ? &o->source
                                 : strcmp (arg, "--bind") == 0   ? &o->bind
                                 : strcmp (arg, "--interface") == 0
                                     ? &o->interface
                                     : NULL;
      if (text_option != NULL) {
        if (value == NULL)
          return usage_error("%s needs a value", arg);
        *text_option = value;
      } else if (strcmp(arg, "--source-port") == 0) {
        if (!cli_parse_unsigned(value, 65535, &n) || n == 0)
          return usage_error(
              "--source-port needs a port 1-65535, not '" CLI_VALUE_FMT "'",
              CLI_VALUE(value ? value : ""));
        o->source_port = (uint16_t) n;
      } else if (strcmp(arg, "--interface-index") == 0) {
        if (!cli_parse_unsigned(value, UINT32_MAX, &n) || n == 0)
          return usage_error(
              "--interface-index needs an index > 0, not '" CLI_VALUE_FMT "'",
              CLI_VALUE(value ? value : ""));
        o->has_interface_index = true;
        o->interface_index = (uint32_t) n;
      } else if (strcmp(arg, "--ttl") == 0) {
        if (!cli_parse_unsigned(value, 255, &n))
          return usage_error("--ttl needs a value 0-255, not '" CLI_VALUE_FMT
                             "'",
                             CLI_VALUE(value ? value : ""));
        o->has_ttl = true;
        o->ttl = (uint8_t) n;
      } else {
        return usage_error("unknown option " CLI_VALUE_FMT, CLI_VALUE(arg));
      }
      i++;
      continue;
    }
    if (arg[0] == '-')
      return usage_error("unknown option " CLI_VALUE_FMT, CLI_VALUE(arg));
    if (npos == 5)
      return usage_error("unexpected argument '" CLI_VALUE_FMT "'",
                         CLI_VALUE(arg));
    positional[npos++] = arg;
  }

  if (npos < 3)
    return usage_error("%s", "missing arguments: <group> <port> <payload> "
                             "are required");
  uint64_t n;
  o->group = positional[0];
  if (!cli_parse_unsigned(positional[1], 65535, &n) || n == 0)
    return usage_error("port must be 1-65535, not '" CLI_VALUE_FMT "'",
                       CLI_VALUE(positional[1]));
  o->port = (uint16_t) n;
  o->payload = positional[2];
  if (npos > 3 && !cli_parse_unsigned(positional[3], UINT64_MAX, &o->count))
    return usage_error("count must be a number, not '" CLI_VALUE_FMT "'",
                       CLI_VALUE(positional[3]));
  if (npos > 4 &&
      !cli_parse_unsigned(positional[4], UINT64_MAX / 1000000, &o->interval_ms))
    return usage_error("interval_ms must be a number, not '" CLI_VALUE_FMT "'",
                       CLI_VALUE(positional[4]));
  if (o->source == NULL)
    return usage_error("%s", "--source is required (the source address "
                             "written into each datagram)");
  if (o->interface != NULL && o->has_interface_index)
    return usage_error("%s", "--interface and --interface-index cannot be "
                             "combined");
  if (o->route_selected &&
      (o->bind != NULL || o->interface != NULL || o->has_interface_index))
    return usage_error("%s", "--route-selected takes no --bind, --interface "
                             "or --interface-index: the route picks the "
                             "interface");
  return 0;
}

/* ---- datagram building ---------------------------------------------------- */

/* The whole datagram: IP header (the source address is the caller's, any
 * address an AMT gateway would have unwrapped), UDP header, checksums. */
static size_t
build_datagram(uint8_t *out, const cli_options *o, const mctx_ip *src,
               const mctx_ip *group)
{
  ipbuild_udp udp = {.source_port = o->source_port,
                     .dest_port = o->port,
                     .payload = o->payload,
                     .payload_len = strlen(o->payload)};
  uint8_t ttl = o->has_ttl ? o->ttl : 1;
  if (group->family == MCTX_FAMILY_IPV4)
    return ipbuild_udp4(out, src->bytes, group->bytes, ttl, 0, &udp);
  return ipbuild_udp6(out, src->bytes, group->bytes, 0, 0, ttl, false, &udp);
}

/* ---- main ----------------------------------------------------------------- */

static int
fail(const char *what, const mctx_error *err)
{
  fprintf(stderr, PROG ": %s: %s (%s)\n", what, err->message,
          mctx_code_name(err->code));
  return EXIT_SEND_FAILED;
}

static const char *
path_name(mctx_raw_path path)
{
  switch (path) {
    case MCTX_RAW_PATH_IPV4_HDRINCL:
      return "ipv4 header as given";
    case MCTX_RAW_PATH_IPV6_KERNEL_HEADER:
      return "ipv6 header rebuilt by the kernel";
    case MCTX_RAW_PATH_IPV6_LINK_LAYER:
      return "ipv6 link-layer, byte for byte";
  }
  return "?";
}

static int
send_one(mctx_raw_publication *pub, const uint8_t *datagram, size_t len,
         mctx_raw_send_report *report, mctx_error *err)
{
  int rc = MCTX_E_WOULD_BLOCK;
  for (int tries = 0; rc == MCTX_E_WOULD_BLOCK && tries < WOULD_BLOCK_RETRIES;
       tries++) {
    rc = mctx_raw_publication_send(pub, datagram, len, report, err);
    if (rc == MCTX_E_WOULD_BLOCK)
      cli_sleep_ms(1);
  }
  return rc;
}

static void
print_capability(const char *what, mctx_raw_capability cap, int sys_errno)
{
  if (sys_errno != 0)
    printf("%-24s %s (%s)\n", what, mctx_raw_capability_name(cap),
           strerror(sys_errno));
  else
    printf("%-24s %s\n", what, mctx_raw_capability_name(cap));
}

/* One line per way, "name value [(reason)]": easy to read and to grep. */
static int
print_capabilities(void)
{
  mctx_raw_capabilities caps;
  mctx_error err;
  if (mctx_raw_capabilities_probe(&caps, &err) != MCTX_OK) {
    fprintf(stderr, PROG ": %s\n", err.message);
    return EXIT_SEND_FAILED;
  }
  print_capability("ipv4", caps.ipv4, caps.ipv4_errno);
  print_capability("ipv6-local-source", caps.ipv6_local_source,
                   caps.ipv6_local_source_errno);
  print_capability("ipv6-any-source", caps.ipv6_any_source,
                   caps.ipv6_any_source_errno);
  print_capability("ipv4-route-selected", caps.ipv4_route_selected,
                   caps.ipv4_errno);
  print_capability("ipv6-route-selected", caps.ipv6_route_selected,
                   caps.ipv6_route_selected_errno);
  return 0;
}

int
main(int argc, char **argv)
{
  cli_options o;
  int rc = parse_args(argc, argv, &o);
  if (rc != 0)
    return rc;
  if (o.help) {
    print_usage(stdout);
    return 0;
  }
  if (o.capabilities)
    return print_capabilities();

  mctx_error err;
  mctx_ip group, source;
  if (mctx_ip_parse(o.group, &group, &err) != MCTX_OK)
    return usage_error("group: %s", err.message);
  if (!mctx_ip_is_multicast(&group))
    return usage_error("group %s is not a multicast address", o.group);
  if (mctx_ip_parse(o.source, &source, &err) != MCTX_OK)
    return usage_error("--source: %s", err.message);
  if (source.family != group.family)
    return usage_error("--source %s is not of the group's family", o.source);
  size_t headers = IPBUILD_UDP_HEADER + (group.family == MCTX_FAMILY_IPV4
                                             ? IPBUILD_IPV4_HEADER
                                             : IPBUILD_IPV6_HEADER);
  if (strlen(o.payload) > MAX_DATAGRAM - headers)
    return usage_error("%s", "payload too long for one IP datagram");

  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  cfg.family = group.family;
  if (o.route_selected) {
    cfg.egress = MCTX_RAW_EGRESS_ROUTE_SELECTED;
  } else if (o.bind != NULL) {
    if (mctx_ip_parse(o.bind, &cfg.bind_addr, &err) != MCTX_OK)
      return usage_error("--bind: %s", err.message);
  } else if (o.interface == NULL && !o.has_interface_index) {
    cfg.bind_addr = source;
  }
  if (o.interface != NULL &&
      mctx_interface_parse(o.interface, &cfg.interface, &err) != MCTX_OK)
    return usage_error("--interface: %s", err.message);
  if (o.has_interface_index) {
    cfg.interface.kind = MCTX_INTERFACE_INDEX;
    cfg.interface.index = o.interface_index;
  }
  if (o.has_ttl && !o.route_selected)
    cfg.ttl = o.ttl;
  cfg.loopback = !o.no_loopback;

  mctx_raw_publication *pub;
  if (mctx_raw_publication_open(&cfg, &pub, &err) != MCTX_OK)
    return fail("cannot open the raw publication", &err);

  static uint8_t datagram[MAX_DATAGRAM];
  size_t len = build_datagram(datagram, &o, &source, &group);

  int status = 0;
  for (uint64_t i = 0; i < o.count; i++) {
    mctx_raw_send_report report;
    if (send_one(pub, datagram, len, &report, &err) != MCTX_OK) {
      status = fail("send failed", &err);
      break;
    }
    if (!o.quiet) {
      char dst[MCTX_IP_STRLEN], src[MCTX_IP_STRLEN];
      mctx_ip_format(&report.datagram.destination, dst, sizeof dst);
      mctx_ip_format(&report.datagram.source, src, sizeof src);
      printf("sent %zu raw bytes proto %u to %s from %s via ifindex %" PRIu32
             " (%s)\n",
             report.bytes_sent, (unsigned) report.datagram.protocol, dst, src,
             report.interface_index, path_name(report.path));
      fflush(stdout);
    }
    if (o.interval_ms > 0 && i + 1 < o.count)
      cli_sleep_ms(o.interval_ms);
  }
  mctx_raw_publication_close(pub);
  return status;
}
