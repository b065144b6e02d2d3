/* Heimdall JSONL (heimdall-jsonl-v1): serialisation, validation and an
 * appending writer that holds an exclusive lock on its file.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * json-glib parses; the output is generated here because json-glib's
 * generator neither sorts keys nor keeps a decimal point on whole doubles,
 * and the files must read byte for byte like mctx-core's serde_json output.
 */
#include "mctx-jsonl.h"
#include "jsonl-strict.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A caller's value as a message repeats it: whole up to max bytes, else
 * its start and "...", so that a 10 MB value is not echoed whole (libmctx
 * cuts its values at MCTX_ERROR_VALUE_MAX, 64; a path may be as long as
 * any real one). Use as "%.*s%s", SHOWN(text, max). */
#define FLAGS_SHOWN 64
#define PATH_SHOWN 1024
#define SHOWN(text, max) \
  shown_len(text, max), (text), strnlen(text, (max) + 1) > (max) ? "..." : ""

static int
shown_len(const char *text, size_t max)
{
  size_t len = strnlen(text, max + 1);
  return (int) (len > max ? max - 3 : len);
}

static const char *const reserved_keys[] = {
    "schema", "artifact_type", "node_id", "producer", "flags",
};

struct _MctxJsonlWriter {
  gchar *path;
  int fd;
  JsonObject *header;
  gboolean header_pending; /* the file has no header yet */
  gboolean needs_newline;  /* the file's last line lacks its '\n' */
  gchar *warning;          /* what open repaired, or NULL */
};

G_DEFINE_QUARK(mctx - jsonl - error - quark, mctx_jsonl_error)

/* ---- serialisation ------------------------------------------------------- */

static void append_node(GString *out, JsonNode *node, guint depth);

static void
append_string(GString *out, const gchar *s)
{
  gchar *valid = NULL;

  if (!g_utf8_validate(s, -1, NULL))
    s = valid = g_utf8_make_valid(s, -1);
  g_string_append_c(out, '"');
  for (const guchar *p = (const guchar *) s; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append(out, "\\\"");
        break;
      case '\\':
        g_string_append(out, "\\\\");
        break;
      case '\b':
        g_string_append(out, "\\b");
        break;
      case '\f':
        g_string_append(out, "\\f");
        break;
      case '\n':
        g_string_append(out, "\\n");
        break;
      case '\r':
        g_string_append(out, "\\r");
        break;
      case '\t':
        g_string_append(out, "\\t");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf(out, "\\u%04x", *p);
        else
          g_string_append_c(out, (gchar) *p);
    }
  }
  g_string_append_c(out, '"');
  g_free(valid);
}

/* The shortest digits that read back as v, laid out as serde_json (ryu)
 * does: plain decimal with at least one fractional digit when the decimal
 * exponent is in -5..15 ("1.0", "0.001", "1779999999.123"), otherwise
 * "1e16" / "1.5e-7". Uses g_ascii_* so the locale never turns '.' into ','. */
static void
append_double(GString *out, double v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE + 32];
  gchar fmt[16];
  int digits;

  if (!isfinite(v)) {
    g_string_append(out, "null");
    return;
  }
  for (digits = 1; digits < 17; digits++) {
    g_snprintf(fmt, sizeof fmt, "%%.%de", digits - 1);
    g_ascii_formatd(buf, sizeof buf, fmt, v);
    if (g_ascii_strtod(buf, NULL) == v)
      break;
  }
  g_snprintf(fmt, sizeof fmt, "%%.%de", digits - 1);
  g_ascii_formatd(buf, sizeof buf, fmt, v);
  gchar *e = strchr(buf, 'e');
  int exp10 = e ? atoi(e + 1) : 0;

  if (exp10 >= -5 && exp10 <= 15) {
    int decimals = MAX(digits - 1 - exp10, 0);
    g_snprintf(fmt, sizeof fmt, "%%.%df", decimals);
    g_ascii_formatd(buf, sizeof buf, fmt, v);
    g_string_append(out, buf);
    if (decimals == 0)
      g_string_append(out, ".0");
    return;
  }
  if (e != NULL)
    *e = '\0';
  g_string_append_printf(out, "%se%d", buf, exp10);
}

typedef struct {
  gchar *printed; /* the name as written: made valid UTF-8 */
  const gchar *name;
} member_name;

static gint
compare_printed(gconstpointer a, gconstpointer b)
{
  return strcmp(((const member_name *) a)->printed,
                ((const member_name *) b)->printed);
}

/* depth: how many objects and arrays enclose this one. Values below
 * MCTX_JSONL_MAX_DEPTH levels print as null, so that the recursion is
 * bounded even for an object that was never validated. Members are sorted
 * by their names as printed: a name that is not UTF-8 is printed made
 * valid, and sorting the raw bytes would then leave it out of order. */
static void
append_object(GString *out, JsonObject *object, guint depth)
{
  if (depth >= MCTX_JSONL_MAX_DEPTH) {
    g_string_append(out, "null");
    return;
  }
  GList *names = json_object_get_members(object);
  guint n = g_list_length(names), i = 0;
  member_name *sorted = g_new(member_name, MAX(n, 1));

  for (GList *l = names; l != NULL; l = l->next, i++) {
    sorted[i].name = l->data;
    sorted[i].printed = g_utf8_make_valid(l->data, -1);
  }
  qsort(sorted, n, sizeof *sorted, compare_printed);
  g_string_append_c(out, '{');
  for (i = 0; i < n; i++) {
    /* Two names made valid alike: the first stands, JSON names are unique. */
    if (i > 0 && strcmp(sorted[i].printed, sorted[i - 1].printed) == 0)
      continue;
    if (i > 0)
      g_string_append_c(out, ',');
    append_string(out, sorted[i].printed);
    g_string_append_c(out, ':');
    append_node(out, json_object_get_member(object, sorted[i].name), depth + 1);
  }
  g_string_append_c(out, '}');
  for (i = 0; i < n; i++)
    g_free(sorted[i].printed);
  g_free(sorted);
  g_list_free(names);
}

static void
append_node(GString *out, JsonNode *node, guint depth)
{
  switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
      append_object(out, json_node_get_object(node), depth);
      return;
    case JSON_NODE_ARRAY: {
      if (depth >= MCTX_JSONL_MAX_DEPTH) {
        g_string_append(out, "null");
        return;
      }
      JsonArray *array = json_node_get_array(node);
      guint n = json_array_get_length(array);
      g_string_append_c(out, '[');
      for (guint i = 0; i < n; i++) {
        if (i > 0)
          g_string_append_c(out, ',');
        append_node(out, json_array_get_element(array, i), depth + 1);
      }
      g_string_append_c(out, ']');
      return;
    }
    case JSON_NODE_NULL:
      g_string_append(out, "null");
      return;
    case JSON_NODE_VALUE:
      break;
  }
  GType type = json_node_get_value_type(node);
  if (type == G_TYPE_INT64)
    g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
  else if (type == G_TYPE_DOUBLE)
    append_double(out, json_node_get_double(node));
  else if (type == G_TYPE_BOOLEAN)
    g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
  else if (type == G_TYPE_STRING)
    append_string(out, json_node_get_string(node));
  else
    g_string_append(out, "null");
}

static gchar *
node_to_string(JsonNode *node)
{
  GString *out = g_string_new(NULL);
  append_node(out, node, 0);
  return g_string_free(out, FALSE);
}

gchar *
mctx_jsonl_to_string(JsonObject *object)
{
  GString *out = g_string_new(NULL);
  append_object(out, object, 0);
  return g_string_free(out, FALSE);
}

/* ---- validation ---------------------------------------------------------- */

static gboolean
node_is_finite_number(JsonNode *node, double *value)
{
  if (node == NULL || json_node_get_node_type(node) != JSON_NODE_VALUE)
    return FALSE;
  GType type = json_node_get_value_type(node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  double v = json_node_get_double(node); /* converts integers too */
  if (!isfinite(v))
    return FALSE;
  if (value)
    *value = v;
  return TRUE;
}

static gboolean
node_is_string(JsonNode *node)
{
  return node != NULL && json_node_get_node_type(node) == JSON_NODE_VALUE &&
         json_node_get_value_type(node) == G_TYPE_STRING;
}

static const char *
node_kind(JsonNode *node)
{
  switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
  }
  GType type = json_node_get_value_type(node);
  if (type == G_TYPE_STRING)
    return "a string";
  if (type == G_TYPE_BOOLEAN)
    return "a boolean";
  return "a number";
}

/* TRUE when node holds objects or arrays nested more than levels deep. The
 * recursion stops at the limit, whatever the object's real depth. */
static gboolean
nested_deeper_than(JsonNode *node, guint levels)
{
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    if (levels == 0)
      return TRUE;
    JsonObject *object = json_node_get_object(node);
    GList *names = json_object_get_members(object);
    gboolean deeper = FALSE;
    for (GList *l = names; l != NULL && !deeper; l = l->next)
      deeper = nested_deeper_than(json_object_get_member(object, l->data),
                                  levels - 1);
    g_list_free(names);
    return deeper;
  }
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    if (levels == 0)
      return TRUE;
    JsonArray *array = json_node_get_array(node);
    guint n = json_array_get_length(array);
    for (guint i = 0; i < n; i++)
      if (nested_deeper_than(json_array_get_element(array, i), levels - 1))
        return TRUE;
  }
  return FALSE;
}

static gboolean
object_too_deep(JsonObject *object)
{
  JsonNode *node = json_node_init_object(json_node_alloc(), object);
  gboolean deeper = nested_deeper_than(node, MCTX_JSONL_MAX_DEPTH);
  json_node_unref(node);
  return deeper;
}

/* NULL when valid, else why not (free with g_free). */
static gchar *
header_problem(JsonObject *header)
{
  static const char *const text_keys[] = {"artifact_type", "node_id",
                                          "producer"};
  JsonNode *node = json_object_get_member(header, "schema");

  if (node == NULL)
    return g_strdup("member \"schema\" is missing");
  if (!node_is_string(node) ||
      strcmp(json_node_get_string(node), MCTX_JSONL_SCHEMA) != 0) {
    gchar *text = node_to_string(node);
    gchar *why = g_strdup_printf(
        "\"schema\" is %s, not \"" MCTX_JSONL_SCHEMA "\"", text);
    g_free(text);
    return why;
  }
  for (guint i = 0; i < G_N_ELEMENTS(text_keys); i++) {
    node = json_object_get_member(header, text_keys[i]);
    if (node == NULL)
      return g_strdup_printf("member \"%s\" is missing", text_keys[i]);
    if (!node_is_string(node))
      return g_strdup_printf("\"%s\" must be a string, not %s", text_keys[i],
                             node_kind(node));
    const gchar *s = json_node_get_string(node);
    if (!g_utf8_validate(s, -1, NULL))
      return g_strdup_printf("\"%s\" is not valid UTF-8", text_keys[i]);
    gchar *trimmed = g_strstrip(g_strdup(s));
    gboolean blank = trimmed[0] == '\0';
    g_free(trimmed);
    if (blank)
      return g_strdup_printf("\"%s\" is blank", text_keys[i]);
  }
  node = json_object_get_member(header, "created_at");
  if (node == NULL)
    return g_strdup("member \"created_at\" is missing");
  if (!node_is_finite_number(node, NULL))
    return g_strdup_printf("\"created_at\" must be a finite number, not %s",
                           node_kind(node));
  node = json_object_get_member(header, "flags");
  if (node == NULL)
    return g_strdup("member \"flags\" is missing");
  if (!JSON_NODE_HOLDS_OBJECT(node))
    return g_strdup_printf("\"flags\" must be a JSON object, not %s",
                           node_kind(node));
  if (object_too_deep(header))
    return g_strdup_printf("\"flags\" nest objects and arrays deeper than "
                           "%d levels (the header counts as one)",
                           MCTX_JSONL_MAX_DEPTH);
  return NULL;
}

static gchar *
row_problem(JsonObject *row)
{
  double interval;

  for (guint i = 0; i < G_N_ELEMENTS(reserved_keys); i++)
    if (json_object_has_member(row, reserved_keys[i]))
      return g_strdup_printf("a row must not contain the header key \"%s\"",
                             reserved_keys[i]);
  JsonNode *ts = json_object_get_member(row, "ts");
  if (ts == NULL)
    return g_strdup("member \"ts\" is missing");
  if (!node_is_finite_number(ts, NULL))
    return g_strdup_printf("\"ts\" must be a finite number, not %s",
                           node_kind(ts));
  JsonNode *node = json_object_get_member(row, "interval_secs");
  if (node == NULL)
    return g_strdup("member \"interval_secs\" is missing");
  if (!node_is_finite_number(node, &interval))
    return g_strdup_printf("\"interval_secs\" must be a finite number, not %s",
                           node_kind(node));
  if (interval < 0.0)
    return g_strdup_printf("\"interval_secs\" is negative (%g)", interval);
  if (object_too_deep(row))
    return g_strdup_printf("it nests objects and arrays deeper than %d levels "
                           "(the row counts as one)",
                           MCTX_JSONL_MAX_DEPTH);
  return NULL;
}

gboolean
mctx_jsonl_header_validate(JsonObject *header, GError **error)
{
  gchar *why;

  g_return_val_if_fail(header != NULL, FALSE);
  why = header_problem(header);
  if (why == NULL)
    return TRUE;
  g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
              "invalid " MCTX_JSONL_SCHEMA " header: %s", why);
  g_free(why);
  return FALSE;
}

gboolean
mctx_jsonl_row_validate(JsonObject *row, GError **error)
{
  gchar *why;

  g_return_val_if_fail(row != NULL, FALSE);
  why = row_problem(row);
  if (why == NULL)
    return TRUE;
  g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
              "invalid " MCTX_JSONL_SCHEMA " row: %s", why);
  g_free(why);
  return FALSE;
}

/* ---- node id, flags, header ---------------------------------------------- */

static gboolean
usable_name(const gchar *name)
{
  if (name == NULL || !g_utf8_validate(name, -1, NULL))
    return FALSE;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return FALSE;
  for (const gchar *p = name; *p; p++)
    if (!g_ascii_isspace(*p))
      return TRUE;
  return FALSE;
}

gchar *
mctx_jsonl_infer_node_id(const gchar *path)
{
  gchar **parts;
  const gchar *file = NULL, *parent = NULL;
  gchar *result = NULL;

  if (path == NULL)
    return g_strdup("unknown");
  /* Components as a path library sees them: "a//b/./c/" is a, b, c. */
  parts = g_strsplit(path, "/", -1);
  for (gchar **p = parts; *p; p++) {
    if ((*p)[0] == '\0' || strcmp(*p, ".") == 0)
      continue;
    parent = file;
    file = *p;
  }
  if (usable_name(parent)) {
    result = g_strstrip(g_strdup(parent));
  } else if (file != NULL && strcmp(file, "..") != 0) {
    /* The stem: up to the last '.', unless that dot starts the name. */
    const gchar *dot = strrchr(file, '.');
    gchar *stem = (dot != NULL && dot != file) ? g_strndup(file, dot - file)
                                               : g_strdup(file);
    if (usable_name(stem))
      result = g_strstrip(stem);
    else
      g_free(stem);
  }
  g_strfreev(parts);
  return result != NULL ? result : g_strdup("unknown");
}

static gboolean
text_is_blank(const gchar *text)
{
  for (; text != NULL && *text; text++)
    if (!g_ascii_isspace(*text))
      return FALSE;
  return TRUE;
}

static void
copy_members(JsonObject *to, JsonObject *from)
{
  GList *names = json_object_get_members(from);
  for (GList *l = names; l != NULL; l = l->next)
    json_object_set_member(
        to, l->data, json_node_copy(json_object_get_member(from, l->data)));
  g_list_free(names);
}

/* Why text is not one strict JSON value nested at most max_depth deep, or
 * NULL when it is (free with g_free). *result says how it failed. */
static gchar *
strict_problem(const gchar *text, gsize len, guint max_depth,
               jsonl_strict_result *result)
{
  jsonl_strict_problem problem = {0, NULL};

  *result = jsonl_strict_check(text, len, max_depth, &problem);
  switch (*result) {
    case JSONL_STRICT_OK:
      return NULL;
    case JSONL_STRICT_TOO_DEEP:
      return g_strdup_printf("objects and arrays nested deeper than %u levels "
                             "(at byte %" G_GSIZE_FORMAT ")",
                             max_depth, problem.offset + 1);
    case JSONL_STRICT_INCOMPLETE:
    case JSONL_STRICT_INVALID:
      break;
  }
  return g_strdup_printf("not valid JSON: %s at byte %" G_GSIZE_FORMAT,
                         problem.why, problem.offset + 1);
}

JsonObject *
mctx_jsonl_flags_merge(JsonObject *builtin, const gchar *user_json,
                       GError **error)
{
  JsonObject *flags = json_object_new();

  if (!text_is_blank(user_json)) {
    jsonl_strict_result result;
    /* The flags object sits inside the header line, one level down. */
    gchar *why = strict_problem(user_json, strlen(user_json),
                                MCTX_JSONL_MAX_DEPTH - 1, &result);
    if (why != NULL) {
      if (result == JSONL_STRICT_TOO_DEEP)
        g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
                    "flags have %s: a header line nests at most %d, itself "
                    "included",
                    why, MCTX_JSONL_MAX_DEPTH);
      else
        g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
                    "flags are %s: %.*s%s", why, SHOWN(user_json, FLAGS_SHOWN));
      g_free(why);
      json_object_unref(flags);
      return NULL;
    }
    JsonParser *parser = json_parser_new();
    GError *parse_error = NULL;
    if (!json_parser_load_from_data(parser, user_json, -1, &parse_error)) {
      g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
                  "flags are not valid JSON (%s): %.*s%s", parse_error->message,
                  SHOWN(user_json, FLAGS_SHOWN));
      g_error_free(parse_error);
      g_object_unref(parser);
      json_object_unref(flags);
      return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
      g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
                  "flags must be a JSON object, not %s: %.*s%s",
                  root != NULL ? node_kind(root) : "nothing",
                  SHOWN(user_json, FLAGS_SHOWN));
      g_object_unref(parser);
      json_object_unref(flags);
      return NULL;
    }
    copy_members(flags, json_node_get_object(root));
    g_object_unref(parser);
  }
  if (builtin != NULL)
    copy_members(flags, builtin);
  return flags;
}

JsonObject *
mctx_jsonl_header_new(const gchar *artifact_type, const gchar *producer,
                      const gchar *node_id, gdouble created_at,
                      JsonObject *flags)
{
  JsonObject *header = json_object_new();
  JsonObject *flags_copy = json_object_new();

  if (flags != NULL)
    copy_members(flags_copy, flags);
  json_object_set_string_member(header, "schema", MCTX_JSONL_SCHEMA);
  json_object_set_string_member(header, "artifact_type",
                                artifact_type ? artifact_type : "");
  json_object_set_string_member(header, "node_id", node_id ? node_id : "");
  json_object_set_string_member(header, "producer", producer ? producer : "");
  json_object_set_double_member(header, "created_at", created_at);
  json_object_set_object_member(header, "flags", flags_copy);
  return header;
}

/* ---- rows ------------------------------------------------------------------ */

JsonObject *
mctx_jsonl_row_new(gdouble ts, gdouble interval_secs)
{
  JsonObject *row = json_object_new();
  json_object_set_double_member(row, "ts", ts);
  json_object_set_double_member(row, "interval_secs", interval_secs);
  return row;
}

void
mctx_jsonl_row_set_uint(JsonObject *row, const gchar *name, guint64 value)
{
  json_object_set_int_member(row, name,
                             (gint64) MIN(value, (guint64) G_MAXINT64));
}

void
mctx_jsonl_row_set_counter(JsonObject *row, const gchar *name,
                           const gchar *rate_name, guint64 total, guint64 delta,
                           gdouble interval_secs)
{
  gchar *key = g_strconcat(name, "_total", NULL);
  mctx_jsonl_row_set_uint(row, key, total);
  g_free(key);
  key = g_strconcat(name, "_delta", NULL);
  mctx_jsonl_row_set_uint(row, key, delta);
  g_free(key);
  key = g_strconcat(rate_name ? rate_name : name, "_per_sec", NULL);
  json_object_set_double_member(row, key,
                                mctx_metrics_rate(delta, interval_secs));
  g_free(key);
}

void
mctx_jsonl_row_set_pacing(JsonObject *row, guint64 paced_total,
                          guint64 paced_delta, guint64 late_sum_delta_ns,
                          guint64 late_max_ns)
{
  if (paced_total == 0)
    return;
  mctx_jsonl_row_set_uint(row, "paced_packets_total", paced_total);
  mctx_jsonl_row_set_uint(row, "paced_packets_delta", paced_delta);
  json_object_set_double_member(
      row, "pacing_late_mean_us",
      paced_delta ? late_sum_delta_ns / 1e3 / paced_delta : 0.0);
  json_object_set_double_member(row, "pacing_late_max_us", late_max_ns / 1e3);
}

void
mctx_jsonl_row_set_queue_drops(JsonObject *row, guint64 total, guint64 delta,
                               gdouble interval_secs, const gchar *qdisc)
{
  mctx_jsonl_row_set_counter(row, "queue_drops", NULL, total, delta,
                             interval_secs);
  /* The counters are the qdisc's, for the whole interface: a reader of the
   * row must not take them for this stream's own losses. */
  json_object_set_string_member(row, "queue_drops_scope", "interface");
  if (qdisc != NULL)
    json_object_set_string_member(row, "qdisc", qdisc);
}

JsonObject *
mctx_jsonl_network_row_new(const mctx_metrics *now,
                           const mctx_metrics_delta *delta)
{
  static const mctx_metrics_delta no_delta;
  const mctx_metrics_delta *d = delta ? delta : &no_delta;
  double secs = d->interval_secs;
  JsonObject *row = mctx_jsonl_row_new(now->captured_at, secs);

  mctx_jsonl_row_set_uint(row, "active_publications", now->active_publications);
  mctx_jsonl_row_set_uint(row, "publications_added_total",
                          now->publications_added);
  mctx_jsonl_row_set_uint(row, "publications_added_delta",
                          d->publications_added);
  mctx_jsonl_row_set_uint(row, "publications_removed_total",
                          now->publications_removed);
  mctx_jsonl_row_set_uint(row, "publications_removed_delta",
                          d->publications_removed);
  mctx_jsonl_row_set_counter(row, "send_calls", NULL, now->send_calls,
                             d->send_calls, secs);
  mctx_jsonl_row_set_counter(row, "packets_sent", "packets", now->packets_sent,
                             d->packets_sent, secs);
  mctx_jsonl_row_set_counter(row, "bytes_sent", "bytes", now->bytes_sent,
                             d->bytes_sent, secs);
  mctx_jsonl_row_set_counter(row, "send_errors", NULL, now->send_errors,
                             d->send_errors, secs);
  mctx_jsonl_row_set_counter(row, "would_block", NULL, now->would_block,
                             d->would_block, secs);
  mctx_jsonl_row_set_pacing(row, now->paced_packets, d->paced_packets,
                            d->pacing_late_ns_sum, now->pacing_late_max_ns);
  return row;
}

/* ---- writer ---------------------------------------------------------------- */

static gboolean
fail_io(GError **error, int errsv, const gchar *what, const gchar *path)
{
  g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_IO, "%s '%.*s%s': %s",
              what, SHOWN(path, PATH_SHOWN), g_strerror(errsv));
  return FALSE;
}

static gboolean
same_string_member(JsonObject *a, JsonObject *b, const gchar *key)
{
  return g_strcmp0(json_object_get_string_member_with_default(a, key, NULL),
                   json_object_get_string_member_with_default(b, key, NULL)) ==
         0;
}

/* Equal in every member but created_at. Flags compare as serialised, i.e.
 * like serde_json values: 1 and 1.0 differ, member order does not matter. */
static gchar *
incompatibility(JsonObject *existing, JsonObject *wanted)
{
  static const char *const keys[] = {"schema", "artifact_type", "node_id",
                                     "producer"};

  for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
    if (!same_string_member(existing, wanted, keys[i]))
      return g_strdup_printf(
          "\"%s\" is \"%s\" in the file but \"%s\" was asked for", keys[i],
          json_object_get_string_member(existing, keys[i]),
          json_object_get_string_member(wanted, keys[i]));
  gchar *have = node_to_string(json_object_get_member(existing, "flags"));
  gchar *want = node_to_string(json_object_get_member(wanted, "flags"));
  gchar *why = NULL;
  if (strcmp(have, want) != 0)
    why = g_strdup_printf("\"flags\" are %s in the file but %s was asked for",
                          have, want);
  g_free(have);
  g_free(want);
  return why;
}

static gboolean
fail_data(GError **error, const gchar *path, guint line, gchar *why)
{
  g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_DATA,
              "'%.*s%s' line %u: %s", SHOWN(path, PATH_SHOWN), line, why);
  g_free(why);
  return FALSE;
}

/* True when the line holds JSON whitespace only (RFC 8259's four bytes). */
static gboolean
line_is_blank(const gchar *line, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      return FALSE;
  return TRUE;
}

typedef struct {
  MctxJsonlWriter *w;
  JsonParser *parser;
  gboolean seen_header;
} line_checker;

/* NULL when the line (without its newline) is blank or a valid header or
 * row in its place, else why not (free with g_free). *cut_short says that
 * the text only stops early, as a write cut short leaves it. */
static gchar *
line_problem(line_checker *c, const gchar *line, gsize len, gboolean *cut_short)
{
  jsonl_strict_result result;
  GError *parse_error = NULL;
  gchar *why;

  *cut_short = FALSE;
  if (line_is_blank(line, len))
    return NULL;
  /* Before json-glib, which would take what is not JSON and recurse without
   * a bound (see jsonl-strict.c). */
  why = strict_problem(line, len, MCTX_JSONL_MAX_DEPTH, &result);
  if (why != NULL) {
    *cut_short = result == JSONL_STRICT_INCOMPLETE;
    return why;
  }
  if (!json_parser_load_from_data(c->parser, line, (gssize) len,
                                  &parse_error)) {
    why = g_strdup_printf("not valid JSON (%s)", parse_error->message);
    g_error_free(parse_error);
    return why;
  }
  JsonNode *root = json_parser_get_root(c->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    return g_strdup_printf("expected a JSON object, found %s",
                           root ? node_kind(root) : "nothing");
  JsonObject *object = json_node_get_object(root);
  if (!c->seen_header) {
    if (!json_object_has_member(object, "schema"))
      return g_strdup("the file has no " MCTX_JSONL_SCHEMA " header: its "
                      "first line has no \"schema\"");
    if ((why = header_problem(object)) != NULL) {
      gchar *full = g_strdup_printf("invalid header: %s", why);
      g_free(why);
      return full;
    }
    if ((why = incompatibility(object, c->w->header)) != NULL) {
      gchar *full =
          g_strdup_printf("the existing header does not match: %s", why);
      g_free(why);
      return full;
    }
    c->seen_header = TRUE;
    return NULL;
  }
  if (json_object_has_member(object, "schema"))
    return g_strdup("a second header; a file holds exactly one");
  if ((why = row_problem(object)) != NULL) {
    gchar *full = g_strdup_printf("invalid row: %s", why);
    g_free(why);
    return full;
  }
  return NULL;
}

/* Cuts the file back to length, the end of its last complete line. */
static gboolean
cut_partial_line(MctxJsonlWriter *w, off_t length, gsize partial_len,
                 guint number, GError **error)
{
  if (ftruncate(w->fd, length) != 0)
    return fail_io(error, errno, "cannot cut the partial last line of",
                   w->path);
  w->warning =
      g_strdup_printf("'%.*s%s' line %u was cut short (by a crash or a full "
                      "disk?); its %" G_GSIZE_FORMAT " bytes were removed",
                      SHOWN(w->path, PATH_SHOWN), number, partial_len);
  return TRUE;
}

/* Checks the existing file line by line in a bounded buffer, so that memory
 * does not grow with the file; notes whether it has a header yet and whether
 * its last line lacks the newline. A last line that is JSON cut short is
 * removed (with a warning): it is what a crash or a full disk leaves. */
static gboolean
check_existing(MctxJsonlWriter *w, GError **error)
{
  enum { CHUNK = 65536 };
  gchar *chunk = g_malloc(CHUNK);
  GString *line = g_string_sized_new(1024);
  line_checker checker = {w, json_parser_new(), FALSE};
  off_t offset = 0, line_start = 0;
  guint number = 0;
  gboolean ok = TRUE, cut_short;
  gchar *why;

  for (;;) {
    ssize_t n = pread(w->fd, chunk, CHUNK, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ok = fail_io(error, errno, "cannot read", w->path);
      goto out;
    }
    if (n == 0)
      break;
    for (const gchar *p = chunk, *end = chunk + n; p < end;) {
      const gchar *newline = memchr(p, '\n', (gsize) (end - p));
      gsize take = (gsize) ((newline ? newline : end) - p);
      if (line->len + take > MCTX_JSONL_MAX_LINE_BYTES) {
        ok = fail_data(
            error, w->path, number + 1,
            g_strdup_printf("longer than %d bytes, the most a line may hold",
                            MCTX_JSONL_MAX_LINE_BYTES));
        goto out;
      }
      g_string_append_len(line, p, (gssize) take);
      if (newline == NULL)
        break;
      number++;
      if ((why = line_problem(&checker, line->str, line->len, &cut_short))) {
        ok = fail_data(error, w->path, number, why);
        goto out;
      }
      g_string_truncate(line, 0);
      p = newline + 1;
      line_start = offset + (p - chunk);
    }
    offset += n;
  }
  w->needs_newline = line->len > 0;
  if (line->len > 0) {
    number++;
    why = line_problem(&checker, line->str, line->len, &cut_short);
    if (why != NULL && !cut_short) {
      ok = fail_data(error, w->path, number, why);
      goto out;
    }
    g_free(why);
    if (cut_short) {
      ok = cut_partial_line(w, line_start, line->len, number, error);
      w->needs_newline = FALSE;
    }
  }
  w->header_pending = !checker.seen_header;

out:
  g_object_unref(checker.parser);
  g_string_free(line, TRUE);
  g_free(chunk);
  return ok;
}

static const char *
file_kind(mode_t mode)
{
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

static gboolean
fail_not_regular(GError **error, const gchar *path, mode_t mode)
{
  g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
              "'%.*s%s' is %s; a metrics file must be a regular file",
              SHOWN(path, PATH_SHOWN), file_kind(mode));
  return FALSE;
}

/* A header line with created_at as long as a time can print. */
static gboolean
header_fits_a_line(JsonObject *header, GError **error)
{
  gchar *text = mctx_jsonl_to_string(header);
  gsize len = strlen(text) + G_ASCII_DTOSTR_BUF_SIZE;
  g_free(text);
  if (len <= MCTX_JSONL_MAX_LINE_BYTES)
    return TRUE;
  g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
              "the header line would be about %" G_GSIZE_FORMAT " bytes long, "
              "more than the %d a line may hold (are the flags that large?)",
              len, MCTX_JSONL_MAX_LINE_BYTES);
  return FALSE;
}

MctxJsonlWriter *
mctx_jsonl_writer_open(const gchar *path, JsonObject *header, GError **error)
{
  MctxJsonlWriter *w;
  struct stat st;
  gchar *dir;

  g_return_val_if_fail(path != NULL && header != NULL, NULL);
  if (path[0] == '\0') {
    g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
                "the metrics file path is empty");
    return NULL;
  }
  if (!mctx_jsonl_header_validate(header, error) ||
      !header_fits_a_line(header, error))
    return NULL;
  /* Reading /dev/zero would never end, and a device or FIFO is no file
   * to append rows to; refuse before creating anything. */
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    fail_not_regular(error, path, st.st_mode);
    return NULL;
  }

  dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    fail_io(error, errno, "cannot create the directory", dir);
    g_free(dir);
    return NULL;
  }
  g_free(dir);

  w = g_new0(MctxJsonlWriter, 1);
  w->path = g_strdup(path);
  w->header = json_object_ref(header);
  /* O_NONBLOCK: should the path turn into a FIFO after the stat, opening
   * it must not wait for a reader; fstat then refuses it. */
  w->fd = open(path,
               O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
               0644);
  if (w->fd < 0) {
    fail_io(error, errno, "cannot open", path);
    goto fail;
  }
  if (fstat(w->fd, &st) != 0) {
    fail_io(error, errno, "cannot stat", path);
    goto fail;
  }
  if (!S_ISREG(st.st_mode)) {
    fail_not_regular(error, path, st.st_mode);
    goto fail;
  }
  if (fcntl(w->fd, F_SETFL, O_APPEND) != 0) {
    fail_io(error, errno, "cannot set the flags of", path);
    goto fail;
  }
  if (flock(w->fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_LOCKED,
                  "'%.*s%s' is locked by another writer (only one may "
                  "append at a time)",
                  SHOWN(path, PATH_SHOWN));
    else
      fail_io(error, errno, "cannot lock", path);
    goto fail;
  }
  if (!check_existing(w, error))
    goto fail;
  return w;

fail:
  mctx_jsonl_writer_close(w);
  return NULL;
}

static gboolean
write_all(int fd, const gchar *data, gsize len, int *errsv)
{
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *errsv = errno;
      return FALSE;
    }
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

static gboolean
line_fits(const gchar *what, gsize len, GError **error)
{
  if (len <= MCTX_JSONL_MAX_LINE_BYTES)
    return TRUE;
  g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_INVALID_INPUT,
              "the %s line would be %" G_GSIZE_FORMAT " bytes long, more "
              "than the %d a line may hold",
              what, len, MCTX_JSONL_MAX_LINE_BYTES);
  return FALSE;
}

gboolean
mctx_jsonl_writer_append_row(MctxJsonlWriter *w, JsonObject *row,
                             GError **error)
{
  GString *out;
  struct stat st;
  gsize mark;
  gboolean ok = FALSE;
  int errsv = 0;

  g_return_val_if_fail(w != NULL && row != NULL, FALSE);
  if (!mctx_jsonl_row_validate(row, error))
    return FALSE;

  out = g_string_new(NULL);
  if (w->needs_newline)
    g_string_append_c(out, '\n');
  if (w->header_pending) {
    JsonNode *header = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(header, json_object_new());
    copy_members(json_node_get_object(header), w->header);
    /* The same number, so that created_at reads exactly like the row's ts. */
    json_object_set_member(json_node_get_object(header), "created_at",
                           json_node_copy(json_object_get_member(row, "ts")));
    mark = out->len;
    append_node(out, header, 0);
    json_node_unref(header);
    if (!line_fits("header", out->len - mark, error))
      goto out;
    g_string_append_c(out, '\n');
  }
  mark = out->len;
  append_object(out, row, 0);
  if (!line_fits("row", out->len - mark, error))
    goto out;
  g_string_append_c(out, '\n');

  /* A row is in the file whole or not at all: one write, and should the disk
   * fill up midway, the file is cut back to where the row began. */
  if (fstat(w->fd, &st) != 0) {
    fail_io(error, errno, "cannot stat", w->path);
    goto out;
  }
  if (!write_all(w->fd, out->str, out->len, &errsv)) {
    gboolean cut = ftruncate(w->fd, st.st_size) == 0;
    g_set_error(error, MCTX_JSONL_ERROR, MCTX_JSONL_ERROR_IO,
                "cannot write to '%.*s%s': %s (%s)", SHOWN(w->path, PATH_SHOWN),
                g_strerror(errsv),
                cut ? "the row was not written"
                    : "a partial row may stay at the end of the file");
    /* If the cut failed, the next row at least starts on a line of its own. */
    w->needs_newline = w->needs_newline || !cut;
    goto out;
  }
  w->header_pending = FALSE;
  w->needs_newline = FALSE;
  ok = TRUE;

out:
  g_string_free(out, TRUE);
  return ok;
}

const gchar *
mctx_jsonl_writer_get_warning(MctxJsonlWriter *w)
{
  g_return_val_if_fail(w != NULL, NULL);
  return w->warning;
}

const gchar *
mctx_jsonl_writer_get_path(MctxJsonlWriter *w)
{
  g_return_val_if_fail(w != NULL, NULL);
  return w->path;
}

void
mctx_jsonl_writer_close(MctxJsonlWriter *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close(w->fd); /* releases the flock */
  json_object_unref(w->header);
  g_free(w->warning);
  g_free(w->path);
  g_free(w);
}

gboolean
mctx_jsonl_append_row(const gchar *path, JsonObject *header, JsonObject *row,
                      GError **error)
{
  MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, error);
  if (w == NULL)
    return FALSE;
  gboolean ok = mctx_jsonl_writer_append_row(w, row, error);
  mctx_jsonl_writer_close(w);
  return ok;
}
