/* mctxsink: the errors of start(), each naming the property and value at
 * fault. The code says what went wrong and the error's subject which
 * setting it is about; the message is never parsed. libmctx's message
 * (which names the value it saw) goes into the debug part, and into the
 * text where it explains more than we can.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "gstmctxsinkerror.h"

#include <errno.h>
#include <string.h>

static const gchar *
or_unset (const gchar * s)
{
  return (s && *s) ? s : "(not set)";
}

static void
post (GstMctxSink * sink, gboolean system, gchar * text, int rc,
    const mctx_error * err)
{
  gchar *debug = g_strdup_printf ("%s (%s): %s (errno %d%s%s)",
      mctx_code_name (rc), mctx_subject_name (err->subject),
      err->message[0] ? err->message : mctx_strerror (rc), err->sys_errno,
      err->sys_errno ? ": " : "",
      err->sys_errno ? g_strerror (err->sys_errno) : "");

  if (system)
    GST_ELEMENT_ERROR (sink, RESOURCE, OPEN_WRITE, ("%s", text), ("%s", debug));
  else
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS, ("%s", text), ("%s", debug));
  g_free (text);
  g_free (debug);
}

void
gst_mctx_sink_post_parse_error (GstMctxSink * sink, const gchar * property,
    const gchar * whole_value, int rc, const mctx_error * err)
{
  gchar *value = gst_mctx_sink_excerpt (whole_value);
  gchar *text;

  if (rc == MCTX_E_INVALID_ARGUMENT && strcmp (property, "interface") != 0)
    text = g_strdup_printf ("%s '%s' is not an IP address", property, value);
  else if (strcmp (property, "interface") == 0)
    text = g_strdup_printf ("interface '%s' is not an interface name, local "
        "address or index: %s", value, err->message);
  else
    text = g_strdup_printf ("%s '%s' is not valid: %s", property, value,
        err->message);
  post (sink, FALSE, text, rc, err);
  g_free (value);
}

/* An address libmctx could not use: err->subject says whose it was (the
 * source or the interface), so the property at fault is named even when
 * both are set. NULL for other subjects. */
static gchar *
address_not_usable_text (const GstMctxSinkSettings * s, const mctx_error * err)
{
  switch (err->subject) {
    case MCTX_SUBJECT_SOURCE_ADDRESS:
      return g_strdup_printf ("source-addr '%s' is not usable: %s",
          or_unset (s->source_addr), err->message);
    case MCTX_SUBJECT_INTERFACE:
      return g_strdup_printf ("interface '%s' is not usable: %s",
          or_unset (s->interface), err->message);
    default:
      return NULL;
  }
}

/* A socket option the system refused: the property that asked for it. NULL
 * when the option is none of the properties'. */
static gchar *
setting_refused_text (const GstMctxSinkSettings * s, const mctx_error * err)
{
  switch (err->subject) {
    case MCTX_SUBJECT_TTL:
      return g_strdup_printf ("Cannot set ttl %d: %s", s->ttl, err->message);
    case MCTX_SUBJECT_LOOPBACK:
      return g_strdup_printf ("Cannot set loop %s: %s",
          s->loop ? "true" : "false", err->message);
    case MCTX_SUBJECT_DSCP:
      return g_strdup_printf ("Cannot set qos-dscp %d: %s", s->qos_dscp,
          err->message);
    case MCTX_SUBJECT_SEND_BUFFER_SIZE:
      return g_strdup_printf ("Cannot set buffer-size %d: %s",
          s->buffer_size, err->message);
    default:
      return NULL;
  }
}

static gchar *
bind_failed_text (const GstMctxSinkSettings * s, const mctx_error * err)
{
  const gchar *why = g_strerror (err->sys_errno);

  /* The address itself is not there (or not yet): blame its property. A
   * bind refused for another reason (the port in use) is about the pair. */
  if (err->sys_errno == EADDRNOTAVAIL) {
    gchar *text = address_not_usable_text (s, err);
    if (text)
      return text;
  }
  if (s->source_addr && *s->source_addr && s->source_port > 0)
    return g_strdup_printf ("Cannot send from source-addr '%s' source-port "
        "%d: %s", s->source_addr, s->source_port, why);
  if (s->source_addr && *s->source_addr)
    return g_strdup_printf ("Cannot send from source-addr '%s': %s",
        s->source_addr, why);
  if (s->source_port > 0)
    return g_strdup_printf ("Cannot send from source-port %d: %s",
        s->source_port, why);
  return g_strdup_printf ("Cannot bind to interface '%s': %s",
      or_unset (s->interface), why);
}

void
gst_mctx_sink_post_config_error (GstMctxSink * sink,
    const GstMctxSinkSettings * settings, int rc, const mctx_error * err)
{
  /* The texts name the settings' values, each cut to an excerpt. */
  GstMctxSinkSettings shown = *settings;
  const GstMctxSinkSettings *s = &shown;
  gboolean system = FALSE;
  gchar *text;

  shown.group = gst_mctx_sink_excerpt (settings->group);
  shown.source_addr = gst_mctx_sink_excerpt (settings->source_addr);
  shown.interface = gst_mctx_sink_excerpt (settings->interface);

  switch (rc) {
    case MCTX_E_INVALID_DESTINATION_PORT:
      text = g_strdup_printf ("port %d is not a valid destination port",
          s->port);
      break;
    case MCTX_E_INVALID_MULTICAST_GROUP:
      text = g_strdup_printf ("group '%s' is not a multicast address",
          s->group);
      break;
    case MCTX_E_INVALID_SOURCE_PORT:
      text = g_strdup_printf ("source-port %d is not valid", s->source_port);
      break;
    case MCTX_E_INVALID_SOURCE_ADDRESS:
      text = g_strdup_printf ("source-addr '%s' is not a unicast address: "
          "datagrams cannot come from it", s->source_addr);
      break;
    case MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH:
      text = g_strdup_printf ("source-addr '%s' and group '%s' are not of "
          "the same address family", s->source_addr, s->group);
      break;
    case MCTX_E_INVALID_INTERFACE_ADDRESS:
      text = g_strdup_printf ("interface '%s' is not a unicast address",
          s->interface);
      break;
    case MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH:
      text = g_strdup_printf ("interface '%s' and group '%s' are not of the "
          "same address family", s->interface, s->group);
      break;
    case MCTX_E_INVALID_IPV6_INTERFACE_INDEX:
      text = g_strdup_printf ("interface '%s' is not a valid interface index",
          s->interface);
      break;
    case MCTX_E_INVALID_INTERFACE_NAME:
      text = g_strdup_printf ("interface '%s' is not a valid interface name: "
          "%s", s->interface, err->message);
      break;
    case MCTX_E_INTERFACE_NOT_FOUND:
      if (err->subject == MCTX_SUBJECT_INTERFACE)
        text = g_strdup_printf ("interface '%s' does not exist",
            or_unset (s->interface));
      else if (err->subject == MCTX_SUBJECT_GROUP)
        text = g_strdup_printf ("group '%s' names an interface that does "
            "not exist: %s", s->group, err->message);
      else
        text = g_strdup_printf ("source-addr '%s': %s",
            or_unset (s->source_addr), err->message);
      break;
    case MCTX_E_INTERFACE_DISCOVERY_FAILED:
      text = address_not_usable_text (s, err);
      if (text == NULL)
        text = g_strdup_printf ("Cannot find the interface (interface '%s', "
            "source-addr '%s'): %s", or_unset (s->interface),
            or_unset (s->source_addr), err->message);
      break;
    case MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH:
      text = g_strdup_printf ("source-addr '%s' is not on interface '%s'",
          s->source_addr, s->interface);
      break;
    case MCTX_E_IPV6_GROUP_ZONE_MISMATCH:
      text = g_strdup_printf ("group '%s' and interface '%s' name different "
          "interfaces: %s", s->group, s->interface, err->message);
      break;
    case MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE:
      text = g_strdup_printf ("group '%s' is interface- or link-local: set "
          "the interface property (or a link-local source-addr with its "
          "zone, like fe80::1%%eth0)", s->group);
      break;
    case MCTX_E_EXISTING_SOCKET_NOT_UDP:
      text = g_strdup_printf ("The socket property is not a UDP socket: %s",
          err->message);
      break;
    case MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH:
    case MCTX_E_EXISTING_SOCKET_PORT_MISMATCH:
    case MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH:
      text = g_strdup_printf ("The socket property does not fit the settings "
          "(group '%s', source-addr '%s', source-port %d): %s", s->group,
          or_unset (s->source_addr), s->source_port, err->message);
      break;
    case MCTX_E_SOCKET_BIND_FAILED:
      system = TRUE;
      text = bind_failed_text (s, err);
      break;
    case MCTX_E_SOCKET_OPTION_FAILED:
      system = TRUE;
      text = address_not_usable_text (s, err);
      if (text)
        break;
      text = setting_refused_text (s, err);
      if (text)
        break;
      text = g_strdup_printf ("Cannot set up the socket for group '%s' "
          "(interface '%s', ttl %d, qos-dscp %d, buffer-size %d): %s",
          s->group, or_unset (s->interface), s->ttl, s->qos_dscp,
          s->buffer_size, err->message);
      break;
    case MCTX_E_SOCKET_CONNECT_FAILED:
      system = TRUE;
      /* libmctx's message says what a refusal means (which route is
       * missing, and how to add the one for IPv6 multicast on lo). */
      text = g_strdup_printf ("Cannot send to group '%s' port %d "
          "(interface '%s'): %s", s->group, s->port, or_unset (s->interface),
          err->message);
      break;
    case MCTX_E_SOCKET_CREATE_FAILED:
      system = TRUE;
      text = g_strdup_printf ("Cannot create a socket for group '%s'%s: %s",
          s->group, s->have_socket ? " from the socket property" : "",
          err->message);
      break;
    default:
      system = rc <= MCTX_E_SOCKET_CREATE_FAILED;
      text = g_strdup_printf ("Cannot send to group '%s' port %d: %s",
          or_unset (s->group), s->port, err->message);
      break;
  }
  post (sink, system, text, rc, err);
  g_free (shown.group);
  g_free (shown.source_addr);
  g_free (shown.interface);
}
