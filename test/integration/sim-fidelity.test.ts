// Issue 9 acceptance: the simulated LPAR behaves like z/OS where a deploy tool can go wrong.
// Plain OpenSSH `ssh` against `scripts/uss-sim start`; each case names the section of
// /work/shared/reference/zos-uss.md it comes from.
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimHost } from "../sim";

const REPO = path.resolve(__dirname, "..", "..");
const CLI = path.join(REPO, "scripts", "uss-sim");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ctl = require(path.join(REPO, "test", "sim", "controller.js")) as {
  setSwitches(hostDir: string, p: Record<string, unknown>): unknown;
};

let dir: string;
let h: SimHost;

function cli(...args: string[]) {
  const r = spawnSync(CLI, args, { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Plain OpenSSH exec; stdout as raw bytes. */
function sshRaw(cmd: string, input?: Buffer | string) {
  const r = spawnSync(
    "ssh",
    ["-F", "/dev/null", "-i", h.identityFile, "-p", String(h.port), "-o", `UserKnownHostsFile=${h.knownHostsFile}`, "-o", "BatchMode=yes", `${h.user}@127.0.0.1`, cmd],
    { input: input ?? "" },
  );
  return { code: r.status, stdout: r.stdout as Buffer, stderr: (r.stderr as Buffer).toString("latin1") };
}

/** Plain OpenSSH sftp batch. */
function sftp(batch: string) {
  const r = spawnSync(
    "sftp",
    ["-F", "/dev/null", "-i", h.identityFile, "-P", String(h.port), "-o", `UserKnownHostsFile=${h.knownHostsFile}`, "-o", "BatchMode=yes", "-b", "-", `${h.user}@127.0.0.1`],
    { input: batch + "\n", encoding: "utf8" },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ssh(cmd: string, input?: Buffer | string) {
  const r = sshRaw(cmd, input);
  return { code: r.code, stdout: r.stdout.toString("latin1"), stderr: r.stderr };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-fid-"));
  const r = cli("start", "--dir", dir, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  h = JSON.parse(r.stdout).hosts[0];
});

afterAll(() => {
  if (dir) {
    cli("stop", "--dir", dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("tags on copy (§1, §12; IBM cp: UNIX-to-UNIX copies tag the target like the source)", () => {
  it("cp of a chtag -b file shows b binary T=off; mv keeps the tag", () => {
    const r = ssh("touch src.bin && chtag -b src.bin && cp src.bin copy.bin && chtag -p copy.bin && " +
      "touch t.txt && chtag -tc ISO8859-1 t.txt && mv t.txt moved.txt && chtag -p moved.txt && " +
      "touch plain && cp plain plain2 && chtag -p plain2");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("b binary      T=off copy.bin\nt ISO8859-1   T=on  moved.txt\n- untagged    T=off plain2\n");
  });
});

describe("strict POSIX tools (issue 9 item 4; FSUM shape §10)", () => {
  it("sed -i fails with an FSUM usage message and leaves the file alone", () => {
    const r = ssh("printf 'a\\n' > s.txt; sed -i s/a/b/ s.txt; echo rc=$?; cat s.txt");
    expect(r.stderr).toBe('sed: FSUM5006 Unknown option "-i".\n');
    expect(r.stdout).toBe("rc=2\na\n");
  });

  it("refuses the GNU-only options z/OS tools lack, and long options", () => {
    const cases: Array<[string, string]> = [
      ["cksum -a sha256 s.txt", 'cksum: FSUM5006 Unknown option "-a".'],
      ["find . -maxdepth 1", 'find: FSUM5006 Unknown option "-maxdepth".'],
      ["find . -print0", 'find: FSUM5006 Unknown option "-print0".'],
      ["find . -name x -delete", 'find: FSUM5006 Unknown option "-delete".'],
      ["xargs -0 echo </dev/null", 'xargs: FSUM5006 Unknown option "-0".'],
      ["mv -T s.txt s2.txt", 'mv: FSUM5006 Unknown option "-T".'],
      ["grep -rn a .", 'grep: FSUM5006 Unknown option "-r".'],
      ["grep -o a s.txt", 'grep: FSUM5006 Unknown option "-o".'],
      ["date -d now", 'date: FSUM5006 Unknown option "-d".'],
      ["du -sh .", 'du: FSUM5006 Unknown option "-h".'],
      ["sort --version", 'sort: FSUM5006 Unknown option "--version".'],
      ["ls --all", 'ls: FSUM5006 Unknown option "--all".'],
      ["cp --reflink=auto s.txt s3.txt", 'cp: FSUM5006 Unknown option "--reflink".'],
    ];
    for (const [cmd, msg] of cases) {
      const r = ssh(`${cmd}; echo rc=$?`);
      expect({ cmd, err: r.stderr, out: r.stdout }).toEqual({ cmd, err: msg + "\n", out: "rc=2\n" });
    }
    // POSIX uses still work; an option value that starts with '-' is not an option
    const ok = ssh("printf 'a-r\\n' > g.txt; grep -e -r g.txt; sed -n -e p g.txt; find . -name g.txt; env -i sort --version >/dev/null; echo rc=$?");
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe("a-r\na-r\n./g.txt\nrc=0\n");
  });

  it("strictPosix=false gives the GNU tools back", () => {
    ctl.setSwitches(h.hostDir, { strictPosix: false });
    try {
      const r = ssh("printf 'a\\n' > s4.txt; sed -i s/a/b/ s4.txt && ls --version >/dev/null && echo ok");
      expect(r.stdout).toBe("ok\n");
      expect(fs.readFileSync(path.join(h.home, "s4.txt"), "latin1")).toBe("b\n");
    } finally {
      ctl.setSwitches(h.hostDir, { strictPosix: true });
    }
    expect(ssh("sed -i s/a/b/ s4.txt; echo rc=$?").stdout).toBe("rc=2\n");
  });
});

describe("identity (§5.3, §6)", () => {
  it("whoami is not root: sessions run as an unprivileged user (issue 9 item 6)", () => {
    const r = ssh("whoami; id -u; mkdir /not-mine 2>/dev/null; echo rc=$?");
    const [who, uid, rc] = r.stdout.split("\n");
    expect(who).toBe(h.user);
    expect(who).not.toBe("root");
    expect(uid).not.toBe("0");
    expect(rc).toBe("rc=1"); // the LPAR's / is root's
  });

  it("hostname equals uname -n; SSH_CONNECTION and SSH_CLIENT are set as upstream sshd does", () => {
    const r = ssh('hostname; uname -n; echo "$SSH_CONNECTION"; echo "$SSH_CLIENT"');
    const [hn, un, conn, client] = r.stdout.split("\n");
    expect(hn).toBe(un);
    expect(hn).toBe("LPAR1");
    expect(conn).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${h.port}$`));
    expect(client).toBe(`${conn.split(" ")[0]} ${conn.split(" ")[1]} ${h.port}`);
  });

  it("readlink errors carry a real FSUM number and the EDC text (§10)", () => {
    const r = ssh("readlink nothere; echo rc=$?");
    expect(r.stderr).toBe('readlink: FSUM6258 cannot open file "nothere": EDC5129I No such file or directory.\n');
    expect(r.stdout).toBe("rc=1\n");
  });
});

describe("z/OS commands that exist (issue 9 item 8)", () => {
  it("command -v finds dd, pax, uuencode, uudecode, compress, uncompress, zcat, cpio, strings, whoami", () => {
    const tools = ["dd", "pax", "uuencode", "uudecode", "compress", "uncompress", "zcat", "cpio", "strings", "whoami"];
    const r = ssh(tools.map((t) => `command -v ${t} >/dev/null && echo ${t}`).join("; "));
    expect(r.stdout.trim().split("\n")).toEqual(tools);
  });

  it("pax keeps tags with -o saveext and loses them without (§1.1)", () => {
    const r = ssh(
      "mkdir -p px/in && cd px && printf 'x\\n' > in/a && chtag -tc ISO8859-1 in/a && touch in/b && chtag -b in/b && " +
        "pax -w -o saveext -f ext.pax in && pax -w -f plain.pax in && mkdir e p && " +
        "(cd e && pax -r -f ../ext.pax) && (cd p && pax -r -f ../plain.pax) && chtag -p e/in/a e/in/b p/in/a",
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("t ISO8859-1   T=on  e/in/a\nb binary      T=off e/in/b\n- untagged    T=off p/in/a\n");
  });

  it("compress/uncompress/zcat handle .Z; dd and strings work", () => {
    const r = ssh("printf 'hello z\\n' > z.txt && compress -f z.txt && ls z.txt.Z && zcat z.txt.Z && uncompress z.txt.Z && cat < z.txt && " +
      "dd if=z.txt bs=1 count=5 2>/dev/null; echo; strings z.txt");
    expect(r.stdout).toBe("z.txt.Z\nhello z\nhello z\nhello\nhello z\n");
  });
});

describe("exec channel conversion (§5.3, §11, §12)", () => {
  let data: Buffer;
  beforeAll(() => {
    data = crypto.randomBytes(64 * 1024);
    fs.writeFileSync(path.join(h.home, "rnd.bin"), data);
  });

  it("cat of a random binary file arrives mangled; uuencode -m of it decodes back to the same bytes", () => {
    const raw = sshRaw("cat rnd.bin");
    expect(raw.code).toBe(0);
    expect(raw.stdout.length).toBe(data.length);
    expect(raw.stdout.equals(data)).toBe(false);
    const uu = ssh("uuencode -m rnd.bin rnd.bin");
    const lines = uu.stdout.trim().split("\n");
    expect(lines[0]).toBe("begin-base64 644 rnd.bin");
    expect(lines[lines.length - 1]).toBe("====");
    expect(Buffer.from(lines.slice(1, -1).join(""), "base64").equals(data)).toBe(true);
  });

  it("the mangling is the §11 E2A table", () => {
    // one line of bytes that is not text: 0x00 0xC1 0x81 0xF0 0x15 -> E2A -> 00 'A' 'a' '0' '\n'
    fs.writeFileSync(path.join(h.home, "e.bin"), Buffer.from([0x00, 0xc1, 0x81, 0xf0, 0x15]));
    // `cat < f`: the bytes as they are (a FILE operand would be read through the tag, §4)
    expect(sshRaw("cat < e.bin").stdout.equals(Buffer.from([0x00, 0x41, 0x61, 0x30, 0x0a]))).toBe(true);
  });

  it("text output arrives unchanged; stderr is never converted", () => {
    const r = sshRaw("printf 'plain text\\tok\\n'; printf '\\001\\302\\n' >&2");
    expect(r.stdout.toString()).toBe("plain text\tok\n");
    expect(r.stderr).toBe("\x01\xc2\n");
  });

  it("stdin: text arrives as text, binary arrives through A2E", () => {
    const t = ssh("cat > in.txt; cat in.txt", "line one\nline two\n");
    expect(t.stdout).toBe("line one\nline two\n");
    const bin = Buffer.from([0x00, 0xc1, 0x41, 0x0a]);
    const r = sshRaw("cat > in.bin", bin);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(h.home, "in.bin")).equals(bin)).toBe(false);
    // A2E of 00 C1 41 0A
    expect(fs.readFileSync(path.join(h.home, "in.bin")).equals(Buffer.from([0x00, 0x65, 0xc1, 0x15]))).toBe(true);
  });

  it("channelConvert=false passes bytes unchanged", () => {
    ctl.setSwitches(h.hostDir, { channelConvert: false });
    try {
      expect(sshRaw("cat < rnd.bin").stdout.equals(data)).toBe(true);
    } finally {
      ctl.setSwitches(h.hostDir, { channelConvert: true });
    }
  });
});

describe("IBM Python (§6)", () => {
  it("the SDK path's vNrMM matches sys.version_info; --version prints the IBM banner", () => {
    const m = /\/usr\/lpp\/IBM\/cyp\/v(\d+)r(\d+)\/pyz\/bin\/python3$/.exec(h.pythonPath);
    expect(m).not.toBeNull();
    const r = ssh(`${h.pythonPath} -c 'import sys;print("%d %d" % sys.version_info[:2])'; ${h.pythonPath} --version`);
    const [vi, banner] = r.stdout.split("\n");
    expect(vi).toBe(`${m![1]} ${m![2]}`);
    expect(banner).toMatch(new RegExp(`^IBM Open Enterprise SDK for Python ${m![1]}\\.${m![2]}\\.\\d+$`));
  });
});

describe("tag-driven conversion, default switches (strictUntaggedText on; §3, §4, §12)", () => {
  let local: string;
  beforeAll(() => {
    local = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-fid-l-"));
    fs.writeFileSync(path.join(local, "script.sh"), "echo from-script $1\n");
    fs.writeFileSync(path.join(local, "data.txt"), "alpha\nbeta\n");
  });
  afterAll(() => {
    fs.rmSync(local, { recursive: true, force: true });
  });

  it("an untagged ASCII script run with sh fails; after chtag -tc ISO8859-1 with _BPXK_AUTOCVT=ON it runs", () => {
    // the script arrives as ASCII bytes over SFTP (new files are untagged, §5.1)
    expect(sftp(`put ${path.join(local, "script.sh")} script.sh`).code).toBe(0);
    const bad = ssh("sh script.sh x; echo rc=$?");
    expect(bad.stdout).toBe("rc=2\n");
    expect(bad.stderr).toMatch(/^script\.sh: FSUM7332 syntax error/);
    // tagged, but AUTOCVT off: still EBCDIC to /bin/sh
    expect(ssh("chtag -tc ISO8859-1 script.sh && sh script.sh x; echo rc=$?").stdout).toBe("rc=2\n");
    const good = ssh("export _BPXK_AUTOCVT=ON; sh script.sh x; echo rc=$?");
    expect(good.stderr).toBe("");
    expect(good.stdout).toBe("from-script x\nrc=0\n");
    // an EBCDIC script tagged IBM-1047 runs too
    const e = ssh("printf 'echo ebcdic $1\\n' | iconv -f ISO8859-1 -t IBM-1047 > e.sh && chtag -tc IBM-1047 e.sh && sh e.sh y");
    expect(e.stdout).toBe("ebcdic y\n");
  });

  it("sourcing (. FILE) reads the script through its tag like sh FILE (§3, §4)", () => {
    expect(sftp(`put ${path.join(local, "script.sh")} src.sh`).code).toBe(0);
    // untagged ASCII: a syntax error that ends the non-interactive shell (rc 2)
    const bad = ssh(". ./src.sh; echo after=$?");
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toBe("./src.sh: FSUM7332 syntax error: the file is read as IBM-1047 (tag: - untagged    T=off)\n");
    expect(ssh("chtag -b src.sh; . ./src.sh").stderr).toMatch(/^\.\/src\.sh: FSUM7332 syntax error: .*b binary      T=off\)$/m);
    // tagged ISO8859-1, AUTOCVT in the shell's environment: runs
    const good = ssh("chtag -tc ISO8859-1 src.sh && _BPXK_AUTOCVT=ON sh -c '. ./src.sh; echo rc=$?'");
    expect(good.stderr).toBe("");
    expect(good.stdout).toBe("from-script\nrc=0\n");
    // tagged ISO8859-1 without AUTOCVT: EBCDIC to the shell
    expect(ssh("sh -c '. ./src.sh'").stderr).toMatch(/FSUM7332 syntax error: .*t ISO8859-1   T=on\)$/m);
    // EBCDIC bytes tagged IBM-1047 are converted
    const e = ssh("printf 'echo sourced-ebcdic\\n' | iconv -f ISO8859-1 -t IBM-1047 > se.sh && chtag -tc IBM-1047 se.sh && . ./se.sh");
    expect(e.stdout).toBe("sourced-ebcdic\n");
    // untagged counts as EBCDIC: real IBM-1047 bytes without a tag run too (sh FILE and . FILE)
    const u = ssh("printf 'echo untagged-ebcdic $1\\n' | iconv -f ISO8859-1 -t IBM-1047 > ue.sh && sh ue.sh 1 && . ./ue.sh && ls -T ue.sh");
    expect(u.stderr).toBe("");
    expect(u.stdout).toBe("untagged-ebcdic 1\nuntagged-ebcdic\n- untagged    T=off ue.sh\n");
  });

  it("a script the shell wrote itself is EBCDIC text on z/OS: it runs, and cat shows it (§4)", () => {
    const r = ssh("printf 'echo native $1\\n' > n.sh; sh n.sh 1; . ./n.sh; cat n.sh");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("native 1\nnative\necho native $1\n");
  });

  it("strictUntaggedText=false: scripts and files are read as they are", () => {
    ctl.setSwitches(h.hostDir, { strictUntaggedText: false });
    try {
      expect(sftp(`put ${path.join(local, "script.sh")} off.sh`).code).toBe(0);
      const r = ssh("sh off.sh 1; . ./off.sh; cat off.sh");
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("from-script 1\nfrom-script\necho from-script $1\n");
    } finally {
      ctl.setSwitches(h.hostDir, { strictUntaggedText: true });
    }
  });

  it("cat, head, grep, sed and awk start the Python shim only for a FILE operand (no Python start for pipes)", () => {
    const shims = ["cat", "head", "grep", "sed", "awk"].map((t) => path.join(h.hostDir, "shimbin", t));
    for (const f of shims) fs.chmodSync(f, 0o000); // a wrapper that tried to start the shim would fail
    try {
      const r = ssh("printf 'alpha\\nbeta\\n' | grep -c alpha; printf 'a\\nb\\n' | head -n 1; echo q | sed -n -e p; " +
        "echo 1 2 | awk '{print $2}'; echo c | cat; echo d | cat -");
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("1\na\nq\n2\nc\nd\n");
      for (const cmd of ["grep a data.txt", "head -n 1 data.txt", "sed -n p data.txt", "awk 1 data.txt", "cat data.txt"]) {
        expect(ssh(cmd).stderr).toMatch(/Permission denied/);
      }
    } finally {
      for (const f of shims) fs.chmodSync(f, 0o755);
    }
  });

  it("head, grep, sed and awk read files through the tag like cat", () => {
    expect(sftp(`put ${path.join(local, "data.txt")} data.txt`).code).toBe(0);
    const untagged = ssh("grep -c alpha data.txt; head -1 data.txt | grep -c alpha; sed -n 1p data.txt | grep -c alpha; awk 'NR==1' data.txt | grep -c alpha");
    expect(untagged.stdout).toBe("0\n0\n0\n0\n");
    const tagged = ssh("chtag -tc ISO8859-1 data.txt; export _BPXK_AUTOCVT=ON; grep -c alpha data.txt; head -1 data.txt; sed -n 2p data.txt; awk 'NR==1' data.txt");
    expect(tagged.stdout).toBe("1\nalpha\nbeta\nalpha\n");
  });
});

describe("_TAG_REDIR_OUT / _TAG_REDIR_ERR tag redirect targets (§3, §12)", () => {
  const tags = (files: string) => ssh(`ls -T ${files}`).stdout;

  it("txt: an external command's redirect target is tagged IBM-1047 text at its first write; cat shows it", () => {
    const r = ssh("_TAG_REDIR_OUT=txt basename /a/out1 > r1; (export _TAG_REDIR_OUT=TXT; basename /a/out2 > r2); " +
      "export _TAG_REDIR_OUT=txt; basename /a/out3 > r3; cat r1 r2 r3");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("out1\nout2\nout3\n");
    expect(tags("r1 r2 r3")).toBe("t IBM-1047    T=on  r1\nt IBM-1047    T=on  r2\nt IBM-1047    T=on  r3\n");
  });

  it("bin: the target is tagged binary; _TAG_REDIR_ERR tags the stderr target", () => {
    ssh("_TAG_REDIR_OUT=bin basename /x > b1; _TAG_REDIR_ERR=txt ls /no-such-dir 2> e1; _TAG_REDIR_OUT=txt ls /no-such-dir 2> e2");
    expect(tags("b1 e1 e2")).toBe("b binary      T=off b1\nt IBM-1047    T=on  e1\n- untagged    T=off e2\n");
  });

  it("only a shell redirection is tagged: a file a program hands to a child as stdout is not (§3 shell redirection)", () => {
    const r = ssh(`_TAG_REDIR_OUT=txt ${h.pythonPath} -c 'import subprocess; subprocess.run(["basename", "/x"], stdout=open("p1", "wb"))'; cat p1`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("x\n");
    expect(tags("p1")).toBe("- untagged    T=off p1\n");
  });

  it("an already tagged target keeps its tag; a target not written to stays untagged; no variable, no tag", () => {
    const r = ssh("touch k1 && chtag -tc ISO8859-1 k1 && _TAG_REDIR_OUT=txt basename /x > k1; " +
      "_TAG_REDIR_OUT=txt true > k2; basename /x > k3");
    expect(r.code).toBe(0);
    expect(tags("k1 k2 k3")).toBe("t ISO8859-1   T=on  k1\n- untagged    T=off k2\n- untagged    T=off k3\n");
  });

  it("shell builtins see the variable when the shell started with it (a child sh), not when exported in the same command string; an unexported assignment does not reach the command (README limits)", () => {
    ssh("_TAG_REDIR_OUT=txt sh -c 'echo x > s1; printf y > s2'; (_TAG_REDIR_OUT=TXT; basename /x > s4); export _TAG_REDIR_OUT=txt; echo z > s3");
    expect(tags("s1 s2 s3 s4")).toBe("t IBM-1047    T=on  s1\nt IBM-1047    T=on  s2\n- untagged    T=off s3\n- untagged    T=off s4\n");
  });
});

describe("IBM Python specifics (§9, §12)", () => {
  it("has a cp1047 codec with the §11 table", () => {
    const r = ssh(`${h.pythonPath} -c 'import codecs;print("Az[]\\n".encode("cp1047").hex(), b"\\xc1\\x81".decode("IBM-1047"), codecs.lookup("cp1047").name)'`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("c1a9adbd15 Aa cp1047\n");
  });

  it("Python source piped on stdin is a SyntaxError unless PYTHONSTDINENCODING is set", () => {
    const bad = ssh(`${h.pythonPath} -`, "print('piped')\n");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/SyntaxError: Non-UTF-8 code starting with '\\x97' in file <stdin> on line 1/);
    const good = ssh(`PYTHONSTDINENCODING=cp1047 ${h.pythonPath} -`, "print('piped')\n");
    expect(good.stdout).toBe("piped\n");
    ctl.setSwitches(h.hostDir, { pythonStdinEbcdic: false });
    try {
      expect(ssh(`${h.pythonPath} -`, "print('piped')\n").stdout).toBe("piped\n");
    } finally {
      ctl.setSwitches(h.hostDir, { pythonStdinEbcdic: true });
    }
  });

  it("iconv knows every code set chtag accepts", () => {
    const r = ssh("iconv -l");
    expect(r.stdout.trim().split("\n").map((l) => l.split(" ")[0])).toEqual(
      ["IBM-037", "IBM-273", "IBM-500", "ISO8859-1", "IBM-850", "IBM-1047", "IBM-1140", "UTF-8"],
    );
    const c = ssh("for cs in IBM-037 IBM-273 IBM-500 IBM-850 IBM-1140 37 500; do printf 'Az' | iconv -f ISO8859-1 -t $cs | iconv -f $cs -t UTF-8; echo; done");
    expect(c.stderr).toBe("");
    expect(c.stdout).toBe("Az\n".repeat(7));
  });
});

describe("CPU accounting like SMF type 30 (issue 9 item 10)", () => {
  it("one record per exec with the CPU of the whole process tree; uss-sim cpu prints per-host totals", () => {
    const acct = path.join(h.hostDir, "smf30.jsonl");
    const count = () => fs.readFileSync(acct, "utf8").split("\n").filter(Boolean).length;
    const before = count();
    // the CPU is burnt by a grandchild of the login shell
    const r = ssh("sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'; exit 3");
    expect(r.code).toBe(3);
    const all = fs.readFileSync(acct, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const recs = all.filter((x) => x.kind === "exec");
    expect(all.length).toBe(before + 1);
    const rec = all[all.length - 1];
    expect(rec.kind).toBe("exec");
    expect(rec.type).toBe(30);
    expect(rec.command).toBe("sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'; exit 3");
    expect(rec.exit).toBe(3);
    expect(rec.user).toBeGreaterThan(0);
    expect(rec.cpu).toBeCloseTo(rec.user + rec.system, 6);
    const j = cli("cpu", "--dir", dir, "--json");
    expect(j.code).toBe(0);
    const tot = JSON.parse(j.stdout).hosts[0];
    expect(tot.name).toBe("lpar1");
    expect(tot.execs).toBe(recs.length);
    expect(tot.sftpSessions).toBe(all.length - recs.length);
    expect(tot.sftpSessions).toBeGreaterThan(0); // the SFTP uploads above are accounted too
    expect(tot.cpu).toBeCloseTo(all.reduce((a, x) => a + x.cpu, 0), 6);
    const human = cli("cpu", "--dir", dir);
    expect(human.stdout).toMatch(/^host +execs +sftp +user s +system s +total s +elapsed s\nlpar1 +\d+ +\d+ /);
  });
});
