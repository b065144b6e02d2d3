/* What the command-line demos (mctx-send, mctx-raw-send) share: strict
 * number parsing, the usage error, sleeping between sends and waiting for
 * a full socket, on POSIX and Windows.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_EXAMPLES_CLI_COMMON_H
#define MCTX_EXAMPLES_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__MINGW32__)
#  define CLI_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#  define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

/* Exit status of a command line that could not be understood. */
#define CLI_EXIT_USAGE 2

/* Strict decimal: digits only (no sign, space, or suffix), at most max.
 * False for NULL (a missing option value) and anything else. */
bool cli_parse_unsigned(const char *text, uint64_t max, uint64_t *out);

/* Prints "<prog>: <message>" and then the hint line to stderr; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *hint, const char *fmt, ...)
    CLI_PRINTF(3, 4);

/* A user's value as a message repeats it: whole when it is at most
 * CLI_VALUE_MAX bytes, otherwise its start and "..." (as libmctx's
 * messages, MCTX_ERROR_VALUE_MAX), so that a huge argument is not echoed
 * whole. Use as usage_error ("'" CLI_VALUE_FMT "'", CLI_VALUE (text)). */
#define CLI_VALUE_MAX 64
#define CLI_VALUE_FMT "%.*s%s"
#define CLI_VALUE(text) cli_value_len(text), (text), cli_value_more(text)
int cli_value_len(const char *text);
const char *cli_value_more(const char *text);

/* Sleeps ms milliseconds, going on after signals. */
void cli_sleep_ms(uint64_t ms);

/* Waits at most timeout_ms for socket fd (mctx_publication_get_fd) to take
 * more data: 1 when it can, 0 on timeout or a signal, -1 on failure with
 * its text in why. poll on POSIX, WSAPoll on Windows. */
int cli_wait_writable(int fd, int timeout_ms, char *why, size_t size);

#endif
