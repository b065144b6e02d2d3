/* SPDX-License-Identifier: BSD-2-Clause */
#include "testnet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#define MAX_PEERS 8

static char peer_names[MAX_PEERS][64];
static int peer_count;
static bool cleanup_registered;

void
testnet_skip(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("SKIP: ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
  fflush(stdout);
  exit(TESTNET_SKIP);
}

void
testnet_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL: %s:%d: (%s) ", file, line, cond);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static int
run_vsh(const char *fmt, va_list ap)
{
  char cmd[1024];
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  int status = system(cmd);
  int rc =
      (status == -1) ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  if (rc != 0)
    fprintf(stderr, "testnet: `%s` exited with %d\n", cmd, rc);
  return rc;
}

int
testnet_sh(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = run_vsh(fmt, ap);
  va_end(ap);
  return rc;
}

void
testnet_sh_ok(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = run_vsh(fmt, ap);
  va_end(ap);
  if (rc != 0)
    testnet_fail(__FILE__, __LINE__, "shell command", "exit status %d", rc);
}

void
testnet_private_netns_or_skip(void)
{
  if (geteuid() != 0)
    testnet_skip("needs root (CAP_SYS_ADMIN) to create a network namespace");
  if (unshare(CLONE_NEWNET) != 0)
    testnet_skip("unshare(CLONE_NEWNET) failed: %s", strerror(errno));
  if (system("command -v ip >/dev/null 2>&1") != 0)
    testnet_skip("the `ip` command (iproute2) is not installed");
  testnet_sh_ok("ip link set lo up");
  testnet_sh("ip -6 route add local ff00::/8 dev lo table local 2>/dev/null");
}

bool
testnet_have_cap_net_raw(void)
{
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0)
    return false;
  close(fd);
  return true;
}

static void
remove_peers(void)
{
  for (int i = 0; i < peer_count; i++) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ip netns del %.64s 2>/dev/null", peer_names[i]);
    if (system(cmd) != 0) {
      /* already gone */
    }
  }
  peer_count = 0;
}

/* A test killed by its timeout never runs its exit handlers, so its peer
 * namespaces stay behind: remove every "mctxt-<pid>-..." whose process is
 * gone. */
static void
remove_orphaned_peers(void)
{
  DIR *dir = opendir("/run/netns");
  if (dir == NULL)
    return;
  for (struct dirent *e; (e = readdir(dir)) != NULL;) {
    int pid;
    if (sscanf(e->d_name, "mctxt-%d-", &pid) != 1 || pid <= 0)
      continue;
    if (kill(pid, 0) == 0 || errno != ESRCH)
      continue;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "ip netns del %.255s >/dev/null 2>&1", e->d_name);
    if (system(cmd) != 0) {
      /* another test removed it first */
    }
  }
  closedir(dir);
}

const char *
testnet_peer_create(const char *name)
{
  if (peer_count == 0)
    remove_orphaned_peers();
  TESTNET_CHECK(peer_count < MAX_PEERS, "too many peer namespaces");
  char *slot = peer_names[peer_count];
  snprintf(slot, sizeof peer_names[0], "mctxt-%d-%s", (int) getpid(), name);
  {
    /* A namespace left by a crashed run of the same pid: remove it quietly. */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ip netns del %.64s >/dev/null 2>&1", slot);
    if (system(cmd) != 0) {
      /* nothing to remove: the usual case */
    }
  }
  testnet_sh_ok("ip netns add %s", slot);
  peer_count++;
  if (!cleanup_registered) {
    atexit(remove_peers);
    cleanup_registered = true;
  }
  testnet_sh_ok("ip -n %s link set lo up", slot);
  testnet_sh(
      "ip -n %s -6 route add local ff00::/8 dev lo table local 2>/dev/null",
      slot);
  return slot;
}

void
testnet_veth(const char *local_if, const char *peer_ns, const char *peer_if)
{
  testnet_sh_ok("ip link add %s type veth peer name %s netns %s", local_if,
                peer_if, peer_ns);
  testnet_sh_ok("ip link set %s up", local_if);
  testnet_sh_ok("ip -n %s link set %s up", peer_ns, peer_if);
}

int
testnet_socket_in(const char *ns, int domain, int type, int protocol)
{
  char path[320];
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  int here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int there = open(path, O_RDONLY | O_CLOEXEC);
  int fd = -1, saved = 0;
  if (here < 0 || there < 0) {
    saved = errno;
    goto out;
  }
  if (setns(there, CLONE_NEWNET) != 0) {
    saved = errno;
    goto out;
  }
  fd = socket(domain, type, protocol);
  saved = errno;
  if (setns(here, CLONE_NEWNET) != 0) {
    perror("testnet: setns back");
    abort();
  }
out:
  if (here >= 0)
    close(here);
  if (there >= 0)
    close(there);
  errno = saved;
  return fd;
}

void
testnet_wait_ipv6_ready(const char *ns, int ms)
{
  /* Poll until no address is tentative; bounded by ms. */
  for (int waited = 0; waited <= ms; waited += 50) {
    char cmd[320];
    int busy = system("ip -6 addr show tentative | grep -q inet6") == 0;
    if (!busy && ns) {
      snprintf(cmd, sizeof cmd,
               "ip -n %s -6 addr show tentative | grep -q inet6", ns);
      busy = system(cmd) == 0;
    }
    if (!busy)
      return;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "testnet: IPv6 addresses still tentative after %d ms\n", ms);
}

uint32_t
testnet_ifindex(const char *ifname)
{
  return if_nametoindex(ifname);
}

uint32_t
testnet_ifindex_in(const char *ns, const char *ifname)
{
  char path[320];
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  int here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int there = open(path, O_RDONLY | O_CLOEXEC);
  uint32_t idx = 0;
  if (here >= 0 && there >= 0 && setns(there, CLONE_NEWNET) == 0) {
    idx = if_nametoindex(ifname);
    if (setns(here, CLONE_NEWNET) != 0)
      abort();
  }
  if (here >= 0)
    close(here);
  if (there >= 0)
    close(there);
  return idx;
}
