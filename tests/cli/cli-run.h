/* Runs the mctx-send binary under test and captures what a user would see.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_CLI_RUN_H
#define MCTX_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_OUTPUT_MAX 16384

typedef struct cli_result {
  int exit_status; /* 0..255, or 128+signal */
  char out[CLI_OUTPUT_MAX];
  char err[CLI_OUTPUT_MAX];
} cli_result;

/* Runs program with args (NULL-terminated, argv[0] excluded), stdin closed,
 * capturing stdout and stderr. The child is killed after 20 s. Fails the test
 * when it cannot be started. */
void cli_run(const char *program, const char *const *args, cli_result *res);

/* True when haystack contains needle. */
bool cli_contains(const char *haystack, const char *needle);

/* Number of lines of text equal to line. */
int cli_count_lines(const char *text, const char *line);

/* cli_run, then fails the test (naming `what`) unless the exit status is 0. */
void cli_run_ok(const char *what, const char *program, const char *const *args,
                cli_result *res);

/* Fails the test unless res's stdout has exactly count lines equal to line. */
void cli_expect_lines(const char *what, const cli_result *res, const char *line,
                      int count);

#endif
