"use strict";
// z/OS USS simulator controller (plain CommonJS, no build step).
// Starts N independent "LPARs": a real OpenSSH sshd per host on 127.0.0.1 whose sessions look
// like z/OS UNIX (see test/sim/README.md and /work/shared/reference/zos-uss.md).
// Used by scripts/uss-sim (CLI) and test/sim/index.ts (TypeScript API).

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const net = require("node:net");
const { spawnSync } = require("node:child_process");

const SIM_DIR = __dirname;
const REPO_ROOT = path.resolve(SIM_DIR, "..", "..");
const SHIMS_DIR = path.join(SIM_DIR, "shims");
const STATE_FILE = "sim-state.json";
const ACCT_FILE = "smf30.jsonl";
const SFTP_MARKER = "zwh-sim-sftp-subsystem";
// Sessions run as an unprivileged user when the simulator runs as root (issue 9 item 6), so that
// "EDC5111I Permission denied." paths happen: the LPAR's / and SDK are root's, HOME is the user's.
// SIM_OTHER_USER owns things the session user must not change (a store of another user).
const SESSION_USER = process.env.ZWH_SIM_USER || "zwhsim";
const SIM_OTHER_USER = "zwhother";

/** Switch defaults. Every switch is documented in test/sim/README.md with its reference §. */
const DEFAULT_SWITCHES = Object.freeze({
  unameSysname: "OS/390",
  unameRelease: "29.00",
  unameVersion: "04",
  unameMachine: "8561",
  nodename: "", // empty: derived from the host name (lpar1 -> LPAR1)
  pythonPath: "", // empty: /usr/lpp/IBM/cyp/v3rNN/pyz/bin/python3 for the base interpreter's 3.NN
  strictUntaggedText: true, // tag-driven reads: sh FILE, . FILE (preload), cat/head/grep/sed/awk FILE (shims)
  pipTagsInstalledFiles: false,
  pipInstallFails: "", // test switch: non-empty makes pip's wheel installer fail with ENOSPC (the text goes in the message)
  hostileAutocvt: false, // false | "a2e" | "e2a"
  autoTagMount: false,
  noSha256: true,
  strictPosix: true,
  channelConvert: true,
  pythonStdinEbcdic: true,
  // The SDK's pip ships its bytecode (__pycache__), as every CPython installer (ensurepip, pip)
  // writes it; false: pip's modules have none, and the session user cannot write any into the
  // read-only SDK, so every pip start compiles them (an uncertain fact, hence a switch).
  sdkPipBytecode: true,
  // simulated z/OSMF test switches ("value" or "value:substring of the job's command/script")
  zosmfJobAbend: "", // e.g. "S0C4" or "S0C4:pip": matching BPXBATCH jobs abend before running
  zosmfJobStallMs: "", // e.g. "60000" or "60000:install": matching jobs stay ACTIVE that long first
  zosmfCutUploadAfter: "", // e.g. "1000": a file upload over z/OSMF is cut after that many bytes
});

// Commands that exist on z/OS UNIX (symlinked to the Linux tool, or wrapped by a strict-POSIX
// wrapper, see STRICT_RULES). Shell builtins of dash (echo, printf, test, [, kill, pwd, true, false)
// are also present as files on z/OS. uuencode/uudecode (sharutils), compress/uncompress (ncompress)
// and cpio are installed by scripts/lib/setup.sh; zcat (gzip) reads .Z files.
const ZOS_COMMANDS = [
  "sh", "rm", "mkdir", "rmdir", "ln", "chmod", "chown", "chgrp", "echo", "printf",
  "test", "[", "df", "du", "find", "grep", "egrep", "fgrep", "sed", "awk", "sort", "head", "tail",
  "wc", "tr", "cut", "env", "id", "date", "sleep", "touch", "tar", "od",
  "xargs", "kill", "ps", "cmp", "diff", "basename", "dirname", "pwd", "true", "false", "expr",
  "tee", "uniq", "ssh-keygen", "cksum", "sum", "split", "paste", "join", "comm", "fold", "nl",
  "expand", "unexpand", "logname", "getconf", "locale", "nohup", "nice", "mkfifo", "tty", "stty",
  "umask", "wait", "file", "compress", "uncompress", "zcat", "more", "vi", "ed", "tsort",
  "dd", "uuencode", "uudecode", "cpio", "strings", "whoami", "mv",
];
// Not on z/OS (deliberately absent): sha256sum, realpath, mktemp, bash, base64, xxd, which,
// timeout, stat, python/python3 (only under the SDK path), curl, wget.
const SHIM_COMMANDS = ["chtag", "ls", "uname", "iconv", "readlink", "hostname", "pax"];

// strictPosix: GNU-only options that the z/OS tools lack fail with an FSUM-style usage error
// (issue 9 item 4). `bad`: option letters z/OS lacks; `arg`: letters that take an argument (the
// rest of a bundle, or the next word, is a value and not checked); `words`: whole-word options
// (find); `stop`: scanning stops at the first operand (the rest is another command's argv).
// Every wrapped tool also refuses long options (`--x`, including --version/--help).
const STRICT_RULES = {
  sed: { bad: "i", arg: "ef" },
  cksum: { bad: "a", arg: "" },
  find: { words: ["-maxdepth", "-mindepth", "-print0", "-delete"], stopWords: ["-exec", "-execdir", "-ok"] },
  xargs: { bad: "0", arg: "IinLlPsEed", stop: true },
  mv: { bad: "T", arg: "tS" },
  grep: { bad: "roRPz", arg: "efmABCD" },
  egrep: { bad: "roRPz", arg: "efmABCD" },
  fgrep: { bad: "roRPz", arg: "efmABCD" },
  date: { bad: "d", arg: "rf" },
  du: { bad: "h", arg: "dBt" },
  // only long options refused:
  rm: {}, mkdir: {}, rmdir: {}, ln: {}, chmod: {}, chown: {}, chgrp: {}, df: {}, awk: { arg: "vfF" },
  sort: { arg: "otk" }, head: { arg: "nc" }, tail: { arg: "nc" }, wc: {}, cut: { arg: "cdf" },
  env: { stop: true }, id: {}, sleep: {}, touch: { arg: "rtd" }, tar: {}, od: { arg: "AjNtw" },
  cmp: {}, diff: {}, basename: {}, dirname: {}, tee: {}, uniq: { arg: "fs" }, sum: {},
  split: { arg: "abl" }, paste: { arg: "d" }, join: { arg: "12aejot" }, comm: {}, fold: { arg: "w" },
  nl: {}, expand: { arg: "t" }, unexpand: { arg: "t" }, logname: {}, nohup: { stop: true },
  nice: { arg: "n", stop: true }, mkfifo: { arg: "m" }, dd: {}, whoami: {}, uuencode: {},
  uudecode: { arg: "o" }, cpio: {}, strings: { arg: "nt" }, compress: { arg: "b" }, uncompress: {},
  zcat: {}, cp: {},
};
// Always wrapped: cp copies the file tag (IBM cp: a UNIX-to-UNIX copy tags the target like the
// source), i.e. GNU cp --preserve=xattr. mv keeps tags by itself (rename keeps the inode's xattr;
// GNU mv across file systems copies xattrs).
// zcat and uncompress are ncompress's compress (Debian's are gzip scripts that need gzip on PATH).
const WRAPPED_ALWAYS = { cp: ["--preserve=xattr"], zcat: ["-d", "-c"], uncompress: ["-d"] };
const REAL_NAME = { zcat: "compress", uncompress: "compress" };

function realTool(c) {
  return c === "sh" ? "/bin/sh" : which(REAL_NAME[c] || c, ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
}

/** The wrapper script for one tool: dash checks the options (strictPosix: `rule`), then
 *  `<hostDir>/zsim_exec` (shims/zsim_exec.c) execs the tool with argv[0] = its name (GNU messages
 *  say "mkdir: ...", not a path), leaving the environment alone (bash's `exec -a` would export
 *  SHLVL and PWD; perl would add its start-up to the target's CPU accounting).
 *  `tag` (strictUntaggedText): a tag-aware reader; only when a FILE operand must be read through
 *  its tag does the wrapper start the Python shim `tag.shim` (shims/zsim.py), so `grep x` or
 *  `head -n 1` on a pipe costs no Python start on the simulated target (CPU accounting). */
function strictWrapper(name, real, rule, extraArgs, tag, execHelper) {
  const q = (s) => s.replace(/[\\\]\[^-]/g, (c) => "\\" + c);
  const L = [
    "#!/bin/sh",
    `# z/OS USS simulator: ${name}${rule ? " with z/OS options only (strictPosix)" : ""}${tag ? ", files read through their tag (strictUntaggedText)" : ""} (generated by test/sim/controller.js)`,
  ];
  if (rule) {
    L.push(
      `zwh_bad() { printf '%s: FSUM5006 Unknown option "%s".\\n' ${shq(name)} "$1" >&2; exit 2; }`,
      "zwh_skip=",
      "for zwh_a do",
      '  if [ -n "$zwh_skip" ]; then zwh_skip=; continue; fi',
      "  case $zwh_a in",
      "    --) break ;;",
      '    --?*) zwh_bad "${zwh_a%%=*}" ;;',
    );
    if (rule.words && rule.words.length) L.push(`    ${rule.words.join("|")}) zwh_bad "$zwh_a" ;;`);
    if (rule.stopWords && rule.stopWords.length) L.push(`    ${rule.stopWords.join("|")}) break ;;`);
    const arg = rule.arg || "";
    if (arg) L.push(`    -[${q(arg)}]) zwh_skip=1 ;;`);
    if (rule.bad) {
      const pre = arg ? `\${zwh_a%%[${q(arg)}]*}` : "$zwh_a";
      L.push(`    -?*) case ${pre} in`);
      for (const ch of rule.bad) L.push(`        *${q(ch)}*) zwh_bad -${ch} ;;`);
      L.push("      esac ;;");
    }
    if (rule.stop) L.push("    -*) ;;", "    *) break ;;");
    L.push("  esac", "done");
  }
  if (tag) {
    // Count the FILE operands as shims/zsim.py tag_reader does (options end at the first operand;
    // a value letter last in its word takes the next word; grep/sed/awk take their first operand
    // as the script unless -e/-f gave one; "-" is stdin). Over-counting ("-" where it may be the
    // script, awk's var=value) only costs a Python start: the shim then finds no file and execs
    // the tool.
    L.push("zwh_n=0 zwh_k= zwh_o=1 zwh_s=");
    L.push("for zwh_a do");
    L.push('  if [ -n "$zwh_k" ]; then zwh_k=; continue; fi');
    L.push('  if [ -n "$zwh_o" ]; then');
    L.push("    case $zwh_a in");
    L.push("      --) zwh_o=; continue ;;");
    L.push(tag.script ? "      -) zwh_o= ;;" : "      -) zwh_o=; continue ;;"); // stdin, no FILE
    if (tag.arg) {
      L.push(`      -*) zwh_p=\${zwh_a%%[${q(tag.arg)}]*}`);
      L.push('        if [ "$zwh_p" != "$zwh_a" ]; then');
      L.push('          zwh_l=${zwh_a#"$zwh_p"}');
      if (tag.script) L.push(`          case $zwh_l in [${q(tag.script)}]*) zwh_s=1 ;; esac`);
      L.push('          [ "${#zwh_l}" -eq 1 ] && zwh_k=1');
      L.push("        fi");
      L.push("        continue ;;");
    } else {
      L.push("      -*) continue ;;");
    }
    L.push("    esac");
    L.push("  fi");
    L.push("  zwh_o=");
    L.push("  zwh_n=$((zwh_n + 1))");
    L.push("done");
    if (tag.script) L.push('[ -n "$zwh_s" ] || zwh_n=$((zwh_n - 1))');
    L.push(`[ "$zwh_n" -gt 0 ] && exec ${shq(tag.shim)} "$@"`);
  }
  L.push(
    `exec ${shq(execHelper)} ${shq(real)} ${shq(name)}${(extraArgs || []).map((a) => " " + a).join("")} "$@"`,
    "",
  );
  return L.join("\n");
}

// strictUntaggedText: these read FILE operands through the tag (shims/zsim.py cat, tag_reader):
// value-taking option letters and the letters that give the script (see zsim.TAG_READERS)
const TAG_READER_TOOLS = {
  cat: { arg: "", script: "" },
  head: { arg: "nc", script: "" },
  grep: { arg: "efmABCD", script: "ef" },
  sed: { arg: "ef", script: "ef" },
  awk: { arg: "fvF", script: "f" },
};

/** Regenerate the wrapped tools of a host's bin/ for the current strictPosix/strictUntaggedText. */
function applyStrictTools(bin, sw, hostDir) {
  const shimDir = path.join(hostDir, "shimbin"); // tag-aware tools, called by the wrappers
  fs.mkdirSync(shimDir, { recursive: true });
  const names = new Set([...Object.keys(STRICT_RULES), ...Object.keys(WRAPPED_ALWAYS), ...Object.keys(TAG_READER_TOOLS)]);
  for (const c of names) {
    const real = realTool(c);
    const p = path.join(bin, c);
    fs.rmSync(p, { force: true });
    if (!real) continue;
    let tag = null;
    if (sw.strictUntaggedText && TAG_READER_TOOLS[c]) {
      writeShim(shimDir, c, hostDir);
      tag = { ...TAG_READER_TOOLS[c], shim: path.join(shimDir, c) };
    }
    const extra = WRAPPED_ALWAYS[c];
    const rule = sw.strictPosix && STRICT_RULES[c] ? STRICT_RULES[c] : null;
    if (rule || extra || tag) fs.writeFileSync(p, strictWrapper(c, real, rule, extra, tag, path.join(hostDir, EXEC_NAME)), { mode: 0o755 });
    else fs.symlinkSync(real, p);
  }
}

function fail(msg) {
  const e = new Error(msg);
  e.simUserError = true;
  throw e;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.error) fail(`uss-sim: cannot run ${cmd}: ${r.error.message}`);
  return r;
}

function runOk(cmd, args, opts = {}) {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    fail(`uss-sim: ${cmd} ${args.join(" ")} failed (rc ${r.status}): ${(r.stderr || "").trim()}`);
  }
  return r;
}

function which(name, dirs) {
  const list = dirs || (process.env.PATH || "").split(":").concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
  for (const d of list) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

function findSshd() {
  if (process.env.ZWH_SIM_SSHD && !fs.existsSync(process.env.ZWH_SIM_SSHD)) {
    fail(`uss-sim: ZWH_SIM_SSHD=${process.env.ZWH_SIM_SSHD} does not exist`);
  }
  const cands = [process.env.ZWH_SIM_SSHD, "/usr/sbin/sshd", which("sshd")].filter(Boolean);
  for (const c of cands) {
    if (fs.existsSync(c)) return path.resolve(c);
  }
  fail(
    "uss-sim: OpenSSH server not found (looked for $ZWH_SIM_SSHD, /usr/sbin/sshd and sshd on PATH).\n" +
      "Install it (Debian: apt-get install -y openssh-server) or set ZWH_SIM_SSHD=/path/to/sshd.",
  );
}

function findSftpServer() {
  const cands = [
    process.env.ZWH_SIM_SFTP_SERVER,
    "/usr/lib/openssh/sftp-server",
    "/usr/libexec/openssh/sftp-server",
    "/usr/libexec/sftp-server",
  ].filter(Boolean);
  for (const c of cands) if (fs.existsSync(c)) return c;
  fail("uss-sim: sftp-server not found (set ZWH_SIM_SFTP_SERVER).");
}

const PY_PROBE = `
import sys, os, json, glob, sysconfig, importlib.util
info = {"ok": False}
try:
    import venv, ensurepip
    orig = sysconfig._get_sysconfigdata_name()
    saved = sys.platform
    sys.platform = "zos"
    try:
        zos = sysconfig._get_sysconfigdata_name()
    finally:
        sys.platform = saved
    ep = os.path.dirname(ensurepip.__file__)
    # CPython bundles pip in ensurepip/_bundled; Debian keeps it in /usr/share/python-wheels
    wheels = sorted(glob.glob(os.path.join(ep, "_bundled", "pip-*.whl"))) or \
        sorted(glob.glob(os.path.join(ep, "pip-*.whl"))) or \
        sorted(glob.glob("/usr/share/python-wheels/pip-*.whl"))
    info = {"ok": bool(wheels), "ver": "%d.%d" % sys.version_info[:2],
            "version": "%d.%d.%d" % sys.version_info[:3],
            "executable": os.path.realpath(sys.executable),
            "stdlib": sysconfig.get_paths()["stdlib"], "sysconfigOrig": orig, "sysconfigZos": zos,
            "pipWheel": wheels[-1] if wheels else None}
except Exception as e:
    info["error"] = repr(e)
print(json.dumps(info))
`;

function probePython(exe) {
  const r = spawnSync(exe, ["-I", "-c", PY_PROBE], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  if (r.status !== 0) return null;
  try {
    const info = JSON.parse(r.stdout.trim().split("\n").pop());
    return info.ok && /^3\./.test(info.ver) ? info : null;
  } catch {
    return null;
  }
}

/** True when every directory above `p` is searchable and `p` readable by any user (o+x / o+r). */
function worldReadable(p) {
  try {
    let cur = fs.realpathSync(p);
    if (!(fs.statSync(cur).mode & 0o004)) return false;
    while (cur !== path.dirname(cur)) {
      cur = path.dirname(cur);
      if (!(fs.statSync(cur).mode & 0o001)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** The session user (not root) can run this interpreter: binary, its libraries, stdlib, pip. */
function usableBySessionUser(info) {
  if (![info.executable, info.stdlib, info.pipWheel].every(worldReadable)) return false;
  // a RUNPATH/RPATH into a private tree (pyenv under /root) would not load for another user
  const r = spawnSync("ldd", [info.executable], { encoding: "utf8" });
  for (const m of (r.stdout || "").matchAll(/=> (\/\S+)/g)) if (!worldReadable(m[1])) return false;
  return true;
}

let cachedPython = null;
let pythonForUser = false;
/**
 * The base CPython the hosts are built from. `forSessionUser`: the separate (non-root) session
 * user must be able to run it, so a pyenv tree under a private /root is skipped.
 */
function findBasePython(forSessionUser = pythonForUser) {
  if (cachedPython && (!forSessionUser || cachedPython.forUser)) return cachedPython;
  const ok = (info) => (info && forSessionUser ? usableBySessionUser(info) : Boolean(info));
  const keep = (info) => (cachedPython = { ...info, forUser: forSessionUser });
  const tried = [];
  const cands = [];
  if (process.env.ZWH_SIM_BASE_PYTHON) {
    const info = probePython(process.env.ZWH_SIM_BASE_PYTHON);
    if (!info) fail(`uss-sim: ZWH_SIM_BASE_PYTHON=${process.env.ZWH_SIM_BASE_PYTHON} is not a CPython 3 with venv+ensurepip`);
    if (!ok(info)) fail(`uss-sim: ZWH_SIM_BASE_PYTHON=${process.env.ZWH_SIM_BASE_PYTHON} cannot be run by the session user ${SESSION_USER} (a private directory above it)`);
    return keep(info);
  }
  const roots = [process.env.PYENV_ROOT, path.join(os.homedir(), ".pyenv"), "/root/.pyenv"].filter(Boolean);
  for (const r of roots) {
    let vers = [];
    try {
      vers = fs.readdirSync(path.join(r, "versions"));
    } catch {
      continue;
    }
    // 3.11 first (pip 23.2.1, the version the reference's message shapes come from), then newest.
    vers.sort((a, b) => {
      const pa = a.startsWith("3.11.") ? 0 : 1;
      const pb = b.startsWith("3.11.") ? 0 : 1;
      if (pa !== pb) return pa - pb;
      return b.localeCompare(a, undefined, { numeric: true });
    });
    for (const v of vers) cands.push(path.join(r, "versions", v, "bin", "python3"));
  }
  for (const n of ["python3.11", "python3"]) {
    const w = which(n, ["/usr/local/bin", "/usr/bin", "/bin"]);
    if (w) cands.push(w);
  }
  for (const c of cands) {
    if (!fs.existsSync(c)) continue;
    tried.push(c);
    const info = probePython(c);
    if (ok(info)) return keep(info);
  }
  fail(
    `uss-sim: no usable base Python (need CPython 3 with venv+ensurepip${forSessionUser ? `, runnable by the session user ${SESSION_USER}` : ""}); ` +
      `tried: ${tried.join(", ") || "none"}. Set ZWH_SIM_BASE_PYTHON (Debian: apt-get install -y python3-venv python3-pip-whl).`,
  );
}

function shq(s) {
  return "'" + String(s).replace(/'/g, "'\\''") + "'";
}

function cfgq(s) {
  if (/["\s]/.test(s) === false) return s;
  if (s.includes('"')) fail(`uss-sim: path not usable in sshd_config: ${s}`);
  return `"${s}"`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("data", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseSwitchValue(name, raw) {
  if (!(name in DEFAULT_SWITCHES)) {
    fail(`uss-sim: unknown switch "${name}" (known: ${Object.keys(DEFAULT_SWITCHES).join(", ")})`);
  }
  const def = DEFAULT_SWITCHES[name];
  if (typeof raw !== "string") return raw;
  if (name === "hostileAutocvt") {
    if (/^(false|off|no|0|)$/i.test(raw)) return false;
    if (raw === "a2e" || raw === "e2a") return raw;
    if (/^(true|on|yes|1)$/i.test(raw)) return "a2e";
    fail(`uss-sim: hostileAutocvt must be a2e, e2a or false`);
  }
  if (typeof def === "boolean") {
    if (/^(true|on|yes|1)$/i.test(raw)) return true;
    if (/^(false|off|no|0)$/i.test(raw)) return false;
    fail(`uss-sim: switch ${name} needs true|false, got "${raw}"`);
  }
  return raw;
}

/** The SMP/E default path of IBM Open Enterprise SDK for Python 3.NN (zos-uss.md §6). */
function sdkPythonPath(ver) {
  const [maj, min] = ver.split(".");
  return `/usr/lpp/IBM/cyp/v${maj}r${min}/pyz/bin/python3`;
}

function normalizeSwitches(partial, hostName, pyVer) {
  const sw = { ...DEFAULT_SWITCHES };
  for (const [k, v] of Object.entries(partial || {})) sw[k] = parseSwitchValue(k, v);
  if (!sw.nodename) sw.nodename = hostName.toUpperCase();
  if (!sw.pythonPath) sw.pythonPath = sdkPythonPath(pyVer);
  if (!sw.pythonPath.startsWith("/")) fail("uss-sim: pythonPath must be absolute (inside the host root)");
  return sw;
}

function writeFileAtomic(p, data, mode) {
  const tmp = `${p}.tmp${process.pid}`;
  fs.writeFileSync(tmp, data, { mode: mode || 0o644 });
  fs.renameSync(tmp, p);
}

/** Rewrite a host's switches (runtime-changeable ones take effect for the next command). */
function setSwitches(hostDir, partial) {
  const file = path.join(hostDir, "switches.json");
  const cur = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const [k, v] of Object.entries(partial || {})) {
    if (k === "pythonPath" && v !== cur.pythonPath) fail("uss-sim: pythonPath can only be set at start");
    if (k === "sdkPipBytecode" && parseSwitchValue(k, v) !== cur.sdkPipBytecode) fail("uss-sim: sdkPipBytecode can only be set at start");
    cur[k] = parseSwitchValue(k, v);
  }
  writeFileAtomic(file, JSON.stringify(cur, null, 2) + "\n");
  applyBinSwitches(hostDir, cur);
  return cur;
}

function applyBinSwitches(hostDir, sw) {
  const bin = path.join(hostDir, "root", "bin");
  applyStrictTools(bin, sw, hostDir);
  // `sh FILE` and `. FILE` read the script through its tag under strictUntaggedText: done in dash
  // itself by the session preload (shims/zsim_preload.c), so bin/sh is always the plain dash
  const shp = path.join(bin, "sh");
  fs.rmSync(shp, { force: true });
  fs.symlinkSync("/bin/sh", shp);
  const p = path.join(bin, "sha256");
  const present = fs.existsSync(p);
  if (sw.noSha256 && present) fs.unlinkSync(p);
  if (!sw.noSha256 && !present) writeShim(bin, "sha256", hostDir);
}

let basePythonForShims = null;
/** The interpreter the host's shims were generated with (setSwitches runs in another process). */
function hostShimPython(hostDir) {
  try {
    const first = fs.readFileSync(path.join(hostDir, "root", "bin", "chtag"), "utf8").split("\n")[0];
    const m = /^#!(\S+) -IBS$/.exec(first);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

function writeShim(bin, cmd, hostDir) {
  const py = hostShimPython(hostDir) || basePythonForShims || findBasePython().executable;
  const text =
    `#!${py} -IBS\n` +
    `# z/OS USS simulator shim (generated by test/sim/controller.js)\n` +
    `import sys\nsys.pycache_prefix = ${JSON.stringify(path.join(path.dirname(hostDir), "shared", "pycache"))}\n` +
    `sys.path.insert(0, ${JSON.stringify(SHIMS_DIR)})\nimport zsim\n` +
    `sys.exit(zsim.main(${JSON.stringify(cmd)}, ${JSON.stringify(hostDir)}, sys.argv[1:]))\n`;
  fs.writeFileSync(path.join(bin, cmd), text, { mode: 0o755 });
}

const PRELOAD_SRC = path.join(SHIMS_DIR, "zsim_preload.c");
const PRELOAD_NAME = "zsim_preload.so"; // per host: <hostDir>/zsim_preload.so -> <dir>/shared/...
const EXEC_SRC = path.join(SHIMS_DIR, "zsim_exec.c");
const EXEC_NAME = "zsim_exec"; // per host: <hostDir>/zsim_exec -> <dir>/shared/...

/** Build one of the simulator's C parts into <dir>/shared, once per source version (the file name
 *  carries the source hash): the session preload library (_TAG_REDIR_OUT/ERR, scripts read
 *  through their tag; shims/zsim_preload.c) or the wrappers' exec helper (shims/zsim_exec.c).
 *  Needs a C compiler: scripts/lib/setup.sh installs gcc and libc6-dev. */
function buildNative(dir, srcPath, base, shared) {
  const src = fs.readFileSync(srcPath);
  const hash = require("node:crypto").createHash("sha256").update(src).digest("hex").slice(0, 16);
  const sharedDir = path.join(dir, "shared");
  fs.mkdirSync(sharedDir, { recursive: true, mode: 0o755 });
  const so = path.join(sharedDir, `${base}-${hash}${shared ? ".so" : ""}`);
  if (fs.existsSync(so)) return so;
  const cc = process.env.CC || which("cc") || which("gcc");
  if (!cc) {
    fail(
      `uss-sim: no C compiler to build ${srcPath} (looked for $CC, cc, gcc).\n` +
        "Install one (Debian: apt-get install -y gcc libc6-dev, or run scripts/lib/setup.sh as root).",
    );
  }
  const tmp = `${so}.tmp${process.pid}`;
  const r = run(cc, ["-O2", "-Wall", ...(shared ? ["-shared", "-fPIC"] : []), "-o", tmp, srcPath, ...(shared ? ["-ldl"] : [])]);
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    fail(`uss-sim: building ${srcPath} with ${cc} failed (rc ${r.status}): ${(r.stderr || "").trim()}`);
  }
  fs.chmodSync(tmp, shared ? 0o644 : 0o755);
  fs.renameSync(tmp, so);
  return so;
}

function ensureIdentity(dir) {
  const key = path.join(dir, "id_ed25519");
  if (!fs.existsSync(key) || !fs.existsSync(key + ".pub")) {
    fs.rmSync(key, { force: true });
    fs.rmSync(key + ".pub", { force: true });
    runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "zwh-sim-client", "-f", key]);
  }
  fs.chmodSync(key, 0o600);
  return key;
}

function ensureSharedPip(dir, py, bytecode) {
  const dest = path.join(dir, "shared", "pip-" + path.basename(py.pipWheel, ".whl") + (bytecode ? "-compiled" : "-source"));
  if (!fs.existsSync(path.join(dest, ".complete"))) {
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true });
    runOk(py.executable, ["-I", "-m", "zipfile", "-e", py.pipWheel, dest]);
    // What an installer does (switch sdkPipBytecode): __pycache__ next to the sources.
    if (bytecode) runOk(py.executable, ["-I", "-m", "compileall", "-q", dest]);
    fs.writeFileSync(path.join(dest, ".complete"), "");
  }
  return dest;
}

function buildPython(root, hostDir, sw, py, sharedDir) {
  const pipDir = ensureSharedPip(sharedDir, py, sw.sdkPipBytecode);
  const pyPath = path.join(root, sw.pythonPath);
  const binDir = path.dirname(pyPath);
  const prefix = path.dirname(binDir);
  const ver = py.ver;
  fs.mkdirSync(binDir, { recursive: true });
  const real = path.join(binDir, `python${ver}`);
  fs.copyFileSync(py.executable, real);
  fs.chmodSync(real, 0o755);
  // python3 (and the configured name) print IBM's --version banner (zos-uss.md §6, §12) and
  // otherwise exec the interpreter with argv[0] kept, so sys.executable is the path called, as
  // with the symlinks of a real SDK. Perl (Debian essential) because dash has no `exec -a`.
  const banner = `IBM Open Enterprise SDK for Python ${py.version}`;
  const wrapper =
    `#!/usr/bin/perl\n` +
    `# z/OS USS simulator: IBM SDK entry point (generated by test/sim/controller.js)\n` +
    `if (@ARGV == 1 && ($ARGV[0] eq "--version" || $ARGV[0] eq "-V")) { print "${banner}\\n"; exit 0; }\n` +
    `exec { ${JSON.stringify(real)} } $0, @ARGV or die "python: $!\\n";\n`;
  for (const n of ["python3", path.basename(pyPath)]) {
    const l = path.join(binDir, n);
    if (l !== real && !fs.existsSync(l)) fs.writeFileSync(l, wrapper, { mode: 0o755 });
  }
  const lib = path.join(prefix, "lib", `python${ver}`);
  fs.mkdirSync(lib, { recursive: true });
  for (const ent of fs.readdirSync(py.stdlib)) {
    if (ent === "site-packages" || ent === "dist-packages" || ent === "sitecustomize.py") continue;
    fs.symlinkSync(path.join(py.stdlib, ent), path.join(lib, ent));
  }
  // `encodings` is a real directory whose __init__ also sets the z/OS identity, so that
  // `python -I -S` (no site, no sitecustomize) is z/OS too, as on a real LPAR.
  const encSrc = path.join(py.stdlib, "encodings");
  const encDst = path.join(lib, "encodings");
  fs.rmSync(encDst, { force: true });
  fs.mkdirSync(encDst);
  for (const ent of fs.readdirSync(encSrc)) {
    if (ent === "__init__.py" || ent === "__pycache__") continue;
    fs.symlinkSync(path.join(encSrc, ent), path.join(encDst, ent));
  }
  fs.writeFileSync(
    path.join(encDst, "__init__.py"),
    fs.readFileSync(path.join(encSrc, "__init__.py"), "utf8") +
      `\nZWH_EARLY_SWITCHES = ${JSON.stringify(path.join(hostDir, "switches.json"))}\n` +
      fs.readFileSync(path.join(SIM_DIR, "python", "identity_early.py"), "utf8"),
  );
  const body = fs.readFileSync(path.join(SIM_DIR, "python", "sitecustomize_body.py"), "utf8");
  fs.writeFileSync(
    path.join(lib, "sitecustomize.py"),
    `# generated by test/sim/controller.js for ${hostDir}\nZWH_SWITCHES = ${JSON.stringify(path.join(hostDir, "switches.json"))}\n${body}`,
  );
  if (py.sysconfigZos !== py.sysconfigOrig) {
    fs.writeFileSync(
      path.join(lib, `${py.sysconfigZos}.py`),
      `# z/OS sysconfig data name expected once sys.platform == "zos"; re-exports the base's data.\n` +
        `import importlib as _il\n` +
        `build_time_vars = dict(_il.import_module(${JSON.stringify(py.sysconfigOrig)}).build_time_vars)\n`,
    );
  }
  const sp = path.join(lib, "site-packages");
  fs.mkdirSync(sp, { recursive: true });
  for (const ent of fs.readdirSync(pipDir)) {
    if (ent.startsWith(".")) continue;
    fs.symlinkSync(path.join(pipDir, ent), path.join(sp, ent));
  }
  return pyPath;
}

/** Create a local system user for the simulator (root only): no password, no login but by key. */
function ensureUser(name) {
  if (spawnSync("id", ["-u", name]).status === 0) return;
  runOk("useradd", ["--system", "--no-create-home", "--home-dir", "/", "--shell", "/bin/sh", name]);
  // "*" = no password, yet not locked: sshd (UsePAM no) refuses key logins for locked ("!") accounts
  runOk("usermod", ["-p", "*", name]);
}

function userIds(name) {
  const uid = Number(runOk("id", ["-u", name]).stdout.trim());
  const gid = Number(runOk("id", ["-g", name]).stdout.trim());
  return { uid, gid };
}

function buildHost(dir, index, switchesIn, ctx) {
  const name = `lpar${index}`;
  const hostDir = path.join(dir, name);
  fs.rmSync(hostDir, { recursive: true, force: true });
  const root = path.join(hostDir, "root");
  const user = ctx.user;
  const home = path.join(root, "u", user);
  for (const d of [home, path.join(root, "tmp"), path.join(root, "bin"), path.join(root, "etc")]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.chmodSync(path.join(root, "tmp"), 0o1777);
  for (const d of [hostDir, root, path.join(root, "u"), path.join(root, "bin"), path.join(root, "etc")]) fs.chmodSync(d, 0o755);
  const sw = normalizeSwitches(switchesIn, name, ctx.py.ver);
  fs.writeFileSync(path.join(hostDir, "switches.json"), JSON.stringify(sw, null, 2) + "\n");

  // xattr support check (tags live in user.* xattrs)
  const probe = path.join(hostDir, ".xattr-probe");
  fs.writeFileSync(probe, "");
  const xr = spawnSync(ctx.py.executable, ["-I", "-c", "import os,sys;os.setxattr(sys.argv[1],'user.zos.tag',b'0:0')", probe]);
  fs.rmSync(probe, { force: true });
  if (xr.status !== 0) fail(`uss-sim: file system under ${hostDir} does not support user.* extended attributes (needed for file tags)`);

  // the wrappers' exec helper (shims/zsim_exec.c), used by applyBinSwitches below
  fs.symlinkSync(ctx.execHelper, path.join(hostDir, EXEC_NAME));

  // PATH directory: z/OS commands + shims only
  const bin = path.join(root, "bin");
  for (const c of ZOS_COMMANDS) {
    if (STRICT_RULES[c] || WRAPPED_ALWAYS[c] || c === "sh") continue; // applyBinSwitches writes these
    const real = realTool(c);
    if (real) fs.symlinkSync(real, path.join(bin, c));
  }
  for (const c of SHIM_COMMANDS) writeShim(bin, c, hostDir);
  applyBinSwitches(hostDir, sw);

  const pythonPath = buildPython(root, hostDir, sw, ctx.py, dir);

  // the session preload (shims/zsim_preload.c): session.py and the interactive shell put it in
  // LD_PRELOAD, the simulated z/OSMF in its BPXBATCH environment
  const preload = path.join(hostDir, PRELOAD_NAME);
  fs.symlinkSync(ctx.preload, preload);

  // keys
  const hostKey = path.join(hostDir, "ssh_host_ed25519_key");
  runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `zwh-sim-${name}`, "-f", hostKey]);
  const hostKeyPublic = fs.readFileSync(hostKey + ".pub", "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
  const fp = runOk("ssh-keygen", ["-lf", hostKey + ".pub"]).stdout.trim().split(/\s+/)[1];
  fs.copyFileSync(ctx.identityFile + ".pub", path.join(hostDir, "authorized_keys"));

  // login wrapper: the ForceCommand of every session
  const envBase =
    `HOME=${shq(home)} USER=${shq(user)} LOGNAME=${shq(user)} PATH=${shq(bin)} SHELL=/bin/sh ` +
    `ZWH_SIM_HOST=${shq(hostDir)}`;
  const login =
    `#!/bin/sh\n` +
    `# z/OS USS simulator session wrapper for ${name} (generated by test/sim/controller.js).\n` +
    `# Runs every exec request as "/bin/sh -c <cmd>" in a minimal environment: no profile,\n` +
    `# no client environment, PATH = the host's z/OS command set.\n` +
    `cd ${shq(home)} || exit 1\n` +
    `if [ "\${SSH_ORIGINAL_COMMAND-}" = ${SFTP_MARKER} ]; then\n` +
    `  exec env -i ${envBase} ${shq(ctx.py.executable)} -IBS ${shq(path.join(SHIMS_DIR, "session.py"))} ${shq(hostDir)} --sftp\n` +
    `fi\n` +
    `if [ -z "\${SSH_ORIGINAL_COMMAND+x}" ]; then\n` +
    `  exec env -i ${envBase} \${TERM:+TERM="$TERM"} \${SSH_CONNECTION:+SSH_CONNECTION="$SSH_CONNECTION"} \${SSH_CLIENT:+SSH_CLIENT="$SSH_CLIENT"} LD_PRELOAD=${shq(preload)} /bin/sh\n` +
    `fi\n` +
    `exec env -i ${envBase} \${SSH_CONNECTION:+SSH_CONNECTION="$SSH_CONNECTION"} \${SSH_CLIENT:+SSH_CLIENT="$SSH_CLIENT"} ` +
    `${shq(ctx.py.executable)} -IBS ${shq(path.join(SHIMS_DIR, "session.py"))} ${shq(hostDir)} "$SSH_ORIGINAL_COMMAND"\n`;
  fs.writeFileSync(path.join(hostDir, "login"), login, { mode: 0o755 });

  // The accounting log is appended by the session (as the session user); HOME is the user's.
  const acct = path.join(hostDir, ACCT_FILE);
  fs.writeFileSync(acct, "", { mode: 0o644 });
  if (ctx.ids) {
    fs.chownSync(acct, ctx.ids.uid, ctx.ids.gid);
    fs.chownSync(home, ctx.ids.uid, ctx.ids.gid);
    fs.chmodSync(home, 0o755);
  }

  const zosEnv = { HOME: home, USER: user, LOGNAME: user, PATH: bin, SHELL: "/bin/sh", ZWH_SIM_HOST: hostDir, LD_PRELOAD: preload };
  return { name, hostDir, root, home, sw, pythonPath, hostKey, hostKeyPublic, fp, user, zosEnv };
}

function sshdConfig(h, port, ctx) {
  return [
    `# z/OS USS simulator sshd for ${h.name} (generated by test/sim/controller.js)`,
    `Port ${port}`,
    `ListenAddress 127.0.0.1`,
    `HostKey ${cfgq(h.hostKey)}`,
    `PidFile ${cfgq(path.join(h.hostDir, "sshd.pid"))}`,
    `AuthorizedKeysFile ${cfgq(path.join(h.hostDir, "authorized_keys"))}`,
    `AllowUsers ${h.user}`,
    `PubkeyAuthentication yes`,
    `PasswordAuthentication no`,
    `KbdInteractiveAuthentication no`,
    `HostbasedAuthentication no`,
    `PermitRootLogin prohibit-password`,
    `UsePAM no`,
    `StrictModes no`,
    `PermitUserEnvironment no`,
    `UseDNS no`,
    `PrintMotd no`,
    `PrintLastLog no`,
    `X11Forwarding no`,
    `AllowAgentForwarding no`,
    `AllowTcpForwarding no`,
    // SHLVL keeps a bash login shell (used by sshd to run ForceCommand) from sourcing ~/.bashrc
    `SetEnv SHLVL=9`,
    `ForceCommand ${shq(path.join(h.hostDir, "login"))}`,
    `Subsystem sftp ${SFTP_MARKER}`,
    `LogLevel INFO`,
    "",
  ].join("\n");
}

async function startSshd(h, ctx) {
  const cfg = path.join(h.hostDir, "sshd_config");
  const log = path.join(h.hostDir, "sshd.log");
  const pidFile = path.join(h.hostDir, "sshd.pid");
  let lastErr = "";
  for (let attempt = 0; attempt < 6; attempt++) {
    const port = await freePort();
    fs.writeFileSync(cfg, sshdConfig(h, port, ctx));
    fs.rmSync(pidFile, { force: true });
    fs.writeFileSync(log, "");
    const r = spawnSync(ctx.sshd, ["-f", cfg, "-E", log], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) {
      lastErr = (fs.readFileSync(log, "utf8") + (r.stderr || "")).trim();
      if (/Address already in use|Cannot bind/i.test(lastErr)) continue;
      fail(`uss-sim: sshd failed to start for ${h.name}: ${lastErr}`);
    }
    for (let i = 0; i < 100; i++) {
      if (fs.existsSync(pidFile) && (await canConnect(port))) {
        const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
        return { port, pid };
      }
      await sleep(50);
    }
    lastErr = fs.readFileSync(log, "utf8").trim();
    fail(`uss-sim: sshd for ${h.name} did not come up on port ${port}: ${lastErr}`);
  }
  fail(`uss-sim: could not bind a port for ${h.name}: ${lastErr}`);
}

function readState(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), "utf8"));
  } catch {
    return null;
  }
}

function sshdAlive(host) {
  const pidFile = path.join(host.hostDir, "sshd.pid");
  let pid = host.pid;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8").trim()) || pid;
  } catch {
    /* use recorded pid */
  }
  if (!pid) return 0;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // only ever treat the sshd started with this host's config as ours (sshd rewrites its
    // process title, which still names the config; fall back to the recorded pid + "sshd")
    if (cmd.includes(path.join(host.hostDir, "sshd_config"))) return pid;
    return pid === host.pid && /sshd/.test(cmd) ? pid : 0;
  } catch {
    return 0;
  }
}

// ------------------------------------------------------------------------------------------------
// simulated z/OSMF (test/sim/zosmf): one HTTPS daemon per host, beside its sshd

const ZOSMF_SERVER = path.join(SIM_DIR, "zosmf", "server.js");

async function startZosmf(b, dir) {
  const { ensureCertificates } = require(path.join(SIM_DIR, "zosmf", "tls.js"));
  const zdir = path.join(b.hostDir, "zosmf");
  fs.mkdirSync(zdir, { recursive: true, mode: 0o700 });
  const tls = ensureCertificates(path.join(dir, "zosmf-ca"), "simulated zOSMF");
  const password = require("node:crypto").randomBytes(12).toString("base64url");
  const token = require("node:crypto").randomBytes(24).toString("base64url");
  fs.writeFileSync(path.join(zdir, "password"), password + "\n", { mode: 0o600 });
  const readyFile = path.join(zdir, "ready.json");
  fs.rmSync(readyFile, { force: true });
  const cfg = {
    hostName: b.name, hostDir: b.hostDir, root: b.root, home: b.home, user: b.user, password, token,
    tls, port: 0, env: b.zosEnv, logFile: path.join(zdir, "zosmf.log"), readyFile,
  };
  const cfgFile = path.join(zdir, "config.json");
  fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2) + "\n", { mode: 0o600 });
  // Jobs and file requests run as the owner of the host's home directory (the login user).
  const st = fs.statSync(b.home);
  const ids = process.getuid && process.getuid() === 0 && st.uid !== 0 ? { uid: st.uid, gid: st.gid } : {};
  if (ids.uid !== undefined) {
    for (const f of [zdir, cfgFile, path.join(zdir, "password"), tls.key]) fs.chownSync(f, ids.uid, ids.gid);
  }
  const out = fs.openSync(path.join(zdir, "server.out"), "w");
  const child = require("node:child_process").spawn(process.execPath, [ZOSMF_SERVER, cfgFile], {
    detached: true, stdio: ["ignore", out, out], ...ids,
  });
  child.unref();
  fs.closeSync(out);
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(readyFile)) {
      const r = JSON.parse(fs.readFileSync(readyFile, "utf8"));
      return {
        host: "127.0.0.1", port: r.port, pid: r.pid, user: b.user, password, token,
        caFile: tls.ca, wrongCaFile: tls.wrongCa, configFile: cfgFile, logFile: cfg.logFile,
      };
    }
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  fail(`uss-sim: the simulated z/OSMF for ${b.name} did not start: ${fs.readFileSync(path.join(zdir, "server.out"), "utf8").trim()}`);
}

function zosmfAlive(host) {
  const z = host.zosmf;
  if (!z || !z.pid) return 0;
  try {
    const cmd = fs.readFileSync(`/proc/${z.pid}/cmdline`, "utf8");
    return cmd.includes(ZOSMF_SERVER) && cmd.includes(z.configFile) ? z.pid : 0;
  } catch {
    return 0;
  }
}

async function stopHosts(dir) {
  dir = path.resolve(dir);
  const st = readState(dir);
  if (!st) return { stopped: [] };
  const stopped = [];
  for (const h of st.hosts) {
    const zpid = zosmfAlive(h);
    if (zpid) {
      try {
        process.kill(zpid, "SIGTERM");
      } catch {
        /* gone */
      }
      for (let i = 0; i < 60 && zosmfAlive(h); i++) await sleep(50);
    }
    const pid = sshdAlive(h);
    if (!pid) continue;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      continue;
    }
    for (let i = 0; i < 60 && sshdAlive(h); i++) await sleep(50);
    if (sshdAlive(h)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    stopped.push(h.name);
  }
  st.stoppedAt = new Date().toISOString();
  writeFileAtomic(path.join(dir, STATE_FILE), JSON.stringify(st, null, 2) + "\n");
  return { stopped };
}

function publicHost(h) {
  return {
    name: h.name,
    host: h.host,
    port: h.port,
    user: h.user,
    identityFile: h.identityFile,
    hostKeyFingerprint: h.hostKeyFingerprint,
    knownHostsFile: h.knownHostsFile,
    root: h.root,
    pythonPath: h.pythonPath,
    hostKeyPublic: h.hostKeyPublic,
    home: h.home,
    hostDir: h.hostDir,
    ...(h.zosmf ? { zosmf: publicZosmf(h.zosmf) } : {}),
  };
}

function publicZosmf(z) {
  return { host: z.host, port: z.port, user: z.user, password: z.password, token: z.token, caFile: z.caFile, wrongCaFile: z.wrongCaFile, logFile: z.logFile };
}

async function startHosts(opts = {}) {
  const n = opts.hosts === undefined ? 1 : Number(opts.hosts);
  if (!Number.isInteger(n) || n < 1 || n > 64) fail("uss-sim: --hosts must be an integer 1..64");
  const dir = path.resolve(opts.dir || path.join(REPO_ROOT, ".sim"));
  fs.mkdirSync(dir, { recursive: true });
  await stopHosts(dir); // a restart replaces what ran in this dir

  const sshd = findSshd();
  findSftpServer();
  if (process.getuid && process.getuid() === 0 && !fs.existsSync("/run/sshd")) {
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir
  }
  const asRoot = process.getuid && process.getuid() === 0;
  const py = findBasePython(asRoot);
  basePythonForShims = py.executable;
  let user = os.userInfo().username;
  let ids = null;
  if (asRoot) {
    ensureUser(SESSION_USER);
    ensureUser(SIM_OTHER_USER);
    user = SESSION_USER;
    ids = userIds(SESSION_USER);
    pythonForUser = true;
    fs.chmodSync(dir, 0o755); // a mkdtemp dir is 0700: the session user must reach its host root
    // sshd reads authorized_keys, and the session runs, as the session user: every directory
    // above the sim dir must be searchable by it
    for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
      if (!(fs.statSync(d).mode & 0o001)) {
        fail(`uss-sim: the session user ${SESSION_USER} cannot reach ${dir}: ${d} is not searchable by others (chmod o+x it, or use a --dir elsewhere)`);
      }
    }
  }
  const identityFile = ensureIdentity(dir);
  // Shims run with -B (never write into the repo); precompiled bytecode under <dir>/shared/pycache
  // (sys.pycache_prefix in every shim) spares each simulated command the compile of zsim.py.
  runOk(py.executable, ["-I", "-X", `pycache_prefix=${path.join(dir, "shared", "pycache")}`, "-m", "compileall", "-q", SHIMS_DIR]);
  const preload = buildNative(dir, PRELOAD_SRC, "zsim-preload", true);
  const execHelper = buildNative(dir, EXEC_SRC, "zsim-exec", false);
  const ctx = { sshd, py, user, ids, identityFile, preload, execHelper };

  const hosts = [];
  try {
    for (let i = 1; i <= n; i++) {
      const b = buildHost(dir, i, opts.switches, ctx);
      const { port, pid } = await startSshd(b, ctx);
      const zosmf = opts.zosmf ? await startZosmf(b, dir) : undefined;
      const knownHostsFile = path.join(b.hostDir, "known_hosts");
      fs.writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${b.hostKeyPublic}\n`);
      hosts.push({
        name: b.name,
        host: "127.0.0.1",
        port,
        user,
        identityFile,
        hostKeyFingerprint: b.fp,
        knownHostsFile,
        root: b.root,
        pythonPath: b.pythonPath,
        hostKeyPublic: b.hostKeyPublic,
        home: b.home,
        hostDir: b.hostDir,
        pid,
        ...(zosmf ? { zosmf } : {}),
      });
      writeFileAtomic(
        path.join(dir, STATE_FILE),
        JSON.stringify({ dir, startedAt: new Date().toISOString(), hosts }, null, 2) + "\n",
      );
    }
  } catch (e) {
    await stopHosts(dir);
    throw e;
  }
  return { dir, hosts: hosts.map(publicHost) };
}

// ------------------------------------------------------------------------------------------------
// CPU accounting (SMF type 30 style): shims/session.py appends one JSON line per exec to
// <hostDir>/smf30.jsonl: {type, time, command, user, system, cpu, elapsed, exit}.


/** The accounting records of one host, oldest first (from record number `from`, 0-based). */
function readCpuRecords(hostDir, from = 0) {
  let text = "";
  try {
    text = fs.readFileSync(path.join(hostDir, ACCT_FILE), "utf8");
  } catch {
    return [];
  }
  const recs = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      recs.push(JSON.parse(line));
    } catch {
      /* a torn last line while a session is writing */
    }
  }
  return recs.slice(from);
}

/** Sum of records: execs, SFTP sessions, user/system/total CPU seconds, elapsed seconds. */
function sumCpu(records) {
  const t = { execs: 0, sftpSessions: 0, user: 0, system: 0, cpu: 0, elapsed: 0 };
  for (const r of records) {
    if (r.kind === "sftp") t.sftpSessions += 1;
    else t.execs += 1;
    t.user += r.user || 0;
    t.system += r.system || 0;
    t.cpu += r.cpu || 0;
    t.elapsed += r.elapsed || 0;
  }
  return t;
}

function cpuReport(dir) {
  dir = path.resolve(dir || path.join(REPO_ROOT, ".sim"));
  const st = readState(dir);
  if (!st) return { dir, hosts: [] };
  return { dir, hosts: st.hosts.map((h) => ({ name: h.name, ...sumCpu(readCpuRecords(h.hostDir)) })) };
}

function status(dir) {
  dir = path.resolve(dir || path.join(REPO_ROOT, ".sim"));
  const st = readState(dir);
  if (!st) return { dir, hosts: [] };
  return {
    dir,
    hosts: st.hosts.map((h) => ({ ...publicHost(h), running: sshdAlive(h) !== 0 && (!h.zosmf || zosmfAlive(h) !== 0) })),
  };
}

// ------------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage:
  uss-sim start [--hosts N] [--dir D] [--json] [--switch name=value ...] [--zosmf] [--zowe-config PATH]
  uss-sim stop [--dir D]
  uss-sim status [--dir D] [--json]
  uss-sim cpu [--dir D] [--json]       per-host CPU totals of all execs (SMF type 30 style)
Switches: ${Object.keys(DEFAULT_SWITCHES).join(", ")} (see test/sim/README.md)`;

function parseArgs(argv) {
  const o = { cmd: argv[0], switches: {}, json: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const eq = a.indexOf("=");
      if (a.startsWith("--") && eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) fail(`uss-sim: ${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    const flag = a.startsWith("--") ? a.split("=")[0] : a;
    switch (flag) {
      case "--hosts":
        o.hosts = Number(val());
        break;
      case "--dir":
        o.dir = val();
        break;
      case "--json":
        o.json = true;
        break;
      case "--switch": {
        const s = val();
        const eq = s.indexOf("=");
        if (eq <= 0) fail(`uss-sim: --switch expects name=value, got "${s}"`);
        const k = s.slice(0, eq);
        o.switches[k] = parseSwitchValue(k, s.slice(eq + 1));
        break;
      }
      case "--zosmf": // also start a simulated z/OSMF per host (test/sim/zosmf)
        o.zosmf = true;
        break;
      case "--zowe-config": // also write a Zowe team config for the hosts (profiles/generate-zowe-config.js)
        o.zoweConfig = val();
        break;
      case "-h":
      case "--help":
        o.cmd = "help";
        break;
      default:
        fail(`uss-sim: unknown argument "${a}"\n${USAGE}`);
    }
  }
  return o;
}

function printHuman(hosts, withRunning) {
  for (const h of hosts) {
    const run = withRunning ? (h.running ? "  running" : "  stopped") : "";
    console.log(`${h.name}  ${h.user}@${h.host}:${h.port}${run}`);
    console.log(`  identityFile:       ${h.identityFile}`);
    console.log(`  hostKeyFingerprint: ${h.hostKeyFingerprint}`);
    console.log(`  knownHostsFile:     ${h.knownHostsFile}`);
    console.log(`  root:               ${h.root}`);
    console.log(`  pythonPath:         ${h.pythonPath}`);
    if (h.zosmf) {
      console.log(`  z/OSMF (simulated): https://${h.zosmf.host}:${h.zosmf.port}  user ${h.zosmf.user}  CA ${h.zosmf.caFile}`);
    }
    console.log(
      `  try: ssh -i ${shq(h.identityFile)} -p ${h.port} -o UserKnownHostsFile=${shq(h.knownHostsFile)} ${h.user}@${h.host} 'uname -a'`,
    );
  }
}

async function cli(argv) {
  const o = parseArgs(argv);
  if (o.cmd === "start") {
    const res = await startHosts({ hosts: o.hosts, dir: o.dir, switches: o.switches, zosmf: o.zosmf });
    if (o.zoweConfig) {
      // A Zowe team config (ssh profile per host, pinned host keys, wheelhouse profile) for the
      // fleet; the schema file needs lib/ built, so skip it when the build is absent.
      const { writeZoweConfig } = require(path.join(REPO_ROOT, "profiles", "generate-zowe-config.js"));
      const built = fs.existsSync(path.join(REPO_ROOT, "lib", "cli", "zowe", "wheelhouse-profile.js"));
      writeZoweConfig(res.hosts, path.resolve(o.zoweConfig), { schema: built });
      process.stderr.write(`uss-sim: wrote Zowe team config ${o.zoweConfig}\n`);
    }
    if (o.json) console.log(JSON.stringify({ hosts: res.hosts }, null, 2));
    else {
      console.log(`uss-sim: ${res.hosts.length} host(s) running in ${res.dir}`);
      printHuman(res.hosts, false);
    }
    return 0;
  }
  if (o.cmd === "stop") {
    const dir = path.resolve(o.dir || path.join(REPO_ROOT, ".sim"));
    const r = await stopHosts(dir);
    if (o.json) console.log(JSON.stringify(r));
    else console.log(r.stopped.length ? `uss-sim: stopped ${r.stopped.join(", ")}` : "uss-sim: nothing running");
    return 0;
  }
  if (o.cmd === "cpu") {
    const r = cpuReport(o.dir);
    if (o.json) console.log(JSON.stringify({ hosts: r.hosts }, null, 2));
    else if (!r.hosts.length) console.log(`uss-sim: no hosts in ${r.dir}`);
    else {
      console.log("host     execs  sftp   user s  system s   total s  elapsed s");
      for (const h of r.hosts) {
        console.log(
          `${h.name.padEnd(8)} ${String(h.execs).padStart(5)} ${String(h.sftpSessions).padStart(5)} ${h.user.toFixed(3).padStart(8)} ${h.system.toFixed(3).padStart(9)} ` +
            `${h.cpu.toFixed(3).padStart(9)} ${h.elapsed.toFixed(3).padStart(10)}`,
        );
      }
    }
    return r.hosts.length ? 0 : 3;
  }
  if (o.cmd === "status") {
    const s = status(o.dir);
    if (o.json) console.log(JSON.stringify({ hosts: s.hosts }, null, 2));
    else if (!s.hosts.length) console.log(`uss-sim: no hosts in ${s.dir}`);
    else printHuman(s.hosts, true);
    return s.hosts.length && s.hosts.every((h) => h.running) ? 0 : 3;
  }
  console.log(USAGE);
  return o.cmd === "help" ? 0 : 2;
}

module.exports = {
  DEFAULT_SWITCHES,
  ZOS_COMMANDS,
  SESSION_USER,
  SIM_OTHER_USER,
  startHosts,
  stopHosts,
  status,
  setSwitches,
  readCpuRecords,
  sumCpu,
  cpuReport,
  findSshd,
  findBasePython,
  cli,
};

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (rc) => process.exit(rc),
    (e) => {
      process.stderr.write((e && e.simUserError ? e.message : (e && e.stack) || String(e)) + "\n");
      process.exit(1);
    },
  );
}
