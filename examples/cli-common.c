/* SPDX-License-Identifier: BSD-2-Clause */
#include "cli-common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(_WIN32)
#  include <winsock2.h>
#else
#  include <poll.h>
#endif

bool
cli_parse_unsigned(const char *text, uint64_t max, uint64_t *out)
{
  if (text == NULL || text[0] < '0' || text[0] > '9')
    return false;
  uint64_t value = 0;
  for (const char *p = text; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return false;
    unsigned digit = (unsigned) (*p - '0');
    if (digit > max || value > (max - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

static bool
value_too_long(const char *text)
{
  return strnlen(text, CLI_VALUE_MAX + 1) > CLI_VALUE_MAX;
}

int
cli_value_len(const char *text)
{
  return value_too_long(text) ? CLI_VALUE_MAX - 3 : (int) strlen(text);
}

const char *
cli_value_more(const char *text)
{
  return value_too_long(text) ? "..." : "";
}

int
cli_usage_error(const char *prog, const char *hint, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fprintf(stderr, "%s\n", hint);
  return CLI_EXIT_USAGE;
}

void
cli_sleep_ms(uint64_t ms)
{
#if defined(_WIN32)
  Sleep((DWORD) ms);
#else
  struct timespec ts = {.tv_sec = (time_t) (ms / 1000),
                        .tv_nsec = (long) (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
#endif
}

int
cli_wait_writable(int fd, int timeout_ms, char *why, size_t size)
{
#if defined(_WIN32)
  WSAPOLLFD pfd = {.fd = (SOCKET) (intptr_t) fd, .events = POLLWRNORM};
  int ready = WSAPoll(&pfd, 1, timeout_ms);
  if (ready < 0) {
    snprintf(why, size, "WSAPoll failed: Winsock error %d", WSAGetLastError());
    return -1;
  }
#else
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  int ready = poll(&pfd, 1, timeout_ms);
  if (ready < 0 && errno == EINTR)
    return 0;
  if (ready < 0) {
    snprintf(why, size, "%s", strerror(errno));
    return -1;
  }
#endif
  return ready > 0 ? 1 : 0;
}
