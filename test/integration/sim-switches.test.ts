// Simulator switches: hostile AUTOCVT on SFTP writes (§5.2), auto-tag mount (§1), sha256 presence
// (§5.3), strict untagged text (§4), uname/pythonPath site variation (§6).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimCluster, type SimHost, setSimSwitches, simExec, simSftp, startUssHosts, writeHostFile } from "../sim/index";

// §11: "hello\n" in IBM-1047 with the z/OS NL mapping
const HELLO_1047 = Buffer.from([0x88, 0x85, 0x93, 0x93, 0x96, 0x15]);

let sim: SimCluster;
let h: SimHost;
let local: string;

beforeAll(async () => {
  sim = await startUssHosts({ switches: { hostileAutocvt: "a2e" } });
  h = sim.hosts[0];
  local = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-sw-"));
  fs.writeFileSync(path.join(local, "hello.txt"), "hello\n");
});

afterAll(async () => {
  await sim?.stop();
  if (local) fs.rmSync(local, { recursive: true, force: true });
});

const home = (p: string) => path.join(h.home, p);

describe("hostileAutocvt", () => {
  it("transcodes an upload into a new untagged file but not into a pre-tagged binary file", async () => {
    const pre = await simExec(h, "touch safe.bin && chtag -b safe.bin");
    expect(pre.code).toBe(0);
    const src = path.join(local, "hello.txt");
    const r = await simSftp(h, `put ${src} new.txt\nput ${src} safe.bin`);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(home("new.txt")).equals(HELLO_1047)).toBe(true);
    expect(fs.readFileSync(home("safe.bin")).toString()).toBe("hello\n");
    const tags = await simExec(h, "chtag -p new.txt safe.bin");
    expect(tags.stdout).toBe("- untagged    T=off new.txt\nb binary      T=off safe.bin\n");
  });

  it("direction e2a is a parameter; off means byte-exact", async () => {
    setSimSwitches(h, { hostileAutocvt: "e2a" });
    fs.writeFileSync(path.join(local, "e.bin"), HELLO_1047);
    let r = await simSftp(h, `put ${path.join(local, "e.bin")} e2a.txt`);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(home("e2a.txt")).toString()).toBe("hello\n");
    setSimSwitches(h, { hostileAutocvt: false });
    r = await simSftp(h, `put ${path.join(local, "hello.txt")} plain.txt`);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(home("plain.txt")).toString()).toBe("hello\n");
    setSimSwitches(h, { hostileAutocvt: "a2e" });
  });

  it("downloads are never converted", async () => {
    const out = path.join(local, "back.bin");
    const r = await simSftp(h, `get new.txt ${out}`);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out).equals(HELLO_1047)).toBe(true);
  });
});

describe("autoTagMount", () => {
  it("new SFTP files come up t ISO8859-1; existing files keep their tag", async () => {
    setSimSwitches(h, { autoTagMount: true, hostileAutocvt: false });
    try {
      const pre = await simExec(h, "touch keep.bin && chtag -b keep.bin");
      expect(pre.code).toBe(0);
      const src = path.join(local, "hello.txt");
      const r = await simSftp(h, `put ${src} auto.txt\nput ${src} keep.bin`);
      expect(r.code).toBe(0);
      const tags = await simExec(h, "chtag -p auto.txt keep.bin");
      expect(tags.stdout).toBe("t ISO8859-1   T=on  auto.txt\nb binary      T=off keep.bin\n");
      expect(fs.readFileSync(home("auto.txt")).toString()).toBe("hello\n");
    } finally {
      setSimSwitches(h, { autoTagMount: false, hostileAutocvt: "a2e" });
    }
  });
});

describe("noSha256", () => {
  it("sha256 is absent by default and present (BSD-style output) when switched off", async () => {
    let r = await simExec(h, "command -v sha256");
    expect(r.code).not.toBe(0);
    setSimSwitches(h, { noSha256: false });
    try {
      r = await simExec(h, "printf abc > abc.txt && sha256 -r abc.txt && sha256 abc.txt");
      const d = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
      expect(r.stdout).toBe(`${d} abc.txt\nSHA256 (abc.txt) = ${d}\n`);
    } finally {
      setSimSwitches(h, { noSha256: true });
    }
    r = await simExec(h, "command -v sha256");
    expect(r.code).not.toBe(0);
  });
});

describe("strictUntaggedText (default on)", () => {
  it("cat shows untagged ASCII as EBCDIC garbage; tagged text with _BPXK_AUTOCVT=ON reads fine; off: plain cat", async () => {
    // ASCII bytes written from outside (as an SFTP upload would): no mark of a z/OS program's output
    writeHostFile(h, home("u.txt"), "hello\n");
    writeHostFile(h, home("t.txt"), "hello\n");
    expect((await simExec(h, "chtag -tc 819 t.txt")).code).toBe(0);
    let r = await simExec(h, "cat u.txt");
    expect(r.stdout).not.toBe("hello\n");
    expect(Buffer.from(r.stdout, "latin1").length).toBeGreaterThan(0);
    r = await simExec(h, "export _BPXK_AUTOCVT=ON; cat t.txt");
    expect(r.stdout).toBe("hello\n");
    r = await simExec(h, "cat t.txt"); // tagged, but AUTOCVT off: not converted
    expect(r.stdout).not.toBe("hello\n");
    // an EBCDIC file tagged IBM-1047 reads as text
    writeHostFile(h, home("e.txt"), HELLO_1047); // owned by the session user, so it may chtag it
    r = await simExec(h, "chtag -tc IBM-1047 e.txt && cat e.txt");
    expect(r.stdout).toBe("hello\n");
    setSimSwitches(h, { strictUntaggedText: false });
    try {
      r = await simExec(h, "cat u.txt t.txt");
      expect(r.stdout).toBe("hello\nhello\n"); // switch off: plain cat
    } finally {
      setSimSwitches(h, { strictUntaggedText: true });
    }
  });
});

describe("site variation at start", () => {
  let other: SimCluster | undefined;
  afterAll(async () => {
    await other?.stop();
  });

  it("uname release/machine and the SDK path are switches", async () => {
    other = await startUssHosts({
      switches: { unameRelease: "28.00", unameMachine: "3931", pythonPath: "/usr/lpp/IBM/cyp/v3r13/pyz/bin/python3" },
    });
    const o = other.hosts[0];
    expect(o.pythonPath).toBe(path.join(o.root, "usr/lpp/IBM/cyp/v3r13/pyz/bin/python3"));
    const r = await simExec(
      o,
      `uname -a; ${o.pythonPath} -c 'import sys,platform,sysconfig;print(sys.platform,platform.system(),sysconfig.get_platform())'`,
    );
    expect(r.stdout).toBe("OS/390 LPAR1 28.00 04 3931\nzos OS/390 os390-28.00-3931\n");
    // and the hosts of different clusters are independent
    expect(o.port).not.toBe(h.port);
    expect(o.hostKeyFingerprint).not.toBe(h.hostKeyFingerprint);
  });
});
