// The one BPXBATCH JCL template of the z/OSMF transport (src/remote/zosmf/jcl.ts): every statement
// fits, the simulated z/OSMF's JCL parser reads it back as what was meant, and nothing from a
// profile can break or inject a statement. Also the upload archive (ustar) read by Python's tarfile.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { bpxbatchJcl, checkJobSettings, HOME_PROBE } from "../../src/remote/zosmf/jcl";
import { ustar } from "../../src/remote/zosmf/ustar";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const simJcl = require(path.join(__dirname, "..", "sim", "zosmf", "jcl.js")) as {
  parseJcl(t: string): { jobName: string; accounting: string; jobClass: string; keywords: Record<string, string>; steps: Array<{ pgm: string; dds: Record<string, unknown> }> };
  bpxbatchCommand(step: unknown): { kind: string; command: string };
  stdenv(step: unknown): Record<string, string>;
};

describe("bpxbatchJcl", () => {
  it("builds the template with defaults; the simulator's parser reads it back", () => {
    const jcl = bpxbatchJcl({}, ".zwh-jobs/0123456789abcdef.sh");
    for (const l of jcl.split("\n")) expect(l.length).toBeLessThanOrEqual(71);
    const p = simJcl.parseJcl(jcl);
    expect(p).toMatchObject({ jobName: "ZWHJOB", accounting: "", jobClass: "A", keywords: { MSGCLASS: "X", MSGLEVEL: "(1,1)" } });
    expect(p.steps[0].pgm).toBe("BPXBATCH");
    expect(simJcl.bpxbatchCommand(p.steps[0])).toEqual({ kind: "sh", command: "/bin/sh .zwh-jobs/0123456789abcdef.sh" });
    expect(simJcl.stdenv(p.steps[0])).toEqual({ _BPXK_AUTOCVT: "ON" });
    expect(Object.keys(p.steps[0].dds).sort()).toEqual(["STDENV", "STDERR", "STDOUT"]);
  });

  it("takes job name, class and account (upper-cased) and the HOME probe", () => {
    const p = simJcl.parseJcl(bpxbatchJcl({ jobName: "zwh1", jobClass: "b", account: "d123.x" }, HOME_PROBE));
    expect(p).toMatchObject({ jobName: "ZWH1", accounting: "D123.X", jobClass: "B" });
    expect(simJcl.bpxbatchCommand(p.steps[0])).toEqual({ kind: "sh", command: 'echo "$HOME"' });
  });

  it("refuses values that would break or inject JCL, and script names it did not generate", () => {
    for (const bad of [{ jobName: "TOOLONGNAME" }, { jobName: "1ABC" }, { jobName: "A,B" }, { jobClass: "AB" }, { msgClass: "*" },
      { account: "A'B" }, { account: "A),CLASS=Z" }, { account: "A B" }, { account: "X".repeat(41) }]) {
      expect(() => checkJobSettings(bad)).toThrow(ZwhError);
    }
    expect(() => bpxbatchJcl({}, "x.sh'\n//EVIL EXEC PGM=IEFBR14")).toThrow(/not one the session generates/);
  });
});

describe("ustar", () => {
  it("is read by Python's tarfile byte for byte", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-ustar-"));
    const files = [{ name: "a-1.0-py3-none-any.whl", data: Buffer.from([0, 1, 2, 255]) }, { name: "b.txt", data: Buffer.alloc(1500, 0x41) }, { name: "empty", data: Buffer.alloc(0) }];
    fs.writeFileSync(path.join(dir, "x.tar"), ustar(files));
    const r = spawnSync("python3", ["-c", "import tarfile,sys,json,hashlib;t=tarfile.open(sys.argv[1]);print(json.dumps([[m.name,m.size,hashlib.sha256(t.extractfile(m).read()).hexdigest()] for m in t.getmembers()]))", path.join(dir, "x.tar")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const { createHash } = require("node:crypto") as typeof import("node:crypto");
    expect(JSON.parse(r.stdout)).toEqual(files.map((f) => [f.name, f.data.length, createHash("sha256").update(f.data).digest("hex")]));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses member names that are not plain file names", () => {
    for (const n of ["../x", "a/b", "", ".", "x".repeat(101)]) expect(() => ustar([{ name: n, data: Buffer.alloc(1) }])).toThrow(ZwhError);
  });
});
