// The simulated z/OSMF's JCL subset (test/sim/zosmf/jcl.js): JOB card, continuation, PARM,
// in-stream STDENV/STDPARM, TIME=, and the errors the converter reports.
import * as path from "node:path";
import { describe, expect, it } from "vitest";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jcl = require(path.join(__dirname, "..", "sim", "zosmf", "jcl.js")) as {
  parseJcl(t: string, o?: { lrecl?: number }): { jobName: string; accounting: string; programmer: string; jobClass: string; timeLimit?: number; steps: Array<{ name: string; pgm: string; parm?: string; timeLimit?: number; dds: Record<string, { sysout?: string; instream?: string[]; dummy?: boolean }> }> };
  bpxbatchCommand(step: unknown): { kind: string; command?: string; program?: string; args?: string[] };
  stdenv(step: unknown): Record<string, string>;
};

const JOB = [
  "//ZWHJ0001 JOB (ACCT1),'WHEELHOUSE',CLASS=B,MSGCLASS=X,",
  "//             MSGLEVEL=(1,1),TIME=(0,30)          a comment",
  "//* a comment line",
  "//RUN      EXEC PGM=BPXBATCH,REGION=0M,",
  "//             PARM='SH /bin/sh x.sh ''quoted'''",
  "//STDOUT   DD SYSOUT=*",
  "//STDERR   DD SYSOUT=*",
  "//STDENV   DD *",
  "_BPXK_AUTOCVT=ON   ",
  "A=B=C",
  "/*",
  "//STDIN    DD DUMMY",
  "",
].join("\n");

describe("parseJcl", () => {
  it("reads the JOB card with continuation, the step, its DDs and in-stream data", () => {
    const p = jcl.parseJcl(JOB);
    expect(p).toMatchObject({ jobName: "ZWHJ0001", accounting: "ACCT1", programmer: "WHEELHOUSE", jobClass: "B", timeLimit: 30 });
    expect(p.steps).toHaveLength(1);
    const st = p.steps[0];
    expect(st).toMatchObject({ name: "RUN", pgm: "BPXBATCH", parm: "SH /bin/sh x.sh 'quoted'" });
    expect(st.dds.STDOUT).toEqual({ sysout: "*" });
    expect(st.dds.STDIN).toEqual({ dummy: true });
    expect(jcl.stdenv(st)).toEqual({ _BPXK_AUTOCVT: "ON", A: "B=C" });
    expect(jcl.bpxbatchCommand(st)).toEqual({ kind: "sh", command: "/bin/sh x.sh 'quoted'" });
  });

  it("STDPARM overrides PARM and PGM runs a program", () => {
    const p = jcl.parseJcl("//J JOB (A),'W'\n//S EXEC PGM=BPXBATCH,PARM='SH echo no'\n//STDPARM DD *\nPGM /bin/echo\n yes\n/*\n");
    expect(jcl.bpxbatchCommand(p.steps[0])).toEqual({ kind: "pgm", program: "/bin/echo", args: ["yes"] });
  });

  it("TIME= in minutes and (m,s); NOLIMIT is no limit", () => {
    expect(jcl.parseJcl("//J JOB (A),'W',TIME=2\n//S EXEC PGM=BPXBATCH\n").timeLimit).toBe(120);
    expect(jcl.parseJcl("//J JOB (A),'W'\n//S EXEC PGM=BPXBATCH,TIME=(1,5)\n").steps[0].timeLimit).toBe(65);
    expect(jcl.parseJcl("//J JOB (A),'W',TIME=NOLIMIT\n//S EXEC PGM=BPXBATCH\n").timeLimit).toBeUndefined();
  });

  it("reports JCL errors", () => {
    expect(() => jcl.parseJcl("//S EXEC PGM=BPXBATCH\n")).toThrow(/first statement must be a JOB card/);
    expect(() => jcl.parseJcl("//J JOB (A),'W'\n")).toThrow(/no EXEC/);
    expect(() => jcl.parseJcl("//J JOB (A),'W'\n//S EXEC PGM=BPXBATCH,PARM='SH x\n")).toThrow(/IEFC627I/);
    expect(() => jcl.parseJcl("//TOOLONGNAME JOB (A)\n//S EXEC PGM=X\n")).toThrow(/IEFC662I/);
    expect(() => jcl.parseJcl("//J JOB (A),'W'\n//S EXEC PGM=BPXBATCH,\nnot a continuation\n")).toThrow(/IEFC621I/);
    expect(() => jcl.parseJcl("//J JOB (A),'W'\n//S EXEC PGM=X\n//" + "X".repeat(80) + "\n")).toThrow(/LRECL 80/);
    // columns 72-80 are not part of a statement: a PARM running past column 71 loses its quote
    const long = "//J JOB (A),'W'\n//S EXEC PGM=BPXBATCH,PARM='SH " + "x".repeat(40) + "'\n";
    expect(() => jcl.parseJcl(long)).toThrow(/IEFC627I/);
  });
});
