/* mctx-send: mctx-core's demo sender (same arguments and behaviour), on libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Exit status: 0 when every send went out, 1 when libmctx refused the
 * configuration or a send failed, 2 when the command line could not be
 * understood.
 */
#include <mctx.h>

#include "cli-common.h"
#include "send_metrics.h"

#include <errno.h>
#include <inttypes.h>
#if !defined(_WIN32)
#  include <net/if.h>
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "mctx-send"

enum { EXIT_SEND_FAILED = 1, EXIT_USAGE = CLI_EXIT_USAGE };

/* How long one datagram may wait for the socket to drain before we give up.
 * A multicast socket that stays full this long has a stuck link below it. */
#define WRITABLE_WAIT_MAX_MS 5000

typedef struct cli_options {
  const char *group;
  uint16_t port;
  const char *payload;
  uint64_t count;
  uint64_t interval_ms;
  const char *source;
  bool has_source_port;
  uint16_t source_port;
  const char *bind;
  const char *interface;
  bool has_interface_index;
  uint32_t interface_index;
  bool has_ttl;
  uint32_t ttl;
  bool no_loopback;
  uint64_t pacing_rate;
  bool quiet;
  const char *sdp;
  bool has_sdp_payload_type;
  uint8_t sdp_payload_type;
  const char *sdp_encoding;
  bool help;
  const char *gso;
} cli_options;

/* What the egress queue dropped meanwhile: losses a send result may not
 * show (a shaper or fq_codel reports success). The qdisc's own counter,
 * for the whole interface. */
static void
print_queue_summary(mctx_publication *pub)
{
  mctx_queue_stats q;
  if (pub == NULL || mctx_publication_queue_stats(pub, &q) != MCTX_OK ||
      q.qdisc[0] == '\0')
    return;
  char name[32] = "?";
#if !defined(_WIN32)
  char found[IF_NAMESIZE];
  if (if_indextoname(q.interface_index, found) != NULL)
    snprintf(name, sizeof name, "%s", found);
  else
#endif
    snprintf(name, sizeof name, "%" PRIu32, q.interface_index);
  printf("queue-drops %" PRIu64 " (qdisc %s on interface %s; interface-wide "
         "counter, other senders included)\n",
         q.drops, q.qdisc, name);
}

static void
print_usage(FILE *out)
{
  fputs(
      "usage: " PROG
      " <group> <port> <payload> [count] [interval_ms] [options]\n"
      "\n"
      "Sends <payload> (its bytes, as given) <count> times (default 1) to the\n"
      "multicast <group>:<port>, waiting <interval_ms> (default 0) between "
      "sends.\n"
      "\n"
      "options:\n"
      "  --source IP            send from exactly this local address (the S of "
      "SSM)\n"
      "  --source-port N        bind this UDP source port (1-65535)\n"
      "  --bind IP:PORT         both at once; IPv6 as [addr]:port, a scope\n"
      "                         ([fe80::1%eth0]:5001) also selects the "
      "interface\n"
      "  --interface IP|NAME    outgoing interface: a local address, a name "
      "(lo,\n"
      "                         eth0) or an index\n"
      "  --interface-index N    outgoing interface by index (IPv6 groups "
      "only)\n"
      "  --ttl N                IPv4 TTL / IPv6 hop limit (default 1)\n"
      "  --no-loopback          do not loop datagrams back to local receivers\n"
      "  --pacing-rate BPS      spread the sends at BPS bits per second on "
      "the\n"
      "                         wire (payload and UDP/IP headers); 0: off\n"
      "  --gso auto|on|off      UDP GSO for batches (default auto: only where\n"
      "                         the egress qdisc keeps GSO packets whole)\n"
      "  --quiet                print nothing per send\n"
      "  --sdp FILE             write the session description (SDP) of the "
      "stream\n"
      "                         to FILE before the first send (needs\n"
      "                         --sdp-payload-type)\n"
      "  --sdp-payload-type N   the m= line's format, 0-127: m=application "
      "<port>\n"
      "                         udp N (the datagrams are the payload's bytes, "
      "not RTP)\n"
      "  --sdp-encoding E/RATE  adds a=rtpmap:N E/RATE[/PARAMS] (e.g. "
      "H264/90000)\n"
      "  -h, --help             show this text\n"
      "\n"
      "examples (all stay on this host):\n"
      "  " PROG " 239.1.2.3 5000 hello --interface lo\n"
      "  " PROG " 239.1.2.3 5000 hello 10 100 --interface 127.0.0.1 --ttl 4\n"
      "  " PROG " 232.1.1.1 5004 hi --source 127.0.0.1 --interface lo\n"
      "  " PROG " ff31::8000:1234 5000 hello-v6 --source ::1 --interface ::1\n"
      "    (IPv6 multicast on lo needs a route, added once as root:\n"
      "     ip -6 route add local ff00::/8 dev lo table local;\n"
      "     without it: 'Network is unreachable')\n"
      "\n"
      "examples for a real network (replace the addresses and names with "
      "yours):\n"
      "  " PROG " 232.1.1.1 5004 hi --source 10.0.0.1 --interface eth0\n"
      "  " PROG " ff3e::8000:1234 5000 hello-v6 --source fd00::10\n"
      "  " PROG
      " ff32::8000:1234 5000 hello-v6 --source fe80::1234 --interface-index 7\n"
      "\n"
      "notes:\n"
      "  - the source is what an SSM receiver filters on; the interface only "
      "picks\n"
      "    the link. An IPv6 --interface address also becomes the source.\n"
      "  - ff31::/16 and ff32::/16 (interface- and link-local) need an "
      "interface;\n"
      "    ff32:: should be sent from an fe80:: source.\n"
      "  - an interface that does not exist is an error, never a fallback to "
      "the\n"
      "    default route.\n"
      "  - exit status: 0 sent, 1 refused by libmctx or a send failed, 2 bad\n"
      "    command line.\n",
      out);
  if (send_metrics_usage[0] != '\0') {
    fputs("\nmetrics (environment variables):\n", out);
    fputs(send_metrics_usage, out);
    size_t len = strlen(send_metrics_usage);
    if (send_metrics_usage[len - 1] != '\n')
      fputc('\n', out);
  }
}

#define usage_error(...)                                                    \
  cli_usage_error(PROG,                                                     \
                  "usage: " PROG " <group> <port> <payload> "               \
                  "[count] [interval_ms] [options]; see '" PROG " --help'", \
                  __VA_ARGS__)

static int
mctx_failure(const mctx_error *err, int code)
{
  const char *message =
      err->message[0] != '\0' ? err->message : mctx_strerror(code);
  fprintf(stderr, PROG ": %s\n", message);
  return EXIT_SEND_FAILED;
}

static int
parse_number(const char *what, const char *text, uint64_t max, uint64_t *out)
{
  if (!cli_parse_unsigned(text, max, out))
    return usage_error("invalid %s '" CLI_VALUE_FMT "': expected an integer "
                       "from 0 to %" PRIu64,
                       what, CLI_VALUE(text), max);
  return 0;
}

static bool
is_flag(const char *arg, const char *name)
{
  return strcmp(arg, name) == 0;
}

static int
parse_args(int argc, char **argv, cli_options *o)
{
  *o = (cli_options){.count = 1};
  const char *positional[5];
  int npositional = 0;
  bool seen_flag = false;
  uint64_t n;

  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (is_flag(arg, "-h") || is_flag(arg, "--help")) {
      o->help = true;
      return 0;
    }
    if (arg[0] != '-' || arg[1] == '\0') {
      /* Only the first three positionals are required; the optional count and
       * interval are taken only when they do not look like a flag. */
      if (npositional == 5 || seen_flag)
        return usage_error("unexpected argument '" CLI_VALUE_FMT "'",
                           CLI_VALUE(arg));
      positional[npositional++] = arg;
      continue;
    }
    if (npositional < 3)
      return usage_error(
          "expected <group> <port> <payload> before '" CLI_VALUE_FMT "'",
          CLI_VALUE(arg));
    seen_flag = true;

    if (is_flag(arg, "--no-loopback")) {
      o->no_loopback = true;
      continue;
    }
    if (is_flag(arg, "--quiet")) {
      o->quiet = true;
      continue;
    }

    bool takes_value =
        is_flag(arg, "--source") || is_flag(arg, "--source-port") ||
        is_flag(arg, "--bind") || is_flag(arg, "--interface") ||
        is_flag(arg, "--interface-index") || is_flag(arg, "--ttl") ||
        is_flag(arg, "--sdp") || is_flag(arg, "--sdp-payload-type") ||
        is_flag(arg, "--sdp-encoding") || is_flag(arg, "--pacing-rate") ||
        is_flag(arg, "--gso");
    if (!takes_value)
      return usage_error("unknown argument '" CLI_VALUE_FMT "'",
                         CLI_VALUE(arg));
    if (i + 1 >= argc)
      return usage_error("%s needs a value", arg);
    const char *value = argv[++i];

    if (is_flag(arg, "--source")) {
      o->source = value;
    } else if (is_flag(arg, "--bind")) {
      o->bind = value;
    } else if (is_flag(arg, "--interface")) {
      o->interface = value;
    } else if (is_flag(arg, "--sdp")) {
      o->sdp = value;
    } else if (is_flag(arg, "--sdp-encoding")) {
      if (value[0] == '\0' || strchr(value, '/') == NULL ||
          strpbrk(value, " \r\n") != NULL)
        return usage_error("invalid --sdp-encoding '%s': expected "
                           "NAME/RATE[/PARAMS]",
                           value);
      o->sdp_encoding = value;
    } else if (is_flag(arg, "--sdp-payload-type")) {
      if (parse_number("--sdp-payload-type", value, 127, &n) != 0)
        return EXIT_USAGE;
      o->has_sdp_payload_type = true;
      o->sdp_payload_type = (uint8_t) n;
    } else if (is_flag(arg, "--source-port")) {
      if (parse_number("--source-port", value, UINT16_MAX, &n) != 0)
        return EXIT_USAGE;
      o->has_source_port = true;
      o->source_port = (uint16_t) n;
    } else if (is_flag(arg, "--interface-index")) {
      if (parse_number("--interface-index", value, UINT32_MAX, &n) != 0)
        return EXIT_USAGE;
      o->has_interface_index = true;
      o->interface_index = (uint32_t) n;
    } else if (is_flag(arg, "--pacing-rate")) {
      if (parse_number("--pacing-rate", value, UINT64_MAX, &o->pacing_rate) !=
          0)
        return EXIT_USAGE;
    } else if (is_flag(arg, "--gso")) {
      o->gso = value;
    } else { /* --ttl */
      if (parse_number("--ttl", value, UINT32_MAX, &n) != 0)
        return EXIT_USAGE;
      o->has_ttl = true;
      o->ttl = (uint32_t) n;
    }
  }

  if (npositional < 3)
    return usage_error("expected <group> <port> <payload>, got %d argument%s",
                       npositional, npositional == 1 ? "" : "s");
  o->group = positional[0];
  if (parse_number("port", positional[1], UINT16_MAX, &n) != 0)
    return EXIT_USAGE;
  o->port = (uint16_t) n;
  o->payload = positional[2];
  if (npositional > 3 &&
      parse_number("count", positional[3], UINT64_MAX, &o->count) != 0)
    return EXIT_USAGE;
  if (npositional > 4 && parse_number("interval_ms", positional[4], UINT64_MAX,
                                      &o->interval_ms) != 0)
    return EXIT_USAGE;

  if (o->bind && (o->source || o->has_source_port))
    return usage_error(
        "--bind cannot be combined with --source or --source-port");
  if (o->interface && o->has_interface_index)
    return usage_error("--interface cannot be combined with --interface-index");
  if (o->sdp && !o->has_sdp_payload_type)
    return usage_error("--sdp needs --sdp-payload-type");
  if (!o->sdp && (o->has_sdp_payload_type || o->sdp_encoding))
    return usage_error("--sdp-payload-type and --sdp-encoding need --sdp");
  return 0;
}

static const char *
family_name(mctx_family family)
{
  return family == MCTX_FAMILY_IPV6 ? "IPv6" : "IPv4";
}

/* The cross-checks of mctx-core's parser: everything given must be of the
 * group's family. Interface names and indexes have no family. */
static int
check_families(const cli_options *o, const mctx_publication_config *cfg,
               const mctx_endpoint *bind, const mctx_interface *itf)
{
  mctx_family group_family = cfg->group.family;
  if (o->has_interface_index && group_family == MCTX_FAMILY_IPV4)
    return usage_error("--interface-index %" PRIu32 " needs an IPv6 group, "
                       "but %s is IPv4 (use --interface for IPv4)",
                       o->interface_index, o->group);
  if (o->source && cfg->source_addr.family != group_family)
    return usage_error("--source %s is %s but group %s is %s", o->source,
                       family_name(cfg->source_addr.family), o->group,
                       family_name(group_family));
  if (o->bind && bind->ip.family != group_family)
    return usage_error("--bind %s is %s but group %s is %s", o->bind,
                       family_name(bind->ip.family), o->group,
                       family_name(group_family));
  if (o->interface && itf->kind == MCTX_INTERFACE_ADDRESS &&
      itf->address.family != group_family)
    return usage_error("--interface %s is %s but group %s is %s", o->interface,
                       family_name(itf->address.family), o->group,
                       family_name(group_family));
  return 0;
}

static int
build_config(const cli_options *o, mctx_publication_config *cfg)
{
  mctx_error err;
  int rc = mctx_publication_config_init_group(cfg, o->group, o->port, &err);
  if (rc != MCTX_OK)
    return usage_error("group: %s",
                       err.message[0] ? err.message : mctx_strerror(rc));

  mctx_endpoint bind = {0};
  mctx_interface itf = {0};
  if (o->bind) {
    rc = mctx_endpoint_parse(o->bind, &bind, &err);
    if (rc != MCTX_OK)
      return usage_error("--bind: %s",
                         err.message[0] ? err.message : mctx_strerror(rc));
  }
  if (o->source) {
    rc = mctx_ip_parse(o->source, &cfg->source_addr, &err);
    if (rc != MCTX_OK)
      return usage_error("--source: %s",
                         err.message[0] ? err.message : mctx_strerror(rc));
  }
  if (o->interface) {
    rc = mctx_interface_parse(o->interface, &itf, &err);
    if (rc != MCTX_OK)
      return usage_error("--interface: %s",
                         err.message[0] ? err.message : mctx_strerror(rc));
  }
  rc = check_families(o, cfg, &bind, &itf);
  if (rc != 0)
    return rc;

  if (o->gso != NULL) {
    mctx_error err = {0};
    if (mctx_gso_mode_parse(o->gso, &cfg->gso, &err) != MCTX_OK)
      return usage_error("--gso: %s", err.message);
  }
  if (o->has_source_port) {
    cfg->has_source_port = true;
    cfg->source_port = o->source_port;
  }
  if (o->interface)
    cfg->interface = itf;
  if (o->has_interface_index) {
    cfg->interface.kind = MCTX_INTERFACE_INDEX;
    cfg->interface.index = o->interface_index;
  }
  /* Applied after the interface, as mctx-core's with_bind_addr: a scoped IPv6
   * bind address selects the interface. */
  if (o->bind)
    mctx_publication_config_set_bind(cfg, &bind);
  cfg->pacing_rate_bps = o->pacing_rate;
  if (o->has_ttl)
    cfg->ttl = o->ttl;
  if (o->no_loopback)
    cfg->loopback = false;
  return 0;
}

static int
send_one(mctx_context *ctx, mctx_publication_id id, const cli_options *o,
         size_t len, mctx_send_report *report, mctx_error *err)
{
  int waited_ms = 0;
  for (;;) {
    int rc = mctx_context_send(ctx, id, o->payload, len, report, err);
    if (rc != MCTX_E_WOULD_BLOCK)
      return rc;
    if (waited_ms >= WRITABLE_WAIT_MAX_MS) {
      snprintf(err->message, sizeof err->message,
               "socket still full after %d ms; giving up", waited_ms);
      return rc;
    }
    int step_ms = 100;
    char why[128];
    int ready =
        cli_wait_writable(mctx_publication_get_fd(mctx_context_get(ctx, id)),
                          step_ms, why, sizeof why);
    if (ready < 0) {
      snprintf(err->message, sizeof err->message,
               "waiting for the socket to drain: %s", why);
      return MCTX_E_SEND_FAILED;
    }
    if (ready == 0)
      waited_ms += step_ms;
  }
}

/* The SDP of the publication: libmctx's session part, then the media line
 * of the datagrams. Written to a temporary file renamed over FILE, so a
 * reader never sees half of it. */
static int
write_sdp(const cli_options *o, const mctx_publication *pub)
{
  char session[MCTX_SDP_SESSION_MAX];
  mctx_sdp_session s;
  mctx_error err;
  int rc = mctx_sdp_session_from_publication(&s, pub, &err);
  if (rc == MCTX_OK) {
    s.any_source = o->source == NULL && o->bind == NULL;
    s.name = PROG;
    rc = mctx_sdp_format_session(&s, session, sizeof session, NULL, &err);
  }
  if (rc != MCTX_OK)
    return mctx_failure(&err, rc);

  size_t tmp_size = strlen(o->sdp) + sizeof ".tmp";
  char *tmp = malloc(tmp_size);
  if (tmp == NULL) {
    fprintf(stderr, PROG ": --sdp %s: out of memory\n", o->sdp);
    return EXIT_SEND_FAILED;
  }
  snprintf(tmp, tmp_size, "%s.tmp", o->sdp);
  FILE *f = fopen(tmp, "w");
  bool ok = f != NULL;
  if (ok) {
    fprintf(f, "%sm=application %u udp %u\r\n", session, (unsigned) o->port,
            (unsigned) o->sdp_payload_type);
    if (o->sdp_encoding)
      fprintf(f, "a=rtpmap:%u %s\r\n", (unsigned) o->sdp_payload_type,
              o->sdp_encoding);
    ok = fclose(f) == 0;
  }
  if (ok)
    ok = rename(tmp, o->sdp) == 0;
  if (!ok) {
    fprintf(stderr, PROG ": --sdp %s: cannot write it: %s\n", o->sdp,
            strerror(errno));
    remove(tmp);
  }
  free(tmp);
  return ok ? 0 : EXIT_SEND_FAILED;
}

static void
print_report(const mctx_send_report *report)
{
  char destination[MCTX_ENDPOINT_STRLEN];
  char source[MCTX_IP_STRLEN];
  mctx_endpoint_format(&report->destination, destination, sizeof destination);
  mctx_ip_format(&report->local.ip, source, sizeof source);
  printf("sent %zu bytes to %s from %s\n", report->bytes_sent, destination,
         source);
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

  mctx_publication_config cfg;
  rc = build_config(&o, &cfg);
  if (rc != 0)
    return rc;

  /* One line per send even when stdout is a pipe: demos are watched live. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  mctx_context *ctx = NULL;
  send_metrics *metrics = NULL;
  mctx_error err = {0};
  int status = 0;
  char source_text[MCTX_IP_STRLEN];

  rc = mctx_context_new(&ctx);
  if (rc != MCTX_OK) {
    status = mctx_failure(&err, rc);
    goto out;
  }
  mctx_publication_id id = 0;
  rc = mctx_context_add(ctx, &cfg, &id, &err);
  if (rc != MCTX_OK) {
    status = mctx_failure(&err, rc);
    goto out;
  }

  if (o.sdp) {
    status = write_sdp(&o, mctx_context_get(ctx, id));
    if (status != 0)
      goto out;
  }

  send_metrics_info info = {
      .group = o.group,
      .port = o.port,
      .source = cfg.source_addr.family == MCTX_FAMILY_UNSPEC
                    ? NULL
                    : mctx_ip_format(&cfg.source_addr, source_text,
                                     sizeof source_text),
      .interface = o.interface,
      .has_interface_index = o.has_interface_index,
      .interface_index = o.interface_index,
      .has_source_port = cfg.has_source_port,
      .source_port = cfg.source_port,
      .interval_ms = o.interval_ms,
      .payload_bytes = strlen(o.payload),
      .loopback = cfg.loopback,
      .ttl = cfg.ttl,
  };
  if (send_metrics_from_env(&info, ctx, &metrics) != 0) {
    status = EXIT_SEND_FAILED;
    goto out;
  }

  size_t len = strlen(o.payload);
  for (uint64_t i = 0; i < o.count; i++) {
    mctx_send_report report;
    rc = send_one(ctx, id, &o, len, &report, &err);
    if (rc != MCTX_OK) {
      status = mctx_failure(&err, rc);
      goto out;
    }
    if (!o.quiet)
      print_report(&report);
    if (send_metrics_after_send(metrics) != 0) {
      status = EXIT_SEND_FAILED;
      goto out;
    }
    if (o.interval_ms > 0 && i + 1 < o.count)
      cli_sleep_ms(o.interval_ms);
  }

  if (!o.quiet && o.count > 0)
    print_queue_summary(mctx_context_get(ctx, id));

out:
  /* The final metrics row is written on a failed run too: it records how far
   * the run got. */
  if (send_metrics_finish(metrics) != 0 && status == 0)
    status = EXIT_SEND_FAILED;
  mctx_context_free(ctx);
  return status;
}
