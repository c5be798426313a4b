/*
 * z/OS USS simulator: `zsim_exec REAL NAME [ARG...]` execs REAL with argv[0] = NAME and the
 * environment untouched. The last step of the generated tool wrappers (test/sim/controller.js
 * strictWrapper): GNU tools then say "mkdir: ...", not a path, in their messages. A C program
 * rather than perl, whose start-up would add CPU to every wrapped command in the target's
 * accounting (smf30.jsonl). Compiled at start like zsim_preload.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "zsim_exec: usage: zsim_exec REAL NAME [ARG...]\n");
    return 127;
  }
  execv(argv[1], argv + 2);
  fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
