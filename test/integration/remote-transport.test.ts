/**
 * The SSH transport against the USS simulator (real OpenSSH sshd + sftp-server on loopback).
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { connectTarget, type RemoteSession } from "../../src/remote/connection";
import { SshTransport } from "../../src/remote/ssh-transport";
import { textTagTestArgv } from "../../src/remote/tags";
import type { TargetSpec } from "../../src/remote/target";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";

let sim: SimCluster;
let h: SimHost;
let work: string;
let session: RemoteSession;

function specFor(host: SimHost, extra: Partial<TargetSpec> = {}): TargetSpec {
  return {
    host: host.host, port: host.port, user: host.user, identityFile: host.identityFile,
    knownHostsFile: host.knownHostsFile, pythonPath: host.pythonPath, ...extra,
  };
}

async function codeOf(p: Promise<unknown>): Promise<ZwhError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ZwhError);
    return e as ZwhError;
  }
  throw new Error("expected a ZwhError");
}

async function waitForLog(file: string, needle: string): Promise<string> {
  // sshd writes its log asynchronously; wait until the line shows up (bounded by the test timeout).
  for (;;) {
    const text = readFileSync(file, "utf8");
    if (text.includes(needle)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = mkdtempSync(join(tmpdir(), "zwh-rt-"));
  session = await connectTarget(specFor(h));
});

afterAll(async () => {
  await session?.close();
  await sim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("connect and exec", () => {
  it("connects with the key, verifying the host key from known_hosts", () => {
    expect(session.hostKeyFingerprint).toBe(h.hostKeyFingerprint);
    expect(session.authMethod).toBe("publickey");
  });

  it("passes hostile arguments literally (printf %s echo back)", async () => {
    const marker = join(work, "pwned");
    const hostile = [`$(touch ${marker})`, `\`touch ${marker}\``, "with  spaces", `it's "quoted"`, "line1\nline2", "*", "$HOME", ";id", ""];
    for (const s of hostile) {
      const r = await session.exec(["printf", "%s", s]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(s);
    }
    const all = await session.exec(["printf", "[%s]", ...hostile]);
    expect(all.stdout).toBe(hostile.map((s) => `[${s}]`).join(""));
    expect(existsSync(marker)).toBe(false);
  });

  it("exports the z/OS env block in every exec", async () => {
    const r = await session.execChecked(["env"]);
    const env = Object.fromEntries(r.stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(env._BPXK_AUTOCVT).toBe("ON");
    expect(env._CEE_RUNOPTS).toBe("FILETAG(AUTOCVT,AUTOTAG) POSIX(ON)");
    expect(env._TAG_REDIR_IN).toBe("txt");
    expect(env._TAG_REDIR_OUT).toBe("txt");
    expect(env._TAG_REDIR_ERR).toBe("txt");
    expect(env.LANG).toBe("C");
    const pyz = h.pythonPath.replace(/\/bin\/[^/]+$/, "");
    expect(env.PATH.startsWith(`${pyz}/bin:`)).toBe(true);
    expect(env.PATH.split(":")).not.toContain("");
    expect(env.LIBPATH.split(":")[0]).toBe(`${pyz}/lib`);
    // python3 resolves through PATH to the SDK interpreter.
    const which = await session.execChecked({ script: "command -v python3" });
    expect(which.stdout.trim()).toBe(`${pyz}/bin/python3`);
  });

  it("exports per-command env and decodes output as ISO8859-1", async () => {
    const r = await session.execChecked({ script: 'printf "%s" "$ZWH_X"' }, { env: { ZWH_X: "a b$c" } });
    expect(r.stdout).toBe("a b$c");
    // z/OS sshd converts exec stdout IBM-1047 -> ISO8859-1 (zos-uss.md §5.3, §11): the EBCDIC
    // bytes of é (0x51) and ü (0xDC) arrive as ISO8859-1 0xE9 0xFC, which we decode as latin1.
    const latin = await session.execChecked(["printf", "\\121\\334"]);
    expect(latin.stdout).toBe("éü");
  });

  it("reports exit codes and stderr; execChecked throws ZWH-REMOTE-COMMAND", async () => {
    const r = await session.exec({ script: "echo out; echo err >&2; exit 7" });
    expect(r).toEqual({ code: 7, stdout: "out\n", stderr: "err\n" });
    const e = await codeOf(session.execChecked({ script: "echo boom >&2; exit 3" }, { label: "boom" }));
    expect(e.code).toBe("ZWH-REMOTE-COMMAND");
    expect(e.message).toContain("boom");
    expect(e.details?.exitCode).toBe(3);
  });

  it("sends stdin text", async () => {
    const r = await session.execChecked(["cat"], { stdinText: "hello\nworld\n" });
    expect(r.stdout).toBe("hello\nworld\n");
  });

  it("times out a command with ZWH-SSH-TIMEOUT (transient) and stays usable", async () => {
    const e = await codeOf(session.exec(["sleep", "60"], { timeoutMs: 300 }));
    expect(e.code).toBe("ZWH-SSH-TIMEOUT");
    expect(e.transient).toBe(true);
    expect(e.message).toContain(`${h.host}:${h.port}`);
    expect((await session.exec(["echo", "still here"])).stdout).toBe("still here\n");
  });

  it("batches commands in one exec; with stopAtFailure nothing after a failing command runs", async () => {
    const t = new SshTransport(session);
    const marker = `${h.home}/batch-marker-${Date.now()}`;
    const cmds = [["echo", "one"], ["sh", "-c", "echo two; exit 3"], ["touch", marker], [h.pythonPath, "-c", "pass"]];
    const stopped = await t.batch(cmds, { stopAtFailure: true });
    expect(stopped).toEqual([{ code: 0, stdout: "one\n" }, { code: 3, stdout: "two\n" }, { code: -1, stdout: "", skipped: true }, { code: -1, stdout: "", skipped: true }]);
    expect(existsSync(marker)).toBe(false);
    expect(t.stats).toMatchObject({ execs: 1, pythonStarts: 0 }); // the skipped python3 is not counted
    const all = await t.batch(cmds.slice(0, 3));
    expect(all.map((r) => r.code)).toEqual([0, 3, 0]);
    expect(existsSync(marker)).toBe(true);
    expect(t.stats.execs).toBe(2);
    // stopAtFailure N: only the first N commands guard the rest.
    const fail = (n: number) => ["sh", "-c", `exit ${n}`];
    expect((await t.batch([fail(0), fail(2), ["echo", "x"]], { stopAtFailure: 1 })).map((r) => r.code)).toEqual([0, 2, 0]);
    expect(await t.batch([fail(4), ["echo", "x"], ["echo", "y"]], { stopAtFailure: 1 })).toEqual([{ code: 4, stdout: "" }, { code: -1, stdout: "", skipped: true }, { code: -1, stdout: "", skipped: true }]);
  });

  it("textTagTestArgv passes only a file tagged text ISO8859-1 (T=on), printing its ls -T line", async () => {
    const t = new SshTransport(session);
    const f = `${h.home}/tag test's file ${Date.now()}`;
    const run = async (tag: string[]) => {
      await session.execChecked(["sh", "-c", 'rm -f "$1"; touch "$1"', "sh", f]);
      if (tag.length) await session.execChecked(["chtag", ...tag, f]);
      const [r, next] = await t.batch([textTagTestArgv(f), ["echo", "ran"]], { stopAtFailure: true });
      return { code: r.code, line: r.stdout, next: next.skipped === true ? "skipped" : next.stdout.trim() };
    };
    expect(await run(["-tc", "ISO8859-1"])).toEqual({ code: 0, line: `t ISO8859-1   T=on  ${f}\n`, next: "ran" });
    expect(await run(["-b"])).toEqual({ code: 1, line: `b binary      T=off ${f}\n`, next: "skipped" });
    expect(await run([])).toMatchObject({ code: 1, next: "skipped" });
    expect(await run(["-c", "ISO8859-1"])).toMatchObject({ code: 1, next: "skipped" }); // mixed: T=off
  });

  it("runs parallel execs over the one connection", async () => {
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => session.execChecked(["printf", "%s", String(i)])));
    expect(rs.map((r) => r.stdout)).toEqual(["0", "1", "2", "3", "4", "5"]);
  });
});

describe("SFTP", () => {
  it("uploads a 20 MB file byte-exact (sha256 by the target Python)", async () => {
    const local = join(work, "big.bin");
    const data = randomBytes(20 * 1024 * 1024);
    writeFileSync(local, data);
    const remote = `${h.home}/up/big file.bin`;
    await session.mkdirp(`${h.home}/up`);
    let last = 0;
    await session.upload(local, remote, { onProgress: (p) => (last = p.transferred) });
    expect(last).toBe(data.length);
    const py = "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())";
    const r = await session.execChecked(["python3", "-c", py, remote]);
    expect(r.stdout.trim()).toBe(createHash("sha256").update(data).digest("hex"));
    expect((await session.stat(remote)).size).toBe(data.length);
    // And back down over SFTP.
    const back = join(work, "back.bin");
    await session.download(remote, back);
    expect(readFileSync(back).equals(data)).toBe(true);
  });

  it("uploads many files in parallel with progress", async () => {
    const files = Array.from({ length: 5 }, (_, i) => {
      const p = join(work, `m${i}.bin`);
      writeFileSync(p, randomBytes(100_000 + i));
      return { localPath: p, remotePath: `${h.home}/many/m${i}.bin` };
    });
    await session.mkdirp(`${h.home}/many`);
    let last = { filesDone: 0, bytesDone: 0, bytesTotal: -1 };
    await session.uploadMany(files, { concurrency: 2, onProgress: (p) => (last = p) });
    expect(last.filesDone).toBe(5);
    expect(last.bytesDone).toBe(last.bytesTotal);
    for (const f of files) expect((await session.readFile(f.remotePath)).equals(readFileSync(f.localPath))).toBe(true);
  });

  it("writes, reads, renames, stats and removes files; mkdirp is idempotent", async () => {
    const d = `${h.home}/a/b c/d`;
    await session.mkdirp(d);
    await session.mkdirp(d);
    expect((await session.stat(d)).isDirectory).toBe(true);
    await session.writeFile(`${d}/x.txt`, "x1");
    await session.writeFile(`${d}/y.txt`, "y1");
    await session.rename(`${d}/x.txt`, `${d}/y.txt`);
    expect((await session.readFile(`${d}/y.txt`)).toString()).toBe("x1");
    expect(await session.exists(`${d}/x.txt`)).toBeUndefined();
    await session.writeFile(`${d}/z.txt`, "z");
    const e = await codeOf(session.rename(`${d}/z.txt`, `${d}/y.txt`, { overwrite: false }));
    expect(e.code).toBe("ZWH-SFTP-FAILURE");
    await session.unlink(`${d}/y.txt`);
    expect(await session.exists(`${d}/y.txt`)).toBeUndefined();
    expect(await session.homeDir()).toBe(h.home);
  });

  it("maps SFTP errors to ZWH-SFTP-* naming host:port", async () => {
    const nf = await codeOf(session.readFile(`${h.home}/nope/none`));
    expect(nf.code).toBe("ZWH-SFTP-NOT-FOUND");
    expect(nf.message).toContain(`${h.host}:${h.port}`);
    const e2 = await codeOf(session.upload(join(work, "missing-local"), `${h.home}/x`));
    expect(e2.code).toBe("ZWH-LOCAL-READ");
  });
});

describe("host key verification", () => {
  it("refuses an unknown host key, showing the fingerprint and how to pin it", async () => {
    const empty = join(work, "empty_known_hosts");
    writeFileSync(empty, "");
    const e = await codeOf(connectTarget(specFor(h, { knownHostsFile: empty })));
    expect(e.code).toBe("ZWH-SSH-HOSTKEY-UNKNOWN");
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(h.hostKeyFingerprint);
    expect(e.hint).toContain(`--host-key ${h.hostKeyFingerprint}`);
    expect(e.hint).toContain(`ssh-keyscan -p ${h.port} ${h.host} >> ${empty}`);
  });

  it("accepts a pinned fingerprint and a pinned key blob (ssh-ed25519 AAAA… form)", async () => {
    for (const pin of [h.hostKeyFingerprint, h.hostKeyPublic, h.hostKeyPublic.split(" ")[1]]) {
      const s = await connectTarget(specFor(h, { hostKey: pin, knownHostsFile: join(work, "none") }));
      expect(s.hostKeyFingerprint).toBe(h.hostKeyFingerprint);
      await s.close();
    }
  });

  it("accepts a hashed known_hosts entry written by ssh-keyscan -H", async () => {
    const kh = join(work, "hashed_known_hosts");
    const scanned = execFileSync("ssh-keyscan", ["-H", "-t", "ed25519", "-p", String(h.port), h.host], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    writeFileSync(kh, scanned);
    expect(scanned).toMatch(/^\|1\|/);
    const s = await connectTarget(specFor(h, { knownHostsFile: kh }));
    expect(s.hostKeyFingerprint).toBe(h.hostKeyFingerprint);
    await s.close();
  });

  it("refuses a wrong pinned key with MISMATCH before any credential is sent", async () => {
    const other = join(work, "otherhk");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const wrongFp = execFileSync("ssh-keygen", ["-lf", other + ".pub"], { encoding: "utf8" }).split(/\s+/)[1];
    const log = join(h.hostDir, "sshd.log");
    // Sentinel user names: sshd logs "Invalid user <name>" (AllowUsers: "not allowed") as soon as a
    // USERAUTH_REQUEST for that name arrives, i.e. as soon as any credential is offered.
    const refusedUser = `zwhpin${randomBytes(4).toString("hex")}`;
    const controlUser = `zwhctl${randomBytes(4).toString("hex")}`;

    for (const pin of [wrongFp, readFileSync(other + ".pub", "utf8").trim()]) {
      const e = await codeOf(connectTarget(specFor(h, { user: refusedUser, hostKey: pin })));
      expect(e.code).toBe("ZWH-SSH-HOSTKEY-MISMATCH");
      expect(e.message).toContain(wrongFp);
      expect(e.message).toContain(h.hostKeyFingerprint);
    }
    // Control: the right pin with the other sentinel does reach userauth and is logged.
    const ctl = await codeOf(connectTarget(specFor(h, { user: controlUser, hostKey: h.hostKeyFingerprint })));
    expect(ctl.code).toBe("ZWH-SSH-AUTH");
    const text = await waitForLog(log, controlUser);
    // The log is chronological: the refused attempts came first and left no trace of their user.
    expect(text).not.toContain(refusedUser);
  });

  it("refuses a key marked @revoked", async () => {
    const kh = join(work, "revoked_known_hosts");
    writeFileSync(kh, `[${h.host}]:${h.port} ${h.hostKeyPublic}\n@revoked * ${h.hostKeyPublic}\n`);
    const e = await codeOf(connectTarget(specFor(h, { knownHostsFile: kh })));
    expect(e.code).toBe("ZWH-SSH-HOSTKEY-REVOKED");
  });
});

describe("authentication and reachability", () => {
  it("a key the server does not know → ZWH-SSH-AUTH naming the methods tried", async () => {
    const k = join(work, "stranger");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k]);
    const e = await codeOf(connectTarget(specFor(h, { identityFile: k })));
    expect(e.code).toBe("ZWH-SSH-AUTH");
    expect(e.transient).toBe(false);
    expect(e.message).toContain("publickey");
    expect(e.message).toContain(`${h.host}:${h.port}`);
  });

  it("a password the server does not accept → ZWH-SSH-AUTH (password never printed)", async () => {
    const e = await codeOf(connectTarget(specFor(h, { identityFile: undefined, password: "sentinel-pw-9f2" }), { env: {} }));
    expect(e.code).toBe("ZWH-SSH-AUTH");
    expect(JSON.stringify(e.toJSON()) + e.format()).not.toContain("sentinel-pw-9f2");
  });

  it("an encrypted key with its passphrase works; a wrong passphrase is ZWH-SSH-KEY-PASSPHRASE", async () => {
    const k = join(work, "enc");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "pass phrase", "-f", k]);
    appendFileSync(join(h.hostDir, "authorized_keys"), readFileSync(k + ".pub"));
    const s = await connectTarget(specFor(h, { identityFile: k, passphrase: "pass phrase" }));
    expect((await s.exec(["echo", "ok"])).stdout).toBe("ok\n");
    await s.close();
    const e = await codeOf(connectTarget(specFor(h, { identityFile: k, passphrase: "nope" })));
    expect(e.code).toBe("ZWH-SSH-KEY-PASSPHRASE");
  });

  it("authenticates through ssh-agent", async () => {
    const sock = join(work, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
    try {
      while (!existsSync(sock)) await new Promise((r) => setTimeout(r, 50));
      const add = spawnSync("ssh-add", [h.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: "utf8" });
      expect(add.status).toBe(0);
      const s = await connectTarget(specFor(h, { identityFile: undefined }), { env: { SSH_AUTH_SOCK: sock } });
      expect(s.authMethod).toBe("agent");
      expect((await s.exec(["echo", "via agent"])).stdout).toBe("via agent\n");
      await s.close();
    } finally {
      agent.kill();
    }
  });

  it("connection refused → ZWH-SSH-UNREACHABLE, not transient", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const e = await codeOf(connectTarget(specFor(h, { port })));
    expect(e.code).toBe("ZWH-SSH-UNREACHABLE");
    expect(e.transient).toBe(false);
    expect(e.message).toContain(`127.0.0.1:${port}`);
  });

  it("a closed session refuses further work with ZWH-SSH-DISCONNECTED", async () => {
    const s = await connectTarget(specFor(h));
    await s.close();
    expect(s.closed).toBe(true);
    const e = await codeOf(s.exec(["true"]));
    expect(e.code).toBe("ZWH-SSH-DISCONNECTED");
  });
});
