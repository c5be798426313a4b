/*
 * z/OS USS simulator: LD_PRELOAD library of every exec session (test/sim/README.md, "Session preload").
 * Compiled by test/sim/controller.js at start (cc, cached in <dir>/shared by source hash).
 * Facts: /work/shared/reference/zos-uss.md s3, s4, s12.
 *
 * 1. _TAG_REDIR_OUT / _TAG_REDIR_ERR (s3): when the process environment has TXT or BIN (any case;
 *    IBM Ansible, zopen and Zowe write `txt`), the regular file on stdout / stderr is tagged at its
 *    first write if it is empty and untagged: TXT -> txtflag on, CCSID 1047 (the program CCSID of
 *    the shell builtins and the z/OS utilities; s12), BIN -> binary (as `chtag -b`). "First write"
 *    is caught in write()/writev(); programs writing through stdio (glibc's internal write is not
 *    interposable) are caught when they exit: a file that was empty at program start and holds
 *    data at exit gets the tag then.
 * 2. Program output: at the same first write, a file a non-Python program writes from empty on
 *    stdout/stderr gets the mark NATIVE_XATTR (below); a Python program clears it.
 * 3. Scripts read by dash (`sh FILE`, `. FILE`; dash reads its input file through an fd >= 10),
 *    under the switch strictUntaggedText (s3, s4, s12): the file is read as z/OS /bin/sh (an
 *    EBCDIC program) reads it: `t IBM-1047` is converted with the s11 E2A table, `t ISO8859-1` /
 *    `t UTF-8` with _BPXK_AUTOCVT=ON|ALL runs as is, anything else non-empty (untagged, `b`, `m`,
 *    ASCII-tagged without AUTOCVT) is not shell text: `<file>: FSUM7332 syntax error: ...`, exit 2.
 *    Bytes read as they are that are real EBCDIC text (a z/OSMF text upload) are converted and run.
 *    A marked file is EBCDIC text: it runs unless an ASCII tag with AUTOCVT converts it. The
 *    simulator's own wrapper scripts (<host>/root/bin, <host>/shimbin) run as they are.
 *
 * Limit (README): dash keeps variables exported in its own command string in its own table, not in
 * environ, so this library sees only the variables the process was started with.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#define TAG_XATTR "user.zos.tag" /* "<ccsid>:<txtflag 0|1>", as shims/zsim.py get_tag/set_tag */
/* The simulator's programs are Linux (ASCII) programs standing for z/OS EBCDIC programs: the text
 * they write on stdout/stderr into a file would be EBCDIC on z/OS. Such files get this mark, so
 * the tag-aware readers (here and shims/zsim.py) read them as the EBCDIC text they stand for.
 * IBM Python is an ASCII program: its output files carry no mark. */
#define NATIVE_XATTR "user.zsim.native"
/* _TAG_REDIR_* is a shell redirection feature (s3, IBM "shellred"): only a file the shell opened
 * for a redirection (`>`, `>>`, `<>`) is tagged at its first write, not one a program hands to a
 * child as its stdout (Python's subprocess.run(stdout=f)). dash marks the files it opens for
 * writing with this xattr; the first write consumes it. */
#define REDIR_XATTR "user.zsim.redir"

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);

static int is_dash, is_python, started;
static struct stat start_st[3]; /* stdout / stderr as they were at program start */
static int start_empty[3];
static int start_fd[3] = {-1, -1, -1}; /* a private dup of it: programs close stdout before exit */
static int wrote[3];                   /* this process wrote to fd 1 / 2 through write()/writev() */

/* s11 E2A_ZOS (index = IBM-1047 byte) */
static const char E2A_HEX[] =
    "000102039c09867f978d8e0b0c0d0e0f101112139d0a08871819928f1c1d1e1f808182838485171b88898a8b8c0506"
    "07909116939495960498999a9b14159e1a20a0e2e4e0e1e3e5e7f1a22e3c282b7c26e9eaebe8edeeefecdf21242a29"
    "3b5e2d2fc2c4c0c1c3c5c7d1a62c255f3e3ff8c9cacbc8cdcecfcc603a2340273d22d8616263646566676869abbbf0"
    "fdfeb1b06a6b6c6d6e6f707172aabae6b8c6a4b57e737475767778797aa1bfd05bdeaeaca3a5b7a9a7b6bcbdbedda8"
    "af5db4d77b414243444546474849adf4f6f2f3f57d4a4b4c4d4e4f505152b9fbfcf9faff5cf7535455565758595ab2"
    "d4d6d2d3d530313233343536373839b3dbdcd9da9f";
static unsigned char e2a[256];

static void *next_sym(const char *name) { return dlsym(RTLD_NEXT, name); }

static void resolve(void) {
  if (!real_write) real_write = (ssize_t(*)(int, const void *, size_t))next_sym("write");
  if (!real_writev) real_writev = (ssize_t(*)(int, const struct iovec *, int))next_sym("writev");
  if (!real_read) real_read = (ssize_t(*)(int, void *, size_t))next_sym("read");
  if (!real_open) real_open = (int (*)(const char *, int, ...))next_sym("open");
  if (!real_open64) real_open64 = (int (*)(const char *, int, ...))next_sym("open64");
}

/* ---------------------------------------------------------------------------------------------
 * tags */

/* (ccsid, txt) of an open file; ccsid 0 = untagged */
static int get_tag(int fd, int *txt) {
  char buf[32];
  ssize_t n = fgetxattr(fd, TAG_XATTR, buf, sizeof buf - 1);
  *txt = 0;
  if (n <= 0) return 0;
  buf[n] = 0;
  char *colon = strchr(buf, ':');
  if (!colon) return 0;
  *txt = colon[1] == '1';
  return atoi(buf);
}

/* "TXT" -> "1047:1", "BIN" -> "65535:0", else NULL (s3: default no tagging) */
static const char *redir_tag_value(int fd) {
  const char *v = getenv(fd == 1 ? "_TAG_REDIR_OUT" : "_TAG_REDIR_ERR");
  if (!v) return NULL;
  if (!strcasecmp(v, "TXT")) return "1047:1";
  if (!strcasecmp(v, "BIN")) return "65535:0";
  return NULL;
}

/* At the first write to a regular file on fd 1 or 2 (empty now, a write is about to happen; or
 * empty at program start and written since): tag it as _TAG_REDIR_* says if it is untagged, and
 * mark whether its bytes are the text of a z/OS EBCDIC program (NATIVE_XATTR, see top). */
static void redir_tag(int fd, int at_exit, int stdio_pending) {
  const char *val = redir_tag_value(fd);
  int saved = errno;
  struct stat st;
  int tfd = at_exit ? start_fd[fd] : fd;
  if (fstat(tfd, &st) == 0 && S_ISREG(st.st_mode)) {
    int first = at_exit ? (start_empty[fd] && (st.st_size > 0 || stdio_pending) &&
                           st.st_dev == start_st[fd].st_dev && st.st_ino == start_st[fd].st_ino)
                        : st.st_size == 0;
    int txt;
    char mark[4];
    int redirect = first && fgetxattr(tfd, REDIR_XATTR, mark, sizeof mark) > 0;
    if (redirect) fremovexattr(tfd, REDIR_XATTR);
    if (redirect && val && get_tag(tfd, &txt) == 0 && !txt) fsetxattr(tfd, TAG_XATTR, val, strlen(val), 0);
    if (first && !is_python) fsetxattr(tfd, NATIVE_XATTR, "1", 1, 0);
    if (first && is_python) fremovexattr(tfd, NATIVE_XATTR);
  }
  errno = saved;
}

ssize_t write(int fd, const void *buf, size_t n) {
  resolve();
  if ((fd == 1 || fd == 2) && n > 0 && started) {
    redir_tag(fd, 0, 0);
    wrote[fd] = 1;
  }
  return real_write(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  resolve();
  if ((fd == 1 || fd == 2) && started) {
    redir_tag(fd, 0, 0);
    wrote[fd] = 1;
  }
  return real_writev(fd, iov, cnt);
}

/* ---------------------------------------------------------------------------------------------
 * scripts read by dash */

struct name_slot {
  dev_t dev;
  ino_t ino;
  char path[PATH_MAX];
};
static struct name_slot names[8]; /* the paths dash opened read-only last, for the message */
static int names_next;

static void remember(int fd, const char *path, int flags) {
  if (!is_dash || fd < 0) return;
  int saved = errno;
  struct stat st;
  if ((flags & O_ACCMODE) != O_RDONLY) {
    /* a redirection's target (dash opens nothing else for writing) */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) fsetxattr(fd, REDIR_XATTR, "1", 1, 0);
  } else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    struct name_slot *s = &names[names_next++ % 8];
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    snprintf(s->path, sizeof s->path, "%s", path);
  }
  errno = saved;
}

int open(const char *path, int flags, ...) {
  resolve();
  mode_t mode = 0;
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  int fd = real_open(path, flags, mode);
  remember(fd, path, flags);
  return fd;
}

int open64(const char *path, int flags, ...) {
  resolve();
  mode_t mode = 0;
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  int fd = real_open64(path, flags, mode);
  remember(fd, path, flags);
  return fd;
}

/* strictUntaggedText from <ZWH_SIM_HOST>/switches.json (default true, as in the controller) */
static int strict_text(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  cached = 1;
  const char *host = getenv("ZWH_SIM_HOST");
  if (!host) return cached;
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/switches.json", host);
  int fd = real_open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return cached;
  char buf[8192];
  ssize_t n = real_read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return cached;
  buf[n] = 0;
  char *k = strstr(buf, "\"strictUntaggedText\"");
  if (k) {
    k += strlen("\"strictUntaggedText\"");
    while (*k == ' ' || *k == ':' || *k == '\t') k++;
    if (!strncmp(k, "false", 5)) cached = 0;
  }
  return cached;
}

enum { SCRIPT_UNKNOWN = 0, SCRIPT_PASS, SCRIPT_E2A };
#define MAX_FD 256
static struct {
  dev_t dev;
  ino_t ino;
  int mode;
} scripts[MAX_FD];

static const char *tag_prefix(int ccsid, int txt, char *out, size_t len) {
  const char *name = ccsid == 0       ? "untagged"
                     : ccsid == 819   ? "ISO8859-1"
                     : ccsid == 1047  ? "IBM-1047"
                     : ccsid == 1208  ? "UTF-8"
                     : ccsid == 65535 ? "binary"
                                      : NULL;
  char num[16];
  if (!name) {
    snprintf(num, sizeof num, "%d", ccsid);
    name = num;
  }
  char c = ccsid == 65535 ? 'b' : txt ? 't' : ccsid == 0 ? '-' : 'm';
  snprintf(out, len, "%c %-12sT=%s", c, name, txt ? "on" : "off");
  return out;
}

/* The simulator's own scripts (the tool wrappers in <host>/root/bin and <host>/shimbin) stand for
 * z/OS system scripts, which are EBCDIC there: they run as they are. */
static int simulator_script(int fd) {
  const char *host = getenv("ZWH_SIM_HOST");
  char real_host[PATH_MAX], proc[64], link[PATH_MAX];
  if (!host || !realpath(host, real_host)) return 0;
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t l = readlink(proc, link, sizeof link - 1);
  if (l <= 0) return 0;
  link[l] = 0;
  size_t hl = strlen(real_host);
  if (strncmp(link, real_host, hl) != 0) return 0;
  return !strncmp(link + hl, "/root/bin/", 10) || !strncmp(link + hl, "/shimbin/", 9);
}

/* Bytes an EBCDIC program reads as they are (untagged, `b`, `m`, ASCII-tagged without AUTOCVT)
 * are shell text only when they are EBCDIC text: real IBM-1047 bytes (a z/OSMF text upload,
 * `iconv -t IBM-1047` output) run; ASCII bytes do not (their blanks and newlines are C1 controls
 * in IBM-1047). Looks at the first 4 KiB. */
static int ebcdic_text(int fd) {
  unsigned char b[4096];
  ssize_t n = pread(fd, b, sizeof b, 0);
  if (n <= 0) return 0;
  for (ssize_t i = 0; i < n; i++) {
    unsigned char c = e2a[b[i]];
    if (c < 0x20 ? !(c == '\n' || c == '\t' || c == '\r') : (c >= 0x7f && c < 0xa0)) return 0;
  }
  return 1;
}

static int script_mode(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return SCRIPT_PASS;
  if (fd < MAX_FD && scripts[fd].mode != SCRIPT_UNKNOWN && scripts[fd].dev == st.st_dev &&
      scripts[fd].ino == st.st_ino)
    return scripts[fd].mode;
  int mode = SCRIPT_PASS;
  if (strict_text() && st.st_size > 0) {
    int txt;
    int ccsid = get_tag(fd, &txt);
    const char *cvt = getenv("_BPXK_AUTOCVT");
    int autocvt = cvt && (!strcasecmp(cvt, "ON") || !strcasecmp(cvt, "ALL"));
    char mark[4];
    int native = fgetxattr(fd, NATIVE_XATTR, mark, sizeof mark) > 0;
    int ascii_cvt = txt && (ccsid == 819 || ccsid == 1208) && autocvt;
    int ok = ascii_cvt;  /* ASCII text converted for the EBCDIC shell */
    if (native) {
      ok = !ascii_cvt;   /* EBCDIC text as the simulator stores it (NATIVE_XATTR) */
    } else if (txt && ccsid == 1047) {
      ok = 1;
      mode = SCRIPT_E2A; /* real EBCDIC bytes (iconv -t IBM-1047 output) */
    }
    if (!ok && !native && !ascii_cvt && ebcdic_text(fd)) {
      ok = 1;
      mode = SCRIPT_E2A;
    }
    if (!ok && !simulator_script(fd)) {
      const char *path = NULL;
      for (int i = 0; i < 8; i++)
        if (names[i].ino == st.st_ino && names[i].dev == st.st_dev && names[i].path[0]) path = names[i].path;
      char proc[64], link[PATH_MAX];
      if (!path) {
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        ssize_t l = readlink(proc, link, sizeof link - 1);
        link[l > 0 ? l : 0] = 0;
        path = link;
      }
      char pre[40], msg[PATH_MAX + 128];
      /* ASCII read as EBCDIC is not shell text; the wording after the number is the simulator's,
       * as in shims/zsim.py sh (s13) */
      int m = snprintf(msg, sizeof msg, "%s: FSUM7332 syntax error: the file is read as %s (tag: %s)\n",
                       path, native ? "ISO8859-1 converted to IBM-1047" : "IBM-1047",
                       tag_prefix(ccsid, txt, pre, sizeof pre));
      if (m > 0) real_write(2, msg, (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1);
      _exit(2);
    }
  }
  if (fd < MAX_FD) {
    scripts[fd].dev = st.st_dev;
    scripts[fd].ino = st.st_ino;
    scripts[fd].mode = mode;
  }
  return mode;
}

ssize_t read(int fd, void *buf, size_t n) {
  resolve();
  if (!is_dash || fd < 10) return real_read(fd, buf, n);
  int saved = errno;
  int mode = script_mode(fd);
  errno = saved;
  ssize_t r = real_read(fd, buf, n);
  if (mode == SCRIPT_E2A && r > 0) {
    unsigned char *b = (unsigned char *)buf;
    for (ssize_t i = 0; i < r; i++) b[i] = e2a[b[i]];
  }
  return r;
}

/* ---------------------------------------------------------------------------------------------
 * start and exit */

static int hexval(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

__attribute__((constructor)) static void zsim_start(void) {
  resolve();
  for (int i = 0; i < 256; i++) e2a[i] = (unsigned char)(hexval(E2A_HEX[2 * i]) * 16 + hexval(E2A_HEX[2 * i + 1]));
  char exe[PATH_MAX];
  ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (l > 0) {
    exe[l] = 0;
    const char *base = strrchr(exe, '/');
    is_dash = !strcmp(base ? base + 1 : exe, "dash");
    is_python = !strncmp(base ? base + 1 : exe, "python", 6);
  }
  int saved = errno;
  for (int fd = 1; fd <= 2; fd++) {
    start_empty[fd] = fstat(fd, &start_st[fd]) == 0 && S_ISREG(start_st[fd].st_mode) && start_st[fd].st_size == 0;
    if (start_empty[fd]) start_fd[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    if (start_fd[fd] < 0) start_empty[fd] = 0;
  }
  started = 1;
  errno = saved;
}

__attribute__((destructor)) static void zsim_exit(void) {
  /* stdio programs: the stream was flushed by now when the program closed it in an atexit
   * handler (gnulib's close_stdout, as GNU sed and grep do); otherwise glibc flushes it after the
   * destructors, so bytes still in the buffer count as written (__fpending reads the buffer
   * pointers only, which fclose resets, so it is safe on a closed standard stream) */
  /* Only for a program that never wrote through write(): the data in the file may otherwise be a
   * child's (dash writes through write() only, so it is skipped). */
  if (is_dash) return;
  if (start_empty[1] && !wrote[1]) redir_tag(1, 1, __fpending(stdout) > 0);
  if (start_empty[2] && !wrote[2]) redir_tag(2, 1, __fpending(stderr) > 0);
}
