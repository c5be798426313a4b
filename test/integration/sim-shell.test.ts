// Fidelity of the simulated z/OS UNIX exec environment: chtag, ls -T/-lT, tag lifecycle, uname,
// absent tools, minimal environment (reference: /work/shared/reference/zos-uss.md §1, §2, §5, §6).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimCluster, type SimHost, simExec, simSftp, startUssHosts } from "../sim/index";

let sim: SimCluster;
let h: SimHost;
let local: string;

beforeAll(async () => {
  sim = await startUssHosts();
  h = sim.hosts[0];
  local = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-local-"));
});

afterAll(async () => {
  await sim?.stop();
  if (local) fs.rmSync(local, { recursive: true, force: true });
});

async function sh(cmd: string) {
  return simExec(h, cmd);
}

describe("simulator host basics", () => {
  it("reports the interface fields", () => {
    expect(h.name).toBe("lpar1");
    expect(h.host).toBe("127.0.0.1");
    // started as root, sessions run as the unprivileged zwhsim (issue 9 item 6)
    expect(h.user).toBe(process.getuid?.() === 0 ? "zwhsim" : os.userInfo().username);
    expect(h.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(h.hostKeyPublic).toMatch(/^ssh-ed25519 AAAA\S+$/);
    expect(fs.readFileSync(h.knownHostsFile, "utf8")).toContain(h.hostKeyPublic);
    // §6: the SMP/E default path of the SDK whose version the interpreter reports (v3r11 for 3.11)
    expect(h.pythonPath).toMatch(new RegExp(`^${h.root}/usr/lpp/IBM/cyp/v3r\\d+/pyz/bin/python3$`));
  });

  it("acceptance: chtag -tc ISO8859-1 then ls -T", async () => {
    const r = await sh("touch f; chtag -tc ISO8859-1 f; ls -T f");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("t ISO8859-1   T=on  f\n");
  });

  it("uname answers like z/OS", async () => {
    const r = await sh("uname -s; uname -r; uname -v; uname -m; uname -n; uname -a; uname");
    expect(r.stdout.split("\n")).toEqual([
      "OS/390",
      "29.00",
      "04",
      "8561",
      "LPAR1",
      "OS/390 LPAR1 29.00 04 8561",
      "OS/390",
      "",
    ]);
  });

  it("runs commands with dash as /bin/sh, not bash", async () => {
    const r = await sh('echo "${BASH_VERSION:-nobash}"; command -v bash || echo "no bash on PATH"');
    expect(r.stdout).toBe("nobash\nno bash on PATH\n");
    // bash-only syntax is a syntax error for a POSIX sh
    const b = await sh("[[ 1 == 1 ]] && echo bashism");
    expect(b.stdout).not.toContain("bashism");
    expect(b.code).not.toBe(0);
  });

  it("has a minimal environment: no client env, no profile, z/OS PATH only", async () => {
    fs.writeFileSync(path.join(h.home, ".profile"), "export FROM_PROFILE=yes\n");
    const r = await simExecWithEnv("env | sort");
    const names = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("=")[0]);
    // upstream sshd also sets SSH_CLIENT and SSH_CONNECTION (issue 9 item 7); LD_PRELOAD is the
    // simulator's session preload (test/sim/README.md, "Session preload")
    expect(names).toEqual(["HOME", "LD_PRELOAD", "LOGNAME", "PATH", "PWD", "SHELL", "SSH_CLIENT", "SSH_CONNECTION", "USER", "ZWH_SIM_HOST"]);
    expect(r.stdout).toContain(`LD_PRELOAD=${path.join(h.hostDir, "zsim_preload.so")}\n`);
    expect(r.stdout).toContain(`HOME=${h.home}\n`);
    expect(r.stdout).toContain(`PATH=${path.join(h.root, "bin")}\n`);
    expect(r.stdout).not.toContain("FROM_PROFILE");
    expect(r.stdout).not.toContain("LC_ZWH_CLIENT");
    const pwd = await sh("pwd");
    expect(pwd.stdout).toBe(`${h.home}\n`);
  });

  it("lacks tools that z/OS does not ship", async () => {
    for (const tool of ["sha256sum", "sha256", "realpath", "mktemp", "bash", "python3", "python", "base64", "xxd"]) {
      const r = await sh(`command -v ${tool}`);
      expect({ tool, found: r.code === 0, out: r.stdout }).toEqual({ tool, found: false, out: "" });
    }
    const rl = await sh("ln -s target lnk; readlink lnk; readlink -f lnk");
    expect(rl.stdout).toBe("target\n");
    expect(rl.stderr).toMatch(/^readlink: FSUM\d+ Unknown option "-f"\./);
    expect(rl.code).not.toBe(0);
    const ok = await sh("command -v chtag && command -v pax && command -v iconv && command -v od");
    expect(ok.code).toBe(0);
  });
});

// ssh -o SetEnv sends an env request; z/OS sshd (AcceptEnv default) ignores it
async function simExecWithEnv(cmd: string) {
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync(
    "ssh",
    [
      "-F", "/dev/null", "-i", h.identityFile, "-o", `UserKnownHostsFile=${h.knownHostsFile}`,
      "-o", "BatchMode=yes", "-o", "SetEnv=LC_ZWH_CLIENT=leak", "-p", String(h.port),
      `${h.user}@127.0.0.1`, cmd,
    ],
    { encoding: "utf8", env: { ...process.env, LC_ZWH_CLIENT: "leak" } },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("chtag and ls -T output (§1.1, §2)", () => {
  beforeAll(async () => {
    const r = await sh(
      'mkdir -p t && cd t && touch a b c "with space" bin.dat u8 e && mkdir sub && touch sub/x && ' +
        "chtag -tc ISO8859-1 a && chtag -tc 819 b && chtag -b bin.dat && chtag -c ISO8859-1 c && " +
        'chtag -t -c UTF-8 u8 && chtag -tc IBM-1047 e && chtag -tc ISO8859-1 "with space"',
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("chtag -p prints the fixed-width form", async () => {
    const r = await sh('cd t && chtag -p a b bin.dat c u8 e "with space" sub/x');
    expect(r.stdout).toBe(
      [
        "t ISO8859-1   T=on  a",
        "t ISO8859-1   T=on  b",
        "b binary      T=off bin.dat",
        "m ISO8859-1   T=off c",
        "t UTF-8       T=on  u8",
        "t IBM-1047    T=on  e",
        "t ISO8859-1   T=on  with space",
        "- untagged    T=off sub/x",
        "",
      ].join("\n"),
    );
  });

  it("ls -T prefixes 20 characters; paths with spaces start at column 20", async () => {
    const r = await sh('cd t && ls -T a bin.dat "with space"');
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toEqual(["t ISO8859-1   T=on  a", "b binary      T=off bin.dat", "t ISO8859-1   T=on  with space"]);
    expect(lines[2].slice(20)).toBe("with space");
    expect(lines[1].split(/\s+/)[1]).toBe("binary");
  });

  it("ls -lT prefixes ls -l lines and gives directories 20 blanks", async () => {
    const r = await sh("cd t && ls -lT");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^total \d+$/);
    const byName = new Map(lines.slice(1).map((l) => [l.replace(/^.* \d\d:\d\d /, ""), l]));
    expect(byName.get("sub")).toMatch(/^ {20}drwx/);
    expect(byName.get("a")).toMatch(/^t ISO8859-1   T=on  -rw/);
    expect(byName.get("bin.dat")).toMatch(/^b binary      T=off -rw/);
    expect(byName.get("c")).toMatch(/^m ISO8859-1   T=off -rw/);
    expect(byName.get("with space")).toMatch(/^t ISO8859-1   T=on  -rw.* with space$/);
    // the rest of each line is exactly what plain `ls -l` prints
    const plain = await sh("cd t && ls -l");
    expect(lines.map((l) => (l.startsWith("total") ? l : l.slice(20)))).toEqual(plain.stdout.trimEnd().split("\n"));
  });

  it("ls -alT on a directory operand and untagged files", async () => {
    const r = await sh("ls -alT t/sub");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.find((l) => l.endsWith(" .")) ?? "").toMatch(/^ {20}drwx/);
    expect(lines.find((l) => l.endsWith(" x")) ?? "").toMatch(/^- untagged    T=off -rw/);
  });

  it("ls without -T is the plain ls", async () => {
    const r = await sh("cd t && ls");
    expect(r.stdout).toBe("a\nb\nbin.dat\nc\ne\nsub\nu8\nwith space\n");
  });

  it("-t alone keeps the code set; -m keeps it with T=off; -r removes the tag", async () => {
    const r = await sh(
      "touch k && chtag -tc IBM-1047 k && chtag -m k && chtag -p k && chtag -t k && chtag -p k && " +
        "chtag -c 819 k && chtag -p k && chtag -r k && chtag -p k && chtag -Rtc 819 kd 2>/dev/null; " +
        "mkdir -p kd/s && touch kd/1 kd/s/2 && chtag -Rtc 819 kd && chtag -R -p kd",
    );
    expect(r.stdout).toBe(
      [
        "m IBM-1047    T=off k",
        "t IBM-1047    T=on  k",
        "t ISO8859-1   T=on  k",
        "- untagged    T=off k",
        "t ISO8859-1   T=on  kd/1",
        "t ISO8859-1   T=on  kd/s/2",
        "",
      ].join("\n"),
    );
  });

  it("missing file: FSUMF180 with EDC5129I, rc 1, other operands still done", async () => {
    const r = await sh("touch ok1; chtag -tc 819 nothere ok1; echo rc=$?; chtag -p ok1");
    expect(r.stderr).toBe('chtag: FSUMF180 file "nothere": EDC5129I No such file or directory.\n');
    expect(r.stdout).toBe("rc=1\nt ISO8859-1   T=on  ok1\n");
  });

  it("rejects mutually exclusive flags and bad usage in FSUM style", async () => {
    for (const args of ["-b -t", "-bt", "-r -c 819", "-m -t", "-b -c 819", "-p -b", "-tm"]) {
      const r = await sh(`touch x; chtag ${args} x; echo rc=$?; chtag -p x`);
      expect({ args, err: r.stderr }).toEqual({ args, err: expect.stringMatching(/^chtag: FSUM\w+ Options -\w and -\w are mutually exclusive\.\nUsage: chtag/) });
      expect(r.stdout).toBe("rc=2\n- untagged    T=off x\n");
    }
    const none = await sh("chtag x; echo rc=$?");
    expect(none.stderr).toMatch(/^chtag: FSUM\w+ /);
    expect(none.stdout).toBe("rc=2\n");
    const bad = await sh("chtag -tc KLINGON x; echo rc=$?");
    expect(bad.stderr).toMatch(/^chtag: FSUM\w+ Code set "KLINGON" is not valid\./);
    const unk = await sh("chtag -z x; echo rc=$?");
    expect(unk.stderr).toMatch(/^chtag: FSUM\w+ Unknown option "-z"\./);
  });
});

describe("tag lifecycle (§5.1, §12)", () => {
  it("rename keeps the tag, overwrite keeps it, delete + recreate clears it", async () => {
    const r = await sh(
      "echo one > lc && chtag -tc ISO8859-1 lc && mv lc lc2 && chtag -p lc2 && " +
        "echo two > lc2 && chtag -p lc2 && cp /dev/null lc2 && chtag -p lc2 && " +
        "rm lc2 && echo three > lc2 && chtag -p lc2",
    );
    expect(r.stdout).toBe(
      ["t ISO8859-1   T=on  lc2", "t ISO8859-1   T=on  lc2", "t ISO8859-1   T=on  lc2", "- untagged    T=off lc2", ""].join("\n"),
    );
  });

  it("SFTP: new files arrive untagged and byte-exact; overwrite and rename keep a tag", async () => {
    const data = Buffer.alloc(70000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const src = path.join(local, "payload.bin");
    fs.writeFileSync(src, data);
    const pre = await sh("touch pre.bin && chtag -b pre.bin && touch ren.bin && chtag -tc 819 ren.bin");
    expect(pre.code).toBe(0);
    const r = await simSftp(h, [`put ${src} new.bin`, `put ${src} pre.bin`, "rename ren.bin ren2.bin"].join("\n"));
    expect(r.code).toBe(0);
    const tags = await sh("chtag -p new.bin pre.bin ren2.bin");
    expect(tags.stdout).toBe(
      ["- untagged    T=off new.bin", "b binary      T=off pre.bin", "t ISO8859-1   T=on  ren2.bin", ""].join("\n"),
    );
    expect(fs.readFileSync(path.join(h.home, "new.bin")).equals(data)).toBe(true);
    expect(fs.readFileSync(path.join(h.home, "pre.bin")).equals(data)).toBe(true);
  });
});

describe("iconv with z/OS code set names (§11)", () => {
  it("converts ISO8859-1 <-> IBM-1047 with the z/OS NL mapping", async () => {
    const r = await simExecRaw("printf 'Az[]\\n' | iconv -f ISO8859-1 -t IBM-1047 | od -An -tx1");
    expect(r.trim().split(/\s+/)).toEqual(["c1", "a9", "ad", "bd", "15"]);
    const back = await simExecRaw("printf 'hi\\n' | iconv -f 819 -t 1047 | iconv -f IBM-1047 -t UTF-8");
    expect(back).toBe("hi\n");
  });
});

async function simExecRaw(cmd: string): Promise<string> {
  const r = await sh(cmd);
  expect(r.stderr).toBe("");
  return r.stdout;
}
