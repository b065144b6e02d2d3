/* SPDX-License-Identifier: BSD-2-Clause */
#include "cli-run.h"

#include "testnet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CHILD_TIMEOUT_MS 20000

static long long
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
append(char *buf, size_t *used, const char *data, size_t len)
{
  size_t room = CLI_OUTPUT_MAX - 1 - *used;
  if (len > room)
    len = room;
  memcpy(buf + *used, data, len);
  *used += len;
  buf[*used] = '\0';
}

void
cli_run(const char *program, const char *const *args, cli_result *res)
{
  const char *argv[64];
  int argc = 0;
  argv[argc++] = program;
  for (; args[argc - 1] != NULL; argc++) {
    TESTNET_CHECK(argc < 63, "too many arguments");
    argv[argc] = args[argc - 1];
  }
  argv[argc] = NULL;

  int out_pipe[2], err_pipe[2];
  TESTNET_CHECK(pipe2(out_pipe, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
  TESTNET_CHECK(pipe2(err_pipe, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  pid_t pid;
  int rc =
      posix_spawn(&pid, program, &actions, NULL, (char *const *) argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  TESTNET_CHECK(rc == 0, "cannot start %s: %s", program, strerror(rc));
  close(out_pipe[1]);
  close(err_pipe[1]);

  size_t out_used = 0, err_used = 0;
  res->out[0] = res->err[0] = '\0';
  struct pollfd fds[2] = {
      {.fd = out_pipe[0], .events = POLLIN},
      {.fd = err_pipe[0], .events = POLLIN},
  };
  long long deadline = now_ms() + CHILD_TIMEOUT_MS;
  bool killed = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    long long left = deadline - now_ms();
    if (left <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    int n = poll(fds, 2, (int) left);
    if (n < 0 && errno == EINTR)
      continue;
    TESTNET_CHECK(n >= 0, "poll: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char chunk[4096];
      ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      if (i == 0)
        append(res->out, &out_used, chunk, (size_t) got);
      else
        append(res->err, &err_used, chunk, (size_t) got);
    }
  }
  for (int i = 0; i < 2; i++)
    if (fds[i].fd >= 0)
      close(fds[i].fd);

  int status;
  while (waitpid(pid, &status, 0) < 0)
    TESTNET_CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
  TESTNET_CHECK(!killed, "%s did not finish within %d ms", program,
                CHILD_TIMEOUT_MS);
  res->exit_status =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool
cli_contains(const char *haystack, const char *needle)
{
  return strstr(haystack, needle) != NULL;
}

int
cli_count_lines(const char *text, const char *line)
{
  size_t len = strlen(line);
  int count = 0;
  for (const char *p = text; *p != '\0';) {
    const char *end = strchr(p, '\n');
    size_t n = end ? (size_t) (end - p) : strlen(p);
    if (n == len && memcmp(p, line, len) == 0)
      count++;
    if (!end)
      break;
    p = end + 1;
  }
  return count;
}

void
cli_run_ok(const char *what, const char *program, const char *const *args,
           cli_result *res)
{
  cli_run(program, args, res);
  TESTNET_CHECK(res->exit_status == 0, "%s: exit %d, stderr: %s", what,
                res->exit_status, res->err);
}

void
cli_expect_lines(const char *what, const cli_result *res, const char *line,
                 int count)
{
  int got = cli_count_lines(res->out, line);
  TESTNET_CHECK(got == count, "%s: want %d lines \"%s\", got %d in:\n%s", what,
                count, line, got, res->out);
}
