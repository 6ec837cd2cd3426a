/*
 * The least CPU replicating a 4 KiB write can cost on this machine, with no protocol at all:
 * a "primary" sends the blocks over loopback TCP, BATCH blocks a write() (as WRITE SCATTERED
 * packs them), and a "backup" reads them and pwrite()s each 4 KiB block at a scattered offset
 * of a 256 MiB file (step 2053 blocks, as the replication bench's scattered workload), after
 * one untimed pass over the file. Prints both processes' CPU time per block (getrusage).
 * Usage: replication-floor FILE BLOCKS BATCH
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK 4096L
#define FILE_BYTES (256L << 20)
#define STEP 2053L

static double cpu_us(const struct rusage *a, const struct rusage *b) {
  return (b->ru_utime.tv_sec - a->ru_utime.tv_sec) * 1e6 + (b->ru_utime.tv_usec - a->ru_utime.tv_usec) +
         (b->ru_stime.tv_sec - a->ru_stime.tv_sec) * 1e6 + (b->ru_stime.tv_usec - a->ru_stime.tv_usec);
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

/* Reads BLOCKS blocks from `s`, BATCH at a time, writing each at the next scattered offset. */
static void backup(int s, int fd, long blocks, long batch, long *at) {
  char *buf = malloc(BLOCK * batch);
  if (!buf) die("malloc");
  for (long done = 0; done < blocks; done += batch) {
    long want = BLOCK * batch, have = 0;
    while (have < want) {
      ssize_t k = read(s, buf + have, want - have);
      if (k <= 0) die("read");
      have += k;
    }
    for (long i = 0; i < batch; i++) {
      if (pwrite(fd, buf + i * BLOCK, BLOCK, *at * BLOCK) != BLOCK) die("pwrite");
      *at = (*at + STEP) % (FILE_BYTES / BLOCK);
    }
  }
  free(buf);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s FILE BLOCKS BATCH\n", argv[0]);
    return 2;
  }
  long batch = atol(argv[3]);
  long blocks = atol(argv[2]) / batch * batch;
  if (batch <= 0 || blocks <= 0) {
    fprintf(stderr, "BLOCKS and BATCH must be positive, BLOCKS at least BATCH\n");
    return 2;
  }
  int one = 1;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (void *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (void *)&a, &al)) die("listen");
  int report[2];
  if (pipe(report)) die("pipe");
  long warm = FILE_BYTES / BLOCK / batch * batch;
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, FILE_BYTES)) die(argv[1]);
    int s = accept(ls, 0, 0);
    if (s < 0) die("accept");
    long at = 0;
    backup(s, fd, warm, batch, &at);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    backup(s, fd, blocks, batch, &at);
    getrusage(RUSAGE_SELF, &r1);
    double us = cpu_us(&r0, &r1);
    if (write(report[1], &us, sizeof us) != sizeof us) die("report");
    _exit(0);
  }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0 || connect(s, (void *)&a, sizeof a)) die("connect");
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char *buf = malloc(BLOCK * batch);
  if (!buf) die("malloc");
  memset(buf, 0x5a, BLOCK * batch);
  struct rusage r0, r1;
  for (int timed = 0; timed < 2; timed++) {
    long n = timed ? blocks : warm;
    if (timed) getrusage(RUSAGE_SELF, &r0);
    for (long i = 0; i < n; i += batch) {
      long sent = 0;
      while (sent < BLOCK * batch) {
        ssize_t k = write(s, buf + sent, BLOCK * batch - sent);
        if (k <= 0) die("write");
        sent += k;
      }
    }
  }
  getrusage(RUSAGE_SELF, &r1);
  double backup_us;
  if (read(report[0], &backup_us, sizeof backup_us) != sizeof backup_us) die("backup report");
  waitpid(pid, 0, 0);
  printf("send %.3f receive+pwrite %.3f us per block\n", cpu_us(&r0, &r1) / blocks, backup_us / blocks);
  return 0;
}
